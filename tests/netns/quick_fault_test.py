#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""wg-quick up rollback (issue 5): for each step of `up`, a config or environment that makes
exactly that step fail. After each failure ours must exit 1 naming the step, the interface
and its UAPI socket must be gone, no state record may be left, and the namespace snapshot
must equal the pre-up one (src_valid_mark aside: like the original, a rollback never resets
it, since another tunnel may rely on it).
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nslib  # noqa: E402
import quick_lib as ql  # noqa: E402
from quick_matrix_test import CONFIG_DIR, load_cases, src_valid_mark_neutral  # noqa: E402

# name -> (setup, config, adjustments: the step named in the error, signal, no resolvconf),
# shared with the kernel lab (tests/vm/cases/quick_fault_kernel.sh)
CASES = load_cases(os.path.join(CONFIG_DIR, "faults"))


def run_interrupted(host, ifname, sig):
    """Starts our up, waits until PostUp is running, sends `sig` to wg-quick itself."""
    proc = subprocess.Popen(host.argv([ql.ours_wg_quick(), "up", ifname]), env=host.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    marker = os.path.join(host.upper, "wgk-postup")
    for _ in range(600):
        if os.path.exists(marker) or proc.poll() is not None:
            break
        time.sleep(0.05)
    # `ip netns exec`, `unshare` and `sh -c 'exec ...'` all exec: the pid is wg-quick's.
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run_case(lab, tmp, index, name, case):
    setup, config, adjust = case
    step, sig = adjust["step"], adjust.get("signal")
    q = ql.Host(lab, f"f{index}", tmp)
    ifname = ql.unique_name(f"wf{index:02d}")
    try:
        if setup:
            q.sh(setup)
        q.write_etc(f"wireguard/{ifname}.conf", config, 0o600)
        before = q.snapshot([ifname])
        env = q.env()
        if adjust.get("no_resolvconf"):
            os.unlink(os.path.join(q.bin, "resolvconf"))
        r = run_interrupted(q, ifname, sig) if sig else q.run([ql.ours_wg_quick(), "up", ifname], check=False)
        if r.returncode != 1:
            raise ql.Failure(f"{name}: exit status {r.returncode}, want 1\n{r.stderr}")
        last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
        if step not in last:
            raise ql.Failure(f"{name}: the last line does not name the step {step!r}:\n{r.stderr}")
        if q.run(["ip", "link", "show", ifname], check=False, env=env).returncode == 0:
            raise ql.Failure(f"{name}: {ifname} still exists\n{r.stderr}")
        if ql.state_records(ifname):
            raise ql.Failure(f"{name}: a state record was left behind")
        # wireguard-go exits (removing its socket) once it sees its TUN gone; give it time
        # on a loaded machine.
        for _ in range(400):
            if not os.path.exists(os.path.join(nslib.SOCK_DIR, ifname + ".sock")):
                break
            time.sleep(0.05)
        else:
            raise ql.Failure(f"{name}: the UAPI socket is still there")
        after = q.snapshot([ifname])
        ql.expect_equal(src_valid_mark_neutral(before), src_valid_mark_neutral(after),
                        f"{name}: state after the failed up vs before\n{r.stderr}", "before", "after")
    finally:
        ql.cleanup_interfaces([ifname])


def body(tmp):
    failures = []
    for index, (name, case) in enumerate(CASES.items()):
        with nslib.Lab(f"qf{index}") as lab:
            try:
                run_case(lab, tmp, index, name, case)
                print(f"ok {name}")
            except (ql.Failure, RuntimeError) as e:
                failures.append(str(e))
    return failures


if __name__ == "__main__":
    ql.main(body)
