// SPDX-License-Identifier: MIT
// WG_CMD_SET_DEVICE encoding and splitting: one function per nesting level (device, peer,
// allowed IP), each saying what it leaves in the message when space runs out.
#include "genl_codec.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include <wgkit/error.h>

namespace wgkit::genl {

MessageWriter::MessageWriter(std::size_t capacity)
    : buffer_(std::max<std::size_t>(capacity, MNL_NLMSG_HDRLEN)), limit_(buffer_.size())
{
}

void* MessageWriter::start(std::uint16_t type, std::uint16_t flags, std::uint32_t seq,
                           std::size_t extra)
{
    limit_ = buffer_.size();
    nlmsghdr* nlh = mnl_nlmsg_put_header(buffer_.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = flags;
    nlh->nlmsg_seq = seq;
    return extra ? mnl_nlmsg_put_extra_header(nlh, extra) : nullptr;
}

void MessageWriter::start_genl(std::uint16_t family, std::uint16_t flags, std::uint32_t seq,
                               std::uint8_t cmd, std::uint8_t version)
{
    auto* genl = static_cast<genlmsghdr*>(start(family, flags, seq, sizeof(genlmsghdr)));
    genl->cmd = cmd;
    genl->version = version;
}

std::size_t MessageWriter::size() const noexcept
{
    return reinterpret_cast<const nlmsghdr*>(buffer_.data())->nlmsg_len;
}

bool MessageWriter::put(const AttrLevel& level, std::uint16_t type, const void* data,
                        std::size_t len)
{
    if (!level.at(type).accepts(len) || level.at(type).kind == AttrKind::Nested)
        throw std::logic_error(std::string("netlink encoder: bad ") + level.name +
                               " attribute " + std::to_string(type));
    return mnl_attr_put_check(header(), limit_, type, len, data);
}

bool MessageWriter::put_string(const AttrLevel& level, std::uint16_t type, std::string_view value)
{
    // Room for the terminating NUL, which the kernel's NLA_NUL_STRING requires.
    std::string text(value);
    return put(level, type, text.c_str(), text.size() + 1);
}

NestGuard::NestGuard(MessageWriter& msg, const AttrLevel& level, std::uint16_t type)
    : msg_(msg), saved_limit_(msg.limit_)
{
    if (level.at(type).kind != AttrKind::Nested)
        throw std::logic_error(std::string("netlink encoder: ") + level.name + " attribute " +
                               std::to_string(type) + " is not a nest");
    open(type);
}

NestGuard::NestGuard(MessageWriter& msg) : msg_(msg), saved_limit_(msg.limit_)
{
    open(0);
}

void NestGuard::open(std::uint16_t type)
{
    nest_ = mnl_attr_nest_start_check(msg_.header(), msg_.limit_, type);
    if (nest_) {
        std::size_t nest_offset = reinterpret_cast<std::uint8_t*>(nest_) - msg_.buffer_.data();
        msg_.limit_ = std::min(msg_.limit_, nest_offset + kMaxNestSize);
    }
}

void NestGuard::close() noexcept
{
    if (!nest_)
        return;
    mnl_attr_nest_end(msg_.header(), nest_);
    nest_ = nullptr;
    msg_.limit_ = saved_limit_;
}

NestGuard::~NestGuard()
{
    if (!nest_)
        return;
    mnl_attr_nest_cancel(msg_.header(), nest_);
    msg_.limit_ = saved_limit_;
}

namespace {

enum class PeerResult {
    Done,      ///< the whole (rest of the) peer is in the message
    Continues, ///< its header and some allowed IPs (maybe none) are in; the cursor says which next
    DidNotFit, ///< nothing of it is in the message; it starts again in the next one
};

/// Writes one allowed-IP element. Returns false (writing nothing) if it does not fit.
bool write_allowed_ip(MessageWriter& msg, const AllowedIp& ip)
{
    NestGuard nest(msg);
    std::size_t addr_len = ip.family == AF_INET6 ? 16 : 4;
    if (!nest || !msg.put_u16(kAllowedIpLevel, WGALLOWEDIP_A_FAMILY, ip.family) ||
        !msg.put(kAllowedIpLevel, WGALLOWEDIP_A_IPADDR, ip.address.data(), addr_len) ||
        !msg.put_u8(kAllowedIpLevel, WGALLOWEDIP_A_CIDR_MASK, ip.cidr))
        return false;
    // Sent only when set, so kernels older than 6.16 (which reject the attribute) still accept
    // every request that does not remove an IP.
    if (ip.remove && !msg.put_u32(kAllowedIpLevel, kAllowedIpAttrFlags, kAllowedIpFlagRemoveMe))
        return false;
    nest.close();
    return true;
}

/// The fields sent only in a peer's first fragment. False if they do not fit.
bool write_peer_fields(MessageWriter& msg, const Peer& peer)
{
    if (peer.preshared_key && !msg.put(kPeerLevel, WGPEER_A_PRESHARED_KEY,
                                       peer.preshared_key->data(), Key::size))
        return false;
    if (peer.endpoint && (peer.endpoint->family() == AF_INET || peer.endpoint->family() == AF_INET6) &&
        !msg.put(kPeerLevel, WGPEER_A_ENDPOINT, &peer.endpoint->addr, peer.endpoint->length()))
        return false;
    if (peer.persistent_keepalive &&
        !msg.put_u16(kPeerLevel, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, *peer.persistent_keepalive))
        return false;
    return true;
}

/// Writes the peer at `cursor`, from its next allowed IP on; see PeerResult.
PeerResult write_peer(MessageWriter& msg, const Peer& peer, SetCursor& cursor)
{
    NestGuard nest(msg);
    if (!nest || !msg.put(kPeerLevel, WGPEER_A_PUBLIC_KEY, peer.public_key.data(), Key::size))
        return PeerResult::DidNotFit;

    // A continued peer must not resend REPLACE_ALLOWEDIPS: the kernel would wipe the IPs the
    // previous message just added. REMOVE_ME and UPDATE_ONLY go on every fragment: the kernel
    // skips a fragment of an absent peer only when it carries one of them, and would otherwise
    // create the peer that the first fragment removed or declined to create.
    bool first_fragment = !cursor.peer_started;
    std::uint32_t flags = 0;
    if (peer.remove)
        flags |= WGPEER_F_REMOVE_ME;
    if (peer.update_only)
        flags |= WGPEER_F_UPDATE_ONLY;
    if (first_fragment && peer.replace_allowed_ips)
        flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
    if (first_fragment && !write_peer_fields(msg, peer))
        return PeerResult::DidNotFit;
    if (flags && !msg.put_u32(kPeerLevel, WGPEER_A_FLAGS, flags))
        return PeerResult::DidNotFit;

    if (cursor.allowed_ip < peer.allowed_ips.size()) {
        // From here on the peer's header is committed to this message.
        cursor.peer_started = true;
        NestGuard ips(msg, kPeerLevel, WGPEER_A_ALLOWEDIPS);
        if (!ips) {
            nest.close();
            return PeerResult::Continues;
        }
        for (; cursor.allowed_ip < peer.allowed_ips.size(); ++cursor.allowed_ip) {
            if (!write_allowed_ip(msg, peer.allowed_ips[cursor.allowed_ip])) {
                ips.close();
                nest.close();
                return PeerResult::Continues;
            }
        }
        ips.close();
    }
    nest.close();
    return PeerResult::Done;
}

/// Writes the device attributes (first message only) and as many peers as fit. True when the
/// last peer is complete.
bool write_device(MessageWriter& msg, const Device& device, SetCursor& cursor)
{
    if (!msg.put_string(kDeviceLevel, WGDEVICE_A_IFNAME, device.name))
        throw Error(std::strerror(EMSGSIZE), EMSGSIZE);
    if (!cursor.device_sent) {
        std::uint32_t flags = device.replace_peers ? WGDEVICE_F_REPLACE_PEERS : 0;
        bool fits =
            (!device.private_key || msg.put(kDeviceLevel, WGDEVICE_A_PRIVATE_KEY,
                                            device.private_key->data(), Key::size)) &&
            (!device.listen_port ||
             msg.put_u16(kDeviceLevel, WGDEVICE_A_LISTEN_PORT, *device.listen_port)) &&
            (!device.fwmark || msg.put_u32(kDeviceLevel, WGDEVICE_A_FWMARK, *device.fwmark)) &&
            (!flags || msg.put_u32(kDeviceLevel, WGDEVICE_A_FLAGS, flags));
        if (!fits)
            throw Error(std::strerror(EMSGSIZE), EMSGSIZE);
        cursor.device_sent = true;
    }
    if (cursor.peer >= device.peers.size())
        return true;

    NestGuard peers(msg, kDeviceLevel, WGDEVICE_A_PEERS);
    if (!peers)
        return false;
    while (cursor.peer < device.peers.size()) {
        PeerResult result = write_peer(msg, device.peers[cursor.peer], cursor);
        if (result != PeerResult::Done)
            break;
        ++cursor.peer;
        cursor.allowed_ip = 0;
        cursor.peer_started = false;
    }
    peers.close();
    return cursor.peer >= device.peers.size();
}

} // namespace

bool encode_set_message(MessageWriter& msg, const Device& device, SetCursor& cursor)
{
    SetCursor before = cursor;
    bool done = write_device(msg, device, cursor);
    // A later message that moved nothing forward would repeat forever.
    if (!done && before.device_sent && cursor == before)
        throw Error(std::strerror(EMSGSIZE), EMSGSIZE);
    return done;
}

std::vector<std::vector<std::uint8_t>> encode_set_device(const Device& device,
                                                         std::uint16_t family,
                                                         std::size_t message_size)
{
    std::vector<std::vector<std::uint8_t>> messages;
    MessageWriter msg(message_size);
    SetCursor cursor;
    bool done = false;
    while (!done) {
        msg.start_genl(family, NLM_F_REQUEST | NLM_F_ACK, messages.size() + 1,
                       WG_CMD_SET_DEVICE, WG_GENL_VERSION);
        done = encode_set_message(msg, device, cursor);
        messages.emplace_back(msg.bytes().begin(), msg.bytes().end());
    }
    return messages;
}

} // namespace wgkit::genl
