#!/usr/bin/env bash
# Kernel lab: a real handshake between two kernel WireGuard interfaces, configured with
# Debian's wg, proves the guest's networking works end to end; our wg then reads the same state.
#
#   ns "left"                                   ns "right"
#   wg1 10.100.0.1/24 (port 51821)              wg2 10.100.0.2/24 (port 51822)
#   veth1 10.99.0.1/24  <------- veth ------->  veth2 10.99.0.2/24
#
# Only left knows right's endpoint; right learns left's from the handshake (roaming).
set -euo pipefail
source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"

left_private=AIFIV2JIzGvVDaE9rCNjHObHKFJqfHxM3tdQmbdSe2w=
left_public=K4omISEYkX4+R9miDjx1kDXT1EWEtQPxWmrAepQy9gU=
right_private=wDs0/I4yRvNiSW8PtdTNaznomOKWQ7GmmZJGfh+zuXI=
right_public=E6SBXzoeH667+1Z8T7Ijb+K3UOZ5XErySrIH4j36OyI=

cleanup() {
  ip netns del left 2>/dev/null || true
  ip netns del right 2>/dev/null || true
}
trap cleanup EXIT

run ip netns add left
run ip netns add right
run ip link add veth1 netns left type veth peer name veth2 netns right
in_ns left ip addr add 10.99.0.1/24 dev veth1
in_ns right ip addr add 10.99.0.2/24 dev veth2
for ns in left right; do in_ns "$ns" ip link set lo up; done
in_ns left ip link set veth1 up
in_ns right ip link set veth2 up

umask 077
printf '%s\n' "$left_private" >/tmp/left.key
printf '%s\n' "$right_private" >/tmp/right.key

# Created inside each namespace, so each interface's UDP socket lives there too.
in_ns left ip link add wg1 type wireguard
in_ns right ip link add wg2 type wireguard
in_ns left "$ORIGINAL_WG" set wg1 private-key /tmp/left.key listen-port 51821 \
  peer "$right_public" endpoint 10.99.0.2:51822 allowed-ips 10.100.0.2/32
in_ns right "$ORIGINAL_WG" set wg2 private-key /tmp/right.key listen-port 51822 \
  peer "$left_public" allowed-ips 10.100.0.1/32
in_ns left ip addr add 10.100.0.1/24 dev wg1
in_ns right ip addr add 10.100.0.2/24 dev wg2
in_ns left ip link set wg1 up
in_ns right ip link set wg2 up

tab=$'\t'
expect_output "$left_public${tab}0" in_ns right "$ORIGINAL_WG" show wg2 latest-handshakes

# Software-emulated CPUs are slow: allow the handshake plenty of time.
in_ns left ping -c 1 -w 60 10.100.0.2 || fail "no ping reply through the tunnel"
in_ns right ping -c 1 -w 60 10.100.0.1 || fail "no ping reply through the tunnel (reverse)"

for side in "left wg1 $right_public" "right wg2 $left_public"; do
  read -r ns dev peer <<<"$side"
  handshake=$(in_ns "$ns" "$ORIGINAL_WG" show "$dev" latest-handshakes)
  echo "$handshake"
  [[ $handshake =~ ^"$peer"$'\t'([0-9]+)$ ]] || fail "unexpected latest-handshakes in $ns: $handshake"
  ((BASH_REMATCH[1] > 0)) || fail "no handshake recorded in $ns"
  transfer=$(in_ns "$ns" "$ORIGINAL_WG" show "$dev" transfer)
  echo "$transfer"
  [[ $transfer =~ ^"$peer"$'\t'([0-9]+)$'\t'([0-9]+)$ ]] || fail "unexpected transfer in $ns: $transfer"
  ((BASH_REMATCH[1] > 0 && BASH_REMATCH[2] > 0)) || fail "no traffic counted in $ns: $transfer"
done
# right learnt left's endpoint from the handshake.
expect_output "$left_public${tab}10.99.0.1:51821" in_ns right "$ORIGINAL_WG" show wg2 endpoints
# Our wg reads the same handshake state from the kernel. (Not transfer counters: a passive
# keepalive may be sent between the two reads.)
for side in "left wg1" "right wg2"; do
  read -r ns dev <<<"$side"
  for field in latest-handshakes endpoints allowed-ips; do
    expect_output "$(ip netns exec "$ns" "$ORIGINAL_WG" show "$dev" "$field")" \
      in_ns "$ns" "$WGKIT_WG" show "$dev" "$field"
  done
done
echo "PASS"
