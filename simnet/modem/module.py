"""A module: the UART mode state machine, the AT command engine, base commands and a dialect,
on the virtual clock.

:class:`Module` is the glue: it builds the UART and the :class:`~simnet.modem.modes.ModeMachine`
(what the line carries: command, prompt, data; output and URCs), installs the 3GPP base
commands and the dialect, runs each command line on the clock as a :class:`LineRun` (a
generator driven as a SimPy process would be, without one; per command: the profile's latency,
then the handler; one final result code for the line), boots and restarts.
Nothing here raises on input: handler crashes become ERROR plus a ``handler_error`` trace.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from heapq import heappush
from types import GeneratorType
from typing import TYPE_CHECKING, Any

import simpy
from simpy.events import NORMAL, URGENT

from simnet.bearer.api import BearerApi
from simnet.errors import ConfigError
from simnet.kernel.procedure import copy_of_failure
from simnet.kernel.sim import Wake
from simnet.modem.at import (
    ERROR,
    NO_CARRIER,
    OK,
    ArgumentError,
    Command,
    Final,
    Form,
    LineOverflow,
    LineReady,
    ParseError,
    RepeatLast,
    parse_command_line,
)
from simnet.modem.dialect import CommandSpec, Context, Dialect
from simnet.modem.modes import DataSession, Mode, ModeMachine, PromptCollector
from simnet.modem.profile import S_REGISTER_RANGES, ModuleProfile, imei_for
from simnet.modem.uart import Uart, UartConfig

if TYPE_CHECKING:
    from simnet.kernel import Simulation
    from simnet.net.host import Host

__all__ = ["DataSession", "Handler", "Mode", "Module", "PromptCollector", "Settings"]


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


Handler = Callable[[Context, Command], Any]


class LineRun:
    """One command line running on the clock: what ``sim.process(module._run_line(text))``
    did, without SimPy's Process machinery (its Initialize event, a Timeout per latency wait
    and the completion event nobody waited for), which made up a large share of a short
    command's cost. Its queue entries are those the Process made, at the same instants,
    priorities and places in the event order: the start is an URGENT entry of delay 0 (as
    Initialize), a latency wait a NORMAL one after the delay (as Timeout), an abort an URGENT
    one (as Interruption); a finished line schedules nothing (the completion event had no
    callbacks). The generator yields SimPy events (a handler's waits, passed through
    ``Module._drive``) or a number: the seconds of a latency wait."""

    # Bound methods are made where they are queued, never kept here: one held by the runner
    # would be a reference cycle (runner -> method -> runner) left to the cyclic GC. A bound
    # method equals another of the same function and object, so ``callbacks.remove`` finds it.
    __slots__ = ("env", "gen", "alive", "target")

    def __init__(self, env: simpy.Environment, gen: Generator[Any, Any, None]) -> None:
        self.env = env
        self.gen = gen
        self.alive = True
        self.target: Any = None  # the event or Wake the line waits for
        self._push(0, URGENT, self._woken)

    def _push(self, delay: Any, priority: int, callback: Callable[[Any], None]) -> Any:
        env: Any = self.env
        queue = getattr(env, "_queue", None)
        if isinstance(queue, list):
            wake = Wake((callback,))
            heappush(queue, (env._now + delay, priority, next(env._eid), wake))
            return wake
        event = simpy.Event(env)  # pragma: no cover - not SimPy 4's layout: a plain event
        event._ok = True
        event._value = None
        event.callbacks.append(callback)
        env.schedule(event, priority, delay)
        return event

    def interrupt(self) -> None:
        """Throw ``simpy.Interrupt("abort")`` into the line at this instant (URGENT, as
        ``Process.interrupt`` does)."""
        self._push(0, URGENT, self._interrupted)

    def _interrupted(self, _wake: Any) -> None:
        if not self.alive:
            return
        target = self.target
        if isinstance(target, Wake):
            target.callbacks = ()  # the latency wait ends without resuming the line
        elif target is not None and target.callbacks is not None:
            target.callbacks.remove(self._resume)
        self._step(None, simpy.Interrupt("abort"))

    def _woken(self, _wake: Any) -> None:
        self._step(None, None)

    def _resume(self, event: Any) -> None:
        if event._ok:
            self._step(event._value, None)
        else:  # a failed event: the handler decides (as in SimPy's Process)
            self._step(None, copy_of_failure(event))

    def _step(self, value: Any, exc: BaseException | None) -> None:
        gen = self.gen
        while True:
            try:
                item = gen.send(value) if exc is None else gen.throw(exc)
            except StopIteration:
                self.alive = False
                self.target = None
                return
            exc = None
            if isinstance(item, simpy.Event):
                # Any: SimPy types callbacks as a list, but a processed event has None there
                # (compiled, the typed attribute would refuse it)
                event: Any = item
                if event.callbacks is not None:  # not processed yet: wait for it
                    event.callbacks.append(self._resume)
                    self.target = event
                    return
                if event._ok:  # processed already: its value at once
                    value = event._value
                else:
                    exc = copy_of_failure(event)
                    value = None
                continue
            self.target = self._push(item, NORMAL, self._woken)  # a latency wait
            return


class Module(ModeMachine):
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
        primary: Module | None = None,
        port_name: str = "uart1",
    ) -> None:
        self.sim = sim
        self._trace = sim.trace  # direct calls (see ModeMachine._rec)
        self._env = sim.env
        self.profile = profile
        self.bearer = bearer
        self.host = host
        self.name = name
        # One device may run AT engines on several lines (a second physical UART, the channels
        # of a multiplexer): they share the bearer and the IP host, and ``primary`` is the
        # device's first engine, whose ``ports`` names every engine by its line.
        self.primary: Module = primary if primary is not None else self
        self.port_name = port_name
        if primary is None:
            self.ports: dict[str, Module] = {port_name: self}
        else:
            primary.ports[port_name] = self
        self.uart = (
            uart
            if uart is not None
            else Uart(
                sim,
                UartConfig(baud=profile.baud, dce_buffer=profile.uart_tx_buffer),
                name=f"{name}.uart",
            )
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
        self._executing = False
        self._line_proc: LineRun | None = None
        self._line_abortable = False
        self._last_line: str | None = None
        self._booting = False  # deaf and mute: powering up, or restarting
        self._boot_gen = 0  # which power-up the pending boot timers belong to
        self._new_baud: int | None = None
        self._init_modes(profile.command_buffer)
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

    def open_uart(self, name: str = "uart2") -> Module:
        """The AT engine of another physical UART of this device (created on first use): its
        own line, settings and data mode, the device's bearer, IP host and dialect class. The
        profile's ``uarts`` says how many the module has (``uart1`` is this engine's)."""
        primary = self.primary
        existing = primary.ports.get(name)
        if existing is not None:
            return existing
        names = [f"uart{i}" for i in range(2, primary.profile.uarts + 1)]
        if name not in names:
            raise ConfigError(
                "module.uart",
                f"{primary.profile.id} has no UART {name!r} "
                f"(it has {', '.join(['uart1', *names])})",
            )
        line = Uart(
            self.sim,
            UartConfig(baud=primary.profile.baud, dce_buffer=primary.profile.uart_tx_buffer),
            name=f"{primary.name}.{name}",
        )
        engine = Module(
            self.sim,
            primary.profile,
            primary.bearer,
            primary.host,
            dialect=type(primary.dialect),
            name=f"{primary.name}.{name}",
            uart=line,
            serial=0,
            primary=primary,
            port_name=name,
        )
        engine.imei = primary.imei
        return engine

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
        self._assembler.reset()
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
        self._assembler.s3, self._assembler.s5 = fmt.s3, s.s.get(5, 8)
        self.port.rtscts = s.flow[0] == 2 or s.flow[1] == 2
        self._update_dcd()

    def apply_settings(self, settings: Settings) -> None:
        """Replace the live settings (ATZ, AT&F) and apply them at once."""
        self.settings = settings.copy()
        self._sync_settings()

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
        self._line_proc = LineRun(self.sim.env, self._run_line(text))

    def _abort_line(self) -> bool:
        """A byte arrived while a command runs: interrupt it if it is abortable (ATD, ATA)."""
        if self._line_abortable and self._line_proc is not None and self._line_proc.alive:
            self._line_abortable = False
            self._line_proc.interrupt()
            return True
        return False

    # Yields SimPy events and latency waits in seconds (see LineRun).
    def _run_line(self, text: str | None) -> Generator[Any, Any, None]:
        final: Final = OK
        if text is None:
            yield self._sample_latency("basic")
            final = self._hook(self.dialect.syntax_error, None, "")
        else:
            self._rec("command", {"line": text})
            parsed = parse_command_line(text)
            if isinstance(parsed, ParseError):
                yield self._sample_latency("basic")
                self.sim.record(
                    self.name,
                    "syntax_error",
                    line=text,
                    position=parsed.position,
                    message=parsed.message,
                )
                final = self._hook(self.dialect.syntax_error, None, text)
            else:
                if not parsed:
                    yield self._sample_latency("basic")
                for cmd in parsed:
                    self._first_info = True
                    final = yield from self._run_command(cmd)
                    if final.ends_line:
                        break
        self._finish_line(final)

    def _run_command(self, cmd: Command) -> Generator[Any, Any, Final]:
        entry = self._handlers.get(cmd.name)
        ctx = Context(self, cmd)
        spec = entry[1] if entry else None
        latency_class = (spec.latency if spec and spec.latency else None) or (
            "basic"
            if cmd.name[0] not in "+^$%#"
            else "query"
            if cmd.form in (Form.READ, Form.TEST)
            else "set"
        )
        try:
            self._line_abortable = bool(spec and spec.abortable)
            yield self._sample_latency(latency_class)
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
            if isinstance(result, Final):  # the common answer: no ABC check for a generator
                return result
            if type(result) is GeneratorType or (
                result is not None and isinstance(result, Generator)
            ):
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
            self.sim.record(
                self.name,
                "handler_error",
                command=cmd.text,
                error=repr(exc),
                traceback=traceback.format_exc(limit=6),
            )
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
            self.sim.record(
                self.name,
                "handler_error",
                command=getattr(fn, "__name__", "hook"),
                error=repr(exc),
                traceback=traceback.format_exc(limit=6),
            )
            return default
        if default is not None and not isinstance(result, Final):
            self.sim.record(
                self.name,
                "handler_error",
                command=getattr(fn, "__name__", "hook"),
                error=f"returned {result!r}, not a Final",
            )
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
        # (the settings the line left were applied by _write_final's format_final)
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
            self.sim.call_later(
                self.port.byte_time() * max(1, self.port.pending + 64),
                self._apply_baud_when_idle,
                rate,
            )

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
        return template.format(
            manufacturer=p.manufacturer, model=p.model, revision=p.revision, imei=self.imei
        )
