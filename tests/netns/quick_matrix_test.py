#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""wg-quick up/down: ours against Debian's, state snapshot for state snapshot (issue 5).

For every config of the matrix, two fresh namespaces get the same setup; Debian's wg-quick
runs `up` in one and ours in the other. The snapshots (quick_lib.Host.snapshot) must be
equal after the named normalisations, the `[#]` transcripts must be equal after turning the
1.0.20210914 transcript into the target's (named rewrites below), the devices must hold the
same configuration, and after `down` both namespaces must be back to their pre-up state.
Where the target differs from 1.0.20210914 in effect, the expected state is the original's
with exactly that difference applied (each case says which).
"""
import glob
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nslib  # noqa: E402
import quick_lib as ql  # noqa: E402


def genkey():
    priv = subprocess.run(["wg", "genkey"], capture_output=True, text=True, check=True).stdout.strip()
    pub = subprocess.run(["wg", "pubkey"], input=priv, capture_output=True, text=True, check=True).stdout.strip()
    return priv, pub


K = [genkey() for _ in range(3)]
PRIV, PEER1, PEER2 = K[0][0], K[1][1], K[2][1]

def iface(extra, peers):
    return f"[Interface]\nPrivateKey = {PRIV}\n{extra}\n" + "".join(peers)


def peer(pub, allowed, endpoint=None):
    text = f"\n[Peer]\nPublicKey = {pub}\nAllowedIPs = {allowed}\n"
    if endpoint:
        text += f"Endpoint = {endpoint}\n"
    return text


CONFIG_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "quick-configs")


def load_case(path):
    """One shared matrix case (tests/quick-configs/README.md): (setup shell, config text,
    adjustments of the original's snapshot/transcript)."""
    setup, adjust, lines = [], {}, []
    with open(path) as f:
        for line in f.read().splitlines():
            if not line.startswith("#@ "):
                lines.append(line)
                continue
            key, _, value = line[3:].partition(" ")
            if key == "setup":
                setup.append(value)
            elif key == "target-mtu":
                adjust["mtu"] = tuple(value.split())
            elif key == "symlink-resolvconf":
                adjust["symlink_resolvconf"] = True
            elif key == "fails-at":  # fault cases (faults/): the step the error must name
                adjust["step"] = value
            elif key == "signal":
                adjust["signal"] = getattr(signal, "SIG" + value)
            elif key == "no-resolvconf":
                adjust["no_resolvconf"] = True
            else:
                raise ValueError(f"{path}: unknown directive {key!r}")
    config = "\n".join(lines) + "\n"
    for placeholder, value in (("@PRIV@", PRIV), ("@PEER1@", PEER1), ("@PEER2@", PEER2)):
        config = config.replace(placeholder, value)
    if re.search(r"^SaveConfig = true$", config, re.M):
        adjust["saved"] = True
    shell = ". " + os.path.join(CONFIG_DIR, "setup.sh") + " && " + " && ".join(setup) if setup else ""
    return shell, config, adjust


def load_cases(directory):
    """name -> (setup shell, config text, adjustments), from the files both backends share."""
    return {os.path.basename(p)[:-len(".conf")]: load_case(p)
            for p in sorted(glob.glob(os.path.join(directory, "*.conf")))}


MATRIX = load_cases(CONFIG_DIR)


def target_transcript(stderr, adjust, src_valid_mark_was_set=False):
    """The 1.0.20210914 transcript rewritten into v1.0.20260223's (reference §1.10)."""
    lines = [l for l in stderr.splitlines() if l.startswith("[#] ") or l.startswith("[!] ")]
    out, pre_up = [], []
    link_seen = False
    for l in lines:
        # a2dbc33: `ip link add dev NAME type wireguard`
        m = re.match(r"\[#\] ip link add (\S+) type wireguard$", l)
        if m:
            l = f"[#] ip link add dev {m.group(1)} type wireguard"
            link_seen = True
            out.append(l)
            continue
        if not link_seen and not l.startswith("[#] ip link add"):
            pre_up.append(l)  # e6888dd: PreUp now runs after the link exists
            continue
        # 0b7d982: addconf instead of setconf
        l = re.sub(r"^\[#\] wg setconf ", "[#] wg addconf ", l)
        if "mtu" in adjust:
            l = l.replace(f"mtu {adjust['mtu'][0]} up", f"mtu {adjust['mtu'][1]} up")
        if src_valid_mark_was_set and l == "[#] sysctl -q net.ipv4.conf.all.src_valid_mark=1":
            continue  # ac74ed6: only when not already 1
        out.append(l)
        if l.startswith("[#] wg addconf "):
            # PreUp goes right before addconf (after the link and any userspace fallback)
            out[-1:-1] = pre_up
            pre_up = []
    # 71799a8: the route into table N comes after both `ip rule add`s
    i = 0
    while i + 2 < len(out):
        if re.match(r"\[#\] ip -[46] route add \S+ dev \S+ table \d+$", out[i]) and \
                "rule add not fwmark" in out[i + 1] and "suppress_prefixlength" in out[i + 2]:
            out[i], out[i + 1], out[i + 2] = out[i + 1], out[i + 2], out[i]
            i += 3
        else:
            i += 1
    return "\n".join(out)


def ours_transcript(stderr):
    return "\n".join(l for l in stderr.splitlines() if l.startswith("[#] ") or l.startswith("[!] "))


def showconf(host, ifname, listen_port_random):
    r = host.run(["wg", "showconf", ifname])
    # The key itself never goes to a log (issue 10): only whether it is the config's.
    text = r.stdout.replace(PRIV, "<the config's private key>")
    if listen_port_random:
        text = re.sub(r"^ListenPort = \d+$", "ListenPort = <random>", text, flags=re.M)
    # wireguard-go returns peers in random order: compare peer blocks as a sorted list.
    head, *peers = text.split("\n[Peer]\n")
    return head + "".join("\n[Peer]\n" + p for p in sorted(peers))


def without_hook_log(snapshot):
    return snapshot.split("## hook log")[0].rstrip()


def src_valid_mark_neutral(snapshot):
    # The original never resets src_valid_mark (nor do we: other tunnels may rely on it).
    return re.sub(r"(## sysctl net.ipv4.conf.all.src_valid_mark\n)\d", r"\1<x>", snapshot)


def run_case(lab, tmp, index, name, setup, config, adjust):
    orig_if, our_if = ql.unique_name(f"wo{index:02d}"), ql.unique_name(f"wq{index:02d}")
    o, q = ql.Host(lab, f"o{index}", tmp), ql.Host(lab, f"q{index}", tmp)
    try:
        if adjust.get("symlink_resolvconf"):
            for h in (o, q):
                real = os.path.join(h.root, "resolvconf.real")
                os.rename(os.path.join(h.bin, "resolvconf"), real)
                os.symlink(real, os.path.join(h.bin, "resolvconf"))
        if setup:
            o.sh(setup)
            q.sh(setup)
        o.write_etc(f"wireguard/{orig_if}.conf", config, 0o600)
        q.write_etc(f"wireguard/{our_if}.conf", config, 0o600)
        before_o, before_q = o.snapshot([orig_if]), q.snapshot([our_if])
        ql.expect_equal(before_o, before_q, f"{name}: setup")

        up_o = o.run([nslib.ORIGINAL_WG_QUICK, "up", orig_if], check=False)
        up_q = q.run([ql.ours_wg_quick(), "up", our_if], check=False)
        if up_o.returncode != 0:
            raise ql.Failure(f"{name}: original up failed:\n{up_o.stderr}")
        if up_q.returncode != 0:
            raise ql.Failure(f"{name}: our up failed:\n{up_q.stderr}")

        snap_o, snap_q = o.snapshot([orig_if]), q.snapshot([our_if])
        if "mtu" in adjust:
            old, new = adjust["mtu"]
            snap_o = snap_o.replace(f"<if0>: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu {old}",
                                    f"<if0>: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu {new}")
        if adjust.get("symlink_resolvconf"):
            snap_o = snap_o.replace("# tun.<if0>", "# <if0>")
        ql.expect_equal(snap_o, snap_q, f"{name}: state after up")

        t_o = ql.normalise(target_transcript(up_o.stderr, adjust), [orig_if])
        t_q = ql.normalise(ours_transcript(up_q.stderr), [our_if])
        if adjust.get("symlink_resolvconf"):
            t_o = t_o.replace("resolvconf -a tun.<if0>", "resolvconf -a <if0>")
        ql.expect_equal(t_o, t_q, f"{name}: transcript of up (original rewritten to the target)")

        random_port = "ListenPort" not in config
        ql.expect_equal(ql.normalise(showconf(o, orig_if, random_port), [orig_if]),
                        ql.normalise(showconf(q, our_if, random_port), [our_if]), f"{name}: device config")

        down_o = o.run([nslib.ORIGINAL_WG_QUICK, "down", orig_if], check=False)
        down_q = q.run([ql.ours_wg_quick(), "down", our_if], check=False)
        if down_o.returncode != 0 or down_q.returncode != 0:
            raise ql.Failure(f"{name}: down failed:\noriginal: {down_o.stderr}\nours: {down_q.stderr}")
        t_o = ql.normalise(ours_transcript(down_o.stderr), [orig_if])
        t_q = ql.normalise(ours_transcript(down_q.stderr), [our_if])
        if adjust.get("symlink_resolvconf"):
            t_o = t_o.replace("resolvconf -d tun.<if0>", "resolvconf -d <if0>")
        ql.expect_equal(t_o, t_q, f"{name}: transcript of down")

        after_o, after_q = o.snapshot([orig_if]), q.snapshot([our_if])
        ql.expect_equal(after_o, after_q, f"{name}: state after down")
        ql.expect_equal(src_valid_mark_neutral(without_hook_log(before_q)),
                        src_valid_mark_neutral(without_hook_log(after_q)),
                        f"{name}: ours after down vs before up", "before", "after")
        if adjust.get("saved"):
            saved_o = ql.normalise(o.read_etc(f"wireguard/{orig_if}.conf"), [orig_if]).replace(PRIV, "<key>")
            saved_q = ql.normalise(q.read_etc(f"wireguard/{our_if}.conf"), [our_if]).replace(PRIV, "<key>")
            ql.expect_equal(saved_o, saved_q, f"{name}: file written by SaveConfig")
            mode = os.stat(os.path.join(q.upper, f"wireguard/{our_if}.conf")).st_mode & 0o777
            if mode != 0o600:
                raise ql.Failure(f"{name}: saved file mode {oct(mode)}, want 0600")
    finally:
        ql.cleanup_interfaces([orig_if, our_if])


def body(tmp):
    failures = []
    only = os.environ.get("WGKIT_QUICK_CASES", "").split(",")
    for index, (name, (setup, config, adjust)) in enumerate(MATRIX.items()):
        if only != [""] and name not in only:
            continue
        with nslib.Lab(f"qm{index}") as lab:
            try:
                run_case(lab, tmp, index, name, setup, config, adjust)
                print(f"ok {name}")
            except (ql.Failure, RuntimeError) as e:
                failures.append(str(e))
                print(f"FAIL {name}", file=sys.stderr)
    return failures


if __name__ == "__main__":
    ql.main(body)
