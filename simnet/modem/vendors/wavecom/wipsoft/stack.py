"""The WIP IP stack of one device: its configuration (§4.1), bearers (§4.2), sockets (§5) and
ping (§7), shared by every line of the device (UART1, UART2, CMUX channels; §3 "Multiple
UARTs"). Each line's dialect instance parses AT commands and calls in here; failures are
:class:`WipFailure` carrying the §9 code.

What the stack options do to the models (§4.1.3): TTL and TOS go into every packet the module
sends (IPv4 header), TCP_MIN_MSS is the MSS of its TCP connections, TCP_MAXINITWIN their initial
window (segments), SOCK_MAX bounds the TCP and UDP sockets that exist at once, BUF_MAX the
received UDP datagrams held unread, RSLV_QUERY_MAX the name lookups in flight and
RSLV_CACHE_MAX the resolver's cache. FRAG_TIMEO, DEBUG_PORT, IP_MULTI_MAX and IP_ROUTE_MAX are
stored and reported (no fragmentation, debug port, multicast or routing table is modelled).
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from simnet.errors import ConfigError
from simnet.modem.addresses import is_domain_name, is_ipv4
from simnet.modem.vendors.wavecom.wipsoft import tables as T
from simnet.modem.vendors.wavecom.wipsoft.bearers import (
    GprsBearer,
    GsmBearer,
    WipBearer,
    make_bearer,
)
from simnet.modem.vendors.wavecom.wipsoft.errors import WipFailure
from simnet.modem.vendors.wavecom.wipsoft.sockets import (
    SocketLink,
    TcpServerWipSocket,
    TcpWipSocket,
    UdpWipSocket,
    WipSocket,
)

if TYPE_CHECKING:
    from simnet.bearer.api import GprsApi
    from simnet.kernel.procedure import Procedure
    from simnet.modem.module import Module
    from simnet.modem.vendors.wavecom.wipsoft.dialect import WipsoftDialect
    from simnet.modem.vendors.wavecom.wipsoft.ftp import FtpSession
    from simnet.net.host import Host
    from simnet.net.tcp import TcpConfig


class WipStack:
    """See the module docstring. Owned by the device's first line's dialect (``dialect``)."""

    def __init__(self, dialect: WipsoftDialect) -> None:
        self.dialect = dialect
        self.module: Module = dialect.module
        self.sim = self.module.sim
        self.started = False
        self.config: dict[int, int] = {
            int(k): int(v) for k, v in T.STACK_OPTIONS.defaults().items()
        }
        self.bearers: dict[int, WipBearer] = {}
        self.sockets: dict[tuple[int, int], WipSocket] = {}
        self.datagrams_held = 0
        self.dns_cache: OrderedDict[str, list[str]] = OrderedDict()
        self.lookups = 0
        self.ping: Any = None
        self.ftp: FtpSession | None = None

    # -- services ----------------------------------------------------------------------------------
    @property
    def host(self) -> Host:
        host = self.module.host
        if host is None:
            raise WipFailure(T.Wip.NO_INTERFACE, "no IP host")
        return host

    def record(self, kind: str, **fields: Any) -> None:
        self.sim.record(f"{self.module.name}.wip", kind, **fields)

    def urc(self, port: Module, text: str) -> None:
        port.urc(text)

    def later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Any:
        return self.dialect.later(delay, fn, *args)

    def guarded(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return self.dialect.guarded(fn)

    def spawn(self, gen: Generator[Any, Any, Any]) -> Procedure:
        return self.dialect.spawn(gen)

    def packet_service(self) -> GprsApi | None:
        return self.dialect.packet_service()

    # -- §4.1 the stack ----------------------------------------------------------------------------
    def start(self, stored: dict[int, int] | None) -> None:
        if self.started:
            raise WipFailure(T.Wip.UNKNOWN, "already started")  # assumption: 850 (§4.1.5)
        self.config = {int(k): int(v) for k, v in T.STACK_OPTIONS.defaults().items()}
        if stored:
            self.config.update(stored)  # §4.1.4: the stored set is applied at start
        self.started = True
        self._apply_config()
        self.record("stack", event="start", config=dict(self.config))

    def stop(self) -> Generator[Any, Any, None]:
        """AT+WIPCFG=0: sockets, FTP, ping and bearers go, then the stack."""
        self.shutdown_sockets()
        for bearer in list(self.bearers.values()):
            if bearer.started:
                yield from bearer.stop()
        self.bearers.clear()
        self.started = False
        self.record("stack", event="stop")

    def power_off(self) -> None:
        """The module restarts: sockets, ping and FTP go at once; a bearer on a serial line
        gives the line back (its PPP peer sees the carrier go), the others go with the radio."""
        self.shutdown_sockets()
        for bearer in self.bearers.values():
            bearer.abort()
        self.bearers.clear()
        self.started = False

    def shutdown_sockets(self) -> None:
        if self.ping is not None:
            self.ping.active = False
            self.ping = None
        if self.ftp is not None:
            self.ftp.abort()
            self.ftp = None
        for sock in list(self.sockets.values()):
            self._unmap(sock)
            sock.shutdown_everything()
        self.sockets.clear()
        self.datagrams_held = 0

    def configure(self, num: int, value: int) -> None:
        self.config[num] = value
        self._apply_config()
        self.record("stack_option", option=num, value=value)

    def _apply_config(self) -> None:
        host = self.module.host
        if host is None:
            return
        host.initial_ttl = self.config[T.OPT_TTL]
        host.initial_tos = self.config[T.OPT_TOS]
        if len(self.dns_cache) > self.config[T.OPT_RSLV_CACHE_MAX]:
            while len(self.dns_cache) > self.config[T.OPT_RSLV_CACHE_MAX]:
                self.dns_cache.popitem(last=False)

    def tcp_config(self) -> TcpConfig:
        """The TCP model's parameters under the stack options (MSS, initial window)."""
        from simnet.net.tcp import TcpConfig

        base = self.host.tcp.default_config if self.host.tcp is not None else TcpConfig()
        initwin = self.config[T.OPT_MAXINITWIN]
        return dataclasses.replace(
            base,
            mss=self.config[T.OPT_MIN_MSS],
            initial_window=min(64, initwin) if initwin else base.initial_window,
        )

    def require_started(self) -> None:
        if not self.started:
            raise WipFailure(T.Wip.BAD_STACK_STATE, "stack not started")

    # -- §4.2 bearers ------------------------------------------------------------------------------
    def port_of(self, bid: int) -> Module | None:
        """The AT engine of the line a UART / CMUX bearer uses (None: no such line now)."""
        primary = self.module.primary
        if bid in T.UART_BIDS:
            name = T.UART_BIDS[bid]
            if name != "uart1" and primary.profile.uarts < 2:
                return None
            engine = primary.ports.get(name) or primary.open_uart(name)
            if engine.mux is not None and engine.mux.module is engine:
                return None  # the UART carries a multiplexer: its channels are bids 11..24
            return engine
        uart, dlci = T.CMUX_BIDS[bid]
        base = primary.ports.get(uart)
        mux = base.mux if base is not None else None
        if mux is None or not mux.active or mux.module is not base:
            return None
        channel: Module | None = mux.engines.get(dlci)
        return channel

    def bearer(self, bid: int) -> WipBearer:
        if bid not in T.KNOWN_BIDS:
            raise WipFailure(T.Wip.INVALID_VALUE, f"bearer {bid}")
        bearer = self.bearers.get(bid)
        if bearer is None:
            raise WipFailure(T.Wip.BAD_STACK_STATE, f"bearer {bid} not open")
        return bearer

    def open_bearer(self, bid: int, stored: dict[int, Any] | None) -> None:
        self.require_started()
        if bid not in T.KNOWN_BIDS:
            raise WipFailure(T.Wip.INVALID_VALUE, f"bearer {bid}")
        if bid in T.NA_BIDS:
            raise WipFailure(T.Wip.NO_INTERFACE, "N/A on this platform")
        if bid in self.bearers:
            raise WipFailure(T.Wip.ALREADY_OPEN)
        kind = T.bearer_kind(bid)
        if kind == "uart" and self.port_of(bid) is None:
            raise WipFailure(T.Wip.NO_INTERFACE, "no such line")
        bearer_api = self.module.bearer
        if kind == "gprs" and self.packet_service() is None:
            raise WipFailure(T.Wip.NO_INTERFACE, "no packet service")
        if kind == "gsm" and (bearer_api is None or bearer_api.csd is None):
            raise WipFailure(T.Wip.NO_INTERFACE, "no circuit-switched data")
        options = {int(k): v for k, v in T.BEARER_OPTIONS.defaults().items()}
        if stored:
            options.update(stored)  # §4.2.4: opening uses the stored set when there is one
        self.bearers[bid] = make_bearer(self, bid, options)
        self.record("bearer_open", bid=bid, stored=bool(stored))

    def close_bearer(self, bid: int) -> Generator[Any, Any, None]:
        bearer = self.bearer(bid)
        if bearer.started:
            yield from self.stop_bearer(bid)
        self.bearers.pop(bid, None)
        self.record("bearer_close", bid=bid)

    def start_bearer(
        self, bid: int, owner: Module, mode: int, login: str, password: str, caller: str | None
    ) -> Generator[Any, Any, None]:
        bearer = self.bearer(bid)
        if bearer.started:
            raise WipFailure(T.Wip.BAD_STACK_STATE, "already started")
        if any(b.started for b in self.bearers.values()):
            raise WipFailure(T.Wip.BAD_STACK_STATE, "another bearer is started")  # §4.2.7.1
        yield from bearer.start(owner, mode, login, password, caller)

    def stop_bearer(self, bid: int) -> Generator[Any, Any, None]:
        bearer = self.bearer(bid)
        if not bearer.started:
            raise WipFailure(T.Wip.BAD_STACK_STATE, "not started")
        yield from bearer.stop()
        self.record("bearer_stop", bid=bid)

    def active_bearer(self) -> WipBearer | None:
        for bearer in self.bearers.values():
            if bearer.started and bearer.up:
                return bearer
        return None

    def interface_ready(self, bearer: WipBearer) -> None:
        """A bearer brought the interface up: WIP_BOPT_IP_SETDNS decides the resolver."""
        host = self.host
        if bearer.options[T.OPT_SETDNS]:
            servers = [d for d in bearer.addresses[2:] if d != "0.0.0.0"]
            host.resolver.set_servers(servers or None)
        else:
            host.resolver.set_servers([])
        self.dns_cache.clear()

    def interface_gone(self, bearer: WipBearer, reason: str) -> None:
        self.dns_cache.clear()
        if self.module.host is not None:
            self.module.host.resolver.set_servers(None)
        if reason == "local":
            # the host stopped the bearer: its sockets are over (+WIPPEERCLOSE for the rest)
            self.record("interface_down", bid=bearer.bid, reason=reason)

    def route_ok(self, ip: str) -> bool:
        """WIP_BOPT_IP_SETGW 0: only the link's peer is reachable (no default route)."""
        bearer = self.active_bearer()
        if bearer is None:
            return False
        return bool(bearer.options[T.OPT_SETGW]) or ip == bearer.remote

    def context_lost(self, cid: int, outcome: Any) -> None:
        for bearer in self.bearers.values():
            if isinstance(bearer, GprsBearer):
                bearer.context_lost(cid, outcome)

    def link_lost(self, outcome: Any) -> None:
        for bearer in self.bearers.values():
            if isinstance(bearer, GsmBearer) and bearer.mode == 0:
                bearer.lost(outcome)

    def call_event(self, event: str, call: Any) -> None:
        for bearer in self.bearers.values():
            if isinstance(bearer, GsmBearer):
                bearer.call_event(event, call)

    # -- names -------------------------------------------------------------------------------------
    def resolve(self, name: str) -> Generator[Any, Any, str]:
        """An address for ``name`` (a dotted quad is itself); 842 when it has none (§5.1.5)."""
        if is_ipv4(name):
            return name
        if not is_domain_name(name):
            raise WipFailure(T.Wip.INVALID_VALUE, f"bad host name {name!r}")
        key = name.lower()
        cached = self.dns_cache.get(key)
        if cached:
            self.dns_cache.move_to_end(key)
            return cached[0]
        if self.lookups >= self.config[T.OPT_RSLV_QUERY_MAX]:
            raise WipFailure(T.Wip.ALLOCATION, "too many name lookups in flight")
        self.lookups += 1
        try:
            result = yield self.host.resolver.resolve(name).event
        finally:
            self.lookups -= 1
        if not result.ok or not result.addresses:
            self.record("dns_failed", name=name, error=result.error or "no address")
            raise WipFailure(T.Wip.UNREACHABLE, f"{name}: {result.error}")
        self.dns_cache[key] = list(result.addresses)
        while len(self.dns_cache) > self.config[T.OPT_RSLV_CACHE_MAX]:
            self.dns_cache.popitem(last=False)
        return str(result.addresses[0])

    # -- §5 sockets --------------------------------------------------------------------------------
    def socket(self, proto: int, idx: int) -> WipSocket:
        if proto not in T.PROTOCOLS:
            raise WipFailure(T.Wip.BAD_PROTOCOL)
        sock = self.sockets.get((proto, idx))
        if sock is None:
            raise WipFailure(T.Wip.BAD_INDEX, f"no socket {proto},{idx}")
        return sock

    def _check_new(self, proto: int, idx: int) -> None:
        self.require_started()
        lo, hi = T.INDEX_RANGE[proto]
        if not lo <= idx <= hi or (proto, idx) in self.sockets:
            raise WipFailure(T.Wip.BAD_INDEX, f"index {idx}")
        if proto == T.PROTO_TCP and self._reserved_by(idx) is not None:
            raise WipFailure(T.Wip.BAD_INDEX, f"index {idx} is reserved for a server")  # §5.1.3
        if self.active_bearer() is None or self.module.host is None or self.module.host.ip is None:
            raise WipFailure(T.Wip.BAD_STACK_STATE, "no bearer started")
        self._check_counts(proto)

    def _check_counts(self, proto: int) -> None:
        same = sum(1 for (p, _i) in self.sockets if p == proto)
        if same >= T.SOCKET_LIMITS[proto]:
            raise WipFailure(T.Wip.NO_FREE_SOCKET, f"{same} sockets of protocol {proto}")  # §3.1.2
        if proto != T.PROTO_FTP:
            total = sum(1 for (p, _i) in self.sockets if p != T.PROTO_FTP)
            if total >= self.config[T.OPT_SOCK_MAX]:
                raise WipFailure(
                    T.Wip.NO_FREE_SOCKET, f"WIP_NET_OPT_SOCK_MAX {self.config[T.OPT_SOCK_MAX]}"
                )

    def _reserved_by(self, idx: int) -> TcpServerWipSocket | None:
        for sock in self.sockets.values():
            if isinstance(sock, TcpServerWipSocket) and idx in sock.reserved:
                return sock
        return None

    def create_udp(
        self,
        owner: Module,
        idx: int,
        local_port: int | None,
        peer: str | None,
        peer_port: int | None,
    ) -> Generator[Any, Any, None]:
        self._check_new(T.PROTO_UDP, idx)
        host = self.host
        if local_port is not None and local_port in host._udp:
            raise WipFailure(T.Wip.BAD_PORT_STATE, f"UDP port {local_port} in use")
        address: tuple[str, int] | None = None
        if peer is not None and peer_port is not None:
            ip = yield from self.resolve(peer)
            address = (ip, peer_port)
            self._check_new(T.PROTO_UDP, idx)  # the world may have changed during the lookup
        try:
            sock = host.udp_bind(local_port or 0)
        except ConfigError as exc:
            raise WipFailure(T.Wip.BAD_PORT_STATE, str(exc)) from None
        wip = UdpWipSocket(self, idx, owner, sock, address, peer or "")
        self.sockets[wip.key] = wip
        self.record(
            "udp_create",
            idx=idx,
            port=sock.port,
            peer=f"{address[0]}:{address[1]}" if address else "",
        )
        # §5.1.2: +WIPREADY once the socket can be used (now: written after the OK)
        wip.urc(f"+WIPREADY: {T.PROTO_UDP},{idx}")

    def create_tcp(
        self, owner: Module, idx: int, peer: str, peer_port: int
    ) -> Generator[Any, Any, None]:
        self._check_new(T.PROTO_TCP, idx)
        ip = yield from self.resolve(peer)
        self._check_new(T.PROTO_TCP, idx)
        if not self.route_ok(ip):
            raise WipFailure(T.Wip.UNREACHABLE, "no route (WIP_BOPT_IP_SETGW 0)")
        sock = self.host.tcp_connect(ip, peer_port, self.tcp_config())
        wip = TcpWipSocket(self, idx, owner, sock, peer)
        self.sockets[wip.key] = wip
        self.record("tcp_create", idx=idx, peer=f"{ip}:{peer_port}")

    def create_server(self, owner: Module, idx: int, port: int, first: int, last: int) -> None:
        self._check_new(T.PROTO_SERVER, idx)
        lo, hi = T.INDEX_RANGE[T.PROTO_TCP]
        if not (lo <= first <= last <= hi):
            raise WipFailure(T.Wip.BAD_INDEX, f"spawn range {first}..{last}")
        for i in range(first, last + 1):
            if (T.PROTO_TCP, i) in self.sockets or self._reserved_by(i) is not None:
                raise WipFailure(T.Wip.BAD_INDEX, f"index {i} already used")
        host = self.host
        if host.tcp_port_in_use(port):
            raise WipFailure(T.Wip.BAD_PORT_STATE, f"TCP port {port} in use")
        try:
            # the server socket below takes the accepted connections (it sets on_accept)
            listener = host.tcp_listen(
                port,
                lambda sock: sock.abort(),
                backlog=max(1, last - first + 1),
                config=self.tcp_config(),
            )
        except ConfigError as exc:
            raise WipFailure(T.Wip.BAD_PORT_STATE, str(exc)) from None
        wip = TcpServerWipSocket(self, idx, owner, listener, first, last)
        self.sockets[wip.key] = wip
        self.record("server_create", idx=idx, port=port, first=first, last=last)

    def spawn_client(self, server: TcpServerWipSocket, sock: Any) -> None:
        """§5.1.1 spawning: an accepted connection becomes TCP client <n> of the server's range."""
        free = [i for i in server.reserved if (T.PROTO_TCP, i) not in self.sockets]
        try:
            if not free:
                raise WipFailure(
                    T.Wip.NO_FREE_SOCKET, f"indexes {server.first}..{server.last} all used"
                )
            self._check_counts(T.PROTO_TCP)
        except WipFailure as failure:
            self.record(
                "accept_refused",
                server=server.idx,
                peer=f"{sock.remote[0]}:{sock.remote[1]}",
                reason=failure.detail,
            )
            sock.abort()
            return
        idx = free[0]
        wip = TcpWipSocket(self, idx, server.owner, sock, sock.remote[0], server=server)
        for num, value in wip.options.items():
            wip.write_option(num, value)
        self.sockets[wip.key] = wip
        self.record("accept", server=server.idx, idx=idx, peer=f"{sock.remote[0]}:{sock.remote[1]}")
        server.urc(f"+WIPACCEPT: {server.idx},{idx}")
        if sock.readable:
            wip.announce()

    def close_socket(self, proto: int, idx: int) -> None:
        self.require_started()
        sock = self.socket(proto, idx)
        self._unmap(sock)
        del self.sockets[sock.key]
        if proto == T.PROTO_FTP:
            if self.ftp is not None and self.ftp.wip is sock:
                self.ftp.quit()
            return
        sock.close()
        self.record("close", proto=proto, idx=idx)

    def _unmap(self, sock: WipSocket) -> None:
        link = sock.link
        if isinstance(link, SocketLink):
            link.unmap_from_elsewhere()

    def report_closed(self, sock: WipSocket) -> None:
        """§5.2.6: ``+WIPPEERCLOSE`` once a socket the host closed is closed."""
        if not sock.close_reported:
            sock.close_reported = True
            sock.urc(f"+WIPPEERCLOSE: {sock.proto},{sock.idx}")

    def hold_datagram(self) -> bool:
        """A received datagram takes one of the WIP_NET_OPT_BUF_MAX network buffers."""
        if self.datagrams_held >= self.config[T.OPT_BUF_MAX]:
            return False
        self.datagrams_held += 1
        return True

    def release_datagram(self) -> None:
        self.datagrams_held = max(0, self.datagrams_held - 1)

    # -- §6.2 mapping ------------------------------------------------------------------------------
    def map(self, port: Module, proto: int, idx: int) -> SocketLink:
        self.require_started()
        if proto not in (T.PROTO_UDP, T.PROTO_TCP):
            raise WipFailure(T.Wip.BAD_PROTOCOL)
        sock = self.socket(proto, idx)
        if sock.link is not None or not sock.mappable:
            raise WipFailure(T.Wip.DATA_BAD_STATE, "mapped elsewhere or not ready")  # §3, §6.2.5
        return SocketLink(sock, port)

    def unmap(self, port: Module, proto: int, idx: int) -> None:
        self.require_started()
        if proto not in (T.PROTO_UDP, T.PROTO_TCP):
            raise WipFailure(T.Wip.BAD_PROTOCOL)
        sock = self.socket(proto, idx)
        link = sock.link
        if not isinstance(link, SocketLink) or link.port is port:
            raise WipFailure(T.Wip.DATA_BAD_STATE, "not mapped on another UART")
        link.unmap_from_elsewhere()
