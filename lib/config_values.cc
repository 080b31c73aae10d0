// SPDX-License-Identifier: MIT
// Value parsers shared by the config file and `wg set`. Each one accepts exactly what
// wireguard-tools accepts and throws Error with its words, quoting the bad value.
#include <wgkit/config.h>

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
#include <thread>

#include "address_text.h"
#include "config_text.h"
#include "crypto_loader.h"

namespace wgkit {

using config_text::is_digit;
using config_text::is_space;
using config_text::quoted;

namespace {

struct AddrinfoFree {
    void operator()(addrinfo* ai) const noexcept { freeaddrinfo(ai); }
};
using AddrinfoPtr = std::unique_ptr<addrinfo, AddrinfoFree>;

struct FileClose {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

/// The text the original prints for a getaddrinfo failure.
std::string gai_message(int ret, int saved_errno)
{
    return ret == EAI_SYSTEM ? std::strerror(saved_errno) : gai_strerror(ret);
}

/// The first result must be a plain sockaddr_in or sockaddr_in6, as the original checks.
bool is_inet_result(const addrinfo& ai) noexcept
{
    return (ai.ai_family == AF_INET && ai.ai_addrlen == sizeof(sockaddr_in)) ||
           (ai.ai_family == AF_INET6 && ai.ai_addrlen == sizeof(sockaddr_in6));
}

/// Parses an unsigned decimal (base 10) or hexadecimal (base 16) run that must fill the whole
/// text; saturates above `max` so that the caller's range check rejects overflow, as strtoul's
/// ULONG_MAX would.
bool parse_digits(std::string_view text, int base, std::uint64_t max, std::uint64_t& out) noexcept
{
    if (text.empty())
        return false;
    std::uint64_t value = 0;
    for (char c : text) {
        const int digit = config_text::hex_value(c);
        if (digit < 0 || digit >= base)
            return false;
        if (value <= max)
            value = value * static_cast<unsigned>(base) + static_cast<unsigned>(digit);
    }
    out = value;
    return true;
}



/// Host bits below the prefix length are set (the kernel would mask them off).
bool has_host_bits(const AllowedIp& ip) noexcept
{
    const unsigned bytes = ip.family == AF_INET6 ? 16 : 4;
    unsigned i = ip.cidr / 8u;
    if (i >= bytes)
        return false;
    if (ip.address[i] & (0xffu >> (ip.cidr % 8u))) // the byte the prefix ends in
        return true;
    for (++i; i < bytes; ++i)
        if (ip.address[i])
            return true;
    return false;
}

/// Parses one comma-separated entry ("[+|-]ip[/cidr]") into `peer`.
void parse_allowed_ip_entry(std::string_view entry, Peer& peer, const WarningSink& warn)
{
    AllowedIp ip;
    // A '+' or '-' makes the whole update incremental: the peer keeps its other IPs.
    if (!entry.empty() && (entry[0] == '+' || entry[0] == '-')) {
        ip.remove = entry[0] == '-';
        peer.replace_allowed_ips = false;
        entry.remove_prefix(1);
    }
    std::size_t slash = entry.find('/');
    std::string_view address = entry.substr(0, slash);
    ip.family = address_text::parse_ip(address, ip.address.data());
    if (ip.family == AF_UNSPEC)
        throw Error(quoted("Unable to parse IP address", address));

    unsigned max_cidr = ip.family == AF_INET6 ? 128 : 32;
    std::uint64_t cidr = max_cidr;
    if (slash != std::string_view::npos) {
        std::string_view mask = entry.substr(slash + 1);
        // strtoul would take "/+5" or "/ 5"; the original insists on a leading digit.
        if (mask.empty() || !is_digit(mask[0]) || !parse_digits(mask, 10, max_cidr, cidr) ||
            cidr > max_cidr)
            throw Error(quoted("AllowedIP is not in the correct format", entry));
    }
    ip.cidr = static_cast<std::uint8_t>(cidr);

    if (warn && has_host_bits(ip)) {
        std::string message = "Warning: AllowedIP has nonzero host part: ";
        message.append(entry); // as written, without the +/- prefix
        warn(message);
    }
    peer.allowed_ips.push_back(ip);
}

/// The endpoint getaddrinfo would return for a literal address and a plain decimal port,
/// without its per-call cost (which was most of parsing a 10^5-peer file's endpoints). Only
/// text that inet_pton takes whole (so inet_aton's "10.1" and octal forms, and scoped
/// "fe80::1%eth0", still go to getaddrinfo) and ports of 1-5 digits up to 65535 (glibc wraps
/// larger ones) qualify. False: use getaddrinfo.
bool numeric_endpoint(std::string_view host, std::string_view port, Endpoint& out) noexcept
{
    std::uint64_t number = 0;
    if (port.size() > 5 || !parse_digits(port, 10, 65535, number) || number > 65535)
        return false;
    std::uint8_t address[16];
    switch (address_text::parse_ip(host, address)) {
    case AF_INET:
        out.addr4.sin_family = AF_INET;
        std::memcpy(&out.addr4.sin_addr, address, 4);
        out.addr4.sin_port = htons(static_cast<std::uint16_t>(number));
        return true;
    case AF_INET6:
        out.addr6.sin6_family = AF_INET6;
        std::memcpy(&out.addr6.sin6_addr, address, 16);
        out.addr6.sin6_port = htons(static_cast<std::uint16_t>(number));
        return true;
    default:
        return false;
    }
}

/// Splits "host:port" at the last ':', or "[host]:port"; throws the original's messages.
/// The parts are views into `value`.
std::pair<std::string_view, std::string_view> split_endpoint(std::string_view value)
{
    if (value[0] == '[') {
        std::size_t close = value.find(']');
        if (close == std::string_view::npos)
            throw Error(quoted("Unable to find matching brace of endpoint", value));
        if (close + 2 >= value.size() || value[close + 1] != ':')
            throw Error(quoted("Unable to find port of endpoint", value));
        return {value.substr(1, close - 1), value.substr(close + 2)};
    }
    // The last ':' splits, so an unbracketed "::1:51820" still means [::1]:51820.
    std::size_t colon = value.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == value.size())
        throw Error(quoted("Unable to find port of endpoint", value));
    return {value.substr(0, colon), value.substr(colon + 1)};
}

} // namespace

std::uint16_t parse_port(std::string_view value)
{
    if (value.empty())
        throw Error("Unable to parse empty port");
    // getaddrinfo, not strtoul: service names ("domain") work and glibc wraps values above
    // 65535 (70000 -> 4464). Scripts may rely on both, so keep them.
    std::string text(value);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_protocol = IPPROTO_UDP;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* raw = nullptr;
    int ret = getaddrinfo(nullptr, text.c_str(), &hints, &raw);
    if (ret)
        throw Error(quoted(gai_message(ret, errno), value));
    AddrinfoPtr resolved(raw);
    if (!is_inet_result(*resolved))
        throw Error(quoted("Neither IPv4 nor IPv6 address found", value));
    if (resolved->ai_family == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in*>(resolved->ai_addr)->sin_port);
    return ntohs(reinterpret_cast<const sockaddr_in6*>(resolved->ai_addr)->sin6_port);
}

std::uint32_t parse_fwmark(std::string_view value)
{
    if (config_text::iequals(value, "off"))
        return 0;
    // Hex only with a lowercase "0x" and at least one digit after it: "0X10" and "0x" fail.
    bool hex = value.size() > 2 && value[0] == '0' && value[1] == 'x';
    std::uint64_t mark = 0;
    if (value.empty() || !is_digit(value[0]) ||
        !parse_digits(hex ? value.substr(2) : value, hex ? 16 : 10, 0xffffffffu, mark) ||
        mark > 0xffffffffu)
        throw Error(quoted("Fwmark is neither 0/off nor 0-0xffffffff", value));
    return static_cast<std::uint32_t>(mark);
}

std::uint16_t parse_persistent_keepalive(std::string_view value)
{
    if (config_text::iequals(value, "off"))
        return 0;
    std::uint64_t interval = 0;
    if (value.empty() || !is_digit(value[0]) || !parse_digits(value, 10, 65535, interval) ||
        interval > 65535)
        throw Error(quoted("Persistent keepalive interval is neither 0/off nor 1-65535", value));
    return static_cast<std::uint16_t>(interval);
}

Key parse_key(std::string_view value)
{
    std::optional<Key> key = Key::from_public_base64(value);
    if (!key)
        throw Error(quoted("Key is not the correct length or format", value));
    return *key;
}

Key config_text::parse_secret_key(std::string_view value)
{
    std::optional<Key> key = Key::from_base64(value);
    if (!key)
        throw Error(quoted("Key is not the correct length or format", config_text::hidden));
    return *key;
}

void parse_allowed_ips(std::string_view value, Peer& peer, const WarningSink& warn)
{
    // Each list replaces the peer's IPs unless one of its entries has a +/- prefix; so with
    // several lines or arguments, the last one decides.
    peer.replace_allowed_ips = true;
    if (value.empty())
        return;
    for (;;) {
        std::size_t comma = value.find(',');
        parse_allowed_ip_entry(value.substr(0, comma), peer, warn);
        if (comma == std::string_view::npos)
            break;
        value.remove_prefix(comma + 1);
    }
}

Endpoint parse_endpoint(std::string_view value, const WarningSink& warn)
{
    // Read first: a bad variable fails even an empty value.
    return config_text::parse_endpoint(value, warn, config_text::resolution_retries());
}

/// WG_ENDPOINT_RESOLUTION_RETRIES: strtoul's reading (so " 5", "+5" and "" are accepted, as
/// in the original).
int config_text::resolution_retries()
{
    const char* text = std::getenv("WG_ENDPOINT_RESOLUTION_RETRIES");
    if (!text)
        return 15;
    if (std::strcmp(text, "infinity") == 0)
        return -1;
    char* end = nullptr;
    unsigned long value = std::strtoul(text, &end, 10);
    if (*end || value > INT_MAX)
        throw EnvironmentInvalid(quoted("Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES", text));
    return static_cast<int>(value);
}

Endpoint config_text::parse_endpoint(std::string_view value, const WarningSink& warn, int retries)
{
    if (value.empty())
        throw Error("Unable to parse empty endpoint");

    auto [host_text, port_text] = split_endpoint(value);
    Endpoint endpoint;
    if (numeric_endpoint(host_text, port_text, endpoint))
        return endpoint;
    // getaddrinfo wants C strings: made only for names and the forms it alone reads.
    const std::string host(host_text), port(port_text);

    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_protocol = IPPROTO_UDP;
    addrinfo* raw = nullptr;
    for (unsigned delay_us = 1000000;; delay_us = std::min(20000000u, delay_us * 6 / 5)) {
        int ret = getaddrinfo(host.c_str(), port.c_str(), &hints, &raw);
        if (!ret)
            break;
        std::string message = quoted(gai_message(ret, errno), value);
        // glibc's resolver documentation calls EAI_NONAME, EAI_FAIL and EAI_NODATA permanent;
        // anything else (EAI_AGAIN, and also EAI_SERVICE) may pass, so it is retried.
        if (ret == EAI_NONAME || ret == EAI_FAIL || ret == EAI_NODATA || (retries >= 0 && !retries--))
            throw Error(message);
        if (warn) {
            char seconds[32];
            std::snprintf(seconds, sizeof(seconds), "%.2f", delay_us / 1000000.0);
            warn(message + ". Trying again in " + seconds + " seconds...");
        }
        std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    }
    AddrinfoPtr resolved(raw);
    if (!is_inet_result(*resolved))
        throw Error(quoted("Neither IPv4 nor IPv6 address found", value));
    std::memcpy(&endpoint.addr, resolved->ai_addr, resolved->ai_addrlen);
    return endpoint;
}

Key read_key_file(const std::string& path)
{
    std::unique_ptr<std::FILE, FileClose> file(std::fopen(path.c_str(), "r"));
    if (!file)
        throw_errno("fopen", errno);

    // Exactly 44 bytes of base64, then only whitespace. An empty file (or /dev/null) is the
    // zero key, which a set reads as "remove".
    constexpr std::size_t base64_length = 44;
    char text[base64_length + 1] = {};
    struct Wipe {
        char* p;
        ~Wipe() { detail::secure_wipe(p, base64_length + 1); }
    } wipe{text};
    if (std::fread(text, base64_length, 1, file.get()) != 1) {
        if (!std::ferror(file.get()) && std::feof(file.get()) && std::ftell(file.get()) == 0)
            return Key{};
        throw Error("Invalid length key in key file");
    }
    errno = 0;
    for (int c; (c = std::getc(file.get())) != EOF;) {
        if (!is_space(static_cast<char>(c)))
            throw Error("Found trailing character in key file: `" + std::string(1, static_cast<char>(c)) + "'");
    }
    if (std::ferror(file.get()) && errno)
        throw_errno("getc", errno);
    // Key files hold private and preshared keys only: a bad one is not quoted.
    return config_text::parse_secret_key(std::string_view(text, base64_length));
}

} // namespace wgkit
