// SPDX-License-Identifier: MIT
// The firewall rules of wg-quick's add_default and remove_firewall, as text. The words match
// the original's byte for byte (trailing spaces included) so both tools leave the same rules.
#include "firewall_rules.h"

#include <sys/socket.h>

#include <sstream>

namespace wgkit::quick {

std::string nft_script(int family, const std::string& interface, std::uint32_t table,
                       const std::vector<net::Prefix>& addresses) {
    std::string pf = family == AF_INET6 ? "ip6" : "ip";
    std::string t = pf + " wg-quick-" + interface;
    std::string out;
    out += "add table " + t + "\n";
    out += "add chain " + t + " preraw { type filter hook prerouting priority -300; }\n";
    out += "add chain " + t + " premangle { type filter hook prerouting priority -150; }\n";
    out += "add chain " + t + " postmangle { type filter hook postrouting priority -150; }\n";
    for (const net::Prefix& a : addresses)
        out += "add rule " + t + " preraw iifname != \"" + interface + "\" " + pf + " daddr " +
               a.address_string() + " fib saddr type != local drop\n";
    out += "add rule " + t + " postmangle meta l4proto udp mark " + std::to_string(table) +
           " ct mark set mark \n";
    out += "add rule " + t + " premangle meta l4proto udp meta mark set ct mark \n";
    return out;
}

std::string iptables_script(const std::string& interface, std::uint32_t table,
                            const std::vector<net::Prefix>& addresses) {
    std::string marker = "-m comment --comment \"wg-quick(8) rule for " + interface + "\"";
    std::string out = "*raw\n";
    for (const net::Prefix& a : addresses)
        out += "-I PREROUTING ! -i " + interface + " -d " + a.address_string() +
               " -m addrtype ! --src-type LOCAL -j DROP " + marker + "\n";
    out += "COMMIT\n*mangle\n";
    out += "-I POSTROUTING -m mark --mark " + std::to_string(table) +
           " -p udp -j CONNMARK --save-mark " + marker + "\n";
    out += "-I PREROUTING -p udp -j CONNMARK --restore-mark " + marker + "\n";
    out += "COMMIT\n";
    return out;
}

std::string iptables_removal(const std::string& saved, const std::string& interface) {
    std::string marker = "-m comment --comment \"wg-quick(8) rule for " + interface + "\"";
    // IPForward's chain (forward.cc) in this table: emptied and deleted once its jump is gone.
    std::string chain = "WGKIT-FWD-" + interface;
    std::istringstream in(saved);
    std::string line, out;
    bool found = false, has_chain = false;
    while (std::getline(in, line)) {
        // `read -r` trims surrounding whitespace before the patterns are tested.
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t'))
            line.pop_back();
        if (line.starts_with(":" + chain + " "))
            found = has_chain = true;
        if (line == "COMMIT" && has_chain) {
            out += "-F " + chain + "\n-X " + chain + "\n";
            has_chain = false;
        }
        bool ours = line.starts_with("-A ") && line.find(marker, 3) != std::string::npos;
        if (!(line.starts_with('*') || line == "COMMIT" || ours))
            continue;
        if (ours) {
            found = true;
            line.replace(0, 2, "-D");
        }
        out += line + "\n";
    }
    return found ? out : "";
}

} // namespace wgkit::quick
