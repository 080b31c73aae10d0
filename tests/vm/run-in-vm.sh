#!/usr/bin/env bash
# Runs a bash test script inside a throwaway qemu guest that has the real in-kernel WireGuard
# module, and exits with that script's exit status. See tests/vm/README.md for the guest's
# paths and environment.
#
# Usage: run-in-vm.sh BUILD_DIR TEST_SCRIPT [ARGS...]
#
# Exit status: the test script's (0..255), or
#   99  the lab itself failed: a part is missing (qemu, kernel, module, our build) or the
#       guest ended without reporting a status (kernel panic, init failure);
#   124 the guest ran longer than WGKIT_VM_TIMEOUT seconds (default 600) and was killed;
#   77  a part is missing and WGKIT_VM_SKIP_MISSING=1 (for machines that cannot run the lab).
# Environment: WGKIT_VM_TIMEOUT, WGKIT_VM_SKIP_MISSING, WGKIT_VM_CACHE (default
# BUILD_DIR/vm-cache), WGKIT_VM_KVER (kernel version to boot), WGKIT_VM_PASSENV (names of host
# variables to set in the guest too), WGKIT_VM_APPEND (extra kernel arguments, e.g. loglevel=7),
# WGKIT_VM_CPU (qemu -cpu model, default max).
set -euo pipefail

readonly status_lab_error=99 status_timeout=124 status_skip=77

missing() {
  echo "run-in-vm.sh: $*" >&2
  if [[ ${WGKIT_VM_SKIP_MISSING:-0} == 1 ]]; then
    echo "run-in-vm.sh: skipping (WGKIT_VM_SKIP_MISSING=1)" >&2
    exit $status_skip
  fi
  exit $status_lab_error
}
lab_error() { echo "run-in-vm.sh: $*" >&2; exit $status_lab_error; }

(($# >= 2)) || lab_error "usage: run-in-vm.sh BUILD_DIR TEST_SCRIPT [ARGS...]"
build_dir=$(readlink -f "$1")
script=$(readlink -f "$2")
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_root=$(cd "$here/../.." && pwd)
timeout_s=${WGKIT_VM_TIMEOUT:-600}
cache_dir=${WGKIT_VM_CACHE:-$build_dir/vm-cache}

[[ -f $script ]] || lab_error "test script $script not found"
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || lab_error "WGKIT_VM_TIMEOUT must be a positive number of seconds"
command -v qemu-system-x86_64 >/dev/null || missing "qemu-system-x86_64 not found (install qemu-system-x86)"
for f in wg/wg wg-quick/wg-quick; do
  [[ -x $build_dir/$f ]] || missing "$build_dir/$f not found: build first (ninja -C $build_dir)"
done

entry=$("$here/mkimage.sh" "$cache_dir") || missing "could not build the guest image (see above)"
kver=$(<"$entry/kver")
vmlinuz=/boot/vmlinuz-$kver
[[ -r $vmlinuz ]] || missing "$vmlinuz is missing or unreadable"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wgkit-vm.XXXXXX")
qemu_pid=
cleanup() {
  if [[ -n $qemu_pid ]]; then kill "$qemu_pid" 2>/dev/null || true; wait "$qemu_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The per-run payload, appended to the cached image as a second cpio archive.
payload=$tmp/payload
mkdir -p "$payload"/wgkit/{bin,lib,src,case}
cp "$build_dir/wg/wg" "$build_dir/wg-quick/wg-quick" "$payload/wgkit/bin/"
[[ -e $build_dir/lib/libwgkit.so ]] || missing "$build_dir/lib/libwgkit.so not found: build first"
for f in "$build_dir"/lib/libwgkit.so*; do
  [[ -d $f ]] || cp -P "$f" "$payload/wgkit/lib/"
done
# Test programs built beside this script (tests/vm/meson.build), e.g. genl_family_probe.
for f in "$build_dir"/tests/vm/*; do
  [[ -f $f && -x $f && $(head -c 4 "$f" | od -An -c | tr -d ' ') == 177ELF ]] && cp "$f" "$payload/wgkit/bin/"
done
# Debug info is most of a debugoptimized build's size, and the guest unpacks every byte
# under emulation; symbols stay for backtraces.
if command -v strip >/dev/null; then
  for f in "$payload"/wgkit/bin/* "$payload"/wgkit/lib/libwgkit.so*; do
    [[ -L $f ]] || strip --strip-debug "$f"
  done
fi
# Shared libraries our binaries need and the image lacks, by soname into /wgkit/lib.
for f in "$payload"/wgkit/bin/* "$payload"/wgkit/lib/libwgkit.so*; do
  [[ -L $f ]] && continue
  ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' || true
done | sort -u | while read -r soname path; do
  [[ $path == "$build_dir"/* || -e $payload/wgkit/lib/$soname ]] && continue
  real=$(readlink -f "$path")
  grep -qxF -e "$path" -e "$(readlink -f "$(dirname "$path")")/$soname" "$entry/files" && continue
  cp "$real" "$payload/wgkit/lib/$soname"
done
cp -r "$source_root/tests" "$payload/wgkit/src/"
find "$payload/wgkit/src" -name __pycache__ -prune -exec rm -rf {} +
# A script from the source tree runs from its place in /wgkit/src so it can find its neighbours.
if [[ $script == "$source_root"/tests/* ]]; then
  guest_script=/wgkit/src/${script#"$source_root"/}
else
  cp "$script" "$payload/wgkit/case/"
  guest_script=/wgkit/case/$(basename "$script")
fi
{
  printf 'WGKIT_VM_SCRIPT=%q\n' "$guest_script"
  printf 'WGKIT_VM_ARGS=('
  (($# == 0)) || printf ' %q' "$@"
  printf ' )\n'
  for name in ${WGKIT_VM_PASSENV:-}; do
    [[ -v $name ]] && printf 'export %s=%q\n' "$name" "${!name}"
  done
} >"$payload/wgkit/argv"
(cd "$payload" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
  cpio --quiet -o -H newc -R 0:0) >"$tmp/payload.cpio"
cat "$entry/base.cpio" "$tmp/payload.cpio" >"$tmp/initrd"

# The guest reports "exit N" on its second serial port, a file here: a channel the test's own
# output (the console, ttyS0, on our stdout) cannot reach.
: >"$tmp/status"
# qboot boots a -kernel faster than SeaBIOS and prints nothing (SeaBIOS resets the terminal).
firmware=()
[[ -e /usr/share/qemu/qboot.rom ]] && firmware=(-bios qboot.rom)
timeout --kill-after=10 "$timeout_s" \
  qemu-system-x86_64 -accel tcg -cpu "${WGKIT_VM_CPU:-max}" -m 1G -smp 1 -nographic -no-reboot \
  -nodefaults -no-user-config "${firmware[@]}" \
  -kernel "$vmlinuz" -initrd "$tmp/initrd" \
  -append "console=ttyS0 panic=-1 quiet ${WGKIT_VM_APPEND:-}" \
  -serial mon:stdio -serial "file:$tmp/status" \
  </dev/null &
qemu_pid=$!
qemu_status=0
wait "$qemu_pid" || qemu_status=$?
qemu_pid=

if ((qemu_status == 124 || qemu_status == 137)); then
  echo "run-in-vm.sh: $(basename "$script"): no result after ${timeout_s}s, guest killed" >&2
  exit $status_timeout
fi
report=$(tr -d '\r' <"$tmp/status")
case $report in
  "exit "*)
    status=${report#exit }
    [[ $status =~ ^[0-9]+$ ]] || lab_error "unreadable status report from the guest: $report"
    exit "$status"
    ;;
  "error "*) lab_error "guest: ${report#error }" ;;
  *) lab_error "the guest ended without reporting a status (qemu exit $qemu_status; kernel panic or crash?)" ;;
esac
