// SPDX-License-Identifier: MIT
// Pieces shared by the pretty and script printers: the output buffer and the text of keys,
// addresses and endpoints.
#include "print.h"

#include <arpa/inet.h>

#include <cstdio>

namespace wg {

namespace {

// Large enough that a 10^5-peer dump takes a few hundred write calls, small enough that
// memory does not grow with the peer count.
constexpr std::size_t flush_threshold = 1 << 16;

} // namespace

void flush(Buffer& out)
{
    if (out.size())
        std::fwrite(out.data(), 1, out.size(), stdout);
    out.clear();
}

void flush_if_large(Buffer& out)
{
    if (out.size() >= flush_threshold)
        flush(out);
}

void append_without_ansi(Buffer& out, std::string_view chunk)
{
    auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    for (std::size_t i = 0; i < chunk.size(); ++i) {
        if (chunk[i] == '\x1b' && i + 1 < chunk.size() && chunk[i + 1] == '[') {
            // Drop "ESC[", everything up to the first letter, and the letter itself.
            std::size_t j = i + 2;
            while (j < chunk.size() && !is_letter(chunk[j]))
                ++j;
            i = j;
            continue;
        }
        // The original puts each byte that survives, skipping NULs it used as markers.
        if (chunk[i] != '\0')
            out.push_back(chunk[i]);
    }
}

void append_key(Buffer& out, const wgkit::Key& key)
{
    if (key.is_zero()) {
        out.append(std::string_view("(none)"));
        return;
    }
    wgkit::KeyText text = key.base64();
    out.append(text.view());
}

void append_ip(Buffer& out, const wgkit::AllowedIp& ip)
{
    char text[INET6_ADDRSTRLEN];
    int family = ip.family == AF_INET6 ? AF_INET6 : AF_INET;
    if (inet_ntop(family, ip.address.data(), text, sizeof(text)))
        out.append(std::string_view(text));
}

void append_endpoint(Buffer& out, const wgkit::Endpoint& endpoint)
{
    // getnameinfo(NI_NUMERICHOST) is inet_ntop for these; only a scoped IPv6 address needs
    // its interface-name lookup, so that case (and anything odd) takes the library's path.
    char text[INET6_ADDRSTRLEN];
    if (endpoint.family() == AF_INET &&
        inet_ntop(AF_INET, &endpoint.addr4.sin_addr, text, sizeof(text))) {
        fmt::format_to(fmt::appender(out), "{}:{}", text, ntohs(endpoint.addr4.sin_port));
    } else if (endpoint.family() == AF_INET6 && endpoint.addr6.sin6_scope_id == 0 &&
               inet_ntop(AF_INET6, &endpoint.addr6.sin6_addr, text, sizeof(text))) {
        fmt::format_to(fmt::appender(out), "[{}]:{}", text, ntohs(endpoint.addr6.sin6_port));
    } else {
        out.append(endpoint.to_string());
    }
}

} // namespace wg
