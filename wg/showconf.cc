// SPDX-License-Identifier: MIT
// `wg showconf <interface>`: the running config in the setconf format (reference §1.3).
#include "commands.h"
#include "common.h"

#include <cstdio>
#include <cstring>
#include <string>

#include <wgkit/config.h>
#include <wgkit/error.h>
#include <wgkit/wireguard.h>

namespace wg {

int showconf_main(int argc, char* argv[])
{
    if (argc != 2) {
        std::fprintf(stderr, "Usage: %s %s <interface>\n", PROG_NAME, argv[0]);
        return 1;
    }
    std::string text;
    try {
        text = wgkit::format_config(wgkit::get_device(argv[1]));
    } catch (const wgkit::Error& e) {
        std::fprintf(stderr, "Unable to access interface: %s\n", error_text(e).c_str());
        return 1;
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    explicit_bzero(text.data(), text.size()); // it holds the private key and PSKs
    return 0;
}

} // namespace wg
