// SPDX-License-Identifier: MIT
// Addresses of a link (rtnetlink via libnl).
#include <algorithm>
#include <string>

#include <netlink/route/addr.h>

#include <wgkit/net.h>

#include "netlink.h"

namespace wgkit::net {
namespace {

using RtAddrPtr = std::unique_ptr<rtnl_addr, detail::Deleter<rtnl_addr, rtnl_addr_put>>;

unsigned require_link(std::string_view name) {
    unsigned index = link_index(name);
    if (!index)
        throw Error("Cannot find device \"" + std::string(name) + "\"", ENODEV);
    return index;
}

/// The address `ip address add|del PREFIX dev NAME` names.
RtAddrPtr address_object(std::string_view name, const Prefix& prefix) {
    unsigned index = require_link(name);
    RtAddrPtr addr(rtnl_addr_alloc());
    unsigned bytes = prefix.family == AF_INET ? 4 : 16;
    detail::AddrPtr local(nl_addr_build(prefix.family, prefix.address.data(), bytes));
    nl_addr_set_prefixlen(local.get(), prefix.length);
    rtnl_addr_set_ifindex(addr.get(), static_cast<int>(index));
    detail::check(rtnl_addr_set_local(addr.get(), local.get()));
    return addr;
}

} // namespace

void address_add(std::string_view name, const Prefix& prefix) {
    RtAddrPtr addr = address_object(name, prefix);
    detail::RouteSocket sock;
    // Like `ip address add`, an IPv4 address gets the broadcast-less form and the kernel
    // derives the prefix route; no flags are set.
    detail::check(rtnl_addr_add(sock.get(), addr.get(), NLM_F_CREATE | NLM_F_EXCL));
}

void address_delete(std::string_view name, const Prefix& prefix) {
    RtAddrPtr addr = address_object(name, prefix);
    detail::RouteSocket sock;
    detail::check(rtnl_addr_delete(sock.get(), addr.get(), 0));
}

std::vector<Prefix> address_list(std::string_view name, int family) {
    unsigned index = link_index(name);
    std::vector<Prefix> out;
    if (!index)
        return out;
    detail::RouteSocket sock;
    nl_cache* raw = nullptr;
    detail::check(rtnl_addr_alloc_cache(sock.get(), &raw));
    detail::CachePtr cache(raw);
    for (nl_object* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
        auto* addr = reinterpret_cast<rtnl_addr*>(obj);
        if (rtnl_addr_get_ifindex(addr) != static_cast<int>(index) ||
            rtnl_addr_get_family(addr) != family)
            continue;
        nl_addr* local = rtnl_addr_get_local(addr);
        if (!local)
            continue;
        Prefix p;
        p.family = family;
        unsigned len = nl_addr_get_len(local);
        std::copy_n(static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(local)),
                    std::min<unsigned>(len, 16), p.address.begin());
        p.length = static_cast<std::uint8_t>(rtnl_addr_get_prefixlen(addr));
        out.push_back(p);
    }
    return out;
}

} // namespace wgkit::net
