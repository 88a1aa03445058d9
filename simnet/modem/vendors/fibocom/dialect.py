"""Fibocom L610 dialect: the +MIP family of FIBOCOM_L610_AT_Commands_User_Manual_TCP&UDP V1.0.0.

The module's IP stack is the simulated host's (``simnet.net``): +MIPCALL activates a PDP context
through the bearer model, +MIPOPEN opens real TCP/UDP sockets whose retransmission and keepalive
settings come from +MIPCONF / +MIPKEEPCONF, and every result (a refused connection, a retry
budget spent, a dead peer found by keepalive, a dropped bearer) reaches the terminal as the
code the manual defines for it. Vendor data (codes, ranges, formats) is in
``tables``; the send-path rules are the sans-IO engines of ``buffer``.
"""

from __future__ import annotations

import traceback
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from simnet.modem.at import OK as FINAL_OK
from simnet.modem.at import ArgumentError, Command, Final, Form, cme_error
from simnet.modem.dialect import (
    CME_27007,
    CTRL_Z,
    Context,
    DataLink,
    Dialect,
    PromptSpec,
    command,
)
from simnet.modem.links import DialupLink
from simnet.modem.ntp_client import sync_clock
from simnet.modem.vendors.fibocom import tables as T
from simnet.modem.vendors.fibocom.buffer import AccumulatingBuffer, OdmSpooler
from simnet.modem.vendors.fibocom.hexdata import (
    decode_hex,
    encode_hex,
    is_hostname,
    is_ipv4,
    is_ipv6,
    normalise_ipv4,
)

Gen = Generator[Any, Any, Final]


class BadParam(Exception):
    """A parameter outside its documented range: answered with +CME ERROR: 2000."""


def err(code: int) -> Final:
    return cme_error(code)


# --- parameter helpers (every +MIP parameter error is 2000, docs/assumptions.md) ------------
def p_int(cmd: Command, i: int, rng: T.IntRange | tuple[int, ...], default: int | None = None) -> int:
    if not cmd.has(i):
        if default is None:
            raise BadParam(f"parameter {i + 1} required")
        return default
    p = cmd.params[i]
    text = p.value or ""
    if p.quoted or not text.isdigit() or len(text) > 10:
        raise BadParam(f"parameter {i + 1}: not a decimal integer")
    value = int(text)
    if value not in rng:
        raise BadParam(f"parameter {i + 1}: {value} out of range")
    return value


def p_str(cmd: Command, i: int, max_len: int, default: str | None = None) -> str:
    if not cmd.has(i):
        if default is None:
            raise BadParam(f"parameter {i + 1} required")
        return default
    value = cmd.params[i].value or ""
    if len(value) > max_len:
        raise BadParam(f"parameter {i + 1}: longer than {max_len}")
    return value


def max_params(cmd: Command, n: int) -> None:
    if len(cmd.params) > n:
        raise BadParam(f"at most {n} parameters")


# --- per-socket configuration -------------------------------------------------------------
@dataclass
class MipConf:
    """+MIPCONF values of one socket (§1.1.12.4), in the manual's units (100 ms)."""

    retr_num: int = T.MIPCONF_RETR_DEFAULT
    min_to: int = T.MIPCONF_MIN_TO_DEFAULT
    max_to: int = T.MIPCONF_MAX_TO_DEFAULT
    close_delay: int = T.MIPCONF_CLOSE_DELAY_DEFAULT
    nack: int = T.MIPCONF_NACK_DEFAULT

    def line(self, sid: int) -> str:
        return (
            f"+MIPCONF: {sid},{self.retr_num},{self.min_to},{self.max_to},"
            f"{self.close_delay},{self.nack}"
        )


@dataclass
class KeepConf:
    """+MIPKEEPCONF (§1.1.13.4)."""

    mode: int = T.KEEP_MODE_DEFAULT
    idle: int = T.KEEP_IDLE_DEFAULT
    intvl: int = T.KEEP_INTVL_DEFAULT
    cnt: int = T.KEEP_CNT_DEFAULT


@dataclass
class FSocket:
    """One +MIP socket (1..6)."""

    sid: int
    proto: int
    remote: tuple[str, int] | None
    local_port: int
    buf: AccumulatingBuffer
    state: str = "opening"  # opening | listening | open | closing
    tcp: Any = None
    udp: Any = None
    listener: Any = None
    odm: bool = False
    pseudo_enabled: bool = True
    dsets_size: int = T.DSETS_SIZE_DEFAULT
    dsets_span: float = T.DSETS_SPAN_DEFAULT_MS / 1000.0
    push_timer: Any = None
    handed: int = 0  # bytes handed to the TCP send buffer
    ack_reported: int = 0
    rx_udp: deque[tuple[bytes, tuple[str, int]]] = field(default_factory=deque)
    rx_busy: bool = False  # the receive pump is pacing chunks (+MIPDSETS <time span>)
    rx_hold: bytearray = field(default_factory=bytearray)  # IPRFMT 5 / pseudo-command mode
    announced: int = 0  # TCP bytes announced by +MIPDATA and still in the socket
    peer_fin: bool = False
    closing_waiter: Any = None
    spool: OdmSpooler | None = None
    spool_timer: Any = None

    @property
    def is_tcp(self) -> bool:
        return self.proto in T.TCP_PROTOCOLS

    @property
    def active(self) -> bool:
        return self.state in ("open", "listening")


FIBOCOM_CME = CME_27007.extend(
    [(code, text, "Fibocom L610 TCP/UDP §2.1") for code, text in T.CME_ERRORS.items()]
    + [(code, text, "Fibocom L610 TCP/UDP §2.3") for code, text in T.TCPIP_ERRORS.items()]
)

# Commands of this dialect: their parameter errors answer +CME ERROR: 2000 (§2.3).
MIP_COMMANDS = frozenset(
    "+MIPCALL +MIPOPEN +MIPCLOSE +MIPSETS +MIPDSETS +MIPSEND +MIPPUSH +MIPFLUSH +MIPCONF "
    "+MIPKEEPCONF +MPING +MSDNS +MSV6DNS +MIPODM +MIPDNS +MIPNTP +MIPREAD +GTSET".split()
)


class OdmLink(DataLink):
    """The UART side of +MIPODM online data mode (§1.1.18)."""

    def __init__(self, dialect: L610Dialect) -> None:
        self.dialect = dialect

    def on_start(self, session: Any) -> None:
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
    data_mode_urcs = "hold"
    prompt_echo = False

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.sim = module.sim
        self.host = module.host
        self.bearer = module.bearer
        # +MIPCALL state (§1.1.1.4)
        self.call_status = T.MIPCALL_STATUS_DISCONNECTED
        self.local_ip: str | None = None
        self.local_ipv6: str | None = None
        self.call_cid = 1
        self.call_op = 1  # +MIPCALL <operation> of the link: 1 IPv4, 2 IPv6, 3 both
        self.call_dns: tuple[str, ...] = ()
        self.sockets: dict[int, FSocket] = {}
        self.conf: dict[int, MipConf] = {sid: MipConf() for sid in range(1, 7)}
        self.keep = KeepConf()
        self.msdns: dict[int, list[str | None]] = {sid: [None, None] for sid in range(1, 8)}
        self.msv6dns: dict[int, list[str | None]] = {sid: [None, None] for sid in range(1, 8)}
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
        self._listen_bearer()

    # =====================================================================================
    # Engine adapter: the only place that talks to the module core (dialect API).
    # =====================================================================================
    def _record(self, kind: str, **fields: Any) -> None:
        self.sim.record("fibocom", kind, **fields)

    # Model code must never raise into the simulation: every callback from the network, every
    # timer and every background procedure runs through these guards (a bug is traced).
    def _safe_call(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001
            self._record("callback_error", fn=getattr(fn, "__name__", "?"), error=repr(exc),
                         traceback=traceback.format_exc(limit=6))
            return None

    def _cb(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *args: self._safe_call(fn, *args)

    def _later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Any:
        return self.sim.call_later(delay, self._safe_call, fn, *args)

    def _at(self, when: float, fn: Callable[..., Any], *args: Any) -> Any:
        return self.sim.call_at(when, self._safe_call, fn, *args)

    def _spawn(self, gen: Generator[Any, Any, Any]) -> Any:
        def guarded() -> Generator[Any, Any, None]:
            try:
                yield from gen
            except Exception as exc:  # noqa: BLE001
                self._record("process_error", error=repr(exc),
                             traceback=traceback.format_exc(limit=6))

        return self.sim.process(guarded())

    def _urc(self, text: str) -> None:
        self.module.urc(text)

    def _urc_raw(self, data: bytes) -> None:
        """Received data written without URC framing (IPRFMT 1 and 2). Written at once when the
        UART is free, otherwise queued like a URC so it never splits a response."""
        module = self.module
        module.urc_raw(bytes(data))

    def _pin_restricted(self) -> Final | None:
        """Every +MIP command is "Pin Restricted" (attribute tables of §1.1 and §1.2): without
        a ready SIM it answers the 27.007 SIM error (§2.1 10/11/12/13)."""
        card = getattr(self.bearer, "sim_card", None)
        state = str(getattr(card, "state", "ready"))
        code = T.SIM_STATE_ERRORS.get(state)
        return cme_error(code) if code is not None else None

    def _ppp_session_up(self) -> bool:
        """A dial-up session (ATD*99#) holds the PDP context, in data mode or suspended by +++."""
        session = self.module.session
        return session is not None and session.active and isinstance(session.link, DialupLink)

    def bad_argument(self, ctx: Context, cmd: Command, err: ArgumentError) -> Final:
        if cmd.name in MIP_COMMANDS:
            return cme_error(T.Err.PARAM_WRONG)
        return super().bad_argument(ctx, cmd, err)

    def _dispatch(self, ctx: Context, cmd: Command, handler: Callable[..., Any]) -> Gen:
        out: list[str | bytes] = []
        if cmd.form is not Form.TEST and (blocked := self._pin_restricted()) is not None:
            return blocked
        if cmd.form is Form.SET and cmd.name in T.PPP_EXCLUSIVE and self._ppp_session_up():
            return err(T.Err.PPP_MODE)
        result = yield from self.run(handler, cmd, out)
        for item in out:
            if isinstance(item, bytes):
                ctx.raw(item + b"\r\n")
            else:
                ctx.info(item)
        return result

    # =====================================================================================
    # Handler table (dialect API registration)
    # =====================================================================================
    @command("+MIPCALL", forms="srt", latency="network")
    def _c_mipcall(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_mipcall))

    @command("+MIPOPEN", forms="srt", latency="network")
    def _c_mipopen(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_mipopen))

    @command("+MIPCLOSE", forms="srt")
    def _c_mipclose(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_mipclose))

    @command("+MIPSETS", forms="srt")
    def _c_mipsets(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_mipsets))

    @command("+MIPDSETS", forms="srt")
    def _c_mipdsets(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_mipdsets))

    @command("+MIPSEND", forms="sr", latency="data")
    def _c_mipsend(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_mipsend))

    @command("+MIPPUSH", forms="srt", latency="data")
    def _c_mippush(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_mippush))

    @command("+MIPFLUSH", forms="srt")
    def _c_mipflush(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_mipflush))

    @command("+MIPCONF", forms="srt")
    def _c_mipconf(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_mipconf))

    @command("+MIPKEEPCONF", forms="srt")
    def _c_mipkeepconf(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_mipkeepconf))

    @command("+MPING", forms="srt", latency="network")
    def _c_mping(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_mping))

    @command("+MSDNS", forms="srt")
    def _c_msdns(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_msdns))

    @command("+MSV6DNS", forms="srt")
    def _c_msv6dns(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_msv6dns))

    @command("+MIPODM", forms="srt", latency="network")
    def _c_mipodm(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_mipodm))

    @command("+MIPDNS", forms="s", latency="network")
    def _c_mipdns(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_mipdns))

    @command("+MIPNTP", forms="srt", latency="network")
    def _c_mipntp(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_mipntp))

    @command("+MIPREAD", forms="sr", latency="data")
    def _c_mipread(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_mipread))

    @command("+GTSET", forms="s")
    def _c_gtset(self, ctx: Context, cmd: Command) -> Gen:
        return (yield from self._dispatch(ctx, cmd, self.h_gtset))

    def unsupported_form(self, ctx: Context, cmd: Command) -> Final:
        # A +MIP command in a form its syntax table does not list (e.g. AT+MIPSEND=?).
        if cmd.name in MIP_COMMANDS:
            return cme_error(T.Err.OPERATION_NOT_SUPPORTED)
        return super().unsupported_form(ctx, cmd)

    def run(self, handler: Callable[..., Any], cmd: Command, out: list[str | bytes]) -> Gen:
        """Run one handler, turning parameter errors into +CME ERROR: 2000."""
        try:
            result = handler(cmd, out)
            if isinstance(result, Generator):
                result = yield from result
        except (BadParam, ArgumentError) as exc:
            self._record("bad_param", command=cmd.name, detail=str(exc))
            out.clear()
            return err(T.Err.PARAM_WRONG)
        return result

    @staticmethod
    def _test_form(cmd: Command, out: list[str | bytes]) -> Final:
        line = T.TEST_RESPONSES.get(cmd.name)
        if line is None:
            return err(T.Err.OPERATION_NOT_SUPPORTED)
        out.append(line)
        return FINAL_OK

    # =====================================================================================
    # +MIPCALL (§1.1.1)
    # =====================================================================================
    def h_mipcall(self, cmd: Command, out: list[str | bytes]) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(cmd, out)
        if cmd.form is Form.READ:
            if self.call_status == T.MIPCALL_STATUS_CONNECTED:
                # §1.1.1.2: <status>[,<local IP address>[,<local IPv6 address>]] - the IPv6
                # address keeps its third place, so an IPv6-only link leaves the IPv4 one empty.
                ipv6 = f",{self.local_ipv6}" if self.local_ipv6 else ""
                out.append(f"+MIPCALL: 1,{self.local_ip if self.call_op != 2 else ''}{ipv6}")
            else:
                out.append(f"+MIPCALL: {self.call_status}")
            return FINAL_OK
        if cmd.form is not Form.SET:
            return err(T.Err.OPERATION_NOT_SUPPORTED)
        max_params(cmd, 5)
        op = p_int(cmd, 0, T.MIPCALL_OPERATIONS)
        if op == 0:
            if len(cmd.params) > 1:
                raise BadParam("operation 0 takes no other parameter")
            if self.call_status == T.MIPCALL_STATUS_BUSY:
                return err(T.Err.OPERATION_NOT_ALLOWED)
            if self.call_status != T.MIPCALL_STATUS_CONNECTED:
                return err(T.Err.MIPCALL_NOT_ACTIVE)
            self.call_status = T.MIPCALL_STATUS_BUSY
            self._spawn(self._deactivate())
            return FINAL_OK
        apn: str | None = None
        cid = 1
        if cmd.has(1):
            p = cmd.params[1]
            if not p.quoted and (p.value or "").isdigit():
                cid = p_int(cmd, 1, T.MIPCALL_CIDS)
                if op != 1:
                    # IPv6 / dual links "can only used for actived by APN" (§1.1.1.4)
                    raise BadParam("operations 2 and 3 need an APN")
            else:
                apn = p_str(cmd, 1, T.MIPCALL_APN_MAX)
        user = p_str(cmd, 2, T.MIPCALL_USER_MAX, "")
        password = p_str(cmd, 3, T.MIPCALL_PASSWORD_MAX, "")
        auth = p_int(cmd, 4, T.MIPCALL_AUTH, 0 if not (user or password) else 3)
        if op in (2, 3) and apn is None:
            raise BadParam("operations 2 and 3 need an APN")
        pdp_type = {1: "IP", 2: "IPV6", 3: "IPV4V6"}[op]
        if self.call_status != T.MIPCALL_STATUS_DISCONNECTED:
            return err(T.Err.OPERATION_NOT_ALLOWED)
        if getattr(self.bearer, "gprs", None) is None:
            return err(30)  # "no network service" (§2.1): a module without a bearer
        if apn is not None:
            # An APN given here defines context 1 for the call (a choice, docs/assumptions.md).
            self._define_context(cid, pdp_type, apn, user, password, auth)
        elif not self._context_defined(cid):
            if cid != 1:
                return err(2009)  # "TCPIP pdp not defined" (§2.3): that <cid> needs +CGDCONT
            # Never set by +CGDCONT: the module's default context 1 (empty APN, the subscriber's
            # default), as on a fresh module and as ATD*99# does (docs/assumptions.md, Fibocom).
            self.module.base.ensure_context(cid, pdp_type)
            if cmd.has(2) or cmd.has(3) or cmd.has(4):
                self.bearer.gprs.set_auth(cid, T.AUTH_NAMES[auth], user, password)
        elif cmd.has(2) or cmd.has(3) or cmd.has(4):
            # credentials given with a <cid>: they apply to that +CGDCONT context
            self.bearer.gprs.set_auth(cid, T.AUTH_NAMES[auth], user, password)
        self.call_status = T.MIPCALL_STATUS_BUSY
        self.call_cid = cid
        self.call_op = op
        self._spawn(self._activate(cid, op))
        return FINAL_OK

    def _define_context(
        self, cid: int, pdp_type: str, apn: str, user: str, password: str, auth: int
    ) -> None:
        self.bearer.gprs.define_context(
            cid, pdp_type, apn, user=user, password=password, auth=T.AUTH_NAMES[auth]
        )

    def _context_defined(self, cid: int) -> bool:
        ctx = self.bearer.gprs.contexts.get(cid) if hasattr(self.bearer.gprs, "contexts") else None
        return ctx is not None and bool(getattr(ctx, "apn", ""))

    def _activate(self, cid: int, op: int) -> Generator[Any, Any, None]:
        """OK was sent; the activation outcome arrives as +MIPCALL: <ip> or +MIPCALL: 0."""
        event = self.bearer.gprs.activate(cid)
        bound = self.sim.timeout(T.MIPCALL_BOUND_S)
        yield event | bound
        if not event.triggered or not getattr(event, "ok", True):
            # Activation still pending after 30 s (§1.1.1.2 notes): give up and tell the user.
            self._record("mipcall_bound", cid=cid)
            try:
                self.bearer.gprs.deactivate(cid)
            except Exception:  # noqa: BLE001 - the bearer may already have dropped it
                pass
            self._set_last_error(f"no answer to the PDP activation within {T.MIPCALL_BOUND_S:g} s")
            self.call_status = T.MIPCALL_STATUS_DISCONNECTED
            self._urc("+MIPCALL: 0")
            return
        outcome = event.value
        if not outcome.ok or not outcome.ip:
            self._record("mipcall_failed", outcome=str(outcome.kind), cause=outcome.cause)
            self._set_last_error(outcome.detail or str(outcome.kind))
            self.call_status = T.MIPCALL_STATUS_DISCONNECTED
            self._urc("+MIPCALL: 0")
            return
        self.call_status = T.MIPCALL_STATUS_CONNECTED
        self.local_ip = outcome.ip
        self.call_dns = tuple(outcome.dns)
        self.local_ipv6 = self._ipv6_for(outcome.ip) if op in (2, 3) else None
        if op == 2:
            self._urc(f"+MIPCALL: {self.local_ipv6}")
        elif op == 3:
            self._urc(f"+MIPCALL: {self.local_ip},{self.local_ipv6}")
        else:
            self._urc(f"+MIPCALL: {self.local_ip}")

    def uplink_backlog(self) -> int:
        """IP packets of this module waiting for the radio uplink (its transmit memory)."""
        network = getattr(self.host, "network", None)
        if network is None:
            return 0
        return int(network.link(self.host.name).uplink.queue_length)

    def _set_last_error(self, text: str) -> None:
        """What AT+CEER reports next (TS 27.007 §6.10: the last unsuccessful PDP activation or
        the last context deactivation)."""
        self.module.base.last_error = text

    @staticmethod
    def _ipv6_for(ipv4: str) -> str:
        # The simulated core is IPv4-only: an IPv6 PDP gets a documentation-prefix address
        # derived from the IPv4 one, reported but not routable (docs/assumptions.md).
        a, b, c, d = (int(x) for x in ipv4.split("."))
        return f"2001:DB8::{(a << 8) | b:X}:{(c << 8) | d:X}"

    def _deactivate(self) -> Generator[Any, Any, None]:
        for sid in sorted(self.sockets):
            self._socket_lost(self.sockets[sid], T.MIPSTAT_BROKEN)
        event = self.bearer.gprs.deactivate(self.call_cid)
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
            self._urc("+MIPCALL: 0")

    def _listen_bearer(self) -> None:
        if getattr(self, "_bearer_listener", None) is not None:
            return  # registered before a restart: the same listener still serves
        add = getattr(getattr(self.bearer, "gprs", None), "add_listener", None)
        if add is not None:
            self._bearer_listener = self._cb(self._on_bearer_event)
            add(self._bearer_listener)

    def on_power_off(self) -> None:
        if self.ping_job is not None:
            self.ping_job.abort()

    def _on_bearer_event(self, *args: Any) -> None:
        """Context lost under our feet (bearer drop, network deactivation)."""
        outcome = next((a for a in args if hasattr(a, "kind")), None)
        kind = str(getattr(outcome, "kind", ""))
        if self.call_status != T.MIPCALL_STATUS_CONNECTED:
            return
        if kind in ("network_lost", "deactivated") or (self.host.ip is None and self.local_ip):
            self._record("mipcall_lost", reason=kind)
            self._set_last_error(str(getattr(outcome, "detail", "") or kind or "context lost"))
            for sid in sorted(self.sockets):
                self._socket_lost(self.sockets[sid], T.MIPSTAT_BROKEN)
            self._call_down(report=True)

    def _require_call(self) -> Final | None:
        if self.call_status != T.MIPCALL_STATUS_CONNECTED or self.host.ip is None:
            return err(T.Err.MIPCALL_NOT_ACTIVE)
        return None

    # =====================================================================================
    # DNS (used by +MIPOPEN, +MIPODM, +MPING, +MIPDNS, +MIPNTP)
    # =====================================================================================
    def _dns_servers(self, sid: int) -> list[str]:
        own = [s for s in self.msdns.get(sid, [None, None]) if s]
        return own or list(self.call_dns) or list(self.host.dns_servers)

    def _resolve(self, name: str, sid: int) -> Generator[Any, Any, str | None]:
        """Resolve ``name`` with the socket's DNS servers (+MSDNS, else the network's); None on
        failure. Answers come from the resolver model: NXDOMAIN fails at once, while silent
        servers are asked again until the 60 s bound of §1.1.2.1 ends the wait."""
        if is_ipv4(name):
            return normalise_ipv4(name)
        from simnet.net.dns import DnsResolver, DnsResolverConfig

        resolver = DnsResolver(self.host, DnsResolverConfig(timeout=T.DNS_TRY_S, attempts=1))
        resolver.set_servers(self._dns_servers(sid))
        bound = self.sim.timeout(T.DNS_BOUND_S)
        while True:
            query = resolver.resolve(name)
            yield query.event | bound
            if not query.event.triggered:
                self._record("dns_bound", name=name)
                return None
            result = query.event.value
            if result.ok and result.addresses:
                return str(result.addresses[0])
            if result.error != "timeout" or bound.processed:
                self._record("dns_failed", name=name, error=str(result.error))
                return None

    # =====================================================================================
    # +MIPOPEN (§1.1.2) and +MIPODM (§1.1.18)
    # =====================================================================================
    def _free_ids(self) -> list[int]:
        return [sid for sid in range(1, 7) if sid not in self.sockets]

    def h_mipopen(self, cmd: Command, out: list[str | bytes]) -> Gen:
        return (yield from self._open(cmd, out, odm=False))

    def h_mipodm(self, cmd: Command, out: list[str | bytes]) -> Gen:
        return (yield from self._open(cmd, out, odm=True))

    def _open(self, cmd: Command, out: list[str | bytes], *, odm: bool) -> Gen:
        name = "+MIPODM" if odm else "+MIPOPEN"
        if cmd.form is Form.TEST:
            return self._test_form(cmd, out)
        if cmd.form is Form.READ:
            free = self._free_ids()
            out.append(f"{name}: {','.join(map(str, free)) if free else 0}")
            return FINAL_OK
        if cmd.form is not Form.SET:
            return err(T.Err.OPERATION_NOT_SUPPORTED)
        max_params(cmd, 6 if odm else 5)
        if not cmd.has(0) or not (cmd.params[0].value or "").isdigit():
            raise BadParam("socket id")
        sid = int(cmd.params[0].value or "0")
        if sid not in T.SOCKET_IDS:
            return err(T.Err.SOCKET_LIMIT)
        src_port = p_int(cmd, 1, T.PORTS, 0)
        remote = p_str(cmd, 2, T.HOSTNAME_MAX)
        rport = p_int(cmd, 3, T.PORTS)
        proto = p_int(cmd, 4, T.PROTOCOLS)
        pseudo = p_int(cmd, 5, T.ODM_PSEUDO, T.ODM_PSEUDO_DEFAULT) if odm else 0
        if not (is_ipv4(remote) or is_ipv6(remote) or is_hostname(remote)):
            raise BadParam("remote address")
        if odm and rport == 0:
            raise BadParam("ODM needs a remote port (§1.1.18.4)")
        if rport == 0 and src_port == 0:
            raise BadParam("a listening socket needs a source port")
        if (failure := self._require_call()) is not None:
            return failure
        if sid in self.sockets:
            return err(T.Err.SOCKET_USED)
        if odm and self.odm_sid is not None:
            return err(T.Err.INVALID_OPERATION)  # one ODM socket at a time (§1.1.18.1)
        if proto in T.SSL_PROTOCOLS:
            return err(T.Err.PROTOCOL_ERROR)  # no TLS in this build (docs/assumptions.md)
        if proto >= 60 or is_ipv6(remote) and not is_ipv4(remote):
            return err(T.Err.PROTOCOL_ERROR)  # the simulated network routes IPv4 only
        # Reserve the id now: a second open on it while DNS runs must see "socket used".
        fs = FSocket(sid, proto, None, src_port, self._new_buffer(), odm=odm)
        fs.pseudo_enabled = pseudo == 0
        self.sockets[sid] = fs
        ip = normalise_ipv4(remote) if is_ipv4(remote) else None
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
        return FINAL_OK

    def _new_buffer(self) -> AccumulatingBuffer:
        return AccumulatingBuffer()

    def tcp_config(self, sid: int) -> Any:
        """TcpConfig from +MIPCONF (retries, RTO bounds) and +MIPKEEPCONF (keepalive)."""
        from simnet.net.tcp import TcpConfig

        conf = self.conf[sid]
        kwargs: dict[str, Any] = {
            "data_retries": conf.retr_num,
            "syn_retries": conf.retr_num,
            "min_rto": conf.min_to * T.MIPCONF_UNIT_S,
            "max_rto": conf.max_to * T.MIPCONF_UNIT_S,
            "send_buffer": T.TCP_SEND_BUFFER,
            # <max_close_delay> "required by RFC 793": the TIME-WAIT of 2 MSL, and the bound on
            # an orphaned FIN-WAIT-2 (docs/assumptions.md).
            "msl": conf.close_delay * T.MIPCONF_UNIT_S / 2,
            "fin_wait2_timeout": conf.close_delay * T.MIPCONF_UNIT_S,
        }
        if self.keep.mode == 1:
            kwargs["keepalive"] = (float(self.keep.idle), float(self.keep.intvl), self.keep.cnt)
        return TcpConfig(**kwargs)

    def _start_socket(self, fs: FSocket) -> Final | None:
        from simnet.errors import ConfigError

        try:
            if fs.is_tcp:
                if fs.remote is None:
                    fs.listener = self.host.tcp_listen(
                        fs.local_port,
                        self._cb(lambda sock, fs=fs: self._on_accept(fs, sock)),
                        backlog=1,
                        config=self.tcp_config(fs.sid),
                    )
                    fs.state = "listening"
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
                self._cb(lambda _sock, data, addr, fs=fs: self._on_datagram(fs, data, addr)),
                self._cb(lambda _sock, kind, addr, fs=fs: self._on_udp_error(fs, kind)),
            )
            fs.udp = udp
            fs.local_port = udp.port
        except ConfigError as exc:
            self._record("open_failed", sid=fs.sid, detail=str(exc))
            return err(2011)  # "TCPIP socket bind fail" (§2.3)
        fs.state = "open"
        # UDP needs no handshake: the socket is active as soon as it is bound.
        self._later(0.0, self._opened, fs)
        return None

    def _wire_tcp(self, fs: FSocket, tcp: Any) -> None:
        fs.tcp = tcp
        tcp.on_connected = self._cb(lambda _s, fs=fs: self._opened(fs))
        tcp.on_data = self._cb(lambda _s, fs=fs: self._on_tcp_data(fs))
        tcp.on_acked = self._cb(lambda _s, n, fs=fs: self._on_acked(fs))
        tcp.on_writable = self._cb(lambda _s, fs=fs: self._drain(fs))
        tcp.on_peer_fin = self._cb(lambda _s, fs=fs: self._on_peer_fin(fs))
        tcp.on_closed = self._cb(lambda _s, reason, fs=fs: self._on_tcp_closed(fs, reason))

    def _on_accept(self, fs: FSocket, sock: Any) -> None:
        if self.sockets.get(fs.sid) is not fs or fs.state != "listening":
            sock.abort()
            return
        if fs.listener is not None:
            fs.listener.close()
            fs.listener = None
        self._wire_tcp(fs, sock)
        fs.remote = (sock.remote[0], sock.remote[1])
        fs.state = "open"
        self._urc(f"+MIPOPEN: {fs.sid},1,{fs.remote[0]},{fs.remote[1]}")

    def _opened(self, fs: FSocket) -> None:
        if self.sockets.get(fs.sid) is not fs:
            return
        fs.state = "open"
        name = "+MIPODM" if fs.odm else "+MIPOPEN"
        self._urc(f"{name}: {fs.sid},1")
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
        status = T.MIPSTAT_FOR_CLOSE_REASON.get(str(reason), T.MIPSTAT_BROKEN)
        if fs.peer_fin and str(reason) in ("peer_closed", "local"):
            status = T.MIPSTAT_ALERT
        # Deliver what already arrived before saying the socket is gone.
        self._pump_rx(fs, final=True)
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
        if str(kind) == "network_down" and self.sockets.get(fs.sid) is fs:
            self._socket_lost(fs, T.MIPSTAT_BROKEN)

    def _socket_lost(self, fs: FSocket, status: int) -> None:
        """Free the socket and report +MIPSTAT: <id>,<status>[,<acked>] (§1.1.11.2)."""
        if self.sockets.get(fs.sid) is not fs:
            return
        del self.sockets[fs.sid]
        self._release(fs)
        nack = self.conf[fs.sid].nack
        acked = self._acked(fs)
        suffix = f",{acked}" if fs.is_tcp and nack != T.NACK_OFF else ""
        if fs.odm and self.odm_sid == fs.sid:
            self._odm_end()
        self._urc(f"+MIPSTAT: {fs.sid},{status}{suffix}")

    def _release(self, fs: FSocket) -> None:
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
            for attr in ("on_connected", "on_data", "on_acked", "on_writable", "on_peer_fin"):
                setattr(fs.tcp, attr, None)
            if fs.closing_waiter is None:
                fs.tcp.on_closed = None
        fs.state = "closed"

    @staticmethod
    def _acked(fs: FSocket) -> int:
        return int(getattr(fs.tcp, "bytes_acked", 0) or 0) if fs.tcp is not None else 0

    def _on_acked(self, fs: FSocket) -> None:
        # ACK indication (+MIPCONF <is_nack_ind_req> 2): report once everything handed to the
        # stack is acknowledged (docs/assumptions.md).
        if self.conf[fs.sid].nack == T.ACK_IND and fs.tcp is not None:
            acked = self._acked(fs)
            if acked >= fs.handed and acked > fs.ack_reported:
                fs.ack_reported = acked
                self._urc(f"+MIPSTAT: {fs.sid},{T.MIPSTAT_ACK},{acked}")
        self._drain(fs)

    # =====================================================================================
    # +MIPCLOSE (§1.1.3)
    # =====================================================================================
    def h_mipclose(self, cmd: Command, out: list[str | bytes]) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(cmd, out)
        if cmd.form is Form.READ:
            active = [sid for sid in sorted(self.sockets) if self.sockets[sid].active]
            out.append(f"+MIPCLOSE: {','.join(map(str, active)) if active else 0}")
            return FINAL_OK
        if cmd.form is not Form.SET:
            return err(T.Err.OPERATION_NOT_SUPPORTED)
        max_params(cmd, 2)
        sid = p_int(cmd, 0, T.SOCKET_IDS)
        mode = p_int(cmd, 1, T.CLOSE_MODES, T.CLOSE_MODE_WAIT_FIN_ACK)
        fs = self.sockets.get(sid)
        if fs is None or fs.state not in ("open", "listening", "opening"):
            return err(T.Err.SOCKET_NOT_OPENED)
        self._spawn(self._close(fs, mode))
        return FINAL_OK

    def _close(self, fs: FSocket, mode: int) -> Generator[Any, Any, None]:
        """OK was sent; +MIPCLOSE: <id>[,<acked>],<close_type> follows when the close ends."""
        sid = fs.sid
        conf = self.conf[sid]
        show_acked = fs.is_tcp and conf.nack != T.NACK_OFF
        if self.sockets.get(sid) is fs:
            del self.sockets[sid]
        if fs.odm and self.odm_sid == sid:
            self.odm_sid = None
        tcp = fs.tcp
        fs.closing_waiter = self.sim.event() if tcp is not None else None
        self._release(fs)
        close_type = T.CLOSE_TYPE_OK
        if tcp is not None and getattr(tcp, "close_reason", None) is None:
            tcp.close()
            if mode != T.CLOSE_MODE_NO_WAIT:
                close_type = yield from self._wait_close(tcp, fs, mode, conf)
        acked = int(getattr(tcp, "bytes_acked", 0) or 0) if tcp is not None else 0
        acked_txt = f",{acked}" if show_acked else ""
        self._urc(f"+MIPCLOSE: {sid}{acked_txt},{close_type}")

    def _wait_close(self, tcp: Any, fs: FSocket, mode: int, conf: MipConf) -> Generator[Any, Any, int]:
        """Mode 0: until our FIN is acknowledged; mode 2: until TIME_WAIT (2 MSL) ends. The
        peer must answer within <max_close_delay> or the socket is aborted (close type 1)."""
        deadline = self.sim.now + conf.close_delay * T.MIPCONF_UNIT_S
        time_wait_since: float | None = None
        while True:
            state = str(getattr(tcp, "state", "CLOSED")).upper().replace("TCPSTATE.", "")
            reason = getattr(tcp, "close_reason", None)
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
                cfg = getattr(getattr(tcp, "connection", None), "cfg", None)
                two_msl = 2 * float(getattr(cfg, "msl", 0.0) or 0.0)
                yield self.sim.timeout(max(0.0, time_wait_since + two_msl - self.sim.now))
                if str(getattr(tcp, "state", "CLOSED")) == "TIME_WAIT":
                    return T.CLOSE_TYPE_OK  # the model's own timer is due at this instant
                continue
            if not fin_acked and self.sim.now >= deadline - 1e-9:
                tcp.abort()
                return T.CLOSE_TYPE_TIMEOUT
            # Re-check on every TCP callback, and at the close-delay deadline.
            waiter = self.sim.event()
            fs.closing_waiter = waiter
            tcp.on_closed = self._cb(lambda _s, r, w=waiter: w.succeed(r) if not w.triggered else None)
            tcp.on_acked = self._cb(lambda _s, n, w=waiter: w.succeed(None) if not w.triggered else None)
            tcp.on_peer_fin = self._cb(lambda _s, w=waiter: w.succeed(None) if not w.triggered else None)
            limit = deadline - self.sim.now if not fin_acked else 3600.0
            yield waiter | self.sim.timeout(max(0.0, limit))

    # =====================================================================================
    # +MIPSETS (§1.1.4), +MIPDSETS (§1.1.5)
    # =====================================================================================
    def h_mipsets(self, cmd: Command, out: list[str | bytes]) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(cmd, out)
        if cmd.form is Form.READ:
            active = [self.sockets[s] for s in sorted(self.sockets) if self.sockets[s].active]
            for each in active:
                out.append(f"+MIPSETS: {each.sid},{each.buf.watermark},{round(each.buf.timeout * 1000)}")
            if not active:
                out.append("+MIPSETS: 0")
            return FINAL_OK
        if cmd.form is not Form.SET:
            return err(T.Err.OPERATION_NOT_SUPPORTED)
        max_params(cmd, 3)
        sid = p_int(cmd, 0, T.SOCKET_IDS)
        size = p_int(cmd, 1, T.SETS_SIZE)
        fs = self.sockets.get(sid)
        timeout_ms = p_int(cmd, 2, T.SETS_TIMEOUT_MS, round(fs.buf.timeout * 1000) if fs else 0)
        if fs is None or fs.state not in ("open", "listening", "opening"):
            return err(T.Err.SOCKET_NOT_OPENED)
        ok = fs.buf.configure(size, timeout_ms / 1000.0)
        out.append(f"+MIPSETS: {T.SETS_STATUS_OK if ok else T.SETS_STATUS_NOT_ALLOWED}")
        return FINAL_OK

    def h_mipdsets(self, cmd: Command, out: list[str | bytes]) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(cmd, out)
        if cmd.form is Form.READ:
            active = [self.sockets[s] for s in sorted(self.sockets) if self.sockets[s].active]
            for each in active:
                out.append(f"+MIPDSETS: {each.sid},{each.dsets_size},{round(each.dsets_span * 1000)}")
            if not active:
                out.append("+MIPDSETS: 0")
            return FINAL_OK
        if cmd.form is not Form.SET:
            return err(T.Err.OPERATION_NOT_SUPPORTED)
        max_params(cmd, 3)
        sid = p_int(cmd, 0, T.SOCKET_IDS)
        size = p_int(cmd, 1, T.DSETS_SIZE)
        span = p_int(cmd, 2, T.DSETS_SPAN_MS, T.DSETS_SPAN_DEFAULT_MS)
        fs = self.sockets.get(sid)
        if fs is None or fs.state not in ("open", "listening", "opening"):
            return err(T.Err.SOCKET_NOT_OPENED)
        fs.dsets_size = size
        fs.dsets_span = span / 1000.0
        out.append("+MIPDSETS: 0")
        return FINAL_OK

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
            fs.push_timer = self._at(deadline, self._push_timeout, fs)

    def _push_timeout(self, fs: FSocket) -> None:
        fs.push_timer = None
        if self.sockets.get(fs.sid) is not fs:
            return
        if fs.buf.timer_expired(self.sim.now):
            self._record("auto_push", sid=fs.sid, why="timeout")
        self._drain(fs)

    def _drain(self, fs: FSocket, dest: tuple[str, int] | None = None) -> None:
        """Move pushed data into the stack as far as it takes it; report Xoff/Xon."""
        if self.sockets.get(fs.sid) is not fs:
            return
        if fs.odm:
            self._odm_flush(fs)  # the stack has room: the ODM spool goes first
            return
        buf = fs.buf
        if fs.tcp is not None and fs.state == "open":
            space = int(getattr(fs.tcp, "send_space", 0) or 0)
            while buf.unsent_len and space > 0:
                chunk = buf.take_stream(space)
                n = fs.tcp.send(chunk)
                fs.handed += n
                if n < len(chunk):
                    buf.give_back(chunk[n:])
                    break
                space = int(getattr(fs.tcp, "send_space", 0) or 0)
        elif fs.udp is not None:
            target = dest or fs.remote
            while (datagram := buf.take_datagram()) is not None:
                if target is not None:
                    fs.udp.sendto(datagram, target)
        for event in buf.drain_events():
            self._urc(f"+MIP{'XOFF' if event == 'xoff' else 'XON'}: {fs.sid}")
        self._sync_push_timer(fs)

    def h_mipsend(self, cmd: Command, out: list[str | bytes]) -> Gen:
        if cmd.form is Form.READ:
            active = [self.sockets[s] for s in sorted(self.sockets) if self.sockets[s].active]
            for each in active:
                out.append(f"+MIPSEND: {each.sid},{each.buf.free}")
            if not active:
                out.append("+MIPSEND: 0")
            return FINAL_OK
        if cmd.form is not Form.SET:
            return err(T.Err.OPERATION_NOT_SUPPORTED)  # §1.1.6.2 lists no test form
        max_params(cmd, 2)
        sid = p_int(cmd, 0, T.SOCKET_IDS)
        length: int | None = None
        data: bytes | None = None
        decoded: bytes | None
        if cmd.has(1):
            p = cmd.params[1]
            text = p.value or ""
            if not p.quoted and text.isdigit() and len(text) <= 5:
                # AT+MIPSEND=<id>,<data_len> (§1.2.3); a quoted value is hex data (§1.1.6.4).
                length = int(text)
                if length > T.RAW_SEND_MAX:
                    raise BadParam("data_len above 2048")
            else:
                decoded = decode_hex(text)
                if decoded is None:
                    raise BadParam("data is not pairs of hex digits")
                data = decoded
        fs = self.sockets.get(sid)
        if fs is None or fs.state != "open" or fs.odm:
            return err(T.Err.SOCKET_NOT_OPENED)
        if data is None:
            return (yield from self._raw_send(fs, length, out))
        if len(data) > T.SEND_CHUNK_MAX:
            return err(T.Err.SEND_TOO_LONG)
        status = T.SEND_STATUS_OK if fs.buf.write(data, self.sim.now) else T.SEND_STATUS_XOFF
        self._drain(fs)
        out.append(f"+MIPSEND: {sid},{status},{fs.buf.free}")
        return FINAL_OK

    def _raw_send(self, fs: FSocket, length: int | None, out: list[str | bytes]) -> Gen:
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
            got = yield self.module.start_prompt(spec)
            if not getattr(got, "sent", True):
                return err(T.Err.SEND_FAILED)
            data = bytes(getattr(got, "data", b"") or b"")
        if self.sockets.get(fs.sid) is not fs or fs.state != "open":
            return err(T.Err.SOCKET_NOT_OPENED)
        accepted = fs.buf.write(data, self.sim.now)
        push_status = fs.buf.push() if accepted else T.PUSH_STATUS_XOFF
        self._drain(fs)
        status = T.SEND_STATUS_OK if accepted else T.SEND_STATUS_XOFF
        out.append("OK")
        if fs.is_tcp:
            out.append(f"+MIPPUSH: {fs.sid},{push_status}")
        out.append(f"+MIPSEND: {fs.sid},{status},{fs.buf.free}")
        return FINAL_OK

    def h_mippush(self, cmd: Command, out: list[str | bytes]) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(cmd, out)
        if cmd.form is Form.READ:
            active = [s for s in sorted(self.sockets) if self.sockets[s].active]
            out.append(f"+MIPPUSH: {','.join(map(str, active)) if active else 0}")
            return FINAL_OK
        if cmd.form is not Form.SET:
            return err(T.Err.OPERATION_NOT_SUPPORTED)
        max_params(cmd, 3)
        sid = p_int(cmd, 0, T.SOCKET_IDS)
        dest: tuple[str, int] | None = None
        if cmd.has(1) or cmd.has(2):
            ip = p_str(cmd, 1, 64)
            port = p_int(cmd, 2, T.PORTS)
            if not is_ipv4(ip):
                raise BadParam("destination IP")
            dest = (normalise_ipv4(ip), port)
        fs = self.sockets.get(sid)
        if fs is None or fs.state != "open" or fs.odm:
            return err(T.Err.SOCKET_NOT_OPENED)
        if dest is not None and fs.udp is None:
            raise BadParam("destination only for UDP sockets (§1.1.7.4 notes)")
        if dest is not None and dest[1] == 0:
            raise BadParam("destination port 0")
        if dest is not None:
            fs.remote = dest  # later datagrams go to "the last target" (§1.1.7.4 notes)
        if fs.udp is not None and fs.remote is None and fs.buf.has_pending:
            return err(T.Err.INVALID_OPERATION)  # a listening UDP socket with no target yet
        status = fs.buf.push()
        self._drain(fs, dest)
        if status == T.PUSH_STATUS_OK:
            out.append(f"+MIPPUSH: {sid},{status},{fs.buf.pushed_total}")
        else:
            out.append(f"+MIPPUSH: {sid},{status}")
        return FINAL_OK

    def h_mipflush(self, cmd: Command, out: list[str | bytes]) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(cmd, out)
        if cmd.form is Form.READ:
            active = [s for s in sorted(self.sockets) if self.sockets[s].active]
            out.append(f"+MIPFLUSH: {','.join(map(str, active)) if active else 0}")
            return FINAL_OK
        if cmd.form is not Form.SET:
            return err(T.Err.OPERATION_NOT_SUPPORTED)
        max_params(cmd, 1)
        sid = p_int(cmd, 0, T.SOCKET_IDS)
        fs = self.sockets.get(sid)
        if fs is None or not fs.active:
            return err(T.Err.SOCKET_NOT_OPENED)
        dropped = fs.buf.flush()
        self._record("flush", sid=sid, dropped=dropped)
        self._drain(fs)
        out.append(f"+MIPFLUSH: {sid}")
        return FINAL_OK

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
            self._record("udp_rx_overflow", sid=fs.sid, dropped=len(data))  # bounded memory
            return
        fs.rx_udp.append((bytes(data), (addr[0], addr[1])))
        self._pump_rx(fs)

    def _rx_pending(self, fs: FSocket) -> int:
        if fs.tcp is not None:
            return int(getattr(fs.tcp, "readable", 0) or 0)
        return sum(len(d) for d, _ in fs.rx_udp)

    def _pump_rx(self, fs: FSocket, *, final: bool = False) -> None:
        """Move received data to the terminal in chunks of <size> (+MIPDSETS), spaced by
        <time span>, or hold it (IPRFMT 5 read mode, ODM pseudo-command mode)."""
        if fs.rx_busy and not final:
            return
        if fs.odm:
            self._odm_rx(fs)
            return
        if self.iprfmt == T.IPRFMT_READ:
            self._hold_for_read(fs)
            return
        while True:
            chunk = self._take_rx(fs)
            if chunk is None:
                fs.rx_busy = False
                return
            data, addr = chunk
            left = self._rx_pending(fs)
            self._emit_rx(fs, data, addr, left)
            if fs.dsets_span > 0 and not final and self._rx_pending(fs):
                fs.rx_busy = True
                self._later(fs.dsets_span, self._rx_resume, fs)
                return

    def _rx_resume(self, fs: FSocket) -> None:
        fs.rx_busy = False
        if fs.state != "closed":
            self._pump_rx(fs)

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
            self._urc_raw(data)  # data only, no header, no CR LF (§1.2.4.4)
            return
        if fs.udp is not None and addr is not None:
            head = f"+MIPRUDP: {addr[0]},{addr[1]},{fs.sid}"
        else:
            head = f"+MIPRTCP: {fs.sid}"
        if fmt == T.IPRFMT_RAW_HEADER:
            # CR LF before the header, <Data_len>, raw data, nothing after (§1.2.4.4).
            self._urc_raw(b"\r\n" + f"{head},{len(data)},".encode() + data)
            return
        self._urc(f"{head},{left},{encode_hex(data)}")

    def _hold_for_read(self, fs: FSocket) -> None:
        """IPRFMT 5: data waits until +MIPREAD; +MIPDATA says how much came."""
        self._hold(fs)

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
                room = T.UDP_HOLD_MAX - len(fs.rx_hold)
                if len(data) > room:
                    self._record("udp_hold_overflow", sid=fs.sid, dropped=len(data))
                    continue
                fs.rx_hold += data
                arrived += len(data)
        if arrived > 0:
            self._urc(f"+MIPDATA: {fs.sid},{arrived}")

    def _held(self, fs: FSocket) -> int:
        return len(fs.rx_hold) + (self._rx_pending(fs) if fs.tcp is not None else 0)

    def _read_held(self, fs: FSocket, n: int) -> bytes:
        data = bytes(fs.rx_hold[:n])
        del fs.rx_hold[: len(data)]
        if fs.tcp is not None and len(data) < n:
            more = bytes(fs.tcp.recv(n - len(data)))
            fs.announced = max(0, fs.announced - len(more))
            data += more
        return data

    def h_mipread(self, cmd: Command, out: list[str | bytes]) -> Final:
        if cmd.form is Form.READ:
            for sid in sorted(self.sockets):
                held = self._held(self.sockets[sid])
                if held:
                    out.append(f"+MIPREAD: {sid},{held}")
            return FINAL_OK
        if cmd.form is not Form.SET:
            return err(T.Err.OPERATION_NOT_SUPPORTED)
        max_params(cmd, 2)
        sid = p_int(cmd, 0, T.SOCKET_IDS)
        length = p_int(cmd, 1, T.IntRange(1, T.ACCUMULATING_BUFFER))
        if self.iprfmt != T.IPRFMT_READ:
            return err(T.Err.INVALID_OPERATION)  # needs AT+GTSET="IPRFMT",5 (§1.1.23.1)
        fs = self.sockets.get(sid)
        if fs is None:
            return err(T.Err.SOCKET_NOT_OPENED)
        if not self._held(fs):
            out.append(f"+MIPREAD: {sid},0")
            return FINAL_OK
        data = self._read_held(fs, length)
        self._later(0.0, self._finish_peer_close, fs)  # after this response, if it was the last
        out.append(f"+MIPDATA: {sid},{len(data)}")
        out.append(data)
        return FINAL_OK

    # =====================================================================================
    # +MIPCONF (§1.1.12), +MIPKEEPCONF (§1.1.13)
    # =====================================================================================
    def h_mipconf(self, cmd: Command, out: list[str | bytes]) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(cmd, out)
        if cmd.form is Form.READ:
            for sid in range(1, 7):
                out.append(self.conf[sid].line(sid))
            return FINAL_OK
        if cmd.form is not Form.SET:
            return err(T.Err.OPERATION_NOT_SUPPORTED)
        max_params(cmd, 6)
        sid = p_int(cmd, 0, T.SOCKET_IDS)
        cur = self.conf[sid]
        new = MipConf(
            retr_num=p_int(cmd, 1, T.MIPCONF_RETR, cur.retr_num),
            min_to=p_int(cmd, 2, T.MIPCONF_MIN_TO, cur.min_to),
            max_to=p_int(cmd, 3, T.MIPCONF_MAX_TO, cur.max_to),
            close_delay=p_int(cmd, 4, T.MIPCONF_CLOSE_DELAY, cur.close_delay),
            nack=p_int(cmd, 5, T.MIPCONF_NACK, cur.nack),
        )
        if new.min_to * 100 > new.max_to * 100:
            raise BadParam("min_TO above max_TO")
        # "This command must used under MIPCALL is enabled" (§1.1.12.2).
        if (failure := self._require_call()) is not None:
            return failure
        self.conf[sid] = new
        return FINAL_OK

    def h_mipkeepconf(self, cmd: Command, out: list[str | bytes]) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(cmd, out)
        k = self.keep
        if cmd.form is Form.READ:
            if k.mode == 1:
                out.append(f"+MIPKEEPCONF: 1,{k.idle},{k.intvl},{k.cnt}")
            else:
                out.append("+MIPKEEPCONF: 0")
            return FINAL_OK
        if cmd.form is not Form.SET:
            return err(T.Err.OPERATION_NOT_SUPPORTED)
        max_params(cmd, 4)
        mode = p_int(cmd, 0, T.KEEP_MODE)
        if mode == 0:
            if len(cmd.params) > 1:
                raise BadParam("mode 0 takes no other parameter (§1.1.13.4)")
            self.keep = KeepConf(mode=0, idle=k.idle, intvl=k.intvl, cnt=k.cnt)
            return FINAL_OK
        self.keep = KeepConf(
            mode=1,
            idle=p_int(cmd, 1, T.KEEP_IDLE, k.idle),
            intvl=p_int(cmd, 2, T.KEEP_INTVL, k.intvl),
            cnt=p_int(cmd, 3, T.KEEP_CNT, k.cnt),
        )
        return FINAL_OK

    # =====================================================================================
    # +MSDNS (§1.1.16), +MSV6DNS (§1.1.17)
    # =====================================================================================
    def h_msdns(self, cmd: Command, out: list[str | bytes]) -> Final:
        return self._dns_cmd(cmd, out, self.msdns, "+MSDNS", v6=False)

    def h_msv6dns(self, cmd: Command, out: list[str | bytes]) -> Final:
        return self._dns_cmd(cmd, out, self.msv6dns, "+MSV6DNS", v6=True)

    def _dns_cmd(
        self, cmd: Command, out: list[str | bytes], table: dict[int, list[str | None]], name: str,
        *, v6: bool,
    ) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(cmd, out)
        unset = "::" if v6 else "0.0.0.0"
        if cmd.form is Form.READ:
            for sid in range(1, 8):
                prim, sec = table[sid]
                out.append(f"{name}: {sid},{prim or unset},{sec or unset}")
            return FINAL_OK
        if cmd.form is not Form.SET:
            return err(T.Err.OPERATION_NOT_SUPPORTED)
        max_params(cmd, 3)
        sid = p_int(cmd, 0, T.DNS_SOCKET_IDS)
        values: list[str | None] = []
        for i in (1, 2):
            if cmd.has(i):
                text = p_str(cmd, i, 64)
                good = is_ipv6(text) if v6 else is_ipv4(text)
                if not good:
                    raise BadParam("DNS server address")
                values.append(text.replace(" ", "") if v6 else normalise_ipv4(text))
            else:
                values.append(None)
        if not cmd.has(1) and not cmd.has(2):
            table[sid] = [None, None]  # socket id alone clears the servers (§1.1.16.4)
        else:
            # Setting one server leaves the other as it was (§1.1.16.4).
            cur = table[sid]
            table[sid] = [values[0] or cur[0], values[1] or cur[1]]
        return FINAL_OK

    # =====================================================================================
    # +MIPDNS (§1.1.21)
    # =====================================================================================
    def h_mipdns(self, cmd: Command, out: list[str | bytes]) -> Gen:
        if cmd.form is not Form.SET:
            return err(T.Err.OPERATION_NOT_SUPPORTED)  # §1.1.21.2 lists the set form only
        max_params(cmd, 2)
        name = p_str(cmd, 0, T.HOSTNAME_MAX)
        addr_type = p_int(cmd, 1, T.DNS_ADDR_TYPES, 0)
        if not is_hostname(name):
            raise BadParam("domain name")
        if (failure := self._require_call()) is not None:
            return failure
        if addr_type == 1:
            return err(T.Err.DNS_FAIL)  # no AAAA records on the IPv4-only network
        ip = yield from self._resolve(name, T.DNS_SERVICE_SOCKET)
        if ip is None:
            return err(T.Err.DNS_FAIL)
        out.append(f"+MIPDNS: {name},{ip}")
        return FINAL_OK

    # =====================================================================================
    # +MIPNTP (§1.1.22)
    # =====================================================================================
    def h_mipntp(self, cmd: Command, out: list[str | bytes]) -> Final:
        if cmd.form is Form.TEST:
            return self._test_form(cmd, out)
        if cmd.form is Form.READ:
            ip, port = self.ntp_server or ("0.0.0.0", 123)
            out.append(f"+MIPNTP: {ip},{port}")
            return FINAL_OK
        if cmd.form is not Form.SET:
            return err(T.Err.OPERATION_NOT_SUPPORTED)
        max_params(cmd, 3)
        server = p_str(cmd, 0, T.HOSTNAME_MAX)
        port = p_int(cmd, 1, T.REMOTE_PORTS)
        addr_type = p_int(cmd, 2, T.NTP_ADDR_TYPES, 0)
        if not (is_ipv4(server) or is_hostname(server)):
            raise BadParam("server")
        if (failure := self._require_call()) is not None:
            return failure
        if addr_type == 1:
            return err(T.Err.PROTOCOL_ERROR)
        self.ntp_server = (server, port)
        self._spawn(self._ntp(server, port))
        return FINAL_OK

    def _ntp(self, server: str, port: int) -> Generator[Any, Any, None]:
        """One NTP client exchange (RFC 5905 §8): the module clock is corrected by the offset
        computed from the four timestamps; a reply whose originate timestamp is not our
        request's transmit timestamp is ignored (bogus or stale)."""
        ip = yield from self._resolve(server, T.DNS_SERVICE_SOCKET)
        result = T.NTP_RESULT_FAIL
        if ip is not None and self.host.ip is not None:
            offset = yield from sync_clock(self.module, ip, port, tries=T.NTP_TRIES, wait=T.NTP_WAIT_S)
            if offset is not None:
                self.ntp_offset = offset
                result = T.NTP_RESULT_OK
        self._record("ntp", server=server, result=result, offset=self.ntp_offset)
        self._urc(f"+MIPNTP: {result}")

    # =====================================================================================
    # +GTSET (§1.2.4)
    # =====================================================================================
    def h_gtset(self, cmd: Command, out: list[str | bytes]) -> Final:
        if cmd.form is not Form.SET:
            return err(T.Err.OPERATION_NOT_SUPPORTED)  # §1.2.4.2 lists the set form only
        max_params(cmd, 2)
        feature = p_str(cmd, 0, 16).upper()
        if feature == "SENDTIME":
            self.sendtime = p_int(cmd, 1, T.GTSET_SENDTIME)
        elif feature == "IPRFMT":
            new = p_int(cmd, 1, T.IPRFMT_VALUES)
            old, self.iprfmt = self.iprfmt, new
            if old == T.IPRFMT_READ and new != old:
                # Leaving read mode: what waited is delivered in the new format.
                for sid in sorted(self.sockets):
                    fs = self.sockets[sid]
                    if fs.odm:
                        continue
                    fs.announced = 0
                    if fs.rx_hold:
                        held = bytes(fs.rx_hold)
                        fs.rx_hold.clear()
                        self._emit_rx(fs, held, fs.remote if fs.udp else None, 0)
                    # TCP data still in the socket follows after the line's result
                    self._later(0.0, self._pump_rx, fs)
        else:
            raise BadParam("unknown feature")
        return FINAL_OK

    # =====================================================================================
    # +MPING (§1.1.14) and +MPINGSTAT (§1.1.15)
    # =====================================================================================
    def h_mping(self, cmd: Command, out: list[str | bytes]) -> Gen:
        count, size, ttl, tos, timeout_ms = self.ping_settings
        if cmd.form is Form.TEST:
            return self._test_form(cmd, out)
        if cmd.form is Form.READ:
            out.append(f"+MPING: {count},{size},{ttl},{tos},{timeout_ms}")
            return FINAL_OK
        if cmd.form is not Form.SET:
            return err(T.Err.OPERATION_NOT_SUPPORTED)
        max_params(cmd, 7)
        mode = p_int(cmd, 0, T.PING_MODES)
        if mode == 0:
            if len(cmd.params) > 1:
                raise BadParam("mode 0 takes no other parameter (§1.1.14.1)")
            if self.ping_job is None:
                return err(T.Err.PING_ERROR)
            self.ping_job.abort()
            self.ping_job = None
            return FINAL_OK
        target = p_str(cmd, 1, T.HOSTNAME_MAX)
        settings = (
            p_int(cmd, 2, T.PING_COUNT, T.PING_COUNT_DEFAULT),
            p_int(cmd, 3, T.PING_SIZE, T.PING_SIZE_DEFAULT),
            p_int(cmd, 4, T.PING_TTL, T.PING_TTL_DEFAULT),
            p_int(cmd, 5, T.PING_TOS, T.PING_TOS_DEFAULT),
            p_int(cmd, 6, T.PING_TIMEOUT_MS, T.PING_TIMEOUT_DEFAULT_MS),
        )
        if not (is_ipv4(target) or is_hostname(target)):
            raise BadParam("destination")
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
        self._spawn(job.run())
        return FINAL_OK

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
            self._later(0.0, self._odm_flush, fs)
        return taken

    def _odm_flush(self, fs: FSocket, *, from_uplink: bool = False) -> None:
        spool = fs.spool
        if spool is None:
            return
        if spool.deadline is not None and self.sim.now + 1e-12 >= spool.deadline:
            spool.timer_expired(self.sim.now)
        if fs.tcp is not None:
            space = int(getattr(fs.tcp, "send_space", 0) or 0)
            chunk = spool.take(space)
            if chunk:
                n = fs.tcp.send(chunk)
                fs.handed += n
                spool.give_back(chunk[n:])
        elif fs.udp is not None and fs.remote is not None:
            while spool.due and spool.data:
                fs.udp.sendto(spool.take(spool.capacity), fs.remote)
        if spool.deadline is not None and (fs.spool_timer is None or not fs.spool_timer.active):
            fs.spool_timer = self._at(spool.deadline, self._odm_spool_timeout, fs)
        session = self.odm_link.session
        if spool.space > 0 and not from_uplink and session is not None and session.active:
            # Room again: let the engine hand over what waits in the UART buffer. (Not from
            # inside on_dte_data: the engine has not yet removed the bytes being handed over.)
            session.resume_input()

    def odm_buffer_figures(self) -> tuple[int, float]:
        """(buffer bytes, spooling timeout s) of §1.1.18.1 for this module's generation."""
        extra = getattr(getattr(self.module, "profile", None), "extra", None) or {}
        generation = str(extra.get("radio_generation", "4g")).lower()
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
            n = session.to_dte(bytes(fs.rx_hold))
            del fs.rx_hold[:n]
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
                fs.rx_hold[:0] = chunk[n:]
                return

    def _odm_escape(self) -> str | None:
        """``+++`` with guard times: pseudo-command mode ("OK"), or, with pseudo-command mode
        disabled (<Pseudo-Command Mode> 1), the socket is closed (docs/assumptions.md)."""
        fs = self._odm_socket()
        self.odm_online = False
        if fs is not None and not fs.pseudo_enabled:
            self._later(0.0, self._odm_close_after_escape, fs)
        return "OK"

    def _odm_close_after_escape(self, fs: FSocket) -> None:
        if self.sockets.get(fs.sid) is fs:
            self._spawn(self._close(fs, T.CLOSE_MODE_NO_WAIT))

    def _odm_resume(self) -> str | None:
        """ATO: back to online data mode; what was held is sent at once (§1.1.24.1)."""
        fs = self._odm_socket()
        if fs is None or fs.state != "open":
            return None
        self.odm_online = True
        # The held data follows CONNECT, once the engine is back in data mode.
        self._later(0.0, self._odm_downlink)
        return "CONNECT"

    def _odm_hangup(self, reason: str) -> None:
        fs = self._odm_socket()
        self.odm_online = False
        if fs is not None:
            self._spawn(self._close(fs, T.CLOSE_MODE_NO_WAIT))


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
        self, dialect: L610Dialect, ip: str, count: int, size: int, ttl: int, tos: int, timeout_ms: int
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
        d._urc(f"+MPINGSTAT: {T.PINGSTAT_FLOW_OFF}")
        while d.uplink_backlog() > T.PING_FLOW_ON_PACKETS:
            yield d.sim.timeout(T.PING_FLOW_POLL_S)
            if self.stopped:
                return
        d._urc(f"+MPINGSTAT: {T.PINGSTAT_FLOW_ON}")

    def network_lost(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.d._urc(f"+MPINGSTAT: {T.PINGSTAT_ABORTED}")
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
                d._urc(f'+MPING: "{result.from_ip or self.ip}",0,0,{rtt_ms}')
            elif result.error == "no_network":
                self.network_lost()
                return
            elif result.error in self.ICMP_TYPES:
                icmp_type, code = self.ICMP_TYPES[result.error]
                d._urc(f'+MPING: "{result.from_ip or self.ip}",{icmp_type},{code}')
            else:
                d._urc(f"+MPINGSTAT: {T.PINGSTAT_TIMEOUT}")
            wait = started + self.INTERVAL_S - d.sim.now
            if wait > 0 and self.sent < self.count:
                yield d.sim.timeout(wait)
        if self.stopped:
            return
        summary = f'+MPINGSTAT: {T.PINGSTAT_DONE},"{self.ip}",{self.sent},{self.received}'
        if self.received:
            summary += f",{sum(self.rtts) // self.received}"
        d._urc(summary)
        if d.ping_job is self:
            d.ping_job = None
