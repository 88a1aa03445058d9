"""The trace: every UART chunk, packet, state change and fault, stamped with virtual time.

A record is ``(t, source, kind, fields)``. Records are kept in memory (for the DataFrame and the
digest) and may also be streamed to JSONL as they happen, so a long run can be followed live.
The digest is a SHA-256 over the canonical JSON lines of the records — exactly the bytes of the
JSONL export — so the same scenario and seed give the same digest on any machine, and a user can
check a trace file against a report with ``sha256sum``. It is folded in incrementally.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import IO, Any, NamedTuple


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


class Trace:
    """In-memory trace with optional live sinks and a kind filter for heavy benchmarks."""

    def __init__(self, *, keep: bool = True) -> None:
        self.records: list[TraceRecord] = []
        self.keep = keep
        self._sinks: list[Sink] = []
        self._muted_kinds: set[str] = set()
        self._hasher = hashlib.sha256()
        self._digested = 0  # records already folded into _hasher
        self._count = 0

    # -- recording ---------------------------------------------------------------------------
    def record(self, t: float, source: str, kind: str, fields: dict[str, Any]) -> None:
        if kind in self._muted_kinds:
            return
        rec = TraceRecord(t, source, kind, fields)
        self._count += 1
        if self.keep:
            self.records.append(rec)
        else:
            self._hasher.update(canonical_line(rec).encode())
            self._hasher.update(b"\n")
        for sink in self._sinks:
            sink(rec)

    def mute(self, *kinds: str) -> None:
        """Stop recording these kinds (e.g. per-packet records in a throughput benchmark)."""
        self._muted_kinds.update(kinds)

    def is_muted(self, kind: str) -> bool:
        """True when records of ``kind`` are dropped: callers skip building their fields."""
        return kind in self._muted_kinds

    def add_sink(self, sink: Sink) -> None:
        self._sinks.append(sink)

    def stream_jsonl(self, fp: IO[str]) -> None:
        """Write every future record to ``fp`` as one JSON line, as it happens."""

        def write(rec: TraceRecord) -> None:
            fp.write(canonical_line(rec))
            fp.write("\n")

        self.add_sink(write)

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
        if self.keep:
            update = self._hasher.update
            for rec in self.records[self._digested :]:
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
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("Trace.to_dataframe() needs pandas: pip install simnet[data]") from exc
        rows = []
        for rec in self.records:
            row = {"t": rec.t, "source": rec.source, "kind": rec.kind}
            row.update({k: _jsonable(v) for k, v in rec.fields.items()})
            rows.append(row)
        return pd.DataFrame(rows, columns=None if rows else ["t", "source", "kind"])


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
