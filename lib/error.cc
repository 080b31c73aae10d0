// SPDX-License-Identifier: MIT
#include "wgkit/error.h"

#include <cstring>

namespace wgkit {

void throw_errno(const std::string& prefix, int code)
{
    // strerror, not strerror_r: the message text is what the original prints via perror and
    // the wording is the C library's; concurrent use is not a concern in these single-threaded CLIs.
    throw Error(prefix + ": " + std::strerror(code), code);
}

} // namespace wgkit
