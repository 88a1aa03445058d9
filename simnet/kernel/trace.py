"""The trace: every UART burst, packet, state change and fault, stamped with virtual time.

A record is ``(t, source, kind, fields)``. Records are kept in memory (for the DataFrame and the
digest) and may also be streamed to JSONL or Parquet as they happen, so a long run can be
followed live. The digest is a SHA-256 over the canonical JSON lines of the records — exactly
the bytes of the JSONL export — so the same scenario and seed give the same digest on any
machine, and a user can check a trace file against a report with ``sha256sum``.

Long runs keep memory bounded (:class:`TraceConfig`): a *level* says which record kinds stay
in memory, a *ring* keeps only the newest N, and streams carry every record to disk. The digest
still covers every record, whatever is kept: records leaving memory are folded in first.
``Trace.summary()`` says what was kept. (``mute`` is different: muted kinds are not records at
all, not even in the digest — for throughput benchmarks only.)
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, Final, NamedTuple

from simnet.errors import ConfigError
from simnet.kernel.trace_config import LEVELS as LEVELS
from simnet.kernel.trace_config import PACKET_KINDS as PACKET_KINDS
from simnet.kernel.trace_config import UART_KINDS as UART_KINDS
from simnet.kernel.trace_config import TraceConfig as TraceConfig
from simnet.kernel.units import Real


class TraceRecord(NamedTuple):
    t: Real
    source: str
    kind: str
    fields: dict[str, Any]

    def to_json_obj(self) -> dict[str, Any]:
        t: Any = self.t  # Any, not Real: compiled, round() of a Real would make 0 into 0.0
        obj: dict[str, Any] = {"t": round(t, 9), "source": self.source, "kind": self.kind}
        for key, value in self.fields.items():
            cls = type(value)
            obj[key] = value if cls is str or cls is int or value is None else _jsonable(value)
        return obj


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


# One encoder for every line: json.dumps with options builds a new encoder per call.
_ENCODER: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
# What that encoder does with a string (ensure_ascii) and a float, as C functions.
json_str: Callable[[str], str] = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]
_float_repr = float.__repr__
_int_repr = int.__repr__
_INF: Final[Real] = float("inf")  # one boxed object (see tcp_engine.INF)
# Builds a TraceRecord without the NamedTuple constructor's Python frame (per record).
_new_record = tuple.__new__


def json_value(value: Any) -> str:
    """``value`` as the canonical line encodes it (the same text ``_ENCODER`` writes for it
    inside a record)."""
    cls = type(value)
    if cls is str:
        return json_str(value)
    if cls is int:
        return _int_repr(value)
    if cls is float:
        value = round(value, 9)
        if value == value and value != _INF and value != -_INF:
            return _float_repr(value)
        return _ENCODER.encode(value)
    if value is None:
        return "null"
    if cls is bytes:
        return '"' + value.hex() + '"'
    if cls is bool:
        return "true" if value else "false"
    if isinstance(value, str):  # StrEnum states and other str subclasses: their text
        return json_str(value)
    if isinstance(value, int) and not isinstance(value, bool):  # IntEnum and other int subclasses
        return _int_repr(value)
    return _ENCODER.encode(_jsonable(value))


_last_time: list[Any] = [None, ""]  # the last float json_time encoded, and its text


def json_time(t: Real) -> str:
    """The ``t`` member of a canonical line."""
    last = _last_time
    # The clock's object itself (Any): compiled, a narrowed float is a new box each time,
    # and round() of an int must stay an int.
    clock: Any = t
    prev = last[0]
    if clock is prev:  # records of one instant share the clock's float object
        return last[1]
    if type(t) is float:
        if type(prev) is float and prev == clock and clock != 0.0:  # another event, same instant
            return last[1]  # type: ignore[no-any-return]
        if 1e-4 <= t < 1e6:
            # repr(round(t, 9)) without its two conversions: '.9f' rounds to the same nine
            # decimals as round() (both correctly rounded), and a decimal of at most 15
            # significant digits is the shortest text of the double nearest to it, so repr
            # of that double is those digits without trailing zeros (property-tested).
            # Those digits are t * 1e9 rounded to an integer: below 1e15 the product is off
            # the exact one by at most 1/16, so unless its fraction lies near a half the
            # integer is certain and its decimal text is the answer, without '.9f'.
            scaled = t * 1e9
            whole = math.floor(scaled)
            frac = scaled - whole
            if frac < 0.4375:
                digits = str(whole)
            elif frac > 0.5625:
                digits = str(whole + 1)
            else:
                digits = ""
            if digits:
                if len(digits) < 10:  # t < 1: nine decimals and a leading 0
                    digits = "0" * (10 - len(digits)) + digits
                tail = digits[-9:].rstrip("0")
                text = digits[:-9] + "." + (tail if tail else "0")
            else:
                text = f"{t:.9f}"
                text = text.rstrip("0")
                if text[-1] == ".":
                    text += "0"
        else:
            r = round(t, 9)
            if not (r == r and r != _INF and r != -_INF):
                return _ENCODER.encode(r)
            text = _float_repr(r)
        last[0] = clock
        last[1] = text
        return text
    return _ENCODER.encode(round(clock, 9))


# A record's shape - its kind and field names in order - decides where each value goes in the
# sorted-key line, so a line is its literal pieces and encoded values joined, instead of
# building, sorting and encoding a dict. The plan for a shape is kept per kind (a kind nearly
# always has one shape; another shape of the same kind replaces it). Shapes a plan cannot
# express (a field named t, source or kind, a name that is not a string) take the general path.
class _Plan:
    """The sorted-key line of one record shape: ``template`` is its literal pieces with an
    empty slot between each two; ``slots[i]`` is where the i-th value goes (the field values
    in the record's order, then source, then t). A line is a copy of the template with the
    encoded values set into their slots, joined."""

    __slots__ = ("names", "template", "slots")

    def __init__(self, names: tuple[str, ...], template: list[str], slots: list[int]) -> None:
        self.names = names
        self.template = template
        self.slots = slots


_PLANS: Final[dict[str, _Plan]] = {}  # kind -> the plan of its latest shape
# (kind, *names) -> plan, or None for the general path: kinds whose shapes alternate
_SHAPES: Final[dict[tuple[Any, ...], _Plan | None]] = {}
# source name -> its JSON text (names are few; the bound keeps a hostile caller's in check)
_SOURCE_JSON: Final[dict[str, str]] = {}
# distinct kinds and sources are few; a hostile caller must not grow these forever
_MAX_PLANS: Final = 20_000


def _plan(kind: str, fields: dict[Any, Any]) -> _Plan | None:
    """The plan for ``kind`` with ``fields``' names (None: the general path); it becomes
    the kind's current plan."""
    names = tuple(fields)
    shape = (kind, *names)
    try:
        plan = _SHAPES[shape]
    except KeyError:
        plan = _new_plan(kind, names)
        if len(_SHAPES) >= _MAX_PLANS:
            _SHAPES.clear()
        _SHAPES[shape] = plan
    except TypeError:  # an unhashable field name
        return None
    if plan is not None:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        _PLANS[kind] = plan
    return plan


def _new_plan(kind: str, names: tuple[Any, ...]) -> _Plan | None:
    if not all(type(n) is str for n in names) or {"t", "source", "kind"} & set(names):
        return None
    n = len(names)
    members: list[tuple[str, int]] = [(name, i) for i, name in enumerate(names)]
    members += [("kind", -1), ("source", n), ("t", n + 1)]
    members.sort(key=lambda m: m[0])
    template: list[str] = []
    slots: list[int] = [0] * (n + 2)
    literal = "{"
    for j, (name, arg) in enumerate(members):
        literal += ("," if j else "") + json_str(name) + ":"
        if arg < 0:  # the kind: part of the text
            literal += json_str(kind)
        else:
            template.append(literal)
            slots[arg] = len(template)
            template.append("")
            literal = ""
    template.append(literal + "}")
    return _Plan(names, template, slots)


def canonical_line(record: TraceRecord) -> str:
    """The record as one JSON line: the JSONL export format and what the digest hashes
    (``json`` with sorted keys and no spaces over :meth:`TraceRecord.to_json_obj`)."""
    t, source, kind, fields = record
    if type(fields) is dict and type(source) is str and type(kind) is str:
        plan = _PLANS.get(kind)
        if plan is not None and len(plan.names) == len(fields):
            # the same names in the same order? (checked while the values are encoded)
            names = plan.names
            slots = plan.slots
            parts = plan.template.copy()
            i = 0
            for key, v in fields.items():
                name = names[i]
                if key is not name and key != name:
                    plan = None
                    break
                parts[slots[i]] = (  # json_value(v), without its call for str and int
                    json_str(v) if type(v) is str else _int_repr(v) if type(v) is int
                    else json_value(v)
                )
                i += 1
        else:
            plan = None
        if plan is None:
            plan = _plan(kind, fields)
            if plan is not None:
                slots = plan.slots
                parts = plan.template.copy()
                i = 0
                for v in fields.values():
                    parts[slots[i]] = (
                        json_str(v) if type(v) is str else _int_repr(v) if type(v) is int
                        else json_value(v)
                    )
                    i += 1
        if plan is not None:
            src = _SOURCE_JSON.get(source)
            if src is None:
                if len(_SOURCE_JSON) >= _MAX_PLANS:
                    _SOURCE_JSON.clear()
                src = _SOURCE_JSON[source] = json_str(source)
            parts[slots[i]] = src
            parts[slots[i + 1]] = json_time(t)
            return "".join(parts)
    if type(record) is tuple:  # a plain (t, source, kind, fields) entry of the log
        record = _new_record(TraceRecord, record)
    return _ENCODER.encode(record.to_json_obj())


class LazyFields:
    """How a layer records something frequent without building its fields at record time
    (``Trace.record_lazy``): ``arg`` is a cheap snapshot; ``fields(arg)`` builds the record's
    fields when someone reads the trace, and ``line(t, source, kind, arg)`` its canonical
    line (equal to ``canonical_line`` of the built record) for the digest and exports."""

    __slots__ = ()

    def fields(self, arg: Any) -> dict[str, Any]:
        raise NotImplementedError

    def line(self, t: Real, source: str, kind: str, arg: Any) -> str:
        return canonical_line(_new_record(TraceRecord, (t, source, kind, self.fields(arg))))


Sink = Callable[[TraceRecord], None]


# Records a bounded trace collects before it digests and files them as one batch: one hash
# update per batch instead of one per record. (A streamed trace writes each record as it comes.)
# A batch's text stays well under glibc's 128 KiB trim threshold: a bigger one (1024 records,
# ~150 KB, twice with its encoding) was handed back to the system after each batch and its
# pages faulted in again for the next (~1 % of a fleet's time).
_BATCH: Final = 256


class Trace:
    """In-memory trace with optional live sinks, retention limits and a kind filter for
    heavy benchmarks.

    Cost model (the trace sits on every packet's path): a record is appended as a tuple; its
    canonical JSON line is made only when the digest, an export or a stream needs it - at
    ``digest()`` for a trace that keeps everything, in batches of ``_BATCH`` records for a
    bounded one (records leaving memory are hashed before they leave), as each record comes
    while a JSONL stream is open. Frequent
    records may be *lazy* (``record_lazy``): their fields are built only when read.
    ``records`` always shows built :class:`TraceRecord` objects, complete up to now.
    """

    def __init__(self, *, keep: bool = True, config: TraceConfig | None = None) -> None:
        self.config = config or TraceConfig()
        self.keep = keep
        self.epoch: Real | None = None  # Unix seconds at t = 0, for the DataFrame's ``utc`` column
        self._log: list[Any] | deque[Any] = (
            deque(maxlen=self.config.ring) if self.config.ring is not None else []
        )
        # (sink, kinds or None for every kind)
        self._sinks: list[tuple[Sink, frozenset[str] | None]] = []
        self._sink_kinds: frozenset[str] | None = frozenset()  # kinds some sink wants (None: all)
        self._streams: list[str] = []
        self._writers: list[Callable[[str], Any]] = []  # JSONL streams, written a batch at a time
        self._closers: list[Callable[[], None]] = []
        # Muted kinds (mute()); read directly on per-packet paths: `kind in trace.muted_kinds`.
        self.muted_kinds: set[str] = set()
        self._hasher = hashlib.sha256()
        self._digested = 0  # entries of _log already folded into _hasher (lazy mode)
        self._built = 0  # entries of a list _log before this index are TraceRecords
        self._unbuilt = False  # a ring (deque) _log may hold lazy entries
        self._count = 0  # records so far, in eager mode (lazy mode: len(_log))
        self._pending: list[Any] = []  # eager mode: entries not yet digested, streamed, filed
        self._batch = _BATCH  # 1 while a stream is open: its file follows the run live
        self._keeps = self.config.keeps
        self._filtering = self.config.level != "full" or self.config.kinds is not None
        # Lazy digest (fold at digest()) only while every record stays in memory in order.
        self._eager = False
        # Where links may append a lazy ``pkt`` entry themselves, (t, source, "pkt", LazyFields,
        # packet), the per-packet fast path; None when they must call record_lazy (muted, a
        # sink wants packets, eager mode).
        self.packet_log: list[Any] | None = None
        if not keep or self.config.bounded:
            self._become_eager()
        self._refresh_fast_path()

    def _refresh_fast_path(self) -> None:
        wanted = self._sink_kinds
        fast = (
            not self._eager
            and "pkt" not in self.muted_kinds
            and wanted is not None
            and "pkt" not in wanted
        )
        self.packet_log = self._log if fast else None  # type: ignore[assignment]

    def _become_eager(self) -> None:
        """From now on digest (and stream) records in batches as they come."""
        if self._eager:
            return
        if isinstance(self._log, list) and self._digested < len(self._log):
            self._hash(self._log[self._digested :])
        self._digested = 0
        self._count = len(self._log)
        self._eager = True
        self._refresh_fast_path()

    # -- recording ---------------------------------------------------------------------------
    def record(self, t: Real, source: str, kind: str, fields: dict[str, Any]) -> None:
        if kind in self.muted_kinds:
            return
        # a plain tuple: the TraceRecord is made when someone reads it (most records of a
        # ring never are)
        entry = (t, source, kind, fields)
        if self._eager:
            self._count += 1
            pending = self._pending
            pending.append(entry)
            if len(pending) >= self._batch:
                self._flush()
        else:
            self._log.append(entry)
        if self._sinks:
            wanted = self._sink_kinds
            if wanted is None or kind in wanted:  # most records interest no sink
                self._dispatch(_new_record(TraceRecord, entry))

    def record_lazy(self, t: Real, source: str, kind: str, lazy: LazyFields, arg: Any) -> None:
        """Record ``lazy.fields(arg)`` without building it now (see :class:`LazyFields`).
        Callers check ``kind in trace.muted_kinds`` first to skip their snapshot."""
        wanted = self._sink_kinds
        if wanted is None or kind in wanted:  # a sink looks at it now: build it now
            self.record(t, source, kind, lazy.fields(arg))
            return
        if self._eager:
            self._count += 1
            pending = self._pending
            pending.append((t, source, kind, lazy, arg))
            if len(pending) >= self._batch:
                self._flush()
        else:
            self._log.append((t, source, kind, lazy, arg))

    def _dispatch(self, rec: TraceRecord) -> None:
        kind = rec.kind
        for sink, kinds in self._sinks:
            if kinds is None or kind in kinds:
                sink(rec)

    def mute(self, *kinds: str) -> None:
        """Stop recording these kinds (e.g. per-packet records in a throughput benchmark)."""
        self.muted_kinds.update(kinds)
        self._refresh_fast_path()

    def is_muted(self, kind: str) -> bool:
        """True when records of ``kind`` are dropped: callers skip building their fields."""
        return kind in self.muted_kinds

    def add_sink(self, sink: Sink, kinds: Iterable[str] | None = None) -> None:
        """Call ``sink(record)`` for every future record, or only for records of ``kinds``
        (records of other kinds then stay cheap)."""
        wanted = None if kinds is None else frozenset(kinds)
        self._sinks.append((sink, wanted))
        self._update_sink_kinds()

    def remove_sink(self, sink: Sink) -> None:
        self._sinks = [(s, k) for s, k in self._sinks if s != sink]
        self._update_sink_kinds()

    def _update_sink_kinds(self) -> None:
        wanted: frozenset[str] | None = frozenset()
        for _sink, kinds in self._sinks:
            if kinds is None:
                wanted = None
                break
            wanted = wanted | kinds  # type: ignore[operator]
        self._sink_kinds = wanted
        self._refresh_fast_path()

    def stream_jsonl(self, fp: IO[str], *, name: str | None = None) -> None:
        """Write every future record to ``fp`` as one JSON line, as it happens."""
        self._become_eager()
        self.flush()
        self._batch = 1
        self._writers.append(fp.write)
        self._streams.append(name or str(getattr(fp, "name", "<stream>")))

    def stream_to(self, path: str) -> None:
        """Stream every future record to ``path``: JSON lines, or Parquet when the name ends
        in ``.parquet`` (needs pyarrow). ``close()`` finishes the file."""
        if str(path).endswith(".parquet"):
            writer = ParquetStream(path)
            self.add_sink(writer.write)
            self._closers.append(writer.close)
            self._streams.append(str(path))
            return
        fp = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by close()
        self.stream_jsonl(fp, name=str(path))
        self._closers.append(fp.close)

    def flush(self) -> None:
        """Digest, stream and file the records collected so far (a bounded or streamed trace
        does this every few hundred records by itself)."""
        if self._pending:
            self._flush()

    def close(self) -> None:
        """Finish the files opened by ``stream_to``."""
        self.flush()
        closers, self._closers = self._closers, []
        for close in closers:
            close()

    # -- batches -----------------------------------------------------------------------------
    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        text = _lines(pending)
        self._hasher.update(text.encode())
        for write in self._writers:
            write(text)
        if not self.keep:
            return
        if self._filtering:
            keeps = self._keeps
            pending = [e for e in pending if keeps(e[2])]
        self._log.extend(pending)  # lazy entries are built when read: most of a ring never is
        self._unbuilt = True

    def _hash(self, entries: list[Any]) -> None:
        update = self._hasher.update
        for start in range(0, len(entries), 2 * _BATCH):  # bounded text per update (see _BATCH)
            update(_lines(entries[start : start + 2 * _BATCH]).encode())

    def _build_log(self) -> None:
        """Turn the lazy entries recorded since the last read into TraceRecords."""
        log = self._log
        if isinstance(log, list):
            end = len(log)
            for i in range(self._built, end):
                e = log[i]
                if type(e) is tuple:
                    log[i] = _built(e)
            self._built = end
        elif self._unbuilt:  # a ring: built anew (a deque's middle is slow to index)
            self._log = deque(map(_built, log), maxlen=log.maxlen)
        self._unbuilt = False

    def summary(self) -> dict[str, Any]:
        """What this trace holds: total records (all digested), how many stay in memory, the
        retention settings and the streams that carry every record."""
        cfg = self.config
        if self._pending:
            self._flush()
        in_memory = len(self._log)  # counted, not built: building every record costs
        return {
            "records": len(self),
            "in_memory": in_memory,
            "level": cfg.level if cfg.kinds is None else "kinds",
            "kinds": sorted(cfg.kinds) if cfg.kinds is not None else None,
            "ring": cfg.ring,
            "not_kept": len(self) - in_memory,
            "streams": list(self._streams),
            "muted": sorted(self.muted_kinds),
        }

    # -- reading -----------------------------------------------------------------------------
    @property
    def records(self) -> list[TraceRecord] | deque[TraceRecord]:
        """The records kept in memory, oldest first (read it again after the clock moved)."""
        if self._pending:
            self._flush()
        log = self._log
        if self._unbuilt or (isinstance(log, list) and self._built < len(log)):
            self._build_log()
        return self._log

    def __len__(self) -> int:
        return self._count if self._eager else len(self._log)

    def __iter__(self) -> Iterator[TraceRecord]:
        return iter(self.records)

    def select(self, *, source: str | None = None, kind: str | None = None) -> list[TraceRecord]:
        return [
            r
            for r in self.records
            if (source is None or r.source == source) and (kind is None or r.kind == kind)
        ]

    def digest(self) -> str:
        """SHA-256 over every record so far; repeated calls only fold in the new records."""
        if self._eager:
            self.flush()
        else:  # nothing leaves memory (a list): fold in what came since the last call
            log = self._log
            assert isinstance(log, list)
            if self._digested < len(log):
                self._hash(log[self._digested :])
                self._digested = len(log)
        return self._hasher.copy().hexdigest()

    def to_jsonl(self, path_or_fp: str | IO[str]) -> None:
        if isinstance(path_or_fp, str):
            with open(path_or_fp, "w", encoding="utf-8") as fp:
                self.to_jsonl(fp)
            return
        # One iterator for the whole export: islice(records, start, ...) per batch walked a
        # ring (a deque) from its start every time, quadratic in the records kept.
        remaining = iter(self.records)
        while text := _lines(itertools.islice(remaining, _BATCH)):
            path_or_fp.write(text)

    def to_dataframe(self):  # -> pandas.DataFrame (optional dependency)
        """One row per kept record, typed columns (:mod:`simnet.kernel.tidy`)."""
        from simnet.kernel.tidy import to_dataframe

        return to_dataframe(self.records, epoch=self.epoch)


def _lines(entries: Iterable[Any]) -> str:
    """The canonical lines of ``entries``, each ending in a newline, as one string."""
    lines: list[str] = []
    add = lines.append
    for e in entries:
        if type(e) is tuple and len(e) == 5:  # lazy: (t, source, kind, LazyFields, arg)
            lazy: LazyFields = e[3]  # typed: compiled, a direct call of its line()
            add(lazy.line(e[0], e[1], e[2], e[4]))
        else:
            add(canonical_line(e))
    if not lines:
        return ""
    add("")  # the last line's newline, without copying the whole text to append it
    return "\n".join(lines)


def _built(entry: Any) -> TraceRecord:
    """The TraceRecord of a log entry: a record, a plain (t, source, kind, fields) tuple or a
    lazy (t, source, kind, LazyFields, arg) one."""
    if type(entry) is tuple:
        if len(entry) == 5:
            entry = (entry[0], entry[1], entry[2], entry[3].fields(entry[4]))
        return _new_record(TraceRecord, entry)  # type: ignore[no-any-return]
    return entry  # type: ignore[no-any-return]


class ParquetStream:
    """Records to a Parquet file in row groups of ``batch`` rows: columns ``t``, ``source``,
    ``kind`` and ``fields`` (the record's other fields as canonical JSON)."""

    def __init__(self, path: str, batch: int = 65536) -> None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ConfigError(
                "trace.stream", "a .parquet trace stream needs pyarrow: pip install simnet[data]"
            ) from exc
        self._pa = pa
        self.schema = pa.schema(
            [
                ("t", pa.float64()),
                ("source", pa.string()),
                ("kind", pa.string()),
                ("fields", pa.string()),
            ]
        )
        self._writer = pq.ParquetWriter(path, self.schema)
        self.batch = batch
        self._rows: tuple[list[Real], list[str], list[str], list[str]] = ([], [], [], [])

    def write(self, rec: TraceRecord) -> None:
        t, source, kind, fields = self._rows
        obj = rec.to_json_obj()
        t.append(obj.pop("t"))
        source.append(obj.pop("source"))
        kind.append(obj.pop("kind"))
        fields.append(_ENCODER.encode(obj))
        if len(t) >= self.batch:
            self._flush()

    def _flush(self) -> None:
        if self._rows[0]:
            arrays = [self._pa.array(col) for col in self._rows]
            self._writer.write_table(self._pa.Table.from_arrays(arrays, schema=self.schema))
            self._rows = ([], [], [], [])

    def close(self) -> None:
        self._flush()
        self._writer.close()


def read_parquet(path: str) -> Iterable[TraceRecord]:
    """Records of a Parquet trace written by ``stream_to("….parquet")`` (bytes stay hex)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    for t, source, kind, fields in zip(
        *(table.column(c).to_pylist() for c in ("t", "source", "kind", "fields")), strict=True
    ):
        yield TraceRecord(t, source, kind, json.loads(fields))


def read_jsonl(path: str) -> list[TraceRecord]:
    """Load a trace written by :meth:`Trace.to_jsonl` (bytes stay hex strings)."""
    out: list[TraceRecord] = []
    with open(path, encoding="utf-8") as fp:
        for line in fp:
            line = line.strip()
            if not line:
                continue
            obj = json.loads(line)
            t = obj.pop("t")
            source = obj.pop("source")
            kind = obj.pop("kind")
            out.append(TraceRecord(t, source, kind, obj))
    return out
