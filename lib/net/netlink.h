// SPDX-License-Identifier: MIT
#pragma once

// Internal to lib/net: RAII for libnl objects and errors in iproute2's words.

#include <memory>
#include <string>

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

namespace wgkit::net::detail {

/// A connected NETLINK_ROUTE socket.
class RouteSocket {
public:
    RouteSocket();
    ~RouteSocket();
    RouteSocket(const RouteSocket&) = delete;
    RouteSocket& operator=(const RouteSocket&) = delete;
    nl_sock* get() const noexcept { return sock_; }

private:
    nl_sock* sock_;
};

template <typename T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const noexcept { Free(p); }
};

using CachePtr = std::unique_ptr<nl_cache, Deleter<nl_cache, nl_cache_free>>;
using MsgPtr = std::unique_ptr<nl_msg, Deleter<nl_msg, nlmsg_free>>;
using AddrPtr = std::unique_ptr<nl_addr, Deleter<nl_addr, nl_addr_put>>;

/// The errno behind a libnl error code (negative NLE_*).
int errno_of(int nlerr) noexcept;

/// Throws Error("RTNETLINK answers: <strerror>") for a negative libnl return value.
void check(int nlerr);

} // namespace wgkit::net::detail
