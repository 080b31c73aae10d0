#!/usr/bin/env bash
# 10,000 peers on one kernel device, through our wg binary: setconf, then `show dump` and
# `showconf` byte for byte against Debian's wg on the same device, the state equal to what
# Debian's setconf leaves on a twin, a syncconf of our own showconf changing nothing, and a
# syncconf that drops, changes and strips peers leaving what Debian's wg leaves. Then a
# 40,000-peer device whose dump is past wg's hold limit, printed while it is read.
set -euo pipefail
source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"
tool=$WGKIT_BIN/wgkit_genl_tool
source "$WGKIT_SOURCE_ROOT/tests/vm/twins.sh"

# 10,000 peers, two allowed IPs each, a PSK on every other, a keepalive on every third.
"$tool" gen-peers 10000 2 >"$tmp/gen.conf"
awk '{ print } /^Endpoint/ && ++n % 3 == 0 { print "PersistentKeepalive = " (n % 65535 + 1) }' \
  "$tmp/gen.conf" >"$tmp/10k.conf"
printf '[Interface]\nPrivateKey = AIFIV2JIzGvVDaE9rCNjHObHKFJqfHxM3tdQmbdSe2w=\nFwMark = 0x2a\n' >"$tmp/head.conf"
sed 1d "$tmp/10k.conf" >>"$tmp/head.conf"
mv "$tmp/head.conf" "$tmp/10k.conf"

SECONDS=0
run "$ours" setconf wga "$tmp/10k.conf"
echo "ours setconf: ${SECONDS}s"
run "$theirs" setconf wgb "$tmp/10k.conf"
states "setconf"
expect_output 10000 bash -c "'$theirs' show wga peers | wc -l"

SECONDS=0
"$ours" show wga dump >"$tmp/ours.dump"
echo "ours show dump: ${SECONDS}s"
same "$tmp/a.dump" "$tmp/ours.dump" "show wga dump, Debian's and ours"
both_print "showconf wga" showconf wga
cp "$tmp/ours.out" "$tmp/ours.conf"
both_print "show wga allowed-ips" show wga allowed-ips

# Our showconf synced back: nothing changes.
SECONDS=0
run "$ours" syncconf wga "$tmp/ours.conf"
echo "ours syncconf (no change): ${SECONDS}s"
states "syncconf of our own showconf"

# A file that drops every 4th peer, moves every 5th to a new endpoint, and strips the PSK and
# keepalive of every 7th, in the same order: the target's syncconf leaves what a setconf of
# it leaves (no peer is new, and every kept peer names its endpoint).
awk '
  /^\[Peer\]/ { n++ }
  n % 4 == 0 && n > 0 { next }
  n % 5 == 0 && /^Endpoint/ { sub(/:[0-9]+$/, ":9"); print; next }
  n % 7 == 0 && (/^PresharedKey/ || /^PersistentKeepalive/) { next }
  { print }' "$tmp/10k.conf" >"$tmp/sync.conf"
SECONDS=0
run "$ours" syncconf wga "$tmp/sync.conf"
echo "ours syncconf (changes): ${SECONDS}s"
run "$theirs" setconf wgb "$tmp/sync.conf"
states "syncconf of a changed file"
expect_output 7500 bash -c "'$theirs' show wga peers | wc -l"
"$ours" show wga dump >"$tmp/ours.dump"
same "$tmp/a.dump" "$tmp/ours.dump" "show wga dump after syncconf, Debian's and ours"

# 40,000 peers (no private key: no X25519 per peer, so the kernel is quick): a dump of more
# than wg's hold limit (4 MiB, wg/print.h), which ours writes while the kernel still sends
# it. The text must be the same as Debian's, which prints only after reading everything.
run ip link add wgc type wireguard
[[ ${WGKIT_VM:-0} == 1 ]] || trap 'twins_cleanup; ip link del wgc 2>/dev/null || true' EXIT
"$tool" gen-peers 40000 2 >"$tmp/40k.conf"
SECONDS=0
run "$ours" setconf wgc "$tmp/40k.conf"
echo "ours setconf, 40,000 peers: ${SECONDS}s"
both_print "show wgc dump (40,000 peers)" show wgc dump
(($(wc -c <"$tmp/ours.out") > 4 * 1024 * 1024)) || fail "the 40,000-peer dump is under 4 MiB"
both_print "showconf wgc (40,000 peers)" showconf wgc
both_print "show wgc allowed-ips (40,000 peers)" show wgc allowed-ips
echo PASS
