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
/// scratch string that is wiped after use: it may hold the private key or a PSK. Room for the
/// longest section is reserved before writing it, so the string never reallocates (and frees
/// a block holding a key) while a section is in it.
class ConfigPrinter final : public StreamingPrinter {
    // Upper bounds of a section's text: labels, keys, the longest inet_ntop text plus "/128, ",
    // and a bracketed NI_MAXHOST endpoint.
    static constexpr std::size_t interface_text_max = 256;
    static constexpr std::size_t peer_text_max = 1400;
    static constexpr std::size_t ip_text_max = 52;

public:
    ~ConfigPrinter() override { explicit_bzero(section_.data(), section_.capacity()); }
    void on_device(const wgkit::Device& device) override
    {
        section_.reserve(interface_text_max);
        wgkit::append_config_interface(section_, device);
        move_section(device.private_key.has_value());
    }
    void on_peer(wgkit::Peer&& peer) override
    {
        section_.reserve(peer_text_max + ip_text_max * peer.allowed_ips.size());
        wgkit::append_config_peer(section_, peer, first_peer_);
        first_peer_ = false;
        move_section(peer.preshared_key.has_value());
        out_.peer_done();
    }

private:
    void restart() override { first_peer_ = true; }
    /// `secret`: the section holds a key to wipe (a peer without a preshared key holds none).
    void move_section(bool secret)
    {
        out_.buffer().append(section_.data(), section_.data() + section_.size());
        if (secret)
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
