#!/usr/bin/env bash
# Kernel lab, wg-quick (issue 5): on the in-kernel module (no userspace fallback), Debian's
# wg-quick and ours bring the same configs up; the link, addresses, routes and rules of every
# table, the nft ruleset and the device config must match, our transcript must be the
# target's, and after `down` the guest must be as before.
set -euo pipefail
source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"
mkdir -p /etc/wireguard && chmod 700 /etc/wireguard

# Everything wg-quick touches, with the interface name and link indexes made neutral.
snap() {
  { ip -d link show dev "$1"; ip -d addr show dev "$1"
    ip -d route show table all; ip -6 -d route show table all; ip -d rule; ip -6 -d rule
    nft list ruleset; wg showconf "$1" | sed 's/^ListenPort = .*/ListenPort = <random>/'; } 2>&1 |
    sed -e "s/$1/IF/g" -e 's/^[0-9]*: /N: /' || true
}

write_conf() { # NAME EXTRA-INTERFACE-LINES ALLOWED-IPS
  printf '[Interface]\nPrivateKey = AIFIV2JIzGvVDaE9rCNjHObHKFJqfHxM3tdQmbdSe2w=\n%b\nPostUp = echo up %%i\n\n[Peer]\nPublicKey = E6SBXzoeH667+1Z8T7Ijb+K3UOZ5XErySrIH4j36OyI=\nAllowedIPs = %s\nEndpoint = 127.0.0.1:51999\n' \
    "$2" "$3" >"/etc/wireguard/$1.conf"
  chmod 600 "/etc/wireguard/$1.conf"
}

check_case() { # LABEL EXTRA ALLOWED-IPS
  local label=$1 before o q after
  write_conf wgo "$2" "$3"
  write_conf wgq "$2" "$3"
  before=$(snap none)
  run "$ORIGINAL_WG_QUICK" up wgo
  o=$(snap wgo)
  run "$ORIGINAL_WG_QUICK" down wgo
  run "$WGKIT_WG_QUICK" up wgq 2>/tmp/q.err || { cat /tmp/q.err; fail "$label: our up failed"; }
  cat /tmp/q.err
  ! grep -q "Falling back" /tmp/q.err || fail "$label: ours fell back to userspace next to the module"
  grep -qx '\[#\] ip link add dev wgq type wireguard' /tmp/q.err || fail "$label: no kernel link transcript"
  q=$(snap wgq)
  [[ $o == "$q" ]] || { diff <(echo "$o") <(echo "$q") || true; fail "$label: state after up differs"; }
  run "$WGKIT_WG_QUICK" down wgq
  after=$(snap none)
  [[ $before == "$after" ]] || { diff <(echo "$before") <(echo "$after") || true; fail "$label: state after down differs"; }
  echo "quick kernel $label: ok"
}

check_case full_tunnel 'Address = 10.4.0.2/32, fd04::2/128' '0.0.0.0/0, ::/0, 10.50.0.0/16'
check_case table_1234 'Address = 10.6.0.2/24\nTable = 1234\nMTU = 1380' '0.0.0.0/0, 10.60.0.0/16'
check_case auto_mtu_routes 'Address = 10.7.0.2/24' '10.70.0.0/16, 10.7.0.0/24'
