# SPDX-License-Identifier: MIT
"""Shared pieces of the uapi_* tests: the backend driver, keys from the original `wg`,
and comparisons that treat wireguard-go's random peer order as a multiset."""
import os
import subprocess
import sys

import nslib

FAILURES = []


def tool():
    return os.path.join(os.environ["WGKIT_BUILD_ROOT"], "tests", "netns", "wgkit_uapi_tool")


def require_tool():
    if "WGKIT_BUILD_ROOT" not in os.environ or not os.access(tool(), os.X_OK):
        print("SKIP: wgkit_uapi_tool not built (WGKIT_BUILD_ROOT)", file=sys.stderr)
        sys.exit(nslib.SKIP)


def genkey(kind="genkey"):
    return subprocess.run([nslib.ORIGINAL_WG, kind], capture_output=True, text=True,
                          check=True).stdout.strip()


def genpsk():
    return genkey("genpsk")


def pubkey(private):
    return subprocess.run([nslib.ORIGINAL_WG, "pubkey"], input=private + "\n", capture_output=True,
                          text=True, check=True).stdout.strip()


def check(ok, what, detail=""):
    """Records a failure (with what was compared) instead of stopping at the first one."""
    if not ok:
        FAILURES.append(what)
        print(f"FAIL: {what}\n{detail}", file=sys.stderr)
    return ok


def check_equal(got, expected, what):
    return check(got == expected, what, f"--- expected\n{expected}\n--- got\n{got}")


def finish():
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("PASS")
    sys.exit(0)


def run_tool(lab, ns, *args, env=None, check_rc=True):
    """Runs the driver inside ns; returns the CompletedProcess (text)."""
    r = lab.run(ns, [tool(), *args], check=False, env=env)
    out = subprocess.CompletedProcess(r.args, r.returncode, r.stdout.decode(), r.stderr.decode())
    if check_rc and out.returncode != 0:
        raise RuntimeError(f"{' '.join(out.args)} -> {out.returncode}\n{out.stderr}")
    return out


def original(lab, ns, *args, check_rc=True):
    r = lab.run(ns, [nslib.ORIGINAL_WG, *args], check=False)
    if check_rc and r.returncode != 0:
        raise RuntimeError(f"wg {' '.join(args)} -> {r.returncode}\n{r.stderr.decode()}")
    return r.stdout.decode()


def dump_multiset(text):
    """`wg show IF dump` lines: the interface line first, then the peer lines sorted."""
    lines = text.rstrip("\n").split("\n")
    return "\n".join(lines[:1] + sorted(lines[1:]))


def showconf_normal(text, drop_listen_port=False):
    """`wg showconf` text with peer blocks sorted (wireguard-go's order is random) and the
    AllowedIPs of each peer sorted; optionally without the ListenPort line."""
    blocks = text.rstrip("\n").split("\n\n")
    out = []
    for block in blocks:
        lines = []
        for line in block.split("\n"):
            if drop_listen_port and line.startswith("ListenPort = "):
                continue
            if line.startswith("AllowedIPs = "):
                ips = sorted(line[len("AllowedIPs = "):].split(", "))
                line = "AllowedIPs = " + ", ".join(ips)
            lines.append(line)
        out.append("\n".join(lines))
    return "\n\n".join(out[:1] + sorted(out[1:])) + "\n"


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path
