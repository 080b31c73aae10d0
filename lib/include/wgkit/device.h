// SPDX-License-Identifier: MIT
#pragma once

// The Device/Peer/AllowedIp model: the one currency between the parser, the backends, the diff
// and the printers. Thread safety: plain values, to be shared read-only or copied.

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <wgkit/key.h>

namespace wgkit {

/// One allowed-IP entry. `address` holds 4 (AF_INET) or 16 (AF_INET6) meaningful bytes.
struct AllowedIp {
    std::uint16_t family = AF_INET;
    std::array<std::uint8_t, 16> address{};
    std::uint8_t cidr = 0;
    bool remove = false; ///< set: "-prefix", i.e. WGALLOWEDIP_F_REMOVE_ME

    /// Room for any text to_chars writes: inet_ntop's longest, '/' and "128".
    static constexpr std::size_t max_text = INET6_ADDRSTRLEN + 4;

    /// "a.b.c.d/n" or "x::/m" (inet_ntop text, then '/', then cidr).
    std::string to_string() const;
    /// Writes to_string()'s text, or with `with_cidr` false only the address, at `out` (room
    /// for max_text) and returns its end. It allocates nothing: printers write 10^5 of them.
    char* to_chars(char* out, bool with_cidr = true) const noexcept;
    friend bool operator==(const AllowedIp&, const AllowedIp&) = default;
};

/// A UDP endpoint: a sockaddr_in or sockaddr_in6.
struct Endpoint {
    union {
        sockaddr addr;
        sockaddr_in addr4;
        sockaddr_in6 addr6;
    };
    /// Room for any text to_chars writes: '[', inet_ntop's longest IPv6 text, "]:65535".
    static constexpr std::size_t max_text = INET6_ADDRSTRLEN + 8;

    Endpoint() noexcept;
    std::uint16_t family() const noexcept { return addr.sa_family; }
    socklen_t length() const noexcept;
    /// "IP:PORT" or "[IPv6]:PORT" exactly as wg prints it (getnameinfo numeric host and
    /// service; on failure the gai_strerror text).
    std::string to_string() const;
    /// Writes to_string()'s text at `out` (room for max_text) and returns its end, without
    /// allocating, for an IPv4 or unscoped IPv6 endpoint. Returns nullptr for any other, whose
    /// text needs getnameinfo (a scope names an interface): use to_string() for those.
    char* to_chars(char* out) const noexcept;
    /// Like to_string, but empty when getnameinfo fails (showconf then omits the line).
    std::optional<std::string> try_to_string() const;
    friend bool operator==(const Endpoint& a, const Endpoint& b) noexcept;
};

/// A peer, as parsed from a config or `wg set`, sent to a backend, or read back from one.
/// In a set, an absent optional leaves that field unchanged.
struct Peer {
    Key public_key;
    std::optional<Key> preshared_key;          ///< zero key = remove the PSK
    std::optional<Endpoint> endpoint;
    std::optional<std::uint16_t> persistent_keepalive; ///< 0 = off
    std::vector<AllowedIp> allowed_ips;

    bool remove = false;              ///< WGPEER_F_REMOVE_ME
    bool replace_allowed_ips = false; ///< WGPEER_F_REPLACE_ALLOWEDIPS
    bool update_only = false;         ///< WGPEER_F_UPDATE_ONLY (API only; wg never sends it)

    // Read-only state from a get.
    timespec last_handshake{};
    std::uint64_t rx_bytes = 0;
    std::uint64_t tx_bytes = 0;

    /// The line of this peer's [Peer] header when it came from a file (0 otherwise); the file
    /// is the one the caller parsed.
    unsigned source_line = 0;
};

/// A WireGuard device: the one currency between the config parser, the backends, the diff
/// and the printers. In a set, an absent optional leaves that field unchanged.
struct Device {
    std::string name;
    std::uint32_t ifindex = 0;
    std::optional<Key> private_key;      ///< zero key = remove the private key
    std::optional<Key> public_key;       ///< from a get only
    std::optional<std::uint16_t> listen_port; ///< 0 = random
    std::optional<std::uint32_t> fwmark;      ///< 0 = off
    bool replace_peers = false;          ///< WGDEVICE_F_REPLACE_PEERS
    std::vector<Peer> peers;
};

} // namespace wgkit
