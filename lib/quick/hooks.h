// SPDX-License-Identifier: MIT
#pragma once

// Internal to lib/quick: PreUp/PostUp/PreDown/PostDown.

#include <string>

namespace wgkit::quick {

/// Replaces every "%i" with the interface name (no escape, as the original).
std::string expand_hook(const std::string& hook, const std::string& interface);

/// Runs a hook with `bash -e -o pipefail -O extglob -c`. The original evals it in a subshell
/// of wg-quick itself, so its hooks also see wg-quick's shell variables (reference §7.14);
/// ours see only the environment (LC_ALL=C, as the original exports). Throws
/// Error (with an empty message: bash already said why) when it exits non-zero.
void run_hook(const std::string& command);

} // namespace wgkit::quick
