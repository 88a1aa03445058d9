"""Errors and the SIM (TS 27.007 §9.1, §6.10, §8.3, §7.4, §7.5): +CMEE, +CEER, +CPIN, +CLCK,
+CPWD."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simnet.kernel.units import ascii_digits
from simnet.modem.at import Command, Final, Form
from simnet.modem.base.common import BaseCommandSet
from simnet.modem.dialect import Context, command, sim_error
from simnet.modem.errors_3gpp import (
    CME_INCORRECT_PASSWORD,
    CME_OPERATION_NOT_ALLOWED,
    CME_SIM_FAILURE,
    CME_SIM_NOT_INSERTED,
)

if TYPE_CHECKING:
    pass


class SimCommands(BaseCommandSet):
    """Error reporting and the SIM's PIN."""

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
        return (
            None
            if card.set_lock(mode == 1, cmd.str(2, max_len=8))
            else ctx.cme(CME_INCORRECT_PASSWORD)
        )

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
        if not (ascii_digits(new) and 4 <= len(new) <= 8):
            return ctx.cme(50)
        return None if card.change_pin(old, new) else ctx.cme(CME_INCORRECT_PASSWORD)
