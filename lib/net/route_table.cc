// SPDX-License-Identifier: MIT
// Routing table names, resolved as iproute2 6.1 does (rt_tables and rt_tables.d/*.conf).
#include <dirent.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <wgkit/net.h>

namespace wgkit::net {
namespace {

constexpr std::uint32_t table_max = 0xffffffffu;

std::optional<std::uint32_t> parse_number(const std::string& text) {
    if (text.empty())
        return std::nullopt;
    char* end = nullptr;
    unsigned long long v = std::strtoull(text.c_str(), &end, 0);
    if (!end || end == text.c_str() || *end || v > table_max || text[0] == '-')
        return std::nullopt;
    return static_cast<std::uint32_t>(v);
}

std::optional<std::uint32_t> lookup_file(const std::string& path, std::string_view name) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line[start] == '#')
            continue;
        std::istringstream fields(line.substr(start));
        std::string number, label;
        if (!(fields >> number >> label) || label != name)
            continue;
        if (std::optional<std::uint32_t> id = parse_number(number))
            return id;
    }
    return std::nullopt;
}

} // namespace

std::optional<std::uint32_t> route_table_id(std::string_view name) {
    if (name == "main")
        return 254;
    if (name == "local")
        return 255;
    if (name == "default")
        return 253;
    if (std::optional<std::uint32_t> id = lookup_file("/etc/iproute2/rt_tables", name))
        return id;
    const char* dir_path = "/etc/iproute2/rt_tables.d";
    if (DIR* dir = opendir(dir_path)) {
        std::optional<std::uint32_t> found;
        while (dirent* e = readdir(dir)) {
            std::string file = e->d_name;
            if (file.size() > 5 && file.ends_with(".conf") && !found)
                found = lookup_file(std::string(dir_path) + "/" + file, name);
        }
        closedir(dir);
        if (found)
            return found;
    }
    return parse_number(std::string(name));
}

} // namespace wgkit::net
