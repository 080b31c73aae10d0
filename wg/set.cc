// SPDX-License-Identifier: MIT
// `wg set <interface> ...` (reference §1.4): the whole argument list is parsed (endpoints
// resolved, key files read) before one set request, so any error leaves the device untouched.
#include "commands.h"
#include "set_args.h"
#include "common.h"

#include <cstdio>
#include <cstring>
#include <span>
#include <string>

#include <wgkit/config.h>
#include <wgkit/error.h>
#include <wgkit/wireguard.h>

namespace wg {

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
        parse_arguments(std::span<char*>(argv + 2, argc - 2), device, stderr_warnings());
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
