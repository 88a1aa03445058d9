"""The host side of the UART for tests, scenarios and notebooks: pexpect over virtual time.

``dte.command("AT+CSQ")`` writes the line with CR and runs the virtual clock until a final
result code arrives (or the timeout passes, raising :class:`simnet.ExpectTimeout`).
``dte.expect(r"\\+CIPOPEN: 0,0")`` runs the clock until the pattern appears after the match
cursor. Received bytes are kept (bounded) so anything can be inspected afterwards.

Cost stays linear in the bytes received: they are appended to a ``bytearray`` (trimmed from the
front in O(1)), and a wait searches again only the newly arrived tail plus the pattern's
maximum width, decoding just that window.

Nothing the module sends is thrown away unread. Bytes that arrived before a ``command()`` and
were not consumed stay available to ``expect()``; lines sent outside command responses are also
framed as URCs (:mod:`simnet.modem.urc`) into ``dte.urcs``, taken with
``dte.next_urc(pattern, timeout)`` or handled as they arrive by ``dte.on(pattern, callback)``.
The byte stream and the URC queue are two views: ``expect()`` consumes bytes (and the URCs its
match covers), ``next_urc()`` consumes URCs.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final, overload

from simnet.errors import DialError, ExpectTimeout
from simnet.kernel.sim import check_seconds
from simnet.modem.uart import Uart
from simnet.modem.urc import Urc, UrcFramer, match_urc, response_data_length

# Verbose final result codes (V.250 §5.7.1, TS 27.007 §9.2, TS 27.005 §3.2.5).
FINAL_LINE: Final = re.compile(
    r"(?:OK|ERROR|NO CARRIER|BUSY|NO ANSWER|NO DIALTONE|CONNECT(?: .*)?|\+CME ERROR: .*|\+CMS "
    r"ERROR: .*)"
)
NUMERIC_FINAL: Final = re.compile(r"[0-9]{1,4}")  # V.250 codes; vendors' own run to 4 digits
_LINE_END = re.compile(r"\r\n|\r|\n")
# What ends the DTE's data-mode view: the module's NO CARRIER, or its OK / ERROR back in
# command mode (after +++, or when data ends in-band).
_DATA_MODE_END: Final = re.compile(rb"NO CARRIER|\r\nOK\r\n|\r\n(?:\+CME )?ERROR(?::[^\r\n]*)?\r\n")
MAX_HOST_BAUD: Final = 16_000_000  # above any UART a host driver can set
KEEP_CONSUMED: Final = 1 << 20  # default keep_consumed: already-matched history kept
_LOOKBEHIND: Final = 256  # bytes before a search's start a pattern may look back at
_WHOLE: Final = 1 << 16  # below this many kept bytes a match's .string is all of them (as before)
_LOOKAROUND: Final = 64  # slack for lookaheads and anchors when a search resumes near the end
_MAX_RESUMABLE: Final = 4096  # patterns wider than this (or unbounded) are searched from the cursor


@lru_cache(maxsize=4096)
def _compile_text(pattern: str) -> re.Pattern[str]:
    """``re.compile`` with a cache of its own: re's holds 512 patterns, and a process running
    many scenarios (the library: ~1,500 distinct expect patterns) would compile most of them
    again on every run. Compiled patterns are immutable, so callers share them."""
    return re.compile(pattern)


# 4096: a scenario library has ~1,500 distinct patterns; 256 were recomputed on every run
@lru_cache(maxsize=4096)
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


_MAX_URCS: Final = 10_000  # URCs kept unread before the oldest are dropped (urcs_dropped)
_URC_LIKE: Final = re.compile(r"\+|\^|RING|NO CARRIER|RECV FROM|CLOSED|\d+, CLOSED")
_IPRFMT: Final = re.compile(r'AT\+GTSET="IPRFMT",(\d)', re.I)


@dataclass(slots=True)
class _Scan:
    """Progress of one command's search for its final result (absolute byte offsets)."""

    line_abs: int  # start of the first line not yet decided
    first: bool = True  # that line may still be the echo
    no_break_abs: int = 0  # no line end between line_abs and here


class _Watch:
    """One pending wait for a pattern: where its search resumes, the event to fire."""

    __slots__ = ("regex", "width", "resume", "end", "consume", "event", "timer")

    def __init__(self, regex: re.Pattern[str], *, consume: bool = True) -> None:
        self.regex = regex
        self.width = _max_width(regex.pattern, regex.flags)
        self.resume = 0  # matches cannot start before this absolute offset (searched already)
        self.end = 0
        self.consume = consume
        self.event: Any = None
        self.timer: Any = None


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
        return self.final in ("ERROR", "4") or self.final.startswith(
            ("+CME ERROR", "+CMS ERROR", "#CME ERROR")
        )

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

    def __init__(
        self,
        sim: Any,
        target: Any,
        *,
        extra_finals: tuple[str, ...] = (),
        max_buffer: int = 16 * 1024 * 1024,
        # object: checked below with this message in both builds (compiled, an int parameter
        # would refuse a float with mypyc's own TypeError first)
        keep_consumed: object = KEEP_CONSUMED,
    ) -> None:
        if (
            isinstance(keep_consumed, bool)
            or not isinstance(keep_consumed, int)
            or keep_consumed < 64
        ):
            raise ValueError(
                f"DTE keep_consumed: expected at least 64 bytes, got {keep_consumed!r}"
            )
        self.sim = sim
        uart: Uart = target if isinstance(target, Uart) else target.uart
        self.uart = uart
        self.port = uart.dte
        self.port.on_receive = self._on_receive
        # Received bytes kept, from absolute offset self._base: ``_buf`` (below) is all of them
        # in one buffer. While nothing looks at them (no command, no wait, no tap) arrivals
        # are only listed in ``_pieces`` and joined into ``_flat`` when something does: a
        # host that lets a long download arrive unread does not copy its growing buffer again
        # and again.
        self._flat = bytearray()
        self._pieces: list[bytes] = []
        self._pieces_len = 0
        # The kept bytes as text while a search's window is all of them (see _search):
        # decoded once, then extended by what arrives (base it starts at, text).
        self._kept_base = 0
        self._kept_text = ""
        self._base = 0
        self._cursor = 0  # absolute offset of the match cursor
        self._received = 0
        self.max_buffer = max_buffer
        # Bytes already matched (read) kept for inspection (``received``) before the oldest
        # half is let go; a fleet's world gives each device a share of one budget.
        self.keep_consumed = keep_consumed
        self.dropped = 0
        # Bytes also go here while a protocol owns the line (the PPP client after CONNECT).
        self.tap: Any = None
        self._watches: list[_Watch] = []  # pending expect_event waits
        self._deadlines: Any = sim.deadlines()  # their timeouts: one queue entry at a time
        self._finals = FINAL_LINE
        profile = getattr(target, "profile", None)
        extra_finals = tuple(extra_finals) + tuple(getattr(profile, "final_lines", ()) or ())
        if extra_finals:
            self._finals = re.compile(FINAL_LINE.pattern[:-1] + "|" + "|".join(extra_finals) + ")")
        # Unread bytes that came before a command() (offset, bytes): still there for expect().
        self._carry: list[tuple[int, bytes]] = []
        profile = getattr(target, "profile", None)
        self.vendor: str = (getattr(profile, "vendor", "") or "").lower()
        self.module_id: str = getattr(profile, "id", "") or ""
        self._framer = UrcFramer(self.vendor)
        self.urcs: deque[Urc] = deque()
        self.urcs_dropped = 0
        self._urc_serial = 0  # URCs framed so far (next_urc looks again only when it moved)
        self._handlers: list[tuple[Callable[[Urc], Any], Callable[[Urc], Any], bool]] = []
        self._in_command = False
        self._in_handler = False
        self._data_mode = False  # after CONNECT: bytes are data, not lines
        self._data_tail = b""  # the last bytes of data mode (a result split between chunks)
        self._prompt_open = False  # after a ">" prompt: what the host writes is data...
        self._echo = bytearray()  # ...which the module may echo: not URCs
        from simnet.modem.socketdata import SocketData

        self._socket_data = SocketData(self)  # from the start: it must see every AT+CIPOPEN

    # -- byte stream -------------------------------------------------------------------------
    @property
    def _buf(self) -> bytearray:
        """Every kept byte in one buffer (the listed arrivals joined first)."""
        if self._pieces:
            self._flat += b"".join(self._pieces)
            self._pieces.clear()
            self._pieces_len = 0
        return self._flat

    def _on_receive(self, data: bytes, _t: float, _bt: float) -> None:
        if self.tap is not None:
            self.tap(data)
        n = len(data)
        self._received += n
        if self._in_command or self._watches or self.tap is not None:
            self._buf.extend(data)  # a wait looks at the kept bytes at once: keep them joined
        else:
            self._pieces.append(data)
            self._pieces_len += n
        overflow = len(self._flat) + self._pieces_len - self.max_buffer
        if not self._in_command:
            self._frame(data, self._received - len(data))
        if overflow > 0:  # a host that never reads: keep the newest bytes only
            self._trim(self._base + overflow)
            self.dropped += overflow
        if self._watches:
            for watch in list(self._watches):
                if self._check_watch(watch):
                    self._watches.remove(watch)
                    watch.timer.cancel()

    def _trim(self, upto: int) -> None:
        cut = upto - self._base
        if cut <= 0:
            return
        flat = self._flat
        if cut <= len(flat):
            del flat[:cut]
        else:  # into the listed arrivals: whole ones let go, nothing joined
            cut -= len(flat)
            flat.clear()
            pieces = self._pieces
            k = 0
            while k < len(pieces) and len(pieces[k]) <= cut:
                cut -= len(pieces[k])
                self._pieces_len -= len(pieces[k])
                k += 1
            del pieces[:k]
            if cut:
                pieces[0] = pieces[0][cut:]
                self._pieces_len -= cut
        self._base = upto
        self._cursor = max(self._cursor, upto)

    def _kept(self) -> str:
        """Every kept byte as latin-1 text (what ``_text(self._base)`` returns), decoding only
        what arrived since the last call: a wait that searches again after each arrival does
        not decode the whole buffer each time."""
        have = len(self._kept_text)
        if self._kept_base != self._base or have > len(self._buf):  # trimmed meanwhile
            self._kept_base, self._kept_text, have = self._base, "", 0
        if have < len(self._buf):
            # Appended through a local holding the only reference: CPython then grows the
            # string in place (realloc) instead of copying all of it for every arrival.
            text = self._kept_text
            self._kept_text = ""
            text += self._buf[have:].decode("latin-1")
            self._kept_text = text
        return self._kept_text

    @property
    def _end(self) -> int:
        return self._base + len(self._flat) + self._pieces_len

    def _text(self, start: int, end: int | None = None) -> str:
        """Kept bytes from absolute offset ``start`` (to ``end``) as latin-1 text."""
        stop = None if end is None else end - self._base
        return self._buf[start - self._base : stop].decode("latin-1")

    @property
    def received(self) -> bytes:
        """Every byte kept so far: all unread bytes (up to ``max_buffer``: the oldest unread
        beyond it are dropped, counted in ``dropped``) and, of the bytes already read (matched
        or taken), at least the newest ``keep_consumed // 2`` and at most ``keep_consumed``."""
        return bytes(self._buf)

    @property
    def bytes_received(self) -> int:
        return self._received

    @overload
    def write(self, data: bytes | bytearray | memoryview) -> int: ...
    @overload
    def write(self, data: str) -> int: ...

    # The implementation takes any object: a wrong type gets this method's own TypeError, in
    # the compiled build too (mypyc would check a typed argument first, in its own words).
    def write(self, data: object) -> int:
        """Queue bytes on the line (they take time at the baud rate)."""
        raw: bytes
        if isinstance(data, bytes):
            raw = data
        elif isinstance(data, str):
            try:
                raw = data.encode("latin-1")
            except UnicodeEncodeError as exc:
                raise ValueError(
                    f"dte.write(): {data[exc.start]!r} is not one byte; a UART carries "
                    "bytes (expected latin-1 text, or bytes encoded as you need)"
                ) from None
        elif isinstance(data, bytearray | memoryview):
            raw = bytes(data)
        else:
            raise TypeError(f"dte.write(): expected bytes or str, got {type(data).__name__}")
        if self._prompt_open:
            self._echo += raw
        if self._socket_data.edsoft:
            self._socket_data.on_write(raw)
        return self.port.write(raw)

    def send_line(self, text: str) -> None:
        self.write(text + "\r")

    def read_available(self) -> bytes:
        """Everything not consumed yet (the cursor moves to the end)."""
        out = self._carried() + self._from_cursor()
        self._carry.clear()
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

    def dial(
        self,
        number: str = "*99#",
        *,
        username: str = "",
        password: str = "",
        auth: str = "any",
        apn: str | None = None,
        # float | int: mypyc 2.4 cannot build the text signature of a **kwargs method with a
        # float default (its presence bitmap argument ends up positional-only)
        timeout: float | int = 200.0,
        check: bool = True,
        name: str = "dte",
        **ppp: Any,
    ) -> Any:
        """Dial-up as a gateway with pppd does: ``ATD<number>`` (``*99#`` GPRS, or a GSM data
        number), then PPP on the line; returns a :class:`~simnet.modem.dialup.PppHost` whose
        sockets go over the link. ``apn`` first defines context 1 (AT+CGDCONT). The clock runs
        until IPCP is up or the negotiation failed; with ``check`` a failure raises
        :class:`simnet.DialError` (its ``outcome`` says why), otherwise ``host.outcome`` does.
        A dial the module refuses with NO CARRIER is followed by ``AT+CEER``, as dialers do, and
        its cause (e.g. ``not registered (PS)``: dialled before AT+CGREG? said 1 or 5) joins
        the outcome's detail; so is, with ``check``, a link that failed after CONNECT, once the
        module's NO CARRIER has been read (the line is in command mode when DialError comes).
        With ``check``, a link not up within ``timeout`` is hung up and its NO CARRIER read too
        before DialError (``cancelled``): that takes up to 20 more virtual seconds (the bound
        of ``PppHost.hangup``).
        Extra keywords are PPP client settings (``echo_interval``, ``restart``, ...)."""
        from simnet.bearer.outcomes import Outcome, OutcomeKind
        from simnet.modem.dialup import PppHost, client_config

        host = PppHost(
            self, client_config(username=username, password=password, auth=auth, **ppp), name=name
        )
        if apn is not None:
            self.command(f'AT+CGDCONT=1,"IP","{apn}"')
        started = self.sim.now
        result = self.command(f"ATD{number}", timeout=timeout)
        if not (result.final.startswith("CONNECT") or result.final == "1"):  # V.250 §5.7.1
            kind = {
                "BUSY": OutcomeKind.BUSY,
                "7": OutcomeKind.BUSY,
                "NO ANSWER": OutcomeKind.NO_ANSWER,
                "8": OutcomeKind.NO_ANSWER,
            }.get(result.final, OutcomeKind.NO_CARRIER)
            refused_at, detail = self.sim.now, result.final
            if result.final in ("NO CARRIER", "3"):
                cause = self._extended_error()
                detail += f"; +CEER: {cause}" if cause else ""
            host.outcome = Outcome(kind, detail=detail).stamped(refused_at)
        else:
            host.start()
            left = max(0.0, timeout - (self.sim.now - started))
            if not self.sim.run_until(lambda: host.result.triggered, left):
                if check:  # give the line back in command mode, as after a failed link
                    self._end_cancelled_link(host)
                else:
                    host.hangup(wait=False)
                # after the hangup, whose LCP close the PPP client reports as its own outcome
                host.outcome = Outcome(
                    OutcomeKind.CANCELLED, detail=f"no IP link within {timeout:g} s"
                )
            elif check and host.outcome is not None and not host.outcome.ok:
                left = max(0.0, timeout - (self.sim.now - started))
                host.outcome = self._after_failed_link(host, host.outcome, left)
        if check and (host.outcome is None or not host.outcome.ok):
            raise DialError(host.outcome)
        return host

    def _after_failed_link(self, host: Any, outcome: Any, timeout: float) -> Any:
        """PPP failed after CONNECT (e.g. the network rejected the PDP activation and the
        module terminated the link): the module still ends the call with NO CARRIER at Link
        Dead. Read it as ``hangup()`` does, so that the caller's next command meets command
        mode rather than data mode, then ask ``AT+CEER`` as dialers do and join its cause to
        the outcome's detail. Without a NO CARRIER within ``timeout`` the outcome stays as it
        is."""
        from dataclasses import replace

        if not self.sim.run_until(lambda: b"NO CARRIER" in self.peek(), timeout):
            return outcome
        try:
            host.hangup(timeout=max(0.0, timeout))
        except ExpectTimeout:
            return outcome
        cause = self._extended_error()
        if not cause:
            return outcome
        detail = f"{outcome.detail}; +CEER: {cause}" if outcome.detail else f"+CEER: {cause}"
        return replace(outcome, detail=detail)

    def _end_cancelled_link(self, host: Any) -> None:
        """The caller's timeout ran out before IPCP was up: end the link as pppd does when
        its connect time runs out (LCP Terminate-Request) and read the module's NO CARRIER, so
        that the caller's next command meets command mode. The module has ``hangup()``'s
        bound (20 virtual seconds) to answer; past it the line is left as it is."""
        try:
            host.hangup()
        except ExpectTimeout:
            pass

    def _extended_error(self) -> str:
        """The module's cause of the last call failure (TS 27.007 §6.10 AT+CEER), '' if it
        has none to give."""
        result = self.command("AT+CEER", timeout=5.0)
        line = result.line("+CEER:") if result.ok else None
        return line[len("+CEER:") :].strip() if line else ""

    def cmux(
        self, channels: tuple[int, ...] = (1, 2), *, n1: int = 31, timeout: float = 10.0
    ) -> Any:
        """Start TS 27.010 multiplexing as esp_modem or Linux n_gsm do: ``AT+CMUX=0``, then
        SABM on DLCI 0 and on each of ``channels``. Returns the ``HostMux``; ``mux.channels[n]``
        is a DTE on DLCI n (``command``, ``expect``, ``dial`` ...). ``mux.close()`` ends it."""
        from simnet.modem.cmux import HostMux

        line = "AT+CMUX=0" if n1 == 31 else f"AT+CMUX=0,0,5,{n1}"
        result = self.command(line, timeout=timeout)
        if not result.ok:
            raise ExpectTimeout(f"OK to {line} (got {result.final})", timeout, result.raw)
        mux = HostMux(self, n1=n1).start()
        for dlci in channels:
            mux.open(dlci, timeout)
        return mux

    def peek(self) -> bytes:
        """Bytes not consumed yet (after the cursor, and any left before a command), without
        consuming them."""
        return self._carried() + self._from_cursor()

    def _from_cursor(self) -> bytes:
        """The kept bytes from the cursor on. Listed arrivals are not joined into the kept
        buffer for it: a host reading a download as it comes copies each byte once here."""
        at = self._cursor - self._base
        flat = self._flat
        pieces = self._pieces
        if at < len(flat):
            head = bytes(flat[at:])
            return head + b"".join(pieces) if pieces else head
        at -= len(flat)
        k = 0
        while k < len(pieces) and at >= len(pieces[k]):  # already read: kept as history
            at -= len(pieces[k])
            k += 1
        if k == len(pieces):
            return b""
        if at:
            return pieces[k][at:] + b"".join(pieces[k + 1 :])
        return b"".join(pieces[k:])

    def _carried(self) -> bytes:
        return b"".join(seg for _, seg in self._carry)

    def _since(self, start: int) -> bytes:
        """Kept bytes from absolute offset ``start``."""
        return bytes(self._buf[max(0, start - self._base) :])

    def wait(self, seconds: float) -> None:
        """Let virtual time pass (bytes keep arriving)."""
        self.sim.advance(seconds)  # checks the argument; a step below float resolution is none

    def _maybe_trim(self) -> None:
        keep = self.keep_consumed
        if self._cursor - self._base > keep:
            self._trim(self._cursor - keep // 2)

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
    def baud(self, rate: object) -> None:  # object: checked here, with a clear message
        if isinstance(rate, bool) or not isinstance(rate, int):
            raise TypeError(f"dte.baud must be an int (bits per second), got {type(rate).__name__}")
        if not 0 < rate <= MAX_HOST_BAUD:
            raise ValueError(
                f"dte.baud: expected a rate from 1 to {MAX_HOST_BAUD} bit/s "
                f"(such as 115200), got {rate}"
            )
        self.port.baud = rate

    @property
    def rtscts(self) -> bool:
        return self.port.rtscts

    @rtscts.setter
    def rtscts(self, on: bool) -> None:
        self.port.rtscts = bool(on)
        self.port._kick()

    # -- pexpect-style waits -----------------------------------------------------------------
    def expect(
        self, pattern: str | bytes | re.Pattern[str], timeout: float = 10.0
    ) -> re.Match[str]:
        """Run the clock until ``pattern`` matches after the cursor; the cursor moves past it.

        Patterns are matched against the received bytes decoded as latin-1 (one character per
        byte). Raises :class:`simnet.ExpectTimeout` when ``timeout`` virtual seconds pass.
        """
        self._check_not_in_handler("expect")
        check_seconds(timeout, "timeout", "dte.expect()")
        if isinstance(pattern, bytes | bytearray):
            pattern = bytes(pattern).decode("latin-1")
        # Anything with re.Pattern's search(text, pos), pattern and flags will do (the scenario
        # runner passes a pattern with a wall-clock bound on backtracking).
        if isinstance(pattern, str):
            try:
                regex = _compile_text(pattern)
            except re.error as exc:
                raise ValueError(
                    f"dte.expect(): {pattern[:80]!r} is not a regular expression: {exc}"
                ) from None
        elif hasattr(pattern, "search") and hasattr(pattern, "pattern"):
            regex = pattern
        else:
            raise TypeError(
                f"dte.expect(): pattern must be a str, bytes or compiled pattern, "
                f"got {type(pattern).__name__}"
            )
        carried = self._expect_carried(regex)
        if carried is not None:
            return carried
        watch = _Watch(regex)
        found: list[re.Match[str]] = []
        seen = [-1]

        def done() -> bool:
            if self._received == seen[0]:
                return False
            seen[0] = self._received
            m = self._search(watch)
            if m is None:
                return False
            found.append(m)
            return True

        if not self.sim.run_until(done, timeout):
            raise ExpectTimeout(regex.pattern, timeout, self.peek())
        self._consume_match(watch, found[-1])
        return found[-1]

    def _consume_match(self, watch: _Watch, m: re.Match[str]) -> None:
        """The cursor moves past a match: what came before it (left before a command, too) is
        read, and so are the URCs the match covers."""
        self._cursor = watch.end
        self._carry.clear()
        self._take_urcs(watch.end - (m.end() - m.start()), watch.end)
        self._maybe_trim()

    def _search(self, watch: _Watch) -> re.Match[str] | None:
        """Search for ``watch``'s pattern after the cursor, resuming where an earlier search of
        the same wait left off; on a match ``watch.end`` is its absolute end."""
        start = max(watch.resume, self._cursor)
        if start - self._base < _WHOLE:
            window = self._base
            text = self._kept()
        else:
            window = start - _LOOKBEHIND
            text = self._text(window)
            self._kept_text = ""  # past the whole-buffer regime: let it go
        m = watch.regex.search(text, start - window)
        if m is None:
            if watch.width is not None:
                watch.resume = self._end - watch.width - _LOOKAROUND
            return None
        watch.end = window + m.end()
        return m

    # -- waits that do not run the clock (many DTEs on one clock: fleets) ---------------------
    def expect_event(
        self, pattern: str | bytes | re.Pattern[str], timeout: float = 10.0, *, consume: bool = True
    ) -> Any:
        """Like :meth:`expect`, without running the clock: a SimPy event whose value is the
        ``re.Match`` once the pattern arrives (the cursor moves past it unless ``consume`` is
        False) or None when ``timeout`` virtual seconds pass first. For host programs written as
        SimPy processes (``m = yield dte.expect_event("OK")``), e.g. a fleet's devices."""
        if isinstance(pattern, bytes):
            pattern = pattern.decode("latin-1")
        regex = pattern if isinstance(pattern, re.Pattern) else _compile_text(pattern)
        watch = _Watch(regex, consume=consume)
        watch.event = self.sim.event()
        carried = self._expect_carried(regex) if consume else None
        if carried is not None:  # it came before the last command and was not read yet
            watch.event.succeed(carried)
            return watch.event
        watch.resume = self._cursor
        if not self._check_watch(watch):
            self._watches.append(watch)
            watch.timer = self._deadlines.add(timeout, self._watch_expired, watch)
        return watch.event

    def _check_watch(self, watch: _Watch) -> bool:
        m = self._search(watch)
        if m is None:
            return False
        if watch.consume:
            self._consume_match(watch, m)
        watch.event.succeed(m)
        return True

    def _watch_expired(self, watch: _Watch) -> None:
        if watch in self._watches:
            self._watches.remove(watch)
            watch.event.succeed(None)

    def command(self, line: str, timeout: float = 10.0) -> CommandResult:
        """Write ``line`` + CR and run the clock until a final result code; see CommandResult.

        Bytes that arrived before the write and were not consumed stay for ``expect()`` (and
        their lines are in ``urcs``); the response itself is consumed.
        """
        self._check_not_in_handler("command")
        check_seconds(timeout, "timeout", "dte.command()")
        if not isinstance(line, str):
            raise TypeError(
                f"dte.command(): line must be a str such as 'AT+CSQ', got {type(line).__name__}"
            )
        if self._in_command:  # another host task's command is on the line: wait for its end
            waited = self.sim.now
            if not self.sim.run_until(lambda: not self._in_command, timeout):
                raise ExpectTimeout(f"the line to be free for {line!r}", timeout, self.peek())
            timeout -= self.sim.now - waited
        self._carry_unread()
        self._prompt_open = False
        self._echo.clear()
        self._cursor = self._end
        start_abs = self._cursor
        started = self.sim.now
        self.write(line + "\r")
        hit: list[tuple[str, int, int]] = []
        seen = [-1]
        pending_numeric: list[float] = []
        scan = _Scan(start_abs)

        def done() -> bool:
            if pending_numeric and self.sim.now >= pending_numeric[0]:
                result = self._scan_final(start_abs, allow_open_numeric=True, scan=scan)
                if result is not None:
                    hit.append(result)
                    return True
            if self._received == seen[0]:
                return False
            seen[0] = self._received
            result = self._scan_final(start_abs, allow_open_numeric=False, scan=scan)
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

        self._in_command = True
        try:
            ok = self.sim.run_until(done, timeout)
        finally:
            self._in_command = False
        if not ok:
            self._framer.skip(start_abs)  # what came was no complete response: frame it as is
            self._frame(self._since(start_abs), start_abs)
            raise ExpectTimeout(
                f"final result code for {line!r}",
                timeout,
                bytes(self._buf[start_abs - self._base :]),
            )
        final, line_start, end = hit[-1]
        raw = self._text(start_abs, end)
        body = self._text(start_abs, line_start)
        lines = [ln for ln in _LINE_END.split(body) if ln]
        lines = self._split_urcs_before_echo(lines, line, start_abs)
        if lines and lines[0].strip() == line.strip():
            lines = lines[1:]  # the echo
        self._cursor = end
        self._after_response(line, final, end)
        self._maybe_trim()
        result = CommandResult(
            line, final, lines, raw.encode("latin-1"), self.sim.now - started, started
        )
        self._socket_data.on_response(result)
        return result

    def _scan_final(
        self, start_abs: int, allow_open_numeric: bool, scan: _Scan | None = None
    ) -> tuple[str, int, int] | None:
        """Find the first final result line after ``start_abs``: (text, line start, end).

        ``scan`` carries what earlier calls decided (lines whose verdict cannot change, and how
        far the unfinished line is known to hold no line end), so a long echo costs linear time
        over the whole command instead of a decode and rescan per arriving chunk."""
        if scan is None:
            scan = _Scan(start_abs)
        origin = max(scan.line_abs, self._base)
        buf = self._buf
        probe = max(origin, scan.no_break_abs) - self._base
        if buf.find(b"\n", probe) < 0 and buf.find(b"\r", probe) < 0:
            scan.no_break_abs = self._base + len(buf)  # the undecided line is still arriving
            tail = len(buf) - (origin - self._base)
            # An unterminated "> " at the end, with the output paused: a data prompt.
            if allow_open_numeric and tail <= 4 and self._text(origin).strip() == ">":
                return ">", origin, self._base + len(buf)
            return None
        text = self._text(origin)
        base = origin  # absolute offset of text[0]
        pos = 0
        first = scan.first
        while True:
            m = _LINE_END.search(text, pos)
            if m is None:
                # An unterminated "> " at the end, with the output paused: a data prompt.
                if allow_open_numeric and len(text) - pos <= 4 and text[pos:].strip() == ">":
                    return ">", base + pos, base + len(text)
                return None
            content = text[pos : m.start()]
            terminator = m.group()
            skip = response_data_length(content) if content[:2] in ("+C", "+M") else 0
            if skip:  # +CIPRXGET: 2,... / +MIPDATA: ...: data follows, maybe with "OK" inside
                data_start = m.end() + (
                    1 if terminator == "\r" and text.startswith("\n", m.end()) else 0
                )
                if data_start + skip > len(text):
                    return None  # the data is still arriving
                pos = data_start + skip
                first = False
                scan.line_abs, scan.first = base + pos, first
                continue
            # A CR at the very end may be the first half of CR LF: only a numeric candidate.
            at_end = m.end() == len(text)
            if content and not (first and self._is_echo(content)):
                if self._finals.fullmatch(content) and (terminator != "\r" or not at_end):
                    end = m.end()
                    if terminator == "\r" and text.startswith("\n", end):
                        end += 1
                    return content, base + pos, base + end
                if ">" in content and content.strip() == ">" and (terminator != "\r" or not at_end):
                    end = m.end()
                    if terminator == "\r" and text.startswith("\n", end):
                        end += 1
                    return ">", base + pos, base + end  # prompt on its own line
                if terminator == "\r" and NUMERIC_FINAL.fullmatch(content):
                    nxt = text[m.end() : m.end() + 1]
                    if (nxt and nxt != "\n") or (not nxt and allow_open_numeric):
                        return content, base + pos, base + m.end()
            if content:
                first = False
            pos = m.end()
            # This line's verdict is final, so later calls start after it - unless it ended at
            # the very end with a lone CR (a numeric result or half a CR LF: not decided yet).
            if not at_end or terminator != "\r":
                scan.line_abs, scan.first = base + pos, first

    @staticmethod
    def _is_echo(content: str) -> bool:
        return content[:2].upper() == "AT" or content[:2].upper() == "A/"

    # -- URCs: lines the module sent outside command responses ---------------------------------
    def next_urc(self, pattern: str | re.Pattern[str] | None = None, timeout: float = 10.0) -> Urc:
        """The oldest unread URC whose line matches ``pattern`` (``re.search``; None: any),
        running the clock up to ``timeout`` virtual seconds for one to arrive. It is removed
        from ``urcs``; earlier URCs that do not match stay. Raises ExpectTimeout."""
        self._check_not_in_handler("next_urc")
        pred = match_urc(pattern)
        found: list[Urc] = []
        seen = [-1]

        def done() -> bool:
            if self._urc_serial == seen[0]:
                return False
            seen[0] = self._urc_serial
            for urc in self.urcs:
                if pred(urc):
                    found.append(urc)
                    return True
            return False

        if not self.sim.run_until(done, timeout):
            wanted = pattern.pattern if isinstance(pattern, re.Pattern) else (pattern or "any URC")
            raise ExpectTimeout(f"URC {wanted}", timeout, self.peek())
        self.urcs.remove(found[0])
        return found[0]

    def on(
        self,
        pattern: str | re.Pattern[str] | None,
        callback: Callable[[Urc], Any],
        *,
        consume: bool = True,
    ) -> Callable[[], None]:
        """Call ``callback(urc)`` for every URC matching ``pattern`` as it arrives (at its
        virtual time). With ``consume`` the URC does not go to ``urcs``. The callback runs
        inside the simulation, so it must not wait (no ``command``/``expect``): to answer a URC
        with commands, ``sim.spawn`` a task that loops on ``next_urc``. Returns a function that
        removes the handler."""
        if not callable(callback):
            raise TypeError(f"dte.on() needs a callable, got {callback!r}")
        entry = (match_urc(pattern), callback, consume)
        self._handlers.append(entry)

        def remove() -> None:
            if entry in self._handlers:
                self._handlers.remove(entry)

        return remove

    @property
    def socket_data(self) -> Any:
        """Received socket data per link, decoded from this module's receive formats (see
        :class:`simnet.modem.socketdata.SocketData`)."""
        return self._socket_data

    def _check_not_in_handler(self, what: str) -> None:
        if self._in_handler:
            raise RuntimeError(
                f"dte.{what}() inside a dte.on() callback: callbacks run inside the "
                "simulation and must not wait; spawn a task (sim.spawn) that uses "
                "dte.next_urc() instead"
            )

    def _frame(self, data: bytes, start: int) -> None:
        if self.tap is not None or not data:
            self._framer.skip(start + len(data))
            return
        if self._socket_data.edsoft:
            start, data = self._edsoft_session(data, start)
            if not data:
                return
        self._frame_lines(data, start)

    def _frame_lines(self, data: bytes, start: int) -> None:
        if self._data_mode:  # data until the module's result says data mode is over
            # NO CARRIER (the call or link ended), or OK / ERROR (after +++, or a dialect whose
            # data ends in-band, e.g. WIPsoft's [ETX]): lines are URCs again from there. The
            # tail of the previous chunk catches a result split between two deliveries.
            joined = self._data_tail + data
            m = _DATA_MODE_END.search(joined)
            if m is None:
                self._data_tail = joined[-16:]
                self._framer.skip(start + len(data))
                return
            self._data_mode = False
            cut = max(0, m.start() - len(self._data_tail))  # the result may start in the tail
            self._data_tail = b""
            self._framer.skip(start + cut)
        if self._echo:  # the module echoing prompt data back (ATE1)
            n = 0
            while n < len(data) and n < len(self._echo) and data[n] == self._echo[n]:
                n += 1
            if n == 0:
                self._echo.clear()  # no echo (ATE0): nothing to skip
            else:
                del self._echo[:n]
                self._framer.skip(start + n)
        for urc in self._framer.feed(data, start, self.sim.now):
            self._deliver(urc)

    def _edsoft_session(self, data: bytes, start: int) -> tuple[int, bytes]:
        """eDsoft socket sessions: the lines up to an ``Ok_Info_WaitingForData`` are framed as
        usual, the session's bytes go to ``socket_data`` (not framed), what follows its ending
        [ETX] is lines again. Returns what is left to frame (start, bytes)."""
        sd = self._socket_data
        if sd.session is None:
            cut = sd.find_session_start(data)
            if cut < 0:
                return start, data
            self._frame_lines(data[:cut], start)  # delivers the line: it starts the session
            start, data = start + cut, data[cut:]
            self._framer.skip(start)
        if sd.session is not None and start == sd.lf_at and data[:1] == b"\n":
            start, data = start + 1, data[1:]  # Ok_Info_WaitingForData's CR LF was split
            self._framer.skip(start)
        if sd.session is not None and data:
            used = sd.feed_session(data)
            start, data = start + used, data[used:]
            self._framer.skip(start)
        return start, data

    def _deliver(self, urc: Urc) -> None:
        self._urc_serial += 1
        self._socket_data.on_urc(urc)
        consumed = False
        for pred, callback, consume in list(self._handlers) if self._handlers else ():
            if pred(urc):
                self._in_handler = True
                try:
                    callback(urc)
                finally:
                    self._in_handler = False
                consumed = consumed or consume
        if consumed:
            return
        if len(self.urcs) >= _MAX_URCS:
            self.urcs.popleft()
            self.urcs_dropped += 1
        self.urcs.append(urc)

    def _carry_unread(self) -> None:
        """Before a command: keep unread bytes (not just line ends) for expect()."""
        unread = self._since(self._cursor)
        if unread.strip(b"\r\n"):
            self._carry.append((self._cursor, unread))

    def _expect_carried(self, regex: re.Pattern[str]) -> re.Match[str] | None:
        for i, (start, seg) in enumerate(self._carry):
            m = regex.search(seg.decode("latin-1"))
            if m is None:
                continue
            rest = seg[m.end() :]
            self._carry[: i + 1] = [(start + m.end(), rest)] if rest.strip(b"\r\n") else []
            self._take_urcs(start + m.start(), start + m.end())
            return m
        return None

    def _take_urcs(self, start: int, end: int) -> None:
        """URCs a match covered were read by it."""
        if self.urcs and start < end:
            for urc in [u for u in self.urcs if u.start < end and u.end > start]:
                self.urcs.remove(urc)

    def _split_urcs_before_echo(self, lines: list[str], line: str, start_abs: int) -> list[str]:
        """Lines before the command's echo were URCs racing the command (the module had not
        read its CR yet); a module never writes a URC inside a response."""
        echo = line.strip()
        if echo in lines[1:4] and lines[0].strip() != echo:
            i = lines.index(echo)
            if not all(_URC_LIKE.match(text) for text in lines[:i]):
                return lines  # echo off, and a listed line happens to equal the command
            self._framer.skip(start_abs)
            for text in lines[:i]:
                self._deliver(Urc(self.sim.now, text, start=start_abs, end=start_abs))
            return lines[i:]
        return lines

    def _after_response(self, line: str, final: str, end: int) -> None:
        self._framer.skip(end)
        if self._socket_data.edsoft:  # answered: no session ran, unless this one opens it
            self._socket_data.end_session()
            self._socket_data.start_session(final)
        self._prompt_open = final == ">"
        self._echo.clear()
        # A command answered: the module is in command mode, unless it answered CONNECT.
        self._data_mode = final.startswith("CONNECT")
        self._data_tail = b""
        m = _IPRFMT.fullmatch(line.strip())
        if m and final in ("OK", "0"):
            self._framer.fibocom_iprfmt = int(m.group(1))
        self._frame(self._since(end), end)  # what came after the final result code
