// SPDX-License-Identifier: MIT
#include "userspace.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>
#include <string>
#include <thread>

#include <wgkit/error.h>
#include <wgkit/net.h>
#include <wgkit/wireguard.h>

namespace wgkit::quick {
namespace {

std::string socket_path(const std::string& interface) {
    return uapi::socket_dir() + "/" + interface + ".sock";
}

bool exists(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0;
}

/// Polls `done` every 10 ms for up to `limit`.
template <typename F>
bool wait_until(F done, std::chrono::milliseconds limit) {
    for (auto start = std::chrono::steady_clock::now(); !done();) {
        if (std::chrono::steady_clock::now() - start > limit)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

/// The inode of the listening unix socket bound to `path` (from /proc/net/unix, which lists
/// the sockets of this network namespace), 0 when there is none.
unsigned long socket_inode(const std::string& path) {
    std::ifstream in("/proc/net/unix");
    std::string line;
    std::getline(in, line); // header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string slot, refs, protocol, flags, type, state, inode, name;
        if (fields >> slot >> refs >> protocol >> flags >> type >> state >> inode >> name && name == path)
            return std::stoul(inode);
    }
    return 0;
}

/// The processes holding socket `inode` open. SO_PEERCRED would name the process that
/// called listen(), which for wireguard-go is the parent that has already exited.
std::vector<pid_t> socket_holders(unsigned long inode) {
    std::vector<pid_t> pids;
    std::string wanted = "socket:[" + std::to_string(inode) + "]";
    for (const auto& proc : std::filesystem::directory_iterator("/proc")) {
        std::string pid = proc.path().filename();
        if (pid.find_first_not_of("0123456789") != std::string::npos)
            continue;
        std::error_code ec;
        for (const auto& fd : std::filesystem::directory_iterator(proc.path() / "fd", ec)) {
            std::error_code link_ec;
            if (std::filesystem::read_symlink(fd.path(), link_ec).string() == wanted) {
                pids.push_back(std::stoi(pid));
                break;
            }
        }
    }
    return pids;
}

bool accepts_connection(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return true; // cannot tell: keep the file
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    bool refused = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0 && errno == ECONNREFUSED;
    close(fd);
    return !refused;
}

bool same_network_namespace(pid_t pid) {
    struct stat mine {}, theirs {};
    std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
    return stat("/proc/self/ns/net", &mine) == 0 && stat(path.c_str(), &theirs) == 0 &&
           mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev;
}

} // namespace

void wait_for_socket(const std::string& interface) {
    std::string sock = socket_path(interface);
    if (!wait_until([&] { return exists(sock); }, std::chrono::seconds(5)))
        throw Error("Timed out waiting for " + sock);
}

void reap_userspace(const std::string& interface) {
    std::string sock = socket_path(interface);
    if (!exists(sock) || net::link_index(interface))
        return;
    if (wait_until([&] { return !exists(sock); }, std::chrono::seconds(2)))
        return;
    unsigned long inode = socket_inode(sock);
    if (!inode) {
        // Not served from this namespace. If nobody at all answers, the file is stale and
        // `wg show` would delete it too (reference §7.10); a listener elsewhere keeps it.
        if (!accepts_connection(sock))
            unlink(sock.c_str());
        return;
    }
    for (pid_t pid : socket_holders(inode))
        if (pid != getpid() && same_network_namespace(pid))
            kill(pid, SIGTERM);
    wait_until([&] { return !exists(sock); }, std::chrono::seconds(2));
}

} // namespace wgkit::quick
