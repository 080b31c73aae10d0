// SPDX-License-Identifier: MIT
// Encoding and decoding of the WireGuard generic netlink messages, with no socket: the backend
// (genl.cc) sends what this builds, and unit tests inspect the very same bytes.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <wgkit/device.h>

#include "genl_policy.h"

namespace wgkit::genl {

/// Largest payload a netlink attribute can carry: nla_len is 16 bits. The kernel reads only one
/// WGDEVICE_A_PEERS nest per message, so this, not the socket, bounds a SET_DEVICE message.
inline constexpr std::size_t kMaxNestSize = 0xffff;

/// Default SET_DEVICE message capacity: the largest that the 16-bit PEERS nest allows, plus
/// room for the headers and device attributes before it.
inline constexpr std::size_t kDefaultSetMessageSize = kMaxNestSize + 256;

/// Builds one netlink message in a fixed-capacity buffer. Every put is checked against the
/// capacity and against the 16-bit length of each open nest, and returns false when the
/// attribute does not fit (the message is then unchanged).
class MessageWriter {
public:
    explicit MessageWriter(std::size_t capacity);

    /// Starts a new message (discarding the previous one) with a generic netlink header.
    void start_genl(std::uint16_t family, std::uint16_t flags, std::uint32_t seq,
                    std::uint8_t cmd, std::uint8_t version);
    /// Starts a new message followed by a zeroed fixed header of `extra` bytes; returns it.
    void* start(std::uint16_t type, std::uint16_t flags, std::uint32_t seq, std::size_t extra);

    /// Appends an attribute after checking its shape against `level` (a mismatch is a bug:
    /// std::logic_error). False when it does not fit.
    bool put(const AttrLevel& level, std::uint16_t type, const void* data, std::size_t len);
    bool put_u8(const AttrLevel& l, std::uint16_t t, std::uint8_t v) { return put(l, t, &v, 1); }
    bool put_u16(const AttrLevel& l, std::uint16_t t, std::uint16_t v) { return put(l, t, &v, 2); }
    bool put_u32(const AttrLevel& l, std::uint16_t t, std::uint32_t v) { return put(l, t, &v, 4); }
    /// A NUL-terminated string.
    bool put_string(const AttrLevel& level, std::uint16_t type, std::string_view value);
    /// Room for `len` more bytes (a multiple of 4) at the message's end, within the capacity
    /// and every open nest, for a caller that lays out a block of attributes itself; null,
    /// reserving nothing, when they do not fit. The caller writes every byte, padding too.
    std::uint8_t* reserve(std::size_t len) noexcept;
    /// Throws std::logic_error unless attribute `type` of `level` is a `len`-byte non-nest,
    /// the check put() makes.
    static void check_shape(const AttrLevel& level, std::uint16_t type, std::size_t len);

    nlmsghdr* header() noexcept { return reinterpret_cast<nlmsghdr*>(buffer_.data()); }
    std::size_t size() const noexcept;
    std::span<const std::uint8_t> bytes() const noexcept { return {buffer_.data(), size()}; }

private:
    friend class NestGuard;
    std::vector<std::uint8_t> buffer_;
    std::size_t limit_; ///< bytes the message may grow to: capacity, or less inside a nest
};

/// An open nest that cancels itself (removing everything written inside it) unless closed.
/// While open, the writer's limit shrinks so the nest cannot outgrow its 16-bit length.
class NestGuard {
public:
    /// A nest attribute `type` of `level` (checked to be a nest).
    NestGuard(MessageWriter& msg, const AttrLevel& level, std::uint16_t type);
    /// An element of a nested array (type 0, as the kernel's arrays of peers and IPs use).
    explicit NestGuard(MessageWriter& msg);
    NestGuard(const NestGuard&) = delete;
    NestGuard& operator=(const NestGuard&) = delete;
    ~NestGuard();

    /// False when not even the nest header fitted.
    explicit operator bool() const noexcept { return nest_ != nullptr; }
    /// Keeps the nest and what is in it.
    void close() noexcept;

private:
    void open(std::uint16_t type);
    MessageWriter& msg_;
    nlattr* nest_ = nullptr;
    std::size_t saved_limit_;
};

/// Where a split SET_DEVICE request resumes in the next message.
struct SetCursor {
    std::size_t peer = 0;       ///< next peer to write
    std::size_t allowed_ip = 0; ///< next allowed IP of that peer
    bool peer_started = false;  ///< that peer's header already went out (it is continued)
    bool device_sent = false;   ///< the device attributes went out (only the first message has them)
    friend bool operator==(const SetCursor&, const SetCursor&) = default;
};

/// Writes the attributes of the next WG_CMD_SET_DEVICE message for `device` into `msg` (already
/// started with start_genl), resuming at `cursor` and advancing it. Returns true when this
/// message completes the request. Throws Error(EMSGSIZE) when the message is too small to make
/// progress.
bool encode_set_message(MessageWriter& msg, const Device& device, SetCursor& cursor);

/// Every message of a SET_DEVICE request (with seq 1, 2, ...): the split points, for tests.
std::vector<std::vector<std::uint8_t>> encode_set_device(const Device& device,
                                                         std::uint16_t family,
                                                         std::size_t message_size);

// The attribute walk is inline: a 10^5-peer dump holds over a million attributes, and a
// call into libmnl for each step, type and length was a third of decoding it. The rules are
// libmnl's (mnl_attr_ok, mnl_attr_next), on the kernel header's NLA_* layout.

/// An attribute's type without the nested/byte-order flag bits.
inline std::uint16_t attr_type(const nlattr* attr) noexcept { return attr->nla_type & NLA_TYPE_MASK; }
inline const void* attr_payload(const nlattr* attr) noexcept
{
    return reinterpret_cast<const char*>(attr) + NLA_HDRLEN;
}
inline std::size_t attr_payload_len(const nlattr* attr) noexcept { return attr->nla_len - NLA_HDRLEN; }
/// The payload as a T; only for attributes checked() has sized (so it holds a T).
template <class T>
T attr_value(const nlattr* attr) noexcept
{
    T value;
    std::memcpy(&value, attr_payload(attr), sizeof(T));
    return value;
}

/// The attributes in a payload, as a range; each must be validated before use (checked()).
class AttrRange {
public:
    class iterator {
    public:
        iterator(const nlattr* attr, const char* end) noexcept : attr_(attr), end_(end) {}
        const nlattr* operator*() const noexcept { return attr_; }
        iterator& operator++() noexcept
        {
            attr_ = first_at(reinterpret_cast<const char*>(attr_) + NLA_ALIGN(attr_->nla_len), end_);
            return *this;
        }
        bool operator!=(const iterator& other) const noexcept { return attr_ != other.attr_; }

    private:
        const nlattr* attr_;
        const char* end_;
    };
    AttrRange(const void* payload, std::size_t len) noexcept
        : begin_(static_cast<const char*>(payload)), end_(begin_ + len)
    {
    }
    /// The attributes of a message after its fixed header of `offset` bytes.
    static AttrRange of_message(const nlmsghdr* nlh, std::size_t offset) noexcept;
    /// The attributes inside a nest.
    static AttrRange of_nest(const nlattr* nest) noexcept { return {attr_payload(nest), attr_payload_len(nest)}; }
    iterator begin() const noexcept { return {first_at(begin_, end_), end_}; }
    iterator end() const noexcept { return {nullptr, end_}; }

private:
    /// The attribute at `at` when a whole one fits before `end`, else nullptr (the end).
    static const nlattr* first_at(const char* at, const char* end) noexcept
    {
        if (end - at < static_cast<std::ptrdiff_t>(sizeof(nlattr)))
            return nullptr;
        const auto* attr = reinterpret_cast<const nlattr*>(at);
        if (attr->nla_len < sizeof(nlattr) || attr->nla_len > end - at)
            return nullptr;
        return attr;
    }
    const char* begin_;
    const char* end_;
};

/// Throws Error(EPROTO) naming the level and type of a malformed attribute.
[[noreturn]] void malformed(const AttrLevel& level, std::uint16_t type);

/// `attr` if its shape matches `level`'s policy; nullptr for a type the table does not know
/// (newer kernels add attributes: skip them). Throws Error(EPROTO) for a known type with a
/// malformed payload.
inline const nlattr* checked(const AttrLevel& level, const nlattr* attr)
{
    std::uint16_t type = attr_type(attr);
    const AttrPolicy& policy = level.at(type);
    if (policy.kind == AttrKind::Unknown)
        return nullptr;
    std::size_t len = attr_payload_len(attr);
    if (!policy.accepts(len))
        malformed(level, type);
    if (policy.kind == AttrKind::String && static_cast<const char*>(attr_payload(attr))[len - 1] != '\0')
        malformed(level, type);
    return attr;
}

/// Reads a GET_DEVICE dump message by message. Device fields come from the first message;
/// peers are passed on in order, a peer split across messages (public key repeated with the
/// rest of its allowed IPs) merged back into one.
class DeviceDumpParser {
public:
    /// Gets the device's fields (complete by then: the kernel sends them before the peers)
    /// and one peer.
    using PeerSink = std::function<void(const Device& fields, Peer&&)>;
    /// Without a sink, peers are collected into the Device that finish() returns; with one, each
    /// complete peer is handed over as soon as the next one starts, so memory does not grow.
    explicit DeviceDumpParser(PeerSink sink = {});

    /// One reply message (its genl header included). Throws Error(EPROTO) if malformed.
    void parse(const nlmsghdr* nlh);
    /// The device fields seen so far (complete after the first message).
    const Device& device() const noexcept { return device_; }
    /// Hands over the last peer and returns the device.
    Device finish();

private:
    void parse_peers(const nlattr* peers);
    void flush();
    PeerSink sink_;
    Device device_;
    /// The peer not yet handed over (it may continue in the next element), and the element
    /// being read. They trade places when an element turns out to be a new peer, so each
    /// element is read once, in place, and no peer is moved between them. A slot is reused
    /// with its allowed-IP vector's room (unless a sink took the vector): a dump of 10^5 peers
    /// would otherwise allocate and free one vector per peer.
    Peer slots_[2];
    unsigned pending_ = 0;     ///< the index of the pending peer's slot
    bool has_pending_ = false; ///< whether that slot holds a peer not yet handed over
};

} // namespace wgkit::genl
