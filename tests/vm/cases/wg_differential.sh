#!/usr/bin/env bash
# Kernel differential suite, guest half: run through tests/vm/wg_differential.py, which
# appends the plan (random states and changes, see there) to a copy of this script after the
# __WGKIT_DATA__ line. Every process start costs tenths of a second under TCG, so outputs are
# collected per round into files and hashed by one md5sum; only mismatches are diffed.
set -euo pipefail
source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"
ours=$WGKIT_WG
theirs=$ORIGINAL_WG
data=/tmp/wgdiff
out=/tmp/wgdiff-out
state=/tmp/wgdiff-state  # Debian's `show all dump` after the last round
grep -q '^__WGKIT_DATA__$' "$0" || fail "no plan appended: run tests/vm/wg_differential.py, not this script"
mkdir -p "$data" "$out"
sed '1,/^__WGKIT_DATA__$/d' "$0" | base64 -d | tar -xzf - -C "$data"
slots=$(<"$data/slots")

# Deleting links removes their peers one RCU grace period at a time (a minute or more for
# these devices under TCG); a guest is discarded whole, so only a run outside one deletes them.
cleanup() {
  [[ ${WGKIT_VM:-0} == 1 ]] && return
  for ((i = 0; i < slots; i++)); do printf 'link del wgdA%d\nlink del wgdB%d\n' "$i" "$i"; done |
    ip -force -batch - 2>/dev/null || true
}
trap cleanup EXIT
for ((i = 0; i < slots; i++)); do printf 'link add wgdA%d type wireguard\nlink add wgdB%d type wireguard\n' "$i" "$i"; done |
  ip -batch -

failures=0 checks=0 round=0 started=$EPOCHREALTIME
declare -a what=() ours_rc=() theirs_rc=()

# pair [VAR=VALUE...] -- ARGS...: ours and Debian's wg on the same arguments; stdout, stderr and
# status are compared when the round ends.
pair() {
  local n=${#what[@]} env=()
  while [[ $1 != -- ]]; do env+=("$1"); shift; done
  shift
  what[n]="wg $* ${env[*]}"
  local status=0
  env "${env[@]}" "$ours" "$@" >"$out/$n.o" 2>"$out/$n.oe" || status=$?
  ours_rc[n]=$status
  status=0
  env "${env[@]}" "$theirs" "$@" >"$out/$n.t" 2>"$out/$n.te" || status=$?
  theirs_rc[n]=$status
}

# expect TEXT_FILE DESCRIPTION ARGS...: our output must equal a file (a target behaviour).
expect_ours() {
  local n=${#what[@]} expected=$1 status=0
  shift
  what[n]="wg $* (target)"
  "$ours" "$@" >"$out/$n.o" 2>"$out/$n.oe" || status=$?
  ours_rc[n]=$status theirs_rc[n]=0
  cp "$expected" "$out/$n.t"
  : >"$out/$n.te"
}

failed() {
  echo "FAIL: $*"
  ((++failures < 20)) || { echo "stopping after 20 failures"; exit 1; }
}

# Compares every pair of the round through one md5sum; diffs the mismatches.
flush() {
  local -A sum=()
  local hash file n
  ((${#what[@]})) || return 0
  while read -r hash file; do sum[$file]=$hash; done < <(md5sum "$out"/*)
  for ((n = 0; n < ${#what[@]}; n++)); do
    ((++checks))
    if ((ours_rc[n] != theirs_rc[n])) || [[ ${sum[$out/$n.o]} != "${sum[$out/$n.t]}" ||
      ${sum[$out/$n.oe]} != "${sum[$out/$n.te]}" ]]; then
      failed "round $round: ${what[n]}: exit ${ours_rc[n]} (Debian's ${theirs_rc[n]})"
      diff -u -L expected -L ours "$out/$n.te" "$out/$n.oe" | head -10 | cut -c1-400 || true
      diff -u -L expected -L ours "$out/$n.t" "$out/$n.o" | head -40 | cut -c1-400 || true
    fi
  done
  what=() ours_rc=() theirs_rc=()
  rm -f "$out"/*
}

# The commands of a round. A is changed by ours, B by Debian's.
conf_pair() {
  local slot=$1 command=$2 file=$3 n=${#what[@]} status=0
  what[n]="wg $command wgdA$slot/B$slot $file"
  "$ours" "$command" "wgdA$slot" "$file" >"$out/$n.o" 2>"$out/$n.oe" || status=$?
  ours_rc[n]=$status status=0
  "$theirs" "$command" "wgdB$slot" "$file" >"$out/$n.t" 2>"$out/$n.te" || status=$?
  theirs_rc[n]=$status
}

set_pair() {
  local slot=$1 count=$2 n=${#what[@]} status=0
  shift 2
  local mine=("${@:1:count}") oracle=("${@:count+1}")
  what[n]="wg set wgdA$slot ${mine[*]} (Debian's: ${oracle[*]})"
  "$ours" set "wgdA$slot" "${mine[@]}" >"$out/$n.o" 2>"$out/$n.oe" || status=$?
  ours_rc[n]=$status status=0
  "$theirs" set "wgdB$slot" "${oracle[@]}" >"$out/$n.t" 2>"$out/$n.te" || status=$?
  theirs_rc[n]=$status
}

oracle_set() {
  local slot=$1
  shift
  "$theirs" set "wgdB$slot" "$@" || failed "round $round: model of the target syncconf on wgdB$slot"
}

# union SLOT PUB TAKEN NEW VAR: Debian's list for ours' '+NEW': B's current prefixes of the
# peer, less NEW and TAKEN (prefixes earlier peers of the same command take), then NEW.
union() {
  local slot=$1 pub=$2 taken=",$3," new=$4 line ip result=()
  local -a current=()
  line=$(grep -F "wgdB$slot	$pub	" "$state" || true)
  if [[ -n $line ]]; then
    IFS=$'\t' read -r _ _ _ _ line _ <<<"$line"
    [[ $line == "(none)" ]] || IFS=, read -ra current <<<"$line"
  fi
  for ip in "${current[@]}"; do
    [[ $taken == *",$ip,"* || ",$new," == *",$ip,"* ]] || result+=("$ip")
  done
  IFS=, read -ra current <<<"$new"
  result+=("${current[@]}")
  local IFS=,
  printf -v "$5" '%s' "${result[*]}"
}

begin_round() { round=$1; mark=$EPOCHREALTIME; }

# elapsed: seconds since the last call (phase timings, for the CI budget).
elapsed() {
  local now=$EPOCHREALTIME
  REPLY=$(((${now/./} - ${mark/./}) / 1000000))
  mark=$now
}

# After the commands: every A equals its B, then every show form and showconf, ours against
# Debian's.
end_round() {
  flush
  elapsed
  local timing="commands ${REPLY}s"
  "$theirs" show all dump >"$state"
  # Interfaces are listed in creation order (wgdA0, wgdB0, wgdA1, ...): A's lines and B's,
  # each with the slot in place of the name, must be the same two files.
  awk -F '\t' '{ dev = $1; sub(/^[^\t]*\t/, ""); slot = substr(dev, 5)
    if (dev ~ /^wgdA/) print slot "\t" $0 >"/tmp/wgdiff-a"; else print slot "\t" $0 >"/tmp/wgdiff-b" }' "$state"
  ((++checks))
  if ! cmp -s /tmp/wgdiff-a /tmp/wgdiff-b; then
    failed "round $round: device states differ after the commands (slot<TAB>dump line, - Debian's B, + our A)"
    diff /tmp/wgdiff-b /tmp/wgdiff-a | head -40 | cut -c1-400 || true
  fi
  elapsed
  timing+=", state ${REPLY}s"

  local field env slot=$((round * 7 % slots))
  for env in "WG_COLOR_MODE=never" "WG_COLOR_MODE=always" "WG_COLOR_MODE=never WG_HIDE_KEYS=never" \
    "WG_COLOR_MODE=always WG_HIDE_KEYS=never"; do
    # shellcheck disable=SC2086  # env is a list of assignments
    pair $env -- show all
  done
  pair WG_COLOR_MODE=never -- show
  pair -- show interfaces
  for field in public-key private-key listen-port fwmark peers preshared-keys allowed-ips \
    latest-handshakes transfer persistent-keepalive dump; do
    pair -- show all "$field"
  done
  # Target: `show all endpoints` prefixes every line; expected from Debian's dump.
  awk -F '\t' 'NF == 9 { print $1 "\t" $2 "\t" $4 }' "$state" >/tmp/wgdiff-endpoints
  expect_ours /tmp/wgdiff-endpoints show all endpoints
  for env in "WG_COLOR_MODE=never" "WG_COLOR_MODE=always WG_HIDE_KEYS=never"; do
    # shellcheck disable=SC2086
    pair $env -- show "wgdA$slot"
  done
  for field in public-key private-key listen-port fwmark peers preshared-keys endpoints \
    allowed-ips latest-handshakes transfer persistent-keepalive dump; do
    pair -- show "wgdA$slot" "$field"
  done
  elapsed
  timing+=", show forms ${REPLY}s"
  for ((i = 0; i < slots; i++)); do pair -- showconf "wgdA$i"; done
  flush
  elapsed
  timing+=", showconf ${REPLY}s"
  echo "round $round done: $checks checks, $failures failures, $(((${EPOCHREALTIME/./} - ${started/./}) / 1000000)) s ($timing)"
}

source "$data/plan.sh"
echo "$checks checks, $failures failures"
((failures == 0)) || exit 1
echo PASS
exit 0
