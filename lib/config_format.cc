// SPDX-License-Identifier: MIT
// `wg showconf` text: the original's field order and conditions, built into one string so
// that 10^5 peers or allowed IPs cost one growing buffer, not a write per field.
#include <wgkit/config.h>

#include <arpa/inet.h>

#include <charconv>

#include "address_text.h"

namespace wgkit {

namespace {

void append_number(std::string& out, std::uint64_t value)
{
    char buf[24];
    std::to_chars_result r = std::to_chars(buf, buf + sizeof(buf), value);
    out.append(buf, r.ptr);
}

void append_key_line(std::string& out, std::string_view label, const Key& key)
{
    out += label;
    out += key.base64().view();
    out += '\n';
}

void append_public_key_line(std::string& out, std::string_view label, const Key& key)
{
    char text[44];
    key.public_base64(text);
    out.append(label).append(text, sizeof(text)).append(1, '\n');
}

/// Entries of an unknown family are skipped, but the separator follows the original: it is
/// written after an entry whenever any entry comes next.
void append_allowed_ips(std::string& out, const std::vector<AllowedIp>& ips)
{
    if (ips.empty())
        return;
    out += "AllowedIPs = ";
    for (std::size_t i = 0; i < ips.size(); ++i) {
        const AllowedIp& ip = ips[i];
        if (ip.family != AF_INET && ip.family != AF_INET6)
            continue;
        char text[AllowedIp::max_text + 2];
        char* end = ip.to_chars(text);
        if (i + 1 < ips.size()) {
            *end++ = ',';
            *end++ = ' ';
        }
        out.append(text, end);
    }
    out += '\n';
}

void append_peer(std::string& out, const Peer& peer)
{
    append_public_key_line(out, "[Peer]\nPublicKey = ", peer.public_key);
    if (peer.preshared_key && !peer.preshared_key->is_zero())
        append_key_line(out, "PresharedKey = ", *peer.preshared_key);
    append_allowed_ips(out, peer.allowed_ips);
    // An endpoint that getnameinfo cannot print is left out, as the original does.
    if (peer.endpoint && peer.endpoint->length() != 0) {
        std::size_t line = out.size();
        out += "Endpoint = ";
        if (address_text::append_endpoint(out, *peer.endpoint) == 0)
            out += '\n';
        else
            out.resize(line);
    }
    if (peer.persistent_keepalive.value_or(0)) {
        out += "PersistentKeepalive = ";
        append_number(out, *peer.persistent_keepalive);
        out += '\n';
    }
}

} // namespace

void append_config_interface(std::string& out, const Device& device)
{
    out += "[Interface]\n";
    if (device.listen_port.value_or(0)) {
        out += "ListenPort = ";
        append_number(out, *device.listen_port);
        out += '\n';
    }
    if (device.fwmark.value_or(0)) {
        char hex[16];
        std::to_chars_result r = std::to_chars(hex, hex + sizeof(hex), *device.fwmark, 16);
        out += "FwMark = 0x";
        out.append(hex, r.ptr);
        out += '\n';
    }
    if (device.private_key)
        append_key_line(out, "PrivateKey = ", *device.private_key);
    out += '\n';
}

void append_config_peer(std::string& out, const Peer& peer, bool first)
{
    if (!first)
        out += '\n';
    append_peer(out, peer);
}

std::string format_config(const Device& device)
{
    std::string out;
    // About 200 bytes per peer plus 20 per allowed IP; a guess that avoids most regrowth.
    std::size_t ips = 0;
    for (const Peer& peer : device.peers)
        ips += peer.allowed_ips.size();
    out.reserve(128 + device.peers.size() * 200 + ips * 24);
    append_config_interface(out, device);
    for (std::size_t i = 0; i < device.peers.size(); ++i)
        append_config_peer(out, device.peers[i], i == 0);
    return out;
}

} // namespace wgkit
