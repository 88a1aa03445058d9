"""SIMCom TCP/IP dialect: SIM7600 family (``simcom-sim7600``) and A76xx (``simcom-a7670``).

Every command of the SIM7600 TCP/IP chapter (L1101-L1135) and of the A76xx TCP/IP application
note, on the module's own IP stack (``simnet.net`` Host sockets) and the bearer's PDP context.
Vendor data (error tables, ranges, defaults, URC texts, the differences between the two
documents) lives in :mod:`simnet.modem.vendors.simcom.tables`; the byte-level pieces that need
no clock are in :mod:`simnet.modem.vendors.simcom.engine`.

Timing is never scripted: AT+NETOPEN answers when the bearer's PDP activation ends, +CIPOPEN
when the TCP handshake ends (or the TCP model gives up after the CIPCCFG retry budget / the
CIPTIMEOUT connect timeout), +CIPSEND in mode 1 when the peer's ACK arrives, +CDNSGIP when the
resolver answers.

Choices where the documents are silent are listed in docs/assumptions.md, section "SIMCom".
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from simnet.errors import ConfigError
from simnet.modem.at import ArgumentError, Command, Final, Form, connect
from simnet.modem.dialect import (
    Context,
    DataLink,
    Dialect,
    PromptSpec,
    command,
)
from simnet.modem.vendors.simcom import tables
from simnet.modem.vendors.simcom.engine import PingStats, RxBuffer, push_header
from simnet.modem.vendors.simcom.tables import (
    CIPCCFG_PARAMS,
    CIPDNSSET_PARAMS,
    CIPOPEN_FAILURE_ERR,
    CIPTIMEOUT_PARAMS,
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
    SWITCHES,
    TEST_RESPONSES,
    VARIANTS,
    Param,
    Variant,
)

DEFAULT_CONNECT_RATE = 115200  # "CONNECT 115200" (A76 3.2.3): the text is the UART rate
TRANSPARENT_FLUSH_IDLE = 0.020  # assumption: transparent-mode packing timer (s)
PUSH_RETRY = 0.010  # s between checks while pushed data waits for UART room or a command
TRANSPARENT_FLUSH_SIZE = 1460  # assumption: one MSS of DTE data per segment/datagram


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _valid_domain(name: str) -> bool:
    """S76 L1131 <domain name>: <= 254 chars, labels <= 63 of a-z A-Z 0-9 '-', alnum first."""
    if not name or len(name) > 254:
        return False
    for label in name.rstrip(".").split("."):
        if not label or len(label) > 63 or not label[0].isalnum() or not label.isascii():
            return False
        if any(not (c.isalnum() or c == "-") for c in label):
            return False
    return True


@dataclass
class Link:
    """One of the ten sockets (<link_num> 0-9)."""

    index: int
    kind: str  # "TCP" | "UDP"
    server_ip: str  # as AT+CIPOPEN? prints it
    server_port: int
    server_index: int = -1  # -1 client, 0-3 the listening server that accepted it
    sock: Any = None
    state: str = "connecting"  # connecting | open | dead (network lost) | closing
    transparent: bool = False
    data_link: TransparentLink | None = None
    udp_remote: tuple[str, int] | None = None  # default destination (transparent UDP)
    sent_total: int = 0  # bytes accepted into the TCP send buffer, for CIPSENDMODE=1
    pending_acks: list[tuple[int, int, int, Any]] = field(default_factory=list)
    done: Any = None  # event a transparent AT+CIPOPEN waits on (True: connected)
    push_retry: Any = None  # timer while pushed data waits for the UART
    close_waiter: Any = None


@dataclass
class Server:
    index: int
    port: int
    listener: Any


class SimcomDialect(Dialect):
    """Handlers shared by both modules; the subclasses only pick their document's variant."""

    variant: Variant = VARIANTS["simcom-sim7600"]
    prompt_echo = True  # the documents' examples show the typed data after ">" (">HELLO")
    data_mode_urcs = "hold"

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.escape_gap_max = self.variant.plus_gap_max  # A76 1.5.4: <= 900 ms between '+'
        self.net_state = "closed"  # closed | opening | open | closing | lost
        self.links: list[Link | None] = [None] * (LINK_RANGE[1] + 1)
        capacity = int(getattr(module.profile, "extra", {}).get("rx_buffer", RX_BUFFER_BYTES))
        self.rx: list[RxBuffer] = [RxBuffer(capacity) for _ in self.links]
        self.rx_remote: list[tuple[str, int] | None] = [None] * len(self.links)
        self.servers: list[Server | None] = [None] * (SERVER_RANGE[1] + 1)
        self.switch: dict[str, int] = {name: row[0] for name, row in SWITCHES.items()}
        self.rx_mode = 0  # AT+CIPRXGET <mode> 0 (push) / 1 (buffer)
        self.ccfg: dict[str, int] = {p.name: int(p.default or 0) for p in CIPCCFG_PARAMS}
        self.timeouts: dict[str, int] = {p.name: int(p.default or 0) for p in CIPTIMEOUT_PARAMS}
        self.dnsset: dict[str, int] = {p.name: int(p.default or 0) for p in CIPDNSSET_PARAMS}
        self.ping: PingSession | None = None
        self._bearer_listening = False
        self.keepalive_conf: dict[str, int] = {p.name: int(p.default or 0) for p in tables.CTCPKA_PARAMS}
        self.dns_servers: list[str] = []  # AT+CDNSCFG (empty: the network's)
        self.network_mode = tables.CNMP_DEFAULT
        self.cntp_server = tables.CNTP_DEFAULT_SERVER
        self.cntp_tz = 0

    cgpaddr_quoted = False  # "+CGPADDR: 1,10.64.0.2" (SIM7600 / A76XX manual examples)

    @classmethod
    def command_table(cls) -> tuple[tuple[str, Any, tuple[str, ...]], ...]:
        """The A76XX-only commands are not there at all on the SIM7600 (unknown: ERROR, and
        not listed by AT+CLAC)."""
        table = super().command_table()
        if cls.variant.module_id == "simcom-a7670":
            return table
        rows = ((attr, spec, tuple(n for n in names if n not in tables.A76_ONLY))
                for attr, spec, names in table)
        return tuple(row for row in rows if row[2])

    def on_power_off(self) -> None:
        if self.ping is not None:
            self.ping.active = False
        resolver = getattr(self.host, "resolver", None)
        if resolver is not None and hasattr(resolver, "set_servers"):
            resolver.set_servers(None)  # AT+CDNSCFG is not kept over a restart

    # -- shared output helpers --------------------------------------------------------------------
    def _latency(self, name: str) -> float:
        from simnet.modem.vendors.simcom.tables import LATENCY

        row = LATENCY[name]
        rng = self.module.sim.rng(f"modem.{self.variant.module_id}.latency.{name}")
        return rng.uniform(row.low, row.high)

    def ip_error(self, ctx: Context, key: str) -> Final:
        """``+IP ERROR: <err_info>`` then ERROR; numeric or text per CIPCCFG <errMode>."""
        row = IP_ERRORS[key]
        detail = row.text if self.ccfg["errMode"] == 1 else str(row.code)
        ctx.info(f"+IP ERROR: {detail}")
        return ctx.error()

    def err_code(self, key: str) -> int:
        return ERR_CODES[key].code

    def urc(self, text: str) -> None:
        self.module.urc(text)

    def urc_bytes(self, data: bytes) -> None:
        """Unsolicited bytes written as they are (pushed payload with its header).

        ``Module.urc`` frames a text line; pushed data is binary and is not followed by CR LF
        (S76 L1106), so it goes through the same queue discipline byte for byte.
        """
        m = self.module
        urc_raw = getattr(m, "urc_raw", None)
        if urc_raw is not None:
            urc_raw(data)
            return
        if m._can_write_urc():
            m._out(data)
            m.sim.record(m.name, "urc", text=data[:64].decode("latin-1"), n=len(data))
            return
        m._urcs.append(data)  # held until the running command's final result / command mode
        m.sim.record(m.name, "urc_queued", text=data[:64].decode("latin-1"), n=len(data))

    # -- robustness: nothing in a running model may raise ------------------------------------------
    def _spawn(self, gen: Generator[Any, Any, Any], done: Any = None) -> Any:
        """Run a background procedure; a bug in it is traced, never raised into the kernel
        (and ``done``, an event a command may be waiting on, still fires with False)."""

        def guarded() -> Generator[Any, Any, None]:
            try:
                yield from gen
            except Exception as exc:  # pragma: no cover - a bug, made visible in the trace
                self._internal_error(exc)
                if done is not None and not done.triggered:
                    done.succeed(False)

        return self.module.sim.process(guarded())

    def _safe(self, fn: Any) -> Any:
        """Wrap a callback the network stack calls, so a bug stays in the trace."""

        def call(*args: Any) -> Any:
            try:
                return fn(*args)
            except Exception as exc:  # pragma: no cover - a bug, made visible in the trace
                self._internal_error(exc)
                return None

        return call

    def _later(self, delay: float, fn: Any, *args: Any) -> Any:
        return self.module.sim.call_later(delay, self._safe(fn), *args)

    def _internal_error(self, exc: Exception) -> None:
        import traceback

        self.record("internal_error", error=repr(exc), traceback=traceback.format_exc(limit=6))

    def connect_rate(self) -> str:
        """The <text> of CONNECT (S76 L1103 refers to ATX/AT&E): the UART's current rate."""
        baud = getattr(getattr(self.module, "port", None), "baud", 0)
        return str(baud if isinstance(baud, int) and baud > 0 else DEFAULT_CONNECT_RATE)

    def record(self, kind: str, **fields: Any) -> None:
        self.module.sim.record(f"simcom.{self.module_id}", kind, **fields)

    @property
    def module_id(self) -> str:
        return self.variant.module_id

    @property
    def host(self) -> Any:
        return self.module.host

    # -- engine hooks -----------------------------------------------------------------------------
    def bad_argument(self, ctx: Context, cmd: Command, err: ArgumentError) -> Final:
        # SIMCom's TCP/IP commands answer a bad parameter with a plain ERROR (S76 L1108-L1113
        # "Else, response: ERROR"); the 3GPP base commands keep their +CME ERROR.
        if cmd.name in _OWN_COMMANDS:
            return ctx.error()
        return super().bad_argument(ctx, cmd, err)

    # -- parameter helpers ------------------------------------------------------------------------
    @staticmethod
    def _opt_params(
        cmd: Command, params: tuple[Param, ...], current: dict[str, int]
    ) -> dict[str, int] | None:
        """Parse ``[<a>][,[<b>]...]``: omitted values keep ``current``; None if out of range."""
        if len(cmd.params) > len(params):
            return None
        new = dict(current)
        for i, p in enumerate(params):
            if not cmd.has(i):
                continue
            try:
                new[p.name] = cmd.int(i, lo=p.low, hi=p.high)
            except ArgumentError:
                return None
        return new

    @staticmethod
    def _link_param(cmd: Command, i: int = 0) -> int | None:
        """<link_num> 0-9, or None when missing, not a number or out of range."""
        try:
            return cmd.int(i, lo=LINK_RANGE[0], hi=LINK_RANGE[1])
        except ArgumentError:
            return None

    def _tcp_config(self) -> Any:
        """TcpConfig from CIPCCFG <NmRetry>/<TimeoutVal> and CIPTIMEOUT <cipopen_timeout>."""
        from simnet.net.tcp import TcpConfig

        base = TcpConfig()
        min_rto = self.ccfg["TimeoutVal"] / 1000.0
        changes: dict[str, Any] = {
            "syn_retries": self.ccfg["NmRetry"],
            "data_retries": self.ccfg["NmRetry"],
            "min_rto": min_rto,
            "initial_rto": max(base.initial_rto, min_rto),
            "max_rto": max(base.max_rto, min_rto),
            "connect_timeout": min(self.timeouts["cipopen_timeout"], MAX_RESPONSE_MS["CIPOPEN"])
            / 1000.0,
        }
        if self.keepalive_conf["keepalive"]:
            from simnet.net.tcp_engine import KeepaliveConfig

            ka = self.keepalive_conf
            changes["keepalive"] = KeepaliveConfig(
                idle=ka["keepidle"] * 60.0, interval=float(ka["keepinterval"]), count=ka["keepcount"])
        return dataclasses.replace(base, **changes)

    # =============================================================================================
    # AT+CRESET (SIM7600 / A76XX AT command manuals, "Reset module"): OK, then the module
    # restarts like a fresh one (simcom.tables.BOOT: boot time and lines).
    # =============================================================================================
    @command("+CRESET", forms="te")
    def creset(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.EXEC:
            self.module.sim.call_later(0, self.module.reboot, "creset")
        return ctx.ok()

    # =============================================================================================
    # Commands host drivers send at start-up (TinyGSM, m5stack uiflow, esp_modem), formats of
    # the SIM7600 / A76XX AT command manuals; vendor data in simcom.tables.
    # =============================================================================================
    @command("+CICCID", forms="te", latency="sim")
    def ciccid(self, ctx: Context, cmd: Command) -> Final:
        """Read the ICCID from the SIM: ``+ICCID: <ICCID>`` (readable before the PIN)."""
        if cmd.form is Form.TEST:
            return ctx.ok()
        card = getattr(ctx.bearer, "sim_card", None)
        state = str(getattr(card, "state", "absent"))
        if card is None or state == "absent":
            return ctx.cme(10)  # SIM not inserted
        if state == "off":
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

    @command("+CNMP", forms="trs")
    def cnmp(self, ctx: Context, cmd: Command) -> Final:
        """Preferred network mode (stored; the emulated network has one RAT)."""
        modes = tables.CNMP_MODES[self.module_id]
        if cmd.form is Form.TEST:
            ctx.info("+CNMP: (" + ",".join(str(m) for m in modes) + ")")
        elif cmd.form is Form.READ:
            ctx.info(f"+CNMP: {self.network_mode}")
        else:
            cmd.max_params(1)
            self.network_mode = cmd.int(0, allowed=modes)
        return ctx.ok()

    @command("+CSPN", forms="tr", latency="sim")
    def cspn(self, ctx: Context, cmd: Command) -> Final:
        """Service provider name from the SIM: ``+CSPN: "<spn>",<display mode>``."""
        if cmd.form is Form.TEST:
            return ctx.ok()
        card = getattr(ctx.bearer, "sim_card", None)
        if card is None or not getattr(card, "ready", False):
            return ctx.cme(10 if card is None or str(card.state) == "absent" else 13)
        op = getattr(ctx.bearer, "operator", None)
        ctx.info(f'+CSPN: "{getattr(op, "name", None) or "SIMNET"}",0')
        return ctx.ok()

    @command("+CPSI", forms="tr", latency="query")
    def cpsi(self, ctx: Context, cmd: Command) -> Final:
        """UE system information: ``+CPSI: NO SERVICE,Online`` or, registered,
        ``+CPSI: LTE,Online,<MCC>-<MNC>,<TAC>,<SCellID>,<PCellID>,<band>,<earfcn>,<dlbw>,
        <ulbw>,<RSRQ>,<RSRP>,<RSSI>,<RSSNR>`` (GSM: ``GSM,Online,<MCC>-<MNC>,<LAC>,<CellID>,
        <ARFCN>,<RxLev>,<TA>,<C1>,<C2>``) from the serving cell the radio reports."""
        if cmd.form is Form.TEST:
            return ctx.ok()
        radio = getattr(ctx.bearer, "radio", None)
        op = getattr(ctx.bearer, "operator", None)
        fun = getattr(self.module.base, "fun_level", 1)
        if radio is None or fun != 1 or not (radio.registered("ps") or radio.registered("cs")):
            ctx.info("+CPSI: NO SERVICE,Online" if fun == 1 else "+CPSI: NO SERVICE,Low Power Mode")
            return ctx.ok()
        plmn = str(getattr(op, "plmn", None) or "00101")
        mcc_mnc = f"{plmn[:3]}-{plmn[3:]}"
        rssi, _ber = radio.csq()
        dbm = -113 + 2 * rssi if rssi != 99 else -113
        profile = getattr(ctx.bearer, "profile", None)
        mode = getattr(profile, "cpsi", None) or ("LTE" if getattr(radio, "act", 7) == 7 else "GSM")
        if mode.startswith("LTE"):
            # RSRP over 50 resource blocks of 12 subcarriers (10 MHz): RSSI - 10*log10(600).
            # System mode, band, EARFCN and bandwidth fields as SIM7000/SIM7600 logs show them
            # for LTE, "LTE CAT-M1" and "LTE NB-IOT" (NB-IoT cells report bandwidth 0,0).
            rsrp = dbm - 28
            band, earfcn, bw = {"LTE CAT-M1": ("EUTRAN-BAND20", 6350, "5,5"),
                                "LTE NB-IOT": ("EUTRAN-BAND20", 6254, "0,0")}.get(mode, ("EUTRAN-BAND3", 1300, "5,5"))
            ctx.info(f"+CPSI: {mode},Online,{mcc_mnc},0x{radio.lac},{int(radio.ci, 16)},1,"
                     f"{band},{earfcn},{bw},-100,{rsrp * 10},{dbm * 10},10")
        else:
            ctx.info(f"+CPSI: GSM,Online,{mcc_mnc},0x{radio.lac},{int(radio.ci, 16)},62,"
                     f"{dbm + 111},0,{dbm + 111},{dbm + 111}")
        return ctx.ok()

    @command("+CNTP", forms="trse", latency="query")
    def cntp(self, ctx: Context, cmd: Command) -> Final:
        """``AT+CNTP="<server>"[,<tz>]`` stores the server and time zone (quarters of an
        hour); ``AT+CNTP`` answers OK, asks the server over the PDP context and reports
        ``+CNTP: <err>`` (0: the module clock, AT+CCLK, now shows the server's time)."""
        if cmd.form is Form.TEST:
            ctx.info('+CNTP: "",(-96-96)')
            return ctx.ok()
        if cmd.form is Form.READ:
            ctx.info(f'+CNTP: "{self.cntp_server}",{self.cntp_tz}')
            return ctx.ok()
        if cmd.form is Form.SET:
            cmd.max_params(2)
            server = cmd.str(0, max_len=255)
            tz_text = cmd.params[1].value if cmd.has(1) else "0"
            try:
                tz = int(tz_text or "0")  # quarters of an hour, signed
            except ValueError:
                return ctx.error()
            if not -96 <= tz <= 96 or not server:
                return ctx.error()
            self.cntp_server, self.cntp_tz = server, tz
            return ctx.ok()
        if not self.cntp_server:
            return ctx.error()
        self._spawn(self._cntp_process(self.cntp_server, self.cntp_tz))
        return ctx.ok()

    def _cntp_process(self, server: str, tz: int) -> Generator[Any, Any, None]:
        from simnet.modem.ntp_client import sync_clock

        result = tables.CNTP_RESULT["network"]
        if self.host.ip is not None:
            ip: str | None = server
            if not _is_ipv4(server):
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

    @command("+CTCPKA", forms="trs")
    def ctcpka(self, ctx: Context, cmd: Command) -> Final:
        """A76XX TCP keepalive for the sockets opened afterwards (simcom.tables.CTCPKA_PARAMS).
        A real A7670 answers ERROR before AT+NETOPEN (docs/driver-conformance.md)."""
        if cmd.form is Form.TEST:
            ctx.info("+CTCPKA: " + ",".join(f"({p.low}-{p.high})" for p in tables.CTCPKA_PARAMS))
            return ctx.ok()
        if cmd.form is Form.READ:
            ctx.info("+CTCPKA: " + ",".join(str(self.keepalive_conf[p.name]) for p in tables.CTCPKA_PARAMS))
            return ctx.ok()
        if self.net_state != "open":
            return ctx.error()
        new = self._opt_params(cmd, tables.CTCPKA_PARAMS, self.keepalive_conf)
        if new is None or not cmd.has(0):
            return ctx.error()
        self.keepalive_conf = new
        return ctx.ok()

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
        if not servers or not all(_is_ipv4(x) for x in servers):
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
            ctx.info(f"+NETOPEN: {1 if self.net_state in ('open', 'closing') else 0}")
            return ctx.ok()
        if self.net_state == "open":
            return self.ip_error(ctx, "network_already_opened")
        if self.net_state in ("opening", "closing"):
            return ctx.error()
        self._listen_bearer()
        self.net_state = "opening"
        self._spawn(self._netopen_process())
        return ctx.ok()

    def _netopen_process(self) -> Generator[Any, Any, None]:
        sim = self.module.sim
        # Never set by +CGDCONT: the module's default context (empty APN, the subscriber's
        # default), as on a fresh module and as ATD*99# does (docs/assumptions.md, SIMCom).
        gprs = self.packet_service()
        if gprs is None:  # a module without a packet service: the network cannot be opened
            self.net_state = "closed"
            self.urc(f"+NETOPEN: {self.err_code('network_failure')}")
            return
        self.module.base.ensure_context(PDP_CID)
        activation = gprs.activate(PDP_CID)
        limit_ms = min(self.timeouts["netopen_timeout"], MAX_RESPONSE_MS["NETOPEN"])
        limit = sim.timeout(limit_ms / 1000.0)
        yield activation | limit
        if activation.triggered:
            outcome = activation.value
            ok = bool(getattr(outcome, "ok", False)) or (
                str(getattr(outcome, "kind", "")) == "invalid_state" and self.host.is_up
            )
        else:  # CIPTIMEOUT <netopen_timeout> reached before the network answered
            outcome = None
            ok = False
            gprs.deactivate(PDP_CID)
        self.record("netopen", ok=ok, outcome=str(getattr(outcome, "kind", "timeout")))
        if self.net_state != "opening":
            return
        if ok:
            self.net_state = "open"
            self.urc("+NETOPEN: 0")
        else:
            self.net_state = "closed"
            self.urc(f"+NETOPEN: {self.err_code('network_failure')}")

    @command("+NETCLOSE", forms="e", latency="network")
    def netclose(self, ctx: Context, cmd: Command) -> Final:
        if self.net_state not in ("open",):
            for link in self.links:
                if link is not None and link.state == "dead":
                    self._release(link, local_reason=False)  # what the network loss left
            ctx.info(f"+NETCLOSE: {self.err_code('network_not_opened')}")
            return ctx.error()
        self.net_state = "closing"
        self._spawn(self._netclose_process())
        return ctx.ok()

    def _netclose_process(self) -> Generator[Any, Any, None]:
        # S76 L1102: NETCLOSE also closes every socket still open (reported as closed by local).
        for link in list(self.links):
            if link is not None:
                self._release(link, local_reason=True)
        for server in list(self.servers):
            if server is not None:
                server.listener.close()
                self.servers[server.index] = None
        gprs = self.packet_service()
        if gprs is not None:
            yield gprs.deactivate(PDP_CID)
        yield self.module.sim.timeout(self._latency("netclose"))
        self.net_state = "closed"
        self.urc("+NETCLOSE: 0")

    def _listen_bearer(self) -> None:
        if self._bearer_listening:
            return
        self._bearer_listening = True
        gprs = self.packet_service()
        if gprs is not None:
            gprs.add_listener(self._on_bearer_event)

    def _on_bearer_event(self, *args: Any) -> None:
        """GPRS listener: any loss of the socket context while open is "network closed"."""
        if self.net_state not in ("open", "opening") or self.host.is_up:
            return
        self._network_lost()

    def _network_lost(self) -> None:
        if self.net_state != "open":
            if self.net_state == "opening":
                return  # the activation outcome reports it
            return
        self.net_state = "lost"
        self.record("network_lost")
        for link in self.links:
            if link is None:
                continue
            if link.state == "connecting":
                self._connect_failed(link, "network_down")
                continue
            link.state = "dead"
            if link.transparent and link.data_link is not None:
                link.data_link.end(CLOSED_TEXT)
        for server in list(self.servers):
            if server is not None:
                server.listener.close()
                self.servers[server.index] = None
        # A76 4.2: the host must close every socket itself, then NETCLOSE (links stay allocated).
        self.urc(self.variant.network_lost_urc)

    # =============================================================================================
    # L1103  AT+CIPOPEN
    # =============================================================================================
    @command("+CIPOPEN", forms="trs", latency="network")
    def cipopen(self, ctx: Context, cmd: Command) -> Any:
        if cmd.form is Form.TEST:
            ctx.info(str(TEST_RESPONSES["CIPOPEN"]))
            return ctx.ok()
        if cmd.form is Form.READ:
            lines = []
            for i, link in enumerate(self.links):
                if link is None or link.state == "connecting":
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
            if cmd.has(0) and (cmd.params[0].value or "").isdigit():
                return self.ip_error(ctx, "invalid_parameter")  # S76 L1103 link > range
            return ctx.error()
        transparent = self.switch["CIPMODE"] == 1
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
        if self.net_state != "open":
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
            if not _is_ipv4(server) and not _valid_domain(server):
                return fail("wrong_parameter")
            local_port = local_port or None  # <localPort> 0: any free port, as a bind to 0
            if local_port is not None and self.host.tcp_port_in_use(local_port):
                return fail("bind_failed")  # A76 4.1 <err> 6, as the UDP bind answers
            return self._open_tcp(ctx, index, server, port, local_port, transparent)
        # UDP
        if transparent and (not server or port is None):
            return fail("wrong_parameter")  # L1103: transparent UDP needs the server
        if server and not _is_ipv4(server) and not _valid_domain(server):
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
        done = link.done = self.module.sim.event()
        self._spawn(self._connect_process(link, local_port, done), done)
        if not transparent:
            return ctx.ok()  # +CIPOPEN: <link>,<err> follows as a URC
        return self._await_transparent(ctx, link, done)

    def _await_transparent(self, ctx: Context, link: Link, done: Any) -> Generator[Any, Any, Final]:
        ok = yield done
        if not ok or self.links[link.index] is not link:
            return ctx.text(CONNECT_FAIL, error=True)
        data_link = TransparentLink(self, link)
        link.data_link = data_link
        return ctx.connect(data_link, self.connect_rate())

    def _connect_process(
        self, link: Link, local_port: int | None, done: Any
    ) -> Generator[Any, Any, None]:
        sim = self.module.sim
        yield sim.timeout(self._latency("cipopen"))
        target = link.server_ip
        started = sim.now
        if not _is_ipv4(target):
            result = yield self._resolve(target)
            if not result.ok or not result.addresses:
                self._connect_failed(link, "dns", done)
                return
            target = result.addresses[0]
            link.server_ip = target
        if self.links[link.index] is not link or link.state != "connecting":
            if not done.triggered:
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
        sock.on_connected = self._safe(lambda s: self._on_connected(link, done))
        sock.on_closed = self._safe(lambda s, reason: self._on_tcp_closed(link, reason, done))
        sock.on_data = self._safe(lambda s: self._on_tcp_data(link))
        sock.on_peer_fin = self._safe(lambda s: self._on_peer_fin(link))
        sock.on_acked = self._safe(lambda s, n: self._on_acked(link))

    def _resolve(self, name: str) -> Any:
        from simnet.net.dns import DnsResolverConfig

        resolver = self.host.resolver
        attempts = min(10, self.dnsset["max_query_retries"] + 1)
        if resolver.config.attempts != attempts:
            resolver.config = DnsResolverConfig(timeout=resolver.config.timeout, attempts=attempts)
        return resolver.resolve(name).event

    def _on_connected(self, link: Link, done: Any) -> None:
        if self.links[link.index] is not link:
            return
        link.state = "open"
        self.record("connected", link=link.index, remote=f"{link.server_ip}:{link.server_port}")
        if not link.transparent:
            self.urc(f"+CIPOPEN: {link.index},0")
        if not done.triggered:
            done.succeed(True)

    def _connect_failed(self, link: Link, reason: str, done: Any = None) -> None:
        if link.state == "failed":
            return  # already reported (e.g. the network went down during the lookup)
        link.state = "failed"
        done = done if done is not None else link.done
        if self.links[link.index] is link:
            self.links[link.index] = None
        err = self.err_code(CIPOPEN_FAILURE_ERR.get(reason, "unknown"))
        self.record("connect_failed", link=link.index, reason=reason, err=err)
        if not link.transparent:
            self.urc(f"+CIPOPEN: {link.index},{err}")
        if done is not None and not done.triggered:
            done.succeed(False)

    def _on_tcp_closed(self, link: Link, reason: str, done: Any = None) -> None:
        """The TCP model ended the connection (any reason)."""
        if link.state == "connecting":
            if self.links[link.index] is link:
                self._connect_failed(link, reason, done)
            return
        if link.close_waiter is not None and not link.close_waiter.triggered:
            link.close_waiter.succeed(reason)
        if self.links[link.index] is not link or link.state in ("closing", "dead"):
            return
        if reason == "network_down":
            # The bearer listener reports the loss; the link stays until AT+CIPCLOSE.
            link.state = "dead"
            if self.net_state == "open" and not self.host.is_up:
                self._network_lost()
            return
        self._passive_close(link, IPCLOSE_REASON.get(reason, 1))

    def _on_peer_fin(self, link: Link) -> None:
        # The peer closed: take what is left into the module buffer, close our side and report.
        if self.links[link.index] is not link or link.state != "open":
            return
        self._on_tcp_data(link)
        self._passive_close(link, IPCLOSE_REASON["peer_closed"])

    def _passive_close(self, link: Link, reason_code: int) -> None:
        self.links[link.index] = None
        link.state = "closing"
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
        link.state = "closing"
        self._fail_pending_acks(link)
        if link.sock is not None:
            link.sock.close()
        if link.data_link is not None:
            link.data_link.detach()
            self.module.hangup_data("netclose")
        if local_reason and was in ("open", "dead"):
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
        m = self.module
        while sock.readable:
            busy = m.in_data_mode or getattr(m, "_executing", False) or m.mode.name == "PROMPT"
            room = m.port.space - 64  # header bytes
            if busy or room <= 0:
                if link.push_retry is None:
                    link.push_retry = self._later(PUSH_RETRY, self._retry_push, link)
                return
            chunk = sock.recv(min(PUSH_CHUNK_MAX, room))
            if not chunk:
                break
            self._push(link.index, chunk, remote)

    def _retry_push(self, link: Link) -> None:
        link.push_retry = None
        self._on_tcp_data(link)

    def _buffer(self, index: int, data: bytes, remote: tuple[str, int]) -> int:
        stored, due = self.rx[index].append(data)
        self.rx_remote[index] = remote
        if due:
            self.urc(f"+CIPRXGET: 1,{index}")
        return stored

    def _push(self, index: int, data: bytes, remote: tuple[str, int] | None) -> None:
        header = push_header(
            show_remote=self.switch["CIPSRIP"] == 1,
            show_header=self.switch["CIPHEAD"] == 1,
            header_type=self.ccfg["HeaderType"],
            link=index,
            remote=remote,
            length=len(data),
        )
        delay = self.ccfg["DelayTm"] / 1000.0  # CIPCCFG <DelayTm>: hold received data this long
        if delay > 0:
            self._later(delay, self.urc_bytes, header + data)
        else:
            self.urc_bytes(header + data)

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
        if server and not _is_ipv4(server):
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
        placeholder.state = "resolving"
        self.links[index] = placeholder
        yield ctx.sleep(self._latency("dns_start"))
        result = yield self._resolve(name)
        taken = self.links[index] is placeholder
        if taken:
            self.links[index] = None
        if not taken or placeholder.state != "resolving":
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
        sock.on_datagram = self._safe(lambda s, data, addr: self._on_datagram(link, data, addr))
        sock.on_error = self._safe(lambda s, kind, addr: self._on_udp_error(link, kind))
        link.sock = sock
        link.state = "open"
        if server and port:
            link.udp_remote = (server, port)
        self.links[index] = link
        self.rx[index].clear()
        self.rx_remote[index] = None
        return self._udp_opened(ctx, link)

    def _udp_opened(self, ctx: Context, link: Link) -> Generator[Any, Any, Final]:
        yield ctx.sleep(self._latency("udp_open"))
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
            link.state = "dead"
            if self.net_state == "open" and not self.host.is_up:
                self._network_lost()

    # =============================================================================================
    # L1104  AT+CIPCLOSE
    # =============================================================================================
    @command("+CIPCLOSE", forms="trs", latency="network")
    def cipclose(self, ctx: Context, cmd: Command) -> Any:
        if cmd.form is Form.TEST:
            ctx.info(str(TEST_RESPONSES["CIPCLOSE"]))
            return ctx.ok()
        if cmd.form is Form.READ:
            states = ",".join(
                "1" if lk is not None and lk.state == "open" else "0" for lk in self.links
            )
            ctx.info(f"+CIPCLOSE: {states}")
            return ctx.ok()
        index = self._link_param(cmd)
        if index is None or len(cmd.params) > 1:
            if cmd.has(0) and (cmd.params[0].value or "").isdigit():
                ctx.info(f"+CIPCLOSE: {cmd.params[0].value},{self.err_code('wrong_parameter')}")
            return ctx.error()
        link = self.links[index]
        if link is None or link.state in ("connecting", "dead"):
            if link is not None and link.state == "dead":
                self._release(link, local_reason=False)  # abnormally closed: freed, but ERROR
            ctx.info(f"+CIPCLOSE: {index},{self.err_code('not_supported')}")
            return ctx.error()
        return self._close_link(ctx, link)

    def _close_link(self, ctx: Context, link: Link) -> Generator[Any, Any, Final]:
        self.links[link.index] = None
        link.state = "closing"
        self._fail_pending_acks(link)
        if link.data_link is not None:
            link.data_link.detach()
            self.module.hangup_data("cipclose")  # leaves online command mode quietly
        if link.kind == "UDP":
            link.sock.close()
            yield ctx.sleep(self._latency("cipclose"))
            if link.transparent:
                ctx.raw(b"\r\n" + CLOSED_TEXT.encode() + b"\r\n")  # S76 L1104: CLOSED first
            ctx.info(f"+CIPCLOSE: {link.index},0")
            return ctx.ok()
        self._spawn(self._tcp_close_process(link))
        return ctx.ok()

    def _tcp_close_process(self, link: Link) -> Generator[Any, Any, None]:
        sim = self.module.sim
        link.close_waiter = sim.event()
        link.sock.close()
        # +CIPCLOSE reports once the stack has sent FIN and the peer acknowledged it (or the
        # connection ended otherwise); bounded by the stack's own retransmission budget.
        waiter = link.close_waiter
        fin_acked = _FinAckWatch(sim, link.sock).event
        yield waiter | fin_acked
        yield sim.timeout(self._latency("cipclose"))
        if link.transparent:
            self.urc(CLOSED_TEXT)
        self.urc(f"+CIPCLOSE: {link.index},0")

    # =============================================================================================
    # L1105  AT+CIPSEND
    # =============================================================================================
    @command("+CIPSEND", forms="trs", latency="data")
    def cipsend(self, ctx: Context, cmd: Command) -> Any:
        if cmd.form in (Form.TEST, Form.READ):
            # L1105 lists the test form; its example shows the same answer for AT+CIPSEND?.
            ctx.info(str(TEST_RESPONSES["CIPSEND"]))
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
                if not _is_ipv4(ip):
                    return ciperror("wrong_parameter")
                remote = (ip, port)
        except ArgumentError:
            return ciperror("wrong_parameter")
        if self.net_state not in ("open", "lost"):
            return ciperror("network_not_opened")
        link = self.links[index]
        if link is None or link.state != "open" or link.transparent:
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
            spec = PromptSpec(
                prompt=b"\r\n>", terminator=None, cancel=None, length=length, max_len=length
            )
        got = yield ctx.prompt(spec)
        if not got.sent:
            return ctx.error()  # L1105: a single ESC cancels ("ERROR")
        data = bytes(got.data)
        yield ctx.sleep(self._latency("send_push"))
        req = len(data)
        if self.links[link.index] is not link or link.state != "open":
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
        if self.switch["CIPSENDMODE"] == 1:
            self._await_ack(link, req, accepted)
        else:
            ctx.urc(f"+CIPSEND: {link.index},{req},{accepted}")
        return ctx.ok()

    # CIPSENDMODE=1: the +CIPSEND URC waits for the peer's ACK of the last byte (L1111).
    def _await_ack(self, link: Link, req: int, accepted: int) -> None:
        threshold = link.sent_total
        limit = min(self.timeouts["cipsend_timeout"], MAX_RESPONSE_MS["CIPSEND"]) / 1000.0
        timer = self._later(limit, self._ack_timeout, link, threshold)
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
        if self.links[link.index] is not link or link.state != "open":
            return
        # Sending timed out (CIPTIMEOUT <cipsend_timeout>): the link is closed, reason 2.
        self.links[link.index] = None
        link.state = "closing"
        self._fail_pending_acks(link)
        link.sock.abort()
        self.record("send_timeout", link=link.index)
        self.urc(f"+IPCLOSE: {link.index},{IPCLOSE_REASON['send_timeout']}")

    def _fail_pending_acks(self, link: Link) -> None:
        for _threshold, _req, _accepted, timer in link.pending_acks:
            timer.cancel()
        link.pending_acks.clear()

    # =============================================================================================
    # L1106  AT+CIPRXGET
    # =============================================================================================
    @command("+CIPRXGET", forms="trs", latency="query")
    def ciprxget(self, ctx: Context, cmd: Command) -> Any:
        if cmd.form is Form.TEST:
            ctx.info(str(TEST_RESPONSES["CIPRXGET"]))
            return ctx.ok()
        if cmd.form is Form.READ:
            ctx.info(f"+CIPRXGET: {self.rx_mode}")
            return ctx.ok()
        mode = cmd.int(0, lo=0, hi=4)
        if mode in (0, 1):
            cmd.max_params(1)
            previous, self.rx_mode = self.rx_mode, mode
            if previous == 1 and mode == 0:
                self._later(0.0, self._flush_buffers)
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
        if self.rx_mode != 1 and not len(buf):
            return self.ip_error(ctx, "no_data")
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
                busy = m.in_data_mode or getattr(m, "_executing", False)
                room = m.port.space - 64
                if busy or room <= 0:
                    self._later(PUSH_RETRY, self._flush_buffers)
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
        if self.net_state == "open" and self.host.ip is not None:
            ctx.info(f"+IPADDR: {self.host.ip}")
            return ctx.ok()
        row = IP_ERRORS["network_not_opened"]
        detail = row.text if self.ccfg["errMode"] == 1 else str(row.code)
        ctx.info(f"{self.variant.ipaddr_not_open_prefix}{detail}")
        return ctx.error()

    # =============================================================================================
    # L1108-L1111  AT+CIPHEAD, AT+CIPSRIP, AT+CIPMODE, AT+CIPSENDMODE
    # =============================================================================================
    def _switch(self, ctx: Context, cmd: Command, name: str) -> Final:
        default, has_exec, _ref = SWITCHES[name]
        if cmd.form is Form.TEST:
            ctx.info(str(TEST_RESPONSES[name]))
            return ctx.ok()
        if cmd.form is Form.READ:
            ctx.info(f"+{name}: {self.switch[name]}")
            return ctx.ok()
        if cmd.form is Form.EXEC:
            if not has_exec:
                return ctx.error()
            value = default
        else:
            cmd.max_params(1)
            value = cmd.int(0, lo=0, hi=1)
        if (
            name == "CIPMODE"
            and self.net_state not in ("closed", "lost")
            and value != self.switch[name]
        ):
            return ctx.error()  # A76 1.4: CIPMODE is chosen before AT+NETOPEN
        self.switch[name] = value
        return ctx.ok()

    @command("+CIPHEAD", forms="trse")
    def ciphead(self, ctx: Context, cmd: Command) -> Final:
        return self._switch(ctx, cmd, "CIPHEAD")

    @command("+CIPSRIP", forms="trse")
    def cipsrip(self, ctx: Context, cmd: Command) -> Final:
        return self._switch(ctx, cmd, "CIPSRIP")

    @command("+CIPMODE", forms="trse")
    def cipmode(self, ctx: Context, cmd: Command) -> Final:
        return self._switch(ctx, cmd, "CIPMODE")

    @command("+CIPSENDMODE", forms="trs")
    def cipsendmode(self, ctx: Context, cmd: Command) -> Final:
        return self._switch(ctx, cmd, "CIPSENDMODE")

    # =============================================================================================
    # L1112 / L1113 / L1133  AT+CIPTIMEOUT, AT+CIPCCFG, AT+CIPDNSSET
    # =============================================================================================
    @command("+CIPTIMEOUT", forms="rs")
    def ciptimeout(self, ctx: Context, cmd: Command) -> Final:
        return self._table_setting(ctx, cmd, "CIPTIMEOUT", CIPTIMEOUT_PARAMS, "timeouts")

    @command("+CIPCCFG", forms="trse")
    def cipccfg(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.TEST:
            ctx.info(str(TEST_RESPONSES["CIPCCFG"]))
            return ctx.ok()
        if cmd.form is Form.EXEC:
            self.ccfg = {p.name: int(p.default or 0) for p in CIPCCFG_PARAMS}
            return ctx.ok()
        return self._table_setting(ctx, cmd, "CIPCCFG", CIPCCFG_PARAMS, "ccfg")

    @command("+CIPDNSSET", forms="rs")
    def cipdnsset(self, ctx: Context, cmd: Command) -> Final:
        return self._table_setting(ctx, cmd, "CIPDNSSET", CIPDNSSET_PARAMS, "dnsset")

    def _table_setting(
        self, ctx: Context, cmd: Command, name: str, params: tuple[Param, ...], attr: str
    ) -> Final:
        """Read form lists the values in table order; write form changes the given ones."""
        current: dict[str, int] = getattr(self, attr)
        if cmd.form is Form.READ:
            ctx.info(f"+{name}: " + ",".join(str(current[p.name]) for p in params))
            return ctx.ok()
        new = self._opt_params(cmd, params, current)
        if new is None:
            return ctx.error()
        setattr(self, attr, new)
        return ctx.ok()

    # =============================================================================================
    # L1114 / L1115  AT+SERVERSTART, AT+SERVERSTOP
    # =============================================================================================
    @command("+SERVERSTART", forms="trs", latency="network")
    def serverstart(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.TEST:
            ctx.info(str(TEST_RESPONSES["SERVERSTART"]))
            return ctx.ok()

        def ciperror(key: str) -> Final:
            ctx.info(f"+CIPERROR: {self.err_code(key)}")
            return ctx.error()

        if self.net_state != "open":
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
                self._safe(lambda sock, s=server: self._on_accept(s, sock)),
                backlog=backlog,
                config=self._tcp_config(),
            )
        except ConfigError:
            return ciperror("bind_failed")
        self.servers[index] = server
        self.record("server_start", index=index, port=port, backlog=backlog)
        return ctx.ok()

    def _on_accept(self, server: Server, sock: Any) -> None:
        if self.servers[server.index] is not server:
            sock.abort()
            return
        transparent = self.switch["CIPMODE"] == 1 and server.index == 0
        if transparent:
            free = [0] if self.links[0] is None else []
        else:
            start = 1 if self.switch["CIPMODE"] == 1 else 0
            free = [i for i in range(start, len(self.links)) if self.links[i] is None]
        if not free:
            self.record("accept_refused", server=server.index, reason="no free link")
            sock.abort()
            return
        index = free[0]
        remote_ip, remote_port = sock.remote
        link = Link(index, "TCP", remote_ip, remote_port, server_index=server.index, sock=sock)
        link.state = "open"
        link.transparent = transparent
        self.links[index] = link
        self.rx[index].clear()
        self.rx_remote[index] = None
        sock.on_closed = self._safe(lambda s, reason: self._on_tcp_closed(link, reason))
        sock.on_data = self._safe(lambda s: self._on_tcp_data(link))
        sock.on_peer_fin = self._safe(lambda s: self._on_peer_fin(link))
        sock.on_acked = self._safe(lambda s, n: self._on_acked(link))
        self.urc(f"+CLIENT: {index},{server.index},{remote_ip}:{remote_port}")
        if transparent:
            data_link = TransparentLink(self, link)
            link.data_link = data_link
            self._enter_data_mode(data_link)
        if sock.readable:
            self._on_tcp_data(link)

    def _enter_data_mode(self, data_link: TransparentLink) -> None:
        """Data mode without a command (A76 3.4.1: a client reached server 0 in CIPMODE=1)."""
        m = self.module
        enter = getattr(m, "enter_data_mode", None)
        if enter is not None:
            enter(data_link, f"CONNECT {self.connect_rate()}")
            return
        if m.in_data_mode or m._executing or m.session is not None:
            # A command is running (or another session exists): try again shortly.
            self._later(0.01, self._enter_data_mode, data_link)
            return
        if self.links[data_link.link.index] is not data_link.link:
            return
        m.prepare_data_mode(data_link)
        m._write_final(connect(self.connect_rate()))
        m._enter_data_mode()

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
        if listener.pending:
            # L1115 "the server socket starts to close": handshakes still in progress are
            # reset first, then the result follows OK as a URC.
            self.record("server_stop_reset", index=index, pending=listener.pending)
            listener.close(reset_pending=True)
            self._later(self._latency("cipclose"), self.urc, f"+SERVERSTOP: {index},0")
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
            ctx.info(str(TEST_RESPONSES["CIPACK"]))
            return ctx.ok()
        index = self._link_param(cmd)
        if index is None or len(cmd.params) > 1:
            return self.ip_error(ctx, "invalid_parameter")
        if self.net_state not in ("open", "lost"):
            return self.ip_error(ctx, "network_not_opened")
        link = self.links[index]
        if link is None or link.state != "open":
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
        if not _valid_domain(name) and not _is_ipv4(name):
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
        if not _is_ipv4(ip):
            return ctx.error()
        return self._dns_query(ctx, ip, reverse=True)

    def _dns_query(self, ctx: Context, query: str, *, reverse: bool) -> Generator[Any, Any, Final]:
        label = "+CDNSGHNAME" if reverse else "+CDNSGIP"
        yield ctx.sleep(self._latency("dns_start"))
        if self.net_state != "open" or self.host.ip is None:
            ctx.info(f"{label}: 0,{DNS_GENERAL_ERROR}")
            return ctx.error()
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
            ctx.info(str(TEST_RESPONSES["CPING"]))
            return ctx.ok()
        try:
            cmd.max_params(1 + len(CPING_PARAMS))
            dest = cmd.str(0, max_len=254)
            values: dict[str, int] = {}
            for i, p in enumerate(CPING_PARAMS, start=1):
                values[p.name] = cmd.int(i, p.default, lo=p.low, hi=p.high)
        except ArgumentError:
            return ctx.error()
        if not (_is_ipv4(dest) or _valid_domain(dest)):
            return ctx.error()
        if self.ping is not None and self.ping.active:
            return ctx.error()
        if self.host.ip is None:
            return ctx.error()
        self.ping = PingSession(self, dest, values)
        self._spawn(self.ping.run())
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
        if not _is_ipv4(target):
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
                on_reply=d._safe(self._on_result),
            )
        self.finished_sending = True
        self._maybe_done()

    def _on_result(self, result: Any) -> None:
        if not self.active:
            return
        self.outstanding -= 1
        d = self.dialect
        if result.ok:
            rtt_ms = int(result.rtt * 1000)
            self.stats.reply(rtt_ms)
            # <TTL> is the one the request was sent with: the L1134 example asks for 255 and
            # prints 255 on every reply line (docs/assumptions.md "SIMCom").
            d.urc(f"+CPING: 1,{result.from_ip or result.dst},{result.size},{rtt_ms},"
                  f"{self.values['ttl']}")
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

    The socket API reports no state changes, so the state is looked at on a backing-off timer
    (10 ms doubling to 1 s) while the close is in progress: cheap, and bounded by the TCP
    model's own FIN retransmission budget.
    """

    WAITING = (
        "ESTABLISHED",
        "FIN_WAIT_1",
        "CLOSE_WAIT",
        "LAST_ACK",
        "CLOSING",
        "SYN_SENT",
        "SYN_RCVD",
    )

    def __init__(self, sim: Any, sock: Any) -> None:
        self.sim = sim
        self.event = sim.event()
        self.sock = sock
        self.check(0.0)

    def check(self, waited: float) -> None:
        if self.event.triggered:
            return
        state = str(getattr(self.sock, "state", "CLOSED"))
        if state not in self.WAITING:
            self.event.succeed(state)
            return
        step = min(1.0, max(0.01, waited))
        self.sim.call_later(step, self.check, waited + step)


class TransparentLink(DataLink):
    """Link 0 in transparent mode (A76 1.5.4): UART bytes to the socket and back, ``+++``/ATO."""

    def __init__(self, dialect: SimcomDialect, link: Link) -> None:
        self.dialect = dialect
        self.link = link
        self.session: Any = None
        self.active = False
        self._out = bytearray()  # DTE bytes waiting for the packing timer
        self._flush_timer: Any = None
        self._pending_in = bytearray()  # network bytes waiting for UART space
        self._closing: str | None = None  # the peer closed: this ends data mode once drained

    # -- engine side ------------------------------------------------------------------------------
    def on_start(self, session: Any) -> None:
        self.session = session
        self.active = True
        self.pump()

    def on_dte_data(self, data: bytes) -> int:
        link = self.link
        if link.sock is None or link.state != "open":
            return len(data)  # nothing to carry it: dropped, as on a dead link
        room = TRANSPARENT_FLUSH_SIZE * 4 - len(self._out)
        take = data[: max(0, room)]
        self._out.extend(take)
        if len(self._out) >= TRANSPARENT_FLUSH_SIZE:
            self._flush()
        elif take:
            if self._flush_timer is not None:
                self._flush_timer.cancel()
            self._flush_timer = self.dialect._later(TRANSPARENT_FLUSH_IDLE, self._idle_flush)
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
        if self.link.state != "open" or self.dialect.links[self.link.index] is not self.link:
            return None
        self.pump()
        return f"CONNECT {self.dialect.connect_rate()}"

    def on_hangup(self, reason: str) -> None:
        d = self.dialect
        link = self.link
        self.active = False
        if d.links[link.index] is link:
            d.links[link.index] = None
            link.state = "closing"
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
        if not self._out or link.sock is None or link.state != "open":
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
            link.sock.on_writable = self.dialect._safe(lambda s: self._flush())
        if self.session is not None:
            resume = getattr(self.session, "resume_input", None)
            if resume is not None:
                resume()

    def deliver(self, data: bytes) -> None:
        """Bytes from the network (UDP datagrams) for the DTE."""
        self._pending_in.extend(data)
        self.pump()

    def pump(self) -> None:
        """Move network bytes to the UART while it has room (held while in command mode)."""
        session = self.session
        if session is None or not self.active or getattr(session, "suspended", False):
            return
        link = self.link
        if link.kind == "TCP" and link.sock is not None:
            while link.sock.readable:
                chunk = link.sock.recv(4096)
                if not chunk:
                    break
                self._pending_in.extend(chunk)
        if self._pending_in:
            space = getattr(session, "tx_space", len(self._pending_in))
            n = session.to_dte(bytes(self._pending_in[:space]))
            del self._pending_in[: n or 0]
        if self._closing is not None and not self._pending_in:
            message, self._closing = self._closing, None
            self.end(message)

    def end(self, message: str) -> None:
        """The connection ended by itself: leave data mode printing ``message``, but only once
        every byte received from the peer has reached the host (the UART drains at its own
        pace; ``on_dte_ready`` pumps again), so CLOSED always follows all of the data."""
        session = self.session
        if (self._pending_in and self.active and session is not None
                and getattr(session, "active", False) and not getattr(session, "suspended", False)):
            self._closing = message
            self.dialect.record("transparent_drain", link=self.link.index, pending=len(self._pending_in))
            return
        self.active = False
        if self.session is not None:
            self.session.end(message)
        else:
            self.dialect.urc(message)

    def detach(self) -> None:
        self.active = False

    def on_dte_ready(self) -> None:
        """The UART has room again (engine hook): move more network bytes."""
        self.pump()


class Sim7600Dialect(SimcomDialect):
    """SIM7600 family: follows the SIM7600 TCP/IP AT command chapter (L1101-L1135)."""

    variant = VARIANTS["simcom-sim7600"]


class A7670Dialect(SimcomDialect):
    """A76xx (A7670): follows the A76xx TCP/IP application note v1.02."""

    variant = VARIANTS["simcom-a7670"]


# Names of the commands this dialect owns (for the plain-ERROR bad-argument answer).
_OWN_COMMANDS = frozenset(name for spec in SimcomDialect.command_specs() for name in spec.names)
