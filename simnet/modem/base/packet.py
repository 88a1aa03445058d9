"""The packet domain (TS 27.007 §10.1): PDP context definitions and credentials (kept in
non-volatile memory), attach, activation, addresses, +CGEV reports."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simnet.bearer.api import PdpContextView
from simnet.bearer.outcomes import Outcome, OutcomeKind
from simnet.modem.at import Command, Final, Form
from simnet.modem.base.common import BaseCommandSet, outcome_to_cme
from simnet.modem.dialect import Context, command, sim_error
from simnet.modem.errors_3gpp import (
    CME_NO_NETWORK,
    CME_UNSPECIFIED_GPRS,
)

if TYPE_CHECKING:
    from simnet.modem.module import Module


class PacketCommands(BaseCommandSet):
    """PDP contexts over the bearer's packet service."""

    def __init__(self, module: Module) -> None:
        super().__init__(module)
        self.contexts: dict[int, tuple[str, str]] = {}  # cid -> (pdp_type, apn)
        self.auth: dict[int, tuple[int, str, str]] = {}  # cid -> (auth_prot, user, password)
        gprs = self._gprs()
        if gprs is not None:
            gprs.add_listener(self._context_lost)

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
            ctx.info(
                '+CGDCONT: (1-16),"IP",,,(0-2),(0-4)',
                '+CGDCONT: (1-16),"PPP",,,(0-2),(0-4)',
                '+CGDCONT: (1-16),"IPV6",,,(0-2),(0-4)',
                '+CGDCONT: (1-16),"IPV4V6",,,(0-2),(0-4)',
            )
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
            if cmd.form is Form.SET
            else sorted(self.contexts)
        )
        for cid in cids:
            addr = self._address(cid) if self._active(cid) else None
            if addr and not self.module.dialect.cgpaddr_quoted:
                ctx.info(f"+CGPADDR: {cid},{addr}")
            else:
                ctx.info(f'+CGPADDR: {cid},"{addr}"' if addr else f"+CGPADDR: {cid}")
        return None
