// SPDX-License-Identifier: MIT
// `reload` (a wgkit extension): the running link brought to the file's state by the smallest
// changes, kind by kind, each diffed by its own function. Objects that live on the link
// (addresses, MTU, routes through it) are diffed against the link itself, since they exist
// only there and vanish with it; objects outside it (policy rules, firewall tables, the DNS
// entry) against the record of `up`. Additions reuse up's own steps, so their `[#]` lines and
// records are up's; the record is rewritten after every step, so `down` always undoes exactly
// what is there. Hooks never run.
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <tuple>

#include <wgkit/config.h>
#include <wgkit/quick.h>
#include <wgkit/wireguard.h>

#include "forward.h"
#include "lock.h"
#include "runner.h"
#include "state.h"
#include "undo.h"

namespace wgkit::quick {

void require_wireguard_interface(const std::string& interface); // down.cc

namespace {

/// Routes looked up by binary search: reload compares the live routes with the wanted ones
/// both ways, and a linear search for each of 10^4 allowed IPs was 10^8 comparisons.
class RouteSet {
public:
    explicit RouteSet(std::vector<net::Route> routes) : routes_(std::move(routes)) {
        std::sort(routes_.begin(), routes_.end(), less);
    }
    bool contains(const net::Route& r) const { return std::binary_search(routes_.begin(), routes_.end(), r, less); }

private:
    /// Every field operator== compares, so "neither is less" is equality.
    static bool less(const net::Route& a, const net::Route& b) {
        return std::tie(a.destination.family, a.destination.length, a.destination.address, a.table, a.ifindex) <
               std::tie(b.destination.family, b.destination.length, b.destination.address, b.table, b.ifindex);
    }
    std::vector<net::Route> routes_;
};

std::string proto_flag(int family) { return family == AF_INET6 ? "-6" : "-4"; }

bool auto_table(const QuickFile& file) { return file.table.empty() || file.table == "auto"; }

/// The device the file asks for, with `wg addconf` semantics.
Device wanted_device(const QuickFile& file) {
    try {
        return passthrough_device(file);
    } catch (const ConfigInvalid& e) {
        throw Error(std::string(e.what()) + "\nInvalid configuration");
    } catch (const Error& e) {
        throw Error(std::string(e.what()) + "\nConfiguration parsing error");
    }
}

bool empty_request(const Device& d) {
    return !d.private_key && !d.listen_port && !d.fwmark && !d.replace_peers && d.peers.empty();
}

/// Up's steps of one phase whose transcript starts with `prefix`.
std::vector<Step> select(const std::vector<Step>& planned, std::string_view prefix) {
    std::vector<Step> out;
    for (const Step& s : planned)
        if (s.transcript.starts_with(prefix))
            out.push_back(s);
    return out;
}

void append(std::vector<Step>& to, const std::vector<Step>& steps) { to.insert(to.end(), steps.begin(), steps.end()); }

// ---- peers ---------------------------------------------------------------------------------

/// Peers by the smallest request: unchanged peers are not touched, so they keep their
/// sessions. Allowed-IP removals go as REMOVE_ME entries; a backend that refuses those
/// (EINVAL: Linux before 6.16, wireguard-go before 2025-05-20) gets each changed peer's
/// whole list instead, diffed afresh from what the first attempt left.
std::vector<Step> peer_steps(const QuickFile& file) {
    Device wanted = wanted_device(file);
    if (empty_request(diff_devices(get_device(file.interface), wanted, {true})))
        return {};
    return {{"wg syncconf " + file.interface + " /dev/fd/63", [file, wanted](StepContext&) {
                 try {
                     set_device(diff_devices(get_device(file.interface), wanted, {true}));
                 } catch (const Error& e) {
                     if (e.code() != EINVAL)
                         throw;
                     set_device(diff_devices(get_device(file.interface), wanted, {false}));
                 }
             }}};
}

// ---- addresses, MTU, DNS -------------------------------------------------------------------

bool kernel_link_local(const net::Prefix& p) {
    return p.family == AF_INET6 && p.address[0] == 0xfe && (p.address[1] & 0xc0) == 0x80;
}

/// Deletions of addresses the file no longer has, then up's steps for the new ones. An IPv6
/// link-local the file does not name is the kernel's, not ours.
std::vector<Step> address_steps(const QuickFile& file, const std::vector<Step>& planned_for_missing,
                                bool& changed, bool& flushes_ipv4) {
    std::vector<net::Prefix> wanted;
    for (const std::string& text : file.addresses)
        if (std::optional<net::Prefix> p = net::Prefix::parse(text))
            wanted.push_back(*p);
    std::vector<Step> steps;
    std::size_t ipv4_left = 0;
    for (int family : {AF_INET, AF_INET6})
        for (const net::Prefix& p : net::address_list(file.interface, family)) {
            bool keep = std::find(wanted.begin(), wanted.end(), p) != wanted.end() || kernel_link_local(p);
            ipv4_left += keep && family == AF_INET;
            if (keep)
                continue;
            std::string ifname = file.interface;
            steps.push_back({"ip " + proto_flag(family) + " address del " + p.to_string() + " dev " + ifname,
                             [ifname, p](StepContext&) { net::address_delete(ifname, p); }});
        }
    // The kernel drops every IPv4 route through a link whose last IPv4 address goes; deleting
    // before adding keeps a new address of an old subnet from being a secondary that goes
    // with the old primary. Phase 3 adds back what the flush took.
    flushes_ipv4 = ipv4_left == 0 && !net::address_list(file.interface, AF_INET).empty();
    append(steps, select(planned_for_missing, "ip -4 address add"));
    append(steps, select(planned_for_missing, "ip -6 address add"));
    changed = !steps.empty();
    return steps;
}

/// The file's addresses the link lacks (as written, unparsable ones included: up's step
/// reports them).
std::vector<std::string> missing_addresses(const QuickFile& file) {
    std::vector<net::Prefix> live = net::address_list(file.interface, AF_INET);
    for (const net::Prefix& p : net::address_list(file.interface, AF_INET6))
        live.push_back(p);
    std::vector<std::string> out;
    for (const std::string& text : file.addresses) {
        std::optional<net::Prefix> p = net::Prefix::parse(text);
        if (!p || std::find(live.begin(), live.end(), *p) == live.end())
            out.push_back(text);
    }
    return out;
}

std::vector<Step> mtu_steps(const QuickFile& file, const Facts& facts, const std::vector<Step>& planned) {
    std::string wanted = file.mtu.empty() ? std::to_string(facts.auto_mtu - 80) : file.mtu;
    if (wanted == std::to_string(net::link_mtu(net::link_index(file.interface))))
        return {};
    return select(planned, "ip link set mtu ");
}

/// What resolvconf holds for `name` now: its listing, else its run file (Debian's
/// resolvconf has no -l).
std::string dns_entry(const std::string& name) {
    std::string listing = net::resolvconf_list(name);
    if (!listing.empty())
        return listing;
    std::ifstream in("/etc/resolvconf/run/interface/" + name);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// The recorded entry removed when the file has no DNS or names it otherwise; up's step
/// when the entry is missing or holds other servers.
std::vector<Step> dns_steps(const QuickFile& file, const Facts& facts, const std::vector<Record>& records,
                            const std::vector<Step>& planned) {
    std::string name = file.dns.empty() ? "" : facts.dns_prefix + file.interface;
    std::vector<Record> stale;
    bool current = false;
    for (const Record& r : records)
        if (r.kind == Record::Kind::dns) {
            if (r.name == name && dns_entry(name) == resolvconf_input(file))
                current = true;
            else if (r.name != name)
                stale.push_back(r);
        }
    std::vector<Step> steps = undo_steps(stale, UndoOrder::down);
    if (!name.empty() && !current) {
        // up's step records the entry; a rewrite of a recorded one must not record it twice.
        for (Step s : select(planned, "resolvconf -a ")) {
            steps.push_back({s.transcript, [s, name](StepContext& ctx) {
                                 std::size_t before = ctx.records.size();
                                 s.action(ctx);
                                 auto same = [&](const Record& r) { return r.kind == Record::Kind::dns && r.name == name; };
                                 if (std::count_if(ctx.records.begin(), ctx.records.begin() + before, same))
                                     ctx.records.resize(before);
                             }});
        }
    }
    return steps;
}

std::vector<Step> phase2_steps(const QuickFile& file, const std::vector<Record>& records, bool& addresses_changed,
                               bool& flushes_ipv4) {
    Facts facts = gather_facts(file, false, get_device(file.interface),
                               [&](const net::Prefix& p) { return covered_by_addresses(file, p); });
    QuickFile missing = file;
    missing.addresses = missing_addresses(file);
    std::vector<Step> planned = plan_addresses_mtu_dns(missing, facts);
    std::vector<Step> steps = address_steps(file, planned, addresses_changed, flushes_ipv4);
    append(steps, mtu_steps(file, facts, planned));
    append(steps, dns_steps(file, facts, records, planned));
    return steps;
}

// ---- routes, policy rules, firewall --------------------------------------------------------

/// Records of one family and kinds (the policy routing of a /0 in table auto). The iptables
/// record covers every rule marked for the interface, IPForward's too (see forwarding_unchanged).
std::vector<Record> default_route_records(const std::vector<Record>& records, const std::string& interface,
                                          int family, bool firewall_only) {
    std::vector<Record> out;
    for (const Record& r : records) {
        bool nft = r.kind == Record::Kind::nft && r.name == "wg-quick-" + interface;
        bool fw = (nft || r.kind == Record::Kind::iptables) && r.family == family;
        bool rule = r.kind == Record::Kind::rule && r.rule.family == family;
        if (fw || (rule && !firewall_only))
            out.push_back(r);
    }
    return out;
}

/// The route up makes for an allowed IP, or nothing (covered, or Table = off).
std::optional<net::Route> route_for(const QuickFile& file, const Facts& facts, const net::Prefix& p, bool covered) {
    if (file.table == "off" || covered)
        return std::nullopt;
    net::Route r{p, 254, facts.ifindex};
    if (!auto_table(file))
        r.table = net::route_table_id(file.table).value_or(0);
    else if (p.length == 0)
        r.table = facts.fwmark.value_or(facts.free_table);
    return r;
}

std::vector<Step> phase3_steps(const QuickFile& file, const std::vector<Record>& records, bool addresses_changed,
                               bool flushed_ipv4) {
    // The allowed IPs are the file's (the peers step made them so); the fwmark is the
    // running one unless the file sets it (up may have chosen it for a /0).
    Device device = wanted_device(file);
    if (!device.fwmark)
        device.fwmark = get_device(file.interface).fwmark;
    Facts facts = gather_facts(file, true, device, [&](const net::Prefix& p) { return covered_by_addresses(file, p); });
    std::vector<net::Route> live = net::route_list_static(facts.ifindex), wanted;
    if (flushed_ipv4) // already so after a real phase 2; a dry run must assume it
        std::erase_if(live, [](const net::Route& r) { return r.destination.family == AF_INET; });
    // Up's route steps without its hooks and without IPForward's steps (forwarding_unchanged).
    QuickFile quiet = file;
    quiet.post_up.clear();
    quiet.ip_forward.clear();
    quiet.ip_masquerade.clear();
    std::vector<Step> route_only; // a /0 whose route the flush took, its policy routing kept
    Facts to_add = facts;
    to_add.covered.clear();
    bool wants_default[2] = {false, false};
    const RouteSet live_set(live);
    for (const auto& [prefix, covered] : facts.covered) {
        std::optional<net::Route> r = route_for(file, facts, prefix, covered);
        if (!r)
            continue;
        wanted.push_back(*r);
        bool is_default = auto_table(file) && prefix.length == 0;
        wants_default[prefix.family == AF_INET6] |= is_default;
        if (live_set.contains(*r))
            continue;
        if (is_default && !default_route_records(records, file.interface, prefix.family, false).empty()) {
            Facts one = facts;
            one.covered = {{prefix, false}};
            append(route_only, select(plan_routes_and_post_up(quiet, one), "ip " + proto_flag(prefix.family) + " route add"));
        } else {
            to_add.covered.emplace_back(prefix, false);
        }
    }
    std::vector<Step> steps;
    const RouteSet wanted_set(wanted);
    for (const net::Route& r : live) {
        if (wanted_set.contains(r))
            continue;
        std::string table = r.table == 254 ? "" : " table " + std::to_string(r.table);
        steps.push_back({"ip " + proto_flag(r.destination.family) + " route del " + r.destination.to_string() +
                             " dev " + file.interface + table,
                         [r](StepContext& ctx) { ctx.routes().remove(r); }});
    }
    for (int family : {AF_INET, AF_INET6}) {
        bool wanted_default = wants_default[family == AF_INET6];
        // The policy routing of a /0 that goes; the firewall of a /0 that stays, when the
        // addresses its rules name have changed (up's step below writes it anew).
        std::string restore = family == AF_INET6 ? "ip6tables-restore" : "iptables-restore";
        // Only where a /0 was up: an iptables record alone may be IPForward's.
        bool had_default = std::any_of(records.begin(), records.end(), [&](const Record& r) {
            return r.kind == Record::Kind::rule && r.rule.family == family;
        });
        std::vector<Record> undone;
        if (!had_default)
            continue;
        if (!wanted_default)
            undone = default_route_records(records, file.interface, family, false);
        else if (addresses_changed)
            undone = default_route_records(records, file.interface, family, true);
        if (undone.empty())
            continue;
        append(steps, undo_steps(undone, UndoOrder::down));
        if (wanted_default) {
            Facts fw = facts;
            fw.covered = {{net::Prefix{family, {}, 0}, false}};
            std::vector<Step> planned = plan_routes_and_post_up(quiet, fw);
            append(steps, select(planned, "nft -f "));
            append(steps, select(planned, restore));
        }
        // On the iptables path IPForward's rules carry the same comment and went too.
        bool iptables = std::any_of(undone.begin(), undone.end(), [](const Record& r) { return r.kind == Record::Kind::iptables; });
        if (iptables && forwarding_of(file).forwards(family)) {
            std::vector<Step> forwarding;
            add_forward_steps(forwarding, file, facts);
            append(steps, select(forwarding, restore));
        }
    }
    append(steps, route_only);
    if (!to_add.covered.empty())
        append(steps, plan_routes_and_post_up(quiet, to_add));
    return steps;
}

// ---- IPForward, IPMasquerade ---------------------------------------------------------------

std::string recorded_forwarding(const std::vector<Record>& records) {
    for (const Record& r : records)
        if (r.kind == Record::Kind::forward)
            return r.name;
    return {};
}

/// When the file asks for other forwarding than up recorded (families, masquerading, the
/// masqueraded addresses): its firewall is taken down and written anew, the sysctls of
/// families no longer forwarded get their prior values back, and those of new families are
/// switched on. A sysctl of a family still forwarded is left alone, so its recorded prior
/// value stays true. On the iptables path the removal also takes the /0 firewall (same
/// comment), which is therefore written again too.
std::vector<Step> forwarding_steps(const QuickFile& file, const std::vector<Record>& records) {
    std::optional<Record> wanted = forwarding_record(file);
    if (recorded_forwarding(records) == (wanted ? wanted->name : ""))
        return {};
    Device device = wanted_device(file);
    if (!device.fwmark)
        device.fwmark = get_device(file.interface).fwmark;
    Facts facts = gather_facts(file, true, device, [&](const net::Prefix& p) { return covered_by_addresses(file, p); });
    facts.use_nft = std::none_of(records.begin(), records.end(),
                                 [](const Record& r) { return r.kind == Record::Kind::iptables; }) &&
                    facts.use_nft;
    Forwarding now = forwarding_of(file);
    auto family_of = [](const Record& r) { return r.name.find("ipv6") != std::string::npos ? AF_INET6 : AF_INET; };
    std::vector<Record> firewall, inserts, dropped;
    bool iptables = false;
    for (const Record& r : records) {
        if ((r.kind == Record::Kind::nft && r.name == forward_table(file.interface)) || r.kind == Record::Kind::iptables)
            firewall.push_back(r);
        iptables |= r.kind == Record::Kind::iptables;
        if (r.kind == Record::Kind::nft_insert)
            inserts.push_back(r);
        if (r.kind == Record::Kind::sysctl && !now.forwards(family_of(r)))
            dropped.push_back(r);
    }
    if (!dropped.empty()) // the link record names the interface for the sharing rule
        for (const Record& r : records)
            if (r.kind == Record::Kind::link)
                dropped.push_back(r);
    std::vector<Step> steps = undo_steps(firewall, UndoOrder::down);
    forward_undo_steps(steps, inserts);
    std::vector<Step> added;
    add_forward_steps(added, file, facts);
    QuickFile quiet = file;
    quiet.post_up.clear();
    quiet.ip_forward.clear();
    quiet.ip_masquerade.clear();
    for (int family : {AF_INET, AF_INET6}) {
        std::string restore = family == AF_INET6 ? "ip6tables-restore" : "iptables-restore";
        bool has_default = std::any_of(facts.covered.begin(), facts.covered.end(), [&](const auto& c) {
            return c.first.family == family && c.first.length == 0;
        });
        if (iptables && has_default && (file.table.empty() || file.table == "auto")) {
            Facts fw = facts;
            fw.covered = {{net::Prefix{family, {}, 0}, false}};
            append(steps, select(plan_routes_and_post_up(quiet, fw), restore));
        }
    }
    append(steps, select(added, "nft -f "));
    append(steps, select(added, "iptables-restore"));
    append(steps, select(added, "ip6tables-restore"));
    forward_undo_steps(steps, dropped);
    for (const Step& s : select(added, "sysctl -q ")) {
        bool recorded = std::any_of(records.begin(), records.end(), [&](const Record& r) {
            return r.kind == Record::Kind::sysctl && s.transcript.starts_with("sysctl -q " + r.name + "=");
        });
        if (!recorded)
            steps.push_back(s);
    }
    return steps;
}

} // namespace

void reload(const QuickFile& file, const Io& io) {
    const InterfaceLock lock(file.interface, !io.dry_run);
    require_wireguard_interface(file.interface);
    std::optional<State> state = state_read(file.interface);
    if (!state || !state->ifindex || state->ifindex != net::link_index(file.interface))
        throw Error("`" + file.interface + "' has no record of wgkit's wg-quick up, which reload needs; " +
                    "take it down and up again");
    if (!io.dry_run)
        net::catch_interrupts();
    Runner runner(file.interface, io, *state);
    try {
        runner.run(peer_steps(file));
        bool addresses_changed = false, flushes_ipv4 = false;
        runner.run(phase2_steps(file, runner.state().records, addresses_changed, flushes_ipv4));
        runner.run(phase3_steps(file, runner.state().records, addresses_changed, flushes_ipv4));
        std::vector<Step> forwarding = forwarding_steps(file, runner.state().records);
        bool changed = !forwarding.empty() || recorded_forwarding(runner.state().records) !=
                                                   (forwarding_record(file) ? forwarding_record(file)->name : "");
        runner.run(forwarding);
        if (changed && !io.dry_run) {
            std::erase_if(runner.state().records, [](const Record& r) { return r.kind == Record::Kind::forward; });
            if (std::optional<Record> now = forwarding_record(file))
                runner.state().records.push_back(*now);
            runner.save();
        }
    } catch (const Stopped& stop) {
        if (!stop.reason.empty())
            io.narrate(stop.reason);
        std::string left = "; the steps before it stay done and recorded (`wg-quick down' undoes them)";
        if (stop.signal)
            throw Error(std::string("Interrupted by SIG") + sigabbrev_np(stop.signal) + " during `" + stop.step + "'" + left);
        throw Error("`" + stop.step + "' failed" + left);
    }
}

} // namespace wgkit::quick
