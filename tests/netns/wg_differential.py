#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Differential suite: our `wg` against Debian's /usr/bin/wg (1.0.20210914) on wireguard-go.

    private mount namespace, own tmpfs on /run/wireguard (so `show all` sees only ours)
    ns "ours":   wireguard-go A (the device under test), wireguard-go C (small, fixed)
    ns "twin":   wireguard-go B (A's twin, driven by Debian's wg)
    fake UAPI sockets D (random handshakes/transfers) and E (a long name holding an escape)

For each random device state S (seed printed; WGKIT_DIFF_SEED replays, WGKIT_DIFF_ONLY=i runs
state i alone, WGKIT_DIFF_STATES sets the count):
  1. S is applied to A and B with Debian's `wg setconf`;
  2. every `show` form on A, D and E, `show all` forms, `show interfaces` and `showconf A` are
     run through both tools and compared byte for byte, except that wireguard-go returns peers
     in random order per call, so peer blocks (or peer lines) are compared as multisets;
  3. setconf, addconf, syncconf and set, each with a random change of S, are applied by ours
     to A and by Debian's to B, and the states left (`showconf`, read by Debian's wg) must
     match; both are then reset to S.
Where the target (v1.0.20260223) differs from 1.0.20210914, the target is asserted: `show all
endpoints` prefixes every line (expected text built from Debian's per-interface output);
syncconf clears a PSK or keepalive dropped from the file (Debian's syncconf followed by the
explicit clearing `wg set`s); '+' allowed IPs add (Debian given the union); '-' is refused by
this wireguard-go with "Invalid argument".
Exit 0 pass, 77 skip, 1 fail.
"""
import base64
import concurrent.futures
import difflib
import ipaddress
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nslib  # noqa: E402

ORIGINAL = nslib.ORIGINAL_WG
PEER_FIELDS = ["peers", "preshared-keys", "endpoints", "allowed-ips", "latest-handshakes",
               "transfer", "persistent-keepalive"]
DEVICE_FIELDS = ["public-key", "private-key", "listen-port", "fwmark"]
FIELDS = DEVICE_FIELDS + PEER_FIELDS + ["dump"]
PRETTY_ENVS = [
    {"WG_COLOR_MODE": "never"},
    {"WG_COLOR_MODE": "always"},
    {"WG_COLOR_MODE": "never", "WG_HIDE_KEYS": "never"},
    {"WG_COLOR_MODE": "always", "WG_HIDE_KEYS": "never"},
    {},  # auto: stdout is a pipe, so no colour
]
MAX_FAILURES = 20


def enter_private_mount_namespace():
    """Re-executes this script in its own mount namespace with an empty /run/wireguard."""
    if os.environ.get("WGKIT_DIFF_UNSHARED") != "1":
        env = dict(os.environ, WGKIT_DIFF_UNSHARED="1")
        os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private",
                               sys.executable] + sys.argv, env)
    os.makedirs(nslib.SOCK_DIR, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", nslib.SOCK_DIR], check=True)


# ---------------------------------------------------------------------------------------------
# Running both tools

class Result:
    def __init__(self, proc):
        self.out = proc.stdout
        self.err = proc.stderr
        self.rc = proc.returncode

    def __repr__(self):
        return f"rc={self.rc} stdout={self.out[:2000]!r} stderr={self.err[:2000]!r}"


def run_wg(binary, args, env_extra=None):
    """Runs a wg with argv[0] "wg" (usage texts print it) and a clean colour/key env."""
    env = {k: v for k, v in os.environ.items() if k not in ("WG_COLOR_MODE", "WG_HIDE_KEYS")}
    env.update(env_extra or {})
    proc = subprocess.run(["wg"] + list(args), executable=binary, capture_output=True, env=env)
    return Result(proc)


def ours(args, env_extra=None):
    return run_wg(nslib.ours(), args, env_extra)


def theirs(args, env_extra=None):
    return run_wg(ORIGINAL, args, env_extra)


POOL = concurrent.futures.ThreadPoolExecutor(max_workers=2)
SHOW_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=3)


def both(args, env_extra=None):
    """(ours, Debian's) on the same arguments, run side by side (they only read)."""
    env = {k: v for k, v in os.environ.items() if k not in ("WG_COLOR_MODE", "WG_HIDE_KEYS")}
    env.update(env_extra or {})
    procs = [subprocess.Popen(["wg"] + list(args), executable=binary, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for binary in (nslib.ours(), ORIGINAL)]
    results = []
    for proc in procs:
        out, err = proc.communicate()
        results.append(Result(subprocess.CompletedProcess(proc.args, proc.returncode, out, err)))
    return results[0], results[1]


# ---------------------------------------------------------------------------------------------
# Canonical forms: wireguard-go's peer order is random, everything else must be exact.

ANSI = re.compile(rb"\x1b\[[^A-Za-z]*[A-Za-z]")


def canon_blocks(text):
    """Pretty show / showconf: blank-line separated blocks; peer blocks under each header
    block are compared as a multiset."""
    groups = []
    # Only the last block carries the final newline; it is compared apart from the blocks.
    final_newline = text.endswith(b"\n")
    if final_newline:
        text = text[:-1]
    for block in text.split(b"\n\n"):
        plain = ANSI.sub(b"", block).lstrip(b"\n")
        if (plain.startswith(b"peer:") or plain.startswith(b"[Peer]")) and groups:
            groups[-1][1].append(block)
        else:
            groups.append((block, []))
    return [(header, sorted(peers)) for header, peers in groups] + [final_newline]


def canon_lines(text, field):
    """Script fields and dump: runs of peer lines compared as multisets."""
    runs = []
    for line in text.split(b"\n"):
        is_peer = field in PEER_FIELDS or (field == "dump" and line.count(b"\t") >= 7)
        if is_peer and runs and isinstance(runs[-1], list):
            runs[-1].append(line)
        elif is_peer:
            runs.append([line])
        else:
            runs.append(line)
    return [sorted(r) if isinstance(r, list) else r for r in runs]


def canon(text, field):
    return canon_lines(text, field) if field else canon_blocks(text)


def canon_text(text, field):
    """The canonical form as readable lines, for failure diffs (escapes shown as \\e)."""
    lines = []
    for item in canon(text, field):
        if isinstance(item, bool):
            lines.append(b"(final newline)" if item else b"(no final newline)")
        elif isinstance(item, tuple):
            lines += [item[0]] + [b"  | " + peer for peer in item[1]]
        elif isinstance(item, list):
            lines += [b"  | " + peer for peer in item]
        else:
            lines.append(item)
    return "\n".join(line.decode(errors="replace").replace("\x1b", "\\e") for line in lines)


# ---------------------------------------------------------------------------------------------
# Random states

def rand_key(rng):
    return base64.b64encode(rng.randbytes(32)).decode()


def rand_prefix(rng, pool):
    if pool and rng.random() < 0.04:
        return rng.choice(pool)  # shared with another peer: it moves between peers
    if rng.random() < 0.6:
        cidr = rng.choice([32, 32, 24, 16, 8, 0] + [rng.randint(0, 32)])
        net = ipaddress.ip_network((rng.getrandbits(32), cidr), strict=False)
    else:
        cidr = rng.choice([128, 128, 64, 48, 0] + [rng.randint(0, 128)])
        net = ipaddress.ip_network((rng.getrandbits(128), cidr), strict=False)
    text = str(net)
    pool.append(text)
    return text


def rand_ipv4(rng):
    """Not 0/8 or 127/8: loopback is up in the namespaces, and handshakes sent there would
    change the transfer counters between the two tools' reads."""
    while True:
        address = ipaddress.IPv4Address(rng.getrandbits(32))
        if address.packed[0] not in (0, 127):
            return address


def rand_endpoint(rng):
    port = rng.randint(1, 65535)
    r = rng.random()
    if r < 0.5:
        return f"{rand_ipv4(rng)}:{port}"
    if r < 0.9:
        return f"[{ipaddress.IPv6Address((0x20010db8 << 96) | rng.getrandbits(96))}]:{port}"
    return f"[::ffff:{rand_ipv4(rng)}]:{port}"


def rand_keepalive(rng):
    return rng.choice([1, 25, 65535, rng.randint(1, 65535)])


def rand_peer(rng, pool, many_ips=False):
    peer = {"pub": rand_key(rng)}
    if rng.random() < 0.4:
        peer["psk"] = rand_key(rng)
    if rng.random() < 0.7:
        peer["endpoint"] = rand_endpoint(rng)
    if rng.random() < 0.4:
        peer["keepalive"] = rand_keepalive(rng)
    count = rng.randint(50, 300) if many_ips else rng.choice([0, 1, 1, 2, 3, 5])
    peer["ips"] = list(dict.fromkeys(rand_prefix(rng, pool) for _ in range(count)))
    return peer


def rand_peer_count(rng, index):
    fixed = {0: 0, 1: 1000, 2: 1}
    if index in fixed:
        return fixed[index]
    r = rng.random()
    if r < 0.8:
        return rng.randint(0, 10)
    if r < 0.95:
        return rng.randint(10, 100)
    if r < 0.99:
        return rng.randint(100, 400)
    return rng.randint(400, 1000)


def rand_fwmark(rng):
    return rng.choice([None, 0x2a, rng.randint(1, 2**32 - 1), 2**32 - 1])


def rand_state(rng, index):
    pool = []
    peers = [rand_peer(rng, pool, many_ips=rng.random() < 0.03)
             for _ in range(rand_peer_count(rng, index))]
    return {"priv": rand_key(rng) if rng.random() < 0.85 else None,
            "port": rng.randint(1024, 65535), "fwmark": rand_fwmark(rng),
            "peers": peers, "pool": pool}


def config_text(state):
    lines = ["[Interface]"]
    if state.get("priv"):
        lines.append(f"PrivateKey = {state['priv']}")
    if state.get("port") is not None:
        lines.append(f"ListenPort = {state['port']}")
    if state.get("fwmark") is not None:
        lines.append(f"FwMark = {state['fwmark']:#x}")
    for p in state["peers"]:
        lines += ["", "[Peer]", f"PublicKey = {p['pub']}"]
        if p.get("psk"):
            lines.append(f"PresharedKey = {p['psk']}")
        ips = p.get("ips", [])
        for i in range(0, len(ips), 40):  # AllowedIPs accumulates over lines
            lines.append("AllowedIPs = " + ", ".join(ips[i:i + 40]))
        if p.get("endpoint"):
            lines.append(f"Endpoint = {p['endpoint']}")
        if p.get("keepalive") is not None:
            lines.append(f"PersistentKeepalive = {p['keepalive']}")
    return "\n".join(lines) + "\n"


def mutate(rng, state):
    """A new config derived from `state`: kept, changed, dropped and new peers; device fields
    kept, changed or absent."""
    pool = state["pool"]
    new = {"priv": rng.choice([state["priv"], state["priv"], rand_key(rng), None]),
           "port": rng.choice([state["port"], state["port"], rng.randint(1024, 65535), None]),
           "fwmark": rng.choice([state["fwmark"], rand_fwmark(rng), 0]), "pool": pool}
    peers = []
    for p in state["peers"]:
        if rng.random() < 0.2:
            continue
        q = dict(p)
        if rng.random() < 0.3:
            q["psk"] = rng.choice([None, rand_key(rng)])
        if rng.random() < 0.3:
            q["endpoint"] = rng.choice([None, rand_endpoint(rng)])
        if rng.random() < 0.3:
            q["keepalive"] = rng.choice([None, 0, rand_keepalive(rng)])
        if rng.random() < 0.3:
            ips = [ip for ip in q["ips"] if rng.random() < 0.7]
            ips += [rand_prefix(rng, pool) for _ in range(rng.choice([0, 1, 2]))]
            q["ips"] = list(dict.fromkeys(ips))
        peers.append(q)
    peers += [rand_peer(rng, pool) for _ in range(rng.choice([0, 0, 1, 2, 5]))]
    if rng.random() < 0.3:
        rng.shuffle(peers)
    new["peers"] = peers
    return new


def merged(model, change):
    """The configuration addconf leaves: device fields and peer fields the file gives replace
    the old ones; allowed IPs of a named peer are replaced; other peers stay."""
    result = {key: change[key] if change.get(key) is not None else model.get(key)
              for key in ("priv", "port", "fwmark")}
    result["pool"] = model["pool"]
    peers = {p["pub"]: dict(p) for p in model["peers"]}
    for p in change["peers"]:
        old = peers.setdefault(p["pub"], {"pub": p["pub"]})
        for key in ("psk", "endpoint", "keepalive"):
            if p.get(key) is not None:
                old[key] = p[key]
        old["ips"] = p.get("ips", [])
    result["peers"] = list(peers.values())
    return result


def set_arguments(rng, state, write, union):
    """Random `wg set` arguments for a device holding `state`; returns (ours, Debian's
    equivalent, random_port). write(name, text) stores a key file and returns its path;
    union(pub, new_prefixes) gives Debian's replacement list for a target '+' update (shared
    with the kernel suite, tests/vm/wg_differential.py)."""
    args, random_port = [], False
    if rng.random() < 0.3:
        port = rng.choice([rng.randint(1024, 65535), rng.randint(1024, 65535), 0])
        random_port = port == 0
        args += ["listen-port", str(port)]
    if rng.random() < 0.3:
        args += ["fwmark", rng.choice(["off", "0", "0x2a", str(rng.randint(1, 2**32 - 1))])]
    if rng.random() < 0.2:
        key_file = rng.choice([write("priv.key", rand_key(rng) + "\n"), "/dev/null"])
        args += ["private-key", key_file]
    oracle_args = list(args)
    existing = list(state["peers"])
    chosen = rng.sample(existing, min(len(existing), rng.choice([0, 1, 2, 3])))
    chosen += [rand_peer(rng, state["pool"]) for _ in range(rng.choice([0, 1, 2]))]
    for i, p in enumerate(chosen):
        peer_args = ["peer", p["pub"]]
        oracle_peer = list(peer_args)
        if rng.random() < 0.15:
            peer_args.append("remove")
            oracle_peer.append("remove")
        else:
            extra = []
            if rng.random() < 0.4:
                extra += ["endpoint", rand_endpoint(rng)]
            if rng.random() < 0.3:
                extra += ["persistent-keepalive", rng.choice(["off", "0", "25", "65535"])]
            if rng.random() < 0.3:
                psk = rng.choice([write(f"psk{i}.key", rand_key(rng)), "/dev/null"])
                extra += ["preshared-key", psk]
            peer_args += extra
            oracle_peer += extra
            if rng.random() < 0.5:
                mine_ips, oracle_ips = allowed_ips_argument(rng, p["pub"], state["pool"], union)
                peer_args += ["allowed-ips", mine_ips]
                oracle_peer += ["allowed-ips", oracle_ips]
        args += peer_args
        oracle_args += oracle_peer
    if not args:  # `wg set IF` alone is a usage error, tested elsewhere
        args, oracle_args = ["fwmark", "off"], ["fwmark", "off"]
    return args, oracle_args, random_port


def allowed_ips_argument(rng, pub, pool, union):
    r = rng.random()
    if r < 0.15:
        return "", ""
    new = list(dict.fromkeys(rand_prefix(rng, pool) for _ in range(rng.randint(1, 4))))
    if r < 0.6:
        text = rng.choice([", ", ",", " ,\t"]).join(new)
        return text, text
    # Target: '+' makes the update incremental (unprefixed entries beside it are added
    # too). The 1.0.20210914 oracle gets the union to replace with.
    mine = ",".join(("+" if i == 0 or rng.random() < 0.5 else "") + ip for i, ip in enumerate(new))
    return mine, union(pub, new)


# ---------------------------------------------------------------------------------------------
# The lab

class Suite:
    def __init__(self, lab, tmp):
        self.lab = lab
        self.tmp = tmp
        self.failures = 0
        self.checks = 0
        self.first_index = None
        self.port_random = False
        self.lock = threading.Lock()
        tag = lab.tag[-6:]
        # A's name is exactly 15 characters so that set/setconf truncation can target it.
        self.a = ("wgdA" + tag).ljust(15, "a")[:15]
        self.b = "wgdB" + tag
        self.c = "wgdC" + tag
        self.d = "wgdD" + tag
        # E holds an escape (the colourless filter runs over names too) and is longer than
        # 15 bytes (the original prints a device name cut to IFNAMSIZ - 1).
        self.e = "wgdE\x1b[1m" + tag + "long"
        ns_ours = lab.netns("ours")
        ns_twin = lab.netns("twin")
        lab.wireguard_go(ns_ours, self.a)
        lab.wireguard_go(ns_twin, self.b)
        lab.wireguard_go(ns_ours, self.c)
        self.write("c.conf", config_text({"priv": None, "port": 1000, "fwmark": None, "peers": [
            {"pub": "ERERERERERERERERERERERERERERERERERERERERERE=", "ips": ["10.9.0.0/16"]}]}))
        self.must(theirs(["setconf", self.c, self.path("c.conf")]), "setconf C")

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, text, mode=0o600):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def must(self, result, what):
        if result.rc != 0:
            raise RuntimeError(f"{what} failed: {result}")

    def fail(self, what, expected, got):
        with self.lock:
            self.fail_locked(what, expected, got)

    def fail_locked(self, what, expected, got):
        self.failures += 1
        print(f"FAIL: {what}", flush=True)
        exp = expected if isinstance(expected, str) else repr(expected)
        act = got if isinstance(got, str) else repr(got)
        diff = list(difflib.unified_diff(exp.splitlines(), act.splitlines(), "expected (Debian)",
                                         "ours", lineterm="", n=1))
        print("\n".join(diff[:60]), flush=True)
        if self.failures >= MAX_FAILURES:
            raise SystemExit(f"stopping after {MAX_FAILURES} failures")

    def compare(self, what, mine, oracle, field=None):
        """Exit status and stderr exact; stdout exact up to peer order."""
        self.checks += 1
        if mine.rc != oracle.rc or mine.err != oracle.err:
            self.fail(f"{what}: status/stderr", repr((oracle.rc, oracle.err)), repr((mine.rc, mine.err)))
        elif canon(mine.out, field) != canon(oracle.out, field):
            self.fail(what, canon_text(oracle.out, field), canon_text(mine.out, field))
            return False
        return True

    def compare_both(self, args, env=None, field=None):
        return self.compare(f"wg {' '.join(args)} {env or ''}", *both(args, env), field)

    # -- step 1 and 2 ---------------------------------------------------------------------

    def apply_start(self, state):
        path = self.write("start.conf", config_text(state))
        pending = POOL.submit(theirs, ["setconf", self.a, path])
        self.must(theirs(["setconf", self.b, path]), "setconf B (start)")
        self.must(pending.result(), "setconf A (start)")

    def check_shows(self, fake_d, rng, index):
        """Every show form on A; on D (new random handshakes each state) the pretty forms
        every state and the script fields every 4th; E (static) once."""
        fake_d.text = fake_device_text(rng)
        tasks = []
        names = [self.a, self.d] + ([self.e] if index == self.first_index else [])
        for name in names:
            for env in PRETTY_ENVS:
                tasks.append((self.compare_timed, ["show", name], env))
            if name != self.d or index % 4 == 0:
                for field in FIELDS:
                    tasks.append((self.compare_both, ["show", name, field], None, field))
        tasks.append((self.compare_both, ["showconf", self.a]))
        for env in PRETTY_ENVS[:3]:
            tasks.append((self.compare_timed, ["show", "all"], env))
        tasks.append((self.compare_timed, [], {"WG_COLOR_MODE": "never"}))
        tasks.append((self.compare_both, ["show", "interfaces"]))
        tasks.append((self.check_all_endpoints,))
        for field in FIELDS:
            if field != "endpoints":
                tasks.append((self.compare_both, ["show", "all", field], None, field))
        # Reads only: several at once keep both cores busy.
        futures = [SHOW_POOL.submit(*task) for task in tasks]
        for future in futures:
            future.result()

    def compare_timed(self, args, env):
        """Pretty output of D says "Now" or "N seconds ago": if the clock ticked between the
        two runs, both are asked again."""
        for _ in range(3):
            mine, oracle = both(args, env)
            if canon(mine.out, None) == canon(oracle.out, None):
                break
        self.compare(f"wg {' '.join(args)} {env}", mine, oracle)

    def check_all_endpoints(self):
        """Target: every line of `show all endpoints` carries the interface prefix (1.0.20210914
        printed it once per interface). Expected: Debian's per-interface output, prefixed."""
        names = theirs(["show", "interfaces"]).out.decode().split()
        expected = b""
        for name in names:
            per = theirs(["show", name, "endpoints"])
            for line in per.out.splitlines():
                expected += name.encode()[:15] + b"\t" + line + b"\n"
        mine = ours(["show", "all", "endpoints"])
        self.checks += 1
        if mine.rc != 0 or mine.err or canon(mine.out, "endpoints") != canon(expected, "endpoints"):
            self.fail("wg show all endpoints (target: prefix on every line)",
                      expected.decode(errors="replace"), repr(mine))

    # -- step 3 ---------------------------------------------------------------------------

    def compare_states(self, what, random_port):
        """A (changed by ours) and B (by Debian's) must now hold the same configuration."""
        pending = POOL.submit(theirs, ["showconf", self.a])
        b = theirs(["showconf", self.b])
        a = pending.result()
        self.must(a, "showconf A")
        self.must(b, "showconf B")
        texts = [a.out, b.out]
        if random_port:  # both got a random port; only its presence is compared
            texts = [re.sub(rb"ListenPort = \d+", b"ListenPort = <random>", t) for t in texts]
        self.checks += 1
        if canon_blocks(texts[0]) != canon_blocks(texts[1]):
            self.fail(f"state after {what}", canon_text(texts[1], None), canon_text(texts[0], None))

    def check_conf_command(self, command, state, change):
        path = self.write(f"{command}.conf", config_text(change))
        pending = POOL.submit(ours, [command, self.a, path])
        oracle = theirs([command, self.b, path])
        mine = pending.result()
        if command == "syncconf":
            self.model_target_syncconf(state, change)
        self.checks += 1
        if (mine.rc, mine.err) != (oracle.rc, oracle.err):
            self.fail(f"{command}: status/stderr", repr(oracle), repr(mine))
        if change.get("port") is not None:
            self.port_random = False
        elif command != "addconf":
            self.port_random = True
        self.compare_states(f"{command} {path}", self.port_random)

    def model_target_syncconf(self, state, change):
        """v1.0.20260223 also clears, on peers kept from the running state, a PSK or keepalive
        the file no longer has; 1.0.20210914 leaves them. Applied to B with Debian's wg set."""
        if not change["peers"]:
            return  # sent as plain setconf: nothing survives to clear
        running = {p["pub"]: p for p in state["peers"]}
        args = []
        for p in change["peers"]:
            old = running.get(p["pub"])
            if not old:
                continue
            peer_args = []
            if old.get("psk") and not p.get("psk"):
                peer_args += ["preshared-key", "/dev/null"]
            if old.get("keepalive") and p.get("keepalive") is None:
                peer_args += ["persistent-keepalive", "0"]
            if peer_args:
                args += ["peer", p["pub"]] + peer_args
        if args:
            self.must(theirs(["set", self.b] + args), "target syncconf model")

    def current_allowed_ips(self):
        """Peer -> allowed IPs as B holds them now (an IP shared by two peers of the file
        ends up on the later one, so the model's lists are not the truth)."""
        current = {}
        for line in theirs(["show", self.b, "allowed-ips"]).out.decode().splitlines():
            key, ips = line.split("\t")
            current[key] = [] if ips == "(none)" else ips.split(" ")
        return current

    def set_arguments(self, rng, state):
        current = self.current_allowed_ips()

        def union(pub, new):
            return ",".join(dict.fromkeys(current.get(pub, []) + new))
        return set_arguments(rng, state, lambda name, text: self.write(name, text), union)

    def check_set(self, rng, state):
        args, oracle_args, random_port = self.set_arguments(rng, state)
        if "listen-port" in args:
            self.port_random = random_port
        # Sometimes name A by a longer name: both tools truncate it to 15 characters.
        name = self.a + "xyz" if rng.random() < 0.1 else self.a
        pending = POOL.submit(ours, ["set", name] + args)
        oracle = theirs(["set", self.b] + oracle_args)
        mine = pending.result()
        self.checks += 1
        if (mine.rc, mine.err) != (oracle.rc, oracle.err):
            self.fail(f"set {args}: status/stderr", repr(oracle), repr(mine))
        self.compare_states(f"wg set {name} {' '.join(args)}", self.port_random)

    def run_state(self, index, seed):
        """S, then a chain setconf -> addconf -> syncconf -> set, each a random change of the
        state the previous one left (A and B are compared after every step, so they agree)."""
        rng = random.Random(f"{seed}:{index}")
        state = rand_state(rng, index)
        self.apply_start(state)
        self.port_random = False
        self.check_shows(self.fake_d, rng, index)
        change = mutate(rng, state)
        self.check_conf_command("setconf", state, change)
        model = change
        change = mutate(rng, model)
        self.check_conf_command("addconf", model, change)
        model = merged(model, change)
        change = mutate(rng, model)
        self.check_conf_command("syncconf", model, change)
        self.check_set(rng, change)


# ---------------------------------------------------------------------------------------------
# The fake interface D: what wireguard-go cannot show (handshakes, transfer, sorting).

def fake_device_text(rng):
    import fake_uapi
    now = int(time.time())
    peers = []
    stamps = [0, 0, now, now - 1, now + 5, now - 62, now - 3600 * 30]
    for _ in range(rng.randint(0, 12)):
        sec = rng.choice(stamps + [now - rng.randint(1, 10**8), rng.randint(1, now)])
        nsec = rng.choice([0, 1, rng.randint(0, 999999999)]) if sec else rng.choice([0, 0, 7])
        peers.append(dict(
            public_key=rng.randbytes(32).hex(),
            preshared_key=rng.randbytes(32).hex() if rng.random() < 0.3 else None,
            endpoint=rand_endpoint(rng) if rng.random() < 0.6 else None,
            allowed_ips=[str(ipaddress.ip_network((rng.getrandbits(32), 24), strict=False))
                         for _ in range(rng.randint(0, 3))],
            handshake=(sec, nsec),
            rx=rng.choice([0, 1023, 1024, 1536, 2**20 - 1, 2**20, 2**30 + 12345, 2**40 * 5,
                           2**64 - 1, rng.randint(0, 2**50)]),
            tx=rng.choice([0, 1, rng.randint(0, 2**45)]),
            keepalive=rng.choice([0, 0, 1, 60, 65535, rng.randint(1, 65535)])))
    return fake_uapi.device_text(private_key=rng.randbytes(32).hex() if rng.random() < 0.8 else None,
                                 listen_port=rng.choice([0, 51820]),
                                 fwmark=rng.choice([0, 1, 0xffffffff]), peers=peers)


def check_target_differences(suite):
    """Target behaviours the oracle cannot show, asserted with expected text."""
    a = suite.a
    k1, k2 = "ERERERERERERERERERERERERERERERERERERERERERE=", "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI="
    psk = suite.write("t.psk", "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=\n")
    start = (f"[Interface]\nListenPort = 4242\n\n[Peer]\nPublicKey = {k1}\nPresharedKey = "
             f"MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=\nAllowedIPs = 10.1.0.0/16\n"
             f"Endpoint = 192.0.2.1:1\nPersistentKeepalive = 25\n\n[Peer]\nPublicKey = {k2}\n")
    suite.must(theirs(["setconf", a, suite.write("t1.conf", start)]), "target start")
    # syncconf: k1 kept without PSK and keepalive (both cleared, endpoint kept), k2 dropped.
    suite.must(ours(["syncconf", a, suite.write("t2.conf", f"[Interface]\nListenPort = 4242\n[Peer]\n"
                                                f"PublicKey = {k1}\nAllowedIPs = 10.1.0.0/16\n")]),
               "target syncconf")
    expect_conf(suite, "syncconf clears PSK and keepalive", "[Interface]\nListenPort = 4242\n\n"
                f"[Peer]\nPublicKey = {k1}\nAllowedIPs = 10.1.0.0/16\nEndpoint = 192.0.2.1:1\n")
    # '+' adds without replacing, in set and in a config file.
    suite.must(ours(["set", a, "peer", k1, "allowed-ips", "+10.2.0.0/16, 10.3.0.0/16",
                     "preshared-key", psk]), "set +")
    suite.must(ours(["addconf", a, suite.write("t3.conf", f"[Peer]\nPublicKey = {k1}\n"
                                               "AllowedIPs = +fd00::/8\n")]), "addconf +")
    expect_conf(suite, "'+' allowed IPs", "[Interface]\nListenPort = 4242\n\n[Peer]\n"
                f"PublicKey = {k1}\nPresharedKey = MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=\n"
                "AllowedIPs = 10.1.0.0/16, 10.2.0.0/16, 10.3.0.0/16, fd00::/8\n"
                "Endpoint = 192.0.2.1:1\n")
    # '-': this wireguard-go (0.0.20220316) rejects the removal flag, as the reference says.
    mine = ours(["set", a, "peer", k1, "allowed-ips", "-10.2.0.0/16"])
    suite.checks += 1
    if (mine.rc, mine.out, mine.err) != (1, b"", b"Unable to modify interface: Invalid argument\n"):
        suite.fail("set -prefix on wireguard-go 0.0.20220316", "rc=1 Invalid argument", repr(mine))


def check_syncconf_sends_only_differences(suite):
    """syncconf against a fake device: the request must leave out the unchanged peer, remove
    the dropped one, and carry the changed one (the original resends every peer)."""
    import fake_uapi
    keep, change, drop = ("11" * 32, "22" * 32, "33" * 32)
    b64 = {h: base64.b64encode(bytes.fromhex(h)).decode() for h in (keep, change, drop)}
    running = fake_uapi.device_text(private_key="01" * 32, listen_port=5000, peers=[
        dict(public_key=keep, endpoint="192.0.2.1:1", allowed_ips=["10.1.0.0/16"]),
        dict(public_key=change, endpoint="192.0.2.2:2", allowed_ips=["10.2.0.0/16"]),
        dict(public_key=drop, allowed_ips=["10.3.0.0/16"])])
    private = base64.b64encode(bytes.fromhex("01" * 32)).decode()
    conf = suite.write("sync.conf", f"[Interface]\nPrivateKey = {private}\nListenPort = 5000\n"
                       f"[Peer]\nPublicKey = {b64[keep]}\nEndpoint = 192.0.2.1:1\nAllowedIPs = 10.1.0.0/16\n"
                       f"[Peer]\nPublicKey = {b64[change]}\nEndpoint = 192.0.2.9:9\nAllowedIPs = 10.2.0.0/16\n")
    with fake_uapi.FakeInterface(suite.d + "s", running) as fake:
        result = ours(["syncconf", fake.name, conf])
        request = fake.set_requests[-1] if fake.set_requests else ""
    suite.checks += 1
    lines = request.splitlines()
    problems = []
    if result.rc != 0:
        problems.append(f"exit {result.rc}: {result.err!r}")
    if f"public_key={keep}" in lines:
        problems.append("the unchanged peer was sent")
    if f"public_key={drop}" not in lines or "remove=true" not in lines:
        problems.append("the dropped peer was not removed")
    if f"public_key={change}" not in lines or "endpoint=192.0.2.9:9" not in lines:
        problems.append("the changed endpoint was not sent")
    if "replace_peers=true" in lines:
        problems.append("replace_peers sent")
    if problems:
        suite.fail("syncconf sends only what differs", "; ".join(problems), request)


def check_colour_on_a_terminal(suite):
    """Without WG_COLOR_MODE, colour follows isatty(stdout): compare both on a pty."""
    import pty
    outputs = []
    for binary in (nslib.ours(), ORIGINAL):
        master, slave = pty.openpty()
        env = {k: v for k, v in os.environ.items() if not k.startswith("WG_")}
        proc = subprocess.Popen(["wg", "show", suite.c], executable=binary, stdout=slave,
                                stderr=subprocess.PIPE, env=env)
        os.close(slave)
        data = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO once the child has closed the terminal
                break
            if not chunk:
                break
            data += chunk
        proc.wait()
        os.close(master)
        outputs.append(data)
    suite.checks += 1
    if outputs[0] != outputs[1] or b"\x1b[" not in outputs[1]:
        suite.fail("colour on a terminal", repr(outputs[1]), repr(outputs[0]))


def expect_conf(suite, what, expected):
    got = theirs(["showconf", suite.a]).out.decode()
    suite.checks += 1
    if got != expected:
        suite.fail(what, expected, got)


def main():
    # meson's timeout sends SIGTERM: leave through the with-blocks so everything is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    nslib.require_root_and("wireguard-go", "unshare", "ip")
    if not os.access(ORIGINAL, os.X_OK):
        print(f"SKIP: {ORIGINAL} not installed", file=sys.stderr)
        sys.exit(nslib.SKIP)
    enter_private_mount_namespace()
    import fake_uapi

    seed = int(os.environ.get("WGKIT_DIFF_SEED", "20260223"))
    count = int(os.environ.get("WGKIT_DIFF_STATES", "200"))
    only = os.environ.get("WGKIT_DIFF_ONLY")
    indices = [int(only)] if only else list(range(count))
    print(f"seed {seed}, {len(indices)} states (replay: WGKIT_DIFF_SEED={seed} "
          f"WGKIT_DIFF_ONLY=<state>)", flush=True)
    started = time.time()
    with nslib.Lab("wgd") as lab, tempfile.TemporaryDirectory() as tmp:
        suite = Suite(lab, tmp)
        with fake_uapi.FakeInterface(suite.d, "") as fake_d, \
                fake_uapi.FakeInterface(suite.e, fake_uapi.device_text(listen_port=7)):
            suite.fake_d = fake_d
            check_target_differences(suite)
            check_syncconf_sends_only_differences(suite)
            check_colour_on_a_terminal(suite)
            suite.first_index = indices[0]
            for index in indices:
                before = suite.failures
                suite.run_state(index, seed)
                if suite.failures != before:
                    print(f"  ^ in state {index} (WGKIT_DIFF_SEED={seed} WGKIT_DIFF_ONLY={index})",
                          flush=True)
                elif index % 20 == 0:
                    print(f"state {index} ok ({time.time() - started:.0f} s)", flush=True)
    print(f"{suite.checks} comparisons, {suite.failures} failures, {time.time() - started:.0f} s")
    sys.exit(1 if suite.failures else 0)


if __name__ == "__main__":
    main()
