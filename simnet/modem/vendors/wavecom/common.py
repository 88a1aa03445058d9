"""What the Wavecom dialects (WIPsoft, eDsoft) share: the Open AT application that carries the
IP stack (``AT+WOPEN``), the firmware's answer to ``ATQ`` while it runs, Wavecom's
``AT+CFUN=1`` software reset, and the [ETX]/[DLE] framing of data on the serial port.

Both stacks end data on the UART with an unescaped [ETX] and make [ETX] and [DLE] in the data
literal with a [DLE] in front (WIPsoft v2.01 §6.1.7, §6.2.1.4; eDsoft v3.00 §5.1.1 DLEMODE 1,
FTP notes): :func:`escape` encodes, :class:`FramedInput` decodes what a host writes.

eDsoft V3.00 §1.1: "Reset module with AT+CFUN=1 command"; §1.2: "While an IP Connectivity
application is running, the ATQ command always replies +CME ERROR:600"; A.1: "AT+WOPEN=1 start
the TCP/IP stack". The +WOPEN values (0 stop, 1 start, read ``+WOPEN: <mode>``) follow the
Wavecom AT command set the Open AT application runs on (assumption, docs/assumptions.md).
"""

from __future__ import annotations

from typing import Any

from simnet.modem.at import Command, Final, Form, cme_error
from simnet.modem.dialect import DLE, ETX, Context, Dialect, command, escape_stream
from simnet.modem.params import Param, Persistence, Range, Setting

CME_NOT_ALLOWED_BY_APP = 600  # "Not allowed by embedded application" (eDsoft §1.2)

# The application start flag is kept in flash: a module that ran its application runs it again
# after a reset. Factory default: started (the modules ship with the application running).
WOPEN = Setting(
    "+WOPEN",
    (Param("mode", Range(0, 1), 1),),
    "eDsoft A.1",
    persistence=Persistence.NV,
    forms="rts",
    test="+WOPEN: (0-1)",
)


class WavecomDialect(Dialect):
    """Base of the Wavecom dialects: +WOPEN, ATQ while the application runs, AT+CFUN=1."""

    stored_rows: tuple[Setting, ...] = (WOPEN,)

    def __init__(self, module: Any) -> None:
        super().__init__(module)

    @property
    def application_running(self) -> bool:
        return bool(self.params["+WOPEN"]["mode"])

    def on_application(self, running: bool) -> None:
        """The Open AT application was started or stopped with AT+WOPEN."""

    @command("+WOPEN", forms="rts")
    def wopen(self, ctx: Context, cmd: Command) -> Final | None:
        before = self.application_running
        answer = self.setting(ctx, cmd, WOPEN)
        if cmd.form is Form.SET and answer is None and self.application_running != before:
            self.record("application", running=self.application_running)
            self.on_application(self.application_running)
        return answer

    @command("Q")
    def quiet(self, ctx: Context, cmd: Command) -> Final | None:
        """§1.2: ATQ answers +CME ERROR: 600 while the application runs (whatever CMEE says:
        the firmware prints the code)."""
        if self.application_running:
            return ctx.text(f"+CME ERROR: {CME_NOT_ALLOWED_BY_APP}", error=True)
        return self.module.base.quiet(ctx, cmd)

    @command("+CFUN", latency="network")
    def cfun(self, ctx: Context, cmd: Command) -> Final | None:
        """Wavecom: AT+CFUN=1 restarts the module (eDsoft §1.1); the OK goes out first."""
        if cmd.form is Form.SET and cmd.has(0) and not cmd.has(1):
            fun = cmd.int(0, allowed=(0, 1, 4))
            if fun == 1:
                self.module.sim.call_later(0, self.module.reboot, "cfun")
                return None
        return self.module.base.cfun(ctx, cmd)


def cme(code: int) -> Final:
    return cme_error(code)


_SPECIALS = bytes((ETX, DLE))


def escape(data: bytes) -> bytes:
    """Data for the serial port: [DLE] before every [ETX] and [DLE] in it."""
    if ETX not in data and DLE not in data:
        return data
    return escape_stream(data, bytes((ETX,)), DLE)


class FramedInput:
    """Sans-IO decoder of what a host writes in framed data mode: [DLE] makes the next byte
    literal, an unescaped [ETX] ends the data. ``decode(data, budget)`` returns
    ``(payload, consumed, ended)`` with at most ``budget`` payload bytes, so a socket that can
    take only part of the input leaves the rest, undecoded, on the line (flow control)."""

    def __init__(self) -> None:
        self.escaped = False

    def decode(self, data: bytes, budget: int) -> tuple[bytes, int, bool]:
        out = bytearray()
        i, n = 0, len(data)
        while i < n and len(out) < budget:
            if self.escaped:
                self.escaped = False
                out.append(data[i])
                i += 1
                continue
            b = data[i]
            if b == DLE:
                self.escaped = True
                i += 1
                continue
            if b == ETX:
                return bytes(out), i + 1, True
            # a run of plain bytes, up to the next special byte or the budget
            stop = min(n, i + budget - len(out))
            j = i + 1
            while j < stop and data[j] not in _SPECIALS:
                j += 1
            out += data[i:j]
            i = j
        return bytes(out), i, False
