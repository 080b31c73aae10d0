// SPDX-License-Identifier: MIT
// Writing a key line to stdout for genkey, genpsk and pubkey.
#pragma once

#include "wgkit/key.h"

#include <cerrno>
#include <cstring>
#include <string_view>

#include <unistd.h>

namespace wg {

/// Writes the key's base64 and a newline to fd 1 with write(2), bypassing stdio so that no copy
/// of a private key stays behind in stdio's heap buffer. Returns 0 or the errno of the failure.
/// Unlike the original, which ignores a failed write and exits 0, a caller should report it:
/// `wg genkey > key` on a full disk must not leave an empty key file behind a success status.
inline int write_key_line(const wgkit::Key& key)
{
    wgkit::KeyText line = key.base64();
    const std::size_t length = line.view().size();
    line.data()[length] = '\n';
    line.set_length(length + 1);
    std::string_view rest = line.view();
    while (!rest.empty()) {
        const ssize_t n = ::write(STDOUT_FILENO, rest.data(), rest.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
}

} // namespace wg
