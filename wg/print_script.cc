// SPDX-License-Identifier: MIT
// `wg show IF <field>` and `dump`: tab-separated, unsorted, for scripts (reference §1.2).
#include "print.h"

#include <array>

namespace wg {

namespace {

using Field = ScriptField;

struct FieldName {
    std::string_view name;
    Field field;
};

constexpr std::array<FieldName, 12> field_names{{
    {"public-key", Field::PublicKey},
    {"private-key", Field::PrivateKey},
    {"listen-port", Field::ListenPort},
    {"fwmark", Field::Fwmark},
    {"peers", Field::Peers},
    {"preshared-keys", Field::PresharedKeys},
    {"endpoints", Field::Endpoints},
    {"allowed-ips", Field::AllowedIps},
    {"latest-handshakes", Field::LatestHandshakes},
    {"transfer", Field::Transfer},
    {"persistent-keepalive", Field::PersistentKeepalive},
    {"dump", Field::Dump},
}};

const FieldName* find_field(std::string_view name)
{
    for (const FieldName& f : field_names)
        if (f.name == name)
            return &f;
    return nullptr;
}

/// The original's maybe_key(): "(none)" when absent (or zero), else base64.
void append_optional_key(Buffer& out, const std::optional<wgkit::Key>& key)
{
    if (key)
        append_key(out, *key);
    else
        out.append(std::string_view("(none)"));
}

void append_fwmark(Buffer& out, std::uint32_t fwmark)
{
    if (fwmark)
        fmt::format_to(fmt::appender(out), FMT_COMPILE("0x{:x}"), fwmark);
    else
        out.append(std::string_view("off"));
}

void append_keepalive(Buffer& out, std::uint16_t seconds)
{
    if (seconds)
        fmt::format_to(fmt::appender(out), FMT_COMPILE("{}"), seconds);
    else
        out.append(std::string_view("off"));
}

void append_peer_endpoint(Buffer& out, const wgkit::Peer& peer)
{
    if (peer.endpoint && (peer.endpoint->family() == AF_INET || peer.endpoint->family() == AF_INET6))
        append_endpoint(out, *peer.endpoint);
    else
        out.append(std::string_view("(none)"));
}

/// "a/n<sep>b/m" or "(none)".
void append_allowed_ips(Buffer& out, const wgkit::Peer& peer, char separator)
{
    if (peer.allowed_ips.empty())
        out.append(std::string_view("(none)"));
    // Room for a long list at once, at a typical entry's length ("10.200.100.5/32 "): a list
    // of 10^5 entries would otherwise move its text about 25 times as the buffer grows by
    // half. The bound (max_text) would leave most of its room unused, and wiped when freed.
    constexpr std::size_t typical_entry = 16;
    out.reserve(out.size() + peer.allowed_ips.size() * typical_entry +
                wgkit::AllowedIp::max_text + 1);
    for (std::size_t i = 0; i < peer.allowed_ips.size(); ++i)
        append_allowed_ip(out, peer.allowed_ips[i], i ? separator : '\0');
}

std::uint64_t handshake_seconds(const wgkit::Peer& peer)
{
    // %llu of a time_t, as the original prints it.
    return static_cast<std::uint64_t>(peer.last_handshake.tv_sec);
}

/// The peer-line part after "PUBKEY\t" (or, for Field::Peers, nothing).
void append_peer_value(Buffer& out, const wgkit::Peer& peer, Field field)
{
    switch (field) {
    case Field::PresharedKeys:
        append_optional_key(out, peer.preshared_key);
        break;
    case Field::Endpoints:
        append_peer_endpoint(out, peer);
        break;
    case Field::AllowedIps:
        append_allowed_ips(out, peer, ' ');
        break;
    case Field::LatestHandshakes:
        fmt::format_to(fmt::appender(out), FMT_COMPILE("{}"), handshake_seconds(peer));
        break;
    case Field::Transfer:
        fmt::format_to(fmt::appender(out), FMT_COMPILE("{}\t{}"), peer.rx_bytes, peer.tx_bytes);
        break;
    case Field::PersistentKeepalive:
        append_keepalive(out, peer.persistent_keepalive.value_or(0));
        break;
    case Field::Dump:
        append_optional_key(out, peer.preshared_key);
        out.push_back('\t');
        append_peer_endpoint(out, peer);
        out.push_back('\t');
        append_allowed_ips(out, peer, ',');
        fmt::format_to(fmt::appender(out), FMT_COMPILE("\t{}\t{}\t{}\t"), handshake_seconds(peer), peer.rx_bytes,
                       peer.tx_bytes);
        append_keepalive(out, peer.persistent_keepalive.value_or(0));
        break;
    default:
        break;
    }
}

/// The one device-level line of the device fields and of dump.
void append_device_value(Buffer& out, const wgkit::Device& device, Field field)
{
    switch (field) {
    case Field::PublicKey:
        append_optional_key(out, device.public_key);
        break;
    case Field::PrivateKey:
        append_optional_key(out, device.private_key);
        break;
    case Field::ListenPort:
        fmt::format_to(fmt::appender(out), FMT_COMPILE("{}"), device.listen_port.value_or(0));
        break;
    case Field::Fwmark:
        append_fwmark(out, device.fwmark.value_or(0));
        break;
    case Field::Dump:
        append_optional_key(out, device.private_key);
        out.push_back('\t');
        append_optional_key(out, device.public_key);
        fmt::format_to(fmt::appender(out), FMT_COMPILE("\t{}\t"), device.listen_port.value_or(0));
        append_fwmark(out, device.fwmark.value_or(0));
        break;
    default:
        break;
    }
}

bool has_device_line(Field field)
{
    return field == Field::PublicKey || field == Field::PrivateKey || field == Field::ListenPort ||
           field == Field::Fwmark || field == Field::Dump;
}

bool has_peer_lines(Field field)
{
    return field >= Field::Peers;
}

/// "NAME\t" before each line of `show all <field>`; nothing when `name` is empty.
void append_prefix(Buffer& out, std::string_view name)
{
    if (!name.empty()) {
        out.append(name);
        out.push_back('\t');
    }
}

} // namespace

bool is_script_field(std::string_view field)
{
    return find_field(field) != nullptr;
}

std::optional<ScriptField> find_script_field(std::string_view name)
{
    const FieldName* found = find_field(name);
    return found ? std::optional(found->field) : std::nullopt;
}

void print_script_device(Buffer& out, const wgkit::Device& device, ScriptField field,
                         std::string_view name)
{
    if (!has_device_line(field))
        return;
    append_prefix(out, name);
    append_device_value(out, device, field);
    out.push_back('\n');
}

void print_script_peer(Buffer& out, const wgkit::Peer& peer, ScriptField field,
                       std::string_view name)
{
    if (!has_peer_lines(field))
        return;
    append_prefix(out, name);
    append_public_key(out, peer.public_key);
    if (field != Field::Peers) {
        out.push_back('\t');
        append_peer_value(out, peer, field);
    }
    out.push_back('\n');
}

void print_script_field(Buffer& out, const wgkit::Device& device, std::string_view field_name,
                        bool with_interface)
{
    std::optional<ScriptField> field = find_script_field(field_name);
    if (!field)
        return;
    std::string_view name = with_interface ? std::string_view(device.name) : std::string_view();
    print_script_device(out, device, *field, name);
    for (const wgkit::Peer& peer : device.peers) {
        print_script_peer(out, peer, *field, name);
        flush_if_large(out);
    }
}

} // namespace wg
