#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every libFuzzer target (or those named) for SECONDS each, one after the other.
#   bash fuzz/run.sh [SECONDS] [TARGET...]     (default 60 s; targets: see fuzz/meson.build)
# Sets up the clang build (build-fuzz, or $WGKIT_FUZZ_BUILD) if it is missing. Each target
# starts from its seeds in fuzz/corpus/<target> plus what earlier runs found (kept in the build
# directory, never in the tree). A crash, sanitizer report, leak, timeout (10 s per input) or
# out-of-memory (2 GiB) fails the run; libFuzzer saves the input under fuzz/crashes/<target>/,
# from where it becomes a case in tests/unit/fuzz_regressions_test.cc.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
all_targets=(config key uapi genl wg_set quick)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
build=${WGKIT_FUZZ_BUILD:-build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
  CXX=${CXX_FUZZ:-clang++} meson setup "$build" -Dfuzz=true -Dtests=false -Dman=false \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dcpp_args="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all" >/dev/null || {
    echo "fuzz: meson setup of $build failed (is clang installed?)"; exit 1; }
fi
ninja -C "$build" "${targets[@]/#/fuzz/fuzz-}" >/dev/null || { echo "fuzz: build failed"; exit 1; }

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
for target in "${targets[@]}"; do
  work="$build/fuzz-corpus/$target"
  crashes="fuzz/crashes/$target"
  mkdir -p "$work" "$crashes"
  dict=()
  [ -f "fuzz/dict/$target.dict" ] && dict=(-dict="fuzz/dict/$target.dict")
  log="$build/fuzz-$target.log"
  # The braces take bash's own "Aborted" line off the terminal; the log says it all.
  { "$build/fuzz/fuzz-$target" "$work" "fuzz/corpus/$target" "${dict[@]}" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -detect_leaks=1 \
      -print_final_stats=1 -artifact_prefix="$crashes/" >"$log" 2>&1; } 2>/dev/null
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  if [ $rc -eq 0 ]; then
    echo "fuzz $target: ok, ${execs:-?} executions in ${seconds}s (${rate:-?}/s)"
  else
    status=1
    echo "fuzz $target: FAILED (exit $rc) after ${execs:-?} executions; input saved:"
    grep -E '^artifact_prefix=|Test unit written to' "$log" | sed 's/^/  /'
    grep -E -m1 -A30 '^==[0-9]+==|property failed|ERROR: libFuzzer' "$log" | sed 's/^/  | /'
  fi
done
# Leave only the directories that hold a saved input.
find fuzz/crashes -type d -empty -delete 2>/dev/null
exit $status
