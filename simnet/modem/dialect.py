"""The dialect API (the kit): how a vendor's AT command set plugs into the module core.

A dialect is a :class:`Dialect` subclass in ``simnet/modem/vendors/<vendor>/dialect.py``. The
module installs the 3GPP base commands (:mod:`simnet.modem.base`) first and the dialect's
commands after them, so a dialect overrides a base command just by handling the same name.
Adding a vendor never touches the engine (docs/architecture.md, "Adding a module").

A dialect is mostly data:

* ``settings``: :class:`~simnet.modem.params.Setting` rows, one per command that only stores
  parameters (test form rendered, set form checked and stored, read form answered from the row,
  persistence volatile / profile / non-volatile);
* ``cme_errors`` / ``cms_errors``: the vendor's :class:`ErrorTable`; ``own_bad_argument`` /
  ``own_unsupported_form``: what its own commands answer to a bad parameter / a form they do not
  have (the 3GPP base commands keep theirs);
* ``latencies``: processing delays of its actions (:meth:`Dialect.latency`);
* ``absent_commands``: base or inherited commands this module does not have at all.

The rest are handlers, methods marked with :func:`command`, called as
``handler(self, ctx, cmd)`` with the parsed :class:`~simnet.modem.at.Command` and a
:class:`Context`. A handler either

* returns a :class:`~simnet.modem.at.Final` (``ctx.ok()``, ``ctx.cme(10)``…; ``None`` means
  ``OK``), having written information lines with ``ctx.info(...)``; or
* is a generator: it ``yield``s SimPy events (``ctx.sleep(0.2)``, a bearer event whose value
  is an :class:`~simnet.bearer.Outcome`, ``ctx.prompt(spec)``…), receives their values, and
  finally ``return``s the Final. The engine runs it on the virtual clock.

Example (a SIMCom-like send with a ``>`` prompt)::

    class MyDialect(Dialect):
        cme_errors = CME_27007.extend([(500, "vendor failure", "Manual §9.1")])
        settings = (tables.XHEAD,)           # Setting("+XHEAD", (Param("mode", Range(0, 1), 1),),
        ...)

        @command("+XSEND", forms="s", requires=(sim_ready,))
        def xsend(self, ctx, cmd):
            link = cmd.int(0, lo=0, hi=9)
            got = yield ctx.prompt(PromptSpec(prompt=b"\\r\\n>", terminator=CTRL_Z,
                                               cancel=ESC, escape=ETX, max_len=1500))
            if got.reason != "terminator":
                return ctx.error()
            sock.send(got.data)
            ctx.info(f"+XSEND: {link},{len(got.data)}")
            return ctx.ok()

Parameter validation: ``cmd.int(i, lo=, hi=)`` / ``cmd.str(i, max_len=)`` raise
:class:`~simnet.modem.at.ArgumentError`; the engine traces it (``bad_argument``) and answers
with :meth:`Dialect.bad_argument` (``+CME ERROR: 50`` for extended commands by default, which
CMEE=0 prints as ERROR; the dialect's ``own_bad_argument`` for its own commands).
``requires=`` names checks that run before the handler (:func:`sim_ready`, or the dialect's
own, e.g. "not while a dial-up session holds the context").

Shared services (use them instead of re-building them per vendor): :meth:`Dialect.later`,
:meth:`Dialect.at` and :meth:`Dialect.spawn` run work on the virtual clock with a bug in it
traced (``internal_error``), never raised into the kernel; :meth:`Dialect.guarded` does the same
for socket callbacks; :meth:`Dialect.listen_packet_service` subscribes once to the bearer's
context losses (:meth:`Dialect.on_packet_service_event`); :meth:`Dialect.sim_error`,
:meth:`Dialect.set_last_error` (+CEER), :meth:`Dialect.record` (trace under
``trace_source``), :meth:`Dialect.urc` / :meth:`Dialect.urc_raw`, :meth:`Dialect.connect_rate`.
Address checks are in :mod:`simnet.modem.addresses`, receive buffers in
:mod:`simnet.modem.buffers`.

Data modes (see :class:`DataLink`): ``return ctx.connect(link, "115200")`` ends the command
with ``CONNECT 115200`` (``ctx.connect(link)`` prints a plain ``CONNECT``) and hands the UART
to ``link`` (transparent data, ``+++`` with guard times, ``ATO`` back, hang-up on ATH/DTR, a
closing message of the link's choice via ``session.end("CLOSED")``). A link that opens later,
outside a command, uses ``module.enter_data_mode(link, "CONNECT")`` (deferred until any
running line has ended). Prompt modes (``>`` then bytes until Ctrl-Z / ESC / a length / an
idle timeout, with an optional escape byte) are :class:`PromptSpec`; ETX/DLE framed streams
have :func:`escape_stream` and :class:`FramedStreamDecoder`.

URCs: ``module.urc(text)`` (or ``ctx.urc``) queues an unsolicited line, ``module.urc_raw(b)``
unframed bytes; they are written at once when the UART is idle in command mode, after the
final result code when a command is running, and in data mode according to
:attr:`Dialect.data_mode_urcs` (``"hold"`` until command mode returns, ``"hold_ri"`` which
also pulses RI, or ``"drop"``).

What a dialect finds on ``self.module``: ``sim``, ``profile`` (identity, limits, ``extra``),
``bearer`` (:class:`~simnet.bearer.api.BearerApi`: ``sim_card``, ``radio``, ``gprs``, ``csd``,
``dialup``), ``host`` (sockets, ``resolver``, ``ping``), ``settings`` (E/V/Q/CMEE, S-registers,
``params`` for profile values), ``base`` (the base commands: ``params``, ``ensure_context``),
``s_ranges`` (add S-registers), ``clock()`` / ``set_clock(unix)``, ``pulse_ri()``,
``session`` (the current data session), ``in_data_mode``, ``online_command_mode``.
"""

from __future__ import annotations

import inspect
import random
import traceback
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from simnet.bearer.sim_card import SimState
from simnet.kernel.procedure import Procedure
from simnet.modem.at import (
    BUSY,
    ERROR,
    NO_ANSWER,
    NO_CARRIER,
    OK,
    ArgumentError,
    Command,
    Final,
    Form,
    cme_error,
    cms_error,
    connect,
    text_result,
)
from simnet.modem.errors_3gpp import (
    CME_27007,
    CME_INCORRECT_PARAMETERS,
    CME_SIM_FAILURE,
    CME_SIM_NOT_INSERTED,
    CME_SIM_PIN_REQUIRED,
    CME_SIM_PUK_REQUIRED,
    CMS_27005,
    ErrorTable,
)
from simnet.modem.params import ParamStore, Setting, Value, answer_setting

if TYPE_CHECKING:
    import simpy

    from simnet.bearer.api import BearerApi, GprsApi, PdpContextView
    from simnet.bearer.outcomes import Outcome
    from simnet.kernel import Simulation
    from simnet.kernel.sim import Timer
    from simnet.modem.module import DataSession, Module, Settings
    from simnet.modem.profile import ModuleProfile
    from simnet.net.host import Host

CTRL_Z = 0x1A
ESC = 0x1B
ETX = 0x03
DLE = 0x10  # V.24/ITU T.50 data link escape

HandlerResult = Final | None | Generator[Any, Any, Final | None]
Handler = Callable[["CommandSet", "Context", Command], HandlerResult]
# A check that runs before a handler: None lets the command run, a Final is its answer.
Requirement = Callable[["Dialect", "Context", Command], "Final | None"]

# Latency classes a profile may time differently (ModuleProfile.latency keys).
LATENCY_CLASSES = ("basic", "query", "set", "sim", "network", "data")

_FORM_LETTERS = {"e": Form.EXEC, "r": Form.READ, "t": Form.TEST, "s": Form.SET}


def _forms(letters: str | None) -> frozenset[Form] | None:
    if letters is None:
        return None
    try:
        return frozenset(_FORM_LETTERS[c] for c in letters)
    except KeyError as exc:
        raise ValueError(f"forms letters are e/r/t/s, got {letters!r}") from exc


@dataclass(frozen=True)
class CommandSpec:
    """What the :func:`command` decorator (or a :class:`Setting` row) records about a command."""

    names: tuple[str, ...]
    attr: str
    forms: frozenset[Form] | None
    latency: str | None
    abortable: bool
    allow_in_prompt: bool = False
    requires: tuple[Requirement, ...] = ()
    row: Setting | None = None  # the parameter row the command answers, if it has one


def command(
    *names: str,
    forms: str | None = None,
    latency: str | None = None,
    abortable: bool = False,
    requires: tuple[Requirement, ...] = (),
    row: Setting | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a method as the handler of one or more commands.

    ``names``: canonical names, e.g. ``"+CIPOPEN"``, ``"E"``, ``"&D"``, ``"D"``, ``"S"``
    (matched case-insensitively). ``forms``: the allowed forms as letters ``e`` (exec),
    ``r`` (read ``?``), ``t`` (test ``=?``), ``s`` (set ``=``); other forms get the dialect's
    :meth:`Dialect.unsupported_form` answer without calling the handler. ``latency``: the
    profile latency class (default: ``basic`` for basic commands, ``query`` for read/test,
    ``set`` otherwise). ``abortable``: a byte from the DTE while the handler runs interrupts
    it (V.250 §6.3.1 for ATD/ATA); the generator sees ``simpy.Interrupt``. ``requires``:
    checks run in order before the handler; the first that answers ends the command.
    """
    if not names:
        raise ValueError("command() needs at least one name")
    if latency is not None and latency not in LATENCY_CLASSES:
        raise ValueError(f"latency class {latency!r} not in {LATENCY_CLASSES}")
    form_set = _forms(forms)

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.__at_command__ = CommandSpec(  # type: ignore[attr-defined]
            tuple(n.upper() for n in names),
            fn.__name__,
            form_set,
            latency,
            abortable,
            requires=tuple(requires),
            row=row,
        )
        return fn

    return mark


def setting_command(row: Setting) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """:func:`command` for a handler that answers ``row`` with a guard or an effect (it calls
    :meth:`CommandSet.setting`): name, forms, latency and requirements come from the row, and
    the row's values are kept in the command set's :class:`ParamStore` like a plain row's."""
    return command(row.name, forms=row.forms, latency=row.latency, requires=row.requires, row=row)


class TableEntry(NamedTuple):
    """One command of a command set: the handler method's name (None: a :class:`Setting` row
    answered by the kit), its spec and its upper-case names."""

    attr: str | None
    spec: CommandSpec
    names: tuple[str, ...]


_COMMAND_TABLES: dict[type, tuple[TableEntry, ...]] = {}
_INSTALL_ROWS: dict[type, tuple[tuple[str, str | None, CommandSpec], ...]] = {}


def _install_rows(cls: Any) -> tuple[tuple[str, str | None, CommandSpec], ...]:
    """``cls.command_table()`` flattened to (name, handler attribute or None, spec) rows, in
    order, once per class: installing a module's commands is one pass over them."""
    rows = _INSTALL_ROWS.get(cls)
    if rows is None:
        rows = _INSTALL_ROWS[cls] = tuple(
            (entry.names[0] if entry.attr is None else name, entry.attr, entry.spec)
            for entry in cls.command_table()
            for name in (entry.names[:1] if entry.attr is None else entry.names))
    return rows
_SETTING_ROWS: dict[type, dict[str, Setting]] = {}


class CommandSet:
    """A group of commands bound to one module (the base commands, a dialect).

    Class attributes: ``settings`` (rows the kit answers), ``absent_commands`` (names this
    module does not have, though a base class handles them), ``nonvolatile_state`` (instance
    attributes kept over a restart, like the PDP context definitions)."""

    settings: tuple[Setting, ...] = ()
    # Rows whose values the kit keeps (ParamStore, persistence) but whose commands are
    # handlers that do more than one row's forms (eDsoft's AT#BODY1 text entry).
    stored_rows: tuple[Setting, ...] = ()
    absent_commands: frozenset[str] = frozenset()
    nonvolatile_state: tuple[str, ...] = ()

    def __init__(self, module: Module) -> None:
        self.module = module
        self.params = ParamStore(module, self.setting_rows())
        self._latency_rngs: dict[str, random.Random] = {}  # Dialect.latency's streams

    @classmethod
    def setting_rows(cls) -> dict[str, Setting]:
        """Every parameter row this set keeps values for: its ``settings`` (over the class
        hierarchy, subclasses overriding by name) and the rows of its handlers."""
        rows = _SETTING_ROWS.get(cls)
        if rows is None:
            rows = {}
            for entry in cls.command_table():
                if entry.spec.row is not None:
                    rows[entry.spec.row.name] = entry.spec.row
            for klass in reversed(cls.__mro__):
                for row in vars(klass).get("stored_rows", ()):
                    rows[row.name] = row
            _SETTING_ROWS[cls] = rows
        return rows

    @classmethod
    def command_specs(cls) -> list[CommandSpec]:
        """Every command, base classes first, so subclasses override by name."""
        return [entry.spec for entry in cls.command_table()]

    @classmethod
    def command_table(cls) -> tuple[TableEntry, ...]:
        """Every handler and row of this class: built once per class and process (classes do
        not change after import), so a module costs no MRO walk."""
        table = _COMMAND_TABLES.get(cls)
        if table is not None:
            return table
        specs: dict[str, CommandSpec] = {}
        rows: dict[str, Setting] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                spec = getattr(value, "__at_command__", None)
                if isinstance(spec, CommandSpec):
                    specs[attr] = spec
            for row in vars(klass).get("settings", ()):
                rows[row.name] = row
        entries: list[TableEntry] = []
        handled: set[str] = set()
        for attr, spec in specs.items():
            names = tuple(
                n for n in (n.upper() for n in spec.names) if n not in cls.absent_commands
            )
            if names:
                entries.append(TableEntry(attr, spec, names))
                handled.update(names)
        for name, row in rows.items():
            if name in cls.absent_commands:
                continue
            if name in handled:
                raise TypeError(f"{cls.__name__}: {name} is both a handler and a settings row")
            spec = CommandSpec(
                (name,), name, _forms(row.forms), row.latency, False, requires=row.requires, row=row
            )
            entries.append(TableEntry(None, spec, (name,)))
        table = _COMMAND_TABLES[cls] = tuple(entries)
        return table

    @classmethod
    def own_names(cls) -> frozenset[str]:
        """The names this set registers."""
        return frozenset(n for entry in cls.command_table() for n in entry.names)

    def install(self) -> None:
        """Register this set's commands with the module (later sets override earlier)."""
        answer = self._answer_row
        rows: list[tuple[str, Any, CommandSpec]] = []
        for name, attr, spec in _install_rows(type(self)):
            if attr is None:
                rows.append((name, answer, spec))
                continue
            handler = getattr(self, attr)
            if not callable(handler):  # an instance attribute shadows the handler method
                raise TypeError(f"{type(self).__name__}.{attr} is shadowed by a non-callable")
            rows.append((name, handler, spec))
        self.module.register_many(rows)

    def _answer_row(self, ctx: Context, cmd: Command) -> Final | None:
        return answer_setting(ctx, cmd, self.params.rows[cmd.name], self.params)

    def setting(
        self,
        ctx: Context,
        cmd: Command,
        row: Setting,
        *,
        guard: Callable[[Context, dict[str, Value]], Final | None] | None = None,
        applied: Callable[[Context, dict[str, Value]], None] | None = None,
    ) -> Final | None:
        """Answer ``row``'s command like a plain row, with ``guard(ctx, new)`` able to refuse
        the change and ``applied(ctx, new)`` run once it is stored."""
        return answer_setting(ctx, cmd, row, self.params, guard, applied)

    def power_cycle(self) -> None:
        """The module restarted: stop background work (:meth:`on_power_off`), then take the
        state of a fresh module by running the constructor again, keeping what non-volatile
        memory holds (``nv`` rows, ``nonvolatile_state``). The bearer ignores a listener
        registered twice, so re-registering in ``__init__`` is safe."""
        self.on_power_off()
        kept_rows = self.params.nonvolatile()
        kept = {name: getattr(self, name) for name in self.nonvolatile_state}
        type(self).__init__(self, self.module)  # type: ignore[misc]
        self.params.restore(kept_rows)
        for name, value in kept.items():
            setattr(self, name, value)

    def on_power_off(self) -> None:
        """Stop what runs in the background (pings, timers' work) before a restart."""


# -- SIM state and requirements ----------------------------------------------------------------

# TS 27.007 §9.2.1: what a command that needs the SIM answers while it is not ready.
_SIM_STATE_CME = {
    SimState.ABSENT: CME_SIM_NOT_INSERTED,
    SimState.PIN: CME_SIM_PIN_REQUIRED,
    SimState.PUK: CME_SIM_PUK_REQUIRED,
}


def sim_error(module: Module) -> Final | None:
    """None when the SIM is ready; else the CME error a SIM-dependent command answers
    (a module without a bearer has no SIM)."""
    if module.bearer is None:
        return cme_error(CME_SIM_NOT_INSERTED)
    state = module.bearer.sim_card.state
    if state == SimState.READY:
        return None
    return cme_error(_SIM_STATE_CME.get(SimState(state), CME_SIM_FAILURE))


def sim_ready(dialect: Dialect, ctx: Context, cmd: Command) -> Final | None:
    """Requirement: the command needs a ready SIM ("PIN restricted"); test forms still answer."""
    if cmd.form is Form.TEST:
        return None
    return sim_error(dialect.module)


@dataclass(frozen=True, slots=True)
class Latency:
    """A uniform processing delay in seconds of one vendor action (a row of ``latencies``)."""

    low: float
    high: float
    ref: str


class Dialect(CommandSet):
    """Base class of vendor dialects: the data above and the shared services. Override the
    class attributes and hooks you need.

    * ``cme_errors`` / ``cms_errors``: :class:`ErrorTable` of the vendor (texts for CMEE=2).
    * ``own_bad_argument`` / ``own_unsupported_form``: the answers of the dialect's own
      commands (None: as the base commands answer).
    * ``data_mode_urcs``: ``"hold"`` (queue URCs while in online data mode, deliver on return
      to command mode), ``"hold_ri"`` (the same, and pulse the RI line for 1 s so the host
      knows one is waiting) or ``"drop"``.
    * ``prompt_echo``: whether bytes typed after a ``>`` prompt are echoed when ATE1.
    * ``trace_source``: source of the dialect's trace records (None: the module's name).
    * ``latencies``: :class:`Latency` rows by action name (:meth:`latency`).
    """

    cme_errors: ErrorTable = CME_27007
    cms_errors: ErrorTable = CMS_27005
    own_bad_argument: Final | None = None
    own_unsupported_form: Final | None = None
    data_mode_urcs: str = "hold"
    prompt_echo: bool = False
    # Longest pause between the characters of the +++ escape, if the module's document sets
    # one shorter than the S12 guard time (seconds); None: the guard time bounds it.
    escape_gap_max: float | None = None
    cgpaddr_quoted: bool = True  # +CGPADDR: <cid>,"<addr>" (TS 27.007 §10.1.14 string type)
    trace_source: str | None = None
    latencies: Mapping[str, Latency] = {}

    # -- hooks --------------------------------------------------------------------------------
    def on_start(self) -> None:
        """Called once the module is powered and installed (e.g. schedule boot URCs)."""

    def on_packet_service_event(self, context: PdpContextView, outcome: Outcome) -> None:
        """A PDP context was lost without being asked to (after :meth:`listen_packet_service`)."""

    def bad_argument(self, ctx: Context, cmd: Command, err: ArgumentError) -> Final:
        """Answer to a parameter that failed validation: the dialect's own answer for its own
        commands; else ERROR for V.250 basic commands (``ATE7``) and ``+CME ERROR: 50``
        (TS 27.007 §9.2.1) for extended ones."""
        if self.own_bad_argument is not None and cmd.name in self.own_names():
            return self.own_bad_argument
        if cmd.name[:1] not in "+^$%#":
            return ERROR
        return cme_error(CME_INCORRECT_PARAMETERS)

    def unknown_command(self, ctx: Context, cmd: Command) -> Final:
        """Answer to a command nobody handles: ERROR, never a blanket OK."""
        return ERROR

    def unsupported_form(self, ctx: Context, cmd: Command) -> Final:
        """Answer to a known command used in a form it does not have (e.g. ``AT+CGMI?``)."""
        if self.own_unsupported_form is not None and cmd.name in self.own_names():
            return self.own_unsupported_form
        return ERROR

    def syntax_error(self, ctx: Context | None, text: str) -> Final:
        """Answer to a line that does not parse (or overflowed the command buffer)."""
        return ERROR

    def handler_failed(self, ctx: Context, cmd: Command) -> Final:
        """Answer when a handler crashed (a bug; traced as ``handler_error``)."""
        return ERROR

    # -- services: the module's world ---------------------------------------------------------
    @property
    def sim(self) -> Simulation:
        return self.module.sim

    @property
    def device(self) -> Dialect:
        """The dialect of the device's first AT engine (``module.primary``). State that every
        line of one device shares (one IP stack serving a second UART and the multiplexer's
        channels: its sockets, its bearers) lives there; this engine's own state stays here."""
        return self.module.primary.dialect

    @property
    def host(self) -> Host:
        """The module's own IP host (its sockets, resolver, ping)."""
        host = self.module.host
        if host is None:
            raise RuntimeError(
                f"module {self.module.name} has no IP host (create_module(..., host=))"
            )
        return host

    def packet_service(self) -> GprsApi | None:
        """The bearer's packet domain (None: no bearer, or one without a packet service)."""
        bearer = self.module.bearer
        return bearer.gprs if bearer is not None else None

    def listen_packet_service(self) -> None:
        """Have :meth:`on_packet_service_event` called for every context the network or the
        bearer takes away (idempotent; kept over restarts)."""
        gprs = self.packet_service()
        if gprs is not None:
            gprs.add_listener(self._packet_service_event)

    def _packet_service_event(self, context: PdpContextView, outcome: Outcome) -> None:
        self.call_guarded(self.on_packet_service_event, context, outcome)

    def sim_error(self) -> Final | None:
        """None when the SIM is ready, else the TS 27.007 error a SIM command answers."""
        return sim_error(self.module)

    def set_last_error(self, text: str) -> None:
        """What AT+CEER reports next (TS 27.007 §6.10: the last failed call or PDP activation,
        or the last context deactivation)."""
        self.module.base.last_error = text

    # -- services: output ---------------------------------------------------------------------
    def record(self, kind: str, **fields: Any) -> None:
        """A trace record under the dialect's source."""
        self.module.sim.record(self.trace_source or self.module.name, kind, **fields)

    def urc(self, text: str) -> None:
        self.module.urc(text)

    def urc_raw(self, data: bytes) -> None:
        """Unsolicited bytes written as they are (pushed payload, no CR LF after it), under the
        URC rules: never inside a response, held or dropped in data mode."""
        self.module.urc_raw(bytes(data))

    def connect_rate(self) -> str:
        """The <text> of CONNECT for a data link (V.250 §6.2.7): the UART's current rate."""
        baud = self.module.line_baud
        return str(baud if baud > 0 else 115200)

    # -- services: work on the virtual clock -------------------------------------------------
    def latency(self, name: str) -> float:
        """A processing delay of action ``name`` (``latencies``), from its own random stream."""
        row = self.latencies[name]
        rng = self._latency_rngs.get(name)
        if rng is None:  # the stream is the same object every time: looked up once a name
            rng = self.module.sim.rng(f"modem.{self.module.profile.id}.latency.{name}")
            self._latency_rngs[name] = rng
        low = row.low
        return low + (row.high - low) * rng.random()  # rng.uniform(low, high), one frame less

    def call_guarded(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)``; a bug in it is traced (``internal_error``) and None returned."""
        try:
            return fn(*args)
        except Exception as exc:
            self.internal_error(exc)
            return None

    def guarded(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` wrapped for callbacks the network stack or a timer makes: model code never
        raises into the kernel (``call_guarded``, in one frame)."""

        def run(*args: Any) -> Any:
            try:
                return fn(*args)
            except Exception as exc:
                self.internal_error(exc)
                return None

        return run

    def later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        """``fn(*args)`` after ``delay`` seconds of virtual time (guarded, cancellable)."""
        return self.module.sim.call_later(delay, self.call_guarded, fn, *args)

    def at(self, when: float, fn: Callable[..., Any], *args: Any) -> Timer:
        """``fn(*args)`` at virtual time ``when`` (guarded, cancellable)."""
        return self.module.sim.call_at(when, self.call_guarded, fn, *args)

    def spawn(self, gen: Generator[Any, Any, Any], done: simpy.Event | None = None) -> Procedure:
        """Run a background procedure on the virtual clock from this instant (a
        :class:`~simnet.kernel.procedure.Procedure`: it yields SimPy events, or a number of
        seconds to wait, and takes a SimPy process's place in the event order). A bug in it is
        traced, never raised into the kernel (and ``done``, an event a command may wait on,
        still fires with False)."""

        def failed(_exc: Exception) -> None:
            self.internal_error(_exc)
            if done is not None and not done.triggered:
                done.succeed(False)

        return Procedure(self.module.sim, gen, failed)

    def internal_error(self, exc: Exception) -> None:
        """A bug in the dialect, made visible in the trace."""
        self.record("internal_error", error=repr(exc), traceback=traceback.format_exc(limit=6))


# -- prompt mode ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptSpec:
    """How to collect bytes after a prompt, e.g. SIMCom's ``>`` + Ctrl-Z / ESC / ETX escaping,
    a fixed length, or Fibocom's ``>`` + raw bytes pushed after an idle timeout.

    ``prompt``: bytes written first (``b"\\r\\n>"``, ``b">\\r\\n"``, ``b"\\r\\nCONNECT\\r\\n"``).
    ``terminator`` ends the data (not included); ``cancel`` aborts it; ``escape`` makes the
    next byte literal (SIMCom ETX before Ctrl-Z/ESC/ETX, Wavecom DLE before ETX); ``length``
    ends after exactly that many data bytes; ``max_len`` bounds the buffer (reaching it ends
    with reason ``"full"``); ``idle_timeout`` ends after that much silence (``"timeout"``)
    and ``total_timeout`` after that long overall. ``discard_excess``: bytes that arrive
    after the end in the same chunk are dropped instead of being read as commands.
    """

    prompt: bytes = b"> "
    terminator: int | None = CTRL_Z
    cancel: int | None = ESC
    escape: int | None = None
    length: int | None = None
    max_len: int = 1500
    idle_timeout: float | None = None
    total_timeout: float | None = None
    echo: bool | None = None  # None: the dialect's prompt_echo under ATE1
    discard_excess: bool = False


@dataclass(frozen=True)
class PromptResult:
    """What a prompt collected. ``reason``: ``terminator``, ``cancel``, ``length``, ``full``,
    ``timeout`` (idle or total), ``hangup`` (DTR dropped)."""

    data: bytes
    reason: str

    @property
    def sent(self) -> bool:
        """True when the data should be sent (not cancelled or hung up)."""
        return self.reason not in ("cancel", "hangup")


# -- framed streams (Wavecom [ETX]/[DLE], SIMCom [ETX] escaping) --------------------------------


def escape_stream(data: bytes, specials: bytes, escape: int) -> bytes:
    """Encode ``data`` so each byte in ``specials`` (and ``escape`` itself) is preceded by
    ``escape``: e.g. WIPsoft continuous mode sends [DLE][ETX] for a literal ETX (§6.2.1.4)."""
    out = bytearray()
    marks = set(specials) | {escape}
    for b in data:
        if b in marks:
            out.append(escape)
        out.append(b)
    return bytes(out)


class FramedStreamDecoder:
    """Sans-IO decoder of an escaped stream that ends at an ``end`` byte (``[ETX]``), where
    ``escape`` (``[DLE]``) makes the next byte literal. ``feed`` returns (payload, ended,
    consumed); bytes after the end are left for the caller."""

    def __init__(self, end: int = ETX, escape: int | None = DLE) -> None:
        self.end = end
        self.escape = escape
        self._escaped = False

    def feed(self, data: bytes) -> tuple[bytes, bool, int]:
        out = bytearray()
        for i, b in enumerate(data):
            if self._escaped:
                self._escaped = False
                out.append(b)
            elif self.escape is not None and b == self.escape:
                self._escaped = True
            elif b == self.end:
                return bytes(out), True, i + 1
            else:
                out.append(b)
        return bytes(out), False, len(data)


# -- online data mode ----------------------------------------------------------------------------


class DataLink:
    """The far side of online data mode. Subclass it; every hook has a sensible default.

    The engine calls:

    * ``on_start(session)`` when CONNECT has been written; keep ``session`` to talk back.
    * ``on_dte_data(data) -> int``: bytes from the host (escape sequence removed); return how
      many were taken. The rest stays in the module's bounded receive buffer until the link
      calls ``session.resume_input()`` (with RTS/CTS on, CTS drops meanwhile).
    * ``on_escape() -> str | None``: ``+++`` was recognised; return the result line to print
      (``"OK"``) and the link is suspended (online command mode, ``ATO`` resumes), or None to
      refuse the escape (the ``+++`` is then passed on as data). A link with
      ``escape_ends_session`` is not suspended but ended by the escape (WIPsoft: ``+++`` unmaps
      the socket; the UART is back in command mode and ``ATO`` has nothing to resume).
    * ``on_resume() -> str | None``: ``ATO``; return the CONNECT line to print, or None for
      "cannot resume" (NO CARRIER).
    * ``on_hangup(reason) -> None``: ATH, ATZ or DTR drop with AT&D2 (``reason`` ``"ath"``,
      ``"dtr"``, ``"reset"``); close the socket/call. The engine prints the result.

    The link talks back through its :class:`~simnet.modem.module.DataSession`:
    ``session.to_dte(data) -> int`` (bounded by ``session.tx_space``), ``session.end(message)``
    when the connection ends by itself (``"NO CARRIER"``, ``"CLOSED"``…), ``session.suspended``.
    """

    escape_enabled: bool = True
    escape_ends_session: bool = False
    session: DataSession | None = None

    def on_start(self, session: DataSession) -> None:
        self.session = session

    def on_dte_data(self, data: bytes) -> int:
        return len(data)

    def on_escape(self) -> str | None:
        return "OK"

    def on_resume(self) -> str | None:
        return "CONNECT"

    def on_hangup(self, reason: str) -> None:
        return None


# -- the handler context -------------------------------------------------------------------------


class Context:
    """What a handler sees of the module while it runs one command."""

    __slots__ = ("module", "cmd")

    def __init__(self, module: Module, cmd: Command | None) -> None:
        self.module = module
        self.cmd = cmd

    # Attributes handlers use every day.
    @property
    def sim(self) -> Simulation:
        return self.module.sim

    @property
    def now(self) -> float:
        return self.module.sim.now

    @property
    def bearer(self) -> BearerApi | None:
        return self.module.bearer

    @property
    def host(self) -> Host | None:
        return self.module.host

    @property
    def profile(self) -> ModuleProfile:
        return self.module.profile

    @property
    def settings(self) -> Settings:
        return self.module.settings

    @property
    def dialect(self) -> Dialect:
        return self.module.dialect

    # Output.
    def info(self, *lines: str) -> None:
        """Write information response lines (framed per ATV; header before the first only)."""
        for line in lines:
            self.module.write_info(line)

    def raw(self, data: bytes) -> None:
        """Write bytes as they are (payload read from a socket, a hex dump...)."""
        self.module.write_raw(data)

    def urc(self, text: str) -> None:
        self.module.urc(text)

    # Final results.
    def ok(self) -> Final:
        return OK

    def error(self) -> Final:
        return ERROR

    def cme(self, code: int) -> Final:
        return cme_error(code)

    def cms(self, code: int) -> Final:
        return cms_error(code)

    def no_carrier(self) -> Final:
        return NO_CARRIER

    def busy(self) -> Final:
        return BUSY

    def no_answer(self) -> Final:
        return NO_ANSWER

    def text(self, line: str, *, numeric: int | None = None, error: bool = False) -> Final:
        """A dialect's own final line (``"CONNECT FAIL"``); ``error`` stops a ``;`` chain."""
        return text_result(line, numeric=numeric, error=error)

    def connect(self, link: DataLink, text: str = "") -> Final:
        """End the command with ``CONNECT[ text]`` and hand the UART to ``link``."""
        self.module.prepare_data_mode(link)
        return connect(text)

    def data_mode(self, link: DataLink, text: str, *, numeric: int | None = None) -> Final:
        """End the command with a dialect's own result line (``text``, ``numeric`` under ATV0)
        and then hand the UART to ``link``, as :meth:`connect` does after CONNECT."""
        self.module.prepare_data_mode(link)
        return text_result(text, numeric=numeric, data=True)

    # Waiting (yield these from a generator handler).
    def sleep(self, seconds: float) -> simpy.Event:
        return self.module.sim.timeout(max(0.0, seconds))

    def prompt(self, spec: PromptSpec) -> simpy.Event:
        """Write ``spec.prompt`` and collect bytes; the event's value is a PromptResult."""
        return self.module.start_prompt(spec)


def is_generator_handler(fn: Callable[..., Any]) -> bool:
    return inspect.isgeneratorfunction(fn)


__all__ = [
    "CME_27007",
    "CMS_27005",
    "CTRL_Z",
    "DLE",
    "ESC",
    "ETX",
    "ArgumentError",
    "Command",
    "CommandSet",
    "CommandSpec",
    "Context",
    "DataLink",
    "Dialect",
    "ErrorTable",
    "Final",
    "FramedStreamDecoder",
    "Form",
    "Latency",
    "PromptResult",
    "PromptSpec",
    "Requirement",
    "TableEntry",
    "command",
    "escape_stream",
    "setting_command",
    "sim_error",
    "sim_ready",
]
