#!/usr/bin/env bash
# Builds (or finds in the cache) the kernel lab's base initramfs: busybox, the WireGuard module
# and its dependencies, netfilter modules for autoloading, and the host's programs the tests use
# with their shared libraries. See tests/vm/README.md.
#
# Usage: mkimage.sh CACHE_DIR
# Prints the cache entry's directory, which holds:
#   base.cpio  uncompressed newc archive (the guest decompresses nothing: TCG is slow)
#   kver       the kernel version the modules belong to (boot /boot/vmlinuz-$kver)
#   files      every path in the archive, so run-in-vm.sh can leave those out of the payload
# Exits 2 with a message on stderr when a part is missing.
set -euo pipefail

die() { echo "mkimage.sh: $*" >&2; exit 2; }

(($# == 1)) || die "usage: mkimage.sh CACHE_DIR"
cache_dir=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

# The programs tests call, by name; the image holds what these names resolve to on the host.
programs=(
  bash ip nft ping wg wg-quick wireguard-go modprobe sysctl
  iptables ip6tables iptables-restore iptables-save ip6tables-restore ip6tables-save
  /usr/bin/time  # GNU time, for peak RSS in bench/vm.sh (by path: 'time' is a bash keyword)
)
# Modules the kernel may ask for (request_module -> /sbin/modprobe) beyond WireGuard's: veth
# and tun for topologies, netfilter for nft/iptables as wg-quick uses them.
module_dirs=(net/netfilter net/ipv4/netfilter net/ipv6/netfilter)  # not their subdirectories (ipvs)
extra_modules=(veth tun)

# The kernel: WGKIT_VM_KVER, else the newest /boot/vmlinuz-* whose modules include wireguard.
find_kver() {
  if [[ -n ${WGKIT_VM_KVER:-} ]]; then
    echo "$WGKIT_VM_KVER"
    return
  fi
  local vmlinuz kver found=
  for vmlinuz in /boot/vmlinuz-*; do
    [[ -e $vmlinuz ]] || continue
    kver=${vmlinuz#/boot/vmlinuz-}
    modprobe -S "$kver" --show-depends wireguard >/dev/null 2>&1 && found+="$kver"$'\n'
  done
  [[ -n $found ]] || die "no /boot/vmlinuz-* with a wireguard module in /lib/modules (install linux-image-cloud-amd64)"
  printf '%s' "$found" | sort -V | tail -n 1
}

# Prints the absolute paths of a program's file and its shared libraries, including the loader.
elf_closure() {
  local file=$1
  echo "$file"
  # "libx.so.1 => /lib/.../libx.so.1 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)";
  # vdso lines have no path. Static executables make ldd fail: no libraries then.
  ldd "$file" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' || true
}

kver=$(find_kver)
vmlinuz=/boot/vmlinuz-$kver
moddir=/lib/modules/$kver
[[ -r $vmlinuz ]] || die "$vmlinuz is missing or unreadable"
[[ -x /usr/bin/busybox ]] || die "/usr/bin/busybox is missing (install busybox-static)"
busybox_file=$(readlink -f /usr/bin/busybox)
ldd "$busybox_file" >/dev/null 2>&1 && die "$busybox_file is dynamically linked (install busybox-static)"

# The programs and iptables' extensions (dlopened, so ldd does not list them), as the paths
# they are known by on the host.
roots=()
for name in "${programs[@]}"; do
  path=$(command -v "$name") || die "program '$name' not found on the host (run scripts/bootstrap.sh)"
  roots+=("$path")
done
xtables_dir=$(readlink -f "$(dirname "$(readlink -f "$(command -v iptables)")")/../lib/x86_64-linux-gnu/xtables")
[[ -d $xtables_dir ]] || die "iptables extensions directory $xtables_dir not found"
roots+=("$xtables_dir"/*.so)
# libsodium, which wgkit loads on first use (lib/crypto_loader.cc), so ldd of our build does not
# list it either.
# awk reads to the end: leaving early would kill ldconfig with SIGPIPE, which pipefail and set -e
# turn into this script failing at random (it did, on the CI machine).
libsodium=$(ldconfig -p | awk '$1 == "libsodium.so.23" && /x86-64/ && !found { found = $NF } END { print found }')
[[ -n $libsodium ]] || die "libsodium.so.23 not found on the host (install libsodium23)"
roots+=("$libsodium")

# Cache key: this script, the guest's /init, the kernel and its modules, the programs, and the
# library directory's mtime (dpkg renames every file it installs there, so any library
# upgrade changes it). Cheap on purpose: running ldd on every file takes seconds.
key=$(
  {
    cat "${BASH_SOURCE[0]}" "$here/guest-init.sh"
    echo "$kver"
    paste -d ' ' <(printf '%s\n' "${roots[@]}") <(readlink -f "${roots[@]}")
    stat -L -c '%n %s %Y' "$vmlinuz" "$moddir" "$moddir/modules.dep" "$busybox_file" \
      /usr/lib/x86_64-linux-gnu "$xtables_dir" "${roots[@]}"
  } | sha256sum | cut -c1-16
)
entry=$cache_dir/$key
if [[ -f $entry/base.cpio ]]; then
  echo "$entry"
  exit 0
fi

echo "mkimage.sh: building the guest image for kernel $kver in $entry" >&2
# Everything copied from the host: the roots and their shared libraries, loader included.
mapfile -t host_files < <(for f in "${roots[@]}"; do elf_closure "$(readlink -f "$f")"; done | sort -u)
mkdir -p "$cache_dir"
work=$(mktemp -d "$cache_dir/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage=$work/root
mkdir -p "$stage"/usr/{bin,sbin,lib,lib64} "$stage"/{proc,sys,dev,run,tmp,root,etc/wgkit-vm}
# Debian's merged /usr, so paths the host's programs and scripts use exist in the guest.
for d in bin sbin lib lib64; do ln -s "usr/$d" "$stage/$d"; done

# Copies a host file to the same real path in the guest; a symlinked name becomes a symlink.
install_host_file() {
  local path=$1 real
  real=$(readlink -f "$path")
  if [[ ! -e $stage$real ]]; then
    mkdir -p "$stage$(dirname "$real")"
    cp -L --preserve=mode "$real" "$stage$real"
  fi
  if [[ $path != "$real" && ! -e $stage$path && ! -L $stage$path ]]; then
    mkdir -p "$stage$(dirname "$path")"
    ln -s "$real" "$stage$path"
  fi
}

for f in "${host_files[@]}"; do install_host_file "$f"; done
for name in "${programs[@]}"; do install_host_file "$(command -v "$name")"; done

# busybox provides every other command, where no real program of that name is present.
cp "$busybox_file" "$stage/usr/bin/busybox"
for applet in $("$busybox_file" --list); do
  case $applet in init | linuxrc | busybox) continue ;; esac
  [[ -e $stage/usr/bin/$applet || -e $stage/usr/sbin/$applet ]] && continue
  ln -s busybox "$stage/usr/bin/$applet"
done
ln -sfn busybox "$stage/usr/bin/sh"

# Kernel modules: WireGuard's chain in load order, plus the autoload set with its dependencies.
# Compressed modules are decompressed here: busybox insmod may not read them, and the guest
# should spend no TCG time on it.
install_module() {
  local src=$1 dst
  dst=$stage${src%.xz}
  dst=${dst%.zst}
  [[ -e $dst ]] && return
  mkdir -p "$(dirname "$dst")"
  case $src in
    *.ko) cp "$src" "$dst" ;;
    *.ko.xz) xz -dc "$src" >"$dst" ;;
    *.ko.zst) zstd -qdc "$src" >"$dst" ;;
    *) die "unknown module format: $src" ;;
  esac
}

modprobe -S "$kver" --show-depends wireguard >"$work/wg-deps" ||
  die "modprobe -S $kver --show-depends wireguard failed"
: >"$stage/etc/wgkit-vm/modules"
while read -r verb path _; do
  [[ $verb == insmod ]] || continue  # "builtin NAME" needs nothing
  install_module "$path"
  dst=${path%.xz}
  echo "${dst%.zst}" >>"$stage/etc/wgkit-vm/modules"
done <"$work/wg-deps"
grep -q '/wireguard\.ko$' "$stage/etc/wgkit-vm/modules" ||
  die "modprobe --show-depends wireguard for $kver named no wireguard.ko"

mapfile -t autoload < <(
  printf '%s\n' "${extra_modules[@]}"
  for d in "${module_dirs[@]}"; do
    [[ -d $moddir/kernel/$d ]] || continue
    find "$moddir/kernel/$d" -maxdepth 1 -name '*.ko*' -printf '%f\n' | sed 's/\.ko.*$//'
  done
)
modprobe -S "$kver" --show-depends -a "${autoload[@]}" 2>/dev/null |
  while read -r verb path _; do
    [[ $verb == insmod ]] && install_module "$path"
  done
for f in modules.order modules.builtin modules.builtin.modinfo; do
  [[ -e $moddir/$f ]] && cp "$moddir/$f" "$stage$moddir/$f"
done
depmod -b "$stage" "$kver" || die "depmod for the guest's modules failed"

# A small /etc: names for root, protocols and services for nft/iptables, iproute2's tables.
printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$stage/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$stage/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$stage/etc/hosts"
printf 'passwd: files\ngroup: files\nhosts: files\n' >"$stage/etc/nsswitch.conf"
: >"$stage/etc/resolv.conf"
for f in /etc/protocols /etc/services; do [[ -e $f ]] && cp "$f" "$stage$f"; done
for d in /etc/iproute2 /usr/share/iproute2; do
  [[ -d $d ]] && mkdir -p "$stage$(dirname "$d")" && cp -a "$d" "$stage$d"
done
printf '/usr/lib/x86_64-linux-gnu\n/usr/lib\n' >"$stage/etc/ld.so.conf"
ldconfig -r "$stage" 2>/dev/null || true
echo "$kver" >"$stage/etc/wgkit-vm/kver"

install -m 0755 "$here/guest-init.sh" "$stage/init"

(cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort >"$work/names")
sed 's|^|/|' "$work/names" >"$work/files"
(cd "$stage" && cpio --quiet -o -H newc -R 0:0 --reproducible <"$work/names") >"$work/base.cpio" ||
  die "cpio failed"
echo "$kver" >"$work/kver"

# Publish atomically: a concurrent run either sees no entry or a complete one.
mkdir -p "$work/entry"
mv "$work/base.cpio" "$work/kver" "$work/files" "$work/entry/"
if ! mv -T "$work/entry" "$entry" 2>/dev/null; then
  [[ -f $entry/base.cpio ]] || die "could not publish $entry"
fi
# Entries for older inputs are stale; the age limit spares one a concurrent run is copying.
find "$cache_dir" -mindepth 1 -maxdepth 1 -type d -mmin +10 ! -path "$entry" -exec rm -rf {} +
echo "$entry"
