// SPDX-License-Identifier: MIT
// WG_CMD_GET_DEVICE decoding: attributes are validated against the policy table, read in place
// from the receive buffer, and peers split across dump messages are merged back.
#include "genl_codec.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <wgkit/error.h>

namespace wgkit::genl {

AttrRange AttrRange::of_message(const nlmsghdr* nlh, std::size_t offset) noexcept
{
    const char* payload = static_cast<const char*>(mnl_nlmsg_get_payload(nlh));
    std::size_t len = mnl_nlmsg_get_payload_len(nlh);
    std::size_t skip = MNL_ALIGN(offset);
    return skip > len ? AttrRange(payload + len, 0) : AttrRange(payload + skip, len - skip);
}

void malformed(const AttrLevel& level, std::uint16_t type)
{
    throw Error(std::string("Malformed ") + level.name + " attribute " + std::to_string(type) +
                    " from the kernel: " + std::strerror(EPROTO),
                EPROTO);
}

namespace {

Key key_of(const nlattr* attr)
{
    return Key(static_cast<const std::uint8_t*>(attr_payload(attr)));
}

/// An attribute header as the kernel writes it: length without padding, no flag bits.
bool has_header(const char* at, std::uint16_t len, std::uint16_t type) noexcept
{
    nlattr header;
    std::memcpy(&header, at, sizeof(header));
    return header.nla_len == len && header.nla_type == type;
}

/// The one range rule for an allowed IP read back: an IPv4 address of 4 bytes with a cidr of at
/// most 32, or an IPv6 address of 16 bytes with at most 128.
bool in_range(std::uint16_t family, std::size_t addr_len, std::uint8_t cidr) noexcept
{
    return (family == AF_INET && addr_len == 4 && cidr <= 32) ||
           (family == AF_INET6 && addr_len == 16 && cidr <= 128);
}

/// The element as the kernel lays it out (get_allowedips() in drivers/net/wireguard/netlink.c:
/// cidr, address, family, nothing else), read without the generic walk: a dump of 10^5 allowed
/// IPs is mostly these. False for any other layout, or a value out of range, which the
/// generic walk then reads (or rejects) by the policy.
bool parse_kernel_allowed_ip(const nlattr* element, AllowedIp& ip) noexcept
{
    constexpr std::size_t cidr_size = NLA_ALIGN(NLA_HDRLEN + 1);
    constexpr std::size_t family_size = NLA_ALIGN(NLA_HDRLEN + 2);
    constexpr std::size_t fixed_size = cidr_size + NLA_HDRLEN + family_size;
    std::size_t len = attr_payload_len(element);
    if (len != fixed_size + 4 && len != fixed_size + 16)
        return false;
    std::size_t addr_len = len - fixed_size;
    const char* at = static_cast<const char*>(attr_payload(element));
    const char* addr = at + cidr_size;
    const char* family = addr + NLA_HDRLEN + addr_len;
    if (!has_header(at, NLA_HDRLEN + 1, WGALLOWEDIP_A_CIDR_MASK) ||
        !has_header(addr, static_cast<std::uint16_t>(NLA_HDRLEN + addr_len), WGALLOWEDIP_A_IPADDR) ||
        !has_header(family, NLA_HDRLEN + 2, WGALLOWEDIP_A_FAMILY))
        return false;
    std::uint16_t family_value;
    std::memcpy(&family_value, family + NLA_HDRLEN, 2);
    std::uint8_t cidr = static_cast<std::uint8_t>(at[NLA_HDRLEN]);
    if (!in_range(family_value, addr_len, cidr))
        return false;
    ip.family = family_value;
    ip.cidr = cidr;
    std::memcpy(ip.address.data(), addr + NLA_HDRLEN, addr_len);
    return true;
}

/// One allowed-IP element. Throws Error(EPROTO) for a family, address or cidr out of range,
/// as the original rejects the whole reply then.
AllowedIp parse_allowed_ip(const nlattr* element)
{
    AllowedIp ip;
    if (parse_kernel_allowed_ip(element, ip))
        return ip;
    ip.family = AF_UNSPEC;
    std::size_t addr_len = 0;
    bool has_cidr = false;
    for (const nlattr* raw : AttrRange::of_nest(element)) {
        const nlattr* attr = checked(kAllowedIpLevel, raw);
        if (!attr)
            continue;
        switch (attr_type(attr)) {
        case WGALLOWEDIP_A_FAMILY: ip.family = attr_value<std::uint16_t>(attr); break;
        case WGALLOWEDIP_A_IPADDR:
            addr_len = attr_payload_len(attr);
            if (addr_len == 4 || addr_len == 16)
                std::memcpy(ip.address.data(), attr_payload(attr), addr_len);
            break;
        case WGALLOWEDIP_A_CIDR_MASK:
            ip.cidr = attr_value<std::uint8_t>(attr);
            has_cidr = true;
            break;
        case kAllowedIpAttrFlags:
            ip.remove = attr_value<std::uint32_t>(attr) & kAllowedIpFlagRemoveMe;
            break;
        }
    }
    if (!has_cidr || !in_range(ip.family, addr_len, ip.cidr))
        malformed(kAllowedIpLevel, WGPEER_A_ALLOWEDIPS);
    return ip;
}

void parse_allowed_ips(const nlattr* nest, std::vector<AllowedIp>& out)
{
    for (const nlattr* element : AttrRange::of_nest(nest))
        out.push_back(parse_allowed_ip(element));
}

/// An endpoint is kept only when its length matches its family, as the original does.
std::optional<Endpoint> parse_endpoint(const nlattr* attr)
{
    std::size_t len = attr_payload_len(attr);
    const auto* addr = static_cast<const sockaddr*>(attr_payload(attr));
    Endpoint endpoint;
    if (addr->sa_family == AF_INET && len == sizeof(sockaddr_in))
        std::memcpy(&endpoint.addr4, addr, len);
    else if (addr->sa_family == AF_INET6 && len == sizeof(sockaddr_in6))
        std::memcpy(&endpoint.addr6, addr, len);
    else
        return std::nullopt;
    return endpoint;
}

/// Makes `peer` a default Peer again, keeping the room its allowed-IP vector has.
void reuse(Peer& peer)
{
    std::vector<AllowedIp> ips = std::move(peer.allowed_ips);
    ips.clear();
    peer = Peer{}; // the keys it held wipe themselves
    peer.allowed_ips = std::move(ips);
}

/// One peer element of a dump message (possibly a continuation fragment: key + allowed IPs),
/// read into `peer`, which starts as a default Peer.
void parse_peer(const nlattr* element, Peer& peer)
{
    bool has_key = false;
    for (const nlattr* raw : AttrRange::of_nest(element)) {
        const nlattr* attr = checked(kPeerLevel, raw);
        if (!attr)
            continue;
        switch (attr_type(attr)) {
        case WGPEER_A_PUBLIC_KEY:
            peer.public_key = key_of(attr);
            has_key = true;
            break;
        case WGPEER_A_PRESHARED_KEY: {
            // The kernel always sends one; all zero means the peer has none.
            Key psk = key_of(attr);
            if (!psk.is_zero())
                peer.preshared_key = psk;
            break;
        }
        case WGPEER_A_ENDPOINT: peer.endpoint = parse_endpoint(attr); break;
        case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
            peer.persistent_keepalive = attr_value<std::uint16_t>(attr);
            break;
        case WGPEER_A_LAST_HANDSHAKE_TIME: {
            std::int64_t ts[2]; // struct __kernel_timespec
            std::memcpy(ts, attr_payload(attr), sizeof(ts));
            peer.last_handshake.tv_sec = ts[0];
            peer.last_handshake.tv_nsec = ts[1];
            break;
        }
        case WGPEER_A_RX_BYTES: peer.rx_bytes = attr_value<std::uint64_t>(attr); break;
        case WGPEER_A_TX_BYTES: peer.tx_bytes = attr_value<std::uint64_t>(attr); break;
        case WGPEER_A_ALLOWEDIPS: parse_allowed_ips(attr, peer.allowed_ips); break;
        }
    }
    if (!has_key)
        malformed(kPeerLevel, WGPEER_A_PUBLIC_KEY);
}

} // namespace

DeviceDumpParser::DeviceDumpParser(PeerSink sink) : sink_(std::move(sink)) {}

void DeviceDumpParser::parse(const nlmsghdr* nlh)
{
    for (const nlattr* raw : AttrRange::of_message(nlh, sizeof(genlmsghdr))) {
        const nlattr* attr = checked(kDeviceLevel, raw);
        if (!attr)
            continue;
        switch (attr_type(attr)) {
        case WGDEVICE_A_IFINDEX: device_.ifindex = attr_value<std::uint32_t>(attr); break;
        case WGDEVICE_A_IFNAME: device_.name = static_cast<const char*>(attr_payload(attr)); break;
        case WGDEVICE_A_PRIVATE_KEY: device_.private_key = key_of(attr); break;
        case WGDEVICE_A_PUBLIC_KEY: device_.public_key = key_of(attr); break;
        case WGDEVICE_A_LISTEN_PORT: device_.listen_port = attr_value<std::uint16_t>(attr); break;
        case WGDEVICE_A_FWMARK: device_.fwmark = attr_value<std::uint32_t>(attr); break;
        case WGDEVICE_A_PEERS: parse_peers(attr); break;
        }
    }
}

void DeviceDumpParser::parse_peers(const nlattr* peers)
{
    for (const nlattr* element : AttrRange::of_nest(peers)) {
        Peer& pending = slots_[pending_];
        Peer& read = slots_[pending_ ^ 1];
        reuse(read);
        parse_peer(element, read);
        // The kernel continues a peer whose allowed IPs did not fit by repeating its key in the
        // next message: adjacent entries with one key are one peer. (parse_peer keeps the last
        // key of an element that repeats it, and so does this comparison.)
        if (has_pending_ && pending.public_key == read.public_key) {
            pending.allowed_ips.insert(pending.allowed_ips.end(), read.allowed_ips.begin(),
                                       read.allowed_ips.end());
            continue;
        }
        // A new peer: the pending one is complete, and the one just read takes its place.
        flush();
        pending_ ^= 1;
        has_pending_ = true;
    }
}

void DeviceDumpParser::flush()
{
    if (!has_pending_)
        return;
    has_pending_ = false;
    Peer& pending = slots_[pending_];
    if (sink_)
        sink_(device_, std::move(pending));
    else
        device_.peers.push_back(std::move(pending));
}

Device DeviceDumpParser::finish()
{
    flush();
    return std::move(device_);
}

} // namespace wgkit::genl
