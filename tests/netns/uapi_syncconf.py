#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""syncconf through diff_devices on real wireguard-go, against Debian's `wg syncconf` on a
twin interface with the same start state: the resulting `wg showconf` must be equal (peers
compared as a multiset). Where the target version differs from Debian's 1.0.20210914 (a PSK
or keepalive dropped from the file is cleared), the target's behaviour is asserted instead.
The request itself must be minimal: nothing once in sync, one peer for a one-peer change."""
import base64
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nslib  # noqa: E402
from uapi_common import (check, check_equal, finish, genkey, genpsk, original, pubkey,  # noqa: E402
                         require_tool, run_tool, showconf_normal, write)


def conf(priv, peers, port=51820, fwmark=None):
    text = f"[Interface]\nPrivateKey = {priv}\n"
    if port is not None:
        text += f"ListenPort = {port}\n"
    if fwmark is not None:
        text += f"FwMark = {fwmark}\n"
    for p in peers:
        text += "\n[Peer]\n" + "".join(f"{k} = {v}\n" for k, v in p.items() if v is not None)
    return text


def without_lines(showconf, pubkey_b64, prefixes):
    """Drops lines starting with any of prefixes from the [Peer] block of pubkey_b64."""
    blocks = showconf.rstrip("\n").split("\n\n")
    out = []
    for b in blocks:
        if f"PublicKey = {pubkey_b64}" in b:
            b = "\n".join(l for l in b.split("\n") if not l.startswith(tuple(prefixes)))
        out.append(b)
    return "\n\n".join(out) + "\n"


def main():
    nslib.require_root_and("wireguard-go", "ip")
    require_tool()
    priv = genkey()
    k = [pubkey(genkey()) for _ in range(6)]
    psk1, psk2 = genpsk(), genpsk()
    start = [
        {"PublicKey": k[1], "PresharedKey": psk1, "AllowedIPs": "10.1.0.0/24",
         "Endpoint": "192.0.2.1:1", "PersistentKeepalive": "25"},
        {"PublicKey": k[2], "AllowedIPs": "10.2.0.0/24, fd00:2::/64", "Endpoint": "[2001:db8::2]:2"},
        {"PublicKey": k[3], "AllowedIPs": "10.3.0.0/24"},
        {"PublicKey": k[4], "PresharedKey": psk2, "AllowedIPs": "10.4.0.0/24", "PersistentKeepalive": "10"},
    ]
    # Changes both versions treat alike: ports, fwmark, removed/added peer, changed PSK,
    # keepalive, endpoint and allowed IPs, an endpoint left out (kept), IPs only reordered.
    step1 = [
        {"PublicKey": k[1], "PresharedKey": psk1, "AllowedIPs": "10.1.0.0/24, 10.1.1.0/24",
         "PersistentKeepalive": "25"},
        {"PublicKey": k[2], "AllowedIPs": "fd00:2::/64, 10.2.0.0/24", "Endpoint": "192.0.2.22:22"},
        {"PublicKey": k[4], "PresharedKey": psk1, "AllowedIPs": "10.4.0.0/24, 10.3.0.0/24",
         "PersistentKeepalive": "11"},
        {"PublicKey": k[5], "AllowedIPs": "10.5.0.0/24", "Endpoint": "192.0.2.5:5"},
    ]

    with nslib.Lab("us") as lab, tempfile.TemporaryDirectory() as tmp:
        ns_x, ns_y = lab.netns("x"), lab.netns("y")
        tag = os.getpid() % 100000
        x = lab.wireguard_go(ns_x, f"wgus{tag}x")  # ours
        y = lab.wireguard_go(ns_y, f"wgus{tag}y")  # the original
        path = os.path.join(tmp, "c.conf")

        def showconf(ns, ifname):
            return original(lab, ns, "showconf", ifname)

        def sync_both(text, what, incremental=False, drop_port=False):
            write(path, text)
            extra = ["--incremental"] if incremental else []
            run_tool(lab, ns_x, "syncconf", x, path, *extra)
            original(lab, ns_y, "syncconf", y, path)
            ours, theirs = showconf(ns_x, x), showconf(ns_y, y)
            check_equal(showconf_normal(ours, drop_port), showconf_normal(theirs, drop_port),
                        f"{what}: showconf after our syncconf = after the original's")
            return ours, theirs

        write(path, conf(priv, start, fwmark="0x10"))
        original(lab, ns_x, "setconf", x, path)
        original(lab, ns_y, "setconf", y, path)

        sync_both(conf(priv, step1, port=51821, fwmark="0x20"), "step 1 (common semantics)")
        request = run_tool(lab, ns_x, "diff", x, path).stdout
        check_equal(request, "set=1\n\n", "in sync: the diff is an empty request")

        one = [dict(p) for p in step1]
        one[1]["Endpoint"] = "192.0.2.23:23"
        write(path, conf(priv, one, port=51821, fwmark="0x20"))
        request = run_tool(lab, ns_x, "diff", x, path).stdout
        check_equal(request, f"set=1\npublic_key={key_hex(k[2])}\nendpoint=192.0.2.23:23\n\n",
                    "one changed endpoint: a one-peer, one-field request")

        # Target semantics (v1.0.20260223): PSK and keepalive dropped from the file are
        # cleared; Debian's 1.0.20210914 keeps them, so those lines are taken out of its text.
        step2 = [dict(p) for p in step1]
        step2[2].pop("PresharedKey")
        step2[2].pop("PersistentKeepalive")
        step2[0].pop("PersistentKeepalive")
        write(path, conf(priv, step2, port=51821, fwmark="0x20"))
        run_tool(lab, ns_x, "syncconf", x, path)
        original(lab, ns_y, "syncconf", y, path)
        ours, theirs = showconf(ns_x, x), showconf(ns_y, y)
        check(re.search(rf"PublicKey = {re.escape(k[4])}\nPresharedKey", theirs) is not None,
              "Debian 1.0.20210914 keeps the dropped PSK (the difference under test)", theirs)
        expected = without_lines(theirs, k[4], ["PresharedKey", "PersistentKeepalive"])
        expected = without_lines(expected, k[1], ["PersistentKeepalive"])
        check_equal(showconf_normal(ours), showconf_normal(expected),
                    "step 2: dropped PSK and keepalives are cleared (target version)")

        # Back in step with each other (the original's own `wg set` clears what its syncconf
        # kept), then: an absent ListenPort resets to a random port.
        original(lab, ns_y, "set", y, "peer", k[4], "preshared-key", "/dev/null",
                 "persistent-keepalive", "0", "peer", k[1], "persistent-keepalive", "0")
        check_equal(showconf_normal(showconf(ns_x, x)), showconf_normal(showconf(ns_y, y)),
                    "twins equal again after clearing the original's leftovers")
        ours, _ = sync_both(conf(priv, step2, port=None), "step 3 (no ListenPort, no FwMark)",
                            drop_port=True)
        check("ListenPort = 51821" not in ours, "an absent ListenPort rebinds to a random port", ours)

        sync_both(conf(priv, []), "step 4 (no peers: all removed)")
        sync_both(conf(priv, step1), "step 5 (no running peers: as setconf)")

        # Incremental allowed IPs: additions work on this wireguard-go; a removal needs a
        # newer one (allowed_ip=-…), so this one answers EINVAL.
        more = [dict(p) for p in step1]
        more[3]["AllowedIPs"] = "10.5.0.0/24, 10.6.0.0/24"
        sync_both(conf(priv, more), "step 6 (incremental, additions only)", incremental=True)
        write(path, conf(priv, step1))
        r = run_tool(lab, ns_x, "syncconf", x, path, "--incremental", check_rc=False)
        check(r.returncode == 1 and "errno=22" in r.stderr,
              "incremental removal on wireguard-go v0.0.20220316: EINVAL", r.stderr)
        sync_both(conf(priv, step1), "step 7 (replace mode after the refused removal)")
    finish()


def key_hex(b64):
    return base64.b64decode(b64).hex()


if __name__ == "__main__":
    main()
