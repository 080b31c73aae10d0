#!/usr/bin/env bash
# Kernel lab: the guide's five-node network (issue 7) on the in-kernel WireGuard module, the
# same scenario the e2e suite runs on wireguard-go: tests/e2e/guide_network.sh (NATs, hosts-file
# endpoints, relayed pings proven by the relay's counters, roaming, relay restart, clean
# teardown). It fails if any node falls back to userspace.
set -euo pipefail
export WGKIT_E2E_BACKEND=kernel
exec bash "$WGKIT_SOURCE_ROOT/tests/e2e/guide_network.sh"
