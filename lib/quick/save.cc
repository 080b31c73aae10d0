// SPDX-License-Identifier: MIT
// `save`: the running configuration written back over the config file (reference §4.8).
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <regex>
#include <sstream>

#include <wgkit/config.h>
#include <wgkit/quick.h>
#include <wgkit/wireguard.h>

namespace wgkit::quick {

void require_wireguard_interface(const std::string& interface); // down.cc

namespace {

/// DNS = lines from `resolvconf -l NAME`, else from resolvconf's run file. Search domains
/// are lost, as in the original (reference §7.11).
std::string dns_lines(const std::string& interface) {
    std::string name = net::resolvconf_prefix() + interface;
    std::string listing = net::resolvconf_list(name);
    if (listing.empty()) {
        std::ifstream in("/etc/resolvconf/run/interface/" + name);
        std::ostringstream text;
        text << in.rdbuf();
        listing = text.str();
    }
    static const std::regex nameserver("^nameserver ([a-zA-Z0-9_=+:%.-]+)$");
    std::istringstream in(listing);
    std::string line, out;
    std::smatch m;
    while (std::getline(in, line)) {
        std::size_t a = line.find_first_not_of(" \t"), b = line.find_last_not_of(" \t");
        line = a == std::string::npos ? "" : line.substr(a, b - a + 1);
        if (std::regex_match(line, m, nameserver))
            out += "DNS = " + m[1].str() + "\n";
    }
    return out;
}

std::string interface_section(const QuickFile& file) {
    std::string out = "[Interface]\n";
    for (int family : {AF_INET, AF_INET6})
        for (const net::Prefix& p : net::address_list(file.interface, family))
            out += "Address = " + p.to_string() + "\n";
    out += dns_lines(file.interface);
    if (!file.mtu.empty())
        out += "MTU = " + std::to_string(net::link_mtu(net::link_index(file.interface))) + "\n";
    if (!file.table.empty())
        out += "Table = " + file.table + "\n";
    if (!file.ip_forward.empty())
        out += "IPForward = " + file.ip_forward + "\n";
    if (!file.ip_masquerade.empty())
        out += "IPMasquerade = " + file.ip_masquerade + "\n";
    if (file.save_config)
        out += "SaveConfig = true\n";
    for (const std::string& h : file.pre_up)
        out += "PreUp = " + h + "\n";
    for (const std::string& h : file.post_up)
        out += "PostUp = " + h + "\n";
    for (const std::string& h : file.pre_down)
        out += "PreDown = " + h + "\n";
    for (const std::string& h : file.post_down)
        out += "PostDown = " + h + "\n";
    return out;
}

void write_atomically(const std::string& path, const std::string& text) {
    std::string tmp = path + ".tmp";
    // A fresh file, never one left over (which keeps its mode, maybe world-readable) nor a
    // symlink planted there: the keys go into a file that is 0600 from its first byte.
    unlink(tmp.c_str());
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        throw_errno("Could not write configuration file " + path, errno);
    std::size_t done = 0;
    ssize_t n = 0;
    while (done < text.size() && (n = write(fd, text.data() + done, text.size() - done)) > 0)
        done += static_cast<std::size_t>(n);
    int err = done < text.size() ? (n < 0 ? errno : EIO) : fsync(fd) < 0 ? errno : 0;
    close(fd);
    if (err) {
        // a full disk ends here: the config file itself was never touched
        unlink(tmp.c_str());
        throw_errno("Could not write configuration file " + path, err);
    }
    if (rename(tmp.c_str(), path.c_str()) < 0) {
        err = errno;
        unlink(tmp.c_str());
        throw_errno("Could not move configuration file " + path, err);
    }
}

} // namespace

void save(const QuickFile& file, const Io& io) {
    require_wireguard_interface(file.interface);
    std::string header = interface_section(file);
    io.narrate("[#] wg showconf " + file.interface);
    std::string current = format_config(get_device(file.interface));
    // "$(wg showconf)" drops trailing newlines; echo adds one back.
    while (!current.empty() && current.back() == '\n')
        current.pop_back();
    if (std::size_t at = current.find("[Interface]\n"); at != std::string::npos)
        current.replace(at, 12, header);
    write_atomically(file.path, current + "\n");
}

} // namespace wgkit::quick
