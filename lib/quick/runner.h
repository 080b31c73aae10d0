// SPDX-License-Identifier: MIT
#pragma once

// Internal to lib/quick: running planned steps with a record, for up and reload.

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

private:
    void check_signal(const std::string& step);
    void save();

    std::string interface_;
    const Io& io_;
    State state_;
};

} // namespace wgkit::quick
