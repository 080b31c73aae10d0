// SPDX-License-Identifier: MIT
// The plan of `up`: linux.bash's cmd_up as a list of steps, each with the `[#]` line the
// original prints for the equivalent command. Pure over QuickFile and Facts; the actions
// call lib/net and the WireGuard backends when apply runs them.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <string>

#include <wgkit/config.h>
#include <wgkit/quick.h>
#include <wgkit/wireguard.h>

#include "firewall_rules.h"
#include "forward.h"
#include "hooks.h"
#include "userspace.h"

namespace wgkit::quick {
namespace {

std::string proto_flag(int family) { return family == AF_INET6 ? "-6" : "-4"; }

/// `ip` refuses what it cannot parse with this text, before talking to the kernel.
net::Prefix parse_prefix_or_throw(const std::string& text) {
    std::optional<net::Prefix> p = net::Prefix::parse(text);
    if (!p)
        throw Error("Error: any valid prefix is expected rather than \"" + text + "\".");
    return *p;
}

void add_rule(StepContext& ctx, net::Rule rule) {
    // The kernel picks the priority; record the rule with it so down deletes this one and not
    // an identical rule of another tunnel.
    std::vector<net::Rule> before = net::rule_list(rule.family);
    net::rule_add(rule);
    for (const net::Rule& r : net::rule_list(rule.family)) {
        net::Rule probe = r;
        probe.priority = 0;
        bool old = std::find(before.begin(), before.end(), r) != before.end();
        if (probe == rule && !old) {
            rule.priority = r.priority;
            break;
        }
    }
    ctx.records.push_back({Record::Kind::rule, {}, rule, rule.family});
}

std::string userspace_implementation() {
    const char* impl = std::getenv("WG_QUICK_USERSPACE_IMPLEMENTATION");
    return impl && *impl ? impl : "wireguard-go";
}

/// `ip link add`, or the userspace implementation when that fails (reference §4.4 step 3).
void add_link(StepContext& ctx, const std::string& interface) {
    try {
        net::link_add_wireguard(interface);
        ctx.records.push_back({Record::Kind::link, interface, {}, 0});
        return;
    } catch (const Error& e) {
        std::string impl = userspace_implementation();
        struct stat st {};
        if (stat("/sys/module/wireguard", &st) == 0 || net::find_in_path(impl).empty())
            throw;
        ctx.io.narrate(e.what());
        ctx.io.narrate("[!] Missing WireGuard kernel module. Falling back to slow userspace implementation.");
        ctx.io.narrate("[#] " + impl + " " + interface);
        // Recorded first: whatever the implementation made before failing is ours to remove.
        ctx.records.push_back({Record::Kind::link, interface, {}, 0});
        int status = net::run_program({impl, interface});
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            throw Error("");
        wait_for_socket(interface);
    }
}

void apply_config(const QuickFile& file) {
    Device device;
    try {
        device = passthrough_device(file);
    } catch (const ConfigInvalid& e) {
        throw Error(std::string(e.what()) + "\nInvalid configuration");
    } catch (const Error& e) {
        throw Error(std::string(e.what()) + "\nConfiguration parsing error");
    }
    set_device(device);
}

unsigned parse_mtu(const std::string& text) {
    unsigned mtu = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mtu);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        throw Error("Error: argument \"" + text + "\" is wrong: Invalid \"mtu\" value");
    return mtu;
}

void add_hook_steps(std::vector<Step>& steps, const std::vector<std::string>& hooks,
                    const std::string& interface) {
    for (const std::string& hook : hooks) {
        std::string command = expand_hook(hook, interface);
        steps.push_back({command, [command](StepContext&) { run_hook(command); }});
    }
}

/// add_default (reference §4.5) for one /0 allowed IP.
void add_default_steps(std::vector<Step>& steps, const QuickFile& file, const Facts& facts,
                       const net::Prefix& all, std::optional<std::uint32_t>& fwmark) {
    const std::string& ifname = file.interface;
    int family = all.family;
    std::string p = proto_flag(family);
    if (!fwmark) {
        std::uint32_t table = facts.free_table;
        fwmark = table;
        steps.push_back({"wg set " + ifname + " fwmark " + std::to_string(table), [ifname, table](StepContext&) {
                             Device d;
                             d.name = ifname;
                             d.fwmark = table;
                             set_device(d);
                         }});
    }
    std::uint32_t table = *fwmark;
    std::string n = std::to_string(table);
    steps.push_back({"ip " + p + " rule add not fwmark " + n + " table " + n, [=](StepContext& ctx) {
                         net::Rule r;
                         r.family = family;
                         r.table = table;
                         r.not_fwmark = table;
                         add_rule(ctx, r);
                     }});
    steps.push_back({"ip " + p + " rule add table main suppress_prefixlength 0", [=](StepContext& ctx) {
                         net::Rule r;
                         r.family = family;
                         r.table = 254;
                         r.suppress_prefix = 0;
                         add_rule(ctx, r);
                     }});
    unsigned ifindex = facts.ifindex;
    steps.push_back({"ip " + p + " route add " + all.to_string() + " dev " + ifname + " table " + n,
                     [=](StepContext& ctx) { ctx.routes().add({all, table, ifindex}); }});
    if (family == AF_INET && !facts.src_valid_mark)
        steps.push_back({"sysctl -q net.ipv4.conf.all.src_valid_mark=1", [](StepContext&) {
                             net::sysctl_write("net.ipv4.conf.all.src_valid_mark", "1");
                         }});
    const std::vector<net::Prefix>& addrs = family == AF_INET6 ? facts.addresses6 : facts.addresses4;
    if (facts.use_nft) {
        std::string script = nft_script(family, ifname, table, addrs);
        steps.push_back({"nft -f /dev/fd/63", [=](StepContext& ctx) {
                             net::nft_run(script);
                             ctx.records.push_back({Record::Kind::nft, "wg-quick-" + ifname, {}, family});
                         }});
    } else {
        std::string input = iptables_script(ifname, table, addrs);
        std::string program = family == AF_INET6 ? "ip6tables-restore" : "iptables-restore";
        steps.push_back({program + " -n", [=](StepContext& ctx) {
                             // Recorded first: a partial restore still leaves rules to find.
                             ctx.records.push_back({Record::Kind::iptables, ifname, {}, family});
                             net::iptables_restore(family, input);
                         }});
    }
}

} // namespace

std::vector<Step> plan_link_and_config(const QuickFile& file) {
    std::vector<Step> steps;
    std::string ifname = file.interface;
    steps.push_back({"ip link add dev " + ifname + " type wireguard",
                     [ifname](StepContext& ctx) { add_link(ctx, ifname); }});
    // PreUp runs after the link exists (v1.0.20250521), so it can configure it.
    add_hook_steps(steps, file.pre_up, ifname);
    steps.push_back({"wg addconf " + ifname + " /dev/fd/63", [file](StepContext&) { apply_config(file); }});
    return steps;
}

std::string resolvconf_input(const QuickFile& file) {
    std::string input;
    for (const std::string& server : file.dns)
        input += "nameserver " + server + "\n";
    if (!file.dns_search.empty()) {
        input += "search";
        for (const std::string& domain : file.dns_search)
            input += " " + domain;
        input += "\n";
    }
    return input;
}

std::vector<Step> plan_addresses_mtu_dns(const QuickFile& file, const Facts& facts) {
    std::vector<Step> steps;
    std::string ifname = file.interface;
    for (const std::string& address : file.addresses) {
        std::string p = address.find(':') != std::string::npos ? "-6" : "-4";
        steps.push_back({"ip " + p + " address add " + address + " dev " + ifname, [=](StepContext&) {
                             net::address_add(ifname, parse_prefix_or_throw(address));
                         }});
    }
    std::string mtu_text = file.mtu.empty() ? std::to_string(facts.auto_mtu - 80) : file.mtu;
    steps.push_back({"ip link set mtu " + mtu_text + " up dev " + ifname, [=](StepContext&) {
                         net::link_set_mtu_up(ifname, parse_mtu(mtu_text));
                     }});
    if (!file.dns.empty()) {
        std::string input = resolvconf_input(file);
        std::string name = facts.dns_prefix + ifname;
        steps.push_back({"resolvconf -a " + name + " -m 0 -x", [=](StepContext& ctx) {
                             net::resolvconf_add(name, input);
                             ctx.records.push_back({Record::Kind::dns, name, {}, 0});
                         }});
    }
    return steps;
}

std::vector<Step> plan_routes_and_post_up(const QuickFile& file, const Facts& facts) {
    std::vector<Step> steps;
    const std::string& ifname = file.interface;
    bool auto_table = file.table.empty() || file.table == "auto";
    std::optional<std::uint32_t> fwmark = facts.fwmark;
    if (file.table != "off") {
        for (const auto& [prefix, covered] : facts.covered) {
            std::string p = proto_flag(prefix.family);
            net::Prefix dst = prefix;
            unsigned ifindex = facts.ifindex;
            if (!auto_table) {
                std::string table = file.table;
                steps.push_back({"ip " + p + " route add " + dst.to_string() + " dev " + ifname + " table " + table,
                                 [=](StepContext& ctx) {
                                     std::optional<std::uint32_t> id = net::route_table_id(table);
                                     if (!id)
                                         throw Error("Error: argument \"" + table + "\" is wrong: \"table\" value is invalid");
                                     ctx.routes().add({dst, *id, ifindex});
                                 }});
            } else if (dst.length == 0) {
                add_default_steps(steps, file, facts, dst, fwmark);
            } else if (!covered) {
                steps.push_back({"ip " + p + " route add " + dst.to_string() + " dev " + ifname,
                                 [=](StepContext& ctx) { ctx.routes().add({dst, 254, ifindex}); }});
            }
        }
    }
    add_forward_steps(steps, file, facts); // IPForward, IPMasquerade (wgkit extensions)
    add_hook_steps(steps, file.post_up, ifname);
    return steps;
}

} // namespace wgkit::quick
