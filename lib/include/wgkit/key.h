// SPDX-License-Identifier: MIT
#pragma once

// Keys: constant-time base64 and hex, X25519 public keys (libsodium), generation.
//
// Thread safety: Key and KeyText are plain values; every function is reentrant. generate_*
// read the kernel's random pool (getrandom); public_key loads libsodium once (thread-safe)
// and libsodium's X25519 is reentrant.

#include <array>
#include <cstring>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace wgkit {

/// Text form of a key (base64, 44 chars, or hex, 64 chars) that wipes itself when it dies.
class KeyText {
public:
    KeyText() = default;
    KeyText(const KeyText&);
    KeyText& operator=(const KeyText&);
    ~KeyText();
    std::string_view view() const noexcept { return {buf_.data(), len_}; }
    char* data() noexcept { return buf_.data(); }
    void set_length(std::size_t n) noexcept { len_ = n; }

private:
    std::array<char, 65> buf_{};
    std::size_t len_ = 0;
};

/// A 32-byte Curve25519 key (private, public or preshared). Every copy wipes itself with
/// explicit_bzero when it dies, so secrets do not linger in freed memory.
class Key {
public:
    static constexpr std::size_t size = 32;

    Key() noexcept = default; ///< all zero
    explicit Key(const std::uint8_t (&bytes)[size]) noexcept;
    explicit Key(const std::uint8_t* bytes) noexcept; ///< copies exactly `size` bytes
    Key(const Key&) noexcept = default;
    Key& operator=(const Key&) noexcept = default;
    ~Key();

    /// Decodes standard base64 of exactly 44 characters ending in '=', in constant time.
    /// Rejects a non-canonical last character (its two low bits set). Empty on any error.
    static std::optional<Key> from_base64(std::string_view text) noexcept;
    /// The same decoding for a key that is not secret (a public key), by table lookup: not
    /// constant-time. A 10^5-peer config holds 10^5 public keys, where the constant-time
    /// decoding was a fifth of parsing it.
    static std::optional<Key> from_public_base64(std::string_view text) noexcept;
    /// Decodes 64 hex digits (either case), in constant time. Empty on any error.
    static std::optional<Key> from_hex(std::string_view text) noexcept;

    KeyText base64() const noexcept; ///< 44 characters
    /// The same 44 characters, written to `out`, for a key that is not secret (a public key):
    /// a table lookup that is not constant-time and leaves nothing to wipe. Printers write
    /// 10^5 peer keys, where base64() and its wipes were a fifth of showconf's time.
    void public_base64(char* out) const noexcept;
    KeyText hex() const noexcept;    ///< 64 lowercase hex digits

    /// Constant-time test for the all-zero key (which means "remove" in a set).
    bool is_zero() const noexcept;

    /// X25519 public key of this private key (libsodium, loaded on first use). Throws Error
    /// on failure.
    Key public_key() const;

    /// This private key as X25519 uses it, and as the kernel stores and reports it: the low
    /// three bits cleared, the top bit cleared and the next one set. Keys from
    /// generate_private (`wg genkey`) are already in this form.
    Key clamped() const noexcept;

    /// 32 random bytes clamped as an X25519 private key. Throws Error("getrandom: ...").
    static Key generate_private();
    /// 32 random bytes, unclamped. Throws Error("getrandom: ...").
    static Key generate_preshared();

    const std::uint8_t* data() const noexcept { return bytes_.data(); }
    std::uint8_t* data() noexcept { return bytes_.data(); }

    /// Constant time, a word at a time.
    friend bool operator==(const Key& a, const Key& b) noexcept
    {
        std::uint64_t x[4], y[4];
        std::memcpy(x, a.bytes_.data(), size);
        std::memcpy(y, b.bytes_.data(), size);
        return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
    }
    friend auto operator<=>(const Key& a, const Key& b) noexcept { return a.bytes_ <=> b.bytes_; }

private:
    std::array<std::uint8_t, size> bytes_{};
};

} // namespace wgkit
