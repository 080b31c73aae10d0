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
import os
import re
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

# Fixed MACs and no IPv6 link-locals on the veths: their DAD would race the snapshots.
VETH_1400 = ("ip link add va address 02:00:00:00:01:0a type veth peer name vb address 02:00:00:00:01:0b && "
             "ip link set va addrgenmode none && ip link set vb addrgenmode none && ip addr add 192.0.2.1/24 dev va && "
             "ip link set va mtu 1400 up && ip link set vb up")
VETH_1420 = ("ip link add vc address 02:00:00:00:02:0c type veth peer name vd address 02:00:00:00:02:0d && "
             "ip link set vc addrgenmode none && ip link set vd addrgenmode none && ip addr add 198.51.100.1/24 dev vc && "
             "ip link set vc mtu 1420 up && ip link set vd up")


def iface(extra, peers):
    return f"[Interface]\nPrivateKey = {PRIV}\n{extra}\n" + "".join(peers)


def peer(pub, allowed, endpoint=None):
    text = f"\n[Peer]\nPublicKey = {pub}\nAllowedIPs = {allowed}\n"
    if endpoint:
        text += f"Endpoint = {endpoint}\n"
    return text


# name -> (setup shell, config text, adjustments of the original's snapshot/transcript)
MATRIX = {
    "client32": ("", iface("Address = 10.1.0.2/32", [peer(PEER1, "10.1.0.1/32", "127.0.0.1:51999")]), {}),
    "relay24": ("", iface("Address = 10.2.0.1/24\nListenPort = 51820",
                          [peer(PEER1, "10.2.0.2/32"), peer(PEER2, "10.2.0.3/32, 10.2.0.0/24")]), {}),
    "full4": ("", iface("Address = 10.3.0.2/32", [peer(PEER1, "0.0.0.0/0", "127.0.0.1:51999")]), {}),
    "full46": ("", iface("Address = 10.4.0.2/32, fd04::2/128\nAddress = 10.98.0.2/32",
                         [peer(PEER1, "0.0.0.0/0, ::/0, 10.50.0.0/16", "127.0.0.1:51999")]), {}),
    "table_off": ("", iface("Address = 10.5.0.2/24\nTable = off", [peer(PEER1, "0.0.0.0/0, 10.55.0.0/16")]), {}),
    "table_1234": ("", iface("Address = 10.6.0.2/24\nTable = 1234",
                             [peer(PEER1, "0.0.0.0/0, 10.60.0.0/16, fd06::/64")]), {}),
    "table_named": ("", iface("Address = 10.7.0.2/24\nTable = wgktest", [peer(PEER1, "0.0.0.0/0, 10.70.0.0/16")]), {}),
    "mtu_explicit": ("", iface("Address = 10.8.0.2/24\nMTU = 1280", [peer(PEER1, "10.80.0.0/16")]), {}),
    "mtu_endpoint": (VETH_1400, iface("Address = 10.9.0.2/24", [peer(PEER1, "10.90.0.0/16", "192.0.2.2:51820")]), {}),
    "mtu_default_route": (VETH_1400 + " && ip route add default via 192.0.2.2 dev va",
                          iface("Address = 10.11.0.2/24", [peer(PEER1, "10.91.0.0/16")]), {}),
    # 5150cd6: the smallest endpoint route MTU (1400) wins; 1.0.20210914 took the largest (1420).
    "mtu_smallest": (VETH_1400 + " && " + VETH_1420,
                     iface("Address = 10.12.0.2/24", [peer(PEER1, "10.92.0.0/16", "192.0.2.2:51820"),
                                                      peer(PEER2, "10.93.0.0/16", "198.51.100.2:51820")]),
                     {"mtu": ("1340", "1320")}),
    "dns": ("", iface("Address = 10.10.0.2/24, fd10::2/64\nDNS = 10.10.0.1, fd10::1, example.com\nDNS = corp.local",
                      [peer(PEER1, "10.100.0.0/16")]), {}),
    # d3b40af: no `tun.` prefix when resolvconf is a symlink; 1.0.20210914 always used it.
    "dns_symlinked_resolvconf": ("", iface("Address = 10.13.0.2/24\nDNS = 10.13.0.1", [peer(PEER1, "10.130.0.0/16")]),
                                 {"symlink_resolvconf": True}),
    "hooks": ("", iface("Address = 10.14.0.2/24\n"
                        "PreUp = echo pre-up %i >> /etc/wgk-hooklog\n"
                        "PostUp = echo post-up %i >> /etc/wgk-hooklog; echo second %i >> /etc/wgk-hooklog\n"
                        "PreDown = echo pre-down %i >> /etc/wgk-hooklog\n"
                        "PostDown = echo post-down %i >> /etc/wgk-hooklog",
                        [peer(PEER1, "10.140.0.0/16")]), {}),
    "save_config": ("", iface("Address = 10.15.0.2/24\nListenPort = 51821\nMTU = 1400\nSaveConfig = true\n"
                              "DNS = 10.15.0.1\nPostUp = true %i",
                              [peer(PEER1, "10.150.0.0/16", "127.0.0.1:51999")]), {"saved": True}),
    "fwmark_given": ("", iface("Address = 10.16.0.2/24\nFwMark = 0x1234", [peer(PEER1, "0.0.0.0/0")]), {}),
    "table_51820_taken": ("ip route add 10.200.0.0/16 dev lo table 51820",
                          iface("Address = 10.17.0.2/24", [peer(PEER1, "0.0.0.0/0")]), {}),
}


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
    text = r.stdout
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
            saved_o = ql.normalise(o.read_etc(f"wireguard/{orig_if}.conf"), [orig_if])
            saved_q = ql.normalise(q.read_etc(f"wireguard/{our_if}.conf"), [our_if])
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
