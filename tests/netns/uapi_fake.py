#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The UAPI wire protocol against a scripted server (fake_uapi.FakeInterface): the exact
bytes of our set request equal those of Debian's wg for the same config; our reading of a get
reply equals Debian's `wg show dump` of it; errno lines (negative, as wireguard-go sends them),
malformed replies and hang-ups map to the right errno."""
import base64
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nslib  # noqa: E402
from fake_uapi import FakeInterface  # noqa: E402
from uapi_common import (check, check_equal, finish, genkey, genpsk, original, pubkey,  # noqa: E402
                         require_tool, run_tool, write)


def hexkey(b64):
    return base64.b64decode(b64).hex()


def errno_of(result):
    for word in result.stderr.split():
        if word.startswith("errno="):
            return int(word[6:])
    return None


def main():
    nslib.require_root_and("ip")
    require_tool()
    priv, psk = genkey(), genpsk()
    peer1, peer2 = pubkey(genkey()), pubkey(genkey())
    conf = (f"[Interface]\nPrivateKey = {priv}\nListenPort = 1234\n\n"
            f"[Peer]\nPublicKey = {peer1}\nPresharedKey = {psk}\nEndpoint = [::1]:5\n"
            f"PersistentKeepalive = 7\nAllowedIPs = 10.0.0.0/8, fd00::/8\n\n"
            f"[Peer]\nPublicKey = {peer2}\nEndpoint = 192.0.2.1:51820\n")
    get_reply = (f"private_key={hexkey(priv)}\nlisten_port=1234\nfwmark=16\n"
                 f"public_key={hexkey(peer1)}\npreshared_key={hexkey(psk)}\nprotocol_version=1\n"
                 f"endpoint=[fd00::1]:4000\nlast_handshake_time_sec=1700000000\n"
                 f"last_handshake_time_nsec=77\ntx_bytes=1024\nrx_bytes=3000000\n"
                 f"persistent_keepalive_interval=25\nallowed_ip=10.0.0.0/8\nallowed_ip=fd00::/64\n"
                 f"public_key={hexkey(peer2)}\npreshared_key={'0' * 64}\nendpoint=198.51.100.7:9\n"
                 f"last_handshake_time_sec=0\nlast_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\n"
                 f"persistent_keepalive_interval=0\nerrno=0\n\n").encode()

    with nslib.Lab("uf") as lab, tempfile.TemporaryDirectory() as tmp:
        ns = lab.netns("a")
        path = write(os.path.join(tmp, "c.conf"), conf)

        # Differential part: the socket must be where Debian's wg looks.
        name = f"wguf{os.getpid() % 100000}"
        server = FakeInterface(name, "")
        try:
            server.get_reply = get_reply
            run_tool(lab, ns, "setconf", name, path)
            original(lab, ns, "setconf", name, path)
            check(len(server.requests) == 2, "one set request each", repr(server.requests))
            if len(server.requests) == 2:
                check_equal(server.requests[0].decode(), server.requests[1].decode(),
                            "set request bytes: ours = the original's")
                check(server.requests[0].startswith(b"set=1\nprivate_key=" + hexkey(priv).encode() +
                                                    b"\nlisten_port=1234\nfwmark=0\nreplace_peers=true\n"),
                      "set request starts as captured in reference 3.7")
            server.requests.clear()
            ours = run_tool(lab, ns, "dump", name).stdout
            theirs = original(lab, ns, "show", name, "dump")
            check_equal(ours, theirs, "get reply read as the original reads it (dump)")
            check(server.requests == [b"get=1\n\n"] * 2, "get request is exactly get=1\\n\\n",
                  repr(server.requests))
        finally:
            server.close()

        # Error mapping, in a private directory (WGKIT_RUNSTATEDIR, a wgkit extension).
        os.mkdir(os.path.join(tmp, "wireguard"))
        env = dict(os.environ, WGKIT_RUNSTATEDIR=tmp)
        server = FakeInterface("fk", "", path=os.path.join(tmp, "wireguard", "fk.sock"))
        try:
            cases = [
                ("get", b"errno=-22\n\n", 22, "negative errno (wireguard-go)"),
                ("get", b"errno=5\n\n", 5, "positive errno"),
                ("get", b"listen_port=x\nerrno=0\n\n", 71, "malformed number: EPROTO"),
                ("get", b"no equals sign\n\n", 71, "line without '=': EPROTO"),
                ("get", b"listen_port=1\n", 71, "reply without its empty line: EPROTO"),
                ("get", b"", 71, "hang-up without a reply: EPROTO"),
                ("get", b"public_key=" + b"1" * 64 + b"\nendpoint=nohost:5\nerrno=0\n\n", 101,
                 "endpoint that is no address: ENETUNREACH"),
                ("set", b"errno=-98\n\n", 98, "set: negative errno"),
                ("set", b"errno=0\n", 71, "set: no empty line: EPROTO"),
                ("set", b"errno=0\n\n", 0, "set: success"),
            ]
            for op, reply, code, what in cases:
                if op == "get":
                    server.get_reply = reply
                    r = run_tool(lab, ns, "dump", "fk", env=env, check_rc=False)
                else:
                    server.set_reply = reply
                    r = run_tool(lab, ns, "setconf", "fk", path, env=env, check_rc=False)
                if code == 0:
                    check(r.returncode == 0, what, r.stderr)
                else:
                    check(r.returncode == 1 and errno_of(r) == code, f"{what}: errno {code}", r.stderr)
            # A big request the server gives up on after its first bytes: its errno, not EPIPE.
            server.early_reply = b"errno=-22\n\n"
            peers = "".join(f"[Peer]\nPublicKey = {base64.b64encode(os.urandom(32)).decode()}\n"
                            f"AllowedIPs = 10.{i // 256}.{i % 256}.0/24\n" for i in range(5000))
            big = write(os.path.join(tmp, "big.conf"), f"[Interface]\nPrivateKey = {priv}\n" + peers)
            r = run_tool(lab, ns, "setconf", "fk", big, env=env, check_rc=False)
            check(r.returncode == 1 and errno_of(r) == 22,
                  "set cut short by the server: the server's errno (22), not a broken pipe", r.stderr)
        finally:
            server.close()
    finish()


if __name__ == "__main__":
    main()
