#!/usr/bin/env bash
# Not a test (tests check behaviour, never speed): measures the kernel backend's SET message
# size against the original inside the kernel lab. Run it alone:
#   tests/vm/run-in-vm.sh BUILD_DIR tests/vm/genl_measure.sh [REPEATS]
# Prints one line per run: workload, tool, message size, seconds (whole process, bash `time`),
# and our tool's own message count and set-only time.
set -euo pipefail
tool=$WGKIT_BIN/wgkit_genl_tool
wg=$ORIGINAL_WG
repeats=${1:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; ip link del wgm 2>/dev/null || true' EXIT
TIMEFORMAT=%R
printf '[Interface]\n' >"$tmp/empty.conf"

fresh() {
  ip link del wgm 2>/dev/null || true
  ip link add wgm type wireguard
}
# Peers are removed before the link goes: deleting a link that holds peers is slow in the kernel.
clear_device() { "$wg" setconf wgm "$tmp/empty.conf"; }

"$tool" gen-ips 130560 >"$tmp/ips.conf"
"$tool" gen-peers 10000 >"$tmp/peers.conf"

for r in $(seq "$repeats"); do
  for workload in ips peers; do
    for size in 4096 8192 16384 32768 default; do
      fresh
      arg=$size; [[ $size == default ]] && arg=
      { t=$( { time "$tool" setconf wgm "$tmp/$workload.conf" $arg 2>"$tmp/err" >/dev/null; } 2>&1 ); }
      echo "set $workload ours size=$size wall=$t $(cat "$tmp/err")"
      clear_device
    done
    fresh
    { t=$( { time "$wg" setconf wgm "$tmp/$workload.conf"; } 2>&1 ); }
    echo "set $workload original size=4096 wall=$t"
    # Reading back: ours and the original's dump of the same device.
    { t=$( { time "$tool" stats wgm >/dev/null 2>"$tmp/err"; } 2>&1 ); }
    echo "get $workload ours wall=$t $(cat "$tmp/err")"
    { t=$( { time "$wg" show wgm dump >/dev/null; } 2>&1 ); }
    echo "get $workload original wall=$t"
    clear_device
  done
done
