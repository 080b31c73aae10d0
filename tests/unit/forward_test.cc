// SPDX-License-Identifier: MIT
// IPForward / IPMasquerade: parsing, the steps they add to up, the firewall texts both paths
// render from one description, and the record lines.
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include <wgkit/quick.h>

#include "../../lib/quick/firewall_rules.h"
#include "quick_steps.h"
#include "../../lib/quick/forward.h"

using namespace wgkit;
using namespace wgkit::quick;

namespace {

std::string error_of(std::string_view text, std::string_view path) {
    try {
        split_config(text, path);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("IPForward and IPMasquerade are wg-quick keys: consumed, kept as written, any case") {
    QuickFile f = split_config("[Interface]\nPrivateKey = k\nipforward = IPv4\nIPMASQUERADE=yes\n"
                               "[Peer]\nIPForward = ipv6\n");
    CHECK(f.ip_forward == "IPv4");
    CHECK(f.ip_masquerade == "yes");
    // Outside [Interface] the line is wg's (which will refuse it), as for every wg-quick key.
    CHECK(f.wg_config == "[Interface]\nPrivateKey = k\n[Peer]\nIPForward = ipv6\n");
    CHECK(strip(f) == f.wg_config + "\n");
    CHECK(split_config("[Interface]\nIPForward = no\nIPForward = ipv6\n").ip_forward == "ipv6");
}

TEST_CASE("a bad IPForward or IPMasquerade value names the file, the line and the value") {
    CHECK(error_of("[Interface]\n\nIPForward = maybe # x\n", "/etc/wireguard/wg0.conf") ==
          "/etc/wireguard/wg0.conf:3: `maybe' is not a valid IPForward value (yes, no, ipv4 or ipv6)");
    CHECK(error_of("[Interface]\nIPMasquerade =\n", "a.conf") ==
          "a.conf:2: `' is not a valid IPMasquerade value (yes, no, ipv4 or ipv6)");
    CHECK(error_of("[Interface]\nIPMasquerade = true\n", "") ==
          "line 2: `true' is not a valid IPMasquerade value (yes, no, ipv4 or ipv6)");
}

TEST_CASE("forwarding_of: masquerading a family implies forwarding it") {
    QuickFile f;
    f.ip_forward = "IPV6";
    f.ip_masquerade = "ipv4";
    Forwarding w = forwarding_of(f);
    CHECK(w.forward4);
    CHECK(w.forward6);
    CHECK(w.masquerade4);
    CHECK_FALSE(w.masquerade6);
    f.ip_forward = "no";
    f.ip_masquerade = "no";
    CHECK_FALSE(forwarding_of(f).any());
    f.ip_forward = "";
    f.ip_masquerade = "yes";
    CHECK(forwarding_of(f).forward6);
}

TEST_CASE("IPForward adds firewall steps, then the sysctls, before PostUp") {
    QuickFile f = split_config("[Interface]\nAddress = 10.0.0.1/24\nIPForward = yes\nPostUp = echo %i\n");
    f.interface = "wg0";
    Facts facts;
    facts.use_nft = true;
    CHECK(transcript(plan_routes_and_post_up(f, facts)) ==
          std::vector<std::string>{"nft -f /dev/fd/63", "nft -f /dev/fd/63",
                                   "sysctl -q net.ipv4.ip_forward=1",
                                   "sysctl -q net.ipv6.conf.all.forwarding=1", "echo wg0"});
    facts.use_nft = false;
    f.ip_forward = "ipv4";
    CHECK(transcript(plan_routes_and_post_up(f, facts)) ==
          std::vector<std::string>{"iptables-restore -n", "sysctl -q net.ipv4.ip_forward=1", "echo wg0"});
    f.ip_forward = "no";
    CHECK(transcript(plan_routes_and_post_up(f, facts)) == std::vector<std::string>{"echo wg0"});
}

TEST_CASE("nft rendering: our table, masquerade of the address networks, inserts into others' forward chains") {
    ForwardRules rules{AF_INET, "wg0", true, {*net::Prefix::parse("10.0.0.1/24"), *net::Prefix::parse("10.9.8.7/32")}};
    std::string chains = "table ip filter {\n\tchain FORWARD {\n"
                         "\t\ttype filter hook forward priority filter; policy drop;\n\t}\n"
                         "\tchain INPUT {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}\n"
                         "table ip6 f6 {\n\tchain fw {\n\t\ttype filter hook forward priority filter; policy drop;\n\t}\n}\n"
                         "table inet fw {\n\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;\n\t}\n}\n"
                         "table ip wgkit-forward-wg0 {\n\tchain forward {\n"
                         "\t\ttype filter hook forward priority filter; policy accept;\n\t}\n}\n";
    std::string t = "ip wgkit-forward-wg0";
    std::string expected =
        "add table " + t + "\n" +
        "add chain " + t + " forward { type filter hook forward priority 0; policy accept; }\n" +
        "add rule " + t + " forward iifname \"wg0\" oifname \"wg0\" accept\n" +
        "add rule " + t + " forward iifname \"wg0\" accept\n" +
        "add rule " + t + " forward oifname \"wg0\" ct state established,related accept\n" +
        "add chain " + t + " postrouting { type nat hook postrouting priority 100; policy accept; }\n" +
        "add rule " + t + " postrouting oifname != \"wg0\" ip saddr 10.0.0.0/24 masquerade\n" +
        "add rule " + t + " postrouting oifname != \"wg0\" ip saddr 10.9.8.7/32 masquerade\n";
    for (std::string chain : {"ip filter FORWARD ", "inet fw forward meta nfproto ipv4 "})
        for (std::string rule : {"iifname \"wg0\" oifname \"wg0\" accept", "iifname \"wg0\" accept",
                                 "oifname \"wg0\" ct state established,related accept"})
            expected += "insert rule " + chain + rule + " comment \"wgkit-forward-wg0\"\n";
    CHECK(nft_forward_script(rules, chains) == expected);

    rules.masquerade = false;
    rules.family = AF_INET6;
    std::string t6 = "ip6 wgkit-forward-wg0";
    CHECK(nft_forward_script(rules, "") ==
          "add table " + t6 + "\n" +
              "add chain " + t6 + " forward { type filter hook forward priority 0; policy accept; }\n" +
              "add rule " + t6 + " forward iifname \"wg0\" oifname \"wg0\" accept\n");
}

TEST_CASE("nft_insert_removal deletes exactly the rules with our comment, by handle") {
    std::string ruleset = "table ip filter { # handle 1\n\tchain FORWARD { # handle 1\n"
                          "\t\ttype filter hook forward priority filter; policy drop;\n"
                          "\t\tmeta nfproto ipv4 iifname \"wg0\" accept comment \"wgkit-forward-wg0\" # handle 7\n"
                          "\t\tmeta nfproto ipv4 iifname \"wg1\" accept comment \"wgkit-forward-wg1\" # handle 8\n"
                          "\t}\n}\ntable inet fw { # handle 3\n\tchain fwd { # handle 2\n"
                          "\t\tmeta nfproto ipv6 oifname \"wg0\" accept comment \"wgkit-forward-wg0\" # handle 12\n\t}\n}\n";
    CHECK(nft_insert_removal(ruleset, "wgkit-forward-wg0") ==
          "delete rule ip filter FORWARD handle 7\ndelete rule inet fw fwd handle 12\n");
    CHECK(nft_insert_removal(ruleset, "wgkit-forward-wg2").empty());
}

TEST_CASE("iptables rendering and removal: our chain, FORWARD's jump, MASQUERADE, all removable") {
    ForwardRules rules{AF_INET, "wg0", true, {*net::Prefix::parse("10.0.0.1/24")}};
    std::string m = "-m comment --comment \"wg-quick(8) rule for wg0\"";
    CHECK(iptables_forward_script(rules) ==
          "*filter\n:WGKIT-FWD-wg0 - [0:0]\n"
          "-A WGKIT-FWD-wg0 -i wg0 -o wg0 -j ACCEPT\n"
          "-A WGKIT-FWD-wg0 -i wg0 -j ACCEPT\n"
          "-A WGKIT-FWD-wg0 -o wg0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
          "-I FORWARD -j WGKIT-FWD-wg0 " + m + "\nCOMMIT\n"
          "*nat\n-I POSTROUTING -s 10.0.0.0/24 ! -o wg0 -j MASQUERADE " + m + "\nCOMMIT\n");
    // What iptables-save prints after that restore: removal deletes the jump and the
    // MASQUERADE by their comment, then empties and deletes our chain.
    std::string saved = "# Generated\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n"
                        ":WGKIT-FWD-wg0 - [0:0]\n:WGKIT-FWD-wg00 - [0:0]\n"
                        "-A FORWARD " + m + " -j WGKIT-FWD-wg0\n"
                        "-A WGKIT-FWD-wg0 -i wg0 -o wg0 -j ACCEPT\nCOMMIT\n"
                        "*nat\n:POSTROUTING ACCEPT [0:0]\n"
                        "-A POSTROUTING -s 10.0.0.0/24 ! -o wg0 " + m + " -j MASQUERADE\nCOMMIT\n";
    CHECK(iptables_removal(saved, "wg0") ==
          "*filter\n-D FORWARD " + m + " -j WGKIT-FWD-wg0\n-F WGKIT-FWD-wg0\n-X WGKIT-FWD-wg0\nCOMMIT\n"
          "*nat\n-D POSTROUTING -s 10.0.0.0/24 ! -o wg0 " + m + " -j MASQUERADE\nCOMMIT\n");
}

TEST_CASE("sysctl and nft_insert records round-trip") {
    for (const char* line : {"sysctl net.ipv4.ip_forward 0", "sysctl net.ipv6.conf.all.forwarding 1",
                             "nft_insert 10 wgkit-forward-wg0"}) {
        std::optional<Record> r = Record::parse(line);
        REQUIRE(r);
        CHECK(r->serialize() == line);
    }
    CHECK_FALSE(Record::parse("sysctl net.ipv4.ip_forward"));
}
