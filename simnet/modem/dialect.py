"""The dialect API: how a vendor's AT command set plugs into the module core.

A dialect is a :class:`CommandSet` subclass whose methods are AT command handlers, marked with
the :func:`command` decorator. The module installs the 3GPP base commands
(:mod:`simnet.modem.base`) first and the dialect's commands after them, so a dialect overrides
a base command just by handling the same name. Adding a vendor never touches the engine.

A handler is called as ``handler(self, ctx, cmd)`` where ``cmd`` is the parsed
:class:`~simnet.modem.at.Command` and ``ctx`` a :class:`Context`. It either

* returns a :class:`~simnet.modem.at.Final` (``ctx.ok()``, ``ctx.cme(10)``…; ``None`` means
  ``OK``), having written information lines with ``ctx.info(...)``; or
* is a generator: it ``yield``s SimPy events (``ctx.sleep(0.2)``, a bearer event whose value
  is an :class:`~simnet.bearer.Outcome`, ``ctx.prompt(spec)``…), receives their values, and
  finally ``return``s the Final. The engine runs it on the virtual clock.

Example (a SIMCom-like send with a ``>`` prompt)::

    class MyDialect(Dialect):
        cme_errors = CME_27007.extend([(500, "vendor failure", "Manual §9.1")])

        @command("+XSEND", forms="s")
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
:class:`~simnet.modem.at.ArgumentError`; the engine answers it with
:meth:`Dialect.bad_argument` (``+CME ERROR: 50`` by default, which CMEE=0 prints as ERROR).

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
``bearer`` (``sim_card``, ``radio``, ``gprs``, ``csd``, ``dialup``), ``host`` (sockets,
``resolver``, ``ping``), ``settings`` (E/V/Q/CMEE, S-registers, ``params`` for stored values),
``s_ranges`` (add S-registers), ``clock()`` / ``set_clock(unix)``, ``pulse_ri()``,
``session`` (the current data session), ``in_data_mode``, ``online_command_mode``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
from simnet.modem.errors_3gpp import CME_27007, CME_INCORRECT_PARAMETERS, CMS_27005, ErrorTable

if TYPE_CHECKING:
    import simpy

    from simnet.bearer.api import BearerApi, GprsApi
    from simnet.kernel import Simulation
    from simnet.modem.module import DataSession, Module, Settings
    from simnet.modem.profile import ModuleProfile
    from simnet.net.host import Host

CTRL_Z = 0x1A
ESC = 0x1B
ETX = 0x03
DLE = 0x10  # V.24/ITU T.50 data link escape

HandlerResult = Final | None | Generator[Any, Any, Final | None]
Handler = Callable[["CommandSet", "Context", Command], HandlerResult]

# Latency classes a profile may time differently (ModuleProfile.latency keys).
LATENCY_CLASSES = ("basic", "query", "set", "sim", "network", "data")

_FORM_LETTERS = {"e": Form.EXEC, "r": Form.READ, "t": Form.TEST, "s": Form.SET}


@dataclass(frozen=True)
class CommandSpec:
    """What the :func:`command` decorator records about a handler."""

    names: tuple[str, ...]
    attr: str
    forms: frozenset[Form] | None
    latency: str | None
    abortable: bool
    allow_in_prompt: bool = False


def command(
    *names: str,
    forms: str | None = None,
    latency: str | None = None,
    abortable: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a method as the handler of one or more commands.

    ``names``: canonical names, e.g. ``"+CIPOPEN"``, ``"E"``, ``"&D"``, ``"D"``, ``"S"``
    (matched case-insensitively). ``forms``: the allowed forms as letters ``e`` (exec),
    ``r`` (read ``?``), ``t`` (test ``=?``), ``s`` (set ``=``); other forms get the dialect's
    :meth:`Dialect.unsupported_form` answer without calling the handler. ``latency``: the
    profile latency class (default: ``basic`` for basic commands, ``query`` for read/test,
    ``set`` otherwise). ``abortable``: a byte from the DTE while the handler runs interrupts
    it (V.250 §6.3.1 for ATD/ATA); the generator sees ``simpy.Interrupt``.
    """
    if not names:
        raise ValueError("command() needs at least one name")
    if latency is not None and latency not in LATENCY_CLASSES:
        raise ValueError(f"latency class {latency!r} not in {LATENCY_CLASSES}")
    form_set = None
    if forms is not None:
        try:
            form_set = frozenset(_FORM_LETTERS[c] for c in forms)
        except KeyError as exc:
            raise ValueError(f"forms letters are e/r/t/s, got {forms!r}") from exc

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.__at_command__ = CommandSpec(  # type: ignore[attr-defined]
            tuple(n.upper() for n in names), fn.__name__, form_set, latency, abortable
        )
        return fn

    return mark


_COMMAND_TABLES: dict[type, tuple[tuple[str, CommandSpec, tuple[str, ...]], ...]] = {}


class CommandSet:
    """A group of handlers bound to one module (base commands, a dialect)."""

    def __init__(self, module: Module) -> None:
        self.module = module

    @classmethod
    def command_specs(cls) -> list[CommandSpec]:
        """Every decorated handler, base classes first, so subclasses override by name."""
        return [spec for _attr, spec, _names in cls.command_table()]

    @classmethod
    def command_table(cls) -> tuple[tuple[str, CommandSpec, tuple[str, ...]], ...]:
        """``(attribute, spec, upper-case names)`` of every handler: built once per class and
        process (classes do not change after import), so a module costs no MRO walk."""
        table = _COMMAND_TABLES.get(cls)
        if table is None:
            specs: dict[str, CommandSpec] = {}
            for klass in reversed(cls.__mro__):
                for attr, value in vars(klass).items():
                    spec = getattr(value, "__at_command__", None)
                    if isinstance(spec, CommandSpec):
                        specs[attr] = spec
            table = tuple((attr, spec, tuple(n.upper() for n in spec.names)) for attr, spec in specs.items())
            _COMMAND_TABLES[cls] = table
        return table

    def power_cycle(self) -> None:
        """The module restarted: stop background work (:meth:`on_power_off`), then take the
        state of a fresh module by running the constructor again. The bearer ignores a
        listener registered twice, so re-registering in ``__init__`` is safe."""
        self.on_power_off()
        type(self).__init__(self, self.module)  # type: ignore[misc]

    def on_power_off(self) -> None:
        """Stop what runs in the background (pings, timers' work) before a restart."""

    def install(self) -> None:
        """Register this set's handlers with the module (later sets override earlier)."""
        rows: list[tuple[str, Any, CommandSpec]] = []
        for attr, spec, names in self.command_table():
            handler = getattr(self, attr)
            if not callable(handler):  # an instance attribute shadows the handler method
                raise TypeError(f"{type(self).__name__}.{attr} is shadowed by a non-callable")
            rows.extend((name, handler, spec) for name in names)
        self.module.register_many(rows)


class Dialect(CommandSet):
    """Base class of vendor dialects. Override the class attributes and hooks you need.

    Attributes (data, not code):

    * ``cme_errors`` / ``cms_errors``: :class:`ErrorTable` of the vendor (texts for CMEE=2).
    * ``data_mode_urcs``: ``"hold"`` (queue URCs while in online data mode, deliver on return
      to command mode), ``"hold_ri"`` (the same, and pulse the RI line for 1 s so the host
      knows one is waiting) or ``"drop"``.
    * ``prompt_echo``: whether bytes typed after a ``>`` prompt are echoed when ATE1.
    """

    cme_errors: ErrorTable = CME_27007
    cms_errors: ErrorTable = CMS_27005
    data_mode_urcs: str = "hold"
    prompt_echo: bool = False
    # Longest pause between the characters of the +++ escape, if the module's document sets
    # one shorter than the S12 guard time (seconds); None: the guard time bounds it.
    escape_gap_max: float | None = None
    cgpaddr_quoted: bool = True  # +CGPADDR: <cid>,"<addr>" (TS 27.007 §10.1.14 string type)

    def packet_service(self) -> GprsApi | None:
        """The bearer's packet domain (None: no bearer, or one without a packet service)."""
        bearer = self.module.bearer
        return bearer.gprs if bearer is not None else None

    # -- hooks --------------------------------------------------------------------------------
    def on_start(self) -> None:
        """Called once the module is powered and installed (e.g. schedule boot URCs)."""

    def bad_argument(self, ctx: Context, cmd: Command, err: ArgumentError) -> Final:
        """Answer to a parameter that failed validation: ERROR for V.250 basic commands
        (``ATE7``), ``+CME ERROR: 50`` (TS 27.007 §9.2.1) for extended ones."""
        if cmd.name[:1] not in "+^$%#":
            return ERROR
        return cme_error(CME_INCORRECT_PARAMETERS)

    def unknown_command(self, ctx: Context, cmd: Command) -> Final:
        """Answer to a command nobody handles: ERROR, never a blanket OK."""
        return ERROR

    def unsupported_form(self, ctx: Context, cmd: Command) -> Final:
        """Answer to a known command used in a form it does not have (e.g. ``AT+CGMI?``)."""
        return ERROR

    def syntax_error(self, ctx: Context | None, text: str) -> Final:
        """Answer to a line that does not parse (or overflowed the command buffer)."""
        return ERROR

    def handler_failed(self, ctx: Context, cmd: Command) -> Final:
        """Answer when a handler crashed (a bug; traced as ``handler_error``)."""
        return ERROR


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
      refuse the escape (the ``+++`` is then passed on as data).
    * ``on_resume() -> str | None``: ``ATO``; return the CONNECT line to print, or None for
      "cannot resume" (NO CARRIER).
    * ``on_hangup(reason) -> None``: ATH, ATZ or DTR drop with AT&D2 (``reason`` ``"ath"``,
      ``"dtr"``, ``"reset"``); close the socket/call. The engine prints the result.

    The link talks back through its :class:`~simnet.modem.module.DataSession`:
    ``session.to_dte(data) -> int`` (bounded by ``session.tx_space``), ``session.end(message)``
    when the connection ends by itself (``"NO CARRIER"``, ``"CLOSED"``…), ``session.suspended``.
    """

    escape_enabled: bool = True
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
    "PromptResult",
    "PromptSpec",
    "command",
    "escape_stream",
]
