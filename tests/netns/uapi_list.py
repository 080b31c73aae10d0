#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Interface listing and the UAPI probe: names of listening NAME.sock sockets in readdir
order (after the kernel's, of which this machine has none), stale sockets unlinked, other
files skipped, a missing directory fine; and the same order as Debian's `wg show interfaces`
over real wireguard-go. The fake directory uses WGKIT_RUNSTATEDIR (a wgkit extension)."""
import os
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nslib  # noqa: E402
from uapi_common import check, check_equal, finish, original, require_tool, run_tool  # noqa: E402


def listening(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(8)
    return s


def stale(path):
    """A socket file whose owner is gone: connect() gets ECONNREFUSED."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()


def main():
    nslib.require_root_and("wireguard-go", "ip")
    require_tool()
    with nslib.Lab("ul") as lab, tempfile.TemporaryDirectory() as tmp:
        ns = lab.netns("a")
        sockdir = os.path.join(tmp, "wireguard")
        os.mkdir(sockdir)
        env = dict(os.environ, WGKIT_RUNSTATEDIR=tmp)
        held = [listening(os.path.join(sockdir, n + ".sock")) for n in ("zeta", "alpha", "mid", "x.y")]
        stale(os.path.join(sockdir, "gone.sock"))
        open(os.path.join(sockdir, "plain.sock"), "w").close()     # not a socket
        open(os.path.join(sockdir, ".sock"), "w").close()          # nothing before the suffix
        held.append(listening(os.path.join(sockdir, "nosuffix")))  # not *.sock
        os.mkdir(os.path.join(sockdir, "dir.sock"))

        expected = [f[:-5] for f in os.listdir(sockdir)  # os.listdir keeps readdir order
                    if f in ("zeta.sock", "alpha.sock", "mid.sock", "x.y.sock")]
        got = run_tool(lab, ns, "list", env=env).stdout.split("\n")[:-1]
        check_equal(got, expected, "list: listening sockets in readdir order, others skipped")
        check(not os.path.exists(os.path.join(sockdir, "gone.sock")),
              "list unlinks a stale (ECONNREFUSED) socket")
        check(os.path.exists(os.path.join(sockdir, "plain.sock")), "list leaves other files alone")

        stale(os.path.join(sockdir, "gone2.sock"))
        r = run_tool(lab, ns, "has", "gone2", env=env, check_rc=False)
        check(r.returncode == 2 and not os.path.exists(os.path.join(sockdir, "gone2.sock")),
              "the probe says no to a stale socket and unlinks it", str(r.returncode))
        r = run_tool(lab, ns, "has", "plain", env=env, check_rc=False)
        check(r.returncode == 2, "a regular NAME.sock file is not a UAPI interface")
        r = run_tool(lab, ns, "has", "alpha", env=env, check_rc=False)
        check(r.returncode == 0, "a listening NAME.sock is a UAPI interface")

        missing = dict(os.environ, WGKIT_RUNSTATEDIR=os.path.join(tmp, "absent"))
        r = run_tool(lab, ns, "list", env=missing, check_rc=False)
        check(r.returncode == 0 and r.stdout == "", "a missing socket directory lists nothing",
              r.stdout + r.stderr)
        for s in held:
            s.close()

        # Real wireguard-go in the shared directory: the same order as the original's list.
        names = [lab.wireguard_go(ns, f"wgul{os.getpid() % 100000}{c}") for c in "qbk"]
        theirs = [n for n in original(lab, ns, "show", "interfaces").split() if n in names]
        ours = [n for n in run_tool(lab, ns, "list").stdout.split() if n in names]
        check(sorted(ours) == sorted(names), "list finds every running wireguard-go", str(ours))
        check_equal(ours, theirs, "list order = the original's `wg show interfaces`")
    finish()


if __name__ == "__main__":
    main()
