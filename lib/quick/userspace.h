// SPDX-License-Identifier: MIT
#pragma once

// Internal to lib/quick: the userspace implementation (wireguard-go) behind a link.

#include <string>

namespace wgkit::quick {

/// Waits until the implementation's UAPI socket for `interface` exists; throws Error after 5 s.
void wait_for_socket(const std::string& interface);

/// After its link was deleted, makes sure the implementation serving `interface` is gone.
/// wireguard-go normally exits when its TUN disappears, but one whose TUN is deleted right
/// after it started can miss that and keep its socket forever; that process (found by
/// its socket's inode in /proc, and only if it lives in this network namespace) gets SIGTERM.
void reap_userspace(const std::string& interface);

} // namespace wgkit::quick
