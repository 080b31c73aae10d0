// SPDX-License-Identifier: MIT
// `down`: PreDown, SaveConfig, undo, PostDown. With a record of our own `up` it undoes
// exactly that; without one it does what linux.bash's del_if does.
#include <sys/socket.h>

#include <algorithm>
#include <sstream>

#include <wgkit/quick.h>
#include <wgkit/wireguard.h>

#include "firewall_rules.h"
#include "hooks.h"
#include "lock.h"
#include "state.h"
#include "undo.h"
#include "userspace.h"

namespace wgkit::quick {
namespace {

void run_hooks(const std::vector<std::string>& hooks, const std::string& interface, const Io& io) {
    for (const std::string& hook : hooks) {
        std::string command = expand_hook(hook, interface);
        io.narrate("[#] " + command);
        if (!io.dry_run)
            run_hook(command);
    }
}

/// del_if without a record: while `ip rule show` lists `lookup N`, delete `table N`; while it
/// lists main's suppress_prefixlength 0 rule, delete one, whoever made it (reference §7.12).
void delete_rules_like_original(const QuickFile& file, const Io& io) {
    if (!(file.table.empty() || file.table == "auto"))
        return;
    Device device = get_device(file.interface);
    if (!device.fwmark || !*device.fwmark)
        return;
    bool has_default = false;
    for (const Peer& p : device.peers)
        for (const AllowedIp& ip : p.allowed_ips)
            has_default |= ip.cidr == 0;
    if (!has_default)
        return;
    std::uint32_t table = *device.fwmark;
    for (int family : {AF_INET, AF_INET6}) {
        std::string p = family == AF_INET6 ? "-6" : "-4";
        auto count = [&](auto pred) {
            std::vector<net::Rule> rules = net::rule_list(family);
            return std::count_if(rules.begin(), rules.end(), pred);
        };
        auto table_rule = [&](const net::Rule& r) { return r.table == table; };
        auto suppress_rule = [](const net::Rule& r) { return r.table == 254 && r.suppress_prefix == 0; };
        try {
            // A dry run deletes nothing, so it narrates one deletion per rule found instead.
            for (auto n = count(table_rule); n > 0; n = io.dry_run ? n - 1 : count(table_rule))
                narrated(io, "ip " + p + " rule delete table " + std::to_string(table), [&] {
                    net::Rule r;
                    r.family = family;
                    r.table = table;
                    net::rule_delete(r);
                });
            for (auto n = count(suppress_rule); n > 0; n = io.dry_run ? n - 1 : count(suppress_rule))
                narrated(io, "ip " + p + " rule delete table main suppress_prefixlength 0", [&] {
                    net::Rule r;
                    r.family = family;
                    r.table = 254;
                    r.suppress_prefix = 0;
                    net::rule_delete(r);
                });
        } catch (const Error&) {
            // reported; go on with the link, as `cmd` failing inside the loop would not loop
        }
    }
}

/// remove_firewall without a record: every nft table named wg-quick-IF, and every iptables
/// rule commented as wg-quick's rule for IF.
void remove_firewall_like_original(const std::string& interface, const Io& io) {
    if (net::nft_available()) {
        std::istringstream tables(net::nft_list_tables());
        std::string line, script;
        while (std::getline(tables, line))
            if (line.ends_with(" wg-quick-" + interface))
                script += "delete " + line + "\n";
        if (!script.empty())
            narrated(io, "nft -f /dev/fd/63", [&] { net::nft_run(script); });
    }
    if (net::find_in_path("iptables").empty())
        return;
    for (int family : {AF_INET, AF_INET6}) {
        std::string input;
        try {
            input = iptables_removal(net::iptables_save(family), interface);
        } catch (const Error&) {
        }
        if (!input.empty())
            narrated(io, std::string(family == AF_INET6 ? "ip6tables" : "iptables") + "-restore -n",
                     [&] { net::iptables_restore(family, input); });
    }
}

void down_like_original(const QuickFile& file, const Io& io) {
    delete_rules_like_original(file, io);
    narrated(io, "ip link delete dev " + file.interface, [&] {
        net::link_delete(file.interface);
        reap_userspace(file.interface);
    });
    if (!file.dns.empty()) {
        std::string name = net::resolvconf_prefix() + file.interface;
        try {
            narrated(io, "resolvconf -d " + name + " -f", [&] { net::resolvconf_delete(name); });
        } catch (const Error&) {
        }
    }
    try {
        remove_firewall_like_original(file.interface, io);
    } catch (const Error&) {
    }
}

/// Undoes the record in down's order, rewriting it after each step with what is left, so a
/// down killed midway leaves exactly the rest to do for the next one.
void undo_keeping_record(const std::string& interface, State state, const Io& io) {
    const std::vector<Record> all = state.records; // the steps refer to these
    StepContext ctx{io, state.records};
    for (const Step& step : undo_steps(all, UndoOrder::down)) {
        try {
            narrated(io, step.transcript, [&] { step.action(ctx); });
        } catch (const Error&) {
            // reported; the rest still run
        }
        if (!io.dry_run)
            state_write(interface, state);
    }
}

} // namespace

void require_wireguard_interface(const std::string& interface) {
    std::vector<std::string> names = list_interfaces();
    if (std::find(names.begin(), names.end(), interface) == names.end())
        throw Error("`" + interface + "' is not a WireGuard interface");
}

void down(const QuickFile& file, const Io& io) {
    const InterfaceLock lock(file.interface, !io.dry_run);
    std::optional<State> state = state_read(file.interface);
    if (state && !net::link_index(file.interface)) {
        // A down killed after deleting the link (or an up killed before making it): its
        // PreDown and SaveConfig are done or impossible; finish the record, then PostDown.
        undo_keeping_record(file.interface, *state, io);
        if (!io.dry_run)
            state_remove(file.interface);
        run_hooks(file.post_down, file.interface, io);
        return;
    }
    require_wireguard_interface(file.interface);
    run_hooks(file.pre_down, file.interface, io);
    if (file.save_config) {
        if (io.dry_run)
            io.narrate("[#] wg showconf " + file.interface);
        else
            save(file, io);
    }
    state = state_read(file.interface);
    if (state && state->ifindex && state->ifindex == net::link_index(file.interface)) {
        undo_keeping_record(file.interface, *state, io);
        if (!io.dry_run && net::link_index(file.interface))
            throw Error("Could not delete `" + file.interface + "'");
    } else {
        down_like_original(file, io);
    }
    if (!io.dry_run)
        state_remove(file.interface);
    run_hooks(file.post_down, file.interface, io);
}

} // namespace wgkit::quick
