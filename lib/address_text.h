// SPDX-License-Identifier: MIT
// Address text shared by the model (AllowedIp, Endpoint), the config readers and the showconf
// writer, both ways. Internal.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include <wgkit/device.h>

namespace wgkit::address_text {

/// Appends getnameinfo's numeric "IP:PORT", or "[IPv6]:PORT", for `endpoint`; returns its error
/// code, appending nothing, when it has none. Without a scope the text is built directly (it is
/// inet_ntop's), since showconf writes one per peer.
int append_endpoint(std::string& out, const Endpoint& endpoint);

/// inet_pton(AF_INET, text): exactly four decimal parts, each 0-255 without a leading zero.
/// Writes 4 bytes to `out` only on success. Every byte of `text` counts (a NUL fails).
bool parse_ipv4(std::string_view text, std::uint8_t* out) noexcept;

/// inet_pton(AF_INET6, text): up to eight groups of 1-4 hex digits, at most one "::", and an
/// optional IPv4 tail. Writes 16 bytes to `out` only on success.
bool parse_ipv6(std::string_view text, std::uint8_t* out) noexcept;

/// The family whose inet_pton takes `text` (AF_INET, else AF_INET6), after writing its 4 or 16
/// bytes to `out`; AF_UNSPEC, writing nothing, when neither does. No text is both: IPv6 needs a
/// ':' and IPv4 allows none. Written out because a file or reply may hold 10^5 addresses:
/// inet_pton wants a C string copy, and it was over a third of parsing AllowedIPs lines.
sa_family_t parse_ip(std::string_view text, std::uint8_t* out) noexcept;

} // namespace wgkit::address_text
