#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Searches captured test output for private and preshared keys (issue 10: the suites' secrets
never appear in any stderr or log line of any test run).

Usage: scan-secrets.py FILE...   (meson testlog.json files, CI transcripts, fuzz logs)

The suites make their keys in many ways (our genkey, Debian's, random bytes in generators), so
there is no ledger of them to match against. Instead the scan recognises a secret by what it
is next to or what it belongs to:
  1. a labelled secret: `PrivateKey = K`, `PresharedKey = K`, `private key: K`,
     `preshared key: K`, UAPI `private_key=HEX` and `preshared_key=HEX` (all-zero hex is the
     protocol's "none" and not a secret);
  2. `wg show dump` lines: the interface line's first field and a peer line's second field;
  3. a key-shaped string whose X25519 public key also appears in the output: it is the private
     key of a peer or interface printed there.
Exits 1 and prints the file, line number and a redacted form (first 4 characters) of each hit;
the secret itself is never printed.
"""
import base64
import binascii
import json
import re
import sys

B64 = r"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]="
HEX = r"[0-9a-f]{64}"
LABELLED = re.compile(
    rf"(?:PrivateKey|PresharedKey)\s*=\s*({B64})"
    rf"|(?:private key|preshared key):\s*(?:\x1b\[[0-9;]*m)*({B64})"
    rf"|(?:private_key|preshared_key)=({HEX})")
KEY_SHAPED = re.compile(rf"(?<![A-Za-z0-9+/])({B64})(?![A-Za-z0-9+/=])")
ZERO_HEX = "0" * 64

# X25519 (RFC 7748 section 5) on Python integers: enough for the few hundred distinct keys a
# run prints. Not constant time, and it need not be: it only runs over test output.
P = 2**255 - 19
A24 = 121665


def x25519_base(scalar: bytes) -> bytes:
    k = bytearray(scalar)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    n = int.from_bytes(k, "little")
    x1, x2, z2, x3, z3, swap = 9, 1, 0, 9, 1, 0
    for t in reversed(range(255)):
        bit = (n >> t) & 1
        swap ^= bit
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = bit
        a, b = (x2 + z2) % P, (x2 - z2) % P
        aa, bb = a * a % P, b * b % P
        e = (aa - bb) % P
        c, d = (x3 + z3) % P, (x3 - z3) % P
        da, cb = d * a % P, c * b % P
        x3 = (da + cb) ** 2 % P
        z3 = x1 * (da - cb) ** 2 % P
        x2 = aa * bb % P
        z2 = e * (aa + A24 * e) % P
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, P - 2, P) % P).to_bytes(32, "little")


def texts(path):
    """Yields (label, text) for each captured stream in a file: a meson testlog.json holds one
    JSON object per test with its stdout (and stderr when kept apart); anything else is text."""
    with open(path, "rb") as f:
        data = f.read().decode("utf-8", "replace")
    if path.endswith("testlog.json"):
        for line in data.splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                yield path, line
                continue
            for stream in ("stdout", "stderr"):
                if entry.get(stream):
                    yield f"{path} [{entry.get('name')} {stream}]", entry[stream]
    else:
        yield path, data


def redact(key):
    return key[:4] + "..."


def scan(paths):
    hits = []
    shaped = {}  # key text -> first place seen
    for path in paths:
        for label, text in texts(path):
            for number, line in enumerate(text.splitlines(), 1):
                where = f"{label}:{number}"
                for match in LABELLED.finditer(line):
                    key = next(g for g in match.groups() if g)
                    if key != ZERO_HEX:
                        hits.append((where, "labelled", redact(key)))
                fields = line.split("\t")
                if len(fields) == 4 and re.fullmatch(B64, fields[0]):
                    hits.append((where, "dump interface line", redact(fields[0])))
                if len(fields) == 8 and re.fullmatch(B64, fields[1]):
                    hits.append((where, "dump peer line", redact(fields[1])))
                for match in KEY_SHAPED.finditer(line):
                    shaped.setdefault(match.group(1), where)
    for key, where in shaped.items():
        public = base64.b64encode(x25519_base(base64.b64decode(key))).decode()
        if public != key and public in shaped:
            hits.append((where, "private key of a printed public key", redact(key)))
    return hits


def main():
    paths = sys.argv[1:]
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    readable = []
    for path in paths:
        try:
            open(path, "rb").close()
            readable.append(path)
        except OSError as error:
            print(f"scan-secrets: skipping {path}: {error.strerror}", file=sys.stderr)
    hits = scan(readable)
    for where, kind, shown in hits:
        print(f"SECRET in output: {where}: {kind} ({shown})")
    print(f"scan-secrets: {len(readable)} files, {len(hits)} secrets found")
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
