// SPDX-License-Identifier: MIT
// The kernel backend's knobs and counters, for tests and measurements (not installed).
#pragma once

#include <cstddef>
#include <string_view>

#include <wgkit/device.h>

#include "genl_codec.h"

namespace wgkit::genl {

struct SetOptions {
    /// Capacity of each SET_DEVICE message. The default is the largest the kernel can read;
    /// the original's is 4096 (min(page size, 8192)).
    std::size_t message_size = kDefaultSetMessageSize;
};

struct TransferStats {
    std::size_t messages = 0; ///< requests sent (set) or reply messages read (get)
    std::size_t bytes = 0;    ///< their total size
    std::size_t receive_calls = 0;
    std::size_t restarts = 0; ///< gets started again after NLM_F_DUMP_INTR
};

/// genl::set_device with explicit options; fills `stats` when given.
void set_device(const Device& device, const SetOptions& options, TransferStats* stats);

/// genl::get_device, streaming: the device fields are returned, and each peer (fragments
/// merged) goes to `sink` as soon as it is complete. When the kernel reports that the device
/// changed during the dump, `on_restart` is called and the dump starts over from the first
/// peer. Fills `stats` when given.
Device read_device(std::string_view name, const DeviceDumpParser::PeerSink& sink,
                   const std::function<void()>& on_restart, TransferStats* stats);

} // namespace wgkit::genl
