// SPDX-License-Identifier: MIT
#include "netlink.h"

#include <cerrno>
#include <cstring>

#include <netlink/errno.h>

#include <wgkit/error.h>

namespace wgkit::net::detail {

RouteSocket::RouteSocket() : sock_(nl_socket_alloc()) {
    if (!sock_)
        throw Error("Cannot open netlink socket: Cannot allocate memory", ENOMEM);
    int err = nl_connect(sock_, NETLINK_ROUTE);
    if (err < 0) {
        nl_socket_free(sock_);
        throw Error(std::string("Cannot open netlink socket: ") + nl_geterror(err), errno_of(err));
    }
}

RouteSocket::~RouteSocket() { nl_socket_free(sock_); }

int errno_of(int nlerr) noexcept {
    // libnl folds errno into NLE_* codes (nl_syserr2nlerr); this is its inverse for the codes
    // the kernel can send back, so messages read like iproute2's "RTNETLINK answers: ...".
    switch (nlerr < 0 ? -nlerr : nlerr) {
    case NLE_EXIST: return EEXIST;
    case NLE_INVAL: return EINVAL;
    case NLE_OPNOTSUPP: return EOPNOTSUPP;
    case NLE_OBJ_NOTFOUND: return ENOENT;
    case NLE_NODEV: return ENODEV;
    case NLE_PERM: return EPERM;
    case NLE_NOACCESS: return EACCES;
    case NLE_RANGE: return ERANGE;
    case NLE_NOMEM: return ENOMEM;
    case NLE_BUSY: return EBUSY;
    case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
    case NLE_PROTO_MISMATCH: return EPROTONOSUPPORT;
    case NLE_NOADDR: return EADDRNOTAVAIL;
    case NLE_AGAIN: return EAGAIN;
    case NLE_INTR: return EINTR;
    case NLE_MSGSIZE: return EMSGSIZE;
    default: return EIO;
    }
}

void check(int nlerr) {
    if (nlerr >= 0)
        return;
    int code = errno_of(nlerr);
    throw Error(std::string("RTNETLINK answers: ") + std::strerror(code), code);
}

} // namespace wgkit::net::detail
