// SPDX-License-Identifier: MIT
// Facts about the host and the device that the later phases of `up` are planned from: what
// linux.bash reads with `wg show`, `ip route get`, `ip rule`, `sysctl -n` and `type -p nft`.
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <regex>

#include <wgkit/quick.h>
#include <wgkit/wireguard.h>

namespace wgkit::quick {
namespace {

net::Prefix to_prefix(const AllowedIp& ip) {
    net::Prefix p;
    p.family = ip.family;
    p.address = ip.address;
    p.length = ip.cidr;
    return p;
}

/// `sort -nr -k 2 -t /` over "ip/cidr" lines: prefix length descending, ties by the whole
/// line in reverse byte order (sort's last-resort comparison, reversed by -r).
/// Each line's text is made once: the comparison needs it for every tie.
void sort_like_wg_quick(std::vector<net::Prefix>& ips) {
    std::vector<std::pair<std::string, net::Prefix>> lines;
    lines.reserve(ips.size());
    for (const net::Prefix& p : ips)
        lines.emplace_back(p.to_string(), p);
    std::stable_sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) {
        if (a.second.length != b.second.length)
            return a.second.length > b.second.length;
        return a.first > b.first;
    });
    for (std::size_t i = 0; i < ips.size(); ++i)
        ips[i] = lines[i].second;
}

/// set_mtu_up's search: the smallest MTU towards any endpoint (v1.0.20260223; the largest
/// before), else the default route's, else 1500.
unsigned auto_mtu(const Device& device) {
    static const std::regex endpoint_pattern("^\\[?([a-z0-9:.]+)\\]?:[0-9]+$");
    unsigned mtu = 0;
    for (const Peer& peer : device.peers) {
        if (!peer.endpoint)
            continue;
        std::string text = peer.endpoint->to_string();
        std::smatch m;
        if (!std::regex_match(text, m, endpoint_pattern))
            continue;
        std::optional<net::Prefix> address = net::Prefix::parse(m[1].str());
        unsigned found = address ? net::route_get_mtu(*address) : 0;
        if (found && (mtu == 0 || found < mtu))
            mtu = found;
    }
    if (mtu == 0)
        mtu = net::default_route_mtu();
    return mtu ? mtu : 1500;
}

bool nft_usable() {
    // WGKIT_QUICK_FIREWALL=iptables forces the fallback the original takes when `nft` is
    // not installed (a wgkit extension, used by the tests of that path).
    const char* forced = std::getenv("WGKIT_QUICK_FIREWALL");
    if (forced && std::string_view(forced) == "iptables")
        return false;
    return net::nft_available();
}

} // namespace

Facts gather_facts(const QuickFile& file, bool for_routes) {
    unsigned ifindex = net::link_index(file.interface);
    bool needs_device = for_routes || file.mtu.empty();
    // One dump answers every allowed IP, made at the first question (none is asked with a
    // set Table, or for no allowed IP). The original dumps before each route it adds, but
    // adds them most specific first (sort -nr), so no route it adds contains a later one.
    std::optional<std::vector<net::Prefix>> routes;
    return gather_facts(file, for_routes, needs_device ? get_device(file.interface) : Device{},
                        [&routes, ifindex](const net::Prefix& p) {
                            if (!routes)
                                routes = net::main_routes_through(ifindex);
                            return std::any_of(routes->begin(), routes->end(),
                                               [&p](const net::Prefix& route) { return route.contains(p); });
                        });
}

bool covered_by_addresses(const QuickFile& file, const net::Prefix& allowed_ip) {
    for (const std::string& text : file.addresses) {
        std::optional<net::Prefix> a = net::Prefix::parse(text);
        // A host-length address gets no prefix route, only a local one.
        unsigned host = allowed_ip.family == AF_INET ? 32 : 128;
        if (a && a->length < host && a->contains(allowed_ip))
            return true;
    }
    return false;
}

Facts gather_facts(const QuickFile& file, bool for_routes, const Device& device,
                   const std::function<bool(const net::Prefix&)>& covered) {
    Facts facts;
    facts.ifindex = net::link_index(file.interface);
    if (!for_routes) {
        if (file.mtu.empty())
            facts.auto_mtu = auto_mtu(device);
        if (!file.dns.empty())
            facts.dns_prefix = net::resolvconf_prefix();
        return facts;
    }
    std::vector<net::Prefix> allowed_ips;
    for (const Peer& peer : device.peers)
        for (const AllowedIp& ip : peer.allowed_ips)
            allowed_ips.push_back(to_prefix(ip));
    sort_like_wg_quick(allowed_ips);
    if (device.fwmark && *device.fwmark)
        facts.fwmark = device.fwmark;
    bool auto_table = file.table.empty() || file.table == "auto";
    bool has_default = false;
    for (const net::Prefix& p : allowed_ips) {
        bool is_covered = auto_table && p.length != 0 && covered(p);
        facts.covered.emplace_back(p, is_covered);
        has_default |= p.length == 0;
    }
    if (auto_table && has_default && file.table != "off") {
        if (!facts.fwmark)
            while (net::route_table_in_use(AF_INET, facts.free_table) ||
                   net::route_table_in_use(AF_INET6, facts.free_table))
                ++facts.free_table;
        facts.src_valid_mark = net::sysctl_read("net.ipv4.conf.all.src_valid_mark") == "1";
        facts.use_nft = nft_usable();
        facts.addresses4 = net::address_list(file.interface, AF_INET);
        facts.addresses6 = net::address_list(file.interface, AF_INET6);
    }
    if (!file.ip_forward.empty() || !file.ip_masquerade.empty()) // forward.cc's firewall
        facts.use_nft = nft_usable();
    return facts;
}

} // namespace wgkit::quick
