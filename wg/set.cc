// SPDX-License-Identifier: MIT
// `wg set <interface> ...` (reference §1.4): the whole argument list is parsed (endpoints
// resolved, key files read) before one set request, so any error leaves the device untouched.
#include "commands.h"
#include "set_common.h"

#include <cstdio>
#include <cstring>
#include <span>
#include <string>

#include <wgkit/config.h>
#include <wgkit/error.h>
#include <wgkit/wireguard.h>

namespace wg {

namespace {

/// Thrown for an unknown token or an option without its value.
struct InvalidArgument {
    const char* token;
};

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

/// Fills `device` from the option list. Device options are accepted only before the first
/// `peer`; tokens are compared case-sensitively.
void parse_arguments(std::span<char*> args, wgkit::Device& device)
{
    const wgkit::WarningSink warn = stderr_warnings();
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

} // namespace

int set_main(int argc, char* argv[])
{
    if (argc < 3) {
        std::fprintf(stderr,
                     "Usage: %s %s <interface> [listen-port <port>] [fwmark <mark>] "
                     "[private-key <file path>] [peer <base64 public key> [remove] "
                     "[preshared-key <file path>] [endpoint <ip>:<port>] "
                     "[persistent-keepalive <interval seconds>] "
                     "[allowed-ips [+|-]<ip1>/<cidr1>[,[+|-]<ip2>/<cidr2>]...] ]...\n",
                     PROG_NAME, argv[0]);
        return 1;
    }
    wgkit::Device device;
    try {
        parse_arguments(std::span<char*>(argv + 2, argc - 2), device);
    } catch (const InvalidArgument& e) {
        std::fprintf(stderr, "Invalid argument: %s\n", e.token);
        return 1;
    } catch (const wgkit::Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    device.name = interface_name(argv[1]);
    return apply_device(device);
}

} // namespace wg
