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

Buffer& TextBlocks::open()
{
    std::size_t last = blocks_.back().size();
    if (last < block_size)
        return blocks_.back();
    Buffer& block = blocks_.emplace_back();
    closed_size_ += last; // counted once the new block is in place (emplace_back may throw)
    block.reserve(block_size + block_slack);
    return block;
}

void TextBlocks::clear()
{
    Buffer& first = blocks_.front();
    explicit_bzero(first.data(), first.size());
    first.clear();
    blocks_.resize(1); // the others wipe their blocks as they are freed
    closed_size_ = 0;
}

void StreamedOutput::drop()
{
    held_.clear();
}

void StreamedOutput::write_and_drop()
{
    for (std::size_t i = 0; i < held_.count(); ++i)
        if (held_[i].size())
            std::fwrite(held_[i].data(), 1, held_[i].size(), stdout);
    drop();
}

void StreamedOutput::peer_done()
{
    if (!streaming_ && held_.size() > hold_limit)
        streaming_ = true;
    if (streaming_ && held_.size() >= flush_threshold)
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

void append_ip(Buffer& out, const wgkit::AllowedIp& ip)
{
    append_written(out, wgkit::AllowedIp::max_text, [&](char* at) { return ip.to_chars(at, false); });
}

void append_allowed_ip(Buffer& out, const wgkit::AllowedIp& ip, char separator)
{
    append_written(out, wgkit::AllowedIp::max_text + 1, [&](char* at) {
        if (separator)
            *at++ = separator;
        return ip.to_chars(at);
    });
}

void append_endpoint(Buffer& out, const wgkit::Endpoint& endpoint)
{
    char text[wgkit::Endpoint::max_text];
    // Only a scoped IPv6 address (and anything odd) needs getnameinfo's interface-name lookup.
    if (const char* end = endpoint.to_chars(text))
        out.append(text, end);
    else
        out.append(endpoint.to_string());
}

} // namespace wg
