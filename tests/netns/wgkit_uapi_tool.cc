// SPDX-License-Identifier: MIT
// Test driver for the backend layer (list/get/set dispatch, UAPI, diff) without the wg CLI,
// so the netns tests can compare libwgkit with Debian's wg on the same wireguard-go.
//
//   wgkit_uapi_tool list
//   wgkit_uapi_tool has IF
//   wgkit_uapi_tool dump IF                    (the `wg show IF dump` format)
//   wgkit_uapi_tool setconf IF FILE
//   wgkit_uapi_tool syncconf IF FILE [--incremental]
//   wgkit_uapi_tool diff IF FILE [--incremental]   (the request; key values redacted)
//
// Errors go to stderr as "error: MESSAGE errno=N", exit 1.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <wgkit/config.h>
#include <wgkit/error.h>
#include <wgkit/wireguard.h>

#include "../../lib/wireguard/uapi_codec.h"

using namespace wgkit;

namespace {

std::string key_or_none(const std::optional<Key>& key) {
    return key && !key->is_zero() ? std::string(key->base64().view()) : "(none)";
}

void dump(const Device& d) {
    std::string fwmark = "off";
    if (d.fwmark.value_or(0)) {
        char buf[16];
        std::snprintf(buf, sizeof(buf), "0x%x", *d.fwmark);
        fwmark = buf;
    }
    std::cout << key_or_none(d.private_key) << '\t' << key_or_none(d.public_key) << '\t'
              << d.listen_port.value_or(0) << '\t' << fwmark << '\n';
    for (const Peer& p : d.peers) {
        std::string ips;
        for (const AllowedIp& ip : p.allowed_ips) {
            if (!ips.empty())
                ips += ',';
            ips += ip.to_string();
        }
        auto keepalive = p.persistent_keepalive.value_or(0);
        std::cout << p.public_key.base64().view() << '\t' << key_or_none(p.preshared_key) << '\t'
                  << (p.endpoint ? p.endpoint->to_string() : "(none)") << '\t'
                  << (ips.empty() ? "(none)" : ips) << '\t' << p.last_handshake.tv_sec << '\t'
                  << p.rx_bytes << '\t' << p.tx_bytes << '\t'
                  << (keepalive ? std::to_string(keepalive) : "off") << '\n';
    }
}

Device read_config(const std::string& ifname, const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw Error("cannot open " + path, errno);
    std::stringstream text;
    text << in.rdbuf();
    ParseOptions options;
    options.filename = path;
    options.warn = [](const std::string& w) { std::cerr << w << '\n'; };
    Device d = parse_config(text.str(), options).device;
    d.name = ifname;
    return d;
}

Device sync_request(const std::string& ifname, const std::string& path, bool incremental) {
    Device wanted = read_config(ifname, path);
    Device running = get_device(ifname);
    return diff_devices(running, wanted, DiffOptions{.incremental_allowed_ips = incremental});
}

// The request as UAPI text, with the values of private and preshared keys hidden.
void print_request(const Device& request) {
    auto text = uapi::encode_set(request);
    std::string_view rest(text.data(), text.size());
    while (!rest.empty()) {
        auto nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        if (line.starts_with("private_key=") || line.starts_with("preshared_key="))
            std::cout << line.substr(0, line.find('=') + 1) << (line.ends_with(std::string(64, '0')) ? "zero" : "set") << '\n';
        else
            std::cout << line << '\n';
        rest.remove_prefix(nl + 1);
    }
}

int run(int argc, char** argv) {
    std::string cmd = argc > 1 ? argv[1] : "";
    bool incremental = argc > 4 && std::string(argv[4]) == "--incremental";
    if (cmd == "list" && argc == 2) {
        for (const std::string& name : list_interfaces())
            std::cout << name << '\n';
    } else if (cmd == "has" && argc == 3) {
        return uapi::has_interface(argv[2]) ? 0 : 2;
    } else if (cmd == "dump" && argc == 3) {
        dump(get_device(argv[2]));
    } else if (cmd == "setconf" && argc == 4) {
        set_device(read_config(argv[2], argv[3]));
    } else if (cmd == "syncconf" && argc >= 4) {
        set_device(sync_request(argv[2], argv[3], incremental));
    } else if (cmd == "diff" && argc >= 4) {
        print_request(sync_request(argv[2], argv[3], incremental));
    } else {
        std::cerr << "usage: see the comment at the top of wgkit_uapi_tool.cc\n";
        return 64;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const Error& e) {
        std::cerr << "error: " << e.what() << " errno=" << e.code() << '\n';
        return 1;
    }
}
