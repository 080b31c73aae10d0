// SPDX-License-Identifier: MIT
// The userspace backend: RUNSTATEDIR/wireguard/NAME.sock, spoken to in the UAPI text
// protocol (codec in uapi_codec.cc). Each operation probes the socket first and then opens a
// second connection, as wireguard-tools does.
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include <wgkit/error.h>
#include <wgkit/wireguard.h>

#include "uapi_codec.h"

namespace wgkit::uapi {
namespace {

constexpr std::string_view suffix = ".sock";

[[noreturn]] void fail(int code) { throw Error(std::strerror(code), code); }

class Fd {
public:
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    int get() const noexcept { return fd_; }

private:
    int fd_;
};

// The socket's address, or empty when `name` cannot be a UAPI interface: a '/' would leave
// the directory, and a path longer than sun_path cannot be connected to.
std::optional<sockaddr_un> socket_address(std::string_view name) {
    if (name.find('/') != std::string_view::npos)
        return std::nullopt;
    std::string path = socket_dir() + "/" + std::string(name) + std::string(suffix);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path))
        return std::nullopt;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
}

// Connects to NAME.sock: -errno on failure, the fd otherwise; `*connecting` tells whether
// connect() itself was reached. A socket nobody listens on (ECONNREFUSED: its process died)
// is unlinked, the original's clean-up side effect.
int connect_socket(const sockaddr_un& addr, bool* connecting = nullptr) {
    struct stat st;
    if (::stat(addr.sun_path, &st) < 0)
        return -errno;
    if (!S_ISSOCK(st.st_mode))
        return -EBADF;
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connecting)
        *connecting = true;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) < 0) {
        int err = errno;
        ::close(fd);
        if (err == ECONNREFUSED)
            ::unlink(addr.sun_path);
        return -err;
    }
    return fd;
}

Fd open_interface(std::string_view name) {
    auto addr = socket_address(name);
    if (!addr)
        fail(EINVAL);
    int fd = connect_socket(*addr);
    if (fd < 0)
        fail(-fd);
    return Fd(fd);
}

void send_all(const Fd& fd, std::string_view data) {
    while (!data.empty()) {
        // MSG_NOSIGNAL: a server that hangs up is EPIPE for us, not a SIGPIPE for the CLI.
        ssize_t n = ::send(fd.get(), data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail(errno);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

// Yields the reply line by line. The buffer wipes itself: a get reply holds the private key.
class LineReader {
public:
    explicit LineReader(const Fd& fd) : fd_(fd), buf_(1 << 16) {}

    /// The next line without its '\n'; empty optional at end of stream (a partial last line
    /// is dropped: the caller treats a missing terminator as a protocol error).
    std::optional<std::string_view> next() {
        for (;;) {
            auto* begin = buf_.data() + start_;
            auto* nl = static_cast<char*>(std::memchr(begin, '\n', end_ - start_));
            if (nl) {
                std::string_view line(begin, static_cast<std::size_t>(nl - begin));
                start_ += line.size() + 1;
                return line;
            }
            if (!fill())
                return std::nullopt;
        }
    }

private:
    bool fill() {
        if (start_ > 0) {
            std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
            end_ -= start_;
            start_ = 0;
        }
        if (end_ == buf_.size())
            buf_.resize(buf_.size() * 2);
        for (;;) {
            ssize_t n = ::read(fd_.get(), buf_.data() + end_, buf_.size() - end_);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                fail(errno);
            end_ += static_cast<std::size_t>(n);
            return n > 0;
        }
    }

    const Fd& fd_;
    std::vector<char, WipingAllocator<char>> buf_;
    std::size_t start_ = 0;
    std::size_t end_ = 0;
};

template <class Parser>
void read_reply(const Fd& fd, Parser& parser) {
    LineReader reader(fd);
    while (auto line = reader.next()) {
        if (parser.feed(*line))
            return;
    }
    fail(EPROTO); // the connection ended before the reply's empty line
}

} // namespace

std::string socket_dir() {
    // Extension: WGKIT_RUNSTATEDIR replaces the build's runstatedir, so tests can run fake
    // UAPI servers without touching the directory every wireguard-go shares. secure_getenv:
    // a setuid wrapper must not be pointed at another directory.
    const char* dir = ::secure_getenv("WGKIT_RUNSTATEDIR");
    return std::string(dir && *dir ? dir : WGKIT_RUNSTATEDIR) + "/wireguard";
}

bool has_interface(std::string_view name) {
    auto addr = socket_address(name);
    if (!addr)
        return false;
    bool connecting = false;
    int fd = connect_socket(*addr, &connecting);
    if (fd >= 0) {
        ::close(fd);
        return true;
    }
    // As the original: a connect() error other than ECONNREFUSED (EACCES, EAGAIN) still
    // claims the name for UAPI, so the operation reports it instead of trying the kernel.
    return connecting && fd != -ECONNREFUSED;
}

std::vector<std::string> list_interfaces() {
    std::vector<std::string> names;
    struct CloseDir {
        void operator()(DIR* d) const noexcept { ::closedir(d); }
    };
    std::unique_ptr<DIR, CloseDir> dir(::opendir(socket_dir().c_str()));
    if (!dir) {
        if (errno == ENOENT)
            return names;
        fail(errno);
    }
    while (const dirent* entry = ::readdir(dir.get())) {
        std::string_view file = entry->d_name;
        if (file.size() <= suffix.size() || !file.ends_with(suffix))
            continue;
        std::string name(file.substr(0, file.size() - suffix.size()));
        if (has_interface(name))
            names.push_back(std::move(name));
    }
    return names;
}

Device get_device(std::string_view name) {
    Fd fd = open_interface(name);
    send_all(fd, "get=1\n\n");
    GetReplyParser parser;
    read_reply(fd, parser);
    Device device = parser.take();
    device.name = std::string(name);
    return device;
}

/// Each peer goes to the visitor as soon as the next one starts, as the kernel backend's
/// dump does, so memory does not grow with the peer count. The text protocol has no
/// restarts. A reply that fails late (a malformed line, errno=N) throws after some peers
/// were visited; the printers hold their text until the read ends, as for the kernel.
void read_device(std::string_view name, DeviceVisitor& visitor) {
    Fd fd = open_interface(name);
    send_all(fd, "get=1\n\n");
    bool announced = false;
    GetReplyParser parser([&](const Device& fields, Peer&& peer) {
        if (!announced) {
            Device named = fields;
            named.name = std::string(name);
            visitor.on_device(named);
            announced = true;
        }
        visitor.on_peer(std::move(peer));
    });
    read_reply(fd, parser);
    if (!announced) { // a device without peers
        Device device = parser.take();
        device.name = std::string(name);
        visitor.on_device(device);
    }
}

void set_device(const Device& device) {
    Fd fd = open_interface(device.name);
    SecretString request = encode_set(device);
    // A server that fails mid-request answers errno=N and hangs up (wireguard-go: peer
    // limit, bad value), so the rest of our write fails. Its errno says why; the broken
    // pipe is reported only when there is no reply to read. (The original dies of SIGPIPE.)
    int send_error = 0;
    try {
        send_all(fd, request);
    } catch (const Error& e) {
        if (e.code() != EPIPE && e.code() != ECONNRESET)
            throw;
        send_error = e.code();
    }
    SetReplyParser parser;
    try {
        read_reply(fd, parser);
    } catch (const Error& e) {
        if (send_error && (e.code() == EPROTO || e.code() == ECONNRESET))
            fail(send_error);
        throw;
    }
    if (send_error) // a full reply, yet the request was cut short: do not call it success
        fail(send_error);
}

} // namespace wgkit::uapi
