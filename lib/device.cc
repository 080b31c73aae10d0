// SPDX-License-Identifier: MIT
// Text forms of the model's address types, both ways: written for showconf, show and error
// messages, read for config files, wg set and UAPI replies.
#include <wgkit/device.h>

#include <arpa/inet.h>
#include <netdb.h>

#include <charconv>
#include <cstring>

#include "address_text.h"
#include "config_text.h"

namespace wgkit {

namespace {

/// inet_ntop's text of an IPv4 address at `out` (room for INET_ADDRSTRLEN); returns its end.
char* write_ipv4(char* out, const std::uint8_t* bytes) noexcept
{
    for (int i = 0; i < 4; ++i) {
        if (i)
            *out++ = '.';
        unsigned byte = bytes[i];
        if (byte >= 100)
            *out++ = static_cast<char>('0' + byte / 100);
        if (byte >= 10)
            *out++ = static_cast<char>('0' + byte / 10 % 10);
        *out++ = static_cast<char>('0' + byte % 10);
    }
    return out;
}

/// ":PORT" at `out` (room for 6); returns its end.
char* write_port(char* out, in_port_t network_order) noexcept
{
    *out++ = ':';
    return std::to_chars(out, out + 5, ntohs(network_order)).ptr;
}

} // namespace

bool address_text::append_ip(std::string& out, int family, const void* address)
{
    if (family == AF_INET) {
        char text[INET_ADDRSTRLEN];
        out.append(text, write_ipv4(text, static_cast<const std::uint8_t*>(address)));
        return true;
    }
    char text[INET6_ADDRSTRLEN];
    if (family != AF_INET6 || !inet_ntop(AF_INET6, address, text, sizeof(text)))
        return false;
    out += text;
    return true;
}

bool address_text::parse_ipv4(std::string_view text, std::uint8_t* out) noexcept
{
    std::uint8_t bytes[4];
    unsigned part = 0;   // index of the part being read
    unsigned value = 0;  // its value so far
    unsigned digits = 0; // its digits so far
    for (char c : text) {
        if (c >= '0' && c <= '9') {
            if (digits == 1 && value == 0) // "0" may not lead another digit
                return false;
            value = value * 10 + static_cast<unsigned>(c - '0');
            if (value > 255)
                return false;
            ++digits;
        } else if (c == '.' && digits && part < 3) {
            bytes[part++] = static_cast<std::uint8_t>(value);
            value = digits = 0;
        } else {
            return false;
        }
    }
    if (part != 3 || !digits)
        return false;
    bytes[3] = static_cast<std::uint8_t>(value);
    std::memcpy(out, bytes, sizeof(bytes));
    return true;
}

bool address_text::parse_ipv6(std::string_view text, std::uint8_t* out) noexcept
{
    constexpr std::size_t size = 16;
    constexpr std::size_t no_gap = size + 1;
    std::uint8_t bytes[size] = {};
    std::size_t filled = 0;    // bytes of groups read so far
    std::size_t gap = no_gap;  // where "::" stands, as a byte offset
    const char* p = text.data();
    const char* const end = p + text.size();
    if (p == end)
        return false;
    // A leading ':' must be half of a "::"; the loop reads the other half as the gap.
    if (*p == ':' && (++p == end || *p != ':'))
        return false;
    const char* group = p; // where the current group began: an IPv4 tail is read from there
    unsigned value = 0;
    unsigned digits = 0;
    while (p < end) {
        char c = *p++;
        if (int digit = config_text::hex_value(c); digit >= 0) {
            if (digits == 4)
                return false;
            value = value << 4 | static_cast<unsigned>(digit);
            ++digits;
            continue;
        }
        if (c == ':') {
            group = p;
            if (!digits) { // the second ':' of "::"
                if (gap != no_gap)
                    return false;
                gap = filled;
                continue;
            }
            if (p == end || filled + 2 > size) // "1:" ends on a lone ':'; or a ninth group
                return false;
            bytes[filled++] = static_cast<std::uint8_t>(value >> 8);
            bytes[filled++] = static_cast<std::uint8_t>(value);
            value = digits = 0;
            continue;
        }
        // An IPv4 tail takes the last 4 bytes' room and ends the text.
        if (c == '.' && filled + 4 <= size &&
            parse_ipv4(std::string_view(group, static_cast<std::size_t>(end - group)), bytes + filled)) {
            filled += 4;
            digits = 0;
            break;
        }
        return false;
    }
    if (digits) {
        if (filled + 2 > size)
            return false;
        bytes[filled++] = static_cast<std::uint8_t>(value >> 8);
        bytes[filled++] = static_cast<std::uint8_t>(value);
    }
    if (gap != no_gap) {
        if (filled == size) // "::" must stand for at least one zero group
            return false;
        std::size_t after = filled - gap;
        std::memmove(bytes + size - after, bytes + gap, after);
        std::memset(bytes + gap, 0, size - after - gap);
        filled = size;
    }
    if (filled != size)
        return false;
    std::memcpy(out, bytes, size);
    return true;
}

sa_family_t address_text::parse_ip(std::string_view text, std::uint8_t* out) noexcept
{
    if (parse_ipv4(text, out))
        return AF_INET;
    if (parse_ipv6(text, out))
        return AF_INET6;
    return AF_UNSPEC;
}

std::string AllowedIp::to_string() const
{
    std::string out;
    address_text::append_ip(out, family == AF_INET6 ? AF_INET6 : AF_INET, address.data());
    out += '/';
    out += std::to_string(cidr);
    return out;
}

Endpoint::Endpoint() noexcept
{
    std::memset(&addr6, 0, sizeof(addr6));
    addr.sa_family = AF_UNSPEC;
}

socklen_t Endpoint::length() const noexcept
{
    switch (addr.sa_family) {
    case AF_INET:
        return sizeof(sockaddr_in);
    case AF_INET6:
        return sizeof(sockaddr_in6);
    default:
        return 0;
    }
}

int address_text::append_endpoint(std::string& out, const Endpoint& endpoint)
{
    // Without a scope, getnameinfo's numeric host is inet_ntop's text: take the fast path,
    // built in one buffer and appended once (showconf writes one per peer).
    if (endpoint.family() == AF_INET) {
        char text[INET_ADDRSTRLEN + 6];
        char* end = write_ipv4(text, reinterpret_cast<const std::uint8_t*>(&endpoint.addr4.sin_addr));
        out.append(text, write_port(end, endpoint.addr4.sin_port));
        return 0;
    }
    if (endpoint.family() == AF_INET6 && !endpoint.addr6.sin6_scope_id) {
        char text[INET6_ADDRSTRLEN + 8] = "[";
        if (!inet_ntop(AF_INET6, &endpoint.addr6.sin6_addr, text + 1, INET6_ADDRSTRLEN))
            return EAI_SYSTEM;
        char* end = text + 1 + std::strlen(text + 1);
        *end++ = ']';
        out.append(text, write_port(end, endpoint.addr6.sin6_port));
        return 0;
    }
    // NI_NUMERICHOST still names the scope of a link-local address (fe80::1%eth0), as wg does.
    char host[NI_MAXHOST];
    char service[NI_MAXSERV];
    int ret = getnameinfo(&endpoint.addr, endpoint.length(), host, sizeof(host), service,
                          sizeof(service), NI_DGRAM | NI_NUMERICSERV | NI_NUMERICHOST);
    if (ret)
        return ret;
    bool bracket = endpoint.family() == AF_INET6 && std::strchr(host, ':');
    if (bracket)
        out += '[';
    out += host;
    if (bracket)
        out += ']';
    out += ':';
    out += service;
    return 0;
}

std::string Endpoint::to_string() const
{
    std::string out;
    int ret = address_text::append_endpoint(out, *this);
    return ret ? gai_strerror(ret) : out;
}

std::optional<std::string> Endpoint::try_to_string() const
{
    std::string out;
    if (address_text::append_endpoint(out, *this))
        return std::nullopt;
    return out;
}

bool operator==(const Endpoint& a, const Endpoint& b) noexcept
{
    if (a.addr.sa_family != b.addr.sa_family)
        return false;
    switch (a.addr.sa_family) {
    case AF_INET:
        return a.addr4.sin_port == b.addr4.sin_port &&
               a.addr4.sin_addr.s_addr == b.addr4.sin_addr.s_addr;
    case AF_INET6:
        return a.addr6.sin6_port == b.addr6.sin6_port &&
               std::memcmp(&a.addr6.sin6_addr, &b.addr6.sin6_addr, sizeof(in6_addr)) == 0 &&
               a.addr6.sin6_scope_id == b.addr6.sin6_scope_id &&
               a.addr6.sin6_flowinfo == b.addr6.sin6_flowinfo;
    default:
        return true; // both unset
    }
}

} // namespace wgkit
