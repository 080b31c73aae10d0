#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`wg-quick --dry-run` (issue 6 §3) for up, reload and down, on wireguard-go in a namespace
of its own: the namespace snapshot (links, addresses, routes, rules, nft, iptables, sysctls,
resolvconf records, hook log) is the same before and after each dry run, and the `[#]`/`[!]`
lines it prints are those the real run prints right after. Both placements of the flag are
used, and both firewall back ends (nft; iptables by WGKIT_QUICK_FIREWALL=iptables).
"""
import base64
import os

import nslib
import quick_lib as ql


def key():
    return base64.b64encode(os.urandom(32)).decode()


def config(priv, addresses, dns, peers):
    lines = ["[Interface]", f"PrivateKey = {priv}", f"Address = {', '.join(addresses)}", f"DNS = {dns}",
             "PreUp = echo pre-up %i >> /etc/wgk-hooklog", "PostUp = echo post-up %i >> /etc/wgk-hooklog",
             "PreDown = echo pre-down %i >> /etc/wgk-hooklog", "PostDown = echo post-down %i >> /etc/wgk-hooklog", ""]
    for pub, allowed in peers:
        lines += ["[Peer]", f"PublicKey = {pub}", f"AllowedIPs = {allowed}", ""]
    return "\n".join(lines)


def steps(stderr):
    return "\n".join(line for line in stderr.splitlines() if line.startswith("[")) + "\n"


def compare(h, ifname, env, verb, flag_first):
    """A dry run of `verb`, then the real one: state unchanged by the first, same steps."""
    before = h.snapshot([ifname])
    argv = ["--dry-run", verb, ifname] if flag_first else [verb, "--dry-run", ifname]
    dry = h.run([ql.ours_wg_quick()] + argv, env=env)
    ql.expect_equal(before, h.snapshot([ifname]), f"{verb} --dry-run changed the state", "before", "after")
    real = h.run([ql.ours_wg_quick(), verb, ifname], env=env)
    ql.expect_equal(steps(real.stderr), steps(dry.stderr), f"{verb}: printed steps", "real run", "dry run")
    if len(steps(real.stderr).splitlines()) < 3:
        raise ql.Failure(f"{verb}: too few steps to compare:\n{real.stderr}")
    return real.stderr


def cycle(backend):
    def run(lab, tmp):
        h = ql.Host(lab, backend[:3], tmp)
        ifname = ql.unique_name("wdr" + backend[0])
        env = h.env(WGKIT_QUICK_FIREWALL=backend)
        try:
            priv, p1, p2, p3 = key(), key(), key(), key()
            h.write_etc(f"wireguard/{ifname}.conf",
                        config(priv, ["10.55.0.1/24", "fd55::1/64"], "10.55.0.53",
                               [(p1, "0.0.0.0/0, ::/0"), (p2, "10.56.0.0/16")]), 0o600)
            up = compare(h, ifname, env, "up", flag_first=True)
            for want in ("[#] nft -f /dev/fd/63" if backend == "nft" else "[#] iptables-restore -n",
                         f"[#] echo post-up {ifname} >> /etc/wgk-hooklog"):
                if want not in up:
                    raise ql.Failure(f"up ({backend}): no `{want}' in:\n{up}")
            # reload: one peer more, one less, the default route gone, an address and DNS changed
            h.write_etc(f"wireguard/{ifname}.conf",
                        config(priv, ["10.55.0.2/24", "fd55::1/64"], "10.55.0.54",
                               [(p1, "10.57.0.0/16"), (p3, "10.58.0.0/16, fd58::/64")]), 0o600)
            reload = compare(h, ifname, env, "reload", flag_first=False)
            # (the IPv4 routes go with the link's last IPv4 address; reload adds back those it keeps)
            for want in ("[#] ip -6 route del ::/0 dev", "[#] ip -4 rule delete table",
                         "[#] ip -4 address del 10.55.0.1/24", "[#] ip -6 route add fd58::/64"):
                if want not in reload:
                    raise ql.Failure(f"reload ({backend}): no `{want}' in:\n{reload}")
            if "hooklog" in reload:
                raise ql.Failure(f"reload ran hooks:\n{reload}")
            # and back: the default route returns with its rules and firewall
            h.write_etc(f"wireguard/{ifname}.conf",
                        config(priv, ["10.55.0.2/24"], "10.55.0.54", [(p1, "0.0.0.0/0")]), 0o600)
            compare(h, ifname, env, "reload", flag_first=True)
            compare(h, ifname, env, "down", flag_first=False)
            log = h.read_etc("wgk-hooklog") or ""
            want = f"pre-up {ifname}\npost-up {ifname}\npre-down {ifname}\npost-down {ifname}\n"
            ql.expect_equal(want, log, f"hook log ({backend})", "expected", "ours")
        finally:
            ql.cleanup_interfaces([ifname])
    return run


def body(tmp):
    return ql.run_scenarios(tmp, [("nft", cycle("nft")), ("iptables", cycle("iptables"))], "qdr")


if __name__ == "__main__":
    ql.main(body)
