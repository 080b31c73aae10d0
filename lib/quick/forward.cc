// SPDX-License-Identifier: MIT
// IPForward and IPMasquerade: what relay and exit servers otherwise write as PostUp lines
// (sysctl, iptables -A FORWARD ... ACCEPT, -t nat ... MASQUERADE), as recorded steps so a
// failed up and down undo exactly them.
#include "forward.h"

#include <dirent.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <functional>
#include <set>
#include <sstream>

#include "state.h"

namespace wgkit::quick {
namespace {

bool means(const std::string& value, const char* word) { return strcasecmp(value.c_str(), word) == 0; }

std::string sysctl_key(int family) {
    return family == AF_INET6 ? "net.ipv6.conf.all.forwarding" : "net.ipv4.ip_forward";
}

std::string nft_family(int family) { return family == AF_INET6 ? "ip6" : "ip"; }

/// The prefix with its host bits cleared: 10.0.0.1/24 names the network 10.0.0.0/24.
net::Prefix network_of(net::Prefix p) {
    unsigned bits = p.length;
    for (std::size_t i = 0; i < p.address.size(); ++i) {
        unsigned keep = bits >= 8 ? 8 : bits;
        p.address[i] &= static_cast<std::uint8_t>(0xff00u >> keep);
        bits -= keep;
    }
    return p;
}

/// The state records of the other interfaces our up brought up in this network namespace
/// that are still up (sysctls are per namespace, and so are the record names).
std::vector<State> other_live_states(const std::string& interface) {
    struct stat st {};
    // Appended rather than "." + to_string(...): GCC 12 warns falsely (-Wrestrict) on that.
    std::string suffix = ".";
    suffix += std::to_string(stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0);
    std::vector<State> states;
    DIR* dir = opendir(state_dir().c_str());
    if (!dir)
        return states;
    std::vector<std::string> names;
    while (dirent* entry = readdir(dir)) {
        std::string name = entry->d_name;
        if (name.size() > suffix.size() && name.ends_with(suffix))
            names.push_back(name.substr(0, name.size() - suffix.size()));
    }
    closedir(dir);
    for (const std::string& name : names) {
        if (name == interface)
            continue;
        std::optional<State> state = state_read(name);
        if (state && state->ifindex && state->ifindex == net::link_index(name))
            states.push_back(std::move(*state));
    }
    return states;
}

/// What another live interface recorded as the value before it set `key`, if any does.
std::optional<std::string> shared_prior(const std::string& interface, const std::string& key) {
    for (const State& state : other_live_states(interface))
        for (const Record& r : state.records)
            if (r.kind == Record::Kind::sysctl && r.name == key)
                return r.value;
    return std::nullopt;
}

void forget(std::vector<Record>& records, const std::function<bool(const Record&)>& done) {
    records.erase(std::remove_if(records.begin(), records.end(), done), records.end());
}

std::string own_interface(const std::vector<Record>& records) {
    for (const Record& r : records)
        if (r.kind == Record::Kind::link)
            return r.name;
    return {};
}

/// The forward-hook filter chains of other tables in `family` or inet, as "FAMILY TABLE CHAIN".
std::vector<std::string> forward_chains(const std::string& listing, int family,
                                        const std::string& own_table) {
    std::istringstream in(listing);
    std::string line, table, chain;
    std::vector<std::string> found;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string first, a, b;
        words >> first >> a >> b;
        if (first == "table") {
            table = a + " " + b;
        } else if (first == "chain") {
            chain = a;
        } else if (first == "type" && a == "filter" && b == "hook" &&
                   line.find(" hook forward ") != std::string::npos) {
            bool ours = table == nft_family(family) + " " + own_table;
            bool match = table.starts_with(nft_family(family) + " ") || table.starts_with("inet ");
            if (match && !ours)
                found.push_back(table + " " + chain);
        }
    }
    return found;
}

/// The accept rules, in nft words, for one family's forwarding.
std::vector<std::string> nft_accepts(const ForwardRules& rules) {
    std::string i = "\"" + rules.interface + "\"";
    std::vector<std::string> out{"iifname " + i + " oifname " + i + " accept"};
    if (rules.masquerade) {
        out.push_back("iifname " + i + " accept");
        out.push_back("oifname " + i + " ct state established,related accept");
    }
    return out;
}

} // namespace

bool Forwarding::forwards(int family) const { return family == AF_INET6 ? forward6 : forward4; }
bool Forwarding::masquerades(int family) const {
    return family == AF_INET6 ? masquerade6 : masquerade4;
}

Forwarding forwarding_of(const QuickFile& file) {
    Forwarding f;
    const std::string& fw = file.ip_forward;
    const std::string& masq = file.ip_masquerade;
    f.masquerade4 = means(masq, "yes") || means(masq, "ipv4");
    f.masquerade6 = means(masq, "yes") || means(masq, "ipv6");
    f.forward4 = means(fw, "yes") || means(fw, "ipv4") || f.masquerade4;
    f.forward6 = means(fw, "yes") || means(fw, "ipv6") || f.masquerade6;
    return f;
}

std::string forward_table(const std::string& interface) { return "wgkit-forward-" + interface; }

std::string forward_chain(const std::string& interface) { return "WGKIT-FWD-" + interface; }

std::string nft_forward_script(const ForwardRules& rules, const std::string& chains) {
    std::string pf = nft_family(rules.family);
    std::string tag = forward_table(rules.interface);
    std::string t = pf + " " + tag;
    std::string out = "add table " + t + "\n";
    // Our own chain decides nothing another table drops; it carries the same accepts so the
    // counters (`nft list table`) show what the relay passed when nothing else filters.
    out += "add chain " + t + " forward { type filter hook forward priority 0; policy accept; }\n";
    for (const std::string& rule : nft_accepts(rules))
        out += "add rule " + t + " forward " + rule + "\n";
    if (rules.masquerade) {
        out += "add chain " + t + " postrouting { type nat hook postrouting priority 100; policy accept; }\n";
        for (const net::Prefix& n : rules.networks)
            out += "add rule " + t + " postrouting oifname != \"" + rules.interface + "\" " + pf +
                   " saddr " + network_of(n).to_string() + " masquerade\n";
    }
    // An inet chain sees both families: its rules name ours.
    std::string proto = rules.family == AF_INET6 ? "meta nfproto ipv6 " : "meta nfproto ipv4 ";
    for (const std::string& chain : forward_chains(chains, rules.family, tag))
        for (const std::string& rule : nft_accepts(rules))
            out += "insert rule " + chain + " " + (chain.starts_with("inet ") ? proto : "") + rule +
                   " comment \"" + tag + "\"\n";
    return out;
}

std::string iptables_forward_script(const ForwardRules& rules) {
    const std::string& i = rules.interface;
    std::string chain = forward_chain(i);
    std::string marker = "-m comment --comment \"wg-quick(8) rule for " + i + "\"";
    std::string out = "*filter\n:" + chain + " - [0:0]\n";
    out += "-A " + chain + " -i " + i + " -o " + i + " -j ACCEPT\n";
    if (rules.masquerade) {
        out += "-A " + chain + " -i " + i + " -j ACCEPT\n";
        out += "-A " + chain + " -o " + i + " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n";
    }
    out += "-I FORWARD -j " + chain + " " + marker + "\n";
    out += "COMMIT\n";
    if (rules.masquerade) {
        out += "*nat\n";
        for (const net::Prefix& n : rules.networks)
            out += "-I POSTROUTING -s " + network_of(n).to_string() + " ! -o " + i +
                   " -j MASQUERADE " + marker + "\n";
        out += "COMMIT\n";
    }
    return out;
}

std::string nft_insert_removal(const std::string& ruleset, const std::string& tag) {
    std::istringstream in(ruleset);
    std::string line, table, chain, out;
    std::string mark = "comment \"" + tag + "\" # handle ";
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string first, a, b;
        words >> first >> a >> b;
        if (first == "table")
            table = a + " " + b;
        else if (first == "chain")
            chain = a;
        else if (std::size_t at = line.find(mark); at != std::string::npos)
            out += "delete rule " + table + " " + chain + " handle " + line.substr(at + mark.size()) + "\n";
    }
    return out;
}

void add_forward_steps(std::vector<Step>& steps, const QuickFile& file, const Facts& facts) {
    Forwarding wanted = forwarding_of(file);
    const std::string& ifname = file.interface;
    for (int family : {AF_INET, AF_INET6}) {
        if (!wanted.forwards(family))
            continue;
        ForwardRules rules{family, ifname, wanted.masquerades(family), {}};
        for (const std::string& text : file.addresses)
            if (std::optional<net::Prefix> p = net::Prefix::parse(text); p && p->family == family)
                rules.networks.push_back(*p);
        if (facts.use_nft) {
            steps.push_back({"nft -f /dev/fd/63", [rules](StepContext& ctx) {
                                 std::string tag = forward_table(rules.interface);
                                 net::nft_run(nft_forward_script(rules, net::nft_output("list chains", false)));
                                 ctx.records.push_back({Record::Kind::nft, tag, {}, rules.family});
                                 ctx.records.push_back({Record::Kind::nft_insert, tag, {}, rules.family});
                             }});
        } else {
            std::string program = family == AF_INET6 ? "ip6tables-restore" : "iptables-restore";
            std::string input = iptables_forward_script(rules);
            steps.push_back({program + " -n", [=](StepContext& ctx) {
                                 // Recorded first: a partial restore still leaves rules to find.
                                 // One record per family: its removal takes every rule with the
                                 // interface's comment, a default route's as well as ours.
                                 Record record{Record::Kind::iptables, ifname, {}, family};
                                 auto same = [&](const Record& r) { return r.serialize() == record.serialize(); };
                                 if (std::none_of(ctx.records.begin(), ctx.records.end(), same))
                                     ctx.records.push_back(record);
                                 net::iptables_restore(family, input);
                             }});
        }
    }
    for (int family : {AF_INET, AF_INET6}) {
        if (!wanted.forwards(family))
            continue;
        std::string key = sysctl_key(family);
        steps.push_back({"sysctl -q " + key + "=1", [key, ifname](StepContext& ctx) {
                             // A second relay inherits the first one's prior value, so whichever
                             // goes down last restores what the host had.
                             std::string prior = shared_prior(ifname, key).value_or(net::sysctl_read(key));
                             ctx.records.push_back({Record::Kind::sysctl, key, {}, 0, prior});
                             net::sysctl_write(key, "1");
                         }});
    }
}

void forward_undo_steps(std::vector<Step>& steps, const std::vector<Record>& records) {
    std::set<std::string> tags;
    for (const Record& r : records)
        if (r.kind == Record::Kind::nft_insert)
            tags.insert(r.name);
    for (const std::string& tag : tags) {
        std::string script;
        try {
            script = nft_insert_removal(net::nft_output("list ruleset", true), tag);
        } catch (const Error&) {
        }
        if (!script.empty())
            steps.push_back({"nft -f /dev/fd/63", [script, tag](StepContext& ctx) {
                                 net::nft_run(script);
                                 forget(ctx.records, [&](const Record& x) {
                                     return x.kind == Record::Kind::nft_insert && x.name == tag;
                                 });
                             }});
    }
    std::string interface = own_interface(records);
    for (const Record& r : records) {
        if (r.kind != Record::Kind::sysctl || r.value == "1" || shared_prior(interface, r.name))
            continue;
        steps.push_back({"sysctl -q " + r.name + "=" + r.value, [r](StepContext& ctx) {
                             net::sysctl_write(r.name, r.value);
                             forget(ctx.records, [&](const Record& x) {
                                 return x.kind == Record::Kind::sysctl && x.name == r.name;
                             });
                         }});
    }
}

} // namespace wgkit::quick
