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

/// True when the first `bits` bits of a and b agree.
bool same_bits(const std::uint8_t* a, const std::uint8_t* b, unsigned bits) {
    unsigned whole = bits / 8;
    if (!std::equal(a, a + whole, b))
        return false;
    unsigned rest = bits % 8;
    if (!rest)
        return true;
    std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
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

void route_add(const Route& r) {
    detail::RouteSocket sock;
    detail::check(rtnl_route_add(sock.get(), route_object(r).get(), NLM_F_CREATE | NLM_F_EXCL));
}

void route_delete(const Route& r) {
    detail::RouteSocket sock;
    detail::check(rtnl_route_delete(sock.get(), route_object(r).get(), 0));
}

std::vector<Route> route_list_static(unsigned ifindex) {
    std::vector<Route> out;
    detail::RouteSocket sock;
    for (int family : {AF_INET, AF_INET6}) {
        detail::CachePtr cache = route_cache(sock, family);
        for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
            auto* route = reinterpret_cast<rtnl_route*>(o);
            if (rtnl_route_get_protocol(route) != RTPROT_BOOT || first_oif(route) != static_cast<int>(ifindex))
                continue;
            Route r;
            r.table = rtnl_route_get_table(route);
            r.ifindex = ifindex;
            r.destination.family = family;
            if (nl_addr* dst = rtnl_route_get_dst(route)) {
                r.destination.length = static_cast<std::uint8_t>(nl_addr_get_prefixlen(dst));
                std::copy_n(static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(dst)),
                            std::min<unsigned>(nl_addr_get_len(dst), 16), r.destination.address.begin());
            }
            out.push_back(r);
        }
    }
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

bool route_covers(unsigned ifindex, const Prefix& prefix) {
    detail::RouteSocket sock;
    detail::CachePtr cache = route_cache(sock, prefix.family);
    for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
        auto* route = reinterpret_cast<rtnl_route*>(o);
        if (rtnl_route_get_table(route) != RT_TABLE_MAIN ||
            first_oif(route) != static_cast<int>(ifindex))
            continue;
        nl_addr* dst = rtnl_route_get_dst(route);
        unsigned len = dst ? nl_addr_get_prefixlen(dst) : 0;
        if (len > prefix.length)
            continue;
        if (len == 0 || same_bits(static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(dst)),
                                  prefix.address.data(), len))
            return true;
    }
    return false;
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
