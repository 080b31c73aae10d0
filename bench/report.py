#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turns bench/run.sh's raw lines into docs/performance.md (or prints the tables).

    bench/report.py RAW.txt [OUT.md]

Lines: "BENCH meta KEY VALUE...", "BENCH vm|go|host WORKLOAD N TOOL REP WALL USER SYS RSS_KB",
"BENCH transfer WORKLOAD N REP SECONDS" (bench/vm.sh's transfer: the netlink transfer alone).
Rep 0 is a warm-up: its times are left out; peak RSS is the largest over all runs.
"""
import statistics
import sys

WORKLOADS = ["genkey", "pubkey", "startup", "setconf-key", "setconf-nokey", "dump", "pretty", "showconf",
             "syncconf-1pct", "ips-set", "ips-list", "quick-up", "quick-down"]
DESCRIPTION = {
    "genkey": "`wg genkey`",
    "pubkey": "`wg pubkey` of one private key",
    "startup": "`wg show IF dump` of an empty device (process start-up)",
    "setconf-key": "`wg setconf` of N peers, with a private key",
    "setconf-nokey": "`wg setconf` of N peers, no private key",
    "dump": "`wg show IF dump`",
    "pretty": "`wg show IF`",
    "showconf": "`wg showconf IF`",
    "syncconf-1pct": "`wg syncconf` changing 1% of N peers",
    "ips-set": "one peer with N allowed IPs: `wg setconf`",
    "ips-list": "the same: `wg show IF allowed-ips`",
    "quick-up": "`wg-quick up`, one peer with N prefixes",
    "quick-down": "`wg-quick down`",
}
TARGETS = {  # (place, workload, N): ratio the issue asks for
    ("vm", "setconf-nokey", 100000): 0.7, ("vm", "setconf-key", 100000): 1.15,
    ("vm", "dump", 100000): 0.5, ("vm", "showconf", 100000): 0.5, ("vm", "pretty", 100000): 0.5,
    ("vm", "syncconf-1pct", 100000): 0.3, ("vm", "ips-set", 100000): 0.5,
    ("vm", "ips-list", 100000): 0.5, ("go", "quick-up", 10000): 0.02,
    ("vm", "quick-down", 3000): 0.05,
}


def load(path):
    meta, runs = {}, {}
    for line in open(path, errors="replace"):
        f = line.split()
        if len(f) < 2 or f[0] != "BENCH":
            continue
        if f[1] == "meta" and len(f) >= 3:
            meta[f[2]] = " ".join(f[3:])
        elif f[1] in ("vm", "go", "host") and len(f) == 10:
            place, workload, n, tool, rep = f[1], f[2], int(f[3]), f[4], int(f[5])
            wall, user, sys_, rss = float(f[6]), float(f[7]), float(f[8]), int(f[9])
            runs.setdefault((place, workload, n), {}).setdefault(tool, []).append(
                (rep, wall, user, sys_, rss))
        elif f[1] == "transfer" and len(f) == 6:
            # Filed as a third tool of the kernel lab's workload, with only a wall time.
            seconds = float(f[5])
            runs.setdefault(("vm", f[2], int(f[3])), {}).setdefault("transfer", []).append(
                (int(f[4]), seconds, 0.0, 0.0, 0))
        elif f[1] == "error":
            meta.setdefault("errors", "")
            meta["errors"] += " ".join(f[2:]) + "; "
    return meta, runs


def summary(samples):
    timed = [s for s in samples if s[0] > 0] or samples
    med = lambda i: statistics.median(s[i] for s in timed)  # noqa: E731
    return {"n": len(timed), "wall": med(1), "user": med(2), "sys": med(3),
            "rss": max(s[4] for s in samples)}


def fmt_s(x):
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def table(runs, place):
    rows = ["| workload | N | original wall (user+sys) s | ours wall (user+sys) s | ratio | "
            "RSS orig / ours MiB | runs o/u | target |",
            "|---|---:|---:|---:|---:|---:|---:|---|"]
    keys = sorted((k for k in runs if k[0] == place),
                  key=lambda k: (WORKLOADS.index(k[1]) if k[1] in WORKLOADS else 99, k[2]))
    for key in keys:
        _, workload, n = key
        tools = runs[key]
        if "orig" not in tools or "ours" not in tools:
            continue
        o, u = summary(tools["orig"]), summary(tools["ours"])
        ratio = u["wall"] / o["wall"] if o["wall"] else float("nan")
        target = TARGETS.get(key)
        verdict = ""
        if target is not None:
            verdict = f"≤ {target}: {'met' if ratio <= target else 'NOT met'}"
        elif n == 1000 or workload == "quick-down":
            verdict = f"≤ 1.0: {'met' if ratio <= 1.0 else 'NOT met'}"
        rows.append(
            f"| {DESCRIPTION.get(workload, workload)} | {n:,} | "
            f"{fmt_s(o['wall'])} ({fmt_s(o['user'])}+{fmt_s(o['sys'])}) | "
            f"{fmt_s(u['wall'])} ({fmt_s(u['user'])}+{fmt_s(u['sys'])}) | {ratio:.2f} | "
            f"{o['rss'] / 1024:.1f} / {u['rss'] / 1024:.1f} | {o['n']}/{u['n']} | {verdict} |")
    return "\n".join(rows)


def breakdown(runs):
    """Where a setconf's time goes: its netlink transfer alone, against both tools."""
    # Only at the targets' size: below it, start-up's spread is larger than the parsing.
    keys = sorted((k for k, tools in runs.items() if k in TARGETS and "transfer" in tools
                   and "orig" in tools and "ours" in tools), key=lambda k: WORKLOADS.index(k[1]))
    if not keys:
        return []
    startup = runs.get(("vm", "startup", 0), {})
    starts = " and ".join(f"{name} {fmt_s(summary(startup[tool])['wall'])} s"
                          for tool, name in (("orig", "the original"), ("ours", "ours"))
                          if tool in startup)
    rows = ["| workload | N | target | original s | ours s | transfer alone s | ours less the "
            "transfer s | left by the target beside the transfer s | floor: (transfer + "
            "start-up) / original |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    ours_start = summary(startup["ours"])["wall"] if "ours" in startup else None
    for key in keys:
        _, workload, n = key
        o, u, t = (summary(runs[key][tool])["wall"] for tool in ("orig", "ours", "transfer"))
        rows.append(f"| {DESCRIPTION.get(workload, workload)} | {n:,} | ≤ {TARGETS[key]} | "
                    f"{fmt_s(o)} | {fmt_s(u)} | {fmt_s(t)} | {fmt_s(u - t)} | "
                    f"{fmt_s(TARGETS[key] * o - t)} | "
                    f"{'?' if ours_start is None else f'{(t + ours_start) / o:.2f}'} |")
    return [
        "### Where a setconf's time goes",
        "",
        "The harness also times each of these setconfs' netlink transfer alone, once per "
        "repetition on an empty device: `wgkit_genl_tool setconf` (tests/vm) parses the same "
        "file and times the library's `set_device` inside the process: encoding, sending, and "
        "the kernel applying each message before acknowledging it. Ours less the transfer is "
        "what `wg setconf` spends on everything else: start-up, reading and parsing the file, "
        "and exit. The column after it is what the target leaves for all of that (target × "
        "original − transfer); process start-up alone, `wg show IF dump` of an empty device "
        f"above, took {starts or '?'}. The floor is the ratio ours would reach if reading and "
        "parsing the file took no time: the transfer and our start-up, over the original. "
        "Medians of the measured runs.",
        "",
        *rows,
        "",
    ]


def render(meta, runs, raw_name):
    out = [
        "# Performance: wgkit against wireguard-tools",
        "",
        "<!-- The section up to 'Notes' is written by bench/report.py; edit the notes below it. -->",
        "",
        f"Measured {meta.get('date', '?')} with `{meta.get('command', 'bench/run.sh').strip()}` "
        f"(as root, from the source tree; raw lines in `bench/results/{raw_name}`).",
        "",
        f"- machine: {meta.get('nproc', '?')} CPUs, {meta.get('cpu', '?')}, host kernel "
        f"{meta.get('host_kernel', '?')}",
        f"- build: {meta.get('build', '?')}, commit {meta.get('commit', '?')}; "
        f"{meta.get('reps', '?')} measured repetitions per tool after one warm-up (five times as "
        "many at N = 1,000 and for start-up, whose runs take hundredths of a second, and twice as "
        "many in the kernel lab above N = 1,000 for every workload but setconf with a key), "
        "original and ours alternating (and which one goes first alternating)",
        f"- load average (1, 5, 15 min): {meta.get('load_start', '?')} at the start, "
        f"{meta.get('load_after_vm', '?')} after the kernel lab, {meta.get('load_end', '?')} at "
        "the end. The machine is shared: other builds and tests ran at the same time, so single "
        "timings vary; compare the ratios, which come from interleaved runs.",
        "- original: Debian's wireguard-tools 1.0.20210914 (`/usr/bin/wg`, `/usr/bin/wg-quick`)",
        "",
        "Times are medians, wall seconds with user + sys in parentheses; ratio = ours / original "
        "(below 1: ours is faster); RSS is the largest peak resident size (GNU time's %M, "
        "wait4's ru_maxrss) over the runs.",
        "",
        "## Kernel WireGuard (kernel lab: qemu TCG, one vCPU, "
        f"guest kernel {meta.get('guest_kernel', '?')})",
        "",
        "Software emulation: absolute times are only meaningful as ratios. Timed in the guest "
        "with bash's `time` around GNU `time -f %M` (its start-up, a few hundredths of a second, "
        "is in both tools' numbers).",
        "",
        table(runs, "vm"),
        "",
        *breakdown(runs),
        "## wireguard-go in a network namespace (host)",
        "",
        "Timed by the harness around fork and wait of `ip netns exec NS ...` (the same few "
        "milliseconds for both).",
        "",
        table(runs, "go"),
        "",
    ]
    if any(key[0] == "host" for key in runs):
        out += ["## Keys (host, no device, no namespace)", "",
                "Timed like the rows above, with ten times the repetitions: each run takes "
                "milliseconds, most of them process start-up.", "",
                table(runs, "host"), ""]
    if meta.get("errors"):
        out += ["Errors during the run: " + meta["errors"], ""]
    return "\n".join(out)


def main():
    raw = sys.argv[1]
    meta, runs = load(raw)
    for line in open(raw, errors="replace"):
        f = line.split()
        if f[:3] == ["BENCH", "info", "kernel"]:
            meta["guest_kernel"] = f[3]
    text = render(meta, runs, raw.rsplit("/", 1)[-1])
    if len(sys.argv) < 3:
        print(text)
        return
    out = sys.argv[2]
    notes = ""
    try:
        old = open(out).read()
        marker = "\n## Notes"
        if marker in old:
            notes = old[old.index(marker):]
    except FileNotFoundError:
        pass
    with open(out, "w") as f:
        f.write(text + notes)


if __name__ == "__main__":
    main()
