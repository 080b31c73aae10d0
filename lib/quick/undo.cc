// SPDX-License-Identifier: MIT
// Undo from the record: exactly the rules, tables, DNS entry and link that up made.
#include "undo.h"

#include <sys/socket.h>

#include <algorithm>
#include <string>

#include "firewall_rules.h"
#include "forward.h"
#include "userspace.h"

namespace wgkit::quick {
namespace {

std::string proto_flag(int family) { return family == AF_INET6 ? "-6" : "-4"; }

/// Drops the records `done` matches: the step that undid them has run.
void forget(std::vector<Record>& records, const std::function<bool(const Record&)>& done) {
    records.erase(std::remove_if(records.begin(), records.end(), done), records.end());
}

bool same(const Record& a, const Record& b) { return a.serialize() == b.serialize(); }

void rule_steps(std::vector<Step>& steps, const std::vector<Record>& records) {
    // del_if's order: per family (v4 first), the table rules, then the suppress rules.
    for (int family : {AF_INET, AF_INET6})
        for (bool suppress : {false, true})
            for (const Record& r : records) {
                if (r.kind != Record::Kind::rule || r.rule.family != family ||
                    r.rule.suppress_prefix.has_value() != suppress)
                    continue;
                std::string what = suppress ? "table main suppress_prefixlength 0"
                                            : "table " + std::to_string(r.rule.table);
                steps.push_back({"ip " + proto_flag(family) + " rule delete " + what, [r](StepContext& ctx) {
                                     net::rule_delete(r.rule);
                                     forget(ctx.records, [&](const Record& x) { return same(x, r); });
                                 }});
            }
}

void link_steps(std::vector<Step>& steps, const std::vector<Record>& records) {
    for (const Record& r : records)
        if (r.kind == Record::Kind::link)
            steps.push_back({"ip link delete dev " + r.name, [r](StepContext& ctx) {
                                 net::link_delete(r.name);
                                 reap_userspace(r.name);
                                 forget(ctx.records, [&](const Record& x) { return same(x, r); });
                             }});
}

void dns_steps(std::vector<Step>& steps, const std::vector<Record>& records) {
    for (const Record& r : records)
        if (r.kind == Record::Kind::dns)
            steps.push_back({"resolvconf -d " + r.name + " -f", [r](StepContext& ctx) {
                                 net::resolvconf_delete(r.name);
                                 forget(ctx.records, [&](const Record& x) { return same(x, r); });
                             }});
}

void firewall_steps(std::vector<Step>& steps, const std::vector<Record>& records) {
    // remove_firewall sends every nft deletion in one `nft -f`, then each iptables family.
    std::string script;
    std::vector<Record> tables;
    for (const Record& r : records)
        if (r.kind == Record::Kind::nft) {
            script += std::string("delete table ") + (r.family == AF_INET6 ? "ip6 " : "ip ") + r.name + "\n";
            tables.push_back(r);
        }
    if (!script.empty())
        steps.push_back({"nft -f /dev/fd/63", [script, tables](StepContext& ctx) {
                             net::nft_run(script);
                             for (const Record& t : tables)
                                 forget(ctx.records, [&](const Record& x) { return same(x, t); });
                         }});
    std::vector<Record> steps_for;
    for (int family : {AF_INET, AF_INET6})
        for (const Record& r : records) {
            if (r.kind != Record::Kind::iptables || r.family != family)
                continue;
            // One removal takes every rule marked for the interface: a second record of the
            // same family and name (the /0 firewall and IPForward's) needs no step of its own.
            bool seen = std::any_of(steps_for.begin(), steps_for.end(), [&](const Record& x) { return same(x, r); });
            if (seen)
                continue;
            steps_for.push_back(r);
            std::string input;
            try {
                input = iptables_removal(net::iptables_save(family), r.name);
            } catch (const Error&) {
            }
            if (!input.empty())
                steps.push_back({std::string(family == AF_INET6 ? "ip6tables" : "iptables") + "-restore -n",
                                 [r, family, input](StepContext& ctx) {
                                     net::iptables_restore(family, input);
                                     forget(ctx.records, [&](const Record& x) { return same(x, r); });
                                 }});
        }
}

} // namespace

void narrated(const Io& io, const std::string& transcript, const std::function<void()>& action) {
    io.narrate("[#] " + transcript);
    if (io.dry_run)
        return;
    try {
        action();
    } catch (const Error& e) {
        if (*e.what())
            io.narrate(e.what());
        throw;
    }
}

std::vector<Step> undo_steps(const std::vector<Record>& records, UndoOrder order) {
    std::vector<Step> steps;
    if (order == UndoOrder::rollback) {
        dns_steps(steps, records);
        firewall_steps(steps, records);
        forward_undo_steps(steps, records);
        rule_steps(steps, records);
        link_steps(steps, records);
    } else {
        rule_steps(steps, records);
        link_steps(steps, records);
        dns_steps(steps, records);
        firewall_steps(steps, records);
        forward_undo_steps(steps, records);
    }
    return steps;
}

void undo_records(const std::vector<Record>& records, UndoOrder order, const Io& io) {
    std::vector<Record> scratch = records;
    StepContext ctx{io, scratch};
    for (const Step& step : undo_steps(records, order)) {
        try {
            narrated(io, step.transcript, [&] { step.action(ctx); });
        } catch (const Error&) {
            // reported; the rest still run
        }
    }
}

} // namespace wgkit::quick
