// SPDX-License-Identifier: MIT
// Lists every WireGuard interface on this host with its peers, using only the installed
// libwgkit. Build it against an installed copy with pkg-config alone (see Makefile):
//   c++ -std=c++20 wg-list.cc $(pkg-config --cflags --libs wgkit) -o wg-list
// Reading interfaces needs CAP_NET_ADMIN (root); without it the list is simply empty or an
// interface cannot be read, and the program says so.
#include <cstdio>
#include <string>

#include <wgkit/error.h>
#include <wgkit/wireguard.h>

namespace {

void print_device(const wgkit::Device& device) {
    std::printf("interface %s", device.name.c_str());
    if (device.public_key)
        std::printf(" public key %s", std::string(device.public_key->base64().view()).c_str());
    if (device.listen_port && *device.listen_port)
        std::printf(" port %u", unsigned(*device.listen_port));
    std::printf(", %zu peer%s\n", device.peers.size(), device.peers.size() == 1 ? "" : "s");

    for (const wgkit::Peer& peer : device.peers) {
        std::printf("  peer %s", std::string(peer.public_key.base64().view()).c_str());
        if (peer.endpoint)
            std::printf(" endpoint %s", peer.endpoint->to_string().c_str());
        for (const wgkit::AllowedIp& ip : peer.allowed_ips)
            std::printf(" %s", ip.to_string().c_str());
        std::printf(" rx %llu tx %llu\n", static_cast<unsigned long long>(peer.rx_bytes),
                    static_cast<unsigned long long>(peer.tx_bytes));
    }
}

} // namespace

int main() {
    std::vector<std::string> names;
    try {
        names = wgkit::list_interfaces();
    } catch (const wgkit::Error& e) {
        std::fprintf(stderr, "wg-list: cannot list interfaces: %s\n", e.what());
        return 1;
    }
    std::printf("%zu WireGuard interface%s\n", names.size(), names.size() == 1 ? "" : "s");

    int status = 0;
    for (const std::string& name : names) {
        try {
            print_device(wgkit::get_device(name));
        } catch (const wgkit::Error& e) {
            // One unreadable interface (gone meanwhile, or no permission) does not hide others.
            std::fprintf(stderr, "wg-list: %s: %s\n", name.c_str(), e.what());
            status = 1;
        }
    }
    return status;
}
