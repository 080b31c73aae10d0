#!/usr/bin/env bash
# The error messages of reference §1.8 that only the in-kernel backend produces (§3.6): no such
# device, a device that is not WireGuard, a caller without CAP_NET_ADMIN, and (target only) a
# name of 16 characters on the get path and a '-' allowed IP on a kernel before 6.16. Each
# from our wg with exit 1, and where the versions agree exactly what Debian's wg prints. (The
# netns suite, tests/netns/wg_errors.py, has the rest; it runs where no module is loaded.)
set -euo pipefail
source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"
ours=$WGKIT_WG
theirs=$ORIGINAL_WG
peer=E6SBXzoeH667+1Z8T7Ijb+K3UOZ5XErySrIH4j36OyI=

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; ip link del wga 2>/dev/null || true; ip link del dummy0 2>/dev/null || true' EXIT
run ip link add wga type wireguard
printf '[Peer]\nPublicKey = %s\nAllowedIPs = 10.0.0.0/8\n' "$peer" >"$tmp/peer.conf"
chmod 0644 "$tmp/peer.conf"
chmod 0755 "$tmp"

checks=0
# same_error EXPECTED_STDERR [RUNNER...] -- ARGS: ours and Debian's print the same stderr, which
# is EXPECTED_STDERR, nothing on stdout, and both exit 1.
same_error() {
  local expected=$1 runner=()
  shift
  while [[ $1 != -- ]]; do runner+=("$1"); shift; done
  shift
  local binary label out err status
  for binary in "$ours" "$theirs"; do
    label=$([[ $binary == "$ours" ]] && echo ours || echo "Debian's")
    status=0
    echo "+ ${runner[*]} $label wg $*" >&2
    "${runner[@]}" "$binary" "$@" >"$tmp/out" 2>"$tmp/err" || status=$?
    out=$(<"$tmp/out") err=$(<"$tmp/err")
    ((status == 1)) || fail "$label wg $*: exit $status, expected 1 (stderr: $err)"
    [[ -z $out ]] || fail "$label wg $*: unexpected stdout: $out"
    [[ $err == "$expected" ]] || fail "$label wg $*: stderr '$err', expected '$expected'"
  done
  ((++checks))
}
# ours_error EXPECTED_STDERR ARGS: the target's behaviour, ours alone.
ours_error() {
  local expected=$1 status=0 err
  shift
  echo "+ ours wg $*" >&2
  "$ours" "$@" >"$tmp/out" 2>"$tmp/err" || status=$?
  err=$(<"$tmp/err")
  ((status == 1)) || fail "ours wg $*: exit $status, expected 1 (stderr: $err)"
  [[ ! -s $tmp/out && $err == "$expected" ]] || fail "ours wg $*: stderr '$err', expected '$expected'"
  ((++checks))
}

# ENODEV.
same_error "Unable to access interface: No such device" -- show wgnone
same_error "Unable to access interface: No such device" -- show wgnone dump
same_error "Unable to access interface: No such device" -- showconf wgnone
same_error "Unable to modify interface: No such device" -- set wgnone listen-port 1
same_error "Unable to modify interface: No such device" -- setconf wgnone "$tmp/peer.conf"
same_error "Unable to modify interface: No such device" -- addconf wgnone "$tmp/peer.conf"
same_error "Unable to retrieve current interface configuration: No such device" -- syncconf wgnone "$tmp/peer.conf"

# EOPNOTSUPP: a link that is not WireGuard.
same_error "Unable to access interface: Operation not supported" -- show lo
same_error "Unable to access interface: Operation not supported" -- showconf lo
same_error "Unable to modify interface: Operation not supported" -- set lo listen-port 1
same_error "Unable to modify interface: Operation not supported" -- setconf lo "$tmp/peer.conf"

# EPERM: the generic netlink operations need CAP_NET_ADMIN.
# shellcheck disable=SC2016  # expanded by the shell su starts
nobody=(su -p -s /usr/bin/bash nobody -c 'exec "$0" "$@"')
same_error "Unable to access interface: Operation not permitted" "${nobody[@]}" -- show wga
same_error "Unable to access interface: Operation not permitted" "${nobody[@]}" -- showconf wga
same_error "Unable to modify interface: Operation not permitted" "${nobody[@]}" -- set wga listen-port 1
same_error "Unable to modify interface: Operation not permitted" "${nobody[@]}" -- setconf wga "$tmp/peer.conf"
same_error "Unable to retrieve current interface configuration: Operation not permitted" \
  "${nobody[@]}" -- syncconf wga "$tmp/peer.conf"
# All mode: the interface is listed (rtnetlink needs no privilege), then its get fails: the
# per-interface message, and exit 1 since every interface failed.
same_error "Unable to access interface wga: Operation not permitted" "${nobody[@]}" -- show all

# Target (v1.0.20250521+): names of 16 or more characters fail the kernel get with ENAMETOOLONG.
ours_error "Unable to access interface: File name too long" show aaaaaaaaaaaaaaaa
ours_error "Unable to access interface: File name too long" showconf aaaaaaaaaaaaaaaa
# Target: '-' on an allowed IP needs WGALLOWEDIP_A_FLAGS, which kernels before 6.16 reject.
kver=$(uname -r)
if [[ $(printf '%s\n6.16\n' "${kver%%-*}" | sort -V | head -1) != 6.16 ]]; then
  ours_error "Unable to modify interface: Invalid argument" set wga peer "$peer" allowed-ips -10.0.0.0/8
fi
echo "$checks checks"
echo PASS
