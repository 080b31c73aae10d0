// SPDX-License-Identifier: MIT
// `wg showconf <interface>`: the running config in the setconf format (reference §1.3).
#include "commands.h"
#include "common.h"
#include "print.h"

#include <cstdio>
#include <cstring>
#include <string>

#include <wgkit/config.h>
#include <wgkit/error.h>
#include <wgkit/wireguard.h>

namespace wg {

namespace {

/// Prints the config while the device is read (StreamedOutput), each section built in a
/// scratch string that is wiped after use: it may hold the private key or a PSK.
class ConfigPrinter final : public StreamingPrinter {
public:
    ~ConfigPrinter() override { explicit_bzero(section_.data(), section_.capacity()); }
    void on_device(const wgkit::Device& device) override
    {
        wgkit::append_config_interface(section_, device);
        move_section();
    }
    void on_peer(wgkit::Peer&& peer) override
    {
        wgkit::append_config_peer(section_, peer, first_peer_);
        first_peer_ = false;
        move_section();
        out_.peer_done();
    }

private:
    void restart() override { first_peer_ = true; }
    void move_section()
    {
        out_.buffer().append(section_.data(), section_.data() + section_.size());
        explicit_bzero(section_.data(), section_.size());
        section_.clear();
    }
    std::string section_;
    bool first_peer_ = true;
};

} // namespace

int showconf_main(int argc, char* argv[])
{
    if (argc != 2) {
        std::fprintf(stderr, "Usage: %s %s <interface>\n", PROG_NAME, argv[0]);
        return 1;
    }
    ConfigPrinter printer;
    return printer.print(argv[1]);
}

} // namespace wg
