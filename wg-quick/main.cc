// SPDX-License-Identifier: MIT
// wg-quick: argument handling and output over lib/quick (reference §4.1).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <wgkit/quick.h>

namespace {

std::string program_name;

void usage() {
    std::fprintf(stderr,
                 "Usage: %s [ up | down | save | strip ] [ CONFIG_FILE | INTERFACE ]\n"
                 "\n"
                 "  CONFIG_FILE is a configuration file, whose filename is the interface name\n"
                 "  followed by `.conf'. Otherwise, INTERFACE is an interface name, with\n"
                 "  configuration found at /etc/wireguard/INTERFACE.conf. It is to be readable\n"
                 "  by wg(8)'s `setconf' sub-command, with the exception of the following additions\n"
                 "  to the [Interface] section, which are handled by %s:\n"
                 "\n"
                 "  - Address: may be specified one or more times and contains one or more\n"
                 "    IP addresses (with an optional CIDR mask) to be set for the interface.\n"
                 "  - DNS: an optional DNS server to use while the device is up.\n"
                 "  - MTU: an optional MTU for the interface; if unspecified, auto-calculated.\n"
                 "  - Table: an optional routing table to which routes will be added; if\n"
                 "    unspecified or `auto', the default table is used. If `off', no routes\n"
                 "    are added.\n"
                 "  - PreUp, PostUp, PreDown, PostDown: script snippets which will be executed\n"
                 "    by bash(1) at the corresponding phases of the link, most commonly used\n"
                 "    to configure DNS. The string `%%i' is expanded to INTERFACE.\n"
                 "  - SaveConfig: if set to `true', the configuration is saved from the current\n"
                 "    state of the interface upon shutdown.\n"
                 "\n"
                 "  wgkit extensions: `reload' applies an edited configuration to a running\n"
                 "  interface without taking it down (hooks do not run); `--dry-run', before\n"
                 "  or after up, down or reload, prints the steps and changes nothing.\n"
                 "  IPForward, IPMasquerade = yes | no | ipv4 | ipv6 in [Interface]: forward\n"
                 "  (and masquerade) this interface's traffic, as relay and exit servers do.\n"
                 "\n"
                 "See wg-quick(8) for more info and examples.\n",
                 program_name.c_str(), program_name.c_str());
}

void say(const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); }

/// The original re-runs itself through sudo when not root, for every command.
void become_root(char** argv) {
    if (geteuid() == 0)
        return;
    std::vector<std::string> args = {"sudo", "-p",
                                     "wg-quick must be run as root. Please enter the password for %u to continue: ",
                                     "--", "/proc/self/exe"};
    char self[4096] = {};
    if (ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1); n > 0)
        args.back() = self;
    for (int i = 1; argv[i]; ++i)
        args.push_back(argv[i]);
    std::vector<char*> c;
    for (std::string& a : args)
        c.push_back(a.data());
    c.push_back(nullptr);
    execvp("sudo", c.data());
    std::fprintf(stderr, "%s: sudo: %s\n", program_name.c_str(), std::strerror(errno));
    std::exit(1);
}

int run(const std::string& command, const std::string& argument, bool dry_run) {
    using namespace wgkit::quick;
    Io io{say, dry_run};
    QuickFile file;
    try {
        file = read_config(locate_config(argument, say));
    } catch (const wgkit::Error&) {
        // A wgkit extension: `down` works from the state record of our own `up` even when
        // the config file has vanished since (no hooks, no SaveConfig then).
        std::optional<std::string> name = interface_of_argument(argument);
        if (command != "down" || !name || !has_record(*name))
            throw;
        file.interface = *name;
    }
    if (command == "up")
        up(file, io);
    else if (command == "down")
        down(file, io);
    else if (command == "reload")
        reload(file, io);
    else if (command == "save")
        save(file, io);
    else
        std::fputs(strip(file).c_str(), stdout);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    program_name = argv[0] ? argv[0] : "wg-quick";
    if (std::size_t slash = program_name.rfind('/'); slash != std::string::npos)
        program_name.erase(0, slash + 1);
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
        usage();
        return 0;
    }
    // --dry-run (an extension) may stand before or after the command, for up, down, reload.
    bool dry_run = false;
    if (args.size() == 3 && (args[0] == "--dry-run" || args[1] == "--dry-run")) {
        args.erase(args.begin() + (args[0] == "--dry-run" ? 0 : 1));
        dry_run = args[0] == "up" || args[0] == "down" || args[0] == "reload";
        if (!dry_run) {
            usage();
            return 1;
        }
    }
    bool known = args.size() == 2 && (args[0] == "up" || args[0] == "down" || args[0] == "save" ||
                                      args[0] == "strip" || args[0] == "reload");
    if (!known) {
        usage();
        return 1;
    }
    become_root(argv);
    // The original exports LC_ALL=C; its hooks, resolvconf and iptables-restore see it.
    setenv("LC_ALL", "C", 1);
    try {
        return run(args[0], args[1], dry_run);
    } catch (const std::exception& e) {
        if (*e.what())
            std::fprintf(stderr, "%s: %s\n", program_name.c_str(), e.what());
        return 1;
    }
}
