// SPDX-License-Identifier: MIT
// The WireGuard generic netlink family, declared once: constants and, per nesting level, the type
// and size of every attribute. The encoder checks each put against this table and the decoder
// validates each received attribute with it, so the two cannot disagree about the wire format.
#pragma once

#include <linux/genetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>

#if __has_include(<linux/wireguard.h>)
#include <linux/wireguard.h>
#else
// Values from the kernel's include/uapi/linux/wireguard.h (stable ABI).
#define WG_GENL_NAME "wireguard"
#define WG_GENL_VERSION 1
#define WG_KEY_LEN 32
enum wg_cmd { WG_CMD_GET_DEVICE, WG_CMD_SET_DEVICE };
enum wgdevice_flag { WGDEVICE_F_REPLACE_PEERS = 1U << 0 };
enum wgdevice_attribute {
    WGDEVICE_A_UNSPEC, WGDEVICE_A_IFINDEX, WGDEVICE_A_IFNAME, WGDEVICE_A_PRIVATE_KEY,
    WGDEVICE_A_PUBLIC_KEY, WGDEVICE_A_FLAGS, WGDEVICE_A_LISTEN_PORT, WGDEVICE_A_FWMARK,
    WGDEVICE_A_PEERS,
};
enum wgpeer_flag {
    WGPEER_F_REMOVE_ME = 1U << 0, WGPEER_F_REPLACE_ALLOWEDIPS = 1U << 1,
    WGPEER_F_UPDATE_ONLY = 1U << 2,
};
enum wgpeer_attribute {
    WGPEER_A_UNSPEC, WGPEER_A_PUBLIC_KEY, WGPEER_A_PRESHARED_KEY, WGPEER_A_FLAGS,
    WGPEER_A_ENDPOINT, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, WGPEER_A_LAST_HANDSHAKE_TIME,
    WGPEER_A_RX_BYTES, WGPEER_A_TX_BYTES, WGPEER_A_ALLOWEDIPS, WGPEER_A_PROTOCOL_VERSION,
};
enum wgallowedip_attribute {
    WGALLOWEDIP_A_UNSPEC, WGALLOWEDIP_A_FAMILY, WGALLOWEDIP_A_IPADDR, WGALLOWEDIP_A_CIDR_MASK,
};
#endif

namespace wgkit::genl {

// Added in Linux 6.16, absent from older system headers (Debian 12's included), so named here.
// Kernels before 6.16 reject the attribute with EINVAL, which is the original's behaviour too.
inline constexpr std::uint16_t kAllowedIpAttrFlags = 4;  // WGALLOWEDIP_A_FLAGS
inline constexpr std::uint32_t kAllowedIpFlagRemoveMe = 1U << 0; // WGALLOWEDIP_F_REMOVE_ME

/// How an attribute's payload is shaped; `size` below is exact for fixed kinds, the minimum
/// for MinSize and the maximum including the NUL for String.
enum class AttrKind : std::uint8_t {
    Unknown, ///< not in the table: skipped by the decoder, refused by the encoder
    U8, U16, U32, U64,
    String,  ///< NUL-terminated
    Exact,   ///< fixed-size binary
    MinSize, ///< binary of at least `size` bytes
    Nested,  ///< a nest whose elements (any type) each follow `nested`
};

struct AttrLevel;

struct AttrPolicy {
    AttrKind kind = AttrKind::Unknown;
    std::uint16_t size = 0;
    const AttrLevel* nested = nullptr; ///< for Nested: the level of each element's attributes

    /// True when a payload of `len` bytes has this attribute's shape.
    constexpr bool accepts(std::size_t len) const noexcept
    {
        switch (kind) {
        case AttrKind::Unknown: return false;
        case AttrKind::String: return len >= 1 && len <= size;
        case AttrKind::MinSize: return len >= size;
        case AttrKind::Nested: return true;
        default: return len == size;
        }
    }
};

inline constexpr AttrPolicy kUnknownAttr{};

/// One nesting level: the policy of each attribute type, indexed by type.
struct AttrLevel {
    const char* name; ///< for messages about malformed replies
    const AttrPolicy* policies;
    std::uint16_t count;

    constexpr const AttrPolicy& at(std::uint16_t type) const noexcept
    {
        return type < count ? policies[type] : kUnknownAttr;
    }
};

namespace policy_detail {
constexpr AttrPolicy fixed(AttrKind kind, std::uint16_t size) { return {kind, size, nullptr}; }
constexpr AttrPolicy u8() { return fixed(AttrKind::U8, 1); }
constexpr AttrPolicy u16() { return fixed(AttrKind::U16, 2); }
constexpr AttrPolicy u32() { return fixed(AttrKind::U32, 4); }
constexpr AttrPolicy u64() { return fixed(AttrKind::U64, 8); }
constexpr AttrPolicy key() { return fixed(AttrKind::Exact, WG_KEY_LEN); }

// struct __kernel_timespec: two 64-bit fields.
inline constexpr std::uint16_t kTimespecSize = 16;

inline constexpr std::array<AttrPolicy, kAllowedIpAttrFlags + 1> allowed_ip_policies = [] {
    std::array<AttrPolicy, kAllowedIpAttrFlags + 1> p{};
    p[WGALLOWEDIP_A_FAMILY] = u16();
    p[WGALLOWEDIP_A_IPADDR] = fixed(AttrKind::MinSize, 4); // in_addr or in6_addr
    p[WGALLOWEDIP_A_CIDR_MASK] = u8();
    p[kAllowedIpAttrFlags] = u32();
    return p;
}();
} // namespace policy_detail

inline constexpr AttrLevel kAllowedIpLevel{"allowed IP", policy_detail::allowed_ip_policies.data(),
                                           policy_detail::allowed_ip_policies.size()};

namespace policy_detail {
inline constexpr std::array<AttrPolicy, WGPEER_A_PROTOCOL_VERSION + 1> peer_policies = [] {
    std::array<AttrPolicy, WGPEER_A_PROTOCOL_VERSION + 1> p{};
    p[WGPEER_A_PUBLIC_KEY] = key();
    p[WGPEER_A_PRESHARED_KEY] = key();
    p[WGPEER_A_FLAGS] = u32();
    p[WGPEER_A_ENDPOINT] = fixed(AttrKind::MinSize, sizeof(sockaddr)); // sockaddr_in or _in6
    p[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL] = u16();
    p[WGPEER_A_LAST_HANDSHAKE_TIME] = fixed(AttrKind::Exact, kTimespecSize);
    p[WGPEER_A_RX_BYTES] = u64();
    p[WGPEER_A_TX_BYTES] = u64();
    p[WGPEER_A_ALLOWEDIPS] = {AttrKind::Nested, 0, &kAllowedIpLevel};
    p[WGPEER_A_PROTOCOL_VERSION] = u32();
    return p;
}();
} // namespace policy_detail

inline constexpr AttrLevel kPeerLevel{"peer", policy_detail::peer_policies.data(),
                                      policy_detail::peer_policies.size()};

namespace policy_detail {
inline constexpr std::array<AttrPolicy, WGDEVICE_A_PEERS + 1> device_policies = [] {
    std::array<AttrPolicy, WGDEVICE_A_PEERS + 1> p{};
    p[WGDEVICE_A_IFINDEX] = u32();
    p[WGDEVICE_A_IFNAME] = fixed(AttrKind::String, IFNAMSIZ);
    p[WGDEVICE_A_PRIVATE_KEY] = key();
    p[WGDEVICE_A_PUBLIC_KEY] = key();
    p[WGDEVICE_A_FLAGS] = u32();
    p[WGDEVICE_A_LISTEN_PORT] = u16();
    p[WGDEVICE_A_FWMARK] = u32();
    p[WGDEVICE_A_PEERS] = {AttrKind::Nested, 0, &kPeerLevel};
    return p;
}();
} // namespace policy_detail

inline constexpr AttrLevel kDeviceLevel{"device", policy_detail::device_policies.data(),
                                        policy_detail::device_policies.size()};

// The generic netlink controller, for resolving the family name to its id.
namespace policy_detail {
inline constexpr std::array<AttrPolicy, 3> ctrl_policies = [] {
    std::array<AttrPolicy, 3> p{};
    p[CTRL_ATTR_FAMILY_ID] = u16();
    p[CTRL_ATTR_FAMILY_NAME] = fixed(AttrKind::String, GENL_NAMSIZ);
    return p;
}();
} // namespace policy_detail

inline constexpr AttrLevel kCtrlLevel{"controller", policy_detail::ctrl_policies.data(),
                                      policy_detail::ctrl_policies.size()};

} // namespace wgkit::genl
