// SPDX-License-Identifier: MIT
// The `wg` front door: one table of subcommands drives both dispatch and the usage text, so the
// two cannot drift apart. Each subcommand prints its own errors; the catch below is a last
// resort for a wgkit::Error that a subcommand let through.
#include "commands.h"

#include "wgkit/error.h"

#include <cstdio>
#include <exception>
#include <string_view>

namespace wg {

const char* PROG_NAME = "wg";

namespace {

struct Subcommand {
    std::string_view name;
    int (*function)(int argc, char* argv[]);
    std::string_view description;
};

constexpr Subcommand subcommands[] = {
    {"show", show_main, "Shows the current configuration and device information"},
    {"showconf", showconf_main, "Shows the current configuration of a given WireGuard interface, for use with `setconf'"},
    {"set", set_main, "Change the current configuration, add peers, remove peers, or change peers"},
    {"setconf", setconf_main, "Applies a configuration file to a WireGuard interface"},
    {"addconf", setconf_main, "Appends a configuration file to a WireGuard interface"},
    {"syncconf", setconf_main, "Synchronizes a configuration file to a WireGuard interface"},
    {"genkey", genkey_main, "Generates a new private key and writes it to stdout"},
    {"genpsk", genkey_main, "Generates a new preshared key and writes it to stdout"},
    {"pubkey", pubkey_main, "Reads a private key from stdin and writes a public key to stdout"},
};

void show_usage(std::FILE* out)
{
    std::fprintf(out, "Usage: %s <cmd> [<args>]\n\n", PROG_NAME);
    std::fputs("Available subcommands:\n", out);
    for (const Subcommand& cmd : subcommands)
        std::fprintf(out, "  %.*s: %.*s\n", int(cmd.name.size()), cmd.name.data(),
                     int(cmd.description.size()), cmd.description.data());
    std::fputs("You may pass `--help' to any of these subcommands to view usage.\n", out);
}

bool is_one_of(std::string_view arg, std::string_view a, std::string_view b, std::string_view c)
{
    return arg == a || arg == b || arg == c;
}

int dispatch(int argc, char* argv[])
{
    // Help and version count only as the sole argument; `wg help x` is an invalid subcommand.
    if (argc == 2 && is_one_of(argv[1], "help", "--help", "-h")) {
        show_usage(stdout);
        return 0;
    }
    if (argc == 2 && is_one_of(argv[1], "version", "--version", "-v")) {
        std::puts("wgkit v" WGKIT_VERSION " (wireguard-tools v" WGKIT_WIREGUARD_TOOLS_VERSION " compatible)");
        return 0;
    }
    if (argc < 2) {
        // Bare `wg` means `wg show`.
        char show_name[] = "show";
        char* show_argv[] = {show_name, nullptr};
        return show_main(1, show_argv);
    }
    for (const Subcommand& cmd : subcommands) {
        if (argv[1] == cmd.name)
            return cmd.function(argc - 1, argv + 1);
    }
    std::fprintf(stderr, "Invalid subcommand: `%s'\n", argv[1]);
    show_usage(stderr);
    return 1;
}

} // namespace
} // namespace wg

int main(int argc, char* argv[])
{
    if (argc > 0 && argv[0])
        wg::PROG_NAME = argv[0];
    try {
        return wg::dispatch(argc, argv);
    } catch (const wgkit::Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        // bad_alloc and friends: still exit 1, never abort with a signal status.
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
