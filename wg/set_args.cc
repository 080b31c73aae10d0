// SPDX-License-Identifier: MIT
#include "set_args.h"

#include <string>
#include <string_view>

#include <wgkit/error.h>

namespace wg {

namespace {

/// Whitespace (9-13, 32) is removed from an allowed-ips value before parsing, so
/// "10.0.0.0/8, +fd00::/8" works.
std::string strip_spaces(const char* value)
{
    std::string out;
    for (const char* c = value; *c; ++c)
        if (!((*c >= 9 && *c <= 13) || *c == ' '))
            out.push_back(*c);
    return out;
}

} // namespace

void parse_arguments(std::span<char*> args, wgkit::Device& device, const wgkit::WarningSink& warn)
{
    wgkit::Peer* peer = nullptr;
    std::size_t i = 0;
    while (i < args.size()) {
        std::string_view option = args[i];
        bool has_value = i + 1 < args.size();
        const char* value = has_value ? args[i + 1] : nullptr;
        if (option == "remove" && peer) {
            peer->remove = true;
            i += 1;
            continue;
        }
        if (!has_value)
            throw InvalidArgument{args[i]};
        if (option == "listen-port" && !peer)
            device.listen_port = wgkit::parse_port(value);
        else if (option == "fwmark" && !peer)
            device.fwmark = wgkit::parse_fwmark(value);
        else if (option == "private-key" && !peer)
            device.private_key = wgkit::read_key_file(value);
        else if (option == "peer") {
            wgkit::Key key = wgkit::parse_key(value);
            peer = &device.peers.emplace_back();
            peer->public_key = key;
        } else if (option == "endpoint" && peer)
            peer->endpoint = wgkit::parse_endpoint(value, warn);
        else if (option == "allowed-ips" && peer)
            wgkit::parse_allowed_ips(strip_spaces(value), *peer, warn);
        else if (option == "persistent-keepalive" && peer)
            peer->persistent_keepalive = wgkit::parse_persistent_keepalive(value);
        else if (option == "preshared-key" && peer)
            peer->preshared_key = wgkit::read_key_file(value);
        else
            throw InvalidArgument{args[i]};
        i += 2;
    }
}

} // namespace wg
