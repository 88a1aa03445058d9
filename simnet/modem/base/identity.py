"""Identity (TS 27.007 §5, V.250 §6.1.4-6.1.9): manufacturer, model, revision, IMEI,
capabilities, IMSI, ICCID, own number."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simnet.bearer.sim_card import SimState
from simnet.modem.at import Command, Final, Form
from simnet.modem.base.common import BaseCommandSet
from simnet.modem.dialect import Context, command, sim_error
from simnet.modem.errors_3gpp import (
    CME_SIM_NOT_INSERTED,
)

if TYPE_CHECKING:
    pass


class IdentityCommands(BaseCommandSet):
    """Identity strings from the profile; SIM identities from the card."""

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
