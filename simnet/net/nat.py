"""Carrier-grade NAT (NAPT) in the operator core, after RFC 4787 (UDP), 5382 (TCP), 5508 (ICMP).

Behaviour:
- endpoint-independent mapping: one public port per (protocol, private ip, private port);
- address-and-port-dependent filtering: inbound packets are accepted only from remote
  endpoints the private side has sent to through this mapping;
- a mapping is refreshed by traffic in either direction and expires after the idle timeout of
  its protocol; expiry is checked by one timer per mapping (re-armed lazily on refresh);
- public ports are allocated sequentially from a seed-chosen start (no port preservation), so
  a module whose mapping expired reappears from a NEW port - the peer sees a segment for no
  connection and answers RST;
- inbound packets that match no mapping vanish (trace record kind ``nat``, event ``drop``);
- the port pool is shared by every subscriber; ``per_subscriber`` caps how many mappings one
  private address may hold (a CGNAT's port block per subscriber, RFC 6888 REQ-4); beyond the
  cap or the pool, a new flow is dropped (``ports_exhausted`` / ``subscriber_ports_exhausted``,
  counted in ``exhausted``), as a real CGNAT drops it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simnet.errors import ConfigError
from simnet.kernel.units import parse_duration
from simnet.net import icmp
from simnet.net.addr import check_ip, check_port
from simnet.net.packet import PROTO_ICMP, PROTO_TCP, PROTO_UDP, Packet

_PROTO_NAMES = {PROTO_TCP: "tcp", PROTO_UDP: "udp", PROTO_ICMP: "icmp"}


@dataclass
class NatConfig:
    """Defaults model a mobile operator's CGNAT, which is far shorter than the RFC minimums
    (RFC 5382: 2 h 4 min for TCP; RFC 4787: 2 min for UDP) - see docs/assumptions.md."""

    public_ip: str = "198.51.100.1"
    tcp_idle_timeout: Any = 300.0
    udp_idle_timeout: Any = 30.0
    icmp_idle_timeout: Any = 60.0  # RFC 5508 REQ-1: ICMP query mappings at least 60 s
    port_low: int = 1024
    port_high: int = 65535
    per_subscriber: int | None = None
    enabled: bool = True
    prefix: str = field(default="nat", repr=False, compare=False)

    def __post_init__(self) -> None:
        p = self.prefix
        self.public_ip = check_ip(self.public_ip, f"{p}.public_ip")
        self.tcp_idle_timeout = parse_duration(self.tcp_idle_timeout, f"{p}.tcp_idle_timeout", allow_zero=False)
        self.udp_idle_timeout = parse_duration(self.udp_idle_timeout, f"{p}.udp_idle_timeout", allow_zero=False)
        self.icmp_idle_timeout = parse_duration(self.icmp_idle_timeout, f"{p}.icmp_idle_timeout", allow_zero=False)
        check_port(self.port_low, f"{p}.port_low")
        check_port(self.port_high, f"{p}.port_high")
        if self.port_high < self.port_low:
            raise ConfigError(f"{p}.port_high", f"must be >= port_low ({self.port_low})")
        if self.per_subscriber is not None and (isinstance(self.per_subscriber, bool)
                                                or not isinstance(self.per_subscriber, int) or self.per_subscriber < 1):
            raise ConfigError(f"{p}.per_subscriber", f"expected a positive number of ports, got {self.per_subscriber!r}")
        if not isinstance(self.enabled, bool):
            raise ConfigError(f"{p}.enabled", f"expected true or false, got {self.enabled!r}")

    @classmethod
    def from_dict(cls, data: Any, field_path: str = "nat") -> NatConfig:
        """Build from a scenario mapping, naming unknown keys with their full path."""
        if data is None:
            return cls(prefix=field_path)
        if not isinstance(data, dict):
            raise ConfigError(field_path, f"expected a mapping of NAT parameters, got {data!r}")
        allowed = ("public_ip", "tcp_idle_timeout", "udp_idle_timeout", "icmp_idle_timeout",
                   "port_low", "port_high", "per_subscriber", "enabled")
        for key in data:
            if key not in allowed:
                raise ConfigError(f"{field_path}.{key}", f"unknown NAT parameter (expected one of {', '.join(allowed)})")
        return cls(**data, prefix=field_path)

    def timeout_for(self, proto: int) -> float:
        if proto == PROTO_TCP:
            return self.tcp_idle_timeout
        if proto == PROTO_UDP:
            return self.udp_idle_timeout
        return self.icmp_idle_timeout


class NatMapping:
    __slots__ = ("proto", "private_ip", "private_port", "public_port", "last_activity", "remotes",
                 "timer", "created")

    def __init__(self, proto: int, private_ip: str, private_port: int, public_port: int, now: float) -> None:
        self.proto = proto
        self.private_ip = private_ip
        self.private_port = private_port
        self.public_port = public_port
        self.created = now
        self.last_activity = now
        self.remotes: dict[tuple[str, int], None] = {}
        self.timer: Any = None

    def describe(self) -> str:
        return (f"{_PROTO_NAMES.get(self.proto, self.proto)} {self.private_ip}:{self.private_port}"
                f" <-> :{self.public_port}")


def _flow_port(pkt: Packet, outbound: bool) -> int | None:
    """The private-side port (or ICMP query id) of a packet, or None if not translatable."""
    if pkt.proto in (PROTO_TCP, PROTO_UDP):
        return pkt.sport if outbound else pkt.dport
    if pkt.proto == PROTO_ICMP and pkt.icmp_type in (icmp.ECHO_REQUEST, icmp.ECHO_REPLY):
        return pkt.icmp_id
    return None


class Nat:
    """The translation table. ``outbound``/``inbound`` rewrite a packet in place and return
    True, or return False when it must be dropped (the caller drops it silently)."""

    def __init__(self, sim: Any, config: NatConfig | None = None, name: str = "nat") -> None:
        self.sim = sim
        self.name = name
        self.config = config if config is not None else NatConfig()
        self._by_private: dict[tuple[int, str, int], NatMapping] = {}
        self._by_public: dict[tuple[int, int], NatMapping] = {}
        span = self.config.port_high - self.config.port_low + 1
        self._next_port = self.config.port_low + sim.rng(f"{name}.port").randrange(span)
        self.expired_count = 0
        self.dropped_inbound = 0
        self.exhausted = 0  # new flows dropped for want of a port
        self._per_subscriber: dict[str, int] = {}  # private ip -> mappings held
        self._held: dict[int, int] = {}  # protocol -> public ports in use

    @property
    def public_ip(self) -> str:
        return self.config.public_ip

    def mappings(self) -> list[NatMapping]:
        return sorted(self._by_public.values(), key=lambda m: (m.proto, m.public_port))

    def lookup(self, proto: int, private_ip: str, private_port: int) -> NatMapping | None:
        return self._by_private.get((proto, private_ip, private_port))

    # -- allocation and expiry -----------------------------------------------------------------
    def _allocate(self, proto: int) -> int | None:
        low, high = self.config.port_low, self.config.port_high
        span = high - low + 1
        if self._held.get(proto, 0) >= span:
            return None  # the pool is exhausted: no need to walk it
        for _ in range(span):
            port = self._next_port
            self._next_port = low + (port - low + 1) % span
            if (proto, port) not in self._by_public:
                return port
        return None

    def _arm(self, m: NatMapping) -> None:
        deadline = m.last_activity + self.config.timeout_for(m.proto)
        m.timer = self.sim.call_at(deadline, self._check_idle, m)

    def _check_idle(self, m: NatMapping) -> None:
        if self._by_public.get((m.proto, m.public_port)) is not m:
            return
        deadline = m.last_activity + self.config.timeout_for(m.proto)
        if self.sim.now + 1e-12 < deadline:
            m.timer = self.sim.call_at(deadline, self._check_idle, m)  # refreshed meanwhile
            return
        self._remove(m, "idle_timeout")

    def subscriber_mappings(self, private_ip: str) -> int:
        """How many mappings the subscriber at ``private_ip`` holds now."""
        return self._per_subscriber.get(private_ip, 0)

    def _remove(self, m: NatMapping, reason: str) -> None:
        if self._by_public.pop((m.proto, m.public_port), None) is m:
            self._held[m.proto] = self._held.get(m.proto, 1) - 1
            left = self._per_subscriber.get(m.private_ip, 1) - 1
            if left > 0:
                self._per_subscriber[m.private_ip] = left
            else:
                self._per_subscriber.pop(m.private_ip, None)
        self._by_private.pop((m.proto, m.private_ip, m.private_port), None)
        if m.timer is not None:
            m.timer.cancel()
        self.expired_count += 1
        self.sim.record(self.name, "nat", event="expire", reason=reason, mapping=m.describe(),
                        idle=round(self.sim.now - m.last_activity, 9))

    def expire_all(self, reason: str = "fault") -> int:
        """Drop every mapping at once (the ``nat-expire`` fault); returns how many."""
        ms = self.mappings()
        for m in ms:
            self._remove(m, reason)
        return len(ms)

    def release_private_ip(self, private_ip: str) -> None:
        """The subscriber's PDP context is gone: its mappings go with it."""
        for m in self.mappings():
            if m.private_ip == private_ip:
                self._remove(m, "subscriber_released")

    # -- translation ---------------------------------------------------------------------------
    def outbound(self, pkt: Packet) -> bool:
        """Private -> public: rewrite the source. Creates the mapping if needed."""
        proto = pkt.proto
        port = _flow_port(pkt, outbound=True)
        if port is None:
            if icmp.is_error(pkt) and isinstance(pkt.quoted, Packet):
                return self._outbound_icmp_error(pkt)
            self.sim.record(self.name, "nat", event="drop", reason="untranslatable", pkt=pkt.summary())
            return False
        key = (proto, pkt.src, port)
        m = self._by_private.get(key)
        now = self.sim.now
        if m is None:
            cap = self.config.per_subscriber
            held = self._per_subscriber.get(pkt.src, 0)
            public = self._allocate(proto) if cap is None or held < cap else None
            if public is None:
                self.exhausted += 1
                reason = "subscriber_ports_exhausted" if cap is not None and held >= cap else "ports_exhausted"
                self.sim.record(self.name, "nat", event="drop", reason=reason, pkt=pkt.summary())
                return False
            m = NatMapping(proto, pkt.src, port, public, now)
            self._by_private[key] = m
            self._by_public[(proto, public)] = m
            self._per_subscriber[pkt.src] = held + 1
            self._held[proto] = self._held.get(proto, 0) + 1
            self._arm(m)
            self.sim.record(self.name, "nat", event="create", mapping=m.describe())
        m.last_activity = now
        remote = (pkt.dst, pkt.dport if proto != PROTO_ICMP else 0)
        if remote not in m.remotes:
            m.remotes[remote] = None
        pkt.src = self.config.public_ip
        if proto == PROTO_ICMP:
            pkt.icmp_id = m.public_port
        else:
            pkt.sport = m.public_port
        return True

    def _outbound_icmp_error(self, pkt: Packet) -> bool:
        # An error generated by the module about an inbound packet: its quote names the
        # private endpoint as destination; translate it back to the public one.
        q = pkt.quoted
        assert q is not None
        port = q.dport if q.proto != PROTO_ICMP else q.icmp_id
        m = self._by_private.get((q.proto, pkt.src, port))
        if m is None:
            self.sim.record(self.name, "nat", event="drop", reason="no_mapping", pkt=pkt.summary())
            return False
        q = q.copy()
        q.dst = self.config.public_ip
        if q.proto == PROTO_ICMP:
            q.icmp_id = m.public_port
        else:
            q.dport = m.public_port
        pkt.quoted = q
        pkt.src = self.config.public_ip
        return True

    def inbound(self, pkt: Packet) -> bool:
        """Public -> private: rewrite the destination if a live mapping admits the packet."""
        proto = pkt.proto
        if proto == PROTO_ICMP and icmp.is_error(pkt):
            return self._inbound_icmp_error(pkt)
        port = _flow_port(pkt, outbound=False)
        m = self._by_public.get((proto, port)) if port is not None else None
        if m is None:
            self._vanish(pkt, "no_mapping")
            return False
        remote = (pkt.src, pkt.sport if proto != PROTO_ICMP else 0)
        if remote not in m.remotes:
            self._vanish(pkt, "filtered")
            return False
        m.last_activity = self.sim.now
        pkt.dst = m.private_ip
        if proto == PROTO_ICMP:
            pkt.icmp_id = m.private_port
        else:
            pkt.dport = m.private_port
        return True

    def _inbound_icmp_error(self, pkt: Packet) -> bool:
        q = pkt.quoted
        if not isinstance(q, Packet) or q.src != self.config.public_ip:
            self._vanish(pkt, "no_mapping")
            return False
        port = _flow_port(q, outbound=True)
        m = self._by_public.get((q.proto, port)) if port is not None else None
        if m is None:
            self._vanish(pkt, "no_mapping")
            return False
        q = q.copy()
        q.src = m.private_ip
        if q.proto == PROTO_ICMP:
            q.icmp_id = m.private_port
        else:
            q.sport = m.private_port
        pkt.quoted = q
        pkt.dst = m.private_ip
        return True

    def _vanish(self, pkt: Packet, reason: str) -> None:
        self.dropped_inbound += 1
        self.sim.record(self.name, "nat", event="drop", reason=reason, pkt=pkt.summary())
