// SPDX-License-Identifier: MIT
#pragma once

// Internal to lib/quick: undoing a state record.

#include <vector>

#include <wgkit/quick.h>

namespace wgkit::quick {

/// rollback: a failed up, in del_if's order during up (DNS, firewall, rules, link).
/// down: cmd_down's order (rules, link, DNS, firewall).
enum class UndoOrder { rollback, down };

/// Narrates and undoes each record; a failing undo is reported and the rest still run.
void undo_records(const std::vector<Record>& records, UndoOrder order, const Io& io);

} // namespace wgkit::quick
