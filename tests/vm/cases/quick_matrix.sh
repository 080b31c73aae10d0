#!/usr/bin/env bash
# Kernel lab, wg-quick matrix (issue 5), first half: the shared configs of tests/quick-configs
# on the in-kernel module, Debian's wg-quick against ours, snapshot for snapshot
# (tests/vm/quick_lib.sh). The second half is quick_matrix2.sh: each half is one guest run of
# a few minutes. The configs the netns matrix adds beyond the list (mtu_default_route,
# mtu_smallest, dns_symlinked_resolvconf, fwmark_given, table_51820_taken, covered_routes) test
# planning, not the backend, and stay there.
set -uo pipefail
source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"
source "$WGKIT_SOURCE_ROOT/tests/vm/quick_lib.sh"
quick_matrix_main client32 relay24 full4 full46 table_off table_1234 table_named
