"""Carrier-grade NAT (NAPT) in the operator core, after RFC 4787 (UDP), 5382 (TCP), 5508 (ICMP).

Behaviour (defaults first; ``NatConfig`` chooses the variants):
- mapping (RFC 4787 §4.1): endpoint-independent, one public port per (protocol, private ip,
  private port); or address-dependent / address-and-port-dependent, a public port per remote
  address (and port);
- filtering (RFC 4787 §5): address-and-port-dependent, inbound packets are accepted only from
  remote endpoints the private side has sent to through this mapping; or address-dependent
  (any port of such an address), or endpoint-independent (anyone);
- a mapping is refreshed by outbound traffic and (``inbound_refresh``, RFC 4787 REQ-6 lets a NAT
  choose) inbound traffic, and expires after the idle timeout of its protocol - for TCP the
  "established" timeout, or the "transitory" one (RFC 5382 REQ-5) before the handshake was seen
  both ways and after a FIN each way or a RST; expiry is checked by one timer per mapping
  (re-armed lazily on refresh);
- on expiry (``on_expiry``): ``new-mapping`` removes it quietly and a later outbound segment
  of the flow gets a new mapping; ``silent-drop`` removes it quietly and drops mid-stream TCP
  segments that find no mapping (a conntrack NAT that admits only SYNs: both ends' packets
  vanish until a keepalive or a retransmission budget gives up); ``rst-both`` / ``rst-inside``
  / ``rst-outside`` send a RST to both ends / the module / the remote host first, with sequence
  numbers taken from the segments it saw;
- public ports are allocated sequentially from a seed-chosen start; with ``port_preservation``
  the private port is used when free (RFC 4787 §4.2.1). Without it a module whose mapping
  expired reappears from a NEW port - the peer sees a segment for no connection and answers RST;
- inbound packets that match no mapping vanish (trace record kind ``nat``, event ``drop``);
- the port pool is shared by every subscriber; ``per_subscriber`` caps how many mappings one
  private address may hold (a CGNAT's port block per subscriber, RFC 6888 REQ-4); beyond the
  cap or the pool, a new flow is dropped (``ports_exhausted`` / ``subscriber_ports_exhausted``,
  counted in ``exhausted``), as a real CGNAT drops it.
"""

from __future__ import annotations

from typing import Any, Final

from simnet.kernel.units import Real
from simnet.net import icmp
from simnet.net.nat_config import BEHAVIOURS as BEHAVIOURS
from simnet.net.nat_config import ON_EXPIRY as ON_EXPIRY
from simnet.net.nat_config import NatConfig
from simnet.net.packet import ACK, FIN, PROTO_ICMP, PROTO_TCP, PROTO_UDP, RST, SYN, Packet

_PROTO_NAMES: Final = {PROTO_TCP: "tcp", PROTO_UDP: "udp", PROTO_ICMP: "icmp"}

# TCP flags a mapping has seen (for the RFC 5382 established/transitory distinction)
_SYN_OUT, _SYN_IN, _FIN_OUT, _FIN_IN, _RST_SEEN = 1, 2, 4, 8, 16



class NatMapping:
    """One translation. ``remotes`` maps each remote endpoint the private side sent to onto the
    last TCP sequence numbers seen (``[out_end, out_ack, in_end, in_ack]``, only when the NAT
    tracks TCP) or None."""

    __slots__ = (
        "proto",
        "private_ip",
        "private_port",
        "public_port",
        "last_activity",
        "remotes",
        "timer",
        "created",
        "key",
        "tcp_flags",
    )

    def __init__(
        self,
        proto: int,
        private_ip: str,
        private_port: int,
        public_port: int,
        now: Real,
        key: tuple[Any, ...] = (),
    ) -> None:
        self.proto = proto
        self.private_ip = private_ip
        self.private_port = private_port
        self.public_port = public_port
        self.created = now
        self.last_activity = now
        self.remotes: dict[tuple[str, int], list[int] | None] = {}
        self.timer: Any = None
        self.key = key or (proto, private_ip, private_port)
        self.tcp_flags = 0

    @property
    def established(self) -> bool:
        """RFC 5382: a handshake seen both ways and no RST or FIN in both directions since."""
        f = self.tcp_flags
        handshake = _SYN_OUT | _SYN_IN
        closed = _FIN_OUT | _FIN_IN
        return f & handshake == handshake and not f & _RST_SEEN and f & closed != closed

    def describe(self) -> str:
        return (
            f"{_PROTO_NAMES.get(self.proto, self.proto)} {self.private_ip}:{self.private_port}"
            f" <-> :{self.public_port}"
        )


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
        cfg = self.config
        self._track = cfg.tracks_tcp
        self._mapping_ip = cfg.mapping != "endpoint-independent"
        self._mapping_port = cfg.mapping == "address-and-port-dependent"
        self._silent = cfg.on_expiry == "silent-drop"
        # The core sends what the NAT originates (RSTs on expiry); set by the Network.
        self.emit: Any = None
        self._by_private: dict[tuple[int, str, int], NatMapping] = {}
        self._by_public: dict[tuple[int, int], NatMapping] = {}
        self._next_port: int | None = None  # drawn on the first mapping
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
        """The mapping of a private endpoint (the first one, under dependent mapping)."""
        m = self._by_private.get((proto, private_ip, private_port))
        if m is None and self._mapping_ip:
            m = next(
                (
                    x
                    for x in self.mappings()
                    if (x.proto, x.private_ip, x.private_port) == (proto, private_ip, private_port)
                ),
                None,
            )
        return m

    def _private_key(self, proto: int, ip: str, port: int, rip: str, rport: int) -> tuple[Any, ...]:
        """RFC 4787 §4.1: what makes a mapping distinct."""
        if not self._mapping_ip:
            return (proto, ip, port)
        if not self._mapping_port:
            return (proto, ip, port, rip)
        return (proto, ip, port, rip, rport)

    # -- allocation and expiry -----------------------------------------------------------------
    def _allocate(self, proto: int, preferred: int | None = None) -> int | None:
        low, high = self.config.port_low, self.config.port_high
        span = high - low + 1
        if self._held.get(proto, 0) >= span:
            return None  # the pool is exhausted: no need to walk it
        if (
            preferred is not None
            and low <= preferred <= high
            and (proto, preferred) not in self._by_public
        ):
            return preferred  # port preservation (RFC 4787 §4.2.1)
        if self._next_port is None:
            self._next_port = low + self.sim.rng(f"{self.name}.port").randrange(span)
        for _ in range(span):
            port = self._next_port
            self._next_port = low + (port - low + 1) % span
            if (proto, port) not in self._by_public:
                return port
        return None

    def _timeout(self, m: NatMapping) -> Real:
        cfg = self.config
        if (
            m.proto == PROTO_TCP
            and self._track
            and cfg.tcp_transitory_timeout is not None
            and not m.established
        ):
            return cfg.tcp_transitory_timeout
        return cfg.timeout_for(m.proto)

    def _arm(self, m: NatMapping) -> None:
        deadline = m.last_activity + self._timeout(m)
        m.timer = self.sim.call_at(deadline, self._check_idle, m)

    def _check_idle(self, m: NatMapping) -> None:
        if self._by_public.get((m.proto, m.public_port)) is not m:
            return
        deadline = m.last_activity + self._timeout(m)
        if self.sim.now + 1e-12 < deadline:
            m.timer = self.sim.call_at(deadline, self._check_idle, m)  # refreshed meanwhile
            return
        if m.proto == PROTO_TCP and self.config.on_expiry.startswith("rst"):
            self._reset_flows(m)
        self._remove(m, "idle_timeout")

    def _reset_flows(self, m: NatMapping) -> None:
        """RSTs for every connection through the mapping, with sequence numbers each receiver
        finds acceptable: the last acknowledgment number its own side sent (RFC 9293 §3.10.7.4)."""
        side = self.config.on_expiry
        for (rip, rport), track in list(m.remotes.items()):
            if track is None or self.emit is None:
                continue
            out_end, out_ack, in_end, in_ack = track
            if side in ("rst-both", "rst-inside"):
                self._send_rst(
                    rip, rport, m.private_ip, m.private_port, out_ack if out_ack >= 0 else in_end
                )
            if side in ("rst-both", "rst-outside"):
                self._send_rst(
                    self.config.public_ip,
                    m.public_port,
                    rip,
                    rport,
                    in_ack if in_ack >= 0 else out_end,
                )

    def _send_rst(self, src: str, sport: int, dst: str, dport: int, seq: int) -> None:
        if seq < 0:
            return  # nothing seen to make an acceptable RST from
        rst = Packet(src, dst, PROTO_TCP, sport=sport, dport=dport, seq=seq & 0xFFFFFFFF, flags=RST)
        self.sim.record(self.name, "nat", event="rst", pkt=rst.summary())
        self.emit(rst)

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
        if self._by_private.get(m.key) is m:
            del self._by_private[m.key]
        if m.timer is not None:
            m.timer.cancel()
        self.expired_count += 1
        idle: Any = self.sim.now - m.last_activity  # Any: round() keeps an int an int
        self.sim.record(
            self.name,
            "nat",
            event="expire",
            reason=reason,
            mapping=m.describe(),
            idle=round(idle, 9),
        )

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
        port = pkt.sport if proto == PROTO_TCP else _flow_port(pkt, outbound=True)
        if port is None:
            if icmp.is_error(pkt) and isinstance(pkt.quoted, Packet):
                return self._outbound_icmp_error(pkt)
            self.sim.record(
                self.name, "nat", event="drop", reason="untranslatable", pkt=pkt.summary()
            )
            return False
        rport = pkt.dport if proto != PROTO_ICMP else 0
        key = (
            (proto, pkt.src, port)
            if not self._mapping_ip
            else self._private_key(proto, pkt.src, port, pkt.dst, rport)
        )
        m = self._by_private.get(key)
        now = self.sim.env._now
        if m is None:
            if self._silent and proto == PROTO_TCP and not pkt.flags & SYN:
                # The flow's state is gone and only a SYN may create it again (conntrack).
                self.sim.record(
                    self.name, "nat", event="drop", reason="no_mapping", pkt=pkt.summary()
                )
                return False
            cap = self.config.per_subscriber
            held = self._per_subscriber.get(pkt.src, 0)
            preferred = port if self.config.port_preservation else None
            public = self._allocate(proto, preferred) if cap is None or held < cap else None
            if public is None:
                self.exhausted += 1
                reason = (
                    "subscriber_ports_exhausted"
                    if cap is not None and held >= cap
                    else "ports_exhausted"
                )
                self.sim.record(self.name, "nat", event="drop", reason=reason, pkt=pkt.summary())
                return False
            m = NatMapping(proto, pkt.src, port, public, now, key)
            self._by_private[key] = m
            self._by_public[(proto, public)] = m
            self._per_subscriber[pkt.src] = held + 1
            self._held[proto] = self._held.get(proto, 0) + 1
            self._arm(m)
            self.sim.record(self.name, "nat", event="create", mapping=m.describe())
        m.last_activity = now
        remote = (pkt.dst, rport)
        if remote not in m.remotes:
            m.remotes[remote] = [-1, -1, -1, -1] if self._track and proto == PROTO_TCP else None
        if self._track and proto == PROTO_TCP:
            self._see_tcp(m, remote, pkt, outbound=True)
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
        m = self._by_private.get(
            self._private_key(
                q.proto, pkt.src, port, q.src, q.sport if q.proto != PROTO_ICMP else 0
            )
        )
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
        port = pkt.dport if proto == PROTO_TCP else _flow_port(pkt, outbound=False)
        m = self._by_public.get((proto, port)) if port is not None else None
        if m is None:
            self._vanish(pkt, "no_mapping")
            return False
        remote = (pkt.src, pkt.sport if proto != PROTO_ICMP else 0)
        if remote not in m.remotes and not self._admits(m, remote):
            self._vanish(pkt, "filtered")
            return False
        if self.config.inbound_refresh:
            m.last_activity = self.sim.env._now
        if self._track and proto == PROTO_TCP:
            if remote not in m.remotes:
                m.remotes[remote] = [-1, -1, -1, -1]
            self._see_tcp(m, remote, pkt, outbound=False)
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

    def _admits(self, m: NatMapping, remote: tuple[str, int]) -> bool:
        """RFC 4787 §5 filtering for a remote the private side has not sent to."""
        filtering = self.config.filtering
        if filtering == "endpoint-independent":
            return True
        if filtering == "address-dependent":
            return any(ip == remote[0] for ip, _ in m.remotes)
        return False

    def _see_tcp(
        self, m: NatMapping, remote: tuple[str, int], pkt: Packet, *, outbound: bool
    ) -> None:
        """Follow a TCP flow's flags and sequence numbers (RFC 5382 states, RSTs on expiry)."""
        flags = pkt.flags
        was = m.established
        if flags & RST:
            m.tcp_flags |= _RST_SEEN
        if flags & SYN:
            m.tcp_flags = (m.tcp_flags & ~(_RST_SEEN | _FIN_OUT | _FIN_IN)) | (
                _SYN_OUT if outbound else _SYN_IN
            )
        if flags & FIN:
            m.tcp_flags |= _FIN_OUT if outbound else _FIN_IN
        track = m.remotes.get(remote)
        if track is not None:
            end = (
                pkt.seq + len(pkt.payload) + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)
            ) & 0xFFFFFFFF
            ack = pkt.ack if flags & ACK else -1
            if outbound:
                track[0] = end
                if ack >= 0:
                    track[1] = ack
            else:
                track[2] = end
                if ack >= 0:
                    track[3] = ack
        if was != m.established:
            if m.timer is not None:
                m.timer.cancel()
            self._arm(m)  # the other idle timeout applies from now on

    def _vanish(self, pkt: Packet, reason: str) -> None:
        self.dropped_inbound += 1
        self.sim.record(self.name, "nat", event="drop", reason=reason, pkt=pkt.summary())
