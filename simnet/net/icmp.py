"""ICMP (RFC 792): message types, error construction and the ping (echo) client state.

ICMP errors quote the offending datagram's IP header and first 8 bytes of its payload; here
the quote is a copy of the offending ``Packet`` with its payload cut (the transport header
fields - ports, TCP sequence number - stay on the flat object), which is what a receiving
socket needs to find itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simnet.net.packet import ICMP_HEADER, IPV4_HEADER, PROTO_ICMP, Packet

ECHO_REPLY = 0
DEST_UNREACHABLE = 3
ECHO_REQUEST = 8
TIME_EXCEEDED = 11

# Destination-unreachable codes (RFC 792)
NET_UNREACHABLE = 0
HOST_UNREACHABLE = 1
PROTOCOL_UNREACHABLE = 2
PORT_UNREACHABLE = 3
FRAGMENTATION_NEEDED = 4

ERROR_TYPES = (DEST_UNREACHABLE, TIME_EXCEEDED)

# error kind reported to sockets for (type, code)
_ERROR_KINDS = {
    (DEST_UNREACHABLE, NET_UNREACHABLE): "net_unreachable",
    (DEST_UNREACHABLE, HOST_UNREACHABLE): "host_unreachable",
    (DEST_UNREACHABLE, PROTOCOL_UNREACHABLE): "protocol_unreachable",
    (DEST_UNREACHABLE, PORT_UNREACHABLE): "port_unreachable",
    (DEST_UNREACHABLE, FRAGMENTATION_NEEDED): "fragmentation_needed",
    (TIME_EXCEEDED, 0): "ttl_exceeded",
    (TIME_EXCEEDED, 1): "reassembly_timeout",
}


def error_kind(icmp_type: int, icmp_code: int) -> str:
    return _ERROR_KINDS.get((icmp_type, icmp_code), f"icmp_{icmp_type}_{icmp_code}")


def is_error(pkt: Packet) -> bool:
    return pkt.proto == PROTO_ICMP and pkt.icmp_type in ERROR_TYPES


def make_error(
    src: str, offending: Packet, icmp_type: int, icmp_code: int, ttl: int = 64
) -> Packet | None:
    """An ICMP error about ``offending`` sent from ``src``, or None where RFC 1122 §3.2.2
    forbids one (never about an ICMP error, so two stacks cannot loop)."""
    if offending.proto == PROTO_ICMP and offending.icmp_type not in (ECHO_REQUEST, ECHO_REPLY):
        return None
    quoted = offending.copy()
    quoted.payload = b""
    quoted.quoted = None
    err = Packet(
        src,
        offending.src,
        PROTO_ICMP,
        ttl=ttl,
        icmp_type=icmp_type,
        icmp_code=icmp_code,
        quoted=quoted,
    )
    # IP header + ICMP header + quoted IP header + 8 bytes of the quoted transport header
    err.size = IPV4_HEADER + ICMP_HEADER + IPV4_HEADER + 8
    return err


@dataclass
class PingResult:
    """Outcome of one echo request. ``ok`` with ``rtt`` (s) and the reply's ``ttl``, or
    ``error`` one of ``timeout``, ``ttl_exceeded``, ``host_unreachable``, ``net_unreachable``,
    ``port_unreachable``..., ``no_network``; ``from_ip`` is who answered (router for errors)."""

    dst: str
    seq: int
    size: int
    ok: bool
    rtt: float | None = None
    ttl: int | None = None
    from_ip: str | None = None
    error: str | None = None


class PingRequest:
    """One outstanding echo request; ``event`` (SimPy) succeeds with the ``PingResult``."""

    def __init__(
        self, host: Any, dst: str, ident: int, seq: int, size: int, ttl: int, on_reply: Any
    ) -> None:
        self.host = host
        self.dst = dst
        self.ident = ident
        self.seq = seq
        self.size = size
        self.ttl = ttl
        self.on_reply = on_reply
        self.sent_at = host.sim.now
        self.result: PingResult | None = None
        self.event = host.sim.event()
        self.timer: Any = None

    @property
    def done(self) -> bool:
        return self.result is not None

    def finish(self, result: PingResult) -> None:
        if self.result is not None:
            return
        self.result = result
        if self.timer is not None:
            self.timer.cancel()
        self.host.sim.record(
            self.host.name,
            "ping",
            dst=self.dst,
            seq=self.seq,
            ok=result.ok,
            rtt=result.rtt,
            error=result.error,
            from_ip=result.from_ip,
        )
        if not self.event.triggered:
            self.event.succeed(result)
        if self.on_reply is not None:
            self.on_reply(result)
