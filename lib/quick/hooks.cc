// SPDX-License-Identifier: MIT
#include "hooks.h"

#include <sys/wait.h>

#include <wgkit/error.h>
#include <wgkit/net.h>

namespace wgkit::quick {

std::string expand_hook(const std::string& hook, const std::string& interface) {
    std::string out;
    for (std::size_t i = 0; i < hook.size(); ++i) {
        if (hook[i] == '%' && i + 1 < hook.size() && hook[i + 1] == 'i') {
            out += interface;
            ++i;
        } else {
            out += hook[i];
        }
    }
    return out;
}

void run_hook(const std::string& command) {
    // The original evals hooks in a subshell of itself, which inherits its `set -e -o
    // pipefail` and `shopt -s extglob`: "false; true" fails there, and must here.
    int status = net::run_program({"bash", "-e", "-o", "pipefail", "-O", "extglob", "-c", command});
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error("");
}

} // namespace wgkit::quick
