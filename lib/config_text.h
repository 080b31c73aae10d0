// SPDX-License-Identifier: MIT
// Locale-free character rules of the wg(8) text format, shared by the config parser and the
// value parsers. Internal to libwgkit.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <wgkit/config.h>
#include <wgkit/key.h>

namespace wgkit::config_text {

/// The original's char_is_space: bytes 9-13 and 32, whatever the locale.
constexpr bool is_space(char c) noexcept
{
    return c == ' ' || static_cast<unsigned>(static_cast<unsigned char>(c)) - 9u < 5u;
}

constexpr bool is_digit(char c) noexcept
{
    return c >= '0' && c <= '9';
}

/// A hex digit's value, either case; -1 for any other byte.
constexpr int hex_value(char c) noexcept
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

constexpr char ascii_lower(char c) noexcept
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// strcasecmp(a, b) == 0 in the C locale.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

/// Lines whose first byte is '[': at least as many as the file's [Peer] sections when
/// headers are unindented (as every generated config has them); a capacity hint, not a count.
inline std::size_t count_section_lines(std::string_view text) noexcept
{
    // '[' is rarer than '\n': search for it and look behind.
    std::size_t count = 0;
    for (std::size_t at = text.find('['); at != std::string_view::npos; at = text.find('[', at + 1))
        count += at == 0 || text[at - 1] == '\n';
    return count;
}

/// The room strip_line needs past line.size() bytes: it stores a line's last bytes as one word.
inline constexpr std::size_t strip_slack = 8;

/// Copies `line`'s content to `out` (room for line.size() + strip_slack bytes) without
/// whitespace, as the original strips a line: the content ends at the first '#' or NUL.
/// Returns the bytes written. Every byte of a config passes through here, so eight are tested
/// at once: a word with no '#' and no byte below 0x21 (whitespace, NUL, other controls) is
/// copied whole, and one with spaces but no '#' or NUL is compacted without a branch per byte.
/// A line's last, shorter-than-eight bytes are tested the same way, as the word that ends
/// the line with the bytes already read shifted out.
inline std::size_t strip_line(std::string_view line, char* out) noexcept
{
    constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = ones * 0x80;
    // Exact "some byte is below b" test: the borrow can only mark bytes above a true hit.
    constexpr auto some_below = [](std::uint64_t word, unsigned char b) {
        return ((word - ones * b) & ~word & highs) != 0;
    };
    constexpr auto has_hash = [some_below](std::uint64_t word) {
        return some_below(word ^ (ones * '#'), 0x01);
    };
    // Copied whole: no '#' and no byte below 0x21 (whitespace, NUL, other controls).
    constexpr auto plain = [some_below, has_hash](std::uint64_t word) {
        return !some_below(word, 0x21) && !has_hash(word);
    };
    const char* p = line.data();
    const char* const end = p + line.size();
    char* o = out;
    for (; end - p >= 8; p += 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        if (plain(word)) {
            std::memcpy(o, p, 8);
            o += 8;
            continue;
        }
        if (some_below(word, 0x01) || has_hash(word))
            break; // the content ends in this word: the byte loop below finds where
        // Each byte is written, and kept only when not a space: `o` never passes `p`, so
        // this stays in the room given.
        for (int i = 0; i < 8; ++i) {
            o[0] = p[i];
            o += !is_space(p[i]);
        }
    }
    if (end - p < 8 && p != line.data() && p != end) {
        // The loop read every word: the tail is the last `rest` bytes of the word ending the
        // line. The bytes shifted in above them are 'A's, which pass every test.
        unsigned rest = static_cast<unsigned>(end - p);
        std::uint64_t word;
        std::memcpy(&word, end - 8, 8);
        constexpr std::uint64_t all = ~std::uint64_t{0};
        if constexpr (std::endian::native == std::endian::little)
            word = word >> (8 - rest) * 8 | (all << rest * 8 & ones * 'A');
        else
            word = word << (8 - rest) * 8 | (all >> rest * 8 & ones * 'A');
        if (plain(word)) {
            std::memcpy(o, &word, 8);
            return static_cast<std::size_t>(o - out) + rest;
        }
    }
    for (; p < end && *p != '#' && *p != '\0'; ++p)
        if (!is_space(*p))
            *o++ = *p;
    return static_cast<std::size_t>(o - out);
}

/// "<what>: `<value>'", the shape of every message that quotes a bad value.
inline std::string quoted(std::string_view what, std::string_view value)
{
    std::string out;
    out.reserve(what.size() + value.size() + 4);
    out.append(what).append(": `").append(value).append("'");
    return out;
}

/// What error messages show in place of a private or preshared key. The original quotes the
/// value; a secret must not reach stderr or a log, and the file:line prefix already says
/// which line failed.
inline constexpr std::string_view hidden = "(hidden)";

/// parse_key for a private or preshared key: the same rule, but a bad value is not quoted.
Key parse_secret_key(std::string_view value);

/// WG_ENDPOINT_RESOLUTION_RETRIES: unset = 15, "infinity" = -1 (no limit), else strtoul's
/// reading of it up to INT_MAX. Throws EnvironmentInvalid for anything else.
int resolution_retries();

/// parse_endpoint with the retry limit already read (the parser reads it once per file).
Endpoint parse_endpoint(std::string_view value, const WarningSink& warn, int retries);

} // namespace wgkit::config_text
