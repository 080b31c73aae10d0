// SPDX-License-Identifier: MIT
// A netlink socket (libmnl) owned by one object: open and bound on construction, closed on
// destruction, with the request/reply bookkeeping (sequence numbers, ACKs, dump ends, errors)
// that every netlink request needs.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

struct mnl_socket;

namespace wgkit::genl {

class NetlinkSocket {
public:
    /// Opens and autobinds a socket on `bus` (NETLINK_GENERIC, NETLINK_ROUTE). Throws Error.
    explicit NetlinkSocket(int bus);
    ~NetlinkSocket();
    NetlinkSocket(const NetlinkSocket&) = delete;
    NetlinkSocket& operator=(const NetlinkSocket&) = delete;

    /// A fresh sequence number for the next request.
    std::uint32_t next_seq() noexcept { return seq_++; }

    /// Sends one request (or several back to back). Throws Error(errno).
    void send(std::span<const std::uint8_t> message);

    enum class OnInterrupt {
        Abort,    ///< stop at the first NLM_F_DUMP_INTR message; the caller retries from scratch
        Tolerate, ///< read on to the end; the result may mix two states of the kernel
    };

    /// Reads the replies to request `seq` until it is finished: an ACK, or the end of a dump.
    /// Each data message goes to `on_message`, in place in the receive buffer. Throws Error with
    /// the kernel's errno for an error reply. Returns false when `interrupt` is Abort and the
    /// dump was interrupted; the socket then still holds the rest of it and must be discarded.
    bool receive(std::uint32_t seq, const std::function<void(const nlmsghdr*)>& on_message,
                 OnInterrupt interrupt = OnInterrupt::Abort);

    /// Number of recvmsg calls made so far (for measurements).
    std::size_t receive_calls() const noexcept { return receive_calls_; }
    /// The socket's descriptor, for inspection (tests); the socket keeps it.
    int fd() const noexcept;

private:
    mnl_socket* socket_;
    std::unique_ptr<std::uint8_t[]> buffer_;
    std::uint32_t seq_;
    std::uint32_t portid_;
    std::size_t receive_calls_ = 0;
};

} // namespace wgkit::genl
