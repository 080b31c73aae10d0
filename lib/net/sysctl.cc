// SPDX-License-Identifier: MIT
// sysctl through /proc/sys, as `sysctl -n KEY` and `sysctl -q KEY=VALUE` do.
#include <cerrno>
#include <fstream>
#include <string>

#include <wgkit/net.h>

namespace wgkit::net {
namespace {

std::string proc_path(std::string_view key) {
    std::string path = "/proc/sys/";
    for (char c : key)
        path += c == '.' ? '/' : c;
    return path;
}

} // namespace

std::string sysctl_read(std::string_view key) {
    std::ifstream in(proc_path(key));
    std::string value;
    if (!in || !std::getline(in, value))
        throw Error("sysctl: cannot stat " + proc_path(key) + ": No such file or directory", ENOENT);
    return value;
}

void sysctl_write(std::string_view key, std::string_view value) {
    std::ofstream out(proc_path(key));
    if (out)
        out << value << '\n';
    out.flush();
    if (!out)
        throw Error("sysctl: permission denied on key \"" + std::string(key) + "\"", EACCES);
}

} // namespace wgkit::net
