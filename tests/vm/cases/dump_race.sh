#!/usr/bin/env bash
# `wg show dump` (ours) on a 10,000-peer kernel device while another process keeps changing
# peers with `wg set`: each change (new allowed IPs for one peer, or removing a peer and
# adding it back) is one netlink message, so the kernel applies it at once, and every dump must
# show some state the device really passed through: no peer twice, no unknown peer, at most one
# peer missing (between a remove and its re-add), and every peer's allowed IPs exactly its own
# fixed IP, or that plus one complete pair the writer set (both IPv6 entries of the same write,
# naming this peer). The dump spans many kernel messages; one during which the device changed
# is flagged NLM_F_DUMP_INTR and must be read again from the start.
set -euo pipefail
source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"
tool=$WGKIT_BIN/wgkit_genl_tool
ours=$WGKIT_WG
peers=10000 dumps=${WGKIT_RACE_DUMPS:-8}

tmp=$(mktemp -d)
writer=
cleanup() {
  if [[ -n $writer ]]; then kill "$writer" 2>/dev/null || true; wait "$writer" 2>/dev/null || true; fi
  rm -rf "$tmp"
  # Deleting 10,000 peers takes minutes under TCG (one RCU grace period each); a guest is
  # discarded whole anyway.
  [[ ${WGKIT_VM:-0} == 1 ]] || ip link del wga 2>/dev/null || true
}
trap cleanup EXIT
run ip link add wga type wireguard
# Peer i: key_text(i), allowed IP 10.1.(i / 256).(i % 256)/32.
"$tool" gen-peers "$peers" 1 >"$tmp/peers.conf"
awk '/^PublicKey/ { print $3, n++ }' "$tmp/peers.conf" >"$tmp/index"
run "$ours" setconf wga "$tmp/peers.conf"

# The writer: write v changes peer (v * 7919) % N: every third write removes it and adds it
# back, the others give it 10.1.x.y/32, fd00:v::(i+1)/128 and fd01:v::(i+1)/128 (hex). Writes
# come in bursts of three with a pause of 4 s: a dump that meets a burst starts over, and one
# that falls in a pause finishes (a dump of 10,000 peers takes seconds under TCG, so steady
# writes would restart it for minutes).
mapfile -t keys < <(awk '{ print $1 }' "$tmp/index")
write_forever() {
  local v=0 i ip6
  for ((v = 1; ; v++)); do
    i=$((v * 7919 % peers))
    printf -v ip6 'fd00:%x::%x/128,fd01:%x::%x/128' "$v" "$((i + 1))" "$v" "$((i + 1))"
    if ((v % 3 == 0)); then
      "$ours" set wga peer "${keys[i]}" remove
    fi
    "$ours" set wga peer "${keys[i]}" allowed-ips "10.1.$((i / 256)).$((i % 256))/32,$ip6"
    echo "$v" >"$tmp/writes"
    ((v % 3)) || sleep 4
  done
}
write_forever &
writer=$!

# shellcheck disable=SC2016  # an awk program, not shell
check='
  NR == FNR { index_of[$1] = $2; next }
  FNR == 1 { if (NF != 4) bad("interface line with " NF " fields"); next }
  {
    if (NF != 8) bad("peer line with " NF " fields")
    if (!($1 in index_of)) bad("unknown peer " $1)
    if (seen[$1]++) bad("peer " $1 " twice")
    i = index_of[$1]; own = "10.1." int(i / 256) "." (i % 256) "/32"
    n = split($4, ip, ",")
    if (n == 1 && ip[1] == own) { count++; next }
    hex = sprintf("%x", i + 1)
    if (n != 3 || ip[1] != own || ip[2] !~ "^fd00:[0-9a-f]+::" hex "/128$" ||
        ip[3] != "fd01:" substr(ip[2], 6)) bad("peer " i " holds " $4)
    count++
  }
  function bad(what) { print "inconsistent dump: line " FNR ": " what; failed = 1; exit 1 }
  END { if (!failed && count != N && count != N - 1) { print "inconsistent dump: " count " peers"; exit 1 }
        if (!failed) print count " peers, consistent" }'

SECONDS=0 raced=0
for ((d = 1; d <= dumps; d++)); do
  before=$(cat "$tmp/writes" 2>/dev/null || echo 0)
  "$ours" show wga dump >"$tmp/dump" || fail "wg show wga dump failed in round $d"
  after=$(cat "$tmp/writes" 2>/dev/null || echo 0)
  result=$(awk -v N="$peers" "$check" "$tmp/index" "$tmp/dump") || { echo "$result"; fail "dump $d is inconsistent"; }
  echo "dump $d: $result; writes $before..$after during it (${SECONDS}s)"
  ((after == before)) || ((++raced))
done
total=$(cat "$tmp/writes" 2>/dev/null || echo 0)
kill "$writer"
wait "$writer" 2>/dev/null || true
writer=
# Had no write landed during a dump, this tested nothing.
((raced > 0)) || fail "no write landed during any of $dumps dumps ($total writes): no race"
echo "$raced of $dumps dumps overlapped writes"

# Quiet again: ours prints exactly what Debian's prints.
expect_output "$("$ORIGINAL_WG" show wga dump)" "$ours" show wga dump
echo PASS
