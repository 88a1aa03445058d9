"""SIMCom TCP/IP dialect: SIM7600 family (``simcom-sim7600``) and A76xx (``simcom-a7670``).

Every command of the SIM7600 TCP/IP chapter (L1101-L1135) and of the A76xx TCP/IP application
note, on the module's own IP stack (``simnet.net`` Host sockets) and the bearer's PDP context.
Vendor data (error tables, parameter rows, defaults, URC texts, the differences between the two
documents) lives in :mod:`.tables`; the byte-level pieces that need no clock are in
:mod:`.engine`. Parameter-only commands (+CIPHEAD, +CIPSRIP, +CIPSENDMODE, +CIPTIMEOUT,
+CIPCCFG, +CIPDNSSET, +CNMP) are rows the kit answers; the handlers below are the commands that
do something.

Timing is never scripted: AT+NETOPEN answers when the bearer's PDP activation ends, +CIPOPEN
when the TCP handshake ends (or the TCP model gives up after the CIPCCFG retry budget / the
CIPTIMEOUT connect timeout), +CIPSEND in mode 1 when the peer's ACK arrives, +CDNSGIP when the
resolver answers.

Choices where the documents are silent are listed in docs/assumptions.md, section "SIMCom".
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from simnet.bearer.api import PdpContextView
from simnet.bearer.outcomes import Outcome, OutcomeKind
from simnet.errors import ConfigError
from simnet.kernel.procedure import first_of
from simnet.kernel.units import ascii_digits
from simnet.modem.addresses import is_domain_name, is_ipv4
from simnet.modem.at import ERROR, ArgumentError, Command, Final, Form
from simnet.modem.buffers import ByteFifo, ReceiveBuffer
from simnet.modem.dialect import (
    Context,
    DataLink,
    Dialect,
    Latency,
    PromptSpec,
    command,
    setting_command,
)
from simnet.modem.params import ParamStore, Persistence, Setting, Value
from simnet.modem.vendors.simcom import tables
from simnet.modem.vendors.simcom.engine import PingStats, push_header
from simnet.modem.vendors.simcom.tables import (
    CIPCLOSE_FAILURE_ERR,
    CIPOPEN_FAILURE_ERR,
    CLOSED_TEXT,
    CONNECT_FAIL,
    CPING_PARAMS,
    CTRL_Z,
    DNS_GENERAL_ERROR,
    ERR_CODES,
    ESC,
    ETX,
    IP_ERRORS,
    IPCLOSE_REASON,
    LINK_RANGE,
    MAX_RESPONSE_MS,
    PDP_CID,
    PORT_RANGE,
    PUSH_CHUNK_MAX,
    RX_BUFFER_BYTES,
    RXGET_DEFAULT_ASCII,
    RXGET_DEFAULT_HEX,
    RXGET_LEN_RANGE,
    SEND_LENGTH_RANGE,
    SERVER_BACKLOG_DEFAULT,
    SERVER_BACKLOG_RANGE,
    SERVER_RANGE,
    TEST_RESPONSES,
    VARIANTS,
    Variant,
)

if TYPE_CHECKING:
    import simpy

    from simnet.kernel.sim import Timer
    from simnet.modem.module import DataSession
    from simnet.net.dns import DnsResult
    from simnet.net.icmp import PingResult
    from simnet.net.tcp import TcpConfig, TcpListener, TcpSocket

TRANSPARENT_FLUSH_IDLE = 0.020  # assumption: transparent-mode packing timer (s)
PUSH_RETRY = 0.010  # s between checks while pushed data waits for UART room or a command
TRANSPARENT_FLUSH_SIZE = 1460  # assumption: one MSS of DTE data per segment/datagram


@functools.lru_cache(maxsize=64)
def _tcp_config_of(
    retries: Value, timeout_ms: Value, cipopen_ms: Value, keepalive: tuple[Value, ...] | None
) -> TcpConfig:
    """The TcpConfig of these CIPCCFG / CIPTIMEOUT / CTCPKA values: built once per process for
    each set of values (every CIPOPEN asks; nothing changes a TcpConfig after it is made)."""
    from simnet.net.tcp import TcpConfig
    from simnet.net.tcp_engine import KeepaliveConfig

    base = TcpConfig()
    min_rto = int(timeout_ms) / 1000.0
    changes: dict[str, Any] = {
        "syn_retries": retries,
        "data_retries": retries,
        "min_rto": min_rto,
        "initial_rto": max(base.initial_rto, min_rto),
        "max_rto": max(base.max_rto, min_rto),
        "connect_timeout": min(int(cipopen_ms), MAX_RESPONSE_MS["CIPOPEN"]) / 1000.0,
    }
    if keepalive is not None:
        idle, interval, count = keepalive
        changes["keepalive"] = KeepaliveConfig(
            idle=int(idle) * 60.0, interval=float(interval), count=int(count))
    return dataclasses.replace(base, **changes)


def _push_rows_in_profile(params: ParamStore) -> bool:
    """Whether a row the push framing reads lives in the module's profile (ATZ / AT&F change
    it without the store counting it): then the framing is checked table by table."""
    return any(
        params.rows[name].persistence == Persistence.PROFILE
        for name in ("+CIPCCFG", "+CIPSRIP", "+CIPHEAD")
    )


def _valid_target(text: str) -> bool:
    """S76 L1103 <serverIP>: an IPv4 address or a domain name."""
    return is_ipv4(text) or is_domain_name(text)


class NetState(StrEnum):
    """AT+NETOPEN state of the socket service."""

    CLOSED = "closed"
    OPENING = "opening"
    OPEN = "open"
    CLOSING = "closing"
    LOST = "lost"  # the network went away; the host must close the links and NETCLOSE


class LinkState(StrEnum):
    CONNECTING = "connecting"
    RESOLVING = "resolving"  # a UDP link waiting for its server's address
    OPEN = "open"
    DEAD = "dead"  # the network was lost; freed by AT+CIPCLOSE / AT+NETCLOSE
    CLOSING = "closing"
    FAILED = "failed"


@functools.lru_cache(maxsize=SEND_LENGTH_RANGE[1] + 1)
def _fixed_length_prompt(length: int) -> PromptSpec:
    """L1105 AT+CIPSEND=<link>,<length>: ">" then exactly <length> bytes. One spec a length
    (a frozen dataclass, shared): a bulk upload asks for the same one at every command."""
    return PromptSpec(prompt=b"\r\n>", terminator=None, cancel=None, length=length, max_len=length)


@dataclass
class Link:
    """One of the ten sockets (<link_num> 0-9)."""

    index: int
    kind: str  # "TCP" | "UDP"
    server_ip: str  # as AT+CIPOPEN? prints it
    server_port: int
    server_index: int = -1  # -1 client, 0-3 the listening server that accepted it
    sock: Any = None  # TcpSocket | UdpSocket
    state: LinkState = LinkState.CONNECTING
    transparent: bool = False
    data_link: TransparentLink | None = None
    udp_remote: tuple[str, int] | None = None  # default destination (transparent UDP)
    sent_total: int = 0  # bytes accepted into the TCP send buffer, for CIPSENDMODE=1
    pending_acks: list[tuple[int, int, int, Timer]] = field(default_factory=list)
    done: simpy.Event | None = None  # event a transparent AT+CIPOPEN waits on (True: connected)
    push_retry: Timer | None = None  # timer while pushed data waits for the UART
    fin_pending: bool = False  # the peer closed while pushed data still waited for the UART
    close_waiter: simpy.Event | None = None


class _ClientLinkEvents:
    """The TCP socket callbacks of a client link (AT+CIPOPEN), each through
    ``Dialect.call_guarded`` (a bug is traced, never raised into the stack): one object with
    five methods instead of five wrapped closures per connection."""

    __slots__ = ("dialect", "link", "done")

    def __init__(self, dialect: SimcomDialect, link: Link, done: simpy.Event | None) -> None:
        self.dialect = dialect
        self.link = link
        self.done = done

    def connected(self, _sock: Any) -> None:
        self.dialect.call_guarded(self.dialect._on_connected, self.link, self.done)

    def closed(self, _sock: Any, reason: str) -> None:
        self.dialect.call_guarded(self.dialect._on_tcp_closed, self.link, reason, self.done)

    def data(self, _sock: Any) -> None:
        self.dialect.call_guarded(self.dialect._on_tcp_data, self.link)

    def peer_fin(self, _sock: Any) -> None:
        self.dialect.call_guarded(self.dialect._on_peer_fin, self.link)

    def acked(self, _sock: Any, _n: int) -> None:
        self.dialect.call_guarded(self.dialect._on_acked, self.link)


@dataclass
class Server:
    index: int
    port: int
    listener: TcpListener | None


class SimcomDialect(Dialect):
    """Handlers shared by both modules; the subclasses only pick their document's variant."""

    variant: Variant = VARIANTS["simcom-sim7600"]
    prompt_echo = True  # the documents' examples show the typed data after ">" (">HELLO")
    data_mode_urcs = "hold"
    cgpaddr_quoted = False  # "+CGPADDR: 1,10.64.0.2" (SIM7600 / A76XX manual examples)
    # SIMCom's TCP/IP commands answer a bad parameter with a plain ERROR (S76 L1108-L1113
    # "Else, response: ERROR"); the 3GPP base commands keep their +CME ERROR.
    own_bad_argument: Final | None = ERROR
    latencies: Mapping[str, Latency] = tables.LATENCY
    settings: tuple[Setting, ...] = (tables.CIPHEAD, tables.CIPSRIP, tables.CIPSENDMODE,
                                     tables.CIPTIMEOUT, tables.CIPCCFG, tables.CIPDNSSET)
    sms_format = tables.SMS  # TS 27.005 formats (tables.py)

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.escape_gap_max = self.variant.plus_gap_max  # A76 1.5.4: <= 900 ms between '+'
        self.net_state = NetState.CLOSED
        self.links: list[Link | None] = [None] * (LINK_RANGE[1] + 1)
        capacity = int(module.profile.extra.get("rx_buffer", RX_BUFFER_BYTES))
        self.rx: list[ReceiveBuffer] = [ReceiveBuffer(capacity) for _ in self.links]
        self.rx_remote: list[tuple[str, int] | None] = [None] * len(self.links)
        self.servers: list[Server | None] = [None] * (SERVER_RANGE[1] + 1)
        self.rx_mode = 0  # AT+CIPRXGET <mode> 0 (push) / 1 (buffer)
        # The push framing last used: (CIPCCFG, CIPSRIP, CIPHEAD tables, link, remote, header
        # before the length, whether the length follows, DelayTm in seconds). A setting
        # command stores a new table (ParamStore.set), so the tables' identity says whether
        # the framing still holds.
        self._push_framing: tuple[Any, ...] | None = None
        self.ping: PingSession | None = None
        self.dns_servers: list[str] = []  # AT+CDNSCFG (empty: the network's)

    def on_power_off(self) -> None:
        if self.ping is not None:
            self.ping.active = False
        if self.module.host is not None:
            self.host.resolver.set_servers(None)  # AT+CDNSCFG is not kept over a restart

    # -- shared output helpers --------------------------------------------------------------------
    def ip_error(self, ctx: Context, key: str) -> Final:
        """``+IP ERROR: <err_info>`` then ERROR; numeric or text per CIPCCFG <errMode>."""
        ctx.info(f"+IP ERROR: {self._ip_error_detail(key)}")
        return ctx.error()

    def _ip_error_detail(self, key: str) -> str:
        row = IP_ERRORS[key]
        return row.text if self.params["+CIPCCFG"]["errMode"] == 1 else str(row.code)

    @staticmethod
    def err_code(key: str) -> int:
        return ERR_CODES[key].code

    def _switch(self, name: str) -> Value:
        return self.params[name]["mode"]

    @property
    def module_id(self) -> str:
        return self.variant.module_id

    # -- parameter helpers ------------------------------------------------------------------------
    @staticmethod
    def _link_param(cmd: Command, i: int = 0) -> int | None:
        """<link_num> 0-9, or None when missing, not a number or out of range."""
        try:
            return cmd.int(i, lo=LINK_RANGE[0], hi=LINK_RANGE[1])
        except ArgumentError:
            return None

    def _tcp_config(self) -> TcpConfig:
        """TcpConfig from CIPCCFG <NmRetry>/<TimeoutVal>, CIPTIMEOUT <cipopen_timeout> and the
        A76XX AT+CTCPKA keepalive."""
        ccfg, timeouts = self.params["+CIPCCFG"], self.params["+CIPTIMEOUT"]
        ka = self.params["+CTCPKA"] if "+CTCPKA" in self.params else None
        keepalive = (
            (ka["keepidle"], ka["keepinterval"], ka["keepcount"])
            if ka is not None and ka["keepalive"] else None
        )
        return _tcp_config_of(
            ccfg["NmRetry"], ccfg["TimeoutVal"], timeouts["cipopen_timeout"], keepalive
        )

    # =============================================================================================
    # AT+CRESET (SIM7600 / A76XX AT command manuals, "Reset module"): OK, then the module
    # restarts like a fresh one (tables.BOOT: boot time and lines).
    # =============================================================================================
    @command("+CRESET", forms="te")
    def creset(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.EXEC:
            self.module.sim.call_later(0, self.module.reboot, "creset")
        return ctx.ok()

    # =============================================================================================
    # Commands host drivers send at start-up (TinyGSM, m5stack uiflow, esp_modem), formats of
    # the SIM7600 / A76XX AT command manuals; vendor data in tables.py.
    # =============================================================================================
    @command("+CICCID", forms="te", latency="sim")
    def ciccid(self, ctx: Context, cmd: Command) -> Final:
        """Read the ICCID from the SIM: ``+ICCID: <ICCID>`` (readable before the PIN)."""
        if cmd.form is Form.TEST:
            return ctx.ok()
        bearer = ctx.bearer
        card = bearer.sim_card if bearer is not None else None
        if card is None or card.state == "absent":
            return ctx.cme(10)  # SIM not inserted
        if card.state == "off":
            return ctx.cme(13)  # still being read after power-on: SIM failure
        ctx.info(f"+ICCID: {card.config.iccid}")
        return ctx.ok()

    @command("+CBC", forms="te")
    def cbc(self, ctx: Context, cmd: Command) -> Final:
        """Supply voltage: ``+CBC: 3.800V``."""
        if cmd.form is Form.EXEC:
            ctx.info(f"+CBC: {tables.SUPPLY_VOLTS:.3f}V")
        return ctx.ok()

    @command("+CPMUTEMP", forms="te")
    def cpmutemp(self, ctx: Context, cmd: Command) -> Final:
        """Module temperature: ``+CPMUTEMP: <°C>``."""
        if cmd.form is Form.EXEC:
            ctx.info(f"+CPMUTEMP: {tables.MODULE_TEMPERATURE_C}")
        return ctx.ok()

    @command("+CSPN", forms="tr", latency="sim")
    def cspn(self, ctx: Context, cmd: Command) -> Final:
        """Service provider name from the SIM: ``+CSPN: "<spn>",<display mode>``."""
        if cmd.form is Form.TEST:
            return ctx.ok()
        bearer = ctx.bearer
        card = bearer.sim_card if bearer is not None else None
        if bearer is None or card is None or not card.ready:
            return ctx.cme(10 if card is None or card.state == "absent" else 13)
        operator = bearer.operator
        ctx.info(f'+CSPN: "{operator.name if operator is not None else "SIMNET"}",0')
        return ctx.ok()

    @command("+CPSI", forms="tr", latency="query")
    def cpsi(self, ctx: Context, cmd: Command) -> Final:
        """UE system information: ``+CPSI: NO SERVICE,Online`` or, registered,
        ``+CPSI: LTE,Online,<MCC>-<MNC>,<TAC>,<SCellID>,<PCellID>,<band>,<earfcn>,<dlbw>,
        <ulbw>,<RSRQ>,<RSRP>,<RSSI>,<RSSNR>`` (GSM: ``GSM,Online,<MCC>-<MNC>,<LAC>,<CellID>,
        <ARFCN>,<RxLev>,<TA>,<C1>,<C2>``) from the serving cell the radio reports."""
        if cmd.form is Form.TEST:
            return ctx.ok()
        bearer = ctx.bearer
        radio = bearer.radio if bearer is not None else None
        fun = self.module.base.fun_level
        if bearer is None or radio is None or fun != 1 or not (
                radio.registered("ps") or radio.registered("cs")):
            ctx.info("+CPSI: NO SERVICE,Online" if fun == 1 else "+CPSI: NO SERVICE,Low Power Mode")
            return ctx.ok()
        plmn = bearer.operator.plmn if bearer.operator is not None else "00101"
        mcc_mnc = f"{plmn[:3]}-{plmn[3:]}"
        rssi, _ber = radio.csq()
        dbm = -113 + 2 * rssi if rssi != 99 else -113
        profile = bearer.profile
        mode = profile.cpsi if profile is not None and profile.cpsi else (
            "LTE" if radio.act == 7 else "GSM")
        if mode.startswith("LTE"):
            # RSRP over 50 resource blocks of 12 subcarriers (10 MHz): RSSI - 10*log10(600).
            # System mode, band, EARFCN and bandwidth fields as SIM7000/SIM7600 logs show them
            # for LTE, "LTE CAT-M1" and "LTE NB-IOT" (NB-IoT cells report bandwidth 0,0).
            rsrp = dbm - 28
            band, earfcn, bw = tables.CPSI_LTE_CELLS.get(mode, tables.CPSI_LTE_CELLS["LTE"])
            ctx.info(f"+CPSI: {mode},Online,{mcc_mnc},0x{radio.lac},{int(radio.ci, 16)},1,"
                     f"{band},{earfcn},{bw},-100,{rsrp * 10},{dbm * 10},10")
        else:
            ctx.info(f"+CPSI: GSM,Online,{mcc_mnc},0x{radio.lac},{int(radio.ci, 16)},62,"
                     f"{dbm + 111},0,{dbm + 111},{dbm + 111}")
        return ctx.ok()

    @setting_command(tables.CNTP)
    def cntp(self, ctx: Context, cmd: Command) -> Final | None:
        """``AT+CNTP="<server>"[,<tz>]`` stores the server and time zone (a row); ``AT+CNTP``
        answers OK, asks the server over the PDP context and reports ``+CNTP: <err>`` (0: the
        module clock, AT+CCLK, now shows the server's time)."""
        if cmd.form is not Form.EXEC:
            return self.setting(ctx, cmd, tables.CNTP)
        server, tz = str(self.params["+CNTP"]["server"]), int(self.params["+CNTP"]["tz"])
        if not server:
            return ctx.error()
        self.spawn(self._cntp_process(server, tz))
        return ctx.ok()

    def _cntp_process(self, server: str, tz: int) -> Generator[Any, Any, None]:
        from simnet.modem.ntp_client import sync_clock

        result = tables.CNTP_RESULT["network"]
        if self.host.ip is not None:
            ip: str | None = server
            if not is_ipv4(server):
                found = yield self._resolve(server)
                ip = found.addresses[0] if found.ok and found.addresses else None
            if ip is not None:
                offset = yield from sync_clock(self.module, ip, tries=tables.CNTP_TRIES,
                                               wait=tables.CNTP_WAIT_S)
                result = tables.CNTP_RESULT["ok" if offset is not None else "timeout"]
                if offset is not None:
                    self.module.base.tz_quarters = tz
        self.record("cntp", server=server, result=result)
        self.urc(f"+CNTP: {result}")

    @setting_command(tables.CTCPKA)
    def ctcpka(self, ctx: Context, cmd: Command) -> Final | None:
        """A76XX TCP keepalive for the sockets opened afterwards (a row). A real A7670 answers
        ERROR before AT+NETOPEN (docs/driver-conformance.md)."""
        return self.setting(ctx, cmd, tables.CTCPKA, guard=self._network_must_be_open)

    def _network_must_be_open(self, ctx: Context, new: dict[str, Value]) -> Final | None:
        return None if self.net_state == NetState.OPEN else ctx.error()

    @command("+CDNSCFG", forms="trs")
    def cdnscfg(self, ctx: Context, cmd: Command) -> Final:
        """A76XX DNS servers the module's resolver uses from now on (instead of the ones the
        network gave with the PDP context): ``AT+CDNSCFG="<pri>"[,"<sec>"]``."""
        if cmd.form is Form.TEST:
            ctx.info('+CDNSCFG: ("0-255.0-255.0-255.0-255"),("0-255.0-255.0-255.0-255")')
            return ctx.ok()
        resolver = self.host.resolver
        if cmd.form is Form.READ:
            servers = resolver.servers + ["0.0.0.0", "0.0.0.0"]
            ctx.info(f"+CDNSCFG: PrimaryDns:{servers[0]}", f"SecondaryDns:{servers[1]}")
            return ctx.ok()
        cmd.max_params(2)
        servers = [cmd.str(i, max_len=15) for i in range(len(cmd.params)) if cmd.has(i)]
        if not servers or not all(is_ipv4(x) for x in servers):
            return ctx.error()
        self.dns_servers = servers
        resolver.set_servers(servers)
        return ctx.ok()

    # =============================================================================================
    # L1101 / L1102  AT+NETOPEN, AT+NETCLOSE
    # =============================================================================================
    @command("+NETOPEN", forms="er", latency="network")
    def netopen(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.READ:
            opened = self.net_state in (NetState.OPEN, NetState.CLOSING)
            ctx.info(f"+NETOPEN: {1 if opened else 0}")
            return ctx.ok()
        if self.net_state == NetState.OPEN:
            return self.ip_error(ctx, "network_already_opened")
        if self.net_state in (NetState.OPENING, NetState.CLOSING):
            return ctx.error()
        self.listen_packet_service()
        self.net_state = NetState.OPENING
        self.spawn(self._netopen_process())
        return ctx.ok()

    def _netopen_process(self) -> Generator[Any, Any, None]:
        sim = self.module.sim
        gprs = self.packet_service()
        if gprs is None:  # a module without a packet service: the network cannot be opened
            self.net_state = NetState.CLOSED
            self.urc(f"+NETOPEN: {self.err_code('network_failure')}")
            return
        # Never set by +CGDCONT: the module's default context (empty APN, the subscriber's
        # default), as on a fresh module and as ATD*99# does (docs/assumptions.md, SIMCom).
        self.module.base.ensure_context(PDP_CID)
        activation = gprs.activate(PDP_CID)
        limit_ms = min(
            int(self.params["+CIPTIMEOUT"]["netopen_timeout"]), MAX_RESPONSE_MS["NETOPEN"]
        )
        limit = sim.timeout(limit_ms / 1000.0)
        yield activation | limit
        outcome: Outcome | None = None
        if activation.triggered:
            outcome = activation.value
            assert isinstance(outcome, Outcome)
            ok = outcome.ok or (outcome.kind == OutcomeKind.INVALID_STATE and self.host.is_up)
        else:  # CIPTIMEOUT <netopen_timeout> reached before the network answered
            ok = False
            gprs.deactivate(PDP_CID)
        self.record(
            "netopen", ok=ok, outcome=str(outcome.kind) if outcome is not None else "timeout"
        )
        if self.net_state != NetState.OPENING:
            return
        if ok:
            self.net_state = NetState.OPEN
            self.urc("+NETOPEN: 0")
        else:
            self.net_state = NetState.CLOSED
            self.urc(f"+NETOPEN: {self.err_code('network_failure')}")

    @command("+NETCLOSE", forms="e", latency="network")
    def netclose(self, ctx: Context, cmd: Command) -> Final:
        if self.net_state != NetState.OPEN:
            for link in self.links:
                if link is not None and link.state == LinkState.DEAD:
                    self._release(link, local_reason=False)  # what the network loss left
            ctx.info(f"+NETCLOSE: {self.err_code('network_not_opened')}")
            return ctx.error()
        self.net_state = NetState.CLOSING
        self.spawn(self._netclose_process())
        return ctx.ok()

    def _netclose_process(self) -> Generator[Any, Any, None]:
        # S76 L1102: NETCLOSE also closes every socket still open (reported as closed by local).
        for link in list(self.links):
            if link is not None:
                self._release(link, local_reason=True)
        self._close_servers()
        gprs = self.packet_service()
        if gprs is not None:
            yield gprs.deactivate(PDP_CID)
        yield self.module.sim.timeout(self.latency("netclose"))
        self.net_state = NetState.CLOSED
        self.urc("+NETCLOSE: 0")

    def _close_servers(self) -> None:
        for server in list(self.servers):
            if server is not None:
                if server.listener is not None:
                    server.listener.close()
                self.servers[server.index] = None

    def on_packet_service_event(self, context: PdpContextView, outcome: Outcome) -> None:
        """Any loss of the socket context while open is "network closed"."""
        if self.net_state not in (NetState.OPEN, NetState.OPENING) or self.host.is_up:
            return
        self._network_lost()

    def _network_lost(self) -> None:
        if self.net_state != NetState.OPEN:
            return  # still opening: the activation outcome reports it
        self.net_state = NetState.LOST
        self.record("network_lost")
        for link in self.links:
            if link is None:
                continue
            if link.state == LinkState.CONNECTING:
                self._connect_failed(link, "network_down")
                continue
            link.state = LinkState.DEAD
            if link.transparent and link.data_link is not None:
                link.data_link.end(CLOSED_TEXT)
        self._close_servers()
        # A76 4.2: the host must close every socket itself, then NETCLOSE (links stay allocated).
        self.urc(self.variant.network_lost_urc)

    # =============================================================================================
    # L1103  AT+CIPOPEN
    # =============================================================================================
    @command("+CIPOPEN", forms="trs", latency="network")
    def cipopen(self, ctx: Context, cmd: Command) -> Any:
        if cmd.form is Form.TEST:
            ctx.info(TEST_RESPONSES["CIPOPEN"])
            return ctx.ok()
        if cmd.form is Form.READ:
            lines = []
            for i, link in enumerate(self.links):
                if link is None or link.state == LinkState.CONNECTING:
                    lines.append(f"+CIPOPEN: {i}")
                else:
                    lines.append(
                        f'+CIPOPEN: {i},"{link.kind}","{link.server_ip}",{link.server_port},'
                        f"{link.server_index}"
                    )
            ctx.info(*lines)
            return ctx.ok()
        return self._cipopen_set(ctx, cmd)

    def _cipopen_set(self, ctx: Context, cmd: Command) -> Any:
        index = self._link_param(cmd)
        if index is None:
            if cmd.has(0) and ascii_digits(cmd.params[0].value or ""):
                return self.ip_error(ctx, "invalid_parameter")  # S76 L1103 link > range
            return ctx.error()
        transparent = self._switch("+CIPMODE") == 1
        if transparent and index != 0:
            return self.ip_error(ctx, "invalid_parameter")  # S76 L1103: only link 0

        def fail(key: str) -> Final:
            ctx.info(f"+CIPOPEN: {index},{self.err_code(key)}")
            return ctx.error()

        try:
            kind = cmd.str(1).upper()
        except ArgumentError:
            return fail("wrong_parameter")
        if kind not in ("TCP", "UDP") or len(cmd.params) > 5:
            return fail("wrong_parameter")
        if self.net_state != NetState.OPEN:
            return fail("network_not_opened")
        if self.links[index] is not None:
            return fail("not_supported")  # the link is in use
        if transparent and any(lk is not None and lk.transparent for lk in self.links):
            return fail("not_supported")
        try:
            server = cmd.str(2, "", max_len=254)
            port = cmd.int(3, lo=PORT_RANGE[0], hi=PORT_RANGE[1]) if cmd.has(3) else None
            local_port = cmd.int(4, lo=PORT_RANGE[0], hi=PORT_RANGE[1]) if cmd.has(4) else None
        except ArgumentError:
            return fail("wrong_parameter")
        if kind == "TCP":
            if not server or port is None or port == 0:
                return fail("wrong_parameter")  # L1103: port 0 is invalid
            if not _valid_target(server):
                return fail("wrong_parameter")
            local_port = local_port or None  # <localPort> 0: any free port, as a bind to 0
            if local_port is not None and self.host.tcp_port_in_use(local_port):
                return fail("bind_failed")  # A76 4.1 <err> 6, as the UDP bind answers
            return self._open_tcp(ctx, index, server, port, local_port, transparent)
        # UDP
        if transparent and (not server or port is None):
            return fail("wrong_parameter")  # L1103: transparent UDP needs the server
        if server and not _valid_target(server):
            return fail("wrong_parameter")
        return self._open_udp(ctx, index, server, port, local_port, transparent)

    # -- TCP client -------------------------------------------------------------------------------
    def _open_tcp(
        self,
        ctx: Context,
        index: int,
        server: str,
        port: int,
        local_port: int | None,
        transparent: bool,
    ) -> Any:
        link = Link(index, "TCP", server, port, transparent=transparent)
        self.links[index] = link
        self.rx[index].clear()
        self.rx_remote[index] = None
        if not transparent:  # +CIPOPEN: <link>,<err> follows as a URC: nothing waits
            self.spawn(self._connect_process(link, local_port, None))
            return ctx.ok()
        done = link.done = self.module.sim.event()
        self.spawn(self._connect_process(link, local_port, done), done)
        return self._await_transparent(ctx, link, done)

    def _await_transparent(
        self, ctx: Context, link: Link, done: simpy.Event
    ) -> Generator[Any, Any, Final]:
        ok = yield done
        if not ok or self.links[link.index] is not link:
            return ctx.text(CONNECT_FAIL, error=True)
        data_link = TransparentLink(self, link)
        link.data_link = data_link
        return ctx.connect(data_link, self.connect_rate())

    def _connect_process(
        self, link: Link, local_port: int | None, done: simpy.Event | None
    ) -> Generator[Any, Any, None]:
        sim = self.module.sim
        yield self.latency("cipopen")
        target = link.server_ip
        started = sim.now
        if not is_ipv4(target):
            result = yield self._resolve(target)
            if not result.ok or not result.addresses:
                self._connect_failed(link, "dns", done)
                return
            target = result.addresses[0]
            link.server_ip = target
        if self.links[link.index] is not link or link.state != LinkState.CONNECTING:
            if done is not None and not done.triggered:
                done.succeed(False)
            return
        config = self._tcp_config()
        spent = sim.now - started
        if spent > 0 and config.connect_timeout is not None:
            # The CIPTIMEOUT budget covers the name lookup too (S76 L1103 <serverIP> note).
            remaining = max(0.001, config.connect_timeout - spent)
            config = dataclasses.replace(config, connect_timeout=remaining)
        if local_port is not None and self.host.tcp_port_in_use(local_port):
            self._connect_failed(link, "bind", done)  # taken while the name was resolved
            return
        try:
            sock = self.host.tcp_connect(target, link.server_port, config, local_port=local_port)
        except ConfigError:
            self._connect_failed(link, "local", done)
            return
        link.sock = sock
        events = _ClientLinkEvents(self, link, done)
        sock.on_connected = events.connected
        sock.on_closed = events.closed
        sock.on_data = events.data
        sock.on_peer_fin = events.peer_fin
        sock.on_acked = events.acked

    def _resolve(self, name: str) -> simpy.Event:
        """A lookup with the CIPDNSSET retry budget; the event's value is the DnsResult."""
        from simnet.net.dns import DnsResolverConfig

        resolver = self.host.resolver
        attempts = min(10, int(self.params["+CIPDNSSET"]["max_query_retries"]) + 1)
        if resolver.config.attempts != attempts:
            resolver.config = DnsResolverConfig(timeout=resolver.config.timeout, attempts=attempts)
        return resolver.resolve(name).event

    def _on_connected(self, link: Link, done: simpy.Event | None) -> None:
        if self.links[link.index] is not link:
            return
        link.state = LinkState.OPEN
        self.record("connected", link=link.index, remote=f"{link.server_ip}:{link.server_port}")
        if not link.transparent:
            self.urc(f"+CIPOPEN: {link.index},0")
        if done is not None and not done.triggered:
            done.succeed(True)

    def _connect_failed(self, link: Link, reason: str, done: simpy.Event | None = None) -> None:
        if link.state == LinkState.FAILED:
            return  # already reported (e.g. the network went down during the lookup)
        link.state = LinkState.FAILED
        done = done if done is not None else link.done
        if self.links[link.index] is link:
            self.links[link.index] = None
        err = self.err_code(CIPOPEN_FAILURE_ERR.get(reason, "unknown"))
        self.record("connect_failed", link=link.index, reason=reason, err=err)
        if not link.transparent:
            self.urc(f"+CIPOPEN: {link.index},{err}")
        if done is not None and not done.triggered:
            done.succeed(False)

    def _on_tcp_closed(self, link: Link, reason: str, done: simpy.Event | None = None) -> None:
        """The TCP model ended the connection (any reason)."""
        if link.state == LinkState.CONNECTING:
            if self.links[link.index] is link:
                self._connect_failed(link, reason, done)
            return
        if link.close_waiter is not None and not link.close_waiter.triggered:
            link.close_waiter.succeed(reason)
        if self.links[link.index] is not link or link.state in (LinkState.CLOSING, LinkState.DEAD):
            return
        if reason == "network_down":
            # The bearer listener reports the loss; the link stays until AT+CIPCLOSE.
            link.state = LinkState.DEAD
            if self.net_state == NetState.OPEN and not self.host.is_up:
                self._network_lost()
            return
        self._passive_close(link, IPCLOSE_REASON.get(reason, 1))

    def _on_peer_fin(self, link: Link) -> None:
        # The peer closed: take what is left into the module buffer, close our side and report.
        if self.links[link.index] is not link or link.state != LinkState.OPEN:
            return
        self._on_tcp_data(link)
        if self._push_waiting(link):
            # Direct push with the UART full: the rest is pushed as the UART drains, and
            # +IPCLOSE follows the last byte (closing now would lose it silently).
            link.fin_pending = True
            return
        self._passive_close(link, IPCLOSE_REASON["peer_closed"])

    def _push_waiting(self, link: Link) -> bool:
        """Received data still waits in the socket for the UART (direct push, or a transparent
        link in data mode): closing now would lose it."""
        sock = link.sock
        if sock is None or not sock.readable:
            return False
        if link.transparent:
            return link.data_link is not None and link.data_link.draining()
        return self.rx_mode != 1

    def _passive_close(self, link: Link, reason_code: int) -> None:
        self.links[link.index] = None
        link.state = LinkState.CLOSING
        self._fail_pending_acks(link)
        if link.sock is not None:
            link.sock.close()
        self.record("ipclose", link=link.index, reason=reason_code)
        if link.transparent and link.data_link is not None and link.data_link.active:
            link.data_link.end(CLOSED_TEXT)
        else:
            self.urc(f"+IPCLOSE: {link.index},{reason_code}")

    def _release(self, link: Link, *, local_reason: bool) -> None:
        """Free a link at once (NETCLOSE): close the socket, report +IPCLOSE: n,0."""
        self.links[link.index] = None
        was = link.state
        link.state = LinkState.CLOSING
        self._fail_pending_acks(link)
        if link.sock is not None:
            link.sock.close()
        if link.data_link is not None:
            link.data_link.detach()
            self.module.hangup_data("netclose")
        if local_reason and was in (LinkState.OPEN, LinkState.DEAD):
            self.urc(f"+IPCLOSE: {link.index},{IPCLOSE_REASON['local']}")

    # -- receive path -----------------------------------------------------------------------------
    def _on_tcp_data(self, link: Link) -> None:
        if self.links[link.index] is not link:
            return  # closed by the host: what still arrives is not shown
        sock = link.sock
        if sock is None:
            return
        if link.transparent and link.data_link is not None:
            link.data_link.pump()
            return
        remote = (link.server_ip, link.server_port)
        if self.rx_mode == 1:
            buf = self.rx[link.index]
            while buf.space and sock.readable:
                chunk = sock.recv(buf.space)
                if not chunk:
                    break
                self._buffer(link.index, chunk, remote)
            return
        # Direct push: take from the socket only what the UART can carry now, so a host that
        # reads slowly back-pressures the peer through the TCP window instead of losing bytes.
        framing = self._framing(link.index, remote)
        if framing[7] == 0:  # no CIPCCFG <DelayTm>: the module's own push loop
            if not self.module.push_from(sock, framing[5], framing[6], PUSH_CHUNK_MAX, 64):
                if link.push_retry is None:
                    link.push_retry = self.later(PUSH_RETRY, self._retry_push, link)
            return
        m = self.module
        while sock.readable:
            room = m.port.space - 64  # header bytes
            if room <= 0 or not m.command_idle:
                if link.push_retry is None:
                    link.push_retry = self.later(PUSH_RETRY, self._retry_push, link)
                return
            chunk = sock.recv(min(PUSH_CHUNK_MAX, room))
            if not chunk:
                break
            self._push(link.index, chunk, remote)

    def _retry_push(self, link: Link) -> None:
        link.push_retry = None
        self._on_tcp_data(link)
        if link.fin_pending and self.links[link.index] is link and not self._push_waiting(link):
            link.fin_pending = False
            self._passive_close(link, IPCLOSE_REASON["peer_closed"])

    def _buffer(self, index: int, data: bytes, remote: tuple[str, int]) -> int:
        stored, due = self.rx[index].append(data)
        self.rx_remote[index] = remote
        if due:
            self.urc(f"+CIPRXGET: 1,{index}")
        return stored

    def _push(self, index: int, data: bytes, remote: tuple[str, int] | None) -> None:
        framing = self._framing(index, remote)
        prefix = framing[5]
        if framing[6]:
            out = b"%b%d\r\n%b" % (prefix, len(data), data)
        else:
            out = prefix + data
        delay = framing[7]
        if delay > 0:
            self.later(delay, self.urc_raw, out)
        else:
            self.module.urc_raw(out)

    def _framing(self, index: int, remote: tuple[str, int] | None) -> tuple[Any, ...]:
        """How data pushed on link ``index`` is framed now (``_push_framing``): the header
        before its length, whether a length line is shown, the DelayTm hold in seconds."""
        params = self.params
        framing = self._push_framing
        if (
            framing is not None
            and framing[8] is params
            and framing[9] == params.version  # -1 (never) when a row is a profile row
            and framing[3] == index
            and framing[4] == remote
        ):
            return framing  # no setting changed through the store since it was worked out
        ccfg, srip, head = params["+CIPCCFG"], params["+CIPSRIP"], params["+CIPHEAD"]
        if (
            framing is None
            or framing[0] is not ccfg
            or framing[1] is not srip
            or framing[2] is not head
            or framing[3] != index
            or framing[4] != remote
        ):
            show_header = head["mode"] == 1
            # The header of a push of length 0 ends in "0\r\n" exactly when a length line
            # is shown: cut there, the length is put back per push.
            empty = push_header(
                show_remote=srip["mode"] == 1,
                show_header=show_header,
                header_type=int(ccfg["HeaderType"]),
                link=index,
                remote=remote,
                length=0,
            )
            prefix = empty[:-3] if show_header else empty
            # CIPCCFG <DelayTm>: hold received data this long
            delay = int(ccfg["DelayTm"]) / 1000.0
        else:
            prefix, show_header, delay = framing[5], framing[6], framing[7]
        version = -1 if _push_rows_in_profile(params) else params.version
        framing = (ccfg, srip, head, index, remote, prefix, show_header, delay, params, version)
        self._push_framing = framing
        return framing

    def _refill(self, index: int) -> None:
        """After the host read from the buffer, take more from the socket (TCP flow control)."""
        link = self.links[index]
        if (
            link is not None
            and link.kind == "TCP"
            and link.sock is not None
            and not link.transparent
        ):
            self._on_tcp_data(link)

    # -- UDP --------------------------------------------------------------------------------------
    def _open_udp(
        self,
        ctx: Context,
        index: int,
        server: str,
        port: int | None,
        local_port: int | None,
        transparent: bool,
    ) -> Any:
        if local_port is None and not transparent:
            ctx.info(f"+CIPOPEN: {index},{self.err_code('wrong_parameter')}")
            return ctx.error()  # A76 3.3.1: the local port must be specified
        if server and not is_ipv4(server):
            # L1103 <serverIP>: "the domain name is supported here" (for UDP as for TCP).
            return self._open_udp_by_name(ctx, index, server, port, local_port, transparent)
        return self._bind_udp(ctx, index, server, port, local_port, transparent)

    def _open_udp_by_name(
        self,
        ctx: Context,
        index: int,
        name: str,
        port: int | None,
        local_port: int | None,
        transparent: bool,
    ) -> Generator[Any, Any, Final]:
        # The link is taken while the resolver runs (the command answers once it is bound).
        placeholder = Link(index, "UDP", name, port or 0, transparent=transparent)
        placeholder.state = LinkState.RESOLVING
        self.links[index] = placeholder
        yield ctx.sleep(self.latency("dns_start"))
        result = yield self._resolve(name)
        taken = self.links[index] is placeholder
        if taken:
            self.links[index] = None
        if not taken or placeholder.state != LinkState.RESOLVING:
            key = "network_failure"  # the network went down meanwhile
        elif not result.ok or not result.addresses:
            key = "dns_failed"
        else:
            opened = self._bind_udp(ctx, index, result.addresses[0], port, local_port, transparent)
            return (yield from opened) if isinstance(opened, Generator) else opened
        self.record("connect_failed", link=index, reason=key, err=self.err_code(key))
        if transparent:
            return ctx.text(CONNECT_FAIL, error=True)
        ctx.info(f"+CIPOPEN: {index},{self.err_code(key)}")
        return ctx.error()

    def _bind_udp(
        self,
        ctx: Context,
        index: int,
        server: str,
        port: int | None,
        local_port: int | None,
        transparent: bool,
    ) -> Any:
        link = Link(index, "UDP", server, port or 0, transparent=transparent)
        try:
            sock = self.host.udp_bind(local_port or 0)
        except ConfigError:
            ctx.info(f"+CIPOPEN: {index},{self.err_code('bind_failed')}")
            return ctx.error()
        sock.on_datagram = self.guarded(lambda s, data, addr: self._on_datagram(link, data, addr))
        sock.on_error = self.guarded(lambda s, kind, addr: self._on_udp_error(link, kind))
        link.sock = sock
        link.state = LinkState.OPEN
        if server and port:
            link.udp_remote = (server, port)
        self.links[index] = link
        self.rx[index].clear()
        self.rx_remote[index] = None
        return self._udp_opened(ctx, link)

    def _udp_opened(self, ctx: Context, link: Link) -> Generator[Any, Any, Final]:
        yield ctx.sleep(self.latency("udp_open"))
        if link.transparent:
            data_link = TransparentLink(self, link)
            link.data_link = data_link
            return ctx.connect(data_link, self.connect_rate())
        ctx.info(f"+CIPOPEN: {link.index},0")
        return ctx.ok()

    def _on_datagram(self, link: Link, data: bytes, addr: tuple[str, int]) -> None:
        if self.links[link.index] is not link:
            return
        if link.transparent and link.data_link is not None:
            link.data_link.deliver(bytes(data))
            return
        if self.rx_mode == 1:
            self._buffer(link.index, bytes(data), addr)  # what does not fit is dropped (UDP)
        else:
            self._push(link.index, bytes(data), addr)

    def _on_udp_error(self, link: Link, kind: str) -> None:
        if kind == "network_down" and self.links[link.index] is link:
            link.state = LinkState.DEAD
            if self.net_state == NetState.OPEN and not self.host.is_up:
                self._network_lost()

    # =============================================================================================
    # L1104  AT+CIPCLOSE
    # =============================================================================================
    @command("+CIPCLOSE", forms="trs", latency="network")
    def cipclose(self, ctx: Context, cmd: Command) -> Any:
        if cmd.form is Form.TEST:
            ctx.info(TEST_RESPONSES["CIPCLOSE"])
            return ctx.ok()
        if cmd.form is Form.READ:
            states = ",".join(
                "1" if lk is not None and lk.state == LinkState.OPEN else "0" for lk in self.links
            )
            ctx.info(f"+CIPCLOSE: {states}")
            return ctx.ok()
        index = self._link_param(cmd)
        if index is None or len(cmd.params) > 1:
            if cmd.has(0) and ascii_digits(cmd.params[0].value or ""):
                ctx.info(f"+CIPCLOSE: {cmd.params[0].value},{self.err_code('wrong_parameter')}")
            return ctx.error()
        link = self.links[index]
        if link is None or link.state in (LinkState.CONNECTING, LinkState.DEAD):
            if link is not None and link.state == LinkState.DEAD:
                self._release(link, local_reason=False)  # abnormally closed: freed, but ERROR
            ctx.info(f"+CIPCLOSE: {index},{self.err_code('not_supported')}")
            return ctx.error()
        return self._close_link(ctx, link)

    def _close_link(self, ctx: Context, link: Link) -> Generator[Any, Any, Final]:
        self.links[link.index] = None
        link.state = LinkState.CLOSING
        self._fail_pending_acks(link)
        if link.data_link is not None:
            link.data_link.detach()
            self.module.hangup_data("cipclose")  # leaves online command mode quietly
        if link.kind == "UDP":
            link.sock.close()
            yield ctx.sleep(self.latency("cipclose"))
            if link.transparent:
                ctx.raw(b"\r\n" + CLOSED_TEXT.encode() + b"\r\n")  # S76 L1104: CLOSED first
            ctx.info(f"+CIPCLOSE: {link.index},0")
            return ctx.ok()
        self.spawn(self._tcp_close_process(link))
        return ctx.ok()

    def _tcp_close_process(self, link: Link) -> Generator[Any, Any, None]:
        sim = self.module.sim
        link.close_waiter = sim.event()
        link.sock.close()
        # +CIPCLOSE reports once the stack has sent FIN and the peer acknowledged it (or the
        # connection ended otherwise); bounded by the stack's own retransmission budget.
        waiter = link.close_waiter
        watch = _FinAckWatch(sim, link.sock)
        fin_acked = watch.event
        yield first_of(sim.env, waiter, fin_acked)  # waiter | fin_acked, lighter
        # An aborted close is no success: what was still in flight may be lost (L1104 <err>).
        acked = fin_acked.triggered and fin_acked.value != "CLOSED"
        reason = waiter.value if waiter.triggered and not acked else None
        watch.stop()  # decided: its event has no one left to tell
        err = self.err_code(CIPCLOSE_FAILURE_ERR[reason]) if reason in CIPCLOSE_FAILURE_ERR else 0
        if err:
            self.record("close_failed", link=link.index, reason=reason, err=err)
        yield self.latency("cipclose")
        if link.transparent:
            self.urc(CLOSED_TEXT)
        self.urc(f"+CIPCLOSE: {link.index},{err}")

    # =============================================================================================
    # L1105  AT+CIPSEND
    # =============================================================================================
    @command("+CIPSEND", forms="trs", latency="data")
    def cipsend(self, ctx: Context, cmd: Command) -> Any:
        if cmd.form in (Form.TEST, Form.READ):
            # L1105 lists the test form; its example shows the same answer for AT+CIPSEND?.
            ctx.info(TEST_RESPONSES["CIPSEND"])
            return ctx.ok()

        def ciperror(key: str) -> Final:
            ctx.info(f"+CIPERROR: {self.err_code(key)}")
            return ctx.error()

        index = self._link_param(cmd)
        n = len(cmd.params)
        # A76 3.3.1/3.3.2: AT+CIPSEND=<link>,"<ip>",<port> (variable length, no length field).
        no_length_field = (
            n == 3 and self.variant.udp_send_without_length_field and cmd.params[1].quoted
        )
        if index is None or (n not in (2, 4) and not no_length_field):
            return ciperror("wrong_parameter") if cmd.has(0) else ctx.error()
        try:
            length = (
                cmd.int(1, lo=SEND_LENGTH_RANGE[0], hi=SEND_LENGTH_RANGE[1])
                if cmd.has(1) and not no_length_field
                else None
            )
            remote: tuple[str, int] | None = None
            if n >= 3:
                ip = cmd.str(n - 2)
                port = cmd.int(n - 1, lo=PORT_RANGE[0], hi=PORT_RANGE[1])
                if not is_ipv4(ip):
                    return ciperror("wrong_parameter")
                remote = (ip, port)
        except ArgumentError:
            return ciperror("wrong_parameter")
        if self.net_state not in (NetState.OPEN, NetState.LOST):
            return ciperror("network_not_opened")
        link = self.links[index]
        if link is None or link.state != LinkState.OPEN or link.transparent:
            return ciperror("not_supported")
        if link.kind == "TCP" and remote is not None:
            return ciperror("wrong_parameter")
        if link.kind == "UDP" and remote is None:
            remote = link.udp_remote
            if remote is None:
                return ciperror("wrong_parameter")
        if length is None and link.server_index >= 0 and self.variant.server_link_fixed_length_only:
            return ciperror("not_supported")  # A76 3.4.2: accepted sockets send fixed lengths
        return self._send(ctx, link, length, remote)

    def _send(
        self, ctx: Context, link: Link, length: int | None, remote: tuple[str, int] | None
    ) -> Generator[Any, Any, Final]:
        if length is None:
            spec = PromptSpec(
                prompt=b"\r\n>",
                terminator=CTRL_Z,
                cancel=ESC,
                escape=ETX,
                max_len=SEND_LENGTH_RANGE[1],
            )
        else:
            spec = _fixed_length_prompt(length)
        got = yield ctx.prompt(spec)
        if not got.sent:
            return ctx.error()  # L1105: a single ESC cancels ("ERROR")
        data = bytes(got.data)
        yield ctx.sleep(self.latency("send_push"))
        req = len(data)
        if self.links[link.index] is not link or link.state != LinkState.OPEN:
            ctx.urc(f"+CIPSEND: {link.index},{req},-1")
            return ctx.ok()
        if link.kind == "UDP":
            assert remote is not None
            sent = link.sock.sendto(data, remote) if req else 0
            ctx.urc(f"+CIPSEND: {link.index},{req},{sent}")
            return ctx.ok()
        sock = link.sock
        if req == 0:
            ctx.urc(f"+CIPSEND: {link.index},0,0")
            return ctx.ok()
        if sock.send_space < req:
            # L1105 <cnfSendLength> 0: own send buffer or the peer's window is full.
            self.record("send_buffer_full", link=link.index, req=req, space=sock.send_space)
            ctx.urc(f"+CIPSEND: {link.index},{req},0")
            return ctx.ok()
        accepted = sock.send(data)
        link.sent_total += accepted
        if self._switch("+CIPSENDMODE") == 1:
            self._await_ack(link, req, accepted)
        else:
            ctx.urc(f"+CIPSEND: {link.index},{req},{accepted}")
        return ctx.ok()

    # CIPSENDMODE=1: the +CIPSEND URC waits for the peer's ACK of the last byte (L1111).
    def _await_ack(self, link: Link, req: int, accepted: int) -> None:
        threshold = link.sent_total
        timeout_ms = int(self.params["+CIPTIMEOUT"]["cipsend_timeout"])
        limit = min(timeout_ms, MAX_RESPONSE_MS["CIPSEND"]) / 1000.0
        timer = self.later(limit, self._ack_timeout, link, threshold)
        link.pending_acks.append((threshold, req, accepted, timer))
        self._on_acked(link)

    def _on_acked(self, link: Link) -> None:
        sock = link.sock
        if sock is None:
            return
        acked = sock.bytes_acked
        while link.pending_acks and acked >= link.pending_acks[0][0]:
            _threshold, req, accepted, timer = link.pending_acks.pop(0)
            timer.cancel()
            self.urc(f"+CIPSEND: {link.index},{req},{accepted}")

    def _ack_timeout(self, link: Link, threshold: int) -> None:
        if not link.pending_acks or link.pending_acks[0][0] != threshold:
            return
        if self.links[link.index] is not link or link.state != LinkState.OPEN:
            return
        # Sending timed out (CIPTIMEOUT <cipsend_timeout>): the link is closed, reason 2.
        self.links[link.index] = None
        link.state = LinkState.CLOSING
        self._fail_pending_acks(link)
        link.sock.abort()
        self.record("send_timeout", link=link.index)
        self.urc(f"+IPCLOSE: {link.index},{IPCLOSE_REASON['send_timeout']}")

    @staticmethod
    def _fail_pending_acks(link: Link) -> None:
        for _threshold, _req, _accepted, timer in link.pending_acks:
            timer.cancel()
        link.pending_acks.clear()

    # =============================================================================================
    # L1106  AT+CIPRXGET
    # =============================================================================================
    @command("+CIPRXGET", forms="trs", latency="query")
    def ciprxget(self, ctx: Context, cmd: Command) -> Any:
        if cmd.form is Form.TEST:
            ctx.info(TEST_RESPONSES["CIPRXGET"])
            return ctx.ok()
        if cmd.form is Form.READ:
            ctx.info(f"+CIPRXGET: {self.rx_mode}")
            return ctx.ok()
        mode = cmd.int(0, lo=0, hi=4)
        if mode in (0, 1):
            cmd.max_params(1)
            previous, self.rx_mode = self.rx_mode, mode
            if previous == 1 and mode == 0:
                self.later(0.0, self._flush_buffers)
            return ctx.ok()
        index = self._link_param(cmd, 1)
        if index is None:
            return self.ip_error(ctx, "invalid_parameter")
        buf = self.rx[index]
        if mode == 4:
            if len(cmd.params) > 2:
                return self.ip_error(ctx, "invalid_parameter")
            ctx.info(f"+CIPRXGET: 4,{index},{len(buf)}")
            return ctx.ok()
        if len(cmd.params) > 3:
            return self.ip_error(ctx, "invalid_parameter")
        default = RXGET_DEFAULT_ASCII if mode == 2 else RXGET_DEFAULT_HEX
        try:
            want = cmd.int(2, default, lo=RXGET_LEN_RANGE[0], hi=RXGET_LEN_RANGE[1])
        except ArgumentError:
            return self.ip_error(ctx, "invalid_parameter")
        if mode == 3:
            want = min(want, RXGET_DEFAULT_HEX)  # L1106: hex reads at most 750 bytes
        if not len(buf):
            return self.ip_error(ctx, "no_data")  # A76 3.2.2: also for a link never opened
        data = buf.read(want)
        self._refill(index)
        buf.settle()
        ctx.info(f"+CIPRXGET: {mode},{index},{len(data)},{len(buf)}")
        ctx.raw(data if mode == 2 else data.hex().upper().encode())
        return ctx.ok()

    def _flush_buffers(self) -> None:
        """L1106 note 2: leaving buffer mode pushes what is buffered, <= 1500 bytes at a time
        (as fast as the UART takes it)."""
        if self.rx_mode != 0:
            return
        m = self.module
        for index, buf in enumerate(self.rx):
            while len(buf):
                room = m.port.space - 64
                if not m.command_idle or room <= 0:
                    self.later(PUSH_RETRY, self._flush_buffers)
                    return
                self._push(index, buf.read(min(PUSH_CHUNK_MAX, room)), self.rx_remote[index])
            buf.settle()
            link = self.links[index]
            if link is not None and link.kind == "TCP":
                self._on_tcp_data(link)

    # =============================================================================================
    # L1107  AT+IPADDR
    # =============================================================================================
    @command("+IPADDR", forms="e", latency="query")
    def ipaddr(self, ctx: Context, cmd: Command) -> Final:
        if self.net_state == NetState.OPEN and self.host.ip is not None:
            ctx.info(f"+IPADDR: {self.host.ip}")
            return ctx.ok()
        ctx.info(
            f"{self.variant.ipaddr_not_open_prefix}{self._ip_error_detail('network_not_opened')}"
        )
        return ctx.error()

    # =============================================================================================
    # L1110 AT+CIPMODE (the other L1108-L1113 / L1133 settings are rows in tables.py)
    # =============================================================================================
    @setting_command(tables.CIPMODE)
    def cipmode(self, ctx: Context, cmd: Command) -> Final | None:
        return self.setting(ctx, cmd, tables.CIPMODE, guard=self._cipmode_before_netopen)

    def _cipmode_before_netopen(self, ctx: Context, new: dict[str, Value]) -> Final | None:
        """A76 1.4: CIPMODE is chosen before AT+NETOPEN."""
        changing = new["mode"] != self._switch("+CIPMODE")
        if changing and self.net_state not in (NetState.CLOSED, NetState.LOST):
            return ctx.error()
        return None

    # =============================================================================================
    # L1114 / L1115  AT+SERVERSTART, AT+SERVERSTOP
    # =============================================================================================
    @command("+SERVERSTART", forms="trs", latency="network")
    def serverstart(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.TEST:
            ctx.info(TEST_RESPONSES["SERVERSTART"])
            return ctx.ok()

        def ciperror(key: str) -> Final:
            ctx.info(f"+CIPERROR: {self.err_code(key)}")
            return ctx.error()

        if self.net_state != NetState.OPEN:
            return ciperror("network_not_opened")
        if cmd.form is Form.READ:
            lines = [f"+SERVERSTART: {s.index},{s.port}" for s in self.servers if s is not None]
            ctx.info(*lines)
            return ctx.ok()
        try:
            cmd.max_params(3)
            port = cmd.int(0, lo=PORT_RANGE[0], hi=PORT_RANGE[1])
            index = cmd.int(1, lo=SERVER_RANGE[0], hi=SERVER_RANGE[1])
            backlog = cmd.int(
                2, SERVER_BACKLOG_DEFAULT, lo=SERVER_BACKLOG_RANGE[0], hi=SERVER_BACKLOG_RANGE[1]
            )
        except ArgumentError:
            return ciperror("wrong_parameter")
        if self.servers[index] is not None:
            return ciperror("server_listening")
        server = Server(index, port, None)
        try:
            server.listener = self.host.tcp_listen(
                port,
                self.guarded(lambda sock, s=server: self._on_accept(s, sock)),
                backlog=backlog,
                config=self._tcp_config(),
            )
        except ConfigError:
            return ciperror("bind_failed")
        self.servers[index] = server
        self.record("server_start", index=index, port=port, backlog=backlog)
        return ctx.ok()

    def _on_accept(self, server: Server, sock: TcpSocket) -> None:
        if self.servers[server.index] is not server:
            sock.abort()
            return
        transparent = self._switch("+CIPMODE") == 1 and server.index == 0
        if transparent:
            free = [0] if self.links[0] is None else []
        else:
            start = 1 if self._switch("+CIPMODE") == 1 else 0
            free = [i for i in range(start, len(self.links)) if self.links[i] is None]
        if not free:
            self.record("accept_refused", server=server.index, reason="no free link")
            sock.abort()
            return
        index = free[0]
        remote_ip, remote_port = sock.remote
        link = Link(index, "TCP", remote_ip, remote_port, server_index=server.index, sock=sock)
        link.state = LinkState.OPEN
        link.transparent = transparent
        self.links[index] = link
        self.rx[index].clear()
        self.rx_remote[index] = None
        sock.on_closed = self.guarded(lambda s, reason: self._on_tcp_closed(link, reason))
        sock.on_data = self.guarded(lambda s: self._on_tcp_data(link))
        sock.on_peer_fin = self.guarded(lambda s: self._on_peer_fin(link))
        sock.on_acked = self.guarded(lambda s, n: self._on_acked(link))
        self.urc(f"+CLIENT: {index},{server.index},{remote_ip}:{remote_port}")
        if transparent:
            data_link = TransparentLink(self, link)
            link.data_link = data_link
            # Data mode without a command (A76 3.4.1: a client reached server 0 in CIPMODE=1).
            self.module.enter_data_mode(data_link, f"CONNECT {self.connect_rate()}")
        if sock.readable:
            self._on_tcp_data(link)

    @command("+SERVERSTOP", forms="s", latency="network")
    def serverstop(self, ctx: Context, cmd: Command) -> Final:
        try:
            cmd.max_params(1)
            index = cmd.int(0, lo=SERVER_RANGE[0], hi=SERVER_RANGE[1])
        except ArgumentError:
            return ctx.error()
        server = self.servers[index]
        if server is None:
            ctx.info(f"+SERVERSTOP: {index},{self.err_code('not_supported')}")
            return ctx.error()
        clients = any(lk is not None and lk.server_index == index for lk in self.links)
        if clients and not self.variant.serverstop_with_clients:
            ctx.info(f"+SERVERSTOP: {index},{self.err_code('sockets_opened')}")
            return ctx.error()
        # Accepted sockets stay open (A76 3.4.2 closes them later with AT+NETCLOSE).
        listener = server.listener
        self.servers[index] = None
        assert listener is not None  # set before the server is registered
        if listener.pending:
            # L1115 "the server socket starts to close": handshakes still in progress are
            # reset first, then the result follows OK as a URC.
            self.record("server_stop_reset", index=index, pending=listener.pending)
            listener.close(reset_pending=True)
            self.later(self.latency("cipclose"), self.urc, f"+SERVERSTOP: {index},0")
            return ctx.ok()
        listener.close()
        ctx.info(f"+SERVERSTOP: {index},0")  # L1115 / A76 3.4.2: closed immediately
        return ctx.ok()

    # =============================================================================================
    # L1116  AT+CIPACK
    # =============================================================================================
    @command("+CIPACK", forms="ts", latency="query")
    def cipack(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.TEST:
            ctx.info(TEST_RESPONSES["CIPACK"])
            return ctx.ok()
        index = self._link_param(cmd)
        if index is None or len(cmd.params) > 1:
            return self.ip_error(ctx, "invalid_parameter")
        if self.net_state not in (NetState.OPEN, NetState.LOST):
            return self.ip_error(ctx, "network_not_opened")
        link = self.links[index]
        if link is None or link.state != LinkState.OPEN:
            return self.ip_error(ctx, "connection_not_created")
        if link.kind != "TCP":
            return self.ip_error(ctx, "not_supported")
        sock = link.sock
        ctx.info(f"+CIPACK: {sock.bytes_sent},{sock.bytes_acked},{sock.bytes_received}")
        return ctx.ok()

    # =============================================================================================
    # L1131 / L1132  AT+CDNSGIP, AT+CDNSGHNAME
    # =============================================================================================
    @command("+CDNSGIP", forms="ts", latency="network")
    def cdnsgip(self, ctx: Context, cmd: Command) -> Any:
        if cmd.form is Form.TEST:
            return ctx.ok()
        try:
            cmd.max_params(1)
            name = cmd.str(0, max_len=254)
        except ArgumentError:
            return ctx.error()
        if not _valid_target(name):
            return ctx.error()
        return self._dns_query(ctx, name, reverse=False)

    @command("+CDNSGHNAME", forms="ts", latency="network")
    def cdnsghname(self, ctx: Context, cmd: Command) -> Any:
        if cmd.form is Form.TEST:
            return ctx.ok()
        try:
            cmd.max_params(1)
            ip = cmd.str(0, max_len=15)
        except ArgumentError:
            return ctx.error()
        if not is_ipv4(ip):
            return ctx.error()
        return self._dns_query(ctx, ip, reverse=True)

    def _dns_query(self, ctx: Context, query: str, *, reverse: bool) -> Generator[Any, Any, Final]:
        label = "+CDNSGHNAME" if reverse else "+CDNSGIP"
        yield ctx.sleep(self.latency("dns_start"))
        if self.net_state != NetState.OPEN or self.host.ip is None:
            ctx.info(f"{label}: 0,{DNS_GENERAL_ERROR}")
            return ctx.error()
        result: DnsResult
        if reverse:
            result = yield self.host.resolver.reverse(query).event
        else:
            result = yield self._resolve(query)
        if not result.ok:
            ctx.info(f"{label}: 0,{DNS_GENERAL_ERROR}")
            return ctx.error()
        if reverse:
            ctx.info(f'+CDNSGHNAME: 1,"{result.names[0]}","{query}"')
        else:
            ctx.info(f'+CDNSGIP: 1,"{query}","{result.addresses[0]}"')
        return ctx.ok()

    # =============================================================================================
    # L1134 / L1135  AT+CPING, AT+CPINGSTOP
    # =============================================================================================
    @command("+CPING", forms="ts", latency="network")
    def cping(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.TEST:
            ctx.info(TEST_RESPONSES["CPING"])
            return ctx.ok()
        try:
            cmd.max_params(1 + len(CPING_PARAMS))
            dest = cmd.str(0, max_len=254)
            values: dict[str, int] = {}
            for i, p in enumerate(CPING_PARAMS, start=1):  # <dest_addr_type> is required
                given = cmd.has(i) or p.name == "dest_addr_type"
                values[p.name] = int(p.domain.parse(cmd, i) if given else p.default)
        except ArgumentError:
            return ctx.error()
        if not _valid_target(dest):
            return ctx.error()
        if self.ping is not None and self.ping.active:
            return ctx.error()
        if self.host.ip is None:
            return ctx.error()
        self.ping = PingSession(self, dest, values)
        self.spawn(self.ping.run())
        return ctx.ok()

    @command("+CPINGSTOP", forms="te", latency="query")
    def cpingstop(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.TEST:
            return ctx.ok()
        if self.ping is not None and self.ping.active:
            ctx.info(self.ping.stop())
        return ctx.ok()


class PingSession:
    """One AT+CPING run: ``num_pings`` echo requests ``interval_time`` apart (S76 L1134)."""

    def __init__(self, dialect: SimcomDialect, dest: str, values: dict[str, int]) -> None:
        self.dialect = dialect
        self.dest = dest
        self.values = values
        self.stats = PingStats()
        self.active = True
        self.outstanding = 0
        self.finished_sending = False

    def run(self) -> Generator[Any, Any, None]:
        d = self.dialect
        sim = d.module.sim
        target = self.dest
        if not is_ipv4(target):
            result = yield d._resolve(target)
            if not self.active:
                return
            if not result.ok or not result.addresses:
                self.active = False
                d.urc("+CPING: 2")
                d.urc(self.stats.summary())
                return
            target = result.addresses[0]
        v = self.values
        for i in range(v["num_pings"]):
            if not self.active:
                return
            if i:
                yield sim.timeout(v["interval_time"] / 1000.0)
                if not self.active:
                    return
            self.stats.sent += 1
            self.outstanding += 1
            d.host.ping(
                target,
                size=v["data_packet_size"],
                ttl=v["ttl"],
                timeout=v["wait_time"] / 1000.0,
                on_reply=d.guarded(self._on_result),
            )
        self.finished_sending = True
        self._maybe_done()

    def _on_result(self, result: PingResult) -> None:
        if not self.active:
            return
        self.outstanding -= 1
        d = self.dialect
        if result.ok:
            rtt_ms = int((result.rtt or 0.0) * 1000)
            self.stats.reply(rtt_ms)
            # <TTL> is the one the request was sent with: the L1134 example asks for 255 and
            # prints 255 on every reply line (docs/assumptions.md "SIMCom").
            d.urc(
                f"+CPING: 1,{result.from_ip or result.dst},{result.size},{rtt_ms},"
                f"{self.values['ttl']}"
            )
        else:
            d.urc("+CPING: 2")
        self._maybe_done()

    def _maybe_done(self) -> None:
        if self.active and self.finished_sending and self.outstanding == 0:
            self.active = False
            self.dialect.urc(self.stats.summary())

    def stop(self) -> str:
        self.active = False
        return self.stats.summary()


class _FinAckWatch:
    """An event that fires once our FIN has been acknowledged (or the socket is gone).

    The module looks at the socket's state on a backing-off grid while the close is in
    progress: at the close, then 10 ms later, 10 ms, 20 ms, 40 ms ... doubling to 1 s steps
    (bounded by the TCP model's own FIN retransmission budget), and fires at the first look
    that finds the close over - at that grid instant, which is when ``+CIPCLOSE`` follows.

    Only the look that finds it is made: the socket's state-change hook says when the state
    leaves ``WAITING``, and one queue entry is put at the first grid instant at or after that
    moment, each instant the same float sum a polling timer makes (``previous + step``), so
    the event fires at the instant the polls would have found it. A change at exactly a grid
    instant counts as seen by that instant's look.
    """

    WAITING = frozenset(
        {"ESTABLISHED", "FIN_WAIT_1", "CLOSE_WAIT", "LAST_ACK", "CLOSING", "SYN_SENT", "SYN_RCVD"}
    )
    FIRST_STEP = 0.01
    LAST_STEP = 1.0

    def __init__(self, sim: Any, sock: TcpSocket) -> None:
        self.sim = sim
        self.event = sim.event()
        self.sock = sock
        self.due: float = sim.now  # the grid: the next instant to look at ...
        self.steps = 0  # ... and how many steps led there
        self.stopped = False
        state = sock.state
        if state not in self.WAITING:
            self.event.succeed(state)
            return
        self._step()
        sock.on_state_change = self._changed

    def _step(self) -> None:
        k = self.steps
        self.due = self.due + (_FIN_POLL_STEPS[k] if k < len(_FIN_POLL_STEPS) else self.LAST_STEP)
        self.steps = k + 1

    def _changed(self, sock: TcpSocket, old: str, new: str) -> None:
        if new in self.WAITING:
            return
        sock.on_state_change = None  # the look reads the state then: no cycle while it waits
        now = self.sim.now
        due, k, steps = self.due, self.steps, _FIN_POLL_STEPS
        while due < now:  # _step, in locals
            due = due + (steps[k] if k < len(steps) else self.LAST_STEP)
            k += 1
        self.due, self.steps = due, k
        self.sim.wake_at(self.due, (self._look,))  # the grid's exact float

    def stop(self) -> None:
        """Look no more (the close was decided otherwise): the event will not fire."""
        self.stopped = True
        if self.sock.on_state_change == self._changed:
            self.sock.on_state_change = None

    def _look(self, _wake: Any) -> None:
        if self.stopped or self.event.triggered:
            return
        state = self.sock.state
        if state not in self.WAITING:
            self.event.succeed(state)
            return
        self._step()  # back to WAITING by this instant: the next look waits for a change
        self.sock.on_state_change = self._changed


def _poll_steps(first: float, last: float) -> tuple[float, ...]:
    """The FIN watch's grid steps before they reach ``last``: each the time waited since the
    close (at least ``first``), that time a float sum of the steps before, as a polling timer
    adds them (0.01, 0.01, 0.02, 0.04 ... 0.64; every later step is ``last``)."""
    steps: list[float] = []
    waited = 0.0
    while True:
        step = min(last, max(first, waited))
        if step == last:
            return tuple(steps)
        steps.append(step)
        waited = waited + step


_FIN_POLL_STEPS = _poll_steps(_FinAckWatch.FIRST_STEP, _FinAckWatch.LAST_STEP)


class TransparentLink(DataLink):
    """Link 0 in transparent mode (A76 1.5.4): UART bytes to the socket and back, ``+++``/ATO."""

    def __init__(self, dialect: SimcomDialect, link: Link) -> None:
        self.dialect = dialect
        self.link = link
        self.session: DataSession | None = None
        self.active = False
        self._out = bytearray()  # DTE bytes waiting for the packing timer
        self._flush_timer: Timer | None = None
        self._pending_in = ByteFifo()  # network bytes waiting for UART space
        # TCP bytes are taken from the socket only while this module buffer (the link's receive
        # buffer, as in buffer access mode) has room: the rest waits in the TCP stack, whose
        # window closes towards the peer when the host's UART cannot keep up.
        self.rx_capacity = dialect.rx[link.index].capacity
        self._closing: str | None = None  # the peer closed: this ends data mode once drained

    # -- engine side ------------------------------------------------------------------------------
    def on_start(self, session: DataSession) -> None:
        self.session = session
        self.active = True
        self.pump()

    def on_dte_data(self, data: bytes) -> int:
        link = self.link
        if link.sock is None or link.state != LinkState.OPEN:
            return len(data)  # nothing to carry it: dropped, as on a dead link
        room = TRANSPARENT_FLUSH_SIZE * 4 - len(self._out)
        take = data[: max(0, room)]
        self._out.extend(take)
        if len(self._out) >= TRANSPARENT_FLUSH_SIZE:
            self._flush()
        elif take:
            if self._flush_timer is not None:
                self._flush_timer.cancel()
            self._flush_timer = self.dialect.later(TRANSPARENT_FLUSH_IDLE, self._idle_flush)
        return len(take)

    def _idle_flush(self) -> None:
        # Bytes of a UART burst still landing: the line was not idle, and the burst's delivery
        # restarts the packing timer.
        if self.session is not None and self.session.active and self.session.receiving:
            self._flush_timer = None
            return
        self._flush()

    def on_escape(self) -> str | None:
        self._flush()
        return "OK"

    def on_resume(self) -> str | None:
        d = self.dialect
        if self.link.state != LinkState.OPEN or d.links[self.link.index] is not self.link:
            return None
        self.pump()
        return f"CONNECT {d.connect_rate()}"

    def on_hangup(self, reason: str) -> None:
        d = self.dialect
        link = self.link
        self.active = False
        if d.links[link.index] is link:
            d.links[link.index] = None
            link.state = LinkState.CLOSING
            if link.sock is not None:
                link.sock.close()
            if reason == "dtr":  # A76 4.2: reason 2, "closed for sending timeout or DTR off"
                d.urc(f"+IPCLOSE: {link.index},{IPCLOSE_REASON['dtr']}")

    # -- dialect side -----------------------------------------------------------------------------
    def _flush(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        link = self.link
        if not self._out or link.sock is None or link.state != LinkState.OPEN:
            return
        if link.kind == "UDP":
            while self._out:
                chunk = bytes(self._out[:TRANSPARENT_FLUSH_SIZE])
                del self._out[:TRANSPARENT_FLUSH_SIZE]
                if link.udp_remote is not None:
                    link.sock.sendto(chunk, link.udp_remote)
            return
        accepted = link.sock.send(bytes(self._out))
        del self._out[:accepted]
        if self._out:
            link.sock.on_writable = self.dialect.guarded(lambda s: self._flush())
        if self.session is not None:
            self.session.resume_input()

    def deliver(self, data: bytes) -> None:
        """Bytes from the network (UDP datagrams) for the DTE; a datagram the module buffer
        has no room for is dropped (as in buffer access mode), and traced."""
        if len(self._pending_in) + len(data) > self.rx_capacity:
            self.dialect.record(
                "udp_dropped", link=self.link.index, reason="buffer_full", size=len(data)
            )
            return
        self._pending_in.append(data)
        self.pump()

    def pump(self) -> None:
        """Move network bytes to the UART while it has room (held while in command mode)."""
        session = self.session
        if session is None or not self.active or session.suspended:
            return
        link = self.link
        pending = self._pending_in
        sock = link.sock if link.kind == "TCP" else None
        while True:
            if sock is not None and sock.readable:
                room = self.rx_capacity - len(pending)
                if room > 0:
                    pending.append(sock.recv(room))
            if not pending:
                break
            n = session.to_dte(pending.peek(session.tx_space))
            pending.drop(n)
            if not n or sock is None or not sock.readable:
                break
        if link.fin_pending and not (sock is not None and sock.readable):
            link.fin_pending = False  # the peer's FIN waited for the last byte out of the socket
            if self.dialect.links[link.index] is link:
                self.dialect._passive_close(link, IPCLOSE_REASON["peer_closed"])
        if self._closing is not None and not self.holding():
            message, self._closing = self._closing, None
            self.end(message)

    def holding(self) -> bool:
        """Received bytes not yet handed to the UART: in the module buffer or still in the
        socket (also after the connection ended: a closed socket keeps what it had received)."""
        sock = self.link.sock
        return bool(self._pending_in) or (
            self.link.kind == "TCP" and sock is not None and sock.readable > 0
        )

    def end(self, message: str) -> None:
        """The connection ended by itself: leave data mode printing ``message``, but only once
        every byte received from the peer has reached the host (the UART drains at its own
        pace; ``on_dte_ready`` pumps again), so CLOSED always follows all of the data."""
        if self.draining():
            self._closing = message
            self.dialect.record(
                "transparent_drain", link=self.link.index, pending=len(self._pending_in)
            )
            return
        self.active = False
        if self.session is not None:
            self.session.end(message)
        else:
            self.dialect.urc(message)

    def draining(self) -> bool:
        """Whether received bytes still wait for a host that is reading them (data mode)."""
        session = self.session
        return (
            self.holding()
            and self.active
            and session is not None
            and session.active
            and not session.suspended
        )

    def detach(self) -> None:
        self.active = False

    def on_dte_ready(self) -> None:
        """The UART has room again (engine hook): move more network bytes."""
        self.pump()


class Sim7600Dialect(SimcomDialect):
    """SIM7600 family: follows the SIM7600 TCP/IP AT command chapter (L1101-L1135)."""

    variant = VARIANTS["simcom-sim7600"]
    trace_source: str | None = "simcom.simcom-sim7600"
    settings: tuple[Setting, ...] = (tables.CNMP_SIM7600,)
    # The A76XX-only socket options are not there at all (unknown: ERROR, not in AT+CLAC); the
    # SIM7600 manual's are +CIPCCFG / +CIPTIMEOUT / +CIPDNSSET.
    absent_commands = tables.A76_ONLY


class A7670Dialect(SimcomDialect):
    """A76xx (A7670): follows the A76xx TCP/IP application note v1.02."""

    variant = VARIANTS["simcom-a7670"]
    trace_source: str | None = "simcom.simcom-a7670"
    settings: tuple[Setting, ...] = (tables.CNMP_A7670,)
