#!/usr/bin/env bash
# Kernel backend round trip: every device and peer attribute set by Debian's wg reads back
# through our genl get exactly as Debian's `wg show dump` prints it, and a config applied by our
# genl set reads back through Debian's wg exactly as when Debian's wg applies it. Also the
# errno of each failing get, and the interface listing.
set -euo pipefail
source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"
tool=$WGKIT_BIN/wgkit_genl_tool
wg=$ORIGINAL_WG

private=AIFIV2JIzGvVDaE9rCNjHObHKFJqfHxM3tdQmbdSe2w=
peer1=E6SBXzoeH667+1Z8T7Ijb+K3UOZ5XErySrIH4j36OyI=
peer2=K4omISEYkX4+R9miDjx1kDXT1EWEtQPxWmrAepQy9gU=
peer3=SBsVIqMGCwkmLO7ZKKo1JtDJzvXKMmCrs5rAsTBZGmI=
psk=xmJRQWLnjjeRetgA5V8uhBspZK8WaC/Zc53r2RNbshY=

umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; ip link del wga 2>/dev/null || true; ip link del wgb 2>/dev/null || true' EXIT

# same_dump IF: our get prints what Debian's wg prints.
same_dump() {
  expect_output "$("$wg" show "$1" dump)" "$tool" dump "$1"
}

run ip link add wga type wireguard
# An empty device: no keys, random port, no fwmark, no peers.
same_dump wga

printf '%s\n' "$private" >"$tmp/private"
printf '%s\n' "$psk" >"$tmp/psk"
run "$wg" set wga private-key "$tmp/private" listen-port 51820 fwmark 0x2a \
  peer "$peer1" preshared-key "$tmp/psk" endpoint 192.0.2.1:51820 persistent-keepalive 25 \
    allowed-ips 10.0.0.2/32,fd00::2/128,10.1.0.0/16 \
  peer "$peer2" endpoint '[2001:db8::1]:7' allowed-ips 0.0.0.0/0,::/0 \
  peer "$peer3"
same_dump wga

# Our set of a config holding every attribute, compared with Debian's setconf of the same file
# on a second device.
cat >"$tmp/all.conf" <<CONF
[Interface]
PrivateKey = $private
ListenPort = 4242
FwMark = 0x1234
[Peer]
PublicKey = $peer1
PresharedKey = $psk
Endpoint = 198.51.100.7:1
PersistentKeepalive = 65535
AllowedIPs = 192.168.0.0/24, 10.9.8.7/32, fd00:1::/64
[Peer]
PublicKey = $peer2
Endpoint = [fe80::1%1]:65535
AllowedIPs = ::/0
[Peer]
PublicKey = $peer3
CONF
run ip link add wgb type wireguard
run "$tool" setconf wga "$tmp/all.conf"
run "$wg" setconf wgb "$tmp/all.conf"
expect_output "$("$wg" show wgb dump | sed 1d)" bash -c "'$wg' show wga dump | sed 1d"
expect_output "$("$wg" show wgb dump | head -1 | cut -f1,3,4)" bash -c "'$wg' show wga dump | head -1 | cut -f1,3,4"
same_dump wga

# Zero keys remove the private key and the PSK; 0 turns off port, fwmark and keepalive.
cat >"$tmp/zero.conf" <<CONF
[Interface]
PrivateKey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
FwMark = 0
[Peer]
PublicKey = $peer1
PresharedKey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
PersistentKeepalive = 0
CONF
run "$tool" addconf wga "$tmp/zero.conf"
tab=$'\t'
expect_output "(none)${tab}(none)${tab}4242${tab}off" bash -c "'$wg' show wga dump | head -1"
# (A [Peer] section replaces the peer's allowed IPs even in addconf, as in the original.)
expect_output "$peer1${tab}(none)${tab}198.51.100.7:1${tab}(none)${tab}0${tab}0${tab}0${tab}off" \
  bash -c "'$wg' show wga dump | grep '^$peer1'"
same_dump wga

# Peer removal and replace-peers through our set.
printf '[Peer]\nPublicKey = %s\n' "$peer2" >"$tmp/remove.conf"
run "$wg" set wga peer "$peer2" remove
same_dump wga
expect_output "$peer1
$peer3" "$wg" show wga peers
run "$tool" setconf wga "$tmp/remove.conf"
expect_output "$peer2" "$wg" show wga peers
same_dump wga

# Errors: the errno of each failing get.
expect_output ENODEV "$tool" errno doesnotexist
expect_output EOPNOTSUPP "$tool" errno lo
expect_output ENAMETOOLONG "$tool" errno sixteen-chars-xx
run ip link add fifteen-chars-x type wireguard
expect_output 0 "$tool" errno fifteen-chars-x

# Listing: kernel order, as Debian's wg lists them (space-separated on one line).
expect_output "$("$wg" show interfaces | tr ' ' '\n')" "$tool" list
run ip link del fifteen-chars-x

# Removing one allowed IP needs WGALLOWEDIP_A_FLAGS (Linux 6.16); older kernels refuse the
# request with EINVAL, which wg reports as "Invalid argument".
printf '[Peer]\nPublicKey = %s\nAllowedIPs = -10.0.0.0/8\n' "$peer1" >"$tmp/minus.conf"
status=0
out=$("$tool" addconf wga "$tmp/minus.conf" 2>&1) || status=$?
echo "$out"
if [[ $(uname -r) < 6.16 ]]; then
  ((status == 1)) && [[ $out == *"(errno 22)"* ]] || fail "expected EINVAL, got status $status: $out"
fi

# Without the module the family does not exist: EPROTONOSUPPORT, as the original maps ENOENT.
run ip link del wga
run ip link del wgb
# (The family lookup would load the module again on demand: turn that off in this guest.)
echo /bin/false >/proc/sys/kernel/modprobe
run rmmod wireguard
expect_output EPROTONOSUPPORT "$tool" errno wga
expect_output "" "$tool" list
echo PASS
