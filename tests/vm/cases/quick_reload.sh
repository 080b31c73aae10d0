#!/usr/bin/env bash
# Kernel lab, `wg-quick reload` (issue 6 §2) on the in-kernel module:
#
#   ns "left": our wg-quick's wg1 10.100.0.1/24 (port 51821) -- veth 10.99.0.1 <-> 10.99.0.2
#   ns "right": wg2 10.100.0.2/24 (port 51822), set up with Debian's wg, the unchanged peer
#
# Reload adds two peers, removes one and moves one allowed IP of a kept peer; the kernel's
# own view (`wg show dump`, an independent reader) must then hold exactly the file's peers,
# and right's handshake on wg1 must be the one from before (no peer was re-created).
set -euo pipefail
source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"

left_private=AIFIV2JIzGvVDaE9rCNjHObHKFJqfHxM3tdQmbdSe2w=
left_public=K4omISEYkX4+R9miDjx1kDXT1EWEtQPxWmrAepQy9gU=
right_private=wDs0/I4yRvNiSW8PtdTNaznomOKWQ7GmmZJGfh+zuXI=
right_public=E6SBXzoeH667+1Z8T7Ijb+K3UOZ5XErySrIH4j36OyI=
# Peers that never answer; any 32 bytes serve as a public key.
p1=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE=
p2=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAI=
p3=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAM=
p4=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQ=

cleanup() {
  ip netns exec left "$WGKIT_WG_QUICK" down wg1 >/dev/null 2>&1 || true
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

mkdir -p /etc/wireguard && chmod 700 /etc/wireguard
umask 077
write_conf() { # PEER-SECTIONS...
  { printf '[Interface]\nPrivateKey = %s\nListenPort = 51821\nAddress = 10.100.0.1/24\n' "$left_private"
    printf '[Peer]\nPublicKey = %s\nAllowedIPs = 10.100.0.2/32\nEndpoint = 10.99.0.2:51822\n' "$right_public"
    for section in "$@"; do printf '[Peer]\nPublicKey = %s\nAllowedIPs = %s\n' ${section}; done
  } >/etc/wireguard/wg1.conf
}
write_conf "$p1 10.200.0.0/24,10.201.0.0/24" "$p2 10.210.0.0/24"
in_ns left "$WGKIT_WG_QUICK" up wg1

printf '%s\n' "$right_private" >/tmp/right.key
in_ns right ip link add wg2 type wireguard
in_ns right "$ORIGINAL_WG" set wg2 private-key /tmp/right.key listen-port 51822 \
  peer "$left_public" allowed-ips 10.100.0.1/32 endpoint 10.99.0.1:51821
in_ns right ip addr add 10.100.0.2/24 dev wg2
in_ns right ip link set wg2 up
in_ns right ping -c 1 -w 60 10.100.0.1 || fail "no ping reply through the tunnel"
before=$(in_ns left "$ORIGINAL_WG" show wg1 latest-handshakes | grep "^$right_public")
[[ $before =~ $'\t'[1-9][0-9]*$ ]] || fail "no handshake with right: $before"

# p1 loses 10.201.0.0/24 and gains 10.202.0.0/24, p2 goes, p3 and p4 come.
write_conf "$p1 10.200.0.0/24,10.202.0.0/24" "$p3 10.230.0.0/24" "$p4 10.240.0.0/24,fd24::/64"
in_ns left "$WGKIT_WG_QUICK" reload wg1 2>/tmp/reload.err || { cat /tmp/reload.err; fail "reload failed"; }
cat /tmp/reload.err
grep -qx '\[#\] ip -4 route del 10.201.0.0/24 dev wg1' /tmp/reload.err || fail "no route deletion"
grep -qx '\[#\] ip -6 route add fd24::/64 dev wg1' /tmp/reload.err || fail "no IPv6 route"
! grep -q "ip link" /tmp/reload.err || fail "reload touched the link"

# The kernel's peers in its own order: public key and allowed IPs of each.
tab=$'\t'
expect_output "$right_public${tab}10.100.0.2/32
$p1${tab}10.200.0.0/24,10.202.0.0/24
$p3${tab}10.230.0.0/24
$p4${tab}10.240.0.0/24,fd24::/64" \
  bash -c "ip netns exec left $ORIGINAL_WG show wg1 dump | tail -n +2 | cut -f1,4"
after=$(in_ns left "$ORIGINAL_WG" show wg1 latest-handshakes | grep "^$right_public")
[[ $before == "$after" ]] || fail "right's handshake changed: $before -> $after"
in_ns right ping -c 1 -w 30 10.100.0.1 || fail "no ping reply after reload"

# Routes through wg1: the file's, not the old ones.
expect_output "10.200.0.0/24 scope link
10.202.0.0/24 scope link
10.230.0.0/24 scope link
10.240.0.0/24 scope link" bash -c "ip -n left route show dev wg1 proto boot | sed 's/ *\$//' | sort"

# Nothing more to do: nothing printed.
ip netns exec left "$WGKIT_WG_QUICK" reload wg1 2>/tmp/again.err
[[ ! -s /tmp/again.err ]] || { cat /tmp/again.err; fail "a second reload printed steps"; }

in_ns left "$WGKIT_WG_QUICK" down wg1
! ip -n left link show wg1 2>/dev/null || fail "wg1 still there after down"
echo "quick reload on the kernel: ok"
