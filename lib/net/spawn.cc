// SPDX-License-Identifier: MIT
// The programs wg-quick still runs, as the original does: hooks (bash), resolvconf,
// iptables-restore and the userspace implementation. Signals are noted, not acted on, so
// the caller can undo what it did before exiting.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

#include <wgkit/net.h>

namespace wgkit::net {
namespace {

volatile std::sig_atomic_t caught_signal = 0;

void note_signal(int sig) { caught_signal = sig; }

/// Closes an fd when it goes out of scope.
class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0)
            close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

[[noreturn]] void exec_child(const std::vector<std::string>& argv, int in, int out) {
    if (in >= 0)
        dup2(in, STDIN_FILENO);
    if (out >= 0)
        dup2(out, STDOUT_FILENO);
    signal(SIGPIPE, SIG_DFL);
    std::vector<char*> args;
    for (const std::string& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    // As bash reports a missing command.
    std::string msg = argv[0] + ": " + (errno == ENOENT ? "command not found" : std::strerror(errno)) + "\n";
    [[maybe_unused]] ssize_t n = write(STDERR_FILENO, msg.data(), msg.size());
    _exit(errno == ENOENT ? 127 : 126);
}

} // namespace

void catch_interrupts() {
    struct sigaction sa {};
    sa.sa_handler = note_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; // no SA_RESTART: a blocking wait returns EINTR so we can forward it
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);
}

int interrupted() { return caught_signal; }

std::string find_in_path(std::string_view program) {
    if (program.find('/') != std::string_view::npos)
        return access(std::string(program).c_str(), X_OK) == 0 ? std::string(program) : "";
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    while (true) {
        std::size_t colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        std::string candidate = (dir.empty() ? "." : dir) + "/" + std::string(program);
        struct stat st {};
        if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0)
            return candidate;
        if (colon == std::string_view::npos)
            return "";
        dirs.remove_prefix(colon + 1);
    }
}

int run_program(const std::vector<std::string>& argv, std::string_view input, std::string* output) {
    int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1};
    if (pipe2(in_pipe, O_CLOEXEC) < 0)
        throw_errno("pipe", errno);
    Fd in_read(in_pipe[0]), in_write(in_pipe[1]);
    if (output && pipe2(out_pipe, O_CLOEXEC) < 0)
        throw_errno("pipe", errno);
    Fd out_read(out_pipe[0]), out_write(out_pipe[1]);

    pid_t pid = fork();
    if (pid < 0)
        throw_errno("fork", errno);
    if (pid == 0)
        exec_child(argv, in_read.get(), out_write.get());
    in_read.reset();
    out_write.reset();

    bool forwarded = false;
    auto forward = [&] {
        if (caught_signal && !forwarded) {
            kill(pid, caught_signal);
            forwarded = true;
        }
    };
    for (std::size_t off = 0; off < input.size();) {
        ssize_t n = write(in_write.get(), input.data() + off, input.size() - off);
        if (n < 0 && errno == EINTR) {
            forward();
            continue;
        }
        if (n < 0)
            break; // the child stopped reading; its status tells the rest
        off += static_cast<std::size_t>(n);
    }
    in_write.reset();
    if (output) {
        char buf[4096];
        while (true) {
            ssize_t n = read(out_read.get(), buf, sizeof(buf));
            if (n < 0 && errno == EINTR) {
                forward();
                continue;
            }
            if (n <= 0)
                break;
            output->append(buf, static_cast<std::size_t>(n));
        }
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            throw_errno("waitpid", errno);
        forward();
    }
    return status;
}

} // namespace wgkit::net
