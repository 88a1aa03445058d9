"""Throughput peers: echo (RFC 862), discard sink (RFC 863) and a source stream.

The source sends a configured pattern, the RFC 864 character-generator pattern, or bytes drawn
from a named random stream of the simulation, optionally ``bytes`` long and then closes.
"""

from __future__ import annotations

from typing import Any

from simnet.errors import ConfigError
from simnet.servers.config import get_bool, get_int, get_str
from simnet.servers.service import Conn, Service

ECHO_BACKLOG_BYTES = 64 * 1024  # echo stops reading while this much waits to go back
MAX_SOURCE_BYTES = 1 << 40
SOURCE_CONTENTS = ("chargen", "pattern", "random")


_PRINTABLE = bytes(range(32, 127))  # the 95 printable ASCII characters of RFC 864


def chargen_line(index: int) -> bytes:
    """Line ``index`` of the RFC 864 pattern: 72 printable chars rotating by one, then CR LF."""
    k = index % 95
    return (_PRINTABLE[k:] + _PRINTABLE[:k])[:72] + b"\r\n"


class SourceStream:
    """Sans-IO generator of a source connection's bytes (``limit`` 0: endless)."""

    def __init__(self, content: str, pattern: bytes, rng: Any, limit: int) -> None:
        self.content = content
        self.pattern = pattern
        self.rng = rng
        self.limit = limit
        self.produced = 0
        self._line = 0
        self._spill = b""

    def next(self, n: int) -> bytes:
        if self.limit:
            n = min(n, self.limit - self.produced)
        if n <= 0:
            return b""
        if self.content == "random":
            chunk = self.rng.randbytes(n)
        elif self.content == "pattern":
            start = self.produced % len(self.pattern)
            reps = (start + n) // len(self.pattern) + 1
            chunk = (self.pattern * reps)[start : start + n]
        else:
            buf = bytearray(self._spill)
            while len(buf) < n:
                buf += chargen_line(self._line)
                self._line += 1
            chunk, self._spill = bytes(buf[:n]), bytes(buf[n:])
        self.produced += len(chunk)
        return chunk


class TcpEchoService(Service):
    type_name = "tcp-echo"
    default_port = 7

    def start_session(self, conn: Conn) -> None:
        conn.max_out = ECHO_BACKLOG_BYTES
        conn.on_bytes = conn.write
        conn.on_eof = conn.close  # echo what is queued, then FIN


class TcpSinkService(Service):
    type_name = "tcp-sink"
    default_port = 9

    def start_session(self, conn: Conn) -> None:
        conn.on_eof = conn.close


class TcpSourceService(Service):
    type_name = "tcp-source"
    default_port = 19
    extra_keys = ("content", "pattern", "rng", "bytes", "close")

    def _configure(self, config: dict[str, Any], field: str) -> None:
        default = "pattern" if "pattern" in config else "chargen"
        self.content = get_str(config, "content", field, default, choices=SOURCE_CONTENTS)
        pattern = get_str(config, "pattern", field, "simnet ", max_len=65536)
        if self.content == "pattern" and not pattern:
            raise ConfigError(f"{field}.pattern", "expected a non-empty pattern string")
        self.pattern = pattern.encode("utf-8")
        self.rng_name = get_str(config, "rng", field, "")
        self.limit = get_int(config, "bytes", field, 0, 0, MAX_SOURCE_BYTES)
        self.close_at_end = get_bool(config, "close", field, True)

    def _on_attach(self) -> None:
        if not self.rng_name:
            self.rng_name = f"servers.{self.host.name}.source.{self.port}"
        self.rng = self.sim.rng(self.rng_name)

    def start_session(self, conn: Conn) -> None:
        stream = SourceStream(self.content, self.pattern, self.rng, self.limit)

        def refill(n: int) -> bytes:
            chunk = stream.next(n)
            if not chunk:
                conn.refill = None
                if self.close_at_end:
                    conn.close()
            return chunk

        def begin() -> None:
            if not conn.done:
                conn.refill = refill
                conn.pump()

        conn.on_eof = conn.close
        if self.greeting_delay > 0:
            self.sim.call_later(self.greeting_delay, begin)  # slow start of the stream
        else:
            begin()


class UdpEchoService(Service):
    type_name = "udp-echo"
    transport = "udp"
    default_port = 7

    def handle_datagram(self, data: bytes, addr: tuple[str, int]) -> bytes | None:
        return data


class UdpSinkService(Service):
    type_name = "udp-sink"
    transport = "udp"
    default_port = 9
