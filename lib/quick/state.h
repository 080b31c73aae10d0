// SPDX-License-Identifier: MIT
#pragma once

// Internal to lib/quick: the state record of an interface brought up by wgkit's wg-quick,
// at state_dir()/IF.NETNS (NETNS: the inode of the network namespace). One header line, then one Record per line in the order done.

#include <optional>
#include <string>
#include <vector>

#include <wgkit/quick.h>

namespace wgkit::quick {

struct State {
    unsigned ifindex = 0; ///< of the link when up finished; a record for another link is stale
    std::vector<Record> records;
};

/// Writes the record atomically (temp file, fsync, rename), mode 0600.
void state_write(const std::string& interface, const State& state);
/// The record, or nothing when absent or unreadable.
std::optional<State> state_read(const std::string& interface);
void state_remove(const std::string& interface);
/// state_dir()/locks/IF.NETNS (the directories made): the file lock.cc locks for up and down.
std::string state_lock_path(const std::string& interface);

} // namespace wgkit::quick
