// SPDX-License-Identifier: MIT
// Locale-free character rules of the wg(8) text format, shared by the config parser and the
// value parsers. Internal to libwgkit.
#pragma once

#include <string>
#include <string_view>

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
    std::size_t count = !text.empty() && text[0] == '[';
    for (std::size_t at = text.find("\n["); at != std::string_view::npos; at = text.find("\n[", at + 2))
        ++count;
    return count;
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

} // namespace wgkit::config_text
