"""The host side of the UART for tests, scenarios and notebooks: pexpect over virtual time.

``dte.command("AT+CSQ")`` writes the line with CR and runs the virtual clock until a final
result code arrives (or the timeout passes, raising :class:`simnet.ExpectTimeout`).
``dte.expect(r"\\+CIPOPEN: 0,0")`` runs the clock until the pattern appears after the match
cursor. Received bytes are kept (bounded) so anything can be inspected afterwards.

Cost stays linear in the bytes received: they are appended to a ``bytearray`` (trimmed from the
front in O(1)), and a wait searches again only the newly arrived tail plus the pattern's
maximum width, decoding just that window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from simnet.errors import DialError, ExpectTimeout
from simnet.modem.uart import Uart

# Verbose final result codes (V.250 §5.7.1, TS 27.007 §9.2, TS 27.005 §3.2.5).
FINAL_LINE = re.compile(
    r"(?:OK|ERROR|NO CARRIER|BUSY|NO ANSWER|NO DIALTONE|CONNECT(?: .*)?|\+CME ERROR: .*|\+CMS ERROR: .*)"
)
NUMERIC_FINAL = re.compile(r"[0-9]{1,3}")
_LINE_END = re.compile(r"\r\n|\r|\n")
_KEEP_CONSUMED = 1 << 20  # bytes of already-matched history kept before trimming
_LOOKBEHIND = 256  # bytes before a search's start a pattern may look back at
_WHOLE = 1 << 16  # below this many kept bytes a match's .string is all of them (as before)
_LOOKAROUND = 64  # slack for lookaheads and anchors when a search resumes near the end
_MAX_RESUMABLE = 4096  # patterns wider than this (or unbounded) are searched from the cursor


@lru_cache(maxsize=256)
def _max_width(pattern: str, flags: int) -> int | None:
    """The longest text ``pattern`` can match, or None when unbounded (or too wide to bother)."""
    try:
        from re import _parser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - Python < 3.11
        import sre_parse as _parser  # type: ignore[no-redef]
    try:
        _lo, hi = _parser.parse(pattern, flags).getwidth()
    except Exception:  # noqa: BLE001 - any doubt: search from the cursor
        return None
    return hi if hi <= _MAX_RESUMABLE else None


@dataclass
class CommandResult:
    """What one ``command()`` saw: ``final`` result code text (or ``">"`` when the module
    opened a data prompt), information ``lines`` (echo and empty lines removed), all ``raw``
    bytes from the write to the end of the final result, and the virtual ``elapsed`` seconds."""

    command: str
    final: str
    lines: list[str] = field(default_factory=list)
    raw: bytes = b""
    elapsed: float = 0.0
    started: float = 0.0

    @property
    def ok(self) -> bool:
        return self.final in ("OK", "0")

    @property
    def error(self) -> bool:
        return self.final in ("ERROR", "4") or self.final.startswith(("+CME ERROR", "+CMS ERROR"))

    def line(self, prefix: str) -> str | None:
        """The first information line starting with ``prefix`` (e.g. ``"+CSQ:"``)."""
        for ln in self.lines:
            if ln.startswith(prefix):
                return ln
        return None


class DTE:
    """Host end of a module's UART.

    ``target`` is a :class:`~simnet.modem.module.Module` (its ``.uart``) or a :class:`Uart`.
    ``extra_finals``: more lines that end a command for this host (e.g. ``"CONNECT FAIL"``,
    ``"SEND FAIL"``), as regular expressions matched against whole lines.
    """

    def __init__(self, sim: Any, target: Any, *, extra_finals: tuple[str, ...] = (),
                 max_buffer: int = 16 * 1024 * 1024) -> None:
        self.sim = sim
        uart: Uart = target if isinstance(target, Uart) else target.uart
        self.uart = uart
        self.port = uart.dte
        self.port.on_receive = self._on_receive
        self._buf = bytearray()  # received bytes kept, from absolute offset self._base
        self._base = 0
        self._cursor = 0  # absolute offset of the match cursor
        self._received = 0
        self.max_buffer = max_buffer
        self.dropped = 0
        # Bytes also go here while a protocol owns the line (the PPP client after CONNECT).
        self.tap: Any = None
        self._finals = FINAL_LINE
        if extra_finals:
            self._finals = re.compile(FINAL_LINE.pattern[:-1] + "|" + "|".join(extra_finals) + ")")

    # -- byte stream -------------------------------------------------------------------------
    def _on_receive(self, data: bytes, _t: float, _bt: float) -> None:
        if self.tap is not None:
            self.tap(data)
        self._received += len(data)
        self._buf += data
        overflow = len(self._buf) - self.max_buffer
        if overflow > 0:  # a host that never reads: keep the newest bytes only
            self._trim(self._base + overflow)
            self.dropped += overflow

    def _trim(self, upto: int) -> None:
        cut = upto - self._base
        if cut <= 0:
            return
        del self._buf[:cut]
        self._base = upto
        self._cursor = max(self._cursor, upto)

    @property
    def _end(self) -> int:
        return self._base + len(self._buf)

    def _text(self, start: int, end: int | None = None) -> str:
        """Kept bytes from absolute offset ``start`` (to ``end``) as latin-1 text."""
        stop = None if end is None else end - self._base
        return self._buf[start - self._base : stop].decode("latin-1")

    @property
    def received(self) -> bytes:
        """Every byte kept so far (the oldest may have been trimmed; see ``dropped``)."""
        return bytes(self._buf)

    @property
    def bytes_received(self) -> int:
        return self._received

    def write(self, data: bytes | str) -> int:
        """Queue bytes on the line (they take time at the baud rate)."""
        if isinstance(data, str):
            data = data.encode("latin-1")
        return self.port.write(data)

    def send_line(self, text: str) -> None:
        self.write(text + "\r")

    def read_available(self) -> bytes:
        """Everything after the cursor (the cursor moves to the end)."""
        out = bytes(self._buf[self._cursor - self._base :])
        self._cursor = self._end
        self._maybe_trim()
        return out

    def skip_through(self, marker: bytes) -> None:
        """Move the cursor past the last ``marker`` received (e.g. the closing flag of the last
        PPP frame), so that what follows is read as text."""
        start = self._cursor - self._base
        at = self._buf.rfind(marker, start)
        if at >= 0:
            self._cursor = self._base + at + len(marker)
            self._maybe_trim()

    def dial(self, number: str = "*99#", *, username: str = "", password: str = "", auth: str = "any",
             apn: str | None = None, timeout: float = 200.0, check: bool = True, name: str = "dte",
             **ppp: Any) -> Any:
        """Dial-up as a gateway with pppd does: ``ATD<number>`` (``*99#`` GPRS, or a GSM data
        number), then PPP on the line; returns a :class:`~simnet.modem.dialup.PppHost` whose
        sockets go over the link. ``apn`` first defines context 1 (AT+CGDCONT). The clock runs
        until IPCP is up or the negotiation failed; with ``check`` a failure raises
        :class:`simnet.DialError` (its ``outcome`` says why), otherwise ``host.outcome`` does.
        Extra keywords are PPP client settings (``echo_interval``, ``restart``, ...)."""
        from simnet.bearer.outcomes import Outcome, OutcomeKind
        from simnet.modem.dialup import PppHost, client_config

        host = PppHost(self, client_config(username=username, password=password, auth=auth, **ppp), name=name)
        if apn is not None:
            self.command(f'AT+CGDCONT=1,"IP","{apn}"')
        started = self.sim.now
        result = self.command(f"ATD{number}", timeout=timeout)
        if not (result.final.startswith("CONNECT") or result.final == "1"):  # V.250 §5.7.1
            kind = {"BUSY": OutcomeKind.BUSY, "7": OutcomeKind.BUSY, "NO ANSWER": OutcomeKind.NO_ANSWER,
                    "8": OutcomeKind.NO_ANSWER}.get(result.final, OutcomeKind.NO_CARRIER)
            host.outcome = Outcome(kind, detail=result.final).stamped(self.sim.now)
        else:
            host.start()
            left = max(0.0, timeout - (self.sim.now - started))
            if not self.sim.run_until(lambda: host.result.triggered, left):
                host.hangup()
                host.outcome = Outcome(OutcomeKind.CANCELLED, detail=f"no IP link within {timeout:g} s")
        if check and (host.outcome is None or not host.outcome.ok):
            raise DialError(host.outcome)
        return host

    def peek(self) -> bytes:
        """Bytes after the cursor, without consuming them."""
        return bytes(self._buf[self._cursor - self._base :])

    def wait(self, seconds: float) -> None:
        """Let virtual time pass (bytes keep arriving)."""
        if self.sim.now + seconds > self.sim.now:  # SimPy refuses to run "until now"
            self.sim.advance(seconds)

    def _maybe_trim(self) -> None:
        if self._cursor - self._base > _KEEP_CONSUMED:
            self._trim(self._cursor - _KEEP_CONSUMED // 2)

    # -- modem control lines -----------------------------------------------------------------
    @property
    def dtr(self) -> bool:
        return self.port.signals["dtr"]

    @dtr.setter
    def dtr(self, value: bool) -> None:
        self.port.set_signal("dtr", value)

    @property
    def rts(self) -> bool:
        return self.port.signals["rts"]

    @rts.setter
    def rts(self, value: bool) -> None:
        self.port.set_signal("rts", value)

    @property
    def cts(self) -> bool:
        return self.port.peer_signal("cts")

    @property
    def dcd(self) -> bool:
        return self.port.peer_signal("dcd")

    @property
    def dsr(self) -> bool:
        return self.port.peer_signal("dsr")

    @property
    def ri(self) -> bool:
        return self.port.peer_signal("ri")

    @property
    def baud(self) -> int:
        return self.port.baud

    @baud.setter
    def baud(self, rate: int) -> None:
        self.port.baud = rate

    @property
    def rtscts(self) -> bool:
        return self.port.rtscts

    @rtscts.setter
    def rtscts(self, on: bool) -> None:
        self.port.rtscts = bool(on)
        self.port._kick()

    # -- pexpect-style waits -----------------------------------------------------------------
    def expect(self, pattern: str | bytes | re.Pattern[str], timeout: float = 10.0) -> re.Match[str]:
        """Run the clock until ``pattern`` matches after the cursor; the cursor moves past it.

        Patterns are matched against the received bytes decoded as latin-1 (one character per
        byte). Raises :class:`simnet.ExpectTimeout` when ``timeout`` virtual seconds pass.
        """
        if isinstance(pattern, bytes):
            pattern = pattern.decode("latin-1")
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern)
        width = _max_width(regex.pattern, regex.flags)
        found: list[tuple[re.Match[str], int]] = []
        seen = [-1]
        resume = [self._cursor]  # matches cannot start before this (searched already)

        def done() -> bool:
            if self._received == seen[0]:
                return False
            seen[0] = self._received
            start = max(resume[0], self._cursor)
            window = self._base if start - self._base < _WHOLE else start - _LOOKBEHIND
            m = regex.search(self._text(window), start - window)
            if m is None:
                if width is not None:
                    resume[0] = self._end - width - _LOOKAROUND
                return False
            found.append((m, window))
            return True

        if not self.sim.run_until(done, timeout):
            raise ExpectTimeout(regex.pattern, timeout, self.peek())
        m, window = found[-1]
        self._cursor = window + m.end()
        self._maybe_trim()
        return m

    def command(self, line: str, timeout: float = 10.0) -> CommandResult:
        """Write ``line`` + CR and run the clock until a final result code; see CommandResult.

        Bytes that arrived before the write and were not consumed are skipped.
        """
        self._cursor = self._end
        start_abs = self._cursor
        started = self.sim.now
        self.write(line + "\r")
        hit: list[tuple[str, int, int]] = []
        seen = [-1]
        pending_numeric: list[float] = []

        def done() -> bool:
            if pending_numeric and self.sim.now >= pending_numeric[0]:
                result = self._scan_final(start_abs, allow_open_numeric=True)
                if result is not None:
                    hit.append(result)
                    return True
            if self._received == seen[0]:
                return False
            seen[0] = self._received
            result = self._scan_final(start_abs, allow_open_numeric=False)
            if result is not None:
                hit.append(result)
                return True
            if self._buf.endswith((b"\r", b">", b"> ")) and not pending_numeric:
                # A numeric result ("0\r"), the first half of CR LF, or a data prompt ("> "):
                # decide after a pause in the output.
                quiet = 10 * self.port.byte_time()
                pending_numeric.append(self.sim.now + quiet)
                self.sim.call_later(quiet, lambda: None)
            elif pending_numeric and not self._buf.endswith((b"\r", b">", b"> ")):
                pending_numeric.clear()
            return False

        if not self.sim.run_until(done, timeout):
            raise ExpectTimeout(f"final result code for {line!r}", timeout,
                                bytes(self._buf[start_abs - self._base :]))
        final, line_start, end = hit[-1]
        raw = self._text(start_abs, end)
        body = self._text(start_abs, line_start)
        lines = [ln for ln in _LINE_END.split(body) if ln]
        if lines and lines[0].strip() == line.strip():
            lines = lines[1:]  # the echo
        self._cursor = end
        self._maybe_trim()
        return CommandResult(line, final, lines, raw.encode("latin-1"), self.sim.now - started, started)

    def _scan_final(self, start_abs: int, allow_open_numeric: bool) -> tuple[str, int, int] | None:
        """Find the first final result line after ``start_abs``: (text, line start, end)."""
        origin = max(start_abs, self._base)
        text = self._text(origin)
        base = origin  # absolute offset of text[0]
        pos = 0
        first = True
        while True:
            m = _LINE_END.search(text, pos)
            if m is None:
                # An unterminated "> " at the end, with the output paused: a data prompt.
                if allow_open_numeric and text[pos:].strip() == ">":
                    return ">", base + pos, base + len(text)
                return None
            content = text[pos : m.start()]
            terminator = m.group()
            # A CR at the very end may be the first half of CR LF: only a numeric candidate.
            at_end = m.end() == len(text)
            if content and not (first and self._is_echo(content)):
                if self._finals.fullmatch(content) and (terminator != "\r" or not at_end):
                    end = m.end()
                    if terminator == "\r" and text.startswith("\n", end):
                        end += 1
                    return content, base + pos, base + end
                if content.strip() == ">" and (terminator != "\r" or not at_end):
                    end = m.end()
                    if terminator == "\r" and text.startswith("\n", end):
                        end += 1
                    return ">", base + pos, base + end  # prompt on its own line
                if NUMERIC_FINAL.fullmatch(content) and terminator == "\r":
                    nxt = text[m.end() : m.end() + 1]
                    if (nxt and nxt != "\n") or (not nxt and allow_open_numeric):
                        return content, base + pos, base + m.end()
            if content:
                first = False
            pos = m.end()

    @staticmethod
    def _is_echo(content: str) -> bool:
        return content[:2].upper() == "AT" or content[:2].upper() == "A/"
