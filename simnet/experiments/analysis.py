"""Answers to common questions about a trace, as DataFrames.

``tcp_connections(trace)``   one row per TCP connection of every host: when it opened, was
                             established, closed and why, how many retransmissions.
``timeline(trace, conn)``    what happened to a connection, in order (state changes,
                             retransmissions, give-ups, close).
``retransmissions(trace)``   retransmissions per connection and cause (``rto``, ``fast``,
                             ``syn``...).
``time_to_first_byte(trace)``  per connection of a host: SYN sent to the first payload byte
                             delivered to it (needs packet records: trace level ``full``).

Each takes a :class:`~simnet.kernel.trace.Trace`, a simulation (its ``.trace``) or a list of
records (``read_jsonl``). Connections are named as the TCP layer traces them:
``"<local ip>:<port>><remote ip>:<port>"`` under the host ``tcp.<host>``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from simnet.net.packet import summary_fields


def _records(trace: Any) -> Iterable[Any]:
    trace = getattr(trace, "trace", trace)  # a Simulation
    return getattr(trace, "records", trace)


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> Any:
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


def _split(conn: str) -> tuple[str, str]:
    local, _, remote = conn.partition(">")
    return local, remote


_TCP_KINDS = ("tcp_state", "tcp_retransmit", "tcp_give_up", "tcp_closed")


def timeline(trace: Any, conn: str | None = None, host: str | None = None) -> Any:
    """Events of TCP connections in time order: ``t``, ``host``, ``conn``, ``event``
    (``state``, ``retransmit``, ``give_up``, ``closed``), ``detail``."""
    rows = []
    for rec in _records(trace):
        if rec.kind not in _TCP_KINDS or not rec.source.startswith("tcp."):
            continue
        f = rec.fields
        name = f.get("conn")
        h = rec.source[4:]
        if (conn is not None and name != conn) or (host is not None and h != host):
            continue
        if rec.kind == "tcp_state":
            event, detail = "state", f"{f.get('old')} > {f.get('new')}"
        elif rec.kind == "tcp_retransmit":
            event, detail = (
                "retransmit",
                f"cause={f.get('cause')} rto={f.get('rto')} count={f.get('count')}",
            )
        elif rec.kind == "tcp_give_up":
            event, detail = "give_up", f"budget={f.get('budget')} count={f.get('count')}"
        else:
            event, detail = "closed", str(f.get("reason"))
        rows.append({"t": rec.t, "host": h, "conn": name, "event": event, "detail": detail})
    return _frame(rows, ["t", "host", "conn", "event", "detail"])


def tcp_connections(trace: Any) -> Any:
    """One row per connection: ``host``, ``conn``, ``local``, ``remote``, ``opened``
    (first state change), ``established``, ``closed`` (virtual s), ``close_reason``,
    ``retransmissions``, ``gave_up``."""
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in _records(trace):
        if rec.kind not in _TCP_KINDS or not rec.source.startswith("tcp."):
            continue
        f = rec.fields
        key = (rec.source[4:], f.get("conn"))
        row = table.get(key)
        if row is None:
            local, remote = _split(str(key[1]))
            row = table[key] = {
                "host": key[0],
                "conn": key[1],
                "local": local,
                "remote": remote,
                "opened": rec.t,
                "established": math.nan,
                "closed": math.nan,
                "close_reason": None,
                "retransmissions": 0,
                "gave_up": False,
            }
        if (
            rec.kind == "tcp_state"
            and f.get("new") == "ESTABLISHED"
            and math.isnan(row["established"])
        ):
            row["established"] = rec.t
        elif rec.kind == "tcp_retransmit":
            row["retransmissions"] += 1
        elif rec.kind == "tcp_give_up":
            row["gave_up"] = True
        elif rec.kind == "tcp_closed":
            row["closed"], row["close_reason"] = rec.t, f.get("reason")
    return _frame(
        list(table.values()),
        [
            "host",
            "conn",
            "local",
            "remote",
            "opened",
            "established",
            "closed",
            "close_reason",
            "retransmissions",
            "gave_up",
        ],
    )


def retransmissions(trace: Any) -> Any:
    """Retransmissions per ``host``, ``conn`` and ``cause``, with the largest RTO reached."""
    table: dict[tuple[str, str, str], dict[str, Any]] = {}
    for rec in _records(trace):
        if rec.kind != "tcp_retransmit" or not rec.source.startswith("tcp."):
            continue
        f = rec.fields
        key = (rec.source[4:], str(f.get("conn")), str(f.get("cause")))
        row = table.setdefault(
            key, {"host": key[0], "conn": key[1], "cause": key[2], "count": 0, "max_rto": 0.0}
        )
        row["count"] += 1
        rto = f.get("rto")
        if isinstance(rto, int | float):
            row["max_rto"] = max(row["max_rto"], float(rto))
    return _frame(list(table.values()), ["host", "conn", "cause", "count", "max_rto"])


def time_to_first_byte(trace: Any, host: str = "module") -> Any:
    """Per TCP connection of ``host``: ``syn`` (first state change, the SYN sent or received),
    ``established``, ``first_byte`` (the first packet with payload delivered to the host over
    its ``<host>.downlink``) and ``ttfb = first_byte - syn`` (virtual s; NaN if none came)."""
    conns = tcp_connections(trace)
    conns = conns[conns["host"] == host]
    wanted: dict[tuple[object, ...], str] = {}
    for row in conns.itertuples():
        local_ip, _, local_port = row.local.rpartition(":")
        remote_ip, _, remote_port = row.remote.rpartition(":")
        wanted[(local_ip, int(local_port), remote_ip, int(remote_port))] = row.conn
    first: dict[str, float] = {}
    link = f"{host}.downlink"
    for rec in _records(trace):
        if rec.kind != "pkt" or rec.source != link or rec.fields.get("ev") != "rx":
            continue
        p = summary_fields(str(rec.fields.get("pkt", "")))
        if p.get("proto") != "TCP" or not p.get("len"):
            continue
        conn = wanted.get((p["dst"], p["dport"], p["src"], p["sport"]))
        if conn is not None and conn not in first:
            first[conn] = rec.t
    rows = []
    for row in conns.itertuples():
        fb = first.get(row.conn, math.nan)
        rows.append(
            {
                "conn": row.conn,
                "syn": row.opened,
                "established": row.established,
                "first_byte": fb,
                "ttfb": fb - row.opened,
            }
        )
    return _frame(rows, ["conn", "syn", "established", "first_byte", "ttfb"])
