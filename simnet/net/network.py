"""The network: operator core router with its carrier-grade NAT, operator hosts (DNS), internet
hosts on wired links, and module hosts on radio links.

Routing is static and one hop deep: every host hangs off the core. The core decrements the
TTL (answering ICMP time-exceeded when it runs out), translates module traffic bound for the
internet through the NAT, and forwards by destination address:

- module / operator side (private space) -> another private host directly, or the internet
  through the NAT;
- internet side -> the NAT's public address (translated back to the module) or another internet
  host. Private addresses are not routable from the internet.

Packets for an address nobody has vanish silently (trace ``drop`` / ``no_route``), like a
server that does not answer; that is what makes "the peer drops every SYN" scenarios time out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Final

from simnet.errors import ConfigError
from simnet.kernel.units import Real
from simnet.net import icmp
from simnet.net.addr import check_ip, is_private
from simnet.net.dns import DnsServer, DnsZone
from simnet.net.host import DEFAULT_TTL, Host
from simnet.net.link import DuplexLink, Link, LinkConfig
from simnet.net.nat import Nat, NatConfig
from simnet.net.packet import PROTO_ICMP, Packet
from simnet.net.pcap import PcapRecorder

# A server on the internet is some tens of ms from the operator core; the operator's own
# hosts (DNS) sit next to it.
DEFAULT_INTERNET_LINK: Final = {"delay": 0.010}
DEFAULT_OPERATOR_LINK: Final = {"delay": 0.001}
DEFAULT_CORE_IP: Final = "10.64.0.1"
CORE_INSIDE: Final = "core-inside"  # capture point names (Network.capture_core)
CORE_OUTSIDE: Final = "core-outside"
DEFAULT_DNS_IP: Final = "10.64.0.53"


def _link_config(
    value: LinkConfig | Mapping[str, Any] | None, default: Mapping[str, Any], field: str
) -> LinkConfig:
    if isinstance(value, LinkConfig):
        return value
    if value is None:
        return LinkConfig.from_dict(default, field)
    return LinkConfig.from_dict(value, field)


class Network:
    """Build with ``Network(sim)``, then ``add_host`` / ``add_module_host``."""

    def __init__(
        self,
        sim: Any,
        *,
        nat: NatConfig | Mapping[str, Any] | None = None,
        core_ip: str = DEFAULT_CORE_IP,
        dns_ip: str | list[str] = DEFAULT_DNS_IP,
        capture: bool = True,
    ) -> None:
        self.sim = sim
        self.name = "core"
        if isinstance(nat, Mapping):
            nat = NatConfig.from_dict(dict(nat))
        self.nat = Nat(sim, nat)
        self.core_ip = check_ip(core_ip, "network.core_ip")
        ips = [dns_ip] if isinstance(dns_ip, str) else list(dns_ip)
        if not ips:
            raise ConfigError("network.dns_ip", "expected at least one DNS server address")
        self.dns_ips = [check_ip(ip, f"network.dns_ip[{i}]") for i, ip in enumerate(ips)]
        self.dns_ip = self.dns_ips[0]
        self.dns_records = DnsZone()
        self.dns_servers: list[DnsServer] = []
        self._hosts: dict[str, Host] = {}
        self._links: dict[str, DuplexLink] = {}
        self._by_ip: dict[str, Host] = {}
        self.pcap = PcapRecorder(enabled=capture)
        # Core capture points (off until asked for): private side and public side of the NAT.
        self._cap_inside: Any = None
        self._cap_outside: Any = None
        self.nat.emit = self._send_from_core  # RSTs the NAT sends when a mapping expires
        self._init_services()

    def _init_services(self) -> None:
        """Operator DNS server(s), all serving ``dns_records``."""
        for i, ip in enumerate(self.dns_ips):
            host = self.add_host(
                "operator-dns" if i == 0 else f"operator-dns{i + 1}", ip, register=False
            )
            self.dns_servers.append(DnsServer(host, self.dns_records))

    @property
    def dns_server(self) -> DnsServer:
        """The primary operator DNS server (``.fault = "nxdomain" | "servfail" | "silence"``)."""
        return self.dns_servers[0]

    # -- building ------------------------------------------------------------------------------
    @property
    def hosts(self) -> dict[str, Host]:
        return dict(self._hosts)

    def host(self, name: str) -> Host:
        try:
            return self._hosts[name]
        except KeyError:
            raise ConfigError(
                "host", f"no host named {name!r} (known: {', '.join(sorted(self._hosts))})"
            ) from None

    def link(self, name: str) -> DuplexLink | Link:
        """``link("m1")`` is both directions of host m1's attachment; ``link("m1.uplink")`` one."""
        if name in self._links:
            return self._links[name]
        base, _, direction = name.rpartition(".")
        if base in self._links and direction in ("uplink", "downlink"):
            return getattr(self._links[base], direction)
        raise ConfigError(
            "link", f"no link named {name!r} (known: {', '.join(sorted(self._links))})"
        )

    def _check_new_name(self, name: str) -> None:
        if (
            not isinstance(name, str)
            or not name
            or any(c.isspace() for c in name)
            or name.endswith((".uplink", ".downlink"))
        ):
            raise ConfigError("host.name", f"expected a name without spaces, got {name!r}")
        if name in self._hosts:
            raise ConfigError(f"host.{name}", "a host with this name already exists")

    def add_host(
        self,
        name: str,
        ip: str,
        *,
        link: LinkConfig | Mapping[str, Any] | None = None,
        ttl: int = DEFAULT_TTL,
        register: bool = True,
    ) -> Host:
        """An internet host (public address) or an operator host (private address), attached to
        the core by a wired link (``link`` applies to both directions)."""
        self._check_new_name(name)
        ip = check_ip(ip, f"host.{name}.ip")
        if ip in self._by_ip or ip in (self.core_ip, self.nat.public_ip):
            raise ConfigError(f"host.{name}.ip", f"address {ip} is already in use")
        kind = "operator" if is_private(ip) else "internet"
        default = DEFAULT_OPERATOR_LINK if kind == "operator" else DEFAULT_INTERNET_LINK
        cfg = _link_config(link, default, f"host.{name}.link")
        host = Host(self.sim, name, ip, network=self, kind=kind, initial_ttl=ttl)
        self._attach(host, cfg, cfg)
        self._by_ip[ip] = host
        if register:
            self.dns_records.add_record(name, ip)
        return host

    def add_module_host(
        self,
        name: str,
        uplink: LinkConfig | Mapping[str, Any] | None = None,
        downlink: LinkConfig | Mapping[str, Any] | None = None,
        *,
        ttl: int = DEFAULT_TTL,
    ) -> Host:
        """A module behind the radio link; no address until its interface comes up."""
        self._check_new_name(name)
        up = _link_config(uplink, {}, f"host.{name}.uplink")
        down = _link_config(downlink, {}, f"host.{name}.downlink")
        host = Host(self.sim, name, None, network=self, kind="module", initial_ttl=ttl)
        self._attach(host, up, down)
        return host

    def _attach(self, host: Host, up_cfg: LinkConfig, down_cfg: LinkConfig) -> None:
        name = host.name

        # positional: a partial with a keyword argument merges two dicts on every packet
        up = Link(self.sim, f"{name}.uplink", up_cfg, partial(self._route_from, host))
        down = Link(self.sim, f"{name}.downlink", down_cfg, host.receive)
        self._links[name] = DuplexLink(name, up, down)
        self._hosts[name] = host
        host._egress = up.send
        self._on_attach(host, up, down)

    def _on_attach(self, host: Host, up: Link, down: Link) -> None:
        if host.kind == "module":
            self.capture_host(host.name)

    # -- pcap ---------------------------------------------------------------------------------
    def capture_host(self, name: str) -> None:
        """Capture at ``name``'s interface: what it sends (before the link's losses) and what
        reaches it. Module hosts are captured by default."""
        duplex = self._links[self.host(name).name]
        hook = self.pcap.hook(name)
        duplex.uplink.capture_tx = hook
        duplex.downlink.capture_rx = hook

    def capture_core(self, side: str) -> None:
        """Capture at the operator core: ``inside`` (the private side of the NAT: what the
        modules' packets look like when they reach the core, and what leaves it towards them)
        or ``outside`` (the public side: the NAT's address and ports, as a server sees them)."""
        if side == "inside":
            self._cap_inside = self.pcap.hook(CORE_INSIDE)
        elif side == "outside":
            self._cap_outside = self.pcap.hook(CORE_OUTSIDE)
        else:
            raise ConfigError(
                "capture", f"unknown core capture side {side!r} (expected inside or outside)"
            )

    def capture_point_names(self) -> list[str]:
        """Names ``write_pcap`` accepts: captured hosts and the core sides asked for."""
        return sorted(self.pcap.points)

    def write_pcap(
        self, path: str, host: str | Sequence[str] | None = None, *, epoch: Real = 0.0
    ) -> int:
        """Write captured packets (of capture point ``host`` - a host name, ``core-inside`` or
        ``core-outside`` -, of a list of points merged, or of all points) to a pcap file (raw
        IPv4 link type, timestamps ``epoch`` + virtual time); returns the packet count."""
        for name in [host] if isinstance(host, str) else host or ():
            if name not in (CORE_INSIDE, CORE_OUTSIDE):
                self.host(name)
        return self.pcap.write(path, host, epoch=epoch)

    def module_capture_points(self) -> list[str]:
        """Capture points at module hosts (the module's interface, and a dial-in port)."""
        return [
            name
            for name in sorted(self.pcap.points)
            if name in self._hosts and self._hosts[name].kind == "module"
        ]

    def address_in_use(self, ip: str) -> bool:
        """True when a host (or the core, or the NAT) has ``ip``."""
        return ip in self._by_ip or ip in (self.core_ip, self.nat.public_ip)

    # -- interface events from hosts -------------------------------------------------------------
    def _interface_up(self, host: Host) -> None:
        ip = host.ip
        assert ip is not None
        other = self._by_ip.get(ip)
        if other is not None and other is not host:
            raise ConfigError(
                f"host.{host.name}.ip", f"address {ip} is already used by host {other.name}"
            )
        if ip in (self.core_ip, self.nat.public_ip):
            raise ConfigError(f"host.{host.name}.ip", f"address {ip} belongs to the core")
        self._by_ip[ip] = host

    def _interface_down(self, host: Host, old_ip: str) -> None:
        if self._by_ip.get(old_ip) is host:
            del self._by_ip[old_ip]
        if host.kind == "module":
            self.nat.release_private_ip(old_ip)

    # -- forwarding -------------------------------------------------------------------------------
    def _drop(self, pkt: Packet, reason: str) -> None:
        self.sim.record(self.name, "drop", reason=reason, pkt=pkt.summary())

    def _forward(self, target: Host, pkt: Packet) -> None:
        self._links[target.name].downlink.send(pkt)

    def _route(self, pkt: Packet, ingress: Host) -> None:
        """A packet arriving at the core from ``ingress``'s uplink. Never raises."""
        self._route_from(ingress, pkt)

    def _route_from(self, ingress: Host, pkt: Packet) -> None:
        private_side = ingress.kind != "internet"
        dst = pkt.dst
        src = pkt.src
        if (type(dst) is not str or type(src) is not str) and not (
            isinstance(dst, str) and isinstance(src, str)
        ):
            self._drop(pkt, "malformed")
            return
        cap = self._cap_inside if private_side else self._cap_outside
        if cap is not None:
            cap(self.sim.env._now, pkt)
        if private_side and dst == self.core_ip:
            self._core_local(pkt)  # addressed to the router itself: no forwarding, no TTL check
            return
        ttl = pkt.ttl
        if type(ttl) is not int and not isinstance(ttl, int) or ttl <= 1:
            self._drop(pkt, "ttl_exceeded")
            src = self.core_ip if private_side else self.nat.public_ip
            err = icmp.make_error(src, pkt, icmp.TIME_EXCEEDED, 0)
            if err is not None:
                self._send_from_core(err)
            return
        # A copy goes on: what the ingress link carried stays as it was (trace records and pcap
        # captures hold the packet itself), the NAT rewrites the copy.
        pkt = pkt.copy()
        pkt.ttl = ttl - 1
        nat = self.nat
        if private_side:
            target = self._by_ip.get(dst)
            if target is not None and target.kind != "internet":
                self._links[target.name].downlink.send(pkt)
                return
            if is_private(dst) or dst == nat.public_ip:
                self._drop(pkt, "no_route")
                return
            if nat.config.enabled and not nat.outbound(pkt):
                return
            if self._cap_outside is not None:
                self._cap_outside(self.sim.env._now, pkt)  # translated: as the internet sees it
            target = self._by_ip.get(pkt.dst)
        else:
            if dst == nat.public_ip and nat.config.enabled:
                if not nat.inbound(pkt):
                    return
                target = self._by_ip.get(pkt.dst)
                if self._cap_inside is not None and target is not None:
                    # translated back: as the module gets it
                    self._cap_inside(self.sim.env._now, pkt)
            else:
                target = self._by_ip.get(dst)
                if target is not None and target.kind != "internet" and nat.config.enabled:
                    target = None  # private space is not reachable from the internet
        if target is None:
            self._drop(pkt, "no_route")
            return
        self._links[target.name].downlink.send(pkt)  # _forward, inlined on the per-packet path

    def _core_local(self, pkt: Packet) -> None:
        # the core router answers pings to its own address and nothing else
        if pkt.proto == PROTO_ICMP and pkt.icmp_type == icmp.ECHO_REQUEST and not pkt.corrupted:
            reply = Packet(
                self.core_ip,
                pkt.src,
                PROTO_ICMP,
                ttl=DEFAULT_TTL,
                icmp_type=icmp.ECHO_REPLY,
                icmp_id=pkt.icmp_id,
                icmp_seq=pkt.icmp_seq,
                payload=pkt.payload,
            )
            self._send_from_core(reply)
        else:
            self._drop(pkt, "to_core")

    def _send_from_core(self, pkt: Packet) -> None:
        target = self._by_ip.get(pkt.dst)
        if target is None:
            self._drop(pkt, "no_route")
            return
        cap = self._cap_outside if target.kind == "internet" else self._cap_inside
        if cap is not None:
            cap(self.sim.now, pkt)
        self._forward(target, pkt)
