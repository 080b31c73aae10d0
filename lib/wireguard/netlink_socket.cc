// SPDX-License-Identifier: MIT
#include "netlink_socket.h"

#include <libmnl/libmnl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <wgkit/error.h>

namespace wgkit::genl {

namespace {

// The kernel hands out one skb per recvmsg, and sizes the skbs of a dump after the largest
// buffer it has seen us offer (capped at 32 KiB in Linux 6.x). A large buffer therefore gets
// the largest dump messages the kernel makes, and never truncates an error or a big RTM link.
constexpr std::size_t kReceiveBufferSize = 1 << 20;

[[noreturn]] void throw_errno_code(int code)
{
    throw Error(std::strerror(code), code);
}

/// Best effort: FORCE needs CAP_NET_ADMIN (which every WireGuard request needs anyway); without
/// it the plain option still raises the buffer up to the sysctl maximum.
/// (Socket-level options: mnl_socket_setsockopt would set SOL_NETLINK ones, where 8 is
/// NETLINK_LISTEN_ALL_NSID.)
void raise_buffer(mnl_socket* socket, int force_option, int option, int bytes)
{
    int fd = mnl_socket_get_fd(socket);
    if (::setsockopt(fd, SOL_SOCKET, force_option, &bytes, sizeof(bytes)) < 0)
        ::setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof(bytes));
}

} // namespace

NetlinkSocket::NetlinkSocket(int bus)
    : socket_(mnl_socket_open(bus)),
      buffer_(std::make_unique_for_overwrite<std::uint8_t[]>(kReceiveBufferSize)),
      seq_(static_cast<std::uint32_t>(std::time(nullptr)))
{
    if (!socket_)
        throw_errno_code(errno);
    if (mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
        int code = errno;
        mnl_socket_close(socket_);
        throw_errno_code(code);
    }
    portid_ = mnl_socket_get_portid(socket_);
    // An error reply would otherwise echo the whole request (up to 64 KiB) back to us.
    int one = 1;
    mnl_socket_setsockopt(socket_, NETLINK_CAP_ACK, &one, sizeof(one));
    // Room for several queued ACKs and the largest dump skbs.
    raise_buffer(socket_, SO_RCVBUFFORCE, SO_RCVBUF, kReceiveBufferSize);
}

int NetlinkSocket::fd() const noexcept
{
    return mnl_socket_get_fd(socket_);
}

NetlinkSocket::~NetlinkSocket()
{
    mnl_socket_close(socket_);
}

void NetlinkSocket::send(std::span<const std::uint8_t> message)
{
    if (mnl_socket_sendto(socket_, message.data(), message.size()) < 0)
        throw_errno_code(errno);
}

bool NetlinkSocket::receive(std::uint32_t seq,
                            const std::function<void(const nlmsghdr*)>& on_message,
                            OnInterrupt interrupt)
{
    for (;;) {
        ssize_t len = mnl_socket_recvfrom(socket_, buffer_.get(), kReceiveBufferSize);
        ++receive_calls_;
        if (len < 0)
            throw_errno_code(errno);
        int left = static_cast<int>(len);
        for (const auto* nlh = reinterpret_cast<const nlmsghdr*>(buffer_.get());
             mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
            if (nlh->nlmsg_pid != portid_ || nlh->nlmsg_seq != seq)
                throw_errno_code(EPROTO);
            // The kernel marks dump messages (NLMSG_DONE included) whose state changed since
            // the dump began.
            if ((nlh->nlmsg_flags & NLM_F_DUMP_INTR) && interrupt == OnInterrupt::Abort)
                return false;
            switch (nlh->nlmsg_type) {
            case NLMSG_NOOP:
                break;
            case NLMSG_ERROR: {
                if (mnl_nlmsg_get_payload_len(nlh) < sizeof(nlmsgerr))
                    throw_errno_code(EPROTO);
                const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
                if (err->error)
                    throw_errno_code(std::abs(err->error));
                return true; // the ACK
            }
            case NLMSG_DONE: {
                // Its payload is the dump's error; kernels have sent it with either sign.
                int error = 0;
                if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(error))
                    std::memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
                if (error)
                    throw_errno_code(std::abs(error));
                return true;
            }
            case NLMSG_OVERRUN:
                throw_errno_code(ENOSPC);
            default:
                on_message(nlh);
            }
        }
    }
}

} // namespace wgkit::genl
