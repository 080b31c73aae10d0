#!/usr/bin/env bash
# Kernel lab, IPForward (issue 6 §1) on the in-kernel module: two clients whose only peer is
# the relay ping each other through it while the relay's FORWARD policy drops, first on the
# nft path (iptables-nft's FORWARD policy plus a native inet table dropping), then on the
# iptables path (WGKIT_QUICK_FIREWALL=iptables); after each down the forwarding sysctl is back
# to its pre-up value (0, then 1) and the relay's firewall is as before up.
set -euo pipefail
source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"
mkdir -p /etc/wireguard && chmod 700 /etc/wireguard

cleanup() {
  for ns in r a b; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

for ns in r a b; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
link() { # NS-A NS-B ADDR-A ADDR-B NAME
  ip -n "$1" link add "$5a" type veth peer name "$5b" netns "$2"
  ip -n "$1" addr add "$3/24" dev "$5a"
  ip -n "$2" addr add "$4/24" dev "$5b"
  ip -n "$1" link set "$5a" up
  ip -n "$2" link set "$5b" up
}
link r a 198.51.100.1 198.51.100.2 ra
link r b 203.0.113.1 203.0.113.2 rb

rk=$(wg genkey) ak=$(wg genkey) bk=$(wg genkey)
rp=$(wg pubkey <<<"$rk") ap=$(wg pubkey <<<"$ak") bp=$(wg pubkey <<<"$bk")
conf() { # NAME TEXT
  printf '%b' "$2" >"/etc/wireguard/$1.conf"
  chmod 600 "/etc/wireguard/$1.conf"
}
relay_conf() { # EXTRA-INTERFACE-LINE
  conf wgr "[Interface]\nPrivateKey = $rk\nAddress = 10.77.0.1/24\nListenPort = 51820\n$1\n[Peer]\nPublicKey = $ap\nAllowedIPs = 10.77.0.2/32\n\n[Peer]\nPublicKey = $bp\nAllowedIPs = 10.77.0.3/32\n"
}
conf wga "[Interface]\nPrivateKey = $ak\nAddress = 10.77.0.2/32\n\n[Peer]\nPublicKey = $rp\nAllowedIPs = 10.77.0.0/24\nEndpoint = 198.51.100.1:51820\nPersistentKeepalive = 1\n"
conf wgb "[Interface]\nPrivateKey = $bk\nAddress = 10.77.0.3/32\n\n[Peer]\nPublicKey = $rp\nAllowedIPs = 10.77.0.0/24\nEndpoint = 203.0.113.1:51820\nPersistentKeepalive = 1\n"

firewall() { # the relay's rules, without packet counters
  { ip netns exec r nft list ruleset; ip netns exec r iptables-save; } 2>&1 |
    grep -v '^#' | sed -e 's/\[[0-9]*:[0-9]*\]/[n:n]/' -e 's/packets [0-9]* bytes [0-9]*/packets n bytes n/'
}

pings() { # NS ADDRESS
  for _ in 1 2 3 4 5 6 7 8; do
    ip netns exec "$1" ping -n -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0
  done
  return 1
}

relay_case() { # LABEL PRIOR [ENV...]
  local label=$1 prior=$2 before after
  shift 2
  in_ns r sysctl -q "net.ipv4.ip_forward=$prior"
  before=$(firewall)
  in_ns r env "$@" "$WGKIT_WG_QUICK" up wgr 2>/tmp/r.err || { cat /tmp/r.err; fail "$label: relay up failed"; }
  cat /tmp/r.err
  ! grep -q "Falling back" /tmp/r.err || fail "$label: fell back to userspace next to the module"
  grep -qx '\[#\] sysctl -q net.ipv4.ip_forward=1' /tmp/r.err || fail "$label: no sysctl step"
  in_ns a "$WGKIT_WG_QUICK" up wga
  in_ns b "$WGKIT_WG_QUICK" up wgb
  pings b 10.77.0.1 || fail "$label: b does not reach the relay"
  pings a 10.77.0.3 || { firewall; fail "$label: a does not reach b through the relay"; }
  pings b 10.77.0.2 || fail "$label: b does not reach a through the relay"
  expect_output 1 ip netns exec r sysctl -n net.ipv4.ip_forward
  in_ns a "$WGKIT_WG_QUICK" down wga
  in_ns b "$WGKIT_WG_QUICK" down wgb
  in_ns r env "$@" "$WGKIT_WG_QUICK" down wgr
  expect_output "$prior" ip netns exec r sysctl -n net.ipv4.ip_forward
  after=$(firewall)
  [[ $before == "$after" ]] || { diff <(echo "$before") <(echo "$after") || true; fail "$label: firewall after down differs"; }
  echo "quick relay $label: ok"
}

in_ns r iptables -P FORWARD DROP
in_ns r nft 'add table inet hostfw; add chain inet hostfw forward { type filter hook forward priority 0; policy drop; }'
# Control: forwarding on but no IPForward: the drop must eat the ping, or this case proves nothing.
in_ns r sysctl -q net.ipv4.ip_forward=1
relay_conf ""
in_ns r "$WGKIT_WG_QUICK" up wgr
in_ns a "$WGKIT_WG_QUICK" up wga
in_ns b "$WGKIT_WG_QUICK" up wgb
pings b 10.77.0.1 || fail "control: b does not reach the relay"
pings a 10.77.0.1 || fail "control: a does not reach the relay"
! ip netns exec a ping -n -c 2 -W 1 10.77.0.3 >/dev/null 2>&1 || fail "control: a reached b although FORWARD drops"
for n in a b r; do in_ns "$n" "$WGKIT_WG_QUICK" down "wg$n"; done
echo "quick relay control: ok"
relay_conf "IPForward = ipv4\n"

relay_case nft 0
in_ns r nft delete table inet hostfw
relay_case iptables 1 WGKIT_QUICK_FIREWALL=iptables
