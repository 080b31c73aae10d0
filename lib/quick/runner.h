// SPDX-License-Identifier: MIT
#pragma once

// Internal to lib/quick: running planned steps with a record, for up and reload.

#include <optional>
#include <string>
#include <vector>

#include <wgkit/quick.h>

#include "state.h"

namespace wgkit::quick {

/// Thrown by a runner when it stops; carries the step it stopped at.
struct Stopped {
    std::string step;
    std::string reason; ///< the step's own error text, or "" (it already spoke)
    int signal = 0;
};

/// Narrates each step, runs it and writes the record before the next; under --dry-run it
/// only narrates. Throws Stopped on a failed step or a SIGINT/SIGTERM between steps.
class Runner {
public:
    Runner(const std::string& interface, const Io& io, State state = {})
        : interface_(interface), io_(io), state_(std::move(state)) {}

    void run(const std::vector<Step>& steps);
    State& state() { return state_; }
    /// Adds a record that no step made (see forwarding_record) and writes the record.
    void record(const Record& r);
    /// Writes the record as it stands (after a change made through state()).
    void save();

private:
    void check_signal(const std::string& step);
    std::string records_text() const;

    std::string interface_;
    const Io& io_;
    State state_;
    std::optional<std::string> saved_; ///< the records as last written; none before the first write
};

/// The record of which IPForward/IPMasquerade the file asks for (families and, where
/// masquerading, the networks), or nothing when it asks for none. up writes it; reload
/// compares it with the file's, since it does not change forwarding (yet) itself.
std::optional<Record> forwarding_record(const QuickFile& file);

} // namespace wgkit::quick
