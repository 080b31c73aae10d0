// SPDX-License-Identifier: MIT
#include "uapi_codec.h"

#include "../address_text.h"
#include "../crypto_loader.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include <wgkit/error.h>

namespace wgkit::uapi {
namespace {

[[noreturn]] void fail(int code) { throw Error(std::strerror(code), code); }

// The original's NUM(): a leading digit, decimal digits to the end, at most `max`.
// Stricter in one way: an overflowing value is malformed rather than clamped.
template <class T>
T number(std::string_view value, std::uint64_t max) {
    std::uint64_t n = 0;
    if (value.empty() || value[0] < '0' || value[0] > '9')
        fail(EPROTO);
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size() || n > max)
        fail(EPROTO);
    return static_cast<T>(n);
}

Key hex_key(std::string_view value) {
    auto key = Key::from_hex(value);
    if (!key)
        fail(EPROTO);
    return *key;
}

// "ip:port" (split at the last ':') or "[ip]:port". Only numeric hosts and ports are
// accepted (AI_NUMERICHOST): a UAPI server reports addresses, and a get must never wait on
// DNS. As in the original, an unresolvable value is ENETUNREACH, a badly shaped one EPROTO.
Endpoint parse_endpoint_value(std::string_view value) {
    std::string host, port;
    if (value.empty())
        fail(EPROTO);
    if (value[0] == '[') {
        auto close = value.find(']');
        if (close == std::string_view::npos || close + 2 >= value.size() ||
            value[close + 1] != ':')
            fail(EPROTO);
        host = value.substr(1, close - 1);
        port = value.substr(close + 2);
    } else {
        auto colon = value.rfind(':');
        if (colon == std::string_view::npos || colon + 1 == value.size())
            fail(EPROTO);
        host = value.substr(0, colon);
        port = value.substr(colon + 1);
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_protocol = IPPROTO_UDP;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0)
        fail(ENETUNREACH);
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(res, freeaddrinfo);
    Endpoint endpoint;
    if ((res->ai_family == AF_INET && res->ai_addrlen == sizeof(sockaddr_in)) ||
        (res->ai_family == AF_INET6 && res->ai_addrlen == sizeof(sockaddr_in6)))
        std::memcpy(&endpoint.addr, res->ai_addr, res->ai_addrlen);
    else
        fail(EPROTO);
    return endpoint;
}

AllowedIp parse_allowed_ip(std::string_view value) {
    auto slash = value.find('/');
    if (slash == std::string_view::npos)
        fail(EPROTO);
    AllowedIp entry;
    entry.family = address_text::parse_ip(value.substr(0, slash), entry.address.data());
    if (entry.family == AF_UNSPEC)
        fail(EPROTO);
    entry.cidr = number<std::uint8_t>(value.substr(slash + 1), entry.family == AF_INET ? 32 : 128);
    return entry;
}

// `errno=N`: wireguard-go sends -errno, other servers may send errno; either way the
// magnitude is the code.
int errno_value(std::string_view value) {
    if (!value.empty() && value[0] == '-')
        value.remove_prefix(1);
    return number<int>(value, std::numeric_limits<int>::max());
}

// The empty line ends every reply; the errno it carried decides success.
bool reply_end(std::string_view line, int code) {
    if (!line.empty())
        return false;
    if (code != 0)
        fail(code);
    return true;
}

// Splits "key=value"; EPROTO when there is no '='.
std::pair<std::string_view, std::string_view> split(std::string_view line) {
    auto eq = line.find('=');
    if (eq == std::string_view::npos)
        fail(EPROTO);
    return {line.substr(0, eq), line.substr(eq + 1)};
}

} // namespace

void wipe(void* p, std::size_t n) noexcept { detail::secure_wipe(p, n); }

SecretString encode_set(const Device& device) {
    SecretString out;
    // One reservation for the common case, so few buffers holding keys are freed on the way.
    out.reserve(256 + device.peers.size() * 256);
    auto put = std::back_inserter(out);
    out += "set=1\n";
    if (device.private_key)
        fmt::format_to(put, "private_key={}\n", device.private_key->hex().view());
    if (device.listen_port)
        fmt::format_to(put, "listen_port={}\n", *device.listen_port);
    if (device.fwmark)
        fmt::format_to(put, "fwmark={}\n", *device.fwmark);
    if (device.replace_peers)
        out += "replace_peers=true\n";
    for (const Peer& peer : device.peers) {
        fmt::format_to(put, "public_key={}\n", peer.public_key.hex().view());
        if (peer.remove) {
            out += "remove=true\n";
            continue;
        }
        if (peer.update_only)
            out += "update_only=true\n";
        if (peer.preshared_key)
            fmt::format_to(put, "preshared_key={}\n", peer.preshared_key->hex().view());
        // An endpoint without an address family, or one getnameinfo cannot print, is skipped.
        if (peer.endpoint &&
            (peer.endpoint->family() == AF_INET || peer.endpoint->family() == AF_INET6)) {
            if (auto text = peer.endpoint->try_to_string())
                fmt::format_to(put, "endpoint={}\n", *text);
        }
        if (peer.persistent_keepalive)
            fmt::format_to(put, "persistent_keepalive_interval={}\n", *peer.persistent_keepalive);
        if (peer.replace_allowed_ips)
            out += "replace_allowed_ips=true\n";
        for (const AllowedIp& ip : peer.allowed_ips) {
            if (ip.family != AF_INET && ip.family != AF_INET6)
                continue;
            fmt::format_to(put, "allowed_ip={}{}\n", ip.remove ? "-" : "", ip.to_string());
        }
    }
    out += '\n';
    return out;
}

void GetReplyParser::hand_over() {
    if (!sink_ || device_.peers.empty())
        return;
    Peer peer = std::move(device_.peers.back());
    device_.peers.clear(); // keeps its one slot for the next peer
    peer_ = nullptr;
    sink_(device_, std::move(peer));
}

bool GetReplyParser::feed(std::string_view line) {
    if (reply_end(line, errno_)) {
        hand_over();
        return true;
    }
    auto [key, value] = split(line);
    if (!in_peers_ && key == "private_key") {
        device_.private_key = hex_key(value);
        device_.public_key = device_.private_key->public_key();
    } else if (!in_peers_ && key == "listen_port") {
        device_.listen_port = number<std::uint16_t>(value, 0xffff);
    } else if (!in_peers_ && key == "fwmark") {
        device_.fwmark = number<std::uint32_t>(value, 0xffffffffU);
    } else if (key == "public_key") {
        hand_over();
        in_peers_ = true;
        peer_ = &device_.peers.emplace_back();
        peer_->public_key = hex_key(value);
    } else if (peer_ && key == "preshared_key") {
        Key psk = hex_key(value);
        if (!psk.is_zero()) // all-zero means "no PSK"
            peer_->preshared_key = psk;
    } else if (peer_ && key == "endpoint") {
        peer_->endpoint = parse_endpoint_value(value);
    } else if (peer_ && key == "persistent_keepalive_interval") {
        peer_->persistent_keepalive = number<std::uint16_t>(value, 0xffff);
    } else if (peer_ && key == "allowed_ip") {
        peer_->allowed_ips.push_back(parse_allowed_ip(value));
    } else if (peer_ && key == "last_handshake_time_sec") {
        peer_->last_handshake.tv_sec = number<time_t>(value, std::numeric_limits<time_t>::max());
    } else if (peer_ && key == "last_handshake_time_nsec") {
        peer_->last_handshake.tv_nsec = number<long>(value, std::numeric_limits<long>::max());
    } else if (peer_ && key == "rx_bytes") {
        peer_->rx_bytes = number<std::uint64_t>(value, std::numeric_limits<std::uint64_t>::max());
    } else if (peer_ && key == "tx_bytes") {
        peer_->tx_bytes = number<std::uint64_t>(value, std::numeric_limits<std::uint64_t>::max());
    } else if (key == "errno") {
        errno_ = errno_value(value);
    }
    // Anything else (protocol_version=1, keys of newer servers) is ignored, as the original.
    return false;
}

bool SetReplyParser::feed(std::string_view line) {
    if (reply_end(line, errno_))
        return true;
    auto [key, value] = split(line);
    if (key == "errno")
        errno_ = errno_value(value);
    return false;
}

Device decode_get(std::string_view reply) {
    GetReplyParser parser;
    while (!reply.empty()) {
        auto nl = reply.find('\n');
        if (nl == std::string_view::npos)
            break; // a line without its newline is truncated
        if (parser.feed(reply.substr(0, nl)))
            return parser.take();
        reply.remove_prefix(nl + 1);
    }
    fail(EPROTO);
}

} // namespace wgkit::uapi
