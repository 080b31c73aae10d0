#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""How the golden texts in print_test.cc were made (run by hand as root; not a test).

Serves the device below on a fake UAPI socket (tests/netns/fake_uapi.py) inside a private
mount namespace (its own /run/wireguard), runs Debian's /usr/bin/wg (wireguard-tools
1.0.20210914) over it, and prints every output as C++ raw strings together with the clock
second the pretty output was measured against. The device in print_test.cc's golden_device()
is the same state. Outputs whose text differs in the target version (`show all endpoints`)
are not taken from here.
"""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "netns"))

if os.environ.get("PRINT_GOLDEN_UNSHARED") != "1":
    os.execvp("unshare", ["unshare", "--mount", "--propagation", "private", "env",
                          "PRINT_GOLDEN_UNSHARED=1", sys.executable] + sys.argv)

subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run/wireguard"], check=True)

import fake_uapi  # noqa: E402  (after the mount, so the socket lands in the private dir)


def hexkey(byte):
    return bytes([byte]) * 32 if isinstance(byte, int) else byte


def peers(now):
    return [
        dict(public_key=("11" * 32), preshared_key=("22" * 32), endpoint="192.0.2.1:51820",
             allowed_ips=["10.0.0.0/8", "fd00::/64"], handshake=(now - 62, 5), rx=1023, tx=1536,
             keepalive=25),
        dict(public_key=("33" * 32), endpoint="[2001:db8::1]:443", tx=5547032),
        dict(public_key=("44" * 32), allowed_ips=["0.0.0.0/0", "::/0"],
             handshake=(now - (400 * 86400 + 3 * 3600 + 1), 0), rx=3 << 30, tx=5 << 40,
             keepalive=65),
        dict(public_key=("55" * 32), allowed_ips=["192.168.4.28/32"], handshake=(now + 100, 0),
             rx=1, tx=0, keepalive=1),
    ]


def wg(args, env_extra):
    env = dict(os.environ, **env_extra)
    return subprocess.run(["/usr/bin/wg"] + args, capture_output=True, env=env).stdout


def cxx(name, data):
    text = data.decode("latin-1").replace("\x1b", "\\e")
    print(f'// {name}\nR"({text})"\n')


def main():
    for _ in range(5):
        now = int(time.time())
        text = fake_uapi.device_text(private_key="01" * 32, listen_port=51820, fwmark=0x2a,
                                     peers=peers(now))
        with fake_uapi.FakeInterface("wgtest0", text):
            outs = {
                "pretty never": wg(["show", "wgtest0"], {"WG_COLOR_MODE": "never"}),
                "pretty always": wg(["show", "wgtest0"], {"WG_COLOR_MODE": "always"}),
                "pretty keys": wg(["show", "wgtest0"], {"WG_COLOR_MODE": "never",
                                                       "WG_HIDE_KEYS": "never"}),
                "dump": wg(["show", "wgtest0", "dump"], {}),
                "all dump": wg(["show", "all", "dump"], {}),
            }
            for field in ["public-key", "private-key", "listen-port", "fwmark", "peers",
                          "preshared-keys", "endpoints", "allowed-ips", "latest-handshakes",
                          "transfer", "persistent-keepalive"]:
                outs[field] = wg(["show", "wgtest0", field], {})
                outs["all " + field] = wg(["show", "all", field], {})
        if int(time.time()) == now:
            break
    print(f"// now = {now}")
    for name, data in outs.items():
        cxx(name, data)


main()
