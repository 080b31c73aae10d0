#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/scan-secrets.py, the CI check that no suite prints a private or preshared key, must
find each form a key can leak in, and must pass output that holds only public keys."""
import base64
import json
import os
import subprocess
import sys
import tempfile

WG = os.environ["WGKIT_WG"]
SCANNER = os.path.join(os.environ["WGKIT_SOURCE_ROOT"], "scripts", "scan-secrets.py")
failures = []
cases = 0


def wg(*args, stdin=None):
    return subprocess.run([WG, *args], input=stdin, capture_output=True, text=True,
                          check=True).stdout.strip()


def scan(name, text, as_testlog=False):
    with tempfile.TemporaryDirectory() as tmp:
        if as_testlog:
            path = os.path.join(tmp, "testlog.json")
            with open(path, "w") as f:
                f.write(json.dumps({"name": name, "stdout": text}) + "\n")
        else:
            path = os.path.join(tmp, "ci.log")
            with open(path, "w") as f:
                f.write(text)
        result = subprocess.run([sys.executable, SCANNER, path], capture_output=True, text=True)
    return result


def expect(name, text, leaked, secret=None, as_testlog=False):
    global cases
    cases += 1
    result = scan(name, text, as_testlog)
    if result.returncode != (1 if leaked else 0):
        failures.append(f"{name}: exit {result.returncode}, expected {1 if leaked else 0}\n"
                        f"{result.stdout}{result.stderr}")
    if secret and secret in result.stdout + result.stderr:
        failures.append(f"{name}: the scanner printed the secret itself")


private = wg("genkey")
public = wg("pubkey", stdin=private + "\n")
psk = wg("genpsk")
peer_public = wg("pubkey", stdin=wg("genkey") + "\n")
hexkey = base64.b64decode(private).hex()

expect("public keys only", f"interface: wg0\n  public key: {public}\n  private key: (hidden)\n"
       f"peer: {peer_public}\n  preshared key: (hidden)\n", leaked=False)
expect("showconf", f"[Interface]\nPrivateKey = {private}\n", leaked=True, secret=private)
expect("showconf psk", f"[Peer]\nPublicKey = {peer_public}\nPresharedKey = {psk}\n",
       leaked=True, secret=psk)
expect("pretty, keys shown", f"  private key: \x1b[0m{private}\n", leaked=True, secret=private)
expect("uapi", f"private_key={hexkey}\nlisten_port=1\n", leaked=True, secret=hexkey)
expect("uapi zero psk", f"preshared_key={'0' * 64}\n", leaked=False)
expect("dump interface line", f"{private}\t{public}\t51820\toff\n", leaked=True, secret=private)
expect("dump peer line",
       f"{peer_public}\t{psk}\t(none)\t10.0.0.2/32\t0\t0\t0\toff\n", leaked=True, secret=psk)
expect("bare private key next to its public key", f"made {private}\nthen {public}\n",
       leaked=True, secret=private)
expect("bare key alone is not known to be secret", f"key {peer_public}\n", leaked=False)
expect("inside a meson testlog", f"PrivateKey = {private}\n", leaked=True, secret=private,
       as_testlog=True)

for failure in failures:
    print("FAIL:", failure)
print(f"{cases} scanner cases, {len(failures)} failures")
sys.exit(1 if failures else 0)
