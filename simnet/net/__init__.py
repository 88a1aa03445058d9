"""Network layer: hosts, links, loss models, routing, carrier NAT, UDP/ICMP/DNS (TCP in tcp.py)."""

from simnet.net.dns import (
    DnsResolver,
    DnsResolverConfig,
    DnsResult,
    DnsServer,
    DnsServerEngine,
    DnsZone,
)
from simnet.net.host import Host
from simnet.net.icmp import PingRequest, PingResult
from simnet.net.link import DuplexLink, Link, LinkConfig
from simnet.net.loss import LossSpec, make_loss_model
from simnet.net.nat import Nat, NatConfig
from simnet.net.network import Network
from simnet.net.packet import Packet
from simnet.net.pcap import PcapRecorder, write_pcap
from simnet.net.tcp import TcpConfig, TcpListener, TcpSocket, TcpStack
from simnet.net.tcp_profiles import TCP_PROFILES, tcp_profile
from simnet.net.udp import UdpSocket

__all__ = [
    "DnsResolver",
    "DnsResolverConfig",
    "DnsResult",
    "DnsServer",
    "DnsServerEngine",
    "DnsZone",
    "DuplexLink",
    "Host",
    "Link",
    "LinkConfig",
    "LossSpec",
    "Nat",
    "NatConfig",
    "Network",
    "Packet",
    "PcapRecorder",
    "PingRequest",
    "PingResult",
    "TCP_PROFILES",
    "TcpConfig",
    "TcpListener",
    "TcpSocket",
    "TcpStack",
    "UdpSocket",
    "make_loss_model",
    "tcp_profile",
    "write_pcap",
]
