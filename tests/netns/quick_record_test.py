#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""wg-quick down and the state record (issue 5, "State"):

- no record (the original brought the interface up): our down does what the original's does,
  same transcript, same end state;
- a record (ours brought it up) and a config changed since (DNS and the /0 peer removed,
  Table = off, a PostDown added): down still undoes exactly what up did (rules, nft tables,
  the resolvconf entry, the link) and runs the new PostDown;
- a record and the config file gone: `down NAME` still undoes everything (wgkit extension);
  the original says the file does not exist.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nslib  # noqa: E402
import quick_lib as ql  # noqa: E402
from quick_matrix_test import PEER1, iface, ours_transcript, peer, src_valid_mark_neutral  # noqa: E402

FULL = iface("Address = 10.51.0.2/32, fd51::2/128\nDNS = 10.51.0.1, example.com",
             [peer(PEER1, "0.0.0.0/0, ::/0, 10.151.0.0/16", "127.0.0.1:51999")])
CHANGED = iface("Address = 10.51.0.2/32\nTable = off\nPostDown = echo post-down %i >> /etc/wgk-hooklog",
                [peer(PEER1, "10.151.0.0/16")])


def clean(snapshot):
    return src_valid_mark_neutral(snapshot.split("## hook log")[0].rstrip())


def no_record(lab, tmp):
    o, q = ql.Host(lab, "o", tmp), ql.Host(lab, "q", tmp)
    oi, qi = ql.unique_name("wro"), ql.unique_name("wrq")
    try:
        o.write_etc(f"wireguard/{oi}.conf", FULL, 0o600)
        q.write_etc(f"wireguard/{qi}.conf", FULL, 0o600)
        o.run([nslib.ORIGINAL_WG_QUICK, "up", oi])
        q.run([nslib.ORIGINAL_WG_QUICK, "up", qi])
        r_o = o.run([nslib.ORIGINAL_WG_QUICK, "down", oi])
        r_q = q.run([ql.ours_wg_quick(), "down", qi])
        ql.expect_equal(ql.normalise(ours_transcript(r_o.stderr), [oi]),
                        ql.normalise(ours_transcript(r_q.stderr), [qi]), "no record: transcript of down")
        ql.expect_equal(o.snapshot([oi]), q.snapshot([qi]), "no record: state after down")
    finally:
        ql.cleanup_interfaces([oi, qi])


def changed_config(lab, tmp):
    q = ql.Host(lab, "c", tmp)
    qi = ql.unique_name("wrc")
    try:
        q.write_etc(f"wireguard/{qi}.conf", FULL, 0o600)
        before = q.snapshot([qi])
        q.run([ql.ours_wg_quick(), "up", qi])
        if len(ql.state_records(qi)) != 1:
            raise ql.Failure(f"changed config: want one state record after up, have {ql.state_records(qi)}")
        q.write_etc(f"wireguard/{qi}.conf", CHANGED, 0o600)
        r = q.run([ql.ours_wg_quick(), "down", qi])
        want = "\n".join([
            "[#] ip -4 rule delete table 51820",
            "[#] ip -4 rule delete table main suppress_prefixlength 0",
            "[#] ip -6 rule delete table 51820",
            "[#] ip -6 rule delete table main suppress_prefixlength 0",
            "[#] ip link delete dev <if0>",
            "[#] resolvconf -d tun.<if0> -f",
            "[#] nft -f /dev/fd/63",
            "[#] echo post-down <if0> >> /etc/wgk-hooklog"])
        ql.expect_equal(want, ql.normalise(ours_transcript(r.stderr), [qi]), "changed config: transcript",
                        "want", "ours")
        ql.expect_equal(clean(before), clean(q.snapshot([qi])), "changed config: state after down",
                        "before", "after")
        ql.expect_equal(f"post-down {qi}\n", q.read_etc("wgk-hooklog"), "changed config: PostDown", "want", "ours")
        if ql.state_records(qi):
            raise ql.Failure(f"changed config: the record outlived down: {ql.state_records(qi)}")
    finally:
        ql.cleanup_interfaces([qi])


def vanished_config(lab, tmp):
    q = ql.Host(lab, "v", tmp)
    qi = ql.unique_name("wrv")
    try:
        q.write_etc(f"wireguard/{qi}.conf", FULL, 0o600)
        before = q.snapshot([qi])
        q.run([ql.ours_wg_quick(), "up", qi])
        os.unlink(os.path.join(q.upper, f"wireguard/{qi}.conf"))
        q.run([ql.ours_wg_quick(), "down", qi])
        ql.expect_equal(clean(before), clean(q.snapshot([qi])), "vanished config: state after down",
                        "before", "after")
        r = q.run([ql.ours_wg_quick(), "down", qi], check=False)
        want = f"wg-quick: `/etc/wireguard/{qi}.conf' does not exist\n"
        ql.expect_equal(want, r.stderr, "vanished config: a second down (no record left)", "want", "ours")
    finally:
        ql.cleanup_interfaces([qi])


def body(tmp):
    return ql.run_scenarios(tmp, (("no_record", no_record), ("changed_config", changed_config),
                                   ("vanished_config", vanished_config)), "qr")


if __name__ == "__main__":
    ql.main(body)
