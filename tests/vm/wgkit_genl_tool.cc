// SPDX-License-Identifier: MIT
// Drives the kernel backend (lib/wireguard/genl*) directly, for the kernel lab's genl_*.sh cases
// and for measurements, independently of the wg CLI:
//   wgkit_genl_tool dump IF                 the device as `wg show IF dump` prints it
//   wgkit_genl_tool setconf IF FILE [SIZE]  parse FILE (wg format) and apply it with setconf
//                                           semantics; SIZE = SET message capacity in bytes
//   wgkit_genl_tool addconf IF FILE [SIZE]  the same, appending (absent fields unchanged)
//   wgkit_genl_tool list                    kernel WireGuard interfaces, one per line
//   wgkit_genl_tool errno IF                the errno name of a get (ENODEV...), "0" if none
//   wgkit_genl_tool stats IF                like dump, then on stderr: messages, bytes, calls
//   wgkit_genl_tool watch IF N COUNT        N dumps (more, up to a minute, until one was
//                                           interrupted); checks each is one consistent state
//                                           of COUNT peers (genl_race.sh); prints the restarts
//   wgkit_genl_tool flip IF FILE1 FILE2     setconf FILE1, FILE2, FILE1... until killed
//   wgkit_genl_tool gen-peers N [IPS [GEN]]       a config with N peers (IPS allowed IPs each)
//   wgkit_genl_tool gen-ips N               a config with one peer holding N allowed IPs
//                                           (GEN: first byte of each key, second of each IP)
// Timings of set and get go to stderr as "set: N messages, B bytes, S s".
#include "../../lib/wireguard/genl.h"

#include <arpa/inet.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <wgkit/config.h>
#include <wgkit/error.h>
#include <wgkit/wireguard.h>

using namespace wgkit;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string key_or_none(const std::optional<Key>& key)
{
    return key ? std::string(key->base64().view()) : "(none)";
}

void print_peer(std::string& out, const Peer& p)
{
    out += p.public_key.base64().view();
    out += '\t';
    out += key_or_none(p.preshared_key);
    out += '\t';
    out += p.endpoint ? p.endpoint->to_string() : "(none)";
    out += '\t';
    if (p.allowed_ips.empty())
        out += "(none)";
    for (std::size_t i = 0; i < p.allowed_ips.size(); ++i) {
        if (i)
            out += ',';
        out += p.allowed_ips[i].to_string();
    }
    out += '\t' + std::to_string(p.last_handshake.tv_sec) + '\t' + std::to_string(p.rx_bytes) +
           '\t' + std::to_string(p.tx_bytes) + '\t';
    out += p.persistent_keepalive.value_or(0) ? std::to_string(*p.persistent_keepalive) : "off";
    out += '\n';
}

std::string device_line(const Device& d)
{
    char fwmark[16] = "off";
    if (d.fwmark.value_or(0))
        std::snprintf(fwmark, sizeof(fwmark), "0x%x", *d.fwmark);
    return key_or_none(d.private_key) + '\t' + key_or_none(d.public_key) + '\t' +
           std::to_string(d.listen_port.value_or(0)) + '\t' + fwmark + '\n';
}

int dump(const std::string& name, bool stats)
{
    genl::TransferStats counters;
    auto start = std::chrono::steady_clock::now();
    std::string peers;
    Device d = genl::read_device(
        name, [&](const Device&, Peer&& p) { print_peer(peers, p); }, [&] { peers.clear(); }, &counters);
    double elapsed = seconds_since(start);
    std::fputs(device_line(d).c_str(), stdout);
    std::fputs(peers.c_str(), stdout);
    if (stats)
        std::fprintf(stderr, "get: %zu messages, %zu bytes, %zu receive calls, %zu restarts, %.3f s\n",
                     counters.messages, counters.bytes, counters.receive_calls, counters.restarts,
                     elapsed);
    return 0;
}

Device read_config(const std::string& name, const std::string& file, bool append)
{
    std::ifstream in(file);
    if (!in)
        throw Error("cannot read " + file, errno);
    std::stringstream text;
    text << in.rdbuf();
    ParseOptions options;
    options.append = append;
    Config config = parse_config(text.str(), options);
    config.device.name = name;
    return config.device;
}

/// Applies two configs in turn until killed: a device that never stops changing.
int flip(const std::string& name, const std::string& file1, const std::string& file2)
{
    Device devices[2] = {read_config(name, file1, false), read_config(name, file2, false)};
    for (unsigned i = 0;; ++i)
        genl::set_device(devices[i % 2]);
}

int apply_config(const std::string& name, const std::string& file, bool append,
                 std::size_t message_size)
{
    Device device = read_config(name, file, append);
    genl::SetOptions set_options;
    if (message_size)
        set_options.message_size = message_size;
    genl::TransferStats counters;
    auto start = std::chrono::steady_clock::now();
    genl::set_device(device, set_options, &counters);
    std::fprintf(stderr, "set: %zu messages, %zu bytes, %.3f s\n", counters.messages,
                 counters.bytes, seconds_since(start));
    return 0;
}

/// A dump is consistent when it holds exactly `count` peers of one generation (the first byte
/// of the public key), each with its one allowed IP 10.g.x.y/32: the race script
/// (genl_race.sh) swaps whole generations of `count` peers, each swap in one message.
int watch(const std::string& name, int rounds, std::size_t count)
{
    // At least `rounds` dumps, and on until one was interrupted (or a minute has passed):
    // whether a change lands between two messages of a dump is up to the scheduler, and a
    // faster reader leaves it fewer chances.
    std::size_t restarts = 0;
    auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds || (restarts == 0 && seconds_since(start) < 60); ++r) {
        genl::TransferStats counters;
        Device d = genl::read_device(name, {}, {}, &counters);
        restarts += counters.restarts;
        if (d.peers.size() != count) {
            std::fprintf(stderr, "inconsistent dump in round %d: %zu peers, not %zu\n", r,
                         d.peers.size(), count);
            return 1;
        }
        int generation = d.peers.empty() ? 0 : d.peers[0].public_key.data()[0];
        for (std::size_t i = 0; i < d.peers.size(); ++i) {
            const Peer& p = d.peers[i];
            int g = p.public_key.data()[0];
            if (g != generation || p.allowed_ips.size() != 1 || p.allowed_ips[0].address[1] != g) {
                std::fprintf(stderr,
                             "inconsistent dump in round %d: peer %zu is of generation %d after "
                             "%d, with %zu allowed IPs\n",
                             r, i, g, generation, p.allowed_ips.size());
                return 1;
            }
        }
    }
    std::printf("%zu\n", restarts);
    return 0;
}

std::string key_text(std::uint32_t n, std::uint8_t first)
{
    std::uint8_t bytes[Key::size] = {};
    bytes[0] = first;
    std::memcpy(bytes + 1, &n, sizeof(n));
    return std::string(Key(bytes).base64().view());
}

int gen_peers(long count, long ips, int generation)
{
    std::string out = "[Interface]\nListenPort = 51820\n";
    for (long i = 0; i < count; ++i) {
        out += "[Peer]\nPublicKey = " + key_text(i, generation) + "\n";
        if (i % 2)
            out += "PresharedKey = " + key_text(i, 0xff) + "\n";
        out += "Endpoint = 10." + std::to_string(i % 250) + "." + std::to_string(i / 250 % 250) +
               ".1:" + std::to_string(1024 + i % 60000) + "\n";
        for (long j = 0; j < ips; ++j)
            out += "AllowedIPs = 10." + std::to_string(generation) + "." +
                   std::to_string((i * ips + j) / 256 % 256) + "." +
                   std::to_string((i * ips + j) % 256) + "/32\n";
    }
    std::fputs(out.c_str(), stdout);
    return 0;
}

/// The kernel selftest's shape: a.b.0.0/16 and a::b/128 pairs, N entries in all.
int gen_ips(long count)
{
    std::string out = "[Interface]\n[Peer]\nPublicKey = " + key_text(1, 1) + "\n";
    for (long i = 0; i < count; ++i) {
        long a = 1 + i / 2 / 256, b = i / 2 % 256;
        char line[64];
        if (i % 2 == 0)
            std::snprintf(line, sizeof(line), "AllowedIPs = %ld.%ld.0.0/16\n", a, b);
        else
            std::snprintf(line, sizeof(line), "AllowedIPs = %lx::%lx/128\n", a, b);
        out += line;
    }
    std::fputs(out.c_str(), stdout);
    return 0;
}

int usage()
{
    std::fputs("usage: wgkit_genl_tool dump|stats|list|errno|setconf|addconf|watch|gen-peers|"
               "gen-ips ...\n",
               stderr);
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2)
        return usage();
    std::string cmd = argv[1];
    try {
        if ((cmd == "dump" || cmd == "stats") && argc == 3)
            return dump(argv[2], cmd == "stats");
        if ((cmd == "setconf" || cmd == "addconf") && (argc == 4 || argc == 5))
            return apply_config(argv[2], argv[3], cmd == "addconf",
                                argc == 5 ? std::stoul(argv[4]) : 0);
        if (cmd == "list" && argc == 2) {
            for (const std::string& name : genl::list_interfaces())
                std::printf("%s\n", name.c_str());
            return 0;
        }
        if (cmd == "errno" && argc == 3) {
            try {
                genl::get_device(argv[2]);
                std::printf("0\n");
            } catch (const Error& e) {
                std::printf("%s\n", strerrorname_np(e.code()));
            }
            return 0;
        }
        if (cmd == "flip" && argc == 5)
            return flip(argv[2], argv[3], argv[4]);
        if (cmd == "watch" && argc == 5)
            return watch(argv[2], std::stoi(argv[3]), std::stoul(argv[4]));
        if (cmd == "gen-peers" && (argc == 3 || argc == 4 || argc == 5))
            return gen_peers(std::stol(argv[2]), argc >= 4 ? std::stol(argv[3]) : 1,
                             argc == 5 ? std::stoi(argv[4]) : 1);
        if (cmd == "gen-ips" && argc == 3)
            return gen_ips(std::stol(argv[2]));
    } catch (const Error& e) {
        std::fprintf(stderr, "%s: %s (errno %d)\n", cmd.c_str(), e.what(), e.code());
        return 1;
    }
    return usage();
}
