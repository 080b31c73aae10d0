# SPDX-License-Identifier: MIT
"""A fake userspace WireGuard interface: a UAPI socket that answers `get=1` with a fixed text,
or misbehaves on request. The one fake UAPI server of the test suites.

wireguard-go cannot be made to report handshakes or transfer counters without real traffic,
and cannot carry a name with odd bytes; this server can. Both `wg`s read it the same way, so it
makes a differential oracle for the pretty printer's times, byte units, sort and colour
filtering. A `set=1` request is answered with `errno=<set_errno>`; a `get=1` with
`errno=<get_errno>` alone when that is set (wireguard-go sends negative numbers). Every request
is recorded as bytes (`requests`; `set_requests` holds the set ones as text).

To misbehave, set `get_reply` / `set_reply` to the exact bytes to send instead (b"" hangs up
without a word), or `early_reply` to bytes sent after the request's first bytes, hanging up
before reading the rest (as wireguard-go does when a request fails mid-way). Connections that
send nothing (the backend probe) are not requests.
"""
import os
import socket
import threading

SOCK_DIR = "/var/run/wireguard"


def device_text(private_key=None, listen_port=None, fwmark=None, peers=()):
    """UAPI get-reply lines for a device. Keys are 64-char hex; each peer is a dict with
    public_key and optionally preshared_key, endpoint, keepalive, allowed_ips (list of
    'ip/cidr'), handshake (sec, nsec), rx, tx."""
    lines = []
    if private_key:
        lines.append(f"private_key={private_key}")
    if listen_port is not None:
        lines.append(f"listen_port={listen_port}")
    if fwmark is not None:
        lines.append(f"fwmark={fwmark}")
    for p in peers:
        lines.append(f"public_key={p['public_key']}")
        if p.get("preshared_key"):
            lines.append(f"preshared_key={p['preshared_key']}")
        lines.append("protocol_version=1")
        if p.get("endpoint"):
            lines.append(f"endpoint={p['endpoint']}")
        sec, nsec = p.get("handshake", (0, 0))
        lines.append(f"last_handshake_time_sec={sec}")
        lines.append(f"last_handshake_time_nsec={nsec}")
        lines.append(f"tx_bytes={p.get('tx', 0)}")
        lines.append(f"rx_bytes={p.get('rx', 0)}")
        lines.append(f"persistent_keepalive_interval={p.get('keepalive', 0)}")
        for ip in p.get("allowed_ips", ()):
            lines.append(f"allowed_ip={ip}")
    return "".join(line + "\n" for line in lines)


class FakeInterface:
    """Serves /var/run/wireguard/NAME.sock (or `path`) until close(). Use as a context manager."""

    def __init__(self, name, text="", set_errno=0, get_errno=0, path=None):
        self.name = name
        self.text = text
        self.set_errno = set_errno
        self.get_errno = get_errno
        self.get_reply = None
        self.set_reply = None
        self.early_reply = None
        self.requests = []
        if path is None:
            os.makedirs(SOCK_DIR, exist_ok=True)
            path = os.path.join(os.fsencode(SOCK_DIR), os.fsencode(name) + b".sock")
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(64)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def set_requests(self):
        return [r.decode(errors="replace") for r in self.requests if not r.startswith(b"get=1\n")]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    self._answer(conn)
                except OSError:
                    pass  # the client went away

    def _answer(self, conn):
        if self.early_reply is not None:
            if conn.recv(100):
                conn.sendall(self.early_reply)
            return
        data = b""
        while not (data.endswith(b"\n\n") or data == b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        if not data:
            return  # the backend probe: connect, then close
        self.requests.append(data)
        conn.sendall(self._reply(data.startswith(b"get=1\n")))

    def _reply(self, is_get):
        if is_get and self.get_reply is not None:
            return self.get_reply
        if not is_get and self.set_reply is not None:
            return self.set_reply
        if is_get and self.get_errno:
            return f"errno={self.get_errno}\n\n".encode()
        if is_get:
            return self.text.encode() + b"errno=0\n\n"
        return f"errno={self.set_errno}\n\n".encode()

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
