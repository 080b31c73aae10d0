// SPDX-License-Identifier: MIT
// wg-quick's pure parts: the config splitter (linux.bash's parse_options), the plan's
// transcript for given facts, the state record format and the firewall texts.
#include <sys/socket.h>

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <random>

#include <catch2/catch.hpp>

#include <wgkit/quick.h>

#include "../../lib/quick/firewall_rules.h"
#include "quick_steps.h"

using namespace wgkit;
using namespace wgkit::quick;

namespace {

net::Prefix prefix(const char* text) { return *net::Prefix::parse(text); }

} // namespace

TEST_CASE("split_config takes wg-quick keys of [Interface] and passes the rest verbatim") {
    QuickFile f = split_config("  [interface] # x\n"
                               "PrivateKey = abc\n"
                               "address = 10.0.0.1/24,fd00::1/64 10.0.0.2/32\n"
                               "ADDRESS=10.0.0.3\n"
                               "DNS = 1.1.1.1, fd00::53,example.com corp\n"
                               "MTU = 1400 # comment\n"
                               "Table = off\n"
                               "PostUp = echo \"a # b\" %i # kept\n"
                               "PreDown=x\n"
                               "SaveConfig = TRUE\n"
                               "[Peer]\n"
                               "Address = 9.9.9.9/32\n"
                               "\t PublicKey = k \n");
    CHECK(f.addresses == std::vector<std::string>{"10.0.0.1/24", "fd00::1/64", "10.0.0.2/32", "10.0.0.3"});
    CHECK(f.dns == std::vector<std::string>{"1.1.1.1", "fd00::53"});
    CHECK(f.dns_search == std::vector<std::string>{"example.com", "corp"});
    CHECK(f.mtu == "1400");
    CHECK(f.table == "off");
    CHECK(f.post_up == std::vector<std::string>{"echo \"a # b\" %i # kept"});
    CHECK(f.pre_down == std::vector<std::string>{"x"});
    CHECK(f.save_config);
    // `read -r` trims each line; the passthrough keeps comments and the [Peer]'s Address.
    CHECK(f.wg_config == "[interface] # x\nPrivateKey = abc\n[Peer]\nAddress = 9.9.9.9/32\nPublicKey = k\n");
    CHECK(strip(f) == f.wg_config + "\n");
}

TEST_CASE("split_config: lines without '=', CRLF, NUL bytes and the last line") {
    QuickFile f = split_config("[Interface]\nMTU\nJunk\r\nAddress = 10.0.0.1/24\r\n\nlast");
    CHECK(f.mtu == "MTU"); // no '=': the value is the whole stripped line, as in bash
    CHECK(f.addresses == std::vector<std::string>{"10.0.0.1/24"}); // '\r' is [[:space:]]
    CHECK(f.wg_config == "[Interface]\nJunk\r\n\nlast\n");
    CHECK(split_config(std::string("[Interface]\nA\0B\n   ", 19)).wg_config == "[Interface]\nAB\n");
}

TEST_CASE("split_config rejects a SaveConfig that is neither true nor false") {
    CHECK_THROWS_WITH(split_config("[Interface]\nSaveConfig = yes\n"), "`yes' is neither true nor false");
    CHECK_FALSE(split_config("[Interface]\nSaveConfig = False\n").save_config);
}

TEST_CASE("interface_of_argument follows linux.bash's name rules") {
    CHECK(interface_of_argument("wg0") == "wg0");
    CHECK(interface_of_argument("/etc/x/wg1.conf") == "wg1");
    CHECK(interface_of_argument("sixteen_chars_ab") == std::nullopt);
    CHECK(interface_of_argument("/a/b!c.conf") == std::nullopt);
}

TEST_CASE("plan: addresses, explicit or automatic MTU, DNS with prefix") {
    QuickFile f = split_config("[Interface]\nAddress = 10.0.0.1/24, fd00::1/64\nDNS = 10.0.0.53, lan\n");
    f.interface = "wg0";
    Facts facts;
    facts.auto_mtu = 1420 + 80;
    facts.dns_prefix = "tun.";
    CHECK(transcript(plan_addresses_mtu_dns(f, facts)) ==
          std::vector<std::string>{"ip -4 address add 10.0.0.1/24 dev wg0", "ip -6 address add fd00::1/64 dev wg0",
                                   "ip link set mtu 1420 up dev wg0", "resolvconf -a tun.wg0 -m 0 -x"});
    f.mtu = "1280";
    f.dns.clear();
    CHECK(transcript(plan_addresses_mtu_dns(f, facts)).back() == "ip link set mtu 1280 up dev wg0");
}

TEST_CASE("plan: routes longest first, covered ones skipped, /0 through add_default") {
    QuickFile f = split_config("[Interface]\nPostUp = echo %i\n");
    f.interface = "wg0";
    Facts facts;
    facts.free_table = 51821;
    facts.covered = {{prefix("10.1.0.0/24"), true}, {prefix("10.2.0.0/16"), false},
                     {prefix("::/0"), false}, {prefix("0.0.0.0/0"), false}};
    CHECK(transcript(plan_routes_and_post_up(f, facts)) ==
          std::vector<std::string>{"ip -4 route add 10.2.0.0/16 dev wg0",
                                   "wg set wg0 fwmark 51821",
                                   "ip -6 rule add not fwmark 51821 table 51821",
                                   "ip -6 rule add table main suppress_prefixlength 0",
                                   "ip -6 route add ::/0 dev wg0 table 51821",
                                   "nft -f /dev/fd/63",
                                   "ip -4 rule add not fwmark 51821 table 51821",
                                   "ip -4 rule add table main suppress_prefixlength 0",
                                   "ip -4 route add 0.0.0.0/0 dev wg0 table 51821",
                                   "sysctl -q net.ipv4.conf.all.src_valid_mark=1",
                                   "nft -f /dev/fd/63",
                                   "echo wg0"});
    // A fwmark already set is the table; src_valid_mark already 1 is left alone (ac74ed6);
    // without nftables the iptables fallback.
    facts.fwmark = 7;
    facts.src_valid_mark = true;
    facts.use_nft = false;
    facts.covered = {{prefix("0.0.0.0/0"), false}};
    CHECK(transcript(plan_routes_and_post_up(f, facts)) ==
          std::vector<std::string>{"ip -4 rule add not fwmark 7 table 7",
                                   "ip -4 rule add table main suppress_prefixlength 0",
                                   "ip -4 route add 0.0.0.0/0 dev wg0 table 7", "iptables-restore -n", "echo wg0"});
}

TEST_CASE("plan: Table = off adds nothing, Table = N puts every route there") {
    QuickFile f = split_config("[Interface]\nTable = off\n");
    f.interface = "wg0";
    Facts facts;
    facts.covered = {{prefix("10.2.0.0/16"), false}, {prefix("0.0.0.0/0"), false}};
    CHECK(plan_routes_and_post_up(f, facts).empty());
    f.table = "1234";
    CHECK(transcript(plan_routes_and_post_up(f, facts)) ==
          std::vector<std::string>{"ip -4 route add 10.2.0.0/16 dev wg0 table 1234",
                                   "ip -4 route add 0.0.0.0/0 dev wg0 table 1234"});
}

TEST_CASE("plan: link, PreUp after the link, addconf") {
    QuickFile f = split_config("[Interface]\nPreUp = wg set %i private-key /k # %i\n");
    f.interface = "wg0";
    CHECK(transcript(plan_link_and_config(f)) ==
          std::vector<std::string>{"ip link add dev wg0 type wireguard", "wg set wg0 private-key /k # wg0",
                                   "wg addconf wg0 /dev/fd/63"});
}

TEST_CASE("Record round-trips through its line form") {
    Record rule{Record::Kind::rule, {}, {}, AF_INET6};
    rule.rule.family = AF_INET6;
    rule.rule.table = 51820;
    rule.rule.priority = 32765;
    rule.rule.not_fwmark = 51820;
    Record nft{Record::Kind::nft, "wg-quick-wg0", {}, AF_INET};
    Record forward{Record::Kind::forward, "forward=yes,masquerade=ipv4,10.0.0.1/24", {}, 0};
    for (const Record& r : {rule, nft, forward, Record{Record::Kind::link, "wg0", {}, 0}}) {
        std::optional<Record> back = Record::parse(r.serialize());
        REQUIRE(back);
        CHECK(back->serialize() == r.serialize());
        CHECK(back->rule == r.rule);
    }
    CHECK_FALSE(Record::parse("rule 2 254 0 bogus 1"));
    CHECK_FALSE(Record::parse("teleport wg0"));
}

TEST_CASE("Prefix::contains: the same family, no longer, and the same leading bits") {
    CHECK(prefix("0.0.0.0/0").contains(prefix("203.0.113.9/32")));
    CHECK_FALSE(prefix("0.0.0.0/0").contains(prefix("::/0")));      // another family
    CHECK_FALSE(prefix("::/0").contains(prefix("10.0.0.0/8")));
    CHECK(prefix("10.0.0.0/8").contains(prefix("10.0.0.0/8")));      // itself
    CHECK_FALSE(prefix("10.0.0.0/16").contains(prefix("10.0.0.0/8"))); // wider
    CHECK(prefix("10.0.2.0/23").contains(prefix("10.0.3.128/25")));  // a bit inside a byte
    CHECK_FALSE(prefix("10.0.2.0/23").contains(prefix("10.0.4.0/25")));
    CHECK(prefix("fd00::/7").contains(prefix("fdff::1/128")));
    CHECK_FALSE(prefix("fd00::/8").contains(prefix("fe00::/8")));
    CHECK(prefix("2001:db8::1/128").contains(prefix("2001:db8::1/128")));
    CHECK_FALSE(prefix("2001:db8::1/128").contains(prefix("2001:db8::/128")));

    // Against arithmetic on the 32-bit number, for random IPv4 pairs sharing some leading bits.
    std::mt19937 rng(20261128);
    for (int i = 0; i < 20000; ++i) {
        std::uint32_t a = rng(), b = a ^ (rng() >> (rng() % 33u)); // b agrees on a random head
        unsigned la = rng() % 33u, lb = rng() % 33u;
        net::Prefix pa, pb;
        pa.family = pb.family = AF_INET;
        std::uint32_t na = htonl(a), nb = htonl(b);
        std::memcpy(pa.address.data(), &na, 4);
        std::memcpy(pb.address.data(), &nb, 4);
        pa.length = static_cast<std::uint8_t>(la);
        pb.length = static_cast<std::uint8_t>(lb);
        std::uint32_t mask = la ? ~std::uint32_t{0} << (32 - la) : 0;
        bool expected = la <= lb && (a & mask) == (b & mask);
        INFO(pa.to_string() << " contains " << pb.to_string());
        REQUIRE(pa.contains(pb) == expected);
    }
}

TEST_CASE("covered_by_addresses: the prefix routes the kernel makes for the file's addresses") {
    QuickFile f;
    f.addresses = {"10.0.0.1/24", "10.9.0.1/32", "fd00::1/64", "bogus"};
    CHECK(covered_by_addresses(f, prefix("10.0.0.7/32")));
    CHECK(covered_by_addresses(f, prefix("10.0.0.0/24")));
    CHECK_FALSE(covered_by_addresses(f, prefix("10.0.0.0/16")));   // wider than the route
    CHECK_FALSE(covered_by_addresses(f, prefix("10.0.1.7/32")));
    CHECK_FALSE(covered_by_addresses(f, prefix("10.9.0.1/32")));   // a /32 gets no prefix route
    CHECK(covered_by_addresses(f, prefix("fd00::5/128")));
    CHECK_FALSE(covered_by_addresses(f, prefix("fd01::5/128")));
}

TEST_CASE("firewall texts are the original's, byte for byte") {
    std::vector<net::Prefix> addrs = {prefix("10.0.0.2/24")};
    CHECK(nft_script(AF_INET, "wg0", 51820, addrs) ==
          "add table ip wg-quick-wg0\n"
          "add chain ip wg-quick-wg0 preraw { type filter hook prerouting priority -300; }\n"
          "add chain ip wg-quick-wg0 premangle { type filter hook prerouting priority -150; }\n"
          "add chain ip wg-quick-wg0 postmangle { type filter hook postrouting priority -150; }\n"
          "add rule ip wg-quick-wg0 preraw iifname != \"wg0\" ip daddr 10.0.0.2 fib saddr type != local drop\n"
          "add rule ip wg-quick-wg0 postmangle meta l4proto udp mark 51820 ct mark set mark \n"
          "add rule ip wg-quick-wg0 premangle meta l4proto udp meta mark set ct mark \n");
    std::string m = "-m comment --comment \"wg-quick(8) rule for wg0\"";
    CHECK(iptables_script("wg0", 51820, addrs) ==
          "*raw\n-I PREROUTING ! -i wg0 -d 10.0.0.2 -m addrtype ! --src-type LOCAL -j DROP " + m +
              "\nCOMMIT\n*mangle\n-I POSTROUTING -m mark --mark 51820 -p udp -j CONNMARK --save-mark " + m +
              "\n-I PREROUTING -p udp -j CONNMARK --restore-mark " + m + "\nCOMMIT\n");
    std::string saved = "# Generated\n*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -d 10.0.0.2/32 " + m +
                        " -j DROP\n-A PREROUTING -j X -m comment --comment \"wg-quick(8) rule for wg00\"\n"
                        "COMMIT\n*nat\nCOMMIT\n";
    CHECK(iptables_removal(saved, "wg0") == "*raw\n-D PREROUTING -d 10.0.0.2/32 " + m + " -j DROP\nCOMMIT\n*nat\nCOMMIT\n");
    CHECK(iptables_removal("*raw\nCOMMIT\n", "wg0").empty());
}
