// SPDX-License-Identifier: MIT
// The `wg show` printers against golden text from the original. The goldens were made by
// tests/unit/print_golden.py: Debian's wg (wireguard-tools 1.0.20210914) reading the same
// device from a fake UAPI socket; golden_device() below is that state and golden_now the
// clock second it was printed at. `show all endpoints` is the target's (v1.0.20250521+):
// every line prefixed, where 1.0.20210914 prefixed only the first.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include <wgkit/error.h>

#include "../../wg/print.h"

namespace {

using wg::Buffer;

/// Goldens write ESC as "\e" so that they stay raw strings.
std::string expand_escapes(std::string text)
{
    for (std::size_t at; (at = text.find("\\e")) != std::string::npos;)
        text.replace(at, 2, 1, '\x1b');
    return text;
}

std::string str(const Buffer& out) { return {out.data(), out.size()}; }

wgkit::Key filled_key(std::uint8_t byte)
{
    std::uint8_t bytes[wgkit::Key::size];
    std::fill(std::begin(bytes), std::end(bytes), byte);
    return wgkit::Key(bytes);
}

wgkit::AllowedIp allowed_ip(const char* text, std::uint8_t cidr)
{
    wgkit::AllowedIp ip;
    ip.family = std::string_view(text).find(':') == std::string_view::npos ? AF_INET : AF_INET6;
    REQUIRE(inet_pton(ip.family, text, ip.address.data()) == 1);
    ip.cidr = cidr;
    return ip;
}

wgkit::Endpoint endpoint4(const char* host, std::uint16_t port)
{
    wgkit::Endpoint e;
    e.addr4.sin_family = AF_INET;
    e.addr4.sin_port = htons(port);
    REQUIRE(inet_pton(AF_INET, host, &e.addr4.sin_addr) == 1);
    return e;
}

wgkit::Endpoint endpoint6(const char* host, std::uint16_t port)
{
    wgkit::Endpoint e;
    e.addr6.sin6_family = AF_INET6;
    e.addr6.sin6_port = htons(port);
    REQUIRE(inet_pton(AF_INET6, host, &e.addr6.sin6_addr) == 1);
    return e;
}

constexpr std::time_t golden_now = 1795702332;
const std::string golden_pretty_plain = expand_escapes(R"(interface: wgtest0
  public key: pOCSkrZRwni5dyxWn1+puxPZBrRqtoyd+dwrRAn4ogk=
  private key: (hidden)
  listening port: 51820
  fwmark: 0x2a

peer: VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=
  allowed ips: 192.168.4.28/32
  latest handshake: (System clock wound backward; connection problems may ensue.)
  transfer: 1 B received, 0 B sent
  persistent keepalive: every 1 second

peer: ERERERERERERERERERERERERERERERERERERERERERE=
  preshared key: (hidden)
  endpoint: 192.0.2.1:51820
  allowed ips: 10.0.0.0/8, fd00::/64
  latest handshake: 1 minute, 2 seconds ago
  transfer: 1023 B received, 1.50 KiB sent
  persistent keepalive: every 25 seconds

peer: REREREREREREREREREREREREREREREREREREREREREQ=
  allowed ips: 0.0.0.0/0, ::/0
  latest handshake: 1 year, 35 days, 3 hours, 1 second ago
  transfer: 3.00 GiB received, 5.00 TiB sent
  persistent keepalive: every 1 minute, 5 seconds

peer: MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=
  endpoint: [2001:db8::1]:443
  allowed ips: (none)
  transfer: 0 B received, 5.29 MiB sent
)");
const std::string golden_pretty_color = expand_escapes(R"(\e[0m\e[32m\e[1minterface\e[0m: \e[32mwgtest0\e[0m
  \e[1mpublic key\e[0m: pOCSkrZRwni5dyxWn1+puxPZBrRqtoyd+dwrRAn4ogk=
  \e[1mprivate key\e[0m: (hidden)
  \e[1mlistening port\e[0m: 51820
  \e[1mfwmark\e[0m: 0x2a

\e[33m\e[1mpeer\e[0m: \e[33mVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=\e[0m
  \e[1mallowed ips\e[0m: 192.168.4.28\e[36m/\e[0m32
  \e[1mlatest handshake\e[0m: (\e[31mSystem clock wound backward; connection problems may ensue.\e[0m)
  \e[1mtransfer\e[0m: 1 \e[36mB\e[0m received, 0 \e[36mB\e[0m sent
  \e[1mpersistent keepalive\e[0m: every 1 \e[36msecond\e[0m

\e[33m\e[1mpeer\e[0m: \e[33mERERERERERERERERERERERERERERERERERERERERERE=\e[0m
  \e[1mpreshared key\e[0m: (hidden)
  \e[1mendpoint\e[0m: 192.0.2.1:51820
  \e[1mallowed ips\e[0m: 10.0.0.0\e[36m/\e[0m8, fd00::\e[36m/\e[0m64
  \e[1mlatest handshake\e[0m: 1 \e[36mminute\e[0m, 2 \e[36mseconds\e[0m ago
  \e[1mtransfer\e[0m: 1023 \e[36mB\e[0m received, 1.50 \e[36mKiB\e[0m sent
  \e[1mpersistent keepalive\e[0m: every 25 \e[36mseconds\e[0m

\e[33m\e[1mpeer\e[0m: \e[33mREREREREREREREREREREREREREREREREREREREREREQ=\e[0m
  \e[1mallowed ips\e[0m: 0.0.0.0\e[36m/\e[0m0, ::\e[36m/\e[0m0
  \e[1mlatest handshake\e[0m: 1 \e[36myear\e[0m, 35 \e[36mdays\e[0m, 3 \e[36mhours\e[0m, 1 \e[36msecond\e[0m ago
  \e[1mtransfer\e[0m: 3.00 \e[36mGiB\e[0m received, 5.00 \e[36mTiB\e[0m sent
  \e[1mpersistent keepalive\e[0m: every 1 \e[36mminute\e[0m, 5 \e[36mseconds\e[0m

\e[33m\e[1mpeer\e[0m: \e[33mMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=\e[0m
  \e[1mendpoint\e[0m: [2001:db8::1]:443
  \e[1mallowed ips\e[0m: (none)
  \e[1mtransfer\e[0m: 0 \e[36mB\e[0m received, 5.29 \e[36mMiB\e[0m sent
)");
const std::string golden_pretty_keys = expand_escapes(R"(interface: wgtest0
  public key: pOCSkrZRwni5dyxWn1+puxPZBrRqtoyd+dwrRAn4ogk=
  private key: AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=
  listening port: 51820
  fwmark: 0x2a

peer: VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=
  allowed ips: 192.168.4.28/32
  latest handshake: (System clock wound backward; connection problems may ensue.)
  transfer: 1 B received, 0 B sent
  persistent keepalive: every 1 second

peer: ERERERERERERERERERERERERERERERERERERERERERE=
  preshared key: IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=
  endpoint: 192.0.2.1:51820
  allowed ips: 10.0.0.0/8, fd00::/64
  latest handshake: 1 minute, 2 seconds ago
  transfer: 1023 B received, 1.50 KiB sent
  persistent keepalive: every 25 seconds

peer: REREREREREREREREREREREREREREREREREREREREREQ=
  allowed ips: 0.0.0.0/0, ::/0
  latest handshake: 1 year, 35 days, 3 hours, 1 second ago
  transfer: 3.00 GiB received, 5.00 TiB sent
  persistent keepalive: every 1 minute, 5 seconds

peer: MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=
  endpoint: [2001:db8::1]:443
  allowed ips: (none)
  transfer: 0 B received, 5.29 MiB sent
)");
const std::string golden_dump = expand_escapes(R"(AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=	pOCSkrZRwni5dyxWn1+puxPZBrRqtoyd+dwrRAn4ogk=	51820	0x2a
ERERERERERERERERERERERERERERERERERERERERERE=	IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=	192.0.2.1:51820	10.0.0.0/8,fd00::/64	1795702270	1023	1536	25
MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=	(none)	[2001:db8::1]:443	(none)	0	0	5547032	off
REREREREREREREREREREREREREREREREREREREREREQ=	(none)	(none)	0.0.0.0/0,::/0	1761131531	3221225472	5497558138880	65
VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=	(none)	(none)	192.168.4.28/32	1795702432	1	0	1
)");
const std::string golden_all_dump = expand_escapes(R"(wgtest0	AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=	pOCSkrZRwni5dyxWn1+puxPZBrRqtoyd+dwrRAn4ogk=	51820	0x2a
wgtest0	ERERERERERERERERERERERERERERERERERERERERERE=	IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=	192.0.2.1:51820	10.0.0.0/8,fd00::/64	1795702270	1023	1536	25
wgtest0	MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=	(none)	[2001:db8::1]:443	(none)	0	0	5547032	off
wgtest0	REREREREREREREREREREREREREREREREREREREREREQ=	(none)	(none)	0.0.0.0/0,::/0	1761131531	3221225472	5497558138880	65
wgtest0	VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=	(none)	(none)	192.168.4.28/32	1795702432	1	0	1
)");
// Script fields: {field, without interface, with interface}.
const std::vector<std::array<std::string, 3>> golden_fields = {
    {"public-key", R"(pOCSkrZRwni5dyxWn1+puxPZBrRqtoyd+dwrRAn4ogk=
)",
     R"(wgtest0	pOCSkrZRwni5dyxWn1+puxPZBrRqtoyd+dwrRAn4ogk=
)"},
    {"private-key", R"(AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=
)",
     R"(wgtest0	AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=
)"},
    {"listen-port", R"(51820
)",
     R"(wgtest0	51820
)"},
    {"fwmark", R"(0x2a
)",
     R"(wgtest0	0x2a
)"},
    {"peers", R"(ERERERERERERERERERERERERERERERERERERERERERE=
MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=
REREREREREREREREREREREREREREREREREREREREREQ=
VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=
)",
     R"(wgtest0	ERERERERERERERERERERERERERERERERERERERERERE=
wgtest0	MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=
wgtest0	REREREREREREREREREREREREREREREREREREREREREQ=
wgtest0	VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=
)"},
    {"preshared-keys", R"(ERERERERERERERERERERERERERERERERERERERERERE=	IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=
MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=	(none)
REREREREREREREREREREREREREREREREREREREREREQ=	(none)
VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=	(none)
)",
     R"(wgtest0	ERERERERERERERERERERERERERERERERERERERERERE=	IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=
wgtest0	MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=	(none)
wgtest0	REREREREREREREREREREREREREREREREREREREREREQ=	(none)
wgtest0	VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=	(none)
)"},
    {"endpoints", R"(ERERERERERERERERERERERERERERERERERERERERERE=	192.0.2.1:51820
MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=	[2001:db8::1]:443
REREREREREREREREREREREREREREREREREREREREREQ=	(none)
VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=	(none)
)",
     R"(wgtest0	ERERERERERERERERERERERERERERERERERERERERERE=	192.0.2.1:51820
wgtest0	MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=	[2001:db8::1]:443
wgtest0	REREREREREREREREREREREREREREREREREREREREREQ=	(none)
wgtest0	VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=	(none)
)"},
    {"allowed-ips", R"(ERERERERERERERERERERERERERERERERERERERERERE=	10.0.0.0/8 fd00::/64
MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=	(none)
REREREREREREREREREREREREREREREREREREREREREQ=	0.0.0.0/0 ::/0
VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=	192.168.4.28/32
)",
     R"(wgtest0	ERERERERERERERERERERERERERERERERERERERERERE=	10.0.0.0/8 fd00::/64
wgtest0	MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=	(none)
wgtest0	REREREREREREREREREREREREREREREREREREREREREQ=	0.0.0.0/0 ::/0
wgtest0	VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=	192.168.4.28/32
)"},
    {"latest-handshakes", R"(ERERERERERERERERERERERERERERERERERERERERERE=	1795702270
MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=	0
REREREREREREREREREREREREREREREREREREREREREQ=	1761131531
VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=	1795702432
)",
     R"(wgtest0	ERERERERERERERERERERERERERERERERERERERERERE=	1795702270
wgtest0	MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=	0
wgtest0	REREREREREREREREREREREREREREREREREREREREREQ=	1761131531
wgtest0	VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=	1795702432
)"},
    {"transfer", R"(ERERERERERERERERERERERERERERERERERERERERERE=	1023	1536
MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=	0	5547032
REREREREREREREREREREREREREREREREREREREREREQ=	3221225472	5497558138880
VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=	1	0
)",
     R"(wgtest0	ERERERERERERERERERERERERERERERERERERERERERE=	1023	1536
wgtest0	MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=	0	5547032
wgtest0	REREREREREREREREREREREREREREREREREREREREREQ=	3221225472	5497558138880
wgtest0	VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=	1	0
)"},
    {"persistent-keepalive", R"(ERERERERERERERERERERERERERERERERERERERERERE=	25
MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=	off
REREREREREREREREREREREREREREREREREREREREREQ=	65
VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=	1
)",
     R"(wgtest0	ERERERERERERERERERERERERERERERERERERERERERE=	25
wgtest0	MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=	off
wgtest0	REREREREREREREREREREREREREREREREREREREREREQ=	65
wgtest0	VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=	1
)"},
};

/// The state print_golden.py served, peers in the order it served them.
wgkit::Device golden_device()
{
    wgkit::Device device;
    device.name = "wgtest0";
    device.private_key = filled_key(0x01);
    device.public_key = device.private_key->public_key();
    device.listen_port = 51820;
    device.fwmark = 0x2a;

    wgkit::Peer& a = device.peers.emplace_back();
    a.public_key = filled_key(0x11);
    a.preshared_key = filled_key(0x22);
    a.endpoint = endpoint4("192.0.2.1", 51820);
    a.allowed_ips = {allowed_ip("10.0.0.0", 8), allowed_ip("fd00::", 64)};
    a.last_handshake = {golden_now - 62, 5};
    a.rx_bytes = 1023;
    a.tx_bytes = 1536;
    a.persistent_keepalive = 25;

    wgkit::Peer& b = device.peers.emplace_back();
    b.public_key = filled_key(0x33);
    b.endpoint = endpoint6("2001:db8::1", 443);
    b.tx_bytes = 5547032;
    b.persistent_keepalive = 0;

    wgkit::Peer& c = device.peers.emplace_back();
    c.public_key = filled_key(0x44);
    c.allowed_ips = {allowed_ip("0.0.0.0", 0), allowed_ip("::", 0)};
    c.last_handshake = {golden_now - (400 * 86400 + 3 * 3600 + 1), 0};
    c.rx_bytes = 3ULL << 30;
    c.tx_bytes = 5ULL << 40;
    c.persistent_keepalive = 65;

    wgkit::Peer& d = device.peers.emplace_back();
    d.public_key = filled_key(0x55);
    d.allowed_ips = {allowed_ip("192.168.4.28", 32)};
    d.last_handshake = {golden_now + 100, 0};
    d.rx_bytes = 1;
    d.persistent_keepalive = 1;
    return device;
}

std::string pretty(const wgkit::Device& device, bool color, bool show_keys, std::time_t now)
{
    Buffer out;
    wg::PrettyOptions options;
    options.color = color;
    options.show_keys = show_keys;
    options.now = now;
    wg::print_pretty(out, device, options);
    return str(out);
}

std::string script(const wgkit::Device& device, const char* field, bool with_interface)
{
    Buffer out;
    wg::print_script_field(out, device, field, with_interface);
    return str(out);
}

std::string bytes(std::uint64_t n, bool color = false)
{
    Buffer out;
    wg::append_bytes(out, n, color);
    return str(out);
}

std::string ago(std::time_t handshake, std::time_t now, bool color = false)
{
    Buffer out;
    wg::append_ago(out, timespec{handshake, 0}, now, color);
    return str(out);
}

std::string without_ansi(std::string_view chunk)
{
    Buffer out;
    wg::append_without_ansi(out, chunk);
    return str(out);
}

} // namespace

TEST_CASE("pretty output matches the original, with and without colour and keys")
{
    wgkit::Device device = golden_device();
    CHECK(pretty(device, false, false, golden_now) == golden_pretty_plain);
    CHECK(pretty(device, true, false, golden_now) == golden_pretty_color);
    CHECK(pretty(device, false, true, golden_now) == golden_pretty_keys);
}

TEST_CASE("dump and every script field match the original")
{
    wgkit::Device device = golden_device();
    CHECK(script(device, "dump", false) == golden_dump);
    CHECK(script(device, "dump", true) == golden_all_dump);
    for (const auto& [field, alone, prefixed] : golden_fields) {
        INFO(field);
        REQUIRE(wg::is_script_field(field));
        CHECK(script(device, field.c_str(), false) == alone);
        CHECK(script(device, field.c_str(), true) == prefixed);
    }
    CHECK_FALSE(wg::is_script_field("bogus"));
    CHECK_FALSE(wg::is_script_field("Dump"));
}

TEST_CASE("a device without keys or peers")
{
    wgkit::Device device;
    device.name = "bare";
    CHECK(pretty(device, false, false, golden_now) == "interface: bare\n");
    CHECK(pretty(device, true, false, golden_now) ==
          "\x1b[0m\x1b[32m\x1b[1minterface\x1b[0m: \x1b[32mbare\x1b[0m\n");
    CHECK(script(device, "dump", false) == "(none)\t(none)\t0\toff\n");
    CHECK(script(device, "private-key", true) == "bare\t(none)\n");
    CHECK(script(device, "fwmark", false) == "off\n");
    CHECK(script(device, "listen-port", false) == "0\n");
    // Target fix: no dangling "bare\t" for a device without peers.
    CHECK(script(device, "endpoints", true) == "");
    CHECK(script(device, "peers", true) == "");
}

TEST_CASE("peers sort newest handshake first, never-handshaken last, ties in device order")
{
    wgkit::Device device;
    device.name = "s";
    auto add = [&](std::uint8_t byte, time_t sec, long nsec) {
        wgkit::Peer& p = device.peers.emplace_back();
        p.public_key = filled_key(byte);
        p.last_handshake = {sec, nsec};
    };
    add(0x01, 0, 0);
    add(0x02, 100, 0);
    add(0x03, 0, 0);
    add(0x04, 100, 7);
    add(0x05, 300, 0);
    add(0x06, 0, 1); // a nanosecond counts as a handshake for sorting
    Buffer out;
    wg::PrettyOptions options;
    options.now = 300;
    wg::print_pretty(out, device, options);
    std::string text = str(out);
    std::vector<std::string> order;
    for (std::size_t at = 0; (at = text.find("peer: ", at)) != std::string::npos; at += 6)
        order.push_back(text.substr(at + 6, 4));
    // base64 of 0x01.. is "AQEB", 0x02 "AgIC", 0x03 "AwMD", 0x04 "BAQE", 0x05 "BQUF", 0x06 "BgYG"
    CHECK(order == std::vector<std::string>{"BQUF", "BAQE", "AgIC", "BgYG", "AQEB", "AwMD"});
    // The nanosecond-only peer has tv_sec 0, so no "latest handshake" line.
    CHECK(text.find("latest handshake: Now") != std::string::npos);
    std::size_t at = text.find("peer: BgYG");
    CHECK(text.substr(at, text.find("\n\n", at) - at).find("latest handshake") == std::string::npos);
}

TEST_CASE("byte units")
{
    CHECK(bytes(0) == "0 B");
    CHECK(bytes(1023) == "1023 B");
    CHECK(bytes(1024) == "1.00 KiB");
    CHECK(bytes(1536) == "1.50 KiB");
    CHECK(bytes(1048575) == "1024.00 KiB");
    CHECK(bytes(1048576) == "1.00 MiB");
    CHECK(bytes(5547032) == "5.29 MiB");
    CHECK(bytes(3ULL << 30) == "3.00 GiB");
    CHECK(bytes(5ULL << 40) == "5.00 TiB");
    CHECK(bytes(~0ULL) == "16777216.00 TiB");
    CHECK(bytes(1023, true) == "1023 \x1b[36mB\x1b[0m");
    CHECK(bytes(1536, true) == "1.50 \x1b[36mKiB\x1b[0m");
}

TEST_CASE("handshake ages and durations")
{
    const std::time_t now = 1700000000;
    CHECK(ago(now, now) == "Now");
    CHECK(ago(now - 1, now) == "1 second ago");
    CHECK(ago(now - 4, now) == "4 seconds ago");
    CHECK(ago(now - 62, now) == "1 minute, 2 seconds ago");
    CHECK(ago(now - 3600, now) == "1 hour ago");
    CHECK(ago(now - 2 * 86400 - 60, now) == "2 days, 1 minute ago");
    CHECK(ago(now - (400 * 86400 + 3 * 3600 + 1), now) == "1 year, 35 days, 3 hours, 1 second ago");
    CHECK(ago(now - 2 * 365 * 86400, now) == "2 years ago");
    CHECK(ago(now + 1, now) == "(System clock wound backward; connection problems may ensue.)");
    CHECK(ago(now + 1, now, true) ==
          "(\x1b[31mSystem clock wound backward; connection problems may ensue.\x1b[0m)");
    CHECK(ago(now - 62, now, true) == "1 \x1b[36mminute\x1b[0m, 2 \x1b[36mseconds\x1b[0m ago");

    Buffer out;
    wg::append_duration(out, 65535, false);
    CHECK(str(out) == "18 hours, 12 minutes, 15 seconds");
}

TEST_CASE("colour filtering strips ESC[ through the first letter, as the original does")
{
    CHECK(without_ansi("a\x1b[1mb") == "ab");
    CHECK(without_ansi("\x1b[32m\x1b[1minterface\x1b[0m") == "interface");
    CHECK(without_ansi("x\x1b[12;34") == "x");       // no letter: to the end of the chunk
    CHECK(without_ansi("x\x1b[12;34qy") == "xy");    // the letter is eaten too
    CHECK(without_ansi("x\x1b") == "x\x1b");         // a lone ESC survives
    CHECK(without_ansi("\x1bx[1m") == "\x1bx[1m");   // ESC not followed by '['
    CHECK(without_ansi(std::string_view("a\0b", 3)) == "ab");
}

TEST_CASE("interface names holding escapes are filtered like the original's chunks")
{
    wgkit::Device device;
    // The name's escape runs on into the colour reset that follows it in the same chunk.
    device.name = "e\x1b[9";
    CHECK(pretty(device, false, false, 0) == "interface: e\n");
    device.name = "q\x1b";
    CHECK(pretty(device, false, false, 0) == "interface: q\x1b\n");
    device.name = "x\x1b[1;2yz";
    CHECK(pretty(device, false, false, 0) == "interface: xz\n");
    CHECK(pretty(device, true, false, 0) ==
          "\x1b[0m\x1b[32m\x1b[1minterface\x1b[0m: \x1b[32mx\x1b[1;2yz\x1b[0m\n");
}

TEST_CASE("endpoints and keys as wg prints them")
{
    Buffer out;
    wg::append_endpoint(out, endpoint6("::ffff:1.2.3.4", 5));
    out.push_back(' ');
    wg::append_endpoint(out, endpoint4("255.255.255.255", 65535));
    out.push_back(' ');
    wg::append_key(out, wgkit::Key());
    CHECK(str(out) == "[::ffff:1.2.3.4]:5 255.255.255.255:65535 (none)");
}

namespace {

/// Everything written to stdout (fd 1) while alive, read back by text().
class CapturedStdout {
public:
    CapturedStdout()
    {
        std::fflush(stdout);
        saved_ = dup(STDOUT_FILENO);
        file_ = std::tmpfile();
        REQUIRE((saved_ >= 0 && file_));
        REQUIRE(dup2(fileno(file_), STDOUT_FILENO) == STDOUT_FILENO);
    }
    ~CapturedStdout()
    {
        std::fflush(stdout);
        dup2(saved_, STDOUT_FILENO);
        close(saved_);
        std::fclose(file_);
    }
    std::string text()
    {
        std::fflush(stdout);
        std::string all;
        char chunk[65536];
        std::rewind(file_);
        for (std::size_t n; (n = std::fread(chunk, 1, sizeof(chunk), file_)) > 0;)
            all.append(chunk, n);
        return all;
    }

private:
    int saved_ = -1;
    std::FILE* file_ = nullptr;
};

/// Streams `device` as wgkit::read_device would hand it over, restarting once after
/// `restart_after` peers when that is not npos.
void stream_dump(wg::StreamedOutput& out, const wgkit::Device& device,
                 std::size_t restart_after = std::string::npos)
{
    auto attempt = [&](std::size_t limit) {
        wg::print_script_device(out.buffer(), device, wg::ScriptField::Dump, {});
        for (std::size_t i = 0; i < device.peers.size() && i < limit; ++i) {
            wg::print_script_peer(out.buffer(), device.peers[i], wg::ScriptField::Dump, {});
            out.peer_done();
        }
    };
    if (restart_after != std::string::npos) {
        attempt(restart_after);
        out.restart();
    }
    attempt(device.peers.size());
}

/// The dump text in one piece (print_script_field writes to stdout past 64 KiB).
std::string whole_dump(const wgkit::Device& device)
{
    Buffer out;
    wg::print_script_device(out, device, wg::ScriptField::Dump, {});
    for (const wgkit::Peer& peer : device.peers)
        wg::print_script_peer(out, peer, wg::ScriptField::Dump, {});
    return str(out);
}

/// The golden device's peers repeated under new keys until the dump passes `bytes`.
wgkit::Device large_device(std::size_t bytes)
{
    wgkit::Device device = golden_device();
    std::vector<wgkit::Peer> base = device.peers;
    device.peers.clear();
    wgkit::Device one_round = device;
    one_round.peers = base;
    std::size_t round_bytes = whole_dump(one_round).size();
    for (std::uint32_t n = 0; n * round_bytes < bytes; ++n) {
        for (wgkit::Peer peer : base) {
            std::array<std::uint8_t, 32> raw{};
            std::memcpy(raw.data(), &n, sizeof(n));
            raw[31] = static_cast<std::uint8_t>(device.peers.size());
            peer.public_key = wgkit::Key(raw.data());
            device.peers.push_back(std::move(peer));
        }
    }
    return device;
}

} // namespace

TEST_CASE("a dump printed while read equals the whole device's, and a restart drops the held text")
{
    wgkit::Device device = golden_device();
    REQUIRE(device.peers.size() >= 2);
    CapturedStdout captured;
    {
        wg::StreamedOutput out;
        stream_dump(out, device, 1);
        CHECK(captured.text().empty()); // held until the read ends
        out.finish();
    }
    CHECK(captured.text() == golden_dump);
}

TEST_CASE("past the hold limit the text is written as it comes, and a restart then fails with EINTR")
{
    wgkit::Device device = large_device(wg::StreamedOutput::hold_limit * 3 / 2);
    std::string whole = whole_dump(device);
    REQUIRE(whole.size() > wg::StreamedOutput::hold_limit);
    {
        CapturedStdout captured;
        wg::StreamedOutput out;
        stream_dump(out, device);
        std::size_t written = captured.text().size();
        CHECK(written > wg::StreamedOutput::hold_limit / 2);
        CHECK(written < whole.size());
        // What is in the buffer stays bounded: about one flush chunk.
        CHECK(out.buffer().size() < (1u << 17));
        out.finish();
        CHECK(captured.text() == whole);
    }
    {
        CapturedStdout captured;
        wg::StreamedOutput out;
        std::size_t past_limit = device.peers.size() - 1;
        try {
            stream_dump(out, device, past_limit);
            FAIL("restart after streaming did not throw");
        } catch (const wgkit::Error& e) {
            CHECK(e.code() == EINTR);
        }
        // What was written is a prefix of the device's dump, never a line twice.
        std::string written = captured.text();
        CHECK(!written.empty());
        CHECK(whole.compare(0, written.size(), written) == 0);
    }
}

TEST_CASE("held text is kept in blocks of bounded room, written in order, and dropped on a restart")
{
    // Below the hold limit, so everything is held until the end.
    wgkit::Device device = large_device(wg::StreamedOutput::hold_limit * 3 / 4);
    std::string whole = whole_dump(device);
    REQUIRE(whole.size() > 16 * wg::TextBlocks::block_size);
    {
        CapturedStdout captured;
        wg::StreamedOutput out;
        wg::print_script_device(out.buffer(), device, wg::ScriptField::Dump, {});
        for (const wgkit::Peer& peer : device.peers) {
            wg::print_script_peer(out.buffer(), peer, wg::ScriptField::Dump, {});
            out.peer_done();
        }
        CHECK(captured.text().empty());
        // Each block is closed once full, and stays within its room: the held text is never
        // moved to a larger block. The first grows as a buffer does, by half, until it is full.
        const wg::TextBlocks& held = out.held();
        std::string joined;
        for (std::size_t i = 0; i < held.count(); ++i) {
            INFO("block " << i << " of " << held.count());
            if (i + 1 < held.count())
                CHECK(held[i].size() >= wg::TextBlocks::block_size);
            CHECK(held[i].capacity() <= (i == 0 ? 2 * wg::TextBlocks::block_size
                                                : wg::TextBlocks::block_size + wg::TextBlocks::block_slack));
            joined.append(held[i].data(), held[i].size());
        }
        CHECK(held.size() == whole.size());
        CHECK(joined == whole);
        out.finish();
        CHECK(captured.text() == whole);
    }
    {
        CapturedStdout captured;
        wg::StreamedOutput out;
        stream_dump(out, device, device.peers.size() / 2);
        CHECK(captured.text().empty());
        out.finish();
        CHECK(captured.text() == whole);
    }
}

namespace {

/// `device` through a PrettyPrinter as read_device drives it: on_device with the fields at the
/// first peer (or at the end when there is none), and a restart after `restart_after` peers.
std::string pretty_streamed(const wgkit::Device& device, const wg::PrettyOptions& options,
                            std::size_t restart_after = SIZE_MAX)
{
    wg::PrettyPrinter printer(options, device.name);
    wgkit::Device fields = device;
    fields.peers.clear();
    auto read = [&](std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            if (i == 0)
                printer.on_device(fields);
            printer.on_peer(wgkit::Peer(device.peers[i]));
        }
        if (count == 0)
            printer.on_device(fields);
    };
    if (restart_after < device.peers.size()) {
        read(restart_after);
        printer.on_restart();
    }
    read(device.peers.size());
    Buffer out;
    printer.write(out);
    return str(out);
}

} // namespace

TEST_CASE("pretty output built while read equals the whole device's, sorted, across a restart")
{
    wgkit::Device device = golden_device();
    wg::PrettyOptions options;
    options.now = golden_now;
    CHECK(pretty_streamed(device, options) == golden_pretty_plain);
    CHECK(pretty_streamed(device, options, 2) == golden_pretty_plain);
    options.color = true;
    CHECK(pretty_streamed(device, options, 1) == golden_pretty_color);
    options.color = false;
    options.show_keys = true;
    CHECK(pretty_streamed(device, options) == golden_pretty_keys);

    // Enough peers for several 64 KiB chunks, with handshakes out of order and tied.
    wgkit::Device many = large_device(300000);
    for (std::size_t i = 0; i < many.peers.size(); ++i)
        many.peers[i].last_handshake = {static_cast<time_t>((i * 7919) % 97), static_cast<long>(i % 3)};
    options.show_keys = false;
    // Both printers write to stdout once they hold 64 KiB: what they return is the tail.
    std::string whole, streamed;
    {
        CapturedStdout captured;
        std::string tail = pretty(many, false, false, golden_now);
        whole = captured.text() + tail;
    }
    {
        CapturedStdout captured;
        std::string tail = pretty_streamed(many, options, many.peers.size() / 2);
        streamed = captured.text() + tail;
    }
    REQUIRE(whole.size() > 4 * (1 << 16));
    CHECK(streamed == whole);

    wgkit::Device empty = device;
    empty.peers.clear();
    CHECK(pretty_streamed(empty, options) == pretty(empty, false, false, golden_now));
}

namespace {

/// Hands out blocks like std::allocator, and on each return checks that nothing but zeros
/// comes back (the WipingAllocator above it must have wiped the block).
struct ZeroCheckingAllocator {
    using value_type = char;
    static inline std::size_t returned = 0;
    static inline std::size_t returned_dirty = 0;
    char* allocate(std::size_t n) { return std::allocator<char>{}.allocate(n); }
    void deallocate(char* p, std::size_t n)
    {
        ++returned;
        if (std::any_of(p, p + n, [](char c) { return c != 0; }))
            ++returned_dirty;
        std::allocator<char>{}.deallocate(p, n);
    }
};

} // namespace

TEST_CASE("the output buffer wipes every block it frees, also when it grows")
{
    using Checked = fmt::basic_memory_buffer<char, 1, wg::WipingAllocator<char, ZeroCheckingAllocator>>;
    static_assert(std::is_same_v<Buffer, fmt::basic_memory_buffer<char, 1, wg::WipingAllocator<char>>>);
    ZeroCheckingAllocator::returned = ZeroCheckingAllocator::returned_dirty = 0;
    {
        Checked out;
        // Grows a dozen times with key text in it, as a held dump does.
        for (int i = 0; i < 2000; ++i)
            out.append(filled_key(static_cast<std::uint8_t>(i + 1)).base64().view());
    }
    CHECK(ZeroCheckingAllocator::returned > 10);
    CHECK(ZeroCheckingAllocator::returned_dirty == 0);
}
