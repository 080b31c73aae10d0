#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Differential test of the key subcommands and the `wg` front door against Debian's wg.

Runs our wg ($WGKIT_WG) and the oracle (/usr/bin/wg, or $WGKIT_ORACLE_WG) with the same argv[0]
and the same stdin, and compares stdout, stderr and exit status byte for byte:
  - `wg pubkey` on 1000 random private keys (fixed seed, printed; override with WGKIT_SEED);
  - every key error and usage case of reference sections 1.1 and 1.6;
  - the world-accessible-file warning of genkey/genpsk.
Where wgkit differs by design (`--version`, a failed write of the key), ours is asserted alone.
Needs no root and no network; as root, bare `wg` is also compared with `wg show` and with the
oracle in a private namespace (see test_bare_wg_is_show). Exit 0 pass, 77 skip, 1 fail.
"""

import base64
import concurrent.futures
import os
import random
import shutil
import stat
import subprocess
import sys
import tempfile
import time

ORACLE = os.environ.get("WGKIT_ORACLE_WG", "/usr/bin/wg")
OURS = os.environ.get("WGKIT_WG", "")
PROG = "wg"  # argv[0] for both tools, so usage texts can be compared byte for byte

failures = []
comparisons = 0  # cases run through both tools, besides the 1000 pubkey vectors


def run(tool, args, stdin=b"", argv0=PROG, stdout=subprocess.PIPE, extra_env=None):
    """Runs tool with argv[0] = argv0; returns (stdout, stderr, status)."""
    env = clean_env()
    env.update(extra_env or {})
    proc = subprocess.run([argv0] + args, executable=tool, input=stdin, stdout=stdout,
                          stderr=subprocess.PIPE, timeout=30, env=env)
    return proc.stdout, proc.stderr, proc.returncode


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("WG_")}
    env["LC_ALL"] = "C"
    return env


def fail(what, detail):
    failures.append(f"FAIL: {what}\n{detail}")


def describe(result):
    out, err, status = result
    return f"  status {status}\n  stdout {out!r}\n  stderr {err!r}"


def compare(args, stdin=b"", argv0=PROG):
    """Runs both tools and records a failure when any of stdout, stderr, status differ."""
    global comparisons
    comparisons += 1
    ours = run(OURS, args, stdin, argv0)
    theirs = run(ORACLE, args, stdin, argv0)
    if ours != theirs:
        fail(f"argv0={argv0!r} args={args!r} stdin={stdin[:80]!r}{'...' if len(stdin) > 80 else ''}",
             f" ours:\n{describe(ours)}\n debian:\n{describe(theirs)}")
    return ours


def expect(what, result, out, err, status):
    if result != (out, err, status):
        fail(what, f" got:\n{describe(result)}\n expected:\n{describe((out, err, status))}")


def b64(raw):
    return base64.b64encode(raw)


def decode_key_line(line):
    """The 32 bytes of a `KEY\\n` line, or None when it is not exactly 44 base64 chars + newline."""
    if len(line) != 45 or not line.endswith(b"\n"):
        return None
    try:
        raw = base64.b64decode(line[:44], validate=True)
    except ValueError:
        return None
    return raw if len(raw) == 32 else None


def test_pubkey_vectors(rng):
    keys = [bytes(32), b"\xff" * 32, bytes([9]) + bytes(31)]
    keys += [rng.randbytes(32) for _ in range(1000 - len(keys))]
    mismatches = 0

    def both(raw):
        stdin = b64(raw) + b"\n"
        return stdin, run(OURS, ["pubkey"], stdin), run(ORACLE, ["pubkey"], stdin)

    # Four at a time: process start-up dominates, and the tools are independent.
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(both, keys))
    for stdin, ours, theirs in results:
        if ours != theirs or theirs[2] != 0 or decode_key_line(theirs[0]) is None:
            mismatches += 1
            if mismatches <= 5:
                fail(f"pubkey of {stdin!r}", f" ours:\n{describe(ours)}\n debian:\n{describe(theirs)}")
    print(f"pubkey: {len(keys) - mismatches}/{len(keys)} keys identical to Debian's wg")


def test_genkey_genpsk():
    for _ in range(20):
        out, err, status = run(OURS, ["genkey"])
        raw = decode_key_line(out)
        if status != 0 or err or raw is None:
            fail("genkey output", describe((out, err, status)))
            continue
        if raw[0] & 7 or raw[31] & 0x80 or not raw[31] & 0x40:
            fail("genkey clamping", f"  key {out!r} is not a clamped scalar")
        # The key ours generated must give the same public key in both tools.
        compare(["pubkey"], out)
    psks = set()
    for _ in range(20):
        out, err, status = run(OURS, ["genpsk"])
        if status != 0 or err or decode_key_line(out) is None:
            fail("genpsk output", describe((out, err, status)))
        psks.add(out)
    if len(psks) != 20:
        fail("genpsk randomness", f"  20 runs gave only {len(psks)} distinct keys")
    keys = {run(OURS, ["genkey"])[0] for _ in range(20)}
    if len(keys) != 20:
        fail("genkey randomness", f"  20 runs gave only {len(keys)} distinct keys")


def test_pubkey_errors(rng):
    key = b64(rng.randbytes(32))
    bad_char = key[:10] + b"!" + key[11:]
    no_pad = key[:43] + b"A"
    # A last character whose two low bits are set ('B' is value 1) is not canonical.
    non_canonical = key[:42] + b"B="
    nul_inside = key[:20] + b"\0" + key[21:]
    cases = [
        b"", b"\n", key[:1], key[:43], key[:43] + b"\n", key[:43] + b"=",
        key, key + b"\n", key + b"\n\n", key + b" \t\n\v\f\r", key + b"\0", key + b"\0\0\n\0",
        key + b" " * 5000 + b"\n", key + b" " * 5000 + b"x",
        key + b"x", key + b"\nx", key + b"=", key + b"\n" + key + b"\n",
        b" " + key, b" " + key + b"\n", b"\n" + key,
        bad_char, bad_char + b"\n", bad_char + b"junk",
        no_pad, no_pad + b"\n", non_canonical + b"\n", nul_inside + b"\n",
        key.replace(b"+", b"-").replace(b"/", b"_") + b"\n",
        b"=" * 44, b"A" * 44, b"A" * 43 + b"=", b"\xff" * 44,
    ]
    for stdin in cases:
        compare(["pubkey"], stdin)
    for v in range(64):
        char = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[v:v + 1]
        compare(["pubkey"], key[:42] + char + b"=\n")


def test_usage_and_dispatch(rng):
    key = b64(rng.randbytes(32)) + b"\n"
    cases = [
        ["genkey", "x"], ["genkey", "--help"], ["genkey", "-h"], ["genpsk", "--help"],
        ["genpsk", "a", "b"], ["pubkey", "--help"], ["pubkey", "x"],
        ["help"], ["--help"], ["-h"],
        ["help", "x"], ["--help", "x"], ["-h", "x"], ["version", "x"], ["--version", "x"], ["-v", "x"],
        ["bogus"], [""], ["Show"], ["GENKEY"], ["genkeys"], ["--genkey"], ["bogus", "extra", "args"],
    ]
    for args in cases:
        compare(args, key)
    # argv[0] is printed exactly as invoked, whatever it is.
    for argv0 in ["/usr/local/sbin/wg", "./weird name", "x"]:
        compare(["bogus"], argv0=argv0)
        compare(["help"], argv0=argv0)
        compare(["genkey", "x"], argv0=argv0)
        compare(["pubkey"], b"short", argv0=argv0)
        compare(["pubkey"], key.rstrip() + b"x", argv0=argv0)


def test_bare_wg_is_show():
    # `wg` alone must behave as `wg show`. Both list every interface on the machine, so where
    # it can (as root), the comparison runs in a private network namespace with its own empty
    # socket directory, which no other test's interfaces reach, and with one interface of its
    # own when wireguard-go is installed. Elsewhere it compares what the shared machine has,
    # where interfaces may come and go between the two runs: a few attempts are allowed.
    if os.geteuid() == 0 and shutil.which("unshare") and shutil.which("mount"):
        proc = subprocess.run(["unshare", "--mount", "--net", "--propagation", "private",
                               sys.executable, os.path.abspath(__file__), "--bare-show-inside"],
                              capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            fail("bare wg versus wg show, in a private namespace", proc.stdout + proc.stderr)
        return
    for _ in range(3):
        bare = run(OURS, [])
        show = run(OURS, ["show"])
        if bare == show:
            return
    fail("bare wg versus wg show", f" bare:\n{describe(bare)}\n show:\n{describe(show)}")


SOCK_DIR = "/var/run/wireguard"


def bare_show_inside():
    """The isolated half of test_bare_wg_is_show, run under `unshare --mount --net`: a tmpfs
    over the socket directory, one wireguard-go interface with a peer, and bare `wg` compared
    with `wg show` and with the oracle's bare `wg`. Prints what differs; exit 0 when nothing."""
    os.makedirs(SOCK_DIR, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0700", "wgkit-keys-diff", SOCK_DIR], check=True)
    go = shutil.which("wireguard-go")
    daemon = None
    try:
        if go:
            env = dict(clean_env(), WG_PROCESS_FOREGROUND="1")
            daemon = subprocess.Popen([go, "-f", "wgkd0"], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, env=env)
            sock = os.path.join(SOCK_DIR, "wgkd0.sock")
            for _ in range(250):
                if os.path.exists(sock) or daemon.poll() is not None:
                    break
                time.sleep(0.02)
            if not os.path.exists(sock):
                print(f"wireguard-go made no socket at {sock} (status {daemon.poll()})")
                return 1
            private = run(OURS, ["genkey"])[0]
            peer = run(OURS, ["pubkey"], run(OURS, ["genkey"])[0])[0].strip().decode()
            # No traffic is sent: nothing routes to the interface, and there is no keepalive.
            setup = subprocess.run([OURS, "set", "wgkd0", "private-key", "/dev/stdin", "peer", peer,
                                    "endpoint", "127.0.0.1:51820", "allowed-ips", "10.9.0.1/32,fd00::1/128"],
                                   input=private, capture_output=True, env=clean_env())
            if setup.returncode != 0:
                print(f"wg set failed:\n{describe((setup.stdout, setup.stderr, setup.returncode))}")
                return 1
        bare, show = run(OURS, []), run(OURS, ["show"])
        problems = []
        if bare != show:
            problems.append(f"bare wg differs from wg show:\n bare:\n{describe(bare)}\n show:\n{describe(show)}")
        if go and b"peer: " + peer.encode() not in bare[0]:
            problems.append(f"bare wg does not list the interface's peer:\n{describe(bare)}")
        theirs = run(ORACLE, [])
        if bare != theirs:
            problems.append(f"bare wg differs from the oracle's:\n ours:\n{describe(bare)}\n debian:\n{describe(theirs)}")
        print("\n".join(problems))
        return 1 if problems else 0
    finally:
        if daemon and daemon.poll() is None:
            daemon.terminate()
            try:
                daemon.wait(timeout=5)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()


def test_version():
    # By design wgkit names itself and the wireguard-tools release it matches.
    version = os.environ.get("WGKIT_VERSION_STRING")
    for args in (["--version"], ["-v"], ["version"]):
        out, err, status = run(OURS, args)
        ok = status == 0 and not err and out.startswith(b"wgkit v") and \
            out.endswith(b" compatible)\n") and b"(wireguard-tools v1.0.20260223 compatible)" in out
        if version:
            ok = ok and out == f"wgkit v{version} (wireguard-tools v1.0.20260223 compatible)\n".encode()
        if not ok:
            fail(f"version {args}", describe((out, err, status)))


def test_world_accessible_warning():
    warning = (b"Warning: writing to world accessible file.\n"
               b"Consider setting the umask to 077 and trying again.\n")
    with tempfile.TemporaryDirectory() as tmp:
        for sub in ("genkey", "genpsk"):
            for mode, warns in ((0o644, True), (0o604, True), (0o601, True), (0o600, False), (0o640, False)):
                results = []
                for name, tool in (("ours", OURS), ("debian", ORACLE)):
                    path = os.path.join(tmp, f"{sub}-{name}-{mode:o}")
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                    os.fchmod(fd, mode)
                    try:
                        _, err, status = run(tool, [sub], stdout=fd)
                    finally:
                        os.close(fd)
                    with open(path, "rb") as f:
                        written = f.read()
                    if decode_key_line(written) is None:
                        fail(f"{name} {sub} into a {mode:o} file", f"  wrote {written!r}")
                    if stat.S_IMODE(os.stat(path).st_mode) != mode:
                        fail(f"{name} {sub} changed the mode of its output file", "")
                    results.append((err, status))
                if results[0] != results[1]:
                    fail(f"{sub} into a {mode:o} file", f"  ours {results[0]!r}\n  debian {results[1]!r}")
                if results[0] != ((warning if warns else b""), 0):
                    fail(f"{sub} into a {mode:o} file: warning", f"  ours {results[0]!r}")


def test_write_failure():
    # A deliberate difference: the original exits 0 after failing to write the key to a full
    # disk; wgkit reports it and exits 1.
    if not os.path.exists("/dev/full"):
        return
    for args, stdin in ((["genkey"], b""), (["genpsk"], b""), (["pubkey"], b64(bytes(32)) + b"\n")):
        with open("/dev/full", "wb") as full:
            _, err, status = run(OURS, args, stdin, stdout=full)
        if (err, status) != (b"Unable to write key: No space left on device\n", 1):
            fail(f"{args} > /dev/full", f"  status {status} stderr {err!r}")


def test_getrandom_failure():
    # Ours alone: Debian's wg asks getentropy() first, which the shim does not intercept.
    shim = os.environ.get("WGKIT_GETRANDOM_FAIL_SHIM")
    if not shim:
        fail("getrandom failure", "  WGKIT_GETRANDOM_FAIL_SHIM is not set")
        return
    for sub in ("genkey", "genpsk"):
        for errno_value, text in ((38, b"Function not implemented"), (11, b"Resource temporarily unavailable")):
            # Under ASan the preloaded shim comes before ASan's runtime; tell ASan that is fine.
            asan = os.environ.get("ASAN_OPTIONS", "")
            result = run(OURS, [sub], extra_env={"LD_PRELOAD": shim, "WGKIT_GETRANDOM_ERRNO": str(errno_value),
                                                 "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"})
            expect(f"{sub} when getrandom fails with errno {errno_value}", result,
                   b"", b"getrandom: " + text + b"\n", 1)


def main():
    if not OURS or not os.access(OURS, os.X_OK):
        print("WGKIT_WG is not set to our wg binary", file=sys.stderr)
        return 1
    if not os.access(ORACLE, os.X_OK):
        print(f"skip: no oracle at {ORACLE}")
        return 77
    seed = int(os.environ.get("WGKIT_SEED", "20261126"))
    print(f"seed {seed} (set WGKIT_SEED to reproduce another run)")
    rng = random.Random(seed)
    test_pubkey_vectors(rng)
    test_genkey_genpsk()
    test_pubkey_errors(rng)
    test_usage_and_dispatch(rng)
    test_bare_wg_is_show()
    test_version()
    test_world_accessible_warning()
    test_write_failure()
    test_getrandom_failure()
    for f in failures:
        print(f)
    print(f"{comparisons} error/usage/pubkey cases compared with Debian's wg")
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(bare_show_inside() if sys.argv[1:] == ["--bare-show-inside"] else main())
