# SPDX-License-Identifier: MIT
"""Helpers for root tests in network namespaces (DESIGN.md §5, layer 2).

Every namespace, wireguard-go process and UAPI socket made through a Lab is removed when the
`with` block ends, pass or fail. Names carry the PID so parallel runs do not collide
(/var/run/wireguard is shared by all namespaces).
"""
import os
import shutil
import signal
import subprocess
import sys
import time

SKIP = 77
SOCK_DIR = "/var/run/wireguard"


def require_root_and(*programs):
    """Exit with the skip status unless root and every program is on PATH."""
    if os.geteuid() != 0:
        print("SKIP: needs root", file=sys.stderr)
        sys.exit(SKIP)
    for p in programs:
        if shutil.which(p) is None:
            print(f"SKIP: {p} not installed", file=sys.stderr)
            sys.exit(SKIP)


def ours():
    """Path to the wg built by this tree (meson passes WGKIT_WG)."""
    return os.environ["WGKIT_WG"]


ORIGINAL_WG = "/usr/bin/wg"
ORIGINAL_WG_QUICK = "/usr/bin/wg-quick"


class Lab:
    """A set of namespaces and userspace WireGuard interfaces owned by one test."""

    def __init__(self, tag):
        self.tag = f"{tag}{os.getpid() % 100000}"
        self.namespaces = []
        self.interfaces = []  # (netns, ifname, Popen)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def netns(self, suffix):
        name = f"wgk-{self.tag}-{suffix}"
        subprocess.run(["ip", "netns", "add", name], check=True)
        self.namespaces.append(name)
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        return name

    def run(self, ns, argv, check=True, input=None, env=None):
        """Runs argv inside namespace ns (or the test's own namespace if ns is None)."""
        full = (["ip", "netns", "exec", ns] if ns else []) + list(argv)
        return subprocess.run(full, input=input, capture_output=True, check=check, env=env)

    def wireguard_go(self, ns, ifname):
        """Starts wireguard-go for ifname inside ns and waits for its UAPI socket."""
        env = dict(os.environ, WG_PROCESS_FOREGROUND="1")
        proc = subprocess.Popen(["ip", "netns", "exec", ns, "wireguard-go", "-f", ifname],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        self.interfaces.append((ns, ifname, proc))
        sock = os.path.join(SOCK_DIR, ifname + ".sock")
        for _ in range(200):
            if os.path.exists(sock):
                return ifname
            if proc.poll() is not None:
                raise RuntimeError(f"wireguard-go {ifname} exited with {proc.returncode}")
            time.sleep(0.02)
        raise RuntimeError(f"wireguard-go {ifname}: no socket at {sock}")

    def close(self):
        for ns, ifname, proc in reversed(self.interfaces):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            for suffix in (".sock", ".name"):
                try:
                    os.unlink(os.path.join(SOCK_DIR, ifname + suffix))
                except FileNotFoundError:
                    pass
        self.interfaces.clear()
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "pids", ns], capture_output=True)
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.namespaces.clear()
