#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""wg-quick spawns no ip, sysctl, nft or wg (issue 5, "Done when"): with failing stubs of
those names first on PATH, ours still brings a full tunnel with DNS up, saves, strips and
takes it down, the stubs are never run, and the namespace ends as it began.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quick_lib as ql  # noqa: E402
from quick_matrix_test import PEER1, iface, peer, src_valid_mark_neutral  # noqa: E402

STUB = "#!/bin/sh\necho \"$0 $*\" >> /etc/wgk-spawned\nexit 1\n"


def body(tmp):
    import nslib
    failures = []
    with nslib.Lab("qns") as lab:
        q = ql.Host(lab, "n", tmp)
        for name in ("ip", "sysctl", "nft", "wg"):
            path = os.path.join(q.bin, name)
            with open(path, "w") as f:
                f.write(STUB)
            os.chmod(path, 0o755)
        ifname = ql.unique_name("wns")
        config = iface("Address = 10.41.0.2/32, fd41::2/128\nDNS = 10.41.0.1, example.com\n"
                       "PostUp = echo up %i >> /etc/wgk-hooklog",
                       [peer(PEER1, "0.0.0.0/0, ::/0, 10.141.0.0/16", "127.0.0.1:51999")])
        q.write_etc(f"wireguard/{ifname}.conf", config, 0o600)
        before = q.snapshot([ifname])
        try:
            for command in ("up", "save", "strip", "down"):
                r = q.run([ql.ours_wg_quick(), command, ifname], check=False)
                if r.returncode != 0:
                    failures.append(f"{command} failed with the stubs on PATH:\n{r.stderr}")
                    break
            spawned = q.read_etc("wgk-spawned")
            if spawned:
                failures.append(f"ours ran a stubbed program:\n{spawned}")
            after = q.snapshot([ifname]).split("## hook log")[0].rstrip()
            ql.expect_equal(src_valid_mark_neutral(before.rstrip()), src_valid_mark_neutral(after),
                            "state after down vs before up", "before", "after")
        except ql.Failure as e:
            failures.append(str(e))
        finally:
            ql.cleanup_interfaces([ifname])
    return failures


if __name__ == "__main__":
    ql.main(body)
