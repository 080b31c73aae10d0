// SPDX-License-Identifier: MIT
#pragma once

// Reading and changing WireGuard devices, through the kernel's generic netlink family or a
// userspace implementation's UAPI socket, chosen per interface as wg(8) chooses.
//
// Thread safety: there is no global state. Every call opens its own netlink or UAPI socket and
// closes it before returning, so calls may run at the same time from several threads; they act
// in the network namespace of the calling thread. Two threads or processes changing the same
// interface at once race as two `wg set` commands would. diff_devices is a pure function.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <wgkit/device.h>

namespace wgkit {

/// Names of all WireGuard interfaces: kernel ones (RTM_GETLINK order) first, then userspace
/// ones from /var/run/wireguard/*.sock (readdir order). Throws Error (errno set).
std::vector<std::string> list_interfaces();

/// Reads a device. Uses the UAPI socket when /var/run/wireguard/NAME.sock accepts a
/// connection, otherwise kernel generic netlink. Throws Error with code() = errno.
Device get_device(std::string_view name);

/// Receives a device while it is read (read_device), so that a caller can print 10^5 peers
/// without holding them all.
class DeviceVisitor {
public:
    virtual ~DeviceVisitor() = default;
    /// The device's own fields (`peers` empty); once per attempt, before its first peer.
    virtual void on_device(const Device& device) = 0;
    /// One complete peer (allowed IPs of every fragment merged), in device order.
    virtual void on_peer(Peer&& peer) = 0;
    /// The kernel reported that the device changed while it was being read: what this
    /// attempt delivered is void, and the read starts again with on_device. An exception
    /// thrown here ends the read instead.
    virtual void on_restart() = 0;
};

/// get_device, delivered piece by piece to `visitor`; the backend is chosen the same way.
/// Throws Error with code() = errno.
void read_device(std::string_view name, DeviceVisitor& visitor);

/// Applies a device: absent fields stay unchanged; flags say replace/remove. Throws Error
/// with code() = errno.
void set_device(const Device& device);

/// The smallest set request that turns `running` into `wanted`, with syncconf semantics of
/// the target version: peers absent from `wanted` removed, a PSK or keepalive dropped from
/// `wanted` cleared, allowed IPs replaced only where they differ, endpoints never cleared,
/// and the device fields of `wanted` as given.
Device diff_devices(const Device& running, const Device& wanted);

struct DiffOptions {
    /// false: a peer whose allowed IPs differ gets replace_allowed_ips with its whole wanted
    /// list, which every kernel and wireguard-go accepts. true: only the differences, as
    /// AllowedIp::remove entries and plain additions; needs Linux >= 6.16 or a wireguard-go
    /// from 2025-05-20 or later (older ones reject removals with EINVAL).
    bool incremental_allowed_ips = false;
};

/// diff_devices with options. Unchanged device fields and peer fields are left out of the
/// request (an equal private key, port or fwmark is a no-op for both backends, and an equal
/// endpoint would only reset the kernel's cached source address).
Device diff_devices(const Device& running, const Device& wanted, const DiffOptions& options);

/// diff_devices against a device as read_device delivers it: each running peer is compared
/// as it arrives and then dropped, so 10^5 running peers are never held at once (unless an
/// entry of `wanted` edits rather than replaces a peer's allowed IPs, which no config file
/// does: then they are kept until result()). `wanted` must outlive this object.
///
///     wgkit::DeviceDiff diff(wanted);
///     wgkit::read_device(wanted.name, diff);
///     wgkit::set_device(diff.result());
class DeviceDiff final : public DeviceVisitor {
public:
    explicit DeviceDiff(const Device& wanted, const DiffOptions& options = DiffOptions{});
    ~DeviceDiff() override;
    DeviceDiff(const DeviceDiff&) = delete;
    DeviceDiff& operator=(const DeviceDiff&) = delete;

    void on_device(const Device& device) override;
    void on_peer(Peer&& peer) override;
    void on_restart() override;

    /// How many peers the running device has (so far, in the current attempt).
    std::size_t running_peers() const;
    /// The request, exactly as diff_devices(running, wanted, options) returns it. Call once,
    /// after the read.
    Device result();

private:
    struct State;
    std::unique_ptr<State> state_;
    friend Device diff_devices(const Device& running, const Device& wanted, const DiffOptions& options);
};

namespace genl {
std::vector<std::string> list_interfaces();
Device get_device(std::string_view name);
void read_device(std::string_view name, DeviceVisitor& visitor);
void set_device(const Device& device);
} // namespace genl

namespace uapi {
/// The socket directory: RUNSTATEDIR/wireguard, RUNSTATEDIR being the build's runstatedir
/// (/var/run) or, a wgkit extension for tests, the environment variable WGKIT_RUNSTATEDIR
/// (ignored in setuid programs).
std::string socket_dir();
std::vector<std::string> list_interfaces();
/// True when NAME.sock exists, is a socket and accepts a connection (a refused one is
/// stale and unlinked); also true when connect fails otherwise (EACCES), as the original,
/// so the operation reports that error. Never for a name containing '/'.
bool has_interface(std::string_view name);
Device get_device(std::string_view name);
void read_device(std::string_view name, DeviceVisitor& visitor);
void set_device(const Device& device);
} // namespace uapi

} // namespace wgkit
