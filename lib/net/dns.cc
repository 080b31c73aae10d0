// SPDX-License-Identifier: MIT
// DNS through the resolvconf program, as the original (no built-in fallback).
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>
#include <regex>
#include <string>

#include <wgkit/net.h>

namespace wgkit::net {
namespace {

void run_resolvconf(const std::vector<std::string>& argv, std::string_view input) {
    int status = run_program(argv, input);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string line;
        for (const std::string& a : argv)
            line += (line.empty() ? "" : " ") + a;
        throw Error(line + " failed");
    }
}

} // namespace

std::string resolvconf_prefix() {
    std::ifstream order("/etc/resolvconf/interface-order");
    if (!order)
        return "";
    // Since v1.0.20260223 a symlinked resolvconf (systemd's resolvectl, openresolv
    // alternatives) gets no prefix.
    std::string program = find_in_path("resolvconf");
    struct stat st {};
    if (!program.empty() && lstat(program.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
        return "";
    static const std::regex pattern("^([A-Za-z0-9-]+)\\*$");
    std::string line;
    std::smatch m;
    while (std::getline(order, line))
        if (std::regex_match(line, m, pattern))
            return m[1].str() + ".";
    return "";
}

void resolvconf_add(std::string_view name, std::string_view input) {
    run_resolvconf({"resolvconf", "-a", std::string(name), "-m", "0", "-x"}, input);
}

void resolvconf_delete(std::string_view name) {
    run_resolvconf({"resolvconf", "-d", std::string(name), "-f"}, {});
}

std::string resolvconf_list(std::string_view name) {
    std::string out;
    try {
        int status = run_program({"resolvconf", "-l", std::string(name)}, {}, &out);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return "";
    } catch (const Error&) {
        return "";
    }
    return out;
}

} // namespace wgkit::net
