"""The UART side of a module: its mode state machine, on the virtual clock.

:class:`ModeMachine` owns what the line carries and where received bytes go (the sans-IO
pieces it drives: :class:`~simnet.modem.at.LineAssembler`, :class:`~simnet.modem.at.LineEndFilter`,
:class:`~simnet.modem.at.ResultFormatter`, :class:`~simnet.modem.uart.EscapeDetector`,
:class:`PromptCollector`):

* **command** — bytes go to the line assembler (echoed under ATE1); a complete line is handed to
  the module (:class:`~simnet.modem.module.Module` runs it). Bytes arriving meanwhile wait
  (bounded) unless the command is abortable.
* **prompt** — a handler asked for bytes after a prompt (:class:`PromptSpec`).
* **data** — online data mode with a :class:`DataLink` after ``CONNECT``; ``+++`` with guard
  times (S2/S12) or DTR (AT&D1) suspends it into online command mode, ``ATO`` resumes it.

Output: information text and final results framed per ATV/ATQ/CMEE, URCs queued while a line
runs or a prompt is open (so they never split a response) and in data mode according to the
dialect, written when the UART is back in command mode; RTS/CTS, DCD, RI and DTR handling.
Nothing here raises on input.
"""

from __future__ import annotations

import enum
import traceback
import typing
from collections import deque
from typing import TYPE_CHECKING, Any

import simpy

from simnet.kernel.trace import Trace
from simnet.modem.at import (
    NO_CARRIER,
    Final,
    LineAssembler,
    LineEndFilter,
    LineOverflow,
    LineReady,
    NeedData,
    RepeatLast,
    ResultFormatter,
    ResultKind,
    connect,
    text_result,
)
from simnet.modem.dialect import DataLink, PromptResult, PromptSpec
from simnet.modem.uart import CHUNK, EscapeDetector, Uart, fifo_round

if TYPE_CHECKING:
    from simnet.kernel import Simulation
    from simnet.kernel.sim import Timer
    from simnet.modem.dialect import Dialect
    from simnet.modem.module import Settings
    from simnet.modem.profile import ModuleProfile

# The V.250 basic result codes a printed URC text may be (final_from_text), by their text.
_BASIC_RESULTS: typing.Final = {
    kind.value: kind
    for kind in (
        ResultKind.OK,
        ResultKind.NO_CARRIER,
        ResultKind.ERROR,
        ResultKind.BUSY,
        ResultKind.NO_ANSWER,
        ResultKind.NO_DIALTONE,
        ResultKind.RING,
    )
}


_LONGEST_BASIC: typing.Final = max(len(text) for text in _BASIC_RESULTS)


def _is_connect(upper: str) -> bool:
    """Whether an upper-cased printed result is CONNECT, with or without its <text>."""
    return upper == "CONNECT" or upper.startswith("CONNECT ")


def _within(seconds: float, byte_time: float) -> int:
    """Whole FIFO chunks that arrive strictly before ``seconds`` have passed (at least one): a
    delivery must land before a receiver timer of that length could fire."""
    chunks = (int(seconds / byte_time) - 1) // CHUNK
    return max(1, chunks) * CHUNK


class Mode(enum.StrEnum):
    """What the module's UART carries: AT command lines, a prompt's data, online data."""

    COMMAND = "command"
    PROMPT = "prompt"
    DATA = "data"


class PromptCollector:
    """Sans-IO: collects prompt-mode bytes per a :class:`PromptSpec`."""

    def __init__(self, spec: PromptSpec) -> None:
        self.spec = spec
        self.buf = bytearray()
        self._escaped = False

    def feed(self, data: bytes) -> tuple[PromptResult | None, int]:
        """Returns (result when finished, bytes consumed)."""
        spec = self.spec
        buf = self.buf
        if spec.length is not None:  # fixed length: slices, no per-byte work
            take = min(len(data), spec.length - len(buf))
            buf += data[:take]
            if len(buf) >= spec.length:
                return PromptResult(bytes(buf), "length"), take
            return None, take
        if spec.escape is None and not self._escaped:
            # No escaping: find the first terminator/cancel byte and copy up to it at once.
            stops = [i for i in (data.find(bytes((b,))) for b in (spec.terminator, spec.cancel)
                                 if b is not None) if i >= 0]
            end = min(stops) if stops else len(data)
            room = spec.max_len - len(buf)
            if end >= room:
                buf += data[:room]
                return PromptResult(bytes(buf), "full"), room
            buf += data[:end]
            if not stops:
                return None, len(data)
            reason = "terminator" if data[end] == spec.terminator else "cancel"
            return PromptResult(bytes(buf), reason), end + 1
        for i, byte in enumerate(data):
            if self._escaped:
                self._escaped = False
                buf.append(byte)
            elif spec.escape is not None and byte == spec.escape:
                self._escaped = True
                continue
            elif spec.terminator is not None and byte == spec.terminator:
                return PromptResult(bytes(buf), "terminator"), i + 1
            elif spec.cancel is not None and byte == spec.cancel:
                return PromptResult(bytes(buf), "cancel"), i + 1
            else:
                buf.append(byte)
            if len(buf) >= spec.max_len:
                return PromptResult(bytes(buf), "full"), i + 1
        return None, len(data)


class DataSession:
    """The engine's side of online data mode, handed to the :class:`DataLink`."""

    def __init__(self, module: ModeMachine, link: DataLink) -> None:
        self.module = module
        self.link = link
        self.active = True
        self.suspended = False  # online command mode (after +++ / DTR with AT&D1)
        self.started = False

    @property
    def tx_space(self) -> int:
        """Bytes the UART transmit buffer can take now (0 while suspended)."""
        if not self.active or self.suspended:
            return 0
        return self.module.port.space

    def to_dte(self, data: bytes) -> int:
        """Send bytes to the host; returns how many were accepted (0 while suspended)."""
        if not self.active or self.suspended or not data:
            return 0
        n = min(len(data), self.module.port.space)
        if n:
            self.module.port.write(data[:n])
        return n

    def end(self, message: str | Final | None = "NO CARRIER", *, keep_input: bool = False) -> None:
        """The connection ended by itself; leave data mode printing ``message`` (a result line
        such as ``"NO CARRIER"``, or a :class:`Final` rendered under the current ATV/CMEE, e.g.
        ``cme_error(841)``, or a dialect's own result with its ATV0 number; None: nothing).
        ``keep_input``: host bytes the link did not take are the host's next command lines (a
        link that ends at an in-band terminator such as WIPsoft's [ETX]), not discarded data."""
        self.module._session_ended(self, message, keep_input=keep_input)

    def resume_input(self) -> None:
        """The link can take more host bytes again."""
        self.module._pump_data()

    @property
    def receiving(self) -> bool:
        """Host bytes are arriving right now (a UART burst in flight has started to land)."""
        return self.module.port.incoming() > 0

    def catch_up(self) -> None:
        """Deliver now the host bytes already on the line (part of a burst still in flight):
        a link's timer calls this before deciding on what has arrived."""
        self.module.port.catch_up()


class ModeMachine:
    """The UART / mode state machine of a module (see the module docstring). The module
    (:class:`~simnet.modem.module.Module`, its glue) subclasses it: it runs the lines this
    hands over (``_start_line``), boots, and keeps the settings this reads."""

    # Set by the module.
    sim: Simulation
    profile: ModuleProfile
    settings: Settings
    dialect: Dialect
    name: str
    uart: Uart
    port: Any
    mux: Any
    _executing: bool
    _booting: bool
    # The simulation's trace and environment, held typed by the module: compiled, a call on
    # ``sim`` (an interpreted subclass: simnet.Simulation) goes through Python-level dispatch
    # and keyword parsing, a call on these does not. The records are the same.
    _trace: Trace
    _env: Any

    def _rec(self, kind: str, fields: dict[str, Any]) -> None:
        """``sim.record(self.name, kind, **fields)``, as a direct call."""
        self._trace.record(self._env._now, self.name, kind, fields)

    def _init_modes(self, command_buffer: int) -> None:
        """The state of a fresh line: command mode, nothing queued."""
        self._fmt = ResultFormatter()
        self._assembler = LineAssembler(command_buffer)
        self._eol = LineEndFilter()  # the LF after a command's CR (docs/assumptions.md)
        self.mode = Mode.COMMAND
        self._pending_input = bytearray()
        self._first_info = True
        self._idle_timer: Timer | None = None
        self._urcs: deque[bytes] = deque()
        # Prompt mode.
        self._prompt: PromptCollector | None = None
        self._prompt_event: simpy.Event | None = None
        self._prompt_timers: list[Any] = []
        self._prompt_deadline: float | None = None
        # Data mode.
        self.session: DataSession | None = None
        self._pending_link: DataLink | None = None
        self._escape = EscapeDetector(1.0)
        self._escape_timer: Timer | None = None
        self._rx_backlog = bytearray()
        self._pumping = False
        self._pump_again = False
        self._deferred_entry: tuple[DataLink, str | Final | None] | None = None
        self._ri_timer: Timer | None = None

    def _start_line(self, event: LineReady | RepeatLast | LineOverflow) -> None:
        raise NotImplementedError  # the module runs a line

    def _sync_settings(self) -> None:
        raise NotImplementedError  # the module applies E/V/Q/S3... to the formatter

    def _abort_line(self) -> bool:
        raise NotImplementedError  # the module interrupts an abortable running command

    def attach_port(self, port: Any) -> None:
        """Run the AT engine on ``port`` (the module end of a line): the UART, or a virtual
        channel of a multiplexer (simnet.modem.cmux), which moves the engine there."""
        self.port = port
        port.on_receive = self._on_rx
        port.on_signal = self._on_signal
        port.on_drain = self._on_tx_drain
        port.rx_limit = self._rx_limit

    @property
    def line_baud(self) -> int:
        """The UART's rate as the module reports it (CONNECT <rate>): the physical line's,
        also for an engine on a multiplexer channel."""
        mux = self.mux
        return mux.physical.baud if mux is not None else self.port.baud

    def _out(self, data: bytes) -> None:
        if data:
            self.port.write(data)

    def write_info(self, line: str) -> None:
        self._sync_settings()
        self._out(self._fmt.info(line, self._first_info))
        self._first_info = False

    def write_raw(self, data: bytes) -> None:
        self._out(data)

    def format_final(self, final: Final) -> bytes:
        self._sync_settings()
        if final.kind is ResultKind.CONNECT and final.text and self.settings.x_level == 0:
            final = connect("")  # V.250 §6.2.7: ATX0 reports CONNECT without <text>
        if final.kind is not ResultKind.CME and final.kind is not ResultKind.CMS:
            return self._fmt.final(final)  # no error text to look up (the common case)
        return self._fmt.final(
            final, self.dialect.cme_errors.as_text_map(), self.dialect.cms_errors.as_text_map()
        )

    def _write_final(self, final: Final) -> None:
        self._out(self.format_final(final))
        fields = {"result": final.kind._value_, "code": final.code, "text": final.text}
        self._rec("result", fields)

    def urc(self, text: str) -> None:
        """An unsolicited result code: written now if the UART is free, else queued.

        The V.250 basic codes (``RING``, ``NO CARRIER``, ``CONNECT``...) follow ATV/ATQ like
        any result code (``2\r`` under ATV0, nothing under ATQ1); other URC text is framed
        as information text."""
        if self._booting:
            self.sim.record(self.name, "urc_dropped", text=text, reason="booting")
            return
        self._sync_settings()
        if not self._is_result_text(text):  # the common URC: information text, no Final
            data = self._fmt.urc(text)
        else:
            data = self.format_final(self.final_from_text(text))
            if not data:
                return  # ATQ1
        if self.mode is Mode.DATA and self.dialect.data_mode_urcs == "drop":
            self.sim.record(self.name, "urc_dropped", text=text)
            return
        if self._can_write_urc():
            self._out(data)
            self._rec("urc", {"text": text})
            return
        if len(self._urcs) >= self.profile.urc_queue:
            self._urcs.popleft()
            self.sim.record(self.name, "urc_dropped", text="(oldest)")
        self._urcs.append(data)
        self._rec("urc_queued", {"text": text})
        if self.mode is Mode.DATA and self.dialect.data_mode_urcs == "hold_ri":
            self.pulse_ri()

    def pulse_ri(self, seconds: float = 1.0) -> None:
        """Assert the ring indicator (V.24 circuit 125) for ``seconds``."""
        self.port.set_signal("ri", True)
        if self._ri_timer is not None:
            self._ri_timer.cancel()
        self._ri_timer = self.sim.call_later(seconds, self.port.set_signal, "ri", False)

    def urc_raw(self, data: bytes) -> None:
        """Unsolicited bytes without URC framing (e.g. socket data pushed to the host), under
        the same rules as :meth:`urc`: never inside a response, held or dropped in data mode."""
        if not data:
            return
        if self._booting:
            self.sim.record(self.name, "urc_dropped", n=len(data), reason="booting")
            return
        if self.mode is Mode.DATA and self.dialect.data_mode_urcs == "drop":
            self.sim.record(self.name, "urc_dropped", n=len(data))
            return
        if self._can_write_urc():
            self._out(bytes(data))
            return
        if len(self._urcs) >= self.profile.urc_queue:
            self._urcs.popleft()
            self.sim.record(self.name, "urc_dropped", text="(oldest)")
        self._urcs.append(bytes(data))

    def push_from(
        self, sock: Any, prefix: bytes, counted: bool, chunk_max: int, reserve: int
    ) -> bool:
        """Push what ``sock`` (a TCP socket) has received to the host as unsolicited output,
        piece by piece: ``prefix``, then (when ``counted``) the piece's length in decimal and
        CR LF, then the piece (SIMCom's ``RECV FROM``/``+IPD<len>`` direct push). A piece takes
        at most ``chunk_max`` bytes, and only what the UART can carry now beside ``reserve``
        header bytes, so a host that reads slowly holds the data back in the socket (the TCP
        window closes towards the peer) instead of losing it. Returns False when it stopped
        with data left, for want of room or because a line is running (the caller tries again
        later), True when the socket has nothing more to give."""
        port = self.port
        while sock.readable:
            room = port.space - reserve
            if room <= 0 or self.mode is not Mode.COMMAND or self._executing:
                return False
            data = sock.recv(chunk_max if room > chunk_max else room)
            if not data:
                break
            out = b"%b%d\r\n%b" % (prefix, len(data), data) if counted else prefix + data
            if self._booting:
                self.urc_raw(out)  # dropped, and traced as such
            else:
                port.write(out)  # what urc_raw does in command mode with no line running
        return True

    def _can_write_urc(self) -> bool:
        return self.mode is Mode.COMMAND and not self._executing and not self._booting

    def _flush_urcs(self) -> None:
        while self._urcs and self._can_write_urc():
            self._out(self._urcs.popleft())

    def _rx_limit(self, queued: bytearray, byte_time: float) -> int:
        """How many of the host's queued bytes to take in one UART delivery: as few as the
        engine needs to act at the right instant, as many as it can take at once.

        Command mode with echo on, and echoed prompts, keep FIFO-sized deliveries (echo follows
        each chunk); with ATE0 a command line is taken up to its S3. A prompt takes its remaining
        length or up to its terminator, without running past an idle or total timeout. Data mode
        takes what fits below the receive buffer's limit (the CTS watermark with RTS/CTS), so
        overflow and flow control act where they would byte by byte; links call ``catch_up``
        from their timers."""
        mode = self.mode
        if mode is Mode.COMMAND:
            if self.settings.echo or self._executing or self._booting:
                return CHUNK  # echo follows each FIFO chunk; a running line may be aborted
            # ATE0: a line needs no byte before its end (S3): take it whole, unless the line
            # idle timeout would run out while it is on the wire.
            want = len(queued)
            end = queued.find(self.settings.s.get(3, 13))
            if end >= 0:
                want = end + 1
            timeout = self.profile.line_idle_timeout
            if timeout:
                want = min(want, _within(timeout, byte_time))
            return fifo_round(want)
        if mode is Mode.DATA:
            session = self.session
            if session is None or not session.active or session.suspended or self._booting:
                return CHUNK
            if self.port.rtscts:
                room = self.profile.uart_rx_buffer * 3 // 4 - len(self._rx_backlog)
            else:
                room = self.profile.uart_rx_buffer - len(self._rx_backlog)
            return fifo_round(room)
        if mode is not Mode.PROMPT:
            return CHUNK
        collector = self._prompt
        if collector is None:
            return CHUNK
        spec = collector.spec
        echo = (
            spec.echo
            if spec.echo is not None
            else (self.dialect.prompt_echo and self.settings.echo)
        )
        if echo or spec.escape is not None:
            return CHUNK
        if spec.length is not None:
            want = spec.length - len(collector.buf)
        else:
            want = min(len(queued), spec.max_len - len(collector.buf))
            for stop in (spec.terminator, spec.cancel):
                if stop is not None:
                    i = queued.find(stop, 0, want)
                    if i >= 0:
                        want = i + 1
        if spec.idle_timeout is not None:
            want = min(want, _within(spec.idle_timeout, byte_time))
        if self._prompt_deadline is not None:
            want = min(want, _within(self._prompt_deadline - self.sim.now, byte_time))
        return fifo_round(want)

    def _on_rx(self, data: bytes, t_last: float, byte_time: float) -> None:
        if self._booting:
            self.sim.record(self.name, "rx_ignored", reason="booting", n=len(data))
            return
        if self._eol.armed:
            data = self._eol.feed(data)
            if not data:
                return
        if self.mode is Mode.DATA:
            self._data_rx(data, t_last, byte_time)
        elif self.mode is Mode.PROMPT:
            self._prompt_rx(data)
        elif self._executing:
            if self._abort_line():
                return  # V.250 §6.3.1: the aborting character is discarded
            self._queue_input(data)
        else:
            self._feed_command(data)

    def _queue_input(self, data: bytes) -> None:
        room = self.profile.uart_rx_buffer - len(self._pending_input)
        if len(data) > room:
            self.sim.record(self.name, "rx_overflow", dropped=len(data) - max(0, room))
            data = data[: max(0, room)]
        self._pending_input += data

    def _feed_command(self, data: bytes) -> None:
        while data:
            event = self._assembler.feed(data)
            used = event.consumed
            if self.settings.echo:
                self._out(data[:used])
            data = data[used:]
            if not isinstance(event, NeedData):
                self._cancel_idle_timer()
                if not isinstance(event, RepeatLast):
                    self._eol.arm()
                    data = self._eol.feed(data)
                if data:
                    self._pending_input[:0] = data
                self._start_line(event)
                return
        self._arm_idle_timer()

    def _arm_idle_timer(self) -> None:
        self._cancel_idle_timer()
        timeout = self.profile.line_idle_timeout
        if timeout and self._assembler.partial:
            self._idle_timer = self.sim.call_later(timeout, self._idle_expired)

    def _cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _idle_expired(self) -> None:
        self._idle_timer = None
        if self.mode is Mode.COMMAND and not self._executing and self._assembler.partial:
            self._assembler.reset()
            self.sim.record(self.name, "line_discarded", reason="idle")

    def _process_pending(self) -> None:
        """Feed bytes that arrived while a line ran, now that the engine is free."""
        while self._pending_input and not self._executing:
            data = bytes(self._pending_input)
            self._pending_input.clear()
            if self.mode is Mode.DATA:
                self._data_input(data)
            elif self.mode is Mode.PROMPT:
                self._prompt_rx(data)
            else:
                self._feed_command(data)

    def start_prompt(self, spec: PromptSpec) -> simpy.Event:
        event = simpy.Event(self._env)  # what sim.event() makes
        self._prompt = PromptCollector(spec)
        self._prompt_event = event
        self.mode = Mode.PROMPT
        self._out(spec.prompt)
        self._rec("prompt", {"length": spec.length})
        if spec.total_timeout is not None:
            self._prompt_deadline = self.sim.now + spec.total_timeout
            self._prompt_timers.append(
                self.sim.call_later(spec.total_timeout, self._prompt_timeout)
            )
        self._arm_prompt_idle()
        self._eol.disarm()  # from now on CR and LF are the host's data
        if self._pending_input:
            data = bytes(self._pending_input)
            self._pending_input.clear()
            self._prompt_rx(data)
        return event

    def _arm_prompt_idle(self) -> None:
        collector = self._prompt
        if collector is None or collector.spec.idle_timeout is None:
            return
        if len(self._prompt_timers) > 1:
            self._prompt_timers.pop().cancel()
        elif self._prompt_timers and collector.spec.total_timeout is None:
            self._prompt_timers.pop().cancel()
        self._prompt_timers.append(
            self.sim.call_later(collector.spec.idle_timeout, self._prompt_timeout)
        )

    def _prompt_rx(self, data: bytes) -> None:
        collector = self._prompt
        if collector is None:
            self._queue_input(data)
            return
        result, used = collector.feed(data)
        spec = collector.spec
        echo = (
            spec.echo
            if spec.echo is not None
            else (self.dialect.prompt_echo and self.settings.echo)
        )
        if echo:
            self._out(data[:used])
        if result is None:
            self._arm_prompt_idle()
            return
        rest = data[used:]
        if rest and not spec.discard_excess:
            self._pending_input[:0] = rest
        elif rest:
            self.sim.record(self.name, "prompt_excess_dropped", n=len(rest))
        self._finish_prompt(result)

    def _prompt_timeout(self) -> None:
        if self._prompt is not None:
            self._finish_prompt(PromptResult(bytes(self._prompt.buf), "timeout"))

    def _finish_prompt(self, result: PromptResult) -> None:
        event = self._prompt_event
        for timer in self._prompt_timers:
            timer.cancel()
        self._prompt_timers.clear()
        self._prompt_deadline = None
        self._prompt = None
        self._prompt_event = None
        if self.mode is Mode.PROMPT:
            self.mode = Mode.COMMAND
        self._rec("prompt_end", {"reason": result.reason, "n": len(result.data)})
        if event is not None and not event.triggered:
            event.succeed(result)

    def _end_prompt_silently(self) -> None:
        if self._prompt is not None:
            self._finish_prompt(PromptResult(b"", "hangup"))

    def prepare_data_mode(self, link: DataLink) -> None:
        """Called by ``ctx.connect``: data mode starts once CONNECT has been written."""
        self._pending_link = link

    def enter_data_mode(self, link: DataLink, text: str | Final | None = "CONNECT") -> bool:
        """Enter online data mode outside a command's final result (e.g. a socket that opens
        after its command answered OK). ``text`` (a result line such as ``"CONNECT"``, or
        None for none) is printed first. If a command line is running, a prompt is open or
        URCs are waiting, entry happens as soon as the line has finished and they have been
        written. Returns False (and does nothing) when another data session is active."""
        if self.session is not None and self.session.active and self.session.link is not link:
            self.sim.record(self.name, "data_mode", state="refused", reason="busy")
            return False
        self._deferred_entry = (link, text)
        self._try_deferred_entry()
        return True

    def _try_deferred_entry(self) -> None:
        entry = self._deferred_entry
        if entry is None or self._executing or self.mode is not Mode.COMMAND or self._booting:
            return
        self._flush_urcs()
        if self._urcs:
            return
        self._deferred_entry = None
        link, text = entry
        if isinstance(text, Final):
            self._write_final(text)
        elif text:
            self._write_final(self.final_from_text(text))
        self._pending_link = link
        self._enter_data_mode()

    def _enter_data_mode(self) -> None:
        link = self._pending_link
        self._pending_link = None
        if link is None:
            return
        if self.session is not None and self.session.link is link:
            session = self.session
            session.suspended = False
        else:
            session = DataSession(self, link)
            self.session = session
        self.mode = Mode.DATA
        self._eol.disarm()  # from now on CR and LF are the host's data
        self._escape = EscapeDetector(
            self.settings.s.get(12, 50) / 50.0,
            self.settings.s.get(2, 43),
            gap_max=self.dialect.escape_gap_max,
        )
        self._escape.reset(self.sim.now)
        self._update_dcd()
        self.sim.record(self.name, "data_mode", state="enter")
        if not session.started:
            session.started = True
            self._call_link("on_start", session)
        self._pump_data()

    def _call_link(
        self, hook: str, *args: Any, default: Any = None, link: DataLink | None = None
    ) -> Any:
        """Call a DataLink hook; a bug in it is traced (``handler_error``) and ``default``
        used, so a dialect's link can never raise into the kernel."""
        if link is None:
            link = self.session.link if self.session is not None else None
        fn = getattr(link, hook, None)
        if fn is None:
            return default
        try:
            return fn(*args)
        except Exception as exc:
            self.sim.record(
                self.name,
                "handler_error",
                command=f"link.{hook}",
                error=repr(exc),
                traceback=traceback.format_exc(limit=6),
            )
            return default

    def _data_rx(self, data: bytes, t_last: float, byte_time: float) -> None:
        session = self.session
        escape_on = session is not None and session.link.escape_enabled and self._escape.char < 256
        if not escape_on:
            self._data_input(data)
            return
        out = self._escape.feed(data, t_last, byte_time)
        if out:
            self._data_input(out)
        self._arm_escape_timer()

    def _arm_escape_timer(self) -> None:
        if self._escape_timer is not None:
            self._escape_timer.cancel()
            self._escape_timer = None
        if self._escape.deadline is not None:
            self._escape_timer = self.sim.call_at(self._escape.deadline, self._escape_expired)

    def _escape_expired(self) -> None:
        self._escape_timer = None
        if self.mode is not Mode.DATA:
            return
        released, escaped = self._escape.expire(self.sim.now)
        if released:
            self._data_input(released)
        if escaped:
            self.sim.record(self.name, "escape", guard=self._escape.guard)
            self._suspend_data_mode(reason="escape")
        else:
            self._arm_escape_timer()

    def _suspend_data_mode(self, reason: str) -> None:
        session = self.session
        if session is None or self.mode is not Mode.DATA:
            return
        message = self._call_link("on_escape", default="OK")
        if message is None:  # the link refuses: the characters were data after all
            if reason == "escape":
                self._data_input(bytes((self._escape.char,)) * 3)
            return
        session.suspended = True
        self.mode = Mode.COMMAND
        self._assembler.reset()
        self.sim.record(self.name, "data_mode", state="suspend", reason=reason)
        self._write_final(self.final_from_text(message))
        if session.link.escape_ends_session:
            # No online command mode for this link: the escape ended it (ATO cannot resume).
            session.active = False
            self.session = None
            self._rx_backlog.clear()
            self._update_dcd()
            self.sim.record(self.name, "data_mode", state="end", message=None)
        self._flush_urcs()

    def resume_data_mode(self) -> Final:
        """ATO: back to online data mode if a suspended link agrees."""
        session = self.session
        if session is None or not session.active:
            return NO_CARRIER
        text = session.link.on_resume()
        if text is None:
            return NO_CARRIER
        self._pending_link = session.link
        final = self.final_from_text(text)
        return final if final.kind is ResultKind.CONNECT else connect(text)

    def hangup_data(self, reason: str) -> bool:
        """ATH/ATZ/DTR: close the data link (if any); True if there was one."""
        session = self.session
        if session is None or not session.active:
            return False
        session.active = False
        self.session = None
        self._call_link("on_hangup", reason, link=session.link)
        was_data = self.mode is Mode.DATA
        if was_data:
            self.mode = Mode.COMMAND
            self._assembler.reset()
        self._rx_backlog.clear()
        self._update_dcd()
        self.sim.record(self.name, "data_mode", state="hangup", reason=reason)
        return True

    def _session_ended(
        self, session: DataSession, message: str | Final | None, *, keep_input: bool = False
    ) -> None:
        if not session.active:
            return
        session.active = False
        if self.session is session:
            self.session = None
        if keep_input and self._rx_backlog and self.mode is Mode.DATA:
            self._pending_input[:0] = self._rx_backlog
        self._rx_backlog.clear()
        self._update_dcd()
        final = message if isinstance(message, Final) else None
        text: str | None = final.text if final is not None else message  # type: ignore[assignment]
        self.sim.record(self.name, "data_mode", state="end", message=text)
        if self.mode is Mode.DATA:
            self.mode = Mode.COMMAND
            self._assembler.reset()
            if final is not None:
                self._write_final(final)
            elif text:
                self._write_final(self.final_from_text(text))
            self._flush_urcs()
            self._process_pending()
        elif final is not None:
            self.urc_raw(self.format_final(final))  # ended in online command mode: unsolicited
        elif text:
            self.urc(text)  # ended while in online command mode: tell the host unsolicited

    def _data_input(self, data: bytes) -> None:
        room = self.profile.uart_rx_buffer - len(self._rx_backlog)
        if len(data) > room:
            self.sim.record(self.name, "rx_overflow", dropped=len(data) - max(0, room))
            data = data[: max(0, room)]
        self._rx_backlog += data
        self._pump_data()

    def _pump_data(self) -> None:
        # A link may ask for more (session.resume_input) from inside on_dte_data, before the
        # bytes it is taking have left the backlog: offering them again would duplicate them.
        # Such a request is served once the current hand-over is complete.
        if self._pumping:
            self._pump_again = True
            return
        self._pumping = True
        try:
            while True:
                self._pump_again = False
                session = self.session
                if (
                    session is None
                    or not session.active
                    or session.suspended
                    or not self._rx_backlog
                ):
                    break
                taken = self._call_link(
                    "on_dte_data", bytes(self._rx_backlog), default=len(self._rx_backlog)
                )
                try:
                    taken = max(0, min(int(taken or 0), len(self._rx_backlog)))
                except (TypeError, ValueError):  # a link returning nonsense took everything
                    taken = len(self._rx_backlog)
                del self._rx_backlog[:taken]
                if not (self._pump_again and taken):
                    break
        finally:
            self._pumping = False
        self._update_cts()

    def _update_cts(self) -> None:
        if not self.port.rtscts:
            self.port.set_signal("cts", True)
            return
        high = self.profile.uart_rx_buffer * 3 // 4
        low = self.profile.uart_rx_buffer // 4
        if len(self._rx_backlog) >= high:
            self.port.set_signal("cts", False)
        elif len(self._rx_backlog) <= low:
            self.port.set_signal("cts", True)

    def _on_tx_drain(self) -> None:
        session = self.session
        if self.mode is Mode.DATA and session is not None and session.active:
            if hasattr(session.link, "on_dte_ready") and self.port.space >= self.port.capacity // 2:
                self._call_link("on_dte_ready")

    def _update_dcd(self) -> None:
        if self.settings.amp_c == 0:
            on = True
        else:
            on = self.session is not None and self.session.active
        self.port.set_signal("dcd", on)

    def _on_signal(self, name: str, value: bool) -> None:
        if name == "dtr" and not value:
            self.port.catch_up()  # bytes already on the line arrived before the DTR drop
            mode = self.settings.amp_d
            if mode == 0:
                return
            if self.mode is Mode.PROMPT:
                self._finish_prompt(PromptResult(b"", "hangup"))
                return
            if mode == 1 and self.mode is Mode.DATA:
                self._suspend_data_mode(reason="dtr")
            elif mode == 2 and self.session is not None:
                in_data = self.mode is Mode.DATA
                self.hangup_data("dtr")
                if in_data:
                    self._write_final(NO_CARRIER)
                    self._flush_urcs()
                    self._process_pending()
        elif name == "rts":
            pass  # the port's transmitter re-checks RTS itself

    @staticmethod
    def _is_result_text(text: str) -> bool:
        """Whether ``final_from_text`` gives a result code rather than TEXT."""
        stripped = text.strip()
        if len(stripped) > _LONGEST_BASIC:
            # Only CONNECT <text> can be this long. Upper-casing never shortens a character,
            # so the first 8 characters decide it: a 4 KB hex URC is not copied twice.
            return stripped[:8].upper().startswith("CONNECT ")
        upper = stripped.upper()
        return upper in _BASIC_RESULTS or _is_connect(upper)

    @staticmethod
    def final_from_text(text: str) -> Final:
        """Map a printed result ("OK", "NO CARRIER", "CONNECT 9600", "CLOSED") to a Final."""
        upper = text.strip().upper()
        kind = _BASIC_RESULTS.get(upper)
        if kind is not None:
            return Final(kind)
        if _is_connect(upper):
            return connect(text.strip()[8:])
        return text_result(text)

    @property
    def command_idle(self) -> bool:
        """In command mode with no line running: unsolicited output goes out at once."""
        return self.mode is Mode.COMMAND and not self._executing

    @property
    def in_data_mode(self) -> bool:
        return self.mode is Mode.DATA

    @property
    def online_command_mode(self) -> bool:
        return self.session is not None and self.session.suspended
