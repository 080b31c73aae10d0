// SPDX-License-Identifier: MIT
// The iptables fallback: there is no stable iptables library, so this runs
// iptables-restore/-save as the original does.
#include <sys/socket.h>
#include <sys/wait.h>

#include <string>

#include <wgkit/net.h>

namespace wgkit::net {

void iptables_restore(int family, std::string_view input) {
    std::string program = family == AF_INET6 ? "ip6tables-restore" : "iptables-restore";
    int status = run_program({program, "-n"}, input);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error(program + " -n failed");
}

std::string iptables_save(int family) {
    std::string program = family == AF_INET6 ? "ip6tables-save" : "iptables-save";
    std::string out;
    int status = run_program({program}, {}, &out);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error(program + " failed");
    return out;
}

} // namespace wgkit::net
