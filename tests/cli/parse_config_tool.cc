// SPDX-License-Identifier: MIT
// Drives libwgkit's config parser the way `wg setconf` does, for config_errors.py: reads the
// file, prints warnings and errors to stderr in the order and words wg would, then "OK" on
// stdout when the file is valid. Exit 0 for a valid file, 1 otherwise.
// With --stats first (bad_input_test.py), a valid file also gets what the parser produced, so
// counts can be checked exactly: "peers N", "allowed_ips N" (summed over peers) and
// "showconf_bytes N" (the parsed device printed back as a config).
#include <wgkit/config.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>

int main(int argc, char** argv)
{
    bool stats = argc == 3 && std::string_view(argv[1]) == "--stats";
    if (stats)
        ++argv, --argc;
    if (argc != 2) {
        std::fprintf(stderr, "Usage: %s [--stats] <configuration filename>\n", argv[0]);
        return 1;
    }
    std::ifstream file(argv[1], std::ios::binary);
    if (!file) {
        std::perror("fopen");
        return 1;
    }
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());

    wgkit::ParseOptions options;
    options.filename = argv[1];
    options.warn = [](const std::string& message) { std::cerr << message << '\n'; };
    wgkit::Config config;
    try {
        config = wgkit::parse_config(text, options);
    } catch (const wgkit::EnvironmentInvalid& e) {
        std::cerr << e.what() << '\n';
        return 1;
    } catch (const wgkit::ConfigInvalid& e) {
        std::cerr << e.what() << "\nInvalid configuration\n";
        return 1;
    } catch (const wgkit::Error& e) {
        std::cerr << e.what() << "\nConfiguration parsing error\n";
        return 1;
    }
    std::cout << "OK\n";
    if (stats) {
        std::size_t allowed = 0;
        for (const wgkit::Peer& peer : config.device.peers)
            allowed += peer.allowed_ips.size();
        std::cout << "peers " << config.device.peers.size() << "\nallowed_ips " << allowed
                  << "\nshowconf_bytes " << wgkit::format_config(config.device).size() << '\n';
    }
    return 0;
}
