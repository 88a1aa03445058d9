"""Sans-IO AT command syntax (ITU-T V.250 §5): line assembly, command-line parsing, results.

Nothing here knows about time, UARTs or modules. The glue in :mod:`simnet.modem.module` feeds
received bytes to a :class:`LineAssembler`, hands each complete line to
:func:`parse_command_line`, runs the handlers and renders what they answer with
:class:`ResultFormatter`. Keeping these pure makes every syntax form testable byte for byte.
"""

from __future__ import annotations

import enum
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field

from simnet.kernel.units import ascii_digits

# -- command line assembly (V.250 §5.2.1, §5.2.4) ---------------------------------------------


# The assembler's events (typed and immutable, after h11's ``_events.py``). ``consumed`` is how
# many of the bytes fed were taken; it is not part of an event's identity (equality).
#
# _FROZEN_INIT: the frozen dataclasses made for every command and result (LineReady, NeedData,
# Param, Command, Final) write their own ``__init__``, the same signature and stores as the
# generated one (``dataclass`` keeps a class's own): compiled, mypyc makes it native (about 20
# ns against 250-600 ns for the generated one, which stays interpreted Python calling
# ``object.__setattr__`` per field); in the pure build both cost the same. Equality, hashing,
# repr, ``replace`` and immutability still come from ``dataclass``.
@dataclass(frozen=True, slots=True)
class LineReady:
    """A complete command line; ``text`` is what followed the ``AT`` prefix, S3 excluded."""

    text: str
    consumed: int = field(default=0, compare=False)

    def __init__(self, text: str, consumed: int = 0) -> None:  # see _FROZEN_INIT
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "consumed", consumed)


@dataclass(frozen=True, slots=True)
class RepeatLast:
    """``A/`` was received: re-execute the previous command line (V.250 §5.2.4)."""

    consumed: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class LineOverflow:
    """The line outgrew the command buffer; it was discarded up to its S3 (answer ERROR)."""

    length: int
    consumed: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class NeedData:
    """Every byte fed was taken and no line is complete yet (h11's NEED_DATA)."""

    consumed: int = field(default=0, compare=False)

    def __init__(self, consumed: int = 0) -> None:  # see _FROZEN_INIT
        object.__setattr__(self, "consumed", consumed)


AssemblerEvent = LineReady | RepeatLast | LineOverflow | NeedData

_IDLE, _GOT_A, _IN_LINE = 0, 1, 2


class LineAssembler:
    """Collects bytes into command lines, in the style of a V.250 DCE.

    * Bytes before an ``A`` are ignored (line noise, stray LF after CR).
    * ``AT`` (any case) opens a line; ``A/`` repeats the previous line at once.
    * S5 (backspace) deletes the last character, then the ``T``, then the ``A``.
    * Other control characters inside a line are ignored (V.250 §5.2.2), so NULs and binary
      noise never grow the buffer.
    * At most ``max_line`` characters are kept; an overlong line is discarded up to its S3 and
      reported as :class:`LineOverflow`, so memory stays bounded for any input.

    :meth:`feed` stops at the first complete line and its event says how many bytes it consumed
    (``consumed``), because bytes after a line belong to the next line, which must wait until
    this one has run.
    """

    def __init__(self, max_line: int = 556, s3: int = 13, s5: int = 8) -> None:
        self.max_line = max_line
        self.s3 = s3
        self.s5 = s5
        self._state = _IDLE
        self._buf = bytearray()
        self._overflow = 0  # characters dropped from the current line

    @property
    def partial(self) -> bool:
        """True while a line has been opened (``A`` seen) but not terminated."""
        return self._state != _IDLE

    def _special(self) -> re.Pattern[bytes]:
        """Bytes that end a run of plain line characters: S3, S5 and control characters."""
        key = (self.s3, self.s5)
        pattern = _SPECIAL.get(key)
        if pattern is None:
            pattern = _SPECIAL[key] = re.compile(
                b"[" + re.escape(bytes((self.s3, self.s5))) + rb"\x00-\x1f\x7f]"
            )
        return pattern

    def _plain_run_end(self, data: bytes, i: int) -> int:
        """Where the run of plain line characters from ``i`` ends (the next special byte, or
        ``len(data)``). Usually the line runs clean to its S3: one ``find`` and one C pass
        that deletes special bytes (none) prove it, several times faster over a 2 KB hex
        +MIPSEND line than the character-class search, which remains for the other cases."""
        s3 = self.s3
        end = data.find(bytes((s3,)), i)
        stop = len(data) if end < 0 else end
        run = data[i:stop]
        specials = _SPECIAL_BYTES.get((s3, self.s5))
        if specials is None:
            specials = _SPECIAL_BYTES[(s3, self.s5)] = bytes(
                sorted({s3, self.s5, 0x7F, *range(0x20)})
            )
        if len(run.translate(None, specials)) == len(run):
            return stop
        m = self._special().search(data, i, stop)
        return stop if m is None else m.start()

    def reset(self) -> None:
        self._state = _IDLE
        self._buf.clear()
        self._overflow = 0

    def feed(self, data: bytes) -> AssemblerEvent:
        """Consume bytes until a line completes: the line's event, or :class:`NeedData` when
        all of ``data`` was taken without completing one."""
        s3, s5 = self.s3, self.s5
        n = len(data)
        i = 0
        while i < n:
            state = self._state
            if state == _IDLE:
                # Fast path: noise between lines is skipped without a Python loop per byte.
                m = _A_SEARCH.search(data, i)
                if m is None:
                    return NeedData(n)
                self._state = _GOT_A
                i = m.end()
                continue
            byte = data[i]
            i += 1
            if state == _GOT_A:
                if byte in (0x54, 0x74):  # 'T' / 't'
                    self._state = _IN_LINE
                    self._buf.clear()
                    self._overflow = 0
                elif byte == 0x2F:  # '/'
                    self._state = _IDLE
                    return RepeatLast(i)
                elif byte in (0x41, 0x61):
                    pass  # "AAT": the second A may still open the line
                else:
                    self._state = _IDLE
                continue
            # _IN_LINE
            if byte == s3:
                self._state = _IDLE
                if self._overflow:
                    length = len(self._buf) + self._overflow
                    self._buf.clear()
                    self._overflow = 0
                    return LineOverflow(length, i)
                text = self._buf.decode("latin-1")
                self._buf.clear()
                return LineReady(text, i)
            if byte == s5:
                if self._overflow:
                    self._overflow -= 1
                elif self._buf:
                    del self._buf[-1]
                else:
                    self._state = _GOT_A  # the backspace ate the 'T'
                continue
            if byte < 0x20 or byte == 0x7F:
                continue  # control characters are ignored inside a line
            if len(self._buf) < self.max_line:
                # Plain characters up to the next special byte are copied at once (a 2 KB hex
                # +MIPSEND line is one slice, not 2,000 Python steps).
                self._buf.append(byte)
                j = self._plain_run_end(data, i)
                take = min(j - i, self.max_line - len(self._buf))
                if take > 0:
                    self._buf += data[i : i + take]
                    i += take
                continue
            if len(self._buf) >= self.max_line:
                # Overflowing: everything up to the next S3 is discarded in one step.
                end = data.find(bytes((s3,)), i)
                stop = n if end < 0 else end
                self._overflow += stop - i + 1
                i = stop
                continue
            self._buf.append(byte)
        return NeedData(n)


_A_SEARCH: typing.Final = re.compile(rb"[Aa]")
_SPECIAL: typing.Final[dict[tuple[int, int], re.Pattern[bytes]]] = {}
_SPECIAL_BYTES: typing.Final[dict[tuple[int, int], bytes]] = {}  # the same set, for translate


class LineEndFilter:
    """Drops the line end a host sends after a command's terminating S3 (sans-IO).

    Host drivers end command lines with CR LF. A real module takes the CR as the end of the
    line and discards the LF (and any run of CR/LF) that follows it, whatever comes next: the
    next command line, a ``>`` prompt, online data after CONNECT. So TinyGSM's
    ``AT+CIPSEND=0,5\\r\\n`` then ``hello`` sends ``hello``, not ``\\nhell``. The filter is
    armed when a line is terminated and drops CR/LF until another byte arrives or the module
    switches to a prompt or data mode (bytes after the switch are the host's payload). Under
    ATE1 the dropped bytes are not echoed either (``AT\\r\\n`` echoes ``AT\\r``).
    """

    __slots__ = ("armed", "dropped")

    def __init__(self) -> None:
        self.armed = False
        self.dropped = 0  # bytes dropped since armed (for the trace)

    def arm(self) -> None:
        self.armed = True
        self.dropped = 0

    def disarm(self) -> None:
        self.armed = False

    def feed(self, data: bytes) -> bytes:
        """``data`` without the leading CR/LF run while armed; a payload byte disarms."""
        if not self.armed or not data:
            return data
        rest = data.lstrip(b"\r\n")
        self.dropped += len(data) - len(rest)
        if rest:
            self.armed = False
        return rest


# -- parsed commands -----------------------------------------------------------------------------


class Form(enum.Enum):
    """The four syntactic forms of a command (V.250 §5.3, §5.4)."""

    EXEC = "exec"  # AT+X      / ATE1 (basic commands carry their number in args)
    READ = "read"  # AT+X?     / ATS3?
    TEST = "test"  # AT+X=?    / ATS3=?
    SET = "set"  # AT+X=...  / ATS3=13


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a command: ``value`` is None when omitted (``AT+X=1,,3``)."""

    value: str | None
    quoted: bool = False

    def __init__(self, value: str | None, quoted: bool = False) -> None:  # see _FROZEN_INIT
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "quoted", quoted)

    @property
    def omitted(self) -> bool:
        return self.value is None


class ArgumentError(Exception):
    """A handler found a parameter out of range or of the wrong type.

    Raised by the :class:`Command` accessors; the engine catches it and answers with
    ``answer`` or else the dialect's "bad parameter" result, so handlers can validate in one
    line each.
    """

    def __init__(self, index: int, message: str, *, answer: Final | None = None) -> None:
        self.index = index
        self.message = message
        self.answer = answer  # what the module answers (None: the dialect's bad_argument)
        super().__init__(f"parameter {index + 1}: {message}")


# Command has methods named int and str; annotations inside its body use these names.
_Int = int
_Str = str


@dataclass(frozen=True, slots=True)
class Command:
    """One command of a command line, as parsed.

    ``name`` is canonical upper case: ``"+CGDCONT"``, ``"E"``, ``"&D"``, ``"S"`` (with the
    register in ``index``), ``"D"`` (dial string in ``args``). ``args`` is the raw text after
    ``=`` for extended commands, the number for basic ones (``"1"`` in ``ATE1``, ``""`` in
    ``ATE``), the value for ``ATSn=v`` and the dial string for ``ATD``. ``params`` is ``args``
    split at commas outside quotes.
    """

    name: str
    form: Form
    args: str = ""
    params: tuple[Param, ...] = ()
    text: str = ""
    index: int | None = None

    def __init__(  # see _FROZEN_INIT
        self,
        name: str,
        form: Form,
        args: str = "",
        params: tuple[Param, ...] = (),
        text: str = "",
        index: int | None = None,
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "form", form)
        object.__setattr__(self, "args", args)
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "index", index)

    # -- typed accessors (raise ArgumentError; the engine turns it into the module's error) ----
    def __len__(self) -> int:
        return len(self.params)

    def has(self, i: int) -> bool:
        """True when parameter ``i`` (0-based) is present and not empty."""
        return i < len(self.params) and self.params[i].value is not None

    def int(
        self,
        i: _Int,
        default: _Int | None = None,
        *,
        lo: _Int | None = None,
        hi: _Int | None = None,
        allowed: tuple[_Int, ...] | None = None,
    ) -> _Int:
        """Parameter ``i`` as a decimal integer in ``[lo, hi]`` (or in ``allowed``)."""
        if not self.has(i):
            if default is None:
                raise ArgumentError(i, "required")
            return default
        p = self.params[i]
        text = p.value or ""
        if p.quoted or not ascii_digits(text) or len(text) > 10:
            raise ArgumentError(i, f"expected a decimal integer, got {text!r}")
        value = int(text)
        if lo is not None and value < lo:
            raise ArgumentError(i, f"{value} below {lo}")
        if hi is not None and value > hi:
            raise ArgumentError(i, f"{value} above {hi}")
        if allowed is not None and value not in allowed:
            raise ArgumentError(i, f"{value} not one of {allowed}")
        return value

    def str(
        self,
        i: _Int,
        default: _Str | None = None,
        *,
        max_len: _Int | None = None,
        require_quotes: bool = False,
    ) -> _Str:
        """Parameter ``i`` as a string (quoted or, unless ``require_quotes``, bare)."""
        if not self.has(i):
            if default is None:
                raise ArgumentError(i, "required")
            return default
        p = self.params[i]
        if require_quotes and not p.quoted:
            raise ArgumentError(i, "expected a quoted string")
        value = p.value or ""
        if max_len is not None and len(value) > max_len:
            raise ArgumentError(i, f"longer than {max_len} characters")
        return value

    def max_params(self, n: _Int) -> None:
        """Raise ArgumentError when more than ``n`` parameters were given."""
        if len(self.params) > n:
            raise ArgumentError(n, f"at most {n} parameters")


@dataclass(frozen=True, slots=True)
class ParseError:
    """The line is not valid V.250 syntax; nothing on it is executed."""

    position: int
    message: str


# Characters allowed in extended command names (V.250 §5.4.1) and the prefixes vendors use.
_EXT_PREFIXES: typing.Final = "+^$%#"
_NAME_CHARS: typing.Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!%-./:_")
_BASIC_LETTERS: typing.Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


_EXT_NAME: typing.Final = re.compile(r"[A-Za-z0-9!%\-./:_]*")


def _args_end(line: str, k: int) -> int:
    """Where an extended command's arguments starting at ``k`` end: the first ``;`` outside a
    string constant, or the end of the line (found by ``str.find`` from quote to quote, not
    character by character: a +MIPSEND line carries 2,000 hex digits)."""
    n = len(line)
    while True:
        semi = line.find(";", k)
        quote = line.find('"', k)
        if quote < 0 or 0 <= semi < quote:
            return n if semi < 0 else semi
        close = line.find('"', quote + 1)
        if close < 0:
            return n  # an unclosed string runs to the end of the line
        k = close + 1


def split_params(args: str) -> tuple[tuple[Param, ...], str | None]:
    """Split extended-command arguments at commas outside double quotes.

    Returns (params, error). Whitespace outside quotes is already gone (see
    :func:`parse_command_line`). ``""`` gives one omitted parameter, as in ``AT+X=``.
    """
    params: list[Param] = []
    i, n = 0, len(args)
    while True:
        if i < n and args[i] == '"':
            end = args.find('"', i + 1)
            if end < 0:
                return (), "unterminated string"
            params.append(Param(args[i + 1 : end], quoted=True))
            i = end + 1
            if i < n and args[i] != ",":
                return (), "text after a closing quote"
        else:
            end = args.find(",", i)
            if end < 0:
                end = n
            token = args[i:end]
            if '"' in token:
                return (), "quote inside a bare parameter"
            params.append(Param(token if token else None, quoted=False))
            i = end
        if i >= n:
            break
        i += 1  # skip the comma
        if i >= n:
            params.append(Param(None))  # trailing comma: one more omitted parameter
            break
    return tuple(params), None


def _strip_spaces(line: str) -> str | None:
    """Drop spaces outside string constants (V.250 §5.1); None if a quote is unbalanced."""
    if " " not in line:  # nothing to drop (a 2 KB hex line is not split and joined again)
        return line if line.count('"') % 2 == 0 else None
    parts = line.split('"')
    if len(parts) % 2 == 0:
        return None  # an odd number of quotes: one string constant is not closed
    # Even parts are outside quotes, odd ones inside.
    return '"'.join(part if k % 2 else part.replace(" ", "") for k, part in enumerate(parts))


def parse_command_line(text: str) -> list[Command] | ParseError:
    """Parse the text after ``AT`` into commands (V.250 §5.3–5.4).

    Basic commands may follow each other directly (``E0V1``); extended commands end at ``;``
    or the end of the line; ``;`` also separates basic commands. ``D`` takes the rest of the
    line up to a ``;`` (kept in ``args`` as the voice-call marker is dropped, see ``index``).
    An empty line (plain ``AT``) yields an empty list.
    """
    line = _strip_spaces(text)
    if line is None:
        return ParseError(len(text), "unterminated string")
    commands: list[Command] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        start = i
        if ch == ";":
            i += 1
            continue
        up = ch.upper()
        if ch in _EXT_PREFIXES:
            j = _EXT_NAME.match(line, i + 1).end()  # type: ignore[union-attr]  # always matches
            while j < n and line[j].upper() in _NAME_CHARS:  # other letters whose upper case is one
                j += 1
            if j == i + 1:
                return ParseError(i, "empty extended command name")
            name = ch + line[i + 1 : j].upper()
            if j < n and line[j] == "?":
                form, args, j = Form.READ, "", j + 1
            elif j + 1 < n + 1 and line[j : j + 2] == "=?":
                form, args, j = Form.TEST, "", j + 2
            elif j < n and line[j] == "=":
                k = _args_end(line, j + 1)
                form, args, j = Form.SET, line[j + 1 : k], k
            else:
                form, args = Form.EXEC, ""
            if j < n and line[j] != ";":
                return ParseError(j, f"unexpected {line[j]!r} after {name}")
            params: tuple[Param, ...] = ()
            if form is Form.SET:
                params, err = split_params(args)
                if err:
                    return ParseError(start, err)
            commands.append(Command(name, form, args, params, line[start:j]))
            i = j
            continue
        if up == "D":
            k = line.find(";", i + 1)
            end = n if k < 0 else k
            dial = line[i + 1 : end]
            voice = 1 if k >= 0 else 0
            commands.append(Command("D", Form.EXEC, dial, (), line[start:end], index=voice))
            i = end + (1 if k >= 0 else 0)
            continue
        if up == "S":
            j = i + 1
            while j < n and "0" <= line[j] <= "9":
                j += 1
            if j == i + 1:
                return ParseError(i, "S without a register number")
            reg = int(line[i + 1 : j])
            if j < n and line[j] == "?":
                commands.append(Command("S", Form.READ, "", (), line[start : j + 1], index=reg))
                i = j + 1
            elif line[j : j + 2] == "=?":
                commands.append(Command("S", Form.TEST, "", (), line[start : j + 2], index=reg))
                i = j + 2
            elif j < n and line[j] == "=":
                k = j + 1
                while k < n and "0" <= line[k] <= "9":
                    k += 1
                value = line[j + 1 : k]
                commands.append(
                    Command("S", Form.SET, value, (Param(value or None),), line[start:k], index=reg)
                )
                i = k
            else:
                commands.append(Command("S", Form.EXEC, "", (), line[start:j], index=reg))
                i = j
            continue
        if up in "&\\":
            if i + 1 >= n or line[i + 1].upper() not in _BASIC_LETTERS:
                return ParseError(i, f"{ch} without a command letter")
            name = up + line[i + 1].upper()
            j = i + 2
        elif up in _BASIC_LETTERS:
            name = up
            j = i + 1
        else:
            return ParseError(i, f"unexpected character {ch!r}")
        k = j
        while k < n and "0" <= line[k] <= "9":
            k += 1
        number = line[j:k]
        if k < n and line[k] == "?":
            commands.append(Command(name, Form.READ, number, (), line[start : k + 1]))
            i = k + 1
            continue
        params = (Param(number),) if number else ()
        commands.append(Command(name, Form.EXEC, number, params, line[start:k]))
        i = k
    return commands


# -- result codes and response formatting (V.250 §5.7) ----------------------------------------


class ResultKind(enum.Enum):
    OK = "OK"
    CONNECT = "CONNECT"
    RING = "RING"
    NO_CARRIER = "NO CARRIER"
    ERROR = "ERROR"
    NO_DIALTONE = "NO DIALTONE"
    BUSY = "BUSY"
    NO_ANSWER = "NO ANSWER"
    CME = "+CME ERROR"
    CMS = "+CMS ERROR"
    TEXT = "text"  # a dialect's own final line (e.g. "CONNECT FAIL", "SEND FAIL")
    NONE = "none"  # the handler already wrote everything; no final result code


# V.250 §5.7.1 Table 1: numeric forms of the basic result codes.
NUMERIC_CODES: typing.Final[dict[ResultKind, int]] = {
    ResultKind.OK: 0,
    ResultKind.CONNECT: 1,
    ResultKind.RING: 2,
    ResultKind.NO_CARRIER: 3,
    ResultKind.ERROR: 4,
    ResultKind.NO_DIALTONE: 6,
    ResultKind.BUSY: 7,
    ResultKind.NO_ANSWER: 8,
}

# A tuple: membership by identity (an Enum's hash is a Python-level call; asked per command).
_ERROR_KINDS: typing.Final = (
    ResultKind.ERROR,
    ResultKind.CME,
    ResultKind.CMS,
    ResultKind.NO_CARRIER,
    ResultKind.NO_DIALTONE,
    ResultKind.BUSY,
    ResultKind.NO_ANSWER,
)


@dataclass(frozen=True, slots=True)
class Final:
    """The final result of one command (or of a whole line).

    ``code`` is the CME/CMS error number; ``text`` the CONNECT suffix (``"115200"``) or the
    whole line for TEXT results; ``numeric`` the code shown under ATV0 for TEXT results;
    ``stop`` marks results that end a command line even when successful (CONNECT);
    ``data``: a TEXT result after which the UART goes to the command's data link, as after
    CONNECT (Wavecom eDsoft's ``Ok_Info_WaitingForData``).
    """

    kind: ResultKind
    code: int | None = None
    text: str = ""
    numeric: int | None = None
    error: bool = field(default=False)
    data: bool = False

    def __init__(  # see _FROZEN_INIT
        self,
        kind: ResultKind,
        code: int | None = None,
        text: str = "",
        numeric: int | None = None,
        error: bool = False,
        data: bool = False,
    ) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "numeric", numeric)
        object.__setattr__(self, "error", error)
        object.__setattr__(self, "data", data)

    @property
    def is_error(self) -> bool:
        return self.error or self.kind in _ERROR_KINDS

    @property
    def ends_line(self) -> bool:
        return self.is_error or self.data or self.kind in (ResultKind.CONNECT, ResultKind.NONE)

    @property
    def enters_data(self) -> bool:
        """The UART goes to the data link the command prepared once this result is written."""
        return self.data or self.kind is ResultKind.CONNECT


OK: typing.Final = Final(ResultKind.OK)
ERROR: typing.Final = Final(ResultKind.ERROR)
NO_CARRIER: typing.Final = Final(ResultKind.NO_CARRIER)
BUSY: typing.Final = Final(ResultKind.BUSY)
NO_ANSWER: typing.Final = Final(ResultKind.NO_ANSWER)
NO_DIALTONE: typing.Final = Final(ResultKind.NO_DIALTONE)
NO_RESULT: typing.Final = Final(ResultKind.NONE)


def cme_error(code: int) -> Final:
    return Final(ResultKind.CME, code=code)


def cms_error(code: int) -> Final:
    return Final(ResultKind.CMS, code=code)


def connect(text: str = "") -> Final:
    return Final(ResultKind.CONNECT, text=text)


def text_result(
    text: str, *, numeric: int | None = None, error: bool = False, data: bool = False
) -> Final:
    return Final(ResultKind.TEXT, text=text, numeric=numeric, error=error, data=data)


class ResultFormatter:
    """Renders information text, result codes and URCs under the current E/V/Q/CMEE settings.

    V.250 §5.7.1: with ATV1 a result code is ``<S3><S4>text<S3><S4>`` and an information
    response is framed the same way; with ATV0 a result code is ``code<S3>`` and information
    text is ``text<S3><S4>``. ATQ1 suppresses result codes but not information text.
    Consecutive information lines of one response share the framing: the header only precedes
    the first (``\\r\\n+CGDCONT: 1...\\r\\n+CGDCONT: 2...\\r\\n``), as modules print them.
    """

    def __init__(self) -> None:
        self.verbose = True
        self.quiet = False
        self.cmee = 0
        self.s3 = 13
        self.s4 = 10

    @property
    def eol(self) -> bytes:
        return bytes((self.s3, self.s4))

    def info(self, line: str, first: bool) -> bytes:
        body = line.encode("latin-1", "replace")
        eol = self.eol
        if self.verbose and first:
            return eol + body + eol
        return body + eol

    def urc(self, text: str) -> bytes:
        return self.info(text, first=True)

    def final(
        self,
        result: Final,
        cme_text: Mapping[int, str] | None = None,
        cms_text: Mapping[int, str] | None = None,
    ) -> bytes:
        """Bytes for a final result code; empty under ATQ1 or for ResultKind.NONE."""
        if self.quiet or result.kind is ResultKind.NONE:
            return b""
        kind = result.kind
        if kind in (ResultKind.CME, ResultKind.CMS):
            if self.cmee == 0:
                return self._basic(ResultKind.ERROR, "")
            table = cme_text if kind is ResultKind.CME else cms_text
            code = result.code if result.code is not None else 100
            detail = str(code)
            if self.cmee == 2 and table and code in table:
                detail = table[code]
            line = f"{kind.value}: {detail}"
            return self._line(line)
        if kind is ResultKind.TEXT:
            if self.verbose or result.numeric is None:
                return self._line(result.text)
            return f"{result.numeric}".encode() + bytes((self.s3,))
        suffix = f" {result.text}" if kind is ResultKind.CONNECT and result.text else ""
        return self._basic(kind, suffix)

    def _basic(self, kind: ResultKind, suffix: str) -> bytes:
        if self.verbose:
            eol = self.eol
            return eol + f"{kind._value_}{suffix}".encode() + eol
        return f"{NUMERIC_CODES[kind]}".encode() + bytes((self.s3,))

    def _line(self, text: str) -> bytes:
        # Extended result codes (+CME ERROR etc.) have no numeric form; under ATV0 they are
        # printed like information text (assumption recorded in docs/assumptions.md).
        body = text.encode("latin-1", "replace")
        if self.verbose:
            return self.eol + body + self.eol
        return body + self.eol
