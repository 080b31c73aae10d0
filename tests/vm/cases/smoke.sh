#!/usr/bin/env bash
# Kernel lab smoke test: the WireGuard module is loaded, the generic netlink family
# "wireguard" answers a lookup from our own probe, a wireguard link can be created, Debian's
# wg configures it over netlink, and both Debian's wg and ours read back exactly what was set.
set -euo pipefail
source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"

# Fixed keys (made by wg genkey/pubkey/genpsk, so already clamped: the kernel would clamp an
# unclamped private key and the read-back would differ).
private=AIFIV2JIzGvVDaE9rCNjHObHKFJqfHxM3tdQmbdSe2w=
public=K4omISEYkX4+R9miDjx1kDXT1EWEtQPxWmrAepQy9gU=
peer_public=E6SBXzoeH667+1Z8T7Ijb+K3UOZ5XErySrIH4j36OyI=
preshared=xmJRQWLnjjeRetgA5V8uhBspZK8WaC/Zc53r2RNbshY=

grep -q '^wireguard ' /proc/modules || fail "module wireguard is not loaded: $(cat /proc/modules)"

probe=$("$WGKIT_BIN/genl_family_probe" wireguard) || fail "genl_family_probe wireguard failed"
echo "$probe"
[[ $probe =~ ^family=wireguard\ id=[0-9]+\ version=1$ ]] || fail "unexpected probe output: $probe"
# And the probe does fail for a family that does not exist.
status=0
"$WGKIT_BIN/genl_family_probe" no-such-family 2>/dev/null || status=$?
((status == 1)) || fail "genl_family_probe no-such-family exited $status, expected 1"

umask 077
printf '%s\n' "$private" >/tmp/private.key
printf '%s\n' "$preshared" >/tmp/preshared.key

run ip link add wg0 type wireguard
run "$ORIGINAL_WG" set wg0 private-key /tmp/private.key listen-port 51820 fwmark 0x2a \
  peer "$peer_public" preshared-key /tmp/preshared.key endpoint 192.0.2.1:51820 \
  persistent-keepalive 25 allowed-ips 10.0.0.2/32,fd00::2/128,10.1.0.0/16

# Read back with Debian's wg (the oracle) and with ours (libwgkit's netlink backend): both must
# print exactly what was set.
tab=$'\t'
for wg in "$ORIGINAL_WG" "$WGKIT_WG"; do
  expect_output "wg0" "$wg" show interfaces
  expect_output "51820" "$wg" show wg0 listen-port
  expect_output "$public" "$wg" show wg0 public-key
  expect_output "$private${tab}$public${tab}51820${tab}0x2a
$peer_public${tab}$preshared${tab}192.0.2.1:51820${tab}10.0.0.2/32,fd00::2/128,10.1.0.0/16${tab}0${tab}0${tab}0${tab}25" \
    "$wg" show wg0 dump
  expect_output "[Interface]
ListenPort = 51820
FwMark = 0x2a
PrivateKey = $private

[Peer]
PublicKey = $peer_public
PresharedKey = $preshared
AllowedIPs = 10.0.0.2/32, fd00::2/128, 10.1.0.0/16
Endpoint = 192.0.2.1:51820
PersistentKeepalive = 25" "$wg" showconf wg0
done

run ip link del wg0
expect_output "" "$ORIGINAL_WG" show interfaces
expect_output "" "$WGKIT_WG" show interfaces
echo "PASS"
