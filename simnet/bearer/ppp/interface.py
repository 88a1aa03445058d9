"""A host whose interface is a PPP link: IP datagrams go out as PPP frames and come in from
them, instead of through the operator network's radio links.

Used where the PPP link itself is the network: a module's IP stack serving PPP on a serial
port or answering a GSM data call (WIPsoft ``+WIPBR`` server mode), and the remote caller of
such a call (``ModemBearer.dial_in_caller``). While the interface is up the host is detached from
the
operator network (its address is the link's, not one of the network's), so nothing routes
to it but the peer; ``down()`` gives the host back to the network it had.
"""

from __future__ import annotations

from typing import Any

from simnet.bearer.ppp.glue import PppDriver
from simnet.net import wire
from simnet.net.packet import Packet


class PppInterface:
    """Binds ``host`` to ``driver`` once IPCP is up (``up(ip, dns)``) until ``down()``."""

    def __init__(self, host: Any, driver: PppDriver, *, name: str) -> None:
        self.host = host
        self.driver = driver
        self.name = name
        self.active = False
        self.sent = 0
        self.received = 0
        self._saved: tuple[Any, Any] | None = None

    def up(self, ip: str, dns: tuple[str, ...] | list[str] = ()) -> None:
        host = self.host
        if not self.active:
            self._saved = (host._egress, host.network)
            if host.ip is not None:
                host.interface_down("address_changed")
            host.network = None
            host._egress = self._to_link
            self.driver.on_datagram = self._from_link
            self.active = True
        host.interface_up(ip, list(dns))
        host.sim.record(self.name, "ppp_interface", event="up", ip=ip, host=host.name)

    def down(self, reason: str = "network_down") -> None:
        if not self.active:
            return
        self.active = False
        host = self.host
        host.interface_down(reason)
        if self.driver.on_datagram == self._from_link:
            self.driver.on_datagram = None
        if self._saved is not None:
            host._egress, host.network = self._saved
            self._saved = None
        host.sim.record(
            self.name,
            "ppp_interface",
            event="down",
            reason=reason,
            sent=self.sent,
            received=self.received,
        )

    def _to_link(self, pkt: Packet) -> None:
        if self.driver.send_datagram(wire.encode(pkt)):
            self.sent += 1
        else:
            self.host.sim.record(self.name, "drop", reason="link_not_open", pkt=pkt.summary())

    def _from_link(self, data: bytes) -> None:
        pkt = wire.decode(data)
        if isinstance(pkt, wire.Rejected):
            self.host.sim.record(self.name, "drop", reason=pkt.reason, pkt=f"{len(data)} bytes")
            return
        self.received += 1
        self.host.receive(pkt)


__all__ = ["PppInterface"]
