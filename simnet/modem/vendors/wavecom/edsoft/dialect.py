"""Wavecom eDsoft V3.00: the AT# IP connectivity interface of a WISMO 24x6B module.

The Open AT application (AT+WOPEN, :mod:`..common`) speaks the Internet protocols itself: the
host sets AT# parameters (table rows in :mod:`.tables`, kept in flash) and asks for whole
operations - bring the link up over GSM (a data call to the ISP plus the PPP client) or GPRS,
send or fetch a mail, get or put a file, open a TCP or UDP session, ping. Every outcome comes
from the models below (the CSD call and PPP negotiation, the PDP context, TCP, the DNS resolver,
the peer servers' replies) and reaches the host as the §9 message or code for it.

Output conventions (§9.1): result lines the manual numbers (``Ok_Info_*``, ``BUSY``,
``CONNECT 9600``...) print their number under ATV0; errors are ``#CME ERROR: <n>`` (§9.2).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simnet.bearer.outcomes import Outcome, OutcomeKind
from simnet.modem.at import Command, Final, Form, text_result
from simnet.modem.dialect import Context, command
from simnet.modem.params import render_read
from simnet.modem.vendors.wavecom import common
from simnet.modem.vendors.wavecom.common import WavecomDialect
from simnet.modem.vendors.wavecom.edsoft import tables as T
from simnet.modem.vendors.wavecom.edsoft.services import ServicesMixin
from simnet.modem.vendors.wavecom.edsoft.tables import Err, Msg, app_running

if TYPE_CHECKING:
    from simnet.bearer.api import PdpContextView
    from simnet.bearer.csd import CsdCall
    from simnet.kernel.sim import Timer
    from simnet.modem.params import Setting

APP = (app_running,)


def err(code: int) -> Final:
    """``#CME ERROR: <code>`` (§9.2), a final error whatever AT+CMEE says."""
    return text_result(f"#CME ERROR: {int(code)}", error=True)


def msg(message: Msg, *, data: bool = False) -> Final:
    """A §9.1 information message as a final result (its number under ATV0)."""
    return text_result(T.MESSAGES[message], numeric=int(message), data=data)


class EdsoftDialect(ServicesMixin, WavecomDialect):
    """The eDsoft dialect (module id ``wavecom-edsoft``)."""

    MODULE_ID = T.MODULE_ID
    settings = T.PARAMETER_ROWS
    stored_rows = T.BODY_ROWS
    own_bad_argument = err(Err.BAD_VALUE)
    own_unsupported_form = err(Err.SYNTAX)
    trace_source = "edsoft"
    data_mode_urcs = "hold"
    prompt_echo = True
    latencies = T.LATENCIES

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.state = T.STATE_IDLE
        self.bearer_kind: str | None = None  # "gsm" / "gprs" once the link is up
        self.my_ip: str | None = None
        self.peer_ip: str | None = None
        self.dns_from_link: tuple[str, ...] = ()
        self.connecting = False
        self.background = False  # output of the stack's own procedures goes out unsolicited
        self.call_up_reported = False
        self.phy_timer: Timer | None = None
        self.last_activity = 0.0
        self.init_services()
        self.listen_packet_service()
        bearer = module.bearer
        if bearer is not None:
            if bearer.csd is not None:
                bearer.csd.add_listener(self._call_event)
            add_link_listener = getattr(bearer, "add_link_listener", None)
            if add_link_listener is not None:
                add_link_listener(self._gsm_link_lost)

    # -- policies -------------------------------------------------------------------------------
    def app_check(self, ctx: Context, cmd: Command) -> Final | None:
        """AT# commands exist only while the application runs (else ERROR, like any unknown)."""
        return None if self.application_running else ctx.error()

    def unknown_command(self, ctx: Context, cmd: Command) -> Final:
        if cmd.name.startswith("#") and self.application_running:
            return err(Err.UNKNOWN_COMMAND)
        return super().unknown_command(ctx, cmd)

    def syntax_error(self, ctx: Context | None, text: str) -> Final:
        if text.lstrip().startswith("#") and self.application_running:
            return err(Err.SYNTAX)
        return super().syntax_error(ctx, text)

    def service_busy(self, group: str, cmd: Command) -> Final | None:
        """37123 when a running service reads the parameter being set."""
        if group in ("phy", "ppp", "gprs") and (self.connecting or self.bearer_kind is not None):
            return err(Err.SERVICE_RUNNING)
        if self.service_group_running(group, cmd):
            return err(Err.SERVICE_RUNNING)
        return None

    def on_application(self, running: bool) -> None:
        if not running:
            self.stop_services("application stopped")

    def on_power_off(self) -> None:
        self.stop_services("power off")
        if self.phy_timer is not None:
            self.phy_timer.cancel()

    # -- output helpers ---------------------------------------------------------------------------
    def emit(self, text: str, numeric: int | None = None) -> None:
        """A result line written while a command runs (its number under ATV0 when it has one);
        from a procedure of the stack's own (auto-answer, callback) it is unsolicited."""
        if self.background:
            self.urc(text)
            return
        self.module.write_raw(self.module.format_final(text_result(text, numeric=numeric)))

    def emit_msg(self, message: Msg) -> None:
        self.emit(T.MESSAGES[message], int(message))

    def p(self, name: str) -> Any:
        """The value of a single-parameter row."""
        return next(iter(self.params[name].values()))

    def p_at(self, name: str, index: int) -> Any:
        return next(iter(self.params.at(name, index).values()))

    def render(self, row: Setting, index: int | None = None) -> str:
        if index is None:
            return render_read(row, self.params[row.name])
        return render_read(row, self.params.at(row.name, index), index)

    # -- §2.3-§2.6, §3.5-§3.8, §4.4, §5.5, §6.5, §7.3, §8: displays --------------------------------
    @command("#VPHY", "#VPPP", "#VGPRS", "#VDNS", "#VFTP", "#VPOP3", "#VSMTP", "#VSSMTP", "#VUDP",
             "#VPING", forms="e", requires=APP, latency="query")
    def display(self, ctx: Context, cmd: Command) -> Final | None:
        name = "#VSMTP" if cmd.name == "#VSSMTP" else cmd.name
        ctx.info(*(self.render(row) for row in T.DISPLAYS[name]))
        return None

    @command("#VTCP", forms="s", requires=APP, latency="query")
    def vtcp(self, ctx: Context, cmd: Command) -> Final | None:
        """§5.5.2 AT#VTCP=id."""
        sid = int(T.DLEMODE.index.domain.parse(cmd, 0))  # type: ignore[union-attr]
        cmd.max_params(1)
        ctx.info(*(self.render(row, sid) for row in T.TCP_DISPLAY))
        return None

    @command("#VMAIL1", "#VMAIL2", "#VMAIL3", forms="e", requires=APP, latency="query")
    def vmail(self, ctx: Context, cmd: Command) -> Final | None:
        """§3.5.2: ``RECi=``, ``CCRECi=``, ``SUBJi=`` (BODYi is not displayed)."""
        i = int(cmd.name[-1])
        rows = T.MAIL_ROWS[i]
        ctx.info(*(f"{key}{i}={self.p(rows[key].name)}" for key in ("REC", "CCREC", "SUBJ")))
        return None

    @command("#VALL", forms="e", requires=APP, latency="query")
    def vall(self, ctx: Context, cmd: Command) -> Final | None:
        """§8.3.2: the version, then every block separated by an empty line."""
        lines = [T.VERSION_NAME]
        for block in T.vall_blocks():
            if block is T.TCP_DISPLAY:
                for sid in (1, 2):
                    lines.append("")
                    lines.extend(self.render(row, sid) for row in block)
                continue
            lines.append("")
            lines.extend(self.render(row) for row in block)
        ctx.info(*lines)
        return None

    @command("#VVERSION", forms="e", requires=APP, latency="query")
    def vversion(self, ctx: Context, cmd: Command) -> Final | None:
        ctx.info(T.VERSION_LINE)  # §8.1.2
        return None

    @command("#VSTATE", forms="e", requires=APP, latency="query")
    def vstate(self, ctx: Context, cmd: Command) -> Final | None:
        """§8.2.2. "#NO SERVICE" when the module is not registered and has no link."""
        bearer = self.module.bearer
        registered = bearer is not None and (
            bearer.radio.registered("cs") or bearer.radio.registered("ps")
        )
        if not registered and self.state == T.STATE_IDLE:
            ctx.info("#NO SERVICE")
            return None
        ctx.info(f'#STATE: "{self.state}"')
        return None

    @command("#DELFLASH", forms="e", requires=APP)
    def delflash(self, ctx: Context, cmd: Command) -> Final | None:
        """§8.4: the flash copy is erased; current values stay until the next restart."""
        self.params.erase_nonvolatile()
        self.record("delflash")
        return None

    # -- §3.1.5 / §3.1.7: text entry ended by Ctrl-Z ---------------------------------------------
    @command("#BODY1", "#BODY2", "#BODY3", forms="er", requires=APP)
    def body(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        row = T.MAIL_ROWS[int(cmd.name[-1])]["BODY"]
        if cmd.form is Form.READ:
            ctx.info(self.render(row))
            return None
        got = yield ctx.prompt(T.text_entry_spec())
        if got.reason != "terminator":
            return err(Err.BAD_VALUE) if got.reason == "full" else None
        text = got.data.decode("latin-1")
        if len(text) > 120:
            return err(Err.TOO_LONG)
        self.params.set(row.name, {"body": text})
        return None

    @command("#REC1ADD", "#REC2ADD", "#REC3ADD", forms="e", requires=APP)
    def rec_add(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """§3.1.5: one address a line, Ctrl-Z ends; overwrites RECi; the 11th on are ignored."""
        i = int(cmd.name[4])
        if self.service_group_running("smtp", cmd):
            return err(Err.SERVICE_RUNNING)
        got = yield ctx.prompt(T.text_entry_spec(max_len=T.MAX_RECIPIENTS * 122 + 64))
        if got.reason not in ("terminator", "full"):
            return None
        text = got.data.decode("latin-1")
        addresses = [a.strip() for a in text.replace("\r", "\n").split("\n") if a.strip()]
        if any(len(a) > 120 for a in addresses):
            return err(Err.BAD_VALUE)
        self.params.set(f"#REC{i}", {f"rec{i}": ",".join(addresses[: T.MAX_RECIPIENTS])})
        return None

    # -- §2.2 connections --------------------------------------------------------------------------
    @command("#CONNECTIONSTART", forms="e", requires=APP, latency="network")
    def connection_start(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        if self.bearer_kind is not None or self.connecting:
            return err(Err.ALREADY_RUNNING)
        bearer = self.module.bearer
        if bearer is None:
            return err(Err.NOT_ATTACHED)
        self.connecting = True
        try:
            if self.p("#GPRSMODE") == 1:
                return (yield from self._start_gprs())
            return (yield from self._start_gsm())
        finally:
            self.connecting = False
            if self.bearer_kind is None and self.state != T.STATE_IDLE:
                self.state = T.STATE_IDLE

    def _start_gprs(self) -> Generator[Any, Any, Final]:
        """§2.2.3: GPRS session with APNSERV / APNUN / APNPW on GPRSCID (attach done before)."""
        gprs = self.packet_service()
        if gprs is None or not gprs.attached:
            return err(Err.NOT_ATTACHED)
        cid = self.p("#GPRSCID")
        user, password = self.p("#APNUN"), self.p("#APNPW")
        gprs.define_context(
            cid,
            "IP",
            self.p("#APNSERV"),
            user=user,
            password=password,
            auth="pap" if user or password else "none",
        )
        self.state = T.STATE_CHECKING
        outcome: Outcome = yield gprs.activate(cid)
        if not outcome.ok:
            self.record("connection", bearer="gprs", result=str(outcome.kind), cause=outcome.cause)
            return err(_gprs_error(outcome))
        self._link_up("gprs", outcome.ip, None, outcome.dns)
        self.emit(str(outcome.ip))
        return msg(Msg.GPRS_ACTIVATION)

    def _start_gsm(self, number: str | None = None) -> Generator[Any, Any, Final]:
        """§2.2.3: dial DIALN1/DIALN2 (or ``number``, a dynamic callback), redial on BUSY / NO
        ANSWER / NO CARRIER after REDIALDELAY, REDIALCOUNT times, then PPP as client (PPPMODE
        1 and 3)."""
        bearer = self.module.bearer
        assert bearer is not None
        if not bearer.radio.registered("cs"):
            return err(Err.NOT_ATTACHED)
        if number is None:
            number = self.p("#DIALN1") if self.p("#DIALSELECT") == 1 else self.p("#DIALN2")
        if not number:
            return err(Err.BAD_CONFIG)
        if self.p("#PPPMODE") in (2, 4, 9):
            # The stack would be the PPP server of an outgoing call; the ISP is one too, so the
            # negotiation cannot succeed: what the manual lists for it is 37121.
            return (yield from self._dial_as_server(number))
        gsm_connect = getattr(bearer, "gsm_connect", None)
        if gsm_connect is None:
            return err(Err.NOT_ACTIVE)
        attempts = 1 + self.p("#REDIALCOUNT")
        for attempt in range(attempts):
            self.state = T.STATE_DIALING
            self.call_up_reported = False
            self.emit("DIALING")
            self.emit(number)
            self.record("dial", number=number, attempt=attempt + 1, of=attempts)
            outcome: Outcome = yield gsm_connect(
                number, username=self.p("#ISPUN"), password=self.p("#ISPPW")
            )
            if outcome.ok:
                self._link_up("gsm", outcome.ip, outcome.peer_ip, outcome.dns)
                self.emit(str(outcome.ip))
                return msg(Msg.PPP)
            kind = outcome.kind
            if kind in _CALL_FAILURES:
                text, numeric = _CALL_FAILURES[kind]
                if attempt + 1 >= attempts:
                    return text_result(text, numeric=numeric, error=True)
                self.emit(text, numeric)
                yield self.module.sim.timeout(self.p("#REDIALDELAY"))
                continue
            self.record("connection", bearer="gsm", result=str(kind))
            if kind in (
                OutcomeKind.LCP_TIMEOUT,
                OutcomeKind.AUTH_TIMEOUT,
                OutcomeKind.IPCP_TIMEOUT,
            ):
                return err(Err.PPP_TIMEOUT_CLIENT)
            if kind in (OutcomeKind.NOT_REGISTERED,):
                return err(Err.NOT_ATTACHED)
            if kind in (OutcomeKind.SIM_ABSENT, OutcomeKind.SIM_NOT_READY):
                return err(Err.SIM_REMOVED)
            return err(Err.PPP_CLIENT)
        return err(Err.PPP_CLIENT)  # not reached: the last attempt returns

    def _dial_as_server(self, number: str) -> Generator[Any, Any, Final]:
        """PPPMODE 2/4: the call connects, then the stack waits as a PPP server for a client
        that never comes (the ISP's access server waits for a client too): 38981 after the
        server's configure budget, as a PPP server gives up on a silent peer."""
        bearer = self.module.bearer
        assert bearer is not None and bearer.csd is not None
        self.state = T.STATE_DIALING
        self.emit("DIALING")
        self.emit(number)
        outcome: Outcome = yield bearer.csd.dial(number)
        if not outcome.ok:
            text, numeric = _CALL_FAILURES.get(outcome.kind, ("NO CARRIER", 3))
            return text_result(text, numeric=numeric, error=True)
        self.state = T.STATE_AUTHENTICATING
        yield self.module.sim.timeout(T.PPP_SERVER_WAIT)
        bearer.csd.hangup()
        return err(Err.PPP_TIMEOUT_SERVER)

    def _call_event(self, event: str, call: CsdCall, outcome: Outcome | None) -> None:
        """CSD listener: CONNECT <rate> once our call connects (§2.2.3.2), RING for incoming
        calls (§2.2.1)."""
        if event == "connected" and self.connecting and not self.call_up_reported:
            self.call_up_reported = True
            self.state = T.STATE_AUTHENTICATING
            self.emit(f"CONNECT {call.rate}", T.CONNECT_NUMERIC.get(call.rate))
        elif event == "ring" and call.direction == "mt":
            self.on_ring(call)

    def on_ring(self, call: CsdCall) -> None:
        """§2.2.1: RING goes to the host. ANSWERMODE 0: the host decides (AT#ACCEPT); 1: the
        stack answers after RINGCOUNT rings; 2/3: it lets the call go after RINGCOUNT rings and
        calls back CALLBACKTIMER s later - DIALN1/2 (2) or the caller's number (3) - if
        CALLSCREENNUM lets the caller in (§2.1.1-§2.1.3, §2.1.7)."""
        self.urc("RING")
        mode = self.p("#ANSWERMODE")
        rings = self.p("#RINGCOUNT")
        if (
            mode == 0
            or rings == 0
            or call.rings != rings
            or self.bearer_kind is not None
            or self.connecting
        ):
            return
        if not self._screen(call.caller_id):
            self.record("incoming", action="screened", caller=call.caller_id)
            return
        if mode == 1:
            self.record("incoming", action="auto_answer", ring=call.rings, caller=call.caller_id)
            self.spawn(self._answer_in_background())
            return
        number = call.caller_id if mode == 3 else None
        if mode == 3 and not number:
            self.urc(f"#CME ERROR: {int(Err.NO_CLI)}")  # §9.2 35870: no CLI to call back
            return
        bearer = self.module.bearer
        if bearer is not None and bearer.csd is not None:
            reject = getattr(bearer.csd, "reject", None)
            if reject is not None:
                reject()
        self.record("incoming", action="callback", after=self.p("#CALLBACKTIMER"), number=number)
        self.later(float(self.p("#CALLBACKTIMER")), self._callback, number)

    def _screen(self, caller: str | None) -> bool:
        """§2.1.3 CALLSCREENNUM: "0" nobody, "*" everybody, else that number only."""
        allowed = str(self.p("#CALLSCREENNUM")).strip()
        if allowed == "*":
            return True
        if allowed in ("", "0") or not caller:
            return False
        return caller.replace(" ", "") == allowed.replace(" ", "")

    def _callback(self, number: str | None) -> None:
        if self.bearer_kind is not None or self.connecting:
            return
        self.background = True
        self.connecting = True

        def run() -> Generator[Any, Any, None]:
            try:
                final = yield from self._start_gsm(number)
            finally:
                self.connecting = False
                self.background = False
            self.urc(final.text)

        self.spawn(run())

    def _answer_in_background(self) -> Generator[Any, Any, None]:
        self.background = True
        try:
            final = yield from self._answer()
        finally:
            self.background = False
        self.urc(final.text)

    @command("#ACCEPT", forms="e", requires=APP, latency="network")
    def accept(self, ctx: Context, cmd: Command) -> Final | None:
        """§2.2.1: OK (the call setting starts), then CONNECT <rate>, this end's address and
        PPP OK - or NO CARRIER / PPP ERROR - as the call and PPP (per PPPMODE) go."""
        if self.bearer_kind is not None or self.connecting:
            return err(Err.ALREADY_RUNNING)
        bearer = self.module.bearer
        call = bearer.csd.call if bearer is not None and bearer.csd is not None else None
        if call is None or call.direction != "mt" or call.state != "ringing":
            return text_result("NO CARRIER", numeric=int(Msg.NO_CARRIER), error=True)
        self.spawn(self._answer_in_background())
        return None

    def _answer(self) -> Generator[Any, Any, Final]:
        """Answer and run PPP in the role PPPMODE gives incoming calls (§2.1.13: 1 and 4 are a
        server, 2 and 3 a client): a server checks PPPSERVUN/PPPSERVPW and gives PPPPEERIP,
        keeping PPPMYIP; a client logs in with ISPUN/ISPPW."""
        from simnet.bearer.ppp import PppConfig

        bearer = self.module.bearer
        gsm_answer = getattr(bearer, "gsm_answer", None)
        if gsm_answer is None:
            return text_result("NO CARRIER", numeric=int(Msg.NO_CARRIER), error=True)
        self.connecting = True
        self.state = T.STATE_CHECKING
        mode = self.p("#PPPMODE")
        try:
            if mode in (2, 3):
                ppp = PppConfig(role="client", username=self.p("#ISPUN"), password=self.p("#ISPPW"))
            else:
                user = self.p("#PPPSERVUN")
                ppp = PppConfig(
                    role="server",
                    auth="pap" if user else "none",
                    credentials=((user, self.p("#PPPSERVPW")),) if user else None,
                    local_ip=self.p("#PPPMYIP"),
                    peer_ip=self.p("#PPPPEERIP"),
                    request_dns=False,
                )
            outcome: Outcome = yield gsm_answer(ppp)
        finally:
            self.connecting = False
        if outcome.ok:
            self._link_up("gsm", outcome.ip, outcome.peer_ip, outcome.dns)
            self.emit(str(outcome.ip))
            return text_result("PPP OK")
        self.state = T.STATE_IDLE
        self.record("incoming", action="answer", result=str(outcome.kind))
        if outcome.kind in _CALL_FAILURES or outcome.kind in (
            OutcomeKind.CANCELLED,
            OutcomeKind.NETWORK_LOST,
        ):
            return text_result("NO CARRIER", numeric=int(Msg.NO_CARRIER), error=True)
        return text_result("PPP ERROR", error=True)

    def _link_up(self, kind: str, ip: str | None, peer: str | None, dns: tuple[str, ...]) -> None:
        self.bearer_kind = kind
        self.my_ip = ip
        self.peer_ip = peer
        self.dns_from_link = tuple(dns)
        self.state = T.STATE_CONNECTED
        self.record("connection", bearer=kind, result="ok", ip=ip)
        self.touch()

    def _link_down(self, reason: str) -> None:
        if self.bearer_kind is None:
            return
        self.record("connection_down", bearer=self.bearer_kind, reason=reason)
        self.bearer_kind = None
        self.my_ip = self.peer_ip = None
        self.state = T.STATE_IDLE
        if self.phy_timer is not None:
            self.phy_timer.cancel()
            self.phy_timer = None
        self.stop_services(reason)

    def touch(self) -> None:
        """Activity on the link or the serial port: restart the PHYTIMEOUT timer (§2.1.6)."""
        self.last_activity = self.module.sim.now
        if self.bearer_kind is not None and self.phy_timer is None:
            self.phy_timer = self.later(self.p("#PHYTIMEOUT") * 60.0, self._phy_check)

    def _phy_check(self) -> None:
        self.phy_timer = None
        if self.bearer_kind is None:
            return
        idle_until = self.last_activity + self.p("#PHYTIMEOUT") * 60.0
        if self.module.sim.now + 1e-9 < idle_until:
            self.phy_timer = self.at(idle_until, self._phy_check)
            return
        # §2.1.6 "the Wavecom product ends the communication"; §9.2 35862
        self.record("phy_timeout", minutes=self.p("#PHYTIMEOUT"))
        self._hang_up()
        self.urc(f"#CME ERROR: {int(Err.PHY_TIMEOUT)}")

    def _hang_up(self) -> None:
        bearer = self.module.bearer
        kind = self.bearer_kind
        self._link_down("local")
        if bearer is None:
            return
        if kind == "gprs":
            gprs = bearer.gprs
            if gprs is not None:
                gprs.deactivate(self.p("#GPRSCID"))
        elif kind == "gsm":
            disconnect = getattr(bearer, "gsm_disconnect", None)
            if disconnect is not None:
                disconnect()

    @command("#CONNECTIONSTOP", forms="e", requires=APP, latency="network")
    def connection_stop(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """§2.2.2: release the line (GSM) or the GPRS session; OK."""
        bearer = self.module.bearer
        kind = self.bearer_kind
        if kind is None:
            call = bearer.csd.call if bearer is not None and bearer.csd is not None else None
            if call is not None:
                bearer.csd.hangup()  # type: ignore[union-attr]
            return None
        self.state = T.STATE_DISCONNECTING
        self._link_down("local")
        self.state = T.STATE_DISCONNECTING
        if bearer is not None:
            if kind == "gprs" and bearer.gprs is not None:
                yield bearer.gprs.deactivate(self.p("#GPRSCID"))
            elif kind == "gsm":
                disconnect = getattr(bearer, "gsm_disconnect", None)
                if disconnect is not None:
                    yield disconnect()
        self.state = T.STATE_IDLE
        return None

    @command("#DISPLAYIP", forms="e", requires=APP, latency="query")
    def display_ip(self, ctx: Context, cmd: Command) -> Final | None:
        """§2.3.2: MY IP / PEER IP (GSM) or MY IP / Gateway IP (GPRS); 35867 without a link."""
        if self.bearer_kind is None or self.my_ip is None:
            return err(Err.NOT_ACTIVE)
        if self.bearer_kind == "gsm":
            ctx.info(f"MY IP: {self.my_ip}", f"PEER IP: {self.peer_ip or '0.0.0.0'}")
        else:
            ctx.info(f"MY IP: {self.my_ip}", f"Gateway IP: {self.gateway_ip()}")
        return None

    def gateway_ip(self) -> str:
        """The GGSN side of the GPRS link: the operator core's address."""
        network = getattr(self.module.bearer, "network", None)
        return str(getattr(network, "core_ip", "0.0.0.0"))

    # -- losses -----------------------------------------------------------------------------------
    def on_packet_service_event(self, context: PdpContextView, outcome: Outcome) -> None:
        """§9.2 35841: the GPRS session was lost (bearer drop, coverage, network deactivation)."""
        if self.bearer_kind != "gprs" or context.cid != self.p("#GPRSCID"):
            return
        self.session_lost(Err.GPRS_LOST, str(outcome.kind))

    def _gsm_link_lost(self, outcome: Outcome) -> None:
        if self.bearer_kind != "gsm":
            return
        self.session_lost(Err.NOT_ACTIVE, str(outcome.kind), gsm=True)

    def session_lost(self, code: int, reason: str, gsm: bool = False) -> None:
        """The link went away by itself: a running data session ends with ETX and the code,
        otherwise the code (GSM: NO CARRIER) comes unsolicited."""
        in_session = self.abort_session_for_loss(code)
        self._link_down(reason)
        if in_session:
            return
        if gsm:
            self.urc("NO CARRIER")
        else:
            self.urc(f"#CME ERROR: {int(code)}")


_CALL_FAILURES: dict[str, tuple[str, int]] = {  # §2.2.3.2 / §9.1
    OutcomeKind.BUSY: ("BUSY", int(Msg.BUSY)),
    OutcomeKind.NO_ANSWER: ("NO ANSWER", int(Msg.NO_ANSWER)),
    OutcomeKind.NO_CARRIER: ("NO CARRIER", int(Msg.NO_CARRIER)),
}


def _gprs_error(outcome: Outcome) -> int:
    """§2.2.3.2 GPRS failures: 35865 not registered; 35868 "Aborted GPRS connection, check APN
    parameters" for a rejected APN or credentials (SM causes #27, #29, #33); 35866 for every
    other failure ("if the GPRS session can not be established")."""
    if outcome.kind in (OutcomeKind.NOT_REGISTERED, OutcomeKind.ATTACH_REJECT):
        return Err.NOT_ATTACHED
    if outcome.kind in (OutcomeKind.SIM_ABSENT, OutcomeKind.SIM_NOT_READY):
        return Err.SIM_REMOVED
    if outcome.kind == OutcomeKind.PDP_REJECT and outcome.cause in (27, 29, 33):
        return Err.GPRS_ABORTED
    return Err.ACTIVATION_EVENT


__all__ = ["EdsoftDialect", "common", "err", "msg"]
