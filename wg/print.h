// SPDX-License-Identifier: MIT
// The printers of `wg show`: pretty (for people), script fields and dump (for programs).
// They append to one fmt::memory_buffer that the caller flushes with fwrite, so 10^5 peers
// cost no per-field stdio calls and no per-peer allocations.
#pragma once

#include <cstdint>
#include <ctime>
#include <string_view>

#include <fmt/compile.h>
#include <fmt/format.h>

#include <wgkit/device.h>

namespace wg {

using Buffer = fmt::memory_buffer;

/// Writes `out` to stdout and empties it. Printers call it between peers once the buffer
/// is large, so memory stays bounded however many peers a device has.
void flush(Buffer& out);
/// flush() when the buffer holds more than a chunk worth writing.
void flush_if_large(Buffer& out);

/// How the pretty printer renders: colour on/off, secrets shown, and the clock that
/// "latest handshake: ... ago" is measured against.
struct PrettyOptions {
    bool color = false;
    bool show_keys = false; ///< WG_HIDE_KEYS=never
    std::time_t now = 0;

    /// The original's decisions: WG_COLOR_MODE (always / never / isatty(stdout)),
    /// WG_HIDE_KEYS (only "never" reveals), and time(NULL).
    static PrettyOptions from_environment();
};

/// The pretty block of one device (reference §1.2), peers sorted newest handshake first.
/// The sort is stable, so ties keep device order, as glibc's merge-sorting qsort does.
void print_pretty(Buffer& out, const wgkit::Device& device, const PrettyOptions& options);

/// True for the field names `wg show IF <field>` accepts (including "dump").
bool is_script_field(std::string_view field);
/// Prints one field in script format (tab-separated, device order); with_interface prefixes
/// every line with "NAME\t" (`show all <field>`, with the v1.0.20250521 endpoints fix).
/// `field` must satisfy is_script_field.
void print_script_field(Buffer& out, const wgkit::Device& device, std::string_view field,
                        bool with_interface);

// Building blocks, exposed for the unit tests.

/// "1 year, 35 days, 3 hours, 1 second" (units cyan when colour is on); nothing for 0.
void append_duration(Buffer& out, std::uint64_t seconds, bool color);
/// "Now", "<duration> ago" or the red clock-went-backward warning.
void append_ago(Buffer& out, const timespec& handshake, std::time_t now, bool color);
/// "1023 B", "1.50 KiB", ... "5.00 TiB".
void append_bytes(Buffer& out, std::uint64_t bytes, bool color);
/// Appends `chunk` with every "ESC[" through the next letter removed, exactly as the
/// original's colourless terminal_printf does to each formatted chunk (reference §7.15).
void append_without_ansi(Buffer& out, std::string_view chunk);
/// Endpoint text as wg prints it ("1.2.3.4:5", "[::1]:5", or a getnameinfo error text).
void append_endpoint(Buffer& out, const wgkit::Endpoint& endpoint);
/// The address part of an allowed IP (inet_ntop text).
void append_ip(Buffer& out, const wgkit::AllowedIp& ip);
/// inet_ntop's text of 4 / 16 address bytes, without its per-group sprintf.
void append_ipv4(Buffer& out, const std::uint8_t* bytes);
void append_ipv6(Buffer& out, const std::uint8_t* bytes);
/// Decimal digits of n.
void append_number(Buffer& out, std::uint64_t n);
/// Base64 of a key, or "(none)" for the all-zero key (the original's key()).
void append_key(Buffer& out, const wgkit::Key& key);

} // namespace wg
