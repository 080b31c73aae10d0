#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""IPForward / IPMasquerade (issue 6 §1), our wg-quick on wireguard-go in namespaces:

- relay: two clients whose only peer is the relay ping each other through it (IPv4 and
  IPv6 inside the tunnel, IPForward = yes), with the relay's FORWARD policy drop set beforehand (iptables -P FORWARD DROP, which iptables-nft
  keeps in table ip filter, plus a native `inet` table whose forward chain drops); once on
  the nft path and once on the iptables path (WGKIT_QUICK_FIREWALL=iptables, iptables policy
  only: a native nft drop is beyond what iptables rules can overrule). A control first shows
  the drop is real: with forwarding on but no IPForward, the ping is lost.
- exit: a client with AllowedIPs 0.0.0.0/0 reaches an "internet" namespace through the relay
  (IPMasquerade = ipv4); a UDP echo server there answers with the source address it saw,
  which must be the relay's underlay address.
- sysctls: back to the pre-up value after down (0 and 1), kept on while a second relay
  interface still uses them, in both down orders; a failed up and a down whose config file
  is gone restore them too; strip drops the keys, save keeps them.
- a bad value: file:line error, exit 1, no interface, no record.
After each down the relay's nft ruleset and iptables-save output equal those before up.
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nslib  # noqa: E402
import quick_lib as ql  # noqa: E402

FORWARD4 = "net.ipv4.ip_forward"
FORWARD6 = "net.ipv6.conf.all.forwarding"

ECHO_SERVER = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7777))
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(100)
    s.sendto(peer[0].encode(), peer)
"""

ECHO_CLIENT = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
for _ in range(8):
    s.sendto(b"who am i", (sys.argv[1], 7777))
    try:
        print(s.recv(100).decode())
        sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
"""


def genkey():
    priv = subprocess.run(["wg", "genkey"], capture_output=True, text=True, check=True).stdout.strip()
    pub = subprocess.run(["wg", "pubkey"], input=priv, capture_output=True, text=True, check=True).stdout.strip()
    return priv, pub


def config(priv, interface_lines, peers):
    text = f"[Interface]\nPrivateKey = {priv}\n" + "".join(l + "\n" for l in interface_lines)
    for pub, allowed, endpoint in peers:
        text += f"\n[Peer]\nPublicKey = {pub}\nAllowedIPs = {allowed}\n"
        if endpoint:
            text += f"Endpoint = {endpoint}\nPersistentKeepalive = 1\n"
    return text


VETHS = iter(range(1000))
HOSTS = iter(range(1000))


def host(lab, tmp, role):
    """A Host with a directory of its own under tmp (shared by the scenarios)."""
    return ql.Host(lab, f"{role}{next(HOSTS)}", tmp)


def veth(lab, a, b, addr_a, addr_b):
    """A veth pair between namespaces a and b with /24 addresses (made inside a: the test's
    own namespace is never touched)."""
    n = next(VETHS)
    ea, eb = f"v{n}a", f"v{n}b"
    nslib_run(lab, a, ["ip", "link", "add", ea, "type", "veth", "peer", "name", eb, "netns", b])
    nslib_run(lab, a, ["ip", "addr", "add", addr_a + "/24", "dev", ea])
    nslib_run(lab, b, ["ip", "addr", "add", addr_b + "/24", "dev", eb])
    nslib_run(lab, a, ["ip", "link", "set", ea, "up"])
    nslib_run(lab, b, ["ip", "link", "set", eb, "up"])


def nslib_run(lab, ns, argv):
    r = lab.run(ns, argv, check=False)
    if r.returncode != 0:
        raise ql.Failure(f"{' '.join(argv)} in {ns} failed: {r.stderr.decode()}")
    return r.stdout.decode()


def sysctl(host, key, value=None):
    if value is not None:
        host.run(["sysctl", "-q", f"{key}={value}"])
    return host.run(["sysctl", "-n", key]).stdout.strip()


def firewall(host):
    parts = []
    for cmd in (["nft", "list", "ruleset"], ["iptables-save"], ["ip6tables-save"]):
        out = host.run(cmd, check=False).stdout
        parts.append("\n".join(l for l in out.splitlines() if not l.startswith("#")))
    # Packet counters move with the control traffic; the objects are what must match.
    text = re.sub(r"\[\d+:\d+\]", "[<n>:<n>]", "\n".join(parts))
    return re.sub(r"packets \d+ bytes \d+", "packets <n> bytes <n>", text)


def pings(host, address, tries=6):
    for _ in range(tries):
        if host.run(["ping", "-n", "-c", "1", "-W", "1", address], check=False).returncode == 0:
            return True
    return False


def quick(host, verb, name, env=None, check=True):
    return host.run([ql.ours_wg_quick(), verb, name], env=env, check=check)


def drop_forward(host, native_nft):
    host.run(["iptables", "-P", "FORWARD", "DROP"])
    host.run(["ip6tables", "-P", "FORWARD", "DROP"])
    if native_nft:
        host.run(["nft", "add table inet hostfw; add chain inet hostfw forward "
                         "{ type filter hook forward priority 0; policy drop; }"])


def relay_lab(lab, tmp):
    """Relay r between clients a and b (their only peer), FORWARD dropping on r."""
    r, a, b = host(lab, tmp, "r"), host(lab, tmp, "a"), host(lab, tmp, "b")
    veth(lab, r.ns, a.ns, "198.51.100.1", "198.51.100.2")
    veth(lab, r.ns, b.ns, "203.0.113.1", "203.0.113.2")
    (rk, rp), (ak, ap), (bk, bp) = genkey(), genkey(), genkey()
    names = [ql.unique_name(p) for p in ("wrr", "wra", "wrb")]
    base = config(rk, ["Address = 10.77.0.1/24, fd77::1/64", "ListenPort = 51820"],
                  [(ap, "10.77.0.2/32, fd77::2/128", None), (bp, "10.77.0.3/32, fd77::3/128", None)])
    r.write_etc(f"wireguard/{names[0]}.conf", base, 0o600)
    a.write_etc(f"wireguard/{names[1]}.conf",
                config(ak, ["Address = 10.77.0.2/32, fd77::2/128"], [(rp, "10.77.0.0/24, fd77::/64", "198.51.100.1:51820")]), 0o600)
    b.write_etc(f"wireguard/{names[2]}.conf",
                config(bk, ["Address = 10.77.0.3/32, fd77::3/128"], [(rp, "10.77.0.0/24, fd77::/64", "203.0.113.1:51820")]), 0o600)
    return r, a, b, names, base


def relay(lab, tmp, native_nft, env_extra):
    r, a, b, names, base = relay_lab(lab, tmp)
    env = r.env(**env_extra)
    try:
        drop_forward(r, native_nft)
        sysctl(r, FORWARD4, 0)
        sysctl(r, FORWARD6, 0)
        before = firewall(r)
        # Control: forwarding on, no IPForward: the FORWARD drop must eat the ping.
        quick(r, "up", names[0], env)
        quick(a, "up", names[1])
        quick(b, "up", names[2])
        if not pings(b, "10.77.0.1") or not pings(a, "10.77.0.1"):
            raise ql.Failure("the clients do not reach the relay itself")
        sysctl(r, FORWARD4, 1)
        if pings(a, "10.77.0.3", tries=2):
            raise ql.Failure("control: a reached b although FORWARD drops (the test proves nothing)")
        sysctl(r, FORWARD4, 0)
        # All down: a restarted relay would be unknown to the clients' sessions for a while.
        for h, name in ((a, names[1]), (b, names[2]), (r, names[0])):
            quick(h, "down", name, env if h is r else None)

        r.write_etc(f"wireguard/{names[0]}.conf", base.replace("ListenPort", "IPForward = yes\nListenPort"), 0o600)
        up = quick(r, "up", names[0], env)
        if f"[#] sysctl -q {FORWARD4}=1" not in up.stderr.splitlines():
            raise ql.Failure(f"no sysctl line in the transcript of up:\n{up.stderr}")
        quick(a, "up", names[1])
        quick(b, "up", names[2])
        if not pings(b, "10.77.0.1") or not pings(a, "10.77.0.1"):
            raise ql.Failure("the clients do not reach the relay itself (with IPForward)")
        for src, dst in ((a, "10.77.0.3"), (b, "10.77.0.2"), (a, "fd77::3"), (b, "fd77::2")):
            if not pings(src, dst):
                raise ql.Failure(f"no ping to {dst} through the relay:\n{up.stderr}\n{firewall(r)}")
        if (sysctl(r, FORWARD4), sysctl(r, FORWARD6)) != ("1", "1"):
            raise ql.Failure("forwarding is not on while up")
        down = quick(r, "down", names[0], env)
        if (sysctl(r, FORWARD4), sysctl(r, FORWARD6)) != ("0", "0"):
            raise ql.Failure(f"forwarding not restored to 0:\n{down.stderr}")
        ql.expect_equal(before, firewall(r), "firewall after down vs before up", "before", "after")
    finally:
        ql.cleanup_interfaces(names)


def relay_nft(lab, tmp):
    relay(lab, tmp, True, {})


def relay_iptables(lab, tmp):
    relay(lab, tmp, False, {"WGKIT_QUICK_FIREWALL": "iptables"})


def exit_node(lab, tmp):
    r, c, i = host(lab, tmp, "r"), host(lab, tmp, "c"), host(lab, tmp, "i")
    veth(lab, r.ns, c.ns, "198.51.100.1", "198.51.100.2")
    veth(lab, r.ns, i.ns, "192.0.2.1", "192.0.2.2")
    (rk, rp), (ck, cp) = genkey(), genkey()
    names = [ql.unique_name(p) for p in ("wer", "wec")]
    r.write_etc(f"wireguard/{names[0]}.conf",
                config(rk, ["Address = 10.78.0.1/24", "ListenPort = 51820", "IPMasquerade = ipv4"],
                       [(cp, "10.78.0.2/32", None)]), 0o600)
    c.write_etc(f"wireguard/{names[1]}.conf",
                config(ck, ["Address = 10.78.0.2/32"], [(rp, "0.0.0.0/0", "198.51.100.1:51820")]), 0o600)
    server = subprocess.Popen(["ip", "netns", "exec", i.ns, sys.executable, "-c", ECHO_SERVER],
                              stdout=subprocess.PIPE, text=True)
    try:
        if server.stdout.readline().strip() != "ready":
            raise ql.Failure("echo server did not start")
        drop_forward(r, True)
        sysctl(r, FORWARD4, 0)
        before = firewall(r)
        quick(r, "up", names[0])
        quick(c, "up", names[1])
        got = c.run([sys.executable, "-c", ECHO_CLIENT, "192.0.2.2"], check=False)
        if got.returncode != 0:
            raise ql.Failure(f"the client got no answer from the internet namespace\n{firewall(r)}")
        ql.expect_equal("192.0.2.1", got.stdout.strip(), "source address the internet namespace saw",
                        "relay's underlay", "seen")
        quick(c, "down", names[1])
        quick(r, "down", names[0])
        if sysctl(r, FORWARD4) != "0":
            raise ql.Failure("ip_forward not restored after the exit node went down")
        ql.expect_equal(before, firewall(r), "exit: firewall after down vs before up", "before", "after")
    finally:
        server.kill()
        server.wait()
        ql.cleanup_interfaces(names)


def sysctls(lab, tmp):
    h = host(lab, tmp, "s")
    (k1, _), (k2, _), (_, p) = genkey(), genkey(), genkey()
    n1, n2 = ql.unique_name("ws1"), ql.unique_name("ws2")
    try:
        for name, key, net in ((n1, k1, 1), (n2, k2, 2)):
            h.write_etc(f"wireguard/{name}.conf",
                        config(key, [f"Address = 10.79.{net}.1/24", "IPForward = Yes"],
                               [(p, f"10.79.{net}.0/24", None)]), 0o600)
        stripped = quick(h, "strip", n1).stdout
        if "IPForward" in stripped or "PrivateKey" not in stripped:
            raise ql.Failure(f"strip kept IPForward:\n{stripped}")
        for prior in ("0", "1"):
            sysctl(h, FORWARD4, prior)
            sysctl(h, FORWARD6, "0")
            quick(h, "up", n1)
            if (sysctl(h, FORWARD4), sysctl(h, FORWARD6)) != ("1", "1"):
                raise ql.Failure("IPForward = yes did not enable both families")
            quick(h, "down", n1)
            got = (sysctl(h, FORWARD4), sysctl(h, FORWARD6))
            ql.expect_equal(repr((prior, "0")), repr(got), f"sysctls after down (pre-up ip_forward {prior})",
                            "before", "after")
        for first, second in ((n1, n2), (n2, n1)):
            sysctl(h, FORWARD4, "0")
            sysctl(h, FORWARD6, "0")
            quick(h, "up", n1)
            quick(h, "up", n2)
            quick(h, "down", first)
            if (sysctl(h, FORWARD4), sysctl(h, FORWARD6)) != ("1", "1"):
                raise ql.Failure(f"forwarding turned off while {second} still uses it")
            quick(h, "down", second)
            if (sysctl(h, FORWARD4), sysctl(h, FORWARD6)) != ("0", "0"):
                raise ql.Failure(f"forwarding not restored after both went down ({first} first)")
        # A failed up (PostUp fails after the forwarding steps) undoes them too.
        sysctl(h, FORWARD4, "0")
        sysctl(h, FORWARD6, "0")
        before = firewall(h)
        h.write_etc(f"wireguard/{n2}.conf",
                    config(k2, ["Address = 10.79.2.1/24, fd79::1/64", "IPMasquerade = yes", "PostUp = false"],
                           [(p, "10.79.2.0/24", None)]), 0o600)
        r = quick(h, "up", n2, check=False)
        if r.returncode != 1 or "[#] sysctl -q net.ipv6.conf.all.forwarding=0" not in r.stderr.splitlines():
            raise ql.Failure(f"up with a failing PostUp: want status 1 and the sysctls undone:\n{r.stderr}")
        if (sysctl(h, FORWARD4), sysctl(h, FORWARD6)) != ("0", "0"):
            raise ql.Failure("forwarding left on after a failed up")
        ql.expect_equal(before, firewall(h), "firewall after a failed up vs before", "before", "after")
        # down from the record alone (the file gone) still restores the switches.
        quick(h, "up", n1)
        saved_text = h.read_etc(f"wireguard/{n1}.conf")
        os.unlink(os.path.join(h.upper, "wireguard", f"{n1}.conf"))
        quick(h, "down", n1)
        if (sysctl(h, FORWARD4), sysctl(h, FORWARD6)) != ("0", "0"):
            raise ql.Failure("down without the config file left forwarding on")
        h.write_etc(f"wireguard/{n1}.conf", saved_text, 0o600)
        quick(h, "up", n1)
        quick(h, "save", n1)
        saved = h.read_etc(f"wireguard/{n1}.conf")
        if "IPForward = Yes" not in saved.splitlines():
            raise ql.Failure(f"save lost IPForward:\n{saved}")
        quick(h, "down", n1)
    finally:
        ql.cleanup_interfaces([n1, n2])


def bad_values(lab, tmp):
    h = host(lab, tmp, "e")
    (k, _), (_, p) = genkey(), genkey()
    name = ql.unique_name("wbv")
    try:
        for key, value in (("IPForward", "maybe"), ("IPMasquerade", "ipv5")):
            path = h.write_etc(f"wireguard/{name}.conf",
                               config(k, ["Address = 10.80.0.1/24", f"{key} = {value}"], [(p, "10.80.9.0/24", None)]),
                               0o600)
            r = quick(h, "up", name, check=False)
            want = f"wg-quick: {path}:4: `{value}' is not a valid {key} value (yes, no, ipv4 or ipv6)\n"
            ql.expect_equal(want, r.stderr, f"error for {key} = {value}", "want", "ours")
            if r.returncode != 1:
                raise ql.Failure(f"exit status {r.returncode}, want 1")
            if h.run(["ip", "link", "show", name], check=False).returncode == 0 or ql.state_records(name):
                raise ql.Failure("an interface or record is left after a bad value")
    finally:
        ql.cleanup_interfaces([name])


def body(tmp):
    return ql.run_scenarios(tmp, (("relay_nft", relay_nft), ("relay_iptables", relay_iptables),
                                   ("exit_node", exit_node), ("sysctls", sysctls),
                                   ("bad_values", bad_values)), "qy")


if __name__ == "__main__":
    nslib.require_root_and("ip", "wireguard-go", "unshare", "nft", "iptables", "ip6tables", "ping")
    ql.main(body)
