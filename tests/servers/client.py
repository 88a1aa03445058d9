"""A small simulated client for server tests, built on the real TcpSocket API."""

from __future__ import annotations

import re

from simnet.kernel import Simulation
from simnet.net import Network
from simnet.servers import make_service

SERVER_IP = "198.51.100.7"
CLIENT_IP = "198.51.100.20"


def world(stype: str, config: dict | None = None, seed: int = 1):
    """A network with a server host running one service and a client host."""
    sim = Simulation(seed)
    net = Network(sim)
    server = net.add_host("srv", SERVER_IP)
    client = net.add_host("cli", CLIENT_IP)
    svc = make_service(stype, config or {}, "hosts.srv.services[0]").attach(sim, server)
    return sim, svc, client


class TcpClient:
    """Buffers what arrives; sends under flow control; waits on virtual time."""

    def __init__(self, sim: Simulation, host, ip: str, port: int) -> None:
        self.sim = sim
        self.buf = bytearray()
        self.out = bytearray()
        self.connected = False
        self.peer_fin = False
        self.closed: str | None = None
        self.sock = host.tcp_connect(ip, port)
        self.sock.on_connected = self._connected
        self.sock.on_data = self._data
        self.sock.on_writable = self._flush
        self.sock.on_acked = lambda s, n: self._flush(s)
        self.sock.on_peer_fin = self._fin
        self.sock.on_closed = self._closed

    def _connected(self, sock) -> None:
        self.connected = True
        self._flush(sock)

    def _data(self, sock) -> None:
        self.buf += sock.recv()

    def _fin(self, sock) -> None:
        self.peer_fin = True
        if getattr(sock, "readable", 0):
            self.buf += sock.recv()
        if not self.out:
            sock.close()  # like a real client: EOF from the server ends our side too

    def _closed(self, sock, reason) -> None:
        if self.closed is None:
            self.closed = reason or "closed"

    def _flush(self, sock=None, *_args) -> None:
        if self.out and self.closed is None:
            n = self.sock.send(bytes(self.out))
            del self.out[:n]

    def wait_connected(self, timeout: float = 10.0) -> bool:
        return (
            self.sim.run_until(lambda: self.connected or self.closed is not None, timeout)
            and self.connected
        )

    def send(self, data: bytes) -> None:
        self.out += data
        if self.connected:
            self._flush()

    def line(self, text: str) -> None:
        self.send(text.encode() + b"\r\n")

    def wait_for(self, pattern: bytes, timeout: float = 10.0) -> bytes:
        """Everything up to and including the first match of regex ``pattern``; consumed."""
        rx = re.compile(pattern)
        self.sim.run_until(
            lambda: rx.search(self.buf) is not None or self.closed is not None, timeout
        )
        m = rx.search(self.buf)
        if m is None:
            raise AssertionError(
                f"{pattern!r} not received; have {bytes(self.buf)!r}, closed={self.closed}"
            )
        got = bytes(self.buf[: m.end()])
        del self.buf[: m.end()]
        return got

    def reply(self, timeout: float = 10.0) -> bytes:
        """One complete FTP/SMTP reply (multi-line replies up to their 'NNN ' line)."""
        return self.wait_for(rb"(?m)^\d{3} [^\r\n]*\r\n", timeout)

    def command(self, text: str, timeout: float = 10.0) -> bytes:
        self.line(text)
        return self.reply(timeout)

    def pop_line(self, timeout: float = 10.0) -> bytes:
        return self.wait_for(rb"\r\n", timeout)

    def wait_closed(self, timeout: float = 30.0) -> str | None:
        self.sim.run_until(lambda: self.closed is not None, timeout)
        return self.closed

    def drain_until_fin(self, timeout: float = 60.0) -> bytes:
        self.sim.run_until(lambda: self.peer_fin or self.closed is not None, timeout)
        data = bytes(self.buf)
        self.buf.clear()
        return data

    def shutdown(self) -> None:
        """Half-close after our queued bytes: FIN, but keep receiving."""
        self.sim.run_until(lambda: not self.out or self.closed is not None, 30.0)
        self.sock.shutdown()

    def close(self) -> None:
        self.sim.run_until(lambda: not self.out or self.closed is not None, 30.0)
        self.sock.close()


def code(reply: bytes) -> int:
    return int(reply[:3])
