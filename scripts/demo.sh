#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's first command: installs, builds, then shows wgkit's tools at work on a small
# tunnel between two network namespaces (wireguard-go; nothing touches this machine's own
# network namespace, and everything made here is removed on exit).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${WGKIT_BUILD_DIR:-build}

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

step "Installing Debian packages"
bash scripts/bootstrap.sh >/dev/null
step "Building"
if [[ -d $build ]]; then meson setup --reconfigure "$build" >/dev/null; else meson setup "$build" >/dev/null; fi
ninja -C "$build" >/dev/null
wg=$PWD/$build/wg/wg

tag=demo$$
a=wgk-$tag-a b=wgk-$tag-b
cleanup() {
  for ns in "$a" "$b"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -f /var/run/wireguard/wa$$.sock /var/run/wireguard/wb$$.sock
}
trap cleanup EXIT

step "Keys: wg genkey | wg pubkey"
ka=$("$wg" genkey) kb=$("$wg" genkey)
pa=$(printf '%s' "$ka" | "$wg" pubkey) pb=$(printf '%s' "$kb" | "$wg" pubkey)
echo "  node A public key: $pa"
echo "  node B public key: $pb"

step "Two namespaces joined by a veth pair (192.0.2.1 <-> 192.0.2.2)"
ip netns add "$a"; ip netns add "$b"
ip link add vA$$ netns "$a" type veth peer name vB$$ netns "$b"
ip -n "$a" addr add 192.0.2.1/24 dev vA$$; ip -n "$a" link set vA$$ up; ip -n "$a" link set lo up
ip -n "$b" addr add 192.0.2.2/24 dev vB$$; ip -n "$b" link set vB$$ up; ip -n "$b" link set lo up

step "wireguard-go in each, configured with wgkit's wg setconf"
WG_PROCESS_FOREGROUND=1 ip netns exec "$a" wireguard-go -f wa$$ >/dev/null 2>&1 &
WG_PROCESS_FOREGROUND=1 ip netns exec "$b" wireguard-go -f wb$$ >/dev/null 2>&1 &
for _ in $(seq 100); do [[ -S /var/run/wireguard/wa$$.sock && -S /var/run/wireguard/wb$$.sock ]] && break; sleep 0.05; done
umask 077
conf=$(mktemp -d)
trap 'cleanup; rm -rf "$conf"' EXIT
printf '[Interface]\nPrivateKey = %s\nListenPort = 51820\n\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.0.0.2/32\nEndpoint = 192.0.2.2:51820\n' "$ka" "$pb" > "$conf/a.conf"
printf '[Interface]\nPrivateKey = %s\nListenPort = 51820\n\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.0.0.1/32\nEndpoint = 192.0.2.1:51820\n' "$kb" "$pa" > "$conf/b.conf"
ip netns exec "$a" "$wg" setconf wa$$ "$conf/a.conf"
ip netns exec "$b" "$wg" setconf wb$$ "$conf/b.conf"
ip -n "$a" addr add 10.0.0.1/24 dev wa$$; ip -n "$a" link set wa$$ up
ip -n "$b" addr add 10.0.0.2/24 dev wb$$; ip -n "$b" link set wb$$ up

step "Ping through the tunnel: 10.0.0.1 -> 10.0.0.2"
ip netns exec "$a" ping -c 3 -i 0.2 -W 2 10.0.0.2 | tail -2

step "wg show (node A)"
WG_COLOR_MODE=always ip netns exec "$a" "$wg" show wa$$
