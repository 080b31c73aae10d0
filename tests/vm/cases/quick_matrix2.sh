#!/usr/bin/env bash
# Kernel lab, wg-quick matrix (issue 5), second half (see quick_matrix.sh): MTU, DNS, hooks,
# SaveConfig, and two full tunnels up at once in one namespace (full4 and full46 together; both
# tools' `down`s leave the same final state, though the original's first `down` deletes the other
# tunnel's suppress rules, reference §7.12, which the netns scenarios test checks step by step).
set -uo pipefail
source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"
source "$WGKIT_SOURCE_ROOT/tests/vm/quick_lib.sh"
quick_matrix_main mtu_explicit mtu_endpoint dns hooks save_config two_full
