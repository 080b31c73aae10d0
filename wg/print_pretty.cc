// SPDX-License-Identifier: MIT
// `wg show [IF]`: the pretty, optionally coloured, block per device (reference §1.2).
#include "print.h"
#include "common.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace wg {

namespace {

/// The escape sequences the original uses; all empty when colour is off.
struct Palette {
    std::string_view reset, bold, red, green, yellow, cyan;
};
constexpr Palette colored{"\x1b[0m", "\x1b[1m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[36m"};
constexpr Palette plain{};

const Palette& palette(bool color) { return color ? colored : plain; }

bool has_handshake(const timespec& t) { return t.tv_sec != 0 || t.tv_nsec != 0; }

/// Newest handshake first; never-handshaken peers last; a future time counts as newest.
bool handshake_newer(const timespec& a, const timespec& b)
{
    bool a_has = has_handshake(a), b_has = has_handshake(b);
    if (a_has != b_has)
        return a_has;
    if (a.tv_sec != b.tv_sec)
        return a.tv_sec > b.tv_sec;
    return a.tv_nsec > b.tv_nsec;
}

/// Orders [first, last) newest handshake first, keeping equals in the kernel's order. A relay's
/// peers are mostly idle ones that never completed a handshake: one stable pass moves those to the
/// back, so the merge sort only works on the peers that did.
template <class It, class HandshakeOf>
void sort_newest_first(It first, It last, HandshakeOf handshake_of)
{
    It idle = std::stable_partition(first, last, [&](const auto& x) { return has_handshake(handshake_of(x)); });
    std::stable_sort(first, idle, [&](const auto& a, const auto& b) {
        return handshake_newer(handshake_of(a), handshake_of(b));
    });
}

void append_label(Buffer& out, const Palette& p, std::string_view label)
{
    fmt::format_to(fmt::appender(out), FMT_COMPILE("  {}{}{}: "), p.bold, label, p.reset);
}

void append_unit(Buffer& out, const Palette& p, bool first, std::uint64_t n, std::string_view unit)
{
    fmt::format_to(fmt::appender(out), FMT_COMPILE("{}{} {}{}{}{}"), first ? "" : ", ", n, p.cyan, unit,
                   n == 1 ? "" : "s", p.reset);
}

/// The interface line is the one chunk holding data that may contain an escape (interface
/// names may), so without colour it goes through the original's filter byte for byte.
void append_interface_line(Buffer& out, std::string_view name, bool color)
{
    const Palette& p = colored;
    if (color) {
        fmt::format_to(fmt::appender(out), FMT_COMPILE("{}{}interface{}: {}{}{}\n"), p.green, p.bold, p.reset,
                       p.green, name, p.reset);
        return;
    }
    Buffer chunk;
    fmt::format_to(fmt::appender(chunk), FMT_COMPILE("{}{}interface{}: {}{}{}\n"), p.green, p.bold, p.reset,
                   p.green, name, p.reset);
    append_without_ansi(out, {chunk.data(), chunk.size()});
}

void append_secret(Buffer& out, const wgkit::Key& key, bool show)
{
    if (show)
        append_key(out, key);
    else
        out.append(std::string_view("(hidden)"));
}

bool has_psk(const wgkit::Peer& peer) { return peer.preshared_key && !peer.preshared_key->is_zero(); }

bool has_endpoint(const wgkit::Peer& peer)
{
    return peer.endpoint && (peer.endpoint->family() == AF_INET || peer.endpoint->family() == AF_INET6);
}

void print_peer(Buffer& out, const wgkit::Peer& peer, const PrettyOptions& options)
{
    const Palette& p = palette(options.color);
    fmt::format_to(fmt::appender(out), FMT_COMPILE("{}{}peer{}: {}"), p.yellow, p.bold, p.reset, p.yellow);
    append_public_key(out, peer.public_key);
    fmt::format_to(fmt::appender(out), FMT_COMPILE("{}\n"), p.reset);
    if (has_psk(peer)) {
        append_label(out, p, "preshared key");
        append_secret(out, *peer.preshared_key, options.show_keys);
        out.push_back('\n');
    }
    if (has_endpoint(peer)) {
        append_label(out, p, "endpoint");
        append_endpoint(out, *peer.endpoint);
        out.push_back('\n');
    }
    append_label(out, p, "allowed ips");
    if (peer.allowed_ips.empty())
        out.append(std::string_view("(none)\n"));
    for (std::size_t i = 0; i < peer.allowed_ips.size(); ++i) {
        const wgkit::AllowedIp& ip = peer.allowed_ips[i];
        append_ip(out, ip);
        fmt::format_to(fmt::appender(out), FMT_COMPILE("{}/{}{}{}"), p.cyan, p.reset, ip.cidr,
                       i + 1 < peer.allowed_ips.size() ? ", " : "\n");
    }
    if (peer.last_handshake.tv_sec) {
        append_label(out, p, "latest handshake");
        append_ago(out, peer.last_handshake, options.now, options.color);
        out.push_back('\n');
    }
    if (peer.rx_bytes || peer.tx_bytes) {
        append_label(out, p, "transfer");
        append_bytes(out, peer.rx_bytes, options.color);
        out.append(std::string_view(" received, "));
        append_bytes(out, peer.tx_bytes, options.color);
        out.append(std::string_view(" sent\n"));
    }
    if (peer.persistent_keepalive.value_or(0)) {
        append_label(out, p, "persistent keepalive");
        out.append(std::string_view("every "));
        append_duration(out, *peer.persistent_keepalive, options.color);
        out.push_back('\n');
    }
}

} // namespace

PrettyOptions PrettyOptions::from_environment()
{
    PrettyOptions options;
    const char* color = std::getenv("WG_COLOR_MODE");
    if (color && !std::strcmp(color, "always"))
        options.color = true;
    else if (color && !std::strcmp(color, "never"))
        options.color = false;
    else
        options.color = isatty(STDOUT_FILENO);
    const char* hide = std::getenv("WG_HIDE_KEYS");
    options.show_keys = hide && !std::strcmp(hide, "never");
    options.now = std::time(nullptr);
    return options;
}

void append_duration(Buffer& out, std::uint64_t seconds, bool color)
{
    const Palette& p = palette(color);
    constexpr std::uint64_t minute = 60, hour = 60 * minute, day = 24 * hour, year = 365 * day;
    struct Unit {
        std::uint64_t length;
        std::string_view name;
    };
    constexpr Unit units[] = {{year, "year"}, {day, "day"}, {hour, "hour"}, {minute, "minute"},
                              {1, "second"}};
    bool first = true;
    for (const Unit& unit : units) {
        std::uint64_t n = seconds / unit.length;
        seconds %= unit.length;
        if (!n)
            continue;
        append_unit(out, p, first, n, unit.name);
        first = false;
    }
}

void append_ago(Buffer& out, const timespec& handshake, std::time_t now, bool color)
{
    const Palette& p = palette(color);
    if (now == handshake.tv_sec) {
        out.append(std::string_view("Now"));
    } else if (now < handshake.tv_sec) {
        // The colour sits inside the parentheses (verified against the original).
        fmt::format_to(fmt::appender(out),
                       FMT_COMPILE("({}System clock wound backward; connection problems may ensue.{})"), p.red,
                       p.reset);
    } else {
        append_duration(out, static_cast<std::uint64_t>(now - handshake.tv_sec), color);
        out.append(std::string_view(" ago"));
    }
}

void append_bytes(Buffer& out, std::uint64_t bytes, bool color)
{
    const Palette& p = palette(color);
    constexpr std::uint64_t KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024, TiB = GiB * 1024;
    if (bytes < KiB) {
        fmt::format_to(fmt::appender(out), FMT_COMPILE("{} {}B{}"), bytes, p.cyan, p.reset);
        return;
    }
    // The original divides in double and prints %.2f; fmt rounds the same exact way.
    double value;
    std::string_view unit;
    if (bytes < MiB) {
        value = static_cast<double>(bytes) / KiB;
        unit = "KiB";
    } else if (bytes < GiB) {
        value = static_cast<double>(bytes) / MiB;
        unit = "MiB";
    } else if (bytes < TiB) {
        value = static_cast<double>(bytes) / GiB;
        unit = "GiB";
    } else {
        value = static_cast<double>(bytes) / GiB / 1024;
        unit = "TiB";
    }
    fmt::format_to(fmt::appender(out), FMT_COMPILE("{:.2f} {}{}{}"), value, p.cyan, unit, p.reset);
}

/// Everything before the peers: the interface line and the device's fields, then the blank
/// line that separates them from the peers when there are any.
void append_pretty_interface(Buffer& out, const wgkit::Device& device, const PrettyOptions& options,
                             bool has_peers)
{
    const Palette& p = palette(options.color);
    out.append(p.reset);
    append_interface_line(out, device.name, options.color);
    if (device.public_key) {
        append_label(out, p, "public key");
        append_public_key(out, *device.public_key);
        out.push_back('\n');
    }
    if (device.private_key) {
        append_label(out, p, "private key");
        append_secret(out, *device.private_key, options.show_keys);
        out.push_back('\n');
    }
    if (device.listen_port.value_or(0))
        fmt::format_to(fmt::appender(out), FMT_COMPILE("  {}listening port{}: {}\n"), p.bold, p.reset, *device.listen_port);
    if (device.fwmark.value_or(0))
        fmt::format_to(fmt::appender(out), FMT_COMPILE("  {}fwmark{}: 0x{:x}\n"), p.bold, p.reset, *device.fwmark);
    if (has_peers)
        out.push_back('\n');
}

void print_pretty(Buffer& out, const wgkit::Device& device, const PrettyOptions& options)
{
    append_pretty_interface(out, device, options, !device.peers.empty());
    std::vector<const wgkit::Peer*> order;
    order.reserve(device.peers.size());
    for (const wgkit::Peer& peer : device.peers)
        order.push_back(&peer);
    sort_newest_first(order.begin(), order.end(), [](const wgkit::Peer* peer) -> const timespec& {
        return peer->last_handshake;
    });
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (i)
            out.push_back('\n');
        print_peer(out, *order[i], options);
        flush_if_large(out);
    }
}

void PrettyPrinter::on_device(const wgkit::Device& device)
{
    device_ = device; // the fields only: peers arrive one by one
    show_requested_name(device_, requested_);
}

void PrettyPrinter::on_peer(wgkit::Peer&& peer)
{
    Buffer& block = blocks_.open();
    std::size_t offset = block.size();
    print_peer(block, peer, options_);
    entries_.push_back({peer.last_handshake, static_cast<std::uint32_t>(blocks_.count() - 1),
                        static_cast<std::uint32_t>(offset), block.size() - offset});
}

void PrettyPrinter::on_restart()
{
    blocks_.clear();
    entries_.clear();
}

void PrettyPrinter::write(Buffer& out)
{
    append_pretty_interface(out, device_, options_, !entries_.empty());
    sort_newest_first(entries_.begin(), entries_.end(), [](const Entry& entry) -> const timespec& {
        return entry.handshake;
    });
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (i)
            out.push_back('\n');
        const Entry& entry = entries_[i];
        const char* text = blocks_[entry.block].data() + entry.offset;
        out.append(text, text + entry.length);
        flush_if_large(out);
    }
}

} // namespace wg
