// SPDX-License-Identifier: MIT
#pragma once

// The host adapters wg-quick needs: links, addresses, routes, rules (rtnetlink through
// libnl-route-3), nftables (libnftables), iptables-restore, sysctl and resolvconf.
// Each function does one thing, throws wgkit::Error on failure and never prints.
// Everything acts on the calling thread's network namespace.
// Thread safety: no shared state except that spawning a program (resolvconf, iptables-restore,
// hooks) installs process-wide SIGINT/SIGTERM handlers that interrupted() reports; use these
// functions from one thread per process when signals matter, otherwise from any thread.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wgkit/error.h>

namespace wgkit::net {

/// An address with a prefix length, IPv4 or IPv6.
struct Prefix {
    int family = 0; ///< AF_INET or AF_INET6
    std::array<std::uint8_t, 16> address{};
    std::uint8_t length = 0;

    /// "a.b.c.d[/n]" or "x::y[/n]" as `ip` accepts them; without "/n" the host length.
    static std::optional<Prefix> parse(std::string_view text);
    std::string address_string() const;
    std::string to_string() const; ///< address "/" length
    /// `other` lies within this prefix: the same family, a length no shorter than this one's,
    /// and the same first `length` bits (so a /0 contains every prefix of its family).
    bool contains(const Prefix& other) const noexcept;
    friend bool operator==(const Prefix&, const Prefix&) = default;
};

// --- link.cc -------------------------------------------------------------------------------
/// Interface index of `name`, 0 when there is no such link.
unsigned link_index(std::string_view name);
/// `ip link add dev NAME type wireguard`. Throws Error with code() = errno (EOPNOTSUPP when
/// the kernel has no WireGuard).
void link_add_wireguard(std::string_view name);
/// `ip link delete dev NAME`.
void link_delete(std::string_view name);
/// `ip link set mtu MTU up dev NAME`.
void link_set_mtu_up(std::string_view name, unsigned mtu);
/// The MTU of link `ifindex`, 0 if unknown.
unsigned link_mtu(unsigned ifindex);

// --- address.cc ----------------------------------------------------------------------------
/// `ip -4|-6 address add PREFIX dev NAME`.
void address_add(std::string_view name, const Prefix& prefix);
/// Addresses of a link in kernel dump order (`ip -o -4|-6 addr show dev NAME`).
std::vector<Prefix> address_list(std::string_view name, int family);
/// `ip -4|-6 address del PREFIX dev NAME`.
void address_delete(std::string_view name, const Prefix& prefix);

// --- route.cc ------------------------------------------------------------------------------
namespace detail {
class RouteSocket;
}

struct Route {
    Prefix destination;
    std::uint32_t table = 254; ///< RT_TABLE_MAIN
    unsigned ifindex = 0;
    friend bool operator==(const Route&, const Route&) = default;
};
/// `ip -4|-6 route add DEST dev IF [table T]` (proto boot, scope link for IPv4).
void route_add(const Route& route);

/// One rtnetlink socket for a run of route changes. `wg-quick up` adds a route per allowed
/// IP, and a socket of its own for each (open, bind, set up, close) was most of its system
/// time with 10,000 of them. The socket stays in the network namespace it was opened in.
class RouteSession {
public:
    RouteSession(); ///< opens the socket; throws Error as route_add would
    ~RouteSession();
    RouteSession(const RouteSession&) = delete;
    RouteSession& operator=(const RouteSession&) = delete;
    /// route_add over this session's socket.
    void add(const Route& route);
    /// route_delete over this session's socket.
    void remove(const Route& route);

private:
    std::unique_ptr<detail::RouteSocket> socket_;
};

/// True when `ip -4|-6 route show table T` prints something.
bool route_table_in_use(int family, std::uint32_t table);
/// The destinations of the main-table routes through link `ifindex`, both families: what
/// `ip -4|-6 route show dev IF` lists, in one dump per family. `ip route show dev IF match P`
/// prints something exactly when one of them contains P; wg-quick asks that for every
/// allowed IP, and the original dumps the whole table each time.
std::vector<Prefix> main_routes_through(unsigned ifindex);
/// The MTU `ip route get ADDR` reports, or else the MTU of its device; 0 when none.
unsigned route_get_mtu(const Prefix& address);
/// The same for the first IPv4 default route of the main table (`ip route show default`).
unsigned default_route_mtu();
/// Resolves a routing table name as `ip` does (number, or a name from rt_tables files).
std::optional<std::uint32_t> route_table_id(std::string_view name);
/// The routes through link `ifindex` in every table that `ip route add` made (proto boot),
/// both families, in dump order: what wg-quick added, as the kernel's own are proto kernel.
std::vector<Route> route_list_static(unsigned ifindex);
/// `ip -4|-6 route del DEST dev IF table T`.
void route_delete(const Route& route);

// --- rule.cc -------------------------------------------------------------------------------
/// The two kinds of policy rule wg-quick makes.
struct Rule {
    int family = 0;
    std::uint32_t table = 0;
    std::optional<std::uint32_t> not_fwmark;     ///< "not fwmark N"
    std::optional<std::uint8_t> suppress_prefix; ///< "suppress_prefixlength N"
    std::uint32_t priority = 0;                  ///< from a dump; 0 = let the kernel choose
    friend bool operator==(const Rule&, const Rule&) = default;
};
void rule_add(const Rule& rule);
/// Deletes the first rule matching `rule` (priority included when non-zero).
void rule_delete(const Rule& rule);
/// The rules of one family in dump order.
std::vector<Rule> rule_list(int family);

// --- sysctl.cc -----------------------------------------------------------------------------
/// Reads /proc/sys/KEY (dots become slashes), without the trailing newline.
std::string sysctl_read(std::string_view key);
void sysctl_write(std::string_view key, std::string_view value);

// --- firewall.cc ---------------------------------------------------------------------------
/// True when nftables works here (libnftables can list the ruleset).
bool nft_available();
/// Runs an nft script in one transaction (what `nft -f` does). Throws Error with nft's text.
void nft_run(std::string_view script);
/// `nft list tables` output.
std::string nft_list_tables();
/// The output of an nft command (`list ruleset`, `list chains`), with rule handles as
/// `nft -a` prints them when `handles`.
std::string nft_output(std::string_view command, bool handles);
/// Feeds `iptables-restore -n` (family AF_INET) or `ip6tables-restore -n`.
void iptables_restore(int family, std::string_view input);
/// `iptables-save` / `ip6tables-save` output.
std::string iptables_save(int family);

// --- dns.cc --------------------------------------------------------------------------------
/// The resolvconf interface prefix ("tun." on Debian): from the first `NAME*` line of
/// /etc/resolvconf/interface-order, only when `resolvconf` on PATH is not a symlink.
std::string resolvconf_prefix();
/// `resolvconf -a NAME -m 0 -x` with `input` on stdin.
void resolvconf_add(std::string_view name, std::string_view input);
/// `resolvconf -d NAME -f`.
void resolvconf_delete(std::string_view name);
/// `resolvconf -l NAME` output ("" when that fails).
std::string resolvconf_list(std::string_view name);

// --- spawn.cc ------------------------------------------------------------------------------
/// Runs argv (PATH lookup), feeding `input` on stdin; stdout and stderr are inherited unless
/// `output` is given, which then receives stdout. Returns the wait status (see WEXITSTATUS).
/// While it waits, SIGINT/SIGTERM noted by `interrupted()` are forwarded to the child.
int run_program(const std::vector<std::string>& argv, std::string_view input = {},
                std::string* output = nullptr);
/// The full path of `program` on PATH, empty when not found.
std::string find_in_path(std::string_view program);
/// Installs SIGINT/SIGTERM handlers that only note the signal.
void catch_interrupts();
/// The signal caught since catch_interrupts(), 0 if none.
int interrupted();

} // namespace wgkit::net
