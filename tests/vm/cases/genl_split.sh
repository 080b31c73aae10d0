#!/usr/bin/env bash
# Requests too big for one netlink message, as the kernel selftest builds them: one peer with
# 130,560 allowed IPs, 40 peers x 52 allowed IPs, 1,000 peers. Our genl set splits them; the
# device must then read back through Debian's wg exactly as when Debian's wg sets the same
# file, and our genl get (which merges the kernel's split peers) must print what Debian's prints.
set -euo pipefail
source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"
tool=$WGKIT_BIN/wgkit_genl_tool
wg=$ORIGINAL_WG

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; ip link del wga 2>/dev/null || true; ip link del wgb 2>/dev/null || true' EXIT
run ip link add wga type wireguard
run ip link add wgb type wireguard

# check FILE: ours on wga, Debian's on wgb, then compare both ways.
check() {
  run "$tool" setconf wga "$1"
  run "$wg" setconf wgb "$1"
  "$wg" show wga dump | sed 1d >"$tmp/ours"
  "$wg" show wgb dump | sed 1d >"$tmp/theirs"
  echo "+ compare wga and wgb peer lines ($(wc -l <"$tmp/ours") lines)"
  cmp -s "$tmp/ours" "$tmp/theirs" || { diff "$tmp/theirs" "$tmp/ours" | head -20; fail "devices differ after $1"; }
  echo "+ compare our dump with Debian's on wga"
  "$tool" dump wga | sed 1d >"$tmp/read"
  cmp -s "$tmp/ours" "$tmp/read" || { diff "$tmp/ours" "$tmp/read" | head -20; fail "our get differs after $1"; }
}

# One peer, 255 * 256 * 2 allowed IPs: a.b.0.0/16 and a::b/128 pairs.
"$tool" gen-ips 130560 >"$tmp/ips.conf"
check "$tmp/ips.conf"
expect_output 130561 bash -c "'$wg' show wga allowed-ips | wc -w"

# 40 peers x 52 allowed IPs: 40 lines of 53 words.
"$tool" gen-peers 40 52 >"$tmp/40x52.conf"
check "$tmp/40x52.conf"
expect_output "$(yes 53 | head -40)" bash -c "'$wg' show wga allowed-ips | awk '{ print NF }'"

# 1,000 peers with endpoints, half with a preshared key, replacing the 40 above.
"$tool" gen-peers 1000 >"$tmp/1000.conf"
check "$tmp/1000.conf"
expect_output 1000 bash -c "'$wg' show wga peers | wc -l"

# The same at the original's message size: our splitting is right at any size.
run "$tool" setconf wga "$tmp/ips.conf" 4096
expect_output 130561 bash -c "'$wg' show wga allowed-ips | wc -w"
echo PASS
