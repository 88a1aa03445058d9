"""The host side of the UART, driven like pexpect but on the virtual clock.

``dte.write(b"AT\\r")`` queues bytes on the line (they take baud time to cross);
``dte.expect(regex, timeout)`` runs the simulation until the regex matches what the module sent
since the last match (then consumes through the match) or the timeout passes
(``simnet.ExpectTimeout``); ``dte.command("AT+CSQ")`` writes a command line and runs to its final
result code. Text is Latin-1 decoded bytes, so every byte value maps to one character and a
match never fails on encoding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from simnet.errors import ConfigError, ExpectTimeout

# Final result codes in verbose form (V.250 §5.7.1 table 1, 27.007 §9.2 CME/CMS), plus the
# data prompt "> " that SIMCom/Fibocom send for a send command (the answer the host waits for).
FINAL_LINE = re.compile(
    r"^(OK|ERROR|NO CARRIER|BUSY|NO ANSWER|NO DIALTONE|CONNECT(?: .*)?|\+CME ERROR: ?.*|\+CMS ERROR: ?.*)$"
)
PROMPT_TAIL = re.compile(r"(?:^|\r\n)> ?$")
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")


@dataclass
class CommandResult:
    """What one command line produced: final result code, the lines before it, the time it took."""

    command: str
    final: str
    lines: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    raw: str = ""

    @property
    def ok(self) -> bool:
        return self.final == "OK"

    def __repr__(self) -> str:
        return f"CommandResult({self.command!r}, final={self.final!r}, lines={self.lines!r}, elapsed={self.elapsed:.3f})"


class DTE:
    """Host end of the module's UART (``module.uart.dte``)."""

    def __init__(self, sim: Any, port: Any, *, name: str = "dte") -> None:
        self.sim = sim
        self.port = port
        self.name = name
        self._pending = ""  # received since the last match (Latin-1 text)
        self._history: list[str] = []
        self._outbox = bytearray()  # bytes the UART transmit buffer could not take yet
        self._dirty = True
        port.on_receive = self._on_receive
        port.on_drain = self._feed

    # -- receiving -----------------------------------------------------------------------------
    def _on_receive(self, chunk: bytes, *_: Any) -> None:
        text = bytes(chunk).decode("latin-1")
        self._pending += text
        self._history.append(text)
        self._dirty = True

    @property
    def received(self) -> bytes:
        """Everything the module has sent so far."""
        return "".join(self._history).encode("latin-1")

    def pending(self) -> bytes:
        """What arrived since the last match (not consumed)."""
        return self._pending.encode("latin-1")

    def clear(self) -> bytes:
        """Drop what arrived since the last match; returns it."""
        out, self._pending = self._pending, ""
        return out.encode("latin-1")

    # -- sending -------------------------------------------------------------------------------
    def write(self, data: bytes | str) -> int:
        """Queue bytes for the module (``str`` is Latin-1); returns the count queued."""
        if isinstance(data, str):
            data = data.encode("latin-1", "replace")
        self._outbox += data
        self._feed()
        return len(data)

    def _feed(self) -> None:
        if self._outbox:
            n = self.port.write(bytes(self._outbox[: max(0, self.port.space)]))
            del self._outbox[:n]

    def send_line(self, line: str) -> None:
        self.write(line.encode("latin-1", "replace") + b"\r")

    def set_dtr(self, on: bool) -> None:
        self.port.set_signal("dtr", on)

    def set_rts(self, on: bool) -> None:
        self.port.set_signal("rts", on)

    @property
    def sending(self) -> bool:
        return bool(self._outbox) or not self.port.idle

    # -- waiting -------------------------------------------------------------------------------
    def expect(self, pattern: str | bytes | re.Pattern[str], timeout: float = 10.0) -> re.Match[str]:
        """Run the clock until ``pattern`` (a regex) matches the pending text; consume through
        the match and return it. Raises ``simnet.ExpectTimeout`` after ``timeout`` seconds."""
        regex = _compile(pattern)
        found: list[re.Match[str]] = []

        def matched() -> bool:
            if not self._dirty:
                return False
            self._dirty = False
            m = regex.search(self._pending)
            if m is not None:
                found.append(m)
                return True
            return False

        self._dirty = True
        if self.sim.run_until(matched, _timeout(timeout)):
            m = found[0]
            self._pending = self._pending[m.end():]
            return m
        raise ExpectTimeout(regex.pattern, float(timeout), self.pending())

    def expect_exact(self, text: str, timeout: float = 10.0) -> re.Match[str]:
        return self.expect(re.escape(text), timeout)

    def command(self, line: str, timeout: float = 10.0) -> CommandResult:
        """Send ``line`` + CR and run until its final result code (or a ``>`` data prompt).

        ``lines`` are the non-empty lines between the echo and the final code (information
        responses, and any URC that arrived meanwhile)."""
        t0 = self.sim.now
        # Scan for the final code only in what arrives from now on (a stale OK left unread must
        # not end this command); earlier unread text is consumed too and shows in ``lines``.
        state: dict[str, Any] = {"start": len(self._pending)}
        self.send_line(line)

        def finished() -> bool:
            if not self._dirty:
                return False
            self._dirty = False
            return self._scan_final(state)

        self._dirty = True
        if not self.sim.run_until(finished, _timeout(timeout)):
            raise ExpectTimeout(f"final result code for {line!r}", float(timeout), self.pending())
        raw = self._pending[: state["end"]]
        self._pending = self._pending[state["end"]:]
        stale = [s for s in _LINE_SPLIT.split(raw[: state["start"]]) if s.strip()]
        fresh = [s for s in _LINE_SPLIT.split(raw[state["start"]:]) if s.strip()]
        if fresh and fresh[0] == line:
            fresh = fresh[1:]  # the echo (ATE1)
        final = state["final"]
        if fresh and fresh[-1] == final:
            fresh = fresh[:-1]
        lines = stale + fresh
        return CommandResult(line, final, lines, self.sim.now - t0, raw)

    def _scan_final(self, state: dict[str, Any]) -> bool:
        text = self._pending
        pos = state["start"]
        for m in _LINE_SPLIT.finditer(text, pos):
            candidate = text[pos:m.start()].strip()
            pos = m.end()
            if candidate and FINAL_LINE.match(candidate):
                state["final"] = candidate
                state["end"] = pos
                return True
        tail = text[pos:]
        if PROMPT_TAIL.search(text) and tail.strip() == ">":
            state["final"] = ">"
            state["end"] = len(text)
            return True
        return False


def _compile(pattern: str | bytes | re.Pattern[str]) -> re.Pattern[str]:
    if isinstance(pattern, re.Pattern):
        if isinstance(pattern.pattern, bytes):
            return re.compile(pattern.pattern.decode("latin-1"), pattern.flags & ~re.UNICODE)
        return pattern
    if isinstance(pattern, bytes):
        pattern = pattern.decode("latin-1")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConfigError("pattern", f"invalid regular expression {pattern!r}: {exc}") from None


def _timeout(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError("timeout", f"expected a non-negative number of seconds, got {value!r}")
    return float(value)
