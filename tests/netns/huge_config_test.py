#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""10^6 allowed IPs through our `wg setconf` into wireguard-go (issue 10, docs/robustness.md).

A config of 1,000 peers x 1,000 allowed IPs (even peers IPv4 /32s, odd peers IPv6 /128s) is
set on a wireguard-go device in a fresh namespace with our `wg setconf`; our
`wg show IF allowed-ips` must then list exactly those 10^6 (peer, prefix) pairs, and
`wg show IF dump` exactly 1,000 peer lines. A second `wg setconf` of the same file (the diff
of 10^6 entries against themselves) must leave the same set. WGKIT_HUGE_ALLOWED_IPS lowers the
count per peer (default 1000). Root only; exit 0 pass, 77 skip, 1 fail.
"""
import base64
import ipaddress
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nslib  # noqa: E402

PEERS = 1000


def make_config(per_peer):
    rng = random.Random(3)
    key = lambda: base64.b64encode(bytes(rng.getrandbits(8) for _ in range(32))).decode()  # noqa: E731
    expected = set()
    blocks = [f"[Interface]\nPrivateKey = {key()}\nListenPort = 0\n"]
    for p in range(PEERS):
        pub = key()
        if p % 2:
            entries = [f"{ipaddress.IPv6Address((0xfd00 << 112) | (p << 96) | i)}/128" for i in range(per_peer)]
        else:
            entries = [f"{ipaddress.IPv4Address((10 << 24) | (p << 10) | i)}/32" for i in range(per_peer)]
        expected.update((pub, e) for e in entries)
        blocks.append(f"\n[Peer]\nPublicKey = {pub}\nAllowedIPs = {', '.join(entries)}\n")
    return "".join(blocks), expected


def timed(lab, ns, argv):
    started = time.monotonic()
    r = lab.run(ns, argv, check=False)
    return r, time.monotonic() - started


def listed(lab, ns, wg, ifname):
    r, seconds = timed(lab, ns, [wg, "show", ifname, "allowed-ips"])
    if r.returncode != 0:
        raise RuntimeError(f"wg show allowed-ips failed: {r.stderr.decode()[-2000:]}")
    pairs = set()
    for line in r.stdout.decode().splitlines():
        pub, _, ips = line.partition("\t")
        pairs.update((pub, ip) for ip in ips.split() if ip != "(none)")
    return pairs, seconds


def main():
    nslib.require_root_and("ip", "wireguard-go")
    wg = nslib.ours()
    per_peer = int(os.environ.get("WGKIT_HUGE_ALLOWED_IPS", "1000"))
    text, expected = make_config(per_peer)
    failures = []
    with nslib.Lab("hc") as lab, tempfile.TemporaryDirectory(prefix="wgk-huge-") as tmp:
        ns = lab.netns("a")
        ifname = lab.wireguard_go(ns, f"wgh{os.getpid() % 100000}")
        path = os.path.join(tmp, "huge.conf")
        with open(path, "w") as f:
            f.write(text)
        print(f"{PEERS} peers x {per_peer} allowed IPs: {len(text)} bytes")
        for attempt in ("first setconf", "same file again"):
            r, seconds = timed(lab, ns, [wg, "setconf", ifname, path])
            if r.returncode != 0:
                failures.append(f"{attempt}: wg setconf exited {r.returncode}: {r.stderr.decode()[-2000:]}")
                break
            pairs, show_seconds = listed(lab, ns, wg, ifname)
            print(f"{attempt}: setconf {seconds:.1f} s, show allowed-ips {show_seconds:.1f} s, "
                  f"{len(pairs)} pairs")
            if pairs != expected:
                missing, extra = expected - pairs, pairs - expected
                failures.append(f"{attempt}: {len(missing)} pairs missing (e.g. {sorted(missing)[:3]}), "
                                f"{len(extra)} unexpected (e.g. {sorted(extra)[:3]})")
            dump = lab.run(ns, [wg, "show", ifname, "dump"], check=False)
            peer_lines = dump.stdout.decode().splitlines()[1:]
            if dump.returncode != 0 or len(peer_lines) != PEERS:
                failures.append(f"{attempt}: dump has {len(peer_lines)} peer lines, want {PEERS}")
            elif sum(len(line.split("\t")[3].split(",")) for line in peer_lines) != len(expected):
                failures.append(f"{attempt}: the dump's allowed-IP count differs")
    for failure in failures:
        print(f"FAIL: {failure}")
    print("PASS" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
