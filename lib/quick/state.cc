// SPDX-License-Identifier: MIT
// The state record: what `up` actually did, so `down` can undo exactly that.
#include "state.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace wgkit::quick {
namespace {

constexpr std::string_view header = "wgkit-quick 1";

void make_dirs(const std::string& path) {
    for (std::size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
        std::string part = path.substr(0, slash);
        if (mkdir(part.c_str(), 0700) < 0 && errno != EEXIST)
            throw_errno("Could not create " + part, errno);
        if (slash == std::string::npos)
            return;
    }
}

/// IF.<inode of this network namespace>: the run directory is shared by every namespace, and
/// the same name may be up in two of them at once.
std::string state_path(const std::string& interface) {
    struct stat st {};
    unsigned long long netns = stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0;
    return state_dir() + "/" + interface + "." + std::to_string(netns);
}

} // namespace

std::string state_dir() {
    if (const char* dir = std::getenv("WGKIT_QUICK_STATE_DIR"); dir && *dir)
        return dir;
    return std::string(WGKIT_RUNSTATEDIR) + "/wgkit/quick";
}

std::string Record::serialize() const {
    std::ostringstream out;
    switch (kind) {
    case Kind::link: out << "link " << name; break;
    case Kind::dns: out << "dns " << name; break;
    case Kind::nft: out << "nft " << family << ' ' << name; break;
    case Kind::iptables: out << "iptables " << family << ' ' << name; break;
    case Kind::nft_insert: out << "nft_insert " << family << ' ' << name; break;
    case Kind::sysctl: out << "sysctl " << name << ' ' << value; break;
    case Kind::forward: out << "forward " << name; break;
    case Kind::rule:
        out << "rule " << rule.family << ' ' << rule.table << ' ' << rule.priority;
        if (rule.not_fwmark)
            out << " not_fwmark " << *rule.not_fwmark;
        if (rule.suppress_prefix)
            out << " suppress " << unsigned(*rule.suppress_prefix);
        break;
    }
    return out.str();
}

std::optional<Record> Record::parse(std::string_view line) {
    std::istringstream in{std::string(line)};
    std::string kind;
    Record r;
    if (!(in >> kind))
        return std::nullopt;
    if (kind == "link" || kind == "dns" || kind == "forward") {
        r.kind = kind == "link" ? Kind::link : kind == "dns" ? Kind::dns : Kind::forward;
        if (!(in >> r.name))
            return std::nullopt;
    } else if (kind == "nft" || kind == "iptables") {
        r.kind = kind == "nft" ? Kind::nft : Kind::iptables;
        if (!(in >> r.family >> r.name))
            return std::nullopt;
    } else if (kind == "nft_insert" || kind == "sysctl") { // IPForward/IPMasquerade (forward.cc)
        r.kind = kind == "sysctl" ? Kind::sysctl : Kind::nft_insert;
        if (!(kind == "sysctl" ? bool(in >> r.name >> r.value) : bool(in >> r.family >> r.name)))
            return std::nullopt;
    } else if (kind == "rule") {
        r.kind = Kind::rule;
        std::string what;
        std::uint32_t value = 0;
        if (!(in >> r.rule.family >> r.rule.table >> r.rule.priority >> what >> value))
            return std::nullopt;
        if (what == "not_fwmark")
            r.rule.not_fwmark = value;
        else if (what == "suppress")
            r.rule.suppress_prefix = static_cast<std::uint8_t>(value);
        else
            return std::nullopt;
    } else {
        return std::nullopt;
    }
    return r;
}

void state_write(const std::string& interface, const State& state) {
    make_dirs(state_dir());
    std::string text = std::string(header) + " ifindex " + std::to_string(state.ifindex) + "\n";
    for (const Record& r : state.records)
        text += r.serialize() + "\n";
    std::string path = state_path(interface), tmp = path + ".tmp";
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        throw_errno("Could not write " + tmp, errno);
    bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
    int err = errno;
    close(fd);
    if (!ok || rename(tmp.c_str(), path.c_str()) < 0) {
        err = ok ? errno : err;
        unlink(tmp.c_str());
        throw_errno("Could not write " + path, err);
    }
}

std::optional<State> state_read(const std::string& interface) {
    std::ifstream in(state_path(interface));
    std::string line;
    if (!in || !std::getline(in, line) || !line.starts_with(header))
        return std::nullopt;
    State state;
    std::istringstream head(line.substr(header.size()));
    std::string word;
    if (!(head >> word >> state.ifindex) || word != "ifindex")
        return std::nullopt;
    while (std::getline(in, line)) {
        std::optional<Record> r = Record::parse(line);
        if (!r)
            return std::nullopt;
        state.records.push_back(*r);
    }
    return state;
}

bool has_record(std::string_view interface) {
    return state_read(std::string(interface)).has_value();
}

void state_remove(const std::string& interface) { unlink(state_path(interface).c_str()); }

std::string state_lock_path(const std::string& interface) {
    std::string dir = state_dir() + "/locks";
    make_dirs(dir);
    return dir + state_path(interface).substr(state_dir().size());
}

} // namespace wgkit::quick
