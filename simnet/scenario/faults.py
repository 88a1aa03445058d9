"""Faults of a scenario: fired at a virtual time (``at:``) or by a trigger (``on:``).

Triggers watch the trace (the one public stream of everything that happens), so they need no
hooks inside the layers:

- ``{syn: N, host: H[, port: P]}`` — the N-th TCP SYN the module sends towards H (counted when
  it leaves the module on the radio uplink, so a SYN lost on the air still counts — the module
  did send it);
- ``{bytes: N, host: H[, port: P][, direction: uplink|downlink|any]}`` — once N TCP payload bytes
  to/from H have left their sender on the radio link (retransmissions count: they are bytes
  on the connection);
- ``{sent: TEXT}`` / ``{received: TEXT}`` — the DTE sends / the module sends TEXT on the UART;
- ``{trace: {source: S, kind: K, field: value...}, count: N}`` — the N-th trace record that
  matches (any state change of any layer: a PDP result, an interface going up, a NAT mapping).

Each fault fires once. The action runs from a zero-delay timer, never inside the trace callback
that noticed the trigger, so no layer sees its state change in the middle of its own call.
Every firing is a trace record ``(fault, fault, action=…, index=…)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from simnet.kernel.trace import TraceRecord
from simnet.scenario.model import FaultSpec, TriggerSpec

if TYPE_CHECKING:
    from simnet.scenario.world import World

_PKT = re.compile(
    r"^TCP (\d+\.\d+\.\d+\.\d+):(\d+) > (\d+\.\d+\.\d+\.\d+):(\d+) \[([A-Z]*)\].*?len=(\d+)"
)
UART_WINDOW = 4096  # bytes of UART history kept for sent:/received: triggers


class _Watch:
    """One armed trigger."""

    def __init__(self, engine: FaultEngine, fault: FaultSpec, trig: TriggerSpec) -> None:
        self.engine = engine
        self.fault = fault
        self.trig = trig
        self.count = 0
        self.fired = False
        self.buffer = b""
        self.host_ip = engine.world.host_ip(trig.host) if trig.host else None

    def feed(self, rec: TraceRecord) -> None:
        trig = self.trig
        if trig.kind == "trace":
            if rec.source == "fault" or not matches_record(rec, trig.match):
                return
            self.count += 1
            if self.count >= trig.count:
                self.fire(f"trace record #{self.count} {rec.source}/{rec.kind}")
            return
        if trig.kind in ("sent", "received"):
            want_kind = "dte>" if trig.kind == "sent" else "dte<"
            if rec.kind != want_kind or rec.source != self.engine.world.uart_source:
                return
            data = rec.fields.get("data", b"")
            if isinstance(data, str):
                data = data.encode("latin-1", "replace")
            self.buffer = (self.buffer + bytes(data))[-UART_WINDOW:]
            needle = trig.text.encode("latin-1", "replace")
            if needle in self.buffer:
                self.fire(f"{trig.kind} {trig.text!r}")
            return
        if rec.kind != "pkt" or rec.fields.get("ev") != "tx":
            return
        world = self.engine.world
        uplink = rec.source == world.radio_uplink
        downlink = rec.source == world.radio_downlink
        if not (uplink or downlink):
            return
        m = _PKT.match(str(rec.fields.get("pkt", "")))
        if not m:
            return
        src, sport, dst, dport, flags, length = m.groups()
        if trig.kind == "syn":
            if not uplink or "S" not in flags or "A" in flags or dst != self.host_ip:
                return
            if trig.port is not None and int(dport) != trig.port:
                return
            self.count += 1
            if self.count >= trig.count:
                self.fire(f"SYN #{self.count} to {trig.host}")
            return
        # bytes
        if uplink and trig.direction in ("any", "uplink") and dst == self.host_ip:
            port = int(dport)
        elif downlink and trig.direction in ("any", "downlink") and src == self.host_ip:
            port = int(sport)
        else:
            return
        if trig.port is not None and port != trig.port:
            return
        self.count += int(length)
        if self.count >= trig.count:
            self.fire(f"{self.count} bytes with {trig.host}")

    def fire(self, why: str) -> None:
        if self.fired:
            return
        self.fired = True
        self.engine.world.sim.call_later(0.0, self.engine.apply, self.fault, why)


class FaultEngine:
    """Schedules ``at:`` faults and watches the trace for ``on:`` triggers."""

    def __init__(self, world: World, faults: list[FaultSpec],
                 actions: dict[str, Callable[[FaultSpec], None]]) -> None:
        self.world = world
        self.actions = actions
        self.watches: list[_Watch] = []
        sim = world.sim
        for fault in faults:
            if fault.at is not None:
                sim.call_at(fault.at, self.apply, fault, f"at {fault.at:g} s")
            elif fault.on is not None:
                self.watches.append(_Watch(self, fault, fault.on))
        if self.watches:
            sim.trace.add_sink(self._on_record)

    def _on_record(self, rec: TraceRecord) -> None:
        for watch in self.watches:
            if not watch.fired:
                watch.feed(rec)

    def apply(self, fault: FaultSpec, why: str) -> None:
        sim = self.world.sim
        params = {k: _jsonable(v) for k, v in fault.params.items()}
        sim.record("fault", "fault", action=fault.action, index=fault.index, trigger=why, **params)
        try:
            self.actions[fault.action](fault)
        except Exception as exc:  # a layer refusing a fault must show in the trace, not crash
            sim.record("fault", "fault_error", action=fault.action, index=fault.index,
                       error=f"{type(exc).__name__}: {exc}")
            self.world.fault_errors.append(f"faults[{fault.index}] {fault.action}: {exc}")


def matches_record(rec: TraceRecord, match: dict[str, Any]) -> bool:
    """Whether a record's source, kind and fields equal ``match`` (values compared as text too)."""
    for key, want in match.items():
        if key == "source":
            got: Any = rec.source
        elif key == "kind":
            got = rec.kind
        else:
            got = rec.fields.get(key)
        if got != want and str(got) != str(want):
            return False
    return True


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
