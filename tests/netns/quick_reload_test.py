#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`wg-quick reload` (issue 6 §2) on wireguard-go, in namespaces of its own:

    wgk-<tag>-a  our wg-quick: <ifa> (10.77.0.1) --veth 192.168.77.1 -- 192.168.77.2-- wgk-<tag>-b
    wgk-<tag>-b  wireguard-go <ifb> (10.77.0.2), the unchanged peer, set up with wg
    wgk-<tag>-c  a fresh `up` of the new config, whose snapshot the reloaded one must equal
    wgk-<tag>-d  the other veth end of c (stands in for b, so both links look alike)

While b pings a every 0.2 s, a reloads a config that adds 100 peers, removes 10, swaps an
address and changes the DNS server: no ping may be lost, b's handshake on a must stay the
same, and a's namespace must then equal c's. A second reload has nothing to do and says
nothing; down restores the snapshot from before up.
"""
import base64
import os
import re
import signal
import subprocess
import time

import nslib
import quick_lib as ql


def key():
    return base64.b64encode(os.urandom(32)).decode()


def private_key():
    """Clamped, as `wg genkey` makes them: the device reports a private key clamped, so an
    unclamped one in the file would differ from it on every reload."""
    b = bytearray(os.urandom(32))
    b[0] &= 248
    b[31] = (b[31] & 127) | 64
    return base64.b64encode(bytes(b)).decode()


def wg(h, *args, input=None):
    return h.run([nslib.ours()] + list(args), input=input).stdout


def config(priv, b_pub, removed, added, addresses, dns):
    lines = ["[Interface]", f"PrivateKey = {priv}", "ListenPort = 51001"]
    lines += [f"Address = {a}" for a in addresses] + [f"DNS = {dns}", "",
              "[Peer]", f"PublicKey = {b_pub}", "AllowedIPs = 10.77.0.2/32",
              "Endpoint = 192.168.77.2:51002", ""]
    for i, pub in enumerate(removed):
        lines += ["[Peer]", f"PublicKey = {pub}", f"AllowedIPs = 10.78.0.{i + 1}/32", ""]
    for i, pub in enumerate(added):
        lines += ["[Peer]", f"PublicKey = {pub}", f"AllowedIPs = 10.80.{i // 200}.{i % 200 + 1}/32", ""]
    return "\n".join(lines)


def veth(near, far, near_addr, far_addr):
    # Fixed MACs: the snapshots of two hosts made alike must not differ by random ones.
    subprocess.run(["ip", "-n", near, "link", "add", "vq", "address", "02:77:00:00:00:01", "type", "veth",
                    "peer", "name", "vp", "address", "02:77:00:00:00:02", "netns", far], check=True)
    for ns, addr, dev in ((near, near_addr, "vq"), (far, far_addr, "vp")):
        subprocess.run(["ip", "-n", ns, "addr", "add", addr, "dev", dev], check=True)
        subprocess.run(["ip", "-n", ns, "link", "set", dev, "up"], check=True)
    # Snapshots start once the veth's IPv6 link-local (and its local route) has settled.
    for _ in range(100):
        r = subprocess.run(["ip", "-n", near, "-6", "route", "show", "table", "local", "dev", "vq"],
                           capture_output=True, text=True)
        if "fe80::" in r.stdout:
            return
        time.sleep(0.1)
    raise RuntimeError("veth link-local never appeared")


def peers_of(h, ifname):
    """`wg show allowed-ips` as a sorted text (wireguard-go lists peers in random order)."""
    return "\n".join(sorted(wg(h, "show", ifname, "allowed-ips").splitlines()))


def snapshot(h, ifname):
    text = h.snapshot([ifname])
    # the veth's peer index and netns id differ between the two hosts by construction
    text = re.sub(r"@if\d+", "@if<n>", text)
    # `ip -d` reports the veth peer's netns id; while other tests add and delete namespaces
    # it sometimes cannot resolve it and says so instead
    text = text.replace("Error: Peer netns reference is invalid.\n", "")
    return re.sub(r"link-netns(id)? \S+", r"link-netns\1 <ns>", text)


def steps(stderr):
    return [line for line in stderr.splitlines() if line.startswith("[")]


def scenario(lab, tmp):
    a, c = ql.Host(lab, "a", tmp), ql.Host(lab, "c", tmp)
    nsb, nsd = lab.netns("b"), lab.netns("d")
    ifa, ifb, ifc = ql.unique_name("wra"), ql.unique_name("wrb"), ql.unique_name("wrc")
    try:
        veth(a.ns, nsb, "192.168.77.1/24", "192.168.77.2/24")
        veth(c.ns, nsd, "192.168.77.1/24", "192.168.77.2/24")
        a_priv, b_priv = private_key(), private_key()
        a_pub = subprocess.run([nslib.ours(), "pubkey"], input=a_priv, capture_output=True, text=True).stdout.strip()
        b_pub = subprocess.run([nslib.ours(), "pubkey"], input=b_priv, capture_output=True, text=True).stdout.strip()
        removed, kept, added = [key() for _ in range(10)], [key() for _ in range(5)], [key() for _ in range(100)]
        old = config(a_priv, b_pub, removed + kept, [], ["10.77.0.1/24", "10.76.0.1/24"], "10.77.0.53")
        # kept peers keep their allowed IPs (10.78.0.11-15) at the same positions
        new = config(a_priv, b_pub, [], added, ["10.77.0.1/24", "10.79.0.1/24"], "10.77.0.54")
        new = new.replace("[Peer]\nPublicKey = " + added[0], "\n".join(
            f"[Peer]\nPublicKey = {p}\nAllowedIPs = 10.78.0.{11 + i}/32\n" for i, p in enumerate(kept)) +
            "\n[Peer]\nPublicKey = " + added[0])
        before = snapshot(a, ifa)
        a.write_etc(f"wireguard/{ifa}.conf", old, 0o600)
        a.run([ql.ours_wg_quick(), "up", ifa])

        lab.wireguard_go(nsb, ifb)
        lab.run(nsb, [nslib.ours(), "set", ifb, "listen-port", "51002", "private-key", "/dev/stdin",
                      "peer", a_pub, "allowed-ips", "10.77.0.1/32", "endpoint", "192.168.77.1:51001"],
                input=b_priv.encode())
        lab.run(nsb, ["ip", "addr", "add", "10.77.0.2/24", "dev", ifb])
        lab.run(nsb, ["ip", "link", "set", ifb, "up"])
        lab.run(nsb, ["ping", "-c", "1", "-W", "5", "10.77.0.1"])
        handshake = wg(a, "show", ifa, "latest-handshakes")
        if b_pub not in handshake or f"{b_pub}\t0" in handshake:
            raise ql.Failure(f"no handshake with b before reload:\n{handshake}")

        ping = subprocess.Popen(["ip", "netns", "exec", nsb, "ping", "-i", "0.2", "-W", "1", "10.77.0.1"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(1.5)
            a.write_etc(f"wireguard/{ifa}.conf", new, 0o600)
            started = time.monotonic()
            r = a.run([ql.ours_wg_quick(), "reload", ifa])
            print(f"reload took {time.monotonic() - started:.2f} s, {len(steps(r.stderr))} steps")
            time.sleep(1.5)
        finally:
            ping.send_signal(signal.SIGINT)
            out = ping.communicate(timeout=10)[0]
        m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
        if not m or m.group(1) != m.group(2) or int(m.group(1)) < 10:
            raise ql.Failure(f"pings lost across reload:\n{out[-400:]}")
        print(f"pings during reload: {m.group(1)} sent, {m.group(2)} received")
        after = wg(a, "show", ifa, "latest-handshakes")
        mine = [line for line in after.splitlines() if line.startswith(b_pub)]
        if [line for line in handshake.splitlines() if line.startswith(b_pub)] != mine:
            raise ql.Failure(f"b's handshake changed across reload:\n{handshake}\n{after}")

        expected_steps = {"[#] ip -4 address del 10.76.0.1/24 dev " + ifa,
                          "[#] ip -4 address add 10.79.0.1/24 dev " + ifa,
                          "[#] resolvconf -a tun." + ifa + " -m 0 -x",
                          "[#] wg syncconf " + ifa + " /dev/fd/63"}
        missing = expected_steps - set(steps(r.stderr))
        if missing or len(steps(r.stderr)) != 4 + 10 + 100:
            raise ql.Failure(f"reload steps: missing {missing}, {len(steps(r.stderr))} in all:\n{r.stderr}")

        c.write_etc(f"wireguard/{ifc}.conf", new, 0o600)
        c.run([ql.ours_wg_quick(), "up", ifc])
        ql.expect_equal(snapshot(c, ifc), snapshot(a, ifa), "state after reload", "fresh up", "reloaded")
        ql.expect_equal(peers_of(c, ifc), peers_of(a, ifa), "peers after reload", "fresh up", "reloaded")

        again = a.run([ql.ours_wg_quick(), "reload", ifa])
        state = snapshot(a, ifa)
        if again.stderr or again.stdout:
            raise ql.Failure(f"reload without changes printed:\n{again.stdout}{again.stderr}")
        ql.expect_equal(state, snapshot(a, ifa), "reload without changes", "before", "after")

        a.run([ql.ours_wg_quick(), "down", ifa])
        ql.expect_equal(before, snapshot(a, ifa), "down after reload", "before up", "after down")

        # reload of a link wg-quick did not bring up: refused, nothing changed
        r = a.run([ql.ours_wg_quick(), "reload", ifa], check=False)
        if r.returncode != 1 or f"`{ifa}' is not a WireGuard interface" not in r.stderr:
            raise ql.Failure(f"reload of a link that is down: {r.returncode}\n{r.stderr}")
    finally:
        ql.cleanup_interfaces([ifa, ifb, ifc])


def norecord(lab, tmp):
    """A WireGuard link without our record (made by hand, or by the original): refused."""
    h = ql.Host(lab, "n", tmp)
    ifn = ql.unique_name("wrn")
    try:
        h.write_etc(f"wireguard/{ifn}.conf", f"[Interface]\nPrivateKey = {key()}\nAddress = 10.66.0.1/24\n", 0o600)
        lab.wireguard_go(h.ns, ifn)
        before = snapshot(h, ifn)
        r = h.run([ql.ours_wg_quick(), "reload", ifn], check=False)
        want = (f"wg-quick: `{ifn}' has no record of wgkit's wg-quick up, which reload needs; "
                "take it down and up again\n")
        ql.expect_equal(want, r.stderr, "reload without a record: stderr", "expected", "ours")
        if r.returncode != 1:
            raise ql.Failure(f"reload without a record exited {r.returncode}")
        ql.expect_equal(before, snapshot(h, ifn), "reload without a record changed the state")
    finally:
        ql.cleanup_interfaces([ifn])


def forwarding_state(host, ifname, backend):
    """Our forwarding firewall and the forwarding sysctls, interface name made neutral. On the
    iptables path only the rules count: iptables-nft leaves empty chains behind."""
    text = ""
    if backend == "nft":
        text += host.run(["nft", "list", "ruleset"]).stdout
    else:
        for cmd in (["iptables-save"], ["ip6tables-save"], ["iptables-save", "-t", "nat"]):
            text += "".join(line + "\n" for line in host.run(cmd).stdout.splitlines() if line.startswith("-A"))
    for key in ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"):
        text += f"{key} = " + host.run(["sysctl", "-n", key]).stdout
    return text.replace(ifname, "<if>")


def forwarding(backend):
    """A relay: a reload with more peers leaves forwarding alone and prints no forwarding
    step; reloads that add masquerading and then drop forwarding leave what a fresh up of
    each file leaves, with the sysctls back at their values from before up at the end."""
    def run(lab, tmp):
        h, c = ql.Host(lab, "f" + backend[0], tmp), ql.Host(lab, "e" + backend[0], tmp)
        iff, ifc = ql.unique_name("wrf"), ql.unique_name("wre")
        env = {"WGKIT_QUICK_FIREWALL": backend}
        quick = lambda host, *args, **kw: host.run([ql.ours_wg_quick()] + list(args), env=host.env(**env), **kw)
        try:
            base = f"[Interface]\nPrivateKey = {private_key()}\nAddress = 10.67.0.1/24\n"
            peer = f"[Peer]\nPublicKey = {key()}\nAllowedIPs = 10.68.0.0/24\n"
            before = forwarding_state(h, iff, backend)
            h.write_etc(f"wireguard/{iff}.conf", base + "IPForward = ipv4\n" + peer, 0o600)
            quick(h, "up", iff)
            moved = f"[Peer]\nPublicKey = {key()}\nAllowedIPs = 10.69.0.0/24\n"
            h.write_etc(f"wireguard/{iff}.conf", base + "IPForward = ipv4\n" + moved, 0o600)
            r = quick(h, "reload", iff)
            want = (f"[#] wg syncconf {iff} /dev/fd/63\n[#] ip -4 route del 10.68.0.0/24 dev {iff}\n"
                    f"[#] ip -4 route add 10.69.0.0/24 dev {iff}\n")
            ql.expect_equal(want, r.stderr, f"relay reload ({backend}): steps", "expected", "ours")
            for label, keys in (("masquerade added", "IPForward = yes\nIPMasquerade = ipv4\n"), ("forwarding dropped", "")):
                h.write_etc(f"wireguard/{iff}.conf", base + keys + moved, 0o600)
                dry = quick(h, "reload", "--dry-run", iff)
                r = quick(h, "reload", iff)
                ql.expect_equal(steps(r.stderr), steps(dry.stderr), f"{label} ({backend}): dry run", "real", "dry")
                c.write_etc(f"wireguard/{ifc}.conf", base + keys + moved, 0o600)
                quick(c, "up", ifc)
                ql.expect_equal(forwarding_state(c, ifc, backend), forwarding_state(h, iff, backend),
                                f"{label} ({backend}): forwarding", "fresh up", "reloaded")
                quick(c, "down", ifc)
                again = quick(h, "reload", iff)
                if again.stderr:
                    raise ql.Failure(f"{label} ({backend}): a second reload printed:\n{again.stderr}")
            ql.expect_equal(before, forwarding_state(h, iff, backend), f"forwarding ({backend}) after dropping it",
                            "before up", "after reload")
            quick(h, "down", iff)
        finally:
            ql.cleanup_interfaces([iff, ifc])
    return run


def forwarding_iptables(lab, tmp):
    """On the iptables path IPForward's rules share their comment with the /0 firewall: a
    reload that drops the /0 must leave the forwarding rules as a fresh up of the new file has
    them (and the forwarding sysctls on)."""
    h, c = ql.Host(lab, "g", tmp), ql.Host(lab, "k", tmp)
    ifh, ifc = ql.unique_name("wrg"), ql.unique_name("wrk")
    try:
        env = {"WGKIT_QUICK_FIREWALL": "iptables"}
        base = f"[Interface]\nPrivateKey = {private_key()}\nAddress = 10.67.0.1/24\nIPForward = yes\n[Peer]\nPublicKey = {key()}\n"
        h.write_etc(f"wireguard/{ifh}.conf", base + "AllowedIPs = 0.0.0.0/0, ::/0\n", 0o600)
        h.run([ql.ours_wg_quick(), "up", ifh], env=h.env(**env))
        h.write_etc(f"wireguard/{ifh}.conf", base + "AllowedIPs = 10.68.0.0/24\n", 0o600)
        h.run([ql.ours_wg_quick(), "reload", ifh], env=h.env(**env))
        c.write_etc(f"wireguard/{ifc}.conf", base + "AllowedIPs = 10.68.0.0/24\n", 0o600)
        c.run([ql.ours_wg_quick(), "up", ifc], env=c.env(**env))

        def rules(host, ifname):
            out = ""
            for cmd in (["iptables-save"], ["ip6tables-save"], ["sysctl", "-n", "net.ipv4.ip_forward"],
                        ["sysctl", "-n", "net.ipv6.conf.all.forwarding"]):
                text = host.run(cmd).stdout
                out += "".join(line + "\n" for line in text.splitlines() if not line.startswith(("#", ":", "*", "COMMIT")))
            return out.replace(ifname, "<if>")
        got, want = rules(h, ifh), rules(c, ifc)
        if "-j WGKIT-FWD" not in want:
            raise ql.Failure(f"a fresh up made no forwarding rules?\n{want}")
        ql.expect_equal(want, got, "iptables forwarding after a reload that drops the /0", "fresh up", "reloaded")
        for host, ifname in ((h, ifh), (c, ifc)):
            host.run([ql.ours_wg_quick(), "down", ifname], env=host.env(**env))
    finally:
        ql.cleanup_interfaces([ifh, ifc])


def failure(lab, tmp):
    """A step that fails stops reload with status 1 and names it; what was done before stays
    recorded, so a corrected file reloads to the end and down restores the state from before."""
    h = ql.Host(lab, "x", tmp)
    ifx = ql.unique_name("wrx")
    try:
        base = f"[Interface]\nPrivateKey = {private_key()}\n"
        h.write_etc(f"wireguard/{ifx}.conf", base + "Address = 10.71.0.1/24\n"
                    f"[Peer]\nPublicKey = {key()}\nAllowedIPs = 10.72.0.0/24\n", 0o600)
        before = snapshot(h, ifx)
        h.run([ql.ours_wg_quick(), "up", ifx])
        peer = f"[Peer]\nPublicKey = {key()}\nAllowedIPs = 10.73.0.0/24\n"
        h.write_etc(f"wireguard/{ifx}.conf", base + "Address = 10.71.0.1/24, 10.74.0.1/99\n" + peer, 0o600)
        r = h.run([ql.ours_wg_quick(), "reload", ifx], check=False)
        want = (f"[#] wg syncconf {ifx} /dev/fd/63\n[#] ip -4 address add 10.74.0.1/99 dev {ifx}\n"
                'Error: any valid prefix is expected rather than "10.74.0.1/99".\n'
                f"wg-quick: `ip -4 address add 10.74.0.1/99 dev {ifx}' failed; the steps before it stay "
                "done and recorded (`wg-quick down' undoes them)\n")
        ql.expect_equal(want, r.stderr, "failed reload: stderr", "expected", "ours")
        if r.returncode != 1:
            raise ql.Failure(f"failed reload exited {r.returncode}")
        h.write_etc(f"wireguard/{ifx}.conf", base + "Address = 10.71.0.1/24\n" + peer, 0o600)
        r = h.run([ql.ours_wg_quick(), "reload", ifx])
        want = f"[#] ip -4 route del 10.72.0.0/24 dev {ifx}\n[#] ip -4 route add 10.73.0.0/24 dev {ifx}\n"
        ql.expect_equal(want, r.stderr, "reload after a failed one: steps", "expected", "ours")
        h.run([ql.ours_wg_quick(), "down", ifx])
        ql.expect_equal(before, snapshot(h, ifx), "down after a failed reload", "before up", "after down")
    finally:
        ql.cleanup_interfaces([ifx])


def body(tmp):
    return ql.run_scenarios(tmp, [("reload", scenario), ("norecord", norecord),
                                  ("forwarding_nft", forwarding("nft")), ("forwarding_ipt", forwarding("iptables")),
                                  ("forwarding_iptables", forwarding_iptables), ("failure", failure)], "qrl")


if __name__ == "__main__":
    nslib.require_root_and("ping")
    ql.main(body)
