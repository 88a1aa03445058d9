"""A trace as one tidy table: a row per record, a typed column per field.

Columns ``t`` (virtual seconds, float), ``source`` and ``kind``, then every field of every
record, typed: integers as nullable ``Int64``, flags as ``boolean``, text as strings, bytes as
``bytes`` objects (not hex), lists and mappings as Python objects. Layers that record a field as
summary text register a *decoder* for their kind that adds typed fields parsed from it (the
network layer turns ``pkt`` summaries into ``proto``, ``src``, ``sport``, ``flags``, ``seq``,
``ack``, ``win``, ``len`` ...), so a question such as "SYNs on the radio uplink" is a filter on
columns, not a regular expression on text. Decoders also restore bytes that a JSONL or Parquet
file stored as hex.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Decoder = Callable[[dict[str, Any]], dict[str, Any]]
_DECODERS: dict[str, list[Decoder]] = {}


def register_decoder(kind: str, decoder: Decoder) -> None:
    """Add ``decoder(fields) -> extra typed fields`` for records of ``kind`` (idempotent)."""
    decoders = _DECODERS.setdefault(kind, [])
    if decoder not in decoders:
        decoders.append(decoder)


def tidy_rows(records: Iterable[Any]) -> list[dict[str, Any]]:
    rows = []
    decoders = _DECODERS
    for rec in records:
        row: dict[str, Any] = {"t": rec.t, "source": rec.source, "kind": rec.kind}
        fields = rec.fields
        row.update(fields)
        for decode in decoders.get(rec.kind, ()):
            try:
                row.update(decode(fields))
            except (ValueError, TypeError, KeyError):  # a summary it cannot read: keep the text
                pass
        for key, value in row.items():
            if isinstance(value, bytearray | memoryview):
                row[key] = bytes(value)
        rows.append(row)
    return rows


def to_dataframe(records: Iterable[Any], *, epoch: float | None = None) -> Any:
    """The records as a pandas DataFrame with typed columns (see the module docstring); with
    ``epoch`` (Unix seconds at t = 0) a ``utc`` column of UTC instants follows ``t``, on the
    clock the scenario's pcaps and servers use."""
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("a trace DataFrame needs pandas: pip install simnet[data]") from exc
    rows = tidy_rows(records)
    if not rows:
        return pd.DataFrame({"t": pd.Series(dtype="float64"), "source": pd.Series(dtype="string"),
                             "kind": pd.Series(dtype="string")})
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    data = {}
    for col in columns:
        values = [row.get(col) for row in rows]
        data[col] = (
            pd.array(values, dtype=_dtype(values))
            if col != "t"
            else pd.array(values, dtype="float64")
        )
        if col == "t" and epoch is not None:
            data["utc"] = pd.to_datetime([epoch + row["t"] for row in rows], unit="s", utc=True)
    return pd.DataFrame(data)


def _dtype(values: list[Any]) -> str:
    types = {type(v) for v in values if v is not None}
    if types == {bool}:
        return "boolean"
    if types == {int}:
        return "Int64"
    if types and types <= {int, float}:
        return "Float64"
    if types == {str}:
        return "string"
    return "object"
