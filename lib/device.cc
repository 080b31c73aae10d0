// SPDX-License-Identifier: MIT
// Text forms of the model's address types, both ways: written for showconf, show and error
// messages, read for config files, wg set and UAPI replies.
#include <wgkit/device.h>

#include <arpa/inet.h>
#include <netdb.h>

#include <bit>
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

/// One group of IPv6 text: hex digits without leading zeros.
char* write_group(char* out, unsigned word) noexcept
{
    constexpr char hex[] = "0123456789abcdef";
    int shift = word >= 0x1000 ? 12 : word >= 0x100 ? 8 : word >= 0x10 ? 4 : 0;
    for (; shift >= 0; shift -= 4)
        *out++ = hex[(word >> shift) & 0xf];
    return out;
}

/// inet_ntop's text of an IPv6 address at `out` (room for INET6_ADDRSTRLEN); returns its end.
/// glibc's text (the BIND algorithm) without its sprintf per group: the longest run of two or
/// more zero groups (the first of equal runs) becomes "::", and ::a.b.c.d and ::ffff:a.b.c.d
/// keep their dotted tail.
char* write_ipv6(char* out, const std::uint8_t* bytes) noexcept
{
    unsigned words[8];
    unsigned zeros = 0; // bit i: group i is zero
    for (int i = 0; i < 8; ++i) {
        words[i] = static_cast<unsigned>(bytes[2 * i] << 8 | bytes[2 * i + 1]);
        zeros |= static_cast<unsigned>(words[i] == 0) << i;
    }
    int best = 8, best_len = 0;
    for (unsigned rest = zeros; rest;) {
        int start = std::countr_zero(rest);
        int len = std::countr_one(rest >> start);
        if (len > best_len) {
            best = start;
            best_len = len;
        }
        rest &= ~0u << (start + len);
    }
    if (best_len < 2) {
        best = 8;
        best_len = 0;
    }
    if (best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
        std::memcpy(out, "::ffff:", 7);
        return write_ipv4(out + (best_len == 6 ? 2 : 7), bytes + 12);
    }
    for (int i = 0; i < best; ++i) {
        if (i)
            *out++ = ':';
        out = write_group(out, words[i]);
    }
    if (best_len) {
        *out++ = ':';
        *out++ = ':';
        for (int i = best + best_len; i < 8; ++i) {
            if (i > best + best_len)
                *out++ = ':';
            out = write_group(out, words[i]);
        }
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

bool address_text::parse_ipv4(std::string_view text, std::uint8_t* out) noexcept
{
    // Part by part rather than byte by byte with state: an endpoint or allowed IP of a
    // 10^5-peer file is read in a quarter of the instructions.
    const char* p = text.data();
    const char* const end = p + text.size();
    // The next byte's value as a decimal digit, or something above 9.
    auto digit = [&p, end] { return p == end ? 10u : unsigned(static_cast<unsigned char>(*p)) - '0'; };
    std::uint8_t bytes[4];
    for (unsigned part = 0; part < 4; ++part) {
        if (part != 0 && (p == end || *p++ != '.'))
            return false;
        unsigned value = digit();
        if (value > 9)
            return false;
        ++p;
        // Up to two more digits, none after a leading "0". A digit beyond them stands where
        // a '.' or the end must be, and fails there: so do "01" and "1234".
        if (unsigned d = digit(); d <= 9 && value != 0) {
            value = value * 10 + d;
            ++p;
            if (d = digit(); d <= 9) {
                value = value * 10 + d;
                ++p;
                if (value > 255)
                    return false;
            }
        }
        bytes[part] = static_cast<std::uint8_t>(value);
    }
    if (p != end)
        return false;
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

char* AllowedIp::to_chars(char* out, bool with_cidr) const noexcept
{
    out = family == AF_INET6 ? write_ipv6(out, address.data()) : write_ipv4(out, address.data());
    if (!with_cidr)
        return out;
    *out++ = '/';
    return std::to_chars(out, out + 3, static_cast<unsigned>(cidr)).ptr;
}

std::string AllowedIp::to_string() const
{
    char text[max_text];
    return std::string(text, to_chars(text));
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

char* Endpoint::to_chars(char* out) const noexcept
{
    // Without a scope, getnameinfo's numeric host is inet_ntop's text.
    if (family() == AF_INET)
        return write_port(write_ipv4(out, reinterpret_cast<const std::uint8_t*>(&addr4.sin_addr)),
                          addr4.sin_port);
    if (family() != AF_INET6 || addr6.sin6_scope_id)
        return nullptr;
    *out++ = '[';
    out = write_ipv6(out, addr6.sin6_addr.s6_addr);
    *out++ = ']';
    return write_port(out, addr6.sin6_port);
}

int address_text::append_endpoint(std::string& out, const Endpoint& endpoint)
{
    char text[Endpoint::max_text];
    if (char* end = endpoint.to_chars(text)) {
        out.append(text, end);
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
