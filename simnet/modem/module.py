"""A module: UART + AT engine + base commands + dialect, on the virtual clock.

This is the glue around the sans-IO pieces (:class:`~simnet.modem.at.LineAssembler`,
:func:`~simnet.modem.at.parse_command_line`, :class:`~simnet.modem.at.ResultFormatter`,
:class:`~simnet.modem.uart.EscapeDetector`, :class:`PromptCollector`). It owns the UART mode:

* **command** — bytes go to the line assembler (echoed under ATE1); a complete line runs as
  one SimPy process: per command, the profile's latency, then the handler; one final result
  code for the line. Bytes arriving meanwhile wait (bounded) unless the command is abortable.
* **prompt** — a handler asked for bytes after a prompt (:class:`PromptSpec`).
* **data** — online data mode with a :class:`DataLink` after ``CONNECT``; ``+++`` with guard
  times (S2/S12) or DTR (AT&D1) suspends it into online command mode, ``ATO`` resumes it.

URCs are queued while a line runs or a prompt is open (so they never split a response) and in
data mode according to the dialect; they are written when the UART is back in command mode.
Nothing here raises on input: handler crashes become ERROR plus a ``handler_error`` trace.
"""

from __future__ import annotations

import enum
import traceback
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import simpy

from simnet.bearer.api import BearerApi
from simnet.modem.at import (
    ERROR,
    NO_CARRIER,
    OK,
    ArgumentError,
    Command,
    Final,
    Form,
    LineAssembler,
    LineEndFilter,
    LineOverflow,
    LineReady,
    NeedData,
    ParseError,
    RepeatLast,
    ResultFormatter,
    ResultKind,
    connect,
    parse_command_line,
    text_result,
)
from simnet.modem.dialect import (
    CommandSpec,
    Context,
    DataLink,
    Dialect,
    PromptResult,
    PromptSpec,
)
from simnet.modem.profile import S_REGISTER_RANGES, ModuleProfile, imei_for
from simnet.modem.uart import CHUNK, EscapeDetector, Uart, UartConfig, fifo_round

if TYPE_CHECKING:
    from simnet.kernel import Simulation
    from simnet.kernel.sim import Timer
    from simnet.net.host import Host


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


@dataclass
class Settings:
    """The module's AT-visible configuration (what AT&W stores and ATZ restores)."""

    echo: bool = True
    verbose: bool = True
    quiet: bool = False
    cmee: int = 0
    x_level: int = 4  # ATX: CONNECT with rate text and busy/dial-tone detection (V.250 §6.2.7)
    s: dict[int, int] = field(default_factory=dict)
    amp_c: int = 1  # V.250 §6.2.8: DCD follows the carrier
    amp_d: int = 1  # V.250 §6.2.9: DTR off -> online command mode
    flow: tuple[int, int] = (0, 0)  # +IFC <DCE_by_DTE>,<DTE_by_DCE> (V.250 §6.2.12)
    params: dict[str, Any] = field(default_factory=dict)  # other stored settings (+CMGF...)

    def copy(self) -> Settings:
        return Settings(
            self.echo, self.verbose, self.quiet, self.cmee, self.x_level, dict(self.s),
            self.amp_c, self.amp_d, self.flow, dict(self.params),
        )  # fmt: skip


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

    def __init__(self, module: Module, link: DataLink) -> None:
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

    def end(self, message: str | Final | None = "NO CARRIER") -> None:
        """The connection ended by itself; leave data mode printing ``message`` (a result line,
        or a Final for a dialect's own result with its ATV0 number)."""
        self.module._session_ended(self, message)

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


Handler = Callable[[Context, Command], Any]


class Module:
    """One emulated module. Build it with :func:`simnet.modem.registry.create_module`."""

    def __init__(
        self,
        sim: Simulation,
        profile: ModuleProfile,
        bearer: BearerApi | None = None,
        host: Host | None = None,
        *,
        dialect: type[Dialect] = Dialect,
        name: str = "modem",
        uart: Uart | None = None,
        serial: int | None = None,
        cold_start: bool = False,
    ) -> None:
        self.sim = sim
        self.profile = profile
        self.bearer = bearer
        self.host = host
        self.name = name
        self.uart = uart if uart is not None else Uart(
            sim, UartConfig(baud=profile.baud, dce_buffer=profile.uart_tx_buffer), name=f"{name}.uart"
        )
        self.port = self.uart.dce
        self.attach_port(self.port)
        self.mux: Any = None  # a running TS 27.010 multiplexer (simnet.modem.cmux), if any
        if serial is None:
            serial = sim.rng(f"{name}.imei").randrange(1_000_000)
        self.imei = imei_for(profile, serial)

        self.factory = self._factory_settings()
        self.stored = self.factory.copy()  # AT&W profile
        self.settings = self.factory.copy()

        self._handlers: dict[str, tuple[Handler, CommandSpec]] = {}
        # S-registers the base S handler accepts; a dialect may add its own in __init__.
        self.s_ranges: dict[int, tuple[int, int]] = dict(S_REGISTER_RANGES)
        self._latency = profile.latency_distributions()
        self._latency_rng = sim.rng(f"{name}.latency")
        self._fmt = ResultFormatter()
        self._asm = LineAssembler(profile.command_buffer)
        self._eol = LineEndFilter()  # the LF after a command's CR (docs/assumptions.md)
        self.mode = Mode.COMMAND
        self._executing = False
        self._line_proc: simpy.Process | None = None
        self._line_abortable = False
        self._pending_input = bytearray()
        self._last_line: str | None = None
        self._first_info = True
        self._idle_timer: Timer | None = None
        self._urcs: deque[bytes] = deque()
        self._booting = False  # deaf and mute: powering up, or restarting
        self._boot_gen = 0  # which power-up the pending boot timers belong to
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
        self._new_baud: int | None = None
        self._deferred_entry: tuple[DataLink, str | Final | None] | None = None
        self._ri_timer: Timer | None = None
        self._clock_offset = 0.0

        # Install: 3GPP base commands first, then the dialect (which overrides by name).
        from simnet.modem.base import BaseCommands

        self.base = BaseCommands(self)
        self.base.install()
        self.dialect = dialect(self)
        self.dialect.install()
        self._sync_settings()
        self.sim.record(self.name, "power_on", module=profile.id, imei=self.imei)
        self._sim_read = True
        if cold_start:
            if self.bearer is not None:
                self.bearer.power_off()  # SIM and RF wait for the boot
            self._power_up()
        else:
            # The module was switched on long before the scenario: booted, boot lines gone.
            self._hook(self.dialect.on_start, default=None)

    # -- setup ---------------------------------------------------------------------------------
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

    def _factory_settings(self) -> Settings:
        p = self.profile
        return Settings(echo=p.echo, verbose=p.verbose, cmee=p.cmee, s=dict(p.s_registers))

    def register(self, name: str, handler: Handler, spec: CommandSpec) -> None:
        """Install ``handler`` for command ``name`` (replacing any earlier one)."""
        self._handlers[name.upper()] = (handler, spec)

    def register_many(self, rows: list[tuple[str, Handler, CommandSpec]]) -> None:
        """``register`` for ``(upper-case name, handler, spec)`` rows, in order."""
        handlers = self._handlers
        for name, handler, spec in rows:
            handlers[name] = (handler, spec)

    def handles(self, name: str) -> bool:
        return name.upper() in self._handlers

    def command_names(self) -> list[str]:
        return sorted(self._handlers)

    def reboot(self, reason: str = "reset", off_time: float = 0.0) -> None:
        """Restart (AT+CFUN=1,1, AT+CRESET, a ``reset`` fault) or, with ``off_time``, a power
        cycle: the module goes deaf and mute at once, everything volatile is lost (data link,
        queued URCs, half lines, sockets, the PDP context, registration, CFUN level, SIM
        unlock) and it boots like a fresh module: the profile's boot time, then its boot lines.
        The stored profile (AT&W) and the defined contexts survive, as on the real modules."""
        self.hangup_data("reset")
        self._end_prompt_silently()
        self._urcs.clear()
        self._pending_input.clear()
        self._rx_backlog.clear()
        self._asm.reset()
        self._eol.disarm()
        self._booting = True  # from here on nothing is reported: the module is gone
        self.sim.record(self.name, "reboot", reason=reason, off_time=off_time)
        if self.bearer is not None:
            self.bearer.power_off()
        self.base.power_cycle()
        self.dialect.power_cycle()
        self.apply_settings(self.stored)
        self._power_up(off_time)

    def _power_up(self, delay: float = 0.0) -> None:
        """Boot: deaf for ``delay`` + the profile's boot time, then the boot lines at their
        offsets. The SIM is read at the ``+CPIN: {cpin}`` line (or when the UART comes up if
        the profile prints none); lines after it that need the SIM (SMS DONE, PB DONE) are
        printed only if the card is then ready."""
        self._booting = True
        self._boot_gen += 1
        gen = self._boot_gen
        start = delay + self.profile.boot_time
        self.sim.call_later(start, self._boot_ready, gen)
        for offset, text in self.profile.boot_lines():
            self.sim.call_later(start + offset, self._boot_line, gen, text)

    def _boot_ready(self, gen: int) -> None:
        if gen != self._boot_gen:
            return
        self._booting = False
        self._sim_read = False
        self.sim.record(self.name, "booted")
        if not any("{cpin}" in text for _, text in self.profile.boot_lines()):
            self._read_sim()
        self._hook(self.dialect.on_start, default=None)
        self._flush_urcs()

    def _read_sim(self) -> str | None:
        self._sim_read = True
        if self.bearer is None:
            return None
        self.bearer.power_on()
        return self.bearer.sim_card.cpin

    def _boot_line(self, gen: int, text: str) -> None:
        if gen != self._boot_gen:
            return
        if "{cpin}" in text:
            code = self._read_sim()
            if code is not None:  # no card: no line
                self.urc(text.format(cpin=code))
            return
        card = self.bearer.sim_card if self.bearer is not None else None
        if self._sim_read and card is not None and not card.ready:
            return  # SMS DONE / PB DONE need a ready SIM
        self.urc(text)

    @property
    def booting(self) -> bool:
        """True while the module is deaf and mute (powering up or restarting)."""
        return self._booting

    def _sync_settings(self) -> None:
        s = self.settings
        fmt = self._fmt
        fmt.verbose, fmt.quiet, fmt.cmee = s.verbose, s.quiet, s.cmee
        fmt.s3, fmt.s4 = s.s.get(3, 13), s.s.get(4, 10)
        self._asm.s3, self._asm.s5 = fmt.s3, s.s.get(5, 8)
        self.port.rtscts = s.flow[0] == 2 or s.flow[1] == 2
        self._update_dcd()

    def apply_settings(self, settings: Settings) -> None:
        """Replace the live settings (ATZ, AT&F) and apply them at once."""
        self.settings = settings.copy()
        self._sync_settings()

    # -- output --------------------------------------------------------------------------------
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
        return self._fmt.final(
            final, self.dialect.cme_errors.as_text_map(), self.dialect.cms_errors.as_text_map()
        )

    def _write_final(self, final: Final) -> None:
        self._out(self.format_final(final))
        self.sim.record(self.name, "result", result=final.kind.value, code=final.code, text=final.text)

    def urc(self, text: str) -> None:
        """An unsolicited result code: written now if the UART is free, else queued.

        The V.250 basic codes (``RING``, ``NO CARRIER``, ``CONNECT``...) follow ATV/ATQ like
        any result code (``2\r`` under ATV0, nothing under ATQ1); other URC text is framed
        as information text."""
        if self._booting:
            self.sim.record(self.name, "urc_dropped", text=text, reason="booting")
            return
        self._sync_settings()
        final = self.final_from_text(text)
        if final.kind is ResultKind.TEXT:
            data = self._fmt.urc(text)
        else:
            data = self.format_final(final)
            if not data:
                return  # ATQ1
        if self.mode is Mode.DATA and self.dialect.data_mode_urcs == "drop":
            self.sim.record(self.name, "urc_dropped", text=text)
            return
        if self._can_write_urc():
            self._out(data)
            self.sim.record(self.name, "urc", text=text)
            return
        if len(self._urcs) >= self.profile.urc_queue:
            self._urcs.popleft()
            self.sim.record(self.name, "urc_dropped", text="(oldest)")
        self._urcs.append(data)
        self.sim.record(self.name, "urc_queued", text=text)
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

    def _can_write_urc(self) -> bool:
        return self.mode is Mode.COMMAND and not self._executing and not self._booting

    def _flush_urcs(self) -> None:
        while self._urcs and self._can_write_urc():
            self._out(self._urcs.popleft())

    # -- input ---------------------------------------------------------------------------------
    def _rx_limit(self, queued: bytearray, byte_time: float) -> int:
        """How many of the host's queued bytes to take in one UART delivery: as few as the
        engine needs to act at the right instant, as many as it can take at once.

        Command mode with echo on, and echoed prompts, keep FIFO-sized deliveries (echo follows
        each chunk); with ATE0 a command line is taken up to its S3. A prompt takes its remaining length or up to its terminator,
        without running past an idle or total timeout. Data mode takes what fits below the
        receive buffer's limit (the CTS watermark with RTS/CTS), so overflow and flow control
        act where they would byte by byte; links call ``catch_up`` from their timers."""
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
        echo = spec.echo if spec.echo is not None else (self.dialect.prompt_echo and self.settings.echo)
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
            if self._line_abortable and self._line_proc is not None and self._line_proc.is_alive:
                self._line_abortable = False
                self._line_proc.interrupt("abort")
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
            event = self._asm.feed(data)
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
        if timeout and self._asm.partial:
            self._idle_timer = self.sim.call_later(timeout, self._idle_expired)

    def _cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _idle_expired(self) -> None:
        self._idle_timer = None
        if self.mode is Mode.COMMAND and not self._executing and self._asm.partial:
            self._asm.reset()
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

    # -- line execution ------------------------------------------------------------------------
    def _start_line(self, event: LineReady | RepeatLast | LineOverflow) -> None:
        if isinstance(event, RepeatLast):
            text = self._last_line if self._last_line is not None else ""
        elif isinstance(event, LineOverflow):
            self.sim.record(self.name, "line_overflow", length=event.length)
            text = None
        else:
            text = event.text
            self._last_line = text
        self._executing = True
        self._line_abortable = False
        self._line_proc = self.sim.process(self._run_line(text))

    def _run_line(self, text: str | None) -> Generator[simpy.Event, Any, None]:
        final: Final = OK
        if text is None:
            yield self.sim.timeout(self._sample_latency("basic"))
            final = self._hook(self.dialect.syntax_error, None, "")
        else:
            self.sim.record(self.name, "command", line=text)
            parsed = parse_command_line(text)
            if isinstance(parsed, ParseError):
                yield self.sim.timeout(self._sample_latency("basic"))
                self.sim.record(self.name, "syntax_error", line=text, position=parsed.position,
                                message=parsed.message)
                final = self._hook(self.dialect.syntax_error, None, text)
            else:
                if not parsed:
                    yield self.sim.timeout(self._sample_latency("basic"))
                for cmd in parsed:
                    self._first_info = True
                    final = yield from self._run_command(cmd)
                    if final.ends_line:
                        break
        self._finish_line(final)

    def _run_command(self, cmd: Command) -> Generator[simpy.Event, Any, Final]:
        entry = self._handlers.get(cmd.name)
        ctx = Context(self, cmd)
        spec = entry[1] if entry else None
        latency_class = (spec.latency if spec and spec.latency else None) or (
            "basic" if cmd.name[0] not in "+^$%#" else "query" if cmd.form in (Form.READ, Form.TEST) else "set"
        )
        try:
            self._line_abortable = bool(spec and spec.abortable)
            yield self.sim.timeout(self._sample_latency(latency_class))
            if entry is None:
                return self._hook(self.dialect.unknown_command, ctx, cmd)
            handler, spec = entry
            if spec.forms is not None and cmd.form not in spec.forms:
                return self._hook(self.dialect.unsupported_form, ctx, cmd)
            for requirement in spec.requires:
                refused = requirement(self.dialect, ctx, cmd)
                if refused is not None:
                    return refused
            result = handler(ctx, cmd)
            if isinstance(result, Generator):
                result = yield from self._drive(result)
            return result if isinstance(result, Final) else OK
        except ArgumentError as err:
            self.sim.record(self.name, "bad_argument", command=cmd.text, message=str(err))
            if err.answer is not None:
                return err.answer
            return self._hook(self.dialect.bad_argument, ctx, cmd, err)
        except simpy.Interrupt:
            self.sim.record(self.name, "aborted", command=cmd.text)
            self._end_prompt_silently()
            return NO_CARRIER
        except Exception as exc:  # a handler bug must not take the simulation down
            self.sim.record(self.name, "handler_error", command=cmd.text, error=repr(exc),
                            traceback=traceback.format_exc(limit=6))
            self._end_prompt_silently()
            return self._hook(self.dialect.handler_failed, ctx, cmd)
        finally:
            self._line_abortable = False

    @staticmethod
    def _drive(gen: Generator[Any, Any, Any]) -> Generator[simpy.Event, Any, Any]:
        """Run a generator handler: pass its SimPy events to the kernel and their values (or
        failures, or an abort Interrupt) back to it. Anything it yields that is not an event
        is thrown back into it as a TypeError, so a buggy handler ends in ERROR, never in a
        kernel exception."""
        value: Any = None
        error: Exception | None = None
        while True:
            try:
                event = gen.send(value) if error is None else gen.throw(error)
            except StopIteration as stop:
                return stop.value
            value, error = None, None
            if not isinstance(event, simpy.Event):
                error = TypeError(f"handler yielded {event!r}, not a SimPy event")
                continue
            try:
                value = yield event
            except Exception as exc:  # a failed event or an Interrupt: the handler decides
                error = exc

    def _hook(self, fn: Callable[..., Any], *args: Any, default: Any = ERROR) -> Any:
        """Call a dialect hook; if it raises, trace ``handler_error`` and use ``default``.
        Result hooks must return a Final; anything else counts as a bug too."""
        try:
            result = fn(*args)
        except Exception as exc:
            self.sim.record(self.name, "handler_error", command=getattr(fn, "__name__", "hook"),
                            error=repr(exc), traceback=traceback.format_exc(limit=6))
            return default
        if default is not None and not isinstance(result, Final):
            self.sim.record(self.name, "handler_error", command=getattr(fn, "__name__", "hook"),
                            error=f"returned {result!r}, not a Final")
            return default
        return result

    def _sample_latency(self, cls: str) -> float:
        dist = self._latency.get(cls) or self._latency.get("basic")
        return dist.sample(self._latency_rng) if dist is not None else 0.0

    def _finish_line(self, final: Final) -> None:
        if self._prompt is not None:  # a handler opened a prompt and never waited for it
            self._end_prompt_silently()
        self._write_final(final)
        if self._new_baud is not None:
            self._apply_baud_when_idle(self._new_baud)
            self._new_baud = None
        self._executing = False
        self._line_proc = None
        self._sync_settings()
        if final.enters_data and self._pending_link is not None:
            self._enter_data_mode()
        else:
            self._pending_link = None
        self._flush_urcs()
        self._try_deferred_entry()
        self._process_pending()

    def _apply_baud_when_idle(self, rate: int) -> None:
        if self.port.idle:
            self.port.baud = rate
            self.sim.record(self.name, "baud", rate=rate)
        else:
            self.sim.call_later(self.port.byte_time() * max(1, self.port.pending + 64),
                                self._apply_baud_when_idle, rate)

    # -- prompt mode ---------------------------------------------------------------------------
    def start_prompt(self, spec: PromptSpec) -> simpy.Event:
        event = self.sim.event()
        self._prompt = PromptCollector(spec)
        self._prompt_event = event
        self.mode = Mode.PROMPT
        self._out(spec.prompt)
        self.sim.record(self.name, "prompt", length=spec.length)
        if spec.total_timeout is not None:
            self._prompt_deadline = self.sim.now + spec.total_timeout
            self._prompt_timers.append(self.sim.call_later(spec.total_timeout, self._prompt_timeout))
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
        self._prompt_timers.append(self.sim.call_later(collector.spec.idle_timeout, self._prompt_timeout))

    def _prompt_rx(self, data: bytes) -> None:
        collector = self._prompt
        if collector is None:
            self._queue_input(data)
            return
        result, used = collector.feed(data)
        spec = collector.spec
        echo = spec.echo if spec.echo is not None else (self.dialect.prompt_echo and self.settings.echo)
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
        self.sim.record(self.name, "prompt_end", reason=result.reason, n=len(result.data))
        if event is not None and not event.triggered:
            event.succeed(result)

    def _end_prompt_silently(self) -> None:
        if self._prompt is not None:
            self._finish_prompt(PromptResult(b"", "hangup"))

    # -- data mode -----------------------------------------------------------------------------
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
        self._escape = EscapeDetector(self.settings.s.get(12, 50) / 50.0, self.settings.s.get(2, 43),
                                      gap_max=self.dialect.escape_gap_max)
        self._escape.reset(self.sim.now)
        self._update_dcd()
        self.sim.record(self.name, "data_mode", state="enter")
        if not session.started:
            session.started = True
            self._call_link("on_start", session)
        self._pump_data()

    def _call_link(self, hook: str, *args: Any, default: Any = None, link: DataLink | None = None) -> Any:
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
            self.sim.record(self.name, "handler_error", command=f"link.{hook}", error=repr(exc),
                            traceback=traceback.format_exc(limit=6))
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
        self._asm.reset()
        self.sim.record(self.name, "data_mode", state="suspend", reason=reason)
        self._write_final(self.final_from_text(message))
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
            self._asm.reset()
        self._rx_backlog.clear()
        self._update_dcd()
        self.sim.record(self.name, "data_mode", state="hangup", reason=reason)
        return True

    def _session_ended(self, session: DataSession, message: str | Final | None) -> None:
        if not session.active:
            return
        session.active = False
        if self.session is session:
            self.session = None
        self._rx_backlog.clear()
        self._update_dcd()
        final = message if isinstance(message, Final) else None
        text: str | None = final.text if final is not None else message  # type: ignore[assignment]
        self.sim.record(self.name, "data_mode", state="end", message=text)
        if self.mode is Mode.DATA:
            self.mode = Mode.COMMAND
            self._asm.reset()
            if final is not None:
                self._write_final(final)
            elif text:
                self._write_final(self.final_from_text(text))
            self._flush_urcs()
            self._process_pending()
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
                if session is None or not session.active or session.suspended or not self._rx_backlog:
                    break
                taken = self._call_link("on_dte_data", bytes(self._rx_backlog), default=len(self._rx_backlog))
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

    # -- modem control lines -------------------------------------------------------------------
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

    # -- helpers for handlers ------------------------------------------------------------------
    @staticmethod
    def final_from_text(text: str) -> Final:
        """Map a printed result ("OK", "NO CARRIER", "CONNECT 9600", "CLOSED") to a Final."""
        upper = text.strip().upper()
        for kind in (ResultKind.OK, ResultKind.NO_CARRIER, ResultKind.ERROR, ResultKind.BUSY,
                     ResultKind.NO_ANSWER, ResultKind.NO_DIALTONE, ResultKind.RING):
            if upper == kind.value:
                return Final(kind)
        if upper == "CONNECT" or upper.startswith("CONNECT "):
            return connect(text.strip()[8:])
        return text_result(text)

    # The module's real-time clock: virtual time 0 is 2024-01-01 00:00:00 UTC until the host
    # (AT+CCLK) or a network time source (NTP, NITZ) sets it.
    CLOCK_EPOCH = 1704067200.0

    def clock(self) -> float:
        """Module time as Unix seconds."""
        return self.CLOCK_EPOCH + self._clock_offset + self.sim.now

    def set_clock(self, unix_seconds: float) -> None:
        """Set the module clock (AT+CCLK, NTP sync); it keeps running with virtual time."""
        self._clock_offset = float(unix_seconds) - self.CLOCK_EPOCH - self.sim.now
        self.sim.record(self.name, "clock_set", unix=round(float(unix_seconds), 3))

    def change_baud_after_response(self, rate: int) -> None:
        """AT+IPR: switch the module's UART rate once the pending output has left."""
        self._new_baud = rate

    def identity(self, template: str) -> str:
        p = self.profile
        return template.format(manufacturer=p.manufacturer, model=p.model, revision=p.revision,
                               imei=self.imei)

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
