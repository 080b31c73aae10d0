// SPDX-License-Identifier: MIT
// Running the plan: each step is narrated, run and recorded before the next; any failure or
// SIGINT/SIGTERM undoes what the record holds, in reverse, and `up` fails naming the step.
#include <sys/socket.h>

#include <algorithm>
#include <csignal>
#include <cstring>

#include <wgkit/quick.h>
#include <wgkit/wireguard.h>

#include "firewall_rules.h"
#include "state.h"
#include "undo.h"

namespace wgkit::quick {
namespace {

/// Thrown by a runner when it stops; carries the step it stopped at.
struct Stopped {
    std::string step;
    std::string reason; ///< the step's own error text, or "" (it already spoke)
    int signal = 0;
};

class Runner {
public:
    Runner(const QuickFile& file, const Io& io) : file_(file), io_(io) {}

    void run(const std::vector<Step>& steps) {
        for (const Step& step : steps) {
            check_signal(step.transcript);
            io_.narrate("[#] " + step.transcript);
            StepContext ctx{io_, state_.records};
            try {
                step.action(ctx);
            } catch (const std::exception& e) {
                save();
                throw Stopped{step.transcript, e.what(), net::interrupted()};
            }
            save();
            check_signal(step.transcript);
        }
    }

    void check_signal(const std::string& step) {
        if (int sig = net::interrupted())
            throw Stopped{step, "", sig};
    }

    State& state() { return state_; }

private:
    void save() {
        state_.ifindex = net::link_index(file_.interface);
        state_write(file_.interface, state_);
    }

    const QuickFile& file_;
    const Io& io_;
    State state_;
};

} // namespace

void up(const QuickFile& file, const Io& io) {
    if (net::link_index(file.interface))
        throw Error("`" + file.interface + "' already exists");
    net::catch_interrupts();
    Runner runner(file, io);
    try {
        runner.run(plan_link_and_config(file));
        runner.run(plan_addresses_mtu_dns(file, gather_facts(file, false)));
        runner.run(plan_routes_and_post_up(file, gather_facts(file, true)));
        return;
    } catch (const Stopped& stop) {
        if (!stop.reason.empty())
            io.narrate(stop.reason);
        undo_records(runner.state().records, UndoOrder::rollback, io);
        state_remove(file.interface);
        if (stop.signal)
            throw Error(std::string("Interrupted by SIG") + sigabbrev_np(stop.signal) +
                        " during `" + stop.step + "'; everything done was undone");
        throw Error("`" + stop.step + "' failed; everything done was undone");
    } catch (const std::exception& e) {
        // A fact could not be read between phases.
        io.narrate(e.what());
        undo_records(runner.state().records, UndoOrder::rollback, io);
        state_remove(file.interface);
        throw Error("Could not bring up `" + file.interface + "'; everything done was undone");
    }
}

} // namespace wgkit::quick
