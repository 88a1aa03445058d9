"""Faults of a scenario: one registry of fault kinds, and the triggers that fire them.

Each fault kind is declared once, with :func:`fault`: its parameters (the keys a scenario may
give and what the validator checks them as, simnet.scenario.schema) and its behaviour (what it
does to the world's layers). The validator and the world both read :data:`FAULTS`; a new fault
is one decorated function here.

A fault fires at a virtual time (``at:``) or on a trigger (``on:``). Triggers are typed hooks on
what happens, not parsed trace text:

- ``{syn: N, host: H[, port: P]}`` — the N-th TCP SYN the module sends towards H (counted when
  it leaves the module on the radio uplink, so a SYN lost on the air still counts — the module
  did send it);
- ``{bytes: N, host: H[, port: P][, direction: uplink|downlink|any]}`` — once N TCP payload bytes
  to/from H have left their sender on the radio link (retransmissions count: they are bytes
  on the connection);
- ``{sent: TEXT}`` / ``{received: TEXT}`` — the DTE sends / the module sends TEXT on the UART;
- ``{trace: {source: S, kind: K, field: value...}, count: N}`` — the N-th trace record that
  matches (any state change of any layer: a PDP result, an interface going up, a NAT mapping).

Packet triggers watch the radio link's packets (``Link.observe_tx``) and UART triggers the
line's chunks (``Uart.observe``), so they work whatever the trace keeps or mutes; trace
triggers match records, as their name says. Each fault fires once. The action runs from a
zero-delay timer, never inside the callback that noticed the trigger, so no layer sees its
state change in the middle of its own call. Every firing is a trace record
``(fault, fault, action=…, index=…)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from simnet.errors import ConfigError
from simnet.kernel.trace import TraceRecord
from simnet.net.packet import ACK, PROTO_TCP, SYN, Packet
from simnet.scenario.model import FaultSpec, LossSpec, TriggerSpec

if TYPE_CHECKING:
    from simnet.scenario.world import Device, World

UART_WINDOW = 4096  # bytes of UART history kept for sent:/received: triggers

# -- the registry --------------------------------------------------------------------------------

# A parameter: (kind of value, required?). Kinds are the validator's (Validator._param):
# duration, distribution, loss, direction, sm_cause, count, count0, ppp_phase, ppp_mode,
# call_outcome, dns_mode, rate, connection, reset_mode, string, port, host, service, reply_code.
ParamSchema = Mapping[str, tuple[str, bool]]
Apply = Callable[["World", FaultSpec], None]


@dataclass(frozen=True)
class FaultKind:
    """One kind of fault: its scenario parameters and what it does. ``one_of``: at least one
    of these keys must be given (``value`` is accepted as an alias of the first)."""

    name: str
    params: ParamSchema
    apply: Apply
    one_of: tuple[str, ...] = ()
    doc: str = ""


FAULTS: dict[str, FaultKind] = {}


def fault(name: str, params: ParamSchema | None = None, *,
          one_of: tuple[str, ...] = ()) -> Callable[[Apply], Apply]:
    """Register the decorated function as the behaviour of fault ``name`` with its parameters."""

    def register(fn: Apply) -> Apply:
        if name in FAULTS:
            raise ValueError(f"fault {name!r} declared twice")
        FAULTS[name] = FaultKind(name, MappingProxyType(dict(params or {})), fn, one_of,
                                 (fn.__doc__ or "").strip())
        return fn

    return register


# -- fault kinds ---------------------------------------------------------------------------------

_DURATION = ("duration", False)
_DIRECTION = ("direction", False)
_COUNT = ("count", False)
_SERVER = {"host": ("host", True), "port": ("port", False), "service": ("service", False)}


def _later(world: World, duration: float | None, fn: Callable[[], None]) -> None:
    if duration is not None:
        world.sim.call_later(duration, fn)


def _links(world: World, f: FaultSpec) -> list[Any]:
    direction = f.params.get("direction") or "both"
    return [
        link for dev in world.fault_targets(f) for link in dev.radio_links(world.network, direction)
    ]


def _opt(f: FaultSpec, *keys: str) -> dict[str, Any]:
    return {k: f.params[k] for k in keys if f.params.get(k) is not None}


def _bearers(world: World, f: FaultSpec) -> list[Any]:
    return [dev.bearer for dev in world.fault_targets(f)]


@fault("link-outage", {"duration": _DURATION, "direction": _DIRECTION})
def link_outage(world: World, f: FaultSpec) -> None:
    """The radio link goes dark (everything offered is dropped) for ``duration`` (default: until
    the end)."""
    for link in _links(world, f):
        link.set_outage(f.params.get("duration"))


@fault(
    "loss",
    {
        "loss": ("loss", False),
        "value": ("loss", False),
        "duration": _DURATION,
        "direction": _DIRECTION,
    },
    one_of=("loss", "value"),
)
def loss(world: World, f: FaultSpec) -> None:
    """The radio link loses packets by a new loss model, back to the scenario's after
    ``duration``."""
    from simnet.scenario.world import loss_for_net

    spec: LossSpec = f.params["loss"]
    for link in _links(world, f):
        direction = "uplink" if link.name.endswith("uplink") else "downlink"
        link.set_loss(loss_for_net(spec))
        _later(
            world,
            f.params.get("duration"),
            partial(link.set_loss, world.base_links[direction].get("loss", 0.0)),
        )


@fault(
    "delay",
    {
        "delay": ("distribution", False),
        "value": ("distribution", False),
        "duration": _DURATION,
        "direction": _DIRECTION,
    },
    one_of=("delay", "value"),
)
def delay(world: World, f: FaultSpec) -> None:
    """The radio link's one-way delay follows a new distribution, back after ``duration``."""
    for link in _links(world, f):
        direction = "uplink" if link.name.endswith("uplink") else "downlink"
        link.set_delay(f.params["delay"])
        _later(
            world,
            f.params.get("duration"),
            partial(link.set_delay, world.base_links[direction].get("delay", 0.0)),
        )


@fault("bearer-drop", {"cause": ("sm_cause", False)})
def bearer_drop(world: World, f: FaultSpec) -> None:
    """The network tears the bearer down (with an SM ``cause``: a network deactivation)."""
    cause = f.params.get("cause")
    for b in _bearers(world, f):
        b.bearer_drop(cause) if cause is not None else b.bearer_drop()


@fault("pdp-reject", {"cause": ("sm_cause", False), "count": _COUNT, "duration": _DURATION})
def pdp_reject(world: World, f: FaultSpec) -> None:
    """The next PDP activations are rejected with ``cause`` (default 31)."""
    for b in _bearers(world, f):
        b.pdp_reject(f.params.get("cause") or 31, **_opt(f, "count", "duration"))


@fault("pdp-silent", {"count": _COUNT, "duration": _DURATION})
def pdp_silent(world: World, f: FaultSpec) -> None:
    """The network does not answer the next PDP activations."""
    for b in _bearers(world, f):
        b.pdp_silent(**_opt(f, "count", "duration"))


@fault(
    "ppp-fail",
    {
        "phase": ("ppp_phase", True),
        "mode": ("ppp_mode", False),
        "count": _COUNT,
        "duration": _DURATION,
    },
)
def ppp_fail(world: World, f: FaultSpec) -> None:
    """PPP fails in ``phase`` as ``mode`` says; ``count``: only the next N negotiations,
    ``duration``: only those starting within it."""
    for b in _bearers(world, f):
        b.ppp_fail(
            f.params["phase"], f.params.get("mode") or "silent", **_opt(f, "count", "duration")
        )


@fault("call-fail", {"outcome": ("call_outcome", True), "count": _COUNT})
def call_fail(world: World, f: FaultSpec) -> None:
    """The next data calls end in ``outcome`` (busy, no-answer, no-carrier)."""
    for b in _bearers(world, f):
        b.call_fail(f.params["outcome"].replace("-", "_"), **_opt(f, "count"))


@fault("dns-fail", {"mode": ("dns_mode", True), "name": ("string", False), "duration": _DURATION})
def dns_fail(world: World, f: FaultSpec) -> None:
    """The operator's DNS servers answer ``mode`` (nxdomain, servfail) or stay silent (timeout)."""
    mode = {"timeout": "silence"}.get(f.params["mode"], f.params["mode"])
    servers = list(world.network.dns_servers)
    for server in servers:
        server.fault = mode

    def clear() -> None:
        for server in servers:
            server.fault = None

    _later(world, f.params.get("duration"), clear)


def _server(world: World, f: FaultSpec) -> None:
    entry = world.hosts[f.params["host"]]
    targets = entry.find(port=f.params.get("port"), type_=f.params.get("service"))
    params = {k: v for k, v in f.params.items() if k not in ("host", "port", "service")}
    if f.action == "server-push":
        from simnet.scenario.schema import decode_escapes

        params["data"] = decode_escapes(params["data"])
    for svc in targets:
        svc.apply_fault(f.action, **params)


# The peer servers' faults (simnet.servers Service.apply_fault takes these names).
fault("server-refuse", {**_SERVER, "duration": _DURATION})(_server)
fault("server-stall", {**_SERVER, "duration": _DURATION})(_server)
fault(
    "server-reset",
    {
        **_SERVER,
        "after_bytes": ("count0", False),
        "mode": ("reset_mode", False),
        "connection": ("connection", False),
        "duration": _DURATION,
    },
)(_server)
fault(
    "server-reply",
    {
        **_SERVER,
        "command": ("string", True),
        "code": ("reply_code", True),
        "text": ("string", False),
        "count": _COUNT,
    },
)(_server)
fault("server-slow-greeting", {**_SERVER, "delay": ("duration", True), "duration": _DURATION})(
    _server
)
fault("server-rate-limit", {**_SERVER, "rate": ("rate", True), "duration": _DURATION})(_server)
# The server sends text unprompted on its open connections (UDP: to its last client).
fault("server-push", {**_SERVER, "data": ("string", True)})(_server)


@fault(
    "peer-connect",
    {
        "host": ("host", True),
        "port": ("port", True),
        "send": ("string", False),
        "close_after": _DURATION,
    },
)
def peer_connect(world: World, f: FaultSpec) -> None:
    """A peer host opens a TCP connection to the module (server-mode commands) and sends
    ``send``, closing after ``close_after``. The peer application reads what the module sends
    (kept in ``world.peer_received``), so its close is a FIN, not the RST of closing over
    unread data."""
    from simnet.scenario.schema import decode_escapes

    peer = world.hosts[f.params["host"]].host
    payload = decode_escapes(f.params.get("send") or "")

    def connected(s: Any) -> None:
        received = world.peer_received.setdefault(id(s), bytearray())
        s.on_data = lambda sock: received.extend(sock.recv())
        if payload:
            s.send(payload)
        if f.params.get("close_after") is not None:
            world.sim.call_later(f.params["close_after"], s.close)

    for dev in world.fault_targets(f):
        module_ip = dev.host.ip
        if module_ip is None:
            raise ConfigError(
                "peer-connect", f"the module {dev.name} has no address (no active PDP context)"
            )
        sock = peer.tcp_connect(module_ip, f.params["port"])
        world.peer_sockets.append(sock)
        sock.on_connected = connected


@fault("nat-expire")
def nat_expire(world: World, f: FaultSpec) -> None:
    """The carrier NAT forgets every mapping."""
    world.network.nat.expire_all()


@fault("sim-remove")
def sim_remove(world: World, f: FaultSpec) -> None:
    """The SIM is pulled out."""
    for b in _bearers(world, f):
        b.sim_remove()


@fault("coverage-loss", {"duration": _DURATION})
def coverage_loss(world: World, f: FaultSpec) -> None:
    """The module loses coverage (both domains searching) for ``duration``."""
    for b in _bearers(world, f):
        b.coverage_loss(f.params.get("duration"))


@fault("reset")
def reset(world: World, f: FaultSpec) -> None:
    """The module restarts, as after AT+CFUN=1,1."""
    for dev in world.fault_targets(f):
        dev.module.reboot("fault")


@fault("power-cycle", {"duration": _DURATION})
def power_cycle(world: World, f: FaultSpec) -> None:
    """Power is removed for ``duration`` (1 s), then the module boots."""
    off = f.params.get("duration")
    for dev in world.fault_targets(f):
        dev.module.reboot("power-cycle", off_time=1.0 if off is None else float(off))


# -- the operator's SMSC and calls from phone hosts (simnet.bearer.sms) ----------------------------


def _sms_number(world: World, name: str) -> str:
    """A host with an msisdn, the module (``module``) or a fleet device by name, or a number."""
    entry = world.hosts.get(name)
    if entry is not None and entry.spec.msisdn:
        return str(entry.spec.msisdn)
    if name == "module" and world.bearer is not None:
        return str(world.bearer.msisdn)
    dev = world.devices.get(name)
    if dev is not None and dev.bearer is not None:
        return str(dev.bearer.msisdn)
    return name


@fault("smsc-down", {"duration": _DURATION})
def smsc_down(world: World, f: FaultSpec) -> None:
    """The SMSC is out of service for ``duration``: MO messages get RP cause 38 (network out of
    order), deliveries wait until it is back."""
    world.smsc.set_down(True, f.params.get("duration"))


@fault(
    "sms-fail",
    {
        "to": ("string", True),
        "reason": ("sms_fail_reason", False),
        "count": _COUNT,
        "duration": _DURATION,
    },
)
def sms_fail(world: World, f: FaultSpec) -> None:
    """Delivery attempts to ``to`` fail: ``absent`` / ``busy`` (kept and retried) or
    ``rejected`` (permanent, status report TP-ST 0x42)."""
    world.smsc.fail_deliveries(
        _sms_number(world, f.params["to"]),
        f.params.get("reason") or "absent",
        **_opt(f, "count", "duration"),
    )


@fault("sms-delay", {"delay": ("duration", True), "duration": _DURATION})
def sms_delay(world: World, f: FaultSpec) -> None:
    """Every delivery attempt of the SMSC takes ``delay`` longer (congestion) for ``duration``."""
    world.smsc.add_delay(f.params["delay"], f.params.get("duration"))


@fault("incoming-call", {"from": ("host", True), "ring_for": _DURATION, "hold": _DURATION})
def incoming_call(world: World, f: FaultSpec) -> None:
    """A phone host calls the module (a speech call): RING / +CLIP until ATA, ATH or
    ``ring_for``; the caller hangs up ``hold`` after the answer."""
    world.host_view(f.params["from"]).call(
        ring_for=f.params.get("ring_for"), hold=f.params.get("hold")
    )


# -- triggers --------------------------------------------------------------------------------------


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
        self.needle = trig.text.encode("latin-1", "replace")

    def record(self, rec: TraceRecord) -> None:
        """A ``trace:`` trigger sees every trace record but the faults' own."""
        if rec.source == "fault" or not matches_record(rec, self.trig.match):
            return
        self.count += 1
        if self.count >= self.trig.count:
            self.fire(f"trace record #{self.count} {rec.source}/{rec.kind}")

    def uart(self, kind: str, chunk: bytes) -> None:
        """A ``sent:`` / ``received:`` trigger sees the chunks crossing the UART."""
        if kind != ("dte>" if self.trig.kind == "sent" else "dte<"):
            return
        self.buffer = (self.buffer + chunk)[-UART_WINDOW:]
        if self.needle in self.buffer:
            self.fire(f"{self.trig.kind} {self.trig.text!r}")

    def packet(self, pkt: Packet, *, uplink: bool) -> None:
        """A ``syn:`` / ``bytes:`` trigger sees the TCP packets the radio link takes."""
        if pkt.proto != PROTO_TCP:
            return
        trig = self.trig
        if trig.kind == "syn":
            if not uplink or not pkt.flags & SYN or pkt.flags & ACK or pkt.dst != self.host_ip:
                return
            if trig.port is not None and pkt.dport != trig.port:
                return
            self.count += 1
            if self.count >= trig.count:
                self.fire(f"SYN #{self.count} to {trig.host}")
            return
        # bytes
        if uplink and trig.direction in ("any", "uplink") and pkt.dst == self.host_ip:
            port = pkt.dport
        elif not uplink and trig.direction in ("any", "downlink") and pkt.src == self.host_ip:
            port = pkt.sport
        else:
            return
        if trig.port is not None and port != trig.port:
            return
        self.count += len(pkt.payload)
        if self.count >= trig.count:
            self.fire(f"{self.count} bytes with {trig.host}")

    def fire(self, why: str) -> None:
        if self.fired:
            return
        self.fired = True
        self.engine.world.sim.call_later(0.0, self.engine.apply, self.fault, why)


class FaultEngine:
    """Schedules ``at:`` faults and arms the hooks of ``on:`` triggers."""

    def __init__(self, world: World, faults: list[FaultSpec]) -> None:
        self.world = world
        self.watches: list[_Watch] = []
        sim = world.sim
        for fault_spec in faults:
            if fault_spec.at is not None:
                sim.call_at(fault_spec.at, self.apply, fault_spec, f"at {fault_spec.at:g} s")
            elif fault_spec.on is not None:
                self.watches.append(_Watch(self, fault_spec, fault_spec.on))
        self._arm()

    def _arm(self) -> None:
        """One hook per kind of trigger, each passing what it sees to its watches in order."""
        kinds = {"syn": "packet", "bytes": "packet", "sent": "uart", "received": "uart"}
        self._trace_watches = [w for w in self.watches if kinds.get(w.trig.kind) is None]
        self._uart_watches = [w for w in self.watches if kinds.get(w.trig.kind) == "uart"]
        self._packet_watches = [w for w in self.watches if kinds.get(w.trig.kind) == "packet"]
        first = self._first_device()
        if self._trace_watches:
            # Watches that each name a kind need to see only those records (kinds are text).
            named = [w.trig.match.get("kind") for w in self._trace_watches]
            self.world.sim.trace.add_sink(
                self._on_record, None if None in named else {str(k) for k in named}
            )
        if self._uart_watches and first is not None and first.module is not None:
            first.module.uart.observe(self._on_uart)
        if self._packet_watches and first is not None:
            uplink, downlink = first.radio_links(self.world.network, "both")
            uplink.observe_tx(self._on_uplink)
            downlink.observe_tx(self._on_downlink)

    def _on_record(self, rec: TraceRecord) -> None:
        for watch in self._trace_watches:
            if not watch.fired:
                watch.record(rec)

    def _on_uart(self, kind: str, chunk: bytes) -> None:
        for watch in self._uart_watches:
            if not watch.fired:
                watch.uart(kind, chunk)

    def _on_uplink(self, _now: float, pkt: Packet) -> None:
        for watch in self._packet_watches:
            if not watch.fired:
                watch.packet(pkt, uplink=True)

    def _on_downlink(self, _now: float, pkt: Packet) -> None:
        for watch in self._packet_watches:
            if not watch.fired:
                watch.packet(pkt, uplink=False)

    def _first_device(self) -> Device | None:
        return next(iter(self.world.devices.values()), None)

    def apply(self, fault_spec: FaultSpec, why: str) -> None:
        sim = self.world.sim
        params = {k: _jsonable(v) for k, v in fault_spec.params.items()}
        sim.record(
            "fault",
            "fault",
            action=fault_spec.action,
            index=fault_spec.index,
            trigger=why,
            **params,
        )
        try:
            FAULTS[fault_spec.action].apply(self.world, fault_spec)
        except Exception as exc:  # a layer refusing a fault must show in the trace, not crash
            sim.record(
                "fault",
                "fault_error",
                action=fault_spec.action,
                index=fault_spec.index,
                error=f"{type(exc).__name__}: {exc}",
            )
            self.world.fault_errors.append(f"faults[{fault_spec.index}] {fault_spec.action}: {exc}")


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
