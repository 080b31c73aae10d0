// SPDX-License-Identifier: MIT
// Links: create a WireGuard link, delete it, set MTU and up, read MTU (rtnetlink via libnl).
#include <net/if.h>

#include <string>

#include <netlink/route/link.h>

#include <wgkit/net.h>
#include <wgkit/wireguard.h>

#include "netlink.h"

namespace wgkit::net {
namespace {

using LinkPtr = std::unique_ptr<rtnl_link, detail::Deleter<rtnl_link, rtnl_link_put>>;

LinkPtr new_link(std::string_view name) {
    LinkPtr link(rtnl_link_alloc());
    if (!link)
        throw Error("Cannot allocate link", ENOMEM);
    rtnl_link_set_name(link.get(), std::string(name).c_str());
    return link;
}

} // namespace

unsigned link_index(std::string_view name) {
    return if_nametoindex(std::string(name).c_str());
}

void link_add_wireguard(std::string_view name) {
    detail::RouteSocket sock;
    LinkPtr link = new_link(name);
    detail::check(rtnl_link_set_type(link.get(), "wireguard"));
    int err = rtnl_link_add(sock.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0) {
        int code = detail::errno_of(err);
        // iproute2 prints the kernel's extack text for a missing link kind.
        if (code == EOPNOTSUPP)
            throw Error("Error: Unknown device type.", code);
        detail::check(err);
    }
}

void link_delete(std::string_view name) {
    // The kernel is slow to delete a WireGuard link that still holds peers (36 s with 3,000
    // peers in the kernel lab) but removes them quickly in one SET_DEVICE (0.1 s): so remove
    // them first. Not a kernel WireGuard link (or gone already): nothing to do here.
    try {
        Device empty;
        empty.name = std::string(name);
        empty.replace_peers = true;
        genl::set_device(empty);
    } catch (const Error&) {
    }
    detail::RouteSocket sock;
    LinkPtr link = new_link(name);
    int err = rtnl_link_delete(sock.get(), link.get());
    if (err < 0 && detail::errno_of(err) == ENODEV)
        throw Error("Cannot find device \"" + std::string(name) + "\"", ENODEV);
    detail::check(err);
}

void link_set_mtu_up(std::string_view name, unsigned mtu) {
    unsigned index = link_index(name);
    if (!index)
        throw Error("Cannot find device \"" + std::string(name) + "\"", ENODEV);
    detail::RouteSocket sock;
    LinkPtr orig(rtnl_link_alloc());
    rtnl_link_set_ifindex(orig.get(), static_cast<int>(index));
    LinkPtr change(rtnl_link_alloc());
    rtnl_link_set_mtu(change.get(), mtu);
    rtnl_link_set_flags(change.get(), IFF_UP);
    detail::check(rtnl_link_change(sock.get(), orig.get(), change.get(), 0));
}

unsigned link_mtu(unsigned ifindex) {
    detail::RouteSocket sock;
    rtnl_link* raw = nullptr;
    if (rtnl_link_get_kernel(sock.get(), static_cast<int>(ifindex), nullptr, &raw) < 0)
        return 0;
    LinkPtr link(raw);
    return rtnl_link_get_mtu(link.get());
}

} // namespace wgkit::net
