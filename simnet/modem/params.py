"""Parameter commands as table rows (the dialect kit's ParamSpec).

Most AT commands a module documents only store parameters: ``AT+X=<a>[,<b>...]`` checks each
value against its documented range and keeps it, ``AT+X?`` prints the values, ``AT+X=?`` the
ranges. Such a command is one :class:`Setting` row in the vendor's ``tables.py``::

    CIPHEAD = Setting("+CIPHEAD", (Param("mode", Range(0, 1), 1),), "S76 L1108",
                      forms="trse", reset_on_exec=True)

and the dialect lists it in ``settings``. The kit then answers all forms:

- test (``=?``): ``+CIPHEAD: (0-1)`` rendered from the domains (``test=`` when a manual prints
  it otherwise);
- set (``=``): every given value parsed and checked against its domain, omitted ones keep
  their current value, at least ``required`` leading values must be given; a bad value
  answers the row's ``error`` or, by default, the dialect's own-command error policy
  (``Dialect.own_bad_argument``), and is traced (``bad_argument``);
- read (``?``): ``+CIPHEAD: 1`` (strings quoted, ``read=`` to print it otherwise);
- exec: the defaults again when ``reset_on_exec``, else an unsupported form.

Values live in a :class:`ParamStore` per command set, for as long as the row's
:class:`Persistence` says: ``volatile`` rows are lost on a restart, ``profile`` rows are part of
the user profile (AT&W stores them, ATZ and AT&F restore them), ``nv`` rows are kept in
non-volatile memory over restarts. Indexed rows (``index=``) keep one set of values per index,
e.g. Fibocom's per-socket ``+MIPCONF``.

A command that stores parameters *and* does something (a guard before storing, an effect
after) is a short handler calling :meth:`~simnet.modem.dialect.CommandSet.setting` with the row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from simnet.kernel.units import ascii_digits
from simnet.modem.addresses import is_ipv4
from simnet.modem.at import ERROR, ArgumentError, Command, Final, Form
from simnet.modem.at import Param as AtParam

if TYPE_CHECKING:
    from simnet.modem.dialect import Context, Requirement
    from simnet.modem.module import Module

Value = int | str


class Persistence(StrEnum):
    """How long a setting keeps its value."""

    VOLATILE = "volatile"  # RAM: a restart (AT+CFUN=1,1, power cycle) restores the default
    PROFILE = "profile"  # the user profile: AT&W stores it, ATZ / AT&F restore it (V.250 §6.1)
    NV = "nv"  # non-volatile memory (flash): kept over a restart


# -- value domains -------------------------------------------------------------------------------

_V = TypeVar("_V", int, str)


class _Domain(Generic[_V]):
    """What every domain offers besides ``parse``."""

    __slots__ = ()

    def parse(self, cmd: Command, i: int) -> _V:
        raise NotImplementedError

    def arg(self, cmd: Command, i: int, default: _V | None = None) -> _V:
        """Parameter ``i`` in this domain; ``default`` when left out (None: required)."""
        if default is not None and not cmd.has(i):
            return default
        return self.parse(cmd, i)


@dataclass(frozen=True, slots=True)
class Range(_Domain[int]):
    """Integers ``lo``..``hi`` (test form ``(lo-hi)``, or ``(lo)`` when they are equal). A
    negative ``lo`` accepts a sign (time zones in quarters of an hour: ``(-96-96)``)."""

    lo: int
    hi: int
    text: str | None = None
    quoted: bool = False  # also accept the number in quotes (Wavecom eDsoft: AT#TCPPORT=1,"23")

    def parse(self, cmd: Command, i: int) -> int:
        if self.quoted:
            cmd = _unquoted(cmd, i)
        if self.lo >= 0:
            return cmd.int(i, lo=self.lo, hi=self.hi)
        p = cmd.params[i]
        body = (p.value or "").removeprefix("-").removeprefix("+")
        if p.quoted or not ascii_digits(body) or len(body) > 10:
            raise ArgumentError(i, f"expected a decimal integer, got {p.value!r}")
        value = int(p.value or "0")
        if value < self.lo:
            raise ArgumentError(i, f"{value} below {self.lo}")
        if value > self.hi:
            raise ArgumentError(i, f"{value} above {self.hi}")
        return value

    def render(self) -> str:
        if self.text is not None:
            return self.text
        return f"({self.lo})" if self.lo == self.hi else f"({self.lo}-{self.hi})"

    def contains(self, value: Value) -> bool:
        return isinstance(value, int) and self.lo <= value <= self.hi

    def values(self) -> range:
        return range(self.lo, self.hi + 1)


@dataclass(frozen=True, slots=True)
class OneOf(_Domain[int]):
    """Integers from a list (test form ``(0,2,4)``)."""

    choices: tuple[int, ...]
    text: str | None = None
    quoted: bool = False  # also accept the number in quotes

    def parse(self, cmd: Command, i: int) -> int:
        if self.quoted:
            cmd = _unquoted(cmd, i)
        return cmd.int(i, allowed=self.choices)

    def render(self) -> str:
        return self.text if self.text is not None else "(" + ",".join(map(str, self.choices)) + ")"

    def contains(self, value: Value) -> bool:
        return isinstance(value, int) and value in self.choices

    def values(self) -> tuple[int, ...]:
        return self.choices


@dataclass(frozen=True, slots=True)
class Text(_Domain[str]):
    """A string of at most ``max_len`` characters (and at least ``min_len``), optionally one of
    ``choices`` (matched case-insensitively, kept upper case when ``upper``). Test form: the
    choices quoted, else ``text`` (default: nothing, as TS 27.007 prints string parameters)."""

    max_len: int
    min_len: int = 0
    choices: tuple[str, ...] = ()
    upper: bool = False
    text: str | None = None
    # A check of the whole value (an IPv4 address, a phone number), with what it expects.
    valid: Callable[[str], bool] | None = None
    expects: str = ""

    def parse(self, cmd: Command, i: int) -> str:
        value = cmd.str(i, max_len=self.max_len)
        if self.upper:
            value = value.upper()
        if len(value) < self.min_len:
            raise ArgumentError(i, f"shorter than {self.min_len} characters")
        if self.choices and value not in self.choices:
            raise ArgumentError(i, f"{value!r} not one of {self.choices}")
        if self.valid is not None and value and not self.valid(value):
            raise ArgumentError(i, f"{value!r} is not {self.expects or 'a valid value'}")
        return value

    def render(self) -> str:
        if self.text is not None:
            return self.text
        return "(" + ",".join(f'"{c}"' for c in self.choices) + ")" if self.choices else ""

    def contains(self, value: Value) -> bool:
        return (isinstance(value, str) and self.min_len <= len(value) <= self.max_len
                and (not self.choices or value in self.choices)
                and (self.valid is None or not value or self.valid(value)))

    def values(self) -> tuple[str, ...]:
        return self.choices


@dataclass(frozen=True, slots=True)
class IPv4(_Domain[str]):
    """A dotted IPv4 address given as a string (``"192.168.0.1"``); read back quoted."""

    text: str | None = None

    def parse(self, cmd: Command, i: int) -> str:
        value = cmd.str(i, max_len=15)
        if not is_ipv4(value):
            raise ArgumentError(i, f"{value!r} is not a dotted IPv4 address")
        return value

    def render(self) -> str:
        return self.text if self.text is not None else ""

    def contains(self, value: Value) -> bool:
        return isinstance(value, str) and is_ipv4(value)

    def values(self) -> tuple[str, ...]:
        return ()


Domain = Range | OneOf | Text | IPv4


def _unquoted(cmd: Command, i: int) -> Command:
    """``cmd`` with parameter ``i`` read as bare text even if it was quoted."""
    if i >= len(cmd.params) or not cmd.params[i].quoted:
        return cmd
    params = list(cmd.params)
    params[i] = AtParam(params[i].value, quoted=False)
    return replace(cmd, params=tuple(params))


@dataclass(frozen=True, slots=True)
class Param:
    """One positional parameter: its spec name, allowed values and default."""

    name: str
    domain: Domain
    default: Value
    ref: str = ""
    bare: bool = False  # print a string unquoted (eDsoft's ``#FTPTYPE = I``)
    # The default is a "not configured" marker outside the settable values (eDsoft UDPPORT:
    # default 0, "port number 0 is illegal").
    unset_default: bool = False

    def show(self, value: Value) -> str:
        """The value as a read form prints it (strings quoted, TS 27.007 §4.1)."""
        return (
            f'"{value}"' if isinstance(self.domain, Text | IPv4) and not self.bare else str(value)
        )


# -- rows ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """A command that stores parameters (see the module docstring). ``forms`` as
    :func:`~simnet.modem.dialect.command` takes them; ``required``: leading parameters a set
    must carry; ``read``: the read line with ``{values}`` for the shown values (default
    ``"<name>: {values}"``), ``read_count`` of them; ``test``: the whole test line; ``error``:
    the answer to a parameter that does not fit (None: the dialect's own-command error);
    ``keep_omitted``: a parameter left out of a set keeps its value (else: its default). A
    string parameter's default may be empty (not set) whatever its minimum length.
    ``read_by_index``: on an indexed row, a set form naming only the index reads that index
    (eDsoft ``AT#TCPPORT=1``)."""

    name: str
    params: tuple[Param, ...]
    ref: str
    persistence: Persistence = Persistence.VOLATILE
    forms: str = "trs"
    reset_on_exec: bool = False
    required: int = 1
    index: Param | None = None
    read: str | None = None
    read_count: int | None = None
    test: str | None = None
    error: Final | None = None
    latency: str | None = None
    requires: tuple[Requirement, ...] = ()
    keep_omitted: bool = True
    read_by_index: bool = False
    names: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(p.name for p in self.params))
        if self.reset_on_exec and "e" not in self.forms:
            raise ValueError(
                f"{self.name}: reset_on_exec needs the exec form (forms={self.forms!r})"
            )
        for p in self.params:
            unset_text = p.default == "" and isinstance(p.domain, Text | IPv4)
            if not unset_text and not p.unset_default and not p.domain.contains(p.default):
                raise ValueError(
                    f"{self.name}.{p.name}: default {p.default!r} outside {p.domain.render()}"
                )

    def defaults(self) -> dict[str, Value]:
        return {p.name: p.default for p in self.params}

    def indexes(self) -> tuple[Value, ...]:
        return tuple(self.index.domain.values()) if self.index is not None else ()


class Access(StrEnum):
    """Who may change an option."""

    READ_WRITE = "rw"
    READ_ONLY = "r"


@dataclass(frozen=True, slots=True)
class Option:
    """One entry of an option table: a value addressed by a number or a name inside one
    command (``AT+WIPCFG=2,<opt num>,<value>``, ``AT+WIPOPT=...,<optnum>,<optval>``,
    ``AT+GTSET="<name>",<value>``), with its domain, default, access and citation."""

    key: int | str
    name: str
    domain: Domain
    default: Value
    ref: str
    access: Access = Access.READ_WRITE

    def __post_init__(self) -> None:
        unset_text = self.default == "" and isinstance(self.domain, Text | IPv4)
        if not unset_text and not self.domain.contains(self.default):
            raise ValueError(
                f"option {self.key} ({self.name}): default {self.default!r} outside "
                f"{self.domain.render() or type(self.domain).__name__}"
            )

    @property
    def writable(self) -> bool:
        return self.access is Access.READ_WRITE

    def show(self, value: Value) -> str:
        """The value as read forms print it (strings quoted)."""
        return f'"{value}"' if isinstance(self.domain, Text | IPv4) else str(value)


class OptionTable(Mapping[int | str, Option]):
    """Options by key, in table order: ``table[4].domain``, ``table.defaults()``,
    ``table.parse(key, cmd, i)`` (the value of parameter ``i`` checked against the option's
    domain, ``ArgumentError`` otherwise). Unknown keys are simply not in the table, so a
    dialect answers them with its own "invalid option" code."""

    def __init__(self, rows: tuple[Option, ...] | list[Option]) -> None:
        self._rows: dict[int | str, Option] = {}
        for row in rows:
            if row.key in self._rows:
                raise ValueError(f"option {row.key} twice in one table")
            self._rows[row.key] = row

    def __getitem__(self, key: int | str) -> Option:
        return self._rows[key]

    def __iter__(self) -> Iterator[int | str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def defaults(self) -> dict[int | str, Value]:
        return {key: row.default for key, row in self._rows.items()}

    def parse(self, key: int | str, cmd: Command, i: int) -> Value:
        return self._rows[key].domain.parse(cmd, i)


# -- parsing and rendering (pure: no module, no clock) --------------------------------------------


def parse_set(row: Setting, cmd: Command, current: Mapping[str, Value]) -> dict[str, Value]:
    """The values ``AT<name>=...`` asks for (omitted ones keep ``current``), or ArgumentError
    carrying the row's answer. The index of an indexed row is not part of the result."""
    offset = 1 if row.index is not None else 0
    limit = len(row.params) + offset
    if len(cmd.params) > limit:
        raise ArgumentError(limit, f"at most {limit} parameters", answer=row.error)
    for i in range(offset, offset + row.required):
        if not cmd.has(i):
            raise ArgumentError(i, "required", answer=row.error)
    new = dict(current) if row.keep_omitted else row.defaults()
    try:
        for i, p in enumerate(row.params, start=offset):
            if cmd.has(i):
                new[p.name] = p.domain.parse(cmd, i)
    except ArgumentError as err:
        err.answer = row.error
        raise
    return new


def parse_index(row: Setting, cmd: Command) -> Value:
    """The index an indexed row's set form names (its first parameter)."""
    assert row.index is not None
    if not cmd.has(0):
        raise ArgumentError(0, "required", answer=row.error)
    try:
        return row.index.domain.parse(cmd, 0)
    except ArgumentError as err:
        err.answer = row.error
        raise


def render_test(row: Setting) -> str:
    if row.test is not None:
        return row.test
    domains = ([row.index] if row.index is not None else []) + list(row.params)
    return f"{row.name}: " + ",".join(p.domain.render() for p in domains)


def render_read(row: Setting, values: Mapping[str, Value], index: Value | None = None) -> str:
    shown = row.params[: row.read_count]
    text = ",".join(p.show(values[p.name]) for p in shown)
    if index is not None:
        text = f"{index},{text}"
    return (row.read or "{name}: {values}").format(name=row.name, values=text)


# -- the store ---------------------------------------------------------------------------------


class ParamStore:
    """The current values of a command set's rows. ``store["+CIPCCFG"]["NmRetry"]``; indexed
    rows ``store.at("+MIPCONF", 3)["retr_num"]``. Profile rows live in the module's settings
    (``Settings.params``), so AT&W / ATZ / AT&F act on them like on ATE or ATS0."""

    def __init__(self, module: Module, rows: Mapping[str, Setting]) -> None:
        self.module = module
        self.rows = rows
        self._values: dict[str, Any] = {
            name: self._fresh(row)
            for name, row in rows.items()
            if row.persistence != Persistence.PROFILE
        }
        self._erased: set[str] = set()  # nv rows erased since they were last set
        # Changes made through the store (set, reset, restore): what a reader worked out from
        # rows that are not profile rows holds while this stays the same (profile rows also
        # change with the module's settings, ATZ / AT&F, which this does not count).
        self.version = 0

    @staticmethod
    def _fresh(row: Setting) -> Any:
        if row.index is None:
            return row.defaults()
        return {i: row.defaults() for i in row.indexes()}

    def _table(self, name: str) -> Any:
        row = self.rows[name]
        if row.persistence == Persistence.PROFILE:
            params = self.module.settings.params
            if name not in params:
                params[name] = self._fresh(row)
            return params[name]
        return self._values[name]

    def __getitem__(self, name: str) -> Mapping[str, Value]:
        return self._table(name)  # type: ignore[no-any-return]

    def __contains__(self, name: str) -> bool:
        return name in self.rows

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def at(self, name: str, index: Value) -> Mapping[str, Value]:
        return self._table(name)[index]  # type: ignore[no-any-return]

    def set(self, name: str, values: Mapping[str, Value], index: Value | None = None) -> None:
        """Store new values (a new object: AT&W's copy of the profile must not change)."""
        if index is None:
            self._put(name, dict(values))
        else:
            table = dict(self._table(name))
            table[index] = dict(values)
            self._put(name, table)

    def reset(self, name: str) -> None:
        """Back to the row's defaults (every index of an indexed row)."""
        self._put(name, self._fresh(self.rows[name]))

    def _put(self, name: str, table: Any) -> None:
        self.version += 1
        self._erased.discard(name)
        if self.rows[name].persistence == Persistence.PROFILE:
            self.module.settings.params[name] = table
        else:
            self._values[name] = table

    def nonvolatile(self) -> dict[str, Any]:
        """What survives a restart (the ``nv`` rows), for :meth:`restore`."""
        return {
            name: self._values[name]
            for name, row in self.rows.items()
            if row.persistence == Persistence.NV and name not in self._erased
        }

    def restore(self, kept: Mapping[str, Any]) -> None:
        self.version += 1
        self._values.update(kept)
        self._erased.clear()

    def erase_nonvolatile(self) -> None:
        """Erase what non-volatile memory holds (eDsoft AT#DELFLASH): the current values stay
        until a restart, which then brings the defaults back; a row set after the erase is
        written to memory again."""
        self._erased.update(
            name for name, row in self.rows.items() if row.persistence == Persistence.NV
        )


SettingHandler = Callable[["Context", Command], "Final | None"]


def answer_setting(
    ctx: Context,
    cmd: Command,
    row: Setting,
    store: ParamStore,
    guard: Callable[[Context, dict[str, Value]], Final | None] | None = None,
    applied: Callable[[Context, dict[str, Value]], None] | None = None,
) -> Final | None:
    """Answer any form of ``row``'s command from ``store`` (see the module docstring).
    ``guard(ctx, new)`` may refuse a change (its Final is the answer) after the values were
    checked; ``applied(ctx, new)`` runs once they are stored."""
    form = cmd.form
    if form is Form.TEST:
        ctx.info(render_test(row))
        return None
    if form is Form.READ:
        if row.index is None:
            ctx.info(render_read(row, store[row.name]))
        else:
            ctx.info(*(render_read(row, store.at(row.name, i), i) for i in row.indexes()))
        return None
    index: Value | None = None
    if form is Form.EXEC:
        if not row.reset_on_exec:
            return ERROR
        if row.index is not None:
            store.reset(row.name)
            return None
        new = row.defaults()
    elif row.index is not None:
        index = parse_index(row, cmd)
        if row.read_by_index and len(cmd.params) == 1:
            ctx.info(render_read(row, store.at(row.name, index), index))
            return None
        new = parse_set(row, cmd, store.at(row.name, index))
    else:
        new = parse_set(row, cmd, store[row.name])
    if guard is not None:
        refused = guard(ctx, new)
        if refused is not None:
            return refused
    store.set(row.name, new, index)
    if applied is not None:
        applied(ctx, new)
    return None
