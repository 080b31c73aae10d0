// SPDX-License-Identifier: MIT
// Undo from the record: exactly the rules, tables, DNS entry and link that up made.
#include "undo.h"

#include <sys/socket.h>

#include <functional>
#include <string>

#include "firewall_rules.h"
#include "userspace.h"

namespace wgkit::quick {
namespace {

void attempt(const Io& io, const std::string& transcript, const std::function<void()>& action) {
    io.narrate("[#] " + transcript);
    try {
        action();
    } catch (const Error& e) {
        if (*e.what())
            io.narrate(e.what());
    }
}

std::string proto_flag(int family) { return family == AF_INET6 ? "-6" : "-4"; }

void undo_rules(const std::vector<Record>& records, const Io& io) {
    // del_if's order: per family (v4 first), the table rules, then the suppress rules.
    for (int family : {AF_INET, AF_INET6})
        for (bool suppress : {false, true})
            for (const Record& r : records) {
                if (r.kind != Record::Kind::rule || r.rule.family != family ||
                    r.rule.suppress_prefix.has_value() != suppress)
                    continue;
                std::string what = suppress ? "table main suppress_prefixlength 0"
                                            : "table " + std::to_string(r.rule.table);
                attempt(io, "ip " + proto_flag(family) + " rule delete " + what,
                        [&] { net::rule_delete(r.rule); });
            }
}

void undo_link(const std::vector<Record>& records, const Io& io) {
    for (const Record& r : records)
        if (r.kind == Record::Kind::link)
            attempt(io, "ip link delete dev " + r.name, [&] {
                net::link_delete(r.name);
                reap_userspace(r.name);
            });
}

void undo_dns(const std::vector<Record>& records, const Io& io) {
    for (const Record& r : records)
        if (r.kind == Record::Kind::dns)
            attempt(io, "resolvconf -d " + r.name + " -f", [&] { net::resolvconf_delete(r.name); });
}

void undo_firewall(const std::vector<Record>& records, const Io& io) {
    // remove_firewall sends every nft deletion in one `nft -f`, then each iptables family.
    std::string script;
    for (const Record& r : records)
        if (r.kind == Record::Kind::nft)
            script += std::string("delete table ") + (r.family == AF_INET6 ? "ip6 " : "ip ") + r.name + "\n";
    if (!script.empty())
        attempt(io, "nft -f /dev/fd/63", [&] { net::nft_run(script); });
    for (int family : {AF_INET, AF_INET6})
        for (const Record& r : records) {
            if (r.kind != Record::Kind::iptables || r.family != family)
                continue;
            std::string input;
            try {
                input = iptables_removal(net::iptables_save(family), r.name);
            } catch (const Error&) {
            }
            if (!input.empty())
                attempt(io, std::string(family == AF_INET6 ? "ip6tables" : "iptables") + "-restore -n",
                        [&] { net::iptables_restore(family, input); });
        }
}

} // namespace

void undo_records(const std::vector<Record>& records, UndoOrder order, const Io& io) {
    if (order == UndoOrder::rollback) {
        undo_dns(records, io);
        undo_firewall(records, io);
        undo_rules(records, io);
        undo_link(records, io);
    } else {
        undo_rules(records, io);
        undo_link(records, io);
        undo_dns(records, io);
        undo_firewall(records, io);
    }
}

} // namespace wgkit::quick
