"""Calls (V.250 §6.3): ATD / ATA / ATH / ATO, RING and auto-answer, GPRS dial-up (TS 27.007
§10.2.1), +CLCC."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from simnet.bearer.csd import CsdCall
from simnet.bearer.outcomes import Outcome, OutcomeKind
from simnet.kernel.units import ascii_digits
from simnet.modem.at import Command, Final, Form
from simnet.modem.base.common import BaseCommandSet
from simnet.modem.dialect import Context, DataLink, command, sim_error
from simnet.modem.links import DialupLink, PipeLink

if TYPE_CHECKING:
    from simnet.modem.module import Module


class CallCommands(BaseCommandSet):
    """Data calls over the bearer's CSD service and dial-up PPP over its packet service."""

    def __init__(self, module: Module) -> None:
        super().__init__(module)
        csd = self._csd()
        if csd is not None:
            csd.add_listener(self._call_event)

    if TYPE_CHECKING:  # the packet-domain group's (simnet.modem.base.packet)

        def ensure_context(self, cid: int, pdp_type: str = "IP") -> None: ...

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
        call = csd.call
        voice = call is not None and call.voice
        try:
            outcome = yield csd.answer()
        except simpy.Interrupt:
            csd.hangup()  # V.250 §6.3.5: a character from the DTE aborts the answer
            raise
        if voice and outcome.ok:
            return ctx.ok()  # a speech call is answered with OK (V.250 §6.3.5: no data state)
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
            self.last_error = "not registered (CS)"
            if ctx.settings.x_level >= 2:
                return ctx.text("NO DIALTONE", numeric=6, error=True)
            return ctx.no_carrier()
        csd = self._csd()
        if voice or csd is None:
            # Voice calls are not modelled: the call attempt fails like an unanswered call.
            ctx.sim.record(self.module.name, "dial_unsupported", number=number, voice=voice)
            self.last_error = "voice calls are not modelled" if voice else "no data call service"
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
            elif (
                call.voice
                and call.connected_at is not None
                and outcome is not None
                and outcome.kind in (OutcomeKind.NO_CARRIER, OutcomeKind.NETWORK_LOST)
            ):
                self.module.urc("NO CARRIER")  # the far end (or the network) ended the speech call

    def _ring(self, call: CsdCall) -> None:
        module = self.module
        # TS 27.007 §6.11: +CRC=1 gives +CRING: <type>; a non-transparent data call (+CBST
        # <ce> 1) is "REL ASYNC", a transparent one "ASYNC".
        if self.params["+CRC"]["mode"]:
            kind = (
                "VOICE" if call.voice else ("REL ASYNC" if self.params["+CBST"]["ce"] else "ASYNC")
            )
            module.urc("+CRING: " + kind)
        else:
            module.urc("RING")
        caller = call.caller_id
        if self.params["+CLIP"]["n"] and caller:
            module.urc(f'+CLIP: "{caller}",{call.number_type},,,,0')
        module.pulse_ri(1.0)  # V.24 circuit 125 (RI) pulses for a second with each ring
        # V.250 §6.3.8: S0 > 0 answers automatically after that many rings.
        s0 = module.settings.s.get(0, 0)
        if s0 and call.rings >= s0 and module.session is None and not call.voice:
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
        cid_text = (
            (fields[3] if len(fields) > 3 else "")
            if fields[0] == "99"
            else (fields[1] if len(fields) > 1 else "")
        )
        l2p = fields[2].upper() if fields[0] == "99" and len(fields) > 2 else ""
        if (
            not number.endswith("#")
            or (cid_text and not ascii_digits(cid_text))
            or l2p not in ("", "PPP", "1")
        ):
            return ctx.error()
        cid = int(cid_text) if cid_text else 1
        if not 1 <= cid <= 16:
            return ctx.error()
        bearer = self.module.bearer
        if bearer is None or bearer.dialup is None:
            ctx.sim.record(self.module.name, "dial_unsupported", number=number, voice=False)
            self.last_error = "no packet dial-up on this bearer"
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

    @command("+CLCC", forms="et")
    def clcc(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §7.18 list current calls: the data call, if one is up."""
        if cmd.form is Form.EXEC and self.module.session is not None:
            ctx.info('+CLCC: 1,0,0,1,0,"",129')
        return None
