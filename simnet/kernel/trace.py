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
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

from simnet.errors import ConfigError

# Per-byte and per-packet kinds: the bulk of a long trace.
PACKET_KINDS = frozenset({"pkt", "drop"})
UART_KINDS = frozenset({"dte>", "dte<"})
# Level -> kinds NOT kept in memory (still digested and streamed).
LEVELS: dict[str, frozenset[str]] = {
    "full": frozenset(),
    "no-packets": PACKET_KINDS,
    "events": PACKET_KINDS | UART_KINDS,
}


class TraceRecord(NamedTuple):
    t: float
    source: str
    kind: str
    fields: dict[str, Any]

    def to_json_obj(self) -> dict[str, Any]:
        obj: dict[str, Any] = {"t": round(self.t, 9), "source": self.source, "kind": self.kind}
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
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def canonical_line(record: TraceRecord) -> str:
    """The record as one JSON line: the JSONL export format and what the digest hashes."""
    return _ENCODER.encode(record.to_json_obj())


Sink = Callable[[TraceRecord], None]


@dataclass(frozen=True)
class TraceConfig:
    """What a trace keeps in memory.

    ``level``: ``full`` (every kind), ``no-packets`` (not ``pkt``/``drop``), ``events`` (not
    packets, not UART bytes ``dte>``/``dte<``). ``kinds``: instead of a level, keep only these
    kinds. ``ring``: keep at most this many records (the newest); None: no limit.
    """

    level: str = "full"
    kinds: frozenset[str] | None = None
    ring: int | None = None
    field_path: str = field(default="trace", compare=False)

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ConfigError(f"{self.field_path}.level",
                              f"unknown trace level {self.level!r} (expected one of {', '.join(LEVELS)})")
        if self.ring is not None and (isinstance(self.ring, bool) or not isinstance(self.ring, int)
                                      or self.ring < 1):
            raise ConfigError(f"{self.field_path}.ring", f"expected a positive number of records, got {self.ring!r}")
        if self.kinds is not None:
            object.__setattr__(self, "kinds", frozenset(self.kinds))

    @property
    def bounded(self) -> bool:
        """True when some records may leave memory (they are then digested as they come)."""
        return self.level != "full" or self.kinds is not None or self.ring is not None

    def keeps(self, kind: str) -> bool:
        if self.kinds is not None:
            return kind in self.kinds
        return kind not in LEVELS[self.level]


class Trace:
    """In-memory trace with optional live sinks, retention limits and a kind filter for
    heavy benchmarks."""

    def __init__(self, *, keep: bool = True, config: TraceConfig | None = None) -> None:
        self.config = config or TraceConfig()
        self.keep = keep
        self.epoch: float | None = None  # Unix seconds at t = 0, for the DataFrame's ``utc`` column
        self.records: list[TraceRecord] | deque[TraceRecord] = (
            deque(maxlen=self.config.ring) if self.config.ring is not None else []
        )
        self._sinks: list[Sink] = []
        self._streams: list[str] = []
        self._closers: list[Callable[[], None]] = []
        # Muted kinds (mute()); read directly on per-packet paths: `kind in trace.muted_kinds`.
        self.muted_kinds: set[str] = set()
        self._hasher = hashlib.sha256()
        self._digested = 0  # records already folded into _hasher (lazy mode)
        self._count = 0
        self._not_kept = 0
        # Lazy digest (fold at digest()) only while every record stays in memory in order.
        self._eager = not keep or self.config.bounded
        self._keeps = self.config.keeps
        self._filtering = self.config.level != "full" or self.config.kinds is not None

    # -- recording ---------------------------------------------------------------------------
    def record(self, t: float, source: str, kind: str, fields: dict[str, Any]) -> None:
        if kind in self.muted_kinds:
            return
        rec = TraceRecord(t, source, kind, fields)
        self._count += 1
        if self._eager:
            update = self._hasher.update
            update(canonical_line(rec).encode())
            update(b"\n")
            if self.keep and (not self._filtering or self._keeps(kind)):
                self.records.append(rec)  # a full ring drops its oldest by itself
            else:
                self._not_kept += 1
        else:
            self.records.append(rec)
        for sink in self._sinks:
            sink(rec)

    def mute(self, *kinds: str) -> None:
        """Stop recording these kinds (e.g. per-packet records in a throughput benchmark)."""
        self.muted_kinds.update(kinds)

    def is_muted(self, kind: str) -> bool:
        """True when records of ``kind`` are dropped: callers skip building their fields."""
        return kind in self.muted_kinds

    def add_sink(self, sink: Sink) -> None:
        self._sinks.append(sink)

    def remove_sink(self, sink: Sink) -> None:
        if sink in self._sinks:
            self._sinks.remove(sink)

    def stream_jsonl(self, fp: IO[str], *, name: str | None = None) -> None:
        """Write every future record to ``fp`` as one JSON line, as it happens."""

        def write(rec: TraceRecord) -> None:
            fp.write(canonical_line(rec))
            fp.write("\n")

        self.add_sink(write)
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

    def close(self) -> None:
        """Finish the files opened by ``stream_to``."""
        closers, self._closers = self._closers, []
        for close in closers:
            close()

    def summary(self) -> dict[str, Any]:
        """What this trace holds: total records (all digested), how many stay in memory, the
        retention settings and the streams that carry every record."""
        cfg = self.config
        return {
            "records": self._count,
            "in_memory": len(self.records),
            "level": cfg.level if cfg.kinds is None else "kinds",
            "kinds": sorted(cfg.kinds) if cfg.kinds is not None else None,
            "ring": cfg.ring,
            "not_kept": self._count - len(self.records),
            "streams": list(self._streams),
            "muted": sorted(self.muted_kinds),
        }

    # -- reading -----------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._count

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
        records = self.records
        if not self._eager and isinstance(records, list):  # not eager: nothing leaves memory
            update = self._hasher.update
            for rec in records[self._digested :]:
                update(canonical_line(rec).encode())
                update(b"\n")
            self._digested = len(self.records)
        return self._hasher.copy().hexdigest()

    def to_jsonl(self, path_or_fp: str | IO[str]) -> None:
        if isinstance(path_or_fp, str):
            with open(path_or_fp, "w", encoding="utf-8") as fp:
                self.to_jsonl(fp)
            return
        for rec in self.records:
            path_or_fp.write(canonical_line(rec))
            path_or_fp.write("\n")

    def to_dataframe(self):  # -> pandas.DataFrame (optional dependency)
        """One row per kept record, typed columns (:mod:`simnet.kernel.tidy`)."""
        from simnet.kernel.tidy import to_dataframe

        return to_dataframe(self.records, epoch=self.epoch)


class ParquetStream:
    """Records to a Parquet file in row groups of ``batch`` rows: columns ``t``, ``source``,
    ``kind`` and ``fields`` (the record's other fields as canonical JSON)."""

    def __init__(self, path: str, batch: int = 65536) -> None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ConfigError("trace.stream", "a .parquet trace stream needs pyarrow: pip install simnet[data]") from exc
        self._pa = pa
        self.schema = pa.schema([("t", pa.float64()), ("source", pa.string()), ("kind", pa.string()),
                                 ("fields", pa.string())])
        self._writer = pq.ParquetWriter(path, self.schema)
        self.batch = batch
        self._rows: tuple[list[float], list[str], list[str], list[str]] = ([], [], [], [])

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
    for t, source, kind, fields in zip(*(table.column(c).to_pylist() for c in ("t", "source", "kind", "fields")),
                                       strict=True):
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
