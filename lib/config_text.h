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

/// What strip_next_line read: a text's first line, and that line's content.
struct StrippedLine {
    std::size_t line_size = 0;    ///< the line's bytes, without the '\n' that ends it
    std::size_t content_size = 0; ///< the content's bytes, as written to `out`
    bool fits = true;             ///< false: `out` was too small; nothing counts, read again with more
};

/// Reads the first line of `text` (up to its first '\n', or all of it) and copies the line's
/// content to `out` (`room` bytes) without whitespace, as the original strips a line: the
/// content ends at the first '#' or NUL. Room for the line's size plus 8 always fits.
///
/// Every byte of a config passes through here, so it reads eight at once. A mask marks the
/// bytes that are not copied as they are (below 0x21: whitespace, '\n', NUL and the other
/// controls; and '#'); the word is stored whole, and the output moves on only up to the
/// first marked byte, which is then dealt with on its own. So a line costs about one step per
/// word and one per space, and finding its end is part of the same pass.
inline StrippedLine strip_next_line(std::string_view text, char* out, std::size_t room) noexcept
{
    constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = ones * 0x80, lows = ~highs;
    // The high bit of each byte below 0x21 or equal to '#'. Exact: the low seven bits of a
    // byte plus at most 0x7f never carry into the next byte.
    constexpr auto marked = [](std::uint64_t word) {
        const std::uint64_t hash = word ^ (ones * '#');
        const std::uint64_t below = ~(((word & lows) + ones * (0x80 - 0x21)) | word);
        const std::uint64_t zero = ~(((hash & lows) + lows) | hash);
        return (below | zero) & highs;
    };
    const char* const begin = text.data();
    const char* const end = begin + text.size();
    const char* p = begin;
    char* o = out;
    char* const out_end = out + room;
    const auto done = [&](const char* line_end) {
        return StrippedLine{static_cast<std::size_t>(line_end - begin), static_cast<std::size_t>(o - out), true};
    };
    for (;;) {
        if (end - p >= 8) {
            if (out_end - o < 8)
                return {0, 0, false};
            std::uint64_t word;
            std::memcpy(&word, p, 8);
            std::memcpy(o, p, 8);
            const std::uint64_t mask = marked(word);
            if (!mask) {
                p += 8;
                o += 8;
                continue;
            }
            const int skip = (std::endian::native == std::endian::little ? std::countr_zero(mask)
                                                                         : std::countl_zero(mask)) / 8;
            p += skip;
            o += skip;
        } else if (p == end) {
            return done(end);
        } else if (static_cast<unsigned char>(*p) > 0x20 && *p != '#') {
            // The text's last few bytes go one at a time.
            if (o == out_end)
                return {0, 0, false};
            *o++ = *p++;
            continue;
        }
        // *p is marked.
        const char c = *p;
        if (c == '\n')
            return done(p);
        if (c == '#' || c == '\0') {
            const void* newline = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
            return done(newline ? static_cast<const char*>(newline) : end);
        }
        if (!is_space(c)) { // another control byte is content
            if (o == out_end)
                return {0, 0, false};
            *o++ = c;
        }
        ++p;
    }
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
