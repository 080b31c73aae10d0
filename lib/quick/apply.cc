// SPDX-License-Identifier: MIT
// Running the plan: each step is narrated, run and recorded before the next; any failure or
// SIGINT/SIGTERM undoes what the record holds, in reverse, and `up` fails naming the step.
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include <wgkit/quick.h>
#include <wgkit/wireguard.h>

#include "lock.h"
#include "runner.h"
#include "state.h"
#include "undo.h"

namespace wgkit::quick {

void Runner::run(const std::vector<Step>& steps) {
    StepContext ctx{io_, state_.records}; // one for all the steps: they share its route socket
    for (const Step& step : steps) {
        check_signal(step.transcript);
        io_.narrate("[#] " + step.transcript);
        if (io_.dry_run)
            continue;
        try {
            step.action(ctx);
        } catch (const std::exception& e) {
            save();
            throw Stopped{step.transcript, e.what(), net::interrupted()};
        }
        // Most steps (a route through the link, MTU, a hook) add nothing to undo; rewriting
        // an unchanged record after each of them made `up` with thousands of routes spend
        // its time in fsync and rename (bench: 10,000 prefixes).
        if (records_text() != saved_)
            save();
        check_signal(step.transcript);
    }
}

void Runner::check_signal(const std::string& step) {
    if (int sig = net::interrupted())
        throw Stopped{step, "", sig};
}

void Runner::record(const Record& r) {
    state_.records.push_back(r);
    if (!io_.dry_run)
        save();
}

std::optional<Record> forwarding_record(const QuickFile& file) {
    if (file.ip_forward.empty() && file.ip_masquerade.empty())
        return std::nullopt;
    // One word (records are space-separated): "forward=V,masquerade=V[,ADDRESS...]".
    std::string word = "forward=" + (file.ip_forward.empty() ? "no" : file.ip_forward) +
                       ",masquerade=" + (file.ip_masquerade.empty() ? "no" : file.ip_masquerade);
    if (!file.ip_masquerade.empty() && file.ip_masquerade != "no")
        for (const std::string& a : file.addresses)
            word += "," + a;
    return Record{Record::Kind::forward, word, {}, 0};
}

std::string Runner::records_text() const {
    std::string text;
    for (const Record& r : state_.records)
        text += r.serialize() + "\n";
    return text;
}

void Runner::save() {
    state_.ifindex = net::link_index(interface_);
    state_write(interface_, state_);
    saved_ = records_text();
}

namespace {

/// What add_link will narrate when `ip link add` fails for want of the module: a dry run
/// cannot try, so it predicts from the same two conditions.
void narrate_expected_fallback(const QuickFile& file, const Io& io) {
    const char* impl = std::getenv("WG_QUICK_USERSPACE_IMPLEMENTATION");
    std::string program = impl && *impl ? impl : "wireguard-go";
    struct stat st {};
    if (stat("/sys/module/wireguard", &st) == 0 || net::find_in_path(program).empty())
        return;
    io.narrate("[!] Missing WireGuard kernel module. Falling back to slow userspace implementation.");
    io.narrate("[#] " + program + " " + file.interface);
}

/// `up --dry-run`: the same plan, with facts taken from what the config step would make.
void dry_up(const QuickFile& file, const Io& io) {
    Runner runner(file.interface, io);
    std::vector<Step> first = plan_link_and_config(file);
    runner.run({first.front()});
    narrate_expected_fallback(file, io);
    runner.run({first.begin() + 1, first.end()});
    Device device = passthrough_device(file);
    auto covered = [&](const net::Prefix& p) { return covered_by_addresses(file, p); };
    runner.run(plan_addresses_mtu_dns(file, gather_facts(file, false, device, covered)));
    runner.run(plan_routes_and_post_up(file, gather_facts(file, true, device, covered)));
}

} // namespace

void up(const QuickFile& file, const Io& io) {
    const InterfaceLock lock(file.interface, !io.dry_run);
    if (net::link_index(file.interface))
        throw Error("`" + file.interface + "' already exists");
    if (io.dry_run)
        return dry_up(file, io);
    net::catch_interrupts();
    Runner runner(file.interface, io);
    try {
        runner.run(plan_link_and_config(file));
        runner.run(plan_addresses_mtu_dns(file, gather_facts(file, false)));
        runner.run(plan_routes_and_post_up(file, gather_facts(file, true)));
        if (std::optional<Record> forwarding = forwarding_record(file))
            runner.record(*forwarding);
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
