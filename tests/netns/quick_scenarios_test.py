#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""wg-quick scenarios beyond one config (issue 5):

- two full-tunnel interfaces at once, against Debian's wg-quick; on the first `down` the
  original deletes every `suppress_prefixlength 0` rule (reference §7.12), ours only its own;
- the iptables path (nftables made unavailable: no `nft` on the original's PATH,
  WGKIT_QUICK_FIREWALL=iptables for ours) produces the original's rules and removes them;
- target-only behaviour the 1.0.20210914 oracle cannot show: '#' kept in hooks (90deacd),
  PreUp after the link exists (e6888dd), addconf keeping a key set by PreUp (0b7d982),
  `save` writing '#' back.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nslib  # noqa: E402
import quick_lib as ql  # noqa: E402
from quick_matrix_test import (PEER1, PEER2, PRIV, iface, ours_transcript, peer,  # noqa: E402
                               src_valid_mark_neutral, target_transcript)

FULL4 = iface("Address = 10.21.0.2/32", [peer(PEER1, "0.0.0.0/0", "127.0.0.1:51999")])
FULL46 = iface("Address = 10.22.0.2/32, fd22::2/128", [peer(PEER2, "0.0.0.0/0, ::/0", "127.0.0.1:51998")])


def suppress_lines(snapshot):
    return [l for l in snapshot.splitlines() if "suppress_prefixlength 0" in l]


def without_suppress(snapshot):
    return "\n".join(l for l in snapshot.splitlines() if "suppress_prefixlength 0" not in l)


def two_tunnels(lab, tmp):
    o, q = ql.Host(lab, "o", tmp), ql.Host(lab, "q", tmp)
    oa, ob = ql.unique_name("woa"), ql.unique_name("wob")
    qa, qb = ql.unique_name("wqa"), ql.unique_name("wqb")
    try:
        for h, a, b in ((o, oa, ob), (q, qa, qb)):
            h.write_etc(f"wireguard/{a}.conf", FULL4, 0o600)
            h.write_etc(f"wireguard/{b}.conf", FULL46, 0o600)
        before = q.snapshot([qa, qb])
        for which, (oi, qi) in enumerate(((oa, qa), (ob, qb))):
            r_o = o.run([nslib.ORIGINAL_WG_QUICK, "up", oi])
            r_q = q.run([ql.ours_wg_quick(), "up", qi])
            t_o = ql.normalise(target_transcript(r_o.stderr, {}, src_valid_mark_was_set=which == 1), [oa, ob])
            t_q = ql.normalise(ours_transcript(r_q.stderr), [qa, qb])
            ql.expect_equal(t_o, t_q, f"two tunnels: transcript of up #{which + 1}")
        ql.expect_equal(o.snapshot([oa, ob]), q.snapshot([qa, qb]), "two tunnels: state with both up")

        o.run([nslib.ORIGINAL_WG_QUICK, "down", oa])
        q.run([ql.ours_wg_quick(), "down", qa])
        s_o, s_q = o.snapshot([oa, ob]), q.snapshot([qa, qb])
        # §7.12: everything equal except the suppress rules: the original removed the other
        # tunnel's too (none left), ours removed only its own (one per family left, <if1>'s).
        ql.expect_equal(without_suppress(s_o), without_suppress(s_q), "two tunnels: after first down")
        if suppress_lines(s_o) != []:
            raise ql.Failure(f"two tunnels: the original kept suppress rules?\n{suppress_lines(s_o)}")
        if len(suppress_lines(s_q)) != 2:
            raise ql.Failure(f"two tunnels: ours should keep <if1>'s two suppress rules:\n{suppress_lines(s_q)}")

        o.run([nslib.ORIGINAL_WG_QUICK, "down", ob])
        q.run([ql.ours_wg_quick(), "down", qb])
        ql.expect_equal(o.snapshot([oa, ob]), q.snapshot([qa, qb]), "two tunnels: after both down")
        ql.expect_equal(src_valid_mark_neutral(before), src_valid_mark_neutral(q.snapshot([qa, qb])),
                        "two tunnels: ours after both down vs before", "before", "after")
    finally:
        ql.cleanup_interfaces([oa, ob, qa, qb])


def iptables_path(lab, tmp):
    o, q = ql.Host(lab, "io", tmp), ql.Host(lab, "iq", tmp)
    # The original picks iptables when `type -p nft` fails: a PATH whose sbin lacks nft.
    sbin = os.path.join(tmp, "sbin-without-nft")
    os.makedirs(sbin)
    for name in os.listdir("/usr/sbin"):
        if name != "nft":
            os.symlink(os.path.join("/usr/sbin", name), os.path.join(sbin, name))
    path_o = f"{o.bin}:{sbin}:/usr/local/bin:/usr/bin:/bin"
    oi, qi = ql.unique_name("wio"), ql.unique_name("wiq")
    try:
        o.write_etc(f"wireguard/{oi}.conf", FULL46, 0o600)
        q.write_etc(f"wireguard/{qi}.conf", FULL46, 0o600)
        r_o = o.run([nslib.ORIGINAL_WG_QUICK, "up", oi], env=o.env(PATH=path_o))
        r_q = q.run([ql.ours_wg_quick(), "up", qi], env=q.env(WGKIT_QUICK_FIREWALL="iptables"))
        ql.expect_equal(ql.normalise(target_transcript(r_o.stderr, {}), [oi]),
                        ql.normalise(ours_transcript(r_q.stderr), [qi]), "iptables: transcript of up")
        s_o, s_q = o.snapshot([oi]), q.snapshot([qi])
        ql.expect_equal(s_o, s_q, "iptables: state after up")
        if "CONNMARK --save-mark" not in s_q or "wg-quick(8) rule for <if0>" not in s_q:
            raise ql.Failure("iptables: the rules are missing:\n" + s_q)
        r_o = o.run([nslib.ORIGINAL_WG_QUICK, "down", oi], env=o.env(PATH=path_o))
        r_q = q.run([ql.ours_wg_quick(), "down", qi], env=q.env(WGKIT_QUICK_FIREWALL="iptables"))
        ql.expect_equal(ql.normalise(ours_transcript(r_o.stderr), [oi]),
                        ql.normalise(ours_transcript(r_q.stderr), [qi]), "iptables: transcript of down")
        s_o, s_q = o.snapshot([oi]), q.snapshot([qi])
        ql.expect_equal(s_o, s_q, "iptables: state after down")
        if "<if0>" in s_q:
            raise ql.Failure("iptables: something of the interface is left:\n" + s_q)
    finally:
        ql.cleanup_interfaces([oi, qi])


def target_only(lab, tmp):
    q = ql.Host(lab, "t", tmp)
    qi = ql.unique_name("wqt")
    q.write_etc("wgk-key", PRIV + "\n", 0o600)
    config = ("[Interface]\nAddress = 10.23.0.2/24\n"
              "PreUp = test -e /sys/class/net/%i && echo link-exists %i >> /etc/wgk-hooklog\n"
              "PreUp = wg set %i private-key /etc/wgk-key\n"
              'PostUp = echo "a # b %i" >> /etc/wgk-hooklog # a comment kept too\n'
              + peer(PEER1, "10.230.0.0/16"))
    path = q.write_etc(f"wireguard/{qi}.conf", config, 0o600)
    try:
        r = q.run([ql.ours_wg_quick(), "up", qi])
        want = f'[#] echo "a # b {qi}" >> /etc/wgk-hooklog # a comment kept too'
        if want not in r.stderr.splitlines():
            raise ql.Failure(f"'#' in hooks: no line {want!r} in\n{r.stderr}")
        log = q.read_etc("wgk-hooklog")
        ql.expect_equal(f"link-exists {qi}\na # b {qi}\n", log, "PreUp after link / '#' in hook", "want", "ours")
        key = q.run(["wg", "show", qi, "private-key"]).stdout.strip()
        ql.expect_equal(PRIV, key, "addconf keeps the key PreUp set", "want", "ours")
        q.run([ql.ours_wg_quick(), "save", qi])
        saved = q.read_etc(f"wireguard/{qi}.conf")
        if 'PostUp = echo "a # b %i" >> /etc/wgk-hooklog # a comment kept too' not in saved.splitlines():
            raise ql.Failure(f"save lost the '#' of a hook ({path}):\n{saved}")
        q.run([ql.ours_wg_quick(), "down", qi])
    finally:
        ql.cleanup_interfaces([qi])


def body(tmp):
    return ql.run_scenarios(tmp, (("two_tunnels", two_tunnels), ("iptables_path", iptables_path),
                                   ("target_only", target_only)), "qs")


if __name__ == "__main__":
    ql.main(body)
