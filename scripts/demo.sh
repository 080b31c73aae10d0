#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's first command. Installs the Debian packages (scripts/bootstrap.sh), builds
# wgkit, then runs the WireGuard guide's five-node network ("Example Server-To-Server Config
# with Roaming Devices": two public servers, one of them the relay, and a home server, a laptop
# and a phone behind NATs) in network namespaces with wgkit's wg and wg-quick, and prints a
# report: the topology, each node's address and role, the ping matrix with latencies and paths
# (direct or relayed), the laptop roaming and the relay restarting, and the relay's `wg show`.
#
# The network is the e2e test's own scenario (tests/e2e/guide_network.sh --report), so what the
# demo shows is what the test suite checks. Nothing touches this machine's own network
# namespace, no DNS query leaves (the endpoint names come from the nodes' hosts files), and
# everything made is removed on exit, also on failure or Ctrl-C.
#
# Environment: WGKIT_BUILD_DIR (default: build).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${WGKIT_BUILD_DIR:-build}

bold= plain=
if [[ -t 1 ]]; then bold=$'\e[1m' plain=$'\e[0m'; fi
step() { printf '%s==> %s%s\n' "$bold" "$*" "$plain"; }

if ((EUID != 0)); then
  echo "demo.sh: run me as root: I install packages and make network namespaces" >&2
  exit 1
fi

log=$(mktemp /tmp/wgkit-demo.XXXXXX)
trap 'rm -f "$log"' EXIT
# quietly COMMAND...: runs it with its output in the log, shown only if it fails.
quietly() {
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "demo.sh: failed: $*" >&2
    exit 1
  fi
}

step "Installing Debian packages (scripts/bootstrap.sh)"
quietly bash scripts/bootstrap.sh
step "Building wgkit in $build/ (meson, ninja)"
if [[ -d $build ]]; then quietly meson setup --reconfigure "$build"; else quietly meson setup "$build"; fi
quietly ninja -C "$build"

export WGKIT_WG=$PWD/$build/wg/wg WGKIT_WG_QUICK=$PWD/$build/wg-quick/wg-quick
rm -f "$log"
trap - EXIT
exec tests/e2e/guide_network.sh --report
