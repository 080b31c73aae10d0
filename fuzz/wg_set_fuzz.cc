// SPDX-License-Identifier: MIT
// `wg set`'s option parser (wg/set_args.cc) on argument lists cut from the input at NUL
// bytes. The value after private-key or preshared-key names a file that the parser reads; so
// that the fuzzer never opens paths of its choosing (a FIFO or /dev/stdin would block), each
// such value becomes the contents of an in-memory file whose /proc/self/fd path replaces it.
// A device that parses is encoded as a UAPI set request.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <wgkit/config.h>
#include <wgkit/error.h>

#include "../wg/set_args.h"
#include "fuzz_common.h"
#include "../lib/wireguard/uapi_codec.h"

using wgkit_fuzz::check;

namespace {

constexpr std::size_t kMaxTokens = 64;

/// Closes the in-memory key files when the run ends.
struct Fds {
    std::vector<int> fds;
    ~Fds()
    {
        for (int fd : fds)
            close(fd);
    }
};

/// `contents` as a file: its path, or "" when memfd_create fails.
std::string memory_file(std::string_view contents, Fds& fds)
{
    int fd = memfd_create("wgkit-fuzz-key", MFD_CLOEXEC);
    if (fd < 0)
        return "";
    fds.fds.push_back(fd);
    if (write(fd, contents.data(), contents.size()) != static_cast<ssize_t>(contents.size()))
        return "";
    return "/proc/self/fd/" + std::to_string(fd);
}

} // namespace

void wgkit_fuzz::wg_set_input(const std::uint8_t* data, std::size_t size)
{
    std::string_view text = wgkit_fuzz::as_text(data, size);
    std::vector<std::string> tokens;
    while (tokens.size() < kMaxTokens) {
        std::size_t nul = text.find('\0');
        tokens.emplace_back(text.substr(0, nul));
        if (nul == std::string_view::npos)
            break;
        text.remove_prefix(nul + 1);
    }
    if (size == 0)
        tokens.clear();

    // Left to right, so a value rewritten here is never itself taken for an option.
    Fds fds;
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
        if (tokens[i] == "private-key" || tokens[i] == "preshared-key")
            tokens[i + 1] = memory_file(tokens[i + 1], fds);
    }

    std::vector<char*> argv;
    for (std::string& token : tokens)
        argv.push_back(token.data());
    wgkit::Device device;
    try {
        wg::parse_arguments(argv, device, [](const std::string& message) {
            check(message.starts_with("Warning: ") || message.find("Trying again") != std::string::npos,
                  "a parser warning is a warning");
        });
    } catch (const wg::InvalidArgument& e) {
        check(e.token != nullptr, "an invalid argument names its token");
        return;
    } catch (const wgkit::Error& e) {
        check(e.what()[0] != '\0', "an error has a message");
        return;
    }
    wgkit::uapi::SecretString request = wgkit::uapi::encode_set(device);
    check(request.starts_with("set=1\n"), "a set request starts with set=1");
}

WGKIT_FUZZ_TARGET(wg_set_input)
