#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the wgkit .debs into a fresh Debian chroot made by debootstrap and runs
# `wg --version` and `wg genkey | wg pubkey` there (the public key checked against Debian's own
# wg on the host, when installed). Heavy: it fetches a minimal Debian from the package mirror
# that apt on this machine is configured with (read from /etc/apt/sources.list* at run time).
#   tests/dist/deb_chroot.sh [DEB_DIR]   DEB_DIR holds the .debs; default: build them now with
#                                        tests/dist/deb_build.sh
# Root only (debootstrap, chroot). Exit 0 pass, 77 skip, 1 fail.
set -uo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root"; exit 77; }
command -v debootstrap >/dev/null || { echo "SKIP: debootstrap not installed (scripts/bootstrap.sh)"; exit 77; }

work=$(mktemp -d /var/tmp/wgkit-chroot.XXXXXX)
root=$work/root
cleanup() {
    for m in "$root/proc" "$root/dev/pts" "$root/dev"; do
        mountpoint -q "$m" && umount -l "$m"
    done
    rm -rf "$work"
}
trap cleanup EXIT

debs=${1:-}
if [[ -z $debs ]]; then
    debs=$work/debs
    WGKIT_DEB_OUT=$debs bash "$here/deb_build.sh" || { echo "FAIL: building the .debs"; exit 1; }
fi
ls "$debs"/wgkit-tools_*.deb "$debs"/libwgkit0_*.deb >/dev/null || { echo "FAIL: no .debs in $debs"; exit 1; }

# The first Debian mirror apt uses here (deb822 "URIs:" or one-line "deb URL SUITE").
mirror=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null)
[[ -n $mirror ]] || mirror=$(awk '$1 == "deb" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
. /etc/os-release
[[ -n $mirror && -n ${VERSION_CODENAME:-} ]] || { echo "SKIP: no apt mirror or codename configured"; exit 77; }

pass=0 fail=0
ok() { ((pass++)); }
bad() { ((fail++)); echo "FAIL: $*"; }

echo "debootstrap --variant=minbase $VERSION_CODENAME (log: $work/debootstrap.log)"
if ! debootstrap --variant=minbase "$VERSION_CODENAME" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -20 "$work/debootstrap.log"
    echo "FAIL: debootstrap"
    exit 1
fi
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/tmp/debs" && find "$debs" -name '*.deb' ! -name '*-dbgsym_*' -exec cp -t "$root/tmp/debs" {} +
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

# apt resolves the libraries the packages depend on from the same mirror.
if in_root sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/debs/*.deb' \
    >"$work/install.log" 2>&1; then
    ok
else
    tail -30 "$work/install.log"
    bad "apt-get install of the .debs in the chroot"
fi

version=$(in_root wg --version 2>&1)
echo "chroot: wg --version: $version"
[[ $version =~ ^wgkit\ v[0-9.]+\ \(wireguard-tools\ v1\.0\.20260223\ compatible\)$ ]] && ok ||
    bad "wg --version printed '$version'"

private=$(in_root sh -c 'umask 077; wg genkey')
public=$(printf '%s\n' "$private" | in_root wg pubkey)
echo "chroot: wg genkey | wg pubkey: $public"
[[ $private =~ ^[A-Za-z0-9+/]{43}=$ && $public =~ ^[A-Za-z0-9+/]{43}=$ ]] && ok ||
    bad "genkey/pubkey printed '$private' / '$public'"
if [[ -x /usr/bin/wg ]]; then
    [[ $(printf '%s\n' "$private" | /usr/bin/wg pubkey) == "$public" ]] && ok ||
        bad "the chroot's public key differs from Debian's wg on the host"
fi
pipe=$(in_root sh -c 'wg genkey | wg pubkey')
[[ $pipe =~ ^[A-Za-z0-9+/]{43}=$ ]] && ok || bad "wg genkey | wg pubkey printed '$pipe'"

# The package's own files are where Debian expects them, and /etc/wireguard is root's alone.
[[ $(in_root stat -c %a /etc/wireguard) == 700 ]] && ok || bad "/etc/wireguard mode $(in_root stat -c %a /etc/wireguard)"
for path in /usr/bin/wg-quick /lib/systemd/system/wg-quick@.service /usr/share/man/man8/wg.8.gz \
    /usr/share/bash-completion/completions/wg; do
    in_root test -e "$path" && ok || bad "$path missing in the chroot"
done
provides=$(in_root dpkg-query -W -f '${Provides}\n' wgkit-tools)
[[ $provides == wireguard-tools ]] && ok || bad "wgkit-tools provides '$provides', not wireguard-tools"

echo "$pass passed, $fail failed"
((fail == 0))
