#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every reachable error of reference §1.8 (and the usage texts of show, showconf, set and
setconf) from our wg, compared with Debian's /usr/bin/wg where the versions agree.

Runs in a private mount namespace with its own /run/wireguard, where fake UAPI interfaces
(tests/netns/fake_uapi.py) stand in for devices: one that works, one whose get fails, one
whose set fails. This machine has no WireGuard module, so names without a socket reach the
kernel path and fail with "Protocol not supported" in both tools. Both tools run with argv[0]
"wg". Our config errors carry an extra "FILE:LINE: " prefix, removed before comparing.
Where the target differs (set usage text, names of 16+ characters on the kernel get path),
ours is asserted alone. The kernel's own errors (no such device, not WireGuard, no
CAP_NET_ADMIN, '-' before Linux 6.16) are in tests/vm/cases/wg_errors_kernel.sh. Two deliberate wgkit deviations are applied to Debian's text before
comparing: a bad private or preshared key is quoted as `(hidden)', and a UAPI get answered
with a negative errno reports that error rather than "Protocol error".
Exit 0 pass, 77 skip, 1 fail.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nslib  # noqa: E402

ORIGINAL = nslib.ORIGINAL_WG
K1 = "ERERERERERERERERERERERERERERERERERERERERERE="
SET_USAGE_TARGET = (
    b"Usage: wg set <interface> [listen-port <port>] [fwmark <mark>] [private-key <file path>] "
    b"[peer <base64 public key> [remove] [preshared-key <file path>] [endpoint <ip>:<port>] "
    b"[persistent-keepalive <interval seconds>] "
    b"[allowed-ips [+|-]<ip1>/<cidr1>[,[+|-]<ip2>/<cidr2>]...] ]...\n")

failures = []
checks = 0


def run(binary, args, env=None, netns=None, stdin=None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("WG_")}
    full_env.update(env or {})
    argv = ["wg"] + list(args)
    if netns:
        argv = ["ip", "netns", "exec", netns, binary] + list(args)
        binary = "ip"
    proc = subprocess.run(argv, executable=binary, capture_output=True, env=full_env,
                          input=stdin)
    return proc.returncode, proc.stdout, proc.stderr


def without_location(stderr, path):
    """Our parser's extension: "FILE:LINE: " before the original's words."""
    if not path:
        return stderr
    return re.sub(rb"(?m)^" + re.escape(path.encode()) + rb":\d+: ", b"", stderr)


def hide_secret(stderr):
    """wgkit never repeats a private or preshared key in a message (house rule); the
    original quotes the bad text. Debian's line is rewritten to what ours prints."""
    return re.sub(rb"(Key is not the correct length or format: `)[^']*'", rb"\1(hidden)'", stderr)


def errno_magnitude(stderr):
    """A get answered `errno=-5` (wireguard-go's sign): the original reads only a positive
    number there and says "Protocol error"; wgkit's UAPI backend takes the magnitude (as the
    original's set does) and reports the server's error. Debian's line is rewritten."""
    return stderr.replace(b": Protocol error\n", b": Input/output error\n")


def check(what, args, expect_rc=1, env=None, path=None, netns=None, expect_err=None,
          secret=False, get_errno=False):
    """Ours against Debian's: same status, stdout and stderr (location prefix removed).
    expect_rc guards against both agreeing on the wrong thing; expect_err (a regex) too."""
    global checks
    checks += 1
    mine = run(nslib.ours(), args, env, netns)
    theirs = run(ORIGINAL, args, env, netns)
    mine = (mine[0], mine[1], without_location(mine[2], path))
    if secret:
        theirs = (theirs[0], theirs[1], hide_secret(theirs[2]))
    if get_errno:
        theirs = (theirs[0], theirs[1], errno_magnitude(theirs[2]))
    if mine != theirs:
        failures.append(f"{what}: wg {args}\n  Debian: {theirs!r}\n  ours:   {mine!r}")
    elif mine[0] != expect_rc:
        failures.append(f"{what}: wg {args}: exit {mine[0]}, expected {expect_rc}: {mine!r}")
    elif expect_err and not re.search(expect_err.encode(), mine[2]):
        failures.append(f"{what}: wg {args}: stderr {mine[2]!r} lacks {expect_err!r}")


def check_ours(what, args, expected, env=None):
    """Target behaviour the 1.0.20210914 oracle does not have."""
    global checks
    checks += 1
    mine = run(nslib.ours(), args, env)
    if mine != expected:
        failures.append(f"{what}: wg {args}\n  expected: {expected!r}\n  ours:     {mine!r}")


def write(tmp, name, data, mode=0o600):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    os.chmod(path, mode)
    return path


def show_errors(good, get_fails):
    check("invalid subcommand", ["bogus"], expect_err="^Invalid subcommand: `bogus'\n")
    check("show usage (too many)", ["show", good, "dump", "x"])
    check("show interfaces + arg", ["show", "interfaces", "x"])
    for h in ("-h", "--help", "help"):
        check("show help exits 0", ["show", h], expect_rc=0)
    check("invalid field", ["show", good, "bogus"], expect_err="Invalid parameter: `bogus'")
    check("invalid field, all mode", ["show", "all", "bogus"], expect_err="Invalid parameter")
    check("no such interface", ["show", "wgkit-none0"], expect_err="Unable to access interface: ")
    check("no such interface, field", ["show", "wgkit-none0", "dump"])
    check("all mode, one fails", ["show", "all"], expect_rc=0, get_errno=True,
          expect_err=f"Unable to access interface {get_fails}: Input/output error")
    check("all mode, one fails, dump", ["show", "all", "dump"], expect_rc=0, get_errno=True)
    check("get fails", ["show", get_fails], get_errno=True,
          expect_err="Unable to access interface: Input/output error")
    check("showconf usage", ["showconf"])
    check("showconf usage 2", ["showconf", good, "x"])
    check("showconf --help is a name", ["showconf", "--help"])
    check("showconf no such interface", ["showconf", "wgkit-none0"])
    check("showconf get fails", ["showconf", get_fails], get_errno=True)
    # Target (v1.0.20250521+): the kernel get path rejects names of 16+ characters.
    check_ours("long name", ["show", "a" * 16],
               (1, b"", b"Unable to access interface: File name too long\n"))


def show_without_interfaces():
    """Run where /run/wireguard holds nothing: both print nothing and exit 0."""
    check("all mode, no interfaces", ["show", "all"], expect_rc=0)
    check("all mode, no interfaces, bad field", ["show", "all", "bogus"], expect_rc=0)
    check("no interfaces", ["show", "interfaces"], expect_rc=0)
    check("bare wg, no interfaces", [], expect_rc=0)


def list_failure():
    """opendir() of a /run/wireguard that is a file: ENOTDIR, in a nested mount namespace."""
    global checks
    for args in (["show", "all"], ["show", "interfaces"], ["show", "all", "dump"]):
        results = []
        for binary in (nslib.ours(), ORIGINAL):
            script = 'mount -t tmpfs tmpfs /run && touch /run/wireguard && exec -a wg "$0" "$@"'
            proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c",
                                   script, binary] + args, capture_output=True)
            results.append((proc.returncode, proc.stdout, proc.stderr))
        checks += 1
        if results[0] != results[1] or results[0][0] != 1 or b"Unable to list interfaces" not in results[0][2]:
            failures.append(f"list failure {args}\n  Debian: {results[1]!r}\n  ours:   {results[0]!r}")


def set_errors(tmp, good, set_fails):
    check_ours("set usage (target text)", ["set"], (1, b"", SET_USAGE_TARGET))
    check_ours("set usage, interface only", ["set", good], (1, b"", SET_USAGE_TARGET))
    check("set IF --help", ["set", good, "--help"], expect_err="Invalid argument: --help")
    for args in (["listen-port"], ["peer"], ["remove"], ["bogus", "1"], ["peer", K1, "listen-port", "5"],
                 ["peer", K1, "fwmark", "1"], ["peer", K1, "private-key", "/dev/null"],
                 ["peer", K1, "endpoint"], ["Peer", K1], ["peer", K1, "remove", "x"]):
        check("invalid argument", ["set", good] + args, expect_err="Invalid argument: ")
    values = [
        ["listen-port", ""], ["listen-port", "abc"], ["listen-port", "-1"],
        ["fwmark", "0X10"], ["fwmark", "0x"], ["fwmark", "0x100000000"], ["fwmark", "x"],
        ["fwmark", "4294967296"], ["peer", "short"], ["peer", K1[:-1] + "x"],
        ["peer", K1, "persistent-keepalive", "65536"], ["peer", K1, "persistent-keepalive", "x"],
        ["peer", K1, "persistent-keepalive", "-1"],
        ["peer", K1, "endpoint", ""], ["peer", K1, "endpoint", "[::1"],
        ["peer", K1, "endpoint", "[::1]"], ["peer", K1, "endpoint", "[::1]x"],
        ["peer", K1, "endpoint", "1.2.3.4"], ["peer", K1, "endpoint", "1.2.3.4:"],
        ["peer", K1, "endpoint", "1.2.3.4:x"],
        ["peer", K1, "allowed-ips", "1.2.3.4/33"], ["peer", K1, "allowed-ips", "1.2.3/8"],
        ["peer", K1, "allowed-ips", "::1/129"], ["peer", K1, "allowed-ips", "1.2.3.4/x"],
        ["peer", K1, "allowed-ips", "10.0.0.0/8,"], ["peer", K1, "allowed-ips", ",10.0.0.0/8"],
        ["peer", K1, "allowed-ips", "abc::defg"],
    ]
    for args in values:
        check("bad value", ["set", good] + args)
    # glibc wraps service numbers above 65535 for endpoints as for ListenPort (§7.4): accepted.
    check("port wraps", ["set", good, "peer", K1, "endpoint", "1.2.3.4:99999999"], expect_rc=0)
    # Key files.
    key_files = {
        "missing": os.path.join(tmp, "does-not-exist"),
        "short": write(tmp, "short.key", K1[:20]),
        "trailing": write(tmp, "trailing.key", K1 + " x\n"),
        "bad base64": write(tmp, "bad.key", "!" * 44),
        "directory": tmp,
    }
    for what, path in key_files.items():
        check(f"private-key file {what}", ["set", good, "private-key", path], secret=True)
        check(f"preshared-key file {what}", ["set", good, "peer", K1, "preshared-key", path],
              secret=True)
    # Environment.
    check("bad WG_ENDPOINT_RESOLUTION_RETRIES", ["set", good, "peer", K1, "endpoint", "localhost:1"],
          env={"WG_ENDPOINT_RESOLUTION_RETRIES": "x"},
          expect_err="Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES: `x'")
    # Warnings do not fail.
    check("nonzero host part warns", ["set", good, "peer", K1, "allowed-ips", "10.0.0.1/8,fd00::1/64"],
          expect_rc=0, expect_err="Warning: AllowedIP has nonzero host part")
    check("set ok", ["set", good, "peer", K1, "endpoint", "localhost:51820"], expect_rc=0)
    # Backend failures.
    check("modify: no such interface", ["set", "wgkit-none0", "listen-port", "1"],
          expect_err="Unable to modify interface: ")
    check("modify: set refused", ["set", set_fails, "listen-port", "1"],
          expect_err="Unable to modify interface: ")


def resolver_errors(tmp, netns, good):
    """Name resolution inside a namespace holding only lo: the query cannot leave it."""
    for retries in ("0", "1"):
        check(f"unresolvable, retries {retries}",
              ["set", good, "peer", K1, "endpoint", "wgkit-nonexistent.invalid:51820"],
              env={"WG_ENDPOINT_RESOLUTION_RETRIES": retries}, netns=netns)


def conf_errors(tmp, good, set_fails):
    for command in ("setconf", "addconf", "syncconf"):
        check(f"{command} usage", [command])
        check(f"{command} usage 2", [command, good])
        check(f"{command} usage 4", [command, good, "a", "b"])
        check(f"{command} fopen", [command, good, os.path.join(tmp, "missing.conf")],
              expect_err="fopen: No such file or directory")
    files = {
        "wg-quick key": "[Interface]\nAddress = 10.0.0.1/24\n",
        "key before section": "ListenPort = 1\n",
        "unknown section": "[Foo]\n",
        "empty value": f"[Peer]\nPublicKey = {K1}\nAllowedIPs =\n",
        "bad port": "[Interface]\nListenPort = 5\\\n",
        "bad key": "[Interface]\nPrivateKey = abc\n",
        "missing public key": "[Peer]\nAllowedIPs = 10.0.0.0/8\n",
        "missing public key after a good peer": f"[Peer]\nPublicKey = {K1}\n[Peer]\nEndpoint = 1.2.3.4:5\n",
        "bad endpoint": f"[Peer]\nPublicKey = {K1}\nEndpoint = [::1\n",
        "host part warning": f"[Peer]\nPublicKey = {K1}\nAllowedIPs = 10.0.0.1/8\n",
    }
    # The summary line each kind of failure must end with (the specific line before it is
    # compared with Debian's).
    summaries = {"wg-quick key": r"Line unrecognized: `Address=10.0.0.1/24'\nConfiguration parsing error",
                 "missing public key": r"A peer is missing a public key\nInvalid configuration",
                 "bad key": r"Configuration parsing error\n$"}
    for what, text in files.items():
        path = write(tmp, re.sub(r"\W", "_", what) + ".conf", text)
        for command in ("setconf", "addconf", "syncconf"):
            rc = 0 if what == "host part warning" else 1
            check(f"{command}: {what}", [command, good, path], expect_rc=rc, path=path,
                  secret=what == "bad key", expect_err=summaries.get(what))
    peerless = write(tmp, "peerless.conf", "[Interface]\nListenPort = 1\n")
    with_peer = write(tmp, "peer.conf", f"[Peer]\nPublicKey = {K1}\n")
    check("setconf: no such interface", ["setconf", "wgkit-none0", peerless],
          expect_err="Unable to modify interface: ")
    check("syncconf without peers skips the read", ["syncconf", "wgkit-none0", peerless],
          expect_err="Unable to modify interface: ")
    check("syncconf: cannot read", ["syncconf", "wgkit-none0", with_peer],
          expect_err="Unable to retrieve current interface configuration: ")
    check("setconf: set refused", ["setconf", set_fails, with_peer],
          expect_err="Unable to modify interface: ")
    check("setconf of a directory reads nothing", ["setconf", good, tmp], expect_rc=0)
    # Names are cut to 15 characters (reference §7.3): the longer name reaches `good`.
    check("setconf truncates the name", ["setconf", good + "xyz", with_peer], expect_rc=0)
    check("set truncates the name", ["set", good + "xyz", "listen-port", "1"], expect_rc=0)


def main():
    # meson's timeout sends SIGTERM: leave through the with-blocks so everything is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    nslib.require_root_and("unshare", "ip")
    if not os.access(ORIGINAL, os.X_OK):
        print(f"SKIP: {ORIGINAL} not installed", file=sys.stderr)
        sys.exit(nslib.SKIP)
    if os.environ.get("WGKIT_ERRORS_UNSHARED") != "1":
        env = dict(os.environ, WGKIT_ERRORS_UNSHARED="1")
        os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private",
                               sys.executable] + sys.argv, env)
    os.makedirs(nslib.SOCK_DIR, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", nslib.SOCK_DIR], check=True)
    import fake_uapi

    show_without_interfaces()
    list_failure()
    tag = f"{os.getpid() % 100000}"
    # `good` is exactly 15 characters, so that a longer name truncated by set/setconf hits it.
    good = f"wge-ok{tag}".ljust(15, "o")[:15]
    get_fails, set_fails = f"wge-get{tag}", f"wge-set{tag}"
    text = fake_uapi.device_text(listen_port=51820, peers=[dict(public_key="11" * 32)])
    with nslib.Lab("wge") as lab, tempfile.TemporaryDirectory() as tmp, \
            fake_uapi.FakeInterface(good, text), \
            fake_uapi.FakeInterface(get_fails, text, get_errno=-5), \
            fake_uapi.FakeInterface(set_fails, text, set_errno=-22):
        show_errors(good, get_fails)
        set_errors(tmp, good, set_fails)
        conf_errors(tmp, good, set_fails)
        resolver_errors(tmp, lab.netns("dns"), good)
        # Every interface failing: all mode exits 1.
    with fake_uapi.FakeInterface(get_fails, text, get_errno=-5):
        check("all mode, all fail", ["show", "all"], expect_rc=1, get_errno=True)
        check("all mode, all fail, field", ["show", "all", "peers"], expect_rc=1, get_errno=True)
    for f in failures:
        print("FAIL:", f)
    print(f"{checks} checks, {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
