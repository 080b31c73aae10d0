// SPDX-License-Identifier: MIT
// Keys and their text forms. The codecs run in constant time: no branch and no table lookup
// depends on a key's bytes or characters, so decoding a private key from a file or the command
// line leaks nothing through timing or the cache. Each character is mapped with arithmetic masks:
// `range_mask(c, lo, hi)` is all ones when lo <= c <= hi and zero otherwise, computed from the
// sign bits of two subtractions (C++20 defines >> of a negative int as arithmetic).
// Only lengths, which are public, are checked with ordinary branches.
#include "wgkit/key.h"

#include "wgkit/error.h"

#include "crypto_loader.h"

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

/// The 6-bit value of a base64 character, or -1 for anything outside the standard alphabet.
constexpr int base64_value(unsigned char ch) noexcept
{
    return alphabet_value(ch, base64_alphabet);
}

/// The base64 character of a 6-bit value. Starts from 'A' + v and corrects the offset at each
/// boundary of the alphabet: `(k - v) >> 8` is all ones exactly when v > k.
constexpr char base64_char(int v) noexcept
{
    int c = 'A' + v;
    c += ((25 - v) >> 8) & ('a' - 'A' - 26);
    c += ((51 - v) >> 8) & ('0' - 'a' - 26);
    c += ((61 - v) >> 8) & ('+' - '0' - 10);
    c += ((62 - v) >> 8) & ('/' - '+' - 1);
    return static_cast<char>(c);
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

    // Every character's value in one branch-free loop (vector code), then the bytes: a
    // 10^5-peer config decodes 1.5 * 10^5 keys.
    int values[base64_length];
    for (std::size_t i = 0; i < base64_length; ++i)
        values[i] = base64_value(static_cast<unsigned char>(text[i]));
    int invalid = 0; // any negative value OR-ed in marks a bad character
    for (std::size_t i = 0; i < base64_length - 1; ++i)
        invalid |= values[i];

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
    const unsigned wrong = (static_cast<unsigned>(invalid) >> 31) | (group & 3u) | (pad ^ unsigned('='));
    if (wrong != 0)
        return std::nullopt; // `key` wipes itself
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
    // The 6-bit values first, then one branch-free mapping loop over all of them, which the
    // compiler turns into vector code: printing a 10^5-peer dump encodes 1.5 * 10^5 keys.
    std::uint8_t values[base64_length];
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
    values[43] = 0;

    KeyText out;
    char* p = out.data();
    for (std::size_t i = 0; i < base64_length; ++i)
        p[i] = base64_char(values[i]);
    p[43] = '=';
    p[44] = '\0';
    detail::secure_wipe(values, sizeof(values));
    out.set_length(base64_length);
    return out;
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

Key Key::generate_private()
{
    Key key = random_key();
    key.bytes_[0] &= 248;
    key.bytes_[31] = static_cast<std::uint8_t>((key.bytes_[31] & 127) | 64);
    return key;
}

Key Key::generate_preshared()
{
    return random_key();
}

} // namespace wgkit
