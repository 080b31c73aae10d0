// SPDX-License-Identifier: MIT
#pragma once

// Internal to lib/quick: narrating a command, and undoing a state record.

#include <functional>
#include <string>
#include <vector>

#include <wgkit/quick.h>

namespace wgkit::quick {

/// Prints `[#] transcript` and runs `action` (not under --dry-run); an error it throws is
/// printed (when it has text) and rethrown.
void narrated(const Io& io, const std::string& transcript, const std::function<void()>& action);

/// rollback: a failed up, in del_if's order during up (DNS, firewall, rules, link).
/// down: cmd_down's order (rules, link, DNS, firewall).
enum class UndoOrder { rollback, down };

/// The steps that undo `records`, in `order`; each removes what it undid from the context's
/// records, so reload can run them through the recording runner. Reads iptables-save for
/// the iptables ones (a step only where there is something to delete).
std::vector<Step> undo_steps(const std::vector<Record>& records, UndoOrder order);

/// Narrates and undoes each record; a failing undo is reported and the rest still run.
void undo_records(const std::vector<Record>& records, UndoOrder order, const Io& io);

} // namespace wgkit::quick
