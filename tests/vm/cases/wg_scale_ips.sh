#!/usr/bin/env bash
# One peer with 130,560 allowed IPs (the kernel selftest's a.b.0.0/16 and a::b/128 pairs),
# through our wg binary: setconf, `show` forms and `showconf` byte for byte against Debian's
# wg, then a syncconf that keeps every other entry, then the other half added back with `wg set`
# and target '+' lists; each state equal to what Debian's wg leaves on a twin device.
set -euo pipefail
source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"
tool=$WGKIT_BIN/wgkit_genl_tool
source "$WGKIT_SOURCE_ROOT/tests/vm/twins.sh"

# forms: every form that prints the allowed IPs, ours against Debian's on wga.
forms() {
  local args
  for args in "show wga dump" "show wga allowed-ips" "showconf wga"; do
    # shellcheck disable=SC2086
    "$ours" $args >"$tmp/ours.out"
    # shellcheck disable=SC2086
    "$theirs" $args >"$tmp/theirs.out"
    same "$tmp/theirs.out" "$tmp/ours.out" "$1: wg $args, Debian's and ours"
  done
}

"$tool" gen-ips 130560 >"$tmp/all.conf"
pub=$(awk '/^PublicKey/ { print $3 }' "$tmp/all.conf")
SECONDS=0
run "$ours" setconf wga "$tmp/all.conf"
echo "ours setconf: ${SECONDS}s"
run "$theirs" setconf wgb "$tmp/all.conf"
states "setconf"
expect_output 130561 bash -c "'$theirs' show wga allowed-ips | wc -w"
SECONDS=0
forms "setconf"
echo "three forms, both tools: ${SECONDS}s"

# Remove half: keep the IPv4 /16 entries (odd lines of the list). Kept entries keep their order.
awk '!/^AllowedIPs/ || /\./' "$tmp/all.conf" >"$tmp/half.conf"
SECONDS=0
run "$ours" syncconf wga "$tmp/half.conf"
echo "ours syncconf: ${SECONDS}s"
run "$theirs" setconf wgb "$tmp/half.conf"
states "syncconf to half"
expect_output 65281 bash -c "'$theirs' show wga allowed-ips | wc -w"
forms "syncconf to half"

# The other half back with `wg set ... allowed-ips +LIST` in chunks below the kernel's 128 KiB
# argument limit (the target's incremental update; Debian's wg gets the whole file).
awk -v dir="$tmp" '/^AllowedIPs/ && !/\./ {
    file = dir "/chunk." sprintf("%03d", int(n / 6000))
    printf "%s%s", (n++ % 6000 ? "," : "+"), $3 >file }' "$tmp/all.conf"
SECONDS=0
for chunk in "$tmp"/chunk.*; do
  "$ours" set wga peer "$pub" allowed-ips "$(<"$chunk")" || fail "wg set + with $chunk"
done
chunks=("$tmp"/chunk.*)
echo "ours set + in ${#chunks[@]} chunks: ${SECONDS}s"
{ awk '!/^AllowedIPs/' "$tmp/all.conf"; awk '/^AllowedIPs/ && /\./' "$tmp/all.conf"
  awk '/^AllowedIPs/ && !/\./' "$tmp/all.conf"; } >"$tmp/readded.conf"
run "$theirs" setconf wgb "$tmp/readded.conf"
states "set + of the other half"
expect_output 130561 bash -c "'$theirs' show wga allowed-ips | wc -w"
echo PASS
