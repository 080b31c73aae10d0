#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Bad input at the size of real files (issue 10, docs/robustness.md): truncated configs,
lines of several MiB, and 10^6 allowed IPs, through our parser, our wg and our wg-quick strip.

1. Truncation: a realistic config (four peers, every key wg knows, comments) is cut at every
   line boundary (after each newline, and before it) and at a few hundred random byte offsets
   (seeded; the seed is printed, WGKIT_TEST_SEED replays it). For each cut, our parser
   (parse_config_tool), our `wg setconf` and Debian's `wg setconf` on an absent interface (the
   oracle idea of config_errors.py) must agree on accept/reject and on the message, and when we
   reject, a line of ours must name FILE:LINE with LINE inside the file.
2. Huge lines: a key, an AllowedIPs list, a comment, whitespace, an endpoint and a bare word,
   each of several MiB in one line: the same agreement with Debian's wg, counts checked where
   the file parses, and the peak RSS of our parser bounded (a small multiple of the input).
3. 10^6 allowed IPs (1,000 peers x 1,000 entries, v4 and v6, in long lines and short ones):
   the parser's counts exact, the file printed back (showconf) exact, `wg-quick strip` output
   exactly the input minus the wg-quick keys, both with bounded RSS.
4. Sources: the file given through a pipe, empty, or as a directory, against Debian's wg.
No root needed except for `wg-quick strip` (which re-runs itself through sudo otherwise: that
part is skipped without root). Exit 0 pass, 77 skip, 1 fail.
"""

import base64
import ipaddress
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import config_errors as ce  # noqa: E402  (reuses its oracle conventions and secret hiding)

OUR_WG = os.environ.get("WGKIT_WG", "")
OUR_QUICK = os.environ.get("WGKIT_WG_QUICK", "")
IFNAME = "wgkit-bi-nx"  # must not exist: the oracle would otherwise configure it
MIB = 1 << 20


def key(rng):
    return base64.b64encode(bytes(rng.getrandbits(8) for _ in range(32))).decode()


def realistic_config():
    rng = random.Random(1)  # fixed keys: the file is the same every run; only cuts vary
    k = [key(rng) for _ in range(8)]
    return (
        "# wgkit bad-input test: a server and four peers\n"
        "[Interface]\n"
        f"PrivateKey = {k[0]}\n"
        "ListenPort = 51820\n"
        "FwMark = 0x1234\n"
        "\n"
        "# laptop\n"
        "[Peer]\n"
        f"PublicKey = {k[1]}\n"
        f"PresharedKey = {k[2]}\n"
        "AllowedIPs = 10.8.0.2/32, fd08::2/128\n"
        "Endpoint = 127.0.0.1:51821\n"
        "PersistentKeepalive = 25\n"
        "\n"
        "[Peer]\n"
        "# the key comes last here, so cuts before it leave a peer without one\n"
        "AllowedIPs = 10.8.0.3/32\n"
        "AllowedIPs = fd08::3/128, 10.9.0.0/16\n"
        "Endpoint = [::1]:51822\n"
        "PersistentKeepalive = off\n"
        f"PresharedKey = {k[3]}\n"
        f"PublicKey = {k[4]}\n"
        "\n"
        "[Peer]\n"
        f"PublicKey = {k[5]}\n"
        "Endpoint = 127.0.0.1:51823 # a comment after a value\n"
        "AllowedIPs = 0.0.0.0/0, ::/0\n"
        "\n"
        "[Peer]\n"
        f"PublicKey = {k[6]}\n"
        "AllowedIPs = 10.8.1.0/24\n"
        "AllowedIPs = 10.8.2.0/24,10.8.3.0/24\n"
    )


# Linux carries a process's peak RSS across exec, so a child forked from this (large) test
# would report the test's own size: children start from a fresh, small interpreter instead,
# which forks them and reports their peak RSS (KiB) in the file named by its first argument.
SPAWN_MEASURED = """import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run(argv, measure=False, stdin_bytes=None):
    """Runs argv with the oracle's environment (stdin: stdin_bytes through a pipe, or nothing);
    returns (stdout, stderr, status, peak RSS KiB or 0 when not measured: the extra
    interpreter costs time under load)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WG_")}
    env["LC_ALL"] = "C"
    if not measure:
        if stdin_bytes is not None:
            proc = subprocess.run(argv, input=stdin_bytes, capture_output=True, env=env)
        else:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env)
        return proc.stdout, proc.stderr, proc.returncode, 0
    with tempfile.NamedTemporaryFile("r") as rss:
        proc = subprocess.run([sys.executable, "-c", SPAWN_MEASURED, rss.name] + list(argv),
                              stdin=subprocess.DEVNULL, capture_output=True, env=env)
        return proc.stdout, proc.stderr, proc.returncode, int(rss.read() or 0)


def unprefixed(stderr, path):
    """Our stderr lines without the FILE:LINE: prefix, and the line numbers named."""
    location = re.compile(re.escape(path.encode()) + rb":(\d+): ")
    lines, numbers = [], []
    for line in stderr.split(b"\n")[:-1]:
        m = location.match(line)
        if m:
            numbers.append(int(m.group(1)))
            line = line[m.end():]
        elif not line.startswith(ce.ALLOWED_WITHOUT_LOCATION + (b"Unable to modify interface: ",)):
            raise AssertionError(f"line without file:line prefix: {line[:200]!r}")
        lines.append(line)
    return lines, numbers


def short(b, limit=300):
    return repr(b if len(b) <= limit else b[:limit] + b"...")


def agree(path, text, lines_in_file, with_wg=True):
    """Our parser and our wg against Debian's wg on one file. Returns None (all accept),
    "rejected" (all reject, with the same messages) or the problem."""
    theirs = run([ce.ORACLE, "setconf", IFNAME, path])
    their_lines = [ce.hide_secrets(line, text) for line in theirs[1].split(b"\n")[:-1]]
    accepted = bool(their_lines) and their_lines[-1].startswith(b"Unable to modify interface: ")
    if theirs[2] != 1 or not their_lines:
        return f"debian wg: status {theirs[2]} stderr {short(theirs[1])}"
    tool = run([ce.TOOL, path])
    # our wg prints what the parser does; under ASan each process start is slow, so the
    # truncation test runs it on a share of the cuts only (with_wg)
    wg = run([OUR_WG, "setconf", IFNAME, path]) if with_wg else (b"", tool[1], 1, 0)
    if not with_wg and tool[2] == 0:
        wg = (b"", tool[1] + their_lines[-1] + b"\n", 1, 0)
    try:
        tool_lines, tool_numbers = unprefixed(tool[1], path)
        wg_lines, wg_numbers = unprefixed(wg[1], path)
    except AssertionError as e:
        return str(e)
    want_tool = (b"OK\n", their_lines[:-1], 0) if accepted else (b"", their_lines, 1)
    if (tool[0], tool_lines, tool[2]) != want_tool:
        return (f"parser: debian {'accepts' if accepted else 'rejects'}: stderr {short(theirs[1])}\n"
                f"  ours: status {tool[2]} stdout {short(tool[0])} stderr {short(tool[1])}")
    if (wg[0], wg_lines, wg[2]) != (b"", their_lines, 1):
        return f"our wg setconf: status {wg[2]} stderr {short(wg[1])}\n  debian: {short(theirs[1])}"
    if not accepted:
        for numbers in (tool_numbers, wg_numbers):
            if not numbers or not all(1 <= n <= lines_in_file for n in numbers):
                return f"rejection without a FILE:LINE inside the file ({lines_in_file} lines): {short(tool[1])}"
    return None if accepted else "rejected"


def truncation(tmp, failures):
    text = realistic_config()
    data = text.encode()
    seed = int(os.environ.get("WGKIT_TEST_SEED", "0")) or random.SystemRandom().randrange(1, 2**31)
    print(f"truncation: seed {seed} (set WGKIT_TEST_SEED={seed} to replay)")
    rng = random.Random(seed)
    cuts = {0, len(data)}
    for i, byte in enumerate(data):
        if byte == ord("\n"):
            cuts.update((i, i + 1))
    boundaries = len(cuts)
    while len(cuts) < boundaries + 300:
        cuts.add(rng.randrange(1, len(data)))
    # our wg setconf on every line boundary and on one random cut in four
    with_wg = {c for c in cuts if c == 0 or c == len(data) or data[c - 1] == ord("\n") or
               (c < len(data) and data[c] == ord("\n"))}
    with_wg.update(sorted(cuts - with_wg)[::4])
    cuts = sorted(cuts)

    def one(cut):
        path = os.path.join(tmp, f"cut{cut}.conf")
        with open(path, "wb") as f:
            f.write(data[:cut])
        part = data[:cut].decode()
        lines = part.count("\n") + (0 if part.endswith("\n") or not part else 1)
        problem = agree(path, part, max(lines, 1), with_wg=cut in with_wg)
        os.unlink(path)
        return problem

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        problems = list(pool.map(one, cuts))
    bad = [f"truncated at byte {c} of {len(data)} (seed {seed}): {p}"
           for c, p in zip(cuts, problems) if p not in (None, "rejected")]
    failures.extend(bad)
    print(f"truncation: {len(cuts) - len(bad)}/{len(cuts)} cuts agree with {ce.ORACLE} "
          f"({boundaries} at line boundaries, {len(cuts) - boundaries} random; "
          f"{problems.count('rejected')} rejected; our wg setconf on {len(with_wg)}; "
          f"{time.monotonic() - started:.1f} s)")


def sources(tmp, failures):
    """Our wg reads a regular file by mapping it and anything else by reading: the same config
    as a file and through a pipe (/dev/stdin, as in `wg syncconf wg0 <(wg-quick strip wg0)`),
    an empty file and a directory must each get Debian's answer."""
    text = realistic_config()
    bad = text.replace("[Peer]", "[Peer]\nNoSuchKey = 1", 1)
    empty = os.path.join(tmp, "source-empty.conf")
    open(empty, "wb").close()
    cases = [("empty file", empty, b"", None), ("directory", tmp, b"", None)]
    for name, content in (("valid", text), ("bad", bad)):
        path = os.path.join(tmp, f"source-{name}.conf")
        with open(path, "w") as f:
            f.write(content)
        cases += [(f"{name} config in a file", path, content.encode(), None),
                  (f"{name} config through a pipe", "/dev/stdin", content.encode(), content.encode())]
    for what, path, data, stdin_bytes in cases:
        theirs = run([ce.ORACLE, "setconf", IFNAME, path], stdin_bytes=stdin_bytes)
        ours = run([OUR_WG, "setconf", IFNAME, path], stdin_bytes=stdin_bytes)
        their_lines = [ce.hide_secrets(line, data.decode()) for line in theirs[1].split(b"\n")[:-1]]
        try:
            our_lines, _ = unprefixed(ours[1], path)
        except AssertionError as e:
            failures.append(f"{what}: {e}")
            continue
        if (ours[0], our_lines, ours[2]) != (theirs[0], their_lines, theirs[2]):
            failures.append(f"{what}: ours status {ours[2]} stderr {short(ours[1])}\n"
                            f"  debian: status {theirs[2]} stderr {short(theirs[1])}")
    print(f"sources: {len(cases)} ways to give the file, answered as {ce.ORACLE} does")


def stats(path):
    """Our parser's counts for a file: ({'peers': n, 'allowed_ips': n, ...}, peak RSS KiB)."""
    out, err, status, rss = run([ce.TOOL, "--stats", path], measure=True)
    if status != 0:
        raise AssertionError(f"parse_config_tool --stats failed: {short(err)}")
    return {k: int(v) for k, v in (line.split() for line in out.decode().splitlines()[1:])}, rss


def sanitized():
    """True for an ASan build: its quarantine keeps freed memory (up to 256 MiB) resident."""
    try:
        with open(ce.TOOL, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False  # main() skips


RSS_FACTOR = 3 if sanitized() else 1


def rss_bound_kib(size):
    """What 'bounded' means here: a fixed allowance plus a small multiple of the input, both
    tripled under ASan; quadratic copies or runaway growth exceed it."""
    return RSS_FACTOR * (160 * 1024 + 12 * size // 1024)


def huge_cases():
    psk = ce.PSK
    peer = f"[Peer]\nPublicKey = {ce.K2}\n"
    v4 = ", ".join(f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32" for i in range(300000))
    return [
        # name, text, expected counts (None: rejected)
        ("public key of 4 MiB", f"[Peer]\nPublicKey = {'A' * 4 * MIB}\n", None),
        ("private key of 4 MiB", f"[Interface]\nPrivateKey = {'B' * 4 * MIB}\n", None),
        ("preshared key of 4 MiB with spaces", f"{peer}PresharedKey = {psk[:10]}{' ' * 4 * MIB}{psk[10:]}\n",
         {"peers": 1, "allowed_ips": 0}),
        ("AllowedIPs of 300,000 entries in one line", f"{peer}AllowedIPs = {v4}\n",
         {"peers": 1, "allowed_ips": 300000}),
        ("AllowedIPs of 300,000 entries, the last one bad", f"{peer}AllowedIPs = {v4}, 10.0.0.0/33\n", None),
        ("comment of 8 MiB", f"[Interface]\n# {'c' * 8 * MIB}\nListenPort = 1\n{peer}",
         {"peers": 1, "allowed_ips": 0}),
        ("comment of 8 MiB after a value", f"[Interface]\nListenPort = 2 #{'#' * 8 * MIB}\n",
         {"peers": 0, "allowed_ips": 0}),
        ("4 MiB of spaces inside ListenPort", f"[Interface]\nListenPort = 5{' ' * 4 * MIB}1\n",
         {"peers": 0, "allowed_ips": 0}),
        ("endpoint of 4 MiB", f"{peer}Endpoint = [{'1:' * 2 * MIB}1]:51820\n", None),
        ("bare word of 8 MiB, no newline", f"[Interface]\n{'x' * 8 * MIB}", None),
        ("4 MiB line of NUL bytes after a key", f"[Interface]\nListenPort = 3\0{chr(0) * 4 * MIB}\n",
         {"peers": 0, "allowed_ips": 0}),
    ]


def huge_lines(tmp, failures):
    started = time.monotonic()
    for name, text, counts in huge_cases():
        path = os.path.join(tmp, "huge.conf")
        with open(path, "w") as f:
            f.write(text)
        size = len(text.encode())
        problem = agree(path, text, text.count("\n") + (0 if text.endswith("\n") else 1))
        if (problem == "rejected") != (counts is None):
            problem = {"rejected": "rejected, want a parse", None: "accepted, want a rejection"}.get(problem, problem)
        elif problem in (None, "rejected"):
            problem = None
            out, err, status, rss = run([ce.TOOL, path], measure=True)
            if rss > rss_bound_kib(size):
                problem = f"parser peak RSS {rss} KiB for a {size}-byte file (bound {rss_bound_kib(size)} KiB)"
            elif counts is not None:
                got, _ = stats(path)
                got = {k: got[k] for k in counts}
                if got != counts:
                    problem = f"parsed {got}, want {counts}"
            if problem is None:
                problem = strip_check(tmp, f"[Interface]\nAddress = 10.1.0.1/24\n{text}", f"[Interface]\n{text}")
        if problem:
            failures.append(f"huge line: {name}: {problem}")
        else:
            print(f"ok huge line: {name} ({size} bytes, {'accepted' if counts else 'rejected'}, "
                  f"parser peak RSS {rss // 1024} MiB)")
    print(f"huge lines: {time.monotonic() - started:.1f} s")


def strip_check(tmp, text, expected_wg_part):
    """`wg-quick strip` of text must print expected_wg_part (+ the newline wg-quick adds) with
    bounded RSS. wg-quick strip does not parse the wg part (as the original), so it passes even
    where `wg setconf` would reject. Skipped without root (wg-quick re-runs itself via sudo)."""
    if os.geteuid() != 0:
        return None
    path = os.path.join(tmp, "wgbi0.conf")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    out, err, status, rss = run([OUR_QUICK, "strip", path], measure=True)
    size = len(text.encode())
    if status != 0 or err:
        return f"wg-quick strip: status {status}, stderr {short(err)}"
    # NUL bytes are dropped as bash's `read` drops them; the rest of each line is kept as is.
    want = expected_wg_part.encode().replace(b"\0", b"").rstrip(b"\n") + b"\n"
    if out.rstrip(b"\n") + b"\n" != want:
        return f"wg-quick strip output differs: {len(out)} bytes, want {len(want)}: {short(out)}"
    if rss > rss_bound_kib(size):
        return f"wg-quick strip peak RSS {rss} KiB for a {size}-byte file (bound {rss_bound_kib(size)} KiB)"
    return None


def million_allowed_ips(tmp, failures):
    """10^6 allowed IPs: 1,000 peers x 1,000 entries; odd peers list v6, even peers v4; the
    first half of each peer's entries in one long line, the rest one per line."""
    started = time.monotonic()
    rng = random.Random(2)
    parts = ["[Interface]\n", f"PrivateKey = {ce.K1}\nListenPort = 51820\n"]
    quick = ["[Interface]\n", "Address = 10.255.0.1/16\nDNS = 10.255.0.53\nMTU = 1420\n",
             f"PrivateKey = {ce.K1}\nListenPort = 51820\n"]
    expected_ips = 0
    for p in range(1000):
        if p % 2:
            entries = [f"fd00:{p:x}::{i:x}/128" for i in range(1000)]
        else:
            entries = [str(ipaddress.IPv4Address((10 << 24) | (p << 10) | i)) + "/32" for i in range(1000)]
        expected_ips += len(entries)
        block = (f"\n[Peer]\nPublicKey = {key(rng)}\n"
                 f"AllowedIPs = {', '.join(entries[:500])}\n"
                 + "".join(f"AllowedIPs = {e}\n" for e in entries[500:]))
        parts.append(block)
        quick.append(block)
    text, quick_text = "".join(parts), "".join(quick)
    path = os.path.join(tmp, "million.conf")
    with open(path, "w") as f:
        f.write(text)
    size = len(text.encode())
    print(f"10^6 allowed IPs: a {size}-byte file, {text.count(chr(10))} lines")

    problem = None
    got, rss = stats(path)
    if (got["peers"], got["allowed_ips"]) != (1000, expected_ips):
        problem = f"parsed {got['peers']} peers, {got['allowed_ips']} allowed IPs; want 1000, {expected_ips}"
    elif rss > rss_bound_kib(size) + RSS_FACTOR * 200 * 1024:  # 10^6 AllowedIp values of 20 bytes and more
        problem = f"parser peak RSS {rss} KiB for {size} bytes"
    else:
        print(f"  parser: {got['allowed_ips']} allowed IPs, peak RSS {rss // 1024} MiB, "
              f"showconf {got['showconf_bytes']} bytes")
        their = run([ce.ORACLE, "setconf", IFNAME, path])
        if not their[1].startswith(b"Unable to modify interface: "):
            problem = f"debian wg rejects the file: {short(their[1])}"
    if problem is None:
        problem = strip_check(tmp, quick_text, text)
    if problem:
        failures.append(f"10^6 allowed IPs: {problem}")
    else:
        print(f"ok 10^6 allowed IPs ({time.monotonic() - started:.1f} s)")


def main():
    for what, path in (("oracle", ce.ORACLE), ("WGKIT_PARSE_CONFIG_TOOL", ce.TOOL), ("WGKIT_WG", OUR_WG),
                       ("WGKIT_WG_QUICK", OUR_QUICK)):
        if not path or not os.access(path, os.X_OK):
            print(f"SKIP: {what} missing")
            return 77
    if os.path.exists(f"/sys/class/net/{IFNAME}") or os.path.exists(f"/var/run/wireguard/{IFNAME}.sock"):
        print(f"SKIP: an interface named {IFNAME} exists; the oracle would configure it")
        return 77
    if os.geteuid() != 0:
        print("note: not root, the wg-quick strip checks are skipped")
    failures = []
    with tempfile.TemporaryDirectory(prefix="wgkit-bad-input-") as tmp:
        sources(tmp, failures)
        truncation(tmp, failures)
        huge_lines(tmp, failures)
        million_allowed_ips(tmp, failures)
    for failure in failures:
        print(f"FAIL: {failure}")
    print("PASS" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
