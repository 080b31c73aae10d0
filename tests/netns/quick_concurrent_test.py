#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Two `wg-quick up` of the same interface at once (issue 10), on wireguard-go.

Both processes wait on a start flag in a busy loop and are released together, ROUNDS times.
Each round: exactly one exits 0; the other exits 1 with one of the two clear messages (the
interface is busy, or it already exists, when it came too late to race) and changed nothing:
the namespace snapshot equals that of a lone `up` of the same config, the winner's state
record is there, so `down` undoes it from the record, after which the snapshot equals the
pre-up one. The config is a full dual-stack tunnel with DNS and a PostUp hook, so every kind
of step is in the race.
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nslib  # noqa: E402
import quick_lib as ql  # noqa: E402
from quick_matrix_test import PEER1, iface, peer, src_valid_mark_neutral  # noqa: E402

ROUNDS = int(os.environ.get("WGKIT_QUICK_ROUNDS", "20"))
CONFIG = iface("Address = 10.41.0.2/32, fd41::2/128\nDNS = 10.41.0.1, example.com\n"
               "PostUp = echo up %i >> /etc/wgk-hooklog",
               [peer(PEER1, "0.0.0.0/0, ::/0, 10.141.0.0/16", "127.0.0.1:51999")])
LOSER = re.compile(r"^wg-quick: `(\S+)' (is busy: another wg-quick is bringing it up or down|already exists)$")


def race(host, ifname, flag):
    """Starts two `up`s that spin until `flag` exists, then releases them together. Each racer
    mounts the host's /etc overlay before it spins; two overlay mounts of one upper and work
    directory at the same instant can fail (the second finds the work directory mid-reset),
    so the second racer starts only once the first is mounted and spinning."""
    wait = ': > "$0.$1"; while [ ! -e "$0" ]; do :; done; shift; exec "$@"'
    procs = []
    for n in range(2):
        procs.append(subprocess.Popen(
            host.argv(["sh", "-c", wait, flag, str(n), ql.ours_wg_quick(), "up", ifname]),
            env=host.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        deadline = time.monotonic() + 30
        while not os.path.exists(f"{flag}.{n}") and time.monotonic() < deadline:
            time.sleep(0.01)
    time.sleep(0.05)
    open(flag, "w").close()
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    for path in (flag, f"{flag}.0", f"{flag}.1"):
        if os.path.exists(path):
            os.unlink(path)
    return results


def without_hook_log(snapshot):
    return snapshot.split("## hook log")[0].rstrip()


def concurrent_up(lab, tmp):
    q = ql.Host(lab, "c", tmp)
    ifname = ql.unique_name("wcc")
    flag = os.path.join(tmp, "go")
    try:
        q.write_etc(f"wireguard/{ifname}.conf", CONFIG, 0o600)
        before = src_valid_mark_neutral(without_hook_log(q.snapshot([ifname])))
        q.run([ql.ours_wg_quick(), "up", ifname])
        lone = without_hook_log(q.snapshot([ifname]))
        q.run([ql.ours_wg_quick(), "down", ifname])
        busy = 0
        for n in range(1, ROUNDS + 1):
            results = race(q, ifname, flag)
            codes = sorted(r[2] for r in results)
            transcript = "\n".join(f"--- exit {r[2]}\n{r[1]}" for r in results)
            if codes != [0, 1]:
                raise ql.Failure(f"round {n}: exit statuses {codes}, want one 0 and one 1\n{transcript}")
            loser = next(r for r in results if r[2] == 1)
            last = loser[1].strip().splitlines()[-1] if loser[1].strip() else ""
            if not LOSER.match(last):
                raise ql.Failure(f"round {n}: the loser's message is not a clear one: {last!r}\n{transcript}")
            busy += "is busy" in last
            ql.expect_equal(lone, without_hook_log(q.snapshot([ifname])),
                            f"round {n}: state after the race vs a lone up\n{transcript}", "lone", "race")
            log = q.read_etc("wgk-hooklog")
            if log != f"up {ifname}\n" * (n + 1):
                raise ql.Failure(f"round {n}: PostUp ran other than once per round:\n{log}")
            if len(ql.state_records(ifname)) != 1:
                raise ql.Failure(f"round {n}: the winner's state record is gone\n{transcript}")
            r = q.run([ql.ours_wg_quick(), "down", ifname], check=False)
            if r.returncode != 0:
                raise ql.Failure(f"round {n}: down after the race failed:\n{r.stderr}\n{transcript}")
            ql.expect_equal(before, src_valid_mark_neutral(without_hook_log(q.snapshot([ifname]))),
                            f"round {n}: state after down vs before", "before", "after")
        print(f"{ROUNDS} rounds, {busy} lost on the lock, {ROUNDS - busy} on 'already exists'")
    finally:
        ql.cleanup_interfaces([ifname])


def body(tmp):
    return ql.run_scenarios(tmp, (("concurrent_up", concurrent_up),), "qc")


if __name__ == "__main__":
    ql.main(body)
