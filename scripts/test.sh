#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite: installs what it needs, builds, runs every suite (unit, cli, netns,
# vm), and ends with one line of totals. Run as root on Debian 12 from the source tree.
#   scripts/test.sh                 every suite
#   scripts/test.sh --suite netns   one suite (any `meson test` arguments pass through)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${WGKIT_BUILD_DIR:-build}

bash scripts/bootstrap.sh || exit 1
if [[ -d $build ]]; then
  meson setup --reconfigure "$build" >/dev/null || exit 1
else
  meson setup "$build" >/dev/null || exit 1
fi
ninja -C "$build" || exit 1

meson test -C "$build" --no-rebuild --print-errorlogs "$@"
python3 scripts/summarize-tests.py "$build/meson-logs/testlog.json"
