"""Sans-IO codecs of eDsoft's serial data framing (no clock, no sockets).

- FTP, TCP (DLEMODE 1) and UDP data (§4.2.1, §4.3.1, §5.1.1, §5.2.1, §6.2.1): an ETX byte
  ends the stream; an ETX or DLE belonging to the payload is sent as DLE ETX / DLE DLE, in both
  directions. With DLEMODE 0 a TCP stream is raw and never ends by an ETX.
- Mail bodies (§3.2.2 #GETMAIL, §3.4.2 #PUTMAIL): the stream ends at CR LF . CR LF; a body line
  that starts with a dot is sent with the dot doubled (the transparency of RFC 5321 §4.5.2 /
  RFC 1939 §3, which the module passes through to and from the mail server).
"""

from __future__ import annotations

import re

from simnet.modem.dialect import DLE, ETX, FramedStreamDecoder

_SPECIALS = re.compile(b"[\x03\x10]")
MAIL_END = b"\r\n.\r\n"


def escape(data: bytes) -> bytes:
    """Payload to the serial line: DLE before every ETX and DLE."""
    return _SPECIALS.sub(lambda m: bytes((DLE,)) + m.group(0), data)


def frame(data: bytes) -> bytes:
    """A whole payload as the module sends it: escaped, then the ending ETX."""
    return escape(data) + bytes((ETX,))


class StreamDecoder:
    """Host bytes of a data session: with ``dle`` the DLE/ETX rules apply (an unescaped ETX
    ends the session), without it every byte is payload. ``feed`` returns (payload, ended,
    consumed): bytes after the ending ETX are not consumed."""

    def __init__(self, dle: bool = True) -> None:
        self.dle = dle
        self._decoder = FramedStreamDecoder(end=ETX, escape=DLE)

    def feed(self, data: bytes) -> tuple[bytes, bool, int]:
        if not self.dle:
            return bytes(data), False, len(data)
        return self._decoder.feed(data)


class MailEndDetector:
    """Finds CR LF . CR LF in a mail body arriving in pieces. The body is taken to start at the
    beginning of a line, so a body of just ``.`` CR LF ends at once (an empty mail).
    ``feed`` returns (bytes up to and including the terminator, ended, consumed)."""

    def __init__(self) -> None:
        self._tail = b"\r\n"  # the last bytes seen (at most 4), to find a split terminator
        self.ended = False

    def feed(self, data: bytes) -> tuple[bytes, bool, int]:
        if self.ended:
            return b"", True, 0
        joined = self._tail + data
        at = joined.find(MAIL_END)
        if at < 0:
            self._tail = joined[-4:]
            return bytes(data), False, len(data)
        end = at + len(MAIL_END) - len(self._tail)  # index just past the terminator in data
        self.ended = True
        return bytes(data[:end]), True, end


def dot_stuff(text: bytes) -> bytes:
    """Lines that start with a dot get a second one (RFC 5321 §4.5.2); CR LF line ends; the
    result ends with CR LF (without the final dot line)."""
    text = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = text.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines)


def seven_bit(data: bytes) -> bytes:
    """§4.1.2 FTPTYPE A: "all the data sent ... is made of 7 bits characters (the MSB is set
    to 0)"."""
    return bytes(b & 0x7F for b in data)
