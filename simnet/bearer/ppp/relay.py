"""IP over an opened PPP link, relayed to and from a host's interface in the network.

The PPP peer (pppd on the UART, the DTE's PPP client) owns the address IPCP gave it; the
relay makes the network host that holds that address - the module's PDP context for
``ATD*99#``, the operator access server's port for a GSM data call - forward instead of
consuming: datagrams from the peer are decoded and sent out of the host's interface (through
its links, the carrier NAT, loss and outages, like any other traffic), and every packet
arriving for the address is encoded and sent to the peer as a PPP frame. The host's capture
point therefore shows the IP inside the PPP link.

As a GGSN does, datagrams whose source is not the link's address are dropped (anti-spoofing);
bytes that are not an acceptable IPv4 datagram are dropped with the reason traced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simnet.bearer.ppp.glue import PppDriver
from simnet.bearer.ppp.hdlc import framed_size
from simnet.net import wire
from simnet.net.packet import Packet


class IpRelay:
    """Forwarding between one PPP driver and one network host while both are up."""

    def __init__(self, sim: Any, driver: PppDriver, host: Any, address: str, *, name: str,
                 room: Callable[[], int] | None = None) -> None:
        self.sim = sim
        self.room = room  # bytes the line towards the peer can still take (None: unbounded)
        self.driver = driver
        self.host = host
        self.address = address
        self.name = name
        self.active = False
        self.to_network = 0
        self.to_peer = 0

    def start(self) -> IpRelay:
        self.active = True
        self.driver.on_datagram = self._from_peer
        self.host.relay = self._from_network
        self.sim.record(self.name, "relay", event="start", ip=self.address, host=self.host.name)
        return self

    def stop(self, reason: str = "") -> None:
        if not self.active:
            return
        self.active = False
        self.driver.on_datagram = None
        if getattr(self.host, "relay", None) == self._from_network:
            self.host.relay = None
        self.sim.record(self.name, "relay", event="stop", reason=reason, to_network=self.to_network,
                        to_peer=self.to_peer)

    def _drop(self, reason: str, what: str) -> None:
        self.sim.record(self.name, "drop", reason=reason, pkt=what)

    def _from_peer(self, data: bytes) -> None:
        pkt = wire.decode(data)
        if isinstance(pkt, wire.Rejected):
            self._drop(pkt.reason, f"{len(data)} bytes")
            return
        if pkt.src != self.address:
            self._drop("source_not_link_address", pkt.summary())
            return
        if self.host.ip != self.address:
            self._drop("interface_down", pkt.summary())
            return
        self.to_network += 1
        self.host.send_packet(pkt)

    def _from_network(self, pkt: Packet) -> None:
        data = wire.encode(pkt)
        # framed, the datagram grows by flags, header, FCS and escapes (RFC 1662 §4.2)
        if (
            self.room is not None
            and framed_size(data, self.driver.endpoint.tx_accm) + 4 > self.room()
        ):
            self._drop("buffer_full", pkt.summary())
            return
        if self.driver.send_datagram(data):
            self.to_peer += 1
        else:
            self._drop("link_not_open", pkt.summary())
