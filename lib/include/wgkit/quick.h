// SPDX-License-Identifier: MIT
#pragma once

// wg-quick's engine: the config splitter (wg-quick's own line parser), the plan (ordered
// steps, each with the `[#] ...` line the original prints for the equivalent command, an
// action and what to record for undo), apply (runs steps, records each in a state file,
// undoes in reverse on failure or SIGINT/SIGTERM) and down/save/strip.
//
// Thread safety: split_config, the plan functions and strip are pure. up, down and save change
// the host, write the state record and install process-wide SIGINT/SIGTERM handlers: call them
// from one thread at a time per process, as the wg-quick CLI does.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wgkit/device.h>
#include <wgkit/error.h>
#include <wgkit/net.h>

namespace wgkit::quick {

/// What wg-quick's bash parser takes from a config file (reference §4.2). Values are kept as
/// written; they are checked when a step uses them, as the original does.
struct QuickFile {
    std::string interface;                   ///< from the file name
    std::string path;                        ///< the resolved path
    std::vector<std::string> addresses;      ///< split on ',' and whitespace
    std::vector<std::string> dns;            ///< nameservers: digits and dots, or a ':'
    std::vector<std::string> dns_search;     ///< every other DNS token
    std::string mtu;                         ///< "" when unset
    std::string table;                       ///< "" when unset
    std::vector<std::string> pre_up, post_up, pre_down, post_down; ///< raw, '#' kept
    bool save_config = false;
    /// wgkit extensions (systemd-networkd's names): "yes", "no", "ipv4" or "ipv6" as written,
    /// "" when unset; split_config refuses any other value.
    std::string ip_forward;
    std::string ip_masquerade;
    /// Every line not consumed, verbatim (as `read -r` left it), each plus '\n'.
    std::string wg_config;
};

/// Splits config text exactly as linux.bash's parse_options does. Throws Error
/// ("`X' is neither true nor false") for a bad SaveConfig.
QuickFile split_config(std::string_view text);
/// The same, naming `path` in the "PATH:LINE: ..." error for a bad IPForward or IPMasquerade.
QuickFile split_config(std::string_view text, std::string_view path);

/// The interface name a path or name argument stands for, and the file to read; throws
/// Error with the original's messages. `warn` receives the world-accessible warning.
struct ConfigLocation {
    std::string interface;
    std::string path; ///< resolved (readlink -f)
};
ConfigLocation locate_config(std::string_view argument,
                             const std::function<void(const std::string&)>& warn);

/// The interface name an argument names (a bare name, or NAME.conf at the end of a path),
/// without looking at the file system.
std::optional<std::string> interface_of_argument(std::string_view argument);

/// True when a state record of our own `up` exists for `interface`.
bool has_record(std::string_view interface);

/// Reads and splits the file at `location`.
QuickFile read_config(const ConfigLocation& location);

/// Device for the passthrough part with `wg addconf` semantics: only what the text sets.
Device passthrough_device(const QuickFile& file);

// ---- the plan ------------------------------------------------------------------------------

/// One entry of the state record: what a step did that must be undone.
struct Record {
    /// sysctl: a forwarding switch up set (name = key, value = what it was before, or what an
    /// earlier interface recorded). nft_insert: rules commented `name` that up inserted into
    /// other tables' forward chains (IPForward/IPMasquerade). forward: nothing to undo; `name`
    /// says which forwarding up set (reload compares it with the file's).
    enum class Kind { link, rule, dns, nft, iptables, sysctl, nft_insert, forward };
    Kind kind = Kind::link;
    std::string name;                       ///< link, resolvconf or nft table name
    net::Rule rule;                         ///< for Kind::rule
    int family = 0;                         ///< for nft, iptables, nft_insert
    std::string value{};                    ///< for sysctl

    std::string serialize() const;
    static std::optional<Record> parse(std::string_view line);
};

/// Where the engine talks: `[#] ...` lines and notices go to `narrate` (stderr in the CLI).
struct Io {
    std::function<void(const std::string&)> narrate;
    /// --dry-run (a wgkit extension): narrate every step as a real run would, change nothing.
    /// Facts are still read; hooks are narrated, not run; no record is written.
    bool dry_run = false;
};

/// What a running step sees: where to narrate, and the record it appends to (the action
/// fills it itself, since e.g. a rule's priority is known only once the kernel chose it).
struct StepContext {
    const Io& io;
    std::vector<Record>& records;
    /// The socket route steps share for a run of steps, opened by the first that asks.
    std::optional<net::RouteSession> route_session = std::nullopt;

    net::RouteSession& routes() {
        if (!route_session)
            route_session.emplace();
        return *route_session;
    }
};

/// One step of `up`: the transcript line (without "[#] ") and what to do.
struct Step {
    std::string transcript;
    std::function<void(StepContext&)> action;
};

/// Facts about the host read between phases; plan functions are pure over them.
struct Facts {
    std::optional<std::uint32_t> fwmark;     ///< the device's fwmark, when non-zero
    std::uint32_t free_table = 51820;        ///< first table from 51820 with no routes
    /// The device's allowed IPs after the config step, sorted as `sort -nr -k 2 -t /`, each
    /// with whether `ip route show dev IF match` already finds a route for it.
    std::vector<std::pair<net::Prefix, bool>> covered;
    bool src_valid_mark = false;             ///< net.ipv4.conf.all.src_valid_mark is 1
    bool use_nft = true;                     ///< nftables works (else iptables-restore)
    std::vector<net::Prefix> addresses4, addresses6; ///< of the link, for the firewall
    unsigned auto_mtu = 1500;                ///< smallest endpoint route MTU, default, 1500
    std::string dns_prefix;                  ///< resolvconf interface prefix
    unsigned ifindex = 0;
};

/// Everything `up` does, in order, with its three phases planned from the facts known
/// before each: (1) link, PreUp, config; (2) addresses, MTU, DNS; (3) routes, policy
/// routing, firewall, PostUp.
std::vector<Step> plan_link_and_config(const QuickFile& file);
std::vector<Step> plan_addresses_mtu_dns(const QuickFile& file, const Facts& facts);
std::vector<Step> plan_routes_and_post_up(const QuickFile& file, const Facts& facts);

/// What up gives `resolvconf -a` for the file's DNS lines (reload compares it with the entry).
std::string resolvconf_input(const QuickFile& file);

/// Reads the facts phase 2 and 3 need (after the config step ran).
Facts gather_facts(const QuickFile& file, bool for_routes);
/// The same from a given device (what the config step made or will make), with `covered`
/// deciding whether the link already has a main-table route for an allowed IP: what
/// --dry-run plans from before anything exists, and what reload plans the new state from.
Facts gather_facts(const QuickFile& file, bool for_routes, const Device& device,
                   const std::function<bool(const net::Prefix&)>& covered);
/// `covered` for a link that has the file's addresses and nothing else: an allowed IP lies
/// in the prefix route the kernel makes for one of them.
bool covered_by_addresses(const QuickFile& file, const net::Prefix& allowed_ip);

// ---- running -------------------------------------------------------------------------------

/// `wg-quick up`. Throws Error when it failed (after undoing everything it did).
void up(const QuickFile& file, const Io& io);
/// `wg-quick down`.
void down(const QuickFile& file, const Io& io);
/// `wg-quick reload` (a wgkit extension): brings a link that our `up` made to the file's
/// state by the smallest changes (peers, addresses, MTU, DNS, routes, policy rules,
/// firewall) without running hooks, and updates the record. Throws Error when the link is
/// not a WireGuard interface, has no record, or a step failed (what was done stays, recorded).
void reload(const QuickFile& file, const Io& io);
/// `wg-quick save`.
void save(const QuickFile& file, const Io& io);
/// `wg-quick strip`: the passthrough text plus one newline.
std::string strip(const QuickFile& file);

/// The state record directory (WGKIT_RUNSTATEDIR/wgkit/quick).
std::string state_dir();

} // namespace wgkit::quick
