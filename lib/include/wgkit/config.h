// SPDX-License-Identifier: MIT
#pragma once

// The wg(8) configuration format: parser, value parsers shared with `wg set`, and the
// `wg showconf` writer.
//
// Thread safety: every function is reentrant and keeps no state between calls. parse_config
// and parse_endpoint may block in getaddrinfo and sleep between resolution retries
// (WG_ENDPOINT_RESOLUTION_RETRIES, read from the environment at each call).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wgkit/device.h>
#include <wgkit/error.h>

namespace wgkit {

/// Receives warnings (e.g. "Warning: AllowedIP has nonzero host part: ...", DNS retry lines).
/// The library never prints; the CLI decides where they go (stderr).
using WarningSink = std::function<void(const std::string&)>;

/// The wg-quick-only part of an [Interface] section, kept beside the Device.
struct QuickConfig {
    std::vector<std::string> addresses; ///< tokens as written, split on ',' and whitespace
    std::vector<std::string> dns;       ///< nameservers and search domains, as written
    std::optional<std::uint32_t> mtu;
    std::optional<std::string> table;
    std::vector<std::string> pre_up, post_up, pre_down, post_down;
    std::optional<bool> save_config;
};

struct Config {
    Device device;
    QuickConfig quick;
};

struct ParseOptions {
    /// The file name used in error messages ("file:line: ..."); empty for no location.
    std::string filename;
    /// false (wg): wg-quick keys are "Line unrecognized", exactly as the original.
    /// true (library users, wg-quick): they fill Config::quick.
    bool accept_quick_keys = false;
    /// true (addconf): the Device carries only what the text sets: replace_peers false and
    /// private key, listen port and fwmark absent (std::nullopt) unless the text has them.
    /// false (setconf, syncconf, wg-quick): the setconf flags described at parse_config.
    bool append = false;
    WarningSink warn;
};

/// Parses the wg(8) configuration format with the original's semantics (whitespace removal,
/// '#' comments, case-insensitive sections and keys, AllowedIPs accumulation, endpoint
/// resolution with WG_ENDPOINT_RESOLUTION_RETRIES). The Device has the setconf flags:
/// replace_peers, private key, listen port and fwmark always present (zero when absent from
/// the text); every peer has replace_allowed_ips. Throws Error whose message is the
/// original's text, prefixed "file:line: " when a filename is given; the CLI adds
/// "Configuration parsing error" / "Invalid configuration" after it.
Config parse_config(std::string_view text, const ParseOptions& options);

/// Error thrown by parse_config for a semantic failure after parsing ("A peer is missing a
/// public key"); the CLI follows it with "Invalid configuration" rather than
/// "Configuration parsing error".
class ConfigInvalid : public Error {
public:
    using Error::Error;
};

/// Error thrown when WG_ENDPOINT_RESOLUTION_RETRIES is neither "infinity" nor a number up to
/// INT_MAX. The original exits at once on it, so the CLI prints it alone, without
/// "Configuration parsing error" and without a file:line prefix.
class EnvironmentInvalid : public Error {
public:
    using Error::Error;
};

// Value parsers shared by the config file and `wg set`. Each throws Error with the
// original's message, quoting the value.
std::uint16_t parse_port(std::string_view value);
std::uint32_t parse_fwmark(std::string_view value);
std::uint16_t parse_persistent_keepalive(std::string_view value);
/// A public key (PublicKey, `wg set peer`): not secret, so decoded by table lookup.
Key parse_key(std::string_view value);
/// Parses a comma-separated allowed-IP list into `peer` (appending; handles '+'/'-' prefixes
/// and the replace_allowed_ips rule). Whitespace must already be removed.
void parse_allowed_ips(std::string_view value, Peer& peer, const WarningSink& warn);
/// Parses and resolves "host:port", "[v6]:port"; retries per WG_ENDPOINT_RESOLUTION_RETRIES.
Endpoint parse_endpoint(std::string_view value, const WarningSink& warn);
/// Reads a key file for `wg set` (private-key / preshared-key): 44 bytes of base64 then only
/// whitespace; empty file = zero key. Unlike the original, a bad key is shown as `(hidden)'
/// in the message, never quoted: it is a secret. (The same holds for PrivateKey and
/// PresharedKey values in parse_config.)
Key read_key_file(const std::string& path);

/// Writes the `wg showconf` text of a device.
std::string format_config(const Device& device);
/// The two parts of format_config, for printing a device while it is read: the [Interface]
/// section with the blank line after it (`device.peers` is not looked at), and one [Peer]
/// section, preceded by a blank line unless it is the first.
void append_config_interface(std::string& out, const Device& device);
void append_config_peer(std::string& out, const Peer& peer, bool first);

} // namespace wgkit
