// SPDX-License-Identifier: MIT
// The wg(8) configuration format: a corpus of files, each with the exact model it must
// produce (every field, rendered by describe()) or the exact error text; then the value
// parsers, key files and the showconf formatter.
#include <catch2/catch.hpp>

#include <wgkit/config.h>

#include "../../lib/address_text.h"
#include "../../lib/config_text.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace wgkit;

namespace {

// Real keys (wg genkey / genpsk output); the corpus writes them as $K1, $K2, $K3, $PSK.
const std::map<std::string, std::string> keys = {
    {"$K1", "qDP4t295vyA3NEmgdrDnk+/RHQF98vEHp43qZanWx2I="},
    {"$K2", "WHdLg2uwCC3flml+fpdRCnC/+ynxDrDJwO01XTArO0Q="},
    {"$K3", "WL1iUuU3sXSz6idcxO8OQtpjbMx6X9f+RgTfASSDC0E="},
    {"$PSK", "lO9j7rkGycDMi8FtHy/RV+Nc+0chjVHD/bRVyBF+UI0="},
    {"$ZERO", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
};

std::string expand(std::string text)
{
    for (const auto& [name, value] : keys) {
        for (std::size_t at; (at = text.find(name)) != std::string::npos;)
            text.replace(at, name.size(), value);
    }
    return text;
}

/// The reverse of expand(): known keys back to their $names, so expectations stay short.
std::string shorten(std::string text)
{
    for (const auto& [name, value] : keys) {
        for (std::size_t at; (at = text.find(value)) != std::string::npos;)
            text.replace(at, value.size(), name);
    }
    return text;
}

std::string key_name(const Key& key)
{
    return std::string(key.base64().view());
}

template <typename T, typename F>
std::string opt(const std::optional<T>& value, F&& show)
{
    return value ? show(*value) : std::string("-");
}

std::string number(unsigned long n)
{
    return std::to_string(n);
}

std::string join(const std::vector<std::string>& items)
{
    std::string out;
    for (const std::string& item : items)
        out += (out.empty() ? "" : "|") + item;
    return "[" + out + "]";
}

/// Every field of the parse result, one line per device, peer and allowed IP.
std::string describe(const Config& config)
{
    const Device& d = config.device;
    std::string out = "device replace_peers=" + number(d.replace_peers) +
                      " private_key=" + opt(d.private_key, key_name) +
                      " listen_port=" + opt(d.listen_port, number) +
                      " fwmark=" + opt(d.fwmark, number) + "\n";
    for (const Peer& p : d.peers) {
        out += "peer " + key_name(p.public_key) + " line=" + number(p.source_line) +
               " replace_ips=" + number(p.replace_allowed_ips) + " remove=" + number(p.remove) +
               " psk=" + opt(p.preshared_key, key_name) +
               " endpoint=" + opt(p.endpoint, [](const Endpoint& e) { return e.to_string(); }) +
               " keepalive=" + opt(p.persistent_keepalive, number) + "\n";
        for (const AllowedIp& ip : p.allowed_ips)
            out += std::string("  ") + (ip.remove ? "-" : "") + ip.to_string() + "\n";
    }
    const QuickConfig& q = config.quick;
    if (!q.addresses.empty() || !q.dns.empty() || q.mtu || q.table || !q.pre_up.empty() ||
        !q.post_up.empty() || !q.pre_down.empty() || !q.post_down.empty() || q.save_config)
        out += "quick address=" + join(q.addresses) + " dns=" + join(q.dns) +
               " mtu=" + opt(q.mtu, number) +
               " table=" + opt(q.table, [](const std::string& s) { return s; }) +
               " pre_up=" + join(q.pre_up) + " post_up=" + join(q.post_up) +
               " pre_down=" + join(q.pre_down) + " post_down=" + join(q.post_down) +
               " save=" + opt(q.save_config, [](bool b) { return std::string(b ? "true" : "false"); }) + "\n";
    return out;
}

/// Parses and returns describe() plus "warning: ..." lines, or "error: ..." /
/// "invalid: ..." / "environment: ..." for the three kinds of failure.
std::string run(const std::string& text, ParseOptions options = {})
{
    std::string warnings;
    options.warn = [&](const std::string& w) { warnings += "warning: " + w + "\n"; };
    try {
        std::string model = describe(parse_config(expand(text), options));
        return shorten(warnings + model);
    } catch (const EnvironmentInvalid& e) {
        return shorten(warnings + "environment: " + e.what() + "\n");
    } catch (const ConfigInvalid& e) {
        return shorten(warnings + "invalid: " + e.what() + "\n");
    } catch (const Error& e) {
        return shorten(warnings + "error: " + e.what() + "\n");
    }
}

/// Sets an environment variable for one scope.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name)
    {
        if (const char* old = std::getenv(name))
            old_ = old;
        if (value)
            setenv(name, value, 1);
        else
            unsetenv(name);
    }
    ~ScopedEnv()
    {
        if (old_)
            setenv(name_, old_->c_str(), 1);
        else
            unsetenv(name_);
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

struct Case {
    const char* name;
    std::string text;
    std::string expected;
};

const std::string empty_device = "device replace_peers=1 private_key=$ZERO listen_port=0 fwmark=0\n";

// Valid files: the exact model. Line numbers count from 1.
const std::vector<Case> valid_cases = {
    {"empty text", "", empty_device},
    {"only comments and blanks", "# hello\n\n   \t\n# [Peer]\n", empty_device},
    {"interface fields", "[Interface]\nPrivateKey = $K1\nListenPort = 51820\nFwMark = 0x10\n",
     "device replace_peers=1 private_key=$K1 listen_port=51820 fwmark=16\n"},
    {"whitespace removed inside values", "[Interface]\n  Listen Port = 5 1\t8 2 0  \n",
     "device replace_peers=1 private_key=$ZERO listen_port=51820 fwmark=0\n"},
    {"CRLF line ends", "[Interface]\r\nListenPort = 7\r\n", "device replace_peers=1 private_key=$ZERO listen_port=7 fwmark=0\n"},
    {"no newline at end", "[Interface]\nListenPort = 8", "device replace_peers=1 private_key=$ZERO listen_port=8 fwmark=0\n"},
    {"vertical tab and form feed are whitespace", "[Interface]\n\vListenPort\f=\r9\n",
     "device replace_peers=1 private_key=$ZERO listen_port=9 fwmark=0\n"},
    {"case-insensitive sections and keys", "[INTERFACE]\nlistenport=1\n[pEeR]\npublickey=$K2\nALLOWEDIPS=10.0.0.0/8\n",
     "device replace_peers=1 private_key=$ZERO listen_port=1 fwmark=0\npeer $K2 line=3 replace_ips=1 remove=0 psk=- endpoint=- keepalive=-\n  10.0.0.0/8\n"},
    {"spaced section header", "[ Interface ]\nListenPort=2\n[ P e e r ]\nPublicKey=$K2\n",
     "device replace_peers=1 private_key=$ZERO listen_port=2 fwmark=0\npeer $K2 line=3 replace_ips=1 remove=0 psk=- endpoint=- keepalive=-\n"},
    {"comment after value", "[Interface]\nListenPort = 3 # not 4\n#ListenPort = 4\n",
     "device replace_peers=1 private_key=$ZERO listen_port=3 fwmark=0\n"},
    {"comment glued to value", "[Interface]\nListenPort=5#6\n", "device replace_peers=1 private_key=$ZERO listen_port=5 fwmark=0\n"},
    {"full peer", "[Peer]\nPublicKey = $K2\nPresharedKey = $PSK\nAllowedIPs = 10.0.0.0/8, fd00::/8\nEndpoint = 127.0.0.1:51820\nPersistentKeepalive = 25\n",
     empty_device + "peer $K2 line=1 replace_ips=1 remove=0 psk=$PSK endpoint=127.0.0.1:51820 keepalive=25\n  10.0.0.0/8\n  fd00::/8\n"},
    {"allowed IPs accumulate across lines", "[Peer]\nPublicKey=$K2\nAllowedIPs=10.0.0.0/8\nAllowedIPs=10.1.0.0/16,10.2.0.0/16\n",
     empty_device + "peer $K2 line=1 replace_ips=1 remove=0 psk=- endpoint=- keepalive=-\n  10.0.0.0/8\n  10.1.0.0/16\n  10.2.0.0/16\n"},
    {"allowed IP without cidr is a host", "[Peer]\nPublicKey=$K2\nAllowedIPs=10.0.0.1, fd00::1\n",
     empty_device + "peer $K2 line=1 replace_ips=1 remove=0 psk=- endpoint=- keepalive=-\n  10.0.0.1/32\n  fd00::1/128\n"},
    {"allowed IP defaults and zero prefixes", "[Peer]\nPublicKey=$K2\nAllowedIPs=0.0.0.0/0,::/0,10.0.0.0/008\n",
     empty_device + "peer $K2 line=1 replace_ips=1 remove=0 psk=- endpoint=- keepalive=-\n  0.0.0.0/0\n  ::/0\n  10.0.0.0/8\n"},
    {"repeated key overwrites", "[Interface]\nListenPort=1\nListenPort=2\n[Peer]\nPublicKey=$K1\nPublicKey=$K2\nPersistentKeepalive=5\nPersistentKeepalive=off\n",
     "device replace_peers=1 private_key=$ZERO listen_port=2 fwmark=0\npeer $K2 line=4 replace_ips=1 remove=0 psk=- endpoint=- keepalive=0\n"},
    {"several interface sections", "[Interface]\nListenPort=1\n[Peer]\nPublicKey=$K2\n[Interface]\nFwMark=7\n[Peer]\nPublicKey=$K3\n",
     "device replace_peers=1 private_key=$ZERO listen_port=1 fwmark=7\npeer $K2 line=3 replace_ips=1 remove=0 psk=- endpoint=- keepalive=-\npeer $K3 line=7 replace_ips=1 remove=0 psk=- endpoint=- keepalive=-\n"},
    {"same key twice gives two peers", "[Peer]\nPublicKey=$K2\nAllowedIPs=10.0.0.0/8\n[Peer]\nPublicKey=$K2\n",
     empty_device + "peer $K2 line=1 replace_ips=1 remove=0 psk=- endpoint=- keepalive=-\n  10.0.0.0/8\npeer $K2 line=4 replace_ips=1 remove=0 psk=- endpoint=- keepalive=-\n"},
    {"explicit zero private key and psk", "[Interface]\nPrivateKey=$ZERO\n[Peer]\nPublicKey=$ZERO\nPresharedKey=$ZERO\n",
     empty_device + "peer $ZERO line=3 replace_ips=1 remove=0 psk=$ZERO endpoint=- keepalive=-\n"},
    {"service name port", "[Interface]\nListenPort=domain\n", "device replace_peers=1 private_key=$ZERO listen_port=53 fwmark=0\n"},
    {"glibc truncates large ports", "[Interface]\nListenPort=70000\n", "device replace_peers=1 private_key=$ZERO listen_port=4464 fwmark=0\n"},
    {"port 65535 and 0", "[Interface]\nListenPort=65535\nListenPort=0\n", empty_device},
    {"fwmark off", "[Interface]\nFwMark=7\nFwMark=OfF\n", empty_device},
    {"fwmark decimal with leading zero is decimal", "[Interface]\nFwMark=010\n", "device replace_peers=1 private_key=$ZERO listen_port=0 fwmark=10\n"},
    {"fwmark maximum", "[Interface]\nFwMark=0xFFFFffff\n", "device replace_peers=1 private_key=$ZERO listen_port=0 fwmark=4294967295\n"},
    {"fwmark maximum decimal", "[Interface]\nFwMark=4294967295\n", "device replace_peers=1 private_key=$ZERO listen_port=0 fwmark=4294967295\n"},
    {"keepalive bounds", "[Peer]\nPublicKey=$K2\nPersistentKeepalive=65535\n",
     empty_device + "peer $K2 line=1 replace_ips=1 remove=0 psk=- endpoint=- keepalive=65535\n"},
    {"keepalive OFF", "[Peer]\nPublicKey=$K2\nPersistentKeepalive=OFF\n",
     empty_device + "peer $K2 line=1 replace_ips=1 remove=0 psk=- endpoint=- keepalive=0\n"},
    {"bracketed IPv6 endpoint", "[Peer]\nPublicKey=$K2\nEndpoint=[2001:db8::1]:443\n",
     empty_device + "peer $K2 line=1 replace_ips=1 remove=0 psk=- endpoint=[2001:db8::1]:443 keepalive=-\n"},
    {"unbracketed IPv6 splits at last colon", "[Peer]\nPublicKey=$K2\nEndpoint=::1:51820\n",
     empty_device + "peer $K2 line=1 replace_ips=1 remove=0 psk=- endpoint=[::1]:51820 keepalive=-\n"},
    {"scoped IPv6 endpoint", "[Peer]\nPublicKey=$K2\nEndpoint=[fe80::1%lo]:51820\n",
     empty_device + "peer $K2 line=1 replace_ips=1 remove=0 psk=- endpoint=[fe80::1%lo]:51820 keepalive=-\n"},
    {"bracketed IPv4 and short IPv4 endpoint", "[Peer]\nPublicKey=$K2\nEndpoint=[127.0.0.2]:1\nEndpoint=127.1:2\n",
     empty_device + "peer $K2 line=1 replace_ips=1 remove=0 psk=- endpoint=127.0.0.1:2 keepalive=-\n"},
    {"service name endpoint port", "[Peer]\nPublicKey=$K2\nEndpoint=127.0.0.1:domain\n",
     empty_device + "peer $K2 line=1 replace_ips=1 remove=0 psk=- endpoint=127.0.0.1:53 keepalive=-\n"},
    {"plus and minus make the update incremental", "[Peer]\nPublicKey=$K2\nAllowedIPs = +10.0.0.0/8, -10.1.0.0/16, 10.2.0.0/16\n",
     empty_device + "peer $K2 line=1 replace_ips=0 remove=0 psk=- endpoint=- keepalive=-\n  10.0.0.0/8\n  -10.1.0.0/16\n  10.2.0.0/16\n"},
    {"the last AllowedIPs line decides replacement", "[Peer]\nPublicKey=$K2\nAllowedIPs=+10.0.0.0/8\nAllowedIPs=10.1.0.0/16\n",
     empty_device + "peer $K2 line=1 replace_ips=1 remove=0 psk=- endpoint=- keepalive=-\n  10.0.0.0/8\n  10.1.0.0/16\n"},
    {"a later prefixed line clears replacement", "[Peer]\nPublicKey=$K2\nAllowedIPs=10.1.0.0/16\nAllowedIPs=-fd00::/8\n",
     empty_device + "peer $K2 line=1 replace_ips=0 remove=0 psk=- endpoint=- keepalive=-\n  10.1.0.0/16\n  -fd00::/8\n"},
    {"nonzero host part warns", "[Peer]\nPublicKey=$K2\nAllowedIPs=10.0.0.1/24, fe80::1/64, -10.0.0.1/0, 10.0.0.1/032\n",
     "warning: Warning: AllowedIP has nonzero host part: 10.0.0.1/24\n"
     "warning: Warning: AllowedIP has nonzero host part: fe80::1/64\n"
     "warning: Warning: AllowedIP has nonzero host part: 10.0.0.1/0\n" + empty_device +
         "peer $K2 line=1 replace_ips=0 remove=0 psk=- endpoint=- keepalive=-\n  10.0.0.1/24\n  fe80::1/64\n  -10.0.0.1/0\n  10.0.0.1/32\n"},
    {"host bits in the last IPv6 word", "[Peer]\nPublicKey=$K2\nAllowedIPs=::1/127,::2/127\n",
     "warning: Warning: AllowedIP has nonzero host part: ::1/127\n" + empty_device +
         "peer $K2 line=1 replace_ips=1 remove=0 psk=- endpoint=- keepalive=-\n  ::1/127\n  ::2/127\n"},
    {"NUL byte ends the line", std::string("[Interface]\nListenPort=1\0garbage\n", 33),
     "device replace_peers=1 private_key=$ZERO listen_port=1 fwmark=0\n"},
    {"peer without allowed IPs still replaces them", "[Peer]\nPublicKey=$K3\n",
     empty_device + "peer $K3 line=1 replace_ips=1 remove=0 psk=- endpoint=- keepalive=-\n"},
};

// Invalid files: the exact message, as the original prints it before "Configuration parsing
// error" (or "Invalid configuration" for the "invalid:" ones).
const std::vector<Case> invalid_cases = {
    {"unknown section", "[Foo]\n", "error: Line unrecognized: `[Foo]'\n"},
    {"key before any section", "ListenPort = 1\n", "error: Line unrecognized: `ListenPort=1'\n"},
    {"byte order mark", "\xef\xbb\xbf[Interface]\n", "error: Line unrecognized: `\xef\xbb\xbf[Interface]'\n"},
    {"empty value", "[Peer]\nPublicKey=$K2\nAllowedIPs =\n", "error: Line unrecognized: `AllowedIPs='\n"},
    {"empty port value", "[Interface]\nListenPort = # none\n", "error: Line unrecognized: `ListenPort='\n"},
    {"unknown interface key", "[Interface]\nFoo = bar\n", "error: Line unrecognized: `Foo=bar'\n"},
    {"key without equals sign", "[Interface]\nListenPort 1\n", "error: Line unrecognized: `ListenPort1'\n"},
    {"peer key in interface", "[Interface]\nPublicKey = $K2\n", "error: Line unrecognized: `PublicKey=$K2'\n"},
    {"interface key in peer", "[Peer]\nListenPort = 1\n", "error: Line unrecognized: `ListenPort=1'\n"},
    {"wg-quick Address", "[Interface]\nAddress = 10.0.0.1/24\n", "error: Line unrecognized: `Address=10.0.0.1/24'\n"},
    {"wg-quick DNS", "[Interface]\nDNS = 1.1.1.1, 8.8.8.8\n", "error: Line unrecognized: `DNS=1.1.1.1,8.8.8.8'\n"},
    {"wg-quick MTU", "[Interface]\nMTU = 1420\n", "error: Line unrecognized: `MTU=1420'\n"},
    {"wg-quick Table", "[Interface]\nTable = off\n", "error: Line unrecognized: `Table=off'\n"},
    {"wg-quick PreUp", "[Interface]\nPreUp = echo hi\n", "error: Line unrecognized: `PreUp=echohi'\n"},
    {"wg-quick PostUp", "[Interface]\nPostUp = true\n", "error: Line unrecognized: `PostUp=true'\n"},
    {"wg-quick PreDown", "[Interface]\nPreDown = true\n", "error: Line unrecognized: `PreDown=true'\n"},
    {"wg-quick PostDown", "[Interface]\nPostDown = true\n", "error: Line unrecognized: `PostDown=true'\n"},
    {"wg-quick SaveConfig", "[Interface]\nSaveConfig = true\n", "error: Line unrecognized: `SaveConfig=true'\n"},
    {"port not a service", "[Interface]\nListenPort = 7x\n", "error: Servname not supported for ai_socktype: `7x'\n"},
    {"negative port", "[Interface]\nListenPort = -1\n", "error: Servname not supported for ai_socktype: `-1'\n"},
    {"no continuation lines", "[Interface]\nListenPort = 5\\\n", "error: Servname not supported for ai_socktype: `5\\'\n"},
    {"fwmark 0X prefix", "[Interface]\nFwMark = 0X10\n", "error: Fwmark is neither 0/off nor 0-0xffffffff: `0X10'\n"},
    {"fwmark bare 0x", "[Interface]\nFwMark = 0x\n", "error: Fwmark is neither 0/off nor 0-0xffffffff: `0x'\n"},
    {"fwmark too big hex", "[Interface]\nFwMark = 0x100000000\n", "error: Fwmark is neither 0/off nor 0-0xffffffff: `0x100000000'\n"},
    {"fwmark too big decimal", "[Interface]\nFwMark = 4294967296\n", "error: Fwmark is neither 0/off nor 0-0xffffffff: `4294967296'\n"},
    {"fwmark huge", "[Interface]\nFwMark = 99999999999999999999999999\n", "error: Fwmark is neither 0/off nor 0-0xffffffff: `99999999999999999999999999'\n"},
    {"fwmark negative", "[Interface]\nFwMark = -1\n", "error: Fwmark is neither 0/off nor 0-0xffffffff: `-1'\n"},
    {"fwmark hex without 0x", "[Interface]\nFwMark = 1f\n", "error: Fwmark is neither 0/off nor 0-0xffffffff: `1f'\n"},
    {"fwmark word", "[Interface]\nFwMark = none\n", "error: Fwmark is neither 0/off nor 0-0xffffffff: `none'\n"},
    {"keepalive too big", "[Peer]\nPublicKey=$K2\nPersistentKeepalive = 65536\n", "error: Persistent keepalive interval is neither 0/off nor 1-65535: `65536'\n"},
    {"keepalive negative", "[Peer]\nPublicKey=$K2\nPersistentKeepalive = -1\n", "error: Persistent keepalive interval is neither 0/off nor 1-65535: `-1'\n"},
    {"keepalive hex", "[Peer]\nPublicKey=$K2\nPersistentKeepalive = 0x10\n", "error: Persistent keepalive interval is neither 0/off nor 1-65535: `0x10'\n"},
    {"keepalive word", "[Peer]\nPublicKey=$K2\nPersistentKeepalive = never\n", "error: Persistent keepalive interval is neither 0/off nor 1-65535: `never'\n"},
    // Private and preshared keys are never quoted (the original quotes them): see config_text.h.
    {"short private key", "[Interface]\nPrivateKey = abc=\n", "error: Key is not the correct length or format: `(hidden)'\n"},
    {"private key with a trailing character", "[Interface]\nPrivateKey = $K1 x\n", "error: Key is not the correct length or format: `(hidden)'\n"},
    {"private key in a peer", "[Peer]\nPublicKey=$K2\nPrivateKey = $K1\n", "error: Line unrecognized: `PrivateKey=(hidden)'\n"},
    {"preshared key in the interface", "[Interface]\npresharedkey = $PSK\n", "error: Line unrecognized: `presharedkey=(hidden)'\n"},
    {"private key before any section", "PrivateKey=$K1\n", "error: Line unrecognized: `PrivateKey=(hidden)'\n"},
    {"non-canonical public key", "[Peer]\nPublicKey = qDP4t295vyA3NEmgdrDnk+/RHQF98vEHp43qZanWx2J=\n",
     "error: Key is not the correct length or format: `qDP4t295vyA3NEmgdrDnk+/RHQF98vEHp43qZanWx2J='\n"},
    {"hex key is not accepted", "[Peer]\nPublicKey = a833f8b76f79bf2037344da0ac39c393efd11d017df2f107a78dea65a9d6c762\n",
     "error: Key is not the correct length or format: `a833f8b76f79bf2037344da0ac39c393efd11d017df2f107a78dea65a9d6c762'\n"},
    {"bad preshared key", "[Peer]\nPublicKey=$K2\nPresharedKey = $K2$K2\n", "error: Key is not the correct length or format: `(hidden)'\n"},
    {"IPv4 octet too big", "[Peer]\nPublicKey=$K2\nAllowedIPs = 10.0.0.256/32\n", "error: Unable to parse IP address: `10.0.0.256'\n"},
    {"short IPv4 is not accepted", "[Peer]\nPublicKey=$K2\nAllowedIPs = 127.1\n", "error: Unable to parse IP address: `127.1'\n"},
    {"IPv4 cidr too big", "[Peer]\nPublicKey=$K2\nAllowedIPs = 10.0.0.0/33\n", "error: AllowedIP is not in the correct format: `10.0.0.0/33'\n"},
    {"IPv6 cidr too big", "[Peer]\nPublicKey=$K2\nAllowedIPs = ::/129\n", "error: AllowedIP is not in the correct format: `::/129'\n"},
    {"empty cidr", "[Peer]\nPublicKey=$K2\nAllowedIPs = 10.0.0.0/\n", "error: AllowedIP is not in the correct format: `10.0.0.0/'\n"},
    {"signed cidr", "[Peer]\nPublicKey=$K2\nAllowedIPs = 10.0.0.0/+8\n", "error: AllowedIP is not in the correct format: `10.0.0.0/+8'\n"},
    {"two slashes", "[Peer]\nPublicKey=$K2\nAllowedIPs = 10.0.0.0/8/8\n", "error: AllowedIP is not in the correct format: `10.0.0.0/8/8'\n"},
    {"huge cidr", "[Peer]\nPublicKey=$K2\nAllowedIPs = ::/99999999999999999999999\n", "error: AllowedIP is not in the correct format: `::/99999999999999999999999'\n"},
    {"trailing comma", "[Peer]\nPublicKey=$K2\nAllowedIPs = 10.0.0.0/8,\n", "error: Unable to parse IP address: `'\n"},
    {"empty entry", "[Peer]\nPublicKey=$K2\nAllowedIPs = 10.0.0.0/8,,10.1.0.0/16\n", "error: Unable to parse IP address: `'\n"},
    {"hostname is not an IP", "[Peer]\nPublicKey=$K2\nAllowedIPs = localhost\n", "error: Unable to parse IP address: `localhost'\n"},
    {"warning comes before a later error", "[Peer]\nPublicKey=$K2\nAllowedIPs = 10.0.0.1/8, 10.0.0.0/40\n",
     "warning: Warning: AllowedIP has nonzero host part: 10.0.0.1/8\nerror: AllowedIP is not in the correct format: `10.0.0.0/40'\n"},
    {"endpoint brace unmatched", "[Peer]\nPublicKey=$K2\nEndpoint = [::1\n", "error: Unable to find matching brace of endpoint: `[::1'\n"},
    {"endpoint brace without port", "[Peer]\nPublicKey=$K2\nEndpoint = [::1]\n", "error: Unable to find port of endpoint: `[::1]'\n"},
    {"endpoint brace empty port", "[Peer]\nPublicKey=$K2\nEndpoint = [::1]:\n", "error: Unable to find port of endpoint: `[::1]:'\n"},
    {"endpoint brace no colon", "[Peer]\nPublicKey=$K2\nEndpoint = [::1]x80\n", "error: Unable to find port of endpoint: `[::1]x80'\n"},
    {"endpoint without colon", "[Peer]\nPublicKey=$K2\nEndpoint = localhost\n", "error: Unable to find port of endpoint: `localhost'\n"},
    {"endpoint empty port", "[Peer]\nPublicKey=$K2\nEndpoint = 127.0.0.1:\n", "error: Unable to find port of endpoint: `127.0.0.1:'\n"},
    {"endpoint short IPv6 without brackets", "[Peer]\nPublicKey=$K2\nEndpoint = ::1\n", "error: Name or service not known: `::1'\n"},
    {"endpoint empty host", "[Peer]\nPublicKey=$K2\nEndpoint = :80\n", "error: Name or service not known: `:80'\n"},
    {"endpoint empty brackets", "[Peer]\nPublicKey=$K2\nEndpoint = []:80\n", "error: Name or service not known: `[]:80'\n"},
    // Never a name that is not numeric or in /etc/hosts: that would ask the outside DNS.
    {"endpoint unknown scope", "[Peer]\nPublicKey=$K2\nEndpoint = [fe80::1%nosuchif]:80\n", "error: Name or service not known: `[fe80::1%nosuchif]:80'\n"},
    {"peer missing public key", "[Peer]\nAllowedIPs = 10.0.0.0/8\n", "invalid: A peer is missing a public key\n"},
    {"second peer missing public key", "[Peer]\nPublicKey=$K2\n[Peer]\nEndpoint=127.0.0.1:1\n", "invalid: A peer is missing a public key\n"},
    {"a parse error wins over a missing key", "[Peer]\n[Interface]\nBogus=1\n", "error: Line unrecognized: `Bogus=1'\n"},
    {"bad public key leaves the peer keyless but fails first", "[Peer]\nPublicKey=x\n", "error: Key is not the correct length or format: `x'\n"},
};

} // namespace

TEST_CASE("valid config corpus: exact model", "[config]")
{
    REQUIRE(valid_cases.size() + invalid_cases.size() >= 60);
    for (const Case& c : valid_cases) {
        INFO(c.name);
        CHECK(run(c.text) == c.expected);
    }
}

TEST_CASE("invalid config corpus: exact error", "[config]")
{
    for (const Case& c : invalid_cases) {
        INFO(c.name);
        CHECK(run(c.text) == c.expected);
    }
}

TEST_CASE("localhost endpoint resolves through /etc/hosts", "[config]")
{
    Config config = parse_config(expand("[Peer]\nPublicKey=$K2\nEndpoint=localhost:51820\n"), {});
    REQUIRE(config.device.peers.size() == 1);
    std::string text = config.device.peers[0].endpoint->to_string();
    CHECK((text == "127.0.0.1:51820" || text == "[::1]:51820"));
}

TEST_CASE("file:line prefix on errors, warnings and the missing-key error", "[config]")
{
    ParseOptions options;
    options.filename = "wg0.conf";
    CHECK(run("[Interface]\n\nListenPort = x\n", options) ==
          "error: wg0.conf:3: Servname not supported for ai_socktype: `x'\n");
    CHECK(run("# c\n[Foo]\n", options) == "error: wg0.conf:2: Line unrecognized: `[Foo]'\n");
    CHECK(run("[Peer]\nPublicKey=$K2\n\n[Peer]\nAllowedIPs=10.0.0.0/8\n", options) ==
          "invalid: wg0.conf:4: A peer is missing a public key\n");
    CHECK(run("[Peer]\nPublicKey=$K2\nAllowedIPs=10.0.0.1/8\n", options) ==
          ("warning: wg0.conf:3: Warning: AllowedIP has nonzero host part: 10.0.0.1/8\n" + empty_device +
                 "peer $K2 line=1 replace_ips=1 remove=0 psk=- endpoint=- keepalive=-\n  10.0.0.1/8\n"));
    Config config = parse_config(expand("\n[Peer]\nPublicKey=$K2\n"), options);
    CHECK(config.device.peers.at(0).source_line == 2);
}

TEST_CASE("append leaves absent device fields unset", "[config]")
{
    ParseOptions options;
    options.append = true;
    CHECK(run("[Interface]\nFwMark=1\n[Peer]\nPublicKey=$K2\n", options) ==
          ("device replace_peers=0 private_key=- listen_port=- fwmark=1\n"
                 "peer $K2 line=3 replace_ips=1 remove=0 psk=- endpoint=- keepalive=-\n"));
}

TEST_CASE("wg-quick keys with accept_quick_keys", "[config]")
{
    ParseOptions options;
    options.accept_quick_keys = true;
    std::string text = "[Interface]\n"
                       "Address = 10.0.0.1/24, fd00::1/64\n"
                       "address = 10.0.0.2/24 10.0.0.3/24 # two more\n"
                       "DNS = 1.1.1.1,example.com\n"
                       "MTU = 1420\n"
                       "Table = off\n"
                       "PreUp = echo \"a  b\" # kept\n"
                       "PostUp = ip link set %i up\n"
                       "PostUp = true\n"
                       "PreDown = x\n"
                       "PostDown = y\n"
                       "SaveConfig = TRUE\n"
                       "PrivateKey = $K1\n";
    CHECK(run(text, options) ==
          ("device replace_peers=1 private_key=$K1 listen_port=0 fwmark=0\n"
                 "quick address=[10.0.0.1/24|fd00::1/64|10.0.0.2/24|10.0.0.3/24] dns=[1.1.1.1|example.com] "
                 "mtu=1420 table=off pre_up=[echo \"a  b\" # kept] post_up=[ip link set %i up|true] "
                 "pre_down=[x] post_down=[y] save=true\n"));
    CHECK(run("[Interface]\nSaveConfig = yes\n", options) == "error: `yes' is neither true nor false\n");
    CHECK(run("[Interface]\nSaveConfig = false\nTable =\nMTU =\n", options) ==
          (empty_device + "quick address=[] dns=[] mtu=- table=- pre_up=[] post_up=[] pre_down=[] post_down=[] save=false\n"));
    CHECK(run("[Interface]\nMTU = 14x\n", options) == "error: MTU is not a number: `14x'\n");
    // wg-quick only takes its keys from [Interface]; elsewhere wg sees them.
    CHECK(run("[Peer]\nAddress = 10.0.0.1/24\n", options) == "error: Line unrecognized: `Address=10.0.0.1/24'\n");
    CHECK(run("Address = 10.0.0.1/24\n", options) == "error: Line unrecognized: `Address=10.0.0.1/24'\n");
    CHECK(run("[Interface]\nAddr ess = 10.0.0.1/24\n", options) == "error: Line unrecognized: `Address=10.0.0.1/24'\n");
}

TEST_CASE("endpoint resolution retries", "[config]")
{
    std::string text = expand("[Peer]\nPublicKey=$K2\nEndpoint=127.0.0.1:nosuchservice\n");
    {
        ScopedEnv env("WG_ENDPOINT_RESOLUTION_RETRIES", "0");
        CHECK(run(text) == "error: Servname not supported for ai_socktype: `127.0.0.1:nosuchservice'\n");
    }
    {
        // EAI_SERVICE is not one of the permanent errors, so it is retried: 1 s, then 1.2 s.
        ScopedEnv env("WG_ENDPOINT_RESOLUTION_RETRIES", "2");
        CHECK(run(text) ==
              "warning: Servname not supported for ai_socktype: `127.0.0.1:nosuchservice'. Trying again in 1.00 seconds...\n"
              "warning: Servname not supported for ai_socktype: `127.0.0.1:nosuchservice'. Trying again in 1.20 seconds...\n"
              "error: Servname not supported for ai_socktype: `127.0.0.1:nosuchservice'\n");
    }
    {
        ScopedEnv env("WG_ENDPOINT_RESOLUTION_RETRIES", "bogus");
        CHECK(run(text) == "environment: Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES: `bogus'\n");
        // Read before anything else, so even an empty endpoint reports it.
        CHECK_THROWS_AS(parse_endpoint("", {}), EnvironmentInvalid);
    }
    {
        ScopedEnv env("WG_ENDPOINT_RESOLUTION_RETRIES", "2147483648");
        CHECK_THROWS_WITH(parse_endpoint("127.0.0.1:1", {}), "Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES: `2147483648'");
    }
    {
        // Permanent errors fail at once even with unlimited retries.
        ScopedEnv env("WG_ENDPOINT_RESOLUTION_RETRIES", "infinity");
        CHECK_THROWS_WITH(parse_endpoint(":1", {}), "Name or service not known: `:1'");
    }
}

TEST_CASE("value parsers used by wg set", "[config]")
{
    CHECK_THROWS_WITH(parse_port(""), "Unable to parse empty port");
    CHECK(parse_port("51820") == 51820);
    CHECK(parse_port("domain") == 53);
    CHECK(parse_port("70000") == 4464);
    CHECK_THROWS_WITH(parse_port("1 "), "Servname not supported for ai_socktype: `1 '");
    CHECK_THROWS_WITH(parse_fwmark(""), "Fwmark is neither 0/off nor 0-0xffffffff: `'");
    CHECK_THROWS_WITH(parse_fwmark("1 "), "Fwmark is neither 0/off nor 0-0xffffffff: `1 '");
    CHECK(parse_fwmark("0xdeadBEEF") == 0xdeadbeefu);
    CHECK_THROWS_WITH(parse_persistent_keepalive(""), "Persistent keepalive interval is neither 0/off nor 1-65535: `'");
    CHECK(parse_persistent_keepalive("0") == 0);
    CHECK_THROWS_WITH(parse_endpoint("", {}), "Unable to parse empty endpoint");
    CHECK(parse_endpoint("[::ffff:127.0.0.1]:5", {}).to_string() == "[::ffff:127.0.0.1]:5");
    CHECK(parse_key(expand("$K1")) == *Key::from_base64(expand("$K1")));

    // `wg set allowed-ips ""` clears the IPs: an empty list still sets replacement.
    Peer peer;
    parse_allowed_ips("", peer, {});
    CHECK(peer.replace_allowed_ips);
    CHECK(peer.allowed_ips.empty());
    parse_allowed_ips("10.9.0.0/16,+10.8.0.0/16", peer, {});
    CHECK_FALSE(peer.replace_allowed_ips);
    REQUIRE(peer.allowed_ips.size() == 2);
    CHECK(peer.allowed_ips[1].to_string() == "10.8.0.0/16");
    // A second '+' or '-' is not a prefix.
    CHECK_THROWS_WITH(parse_allowed_ips("+-10.0.0.0/8", peer, {}), "Unable to parse IP address: `-10.0.0.0'");
    CHECK_THROWS_WITH(parse_allowed_ips("-", peer, {}), "Unable to parse IP address: `'");
    // The format error quotes the entry without its prefix.
    CHECK_THROWS_WITH(parse_allowed_ips("-10.0.0.0/99", peer, {}), "AllowedIP is not in the correct format: `10.0.0.0/99'");
}

namespace {

/// A file in a fresh temporary directory, removed at scope end even when a check fails.
class TempFile {
public:
    explicit TempFile(const std::string& content)
    {
        char dir[] = "/tmp/wgkit-config-test-XXXXXX";
        REQUIRE(mkdtemp(dir));
        dir_ = dir;
        path_ = dir_ + "/key";
        std::ofstream(path_, std::ios::binary) << content;
    }
    ~TempFile()
    {
        std::remove(path_.c_str());
        rmdir(dir_.c_str());
    }
    const std::string& path() const { return path_; }

private:
    std::string dir_, path_;
};

} // namespace

TEST_CASE("key files for wg set", "[config]")
{
    CHECK(read_key_file(TempFile(expand("$K1\n")).path()) == *Key::from_base64(expand("$K1")));
    CHECK(read_key_file(TempFile(expand("$K1 \t\r\n\n")).path()) == *Key::from_base64(expand("$K1")));
    CHECK(read_key_file(TempFile("").path()).is_zero());
    CHECK(read_key_file("/dev/null").is_zero());
    CHECK_THROWS_WITH(read_key_file(TempFile("abc\n").path()), "Invalid length key in key file");
    CHECK_THROWS_WITH(read_key_file(TempFile(expand("$K1x")).path()), "Found trailing character in key file: `x'");
    CHECK_THROWS_WITH(read_key_file(TempFile(expand("$K1\nx")).path()), "Found trailing character in key file: `x'");
    CHECK_THROWS_WITH(read_key_file(TempFile(std::string(44, '!')).path()),
                      "Key is not the correct length or format: `(hidden)'");
    CHECK_THROWS_WITH(read_key_file("/nonexistent/wgkit-key"), "fopen: No such file or directory");
}

namespace {

Peer make_peer(const char* key)
{
    Peer peer;
    peer.public_key = *Key::from_base64(expand(key));
    return peer;
}

AllowedIp make_ip(int family, const char* text, std::uint8_t cidr)
{
    AllowedIp ip;
    ip.family = static_cast<std::uint16_t>(family);
    REQUIRE(inet_pton(family, text, ip.address.data()) == 1);
    ip.cidr = cidr;
    return ip;
}

} // namespace

TEST_CASE("format_config: showconf text", "[config]")
{
    Device device;
    device.private_key = *Key::from_base64(expand("$K1"));
    CHECK(format_config(device) == expand("[Interface]\nPrivateKey = $K1\n\n"));

    device.private_key.reset();
    CHECK(format_config(device) == "[Interface]\n\n");

    device.private_key = *Key::from_base64(expand("$K1"));
    device.listen_port = 51820;
    device.fwmark = 0xdeadbeef;
    Peer a = make_peer("$K2");
    a.preshared_key = *Key::from_base64(expand("$PSK"));
    a.allowed_ips = {make_ip(AF_INET, "10.0.0.0", 8), make_ip(AF_INET6, "fd00::", 8)};
    a.endpoint = parse_endpoint("[fe80::1%lo]:51820", {});
    a.persistent_keepalive = 25;
    Peer b = make_peer("$K3");
    b.preshared_key = Key{}; // zero: not shown
    b.persistent_keepalive = 0;
    b.endpoint = parse_endpoint("127.0.0.1:1", {});
    Peer c = make_peer("$ZERO");
    c.allowed_ips = {make_ip(AF_INET, "192.168.1.1", 32)};
    device.peers = {a, b, c};
    CHECK(format_config(device) == expand("[Interface]\n"
                                          "ListenPort = 51820\n"
                                          "FwMark = 0xdeadbeef\n"
                                          "PrivateKey = $K1\n"
                                          "\n"
                                          "[Peer]\n"
                                          "PublicKey = $K2\n"
                                          "PresharedKey = $PSK\n"
                                          "AllowedIPs = 10.0.0.0/8, fd00::/8\n"
                                          "Endpoint = [fe80::1%lo]:51820\n"
                                          "PersistentKeepalive = 25\n"
                                          "\n"
                                          "[Peer]\n"
                                          "PublicKey = $K3\n"
                                          "Endpoint = 127.0.0.1:1\n"
                                          "\n"
                                          "[Peer]\n"
                                          "PublicKey = $ZERO\n"
                                          "AllowedIPs = 192.168.1.1/32\n"));
}

TEST_CASE("format_config output parses back to the same model", "[config]")
{
    std::string text = expand("[Interface]\nListenPort = 1\nFwMark = 0x2a\nPrivateKey = $K1\n\n"
                              "[Peer]\nPublicKey = $K2\nPresharedKey = $PSK\nAllowedIPs = 10.0.0.0/8, ::/0\n"
                              "Endpoint = 127.0.0.1:9\nPersistentKeepalive = 5\n");
    Config config = parse_config(text, {});
    CHECK(format_config(config.device) == text);
}

TEST_CASE("Endpoint and AllowedIp basics", "[config]")
{
    Endpoint unset;
    CHECK(unset.family() == AF_UNSPEC);
    CHECK(unset.length() == 0);
    CHECK(unset.to_string() == "ai_family not supported");
    CHECK_FALSE(unset.try_to_string());
    Endpoint v4 = parse_endpoint("127.0.0.1:5", {});
    Endpoint v6 = parse_endpoint("[::1]:5", {});
    CHECK(v4.length() == sizeof(sockaddr_in));
    CHECK(v6.length() == sizeof(sockaddr_in6));
    CHECK(v4 == parse_endpoint("127.0.0.1:5", {}));
    CHECK_FALSE(v4 == parse_endpoint("127.0.0.1:6", {}));
    CHECK_FALSE(v4 == v6);
    CHECK(v6 == parse_endpoint("::1:5", {}));
    CHECK_FALSE(v6 == parse_endpoint("[fe80::1%lo]:5", {}));
    CHECK(make_ip(AF_INET6, "2001:db8::", 32).to_string() == "2001:db8::/32");
}

TEST_CASE("address text matches inet_ntop and getnameinfo", "[config]")
{
    // The IPv4 writer and the endpoint fast path replace inet_ntop/getnameinfo: compare them
    // on edge values and a sweep, both ways round.
    std::vector<std::array<std::uint8_t, 4>> v4 = {{0, 0, 0, 0}, {255, 255, 255, 255}, {1, 10, 100, 200},
                                                   {127, 0, 0, 1}, {9, 99, 199, 250}};
    for (unsigned i = 0; i < 2000; ++i)
        v4.push_back({static_cast<std::uint8_t>(i * 7), static_cast<std::uint8_t>(i * 13),
                      static_cast<std::uint8_t>(i >> 3), static_cast<std::uint8_t>(i * 31 + 5)});
    for (const auto& bytes : v4) {
        AllowedIp ip;
        std::copy(bytes.begin(), bytes.end(), ip.address.begin());
        ip.cidr = 32;
        char text[INET_ADDRSTRLEN];
        REQUIRE(inet_ntop(AF_INET, bytes.data(), text, sizeof(text)));
        CHECK(ip.to_string() == std::string(text) + "/32");

        Endpoint endpoint;
        endpoint.addr4.sin_family = AF_INET;
        std::memcpy(&endpoint.addr4.sin_addr, bytes.data(), 4);
        endpoint.addr4.sin_port = htons(static_cast<std::uint16_t>(bytes[0] * 256 + bytes[3]));
        char host[NI_MAXHOST], service[NI_MAXSERV];
        REQUIRE(getnameinfo(&endpoint.addr, endpoint.length(), host, sizeof(host), service, sizeof(service),
                            NI_DGRAM | NI_NUMERICHOST | NI_NUMERICSERV) == 0);
        CHECK(endpoint.to_string() == std::string(host) + ":" + service);
    }
    for (const char* text : {"::", "::1", "::ffff:1.2.3.4", "2001:db8::1", "fe80::1:2:3:4", "1:2:3:4:5:6:7:8"}) {
        Endpoint endpoint;
        endpoint.addr6.sin6_family = AF_INET6;
        REQUIRE(inet_pton(AF_INET6, text, &endpoint.addr6.sin6_addr) == 1);
        endpoint.addr6.sin6_port = htons(65535);
        CHECK(endpoint.to_string() == std::string("[").append(text).append("]:65535"));
    }
}

TEST_CASE("IPv6 text equals inet_ntop's and getnameinfo's for every shape of zero run", "[config]")
{
    // AllowedIp::to_chars and Endpoint::to_chars write IPv6 text without inet_ntop: the zero
    // run that becomes "::" and the dotted tails depend on the shape of the zero groups, so
    // the words are drawn mostly zero, sometimes 0xffff, else random.
    std::uint32_t state = 12345; // fixed LCG: reproducible, no <random> distribution drift
    auto next = [&] { return state = state * 1103515245u + 12345u; };
    auto check = [](const std::uint8_t* bytes, unsigned n) {
        char expected[INET6_ADDRSTRLEN];
        REQUIRE(inet_ntop(AF_INET6, bytes, expected, sizeof(expected)));
        AllowedIp ip;
        ip.family = AF_INET6;
        std::memcpy(ip.address.data(), bytes, 16);
        ip.cidr = static_cast<std::uint8_t>(n % 129);
        char text[AllowedIp::max_text];
        REQUIRE(std::string(text, ip.to_chars(text, false)) == expected);
        REQUIRE(std::string(text, ip.to_chars(text)) == std::string(expected) + "/" + std::to_string(n % 129));
        if (n % 16)
            return;
        Endpoint endpoint;
        endpoint.addr6.sin6_family = AF_INET6;
        std::memcpy(&endpoint.addr6.sin6_addr, bytes, 16);
        endpoint.addr6.sin6_port = htons(static_cast<std::uint16_t>(n * 7));
        char host[NI_MAXHOST], service[NI_MAXSERV];
        REQUIRE(getnameinfo(&endpoint.addr, endpoint.length(), host, sizeof(host), service, sizeof(service),
                            NI_DGRAM | NI_NUMERICHOST | NI_NUMERICSERV) == 0);
        char etext[Endpoint::max_text];
        char* end = endpoint.to_chars(etext);
        REQUIRE(end);
        REQUIRE(std::string(etext, end) == "[" + std::string(host) + "]:" + service);
    };
    for (unsigned n = 0; n < 200000; ++n) {
        std::uint8_t bytes[16];
        for (int w = 0; w < 8; ++w) {
            std::uint32_t r = next() >> 8;
            std::uint16_t word = (r & 3) ? 0 : static_cast<std::uint16_t>(r >> 2);
            if ((r & 0x300) == 0x300)
                word = 0xffff;
            bytes[2 * w] = word >> 8;
            bytes[2 * w + 1] = word & 0xff;
        }
        check(bytes, n);
    }
    unsigned n = 0;
    for (const char* text : {"::", "::1", "::ffff:1.2.3.4", "::1.2.3.4", "::ffff:0:1.2.3.4", "1::", "1:0:0:2::3",
                             "0:0:1::", "fe80::1:0:0:0", "2001:db8::ff00:42:8329", "ffff:fff:ff:f:1:10:100:1000",
                             "::ffff:255.255.255.255"}) {
        INFO(text);
        std::uint8_t bytes[16];
        REQUIRE(inet_pton(AF_INET6, text, bytes) == 1);
        check(bytes, 16 * n++);
    }
    // A scope names an interface: that text is getnameinfo's to write.
    Endpoint scoped;
    scoped.addr6.sin6_family = AF_INET6;
    scoped.addr6.sin6_scope_id = 1;
    char text[Endpoint::max_text];
    CHECK(scoped.to_chars(text) == nullptr);
    CHECK(Endpoint().to_chars(text) == nullptr);
}

TEST_CASE("address parsers accept exactly what inet_pton accepts, with its bytes", "[config]")
{
    // address_text's parsers replace inet_pton for AllowedIPs, endpoints, UAPI replies and
    // wg-quick's addresses: compare them with glibc on edge cases, on every one- and two-byte
    // change to valid addresses, and on random text from the characters addresses are made of.
    auto check = [](const std::string& text) {
        INFO("text `" << text << "'");
        std::uint8_t want4[4] = {}, got4[4] = {};
        const bool ok4 = inet_pton(AF_INET, text.c_str(), want4) == 1 && text.find('\0') == std::string::npos;
        REQUIRE(address_text::parse_ipv4(text, got4) == ok4);
        if (ok4)
            REQUIRE(std::memcmp(want4, got4, 4) == 0);
        std::uint8_t want6[16] = {}, got6[16] = {};
        const bool ok6 = inet_pton(AF_INET6, text.c_str(), want6) == 1 && text.find('\0') == std::string::npos;
        REQUIRE(address_text::parse_ipv6(text, got6) == ok6);
        if (ok6)
            REQUIRE(std::memcmp(want6, got6, 16) == 0);
        REQUIRE_FALSE((ok4 && ok6));
        std::uint8_t any[16] = {};
        REQUIRE(address_text::parse_ip(text, any) == (ok4 ? AF_INET : ok6 ? AF_INET6 : AF_UNSPEC));
    };
    const std::vector<std::string> edges = {
        "", ".", "0.0.0.0", "255.255.255.255", "256.0.0.0", "1.2.3", "1.2.3.4.", ".1.2.3.4", "1..2.3",
        "01.2.3.4", "1.2.3.04", "1.2.3.00", "0.0.0.00", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4/32", "0x1.2.3.4",
        "1.2.3.255", "1.2.3.256", "1.2.3.1000", "127.1", "4294967295", std::string("1.2.3.4\0", 8),
        "::", ":", ":::", "::1", "1::", "1:", ":1", "1::2", "1:::2", "::1::", "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::", "1::3:4:5:6:7:8",
        "1:2:3:4:5:6:7", "12345::", "ffff::FFFF", "fFfF:0:0:0:0:0:0:1", "00000::", "0000::",
        "::ffff:1.2.3.4", "::1.2.3.4", "1.2.3.4::", "::1.2.3", "::1.2.3.4.5", "::01.2.3.4", "::256.2.3.4",
        "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5::1.2.3.4", "1:2:3:4:5:6::1.2.3.4",
        "::a.2.3.4", "::1234.1.2.3", "::ffff:1.2.3.4:5", "fe80::1%lo", "[::1]", "::g", "2001:db8::/32",
        std::string("::1\0", 4), "1.2.3.4:5", "::1.2.3.4%",
    };
    for (const auto& text : edges)
        check(text);

    const std::vector<std::string> valid = {"10.100.0.1", "192.168.255.0", "0.0.0.0", "2001:db8::1",
                                            "fe80::1:2:3:4", "1:2:3:4:5:6:7:8", "::ffff:10.0.0.1",
                                            "a::b", "::", "1::2:3.4.5.6"};
    const std::string alphabet = "0123456789abcdefABCDEFgx:./% ";
    for (const auto& base : valid) {
        for (std::size_t at = 0; at <= base.size(); ++at) {
            for (char c : alphabet) {
                check(base.substr(0, at) + c + base.substr(at)); // inserted
                if (at < base.size()) {
                    std::string changed = base;
                    changed[at] = c; // replaced
                    check(changed);
                    check(base.substr(0, at) + base.substr(at + 1)); // deleted
                }
            }
        }
    }
    std::mt19937 rng(20261127);
    const std::string pool = "0123456789abcdefF::::....";
    auto quad = [&rng] {
        std::string text;
        for (unsigned i = 0, parts = 3 + rng() % 3; i < parts; ++i)
            text.append(i ? "." : "").append(rng() % 8 ? "" : "0").append(std::to_string(rng() % 300));
        return text;
    };
    for (int round = 0; round < 200000; ++round) {
        std::string text;
        switch (round % 3) {
        case 0: // anything from the pool
            text.assign(rng() % 46, ' ');
            for (char& c : text)
                c = pool[rng() % pool.size()];
            break;
        case 1: // dotted quads, some out of range, with leading zeros or the wrong part count
            text = quad();
            break;
        default: // groups of 1-5 hex digits, maybe a "::" or two, maybe an IPv4 tail
            for (unsigned i = 0, groups = rng() % 10; i < groups; ++i) {
                text += i ? (rng() % 6 ? ":" : "::") : (rng() % 6 ? "" : "::");
                for (unsigned d = 0, digits = 1 + rng() % (rng() % 8 ? 4 : 5); d < digits; ++d)
                    text += pool[rng() % 17];
            }
            if (rng() % 4 == 0)
                text += (text.empty() ? "::" : ":") + quad();
            else if (rng() % 6 == 0)
                text += "::";
        }
        check(text);
    }
}

TEST_CASE("endpoint literals parse to what getaddrinfo returns", "[config]")
{
    // parse_endpoint skips getaddrinfo for an address inet_pton takes and a plain port; the
    // result must be the very sockaddr getaddrinfo gives, for those and for the forms that
    // still go through it (inet_aton's short and octal-looking IPv4, scopes, wrapped ports).
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"10.1.2.3", "51820"}, {"0.0.0.0", "0"}, {"255.255.255.255", "65535"}, {"127.0.0.1", "00080"},
        {"::", "1"}, {"2001:db8::1", "443"}, {"::ffff:1.2.3.4", "7"}, {"1:2:3:4:5:6:7:8", "65535"},
        {"fe80::1%lo", "5"}, {"127.1", "2"}, {"10.010.1.1", "3"}, {"1.2.3.4", "70000"}, {"1.2.3.4", "123456"},
        {"1.2.3.4", "domain"}};
    for (const auto& [host, port] : cases) {
        INFO(host << " port " << port);
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_DGRAM;
        hints.ai_protocol = IPPROTO_UDP;
        addrinfo* expected = nullptr;
        REQUIRE(getaddrinfo(host.c_str(), port.c_str(), &hints, &expected) == 0);
        bool v6 = host.find(':') != std::string::npos;
        Endpoint got = parse_endpoint((v6 ? "[" + host + "]" : host) + ":" + port, {});
        CHECK(got.length() == expected->ai_addrlen);
        CHECK(std::memcmp(&got.addr, expected->ai_addr, expected->ai_addrlen) == 0);
        freeaddrinfo(expected);
    }
}

TEST_CASE("strip_next_line finds a line's end, drops whitespace and stops at '#' or NUL, as the byte-at-a-time rule")
{
    // The original's rule, a byte at a time: the line ends at '\n', its content at '#' or NUL.
    auto reference = [](std::string_view text) {
        std::string_view line = text.substr(0, text.find('\n'));
        std::string content;
        for (char c : line) {
            if (c == '#' || c == '\0')
                break;
            if (!config_text::is_space(c))
                content += c;
        }
        return std::pair(line.size(), content);
    };
    auto check = [&](const std::string& text) {
        const auto [line_size, content] = reference(text);
        INFO("text of " << text.size() << " bytes");
        // The text on the heap at its exact size, so that a sanitizer sees any read past it.
        std::unique_ptr<char[]> held(new char[text.size()]);
        std::memcpy(held.get(), text.data(), text.size());
        std::string_view view(held.get(), text.size());
        // Any room is safe: too little is reported, never overrun. The line's size plus 8 fits.
        for (std::size_t room : {std::size_t{0}, std::size_t{3}, std::size_t{9}, line_size + 8}) {
            std::vector<char> out(room, '?');
            config_text::StrippedLine got = config_text::strip_next_line(view, out.data(), out.size());
            INFO("room " << room);
            if (!got.fits) {
                REQUIRE(room < line_size + 8);
                continue;
            }
            REQUIRE(got.line_size == line_size);
            REQUIRE(std::string_view(out.data(), got.content_size) == content);
        }
    };
    // Every byte value at every position of a line long enough for two words and a tail,
    // alone, ended by '\n', and followed by another line.
    for (std::size_t at = 0; at < 19; ++at) {
        for (int byte = 0; byte < 256; ++byte) {
            std::string line = "PublicKey=abcdefgh";
            line.push_back('x');
            line[at] = static_cast<char>(byte);
            check(line);
            check(line + '\n');
            check(line + "\nAllowedIPs = 10.0.0.1/32\n");
        }
    }
    // Random texts drawn mostly from the bytes either side of the mask's thresholds, with
    // line ends among them.
    const std::string pool = std::string(" \t\r\v\f\n\x01\x08\x0e\x1f\x20\x21\x22#$=/aZ\x7f\x80\xa3\xff") + '\0';
    std::mt19937 rng(20260223);
    for (int round = 0; round < 20000; ++round) {
        std::string text(rng() % 41, ' ');
        for (char& c : text)
            c = rng() % 3 ? pool[rng() % pool.size()] : static_cast<char>('A' + rng() % 26);
        check(text);
    }
}
