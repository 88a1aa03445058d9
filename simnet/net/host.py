"""A host's IP stack: one interface, UDP sockets, ICMP (echo and errors), and the TCP stack.

The host is glue: it validates and dispatches packets to the transport engines and moves
their output to the link. Nothing a packet contains can make it raise: malformed or
unexpected packets are dropped with a trace record (kind ``drop``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from simnet.errors import ConfigError
from simnet.kernel.units import Real
from simnet.net import icmp
from simnet.net.addr import check_ip, check_port
from simnet.net.icmp import PingRequest, PingResult
from simnet.net.packet import PROTO_ICMP, PROTO_TCP, PROTO_UDP, Packet
from simnet.net.tcp import TcpStack
from simnet.net.tcp_state import CloseReason
from simnet.net.udp import UdpSocket

EPHEMERAL_LOW: Final = 49152  # RFC 6335 dynamic port range
EPHEMERAL_HIGH: Final = 65535
DEFAULT_TTL: Final = 64  # Linux / most embedded stacks (net.ipv4.ip_default_ttl)
DEFAULT_PING_TIMEOUT: Final[Real] = 4.0


class Host:
    """An IPv4 host. Internet and operator hosts get their address at creation; a module host
    gets one when the bearer calls ``interface_up``."""

    def __init__(self, sim: Any, name: str, ip: str | None = None, *, network: Any = None,
                 kind: str = "internet", initial_ttl: int = DEFAULT_TTL) -> None:
        if not isinstance(name, str) or not name:
            raise ConfigError("host.name", f"expected a non-empty name, got {name!r}")
        if (
            isinstance(initial_ttl, bool)
            or not isinstance(initial_ttl, int)
            or not 1 <= initial_ttl <= 255
        ):
            raise ConfigError(
                f"host.{name}.ttl", f"expected an integer between 1 and 255, got {initial_ttl!r}"
            )
        self.sim = sim
        self.name = name
        self.network = network
        self.kind = kind
        self.initial_ttl = initial_ttl
        self.initial_tos = 0  # IPv4 TOS of the host's packets unless a socket sets its own
        self.ip: str | None = None if ip is None else check_ip(ip, f"host.{name}.ip")
        self.dns_servers: list[str] = []
        # State upper layers keep per host, by name (a mail server's shared store): it lives as
        # long as the host. (A compiled Host takes no new attributes and no weak references.)
        self.attachments: dict[str, Any] = {}
        # Set while the address belongs to a PPP peer the module relays for (dial-up): packets
        # arriving for it go there instead of to this host's own sockets.
        self.relay: Callable[[Packet], None] | None = None
        # set by the network: sends a packet out of the interface
        self._egress: Callable[[Packet], None] | None = None
        self._udp: dict[int, UdpSocket] = {}
        self._pings: dict[tuple[int, int], PingRequest] = {}
        # Drawn from their streams on first use (the same values; most hosts never need them,
        # and seeding a stream costs more than the rest of the host).
        self._next_ephemeral: int | None = None
        self._ping_ident_value: int | None = None
        self._ping_seq = 0
        self._ip_id: int | None = None
        self.packets_received = 0
        self.packets_dropped = 0
        self.resolver: Any = None
        self.tcp = TcpStack(self)
        from simnet.net.dns import DnsResolver  # dns builds on udp; imported late to avoid a cycle

        self.resolver = DnsResolver(self)

    def __repr__(self) -> str:
        return f"<Host {self.name} {self.ip}>"

    @property
    def is_up(self) -> bool:
        return self.ip is not None

    def next_ip_id(self) -> int:
        ip_id = self._ip_id
        if ip_id is None:
            ip_id = self.sim.rng(f"ip.{self.name}.ident").randint(0, 0xFFFF)
        self._ip_id = ip_id = (ip_id + 1) & 0xFFFF
        return ip_id

    @property
    def _ping_ident(self) -> int:
        if self._ping_ident_value is None:
            self._ping_ident_value = self.sim.rng(f"icmp.{self.name}.ident").randint(1, 0xFFFF)
        return self._ping_ident_value

    @_ping_ident.setter
    def _ping_ident(self, value: int) -> None:
        self._ping_ident_value = value

    # -- interface -------------------------------------------------------------------------
    def interface_up(self, ip: str, dns_servers: list[str] | tuple[str, ...] = ()) -> None:
        """Give the interface an address (the bearer's PDP context / IPCP result)."""
        ip = check_ip(ip, f"host.{self.name}.ip")
        servers = [
            check_ip(s, f"host.{self.name}.dns_servers[{i}]") for i, s in enumerate(dns_servers)
        ]
        if self.ip is not None and self.ip != ip:
            self.interface_down("address_changed")
        self.ip = ip
        self.dns_servers = servers
        self.sim.record(self.name, "iface", event="up", ip=ip, dns=servers)
        if self.network is not None:
            self.network._interface_up(self)

    def interface_down(self, reason: str = "network_down") -> None:
        """Lose the address: every TCP connection aborts with ``network_down`` (``local`` when
        ``reason == "local"``: the module closed its own bearer), UDP sockets close with that
        error, pending pings and DNS queries fail with ``no_network``."""
        if self.ip is None:
            return
        old_ip = self.ip
        self.ip = None
        self.sim.record(self.name, "iface", event="down", ip=old_ip, reason=reason)
        if self.network is not None:
            self.network._interface_down(self, old_ip)
        # Sockets learn "local" when the module itself took the bearer down (e.g. AT+NETCLOSE),
        # otherwise "network_down"; other reasons stay in the trace record above.
        sock_reason = CloseReason.LOCAL if reason == "local" else CloseReason.NETWORK_DOWN
        self.tcp.network_down(sock_reason)
        for port in sorted(self._udp):
            sock = self._udp.get(port)
            if sock is not None:
                sock._network_down(sock_reason)
        for key in sorted(self._pings):
            req = self._pings.pop(key, None)
            if req is not None:
                req.finish(PingResult(req.dst, req.seq, req.size, False, error="no_network"))
        if self.resolver is not None:
            self.resolver.network_down()

    # -- sending -----------------------------------------------------------------------------
    def send_packet(self, pkt: Packet) -> None:
        """Route a packet out of the interface. The network owns the packet from here on and
        nobody may change it any more (trace records and captures hold it; the core forwards a
        copy that the NAT rewrites)."""
        if self.ip is None:
            self._drop(pkt, "interface_down")
            return
        if pkt.dst == self.ip or pkt.dst.startswith("127."):
            # loopback: delivered without touching the link, on the next event-loop turn
            self.sim.call_later(0.0, self.receive, pkt)
            return
        if self._egress is None:
            self._drop(pkt, "no_route")
            return
        self._egress(pkt)

    def _drop(self, pkt: Packet, reason: str) -> None:
        self.packets_dropped += 1
        try:
            text = pkt.summary()
        except Exception:  # a hostile packet must not break the drop path
            text = "<unprintable packet>"
        self.sim.record(self.name, "drop", reason=reason, pkt=text)

    # -- receiving ---------------------------------------------------------------------------
    def receive(self, pkt: Packet) -> None:
        """A packet arriving from the link. Never raises."""
        if pkt.corrupted:
            self._drop(pkt, "checksum")  # the IP/transport checksum catches link corruption
            return
        if not isinstance(pkt.src, str) or not isinstance(pkt.dst, str):
            self._drop(pkt, "malformed")
            return
        if self.ip is None or pkt.dst != self.ip and not pkt.dst.startswith("127."):
            self._drop(pkt, "not_for_us")
            return
        payload = pkt.payload
        if type(payload) is not bytes and not isinstance(payload, (bytes, bytearray)):
            self._drop(pkt, "malformed")
            return
        self.packets_received += 1
        if self.relay is not None:
            self.relay(pkt)
            return
        proto = pkt.proto
        if proto == PROTO_TCP:
            sp, dp = pkt.sport, pkt.dport
            if type(sp) is int and type(dp) is int and 0 < sp <= 65535 and 0 < dp <= 65535:
                self.tcp.deliver(pkt)  # _valid_ports' common case, inlined on the per-packet path
                return
            if not _valid_ports(pkt):
                self._drop(pkt, "malformed")
                return
            self.tcp.deliver(pkt)
        elif proto == PROTO_UDP:
            self._receive_udp(pkt)
        elif proto == PROTO_ICMP:
            self._receive_icmp(pkt)
        else:
            self._send_icmp_error(pkt, icmp.DEST_UNREACHABLE, icmp.PROTOCOL_UNREACHABLE)
            self._drop(pkt, "unknown_protocol")

    def _receive_udp(self, pkt: Packet) -> None:
        if not _valid_ports(pkt):
            self._drop(pkt, "malformed")
            return
        sock = self._udp.get(pkt.dport)
        if sock is None or sock.closed:
            self._drop(pkt, "port_closed")
            self._send_icmp_error(pkt, icmp.DEST_UNREACHABLE, icmp.PORT_UNREACHABLE)
            return
        sock._deliver(pkt)

    def _receive_icmp(self, pkt: Packet) -> None:
        t = pkt.icmp_type
        if t == icmp.ECHO_REQUEST and self.ip is not None:
            reply = Packet(
                self.ip,
                pkt.src,
                PROTO_ICMP,
                ttl=self.initial_ttl,
                ident=self.next_ip_id(),
                icmp_type=icmp.ECHO_REPLY,
                icmp_id=pkt.icmp_id,
                icmp_seq=pkt.icmp_seq,
                payload=bytes(pkt.payload),
            )
            self.send_packet(reply)
        elif t == icmp.ECHO_REPLY:
            req = self._pings.pop((pkt.icmp_id, pkt.icmp_seq), None)
            if req is None:
                self._drop(pkt, "unexpected_echo_reply")
                return
            req.finish(
                PingResult(
                    req.dst,
                    req.seq,
                    req.size,
                    True,
                    rtt=self.sim.now - req.sent_at,
                    ttl=pkt.ttl,
                    from_ip=pkt.src,
                )
            )
        elif t in icmp.ERROR_TYPES:
            self._receive_icmp_error(pkt)
        else:
            self._drop(pkt, "icmp_ignored")

    def _receive_icmp_error(self, pkt: Packet) -> None:
        q = pkt.quoted
        if not isinstance(q, Packet) or q.src != self.ip:
            self._drop(pkt, "icmp_error_unmatched")
            return
        kind = icmp.error_kind(pkt.icmp_type, pkt.icmp_code)
        self.sim.record(self.name, "icmp_error", error=kind, from_ip=pkt.src, about=q.summary())
        if q.proto == PROTO_UDP:
            sock = self._udp.get(q.sport)
            if sock is not None and not sock.closed:
                sock._error(kind, (q.dst, q.dport))
        elif q.proto == PROTO_TCP:
            self.tcp.icmp_error(pkt)
        elif q.proto == PROTO_ICMP and q.icmp_type == icmp.ECHO_REQUEST:
            req = self._pings.pop((q.icmp_id, q.icmp_seq), None)
            if req is not None:
                req.finish(
                    PingResult(req.dst, req.seq, req.size, False, from_ip=pkt.src, error=kind)
                )

    def _send_icmp_error(self, offending: Packet, icmp_type: int, icmp_code: int) -> None:
        if self.ip is None or not isinstance(offending.src, str):
            return
        err = icmp.make_error(self.ip, offending, icmp_type, icmp_code, ttl=self.initial_ttl)
        if err is not None:
            self.send_packet(err)

    # -- UDP -------------------------------------------------------------------------------
    def udp_bind(
        self,
        port: int = 0,
        on_datagram: Callable[..., None] | None = None,
        on_error: Callable[..., None] | None = None,
    ) -> UdpSocket:
        """Bind a UDP port (0: an ephemeral port). A port already bound raises ConfigError."""
        port = check_port(port, "udp.port", allow_zero=True)
        if port == 0:
            port = self._allocate_ephemeral()
        elif port in self._udp:
            raise ConfigError("udp.port", f"port {port} is already bound on host {self.name}")
        sock = UdpSocket(self, port, on_datagram, on_error)
        self._udp[port] = sock
        return sock

    def _allocate_ephemeral(self) -> int:
        span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1
        if self._next_ephemeral is None:
            stream = self.sim.rng(f"udp.{self.name}.port")
            self._next_ephemeral = stream.randint(EPHEMERAL_LOW, EPHEMERAL_HIGH)
        for _ in range(span):
            port = self._next_ephemeral
            self._next_ephemeral = EPHEMERAL_LOW + (port - EPHEMERAL_LOW + 1) % span
            if port not in self._udp:
                return port
        raise ConfigError("udp.port", f"no free ephemeral port left on host {self.name}")

    def _udp_release(self, sock: UdpSocket) -> None:
        if self._udp.get(sock.port) is sock:
            del self._udp[sock.port]

    # -- TCP delegates -------------------------------------------------------------------------
    def use_tcp_profile(self, profile: Any, overrides: dict[str, Any] | None = None) -> Any:
        """Run the host's TCP as ``profile`` (``classic``, ``linux``, ``lwip``; see
        ``simnet.net.tcp_profiles``) or as a ``TcpConfig``: sockets and listeners opened
        afterwards without their own config use it. Returns the config."""
        from simnet.net.tcp_engine import TcpConfig
        from simnet.net.tcp_profiles import tcp_profile

        config = profile if isinstance(profile, TcpConfig) else tcp_profile(profile, overrides)
        self.tcp.default_config = config
        return config

    def tcp_connect(
        self, dst_ip: str, dst_port: int, config: Any = None, local_port: int | None = None
    ) -> Any:
        dst_ip = check_ip(dst_ip, "tcp.connect.ip")
        dst_port = check_port(dst_port, "tcp.connect.port")
        return self.tcp.connect(dst_ip, dst_port, config, local_port=local_port)

    def tcp_listen(
        self, port: int, on_accept: Callable[..., None], backlog: int = 5, config: Any = None
    ) -> Any:
        port = check_port(port, "tcp.listen.port")
        return self.tcp.listen(port, on_accept, backlog=backlog, config=config)

    def tcp_port_in_use(self, port: int) -> bool:
        """Whether a TCP connection or listener of this host holds local ``port``."""
        return self.tcp.port_in_use(port)

    # -- ICMP echo -----------------------------------------------------------------------------
    def ping(
        self,
        dst_ip: str,
        size: int = 32,
        ttl: int = DEFAULT_TTL,
        timeout: Real = DEFAULT_PING_TIMEOUT,
        on_reply: Callable[[PingResult], None] | None = None,
    ) -> PingRequest:
        """Send one ICMP echo request of ``size`` payload bytes; the result (reply with RTT and
        TTL, an ICMP error, ``timeout`` or ``no_network``) goes to ``on_reply`` and
        ``request.event``."""
        dst_ip = check_ip(dst_ip, "ping.ip")
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= 65507:
            raise ConfigError("ping.size", f"expected an integer between 0 and 65507, got {size!r}")
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= 255:
            raise ConfigError("ping.ttl", f"expected an integer between 1 and 255, got {ttl!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
            raise ConfigError(
                "ping.timeout", f"expected a positive number of seconds, got {timeout!r}"
            )
        self._ping_seq = (self._ping_seq + 1) & 0xFFFF
        req = PingRequest(self, dst_ip, self._ping_ident, self._ping_seq, size, ttl, on_reply)
        if self.ip is None:
            self.sim.call_later(
                0.0, req.finish, PingResult(dst_ip, req.seq, size, False, error="no_network")
            )
            return req
        key = (req.ident, req.seq)
        self._pings[key] = req
        req.timer = self.sim.call_later(float(timeout), self._ping_timeout, key)
        # payload pattern like BSD ping: bytes counting up from 0x08 (content is not significant)
        payload = bytes((i + 8) & 0xFF for i in range(size))
        self.send_packet(
            Packet(
                self.ip,
                dst_ip,
                PROTO_ICMP,
                ttl=ttl,
                ident=self.next_ip_id(),
                icmp_type=icmp.ECHO_REQUEST,
                icmp_id=req.ident,
                icmp_seq=req.seq,
                payload=payload,
            )
        )
        return req

    def _ping_timeout(self, key: tuple[int, int]) -> None:
        req = self._pings.pop(key, None)
        if req is not None:
            req.finish(PingResult(req.dst, req.seq, req.size, False, error="timeout"))


def _valid_ports(pkt: Packet) -> bool:
    sp, dp = pkt.sport, pkt.dport
    return (
        isinstance(sp, int)
        and isinstance(dp, int)
        and 0 < sp <= 65535
        and 0 < dp <= 65535
        and not isinstance(sp, bool)
        and not isinstance(dp, bool)
    )
