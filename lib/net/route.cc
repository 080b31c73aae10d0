// SPDX-License-Identifier: MIT
// Routes: add, query a table, test coverage, look up the MTU towards an address (libnl).
#include <linux/rtnetlink.h>

#include <algorithm>
#include <string>

#include <netlink/route/route.h>

#include <wgkit/net.h>

#include "netlink.h"

namespace wgkit::net {
namespace {

using RoutePtr = std::unique_ptr<rtnl_route, detail::Deleter<rtnl_route, rtnl_route_put>>;

detail::AddrPtr to_nl_addr(const Prefix& p) {
    unsigned bytes = p.family == AF_INET ? 4 : 16;
    detail::AddrPtr addr(nl_addr_build(p.family, p.address.data(), bytes));
    if (!addr)
        throw Error("Cannot allocate address", ENOMEM);
    nl_addr_set_prefixlen(addr.get(), p.length);
    return addr;
}

detail::CachePtr route_cache(detail::RouteSocket& sock, int family) {
    nl_cache* raw = nullptr;
    detail::check(rtnl_route_alloc_cache(sock.get(), family, 0, &raw));
    return detail::CachePtr(raw);
}

/// Calls visit(route, family) for every route of every table, IPv4 then IPv6, in dump order.
template <typename Visit>
void for_each_route(Visit visit) {
    detail::RouteSocket sock;
    for (int family : {AF_INET, AF_INET6}) {
        detail::CachePtr cache = route_cache(sock, family);
        for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o))
            visit(reinterpret_cast<rtnl_route*>(o), family);
    }
}

/// A dumped route's destination (a default route has none: the family's /0).
Prefix destination(rtnl_route* route, int family) {
    Prefix p;
    p.family = family;
    if (nl_addr* dst = rtnl_route_get_dst(route)) {
        p.length = static_cast<std::uint8_t>(nl_addr_get_prefixlen(dst));
        std::copy_n(static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(dst)),
                    std::min<unsigned>(nl_addr_get_len(dst), 16), p.address.begin());
    }
    return p;
}

int first_oif(rtnl_route* route) {
    if (rtnl_route_get_nnexthops(route) < 1)
        return 0;
    return rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(route, 0));
}

/// The `mtu N` of a route's metrics, else the MTU of its device (what wg-quick's regexes
/// pick from `ip route get` / `ip route show` and `ip link show`).
unsigned mtu_of(rtnl_route* route) {
    std::uint32_t mtu = 0;
    if (rtnl_route_get_metric(route, RTAX_MTU, &mtu) == 0 && mtu)
        return mtu;
    int oif = first_oif(route);
    return oif > 0 ? link_mtu(static_cast<unsigned>(oif)) : 0;
}

/// The route `ip route add|del DEST dev IF table T` names (proto boot, link scope).
RoutePtr route_object(const Route& r) {
    RoutePtr route(rtnl_route_alloc());
    detail::AddrPtr dst = to_nl_addr(r.destination);
    detail::check(rtnl_route_set_family(route.get(), static_cast<std::uint8_t>(r.destination.family)));
    detail::check(rtnl_route_set_dst(route.get(), dst.get()));
    rtnl_route_set_table(route.get(), r.table);
    rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
    // iproute2 gives a gatewayless unicast route link scope.
    rtnl_route_set_scope(route.get(), RT_SCOPE_LINK);
    detail::check(rtnl_route_set_type(route.get(), RTN_UNICAST));
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    rtnl_route_nh_set_ifindex(nh, static_cast<int>(r.ifindex));
    rtnl_route_add_nexthop(route.get(), nh); // the route owns nh now
    return route;
}

} // namespace

RouteSession::RouteSession() : socket_(std::make_unique<detail::RouteSocket>()) {}

RouteSession::~RouteSession() = default;

void RouteSession::add(const Route& r) {
    detail::check(rtnl_route_add(socket_->get(), route_object(r).get(), NLM_F_CREATE | NLM_F_EXCL));
}

void RouteSession::remove(const Route& r) {
    detail::check(rtnl_route_delete(socket_->get(), route_object(r).get(), 0));
}

void route_add(const Route& r) {
    RouteSession().add(r);
}

void route_delete(const Route& r) {
    RouteSession().remove(r);
}

std::vector<Route> route_list_static(unsigned ifindex) {
    std::vector<Route> out;
    for_each_route([&](rtnl_route* route, int family) {
        if (rtnl_route_get_protocol(route) == RTPROT_BOOT && first_oif(route) == static_cast<int>(ifindex))
            out.push_back({destination(route, family), rtnl_route_get_table(route), ifindex});
    });
    return out;
}

bool route_table_in_use(int family, std::uint32_t table) {
    detail::RouteSocket sock;
    detail::CachePtr cache = route_cache(sock, family);
    for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o))
        if (rtnl_route_get_table(reinterpret_cast<rtnl_route*>(o)) == table)
            return true;
    return false;
}

std::vector<Prefix> main_routes_through(unsigned ifindex) {
    std::vector<Prefix> out;
    for_each_route([&](rtnl_route* route, int family) {
        if (rtnl_route_get_table(route) == RT_TABLE_MAIN && first_oif(route) == static_cast<int>(ifindex))
            out.push_back(destination(route, family));
    });
    return out;
}

unsigned route_get_mtu(const Prefix& address) {
    detail::RouteSocket sock;
    Prefix host = address;
    host.length = address.family == AF_INET ? 32 : 128;
    detail::AddrPtr dst = to_nl_addr(host);
    rtnl_route* raw = nullptr;
    if (rtnl_route_lookup(sock.get(), dst.get(), &raw) < 0 || !raw)
        return 0;
    RoutePtr route(raw);
    return mtu_of(route.get());
}

unsigned default_route_mtu() {
    detail::RouteSocket sock;
    detail::CachePtr cache = route_cache(sock, AF_INET);
    for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
        auto* route = reinterpret_cast<rtnl_route*>(o);
        nl_addr* dst = rtnl_route_get_dst(route);
        if (rtnl_route_get_table(route) == RT_TABLE_MAIN && (!dst || nl_addr_get_prefixlen(dst) == 0))
            return mtu_of(route);
    }
    return 0;
}

} // namespace wgkit::net
