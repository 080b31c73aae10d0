// SPDX-License-Identifier: MIT
// Key::from_base64, Key::from_public_base64 and Key::from_hex against a plain reference
// decoder written here, plus the round trips decode(encode(k)) == k and encode(decode(t)) == t
// (the decoders accept only canonical text, so a decoded text must come back byte for byte;
// hex in lowercase).
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <wgkit/key.h>

#include "fuzz_common.h"

using wgkit::Key;
using wgkit_fuzz::check;

namespace {

using Bytes = std::array<std::uint8_t, Key::size>;

int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/// 43 base64 digits and '=': 258 bits, of which the last 2 must be zero.
std::optional<Bytes> reference_base64(std::string_view text)
{
    if (text.size() != 44 || text[43] != '=')
        return std::nullopt;
    Bytes out{};
    unsigned bits = 0, acc = 0;
    std::size_t n = 0;
    for (char c : text.substr(0, 43)) {
        int v = base64_value(c);
        if (v < 0)
            return std::nullopt;
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = static_cast<std::uint8_t>(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)
        return std::nullopt;
    return out;
}

int hex_value(char c)
{
    // Position in the digit string, independent of the library's digit rules.
    std::size_t at = std::string_view("0123456789abcdef").find(c >= 'A' && c <= 'F' ? c + 32 : c);
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

std::optional<Bytes> reference_hex(std::string_view text)
{
    if (text.size() != 64)
        return std::nullopt;
    Bytes out{};
    for (std::size_t i = 0; i < Key::size; ++i) {
        int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return out;
}

bool same_bytes(const Key& key, const Bytes& bytes)
{
    return std::memcmp(key.data(), bytes.data(), Key::size) == 0;
}

std::string lowercase(std::string_view text)
{
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

} // namespace

void wgkit_fuzz::key_input(const std::uint8_t* data, std::size_t size)
{
    std::string_view text = wgkit_fuzz::as_text(data, size);

    std::optional<Key> b64 = Key::from_base64(text);
    std::optional<Bytes> b64_ref = reference_base64(text);
    check(b64.has_value() == b64_ref.has_value(), "from_base64 accepts exactly what the reference accepts");
    if (b64) {
        check(same_bytes(*b64, *b64_ref), "from_base64 decodes as the reference");
        check(b64->base64().view() == text, "base64(from_base64(t)) == t");
    }
    std::optional<Key> public_b64 = Key::from_public_base64(text);
    check(public_b64.has_value() == b64_ref.has_value(), "from_public_base64 accepts exactly what the reference accepts");
    if (public_b64)
        check(same_bytes(*public_b64, *b64_ref), "from_public_base64 decodes as the reference");

    std::optional<Key> hex = Key::from_hex(text);
    std::optional<Bytes> hex_ref = reference_hex(text);
    check(hex.has_value() == hex_ref.has_value(), "from_hex accepts exactly what the reference accepts");
    if (hex) {
        check(same_bytes(*hex, *hex_ref), "from_hex decodes as the reference");
        check(hex->hex().view() == lowercase(text), "hex(from_hex(t)) == lowercase(t)");
    }

    // Any 32 bytes survive both encodings.
    if (size >= Key::size) {
        Key key(data);
        std::optional<Key> back = Key::from_base64(key.base64().view());
        check(back && *back == key, "from_base64(base64(k)) == k");
        back = Key::from_hex(key.hex().view());
        check(back && *back == key, "from_hex(hex(k)) == k");
        check(key.is_zero() == (key == Key{}), "is_zero agrees with comparison to the zero key");
    }
}

WGKIT_FUZZ_TARGET(key_input)
