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

void MessageWriter::check_shape(const AttrLevel& level, std::uint16_t type, std::size_t len)
{
    if (!level.at(type).accepts(len) || level.at(type).kind == AttrKind::Nested)
        throw std::logic_error(std::string("netlink encoder: bad ") + level.name +
                               " attribute " + std::to_string(type));
}

bool MessageWriter::put(const AttrLevel& level, std::uint16_t type, const void* data,
                        std::size_t len)
{
    check_shape(level, type, len);
    return mnl_attr_put_check(header(), limit_, type, len, data);
}

std::uint8_t* MessageWriter::reserve(std::size_t len) noexcept
{
    nlmsghdr* nlh = header();
    std::size_t at = NLMSG_ALIGN(nlh->nlmsg_len);
    if (len % NLA_ALIGNTO || len > limit_ || at > limit_ - len)
        return nullptr;
    nlh->nlmsg_len = static_cast<std::uint32_t>(at + len);
    return buffer_.data() + at;
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

/// Lays out one attribute, zero-padded, at `out`; returns where the next one starts.
std::uint8_t* lay_out_attr(std::uint8_t* out, std::uint16_t type, const void* data, std::size_t len) noexcept
{
    const nlattr header{static_cast<std::uint16_t>(NLA_HDRLEN + len), type};
    std::memcpy(out, &header, NLA_HDRLEN);
    std::memcpy(out + NLA_HDRLEN, data, len);
    std::memset(out + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
    return out + NLA_HDRLEN + NLA_ALIGN(len);
}

constexpr std::size_t attr_space(std::size_t len) noexcept { return NLA_HDRLEN + NLA_ALIGN(len); }

/// The shapes write_allowed_ip lays out, checked against the policy as put() would.
bool allowed_ip_shapes_checked()
{
    MessageWriter::check_shape(kAllowedIpLevel, WGALLOWEDIP_A_FAMILY, sizeof(std::uint16_t));
    MessageWriter::check_shape(kAllowedIpLevel, WGALLOWEDIP_A_IPADDR, 4);
    MessageWriter::check_shape(kAllowedIpLevel, WGALLOWEDIP_A_IPADDR, 16);
    MessageWriter::check_shape(kAllowedIpLevel, WGALLOWEDIP_A_CIDR_MASK, sizeof(std::uint8_t));
    MessageWriter::check_shape(kAllowedIpLevel, kAllowedIpAttrFlags, sizeof(std::uint32_t));
    return true;
}

/// Writes one allowed-IP element. Returns false (writing nothing) if it does not fit.
/// A peer may hold 10^5 of them, so the element is laid out as one block, the bytes that a
/// nest and put()s would write, rather than attribute by attribute through libmnl.
bool write_allowed_ip(MessageWriter& msg, const AllowedIp& ip)
{
    [[maybe_unused]] static const bool checked = allowed_ip_shapes_checked();
    const std::uint16_t family = ip.family;
    const std::size_t addr_len = family == AF_INET6 ? 16 : 4;
    // The flags are sent only when set, so kernels older than 6.16 (which reject the
    // attribute) still accept every request that does not remove an IP.
    const std::size_t size = NLA_HDRLEN + attr_space(sizeof(family)) + attr_space(addr_len) +
                             attr_space(sizeof(ip.cidr)) +
                             (ip.remove ? attr_space(sizeof(kAllowedIpFlagRemoveMe)) : 0);
    std::uint8_t* out = msg.reserve(size);
    if (!out)
        return false;
    const nlattr element{static_cast<std::uint16_t>(size), NLA_F_NESTED}; // array element 0
    std::memcpy(out, &element, NLA_HDRLEN);
    out = lay_out_attr(out + NLA_HDRLEN, WGALLOWEDIP_A_FAMILY, &family, sizeof(family));
    out = lay_out_attr(out, WGALLOWEDIP_A_IPADDR, ip.address.data(), addr_len);
    out = lay_out_attr(out, WGALLOWEDIP_A_CIDR_MASK, &ip.cidr, sizeof(ip.cidr));
    if (ip.remove) {
        const std::uint32_t flags = kAllowedIpFlagRemoveMe;
        lay_out_attr(out, kAllowedIpAttrFlags, &flags, sizeof(flags));
    }
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
