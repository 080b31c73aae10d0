#!/usr/bin/env bash
# Kernel lab, wg-quick faults and races (issues 5 and 10), on the in-kernel module: each
# config of tests/quick-configs/faults makes exactly one step of our `up` fail (the netns fault
# test runs the same files on wireguard-go); after each the interface, its record and every
# change must be gone. Then two `up`s of one interface at once, 4 rounds (the netns test runs
# 20; each round here costs about ten program starts): exactly one wins (quick_race_side).
set -uo pipefail
source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"
source "$WGKIT_SOURCE_ROOT/tests/vm/quick_lib.sh"
trap 'ip netns delete qm-f 2>/dev/null; ip netns delete qm-r 2>/dev/null' EXIT
quick_init
failed=()
for conf in "$QUICK_CONFIGS"/faults/*.conf; do
  name=${conf##*/}
  name=${name%.conf}
  [[ -z ${WGKIT_QUICK_CASES:-} || " $WGKIT_QUICK_CASES " == *" $name "* ]] || continue
  SECONDS=0
  quick_fault_case "$name" "$conf" || failed+=("$name")
  echo "($name: ${SECONDS}s)"
done
if [[ -z ${WGKIT_QUICK_CASES:-} || " $WGKIT_QUICK_CASES " == *" race "* ]]; then
  SECONDS=0
  quick_load "$QUICK_CONFIGS/full46.conf"
  dir=$(quick_side_dir r)
  printf '%s' "$QC_CONFIG" >"$dir/wgm0.conf"
  chmod 600 "$dir/wgm0.conf"
  quick_in_ns r quick_race_side "$dir" "${WGKIT_QUICK_ROUNDS:-4}" && echo "ok race" || failed+=(race)
  echo "(race: ${SECONDS}s)"
fi
((${#failed[@]} == 0)) || fail "cases failed: ${failed[*]}"
