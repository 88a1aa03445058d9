"""UDP sockets (RFC 768) on a Host: bind, sendto, receive callbacks, ICMP error reports."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from simnet.net.addr import check_ip, check_port
from simnet.net.packet import PROTO_UDP, Packet

MAX_UDP_PAYLOAD = 65507  # 65535 - 20 (IP) - 8 (UDP)
RECV_QUEUE_DATAGRAMS = 64  # datagrams kept for recvfrom() when no on_datagram callback is set


class UdpSocket:
    """A bound UDP port. Callbacks (plain attributes, optional):

    - ``on_datagram(sock, data, (ip, port))`` for each datagram received; without it datagrams
      queue (bounded) for ``recvfrom()``;
    - ``on_error(sock, kind, (ip, port) | None)`` for ICMP errors about our datagrams
      (``port_unreachable``, ``ttl_exceeded``, ...) and ``network_down`` (the socket closes).
    """

    def __init__(self, host: Any, port: int, on_datagram: Callable[..., None] | None = None,
                 on_error: Callable[..., None] | None = None) -> None:
        self.host = host
        self.port = port
        self.on_datagram = on_datagram
        self.on_error = on_error
        self.closed = False
        self.close_reason: str | None = None
        self.last_error: str | None = None
        self.rx_queue: deque[tuple[bytes, tuple[str, int]]] = deque()
        self.datagrams_sent = 0
        self.datagrams_received = 0
        self.bytes_sent = 0
        self.bytes_received = 0

    @property
    def local(self) -> tuple[str | None, int]:
        return (self.host.ip, self.port)

    def sendto(
        self, data: bytes, addr: tuple[str, int], *, ttl: int | None = None, tos: int | None = None
    ) -> int:
        """Send one datagram; returns the bytes handed to the network (0 if it could not be:
        socket closed, interface down, or datagram too big). Bad addresses raise ConfigError."""
        ip = check_ip(addr[0], "udp.sendto.ip")
        port = check_port(addr[1], "udp.sendto.port")
        data = bytes(data)
        host = self.host
        if self.closed:
            return 0
        if len(data) > MAX_UDP_PAYLOAD:
            host.sim.record(host.name, "drop", reason="udp_too_big", size=len(data))
            return 0
        if host.ip is None:
            host.sim.record(
                host.name, "drop", reason="interface_down", pkt=f"UDP :{self.port} > {ip}:{port}"
            )
            return 0
        pkt = Packet(
            host.ip,
            ip,
            PROTO_UDP,
            ttl=host.initial_ttl if ttl is None else ttl,
            ident=host.next_ip_id(),
            sport=self.port,
            dport=port,
            payload=data,
            tos=host.initial_tos if tos is None else tos,
        )
        self.datagrams_sent += 1
        self.bytes_sent += len(data)
        host.send_packet(pkt)
        return len(data)

    def recvfrom(self) -> tuple[bytes, tuple[str, int]] | None:
        return self.rx_queue.popleft() if self.rx_queue else None

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.close_reason = self.close_reason or "local"
        self.host._udp_release(self)

    # -- called by the host ------------------------------------------------------------------
    def _deliver(self, pkt: Packet) -> None:
        data = pkt.payload
        self.datagrams_received += 1
        self.bytes_received += len(data)
        addr = (pkt.src, pkt.sport)
        if self.on_datagram is not None:
            self.on_datagram(self, data, addr)
        else:
            if len(self.rx_queue) >= RECV_QUEUE_DATAGRAMS:
                self.rx_queue.popleft()  # a full socket buffer drops (oldest first here)
            self.rx_queue.append((data, addr))

    def _error(self, kind: str, addr: tuple[str, int] | None) -> None:
        self.last_error = kind
        if self.on_error is not None:
            self.on_error(self, kind, addr)

    def _network_down(self, reason: str) -> None:
        if self.closed:
            return
        self.close_reason = reason
        self.closed = True
        self.host._udp_release(self)
        self._error(reason, None)
