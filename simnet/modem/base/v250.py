"""V.250 basic commands, S-registers, the serial port (V.250 §6.2.10-6.2.12), the multiplexer
(TS 27.007 §5.7), the clock (TS 27.007 §8.15) and the command list (§8.37)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simnet.kernel.units import ascii_digits
from simnet.modem.at import Command, Final, Form
from simnet.modem.base.common import BaseCommandSet
from simnet.modem.dialect import Context, command
from simnet.modem.uart import STANDARD_BAUDS

if TYPE_CHECKING:
    from simnet.modem.module import Module


class V250Commands(BaseCommandSet):
    """V.250 basic commands and the module-wide settings around them."""

    def __init__(self, module: Module) -> None:
        super().__init__(module)
        self.tz_quarters = 0  # +CCLK time zone, quarters of an hour

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
            if not ascii_digits(cmd.args):
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

    # -- multiplexing (TS 27.007 §5.7, TS 27.010) -------------------------------------------------
    # <mode>,<subset>,<port_speed>,<N1>,<T1>,<N2>,<T2>,<T3>,<k>: ranges of TS 27.007 §5.7 for
    # the basic option with UIH frames (the only mode and subset modelled), defaults as listed.
    CMUX_RANGES = (
        (0, 0),
        (0, 0),
        (1, 6),
        (1, 32768),
        (1, 255),
        (0, 100),
        (2, 255),
        (1, 255),
        (1, 7),
    )

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
        # <mode> is mandatory (TS 27.007 §5.7 AT+CMUX=<mode>[,<subset>[,...]]): an empty or
        # missing one is the module's bad-argument answer, never a multiplexer
        cmd.int(0, lo=self.CMUX_RANGES[0][0], hi=self.CMUX_RANGES[0][1])
        values = [
            cmd.int(i, default, lo=lo, hi=hi)
            for i, ((lo, hi), default) in enumerate(
                zip(self.CMUX_RANGES, self.CMUX_DEFAULTS, strict=True)
            )
        ]
        if self.module.mux is not None:
            return ctx.error()  # already multiplexing
        self.cmux_settings = tuple(values)
        from simnet.modem.cmux import ModuleMux

        mux = ModuleMux(self.module, n1=values[3], channels=channels)
        ctx.sim.call_later(0, mux.start)  # frames only after this command's OK has gone out
        return None

    cmux_settings: tuple[int, ...] = CMUX_DEFAULTS

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

    @command("+CLAC", forms="et")
    def clac(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §8.37 list all available AT commands (one per line)."""
        if cmd.form is Form.EXEC:
            basic = {"S", "D"}
            names = [n for n in self.module.command_names() if n not in basic]
            ctx.info(*[f"AT{n}" for n in names])
        return None
