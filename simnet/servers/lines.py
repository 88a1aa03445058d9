"""A bounded line splitter shared by the line-oriented protocol engines (FTP, SMTP, POP3).

Real daemons read commands into a fixed buffer; a client that never sends a line end must not
make the server grow without bound. When a line grows past ``limit`` bytes the buffer reports it
once as overlong and drops bytes up to the next line feed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Line:
    """One received line without its terminator; ``overlong`` lines carry only a prefix."""

    data: bytes
    overlong: bool = False
    bare_lf: bool = False  # ended by LF alone, not CR LF (RFC 5321 §2.3.8 forbids it in SMTP)


class LineBuffer:
    """Split a byte stream on LF (CR LF or bare LF, as real servers tolerate both).

    ``push`` bytes, then ``pop`` lines one at a time, so an engine can change ``limit`` between
    lines (SMTP lifts it for message text after DATA).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._buf = bytearray()
        self._pos = 0  # start of the unconsumed bytes in _buf
        self._discarding = False  # inside an overlong line, waiting for its LF

    def push(self, data: bytes) -> None:
        if self._pos:
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += data

    def pop(self) -> Line | None:
        while True:
            nl = self._buf.find(b"\n", self._pos)
            if self._discarding:
                if nl < 0:
                    self._buf.clear()
                    self._pos = 0
                    return None
                self._pos = nl + 1
                self._discarding = False
                continue
            if nl < 0:
                if len(self._buf) - self._pos > self.limit:
                    line = Line(bytes(self._buf[self._pos : self._pos + self.limit]), True)
                    self._buf.clear()
                    self._pos = 0
                    self._discarding = True
                    return line
                return None
            start = self._pos
            self._pos = nl + 1
            if nl - start > self.limit:
                return Line(bytes(self._buf[start : start + self.limit]), True)
            raw = bytes(self._buf[start:nl])
            if raw.endswith(b"\r"):
                return Line(raw[:-1])
            return Line(raw, bare_lf=True)

    def feed(self, data: bytes) -> list[Line]:
        """Push ``data`` and pop every complete line."""
        self.push(data)
        lines: list[Line] = []
        while (line := self.pop()) is not None:
            lines.append(line)
        return lines

    @property
    def pending(self) -> int:
        """Bytes held waiting for a line end."""
        return len(self._buf) - self._pos

    def clear(self) -> None:
        self._buf.clear()
        self._pos = 0
        self._discarding = False


def decode_command(raw: bytes) -> str:
    """Text of a command line; undecodable bytes become U+FFFD so parsing never raises."""
    return raw.decode("utf-8", "replace")
