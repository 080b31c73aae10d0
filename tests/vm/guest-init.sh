#!/bin/sh
# /init of the kernel-lab guest (busybox sh, PID 1). See tests/vm/README.md.
#
# Contract with run-in-vm.sh on the host:
#   - the run's payload (appended cpio) holds /wgkit/argv (bash: WGKIT_VM_SCRIPT, WGKIT_VM_ARGS,
#     passed-through variables), /wgkit/bin, /wgkit/lib and /wgkit/src/tests;
#   - the one and only line on the second serial port (ttyS1, a file on the host) is
#     "exit N" with the test script's status, or "error MESSAGE" when the guest could not run
#     the test. Nothing else writes there: the port is opened here and its node removed before
#     the test starts, so a test cannot fake a status by printing.

PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
# devtmpfs lacks these; wg-quick hands `wg setconf` a /dev/fd/N from process substitution.
ln -s /proc/self/fd /dev/fd
ln -s fd/0 /dev/stdin
ln -s fd/1 /dev/stdout
ln -s fd/2 /dev/stderr
# `ip netns add` bind-mounts namespace files under /run/netns.
mkdir -p /run/netns

exec 9>/dev/ttyS1
rm -f /dev/ttyS1
# The console is a serial line: no \n -> \r\n, so the host sees the test's bytes unchanged.
stty -F /dev/console -opost 2>/dev/null

report_and_poweroff() {
  # Closing the port waits until the UART has sent everything, so the line is in the
  # host's file before the machine powers off.
  echo "$1" >&9
  exec 9>&-
  sync
  poweroff -f
  sleep 10  # poweroff -f does not return; never let PID 1 exit (that panics)
}

# The WireGuard module and its dependencies, in the order modprobe --show-depends printed on
# the host when the image was built.
while read -r module; do
  insmod "$module" || report_and_poweroff "error insmod $module failed"
done < /etc/wgkit-vm/modules

ip link set lo up

# The run's arguments and passed-through variables, written by run-in-vm.sh.
[ -r /wgkit/argv ] || report_and_poweroff "error no /wgkit/argv in the payload"

cd /tmp
env -i \
  PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/root TMPDIR=/tmp TERM=dumb LANG=C.UTF-8 \
  LD_LIBRARY_PATH=/wgkit/lib \
  WGKIT_VM=1 \
  WGKIT_VM_KERNEL="$(uname -r)" \
  WGKIT_BIN=/wgkit/bin \
  WGKIT_WG=/wgkit/bin/wg \
  WGKIT_WG_QUICK=/wgkit/bin/wg-quick \
  ORIGINAL_WG=/usr/bin/wg \
  ORIGINAL_WG_QUICK=/usr/bin/wg-quick \
  WGKIT_SOURCE_ROOT=/wgkit/src \
  /usr/bin/bash -c "$(cat <<'GUEST'
source /wgkit/argv || exit 99
# A sanitizer build (ASAN_OPTIONS passed through WGKIT_VM_PASSENV) writes its reports to files,
# so a report from a process whose exit status the case ignores still fails the case (98).
sanitized=
if [[ -n ${ASAN_OPTIONS:-}${UBSAN_OPTIONS:-} ]]; then
  sanitized=/tmp/wgkit-sanitizer
  export ASAN_OPTIONS="${ASAN_OPTIONS:-}:log_path=$sanitized/asan"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:log_path=$sanitized/ubsan"
  mkdir -p "$sanitized"
fi
/usr/bin/bash "$WGKIT_VM_SCRIPT" "${WGKIT_VM_ARGS[@]}"
status=$?
if [[ -n $sanitized ]] && compgen -G "$sanitized/*" >/dev/null; then
  echo "guest: sanitizer reports:"
  cat "$sanitized"/*
  exit 98
fi
exit $status
GUEST
)" \
  </dev/null >/dev/console 2>&1 9>&-
report_and_poweroff "exit $?"
