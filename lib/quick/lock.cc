// SPDX-License-Identifier: MIT
// The per-interface lock of up and down: fail fast instead of waiting, so a stuck hook in one
// wg-quick never hangs another, and the loser of a race has changed nothing when it reports.
#include "lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include <wgkit/error.h>

#include "state.h"

namespace wgkit::quick {

InterfaceLock::InterfaceLock(const std::string& interface, bool take) {
    if (!take)
        return;
    // The file stays after unlock: deleting it would let a third process lock a new inode
    // while a second still waits on the old one.
    std::string path = state_lock_path(interface);
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0)
        throw_errno("Could not open " + path, errno);
    if (flock(fd_, LOCK_EX | LOCK_NB) == 0)
        return;
    int err = errno;
    close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
        throw Error("`" + interface + "' is busy: another wg-quick is bringing it up or down");
    throw_errno("Could not lock " + path, err);
}

InterfaceLock::~InterfaceLock() {
    if (fd_ >= 0)
        close(fd_);
}

} // namespace wgkit::quick
