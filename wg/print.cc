// SPDX-License-Identifier: MIT
// Pieces shared by the pretty and script printers: the output buffer and the text of keys,
// addresses and endpoints.
#include "print.h"
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <wgkit/error.h>

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

void StreamedOutput::drop()
{
    explicit_bzero(out_.data(), out_.size());
    out_.clear();
}

void StreamedOutput::write_and_drop()
{
    if (out_.size())
        std::fwrite(out_.data(), 1, out_.size(), stdout);
    drop();
}

void StreamedOutput::peer_done()
{
    if (!streaming_ && out_.size() > hold_limit)
        streaming_ = true;
    if (streaming_ && out_.size() >= flush_threshold)
        write_and_drop();
}

void StreamedOutput::restart()
{
    if (streaming_)
        throw wgkit::Error("the device changed while it was being printed", EINTR);
    drop();
}

void StreamedOutput::finish()
{
    write_and_drop();
}

bool read_or_report(const char* name, wgkit::DeviceVisitor& visitor)
{
    try {
        wgkit::read_device(name, visitor);
        return true;
    } catch (const wgkit::Error& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "Unable to access interface: %s\n", error_text(e).c_str());
        return false;
    }
}

int StreamingPrinter::print(const char* name)
{
    if (!read_or_report(name, *this))
        return 1;
    out_.finish();
    return 0;
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

void append_public_key(Buffer& out, const wgkit::Key& key)
{
    if (key.is_zero()) {
        out.append(std::string_view("(none)"));
        return;
    }
    char text[44];
    key.public_base64(text);
    out.append(text, text + sizeof(text));
}

void append_number(Buffer& out, std::uint64_t n)
{
    fmt::format_int text(n);
    out.append(text.data(), text.data() + text.size());
}

void append_ipv4(Buffer& out, const std::uint8_t* bytes)
{
    for (int i = 0; i < 4; ++i) {
        if (i)
            out.push_back('.');
        append_number(out, bytes[i]);
    }
}

void append_ipv6(Buffer& out, const std::uint8_t* bytes)
{
    // glibc's inet_ntop text (the BIND algorithm) without its sprintf per group: the
    // longest run of two or more zero groups (the first of equal runs) becomes "::", and
    // ::a.b.c.d and ::ffff:a.b.c.d keep their dotted tail.
    std::uint16_t words[8];
    for (int i = 0; i < 8; ++i)
        words[i] = static_cast<std::uint16_t>(bytes[2 * i] << 8 | bytes[2 * i + 1]);
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (words[i]) {
            ++i;
            continue;
        }
        int j = i;
        while (j < 8 && !words[j])
            ++j;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    if (best_len < 2)
        best = -1;
    constexpr char hex[] = "0123456789abcdef";
    for (int i = 0; i < 8; ++i) {
        if (best != -1 && i >= best && i < best + best_len) {
            if (i == best)
                out.push_back(':');
            continue;
        }
        if (i)
            out.push_back(':');
        if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
            append_ipv4(out, bytes + 12);
            return;
        }
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            unsigned digit = (words[i] >> shift) & 0xf;
            if (digit || started || shift == 0) {
                out.push_back(hex[digit]);
                started = true;
            }
        }
    }
    if (best != -1 && best + best_len == 8)
        out.push_back(':');
}

void append_ip(Buffer& out, const wgkit::AllowedIp& ip)
{
    if (ip.family == AF_INET6)
        append_ipv6(out, ip.address.data());
    else
        append_ipv4(out, ip.address.data());
}

void append_endpoint(Buffer& out, const wgkit::Endpoint& endpoint)
{
    // getnameinfo(NI_NUMERICHOST) is inet_ntop for these; only a scoped IPv6 address needs
    // its interface-name lookup, so that case (and anything odd) takes the library's path.
    if (endpoint.family() == AF_INET) {
        append_ipv4(out, reinterpret_cast<const std::uint8_t*>(&endpoint.addr4.sin_addr));
        out.push_back(':');
        append_number(out, ntohs(endpoint.addr4.sin_port));
    } else if (endpoint.family() == AF_INET6 && endpoint.addr6.sin6_scope_id == 0) {
        out.push_back('[');
        append_ipv6(out, endpoint.addr6.sin6_addr.s6_addr);
        out.append(std::string_view("]:"));
        append_number(out, ntohs(endpoint.addr6.sin6_port));
    } else {
        out.append(endpoint.to_string());
    }
}

} // namespace wg
