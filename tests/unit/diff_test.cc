// SPDX-License-Identifier: MIT
// diff_devices: exact requests for the named cases, and, for random states, the property
// that matters: the device ends where the original's syncconf request (target version)
// leaves it. A small model of the backends' set semantics replays both requests.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include <wgkit/wireguard.h>

#include "../../lib/wireguard/flat_map.h"

using namespace wgkit;

namespace {

Key key(int n) {
    std::uint8_t bytes[Key::size] = {};
    bytes[0] = static_cast<std::uint8_t>(n);
    bytes[31] = 0x40;
    return Key(bytes);
}

AllowedIp ip(const std::string& text) {
    AllowedIp a;
    auto slash = text.find('/');
    std::string addr = text.substr(0, slash);
    a.family = addr.find(':') == std::string::npos ? AF_INET : AF_INET6;
    REQUIRE(inet_pton(a.family, addr.c_str(), a.address.data()) == 1);
    a.cidr = static_cast<std::uint8_t>(std::stoi(text.substr(slash + 1)));
    return a;
}

AllowedIp minus(const std::string& text) {
    AllowedIp a = ip(text);
    a.remove = true;
    return a;
}

Endpoint endpoint(const char* addr, std::uint16_t port) {
    Endpoint e;
    e.addr4.sin_family = AF_INET;
    e.addr4.sin_port = htons(port);
    inet_pton(AF_INET, addr, &e.addr4.sin_addr);
    return e;
}

Peer peer(int n, std::vector<AllowedIp> ips = {}) {
    Peer p;
    p.public_key = key(n);
    p.allowed_ips = std::move(ips);
    return p;
}

// A running device as a get returns it.
Device running_device() {
    Device d;
    d.name = "wg0";
    d.private_key = key(100);
    d.listen_port = 51820;
    d.fwmark = 0;
    Peer a = peer(1, {ip("10.0.1.0/24")});
    a.endpoint = endpoint("192.0.2.1", 51820);
    a.persistent_keepalive = 0;
    Peer b = peer(2, {ip("10.0.2.0/24"), ip("fd00::2/128")});
    b.preshared_key = key(200);
    b.persistent_keepalive = 25;
    d.peers = {a, b};
    return d;
}

// The same configuration as parse_config gives it (setconf flags, no endpoint state).
Device wanted_device() {
    Device d;
    d.name = "wg0";
    d.private_key = key(100);
    d.listen_port = 51820;
    d.fwmark = 0;
    d.replace_peers = true;
    Peer a = peer(1, {ip("10.0.1.0/24")});
    a.replace_allowed_ips = true;
    Peer b = peer(2, {ip("10.0.2.0/24"), ip("fd00::2/128")});
    b.preshared_key = key(200);
    b.persistent_keepalive = 25;
    b.replace_allowed_ips = true;
    d.peers = {a, b};
    return d;
}

bool empty_request(const Device& d) {
    return !d.private_key && !d.listen_port && !d.fwmark && !d.replace_peers && d.peers.empty();
}

// ---- a model of a backend applying a set request ----

using Prefix = std::pair<int, std::string>; // family, masked address bytes + cidr

Prefix prefix(const AllowedIp& a) {
    std::string bytes(reinterpret_cast<const char*>(a.address.data()), a.family == AF_INET ? 4 : 16);
    for (std::size_t bit = a.cidr; bit < bytes.size() * 8; ++bit)
        bytes[bit / 8] = static_cast<char>(bytes[bit / 8] & ~(0x80 >> (bit % 8)));
    return {a.family, bytes + "/" + std::to_string(a.cidr)};
}

struct ModelPeer {
    Key psk;
    std::uint16_t keepalive = 0;
    std::optional<Endpoint> endpoint;
    std::set<Prefix> ips;
    bool operator==(const ModelPeer& o) const {
        return psk == o.psk && keepalive == o.keepalive && ips == o.ips &&
               endpoint.has_value() == o.endpoint.has_value() && (!endpoint || *endpoint == *o.endpoint);
    }
};

struct Model {
    Key private_key;
    std::uint16_t port = 0;
    std::uint32_t fwmark = 0;
    std::map<Key, ModelPeer> peers;
    bool operator==(const Model&) const = default;
};

void apply(Model& m, const Device& request) {
    if (request.private_key)
        m.private_key = *request.private_key;
    if (request.listen_port)
        m.port = *request.listen_port;
    if (request.fwmark)
        m.fwmark = *request.fwmark;
    if (request.replace_peers)
        m.peers.clear();
    for (const Peer& p : request.peers) {
        if (p.remove) {
            m.peers.erase(p.public_key);
            continue;
        }
        ModelPeer& mp = m.peers[p.public_key];
        if (p.preshared_key)
            mp.psk = *p.preshared_key;
        if (p.endpoint)
            mp.endpoint = p.endpoint;
        if (p.persistent_keepalive)
            mp.keepalive = *p.persistent_keepalive;
        if (p.replace_allowed_ips)
            mp.ips.clear();
        for (const AllowedIp& a : p.allowed_ips) {
            Prefix pre = prefix(a);
            if (a.remove) {
                mp.ips.erase(pre); // only the owner loses it
                continue;
            }
            for (auto& [k, other] : m.peers)
                other.ips.erase(pre); // an allowed IP has one owner: adding moves it
            mp.ips.insert(pre);
        }
    }
}

Model model_of(const Device& d) {
    Model m;
    apply(m, d);
    return m;
}

// What a get returns for a model state.
Device device_of(const Model& m) {
    Device d;
    d.name = "wg0";
    if (!m.private_key.is_zero())
        d.private_key = m.private_key;
    d.listen_port = m.port;
    d.fwmark = m.fwmark;
    for (const auto& [k, mp] : m.peers) {
        Peer p = peer(0);
        p.public_key = k;
        if (!mp.psk.is_zero())
            p.preshared_key = mp.psk;
        p.persistent_keepalive = mp.keepalive;
        p.endpoint = mp.endpoint;
        for (const Prefix& pre : mp.ips) {
            AllowedIp a;
            a.family = static_cast<std::uint16_t>(pre.first);
            std::size_t len = pre.first == AF_INET ? 4 : 16;
            std::copy_n(pre.second.begin(), len, a.address.begin());
            a.cidr = static_cast<std::uint8_t>(std::stoi(pre.second.substr(len + 1)));
            p.allowed_ips.push_back(a);
        }
        d.peers.push_back(p);
    }
    return d;
}

// The request wireguard-tools v1.0.20260223's syncconf sends (setconf.c, reference §1.5).
Device original_syncconf(const Device& running, Device file) {
    if (file.peers.empty() || running.peers.empty())
        return file;
    file.replace_peers = false;
    std::vector<Peer> removals;
    for (const Peer& r : running.peers) {
        auto it = std::find_if(file.peers.begin(), file.peers.end(),
                               [&](const Peer& f) { return f.public_key == r.public_key; });
        if (it == file.peers.end()) {
            Peer gone = peer(0);
            gone.public_key = r.public_key;
            gone.remove = true;
            removals.push_back(gone);
            continue;
        }
        if (!it->preshared_key && r.preshared_key)
            it->preshared_key = Key{};
        if (!it->persistent_keepalive && r.persistent_keepalive.value_or(0))
            it->persistent_keepalive = 0;
    }
    removals.insert(removals.end(), file.peers.begin(), file.peers.end());
    file.peers = removals;
    return file;
}

std::string describe(const Model& m) {
    std::ostringstream out;
    out << "port " << m.port << " fwmark " << m.fwmark << " key " << int(m.private_key.data()[0]) << "\n";
    for (const auto& [k, p] : m.peers) {
        out << " peer " << int(k.data()[0]) << " psk " << int(p.psk.data()[0]) << " ka " << p.keepalive
            << " ep " << (p.endpoint ? p.endpoint->to_string() : "-") << " ips";
        for (const auto& pre : p.ips)
            out << " " << pre.first << ":" << pre.second.size();
        out << "\n";
    }
    return out.str();
}

// A request exactly, order and flags included.
std::string request_text(const Device& d) {
    std::ostringstream out;
    out << d.name << " key " << (d.private_key ? int(d.private_key->data()[0]) : -1) << " port "
        << (d.listen_port ? int(*d.listen_port) : -1) << " fwmark " << (d.fwmark ? int(*d.fwmark) : -1)
        << " replace " << d.replace_peers << "\n";
    for (const Peer& p : d.peers) {
        out << " peer " << int(p.public_key.data()[0]) << " remove " << p.remove << " replace "
            << p.replace_allowed_ips << " psk " << (p.preshared_key ? int(p.preshared_key->data()[0]) : -1)
            << " ka " << (p.persistent_keepalive ? int(*p.persistent_keepalive) : -1) << " ep "
            << (p.endpoint ? p.endpoint->to_string() : "-") << " ips";
        for (const AllowedIp& a : p.allowed_ips)
            out << " " << (a.remove ? "-" : "") << a.to_string();
        out << "\n";
    }
    return out.str();
}

// `running` delivered to a DeviceDiff as read_device does: the fields, then each peer moved
// in; first a read of `decoy` that the kernel interrupts, which must leave no trace.
Device visited_diff(const Device& decoy, const Device& running, const Device& wanted, const DiffOptions& options) {
    DeviceDiff diff(wanted, options);
    for (const Device* attempt : {&decoy, &running}) {
        Device fields = *attempt;
        fields.peers.clear();
        diff.on_device(fields);
        for (Peer copy : attempt->peers)
            diff.on_peer(std::move(copy));
        CHECK(diff.running_peers() == attempt->peers.size());
        if (attempt == &decoy)
            diff.on_restart();
    }
    return diff.result();
}

} // namespace

TEST_CASE("identical devices give an empty request") {
    Device d = diff_devices(running_device(), wanted_device());
    CHECK(d.name == "wg0");
    CHECK(empty_request(d));
}

TEST_CASE("a peer only in the file is added with everything it has") {
    Device wanted = wanted_device();
    Peer c = peer(3, {ip("10.0.3.0/24")});
    c.replace_allowed_ips = true;
    c.endpoint = endpoint("198.51.100.3", 1000);
    c.persistent_keepalive = 10;
    wanted.peers.push_back(c);
    Device d = diff_devices(running_device(), wanted);
    REQUIRE(d.peers.size() == 1);
    const Peer& p = d.peers[0];
    CHECK(p.public_key == key(3));
    CHECK_FALSE(p.remove);
    CHECK(p.endpoint == endpoint("198.51.100.3", 1000));
    CHECK(p.persistent_keepalive == 10);
    CHECK_FALSE(p.preshared_key); // none in the file and none running: nothing to say
    CHECK(p.replace_allowed_ips);
    CHECK(p.allowed_ips == std::vector<AllowedIp>{ip("10.0.3.0/24")});
}

TEST_CASE("a new peer with nothing but its key is still sent") {
    Device wanted = wanted_device();
    wanted.peers.push_back(peer(3));
    Device d = diff_devices(running_device(), wanted);
    REQUIRE(d.peers.size() == 1);
    CHECK(d.peers[0].public_key == key(3));
    CHECK_FALSE(d.peers[0].replace_allowed_ips);
    CHECK(d.peers[0].allowed_ips.empty());
}

TEST_CASE("a peer missing from the file is removed, first") {
    Device wanted = wanted_device();
    wanted.peers.erase(wanted.peers.begin());
    Peer c = peer(3);
    wanted.peers.push_back(c);
    Device d = diff_devices(running_device(), wanted);
    REQUIRE(d.peers.size() == 2);
    CHECK(d.peers[0].public_key == key(1));
    CHECK(d.peers[0].remove);
    CHECK(d.peers[1].public_key == key(3));
    CHECK_FALSE(d.peers[1].remove);
}

TEST_CASE("a changed PSK is the only thing sent for that peer") {
    Device wanted = wanted_device();
    wanted.peers[1].preshared_key = key(201);
    Device d = diff_devices(running_device(), wanted);
    REQUIRE(d.peers.size() == 1);
    CHECK(d.peers[0].public_key == key(2));
    CHECK(d.peers[0].preshared_key == key(201));
    CHECK_FALSE(d.peers[0].endpoint);
    CHECK_FALSE(d.peers[0].persistent_keepalive);
    CHECK_FALSE(d.peers[0].replace_allowed_ips);
    CHECK(d.peers[0].allowed_ips.empty());
}

TEST_CASE("a PSK dropped from the file is cleared with the zero key (target version)") {
    Device wanted = wanted_device();
    wanted.peers[1].preshared_key.reset();
    Device d = diff_devices(running_device(), wanted);
    REQUIRE(d.peers.size() == 1);
    REQUIRE(d.peers[0].preshared_key);
    CHECK(d.peers[0].preshared_key->is_zero());
    CHECK_FALSE(d.peers[0].persistent_keepalive);
}

TEST_CASE("a keepalive dropped from the file is set to 0 (target version)") {
    Device wanted = wanted_device();
    wanted.peers[1].persistent_keepalive.reset();
    Device d = diff_devices(running_device(), wanted);
    REQUIRE(d.peers.size() == 1);
    CHECK(d.peers[0].persistent_keepalive == 0);
    CHECK_FALSE(d.peers[0].preshared_key);
}

TEST_CASE("a keepalive of 0 in the file matches a running keepalive that is off") {
    Device wanted = wanted_device();
    wanted.peers[0].persistent_keepalive = 0;
    CHECK(empty_request(diff_devices(running_device(), wanted)));
}

TEST_CASE("an endpoint absent from the file is kept; a different one is sent") {
    Device wanted = wanted_device();
    CHECK_FALSE(wanted.peers[0].endpoint);
    CHECK(empty_request(diff_devices(running_device(), wanted)));

    wanted.peers[0].endpoint = endpoint("192.0.2.1", 51820); // the same: nothing to do
    CHECK(empty_request(diff_devices(running_device(), wanted)));

    wanted.peers[0].endpoint = endpoint("192.0.2.9", 51820);
    Device d = diff_devices(running_device(), wanted);
    REQUIRE(d.peers.size() == 1);
    CHECK(d.peers[0].endpoint == endpoint("192.0.2.9", 51820));
}

TEST_CASE("equal allowed IPs in another order, or with host bits, send nothing") {
    Device wanted = wanted_device();
    wanted.peers[1].allowed_ips = {ip("fd00::2/128"), ip("10.0.2.77/24"), ip("10.0.2.0/24")};
    CHECK(empty_request(diff_devices(running_device(), wanted)));
}

TEST_CASE("changed allowed IPs are replaced with the whole wanted list") {
    Device wanted = wanted_device();
    wanted.peers[1].allowed_ips = {ip("10.0.2.0/24"), ip("10.9.0.0/16")};
    Device d = diff_devices(running_device(), wanted);
    REQUIRE(d.peers.size() == 1);
    CHECK(d.peers[0].public_key == key(2));
    CHECK(d.peers[0].replace_allowed_ips);
    CHECK(d.peers[0].allowed_ips == std::vector<AllowedIp>{ip("10.0.2.0/24"), ip("10.9.0.0/16")});
    CHECK_FALSE(d.peers[0].preshared_key);
}

TEST_CASE("allowed IPs removed entirely are replaced with the empty list") {
    Device wanted = wanted_device();
    wanted.peers[1].allowed_ips.clear();
    Device d = diff_devices(running_device(), wanted);
    REQUIRE(d.peers.size() == 1);
    CHECK(d.peers[0].replace_allowed_ips);
    CHECK(d.peers[0].allowed_ips.empty());
}

TEST_CASE("incremental allowed IPs: removals in one pass, additions after all of them") {
    Device wanted = wanted_device();
    wanted.peers[0].allowed_ips = {ip("10.0.1.0/24"), ip("fd00::2/128")}; // moves from peer 2
    wanted.peers[1].allowed_ips = {ip("10.0.2.0/24"), ip("10.9.0.0/16")};
    Device d = diff_devices(running_device(), wanted, DiffOptions{.incremental_allowed_ips = true});
    REQUIRE(d.peers.size() == 3);
    CHECK(d.peers[0].public_key == key(2));
    CHECK(d.peers[0].allowed_ips == std::vector<AllowedIp>{minus("fd00::2/128")});
    CHECK(d.peers[1].public_key == key(1));
    CHECK(d.peers[1].allowed_ips == std::vector<AllowedIp>{ip("fd00::2/128")});
    CHECK(d.peers[2].public_key == key(2));
    CHECK(d.peers[2].allowed_ips == std::vector<AllowedIp>{ip("10.9.0.0/16")});
    for (const Peer& p : d.peers)
        CHECK_FALSE(p.replace_allowed_ips);
}

TEST_CASE("device fields: unchanged ones are left out, changed and reset ones are sent") {
    Device wanted = wanted_device();
    wanted.private_key = key(101);
    wanted.listen_port = 0; // no ListenPort in the file: back to a random port, as setconf
    wanted.fwmark = 0x51820;
    Device d = diff_devices(running_device(), wanted);
    CHECK(d.private_key == key(101));
    CHECK(d.listen_port == 0);
    CHECK(d.fwmark == 0x51820u);
    CHECK_FALSE(d.replace_peers);
    CHECK(d.peers.empty());

    Device running = running_device();
    running.private_key.reset();
    wanted = wanted_device();
    wanted.private_key = Key{}; // no PrivateKey in the file, none running: nothing to do
    CHECK(empty_request(diff_devices(running, wanted)));
}

TEST_CASE("a file key that is the running key but for clamping is not sent") {
    // key(96) has its low three bits clear and byte 31 is 0x40: the clamped form the kernel
    // stores and reports. key(97) to key(103) clamp to it; key(104) is another key.
    Key running_key = key(96);
    REQUIRE(running_key.clamped() == running_key);
    Device running = running_device();
    running.private_key = running_key;
    for (int unclamped : {97, 98, 101, 103}) {
        Device wanted = wanted_device();
        wanted.private_key = key(unclamped);
        REQUIRE_FALSE(*wanted.private_key == running_key);
        REQUIRE(wanted.private_key->clamped() == running_key);
        CHECK(empty_request(diff_devices(running, wanted)));
    }
    std::uint8_t top_bits[Key::size] = {96};
    top_bits[31] = 0x80; // clamping clears bit 7 of the last byte and sets bit 6
    Device wanted = wanted_device();
    wanted.private_key = Key(top_bits);
    CHECK(empty_request(diff_devices(running, wanted)));

    wanted.private_key = key(104);
    CHECK(diff_devices(running, wanted).private_key == key(104));
    // A key that userspace holds unclamped (wireguard-go stores what it is given) and the file
    // still gives byte for byte: unchanged, as before.
    running.private_key = key(101);
    wanted.private_key = key(101);
    CHECK(empty_request(diff_devices(running, wanted)));
}

TEST_CASE("absent device fields in the wanted device stay unchanged") {
    Device wanted = wanted_device();
    wanted.private_key.reset();
    wanted.listen_port.reset();
    wanted.fwmark.reset();
    CHECK(empty_request(diff_devices(running_device(), wanted)));
}

TEST_CASE("a file without peers removes them all with one flag") {
    Device wanted = wanted_device();
    wanted.peers.clear();
    Device d = diff_devices(running_device(), wanted);
    CHECK(d.replace_peers);
    CHECK(d.peers.empty());

    Device none = running_device();
    none.peers.clear();
    CHECK(empty_request(diff_devices(none, wanted)));
}

TEST_CASE("a prefix listed for two peers ends with the later one, as the original") {
    // File order: peer 2 then peer 1 both claim 10.0.1.0/24, which peer 1 has running.
    // The original replaces peer 2's list (taking the prefix), then peer 1's (taking it back).
    Device wanted = wanted_device();
    std::swap(wanted.peers[0], wanted.peers[1]);
    wanted.peers[0].allowed_ips.push_back(ip("10.0.1.0/24"));
    Device running = running_device();
    Model expected = model_of(running);
    apply(expected, original_syncconf(running, wanted));
    Model got = model_of(running);
    apply(got, diff_devices(running, wanted));
    CHECK(describe(got) == describe(expected));
    CHECK(got == expected);
    CHECK(expected.peers[key(1)].ips.size() == 1);
}

TEST_CASE("a key the backend lists twice counts once, by its first entry") {
    Device wanted = wanted_device();
    wanted.peers[1].persistent_keepalive = 0; // peer 2 changes
    Device running = running_device();
    running.peers.push_back(peer(3, {ip("10.0.3.0/24")})); // not in the file: one removal
    Device plain = running;
    // Later listings of peers 1, 3 and 2, with other state, which must change nothing.
    running.peers.push_back(peer(1, {ip("10.9.0.0/16")}));
    running.peers.push_back(peer(3));
    running.peers.push_back(peer(2, {ip("10.0.2.0/24")}));
    for (bool incremental : {false, true}) {
        DiffOptions options{.incremental_allowed_ips = incremental};
        std::string expected = request_text(diff_devices(plain, wanted, options));
        CHECK(request_text(diff_devices(running, wanted, options)) == expected);
        CHECK(request_text(visited_diff(Device{}, running, wanted, options)) == expected);
    }
    Device d = diff_devices(running, wanted);
    REQUIRE(d.peers.size() == 2);
    CHECK((d.peers[0].public_key == key(3) && d.peers[0].remove));
    CHECK((d.peers[1].public_key == key(2) && d.peers[1].persistent_keepalive == 0));
}

TEST_CASE("the diff is computed for 10^5 peers") {
    Device running, wanted;
    running.name = wanted.name = "wg0";
    for (int i = 0; i < 100000; ++i) {
        Peer p;
        std::uint8_t bytes[Key::size] = {};
        std::memcpy(bytes, &i, sizeof(i));
        bytes[31] = 0x40;
        p.public_key = Key(bytes);
        AllowedIp a;
        a.family = AF_INET;
        a.address = {10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                     static_cast<std::uint8_t>(i)};
        a.cidr = 32;
        p.allowed_ips = {a};
        running.peers.push_back(p);
        p.replace_allowed_ips = true;
        if (i % 100 == 0)
            p.persistent_keepalive = 25;
        wanted.peers.push_back(p);
    }
    Device d = diff_devices(running, wanted);
    CHECK(d.peers.size() == 1000);
}

TEST_CASE("random states: the device ends where the original's syncconf leaves it") {
    std::mt19937 rng(20260223);
    auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
    const std::vector<std::string> pool = {"10.0.0.0/24", "10.0.0.9/24", "10.0.1.0/24", "10.0.0.0/16",
                                           "fd00::/64",   "fd00::1/128", "192.168.0.1/32", "0.0.0.0/0"};
    auto random_ips = [&](bool allow_incremental, bool& replace) {
        std::vector<AllowedIp> ips;
        replace = !(allow_incremental && chance(20));
        int n = static_cast<int>(rng() % 4);
        for (int i = 0; i < n; ++i) {
            AllowedIp a = ip(pool[rng() % pool.size()]);
            a.remove = !replace && chance(40);
            ips.push_back(a);
        }
        return ips;
    };
    auto random_file = [&](bool incremental) {
        Device d;
        d.name = "wg0";
        d.replace_peers = true;
        d.private_key = key(static_cast<int>(100 + rng() % 3));
        d.listen_port = static_cast<std::uint16_t>(rng() % 3 * 1000);
        d.fwmark = static_cast<std::uint32_t>(rng() % 2);
        std::vector<int> keys = {1, 2, 3, 4, 5, 6};
        std::shuffle(keys.begin(), keys.end(), rng);
        keys.resize(rng() % 6);
        for (int k : keys) {
            Peer p = peer(k);
            p.allowed_ips = random_ips(incremental, p.replace_allowed_ips);
            if (chance(50))
                p.preshared_key = key(static_cast<int>(200 + rng() % 2));
            if (chance(50))
                p.persistent_keepalive = static_cast<std::uint16_t>(rng() % 2 * 25);
            if (chance(50))
                p.endpoint = endpoint("192.0.2.1", static_cast<std::uint16_t>(1 + rng() % 2));
            d.peers.push_back(p);
        }
        return d;
    };
    for (int round = 0; round < 3000; ++round) {
        Device decoy = device_of(model_of(random_file(false)));
        Device running = device_of(model_of(random_file(false)));
        Device wanted = random_file(true);
        Model expected = model_of(running);
        apply(expected, original_syncconf(running, wanted));
        for (bool incremental : {false, true}) {
            Device request = diff_devices(running, wanted, DiffOptions{.incremental_allowed_ips = incremental});
            Model got = model_of(running);
            apply(got, request);
            INFO("round " << round << " incremental " << incremental);
            REQUIRE(describe(got) == describe(expected));
            REQUIRE(got == expected);
            // The streamed diff (syncconf's) sends the very same request.
            REQUIRE(request_text(visited_diff(decoy, running, wanted, {incremental})) == request_text(request));
            // Minimal: once applied, there is nothing left to do.
            Device again = diff_devices(device_of(got), wanted, DiffOptions{.incremental_allowed_ips = incremental});
            REQUIRE(empty_request(again));
        }
    }
}

TEST_CASE("FlatMap agrees with std::map under random inserts and erases") {
    struct WeakHash {
        // Odd keys all hash to one value whose home is the table's last slots (0x330c... times
        // the map's Fibonacci constant is 0xfffc...), so probe runs wrap around the end; even
        // keys spread out and get shifted into the holes.
        std::size_t operator()(int k) const noexcept {
            return k % 2 ? std::size_t{0x330c000000000000ULL} : static_cast<std::size_t>(k) * 2654435761u;
        }
    };
    FlatMap<int, int, WeakHash> flat;
    std::map<int, int> ref;
    std::mt19937 rng(7);
    for (int op = 0; op < 200000; ++op) {
        int k = static_cast<int>(rng() % 300);
        if (rng() % 3 == 0) {
            if (int* v = flat.find(k))
                flat.erase(v);
            ref.erase(k);
        } else {
            auto [v, fresh] = flat.try_emplace(k, op);
            auto [it, ref_fresh] = ref.try_emplace(k, op);
            REQUIRE(fresh == ref_fresh);
            REQUIRE(*v == it->second);
        }
        int probe = static_cast<int>(rng() % 300);
        const int* got = flat.find(probe);
        auto it = ref.find(probe);
        REQUIRE((got != nullptr) == (it != ref.end()));
        if (got)
            REQUIRE(*got == it->second);
    }
}
