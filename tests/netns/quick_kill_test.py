#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""wg-quick killed mid-operation, and `save` on a full disk (issue 10, docs/robustness.md).

- kill_in_up: SIGKILL to our wg-quick while its PostUp sleeps (everything else done). Its state
  record must be there; our `down` must then undo all of it from the record: the namespace
  snapshot equals the pre-up one (src_valid_mark aside, as in quick_fault_test.py), no record,
  no UAPI socket.
- kill_in_down: after a complete `up`, SIGKILL to our `down` while `resolvconf -d` hangs (the
  rules and the link are gone by then; DNS and the firewall tables are not). A second `down`
  must finish the job from the record and exit 0, with the same end state.
- record_holds_no_keys: the state record of an `up` with private and preshared keys is 0600 in
  a 0700 directory and contains no key, private or public.
- save_full_disk: /etc/wireguard on a 64 KiB tmpfs in a private mount namespace, filled to the
  last byte. `save` must exit 1 with a message naming the file, leave the config file unchanged
  and no temp file behind. With room again (a left-over world-readable IF.conf.tmp in the way)
  `save` must succeed and the saved file be 0600.
Root only; exit 0 pass, 77 skip, 1 fail.
"""
import os
import signal
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nslib  # noqa: E402
import quick_lib as ql  # noqa: E402
from quick_matrix_test import K, PEER1, iface, peer, src_valid_mark_neutral  # noqa: E402

PSK = K[2][0]  # a private key of the suite serves as a preshared key (any 32 bytes do)
FULL = "Address = 10.41.0.2/32, fd41::2/128\nDNS = 10.41.0.1, example.com\n"
FULL_PEERS = [peer(PEER1, "0.0.0.0/0, ::/0, 10.141.0.0/16", "127.0.0.1:51999") + f"PresharedKey = {PSK}\n"]

# resolvconf stand-in whose -d announces itself (pid in /etc/wgk-hang) and hangs.
HANGING_RESOLVCONF = ql.RESOLVCONF_STUB.replace(
    '-d) ', '-d) echo $$ > /etc/wgk-hang; exec sleep 60 ;;\n-D) ', 1)


def wait_for(path, proc, what):
    for _ in range(1200):
        if os.path.exists(path) and open(path).read().strip():
            return
        if proc.poll() is not None:
            raise ql.Failure(f"{what}: wg-quick ended ({proc.returncode}) before the hang:\n"
                             f"{proc.communicate()[1]}")
        time.sleep(0.05)
    raise ql.Failure(f"{what}: {path} never appeared")


def kill_when(host, argv, marker, what):
    """Runs our wg-quick, SIGKILLs it once `marker` (under the host's /etc) holds the pid of
    the hanging child, then kills that child too (it would sleep on, orphaned)."""
    path = os.path.join(host.upper, marker)
    proc = subprocess.Popen(host.argv([ql.ours_wg_quick()] + argv), env=host.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(path, proc, what)
        # `ip netns exec`, `unshare` and `sh -c 'exec ...'` all exec: the pid is wg-quick's.
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        # the orphan holds our pipes open: end it before reading them to the end
        kill_pid_in(path)
        proc.communicate(timeout=60)
        if proc.returncode != -signal.SIGKILL:
            raise ql.Failure(f"{what}: wg-quick ended with {proc.returncode}, not by SIGKILL")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        kill_pid_in(path)
        os.unlink(path)


def kill_pid_in(path):
    try:
        os.kill(int(open(path).read().split()[0]), signal.SIGKILL)
    except (OSError, ValueError, IndexError):
        pass


def expect_gone(host, ifname, before, what, transcript):
    if host.run(["ip", "link", "show", ifname], check=False).returncode == 0:
        raise ql.Failure(f"{what}: {ifname} still exists\n{transcript}")
    if ql.state_records(ifname):
        raise ql.Failure(f"{what}: a state record was left behind\n{transcript}")
    for _ in range(400):
        if not os.path.exists(os.path.join(nslib.SOCK_DIR, ifname + ".sock")):
            break
        time.sleep(0.05)
    else:
        raise ql.Failure(f"{what}: the UAPI socket is still there")
    ql.expect_equal(src_valid_mark_neutral(before), src_valid_mark_neutral(host.snapshot([ifname])),
                    f"{what}: state at the end vs before up\n{transcript}", "before", "after")


def down(host, ifname, what):
    r = host.run([ql.ours_wg_quick(), "down", ifname], check=False)
    if r.returncode != 0:
        raise ql.Failure(f"{what}: `wg-quick down` exited {r.returncode}:\n{r.stderr}")
    return r.stderr


def kill_in_up(lab, tmp):
    q = ql.Host(lab, "u", tmp)
    ifname = ql.unique_name("wku")
    try:
        q.write_etc(f"wireguard/{ifname}.conf",
                    iface(FULL + "PostUp = echo $$ > /etc/wgk-hang; exec sleep 60", FULL_PEERS), 0o600)
        before = q.snapshot([ifname])
        kill_when(q, ["up", ifname], "wgk-hang", "kill_in_up")
        if not ql.state_records(ifname):
            raise ql.Failure("kill_in_up: no state record after the kill")
        if q.run(["ip", "link", "show", ifname], check=False).returncode != 0:
            raise ql.Failure("kill_in_up: the link is gone already: the kill came too late to test anything")
        expect_gone(q, ifname, before, "kill_in_up", down(q, ifname, "kill_in_up"))
    finally:
        ql.cleanup_interfaces([ifname])


def kill_in_down(lab, tmp):
    q = ql.Host(lab, "d", tmp)
    ifname = ql.unique_name("wkd")
    stub = os.path.join(q.bin, "resolvconf")
    try:
        q.write_etc(f"wireguard/{ifname}.conf", iface(FULL, FULL_PEERS), 0o600)
        before = q.snapshot([ifname])
        q.run([ql.ours_wg_quick(), "up", ifname])
        with open(stub, "w") as f:
            f.write(HANGING_RESOLVCONF)
        kill_when(q, ["down", ifname], "wgk-hang", "kill_in_down")
        with open(stub, "w") as f:
            f.write(ql.RESOLVCONF_STUB)
        if "resolvconf records\n# " not in q.snapshot([ifname]):
            raise ql.Failure("kill_in_down: the DNS record is gone already: nothing left to finish")
        expect_gone(q, ifname, before, "kill_in_down", down(q, ifname, "kill_in_down (second down)"))
    finally:
        ql.cleanup_interfaces([ifname])


def record_holds_no_keys(lab, tmp):
    q = ql.Host(lab, "r", tmp)
    ifname = ql.unique_name("wkr")
    try:
        q.write_etc(f"wireguard/{ifname}.conf", iface(FULL, FULL_PEERS), 0o600)
        q.run([ql.ours_wg_quick(), "up", ifname])
        records = ql.state_records(ifname)
        if len(records) != 1:
            raise ql.Failure(f"record_holds_no_keys: {len(records)} state records, want 1")
        text = open(records[0]).read()
        for name, secret in (("private key", K[0][0]), ("public key", K[0][1]), ("peer key", PEER1),
                             ("preshared key", PSK)):
            if secret in text or secret[:20] in text:
                raise ql.Failure(f"record_holds_no_keys: the state record holds the {name}")
        for path, want in ((records[0], 0o600), (os.path.dirname(records[0]), 0o700)):
            mode = stat.S_IMODE(os.stat(path).st_mode)
            if mode != want:
                raise ql.Failure(f"record_holds_no_keys: {path} has mode {mode:o}, want {want:o}")
        if not text.startswith("wgkit-quick 1 ifindex ") or "\nlink " not in text:
            raise ql.Failure(f"record_holds_no_keys: not a record of this up:\n{text}")
        down(q, ifname, "record_holds_no_keys")
    finally:
        ql.cleanup_interfaces([ifname])


# Runs in the host's private mount namespace (quick_lib's overlay over /etc), where a 64 KiB
# tmpfs replaces /etc/wireguard. "$2" is the config text's file, "$3" our wg-quick.
FULL_DISK_SCRIPT = r"""
set -u
if=$1 src=$2 wgq=$3 dir=/etc/wireguard conf=/etc/wireguard/$1.conf
mount -t tmpfs -o size=64k,mode=0700 wgk-full "$dir" || exit 90
cp "$src" "$conf" && chmod 600 "$conf" || exit 91
before=$(sha256sum < "$conf")
dd if=/dev/zero of="$dir/filler" bs=4096 2>/dev/null
dd if=/dev/zero of="$dir/filler" bs=1 oflag=append conv=notrunc 2>/dev/null
echo "free $(df -B1 --output=avail "$dir" | tail -1 | tr -d ' ')"
"$wgq" save "$if" 2>"$dir/../wgk-save-err"
echo "status $?"
echo "stderr $(tail -n 1 /etc/wgk-save-err)"
[ "$(sha256sum < "$conf")" = "$before" ] && echo "config unchanged" || echo "config changed"
ls -A "$dir" | tr '\n' ' '; echo
rm -f "$dir/filler"
touch "$conf.tmp" && chmod 644 "$conf.tmp"
"$wgq" save "$if" 2>/etc/wgk-save-err
echo "status2 $? $(grep -v '^\[#\]' /etc/wgk-save-err)"
echo "mode $(stat -c %a "$conf")"
ls -A "$dir" | tr '\n' ' '; echo
grep -c '^AllowedIPs = ' "$conf"
"""


def save_full_disk(lab, tmp):
    q = ql.Host(lab, "s", tmp)
    ifname = ql.unique_name("wks")
    try:
        config = iface(FULL, FULL_PEERS)
        q.write_etc(f"wireguard/{ifname}.conf", config, 0o600)
        q.run([ql.ours_wg_quick(), "up", ifname])
        src = os.path.join(tmp, "save-src.conf")
        with open(src, "w") as f:
            f.write(config)
        r = q.run(["sh", "-c", FULL_DISK_SCRIPT, "sh", ifname, src, ql.ours_wg_quick()], check=False)
        lines = r.stdout.splitlines()
        want = {
            0: "free 0",
            1: "status 1",
            3: "config unchanged",
            4: f"filler {ifname}.conf ",
            5: "status2 0 ",
            6: "mode 600",
            7: f"{ifname}.conf ",
            8: "1",
        }
        got = {i: lines[i] if i < len(lines) else None for i in want}
        err = lines[2] if len(lines) > 2 else ""
        conf = f"/etc/wireguard/{ifname}.conf"
        if got != want or conf not in err or "No space left on device" not in err:
            raise ql.Failure(f"save_full_disk: want {want} and a stderr naming {conf} and ENOSPC, got:\n"
                             f"{r.stdout}{r.stderr}")
        print(f"  full disk: {err}")
        down(q, ifname, "save_full_disk")
    finally:
        ql.cleanup_interfaces([ifname])


SCENARIOS = [("kill_in_up", kill_in_up), ("kill_in_down", kill_in_down),
             ("record_holds_no_keys", record_holds_no_keys), ("save_full_disk", save_full_disk)]


def body(tmp):
    failures = []
    for index, (name, scenario) in enumerate(SCENARIOS):
        started = time.monotonic()
        with nslib.Lab(f"qk{index}") as lab:
            try:
                scenario(lab, tmp)
                print(f"ok {name} ({time.monotonic() - started:.1f} s)")
            except (ql.Failure, RuntimeError) as e:
                failures.append(f"{name}: {e}")
    return failures


if __name__ == "__main__":
    ql.main(body)
