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

step "wgkit's wg-quick up in each (no kernel module here: it falls back to wireguard-go)"
wgq=$PWD/$build/wg-quick/wg-quick
umask 077
conf=$(mktemp -d)
trap 'cleanup; rm -rf "$conf"' EXIT
printf '[Interface]\nAddress = 10.0.0.1/24\nPrivateKey = %s\nListenPort = 51820\n\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.0.0.2/32\nEndpoint = 192.0.2.2:51820\n' "$ka" "$pb" > "$conf/wa$$.conf"
printf '[Interface]\nAddress = 10.0.0.2/24\nPrivateKey = %s\nListenPort = 51820\n\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.0.0.1/32\nEndpoint = 192.0.2.1:51820\n' "$kb" "$pa" > "$conf/wb$$.conf"
ip netns exec "$a" "$wgq" up "$conf/wa$$.conf"
ip netns exec "$b" "$wgq" up "$conf/wb$$.conf"

step "Ping through the tunnel: 10.0.0.1 -> 10.0.0.2"
ip netns exec "$a" ping -c 3 -i 0.2 -W 2 10.0.0.2 | tail -2

step "wg show (node A)"
WG_COLOR_MODE=always ip netns exec "$a" "$wg" show wa$$

step "wg-quick down in each"
ip netns exec "$a" "$wgq" down "$conf/wa$$.conf"
ip netns exec "$b" "$wgq" down "$conf/wb$$.conf"
