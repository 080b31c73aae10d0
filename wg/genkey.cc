// SPDX-License-Identifier: MIT
// `wg genkey` and `wg genpsk`: a fresh private key (clamped) or preshared key (raw random bytes),
// in base64 on stdout.
#include "commands.h"
#include "key_io.h"

#include "wgkit/error.h"
#include "wgkit/key.h"

#include <cstdio>
#include <cstring>
#include <string_view>

#include <sys/stat.h>

namespace wg {

namespace {

/// Keys redirected into a file others can read are a classic leak; the original warns and
/// still writes, and so do we.
void warn_if_world_accessible()
{
    struct stat st;
    if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IRWXO))
        std::fputs("Warning: writing to world accessible file.\n"
                   "Consider setting the umask to 077 and trying again.\n",
                   stderr);
}

} // namespace

int genkey_main(int argc, char* argv[])
{
    if (argc != 1) {
        std::fprintf(stderr, "Usage: %s %s\n", PROG_NAME, argv[0]);
        return 1;
    }
    warn_if_world_accessible();

    const bool is_private = std::string_view(argv[0]) == "genkey";
    try {
        const wgkit::Key key = is_private ? wgkit::Key::generate_private() : wgkit::Key::generate_preshared();
        if (const int err = write_key_line(key)) {
            std::fprintf(stderr, "Unable to write key: %s\n", std::strerror(err));
            return 1;
        }
    } catch (const wgkit::Error& e) {
        std::fprintf(stderr, "%s\n", e.what()); // "getrandom: <strerror>"
        return 1;
    }
    return 0;
}

} // namespace wg
