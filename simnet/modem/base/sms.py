"""SMS settings hosts send while starting (TS 27.005 §3.2.1, §3.2.2, §3.3.1, §3.4.2, §3.4.3,
§3.5.4; TS 27.007 §5.5): kept and reported as a real module does, on an empty message store
(the parameter-only ones are rows in tables.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simnet.modem.at import Command, Final, Form
from simnet.modem.base.common import BaseCommandSet
from simnet.modem.base.tables import CHARSETS, SMS_STORAGE_SIZE, SMS_STORAGES
from simnet.modem.dialect import Context, command, sim_error
from simnet.modem.errors_3gpp import (
    CME_SIM_NOT_INSERTED,
)

if TYPE_CHECKING:
    from simnet.modem.module import Module


class SmsCommands(BaseCommandSet):
    """SMS service, storages, service centre and character set."""

    def __init__(self, module: Module) -> None:
        super().__init__(module)
        self.sca = ("", 129)
        self.sms_mem = ["SM", "SM", "SM"]
        self.charset = "IRA"
        self.sms_service = 0

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
