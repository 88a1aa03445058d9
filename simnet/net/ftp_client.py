"""Sans-IO pieces of an FTP client (RFC 959): the control connection's reply parser and the
command and address encodings. The dialogue itself (login, PASV/PORT, RETR/STOR) reads best as
a story over time and lives in the glue that owns the sockets (a module dialect's FTP service).

``FtpReplies.feed(bytes)`` returns the complete replies found so far, each a :class:`Reply`
with its code and text lines; multi-line replies (``123-First line`` ... ``123 Last line``,
RFC 959 §4.2) come back as one reply. Lines that are not replies are ignored, and a runaway
line is cut at ``max_line`` so a hostile server cannot grow the buffer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simnet.kernel.units import ascii_digits

_PASV = re.compile(r"(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})")


@dataclass(frozen=True, slots=True)
class Reply:
    """One server reply: ``code`` (e.g. 227) and its text lines (the last carries the code)."""

    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return self.lines[-1][4:] if self.lines else ""

    @property
    def kind(self) -> int:
        """The first digit (RFC 959 §4.2.1): 1 preliminary, 2 completion, 3 intermediate,
        4 transient failure, 5 permanent failure."""
        return self.code // 100


class FtpReplies:
    """Reply parser of one control connection (RFC 959 §4.2)."""

    def __init__(self, max_line: int = 4096) -> None:
        self.max_line = max_line
        self._buf = bytearray()
        self._open: tuple[int, list[str]] | None = None  # a multi-line reply in progress

    def feed(self, data: bytes) -> list[Reply]:
        self._buf += data
        replies: list[Reply] = []
        while True:
            end = self._buf.find(b"\n")
            if end < 0:
                if len(self._buf) > self.max_line:
                    del self._buf[: len(self._buf) - self.max_line]
                return replies
            raw = bytes(self._buf[:end]).rstrip(b"\r")
            del self._buf[: end + 1]
            line = raw[: self.max_line].decode("latin-1")
            reply = self._line(line)
            if reply is not None:
                replies.append(reply)

    def _line(self, line: str) -> Reply | None:
        head = line[:3]
        numbered = len(line) >= 3 and ascii_digits(head)
        if self._open is not None:
            code, lines = self._open
            lines.append(line)
            if numbered and int(head) == code and line[3:4] != "-":
                self._open = None
                return Reply(code, tuple(lines))
            return None
        if not numbered:
            return None
        code = int(head)
        if line[3:4] == "-":
            self._open = (code, [line])
            return None
        return Reply(code, (line,))


def command(verb: str, arg: str | None = None) -> bytes:
    """A control command line (``RETR data.bin`` CR LF); CR/LF in ``arg`` cannot split it."""
    text = verb if arg is None else f"{verb} {arg.replace(chr(13), '').replace(chr(10), '')}"
    return text.encode("latin-1", "replace") + b"\r\n"


def parse_pasv(text: str) -> tuple[str, int] | None:
    """The data address of a 227 reply (``Entering Passive Mode (h1,h2,h3,h4,p1,p2)``)."""
    m = _PASV.search(text)
    if m is None:
        return None
    parts = [int(x) for x in m.groups()]
    if any(p > 255 for p in parts):
        return None
    port = parts[4] * 256 + parts[5]
    if port == 0:
        return None
    return ".".join(str(p) for p in parts[:4]), port


def port_argument(ip: str, port: int) -> str:
    """The argument of a PORT command (RFC 959 §4.1.2): ``h1,h2,h3,h4,p1,p2``."""
    return ",".join([*ip.split("."), str(port // 256), str(port % 256)])


__all__ = ["FtpReplies", "Reply", "command", "parse_pasv", "port_argument"]
