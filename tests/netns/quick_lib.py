# SPDX-License-Identifier: MIT
"""Helpers for the wg-quick differential tests (issue 5).

Each "host" is a fresh network namespace whose commands run in a private mount namespace with
an overlay over /etc, so /etc/wireguard, /etc/resolvconf, rt_tables and the resolvconf records
are the host's own copy and the machine's /etc is never written. resolvconf is a stand-in
script that records what wg-quick asks (the records are part of the snapshot).

    test process (host netns, untouched)
      |-- wgk-<tag>-o   Debian's /usr/bin/wg-quick runs here   (overlay /etc: <tmp>/o/upper)
      |-- wgk-<tag>-q   our wg-quick runs here                 (overlay /etc: <tmp>/q/upper)
"""
import difflib
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import nslib

RESOLVCONF_STUB = """#!/bin/sh
# Test stand-in for resolvconf(8): keeps what wg-quick asks for under /etc/wgk-resolvconf.
dir=/etc/wgk-resolvconf
mkdir -p "$dir"
case "$1" in
-a) cat > "$dir/$2"; exit 0 ;;
-d) [ -e "$dir/$2" ] || exit 1; rm -f "$dir/$2"; exit 0 ;;
-l) cat "$dir/$2" ;;
*) exit 2 ;;
esac
"""

# Debian's resolvconf interface-order (first lines): gives the `tun.` prefix.
INTERFACE_ORDER = "lo.inet6\nlo.inet\nlo.@(dnsmasq|pdnsd)\nlo.!(pdns|pdns-recursor)\nlo\ntun*\ntap*\nhso*\n"

SYSCTLS = ["net.ipv4.conf.all.src_valid_mark"]

TOOLS = {name: shutil.which(name) or name for name in ("ip", "unshare", "sh", "sysctl")}


def ours_wg_quick():
    return os.environ["WGKIT_WG_QUICK"]


class Host:
    """One namespace + private /etc where one wg-quick implementation runs."""

    def __init__(self, lab, suffix, tmp):
        self.lab = lab
        self.ns = lab.netns(suffix)
        self.root = os.path.join(tmp, suffix)
        self.upper = os.path.join(self.root, "upper")
        self.work = os.path.join(self.root, "work")
        self.bin = os.path.join(self.root, "bin")
        for d in (self.upper, self.work, self.bin):
            os.makedirs(d)
        with open(os.path.join(self.bin, "resolvconf"), "w") as f:
            f.write(RESOLVCONF_STUB)
        os.chmod(os.path.join(self.bin, "resolvconf"), 0o755)
        self.write_etc("resolvconf/interface-order", INTERFACE_ORDER)
        self.write_etc("iproute2/rt_tables.d/wgk.conf", "4242\twgktest\n")
        os.makedirs(os.path.join(self.upper, "wireguard"), exist_ok=True)
        os.chmod(os.path.join(self.upper, "wireguard"), 0o700)
        self.path = f"{self.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    def write_etc(self, rel, text, mode=0o644):
        p = os.path.join(self.upper, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return "/etc/" + rel

    def read_etc(self, rel):
        try:
            with open(os.path.join(self.upper, rel)) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def argv(self, argv):
        wrap = ('mount -t overlay overlay -o lowerdir=/etc,upperdir="$0",workdir="$1" /etc'
                ' && shift && exec "$@"')
        # Absolute paths: the PATH given to the command (maybe with stubs) must not pick these.
        return [TOOLS["ip"], "netns", "exec", self.ns, TOOLS["unshare"], "-m", "--propagation", "private",
                TOOLS["sh"], "-c", wrap, self.upper, self.work] + list(argv)

    def env(self, **extra):
        env = dict(os.environ, PATH=self.path, LC_ALL="C")
        env.update(extra)
        return env

    def run(self, argv, check=True, env=None, input=None):
        r = subprocess.run(self.argv(argv), capture_output=True, text=True,
                           env=env or self.env(), input=input)
        if check and r.returncode != 0:
            raise RuntimeError(f"{argv} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
        return r

    def sh(self, script, check=True):
        return self.run(["sh", "-c", script], check=check)

    def snapshot(self, ifnames):
        """The namespace state wg-quick may touch, as one text."""
        parts = []
        for cmd in (["ip", "-d", "link", "show"],
                    ["ip", "-d", "-4", "addr", "show"], ["ip", "-d", "-6", "addr", "show"],
                    ["ip", "-d", "-4", "route", "show", "table", "all"],
                    ["ip", "-d", "-6", "route", "show", "table", "all"],
                    ["ip", "-d", "-4", "rule", "show"], ["ip", "-d", "-6", "rule", "show"],
                    ["nft", "list", "ruleset"], ["iptables-save"], ["ip6tables-save"]):
            r = self.run(cmd, check=False, env=self.env(PATH="/usr/sbin:/usr/bin:/sbin:/bin"))
            parts.append("## " + " ".join(cmd) + "\n" + r.stdout + r.stderr)
        for key in SYSCTLS:
            r = self.run([TOOLS["sysctl"], "-n", key], check=False)
            parts.append(f"## sysctl {key}\n{r.stdout}")
        rec = os.path.join(self.upper, "wgk-resolvconf")
        parts.append("## resolvconf records")
        if os.path.isdir(rec):
            for name in sorted(os.listdir(rec)):
                if not name.startswith("."):
                    parts.append(f"# {name}\n" + open(os.path.join(rec, name)).read())
        log = self.read_etc("wgk-hooklog")
        if log is not None:
            parts.append("## hook log\n" + log)
        return normalise("\n".join(parts), ifnames)


# Normalisations, each for a value that is random by nature or differs by construction.
NORMALISATIONS = [
    # iptables-save prints its version and a timestamp in comments.
    ("iptables-save comments", re.compile(r"^# .*(Generated|Completed).*$", re.M), "# <comment>"),
    # the TUN's IPv6 link-local address is random (addr_gen_mode random for ARPHRD_NONE)
    ("tun link-local", re.compile(r"fe80::[0-9a-f:]+(?=[/ \n])"), "fe80::<ll>"),
    # interface indexes are allocated by the kernel per namespace
    ("ifindex", re.compile(r"^\d+: ", re.M), "<idx>: "),
    # the interface's random IPv6 stable-privacy secret / link address has none; timers:
    ("lifetimes", re.compile(r"(valid_lft|preferred_lft) \S+"), r"\1 <t>"),
    # IPv6 duplicate address detection on veth links finishes at its own pace
    ("DAD progress", re.compile(r" tentative(?= )"), ""),
]


def sort_link_local_runs(text):
    """Routes to random link-locals sit in the kernel's table in address order, so with two
    interfaces their order is random too; and the multicast routes of two veth ends come up
    in whichever order their carrier events land: sort each run of adjacent such lines."""
    out, run = [], []
    for line in text.split("\n"):
        if line.startswith("local fe80::<ll> ") or line.startswith("multicast ff00::/8 "):
            run.append(line)
            continue
        out.extend(sorted(run))
        run = []
        out.append(line)
    out.extend(sorted(run))
    return "\n".join(out)


def normalise(text, ifnames):
    for _name, pattern, repl in NORMALISATIONS:
        text = pattern.sub(repl, text)
    for i, ifname in enumerate(ifnames):
        text = text.replace(ifname, f"<if{i}>")
    return sort_link_local_runs(text)


def diff(a, b, label_a, label_b):
    return "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True), label_a, label_b))


class Failure(Exception):
    pass


def expect_equal(a, b, what, label_a="original", label_b="ours"):
    if a != b:
        raise Failure(f"{what}: differs\n" + diff(a, b, label_a, label_b))


def unique_name(prefix):
    """Interface names unique per run: /var/run/wireguard is shared by all namespaces."""
    return f"{prefix}{os.getpid() % 100000}"[:15]


def cleanup_interfaces(names):
    for name in names:
        for suffix in (".sock", ".name"):
            try:
                os.unlink(os.path.join(nslib.SOCK_DIR, name + suffix))
            except FileNotFoundError:
                pass
        for record in state_records(name):
            os.unlink(record)


def state_records(name):
    """Our wg-quick's state records for an interface name (one per network namespace)."""
    return glob.glob(os.path.join("/var/run/wgkit/quick", glob.escape(name) + ".*"))


def run_scenarios(tmp, scenarios, tag):
    """Runs each (name, function(lab, tmp)) in its own Lab; returns the failure texts."""
    failures = []
    for name, scenario in scenarios:
        with nslib.Lab(f"{tag}{name[:3]}") as lab:
            try:
                scenario(lab, tmp)
                print(f"ok {name}")
            except (Failure, RuntimeError) as e:
                failures.append(f"{name}: {e}")
    return failures


def main(body):
    """Runs body(tmpdir) with root checks, a temp dir and exit statuses per COMMON.md."""
    nslib.require_root_and("ip", "wireguard-go", "unshare", "nft", "iptables-save")
    if not os.path.exists(nslib.ORIGINAL_WG_QUICK):
        print("SKIP: Debian wg-quick not installed", file=sys.stderr)
        sys.exit(nslib.SKIP)
    tmp = tempfile.mkdtemp(prefix="wgk-quick-")
    try:
        failures = body(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        for f in failures:
            print(f"FAIL {f}", file=sys.stderr)
        sys.exit(1)
    print("PASS")
    sys.exit(0)
