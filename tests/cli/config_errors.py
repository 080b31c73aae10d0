#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Differential test of the config parser's messages against Debian's wg.

The original parses the whole file before it touches any interface, so
`/usr/bin/wg setconf <absent interface> FILE` is an oracle for the parser: it prints the
warnings and the parse error then "Configuration parsing error" (or "Invalid configuration"),
or, for a valid file, fails later with "Unable to modify interface: ...". Our parser runs
through parse_config_tool ($WGKIT_PARSE_CONFIG_TOOL), which prints the same lines with our
"FILE:LINE: " prefix, or "OK". Once the prefix is removed, stderr must be identical.

Inputs: hand-written files for every rule of the format, plus a matrix of values for every
key. Endpoints only ever name numeric hosts, localhost, or hosts with a ':' (which glibc never
asks the DNS about), so no query leaves the machine. '+'/'-' allowed-IP prefixes are left out:
the oracle (1.0.20210914) predates them; the unit test asserts the target's behaviour.
One deliberate difference is normalised away: where the original quotes a private or
preshared key in a message, ours shows "(hidden)".
Needs no root and no network. Exit 0 pass, 77 skip, 1 fail.
"""

import concurrent.futures
import os
import re
import socket
import subprocess
import sys
import tempfile

ORACLE = os.environ.get("WGKIT_ORACLE_WG", "/usr/bin/wg")
TOOL = os.environ.get("WGKIT_PARSE_CONFIG_TOOL", "")
IFNAME = "wgkit-cfg-nx"  # must not exist: the oracle would otherwise configure it

K1 = "qDP4t295vyA3NEmgdrDnk+/RHQF98vEHp43qZanWx2I="
K2 = "WHdLg2uwCC3flml+fpdRCnC/+ynxDrDJwO01XTArO0Q="
PSK = "lO9j7rkGycDMi8FtHy/RV+Nc+0chjVHD/bRVyBF+UI0="
PEER = f"[Peer]\nPublicKey = {K2}\n"

# Files for the rules of the format (reference section 2) and the messages of section 1.7.
FILES = [
    ("empty", ""),
    ("comments only", "# a\n\n \t \n#[Peer]\n"),
    ("full valid", f"[Interface]\nPrivateKey = {K1}\nListenPort = 51820\nFwMark = 0x10\n\n"
                   f"{PEER}PresharedKey = {PSK}\nAllowedIPs = 10.0.0.0/8, fd00::/8\n"
                   "Endpoint = 127.0.0.1:51820\nPersistentKeepalive = 25\n"),
    ("whitespace inside values", "[Interface]\n  Listen Port = 5 1\t8 2 0  \n"),
    ("CRLF", "[Interface]\r\nListenPort = 7\r\n"),
    ("no final newline", "[Interface]\nListenPort = 8"),
    ("case", f"[INTERFACE]\nlistenport=1\n[pEeR]\npublickey={K2}\n"),
    ("spaced header", "[ Interface ]\nListenPort=2\n"),
    ("comment glued", "[Interface]\nListenPort=5#6\n"),
    ("NUL ends the line", "[Interface]\nListenPort=1\0garbage\n"),
    ("NUL before bad text", "[Interface]\nFwMark=1\0x\n"),
    ("BOM", "\ufeff[Interface]\n"),
    ("unknown section", "[Foo]\n"),
    ("key before section", "ListenPort = 1\n"),
    ("key without equals", "[Interface]\nListenPort 1\n"),
    ("peer key in interface", f"[Interface]\nPublicKey = {K2}\n"),
    ("private key in peer", f"{PEER}PrivateKey = {K1}\n"),
    ("preshared key in interface", f"[Interface]\npresharedKey = {PSK}\n"),
    ("private key before section", f"privatekey={K1}\n"),
    ("interface key in peer", "[Peer]\nListenPort = 1\n"),
    ("interface after peer", f"{PEER}[Interface]\nAllowedIPs = 10.0.0.0/8\n"),
    ("several interfaces", f"[Interface]\nListenPort=1\n{PEER}[Interface]\nFwMark=7\n"),
    ("duplicate peers", f"{PEER}AllowedIPs=10.0.0.0/8\n{PEER}"),
    ("accumulation", f"{PEER}AllowedIPs=10.0.0.0/8\nAllowedIPs=10.0.0.1/8\nAllowedIPs=::1/64\n"),
    ("no continuation", "[Interface]\nListenPort = 5\\\n"),
    ("missing public key", "[Peer]\nAllowedIPs = 10.0.0.0/8\n"),
    ("second peer missing key", f"{PEER}[Peer]\nEndpoint=127.0.0.1:1\n"),
    ("parse error wins over missing key", "[Peer]\n[Interface]\nBogus=1\n"),
    ("warning then error", f"{PEER}AllowedIPs = 10.0.0.1/8, 10.0.0.0/40\n"),
    ("warnings on two lines", f"{PEER}AllowedIPs = 10.0.0.1/8\nAllowedIPs = fe80::1/10,::1/127\n"),
]
for quick in ["Address = 10.0.0.1/24", "DNS = 1.1.1.1, 8.8.8.8", "MTU = 1420", "Table = off",
              "PreUp = echo hi", "PostUp = true", "PreDown = true", "PostDown = a # b",
              "SaveConfig = true"]:
    FILES.append((f"wg-quick key {quick}", f"[Interface]\n{quick}\n"))

VALUES = [
    "", " ", "0", "1", "off", "OFF", "oFf", "of", "offf", "65535", "65536", "70000", "4294967295",
    "4294967296", "99999999999999999999999", "0x", "0x0", "0x10", "0X10", "0xffffffff",
    "0xFFFFFFFF", "0x100000000", "0xg", "0x-1", "010", "-1", "+1", " 1 ", "1 2", "1#2", "1f",
    "domain", "http", "nosuchsvc", "abc", "=", "==", "[]", "5\\", "\t9",
    "10.0.0.0/8", "10.0.0.1/24", "10.0.0.1", "10.0.0.1/0", "10.0.0.0/008", "::/0", "fe80::1/64",
    "::1/127", "::2/127", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/8/8",
    "10.0.0.0/ 8", "1.2.3", "127.1", "10.0.0.256", "10.0.0.0/8,", ",", "10.0.0.0/8,,::/0",
    "10.0.0.0/8, ::/0", "a/b", "::ffff:1.2.3.4/96", "1.2.3.4/99999999999999999999",
    K1, K1 + "x", K1[:-1], K1[:-2] + "J=", K1.replace("+", "-"), "A" * 43 + "=", "A" * 44,
    "a833f8b76f79bf2037344da0ac39c393efd11d017df2f107a78dea65a9d6c762",
]

ENDPOINTS = [
    "127.0.0.1:51820", "[::1]:1", "::1:1", "[fe80::1%lo]:1", "localhost:1", "LOCALHOST:2",
    "127.1:1", "127.0.0.1:domain", "127.0.0.1:70000", "127.0.0.1:-1", "127.0.0.1:0",
    "[::1", "[::1]", "[::1]:", "[::1]x1", "::1", ":1", "[]:1", "127.0.0.1:", "[127.0.0.1]:1",
    "[fe80::1%nosuchif]:1", "[::1]:1:2", "::g:1", "[::ffff:127.0.0.1]:9", "[::1]]:1",
    "[[::1]:1", ":", "::", "[", "]", "[]", "[]:",
]

SERVICE_ERROR = f"{PEER}Endpoint = 127.0.0.1:nosuchsvc\n"
# (name, file, WG_ENDPOINT_RESOLUTION_RETRIES or None)
ENV_CASES = [
    ("retries bogus", SERVICE_ERROR, "bogus"),
    ("retries negative", SERVICE_ERROR, "-1"),
    ("retries above INT_MAX", SERVICE_ERROR, "2147483648"),
    ("retries bogus, empty endpoint line", f"{PEER}Endpoint = # x\n", "bogus"),
    ("retries bogus, no endpoint", f"{PEER}AllowedIPs = 10.0.0.0/8\n", "bogus"),
    ("retries bogus, bad brace", f"{PEER}Endpoint = [::1\n", "bogus"),
    ("retries empty means none", SERVICE_ERROR, ""),
    ("retries one, with spaces", SERVICE_ERROR, " 1"),
    ("retries plus two", SERVICE_ERROR, "+2"),
    ("retries infinity, permanent error", f"{PEER}Endpoint = :1\n", "infinity"),
]


def stripped_value(text):
    """The value as the parser sees it: comment cut, whitespace removed."""
    return re.sub(r"[\t\n\v\f\r ]", "", text.split("#", 1)[0])


def endpoint_is_local(value):
    """True when resolving the value cannot ask the DNS: numeric or /etc/hosts names only."""
    value = stripped_value(value)
    if value.startswith("["):
        host = value[1:value.find("]")] if "]" in value else ""
    elif ":" in value:
        host = value[:value.rfind(":")]
    else:
        return True  # "Unable to find port": nothing is resolved
    if host == "" or ":" in host or host.lower() == "localhost":
        return True
    try:
        socket.inet_aton(host)
        return True
    except OSError:
        return False


def has_prefix(value):
    return any(entry.startswith(("+", "-")) for entry in stripped_value(value).split(","))


def matrix():
    cases = []
    for key, section in [("ListenPort", "[Interface]\n"), ("FwMark", "[Interface]\n"),
                         ("PrivateKey", "[Interface]\n"), ("PublicKey", "[Peer]\n"),
                         ("PresharedKey", PEER), ("AllowedIPs", PEER),
                         ("PersistentKeepalive", PEER), ("Endpoint", PEER)]:
        values = VALUES + (ENDPOINTS if key == "Endpoint" else [])
        for value in values:
            if key == "Endpoint" and not endpoint_is_local(value):
                continue
            if key == "AllowedIPs" and has_prefix(value):
                continue
            # PublicKey first in [Peer] so that "missing key" does not hide the value's verdict
            tail = f"PublicKey = {K2}\n" if section == "[Peer]\n" else ""
            cases.append((f"{key} = {value!r}", f"{section}{key} = {value}\n{tail}", "0"))
    return cases


def hide_secrets(line, text):
    """Our deliberate difference: private and preshared keys are never quoted in messages."""
    m = re.fullmatch(rb"Line unrecognized: `((?i:privatekey=|presharedkey=)).+'", line)
    if m:
        return b"Line unrecognized: `" + m.group(1) + b"(hidden)'"
    m = re.fullmatch(rb"Key is not the correct length or format: `(.*)'", line)
    if m:
        for raw in text.split("\n"):
            stripped = stripped_value(raw.split("\0", 1)[0]).encode()
            if stripped.lower().startswith((b"privatekey=", b"presharedkey=")) and \
                    stripped.split(b"=", 1)[1] == m.group(1):
                return b"Key is not the correct length or format: `(hidden)'"
    return line


def run(argv, retries):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WG_")}
    env["LC_ALL"] = "C"
    if retries is not None:
        env["WG_ENDPOINT_RESOLUTION_RETRIES"] = retries
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          timeout=120)
    return proc.stdout, proc.stderr, proc.returncode


ALLOWED_WITHOUT_LOCATION = (b"Configuration parsing error", b"Invalid configuration",
                            b"Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES: ")


def check(directory, index, name, text, retries):
    """Returns None on agreement, else a description of the difference."""
    path = os.path.join(directory, f"case{index}.conf")
    with open(path, "wb") as f:
        f.write(text.encode("utf-8"))
    theirs = run([ORACLE, "setconf", IFNAME, path], retries)
    ours = run([TOOL, path], retries)

    location = re.compile(re.escape(path.encode()) + rb":\d+: ")
    our_lines = []
    for line in ours[1].split(b"\n")[:-1]:
        unprefixed = location.sub(b"", line, count=1)
        if unprefixed == line and not line.startswith(ALLOWED_WITHOUT_LOCATION):
            return f"line without file:line prefix: {line!r}"
        our_lines.append(unprefixed)
    their_lines = [hide_secrets(line, text) for line in theirs[1].split(b"\n")[:-1]]

    if their_lines and their_lines[-1].startswith(b"Unable to modify interface: "):
        expected = (b"OK\n", their_lines[:-1], 0)
    else:
        expected = (b"", their_lines, 1)
    got = (ours[0], our_lines, ours[2])
    if got != expected or theirs[2] != 1:
        return (f"file {text!r} retries={retries!r}\n  debian: status {theirs[2]} stderr {theirs[1]!r}\n"
                f"  ours:   status {ours[2]} stdout {ours[0]!r} stderr {ours[1]!r}")
    return None


def main():
    if not os.access(ORACLE, os.X_OK):
        print(f"SKIP: no oracle at {ORACLE}")
        return 77
    if not TOOL or not os.access(TOOL, os.X_OK):
        print("SKIP: WGKIT_PARSE_CONFIG_TOOL is not set")
        return 77
    if os.path.exists(f"/sys/class/net/{IFNAME}") or os.path.exists(f"/var/run/wireguard/{IFNAME}.sock"):
        print(f"SKIP: an interface named {IFNAME} exists; the oracle would configure it")
        return 77

    cases = [(n, t, "0") for n, t in FILES] + matrix() + ENV_CASES
    failures = []
    with tempfile.TemporaryDirectory(prefix="wgkit-config-errors-") as directory:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(check, directory, i, *case) for i, case in enumerate(cases)]
            for case, future in zip(cases, futures):
                problem = future.result()
                if problem:
                    failures.append(f"FAIL: {case[0]}\n{problem}")
    for failure in failures:
        print(failure)
    print(f"{len(cases) - len(failures)}/{len(cases)} config files agree with {ORACLE}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
