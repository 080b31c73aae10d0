// SPDX-License-Identifier: MIT
// Finding and reading the config file, and its wg(8) part with `wg addconf` semantics.
#include <strings.h>
#include <sys/stat.h>

#include <cctype>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include <wgkit/config.h>
#include <wgkit/quick.h>

namespace wgkit::quick {
namespace {

bool file_exists(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0;
}

unsigned mode_of(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

/// Which device fields the wg text sets in its [Interface] section, read with wg's own line
/// rules (comment from '#', all whitespace removed, case-insensitive names).
struct InterfaceKeys {
    bool private_key = false, listen_port = false, fwmark = false;
};

InterfaceKeys interface_keys(std::string_view text) {
    InterfaceKeys keys;
    bool in_interface = false;
    std::istringstream in{std::string(text)};
    std::string raw;
    while (std::getline(in, raw)) {
        std::string line;
        for (char c : raw.substr(0, raw.find('#')))
            if (!std::isspace(static_cast<unsigned char>(c)))
                line += c;
        if (line.starts_with('[')) {
            in_interface = strcasecmp(line.c_str(), "[Interface]") == 0;
            continue;
        }
        std::string key = line.substr(0, line.find('='));
        if (!in_interface || key.size() == line.size())
            continue;
        keys.private_key |= strcasecmp(key.c_str(), "PrivateKey") == 0;
        keys.listen_port |= strcasecmp(key.c_str(), "ListenPort") == 0;
        keys.fwmark |= strcasecmp(key.c_str(), "FwMark") == 0;
    }
    return keys;
}

// linux.bash's two name patterns: a bare interface name, and NAME.conf ending a path.
const std::regex bare_name("^[a-zA-Z0-9_=+.-]{1,15}$");
const std::regex conf_name("(^|/)([a-zA-Z0-9_=+.-]{1,15})\\.conf$");

} // namespace

std::optional<std::string> interface_of_argument(std::string_view argument) {
    std::string text(argument);
    std::smatch m;
    if (std::regex_match(text, bare_name))
        return text;
    if (std::regex_search(text, m, conf_name))
        return m[2].str();
    return std::nullopt;
}

ConfigLocation locate_config(std::string_view argument,
                             const std::function<void(const std::string&)>& warn) {
    std::string path(argument);
    if (std::regex_match(path, bare_name))
        path = "/etc/wireguard/" + path + ".conf";
    if (!file_exists(path))
        throw Error("`" + path + "' does not exist");
    std::smatch m;
    if (!std::regex_search(path, m, conf_name))
        throw Error("The config file must be a valid interface name, followed by .conf");
    ConfigLocation loc;
    loc.interface = m[2].str();
    char resolved[PATH_MAX];
    loc.path = realpath(path.c_str(), resolved) ? resolved : path;
    std::string dir = loc.path.substr(0, loc.path.rfind('/'));
    if ((mode_of(loc.path) & mode_of(dir.empty() ? "/" : dir) & 0007) != 0 && warn)
        warn("Warning: `" + loc.path + "' is world accessible");
    return loc;
}

QuickFile read_config(const ConfigLocation& location) {
    std::ifstream in(location.path, std::ios::binary);
    if (!in)
        throw Error("`" + location.path + "' does not exist");
    std::ostringstream text;
    text << in.rdbuf();
    QuickFile file = split_config(text.str(), location.path);
    file.interface = location.interface;
    file.path = location.path;
    return file;
}

Device passthrough_device(const QuickFile& file) {
    ParseOptions options;
    Config config = parse_config(file.wg_config, options);
    Device& device = config.device;
    // parse_config gives setconf's device: replace peers, and private key, port and fwmark
    // always present. `wg addconf` sends only what the text has, so a key set by a PreUp
    // hook (`wg set %i private-key ...`) survives (v1.0.20260223).
    InterfaceKeys keys = interface_keys(file.wg_config);
    device.name = file.interface;
    device.replace_peers = false;
    if (!keys.private_key)
        device.private_key.reset();
    if (!keys.listen_port)
        device.listen_port.reset();
    if (!keys.fwmark)
        device.fwmark.reset();
    return device;
}

} // namespace wgkit::quick
