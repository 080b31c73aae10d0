// SPDX-License-Identifier: MIT
// The UAPI text codec against the bytes wireguard-tools writes and wireguard-go answers
// (reference §3.7).
#include <arpa/inet.h>

#include <cerrno>
#include <string>

#include <catch2/catch.hpp>

#include <wgkit/error.h>

#include "../../lib/wireguard/uapi_codec.h"

using namespace wgkit;

namespace {

Key filled(std::uint8_t byte) {
    std::uint8_t bytes[Key::size];
    std::fill(std::begin(bytes), std::end(bytes), byte);
    return Key(bytes);
}

std::string hex(std::uint8_t byte) {
    std::string out;
    const char* digits = "0123456789abcdef";
    for (int i = 0; i < 32; ++i) {
        out += digits[byte >> 4];
        out += digits[byte & 15];
    }
    return out;
}

AllowedIp ip(int family, const char* addr, std::uint8_t cidr, bool remove = false) {
    AllowedIp a;
    a.family = static_cast<std::uint16_t>(family);
    REQUIRE(inet_pton(family, addr, a.address.data()) == 1);
    a.cidr = cidr;
    a.remove = remove;
    return a;
}

int error_code(std::string_view reply) {
    try {
        uapi::decode_get(reply);
    } catch (const Error& e) {
        return e.code();
    }
    return 0;
}

} // namespace

TEST_CASE("set request: every field, in wireguard-tools' order") {
    Device d;
    d.name = "wg0";
    d.private_key = filled(0x11);
    d.listen_port = 1234;
    d.fwmark = 16;
    d.replace_peers = true;
    Peer gone;
    gone.public_key = filled(0x22);
    gone.remove = true;
    gone.preshared_key = filled(0x99); // nothing after remove=true
    Peer p;
    p.public_key = filled(0x33);
    p.preshared_key = filled(0x44);
    Endpoint e;
    e.addr6.sin6_family = AF_INET6;
    e.addr6.sin6_port = htons(5);
    inet_pton(AF_INET6, "::1", &e.addr6.sin6_addr);
    p.endpoint = e;
    p.persistent_keepalive = 7;
    p.replace_allowed_ips = true;
    p.allowed_ips = {ip(AF_INET, "10.0.0.0", 8), ip(AF_INET6, "fd00::", 8, true)};
    d.peers = {gone, p};

    std::string expected = "set=1\n"
                           "private_key=" + hex(0x11) + "\n"
                           "listen_port=1234\n"
                           "fwmark=16\n"
                           "replace_peers=true\n"
                           "public_key=" + hex(0x22) + "\n"
                           "remove=true\n"
                           "public_key=" + hex(0x33) + "\n"
                           "preshared_key=" + hex(0x44) + "\n"
                           "endpoint=[::1]:5\n"
                           "persistent_keepalive_interval=7\n"
                           "replace_allowed_ips=true\n"
                           "allowed_ip=10.0.0.0/8\n"
                           "allowed_ip=-fd00::/8\n"
                           "\n";
    auto got = uapi::encode_set(d);
    CHECK(std::string(got.begin(), got.end()) == expected);
}

TEST_CASE("set request: an empty device and absent fields") {
    Device d;
    d.name = "wg0";
    Peer p;
    p.public_key = filled(0x01);
    Endpoint v4;
    v4.addr4.sin_family = AF_INET;
    v4.addr4.sin_port = htons(51820);
    inet_pton(AF_INET, "192.0.2.1", &v4.addr4.sin_addr);
    p.endpoint = v4;
    p.preshared_key = Key{}; // zero = remove the PSK: still sent
    d.peers = {p};
    auto got = uapi::encode_set(d);
    CHECK(std::string(got.begin(), got.end()) ==
          "set=1\npublic_key=" + hex(0x01) + "\npreshared_key=" + hex(0) + "\nendpoint=192.0.2.1:51820\n\n");
    Device none;
    auto empty = uapi::encode_set(none);
    CHECK(std::string(empty.begin(), empty.end()) == "set=1\n\n");
}

namespace {

// A get reply as wireguard-go sends it: two peers, every field, and a device key after a
// peer (which is ignored).
std::string wireguard_go_reply() {
    return "private_key=" + hex(0x11) + "\n"
           "listen_port=51820\n"
           "fwmark=7\n"
           "public_key=" + hex(0x33) + "\n"
           "preshared_key=" + hex(0x44) + "\n"
           "protocol_version=1\n"
           "endpoint=[fd00::1]:4000\n"
           "last_handshake_time_sec=1700000000\n"
           "last_handshake_time_nsec=5\n"
           "tx_bytes=10\n"
           "rx_bytes=20\n"
           "persistent_keepalive_interval=25\n"
           "allowed_ip=10.0.0.0/8\n"
           "allowed_ip=fd00::/64\n"
           "public_key=" + hex(0x55) + "\n"
           "preshared_key=" + hex(0) + "\n"
           "endpoint=198.51.100.7:9\n"
           "persistent_keepalive_interval=0\n"
           "listen_port=1\n" // a device key after a peer is ignored
           "errno=0\n"
           "\n";
}

} // namespace

TEST_CASE("get reply as wireguard-go sends it") {
    std::string reply = wireguard_go_reply();
    Device d = uapi::decode_get(reply);
    REQUIRE(d.private_key == filled(0x11));
    CHECK(d.public_key == filled(0x11).public_key());
    CHECK(d.listen_port == 51820);
    CHECK(d.fwmark == 7u);
    REQUIRE(d.peers.size() == 2);
    const Peer& a = d.peers[0];
    CHECK(a.public_key == filled(0x33));
    CHECK(a.preshared_key == filled(0x44));
    REQUIRE(a.endpoint);
    CHECK(a.endpoint->to_string() == "[fd00::1]:4000");
    CHECK(a.last_handshake.tv_sec == 1700000000);
    CHECK(a.last_handshake.tv_nsec == 5);
    CHECK(a.tx_bytes == 10);
    CHECK(a.rx_bytes == 20);
    CHECK(a.persistent_keepalive == 25);
    CHECK(a.allowed_ips == std::vector<AllowedIp>{ip(AF_INET, "10.0.0.0", 8), ip(AF_INET6, "fd00::", 64)});
    const Peer& b = d.peers[1];
    CHECK_FALSE(b.preshared_key); // all zero means none
    REQUIRE(b.endpoint);
    CHECK(b.endpoint->to_string() == "198.51.100.7:9");
    CHECK(b.persistent_keepalive == 0);
    CHECK(b.allowed_ips.empty());
}

TEST_CASE("a streaming get hands over each peer when the next starts or the reply ends") {
    std::string reply = wireguard_go_reply();
    Device whole = uapi::decode_get(reply);
    std::vector<Peer> got;
    std::vector<std::string> handed_at; // the line that completed each peer
    std::string line;
    uapi::GetReplyParser parser([&](const Device& fields, Peer&& peer) {
        CHECK(fields.peers.empty());
        CHECK(fields.private_key == whole.private_key);
        CHECK(fields.public_key == whole.public_key);
        CHECK(fields.listen_port == 51820);
        CHECK(fields.fwmark == 7u);
        got.push_back(std::move(peer));
        handed_at.push_back(line);
    });
    bool done = false;
    for (std::size_t at = 0; !done && at < reply.size();) {
        std::size_t nl = reply.find('\n', at);
        line = reply.substr(at, nl - at);
        done = parser.feed(line);
        at = nl + 1;
    }
    REQUIRE(done);
    CHECK(handed_at == std::vector<std::string>{"public_key=" + hex(0x55), ""});
    REQUIRE(got.size() == whole.peers.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        CHECK(got[i].public_key == whole.peers[i].public_key);
        CHECK(got[i].preshared_key == whole.peers[i].preshared_key);
        CHECK(got[i].endpoint->to_string() == whole.peers[i].endpoint->to_string());
        CHECK(got[i].persistent_keepalive == whole.peers[i].persistent_keepalive);
        CHECK(got[i].allowed_ips == whole.peers[i].allowed_ips);
        CHECK(got[i].last_handshake.tv_sec == whole.peers[i].last_handshake.tv_sec);
        CHECK(got[i].rx_bytes == whole.peers[i].rx_bytes);
    }
    Device rest = parser.take();
    CHECK(rest.peers.empty());
    CHECK(rest.listen_port == 51820); // the device key after a peer is still ignored

    // Without peers nothing is handed over, and the fields stay in the parser.
    uapi::GetReplyParser empty([&](const Device&, Peer&&) { FAIL("no peer to hand over"); });
    CHECK_FALSE(empty.feed("listen_port=9"));
    CHECK(empty.feed(""));
    CHECK(empty.take().listen_port == 9);
}

TEST_CASE("get reply of an empty device") {
    Device d = uapi::decode_get("errno=0\n\n");
    CHECK_FALSE(d.private_key);
    CHECK_FALSE(d.listen_port);
    CHECK(d.peers.empty());
    // Upper-case hex is accepted.
    std::string upper = hex(0xab);
    for (char& c : upper)
        c = static_cast<char>(std::toupper(c));
    CHECK(uapi::decode_get("private_key=" + upper + "\nerrno=0\n\n").private_key == filled(0xab));
}

TEST_CASE("get reply errors") {
    CHECK(error_code("errno=-22\n\n") == EINVAL); // wireguard-go's sign
    CHECK(error_code("errno=5\n\n") == EIO);
    CHECK(error_code("listen_port=1\n") == EPROTO);        // no empty line
    CHECK(error_code("listen_port=1\nerrno=0") == EPROTO); // no newline
    CHECK(error_code("nonsense\n\n") == EPROTO);
    CHECK(error_code("listen_port=65536\n\n") == EPROTO);
    CHECK(error_code("listen_port=-1\n\n") == EPROTO);
    CHECK(error_code("listen_port= 1\n\n") == EPROTO);
    CHECK(error_code("private_key=1234\n\n") == EPROTO);
    CHECK(error_code("public_key=" + hex(1) + "\nallowed_ip=10.0.0.0/33\n\n") == EPROTO);
    CHECK(error_code("public_key=" + hex(1) + "\nallowed_ip=10.0.0.0\n\n") == EPROTO);
    CHECK(error_code("public_key=" + hex(1) + "\nallowed_ip=fd00::/129\n\n") == EPROTO);
    CHECK(error_code("public_key=" + hex(1) + "\nendpoint=[::1]\n\n") == EPROTO);
    CHECK(error_code("public_key=" + hex(1) + "\nendpoint=[::1:5\n\n") == EPROTO);
    CHECK(error_code("public_key=" + hex(1) + "\nendpoint=192.0.2.1:\n\n") == EPROTO);
    CHECK(error_code("public_key=" + hex(1) + "\nendpoint=not-an-address:5\n\n") == ENETUNREACH);
    CHECK(error_code("public_key=" + hex(1) + "\nrx_bytes=18446744073709551616\n\n") == EPROTO);
    // Peer keys before any public_key, and unknown keys, are ignored.
    CHECK(error_code("preshared_key=zz\nupdate_only=true\nerrno=0\n\n") == 0);
}

TEST_CASE("set reply") {
    auto parse = [](std::string_view reply) {
        uapi::SetReplyParser parser;
        std::size_t start = 0;
        for (;;) {
            auto nl = reply.find('\n', start);
            if (parser.feed(reply.substr(start, nl - start)))
                return 0;
            start = nl + 1;
        }
    };
    CHECK(parse("errno=0\n\n") == 0);
    try {
        parse("errno=-98\n\n");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == EADDRINUSE);
        CHECK(std::string(e.what()) == "Address already in use");
    }
    try {
        parse("garbage\n\n");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == EPROTO);
    }
}
