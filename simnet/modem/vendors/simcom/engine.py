"""Sans-IO pieces of the SIMCom TCP/IP dialect: no clock, no sockets, no UART.

- :class:`EtxPromptDecoder` — the variable-length AT+CIPSEND input (S76 L1105): a single Ctrl-Z
  ends, a single ESC cancels, ``<ETX>x`` escapes ``x``.
- :func:`push_header` — the direct-push framing selected by CIPSRIP / CIPHEAD / CIPCCFG
  <HeaderType> (S76 L1106, L1108, L1109, L1113).
- :class:`PingStats` — the +CPING summary line (S76 L1134).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simnet.modem.vendors.simcom.tables import CTRL_Z, ESC, ETX


class EtxPromptDecoder:
    """Decodes the bytes typed after ``>`` for AT+CIPSEND=<link>, (no length).

    ``feed`` returns ``None`` while more input is needed, ``("send", data)`` on a single Ctrl-Z
    and ``("cancel", b"")`` on a single ESC. Bytes after the terminator are returned in
    ``leftover`` (they belong to the command line that follows).
    """

    __slots__ = ("_data", "_escaped", "limit", "leftover")

    def __init__(self, limit: int) -> None:
        self._data = bytearray()
        self._escaped = False
        self.limit = limit
        self.leftover = b""

    def feed(self, chunk: bytes) -> tuple[str, bytes] | None:
        for i, byte in enumerate(chunk):
            if self._escaped:
                self._escaped = False
                self._append(byte)
                continue
            if byte == ETX:
                self._escaped = True
            elif byte == CTRL_Z:
                self.leftover = bytes(chunk[i + 1 :])
                return ("send", bytes(self._data))
            elif byte == ESC:
                self.leftover = bytes(chunk[i + 1 :])
                return ("cancel", b"")
            else:
                self._append(byte)
        return None

    def _append(self, byte: int) -> None:
        # Input beyond the documented maximum is discarded, like a full UART buffer (assumption).
        if len(self._data) < self.limit:
            self._data.append(byte)

    @property
    def pending(self) -> int:
        return len(self._data)


def escape_for_prompt(data: bytes) -> bytes:
    """The inverse of :class:`EtxPromptDecoder` (what a correct host driver sends)."""
    out = bytearray()
    for byte in data:
        if byte in (ETX, CTRL_Z, ESC):
            out.append(ETX)
        out.append(byte)
    return bytes(out)


def push_header(
    *,
    show_remote: bool,
    show_header: bool,
    header_type: int,
    link: int,
    remote: tuple[str, int] | None,
    length: int,
) -> bytes:
    """The bytes a module prints before pushed data (the data follows the last CR LF).

    ``RECV FROM:<ip>:<port><CR><LF>+IPD<len><CR><LF><data>`` (S76 L1106), where the address line
    follows CIPSRIP (L1109), the length line follows CIPHEAD (L1108) and its form CIPCCFG
    <HeaderType> (L1113: ``+IPD<len>`` or ``+RECEIVE,<link>,<len>``). A leading CR LF separates
    it from what came before, as for every URC.
    """
    parts = [b"\r\n"]
    if show_remote and remote is not None:
        parts.append(f"RECV FROM:{remote[0]}:{remote[1]}\r\n".encode())
    if show_header:
        if header_type == 1:
            parts.append(f"+RECEIVE,{link},{length}\r\n".encode())
        else:
            parts.append(f"+IPD{length}\r\n".encode())
    return b"".join(parts)


@dataclass
class PingStats:
    """Counters of one AT+CPING session; RTTs in whole milliseconds."""

    sent: int = 0
    received: int = 0
    rtts: list[int] = field(default_factory=list)

    def reply(self, rtt_ms: int) -> None:
        self.received += 1
        self.rtts.append(rtt_ms)

    def summary(self) -> str:
        """``+CPING: 3,<sent>,<recvd>,<lost>,<min>,<max>,<avg>`` (S76 L1134); avg truncated as in
        the L1134 example (410,347,346,444 -> 386). No replies: RTTs print as 0 (assumption)."""
        if self.rtts:
            lo, hi, avg = min(self.rtts), max(self.rtts), sum(self.rtts) // len(self.rtts)
        else:
            lo = hi = avg = 0
        lost = self.sent - self.received
        return f"+CPING: 3,{self.sent},{self.received},{lost},{lo},{hi},{avg}"
