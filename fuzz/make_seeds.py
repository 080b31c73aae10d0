#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the hand-made seed corpora under fuzz/corpus/<target>/: per target one input that
uses every key or attribute, and a few edge cases; for config, also some cases of the unit
corpus in tests/unit/config_test.cc. Run it again after changing it; the output is committed
so that a fuzz run needs nothing but the tree."""
import ast
import os
import re
import struct
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
K1 = "qDP4t295vyA3NEmgdrDnk+/RHQF98vEHp43qZanWx2I="
K2 = "WHdLg2uwCC3flml+fpdRCnC/+ynxDrDJwO01XTArO0Q="
K3 = "WL1iUuU3sXSz6idcxO8OQtpjbMx6X9f+RgTfASSDC0E="
PSK = "lO9j7rkGycDMi8FtHy/RV+Nc+0chjVHD/bRVyBF+UI0="
ZERO = "A" * 43 + "="


def raw(key):
    import base64
    return base64.b64decode(key)


def write(target, name, data):
    d = os.path.join(ROOT, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


EVERY_KEY = f"""[Interface]
PrivateKey = {K1}
ListenPort = 51820
FwMark = 0x1234
Address = 10.0.0.1/24, fd00::1/64
DNS = 10.0.0.53, fd00::53, example.internal
MTU = 1420
Table = 1234
PreUp = echo pre-up %i # kept
PostUp = echo post-up %i
PreDown = echo pre-down %i
PostDown = echo post-down %i
SaveConfig = false

[Peer]
PublicKey = {K2}
PresharedKey = {PSK}
Endpoint = 192.0.2.1:51820
AllowedIPs = 10.0.0.2/32, 0.0.0.0/0, ::/0
PersistentKeepalive = 25

[Peer]
PublicKey = {K3}
Endpoint = [2001:db8::1]:51821
AllowedIPs = +fd00::2/128, -10.9.0.0/16
PersistentKeepalive = off
"""


def config_seeds():
    write("config", "every_key.conf", EVERY_KEY)
    write("config", "empty.conf", "")
    write("config", "comments_whitespace.conf",
          f"  # only comments\n[ interface ]\n\tprivatekey={K1} # trailing\n\n[PEER]\nPUBLICKEY = {K2}\n")
    write("config", "crlf.conf", EVERY_KEY.replace("\n", "\r\n"))
    write("config", "no_final_newline.conf", f"[Peer]\nPublicKey = {K2}\nAllowedIPs = 10.0.0.0/8")
    write("config", "long_allowed_ips.conf",
          f"[Peer]\nPublicKey = {K2}\nAllowedIPs = " + ",".join(f"10.{i}.0.0/16" for i in range(200)) + "\n")
    write("config", "endpoint_forms.conf",
          f"[Peer]\nPublicKey = {K2}\nEndpoint = [fe80::1%lo]:1\n[Peer]\nPublicKey = {K3}\nEndpoint = ::1:51820\n"
          f"[Peer]\nPublicKey = {K1}\nEndpoint = 127.0.0.1:domain\n")
    write("config", "zero_keys.conf", f"[Interface]\nPrivateKey = {ZERO}\n[Peer]\nPublicKey = {ZERO}\nPresharedKey = {ZERO}\n")
    # Some cases of the unit corpus (name, text, expected), keys written as $K1 etc. there.
    source = os.path.join(ROOT, "..", "tests", "unit", "config_test.cc")
    entry = re.compile(r'^\s*\{("(?:[^"\\]|\\.)*"),\s*("(?:[^"\\]|\\.)*"),\s*"')
    names = {"$K1": K1, "$K2": K2, "$K3": K3, "$PSK": PSK, "$ZERO": ZERO}
    taken = 0
    for i, line in enumerate(open(source, encoding="utf-8")):
        m = entry.match(line)
        if not m or i % 4:
            continue
        text = ast.literal_eval(m.group(2))
        for name, value in names.items():
            text = text.replace(name, value)
        write("config", "unit_%03d.conf" % taken, text)
        taken += 1
        if taken == 20:
            break


def key_seeds():
    write("key", "base64", K1)
    write("key", "base64_zero", ZERO)
    write("key", "base64_noncanonical", K1[:42] + "3=")
    write("key", "base64_short", K1[:43])
    write("key", "hex", raw(K2).hex())
    write("key", "hex_upper", raw(K2).hex().upper())
    write("key", "raw32", raw(K3))


def uapi_seeds():
    def h(k):
        return raw(k).hex()
    get = (f"private_key={h(K1)}\nlisten_port=51820\nfwmark=4660\n"
           f"public_key={h(K2)}\npreshared_key={h(PSK)}\nprotocol_version=1\nendpoint=192.0.2.1:51820\n"
           "last_handshake_time_sec=1700000000\nlast_handshake_time_nsec=123\ntx_bytes=1000\nrx_bytes=2000\n"
           "persistent_keepalive_interval=25\nallowed_ip=10.0.0.2/32\nallowed_ip=fd00::/8\n"
           f"public_key={h(K3)}\npreshared_key={'0' * 64}\nendpoint=[fe80::1%1]:1\n"
           "last_handshake_time_sec=0\nlast_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\n"
           "persistent_keepalive_interval=0\nerrno=0\n\n")
    write("uapi", "get_every_key", get)
    write("uapi", "get_empty_device", "errno=0\n\n")
    write("uapi", "get_errno", "errno=-19\n\n")
    write("uapi", "get_truncated", get[: len(get) // 2])
    write("uapi", "set_reply", "errno=0\n\n")
    write("uapi", "set_reply_error", "errno=-22\n\n")


# Generic netlink, as the kernel's WireGuard family sends a GET_DEVICE dump.
NLA_F_NESTED = 0x8000


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack("<HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


def nest(kind, items):
    return attr(kind | NLA_F_NESTED, b"".join(items))


def message(attrs, flags=0x2):  # NLM_F_MULTI, as each message of a dump
    payload = struct.pack("<BBH", 0, 1, 0) + b"".join(attrs)
    return struct.pack("<IHHII", 16 + len(payload), 0x20, flags, 1, 0) + payload


def allowed_ip(family, addr, cidr):
    return nest(0, [attr(1, struct.pack("<H", family)), attr(2, addr), attr(3, bytes([cidr]))])


def sockaddr_in(port, addr):
    return struct.pack("<H", 2) + struct.pack(">H", port) + addr + b"\0" * 8


def sockaddr_in6(port, addr, scope=0):
    return struct.pack("<H", 10) + struct.pack(">HI", port, 0) + addr + struct.pack("<I", scope)


def peer(key, ips, endpoint=None, extra=()):
    items = [attr(1, raw(key)), attr(2, raw(PSK)), attr(5, struct.pack("<H", 25)),
             attr(6, struct.pack("<qq", 1700000000, 5)), attr(7, struct.pack("<Q", 100)),
             attr(8, struct.pack("<Q", 200)), attr(10, struct.pack("<I", 1))]
    if endpoint:
        items.append(attr(4, endpoint))
    items.extend(extra)
    items.append(nest(9, ips))
    return nest(0, items)


def device_attrs():
    return [attr(1, struct.pack("<I", 7)), attr(2, b"wg0\0"), attr(3, raw(K1)), attr(4, raw(K2)),
            attr(6, struct.pack("<H", 51820)), attr(7, struct.pack("<I", 0x1234))]


def genl_seeds():
    v4 = allowed_ip(2, bytes([10, 0, 0, 2]), 32)
    v6 = allowed_ip(10, bytes.fromhex("fd00" + "00" * 14), 8)
    one = message(device_attrs() + [nest(8, [
        peer(K2, [v4, v6], sockaddr_in(51820, bytes([192, 0, 2, 1]))),
        peer(K3, [v4], sockaddr_in6(1, bytes.fromhex("fe80" + "00" * 13 + "01"), 1))])])
    write("genl", "dump_one_message", b"\0\0" + one)
    write("genl", "dump_one_message_streaming_split", b"\1\x10" + one)
    # A peer continued in the next message: its key again with the rest of its allowed IPs.
    first = message(device_attrs() + [nest(8, [peer(K2, [v4])])])
    second = message([attr(1, struct.pack("<I", 7)), nest(8, [nest(0, [attr(1, raw(K2)), nest(9, [v6])])])])
    write("genl", "dump_peer_continued", b"\0\0" + first + second)
    # Attribute types newer kernels may add: skipped.
    unknown = message(device_attrs() + [attr(99, b"abcd"), nest(8, [peer(K2, [v4], extra=[attr(42, b"x")])])])
    write("genl", "dump_unknown_attributes", b"\0\x01" + unknown)
    write("genl", "dump_empty_device", b"\0\0" + message([attr(1, struct.pack("<I", 3)), attr(2, b"wg1\0")]))


def wg_set_seeds():
    def args(*tokens):
        return "\0".join(tokens)
    write("wg_set", "every_option", args(
        "listen-port", "51820", "fwmark", "0x10", "private-key", K1 + "\n",
        "peer", K2, "preshared-key", PSK, "endpoint", "192.0.2.1:51820",
        "persistent-keepalive", "25", "allowed-ips", "10.0.0.0/8, +fd00::/8",
        "peer", K3, "remove", "peer", K1, "allowed-ips", "-10.1.0.0/16", "endpoint", "[::1]:1"))
    write("wg_set", "empty_key_file", args("private-key", "", "peer", K2, "preshared-key", ""))
    write("wg_set", "trailing_garbage_key_file", args("private-key", K1 + " x"))
    write("wg_set", "option_without_value", args("peer", K2, "endpoint"))
    write("wg_set", "device_option_after_peer", args("peer", K2, "listen-port", "1"))
    write("wg_set", "service_port", args("listen-port", "domain", "fwmark", "off"))


def quick_seeds():
    write("quick", "every_key_nft", "\x01" + EVERY_KEY)
    write("quick", "every_key_iptables_auto_table",
          "\x0e" + EVERY_KEY.replace("Table = 1234\n", "").replace("FwMark = 0x1234\n", ""))
    write("quick", "table_off", "\x00" + EVERY_KEY.replace("Table = 1234", "Table = off"))
    write("quick", "save_config_bad", "\x00[Interface]\nSaveConfig = maybe\n")
    write("quick", "nul_and_spaces", "\x00 [Interface] \n\tAddress\t=\t10.0.0.1/24\0\n\nDNS = a,b c\n")
    write("quick", "state_records", "\x00link wg0\nrule 2 51820 32764 not_fwmark 51820\n"
          "rule 10 254 32765 suppress 0\ndns tun.wg0\nnft 2 wg-quick-wg0\niptables 10 wg0\nbogus\n")


def main():
    config_seeds()
    key_seeds()
    uapi_seeds()
    genl_seeds()
    wg_set_seeds()
    quick_seeds()
    return 0


if __name__ == "__main__":
    sys.exit(main())
