// SPDX-License-Identifier: MIT
// LD_PRELOAD shim for keys_diff.py: every getrandom() fails with the errno named in
// $WGKIT_GETRANDOM_ERRNO (default ENOSYS), so the test can see genkey's `getrandom: ...` path.
#include <cerrno>
#include <cstdlib>
#include <sys/types.h>

extern "C" ssize_t getrandom(void*, size_t, unsigned int)
{
    const char* value = std::getenv("WGKIT_GETRANDOM_ERRNO");
    errno = value ? std::atoi(value) : ENOSYS;
    return -1;
}
