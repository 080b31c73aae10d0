#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The wireguard-go half of the benchmark, run on the host by bench/run.sh (as root).

    bench/netns.py --reps R --sizes N,... --prefixes P,... [--quick-orig-reps-max R2]

Everything runs inside namespaces made with tests/netns/nslib.py (removed afterwards, also on
failure). Prints one line per measured run, "BENCH go WORKLOAD N TOOL REP WALL USER SYS RSS_KB",
like bench/vm.sh. Wall time is taken around fork and wait; user, sys and peak RSS are the
child's rusage (wait4), which counts `ip netns exec` too: the same few milliseconds for both.
Rep 0 is a warm-up; its time is not used.
"""
import argparse
import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "netns"))
import nslib  # noqa: E402

ORIG_WG, ORIG_QUICK = "/usr/bin/wg", "/usr/bin/wg-quick"
TMP = tempfile.mkdtemp(prefix="wgkit-bench-")


def key(n, salt):
    return base64.b64encode(bytes([salt]) + n.to_bytes(4, "little") + bytes(range(7, 34))).decode()


def peers_conf(first, count, with_key=False, move=0, drop=0, header=True):
    out = []
    if header:
        out.append("[Interface]")
        if with_key:
            out.append("PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=")
        out.append("ListenPort = 51820")
    for i in range(first, first + count):
        if drop and i % drop == 0:
            continue
        out.append("[Peer]")
        out.append("PublicKey = " + key(i, 1))
        if i % 2:
            out.append("PresharedKey = " + key(i, 2))
        port = 1024 + i % 60000 + (1 if move and i % move == 1 else 0)
        out.append(f"Endpoint = 10.{i % 250}.{i // 250 % 250}.1:{port}")
        out.append(f"AllowedIPs = 10.{100 + i // 65536}.{i // 256 % 256}.{i % 256}/32")
    return "\n".join(out) + "\n"


def ips_conf(count):
    out = ["[Interface]", "[Peer]", "PublicKey = " + key(424242, 3)]
    for i in range(count):
        a, b = 1 + i // 512, i // 2 % 256
        out.append(f"AllowedIPs = {a}.{b}.0.0/16" if i % 2 == 0 else f"AllowedIPs = {a:x}::{b:x}/128")
    return "\n".join(out) + "\n"


def emit(*fields):
    print("BENCH " + " ".join(str(f) for f in fields), flush=True)


def measure(workload, n, tool, rep, argv, ns=None, stdin=None, place="go"):
    """One run of argv (inside namespace ns, reading the file stdin) under GNU time for its peak
    RSS: rusage from wait4 would also count the process that forked it (Python's vfork child,
    ip's setns)."""
    rss_file = os.path.join(TMP, "rss")
    argv = (["ip", "netns", "exec", ns] if ns else []) + ["/usr/bin/time", "-f", "%M", "-o", rss_file] + argv
    start = time.perf_counter()
    with open(stdin or os.devnull, "rb") as source:
        proc = subprocess.Popen(argv, stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{workload} {n} {tool}: {' '.join(argv)} exited {proc.returncode}: "
                           f"{err.decode(errors='replace')[:300]}")
    with open(rss_file) as f:
        rss = int(f.read().split()[-1])
    emit(place, workload, n, tool, rep, f"{wall:.4f}", f"{usage.ru_utime:.4f}", f"{usage.ru_stime:.4f}", rss)


def order(rep):
    return ("ours", "orig") if rep % 2 else ("orig", "ours")


def key_workloads(tmp, reps, ours):
    """`wg genkey` and `wg pubkey` on the host: no device and no network, so no namespace. They
    take milliseconds, so they get ten times the repetitions."""
    private = os.path.join(tmp, "private.key")
    with open(private, "w") as f:
        f.write("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n")
    for rep in range(10 * reps + 1):
        for tool in order(rep):
            wg = ours if tool == "ours" else ORIG_WG
            measure("genkey", 1, tool, rep, [wg, "genkey"], place="host")
            measure("pubkey", 1, tool, rep, [wg, "pubkey"], stdin=private, place="host")


def wg_workloads(lab, ns, tmp, sizes, reps, ours):
    ifname = lab.wireguard_go(ns, f"wgb{os.getpid() % 100000}")
    empty = os.path.join(tmp, "empty.conf")
    with open(empty, "w") as f:
        f.write("[Interface]\n")

    def in_ns(*argv):  # the UAPI socket is in /var/run/wireguard, reachable from any namespace
        return list(argv)

    def clear():
        lab.run(ns, [ORIG_WG, "setconf", ifname, empty])

    for n in sizes:
        files = {}
        for name, text in (("key", peers_conf(0, n, with_key=True)), ("nokey", peers_conf(0, n)),
                           ("sync", peers_conf(0, n, move=200, drop=200) +
                            peers_conf(n, n // 200, header=False)),
                           ("ips", ips_conf(n))):
            files[name] = os.path.join(tmp, f"{name}-{n}.conf")
            with open(files[name], "w") as f:
                f.write(text)
        # Runs of a few milliseconds vary by more than the tools differ: at N <= 1,000, five
        # times the repetitions, as in bench/vm.sh.
        for rep in range((reps if n > 1000 else 5 * reps) + 1):
            for tool in order(rep):
                wg = ours if tool == "ours" else ORIG_WG
                measure("setconf-key", n, tool, rep, in_ns(wg, "setconf", ifname, files["key"]))
                measure("dump", n, tool, rep, in_ns(wg, "show", ifname, "dump"))
                measure("pretty", n, tool, rep, in_ns(wg, "show", ifname))
                measure("showconf", n, tool, rep, in_ns(wg, "showconf", ifname))
                clear()
                measure("setconf-nokey", n, tool, rep, in_ns(wg, "setconf", ifname, files["nokey"]))
                measure("syncconf-1pct", n, tool, rep, in_ns(wg, "syncconf", ifname, files["sync"]))
                clear()
                measure("ips-set", n, tool, rep, in_ns(wg, "setconf", ifname, files["ips"]))
                measure("ips-list", n, tool, rep, in_ns(wg, "show", ifname, "allowed-ips"))
                clear()


def quick_workloads(lab, ns, tmp, prefixes, reps, orig_reps_max, ours_quick):
    """wg-quick up and down of one peer carrying P prefixes, Table = auto, on wireguard-go."""
    ifname = f"wgq{os.getpid() % 100000}"
    conf = os.path.join(tmp, ifname + ".conf")
    for p in prefixes:
        with open(conf, "w") as f:
            f.write("[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n"
                    "Address = 10.250.0.1/24\n[Peer]\nPublicKey = " + key(7, 4) + "\n")
            for i in range(p):
                f.write(f"AllowedIPs = 10.{1 + i // 256}.{i % 256}.0/24\n")
        os.chmod(conf, 0o600)
        for rep in range(reps + 1):
            for tool in order(rep):
                if tool == "orig" and rep > orig_reps_max.get(p, reps):
                    continue
                q = ours_quick if tool == "ours" else ORIG_QUICK
                try:
                    measure("quick-up", p, tool, rep, [q, "up", conf], ns)
                    measure("quick-down", p, tool, rep, [q, "down", conf], ns)
                finally:
                    lab.run(ns, ["ip", "link", "del", ifname], check=False)
                    for suffix in (".sock", ".name"):
                        try:
                            os.unlink(os.path.join(nslib.SOCK_DIR, ifname + suffix))
                        except FileNotFoundError:
                            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--prefixes", default="100,1000,10000")
    ap.add_argument("--orig-quick-reps", default="", help="P:R,... fewer original reps for P prefixes")
    args = ap.parse_args()
    nslib.require_root_and("ip", "wireguard-go")
    ours, ours_quick = os.environ["WGKIT_WG"], os.environ["WGKIT_WG_QUICK"]
    sizes = [int(s) for s in args.sizes.split(",") if s]
    prefixes = [int(s) for s in args.prefixes.split(",") if s]
    orig_reps_max = {int(a): int(b) for a, b in (x.split(":") for x in args.orig_quick_reps.split(",") if x)}
    try:
        with nslib.Lab("bench") as lab:
            run_all(lab, TMP, args, sizes, prefixes, orig_reps_max, ours, ours_quick)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    emit("done")


def run_all(lab, tmp, args, sizes, prefixes, orig_reps_max, ours, ours_quick):
    key_workloads(tmp, args.reps, ours)
    if sizes:
        wg_workloads(lab, lab.netns("go"), tmp, sizes, args.reps, ours)
    if prefixes:
        quick_workloads(lab, lab.netns("quick"), tmp, prefixes, args.reps, orig_reps_max, ours_quick)


if __name__ == "__main__":
    main()
