// SPDX-License-Identifier: MIT
// `wg show { <interface> | all | interfaces } [<field>]` (reference §1.2).
#include "commands.h"
#include "common.h"
#include "print.h"

#include <net/if.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <wgkit/error.h>
#include <wgkit/wireguard.h>

namespace wg {

namespace {

void show_usage(const char* command)
{
    std::fprintf(stderr,
                 "Usage: %s %s { <interface> | all | interfaces } [public-key | private-key | "
                 "listen-port | fwmark | peers | preshared-keys | endpoints | allowed-ips | "
                 "latest-handshakes | transfer | persistent-keepalive | dump]\n",
                 PROG_NAME, command);
}

/// Checks the field before printing anything, as the original's ugly_print does.
bool check_field(const char* command, const char* field)
{
    if (is_script_field(field))
        return true;
    std::fprintf(stderr, "Invalid parameter: `%s'\n", field);
    show_usage(command);
    return false;
}

/// The original keeps a device's name in an IFNAMSIZ buffer, so a userspace interface whose
/// socket name is longer prints as its first 15 bytes (kernel names never are longer).
wgkit::Device get_named_device(const std::string& name)
{
    wgkit::Device device = wgkit::get_device(name);
    show_requested_name(device, name);
    return device;
}

int list_or_fail(std::vector<std::string>& names)
{
    try {
        names = wgkit::list_interfaces();
        return 0;
    } catch (const wgkit::Error& e) {
        std::fprintf(stderr, "Unable to list interfaces: %s\n", error_text(e).c_str());
        return 1;
    }
}

/// `wg show interfaces`: one line, names separated by spaces; nothing at all when empty.
int show_interfaces()
{
    std::vector<std::string> names;
    if (list_or_fail(names))
        return 1;
    Buffer out;
    for (std::size_t i = 0; i < names.size(); ++i)
        fmt::format_to(fmt::appender(out), "{}{}", names[i], i + 1 < names.size() ? ' ' : '\n');
    flush(out);
    return 0;
}

/// `wg show [all [<field>]]`. Exit status: 0 with no interfaces, else 0 once any interface
/// printed; a bad field stops at the first interface read.
int show_all(const char* command, const char* field)
{
    std::vector<std::string> names;
    if (list_or_fail(names))
        return 1;
    PrettyOptions options = PrettyOptions::from_environment();
    Buffer out;
    int status = names.empty() ? 0 : 1;
    for (std::size_t i = 0; i < names.size(); ++i) {
        wgkit::Device device;
        try {
            device = get_named_device(names[i]);
        } catch (const wgkit::Error& e) {
            flush(out);
            std::fprintf(stderr, "Unable to access interface %s: %s\n", names[i].c_str(),
                         error_text(e).c_str());
            continue;
        }
        if (field) {
            if (!check_field(command, field)) {
                status = 1;
                break;
            }
            print_script_field(out, device, field, true);
        } else {
            print_pretty(out, device, options);
            if (i + 1 < names.size())
                out.push_back('\n');
        }
        status = 0;
    }
    flush(out);
    return status;
}

/// Prints one field (or dump) of a device while it is read, so a 10^5-peer device is not
/// held in memory (StreamedOutput).
class ScriptPrinter final : public StreamingPrinter {
public:
    explicit ScriptPrinter(ScriptField field) : field_(field) {}
    void on_device(const wgkit::Device& device) override
    {
        print_script_device(out_.buffer(), device, field_, {});
    }
    void on_peer(wgkit::Peer&& peer) override
    {
        print_script_peer(out_.buffer(), peer, field_, {});
        out_.peer_done();
    }

private:
    ScriptField field_;
};

int show_one(const char* command, const char* name, const char* field)
{
    if (std::optional<ScriptField> known = field ? find_script_field(field) : std::nullopt) {
        ScriptPrinter printer(*known);
        return printer.print(name);
    }
    if (!field) {
        PrettyPrinter printer(PrettyOptions::from_environment(), name);
        if (!read_or_report(name, printer))
            return 1;
        Buffer out;
        printer.write(out);
        flush(out);
        return 0;
    }
    // A bad field is reported only for a device that could be read: it is read whole.
    wgkit::Device device;
    try {
        device = get_named_device(name);
    } catch (const wgkit::Error& e) {
        std::fprintf(stderr, "Unable to access interface: %s\n", error_text(e).c_str());
        return 1;
    }
    if (!check_field(command, field))
        return 1;
    Buffer out;
    print_script_field(out, device, field, false);
    flush(out);
    return 0;
}

} // namespace

int show_main(int argc, char* argv[])
{
    const char* command = argv[0];
    if (argc > 3) {
        show_usage(command);
        return 1;
    }
    const char* field = argc == 3 ? argv[2] : nullptr;
    if (argc == 1 || !std::strcmp(argv[1], "all"))
        return show_all(command, field);
    if (!std::strcmp(argv[1], "interfaces")) {
        if (argc > 2) {
            show_usage(command);
            return 1;
        }
        return show_interfaces();
    }
    if (argc == 2 && (!std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help") ||
                      !std::strcmp(argv[1], "help"))) {
        show_usage(command);
        return 0;
    }
    return show_one(command, argv[1], field);
}

} // namespace wg
