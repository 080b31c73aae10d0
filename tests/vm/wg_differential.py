#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Kernel differential suite, host half: the random device states and changes of
tests/netns/wg_differential.py (the same generator), planned for the in-kernel module and run
by cases/wg_differential.sh inside a guest (which has no python).

The guest holds SLOTS pairs of devices, wgdA<n> (changed by our wg) and wgdB<n> (by Debian's),
all down: a down device keeps its listen port without binding it, so twins share a namespace.
Round 0 gives every pair a random state with `setconf`; each later round applies one random
change per pair, cycling setconf (half of them a fresh random state), addconf, syncconf, set.
Each pair's state after each command is one device state of the suite: SLOTS x ROUNDS states.
After every round the guest compares A and B (Debian's `show all dump`), every `show all`
form, `show`, `show interfaces`, `showconf` of every A, and every per-interface form of one A,
ours against Debian's byte for byte. Target differences asserted as in the netns suite:
`show all endpoints` on every line, syncconf clearing a dropped PSK/keepalive (Debian's
syncconf then explicit clearing `wg set`s), '+' allowed IPs (Debian given the union, computed
in the guest from B's current list).

Usage: wg_differential.py BUILD_DIR. Environment: WGKIT_SEED (default 20260223, printed),
WGKIT_DIFF_SLOTS (50), WGKIT_DIFF_ROUNDS (4), WGKIT_DIFF_PLAN_ONLY=DIR (write the guest
script there and stop). Exit status: the guest's (0 pass, 1 fail), or run-in-vm.sh's own.
"""
import base64
import importlib.util
import io
import os
import random
import re
import shlex
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
NETNS = os.path.join(HERE, "..", "netns")
sys.path.insert(0, NETNS)
# The netns suite's module has this file's name: load it by path.
_spec = importlib.util.spec_from_file_location("netns_wg_differential",
                                               os.path.join(NETNS, "wg_differential.py"))
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

DATA = "/tmp/wgdiff"  # where the guest unpacks the plan
COMMANDS = ["setconf", "addconf", "syncconf", "set"]


def after(command, model, change):
    """The generator's model of the device after a command (only what later changes are
    drawn from; the guest compares the real devices)."""
    if command == "addconf":
        return gen.merged(model, change)
    result = dict(change)
    for key in ("priv", "port", "fwmark"):
        if result.get(key) is None:
            result[key] = model.get(key)
    return result


def after_set(model, args):
    peers = {p["pub"]: p for p in model["peers"]}
    words = list(args)
    for i, word in enumerate(words):
        if word == "peer":
            pub = words[i + 1]
            if i + 2 < len(words) and words[i + 2] == "remove":
                peers.pop(pub, None)
            else:
                peers.setdefault(pub, {"pub": pub, "ips": []})
    return dict(model, peers=list(peers.values()))


class Plan:
    def __init__(self):
        self.files = {}
        self.lines = []
        self.unions = 0

    def file(self, name, text):
        self.files[name] = text
        return f"{DATA}/{name}"

    def emit(self, *words):
        self.lines.append(" ".join(words))

    def set_command(self, rng, slot, model, index):
        """`wg set`: ours gets '+' lists as they are; for Debian's, each '+' list becomes a
        guest-computed union (B's current list, less the new prefixes and those that earlier
        peers of this command take, then the new ones: the kernel moves a re-added prefix to
        the end of the list)."""
        pending = []

        def union(pub, new):
            pending.append((pub, new))
            return f"@U{len(pending) - 1}@"

        def write(name, text):
            return self.file(f"k/{index}-{name}", text)
        ours, theirs, _ = gen.set_arguments(rng, model, write, union)
        taken = []
        names = {}
        for i, word in enumerate(ours):
            if i > 0 and ours[i - 1] == "allowed-ips":
                marker = re.fullmatch(r"@U(\d+)@", theirs[i])
                prefixes = [p.strip().lstrip("+") for p in word.split(",") if p.strip()]
                if marker:
                    pub, new = pending[int(marker.group(1))]
                    var = f"u{self.unions}"
                    self.unions += 1
                    self.emit("union", str(slot), shlex.quote(pub), shlex.quote(",".join(taken)),
                              shlex.quote(",".join(new)), var)
                    names[i] = var
                taken += prefixes
        rendered = [f'"${names[i]}"' if i in names else shlex.quote(w) for i, w in enumerate(theirs)]
        self.emit("set_pair", str(slot), str(len(ours)), *map(shlex.quote, ours), *rendered)
        return after_set(model, ours)

    def archive(self):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for name, text in sorted(self.files.items()):
                data = text.encode()
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = 0o600
                tar.addfile(info, io.BytesIO(data))
        return base64.encodebytes(buf.getvalue()).decode()


def make_plan(seed, slots, rounds):
    plan = Plan()
    models = [None] * slots
    for r in range(rounds):
        plan.emit("begin_round", str(r))
        for slot in range(slots):
            index = r * slots + slot
            rng = random.Random(f"{seed}:{index}")
            command = "setconf" if r == 0 else COMMANDS[(slot + r - 1) % len(COMMANDS)]
            if command == "set":
                models[slot] = plan.set_command(rng, slot, models[slot], index)
                continue
            if r == 0 or (command == "setconf" and rng.random() < 0.5):
                change = gen.rand_state(rng, index)
            else:
                change = gen.mutate(rng, models[slot])
            path = plan.file(f"c/{index}.conf", gen.config_text(change))
            plan.emit("conf_pair", str(slot), command, path)
            if command == "syncconf" and change["peers"]:
                # Target: a peer kept from the running device loses a PSK or keepalive the file
                # no longer has. Clearing is a no-op on peers that never had one.
                clear = []
                for p in change["peers"]:
                    extra = ([] if p.get("psk") else ["preshared-key", "/dev/null"]) + \
                            ([] if p.get("keepalive") is not None else ["persistent-keepalive", "0"])
                    if extra:
                        clear += ["peer", p["pub"]] + extra
                if clear:
                    plan.emit("oracle_set", str(slot), *map(shlex.quote, clear))
            models[slot] = change if r == 0 else after(command, models[slot], change)
        plan.emit("end_round", str(r))
    plan.files["slots"] = f"{slots}\n"
    plan.files["plan.sh"] = "\n".join(plan.lines) + "\n"
    return plan


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: wg_differential.py BUILD_DIR")
    seed = int(os.environ.get("WGKIT_SEED", "20260223"))
    slots = int(os.environ.get("WGKIT_DIFF_SLOTS", "50"))
    rounds = int(os.environ.get("WGKIT_DIFF_ROUNDS", "4"))
    print(f"seed {seed}: {slots} device pairs x {rounds} rounds = {slots * rounds} states "
          f"(replay: WGKIT_SEED={seed})", flush=True)
    plan = make_plan(seed, slots, rounds)
    with open(os.path.join(HERE, "cases", "wg_differential.sh")) as f:
        driver = f.read()
    script = driver + "\n__WGKIT_DATA__\n" + plan.archive()
    out_dir = os.environ.get("WGKIT_DIFF_PLAN_ONLY")
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(out_dir or tmp, "wg_differential_run.sh")
        with open(path, "w") as f:
            f.write(script)
        if out_dir:
            print(path)
            return
        status = subprocess.run([os.path.join(HERE, "run-in-vm.sh"), sys.argv[1], path]).returncode
    sys.exit(status)


if __name__ == "__main__":
    main()
