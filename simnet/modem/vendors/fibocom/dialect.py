"""Fibocom L610 dialect: the +MIP family of FIBOCOM_L610_AT_Commands_User_Manual_TCP&UDP V1.0.0.

The module's IP stack is the simulated host's (``simnet.net``): +MIPCALL activates a PDP context
through the bearer model, +MIPOPEN opens real TCP/UDP sockets whose retransmission and keepalive
settings come from +MIPCONF / +MIPKEEPCONF, and every result (a refused connection, a retry
budget spent, a dead peer found by keepalive, a dropped bearer) reaches the terminal as the
code the manual defines for it. Vendor data (codes, ranges, parameter rows, formats) is in
:mod:`.tables`; the send-path rules are the sans-IO engines of :mod:`.buffer`.

Every +MIP command is "Pin Restricted" (:func:`~simnet.modem.dialect.sim_ready`), answers a bad
parameter with ``+CME ERROR: 2000`` and a form it does not have with ``+CME ERROR: 4`` (§2.3,
docs/assumptions.md); the set forms of the commands that need the module's own stack answer
2001 while a dial-up session holds the context (:func:`not_in_dialup`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from simnet.bearer.api import PdpContextView
from simnet.bearer.outcomes import Outcome, OutcomeKind
from simnet.errors import ConfigError
from simnet.kernel.units import ascii_digits
from simnet.modem.addresses import is_dotted_quad, is_ipv6, is_sendable_name, normalise_ipv4
from simnet.modem.at import OK, ArgumentError, Command, Final, Form, cme_error
from simnet.modem.buffers import ReceiveBuffer
from simnet.modem.dialect import (
    CME_27007,
    CTRL_Z,
    Context,
    DataLink,
    Dialect,
    PromptSpec,
    command,
    setting_command,
    sim_ready,
)
from simnet.modem.links import DialupLink
from simnet.modem.ntp_client import sync_clock
from simnet.modem.params import Value
from simnet.modem.vendors.fibocom import tables as T
from simnet.modem.vendors.fibocom.buffer import AccumulatingBuffer, OdmSpooler
from simnet.modem.vendors.fibocom.hexdata import decode_hex, encode_hex

if TYPE_CHECKING:
    import simpy

    from simnet.kernel.sim import Timer
    from simnet.modem.module import DataSession
    from simnet.net.tcp import TcpConfig, TcpListener, TcpSocket
    from simnet.net.udp import UdpSocket


def err(code: int) -> Final:
    return cme_error(code)


def not_in_dialup(dialect: Dialect, ctx: Context, cmd: Command) -> Final | None:
    """Requirement: a set form that needs the module's own TCP/IP stack answers 2001 "TCPIP not
    supported in ppp mode" (§2.3) while a dial-up session (ATD*99#) holds the PDP context, in
    data mode or suspended by +++."""
    session = dialect.module.session
    if cmd.form is Form.SET and session is not None and session.active and isinstance(
            session.link, DialupLink):
        return err(T.Err.PPP_MODE)
    return None


MIP = (sim_ready,)  # every +MIP command: "Pin Restricted: Yes"
MIP_STACK = (sim_ready, not_in_dialup)  # ... and needs the module's own stack


class SocketState(StrEnum):
    OPENING = "opening"
    LISTENING = "listening"
    OPEN = "open"
    CLOSED = "closed"


# Bytes a +MIPRTCP/+MIPRUDP URC adds to its data: CR LF, the header with the remote address,
# socket id and <Left>, the comma, CR LF (an upper bound).
RX_URC_HEADER = 64
RX_ROOM_WAIT_MIN = 0.001  # s: the shortest wait for UART room (a host holding RTS low)


@dataclass
class FSocket:
    """One +MIP socket (1..6)."""

    sid: int
    proto: int
    remote: tuple[str, int] | None
    local_port: int
    buf: AccumulatingBuffer
    state: SocketState = SocketState.OPENING
    tcp: TcpSocket | None = None
    udp: UdpSocket | None = None
    listener: TcpListener | None = None
    odm: bool = False
    pseudo_enabled: bool = True
    dsets_size: int = T.DSETS_SIZE_DEFAULT
    dsets_span: float = T.DSETS_SPAN_DEFAULT_MS / 1000.0
    push_timer: Timer | None = None
    handed: int = 0  # bytes handed to the TCP send buffer
    ack_reported: int = 0
    rx_udp: deque[tuple[bytes, tuple[str, int]]] = field(default_factory=deque)
    rx_busy: bool = False  # the receive pump is pacing chunks (+MIPDSETS <time span>)
    # Data held for +MIPREAD (IPRFMT 5) and pseudo-command mode: UDP datagrams, bounded.
    rx_hold: ReceiveBuffer = field(default_factory=lambda: ReceiveBuffer(T.UDP_HOLD_MAX))
    announced: int = 0  # TCP bytes announced by +MIPDATA and still in the socket
    peer_fin: bool = False
    closing_waiter: simpy.Event | None = None
    spool: OdmSpooler | None = None
    spool_timer: Timer | None = None

    @property
    def is_tcp(self) -> bool:
        return self.proto in T.TCP_PROTOCOLS

    @property
    def active(self) -> bool:
        return self.state in (SocketState.OPEN, SocketState.LISTENING)

    @property
    def configurable(self) -> bool:
        return self.state in (SocketState.OPEN, SocketState.LISTENING, SocketState.OPENING)


FIBOCOM_CME = CME_27007.extend(
    [(code, text, "Fibocom L610 TCP/UDP §2.1") for code, text in T.CME_ERRORS.items()]
    + [(code, text, "Fibocom L610 TCP/UDP §2.3") for code, text in T.TCPIP_ERRORS.items()]
)


class OdmLink(DataLink):
    """The UART side of +MIPODM online data mode (§1.1.18)."""

    def __init__(self, dialect: L610Dialect) -> None:
        self.dialect = dialect

    def on_start(self, session: DataSession) -> None:
        super().on_start(session)
        self.dialect._odm_downlink()  # data that arrived before the entry

    def on_dte_data(self, data: bytes) -> int:
        return self.dialect._odm_uplink(data)

    def on_escape(self) -> str | None:
        return self.dialect._odm_escape()

    def on_resume(self) -> str | None:
        return self.dialect._odm_resume()

    def on_hangup(self, reason: str) -> None:
        self.dialect._odm_hangup(reason)

    def on_dte_ready(self) -> None:
        self.dialect._odm_downlink()


class L610Dialect(Dialect):
    """The +MIP dialect (module id ``fibocom-l610``)."""

    MODULE_ID = T.MODULE_ID
    cme_errors = FIBOCOM_CME
    own_bad_argument: Final | None = err(T.Err.PARAM_WRONG)
    own_unsupported_form: Final | None = err(T.Err.OPERATION_NOT_SUPPORTED)
    trace_source: str | None = "fibocom"
    data_mode_urcs = "hold"
    sms_format = T.SMS  # TS 27.005 formats (tables.py)
    prompt_echo = False

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        # +MIPCALL state (§1.1.1.4)
        self.call_status = T.MIPCALL_STATUS_DISCONNECTED
        self.local_ip: str | None = None
        self.local_ipv6: str | None = None
        self.call_cid = 1
        self.call_op = 1  # +MIPCALL <operation> of the link: 1 IPv4, 2 IPv6, 3 both
        self.call_dns: tuple[str, ...] = ()
        self.sockets: dict[int, FSocket] = {}
        self.dns_servers_v4: dict[int, list[str | None]] = {
            sid: [None, None] for sid in range(1, 8)
        }
        self.dns_servers_v6: dict[int, list[str | None]] = {
            sid: [None, None] for sid in range(1, 8)
        }
        self.sendtime = T.GTSET_SENDTIME_DEFAULT
        self.iprfmt = T.IPRFMT_DEFAULT
        self.ping_job: PingJob | None = None
        self.ping_settings = (
            T.PING_COUNT_DEFAULT,
            T.PING_SIZE_DEFAULT,
            T.PING_TTL_DEFAULT,
            T.PING_TOS_DEFAULT,
            T.PING_TIMEOUT_DEFAULT_MS,
        )
        self.ntp_server: tuple[str, int] | None = None
        self.ntp_offset: float | None = None  # local clock - virtual clock after +MIPNTP
        self.odm_sid: int | None = None  # socket in online data mode (or pseudo-command mode)
        self.odm_online = False  # True while the UART carries the ODM socket's raw data
        self.odm_link = OdmLink(self)
        self.listen_packet_service()

    def on_power_off(self) -> None:
        if self.ping_job is not None:
            self.ping_job.abort()

    def _conf(self, sid: int, name: str) -> int:
        """A +MIPCONF value of socket ``sid`` (the row's units)."""
        return int(self.params.at("+MIPCONF", sid)[name])

    def _require_call(self) -> Final | None:
        if (
            self.call_status != T.MIPCALL_STATUS_CONNECTED
            or self.module.host is None
            or self.host.ip is None
        ):
            return err(T.Err.MIPCALL_NOT_ACTIVE)
        return None

    @staticmethod
    def _test_form(ctx: Context, cmd: Command) -> Final:
        ctx.info(T.TEST_RESPONSES[cmd.name])
        return OK

    # =====================================================================================
    # +MIPCALL (§1.1.1)
    # =====================================================================================
    @command("+MIPCALL", forms="srt", latency="network", requires=MIP_STACK)
    def mipcall(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(ctx, cmd)
        if cmd.form is Form.READ:
            if self.call_status == T.MIPCALL_STATUS_CONNECTED:
                # §1.1.1.2: <status>[,<local IP address>[,<local IPv6 address>]] - the IPv6
                # address keeps its third place, so an IPv6-only link leaves the IPv4 one empty.
                ipv6 = f",{self.local_ipv6}" if self.local_ipv6 else ""
                ctx.info(f"+MIPCALL: 1,{self.local_ip if self.call_op != 2 else ''}{ipv6}")
            else:
                ctx.info(f"+MIPCALL: {self.call_status}")
            return OK
        cmd.max_params(5)
        op = T.MIPCALL_OPERATIONS.arg(cmd, 0)
        if op == 0:
            if len(cmd.params) > 1:
                raise ArgumentError(1, "operation 0 takes no other parameter")
            if self.call_status == T.MIPCALL_STATUS_BUSY:
                return err(T.Err.OPERATION_NOT_ALLOWED)
            if self.call_status != T.MIPCALL_STATUS_CONNECTED:
                return err(T.Err.MIPCALL_NOT_ACTIVE)
            self.call_status = T.MIPCALL_STATUS_BUSY
            self.spawn(self._deactivate())
            return OK
        apn: str | None = None
        cid = 1
        if cmd.has(1):
            p = cmd.params[1]
            if not p.quoted and ascii_digits(p.value or ""):
                cid = T.MIPCALL_CIDS.arg(cmd, 1)
                if op != 1:
                    # IPv6 / dual links "can only used for actived by APN" (§1.1.1.4)
                    raise ArgumentError(1, "operations 2 and 3 need an APN")
            else:
                apn = cmd.str(1, max_len=T.MIPCALL_APN_MAX)
        user = cmd.str(2, "", max_len=T.MIPCALL_USER_MAX)
        password = cmd.str(3, "", max_len=T.MIPCALL_PASSWORD_MAX)
        auth = T.MIPCALL_AUTH.arg(cmd, 4, 0 if not (user or password) else 3)
        if op in (2, 3) and apn is None:
            raise ArgumentError(1, "operations 2 and 3 need an APN")
        pdp_type = {1: "IP", 2: "IPV6", 3: "IPV4V6"}[op]
        if self.call_status != T.MIPCALL_STATUS_DISCONNECTED:
            return err(T.Err.OPERATION_NOT_ALLOWED)
        gprs = self.packet_service()
        if gprs is None:
            return err(30)  # "no network service" (§2.1): a module without a bearer
        if apn is not None:
            # An APN given here defines context 1 for the call (a choice, docs/assumptions.md).
            gprs.define_context(
                cid, pdp_type, apn, user=user, password=password, auth=T.AUTH_NAMES[auth]
            )
        elif not self._context_defined(cid):
            if cid != 1:
                return err(2009)  # "TCPIP pdp not defined" (§2.3): that <cid> needs +CGDCONT
            # Never set by +CGDCONT: the module's default context 1 (empty APN, the subscriber's
            # default), as on a fresh module and as ATD*99# does (docs/assumptions.md, Fibocom).
            self.module.base.ensure_context(cid, pdp_type)
            if cmd.has(2) or cmd.has(3) or cmd.has(4):
                gprs.set_auth(cid, T.AUTH_NAMES[auth], user, password)
        elif cmd.has(2) or cmd.has(3) or cmd.has(4):
            # credentials given with a <cid>: they apply to that +CGDCONT context
            gprs.set_auth(cid, T.AUTH_NAMES[auth], user, password)
        self.call_status = T.MIPCALL_STATUS_BUSY
        self.call_cid = cid
        self.call_op = op
        self.spawn(self._activate(cid, op))
        return OK

    def _context_defined(self, cid: int) -> bool:
        gprs = self.packet_service()
        context = gprs.contexts.get(cid) if gprs is not None else None
        return context is not None and bool(context.apn)

    def _activate(self, cid: int, op: int) -> Generator[Any, Any, None]:
        """OK was sent; the activation outcome arrives as +MIPCALL: <ip> or +MIPCALL: 0."""
        gprs = self.packet_service()
        assert gprs is not None  # +MIPCALL checked it
        event = gprs.activate(cid)
        bound = self.sim.timeout(T.MIPCALL_BOUND_S)
        yield event | bound
        if not event.triggered:
            # Activation still pending after 30 s (§1.1.1.2 notes): give up and tell the user.
            self.record("mipcall_bound", cid=cid)
            self.call_guarded(gprs.deactivate, cid)  # the bearer may already have dropped it
            self.set_last_error(f"no answer to the PDP activation within {T.MIPCALL_BOUND_S:g} s")
            self.call_status = T.MIPCALL_STATUS_DISCONNECTED
            self.urc("+MIPCALL: 0")
            return
        outcome = event.value
        assert isinstance(outcome, Outcome)  # bearer procedures end in an Outcome
        if not outcome.ok or not outcome.ip:
            self.record("mipcall_failed", outcome=str(outcome.kind), cause=outcome.cause)
            self.set_last_error(outcome.detail or str(outcome.kind))
            self.call_status = T.MIPCALL_STATUS_DISCONNECTED
            self.urc("+MIPCALL: 0")
            return
        self.call_status = T.MIPCALL_STATUS_CONNECTED
        self.local_ip = outcome.ip
        self.call_dns = tuple(outcome.dns)
        self.local_ipv6 = self._ipv6_for(outcome.ip) if op in (2, 3) else None
        if op == 2:
            self.urc(f"+MIPCALL: {self.local_ipv6}")
        elif op == 3:
            self.urc(f"+MIPCALL: {self.local_ip},{self.local_ipv6}")
        else:
            self.urc(f"+MIPCALL: {self.local_ip}")

    def uplink_backlog(self) -> int:
        """IP packets of this module waiting for the radio uplink (its transmit memory)."""
        network = self.host.network
        if network is None:
            return 0
        return int(network.link(self.host.name).uplink.queue_length)

    @staticmethod
    def _ipv6_for(ipv4: str) -> str:
        # The simulated core is IPv4-only: an IPv6 PDP gets a documentation-prefix address
        # derived from the IPv4 one, reported but not routable (docs/assumptions.md).
        a, b, c, d = (int(x) for x in ipv4.split("."))
        return f"2001:DB8::{(a << 8) | b:X}:{(c << 8) | d:X}"

    def _deactivate(self) -> Generator[Any, Any, None]:
        for sid in sorted(self.sockets):
            self._socket_lost(self.sockets[sid], T.MIPSTAT_BROKEN)
        gprs = self.packet_service()
        assert gprs is not None  # the call was up
        event = gprs.deactivate(self.call_cid)
        yield event | self.sim.timeout(T.MIPCALL_BOUND_S)
        self._call_down(report=True)

    def _call_down(self, *, report: bool) -> None:
        was = self.call_status
        self.call_status = T.MIPCALL_STATUS_DISCONNECTED
        self.local_ip = None
        self.local_ipv6 = None
        if self.ping_job is not None:
            self.ping_job.network_lost()
        if report and was != T.MIPCALL_STATUS_DISCONNECTED:
            self.urc("+MIPCALL: 0")

    def on_packet_service_event(self, context: PdpContextView, outcome: Outcome) -> None:
        """Context lost under our feet (bearer drop, network deactivation)."""
        kind = outcome.kind
        if self.call_status != T.MIPCALL_STATUS_CONNECTED:
            return
        lost = kind in (OutcomeKind.NETWORK_LOST, OutcomeKind.DEACTIVATED)
        if lost or (self.host.ip is None and self.local_ip):
            self.record("mipcall_lost", reason=str(kind))
            self.set_last_error(outcome.detail or str(kind) or "context lost")
            for sid in sorted(self.sockets):
                self._socket_lost(self.sockets[sid], T.MIPSTAT_BROKEN)
            self._call_down(report=True)

    # =====================================================================================
    # DNS (used by +MIPOPEN, +MIPODM, +MPING, +MIPDNS, +MIPNTP)
    # =====================================================================================
    def _dns_servers(self, sid: int) -> list[str]:
        own = [s for s in self.dns_servers_v4.get(sid, [None, None]) if s]
        return own or list(self.call_dns) or list(self.host.dns_servers)

    def _resolve(self, name: str, sid: int) -> Generator[Any, Any, str | None]:
        """Resolve ``name`` with the socket's DNS servers (+MSDNS, else the network's); None on
        failure. Answers come from the resolver model: NXDOMAIN fails at once, while silent
        servers are asked again until the 60 s bound of §1.1.2.1 ends the wait."""
        if is_dotted_quad(name):
            return normalise_ipv4(name)
        from simnet.net.dns import DnsResolver, DnsResolverConfig

        resolver = DnsResolver(self.host, DnsResolverConfig(timeout=T.DNS_TRY_S, attempts=1))
        resolver.set_servers(self._dns_servers(sid))
        bound = self.sim.timeout(T.DNS_BOUND_S)
        while True:
            query = resolver.resolve(name)
            yield query.event | bound
            if not query.event.triggered:
                self.record("dns_bound", name=name)
                return None
            result = query.event.value
            if result.ok and result.addresses:
                return str(result.addresses[0])
            if result.error != "timeout" or bound.processed:
                self.record("dns_failed", name=name, error=str(result.error))
                return None

    # =====================================================================================
    # +MIPOPEN (§1.1.2) and +MIPODM (§1.1.18)
    # =====================================================================================
    def _free_ids(self) -> list[int]:
        return [sid for sid in range(1, 7) if sid not in self.sockets]

    @command("+MIPOPEN", forms="srt", latency="network", requires=MIP_STACK)
    def mipopen(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final]:
        return (yield from self._open(ctx, cmd, odm=False))

    @command("+MIPODM", forms="srt", latency="network", requires=MIP_STACK)
    def mipodm(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final]:
        return (yield from self._open(ctx, cmd, odm=True))

    def _open(self, ctx: Context, cmd: Command, *, odm: bool) -> Generator[Any, Any, Final]:
        name = "+MIPODM" if odm else "+MIPOPEN"
        if cmd.form is Form.TEST:
            return self._test_form(ctx, cmd)
        if cmd.form is Form.READ:
            free = self._free_ids()
            ctx.info(f"{name}: {','.join(map(str, free)) if free else 0}")
            return OK
        cmd.max_params(6 if odm else 5)
        if not cmd.has(0) or not ascii_digits(cmd.params[0].value or ""):
            raise ArgumentError(0, "socket id")
        sid = int(cmd.params[0].value or "0")
        if not T.SOCKET_IDS.contains(sid):
            return err(T.Err.SOCKET_LIMIT)
        src_port = T.PORTS.arg(cmd, 1, 0)
        remote = cmd.str(2, max_len=T.HOSTNAME_MAX)
        rport = T.PORTS.arg(cmd, 3)
        proto = T.PROTOCOLS.arg(cmd, 4)
        pseudo = T.ODM_PSEUDO.arg(cmd, 5, T.ODM_PSEUDO_DEFAULT) if odm else 0
        if not (
            is_dotted_quad(remote) or is_ipv6(remote) or is_sendable_name(remote, T.HOSTNAME_MAX)
        ):
            raise ArgumentError(2, "remote address")
        if odm and rport == 0:
            raise ArgumentError(3, "ODM needs a remote port (§1.1.18.4)")
        if rport == 0 and src_port == 0:
            raise ArgumentError(1, "a listening socket needs a source port")
        if (failure := self._require_call()) is not None:
            return failure
        if sid in self.sockets:
            return err(T.Err.SOCKET_USED)
        if odm and self.odm_sid is not None:
            return err(T.Err.INVALID_OPERATION)  # one ODM socket at a time (§1.1.18.1)
        if proto in T.SSL_PROTOCOLS:
            return err(T.Err.PROTOCOL_ERROR)  # no TLS in this build (docs/assumptions.md)
        if proto >= 60 or is_ipv6(remote) and not is_dotted_quad(remote):
            return err(T.Err.PROTOCOL_ERROR)  # the simulated network routes IPv4 only
        # Reserve the id now: a second open on it while DNS runs must see "socket used".
        fs = FSocket(sid, proto, None, src_port, AccumulatingBuffer(), odm=odm)
        fs.pseudo_enabled = pseudo == 0
        self.sockets[sid] = fs
        ip = normalise_ipv4(remote) if is_dotted_quad(remote) else None
        if ip is None:
            ip = yield from self._resolve(remote, sid)
            if ip is None or self.sockets.get(sid) is not fs:
                self.sockets.pop(sid, None)
                return err(T.Err.DNS_FAIL)
        fs.remote = (ip, rport) if rport else None
        if odm:
            self.odm_sid = sid
        failure = self._start_socket(fs)
        if failure is not None:
            self.sockets.pop(sid, None)
            if odm:
                self.odm_sid = None
            return failure
        return OK

    def tcp_config(self, sid: int) -> TcpConfig:
        """TcpConfig from +MIPCONF (retries, RTO bounds) and +MIPKEEPCONF (keepalive)."""
        from simnet.net.tcp import TcpConfig

        conf = self.params.at("+MIPCONF", sid)
        unit = T.MIPCONF_UNIT_S
        close_delay = int(conf["close_delay"]) * unit
        kwargs: dict[str, Any] = {
            "data_retries": conf["retr_num"],
            "syn_retries": conf["retr_num"],
            "min_rto": int(conf["min_to"]) * unit,
            "max_rto": int(conf["max_to"]) * unit,
            "send_buffer": T.TCP_SEND_BUFFER,
            # <max_close_delay> "required by RFC 793": the TIME-WAIT of 2 MSL, and the bound on
            # an orphaned FIN-WAIT-2 (docs/assumptions.md).
            "msl": close_delay / 2,
            "fin_wait2_timeout": close_delay,
        }
        keep = self.params["+MIPKEEPCONF"]
        if keep["mode"] == 1:
            kwargs["keepalive"] = (float(keep["idle"]), float(keep["intvl"]), keep["cnt"])
        return TcpConfig(**kwargs)

    def _start_socket(self, fs: FSocket) -> Final | None:
        try:
            if fs.is_tcp:
                if fs.remote is None:
                    fs.listener = self.host.tcp_listen(
                        fs.local_port,
                        self.guarded(lambda sock, fs=fs: self._on_accept(fs, sock)),
                        backlog=1,
                        config=self.tcp_config(fs.sid),
                    )
                    fs.state = SocketState.LISTENING
                    return None
                tcp = self.host.tcp_connect(
                    fs.remote[0],
                    fs.remote[1],
                    self.tcp_config(fs.sid),
                    local_port=fs.local_port or None,
                )
                self._wire_tcp(fs, tcp)
                return None
            udp = self.host.udp_bind(
                fs.local_port,
                self.guarded(lambda _sock, data, addr, fs=fs: self._on_datagram(fs, data, addr)),
                self.guarded(lambda _sock, kind, addr, fs=fs: self._on_udp_error(fs, kind)),
            )
            fs.udp = udp
            fs.local_port = udp.port
        except ConfigError as exc:
            self.record("open_failed", sid=fs.sid, detail=str(exc))
            return err(2011)  # "TCPIP socket bind fail" (§2.3)
        fs.state = SocketState.OPEN
        # UDP needs no handshake: the socket is active as soon as it is bound.
        self.later(0.0, self._opened, fs)
        return None

    def _wire_tcp(self, fs: FSocket, tcp: TcpSocket) -> None:
        fs.tcp = tcp
        tcp.on_connected = self.guarded(lambda _s, fs=fs: self._opened(fs))
        tcp.on_data = self.guarded(lambda _s, fs=fs: self._on_tcp_data(fs))
        tcp.on_acked = self.guarded(lambda _s, n, fs=fs: self._on_acked(fs))
        tcp.on_writable = self.guarded(lambda _s, fs=fs: self._drain(fs))
        tcp.on_peer_fin = self.guarded(lambda _s, fs=fs: self._on_peer_fin(fs))
        tcp.on_closed = self.guarded(lambda _s, reason, fs=fs: self._on_tcp_closed(fs, reason))

    def _on_accept(self, fs: FSocket, sock: TcpSocket) -> None:
        if self.sockets.get(fs.sid) is not fs or fs.state != SocketState.LISTENING:
            sock.abort()
            return
        if fs.listener is not None:
            fs.listener.close()
            fs.listener = None
        self._wire_tcp(fs, sock)
        fs.remote = (sock.remote[0], sock.remote[1])
        fs.state = SocketState.OPEN
        self.urc(f"+MIPOPEN: {fs.sid},1,{fs.remote[0]},{fs.remote[1]}")

    def _opened(self, fs: FSocket) -> None:
        if self.sockets.get(fs.sid) is not fs:
            return
        fs.state = SocketState.OPEN
        name = "+MIPODM" if fs.odm else "+MIPOPEN"
        self.urc(f"{name}: {fs.sid},1")
        if fs.odm:
            fs.spool = OdmSpooler(*self.odm_buffer_figures())
            self._odm_start(fs)

    # =====================================================================================
    # Losing a socket: +MIPSTAT (§1.1.11)
    # =====================================================================================
    def _on_tcp_closed(self, fs: FSocket, reason: str) -> None:
        if fs.closing_waiter is not None and not fs.closing_waiter.triggered:
            fs.closing_waiter.succeed(reason)
            return
        if self.sockets.get(fs.sid) is not fs:
            return
        status = T.MIPSTAT_FOR_CLOSE_REASON.get(reason, T.MIPSTAT_BROKEN)
        if fs.peer_fin and reason in ("peer_closed", "local"):
            status = T.MIPSTAT_ALERT
        # Deliver what already arrived before saying the socket is gone (the socket goes now:
        # this last push does not wait for UART room).
        self._pump_rx(fs, final=True, force=True)
        self._socket_lost(fs, status)

    def _on_peer_fin(self, fs: FSocket) -> None:
        """Orderly close by the peer: the module closes its side automatically (§1.1.11.4
        status 2); received data still waiting is delivered first."""
        fs.peer_fin = True
        if self.sockets.get(fs.sid) is not fs:
            return
        self._pump_rx(fs, final=True)
        self._finish_peer_close(fs)

    def _finish_peer_close(self, fs: FSocket) -> None:
        """Close our side after the peer's FIN once nothing is left for the terminal: data
        held for +MIPREAD (IPRFMT 5) or for ATO (pseudo-command mode) stays readable first."""
        if not fs.peer_fin or self.sockets.get(fs.sid) is not fs or self._held(fs) > 0:
            return
        if fs.tcp is not None:
            fs.tcp.close()
        self._socket_lost(fs, T.MIPSTAT_ALERT)

    def _on_udp_error(self, fs: FSocket, kind: str) -> None:
        if kind == "network_down" and self.sockets.get(fs.sid) is fs:
            self._socket_lost(fs, T.MIPSTAT_BROKEN)

    def _socket_lost(self, fs: FSocket, status: int) -> None:
        """Free the socket and report +MIPSTAT: <id>,<status>[,<acked>] (§1.1.11.2)."""
        if self.sockets.get(fs.sid) is not fs:
            return
        del self.sockets[fs.sid]
        self._release(fs)
        nack = self._conf(fs.sid, "nack")
        acked = self._acked(fs)
        suffix = f",{acked}" if fs.is_tcp and nack != T.NACK_OFF else ""
        if fs.odm and self.odm_sid == fs.sid:
            self._odm_end()
        self.urc(f"+MIPSTAT: {fs.sid},{status}{suffix}")

    @staticmethod
    def _release(fs: FSocket) -> None:
        if fs.push_timer is not None:
            fs.push_timer.cancel()
        if fs.spool_timer is not None:
            fs.spool_timer.cancel()
        fs.buf.flush()
        if fs.listener is not None:
            fs.listener.close()
            fs.listener = None
        if fs.udp is not None:
            fs.udp.close()
        if fs.tcp is not None:
            tcp = fs.tcp
            tcp.on_connected = tcp.on_data = tcp.on_acked = tcp.on_writable = tcp.on_peer_fin = None
            if fs.closing_waiter is None:
                tcp.on_closed = None
        fs.state = SocketState.CLOSED

    @staticmethod
    def _acked(fs: FSocket) -> int:
        return fs.tcp.bytes_acked if fs.tcp is not None else 0

    def _on_acked(self, fs: FSocket) -> None:
        # ACK indication (+MIPCONF <is_nack_ind_req> 2): report once everything handed to the
        # stack is acknowledged (docs/assumptions.md).
        if self._conf(fs.sid, "nack") == T.ACK_IND and fs.tcp is not None:
            acked = self._acked(fs)
            if acked >= fs.handed and acked > fs.ack_reported:
                fs.ack_reported = acked
                self.urc(f"+MIPSTAT: {fs.sid},{T.MIPSTAT_ACK},{acked}")
        self._drain(fs)

    # =====================================================================================
    # +MIPCLOSE (§1.1.3)
    # =====================================================================================
    @command("+MIPCLOSE", forms="srt", requires=MIP_STACK)
    def mipclose(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(ctx, cmd)
        if cmd.form is Form.READ:
            active = [sid for sid in sorted(self.sockets) if self.sockets[sid].active]
            ctx.info(f"+MIPCLOSE: {','.join(map(str, active)) if active else 0}")
            return OK
        cmd.max_params(2)
        sid = T.SOCKET_IDS.arg(cmd, 0)
        mode = T.CLOSE_MODES.arg(cmd, 1, T.CLOSE_MODE_WAIT_FIN_ACK)
        fs = self.sockets.get(sid)
        if fs is None or not fs.configurable:
            return err(T.Err.SOCKET_NOT_OPENED)
        self.spawn(self._close(fs, mode))
        return OK

    def _close(self, fs: FSocket, mode: int) -> Generator[Any, Any, None]:
        """OK was sent; +MIPCLOSE: <id>[,<acked>],<close_type> follows when the close ends."""
        sid = fs.sid
        show_acked = fs.is_tcp and self._conf(sid, "nack") != T.NACK_OFF
        close_delay = self._conf(sid, "close_delay") * T.MIPCONF_UNIT_S
        if self.sockets.get(sid) is fs:
            del self.sockets[sid]
        if fs.odm and self.odm_sid == sid:
            self.odm_sid = None
        tcp = fs.tcp
        fs.closing_waiter = self.sim.event() if tcp is not None else None
        self._release(fs)
        close_type = T.CLOSE_TYPE_OK
        if tcp is not None and tcp.close_reason is None:
            tcp.close()
            if mode != T.CLOSE_MODE_NO_WAIT:
                close_type = yield from self._wait_close(tcp, fs, mode, close_delay)
        acked = tcp.bytes_acked if tcp is not None else 0
        acked_txt = f",{acked}" if show_acked else ""
        self.urc(f"+MIPCLOSE: {sid}{acked_txt},{close_type}")

    def _wait_close(
        self, tcp: TcpSocket, fs: FSocket, mode: int, close_delay: float
    ) -> Generator[Any, Any, int]:
        """Mode 0: until our FIN is acknowledged; mode 2: until TIME_WAIT (2 MSL) ends. The
        peer must answer within <max_close_delay> or the socket is aborted (close type 1)."""
        deadline = self.sim.now + close_delay
        time_wait_since: float | None = None
        while True:
            state = tcp.state
            reason = tcp.close_reason
            if reason not in (None, "local", "peer_closed"):
                return T.CLOSE_TYPE_OTHER
            fin_acked = state in ("FIN_WAIT_2", "TIME_WAIT", "CLOSED")
            if mode == T.CLOSE_MODE_WAIT_FIN_ACK and fin_acked:
                return T.CLOSE_TYPE_OK
            if mode == T.CLOSE_MODE_WAIT_2MSL and state == "CLOSED":
                return T.CLOSE_TYPE_OK
            if mode == T.CLOSE_MODE_WAIT_2MSL and state == "TIME_WAIT":
                # The stack reports the close on entering TIME-WAIT; 2 MSL later it is CLOSED.
                if time_wait_since is None:
                    time_wait_since = self.sim.now
                two_msl = 2 * tcp.connection.cfg.msl
                yield self.sim.timeout(max(0.0, time_wait_since + two_msl - self.sim.now))
                if tcp.state == "TIME_WAIT":
                    return T.CLOSE_TYPE_OK  # the model's own timer is due at this instant
                continue
            if not fin_acked and self.sim.now >= deadline - 1e-9:
                tcp.abort()
                return T.CLOSE_TYPE_TIMEOUT
            # Re-check on every TCP callback, and at the close-delay deadline.
            waiter = self.sim.event()
            fs.closing_waiter = waiter
            tcp.on_closed = self.guarded(
                lambda _s, r, w=waiter: w.succeed(r) if not w.triggered else None
            )
            tcp.on_acked = self.guarded(
                lambda _s, n, w=waiter: w.succeed(None) if not w.triggered else None
            )
            tcp.on_peer_fin = self.guarded(
                lambda _s, w=waiter: w.succeed(None) if not w.triggered else None
            )
            limit = deadline - self.sim.now if not fin_acked else 3600.0
            yield waiter | self.sim.timeout(max(0.0, limit))

    # =====================================================================================
    # +MIPSETS (§1.1.4), +MIPDSETS (§1.1.5)
    # =====================================================================================
    @command("+MIPSETS", forms="srt", requires=MIP)
    def mipsets(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(ctx, cmd)
        if cmd.form is Form.READ:
            active = [self.sockets[s] for s in sorted(self.sockets) if self.sockets[s].active]
            for each in active:
                ctx.info(
                    f"+MIPSETS: {each.sid},{each.buf.watermark},{round(each.buf.timeout * 1000)}"
                )
            if not active:
                ctx.info("+MIPSETS: 0")
            return OK
        cmd.max_params(3)
        sid = T.SOCKET_IDS.arg(cmd, 0)
        size = T.SETS_SIZE.arg(cmd, 1)
        fs = self.sockets.get(sid)
        timeout_ms = T.SETS_TIMEOUT_MS.arg(cmd, 2, round(fs.buf.timeout * 1000) if fs else 0)
        if fs is None or not fs.configurable:
            return err(T.Err.SOCKET_NOT_OPENED)
        ok = fs.buf.configure(size, timeout_ms / 1000.0)
        ctx.info(f"+MIPSETS: {T.SETS_STATUS_OK if ok else T.SETS_STATUS_NOT_ALLOWED}")
        return OK

    @command("+MIPDSETS", forms="srt", requires=MIP)
    def mipdsets(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(ctx, cmd)
        if cmd.form is Form.READ:
            active = [self.sockets[s] for s in sorted(self.sockets) if self.sockets[s].active]
            for each in active:
                ctx.info(f"+MIPDSETS: {each.sid},{each.dsets_size},{round(each.dsets_span * 1000)}")
            if not active:
                ctx.info("+MIPDSETS: 0")
            return OK
        cmd.max_params(3)
        sid = T.SOCKET_IDS.arg(cmd, 0)
        size = T.DSETS_SIZE.arg(cmd, 1)
        span = T.DSETS_SPAN_MS.arg(cmd, 2, T.DSETS_SPAN_DEFAULT_MS)
        fs = self.sockets.get(sid)
        if fs is None or not fs.configurable:
            return err(T.Err.SOCKET_NOT_OPENED)
        fs.dsets_size = size
        fs.dsets_span = span / 1000.0
        ctx.info("+MIPDSETS: 0")
        return OK

    # =====================================================================================
    # The send path: +MIPSEND (§1.1.6, §1.2.1-3), +MIPPUSH (§1.1.7), +MIPFLUSH (§1.1.8)
    # =====================================================================================
    def _sync_push_timer(self, fs: FSocket) -> None:
        deadline = fs.buf.deadline
        timer = fs.push_timer
        if timer is not None and timer.active and timer.when == deadline:
            return
        if timer is not None:
            timer.cancel()
            fs.push_timer = None
        if deadline is not None:
            fs.push_timer = self.at(deadline, self._push_timeout, fs)

    def _push_timeout(self, fs: FSocket) -> None:
        fs.push_timer = None
        if self.sockets.get(fs.sid) is not fs:
            return
        if fs.buf.timer_expired(self.sim.now):
            self.record("auto_push", sid=fs.sid, why="timeout")
        self._drain(fs)

    def _drain(self, fs: FSocket, dest: tuple[str, int] | None = None) -> None:
        """Move pushed data into the stack as far as it takes it; report Xoff/Xon."""
        if self.sockets.get(fs.sid) is not fs:
            return
        if fs.odm:
            self._odm_flush(fs)  # the stack has room: the ODM spool goes first
            return
        buf = fs.buf
        if fs.tcp is not None and fs.state == SocketState.OPEN:
            space = fs.tcp.send_space
            while buf.unsent_len and space > 0:
                chunk = buf.take_stream(space)
                n = fs.tcp.send(chunk)
                fs.handed += n
                if n < len(chunk):
                    buf.give_back(chunk[n:])
                    break
                space = fs.tcp.send_space
        elif fs.udp is not None:
            target = dest or fs.remote
            while (datagram := buf.take_datagram()) is not None:
                if target is not None:
                    fs.udp.sendto(datagram, target)
        for event in buf.drain_events():
            self.urc(f"+MIP{'XOFF' if event == 'xoff' else 'XON'}: {fs.sid}")
        self._sync_push_timer(fs)

    @command("+MIPSEND", forms="sr", latency="data", requires=MIP_STACK)
    def mipsend(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final]:
        if cmd.form is Form.READ:
            active = [self.sockets[s] for s in sorted(self.sockets) if self.sockets[s].active]
            for each in active:
                ctx.info(f"+MIPSEND: {each.sid},{each.buf.free}")
            if not active:
                ctx.info("+MIPSEND: 0")
            return OK
        cmd.max_params(2)
        sid = T.SOCKET_IDS.arg(cmd, 0)
        length: int | None = None
        data: bytes | None = None
        if cmd.has(1):
            p = cmd.params[1]
            text = p.value or ""
            if not p.quoted and ascii_digits(text) and len(text) <= 5:
                # AT+MIPSEND=<id>,<data_len> (§1.2.3); a quoted value is hex data (§1.1.6.4).
                length = int(text)
                if length > T.RAW_SEND_MAX:
                    raise ArgumentError(1, "data_len above 2048")
            else:
                data = decode_hex(text)
                if data is None:
                    raise ArgumentError(1, "data is not pairs of hex digits")
        fs = self.sockets.get(sid)
        if fs is None or fs.state != SocketState.OPEN or fs.odm:
            return err(T.Err.SOCKET_NOT_OPENED)
        if data is None:
            return (yield from self._raw_send(ctx, fs, length))
        if len(data) > T.SEND_CHUNK_MAX:
            return err(T.Err.SEND_TOO_LONG)
        status = T.SEND_STATUS_OK if fs.buf.write(data, self.sim.now) else T.SEND_STATUS_XOFF
        self._drain(fs)
        ctx.info(f"+MIPSEND: {sid},{status},{fs.buf.free}")
        return OK

    def _raw_send(
        self, ctx: Context, fs: FSocket, length: int | None
    ) -> Generator[Any, Any, Final]:
        """The HEX-mode forms (§1.2): a ``>`` prompt, raw bytes ended by Ctrl-Z, by the
        SENDTIME timeout (counted from the prompt) or by <data_len> bytes; then a push."""
        spec = PromptSpec(
            prompt=b">\r\n",  # §1.2.1.1: the module responds "><CR><LF>"
            terminator=None if length is not None else CTRL_Z,
            cancel=None,  # the data is binary: ESC is data too
            length=length,
            max_len=T.RAW_SEND_MAX,
            total_timeout=float(self.sendtime),  # §1.2.2.1 SENDTIME, counted from the prompt
            discard_excess=length is not None,  # §1.2.3.1 "The redundant data will be lost"
        )
        if length == 0:
            data = b""
        else:
            got = yield ctx.prompt(spec)
            if not got.sent:
                return err(T.Err.SEND_FAILED)
            data = bytes(got.data)
        if self.sockets.get(fs.sid) is not fs or fs.state != SocketState.OPEN:
            return err(T.Err.SOCKET_NOT_OPENED)
        accepted = fs.buf.write(data, self.sim.now)
        push_status = fs.buf.push() if accepted else T.PUSH_STATUS_XOFF
        self._drain(fs)
        status = T.SEND_STATUS_OK if accepted else T.SEND_STATUS_XOFF
        ctx.info("OK")
        if fs.is_tcp:
            ctx.info(f"+MIPPUSH: {fs.sid},{push_status}")
        ctx.info(f"+MIPSEND: {fs.sid},{status},{fs.buf.free}")
        return OK

    @command("+MIPPUSH", forms="srt", latency="data", requires=MIP_STACK)
    def mippush(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(ctx, cmd)
        if cmd.form is Form.READ:
            active = [s for s in sorted(self.sockets) if self.sockets[s].active]
            ctx.info(f"+MIPPUSH: {','.join(map(str, active)) if active else 0}")
            return OK
        cmd.max_params(3)
        sid = T.SOCKET_IDS.arg(cmd, 0)
        dest: tuple[str, int] | None = None
        if cmd.has(1) or cmd.has(2):
            ip = cmd.str(1, max_len=64)
            port = T.PORTS.arg(cmd, 2)
            if not is_dotted_quad(ip):
                raise ArgumentError(1, "destination IP")
            dest = (normalise_ipv4(ip), port)
        fs = self.sockets.get(sid)
        if fs is None or fs.state != SocketState.OPEN or fs.odm:
            return err(T.Err.SOCKET_NOT_OPENED)
        if dest is not None and fs.udp is None:
            raise ArgumentError(1, "destination only for UDP sockets (§1.1.7.4 notes)")
        if dest is not None and dest[1] == 0:
            raise ArgumentError(2, "destination port 0")
        if dest is not None:
            fs.remote = dest  # later datagrams go to "the last target" (§1.1.7.4 notes)
        if fs.udp is not None and fs.remote is None and fs.buf.has_pending:
            return err(T.Err.INVALID_OPERATION)  # a listening UDP socket with no target yet
        status = fs.buf.push()
        self._drain(fs, dest)
        if status == T.PUSH_STATUS_OK:
            ctx.info(f"+MIPPUSH: {sid},{status},{fs.buf.pushed_total}")
        else:
            ctx.info(f"+MIPPUSH: {sid},{status}")
        return OK

    @command("+MIPFLUSH", forms="srt", requires=MIP_STACK)
    def mipflush(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(ctx, cmd)
        if cmd.form is Form.READ:
            active = [s for s in sorted(self.sockets) if self.sockets[s].active]
            ctx.info(f"+MIPFLUSH: {','.join(map(str, active)) if active else 0}")
            return OK
        cmd.max_params(1)
        sid = T.SOCKET_IDS.arg(cmd, 0)
        fs = self.sockets.get(sid)
        if fs is None or not fs.active:
            return err(T.Err.SOCKET_NOT_OPENED)
        dropped = fs.buf.flush()
        self.record("flush", sid=sid, dropped=dropped)
        self._drain(fs)
        ctx.info(f"+MIPFLUSH: {sid}")
        return OK

    # =====================================================================================
    # The receive path: +MIPRTCP (§1.1.10), +MIPRUDP (§1.1.9), IPRFMT (§1.2.4), +MIPREAD
    # =====================================================================================
    def _on_tcp_data(self, fs: FSocket) -> None:
        self._pump_rx(fs)

    def _on_datagram(self, fs: FSocket, data: bytes, addr: tuple[str, int]) -> None:
        if self.sockets.get(fs.sid) is not fs:
            return
        if fs.remote is None:
            fs.remote = (addr[0], addr[1])  # a listening UDP socket answers its last sender
        if self._rx_pending(fs) + len(data) > T.UDP_HOLD_MAX:
            self.record("udp_rx_overflow", sid=fs.sid, dropped=len(data))  # bounded memory
            return
        fs.rx_udp.append((bytes(data), (addr[0], addr[1])))
        self._pump_rx(fs)

    @staticmethod
    def _rx_pending(fs: FSocket) -> int:
        if fs.tcp is not None:
            return fs.tcp.readable
        return sum(len(d) for d, _ in fs.rx_udp)

    def _pump_rx(self, fs: FSocket, *, final: bool = False, force: bool = False) -> None:
        """Move received data to the terminal in chunks of <size> (+MIPDSETS), spaced by
        <time span>, or hold it (IPRFMT 5 read mode, ODM pseudo-command mode).

        A chunk leaves the socket only when the UART has room for its URC: otherwise the data
        stays in the TCP receive buffer (the <Left> of §1.1.10.4, "still left in protocol
        stack") and the window closes towards the peer, until the line has drained enough.
        ``final`` skips the <time span> pacing (the peer closed), ``force`` also the wait for
        room (the socket is gone)."""
        if fs.rx_busy and not final:
            return
        if fs.odm:
            self._odm_rx(fs)
            return
        if self.iprfmt == T.IPRFMT_READ:
            self._hold(fs)  # IPRFMT 5: data waits until +MIPREAD; +MIPDATA says how much came
            return
        tcp = fs.tcp
        if tcp is not None and self.iprfmt == T.IPRFMT_HEX and fs.dsets_span <= 0 and not (
            final or force
        ):
            self._pump_tcp_hex(fs, tcp)
            return
        while True:
            if not force and not self._uart_has_room(fs):
                return
            chunk = self._take_rx(fs)
            if chunk is None:
                fs.rx_busy = False
                return
            data, addr = chunk
            left = self._rx_pending(fs)
            self._emit_rx(fs, data, addr, left)
            if fs.dsets_span > 0 and not final and self._rx_pending(fs):
                fs.rx_busy = True
                self.later(fs.dsets_span, self._rx_resume, fs)
                return

    def _pump_tcp_hex(self, fs: FSocket, tcp: TcpSocket) -> None:
        """The loop of :meth:`_pump_rx` for a TCP download in hex URCs without <time span>
        pacing (the default set-up): the same steps, room check, chunks and <Left> as there,
        with the socket, the port and the header looked up once per call."""
        port = self.module.port
        size = fs.dsets_size
        head = f"+MIPRTCP: {fs.sid},"
        urc = self.module.urc
        while True:
            pending = tcp.readable
            if not pending:
                break
            n = size if size < pending else pending
            need = min(2 * n + RX_URC_HEADER, port.capacity)
            space = port.space
            if space < need:  # resumes when the line should have drained enough
                fs.rx_busy = True
                wait = max(RX_ROOM_WAIT_MIN, (need - space) * port.byte_time())
                self.later(wait, self._rx_resume, fs)
                return
            data = tcp.recv(size)
            if not data:
                break
            urc(f"{head}{tcp.readable},{encode_hex(bytes(data))}")
        fs.rx_busy = False

    def _rx_resume(self, fs: FSocket) -> None:
        fs.rx_busy = False
        if fs.state != SocketState.CLOSED:
            self._pump_rx(fs)
            if fs.peer_fin:
                self._finish_peer_close(fs)  # closes once the last byte went to the terminal

    def _uart_has_room(self, fs: FSocket) -> bool:
        """Whether the next chunk's URC fits in the UART's transmit buffer now; if not, the
        pump resumes when the line should have drained enough (at the port's byte rate; the
        host's RTS may hold it longer, then it looks again)."""
        pending = self._rx_pending(fs)
        if not pending:
            return True  # nothing to push (a UDP datagram waiting is counted in pending)
        n = min(fs.dsets_size, pending)
        fmt = self.iprfmt
        if fmt == T.IPRFMT_RAW:
            need = n
        elif fmt == T.IPRFMT_RAW_HEADER:
            need = n + RX_URC_HEADER
        else:
            need = 2 * n + RX_URC_HEADER  # hex doubles the payload
        port = self.module.port
        need = min(need, port.capacity)
        space = port.space
        if space >= need:
            return True
        if not fs.rx_busy:
            fs.rx_busy = True
            self.later(
                max(RX_ROOM_WAIT_MIN, (need - space) * port.byte_time()), self._rx_resume, fs
            )
        return False

    def _take_rx(self, fs: FSocket) -> tuple[bytes, tuple[str, int] | None] | None:
        size = fs.dsets_size
        if fs.tcp is not None:
            if not self._rx_pending(fs):
                return None
            data = fs.tcp.recv(size)
            return (bytes(data), None) if data else None
        if not fs.rx_udp:
            return None
        data, addr = fs.rx_udp[0]
        if len(data) > size:
            fs.rx_udp[0] = (data[size:], addr)
            return data[:size], addr
        fs.rx_udp.popleft()
        return data, addr

    def _emit_rx(self, fs: FSocket, data: bytes, addr: tuple[str, int] | None, left: int) -> None:
        fmt = self.iprfmt
        if fmt == T.IPRFMT_RAW:
            self.urc_raw(data)  # data only, no header, no CR LF (§1.2.4.4)
            return
        if fs.udp is not None and addr is not None:
            head = f"+MIPRUDP: {addr[0]},{addr[1]},{fs.sid}"
        else:
            head = f"+MIPRTCP: {fs.sid}"
        if fmt == T.IPRFMT_RAW_HEADER:
            # CR LF before the header, <Data_len>, raw data, nothing after (§1.2.4.4).
            self.urc_raw(b"\r\n" + f"{head},{len(data)},".encode() + data)
            return
        self.urc(f"{head},{left},{encode_hex(data)}")

    def _hold(self, fs: FSocket) -> None:
        """Keep received data in the module and announce each arrival (+MIPDATA, §1.1.24).

        TCP data stays in the socket's receive buffer, so a terminal that does not read closes
        the TCP window (flow control reaches the peer); UDP datagrams wait in a bounded store."""
        if fs.tcp is not None:
            readable = self._rx_pending(fs)
            arrived = readable - fs.announced
            fs.announced = readable
        else:
            arrived = 0
            while fs.rx_udp:
                data, _addr = fs.rx_udp.popleft()
                if not fs.rx_hold.append_whole(data):
                    self.record("udp_hold_overflow", sid=fs.sid, dropped=len(data))
                    continue
                arrived += len(data)
        if arrived > 0:
            self.urc(f"+MIPDATA: {fs.sid},{arrived}")

    def _held(self, fs: FSocket) -> int:
        return len(fs.rx_hold) + (self._rx_pending(fs) if fs.tcp is not None else 0)

    def _read_held(self, fs: FSocket, n: int) -> bytes:
        data = fs.rx_hold.read(n)
        if fs.tcp is not None and len(data) < n:
            more = bytes(fs.tcp.recv(n - len(data)))
            fs.announced = max(0, fs.announced - len(more))
            data += more
        return data

    @command("+MIPREAD", forms="sr", latency="data", requires=MIP_STACK)
    def mipread(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.READ:
            for sid in sorted(self.sockets):
                held = self._held(self.sockets[sid])
                if held:
                    ctx.info(f"+MIPREAD: {sid},{held}")
            return OK
        cmd.max_params(2)
        sid = T.SOCKET_IDS.arg(cmd, 0)
        length = cmd.int(1, lo=1, hi=T.ACCUMULATING_BUFFER)
        if self.iprfmt != T.IPRFMT_READ:
            return err(T.Err.INVALID_OPERATION)  # needs AT+GTSET="IPRFMT",5 (§1.1.23.1)
        fs = self.sockets.get(sid)
        if fs is None:
            return err(T.Err.SOCKET_NOT_OPENED)
        if not self._held(fs):
            ctx.info(f"+MIPREAD: {sid},0")
            return OK
        data = self._read_held(fs, length)
        self.later(0.0, self._finish_peer_close, fs)  # after this response, if it was the last
        ctx.info(f"+MIPDATA: {sid},{len(data)}")
        ctx.raw(data + b"\r\n")
        return OK

    # =====================================================================================
    # +MIPCONF (§1.1.12), +MIPKEEPCONF (§1.1.13): rows of tables.py with their rules
    # =====================================================================================
    @setting_command(T.MIPCONF)
    def mipconf(self, ctx: Context, cmd: Command) -> Final | None:
        return self.setting(ctx, cmd, T.MIPCONF, guard=self._mipconf_guard)

    def _mipconf_guard(self, ctx: Context, new: dict[str, Value]) -> Final | None:
        if int(new["min_to"]) > int(new["max_to"]):
            raise ArgumentError(2, "min_TO above max_TO")
        # "This command must used under MIPCALL is enabled" (§1.1.12.2).
        return self._require_call()

    @setting_command(T.MIPKEEPCONF)
    def mipkeepconf(self, ctx: Context, cmd: Command) -> Final | None:
        if cmd.form is Form.READ:
            keep = self.params["+MIPKEEPCONF"]
            if keep["mode"] == 1:
                ctx.info(f"+MIPKEEPCONF: 1,{keep['idle']},{keep['intvl']},{keep['cnt']}")
            else:
                ctx.info("+MIPKEEPCONF: 0")
            return OK
        return self.setting(ctx, cmd, T.MIPKEEPCONF, guard=self._mode_zero_alone)

    @staticmethod
    def _mode_zero_alone(ctx: Context, new: dict[str, Value]) -> Final | None:
        cmd = ctx.cmd
        if new["mode"] == 0 and cmd is not None and len(cmd.params) > 1:
            raise ArgumentError(1, "mode 0 takes no other parameter (§1.1.13.4)")
        return None

    # =====================================================================================
    # +MSDNS (§1.1.16), +MSV6DNS (§1.1.17)
    # =====================================================================================
    @command("+MSDNS", forms="srt", requires=MIP)
    def msdns(self, ctx: Context, cmd: Command) -> Final:
        return self._dns_cmd(ctx, cmd, self.dns_servers_v4, v6=False)

    @command("+MSV6DNS", forms="srt", requires=MIP)
    def msv6dns(self, ctx: Context, cmd: Command) -> Final:
        return self._dns_cmd(ctx, cmd, self.dns_servers_v6, v6=True)

    def _dns_cmd(
        self, ctx: Context, cmd: Command, table: dict[int, list[str | None]], *, v6: bool
    ) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(ctx, cmd)
        unset = "::" if v6 else "0.0.0.0"
        if cmd.form is Form.READ:
            for sid in range(1, 8):
                prim, sec = table[sid]
                ctx.info(f"{cmd.name}: {sid},{prim or unset},{sec or unset}")
            return OK
        cmd.max_params(3)
        sid = T.DNS_SOCKET_IDS.arg(cmd, 0)
        values: list[str | None] = []
        for i in (1, 2):
            if cmd.has(i):
                text = cmd.str(i, max_len=64)
                if not (is_ipv6(text) if v6 else is_dotted_quad(text)):
                    raise ArgumentError(i, "DNS server address")
                values.append(text.replace(" ", "") if v6 else normalise_ipv4(text))
            else:
                values.append(None)
        if not cmd.has(1) and not cmd.has(2):
            table[sid] = [None, None]  # socket id alone clears the servers (§1.1.16.4)
        else:
            # Setting one server leaves the other as it was (§1.1.16.4).
            cur = table[sid]
            table[sid] = [values[0] or cur[0], values[1] or cur[1]]
        return OK

    # =====================================================================================
    # +MIPDNS (§1.1.21)
    # =====================================================================================
    @command("+MIPDNS", forms="s", latency="network", requires=MIP_STACK)
    def mipdns(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final]:
        cmd.max_params(2)
        name = cmd.str(0, max_len=T.HOSTNAME_MAX)
        addr_type = T.DNS_ADDR_TYPES.arg(cmd, 1, 0)
        if not is_sendable_name(name, T.HOSTNAME_MAX):
            raise ArgumentError(0, "domain name")
        if (failure := self._require_call()) is not None:
            return failure
        if addr_type == 1:
            return err(T.Err.DNS_FAIL)  # no AAAA records on the IPv4-only network
        ip = yield from self._resolve(name, T.DNS_SERVICE_SOCKET)
        if ip is None:
            return err(T.Err.DNS_FAIL)
        ctx.info(f"+MIPDNS: {name},{ip}")
        return OK

    # =====================================================================================
    # +MIPNTP (§1.1.22)
    # =====================================================================================
    @command("+MIPNTP", forms="srt", latency="network", requires=MIP_STACK)
    def mipntp(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(ctx, cmd)
        if cmd.form is Form.READ:
            ip, port = self.ntp_server or ("0.0.0.0", 123)
            ctx.info(f"+MIPNTP: {ip},{port}")
            return OK
        cmd.max_params(3)
        server = cmd.str(0, max_len=T.HOSTNAME_MAX)
        port = T.REMOTE_PORTS.arg(cmd, 1)
        addr_type = T.NTP_ADDR_TYPES.arg(cmd, 2, 0)
        if not (is_dotted_quad(server) or is_sendable_name(server, T.HOSTNAME_MAX)):
            raise ArgumentError(0, "server")
        if (failure := self._require_call()) is not None:
            return failure
        if addr_type == 1:
            return err(T.Err.PROTOCOL_ERROR)
        self.ntp_server = (server, port)
        self.spawn(self._ntp(server, port))
        return OK

    def _ntp(self, server: str, port: int) -> Generator[Any, Any, None]:
        """One NTP client exchange (RFC 5905 §8): the module clock is corrected by the offset
        computed from the four timestamps; a reply whose originate timestamp is not our
        request's transmit timestamp is ignored (bogus or stale)."""
        ip = yield from self._resolve(server, T.DNS_SERVICE_SOCKET)
        result = T.NTP_RESULT_FAIL
        if ip is not None and self.host.ip is not None:
            offset = yield from sync_clock(
                self.module, ip, port, tries=T.NTP_TRIES, wait=T.NTP_WAIT_S
            )
            if offset is not None:
                self.ntp_offset = offset
                result = T.NTP_RESULT_OK
        self.record("ntp", server=server, result=result, offset=self.ntp_offset)
        self.urc(f"+MIPNTP: {result}")

    # =====================================================================================
    # +GTSET (§1.2.4)
    # =====================================================================================
    @command("+GTSET", forms="s", requires=MIP)
    def gtset(self, ctx: Context, cmd: Command) -> Final:
        cmd.max_params(2)
        feature = cmd.str(0, max_len=16).upper()
        if feature == "SENDTIME":
            self.sendtime = T.GTSET_SENDTIME.arg(cmd, 1)
        elif feature == "IPRFMT":
            new = T.IPRFMT_VALUES.arg(cmd, 1)
            old, self.iprfmt = self.iprfmt, new
            if old == T.IPRFMT_READ and new != old:
                # Leaving read mode: what waited is delivered in the new format.
                for sid in sorted(self.sockets):
                    fs = self.sockets[sid]
                    if fs.odm:
                        continue
                    fs.announced = 0
                    if fs.rx_hold:
                        held = fs.rx_hold.read(len(fs.rx_hold))
                        self._emit_rx(fs, held, fs.remote if fs.udp else None, 0)
                    # TCP data still in the socket follows after the line's result
                    self.later(0.0, self._pump_rx, fs)
        else:
            raise ArgumentError(0, "unknown feature")
        return OK

    # =====================================================================================
    # +MPING (§1.1.14) and +MPINGSTAT (§1.1.15)
    # =====================================================================================
    @command("+MPING", forms="srt", latency="network", requires=MIP_STACK)
    def mping(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final]:
        count, size, ttl, tos, timeout_ms = self.ping_settings
        if cmd.form is Form.TEST:
            return self._test_form(ctx, cmd)
        if cmd.form is Form.READ:
            ctx.info(f"+MPING: {count},{size},{ttl},{tos},{timeout_ms}")
            return OK
        cmd.max_params(7)
        mode = T.PING_MODES.arg(cmd, 0)
        if mode == 0:
            if len(cmd.params) > 1:
                raise ArgumentError(1, "mode 0 takes no other parameter (§1.1.14.1)")
            if self.ping_job is None:
                return err(T.Err.PING_ERROR)
            self.ping_job.abort()
            self.ping_job = None
            return OK
        target = cmd.str(1, max_len=T.HOSTNAME_MAX)
        settings = (
            T.PING_COUNT.arg(cmd, 2, T.PING_COUNT_DEFAULT),
            T.PING_SIZE.arg(cmd, 3, T.PING_SIZE_DEFAULT),
            T.PING_TTL.arg(cmd, 4, T.PING_TTL_DEFAULT),
            T.PING_TOS.arg(cmd, 5, T.PING_TOS_DEFAULT),
            T.PING_TIMEOUT_MS.arg(cmd, 6, T.PING_TIMEOUT_DEFAULT_MS),
        )
        if not (is_dotted_quad(target) or is_sendable_name(target, T.HOSTNAME_MAX)):
            raise ArgumentError(1, "destination")
        if (failure := self._require_call()) is not None:
            return failure
        if self.ping_job is not None:
            return err(T.Err.PING_ERROR)  # "Only one ping request ... at any given moment"
        if mode == 2:
            return err(T.Err.PROTOCOL_ERROR)  # IPv6 ping on the IPv4-only network
        ip = yield from self._resolve(target, T.DNS_SERVICE_SOCKET)
        if ip is None:
            return err(T.Err.DNS_FAIL)
        self.ping_settings = settings
        job = PingJob(self, ip, *settings)
        self.ping_job = job
        self.spawn(job.run())
        return OK

    # =====================================================================================
    # Online data mode (§1.1.18) and pseudo-command mode (§1.1.24)
    # =====================================================================================
    def _odm_socket(self) -> FSocket | None:
        if self.odm_sid is None:
            return None
        fs = self.sockets.get(self.odm_sid)
        return fs if fs is not None and fs.odm else None

    def _odm_start(self, fs: FSocket) -> None:
        """After "+MIPODM: <id>,1" the UART carries the socket's raw data (§1.1.18.1), with no
        CONNECT line; the engine enters data mode once any running line has ended."""
        if self.sockets.get(fs.sid) is not fs:
            return
        self.odm_online = True
        self.module.enter_data_mode(self.odm_link, None)

    def _odm_end(self) -> None:
        """The ODM socket is gone: leave data mode (the +MIPSTAT/+MIPCLOSE URC follows)."""
        self.odm_sid = None
        self.odm_online = False
        session = self.odm_link.session
        if session is not None and session.active:
            session.end(None)

    def _odm_uplink(self, data: bytes) -> int:
        """Bytes the terminal sent in online data mode; returns how many the spool took (the
        rest waits in the UART buffer, with CTS dropped when RTS/CTS is on)."""
        fs = self._odm_socket()
        if fs is None or fs.spool is None:
            return len(data)  # nowhere to go: a real module discards them
        taken = fs.spool.write(data, self.sim.now)
        self._odm_flush(fs, from_uplink=True)
        if taken < len(data) and fs.spool.space > 0:
            # The stack took some at once: ask for the rest on the next turn of the clock.
            self.later(0.0, self._odm_flush, fs)
        return taken

    def _odm_flush(self, fs: FSocket, *, from_uplink: bool = False) -> None:
        spool = fs.spool
        if spool is None:
            return
        if spool.deadline is not None and self.sim.now + 1e-12 >= spool.deadline:
            spool.timer_expired(self.sim.now)
        if fs.tcp is not None:
            chunk = spool.take(fs.tcp.send_space)
            if chunk:
                n = fs.tcp.send(chunk)
                fs.handed += n
                spool.give_back(chunk[n:])
        elif fs.udp is not None and fs.remote is not None:
            while spool.due and spool.data:
                fs.udp.sendto(spool.take(spool.capacity), fs.remote)
        if spool.deadline is not None and (fs.spool_timer is None or not fs.spool_timer.active):
            fs.spool_timer = self.at(spool.deadline, self._odm_spool_timeout, fs)
        session = self.odm_link.session
        if spool.space > 0 and not from_uplink and session is not None and session.active:
            # Room again: let the engine hand over what waits in the UART buffer. (Not from
            # inside on_dte_data: the engine has not yet removed the bytes being handed over.)
            session.resume_input()

    def odm_buffer_figures(self) -> tuple[int, float]:
        """(buffer bytes, spooling timeout s) of §1.1.18.1 for this module's generation."""
        generation = str(self.module.profile.extra.get("radio_generation", "4g")).lower()
        return T.ODM_BY_GENERATION.get(generation, T.ODM_BY_GENERATION["4g"])

    def _odm_spool_timeout(self, fs: FSocket) -> None:
        fs.spool_timer = None
        session = self.odm_link.session
        if session is not None and session.active:
            session.catch_up()  # the bytes of a UART burst that arrived before the deadline
        if self.sockets.get(fs.sid) is fs and fs.spool is not None:
            fs.spool.timer_expired(self.sim.now)
            self._odm_flush(fs)

    def _odm_rx(self, fs: FSocket) -> None:
        if self.odm_online:
            self._odm_downlink()
            return
        # Pseudo-command mode: hold the data and say how much came (§1.1.24.1).
        self._hold(fs)

    def _odm_downlink(self) -> None:
        """Move received data (held first, then the socket's) to the UART as it has room."""
        fs = self._odm_socket()
        session = self.odm_link.session
        if fs is None or session is None or not session.active or session.suspended:
            return
        if fs.rx_hold:
            n = session.to_dte(bytes(fs.rx_hold.data))
            fs.rx_hold.read(n)
            if fs.rx_hold:
                return
        while True:
            room = session.tx_space
            if room <= 0:
                return
            if fs.peer_fin and not self._held(fs):
                self._finish_peer_close(fs)
                return
            if fs.tcp is not None:
                if not self._rx_pending(fs):
                    return
                chunk = bytes(fs.tcp.recv(room))
                fs.announced = max(0, fs.announced - len(chunk))
            else:
                if not fs.rx_udp:
                    return
                chunk = fs.rx_udp.popleft()[0]
            if not chunk:
                return
            n = session.to_dte(chunk)
            if n < len(chunk):
                fs.rx_hold.data[:0] = chunk[n:]  # first out next time (the UART is full)
                return

    def _odm_escape(self) -> str | None:
        """``+++`` with guard times: pseudo-command mode ("OK"), or, with pseudo-command mode
        disabled (<Pseudo-Command Mode> 1), the socket is closed (docs/assumptions.md)."""
        fs = self._odm_socket()
        self.odm_online = False
        if fs is not None and not fs.pseudo_enabled:
            self.later(0.0, self._odm_close_after_escape, fs)
        return "OK"

    def _odm_close_after_escape(self, fs: FSocket) -> None:
        if self.sockets.get(fs.sid) is fs:
            self.spawn(self._close(fs, T.CLOSE_MODE_NO_WAIT))

    def _odm_resume(self) -> str | None:
        """ATO: back to online data mode; what was held is sent at once (§1.1.24.1)."""
        fs = self._odm_socket()
        if fs is None or fs.state != SocketState.OPEN:
            return None
        self.odm_online = True
        # The held data follows CONNECT, once the engine is back in data mode.
        self.later(0.0, self._odm_downlink)
        return "CONNECT"

    def _odm_hangup(self, reason: str) -> None:
        fs = self._odm_socket()
        self.odm_online = False
        if fs is not None:
            self.spawn(self._close(fs, T.CLOSE_MODE_NO_WAIT))


class PingJob:
    """One +MPING request: <count> echo requests one after the other (§1.1.14)."""

    ICMP_TYPES = {  # error kind of simnet.net.icmp -> (type, code) of RFC 792
        "net_unreachable": (3, 0),
        "host_unreachable": (3, 1),
        "protocol_unreachable": (3, 2),
        "port_unreachable": (3, 3),
        "fragmentation_needed": (3, 4),
        "ttl_exceeded": (11, 0),
        "reassembly_timeout": (11, 1),
    }
    INTERVAL_S = 1.0  # between echo requests, like ping(8) (docs/assumptions.md)

    def __init__(
        self,
        dialect: L610Dialect,
        ip: str,
        count: int,
        size: int,
        ttl: int,
        tos: int,
        timeout_ms: int,
    ) -> None:
        self.d = dialect
        self.ip = ip
        self.count = count
        self.size = size
        self.ttl = ttl
        self.tos = tos  # carried for +MPING?; the simulated IP header has no TOS field
        self.timeout = timeout_ms / 1000.0
        self.sent = 0
        self.received = 0
        self.rtts: list[int] = []
        self.stopped = False

    def abort(self) -> None:
        self.stopped = True  # aborted: no summary (§1.1.15.4 status 0 note)

    def _wait_for_memory(self) -> Generator[Any, Any, None]:
        """§1.1.15.4 statuses 3/4: with the uplink queue full the echo request waits ("Flow
        Control OFF") until the queue has drained ("Flow Control ON"), then goes."""
        d = self.d
        if d.uplink_backlog() < T.PING_FLOW_OFF_PACKETS:
            return
        d.urc(f"+MPINGSTAT: {T.PINGSTAT_FLOW_OFF}")
        while d.uplink_backlog() > T.PING_FLOW_ON_PACKETS:
            yield d.sim.timeout(T.PING_FLOW_POLL_S)
            if self.stopped:
                return
        d.urc(f"+MPINGSTAT: {T.PINGSTAT_FLOW_ON}")

    def network_lost(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.d.urc(f"+MPINGSTAT: {T.PINGSTAT_ABORTED}")
            if self.d.ping_job is self:
                self.d.ping_job = None

    def run(self) -> Generator[Any, Any, None]:
        d = self.d
        for _ in range(self.count):
            if self.stopped:
                return
            yield from self._wait_for_memory()
            if self.stopped:
                return
            started = d.sim.now
            req = d.host.ping(self.ip, size=self.size, ttl=self.ttl, timeout=self.timeout)
            self.sent += 1
            result = yield req.event
            if self.stopped:
                return
            if result.ok:
                rtt_ms = int((result.rtt or 0.0) * 1000)
                self.received += 1
                self.rtts.append(rtt_ms)
                d.urc(f'+MPING: "{result.from_ip or self.ip}",0,0,{rtt_ms}')
            elif result.error == "no_network":
                self.network_lost()
                return
            elif result.error in self.ICMP_TYPES:
                icmp_type, code = self.ICMP_TYPES[result.error]
                d.urc(f'+MPING: "{result.from_ip or self.ip}",{icmp_type},{code}')
            else:
                d.urc(f"+MPINGSTAT: {T.PINGSTAT_TIMEOUT}")
            wait = started + self.INTERVAL_S - d.sim.now
            if wait > 0 and self.sent < self.count:
                yield d.sim.timeout(wait)
        if self.stopped:
            return
        summary = f'+MPINGSTAT: {T.PINGSTAT_DONE},"{self.ip}",{self.sent},{self.received}'
        if self.received:
            summary += f",{sum(self.rtts) // self.received}"
        d.urc(summary)
        if d.ping_job is self:
            d.ping_job = None
