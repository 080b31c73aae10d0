# shellcheck shell=bash disable=SC2034  # sourced: sets variables for the case
# Helpers for cases that change a device "wga" with our wg and its twin "wgb" with Debian's,
# then compare them (sourced after lib.sh). Both stay down, so equal listen ports do not clash.
# Sets tmp (a temporary directory), ours and theirs; removes all of it on exit.
ours=$WGKIT_WG
theirs=$ORIGINAL_WG
tmp=$(mktemp -d)
# Deleting a link removes its peers one RCU grace period at a time: minutes for 10,000 peers
# under TCG. A guest is discarded whole, so only a run outside one deletes the links.
twins_cleanup() {
  rm -rf "$tmp"
  [[ ${WGKIT_VM:-0} == 1 ]] && return
  ip link del wga 2>/dev/null || true
  ip link del wgb 2>/dev/null || true
}
trap twins_cleanup EXIT
run ip link add wga type wireguard
run ip link add wgb type wireguard

# same FILE1 FILE2 WHAT: byte-for-byte equal files, or the first differing lines and fail.
same() {
  echo "+ compare: $3 ($(wc -c <"$1") bytes)"
  cmp -s "$1" "$2" || { diff "$1" "$2" | head -20; fail "$3 differ"; }
}

# states WHAT: wga (changed by ours) and wgb (by Debian's) hold the same configuration, as
# Debian's `show dump` prints them.
states() {
  "$theirs" show wga dump >"$tmp/a.dump"
  "$theirs" show wgb dump >"$tmp/b.dump"
  same "$tmp/b.dump" "$tmp/a.dump" "$1: wga (ours) and wgb (Debian's)"
}

# both_print WHAT ARGS...: `wg ARGS...` prints the same bytes with ours and with Debian's.
both_print() {
  local what=$1
  shift
  "$ours" "$@" >"$tmp/ours.out"
  "$theirs" "$@" >"$tmp/theirs.out"
  same "$tmp/theirs.out" "$tmp/ours.out" "$what, Debian's and ours"
}
