// SPDX-License-Identifier: MIT
// `wg pubkey`: reads a base64 private key from stdin, writes its public key.
// Input is read with read(2), not stdio, so the private key lives only in a self-wiping KeyText.
#include "commands.h"
#include "key_io.h"

#include "wgkit/error.h"
#include "wgkit/key.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include <unistd.h>

namespace wg {

namespace {

constexpr std::size_t base64_length = 44;

/// Reads up to `size` bytes, stopping early only at end of file or on an error.
std::size_t read_fully(char* buf, std::size_t size)
{
    std::size_t got = 0;
    while (got < size) {
        const ssize_t n = ::read(STDIN_FILENO, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += static_cast<std::size_t>(n);
    }
    return got;
}

/// True when everything after the key is whitespace (9-13, 32) or NUL, up to end of file.
/// A read error ends the input like end of file, as getc() does in the original.
bool only_blank_follows()
{
    char chunk[512];
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return true;
        for (ssize_t i = 0; i < n; ++i) {
            const unsigned char c = static_cast<unsigned char>(chunk[i]);
            if (c != 0 && c != ' ' && !(c >= 9 && c <= 13))
                return false;
        }
    }
}

} // namespace

int pubkey_main(int argc, char* argv[])
{
    if (argc != 1) {
        std::fprintf(stderr, "Usage: %s %s\n", PROG_NAME, argv[0]);
        return 1;
    }

    wgkit::KeyText text;
    text.set_length(read_fully(text.data(), base64_length));
    if (text.view().size() != base64_length) {
        std::fprintf(stderr, "%s: Key is not the correct length or format\n", PROG_NAME);
        return 1;
    }
    // The original checks what follows before it decodes, so garbage after a bad key reports
    // trailing characters; keep that order.
    if (!only_blank_follows()) {
        std::fprintf(stderr, "%s: Trailing characters found after key\n", PROG_NAME);
        return 1;
    }
    const std::optional<wgkit::Key> private_key = wgkit::Key::from_base64(text.view());
    if (!private_key) {
        std::fprintf(stderr, "%s: Key is not the correct length or format\n", PROG_NAME);
        return 1;
    }
    try {
        if (const int err = write_key_line(private_key->public_key())) {
            std::fprintf(stderr, "Unable to write key: %s\n", std::strerror(err));
            return 1;
        }
    } catch (const wgkit::Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}

} // namespace wg
