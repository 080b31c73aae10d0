// SPDX-License-Identifier: MIT
#pragma once

// Internal to lib/quick: IPForward and IPMasquerade (wgkit extensions) — the forwarding
// sysctls and the firewall that lets a relay or exit server pass its peers' traffic.

#include <string>
#include <vector>

#include <wgkit/quick.h>

namespace wgkit::quick {

/// The families a file asks to forward and to masquerade; masquerading a family implies
/// forwarding it (as systemd-networkd does).
struct Forwarding {
    bool forward4 = false, forward6 = false;
    bool masquerade4 = false, masquerade6 = false;

    bool forwards(int family) const;
    bool masquerades(int family) const;
    bool any() const { return forward4 || forward6; }
};
Forwarding forwarding_of(const QuickFile& file);

/// One family's firewall for a forwarding interface: the single description both renderings
/// below come from.
struct ForwardRules {
    int family = 0;
    std::string interface;
    bool masquerade = false;
    std::vector<net::Prefix> networks; ///< the file's Address values (masquerade sources)
};

/// Name of our nft table (per family) and the comment on rules put into other tables.
std::string forward_table(const std::string& interface);
/// Name of our iptables chain in the filter table (FORWARD jumps to it).
std::string forward_chain(const std::string& interface);

/// The nft script of our table `wgkit-forward-IF`, plus an `insert rule` at the top of every
/// other forward-hook filter chain of the family listed in `chains` (`nft list chains`
/// output): an accept in our own table cannot overrule another table's drop.
std::string nft_forward_script(const ForwardRules& rules, const std::string& chains);
/// The `iptables-restore -n` input: chain WGKIT-FWD-IF, FORWARD's jump to it, the MASQUERADE.
std::string iptables_forward_script(const ForwardRules& rules);
/// The nft script deleting every rule commented `tag` in `ruleset` (`nft -a list ruleset`).
std::string nft_insert_removal(const std::string& ruleset, const std::string& tag);

/// The firewall and sysctl steps of `up` for the file's IPForward/IPMasquerade.
void add_forward_steps(std::vector<Step>& steps, const QuickFile& file, const Facts& facts);
/// The steps undoing the sysctl and nft_insert records (our nft table and iptables rules are
/// nft and iptables records, undone with the rest of the firewall). A sysctl that another
/// live interface of ours also recorded stays on; a prior value of 1 needs nothing.
void forward_undo_steps(std::vector<Step>& steps, const std::vector<Record>& records);

} // namespace wgkit::quick
