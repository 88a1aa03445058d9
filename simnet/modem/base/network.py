"""The radio (TS 27.007 §7.2, §7.3, §8.1, §8.2, §8.5, §8.9, §10.1.20, §10.1.22, §7.38, §7.40):
signal, functionality, registration and its URCs, indicators, operator selection, power
saving (passed to the bearer's radio link, simnet.bearer.rrc)."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simnet.modem.at import Command, Final, Form
from simnet.modem.base.common import BaseCommandSet
from simnet.modem.dialect import Context, command
from simnet.modem.errors_3gpp import (
    CME_NO_NETWORK,
)

if TYPE_CHECKING:
    from simnet.modem.module import Module


class NetworkCommands(BaseCommandSet):
    """Registration, signal and power saving, from the bearer's radio."""

    def __init__(self, module: Module) -> None:
        super().__init__(module)
        self.reg_n = {"+CREG": 0, "+CGREG": 0, "+CEREG": 0}
        self.edrx_urc = False  # +CEDRXS mode 2: report the network's eDRX answer (+CEDRXP)
        self.fun_level = 1
        self.cops_format = 0
        self.cops_mode = 0
        radio = self._radio()
        if radio is not None:
            radio.add_listener(self._registration_changed)
        self._last_ind = self._indicators()
        self._last_stat = {d: self._reported_stat(d) for d in ("cs", "ps")}
        control = module.bearer.link_control if module.bearer is not None else None
        if control is not None and self._power_saving_changed not in control.listeners:
            control.listeners.append(self._power_saving_changed)

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
            ctx.info(
                "+CIND: "
                + ",".join(
                    f'("{n}",{r})' for n, r in zip(self.CIND_NAMES, self.CIND_RANGES, strict=True)
                )
            )
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
                ctx.info(
                    f'+COPS: {self.cops_mode},{self.cops_format},"{names[self.cops_format]}",{act}'
                )
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

    # -- power saving: stored, reported, and passed to the bearer's radio link (simnet.bearer.rrc)
    @command("+CPSMS")
    def cpsms(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §7.38 power saving mode: <mode> 0/1 (2 disables and resets the timers),
        then the requested periodic RAU, GPRS READY timer, periodic TAU and active time as
        8-bit strings (TS 24.008 GPRS Timer 2/3 coding)."""
        if cmd.form is Form.TEST:
            ctx.info(
                '+CPSMS: (0-2),("00000000"-"11111111"),("00000000"-"11111111"),'
                '("00000000"-"11111111"),("00000000"-"11111111")'
            )
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
        requested = [
            cmd.str(i, state[i], max_len=8) if cmd.has(i) else state[i] for i in range(1, 5)
        ]
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
