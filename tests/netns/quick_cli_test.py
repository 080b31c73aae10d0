#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""wg-quick's command line against Debian's, byte for byte (reference §4.1, §4.2): usage and
its exit codes, config lookup errors, name rules, the world-accessible warning, SaveConfig
values, "already exists", "is not a WireGuard interface", and `strip` over a corpus of
configs written to trip the line parser (case, CRLF, comments, tabs, no final newline,
wg-quick keys outside [Interface], lines without '=').
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nslib  # noqa: E402
import quick_lib as ql  # noqa: E402
from quick_matrix_test import PEER1, PRIV  # noqa: E402

STRIP_CORPUS = {
    "plain": f"[Interface]\nPrivateKey = {PRIV}\nAddress = 10.0.0.1/24\n\n[Peer]\nPublicKey = {PEER1}\nAllowedIPs = 0.0.0.0/0\n",
    "case_and_space": f"  [INTERFACE]  \n\tprivatekey={PRIV}\naddress=10.0.0.1/24, fd00::1/64\nmtu = 1400\ntable=off\nDns = 1.1.1.1 example.com\n",
    "crlf": f"[Interface]\r\nPrivateKey = {PRIV}\r\nAddress = 10.0.0.1/24\r\nPostUp = echo hi\r\n[Peer]\r\nPublicKey = {PEER1}\r\n",
    "comments": f"# leading comment\n[Interface] # trailing\nAddress = 10.0.0.1/24 # comment\n# Address = 9.9.9.9\nPrivateKey = {PRIV} # key\nPreUp = echo a # kept in the hook since 1.0.20260223\n",
    "quick_keys_in_peer": f"[Interface]\nPrivateKey = {PRIV}\n[Peer]\nPublicKey = {PEER1}\nAddress = 10.0.0.9/32\nDNS = 1.1.1.1\n[Interface]\nMTU = 1300\n",
    "no_final_newline": f"[Interface]\nPrivateKey = {PRIV}\nSaveConfig = TRUE\nAddress = 10.0.0.1/24",
    "no_equals": "[Interface]\nAddress\nMTU\nJustText\n=\n  \n",
    "before_section": "Address = 10.0.0.1/24\nListenPort = 1\n[Interface]\nListenPort = 2\n",
    "backslashes": "[Interface]\nPostUp = echo a\\\\b \\\\\nPrivateKey = x\\\\\n",
}


def body(tmp):
    failures = []
    with nslib.Lab("qcli") as lab:
        h = ql.Host(lab, "c", tmp)

        def both(args, label):
            o = h.run([nslib.ORIGINAL_WG_QUICK] + args, check=False)
            q = h.run([ql.ours_wg_quick()] + args, check=False)
            # Our usage text has one paragraph more, on wgkit's extensions (reload, --dry-run,
            # IPForward, IPMasquerade); the rest must be the original's byte for byte.
            if "\n  wgkit extensions: " in q.stderr:
                q.stderr = re.sub(r"\n  wgkit extensions: .*?\n\n", "\n", q.stderr, flags=re.S)
            elif o.stderr.startswith("Usage:"):
                failures.append(f"{label}: our usage lacks the extensions paragraph:\n{q.stderr}")
            for what, a, b in (("exit status", str(o.returncode), str(q.returncode)),
                               ("stdout", o.stdout, q.stdout), ("stderr", o.stderr, q.stderr)):
                try:
                    ql.expect_equal(a, b, f"{label}: {what}")
                except ql.Failure as e:
                    failures.append(str(e))

        for args in ([], ["help"], ["-h"], ["--help"], ["up"], ["bogus", "x"], ["up", "a", "b"],
                     ["up", "/nonexistent/wgk0.conf"], ["down", "wgknosuchname"],
                     ["strip", "-h"]):
            both(args, "wg-quick " + " ".join(args))

        d = os.path.join(h.upper, "wireguard")
        bad = os.path.join(d, "bad!name.conf")
        with open(bad, "w") as f:
            f.write("[Interface]\n")
        both(["strip", "/etc/wireguard/bad!name.conf"], "invalid name")
        h.write_etc("wireguard/wgkbool.conf", "[Interface]\nSaveConfig = yes\n", 0o600)
        both(["strip", "wgkbool"], "SaveConfig = yes")
        h.write_etc("wireguard/lo.conf", "[Interface]\n", 0o600)
        both(["up", "lo"], "up of an existing link")
        both(["down", "lo"], "down of a link that is not WireGuard")
        # world accessible: a 0644 file in a 0755 directory, reached through a symlink
        world = os.path.join(h.upper, "wgk-world")
        os.makedirs(world)
        os.chmod(world, 0o755)
        h.write_etc("wgk-world/wgkw.conf", STRIP_CORPUS["plain"], 0o644)
        os.symlink("/etc/wgk-world/wgkw.conf", os.path.join(h.upper, "wgk-link.conf"))
        both(["strip", "/etc/wgk-world/wgkw.conf"], "world accessible")
        both(["strip", "/etc/wgk-link.conf"], "world accessible through a symlink")

        for name, text in STRIP_CORPUS.items():
            h.write_etc(f"wireguard/wgks{len(name)}.conf", text, 0o600)
            both(["strip", f"wgks{len(name)}"], f"strip {name}")
            os.unlink(os.path.join(d, f"wgks{len(name)}.conf"))
    return failures


if __name__ == "__main__":
    ql.main(body)
