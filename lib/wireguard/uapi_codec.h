// SPDX-License-Identifier: MIT
// The UAPI text protocol (wireguard.com/xplatform) without the socket: the set request
// encoder and the reply parsers. Pure, so unit tests and fuzz targets can drive it.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <wgkit/device.h>

namespace wgkit::uapi {

/// Overwrites n bytes in a way the compiler cannot drop (OPENSSL_cleanse).
void wipe(void* p, std::size_t n) noexcept;

/// An allocator that wipes every block it frees: UAPI text carries private and preshared
/// keys in hex, and a growing std::string frees its old buffers as it goes.
template <class T>
struct WipingAllocator {
    using value_type = T;
    WipingAllocator() noexcept = default;
    template <class U>
    WipingAllocator(const WipingAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept {
        wipe(p, n * sizeof(T));
        std::allocator<T>{}.deallocate(p, n);
    }
    template <class U>
    friend bool operator==(const WipingAllocator&, const WipingAllocator<U>&) noexcept {
        return true;
    }
};

using SecretString = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;

/// The complete `set=1` request for `device`, ending with the empty line, byte for byte as
/// wireguard-tools writes it (hex keys, decimal numbers, `allowed_ip=-…` for removals).
SecretString encode_set(const Device& device);

/// Reads the reply to `get=1` one line at a time (each line without its '\n').
class GetReplyParser {
public:
    /// Receives each peer once it is complete, with the device's fields (no peers in them).
    using PeerSink = std::function<void(const Device& fields, Peer&&)>;

    /// Collects the whole device, peers included.
    GetReplyParser() = default;
    /// Hands each peer to `sink` when the next one starts or the reply ends, so a large
    /// device is never held whole; the device then keeps no peers.
    explicit GetReplyParser(PeerSink sink) : sink_(std::move(sink)) {}

    /// Consumes one line. Returns true when the reply is complete (the empty line).
    /// Throws Error(EPROTO) on a malformed line, Error(errno) when the reply's errno is
    /// not 0, Error(ENETUNREACH) for an endpoint that does not parse as an address.
    bool feed(std::string_view line);
    /// The device read so far (call after feed returned true).
    Device take() { return std::move(device_); }

private:
    /// With a sink: hands it the peer being read, if any.
    void hand_over();

    Device device_;
    Peer* peer_ = nullptr;  ///< the peer being read (the last of device_.peers), if any
    bool in_peers_ = false; ///< a peer has started: device keys are ignored from here on
    PeerSink sink_;
    int errno_ = 0;
};

/// Reads the reply to `set=1`. Returns true when complete; throws Error(errno) for a
/// non-zero `errno=N` (wireguard-go sends it negative) and Error(EPROTO) when malformed.
class SetReplyParser {
public:
    bool feed(std::string_view line);

private:
    int errno_ = 0;
};

/// Convenience for tests and fuzzing: parses a whole get reply; EPROTO if it is truncated.
Device decode_get(std::string_view reply);

} // namespace wgkit::uapi
