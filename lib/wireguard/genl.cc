// SPDX-License-Identifier: MIT
// The kernel backend: generic netlink family "wireguard" v1 (reference §3.2-§3.4).
#include "genl.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <net/if.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <wgkit/error.h>
#include <wgkit/wireguard.h>

#include "netlink_socket.h"

namespace wgkit::genl {

namespace {

[[noreturn]] void fail(int code)
{
    throw Error(std::strerror(code), code);
}

/// Resolves the family name to its id. Without the module there is no such family: ENOENT,
/// which the original reports as EPROTONOSUPPORT ("Protocol not supported").
std::uint16_t resolve_family(NetlinkSocket& socket)
{
    MessageWriter msg(256);
    std::uint32_t seq = socket.next_seq();
    msg.start_genl(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, seq, CTRL_CMD_GETFAMILY, 1);
    msg.put_string(kCtrlLevel, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
    socket.send(msg.bytes());
    std::uint16_t family = 0;
    try {
        socket.receive(seq, [&](const nlmsghdr* nlh) {
            for (const nlattr* raw : AttrRange::of_message(nlh, sizeof(genlmsghdr))) {
                const nlattr* attr = checked(kCtrlLevel, raw);
                if (attr && attr_type(attr) == CTRL_ATTR_FAMILY_ID)
                    family = attr_value<std::uint16_t>(attr);
            }
        });
    } catch (const Error& e) {
        if (e.code() == ENOENT)
            fail(EPROTONOSUPPORT);
        throw;
    }
    if (!family)
        fail(EPROTONOSUPPORT);
    return family;
}

/// One attempt at the GET_DEVICE dump. Empty when the kernel interrupted it.
std::optional<Device> try_read_device(std::string_view name,
                                      const DeviceDumpParser::PeerSink& sink,
                                      TransferStats& stats)
{
    NetlinkSocket socket(NETLINK_GENERIC);
    std::uint16_t family = resolve_family(socket);
    MessageWriter msg(256);
    std::uint32_t seq = socket.next_seq();
    msg.start_genl(family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq, WG_CMD_GET_DEVICE,
                   WG_GENL_VERSION);
    msg.put_string(kDeviceLevel, WGDEVICE_A_IFNAME, name);
    socket.send(msg.bytes());

    DeviceDumpParser parser(sink);
    std::size_t calls_before = socket.receive_calls();
    bool complete = socket.receive(seq, [&](const nlmsghdr* nlh) {
        ++stats.messages;
        stats.bytes += nlh->nlmsg_len;
        parser.parse(nlh);
    });
    stats.receive_calls += socket.receive_calls() - calls_before;
    if (!complete)
        return std::nullopt;
    return parser.finish();
}

void check_name(std::string_view name)
{
    if (name.size() >= IFNAMSIZ)
        fail(ENAMETOOLONG);
}

} // namespace

Device read_device(std::string_view name, const DeviceDumpParser::PeerSink& sink,
                   const std::function<void()>& on_restart, TransferStats* stats)
{
    check_name(name);
    TransferStats local;
    TransferStats& counters = stats ? *stats : local;
    // The original retries without limit too: an interrupted dump is a device that changed
    // while being read, and each retry starts from a fresh socket.
    for (;;) {
        std::optional<Device> device = try_read_device(name, sink, counters);
        if (device)
            return std::move(*device);
        ++counters.restarts;
        if (on_restart)
            on_restart();
    }
}

void set_device(const Device& device, const SetOptions& options, TransferStats* stats)
{
    // The original truncates such names silently (reference §7.3), which could configure
    // another interface; refusing is safer.
    check_name(device.name);
    NetlinkSocket socket(NETLINK_GENERIC);
    std::uint16_t family = resolve_family(socket);
    MessageWriter msg(options.message_size);
    SetCursor cursor;
    bool done = false;
    // One message at a time, each ACKed before the next: the kernel handles a request inside
    // our sendmsg, so sending ahead would save no waiting, and would apply messages after a
    // failed one.
    while (!done) {
        std::uint32_t seq = socket.next_seq();
        msg.start_genl(family, NLM_F_REQUEST | NLM_F_ACK, seq, WG_CMD_SET_DEVICE, WG_GENL_VERSION);
        done = encode_set_message(msg, device, cursor);
        socket.send(msg.bytes());
        socket.receive(seq, [](const nlmsghdr*) {});
        if (stats) {
            ++stats->messages;
            stats->bytes += msg.size();
        }
    }
    if (stats)
        stats->receive_calls += socket.receive_calls();
}

Device get_device(std::string_view name)
{
    return read_device(name, {}, [] {}, nullptr);
}

void read_device(std::string_view name, DeviceVisitor& visitor)
{
    bool announced = false;
    Device device = read_device(
        name,
        [&](const Device& fields, Peer&& peer) {
            if (!announced) {
                visitor.on_device(fields);
                announced = true;
            }
            visitor.on_peer(std::move(peer));
        },
        [&] {
            announced = false;
            visitor.on_restart();
        },
        nullptr);
    if (!announced) // a device without peers
        visitor.on_device(device);
}

void set_device(const Device& device)
{
    set_device(device, SetOptions{}, nullptr);
}

} // namespace wgkit::genl
