// SPDX-License-Identifier: MIT
// wg-quick's config-to-plan step on arbitrary text: split_config (linux.bash's line parser),
// strip, the wg part with addconf semantics, and the three pure plan functions over facts
// derived from that wg part (its allowed IPs, alternately already routed or not). Steps are
// built, never run. Every input line is also read as a state record, and a record that
// parses must serialize back to itself.
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <wgkit/config.h>
#include <wgkit/error.h>
#include <wgkit/quick.h>

#include "fuzz_common.h"

using wgkit_fuzz::check;
namespace quick = wgkit::quick;

namespace {

quick::Facts facts_for(const quick::QuickFile& file, std::uint8_t choice)
{
    quick::Facts facts;
    facts.use_nft = choice & 1;
    facts.src_valid_mark = choice & 2;
    facts.dns_prefix = choice & 4 ? "tun." : "";
    facts.ifindex = 7;
    wgkit::Device device;
    try {
        device = quick::passthrough_device(file);
    } catch (const wgkit::Error&) {
        return facts;
    }
    if (device.fwmark && *device.fwmark)
        facts.fwmark = device.fwmark;
    bool covered = choice & 8;
    for (const wgkit::Peer& peer : device.peers) {
        for (const wgkit::AllowedIp& ip : peer.allowed_ips) {
            wgkit::net::Prefix prefix;
            prefix.family = ip.family;
            prefix.address = ip.address;
            prefix.length = ip.cidr;
            facts.covered.emplace_back(prefix, covered);
            covered = !covered;
            (ip.family == AF_INET6 ? facts.addresses6 : facts.addresses4).push_back(prefix);
        }
    }
    // As gather_facts orders them: longest prefix first.
    std::stable_sort(facts.covered.begin(), facts.covered.end(),
                     [](const auto& a, const auto& b) { return a.first.length > b.first.length; });
    return facts;
}

void count_steps(const std::vector<quick::Step>& steps)
{
    for (const quick::Step& step : steps)
        check(static_cast<bool>(step.action), "every step has an action");
}

void records(std::string_view text)
{
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (std::optional<quick::Record> record = quick::Record::parse(line)) {
            std::string serialized = record->serialize();
            std::optional<quick::Record> again = quick::Record::parse(serialized);
            check(again && again->serialize() == serialized, "a state record serializes to itself");
        }
        if (nl == std::string_view::npos)
            break;
        text.remove_prefix(nl + 1);
    }
}

} // namespace

void wgkit_fuzz::quick_input(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return;
    std::uint8_t choice = data[0];
    std::string_view text = wgkit_fuzz::as_text(data + 1, size - 1);
    records(text);

    quick::QuickFile file;
    try {
        file = quick::split_config(text);
    } catch (const wgkit::Error& e) {
        std::string_view what = e.what();
        check(what.ends_with("is neither true nor false") || what.ends_with("value (yes, no, ipv4 or ipv6)"),
              "only SaveConfig, IPForward and IPMasquerade fail the split");
        return;
    }
    file.interface = "wgfuzz0";
    std::string stripped = quick::strip(file);
    check(stripped.ends_with("\n"), "strip ends with a newline");
    // The passthrough part holds no wg-quick key, so splitting it again changes nothing.
    check(quick::split_config(file.wg_config).wg_config == file.wg_config, "strip is idempotent");

    quick::Facts facts = facts_for(file, choice);
    count_steps(quick::plan_link_and_config(file));
    count_steps(quick::plan_addresses_mtu_dns(file, facts));
    count_steps(quick::plan_routes_and_post_up(file, facts));
}

WGKIT_FUZZ_TARGET(quick_input)
