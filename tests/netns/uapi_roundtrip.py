#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""get/set through libwgkit's UAPI backend against real wireguard-go, with Debian's wg as
the oracle: what we set reads back identically through `wg show dump`/`showconf`, equal to
the same config applied by the original; what we get equals the original's dump; errors from
wireguard-go arrive as the right errno."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nslib  # noqa: E402
from uapi_common import (check, check_equal, dump_multiset, finish, genkey, genpsk,  # noqa: E402
                         original, pubkey, require_tool, run_tool, showconf_normal, write)


def config(priv, peers, port=51820, fwmark=None):
    text = f"[Interface]\nPrivateKey = {priv}\nListenPort = {port}\n"
    if fwmark is not None:
        text += f"FwMark = {fwmark}\n"
    for p in peers:
        text += "\n[Peer]\n" + "".join(f"{k} = {v}\n" for k, v in p.items())
    return text


def main():
    nslib.require_root_and("wireguard-go", "ip")
    require_tool()
    keys = [pubkey(genkey()) for _ in range(4)]
    psk = genpsk()
    with nslib.Lab("ur") as lab, tempfile.TemporaryDirectory() as tmp:
        ns_ours, ns_orig = lab.netns("a"), lab.netns("b")
        ours = lab.wireguard_go(ns_ours, f"wgur{os.getpid() % 100000}a")
        orig = lab.wireguard_go(ns_orig, f"wgur{os.getpid() % 100000}b")
        priv = genkey()

        peers = [
            {"PublicKey": keys[0], "PresharedKey": psk, "AllowedIPs": "10.1.0.0/16, fd00:1::/64",
             "Endpoint": "192.0.2.1:51820", "PersistentKeepalive": "25"},
            {"PublicKey": keys[1], "AllowedIPs": "10.2.0.7/32", "Endpoint": "[2001:db8::2]:4000"},
            {"PublicKey": keys[2]},
            {"PublicKey": keys[3], "AllowedIPs": "0.0.0.0/0, ::/0", "PersistentKeepalive": "1"},
        ]
        steps = [
            ("full config", config(priv, peers, fwmark="0x1234")),
            ("fewer peers, new port, fwmark off", config(priv, peers[1:3], port=40000)),
            ("no peers", config(priv, [], port=40001, fwmark="7")),
        ]
        for name, text in steps:
            path = write(os.path.join(tmp, "c.conf"), text)
            run_tool(lab, ns_ours, "setconf", ours, path)
            original(lab, ns_orig, "setconf", orig, path)
            got = original(lab, ns_ours, "showconf", ours)
            expected = original(lab, ns_orig, "showconf", orig)
            check_equal(showconf_normal(got), showconf_normal(expected),
                        f"{name}: showconf after our setconf = after the original's")
            ours_dump = run_tool(lab, ns_ours, "dump", ours).stdout
            orig_dump = original(lab, ns_ours, "show", ours, "dump")
            check_equal(dump_multiset(ours_dump), dump_multiset(orig_dump),
                        f"{name}: our get = the original's `wg show dump`")

        # wireguard-go v0.0.20220316 knows no allowed-IP removal: EINVAL, unchanged device.
        path = write(os.path.join(tmp, "minus.conf"),
                     config(priv, [{"PublicKey": keys[0], "AllowedIPs": "-10.9.0.0/16"}], port=40001))
        r = run_tool(lab, ns_ours, "setconf", ours, path, check_rc=False)
        check(r.returncode == 1 and "errno=22" in r.stderr,
              "allowed_ip=-… refused by this wireguard-go: errno 22 (EINVAL)", r.stderr)

        # A port another device in the same namespace holds: EADDRINUSE (wireguard-go -98).
        third = lab.wireguard_go(ns_ours, f"wgur{os.getpid() % 100000}c")
        path = write(os.path.join(tmp, "port.conf"), config(genkey(), [], port=40001))
        r = run_tool(lab, ns_ours, "setconf", third, path, check_rc=False)
        check(r.returncode == 1 and "errno=98" in r.stderr and "Address already in use" in r.stderr,
              "listen port in use: errno 98 (EADDRINUSE)", r.stderr)

        # A name with '/' is never UAPI.
        r = run_tool(lab, ns_ours, "has", "../wireguard/" + ours, check_rc=False)
        check(r.returncode == 2, "a name containing '/' is not a UAPI interface", str(r.returncode))
        check(run_tool(lab, ns_ours, "has", ours, check_rc=False).returncode == 0,
              "a running wireguard-go is a UAPI interface")
    finish()


if __name__ == "__main__":
    main()
