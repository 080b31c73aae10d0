// SPDX-License-Identifier: MIT
// Keys and their text forms. The codecs run in constant time: no branch and no table lookup
// depends on a key's bytes or characters, so decoding a private key from a file or the command
// line leaks nothing through timing or the cache. Characters are mapped with arithmetic masks:
// hex one at a time, where `range_mask(c, lo, hi)` is all ones when lo <= c <= hi and zero
// otherwise, computed from the sign bits of two subtractions (C++20 defines >> of a negative
// int as arithmetic); base64 eight at a time, in the byte lanes of a 64-bit word, with the
// same idea lane by lane (a 10^5-peer config holds 1.5 * 10^5 keys; under the kernel lab's
// emulation this is six times faster than the vector code a per-character loop compiles to).
// Only lengths, which are public, are checked with ordinary branches.
#include "wgkit/key.h"

#include "wgkit/error.h"

#include "crypto_loader.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include <sys/random.h>

namespace wgkit {

namespace {

constexpr std::size_t base64_length = 44;
constexpr std::size_t hex_length = 64;

/// All ones when lo <= c <= hi, else 0. c, lo and hi are in 0..255.
constexpr int range_mask(int c, int lo, int hi) noexcept
{
    return ((lo - 1 - c) & (c - hi - 1)) >> 8;
}

/// A run of consecutive characters of an alphabet, and the value of its first character.
struct CharRange {
    int first, last, value;
};

/// The value of `ch` in an alphabet given as disjoint ranges, or -1 when it is in none. Every
/// range is tested (no early exit) and each adds (value + 1) under its mask, so the time does
/// not depend on the character.
template <std::size_t N>
constexpr int alphabet_value(unsigned char ch, const CharRange (&alphabet)[N]) noexcept
{
    const int c = ch;
    int value = -1;
    for (const CharRange& r : alphabet)
        value += range_mask(c, r.first, r.last) & (c - r.first + r.value + 1);
    return value;
}

constexpr CharRange base64_alphabet[] = {
    {'A', 'Z', 0}, {'a', 'z', 26}, {'0', '9', 52}, {'+', '+', 62}, {'/', '/', 63}};
constexpr CharRange hex_alphabet[] = {{'0', '9', 0}, {'a', 'f', 10}, {'A', 'F', 10}};

// Byte lanes: eight characters or 6-bit values in one 64-bit word, loaded and stored with
// memcpy (so byte order does not matter) and handled with carries kept inside each lane.
using Lanes = std::uint64_t;

constexpr Lanes lanes(std::uint8_t byte) noexcept
{
    return 0x0101010101010101ULL * byte;
}

/// Lane-wise a + b modulo 256: the low seven bits add without reaching the next lane, and
/// the top bit is their carry XOR the two top bits.
constexpr Lanes lanes_add(Lanes a, Lanes b) noexcept
{
    return ((a & lanes(0x7f)) + (b & lanes(0x7f))) ^ ((a ^ b) & lanes(0x80));
}

/// 0x80 in each lane of x (every lane below 0x80) that is at least lo, or above hi.
constexpr Lanes lanes_at_least(Lanes x, std::uint8_t lo) noexcept
{
    return (x + lanes(static_cast<std::uint8_t>(0x80 - lo))) & lanes(0x80);
}
constexpr Lanes lanes_above(Lanes x, std::uint8_t hi) noexcept
{
    return (x + lanes(static_cast<std::uint8_t>(0x7f - hi))) & lanes(0x80);
}

/// 0xff in each lane where `flags` has 0x80.
constexpr Lanes widen(Lanes flags) noexcept
{
    return (flags >> 7) * 0xff;
}

/// Eight base64 characters to their 6-bit values; `invalid` gets 0x80 in the lane of each
/// character outside the alphabet.
constexpr Lanes base64_values(Lanes chars, Lanes& invalid) noexcept
{
    const Lanes low = chars & lanes(0x7f);
    Lanes in_alphabet = 0;
    Lanes offset = 0;
    for (const CharRange& r : base64_alphabet) {
        const Lanes in = lanes_at_least(low, static_cast<std::uint8_t>(r.first)) &
                         ~lanes_above(low, static_cast<std::uint8_t>(r.last));
        in_alphabet |= in;
        offset |= widen(in) & lanes(static_cast<std::uint8_t>(r.value - r.first));
    }
    invalid |= (chars & lanes(0x80)) | (in_alphabet ^ lanes(0x80));
    return lanes_add(low, offset) & lanes(0x3f);
}

/// Eight 6-bit values to their base64 characters: 'A' + v, corrected at each boundary of the
/// alphabet that v is above.
constexpr Lanes base64_chars(Lanes values) noexcept
{
    Lanes c = lanes_add(values, lanes('A'));
    c = lanes_add(c, widen(lanes_above(values, 25)) & lanes('a' - 'A' - 26));
    c = lanes_add(c, widen(lanes_above(values, 51)) & lanes(static_cast<std::uint8_t>('0' - 'a' - 26)));
    c = lanes_add(c, widen(lanes_above(values, 61)) & lanes(static_cast<std::uint8_t>('+' - '0' - 10)));
    c = lanes_add(c, widen(lanes_above(values, 62)) & lanes('/' - '+' - 1));
    return c;
}

/// The value of a hex digit of either case, or -1.
constexpr int hex_value(unsigned char ch) noexcept
{
    return alphabet_value(ch, hex_alphabet);
}

/// The lowercase hex digit of a nibble.
constexpr char hex_char(int v) noexcept
{
    return static_cast<char>('0' + v + (((9 - v) >> 8) & ('a' - '0' - 10)));
}

Key random_key()
{
    Key key;
    std::size_t filled = 0;
    while (filled < Key::size) {
        const ssize_t n = getrandom(key.data() + filled, Key::size - filled, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("getrandom", errno);
        }
        filled += static_cast<std::size_t>(n);
    }
    return key;
}

} // namespace

KeyText::KeyText(const KeyText& other) : buf_(other.buf_), len_(other.len_) {}

KeyText& KeyText::operator=(const KeyText& other)
{
    buf_ = other.buf_;
    len_ = other.len_;
    return *this;
}

KeyText::~KeyText()
{
    detail::secure_wipe(buf_.data(), buf_.size());
}

Key::Key(const std::uint8_t (&bytes)[size]) noexcept
{
    std::memcpy(bytes_.data(), bytes, size);
}

Key::Key(const std::uint8_t* bytes) noexcept
{
    std::memcpy(bytes_.data(), bytes, size);
}

Key::~Key()
{
    detail::secure_wipe(bytes_.data(), bytes_.size());
}

std::optional<Key> Key::from_base64(std::string_view text) noexcept
{
    if (text.size() != base64_length)
        return std::nullopt;

    // 43 significant characters in six words of lanes; the last word's five spare lanes
    // hold 'A', a valid character whose value is never used.
    std::uint8_t values[48];
    Lanes invalid = 0;
    for (std::size_t w = 0; w < 6; ++w) {
        Lanes chars = lanes('A');
        if (w < 5)
            std::memcpy(&chars, text.data() + w * 8, 8);
        else
            std::memcpy(&chars, text.data() + 40, 3);
        const Lanes v = base64_values(chars, invalid);
        std::memcpy(values + w * 8, &v, 8);
    }

    Key key;
    // 40 characters make 30 bytes, four characters to three bytes.
    for (std::size_t i = 0; i < 10; ++i) {
        const unsigned group = (unsigned(values[i * 4]) << 18) | (unsigned(values[i * 4 + 1]) << 12) |
                               (unsigned(values[i * 4 + 2]) << 6) | unsigned(values[i * 4 + 3]);
        key.bytes_[i * 3 + 0] = static_cast<std::uint8_t>(group >> 16);
        key.bytes_[i * 3 + 1] = static_cast<std::uint8_t>(group >> 8);
        key.bytes_[i * 3 + 2] = static_cast<std::uint8_t>(group);
    }
    // The last three characters carry 18 bits for the final 2 bytes; their 2 low bits are
    // padding and must be zero, or several texts would decode to one key.
    const unsigned group = (unsigned(values[40]) << 12) | (unsigned(values[41]) << 6) | unsigned(values[42]);
    key.bytes_[30] = static_cast<std::uint8_t>(group >> 10);
    key.bytes_[31] = static_cast<std::uint8_t>(group >> 2);
    detail::secure_wipe(values, sizeof(values));

    const unsigned char pad = static_cast<unsigned char>(text[43]);
    const unsigned wrong = static_cast<unsigned>(invalid != 0) | (group & 3u) | (pad ^ unsigned('='));
    if (wrong != 0)
        return std::nullopt; // `key` wipes itself
    return key;
}

std::optional<Key> Key::from_public_base64(std::string_view text) noexcept
{
    // 0-63 for the alphabet, 64 (a bit no value has) for every other byte.
    static constexpr auto values = [] {
        std::array<std::uint8_t, 256> v{};
        v.fill(64);
        for (const CharRange& r : base64_alphabet)
            for (int c = r.first; c <= r.last; ++c)
                v[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(r.value + (c - r.first));
        return v;
    }();
    if (text.size() != base64_length || text[43] != '=')
        return std::nullopt;
    const auto* c = reinterpret_cast<const unsigned char*>(text.data());
    Key key;
    unsigned invalid = 0;
    for (std::size_t i = 0; i < 10; ++i, c += 4) {
        const unsigned a = values[c[0]], b = values[c[1]], d = values[c[2]], e = values[c[3]];
        invalid |= a | b | d | e;
        const unsigned group = a << 18 | b << 12 | d << 6 | e;
        key.bytes_[i * 3 + 0] = static_cast<std::uint8_t>(group >> 16);
        key.bytes_[i * 3 + 1] = static_cast<std::uint8_t>(group >> 8);
        key.bytes_[i * 3 + 2] = static_cast<std::uint8_t>(group);
    }
    const unsigned a = values[c[0]], b = values[c[1]], d = values[c[2]];
    invalid |= a | b | d;
    const unsigned group = a << 12 | b << 6 | d;
    key.bytes_[30] = static_cast<std::uint8_t>(group >> 10);
    key.bytes_[31] = static_cast<std::uint8_t>(group >> 2);
    if ((invalid & 64) || (group & 3))
        return std::nullopt;
    return key;
}

std::optional<Key> Key::from_hex(std::string_view text) noexcept
{
    if (text.size() != hex_length)
        return std::nullopt;

    Key key;
    int invalid = 0;
    for (std::size_t i = 0; i < size; ++i) {
        const int hi = hex_value(text[i * 2]);
        const int lo = hex_value(text[i * 2 + 1]);
        invalid |= hi | lo;
        key.bytes_[i] = static_cast<std::uint8_t>((hi << 4) | (lo & 0xf));
    }
    if (invalid < 0)
        return std::nullopt;
    return key;
}

KeyText Key::base64() const noexcept
{
    // The 6-bit values first, then the characters eight at a time.
    std::uint8_t values[48] = {};
    for (std::size_t i = 0; i < 10; ++i) {
        const unsigned group = (unsigned(bytes_[i * 3]) << 16) | (unsigned(bytes_[i * 3 + 1]) << 8) | bytes_[i * 3 + 2];
        values[i * 4 + 0] = static_cast<std::uint8_t>((group >> 18) & 63);
        values[i * 4 + 1] = static_cast<std::uint8_t>((group >> 12) & 63);
        values[i * 4 + 2] = static_cast<std::uint8_t>((group >> 6) & 63);
        values[i * 4 + 3] = static_cast<std::uint8_t>(group & 63);
    }
    const unsigned group = (unsigned(bytes_[30]) << 10) | (unsigned(bytes_[31]) << 2);
    values[40] = static_cast<std::uint8_t>((group >> 12) & 63);
    values[41] = static_cast<std::uint8_t>((group >> 6) & 63);
    values[42] = static_cast<std::uint8_t>(group & 63);

    char text[48];
    for (std::size_t w = 0; w < 6; ++w) {
        Lanes v;
        std::memcpy(&v, values + w * 8, 8);
        const Lanes c = base64_chars(v);
        std::memcpy(text + w * 8, &c, 8);
    }
    KeyText out;
    char* p = out.data();
    std::memcpy(p, text, base64_length - 1);
    p[43] = '=';
    p[44] = '\0';
    detail::secure_wipe(values, sizeof(values));
    detail::secure_wipe(text, sizeof(text));
    out.set_length(base64_length);
    return out;
}

void Key::public_base64(char* out) const noexcept
{
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const std::uint8_t* b = bytes_.data();
    for (std::size_t i = 0; i < 30; i += 3) {
        const unsigned group = unsigned(b[i]) << 16 | unsigned(b[i + 1]) << 8 | b[i + 2];
        *out++ = alphabet[group >> 18];
        *out++ = alphabet[group >> 12 & 63];
        *out++ = alphabet[group >> 6 & 63];
        *out++ = alphabet[group & 63];
    }
    const unsigned group = unsigned(b[30]) << 10 | unsigned(b[31]) << 2; // 16 bits, 2 of padding
    *out++ = alphabet[group >> 12];
    *out++ = alphabet[group >> 6 & 63];
    *out++ = alphabet[group & 63];
    *out = '=';
}

KeyText Key::hex() const noexcept
{
    KeyText out;
    char* p = out.data();
    for (std::uint8_t byte : bytes_) {
        *p++ = hex_char(byte >> 4);
        *p++ = hex_char(byte & 0xf);
    }
    *p = '\0';
    out.set_length(hex_length);
    return out;
}

bool Key::is_zero() const noexcept
{
    unsigned acc = 0;
    for (std::uint8_t byte : bytes_)
        acc |= byte;
    // (acc - 1) wraps to all ones only when acc == 0.
    return ((acc - 1) >> 8) & 1;
}

Key Key::public_key() const
{
    Key pub;
    detail::x25519_public_key(bytes_.data(), pub.bytes_.data());
    return pub;
}

Key Key::clamped() const noexcept
{
    Key key = *this;
    key.bytes_[0] &= 248;
    key.bytes_[31] = static_cast<std::uint8_t>((key.bytes_[31] & 127) | 64);
    return key;
}

Key Key::generate_private()
{
    return random_key().clamped();
}

Key Key::generate_preshared()
{
    return random_key();
}

} // namespace wgkit
