"""3GPP / V.250 base commands shared by every module, answering in each module's style.

Identity strings come from the :class:`~simnet.modem.registry.ModuleProfile`; SIM,
registration and GPRS state come from the module's bearer (``simnet.bearer.ModemBearer``:
``.sim_card``, ``.radio``, ``.gprs``, ``.csd``). Without a bearer the module behaves like one
without a SIM (``+CME ERROR: 10``) and with no network (``+CME ERROR: 30``).

Simple stored settings (SMS, call-control and reporting switches that host libraries send
while starting) are :class:`~simnet.modem.params.Setting` rows, :data:`STORED_SETTINGS`: each
gives the parameters' ranges and defaults and the spec section. They are kept and reported
exactly like a real module does, without an SMS transport behind them. A restart loses them
(volatile, like the CFUN level and +CREG <n>); the PDP context definitions survive it.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from simnet.bearer.api import CsdApi, GprsApi, PdpContextView, RadioApi, SimCardApi
from simnet.bearer.csd import CsdCall
from simnet.bearer.outcomes import Outcome, OutcomeKind
from simnet.bearer.sim_card import SimState
from simnet.modem.at import Command, Final, Form
from simnet.modem.dialect import CommandSet, Context, DataLink, command, sim_error
from simnet.modem.errors_3gpp import (
    CME_GPRS_NOT_ALLOWED,
    CME_INCORRECT_PASSWORD,
    CME_NETWORK_TIMEOUT,
    CME_NO_NETWORK,
    CME_OPERATION_NOT_ALLOWED,
    CME_PDP_AUTH_FAILURE,
    CME_SIM_FAILURE,
    CME_SIM_NOT_INSERTED,
    CME_SIM_PIN_REQUIRED,
    CME_UNSPECIFIED_GPRS,
)
from simnet.modem.links import DialupLink, PipeLink
from simnet.modem.params import OneOf, Param, Range, Setting
from simnet.modem.uart import STANDARD_BAUDS

if TYPE_CHECKING:
    from simnet.modem.module import Module

# -- stored settings: one row per command (simnet.modem.params) ------------------------------


def _flag(name: str, ref: str, param: str = "n", hi: int = 1, read: str | None = None) -> Setting:
    """A command with one numeric switch 0..hi, default 0."""
    return Setting(name, (Param(param, Range(0, hi), 0),), ref, read=read)


_BYTE = Range(0, 255)
# TS 27.007 §6.7 <speed> values of +CBST this emulation accepts (autobauding, V.32, V.110...).
CBST_SPEEDS = (0, 7, 12, 14, 16, 17, 39, 43, 48, 51, 71, 75, 80, 81, 83, 84, 116, 133, 134)

STORED_SETTINGS: tuple[Setting, ...] = (
    _flag("+CMGF", "TS 27.005 §3.2.3", "mode"),
    Setting("+CSMP", (Param("fo", _BYTE, 17), Param("vp", _BYTE, 167), Param("pid", _BYTE, 0),
                      Param("dcs", _BYTE, 0)), "TS 27.005 §3.3.2"),
    Setting("+CNMI", (Param("mode", Range(0, 3), 0), Param("mt", Range(0, 3), 0),
                      Param("bm", OneOf((0, 2)), 0), Param("ds", Range(0, 2), 0),
                      Param("bfr", OneOf((0, 1)), 0)), "TS 27.005 §3.4.1"),
    _flag("+CSDH", "TS 27.005 §3.3.3", "show"),
    # +CLIP/+COLP read: <n>,<m> with <m> 1 = the service is provisioned.
    _flag("+CLIP", "TS 27.007 §7.6", read="{name}: {values},1"),
    _flag("+COLP", "TS 27.007 §7.8", read="{name}: {values},1"),
    Setting("+CCWA", (Param("n", Range(0, 1), 0), Param("mode", Range(0, 2), 0),
                      Param("class", Range(1, 255), 7)), "TS 27.007 §7.12",
            read_count=1, test="+CCWA: (0-1)"),
    _flag("+CRC", "TS 27.007 §6.11", "mode"),
    _flag("+CVHU", "TS 27.007 §6.20", "mode"),
    _flag("+CTZR", "TS 27.007 §8.41", "reporting", hi=2),
    _flag("+CTZU", "TS 27.007 §8.40", "onoff"),
    Setting("+CGEREP", (Param("mode", Range(0, 2), 0), Param("bfr", Range(0, 1), 0)),
            "TS 27.007 §10.1.19"),
    Setting("+CBST", (Param("speed", OneOf(CBST_SPEEDS), 7), Param("name", OneOf((0, 1)), 0),
                      Param("ce", Range(0, 1), 1)), "TS 27.007 §6.7"),
    _flag("+CR", "TS 27.007 §6.9", "mode"),
    Setting("+CMER", (Param("mode", Range(0, 3), 0), Param("keyp", Range(0, 2), 0),
                      Param("disp", Range(0, 2), 0), Param("ind", Range(0, 2), 0),
                      Param("bfr", Range(0, 1), 0)), "TS 27.007 §8.10"),
    _flag("+CMUT", "TS 27.007 §8.24"),
    Setting("+ICF", (Param("format", Range(1, 6), 3), Param("parity", Range(0, 3), 3)),
            "V.250 §6.2.11"),
)

# Values kept for the "+NAME?" commands that are not plain integer tuples.
SMS_STORAGES = ("SM", "ME", "MT")  # TS 27.005 §3.2.2 <mem1..3> this emulation offers
SMS_STORAGE_SIZE = {"SM": 50, "ME": 100, "MT": 150}
CHARSETS = ("IRA", "GSM", "UCS2")  # TS 27.007 §5.5


def outcome_to_cme(outcome: Outcome) -> int:
    """TS 27.007 §9.2.2: GPRS-related CME codes for a failed bearer Outcome."""
    kind = outcome.kind
    cause = outcome.cause
    if kind in ("sim_absent",):
        return CME_SIM_NOT_INSERTED
    if kind == "sim_not_ready":
        return CME_SIM_PIN_REQUIRED
    if kind == "not_registered":
        return CME_NO_NETWORK
    if kind in ("pdp_timeout",):
        return CME_NETWORK_TIMEOUT
    if kind in ("auth_failed",) or cause == 29:
        return CME_PDP_AUTH_FAILURE
    if kind in ("attach_reject",) and cause == 7:
        return CME_GPRS_NOT_ALLOWED
    # §9.2.2 maps SM causes 32/33/34 to 132/133/134.
    if kind in ("pdp_reject", "attach_reject") and cause in (32, 33, 34):
        return 100 + cause
    return CME_UNSPECIFIED_GPRS


class BaseCommands(CommandSet):
    """V.250 basic commands, S-registers and the 3GPP TS 27.007/27.005 commands."""

    settings = STORED_SETTINGS
    # PDP context definitions and their credentials are kept in non-volatile memory, as on the
    # SIMCom and Fibocom modules.
    nonvolatile_state = ("contexts", "auth")

    def __init__(self, module: Module) -> None:
        super().__init__(module)
        self.reg_n = {"+CREG": 0, "+CGREG": 0, "+CEREG": 0}
        self.edrx_urc = False  # +CEDRXS mode 2: report the network's eDRX answer (+CEDRXP)
        self.fun_level = 1
        self.cops_format = 0
        self.cops_mode = 0
        self.sca = ("", 129)
        self.sms_mem = ["SM", "SM", "SM"]
        self.charset = "IRA"
        self.sms_service = 0
        self.last_error = "No cause information available"
        self.contexts: dict[int, tuple[str, str]] = {}  # cid -> (pdp_type, apn)
        self.auth: dict[int, tuple[int, str, str]] = {}  # cid -> (auth_prot, user, password)
        self.tz_quarters = 0  # +CCLK time zone, quarters of an hour
        radio, gprs, csd = self._radio(), self._gprs(), self._csd()
        if radio is not None:
            radio.add_listener(self._registration_changed)
        self._last_ind = self._indicators()
        self._last_stat = {d: self._reported_stat(d) for d in ("cs", "ps")}
        if csd is not None:
            csd.add_listener(self._call_event)
        if gprs is not None:
            gprs.add_listener(self._context_lost)
        control = getattr(module.bearer, "link_control", None)
        if control is not None and self._power_saving_changed not in control.listeners:
            control.listeners.append(self._power_saving_changed)

    # The bearer's services this module has (None: no bearer, or a bearer without it).
    def _radio(self) -> RadioApi | None:
        bearer = self.module.bearer
        return bearer.radio if bearer is not None else None

    def _gprs(self) -> GprsApi | None:
        bearer = self.module.bearer
        return bearer.gprs if bearer is not None else None

    def _csd(self) -> CsdApi | None:
        bearer = self.module.bearer
        return bearer.csd if bearer is not None else None

    def _card(self) -> SimCardApi | None:
        bearer = self.module.bearer
        return bearer.sim_card if bearer is not None else None

    def ensure_context(self, cid: int, pdp_type: str = "IP") -> None:
        """Context ``cid`` as a fresh module has it when never set: the network's default APN
        (empty), like ``AT+CGDCONT=<cid>``. Used by dial-up and by dialects opening the network
        without a +CGDCONT, so ``AT+CGDCONT?`` and the bearer agree."""
        if cid in self.contexts:
            return
        self.contexts[cid] = (pdp_type, "")
        gprs = self._gprs()
        if gprs is not None and cid not in gprs.contexts:
            gprs.define_context(cid, pdp_type, "")

    # -- multiplexing (TS 27.007 §5.7, TS 27.010) -------------------------------------------------
    # <mode>,<subset>,<port_speed>,<N1>,<T1>,<N2>,<T2>,<T3>,<k>: ranges of TS 27.007 §5.7 for
    # the basic option with UIH frames (the only mode and subset modelled), defaults as listed.
    CMUX_RANGES = ((0, 0), (0, 0), (1, 6), (1, 32768), (1, 255), (0, 100), (2, 255), (1, 255), (1, 7))
    CMUX_DEFAULTS = (0, 0, 5, 31, 10, 3, 30, 10, 2)

    @command("+CMUX", forms="srt")
    def cmux(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §5.7: start the TS 27.010 multiplexer after OK (modules listing it only)."""
        channels = ctx.profile.cmux_channels
        if not channels:
            return ctx.error()
        if cmd.form is Form.TEST:
            ctx.info("+CMUX: (0),(0),(1-6),(1-32768),(1-255),(0-100),(2-255),(1-255),(1-7)")
            return None
        if cmd.form is Form.READ:
            ctx.info("+CMUX: " + ",".join(str(v) for v in self.cmux_settings))
            return None
        if len(cmd.params) > len(self.CMUX_RANGES):
            return ctx.error()
        values = [cmd.int(i, default, lo=lo, hi=hi)
                  for i, ((lo, hi), default) in enumerate(zip(self.CMUX_RANGES, self.CMUX_DEFAULTS, strict=True))]
        if self.module.mux is not None:
            return ctx.error()  # already multiplexing
        self.cmux_settings = tuple(values)
        from simnet.modem.cmux import ModuleMux

        mux = ModuleMux(self.module, n1=values[3], channels=channels)
        ctx.sim.call_later(0, mux.start)  # frames only after this command's OK has gone out
        return None

    cmux_settings: tuple[int, ...] = CMUX_DEFAULTS

    # -- V.250 basic commands ------------------------------------------------------------------
    def _flag(self, cmd: Command, hi: int = 1) -> int:
        if cmd.form is not Form.EXEC:
            from simnet.modem.at import ArgumentError

            raise ArgumentError(0, "basic command takes a number")
        return cmd.int(0, 0, lo=0, hi=hi)

    @command("E")
    def echo(self, ctx: Context, cmd: Command) -> Final | None:
        """V.250 §6.2.4 command echo."""
        ctx.settings.echo = bool(self._flag(cmd))
        return None

    @command("V")
    def verbose(self, ctx: Context, cmd: Command) -> Final | None:
        """V.250 §6.2.6 result code format."""
        ctx.settings.verbose = bool(self._flag(cmd))
        return None

    @command("Q")
    def quiet(self, ctx: Context, cmd: Command) -> Final | None:
        """V.250 §6.2.5 result code suppression."""
        ctx.settings.quiet = bool(self._flag(cmd))
        return None

    @command("X")
    def x_level(self, ctx: Context, cmd: Command) -> Final | None:
        """V.250 §6.2.7 result code selection and call progress monitoring."""
        ctx.settings.x_level = self._flag(cmd, 4)
        return None

    @command("L", "M", "P", "T")
    def speaker_and_dial_mode(self, ctx: Context, cmd: Command) -> Final | None:
        """V.250 §6.3.13/§6.3.14 speaker, §6.3.2/§6.3.3 pulse/tone: stored, no effect."""
        hi = {"L": 3, "M": 2, "P": 0, "T": 0}[cmd.name]
        ctx.settings.params[cmd.name] = self._flag(cmd, hi)
        return None

    @command("Z")
    def reset(self, ctx: Context, cmd: Command) -> Final | None:
        """V.250 §6.1.1: hang up and restore the stored profile."""
        self._flag(cmd, 0)
        self.module.hangup_data("reset")
        self.module.apply_settings(self.module.stored)
        return None

    @command("&F")
    def factory(self, ctx: Context, cmd: Command) -> Final | None:
        """V.250 §6.1.2 factory defaults."""
        self._flag(cmd, 0)
        self.module.apply_settings(self.module.factory)
        return None

    @command("&W")
    def store(self, ctx: Context, cmd: Command) -> Final | None:
        """Store the active profile (what ATZ restores)."""
        self._flag(cmd, 0)
        self.module.stored = ctx.settings.copy()
        return None

    @command("&V")
    def show_config(self, ctx: Context, cmd: Command) -> Final | None:
        """Display the active configuration."""
        s = ctx.settings
        ctx.info(
            "ACTIVE PROFILE:",
            f"E{int(s.echo)} Q{int(s.quiet)} V{int(s.verbose)} X{s.x_level} "
            f"&C{s.amp_c} &D{s.amp_d} +IFC: {s.flow[0]},{s.flow[1]} +CMEE: {s.cmee}",
            " ".join(f"S{n:02d}:{v:03d}" for n, v in sorted(s.s.items())),
        )
        return None

    @command("I")
    def identification(self, ctx: Context, cmd: Command) -> Final | None:
        """V.250 §6.1.3 identification information."""
        if self._flag(cmd, 0) != 0:
            return ctx.error()
        ctx.info(*(self.module.identity(t) for t in ctx.profile.ati_lines))
        return None

    @command("S")
    def s_register(self, ctx: Context, cmd: Command) -> Final | None:
        """V.250 §6.2.1–§6.3.12 S-parameters: ATSn?, ATSn=v, ATSn=?."""
        reg = cmd.index if cmd.index is not None else -1
        bounds = self.module.s_ranges.get(reg)
        if bounds is None or reg not in ctx.settings.s:
            return ctx.error()
        if cmd.form is Form.READ:
            ctx.info(ctx.profile.sreg_read_format.format(ctx.settings.s[reg]))
        elif cmd.form is Form.TEST:
            ctx.info(f"S{reg}: ({bounds[0]}-{bounds[1]})")
        elif cmd.form is Form.SET:
            if not cmd.args.isdigit():
                return ctx.error()
            value = int(cmd.args)
            if not bounds[0] <= value <= bounds[1]:
                return ctx.error()
            ctx.settings.s[reg] = value
        return None

    @command("&C")
    def dcd_mode(self, ctx: Context, cmd: Command) -> Final | None:
        """V.250 §6.2.8 circuit 109 (DCD) behaviour."""
        ctx.settings.amp_c = self._flag(cmd, 1)
        return None

    @command("&D")
    def dtr_mode(self, ctx: Context, cmd: Command) -> Final | None:
        """V.250 §6.2.9 circuit 108 (DTR) behaviour: 0 ignore, 1 online command, 2 hang up."""
        ctx.settings.amp_d = self._flag(cmd, 2)
        return None

    @command("&K")
    def flow_control(self, ctx: Context, cmd: Command) -> Final | None:
        """Flow control: 0 none, 3 RTS/CTS, 4 XON/XOFF (stored only), as +IFC."""
        value = self._flag(cmd, 6)
        mapping = {0: (0, 0), 3: (2, 2), 4: (1, 1), 6: (1, 1)}
        if value not in mapping:
            return ctx.error()
        ctx.settings.flow = mapping[value]
        return None

    @command("H")
    def hang_up(self, ctx: Context, cmd: Command) -> Final | None:
        """V.250 §6.3.6 hook control: hang up a data connection or call."""
        self._flag(cmd, 0)
        self.module.hangup_data("ath")
        csd = self._csd()
        if csd is not None:
            csd.hangup()
        return None

    @command("O")
    def online(self, ctx: Context, cmd: Command) -> Final | None:
        """V.250 §6.3.7 return to online data state."""
        self._flag(cmd, 1)
        return self.module.resume_data_mode()

    @command("A", abortable=True, latency="network")
    def answer(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """V.250 §6.3.5 answer an incoming data call."""
        self._flag(cmd, 0)
        csd = self._csd()
        if csd is None:
            return ctx.no_carrier()
        try:
            outcome = yield csd.answer()
        except simpy.Interrupt:
            csd.hangup()  # V.250 §6.3.5: a character from the DTE aborts the answer
            raise
        return self._call_result(ctx, outcome)

    @command("D", abortable=True, latency="network")
    def dial(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """V.250 §6.3.1 dial; ``*99#`` is GPRS dial-up (TS 27.007 §10.2.1.1)."""
        number = cmd.args.upper().lstrip("TP")
        voice = cmd.index == 1
        if not number:
            return ctx.error()
        if number.startswith("*99") or number.startswith("*98"):
            return (yield from self._gprs_dial(ctx, number))
        if any(c not in "0123456789*#+ABCDW,!@" for c in number):
            return ctx.cme(27) if ctx.settings.cmee else ctx.error()
        sim_err = sim_error(self.module)
        if sim_err is not None:
            return sim_err
        radio = self._radio()
        if radio is None or not radio.registered("cs"):
            if ctx.settings.x_level >= 2:
                return ctx.text("NO DIALTONE", numeric=6, error=True)
            return ctx.no_carrier()
        csd = self._csd()
        if voice or csd is None:
            # Voice calls are not modelled: the call attempt fails like an unanswered call.
            ctx.sim.record(self.module.name, "dial_unsupported", number=number, voice=voice)
            return ctx.no_carrier()
        digits = "".join(c for c in number if c in "0123456789*#+")
        try:
            outcome = yield csd.dial(digits)
        except simpy.Interrupt:
            csd.hangup()  # V.250 §6.3.1: a character from the DTE aborts the call attempt
            raise
        return self._call_result(ctx, outcome)

    def _call_result(self, ctx: Context, outcome: Outcome) -> Final:
        """V.250 §6.3.1 result of ATD/ATA from the bearer's Outcome."""
        kind = outcome.kind
        if kind != "ok":
            self.last_error = outcome.detail or kind
        if kind == "busy":
            return ctx.busy() if ctx.settings.x_level >= 3 else ctx.no_carrier()
        if kind == "no_answer":
            return ctx.no_answer()
        if kind in ("sim_absent", "sim_not_ready"):
            return sim_error(self.module) or ctx.no_carrier()
        if kind != "ok":
            return ctx.no_carrier()
        link = self._call_link(outcome)
        if link is None:
            return ctx.no_carrier()
        return ctx.connect(link, self._connect_text(outcome))

    def _set_last_error(self, text: str) -> None:
        self.last_error = text

    def _connect_text(self, outcome: Outcome | None) -> str:
        # V.250 §6.2.7: ATX0 gives a plain CONNECT; higher levels add the rate (the UART
        # rate for packet dial-up, which has no line rate of its own).
        rate = (outcome.rate if outcome is not None else None) or self.module.line_baud or 115200
        return str(rate) if self.module.settings.x_level > 0 else ""

    def _call_link(self, outcome: Outcome) -> DataLink | None:
        csd = self._csd()
        call = csd.call if csd is not None else None
        end = call.module_end if call is not None else None
        if csd is None or end is None:
            return None
        return PipeLink(self.module, end, csd.hangup, outcome.rate or 9600)

    def _call_event(self, event: str, call: CsdCall, outcome: Outcome | None) -> None:
        """Bearer CSD events: RING (with +CRING/+CLIP per settings), auto-answer, call end."""
        if event == "ring":
            self._ring(call)
        elif event == "ended":
            session = self.module.session
            if session is not None and session.active and isinstance(session.link, PipeLink):
                session.end("NO CARRIER")

    def _ring(self, call: CsdCall) -> None:
        module = self.module
        # TS 27.007 §6.11: +CRC=1 gives +CRING: <type>; a non-transparent data call (+CBST
        # <ce> 1) is "REL ASYNC", a transparent one "ASYNC".
        if self.params["+CRC"]["mode"]:
            module.urc("+CRING: " + ("REL ASYNC" if self.params["+CBST"]["ce"] else "ASYNC"))
        else:
            module.urc("RING")
        caller = call.caller_id
        if self.params["+CLIP"]["n"] and caller:
            module.urc(f'+CLIP: "{caller}",{call.number_type},,,,0')
        module.pulse_ri(1.0)  # V.24 circuit 125 (RI) pulses for a second with each ring
        # V.250 §6.3.8: S0 > 0 answers automatically after that many rings.
        s0 = module.settings.s.get(0, 0)
        if s0 and call.rings >= s0 and module.session is None:
            module.sim.process(self._auto_answer())

    def _auto_answer(self) -> Generator[simpy.Event, Outcome, None]:
        csd = self._csd()
        if csd is None:
            return
        outcome = yield csd.answer()
        if outcome.ok:
            link = self._call_link(outcome)
            if link is not None:
                text = self._connect_text(outcome)
                self.module.enter_data_mode(link, f"CONNECT {text}" if text else "CONNECT")
                return
        self.module.urc("NO CARRIER")

    def _gprs_dial(self, ctx: Context, number: str) -> Generator[Any, Any, Final]:
        """TS 27.007 §10.2.1.1 ``D*99[*[<called_address>][*[<L2P>][*[<cid>]]]]#`` (and §10.2.1.2
        ``D*98[*<cid>]#``): CONNECT, then the bearer's PPP server runs over the UART and hands
        the host the address of PDP context <cid> (default 1)."""
        body = number.rstrip("#")
        fields = body.split("*")[1:]  # ["99", called, L2P, cid] or ["98", cid]
        cid_text = (fields[3] if len(fields) > 3 else "") if fields[0] == "99" else (
            fields[1] if len(fields) > 1 else "")
        l2p = fields[2].upper() if fields[0] == "99" and len(fields) > 2 else ""
        if not number.endswith("#") or (cid_text and not cid_text.isdigit()) or l2p not in ("", "PPP", "1"):
            return ctx.error()
        cid = int(cid_text) if cid_text else 1
        if not 1 <= cid <= 16:
            return ctx.error()
        bearer = self.module.bearer
        if bearer is None or bearer.dialup is None:
            ctx.sim.record(self.module.name, "dial_unsupported", number=number, voice=False)
            return ctx.no_carrier()
        sim_err = sim_error(self.module)
        if sim_err is not None:
            return sim_err
        if not bearer.radio.registered("ps"):
            self.last_error = "not registered (PS)"
            return ctx.no_carrier()
        self.ensure_context(cid)
        link = DialupLink(self.module, bearer, cid, on_failure=self._set_last_error)
        return ctx.connect(link, self._connect_text(None))
        yield  # pragma: no cover - keeps this a generator

    # -- identity (TS 27.007 §5) ---------------------------------------------------------------
    def _identity(self, ctx: Context, cmd: Command, template: str) -> Final | None:
        if cmd.form is Form.TEST:
            return None
        if cmd.form is not Form.EXEC:
            return ctx.error()
        ctx.info(self.module.identity(template))
        return None

    @command("+CGMI", "+GMI", forms="et")
    def manufacturer(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §5.1 / V.250 §6.1.4."""
        return self._identity(ctx, cmd, ctx.profile.cgmi_format)

    @command("+CGMM", "+GMM", forms="et")
    def model(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §5.2 / V.250 §6.1.5."""
        return self._identity(ctx, cmd, ctx.profile.cgmm_format)

    @command("+CGMR", "+GMR", forms="et")
    def revision(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §5.3 / V.250 §6.1.6."""
        return self._identity(ctx, cmd, ctx.profile.cgmr_format)

    @command("+CGSN", "+GSN", forms="et")
    def serial(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §5.4 / V.250 §6.1.7: the IMEI."""
        return self._identity(ctx, cmd, ctx.profile.cgsn_format)

    @command("+GCAP", forms="et")
    def capabilities(self, ctx: Context, cmd: Command) -> Final | None:
        """V.250 §6.1.9 complete capabilities list."""
        return self._identity(ctx, cmd, ctx.profile.gcap)

    @command("+CIMI", forms="et", latency="sim")
    def imsi(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §5.6: needs a ready SIM."""
        if cmd.form is Form.TEST:
            return None
        err = sim_error(self.module)
        if err is not None:
            return err
        card = self._card()
        assert card is not None  # sim_error answered for a module without a SIM
        ctx.info(card.config.imsi)
        return None

    @command("+CCID", "+ICCID", forms="et", latency="sim")
    def iccid(self, ctx: Context, cmd: Command) -> Final | None:
        """SIM card identification (vendor command, common form ``+CCID: <iccid>``)."""
        if cmd.form is Form.TEST:
            return None
        card = self._card()
        if card is None or card.state == SimState.ABSENT:
            return ctx.cme(CME_SIM_NOT_INSERTED)
        ctx.info(f"{cmd.name}: {card.config.iccid}")
        return None

    @command("+CNUM", forms="et", latency="sim")
    def own_number(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §7.1 subscriber number (printed when the SIM stores one)."""
        if cmd.form is Form.TEST:
            return None
        err = sim_error(self.module)
        if err is not None:
            return err
        card = self._card()
        assert card is not None  # sim_error answered for a module without a SIM
        msisdn = card.config.msisdn
        if msisdn:
            ctx.info(f'+CNUM: ,"{msisdn}",{145 if msisdn.startswith("+") else 129}')
        return None

    # -- errors and SIM (TS 27.007 §8, §9) -----------------------------------------------------
    @command("+CMEE")
    def cmee(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §9.1 report mobile termination error."""
        if cmd.form is Form.READ:
            ctx.info(f"+CMEE: {ctx.settings.cmee}")
        elif cmd.form is Form.TEST:
            ctx.info("+CMEE: (0-2)")
        elif cmd.form is Form.SET:
            cmd.max_params(1)
            ctx.settings.cmee = cmd.int(0, 0, lo=0, hi=2)
        else:
            ctx.settings.cmee = 0
        return None

    @command("+CEER", forms="et")
    def extended_error(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §6.10 extended error report (last call/bearer failure)."""
        if cmd.form is Form.EXEC:
            ctx.info(f"+CEER: {self.last_error}")
        return None

    @command("+CPIN", latency="sim")
    def cpin(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §8.3 enter PIN."""
        card = self._card()
        if cmd.form is Form.TEST:
            return None
        if cmd.form is Form.EXEC:
            return ctx.error()
        if card is None:
            return ctx.cme(CME_SIM_NOT_INSERTED)
        state = card.state
        if cmd.form is Form.READ:
            code = card.cpin
            if code is None:
                return ctx.cme(CME_SIM_NOT_INSERTED if state == "absent" else CME_SIM_FAILURE)
            ctx.info(f"+CPIN: {code}")
            return None
        pin = cmd.str(0, max_len=8)
        cmd.max_params(2)
        if state == "pin":
            return None if card.enter_pin(pin) else ctx.cme(CME_INCORRECT_PASSWORD)
        if state == "puk":
            new_pin = cmd.str(1, max_len=8)
            return None if card.enter_puk(pin, new_pin) else ctx.cme(CME_INCORRECT_PASSWORD)
        if state == "absent":
            return ctx.cme(CME_SIM_NOT_INSERTED)
        if state == "ready":
            return ctx.cme(CME_OPERATION_NOT_ALLOWED)
        return ctx.cme(CME_SIM_FAILURE)

    @command("+CLCK", latency="sim")
    def clck(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §7.4 facility lock, for the SIM PIN lock ("SC"): mode 0 unlock, 1 lock,
        2 query (``+CLCK: <status>``). Other facilities are not supported (CME 4)."""
        if cmd.form is Form.TEST:
            ctx.info('+CLCK: ("SC")')
            return None
        if cmd.form is not Form.SET:
            return ctx.error()
        cmd.max_params(4)
        fac = cmd.str(0).upper()
        mode = cmd.int(1, lo=0, hi=2)
        if fac != "SC":
            return ctx.cme(4)
        err = sim_error(self.module)
        if err is not None:
            return err
        card = self._card()
        assert card is not None  # sim_error answered for a module without a SIM
        if mode == 2:
            ctx.info(f"+CLCK: {int(card.lock_enabled)}")
            return None
        return None if card.set_lock(mode == 1, cmd.str(2, max_len=8)) else ctx.cme(CME_INCORRECT_PASSWORD)

    @command("+CPWD", latency="sim")
    def cpwd(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §7.5 change password, for the SIM PIN ("SC")."""
        if cmd.form is Form.TEST:
            ctx.info('+CPWD: ("SC",8)')
            return None
        if cmd.form is not Form.SET:
            return ctx.error()
        cmd.max_params(3)
        if cmd.str(0).upper() != "SC":
            return ctx.cme(4)
        err = sim_error(self.module)
        if err is not None:
            return err
        card = self._card()
        assert card is not None  # sim_error answered for a module without a SIM
        if not card.lock_enabled:
            return ctx.cme(CME_OPERATION_NOT_ALLOWED)  # no PIN to change while the lock is off
        old, new = cmd.str(1, max_len=8), cmd.str(2, max_len=8)
        if not (new.isdigit() and 4 <= len(new) <= 8):
            return ctx.cme(50)
        return None if card.change_pin(old, new) else ctx.cme(CME_INCORRECT_PASSWORD)

    @command("+CSQ", forms="et")
    def csq(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §8.5 signal quality."""
        if cmd.form is Form.TEST:
            ctx.info("+CSQ: (0-31,99),(0-7,99)")
            return None
        radio = self._radio()
        rssi, ber = radio.csq() if radio is not None and self.fun_level == 1 else (99, 99)
        ctx.info(f"+CSQ: {rssi},{ber}")
        return None

    @command("+CPAS", forms="et")
    def activity(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §8.1 phone activity status: 0 ready, 3 call in progress (data mode)."""
        if cmd.form is Form.TEST:
            ctx.info("+CPAS: (0-5)")
        else:
            ctx.info(f"+CPAS: {3 if self.module.session is not None else 0}")
        return None

    @command("+CFUN", latency="network")
    def cfun(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §8.2 set phone functionality (0 minimum, 1 full, 4 RF off)."""
        if cmd.form is Form.READ:
            ctx.info(f"+CFUN: {self.fun_level}")
            return None
        if cmd.form is Form.TEST:
            ctx.info("+CFUN: (0,1,4),(0-1)")
            return None
        if cmd.form is Form.EXEC:
            return ctx.error()
        fun = cmd.int(0, allowed=(0, 1, 4))
        reset = cmd.int(1, 0, lo=0, hi=1)
        cmd.max_params(2)
        if reset and fun == 1:
            # TS 27.007 §8.2 <rst>=1: reset the MT before setting the level (the A76XX manual:
            # only with <fun> 1). The OK goes out first, then the module restarts like a
            # fresh one and comes back with full functionality (boot time, boot lines).
            self.module.sim.call_later(0, self.module.reboot, "cfun")
            return None
        radio = self._radio()
        previous, self.fun_level = self.fun_level, fun  # set first: the URCs below see it
        if fun != previous and radio is not None:
            radio.set_rf(fun == 1)  # RF off: both domains lose service until CFUN=1
        for domain in ("cs", "ps"):
            self._registration_changed(domain)  # report what the RF change did to <stat>
        return None

    # -- registration (TS 27.007 §7.2, §10.1.20, §10.1.22) -------------------------------------
    def _reg_line(self, name: str, n: int, stat: int, with_n: bool) -> str:
        head = f"{name}: {n},{stat}" if with_n else f"{name}: {stat}"
        radio = self._radio()
        if n >= 2 and stat in (1, 5) and radio is not None:
            head += f',"{radio.lac}","{radio.ci}",{radio.act}'
            timers = self._psm_timers() if name == "+CEREG" and n >= 4 else None
            if timers is not None:
                # TS 27.007 §10.1.22 n=4/5: [,[<cause_type>],[<reject_cause>][,[<Active-Time>],
                # [<Periodic-TAU>]]] - no reject cause to report, the timers the network gave.
                head += f',,,"{timers[1]}","{timers[0]}"'
        return head

    def _psm_timers(self) -> tuple[str, str] | None:
        """(Periodic-TAU, Active-Time) the network granted, or None without PSM."""
        control = getattr(self.module.bearer, "link_control", None)
        return getattr(control, "psm_granted", None)

    def _power_saving_changed(self, what: str) -> None:
        """The network answered a PSM or eDRX request (as in a TAU accept): +CEREG with the
        timers under n=4/5, +CEDRXP under +CEDRXS mode 2."""
        if what == "psm":
            n = self.reg_n["+CEREG"]
            stat = self._reported_stat("ps")
            if n >= 4 and stat in (1, 5):
                self.module.urc(self._reg_line("+CEREG", n, stat, with_n=False))
        elif what == "edrx" and self.edrx_urc:
            self.module.urc("+CEDRXP: " + self._edrx_fields(with_ptw=True))

    def _reg_command(self, ctx: Context, cmd: Command, domain: str) -> Final | None:
        name = cmd.name
        top = 5 if name == "+CEREG" else 2  # TS 27.007 §10.1.22: +CEREG <n> 0..5
        if cmd.form is Form.TEST:
            ctx.info(f"{name}: (0-{top})")
            return None
        if cmd.form is Form.READ:
            stat = self._reported_stat(domain)
            ctx.info(self._reg_line(name, self.reg_n[name], stat, with_n=True))
            return None
        if cmd.form is Form.EXEC:
            self.reg_n[name] = 0
            return None
        cmd.max_params(1)
        self.reg_n[name] = cmd.int(0, 0, lo=0, hi=top)
        return None

    @command("+CREG")
    def creg(self, ctx: Context, cmd: Command) -> Final | None:
        return self._reg_command(ctx, cmd, "cs")

    @command("+CGREG")
    def cgreg(self, ctx: Context, cmd: Command) -> Final | None:
        return self._reg_command(ctx, cmd, "ps")

    @command("+CEREG")
    def cereg(self, ctx: Context, cmd: Command) -> Final | None:
        return self._reg_command(ctx, cmd, "ps")

    # TS 27.007 §8.9 indicators this emulation reports, in +CIND order (1-based indexes).
    CIND_NAMES = ("battchg", "signal", "service", "message", "call", "roam", "smsfull")
    CIND_RANGES = ("(0-5)", "(0-5)", "(0,1)", "(0,1)", "(0,1)", "(0,1)", "(0,1)")

    def _indicators(self) -> list[int]:
        radio = self._radio()
        rssi = radio.csq()[0] if radio is not None and self.fun_level == 1 else 99
        # +CSQ <rssi> 0..31 onto 0..5 bars (99 unknown -> 0).
        signal = 0 if rssi == 99 else min(5, (rssi + 5) // 6)
        stat = radio.stat("cs") if radio is not None else 0
        return [5, signal, int(stat in (1, 5)), 0, int(self.module.session is not None),
                int(stat == 5), 0]

    @command("+CIND")
    def cind(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §8.9 indicator control (read and test; the indicators are not settable)."""
        if cmd.form is Form.TEST:
            ctx.info("+CIND: " + ",".join(f'("{n}",{r})' for n, r in zip(self.CIND_NAMES, self.CIND_RANGES, strict=True)))
            return None
        if cmd.form is Form.READ:
            ctx.info("+CIND: " + ",".join(str(v) for v in self._indicators()))
            return None
        return ctx.error()

    def _reported_stat(self, domain: str) -> int:
        """<stat> as the MT reports it: the radio's, or 0 while the RF is off (+CFUN=0/4)."""
        radio = self._radio()
        if radio is None or self.fun_level != 1:
            return 0
        return radio.stat(domain)

    def _registration_changed(self, domain: str, state: object = None) -> None:
        """Radio listener (and +CFUN): URCs for every change of a reported <stat>."""
        stat = self._reported_stat(domain)
        if stat == self._last_stat.get(domain):
            return
        self._last_stat[domain] = stat
        cmer = self.params["+CMER"]
        mode, ind = cmer["mode"], cmer["ind"]
        if domain == "cs":
            now = self._indicators()
            if mode and ind:
                # §8.10 +CIEV: <ind>,<value> for the service and roaming indicators that changed.
                for index in (2, 5):
                    if self._last_ind[index] != now[index]:
                        self.module.urc(f"+CIEV: {index + 1},{now[index]}")
            self._last_ind = now
        names = ("+CREG",) if domain == "cs" else ("+CGREG", "+CEREG")
        for name in names:
            n = self.reg_n[name]
            if n:
                self.module.urc(self._reg_line(name, n, stat, with_n=False))

    @command("+COPS", latency="network")
    def cops(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """TS 27.007 §7.3 PLMN selection."""
        bearer = self.module.bearer
        op = bearer.operator if bearer is not None else None
        # A network that does not say its names: the test PLMN (TS 23.003 MCC 001 MNC 01).
        long_name = op.name if op is not None else "SIMNET"
        short_name = op.short_name if op is not None else long_name[:8]
        plmn = op.plmn if op is not None else "00101"
        radio = self._radio()
        act = radio.act if radio is not None else 0
        names = (long_name, short_name, plmn)
        if cmd.form is Form.READ:
            if radio is not None and (radio.registered("cs") or radio.registered("ps")):
                ctx.info(f'+COPS: {self.cops_mode},{self.cops_format},"{names[self.cops_format]}",{act}')
            else:
                ctx.info(f"+COPS: {self.cops_mode}")
            return None
        if cmd.form is Form.TEST:
            if radio is None or self.fun_level != 1:
                return ctx.cme(CME_NO_NETWORK)
            yield ctx.sleep(3.0)  # a network scan takes seconds on every real module
            ctx.info(f'+COPS: (2,"{long_name}","{short_name}","{plmn}",{act}),,(0-4),(0-2)')
            return None
        if cmd.form is Form.EXEC:
            return ctx.error()
        mode = cmd.int(0, allowed=(0, 1, 2, 3, 4))
        fmt = cmd.int(1, self.cops_format, lo=0, hi=2)
        if mode in (1, 4):
            oper = cmd.str(2)
            if oper not in names:
                return ctx.cme(32 if mode == 1 else CME_NO_NETWORK)
        if mode == 3:
            self.cops_format = fmt
            return None
        self.cops_mode = mode
        self.cops_format = fmt
        return None

    # -- packet domain (TS 27.007 §10.1) -------------------------------------------------------
    @command("+CGATT", latency="network")
    def cgatt(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """TS 27.007 §10.1.9 PS attach or detach."""
        gprs = self._gprs()
        if cmd.form is Form.TEST:
            ctx.info("+CGATT: (0,1)")
            return None
        if cmd.form is Form.READ:
            ctx.info(f"+CGATT: {int(gprs is not None and gprs.attached)}")
            return None
        if cmd.form is Form.EXEC:
            return ctx.error()
        state = cmd.int(0, lo=0, hi=1)
        if gprs is None:
            return sim_error(self.module) or ctx.cme(CME_NO_NETWORK)
        outcome = yield gprs.attach() if state else gprs.detach()
        if not outcome.ok:
            self.last_error = outcome.detail or outcome.kind
            return ctx.cme(outcome_to_cme(outcome))
        return None

    def _context_lost(self, context: PdpContextView, outcome: Outcome) -> None:
        """TS 27.007 §10.1.19 (Rel-10 form, as the LTE modules print it): with +CGEREP=1/2 a
        context the network deactivated is reported as ``+CGEV: NW PDN DEACT <cid>``, one lost
        with the bearer as ``+CGEV: ME PDN DEACT <cid>``."""
        if not self.params["+CGEREP"]["mode"]:
            return
        who = "NW" if outcome.kind == OutcomeKind.DEACTIVATED else "ME"
        self.module.urc(f"+CGEV: {who} PDN DEACT {context.cid}")

    @command("+CGDCONT")
    def cgdcont(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §10.1.1 define PDP context."""
        if cmd.form is Form.TEST:
            ctx.info('+CGDCONT: (1-16),"IP",,,(0-2),(0-4)', '+CGDCONT: (1-16),"PPP",,,(0-2),(0-4)',
                     '+CGDCONT: (1-16),"IPV6",,,(0-2),(0-4)', '+CGDCONT: (1-16),"IPV4V6",,,(0-2),(0-4)')
            return None
        if cmd.form is Form.READ:
            for cid in sorted(self.contexts):
                pdp_type, apn = self.contexts[cid]
                ctx.info(f'+CGDCONT: {cid},"{pdp_type}","{apn}","0.0.0.0",0,0')
            return None
        if cmd.form is Form.EXEC:
            return ctx.error()
        cid = cmd.int(0, lo=1, hi=16)
        cmd.max_params(6)
        if len(cmd.params) == 1:
            self.contexts.pop(cid, None)
            self.auth.pop(cid, None)
            gprs = self._gprs()
            if gprs is not None:
                gprs.undefine_context(cid)
            return None
        pdp_type = cmd.str(1, "IP").upper()
        if pdp_type not in ("IP", "PPP", "IPV6", "IPV4V6"):
            return ctx.cme(50)
        apn = cmd.str(2, "", max_len=99)
        cmd.int(4, 0, lo=0, hi=2)
        cmd.int(5, 0, lo=0, hi=4)
        self.contexts[cid] = (pdp_type, apn)
        gprs = self._gprs()
        if gprs is not None:
            gprs.define_context(cid, pdp_type, apn)
        return None

    @command("+CGAUTH")
    def cgauth(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §10.1.31 PDP context authentication: <auth_prot> 0 none, 1 PAP, 2 CHAP."""
        if cmd.form is Form.TEST:
            ctx.info("+CGAUTH: (1-16),(0-2),(64),(64)")
            return None
        if cmd.form is Form.READ:
            for cid in sorted(self.auth):
                prot, user = self.auth[cid][0], self.auth[cid][1]
                ctx.info(f'+CGAUTH: {cid},{prot},"{user}"')
            return None
        if cmd.form is Form.EXEC:
            return ctx.error()
        cmd.max_params(4)
        cid = cmd.int(0, lo=1, hi=16)
        prot = cmd.int(1, 0, lo=0, hi=2)
        user = cmd.str(2, "", max_len=64)
        password = cmd.str(3, "", max_len=64)
        self.auth[cid] = (prot, user, password)
        gprs = self._gprs()
        if gprs is not None:
            gprs.set_auth(cid, prot, user, password)
        return None

    def _active(self, cid: int) -> bool:
        gprs = self._gprs()
        return gprs is not None and gprs.is_active(cid)

    def _address(self, cid: int) -> str | None:
        gprs = self._gprs()
        context = gprs.contexts.get(cid) if gprs is not None else None
        return context.ip if context is not None and context.ip else None

    @command("+CGACT", latency="network")
    def cgact(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """TS 27.007 §10.1.10 PDP context activate or deactivate."""
        if cmd.form is Form.TEST:
            ctx.info("+CGACT: (0,1)")
            return None
        if cmd.form is Form.READ:
            for cid in sorted(self.contexts):
                ctx.info(f"+CGACT: {cid},{int(self._active(cid))}")
            return None
        if cmd.form is Form.EXEC:
            return ctx.error()
        state = cmd.int(0, lo=0, hi=1)
        cids = [cmd.int(i, lo=1, hi=16) for i in range(1, len(cmd.params))] or sorted(self.contexts)
        gprs = self._gprs()
        if gprs is None:
            return sim_error(self.module) or ctx.cme(CME_NO_NETWORK)
        for cid in cids:
            if cid not in self.contexts:
                return ctx.cme(CME_UNSPECIFIED_GPRS) if state else None
            if state == int(self._active(cid)):
                continue
            outcome = yield gprs.activate(cid) if state else gprs.deactivate(cid)
            if not outcome.ok:
                self.last_error = outcome.detail or outcome.kind
                return ctx.cme(outcome_to_cme(outcome))
        return None

    @command("+CGPADDR")
    def cgpaddr(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §10.1.14 show PDP address."""
        if cmd.form is Form.TEST:
            ctx.info("+CGPADDR: (" + ",".join(str(c) for c in sorted(self.contexts)) + ")")
            return None
        if cmd.form is Form.READ:
            return ctx.error()
        cids = (
            [cmd.int(i, lo=1, hi=16) for i in range(len(cmd.params))]
            if cmd.form is Form.SET else sorted(self.contexts)
        )
        for cid in cids:
            addr = self._address(cid) if self._active(cid) else None
            if addr and not self.module.dialect.cgpaddr_quoted:
                ctx.info(f"+CGPADDR: {cid},{addr}")
            else:
                ctx.info(f'+CGPADDR: {cid},"{addr}"' if addr else f"+CGPADDR: {cid}")
        return None

    # -- serial port (V.250 §6.2.10–6.2.12) ----------------------------------------------------
    @command("+IFC")
    def ifc(self, ctx: Context, cmd: Command) -> Final | None:
        """V.250 §6.2.12 DTE-DCE local flow control (2 = RTS/CTS)."""
        if cmd.form is Form.READ:
            ctx.info(f"+IFC: {ctx.settings.flow[0]},{ctx.settings.flow[1]}")
        elif cmd.form is Form.TEST:
            ctx.info("+IFC: (0-2),(0-2)")
        elif cmd.form is Form.SET:
            cmd.max_params(2)
            ctx.settings.flow = (cmd.int(0, 2, lo=0, hi=2), cmd.int(1, 2, lo=0, hi=2))
        else:
            return ctx.error()
        return None

    @command("+IPR")
    def ipr(self, ctx: Context, cmd: Command) -> Final | None:
        """V.250 §6.2.10 fixed DTE rate; the new rate applies after the OK has been sent."""
        port = self.module.port
        if cmd.form is Form.READ:
            ctx.info(f"+IPR: {port.baud}")
        elif cmd.form is Form.TEST:
            ctx.info("+IPR: (0," + ",".join(str(b) for b in STANDARD_BAUDS) + "),()")
        elif cmd.form is Form.SET:
            cmd.max_params(1)
            rate = cmd.int(0, allowed=(0, *STANDARD_BAUDS))
            self.module.change_baud_after_response(rate)
        else:
            return ctx.error()
        return None

    # -- SMS and call settings hosts send at start-up (TS 27.005 / 27.007) ---------------------
    @command("+CSCA", latency="sim")
    def csca(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.005 §3.3.1 service centre address."""
        if cmd.form is Form.TEST:
            return None
        err = sim_error(self.module)
        if err is not None:
            return ctx.cms(310 if err.code == CME_SIM_NOT_INSERTED else 311)
        if cmd.form is Form.READ:
            ctx.info(f'+CSCA: "{self.sca[0]}",{self.sca[1]}')
            return None
        if cmd.form is Form.EXEC:
            return ctx.error()
        number = cmd.str(0, max_len=20)
        tosca = cmd.int(1, 145 if number.startswith("+") else 129, lo=0, hi=255)
        self.sca = (number, tosca)
        return None

    @command("+CPMS", latency="sim")
    def cpms(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.005 §3.2.2 preferred message storage (the stores are empty: no SMS bearer)."""
        mems = ",".join(f'"{m}"' for m in SMS_STORAGES)
        if cmd.form is Form.TEST:
            ctx.info(f"+CPMS: ({mems}),({mems}),({mems})")
            return None
        err = sim_error(self.module)
        if err is not None:
            return ctx.cms(310 if err.code == CME_SIM_NOT_INSERTED else 311)
        if cmd.form is Form.READ:
            ctx.info("+CPMS: " + ",".join(f'"{m}",0,{SMS_STORAGE_SIZE[m]}' for m in self.sms_mem))
            return None
        if cmd.form is Form.EXEC:
            return ctx.error()
        cmd.max_params(3)
        new = list(self.sms_mem)
        for i in range(3):
            if cmd.has(i):
                mem = cmd.str(i).upper()
                if mem not in SMS_STORAGES:
                    return ctx.cms(302)
                new[i] = mem
        self.sms_mem = new
        ctx.info("+CPMS: " + ",".join(f"0,{SMS_STORAGE_SIZE[m]}" for m in new))
        return None

    @command("+CMGL", "+CMGR", "+CMGD", latency="sim")
    def sms_store(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.005 §3.4.2/§3.4.3/§3.5.4 on an empty store: list nothing, read/delete fail."""
        if cmd.form is Form.TEST:
            if cmd.name == "+CMGL":
                ctx.info('+CMGL: ("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")'
                         if self.params["+CMGF"]["mode"] else "+CMGL: (0-4)")
            return None
        err = sim_error(self.module)
        if err is not None:
            return ctx.cms(310 if err.code == CME_SIM_NOT_INSERTED else 311)
        if cmd.name == "+CMGL":
            return None  # nothing stored
        if cmd.form is not Form.SET:
            return ctx.error()
        index = cmd.int(0, lo=0, hi=SMS_STORAGE_SIZE[self.sms_mem[0]])
        if cmd.name == "+CMGD" and cmd.int(1, 0, lo=0, hi=4) > 0:
            return None  # delete-flag form: deleting from an empty store succeeds
        del index
        return ctx.cms(321)

    @command("+CSMS", latency="sim")
    def csms(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.005 §3.2.1 select message service: read ``+CSMS: <service>,<mt>,<mo>,<bm>``,
        set answers ``+CSMS: <mt>,<mo>,<bm>`` (all supported: 1,1,1)."""
        if cmd.form is Form.TEST:
            ctx.info("+CSMS: (0-1)")
        elif cmd.form is Form.READ:
            ctx.info(f"+CSMS: {self.sms_service},1,1,1")
        elif cmd.form is Form.SET:
            cmd.max_params(1)
            self.sms_service = cmd.int(0, lo=0, hi=1)
            ctx.info("+CSMS: 1,1,1")
        else:
            return ctx.error()
        return None

    @command("+CSCS")
    def cscs(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §5.5 TE character set."""
        if cmd.form is Form.READ:
            ctx.info(f'+CSCS: "{self.charset}"')
        elif cmd.form is Form.TEST:
            ctx.info("+CSCS: (" + ",".join(f'"{c}"' for c in CHARSETS) + ")")
        elif cmd.form is Form.SET:
            value = cmd.str(0).upper()
            if value not in CHARSETS:
                return ctx.cme(4)
            self.charset = value
        else:
            return ctx.error()
        return None

    @command("+CLCC", forms="et")
    def clcc(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §7.18 list current calls: the data call, if one is up."""
        if cmd.form is Form.EXEC and self.module.session is not None:
            ctx.info('+CLCC: 1,0,0,1,0,"",129')
        return None

    @command("+CCLK")
    def cclk(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §8.15 real-time clock ``"yy/MM/dd,hh:mm:ss±zz"`` (zz in quarter hours),
        from the module clock (Module.clock: 2024-01-01 UTC at virtual time 0 until set)."""
        import datetime as _dt

        if cmd.form is Form.READ:
            t = _dt.datetime.fromtimestamp(self.module.clock(), _dt.UTC)
            local = t + _dt.timedelta(minutes=15 * self.tz_quarters)
            ctx.info(f'+CCLK: "{local:%y/%m/%d,%H:%M:%S}{self.tz_quarters:+03d}"')
            return None
        if cmd.form is Form.TEST:
            return None
        if cmd.form is Form.EXEC:
            return ctx.error()
        text = cmd.str(0)
        try:
            local = _dt.datetime.strptime(text[:17], "%y/%m/%d,%H:%M:%S").replace(tzinfo=_dt.UTC)
            quarters = int(text[17:]) if len(text) > 17 else 0
        except ValueError:
            return ctx.cme(50)
        if not -96 <= quarters <= 96:
            return ctx.cme(50)
        self.tz_quarters = quarters
        self.module.set_clock((local - _dt.timedelta(minutes=15 * quarters)).timestamp())
        return None

    # -- power saving: stored, reported, and passed to the bearer's radio link (simnet.bearer.rrc)
    @command("+CPSMS")
    def cpsms(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §7.38 power saving mode: <mode> 0/1 (2 disables and resets the timers),
        then the requested periodic RAU, GPRS READY timer, periodic TAU and active time as
        8-bit strings (TS 24.008 GPRS Timer 2/3 coding)."""
        if cmd.form is Form.TEST:
            ctx.info('+CPSMS: (0-2),("00000000"-"11111111"),("00000000"-"11111111"),'
                     '("00000000"-"11111111"),("00000000"-"11111111")')
            return None
        state = ctx.settings.params.setdefault("+CPSMS", [0, "", "", "", ""])
        if cmd.form is Form.READ:
            timers = ",".join(f'"{t}"' if t else "" for t in state[1:])
            ctx.info(f"+CPSMS: {state[0]},{timers}")
            return None
        if cmd.form is Form.EXEC:
            return ctx.error()
        cmd.max_params(5)
        mode = cmd.int(0, 0, lo=0, hi=2)
        requested = [cmd.str(i, state[i], max_len=8) if cmd.has(i) else state[i] for i in range(1, 5)]
        if any(t and (len(t) != 8 or set(t) - {"0", "1"}) for t in requested):
            return ctx.cme(50)
        stored = [0, "", "", "", ""] if mode == 2 else [mode, *requested]
        ctx.settings.params["+CPSMS"] = stored
        request = getattr(ctx.bearer, "request_psm", None)
        if request is not None:
            # E-UTRAN uses the requested periodic TAU (T3412 extended) and active time (T3324).
            request(stored[0] == 1, stored[3], stored[4])
        return None

    @command("+CEDRXS")
    def cedrxs(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §7.40 eDRX setting: <mode> 0/1/2 (3 disables and resets), <AcT-type>
        (2 GSM, 4 E-UTRAN, 5 NB-IoT), requested eDRX value as a 4-bit string; the read form
        lists each access technology with eDRX enabled."""
        if cmd.form is Form.TEST:
            ctx.info('+CEDRXS: (0-3),(0,2,4,5),("0000"-"1111")')
            return None
        state: dict[int, str] = ctx.settings.params.setdefault("+CEDRXS", {})
        if cmd.form is Form.READ:
            ctx.info(*[f'+CEDRXS: {act},"{value}"' for act, value in sorted(state.items())])
            return None
        if cmd.form is Form.EXEC:
            return ctx.error()
        cmd.max_params(3)
        mode = cmd.int(0, 0, lo=0, hi=3)
        act = cmd.int(1, 4, allowed=(0, 2, 4, 5))
        value = cmd.str(2, state.get(act, "0000"), max_len=4)
        if len(value) != 4 or set(value) - {"0", "1"}:
            return ctx.cme(50)
        request = getattr(ctx.bearer, "request_edrx", None)
        if mode == 3:
            for old in list(state):
                state.pop(old)
                if request is not None:
                    request(False, old)
            self.edrx_urc = False
        elif mode == 0:
            state.pop(act, None)
            if request is not None:
                request(False, act)
        else:
            state[act] = value
            self.edrx_urc = mode == 2
            if request is not None:
                request(True, act, value)
        return None

    def _edrx_fields(self, *, with_ptw: bool) -> str:
        """<AcT-type>[,<Requested_eDRX_value>[,<NW-provided_eDRX_value>[,<Paging_time_window>]]]
        of the access technology in use (TS 27.007 §7.41); AcT-type 0 when eDRX is not in use."""
        control = getattr(self.module.bearer, "link_control", None)
        profile = getattr(self.module.bearer, "profile", None)
        act = getattr(profile, "edrx_act", None)
        granted = getattr(control, "edrx_granted", None)
        if control is None or act is None or granted is None:
            return "0"
        requested = control.edrx_request.get(act, "")
        out = f'{act},"{requested}","{granted}"'
        if with_ptw:
            out += f',"{control.ptw_granted}"'
        return out

    @command("+CEDRXRDP", forms="et", latency="query")
    def cedrxrdp(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §7.41 eDRX read dynamic parameters: what the network gave the serving
        cell's access technology, with the paging time window."""
        if cmd.form is Form.EXEC:
            ctx.info("+CEDRXRDP: " + self._edrx_fields(with_ptw=True))
        return None

    @command("+CLAC", forms="et")
    def clac(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §8.37 list all available AT commands (one per line)."""
        if cmd.form is Form.EXEC:
            basic = {"S", "D"}
            names = [n for n in self.module.command_names() if n not in basic]
            ctx.info(*[f"AT{n}" for n in names])
        return None
