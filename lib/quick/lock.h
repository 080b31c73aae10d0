// SPDX-License-Identifier: MIT
#pragma once

// Internal to lib/quick: one wg-quick at a time changes an interface (issue 10). Two `up`s of
// the same interface at once would both pass the "already exists" check, and the loser's
// rollback would then remove the winner's state record (or its link).

#include <string>

namespace wgkit::quick {

/// An exclusive flock on state_dir()/locks/IF.NETNS, held for the object's lifetime. The fd is
/// close-on-exec, so hooks and wireguard-go never inherit (and so never prolong) the lock.
class InterfaceLock {
public:
    /// Takes the lock at once or throws Error saying another wg-quick holds it; with
    /// take == false (a dry run, which changes nothing) it does nothing.
    explicit InterfaceLock(const std::string& interface, bool take = true);
    ~InterfaceLock();
    InterfaceLock(const InterfaceLock&) = delete;
    InterfaceLock& operator=(const InterfaceLock&) = delete;

private:
    int fd_ = -1;
};

} // namespace wgkit::quick
