"""Wavecom WIPsoft v2.01 dialect: the +WIP command set (``wavecom-wipsoft``).

Each line of the device (UART1, UART2, a CMUX channel) has its own instance of this dialect,
which parses the commands typed on that line; the IP stack they drive - stack options, bearers,
sockets, ping, FTP - is one per device (:class:`~.stack.WipStack`, held by the first line's
instance, reached through :attr:`Dialect.device`). URCs of a socket, a bearer or a ping go to
the line whose command created it.

Errors follow §2.2: a command line that does not parse, or has the wrong number of parameters,
answers ``ERROR``; a parameter that does not fit answers ``+CME ERROR: <code>`` with the §9
codes (``ERROR`` under AT+CMEE=0). Vendor data is in :mod:`.tables`; choices where the guide is
silent are in docs/assumptions.md, section "WIPsoft".
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simnet.modem.addresses import is_domain_name, is_ipv4
from simnet.modem.at import ERROR, NO_RESULT, ArgumentError, Command, Final, Form, cme_error
from simnet.modem.dialect import Context, command
from simnet.modem.params import Text
from simnet.modem.vendors.wavecom.common import WavecomDialect
from simnet.modem.vendors.wavecom.wipsoft import tables as T
from simnet.modem.vendors.wavecom.wipsoft.errors import WipFailure
from simnet.modem.vendors.wavecom.wipsoft.stack import WipStack

if TYPE_CHECKING:
    from simnet.bearer.api import PdpContextView
    from simnet.bearer.csd import CsdCall
    from simnet.bearer.outcomes import Outcome


class Syntax(Exception):
    """The command line is not what the syntax allows: plain ERROR (§2.2)."""


def _arity(cmd: Command, low: int, high: int) -> None:
    n = len(cmd.params)
    if not low <= n <= high or any(not cmd.has(i) for i in range(low)):
        raise Syntax(f"{n} parameters")


def _int(cmd: Command, i: int, lo: int, hi: int, code: int = T.Wip.INVALID_VALUE) -> int:
    try:
        return cmd.int(i, lo=lo, hi=hi)
    except ArgumentError:
        raise WipFailure(code, f"parameter {i + 1}") from None


def _text(cmd: Command, i: int, max_len: int = 255) -> str:
    p = cmd.params[i]
    if not p.quoted:
        raise WipFailure(T.Wip.INVALID_VALUE, f"parameter {i + 1} is not a string")
    try:
        return cmd.str(i, max_len=max_len)
    except ArgumentError:
        raise WipFailure(T.Wip.INVALID_VALUE, f"parameter {i + 1}") from None


def _host(cmd: Command, i: int) -> str:
    name = _text(cmd, i, 255)
    if not (is_ipv4(name) or is_domain_name(name)):
        raise WipFailure(T.Wip.INVALID_VALUE, f"{name!r} is neither an address nor a host name")
    return name


def _application(dialect: Any, ctx: Context, cmd: Command) -> Final | None:
    """The +WIP commands exist while the Open AT application runs (AT+WOPEN, common.py): else
    ERROR, as for any unknown command (§3: WIPsoft is an Open AT application)."""
    return None if dialect.flash.application_running else ERROR


APP = (_application,)


class WipsoftDialect(WavecomDialect):
    """See the module docstring."""

    cme_errors = T.CME_ERRORS
    own_bad_argument = cme_error(T.Wip.INVALID_VALUE)
    data_mode_urcs = "hold"  # §6.2.1: events wait while the UART is mapped
    # What flash keeps over a restart: the stored stack and bearer configurations (§4.1.4, §4.2.4).
    nonvolatile_state = ("flash_stack", "flash_bearers")

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.flash_stack: dict[int, int] | None = getattr(self, "flash_stack", None)
        self.flash_bearers: dict[int, dict[int, Any]] = getattr(self, "flash_bearers", {})
        self._stack: WipStack | None = None
        if module.primary is module:
            self._stack = WipStack(self)
            self.listen_packet_service()
            bearer = module.bearer
            if bearer is not None and bearer.csd is not None:
                bearer.csd.add_listener(self._call_event)
            add_link_listener = getattr(bearer, "add_link_listener", None)
            if add_link_listener is not None:
                add_link_listener(self._link_lost)

    @property
    def stack(self) -> WipStack:
        """The device's stack (this line's, or the first line's)."""
        own = self._stack
        if own is not None:
            return own
        device = self.device
        assert isinstance(device, WipsoftDialect)
        return device.stack

    @property
    def flash(self) -> WipsoftDialect:
        device = self.device
        assert isinstance(device, WipsoftDialect)
        return device

    def on_power_off(self) -> None:
        if self._stack is not None:
            self._stack.power_off()

    def on_application(self, running: bool) -> None:
        """AT+WOPEN=0 stops the application: its sockets, bearers and stack go with it."""
        if not running and self._stack is not None:
            self.spawn(self._stack.stop())

    @command("Q")
    def quiet(self, ctx: Context, cmd: Command) -> Final | None:
        """§2.2 names ATQ1 (result code suppression) among WIPsoft's response formats: ATQ is
        the V.250 command here (eDsoft's guide, not this one, refuses it while the
        application runs)."""
        return self.module.base.quiet(ctx, cmd)

    # -- bearer events (first line only) -----------------------------------------------------------
    def on_packet_service_event(self, context: PdpContextView, outcome: Outcome) -> None:
        self.stack.context_lost(context.cid, outcome)

    def _call_event(self, event: str, call: CsdCall, outcome: Outcome | None) -> None:
        self.call_guarded(self.stack.call_event, event, call)

    def _link_lost(self, outcome: Outcome) -> None:
        self.call_guarded(self.stack.link_lost, outcome)

    # -- answering ---------------------------------------------------------------------------------
    def _fail(self, ctx: Context, failure: WipFailure) -> Final:
        self.record(
            "wip_error",
            code=failure.code,
            detail=failure.detail,
            command=ctx.cmd.text if ctx.cmd is not None else "",
        )
        return ctx.cme(failure.code)

    def _run(self, ctx: Context, fn: Any, *args: Any) -> Final:
        try:
            fn(*args)
        except Syntax:
            return ERROR
        except WipFailure as failure:
            return self._fail(ctx, failure)
        return ctx.ok()

    def _run_gen(self, ctx: Context, gen: Generator[Any, Any, Any]) -> Generator[Any, Any, Final]:
        try:
            yield from gen
        except Syntax:
            return ERROR
        except WipFailure as failure:
            return self._fail(ctx, failure)
        return ctx.ok()

    # =============================================================================================
    # §4.1 AT+WIPCFG
    # =============================================================================================
    @command("+WIPCFG", forms="rts", latency="set", requires=APP)
    def wipcfg(self, ctx: Context, cmd: Command) -> Any:
        stack = self.stack
        if cmd.form is Form.TEST:
            return ctx.ok()
        if cmd.form is Form.READ:
            ctx.info(*(f"+WIPCFG: {num},{stack.config[int(num)]}" for num in T.STACK_OPTIONS))
            return ctx.ok()
        try:
            _arity(cmd, 1, 3)
            mode = _int(cmd, 0, 0, 4)
            if mode in (0, 1, 3):
                _arity(cmd, 1, 1)
            elif mode == 2:
                _arity(cmd, 3, 3)
            else:
                _arity(cmd, 2, 2)
        except Syntax:
            return ERROR
        except WipFailure as failure:
            return self._fail(ctx, failure)
        if mode == 0:
            return self._run_gen(ctx, stack.stop())
        if mode == 1:
            return self._run(ctx, stack.start, self.flash.flash_stack)
        if mode == 3:
            ctx.info(T.VERSION_LINE)
            return ctx.ok()
        if mode == 2:
            return self._run(ctx, self._configure, cmd)
        return self._run(ctx, self._store_stack, cmd)

    def _configure(self, cmd: Command) -> None:
        stack = self.stack
        stack.require_started()
        num = _int(cmd, 1, 0, 65535, T.Wip.INVALID_OPTION)
        if num not in T.STACK_OPTIONS:
            raise WipFailure(T.Wip.INVALID_OPTION, f"stack option {num}")
        try:
            value = T.STACK_OPTIONS.parse(num, cmd, 2)
        except ArgumentError:
            raise WipFailure(T.Wip.INVALID_VALUE, f"stack option {num}") from None
        stack.configure(num, int(value))

    def _store_stack(self, cmd: Command) -> None:
        action = _int(cmd, 1, 0, 1)
        flash = self.flash
        if action == 1:
            flash.flash_stack = dict(self.stack.config)
            self.stack.record("flash", what="stack", event="store")
        elif flash.flash_stack is None:
            raise WipFailure(T.Wip.FLASH_READ, "no stored stack configuration")  # §4.1.5 821
        else:
            flash.flash_stack = None
            self.stack.record("flash", what="stack", event="free")

    # =============================================================================================
    # §4.2 AT+WIPBR
    # =============================================================================================
    @command("+WIPBR", forms="rts", latency="set", requires=APP)
    def wipbr(self, ctx: Context, cmd: Command) -> Any:
        stack = self.stack
        if cmd.form is Form.TEST:
            return ctx.ok()
        if cmd.form is Form.READ:
            # §4.2.2 read: "<bid>,<state>" lines (no prefix), as the §4.2.6 example prints them
            ctx.info(
                *(f"{bid},{1 if b.started else 0}" for bid, b in sorted(stack.bearers.items()))
            )
            return ctx.ok()
        try:
            _arity(cmd, 2, 6)
            cmdtype = _int(cmd, 0, 0, 6)
            bid = _int(cmd, 1, 0, 255)
            if cmdtype in (0, 1, 5):
                _arity(cmd, 2, 2)
            elif cmdtype == 2:
                _arity(cmd, 4, 4)
            elif cmdtype == 3:
                _arity(cmd, 3, 3)
            elif cmdtype == 6:
                _arity(cmd, 3, 3)
        except Syntax:
            return ERROR
        except WipFailure as failure:
            return self._fail(ctx, failure)
        if cmdtype == 0:
            return self._run_gen(ctx, self._close_bearer(bid))
        if cmdtype == 1:
            return self._run(ctx, stack.open_bearer, bid, self.flash.flash_bearers.get(bid))
        if cmdtype == 2:
            return self._run(ctx, self._set_bearer_option, cmd, bid)
        if cmdtype == 3:
            return self._run(ctx, self._get_bearer_option, ctx, cmd, bid)
        if cmdtype == 4:
            return self._run_gen(ctx, self._start_bearer(ctx, cmd, bid))
        if cmdtype == 5:
            return self._run_gen(ctx, self._stop_bearer(bid))
        return self._run(ctx, self._store_bearer, cmd, bid)

    def _close_bearer(self, bid: int) -> Generator[Any, Any, None]:
        self.stack.require_started()
        yield from self.stack.close_bearer(bid)

    def _stop_bearer(self, bid: int) -> Generator[Any, Any, None]:
        self.stack.require_started()
        yield from self.stack.stop_bearer(bid)

    def _option_number(self, cmd: Command, bid: int) -> tuple[Any, int]:
        self.stack.require_started()
        bearer = self.stack.bearer(bid)
        num = _int(cmd, 2, 0, 65535, T.Wip.INVALID_OPTION)
        if num not in T.BEARER_OPTIONS or not bearer.has_option(num):
            raise WipFailure(T.Wip.INVALID_OPTION, f"bearer {bid} has no option {num}")
        return bearer, num

    def _set_bearer_option(self, cmd: Command, bid: int) -> None:
        bearer, num = self._option_number(cmd, bid)
        if bearer.read_only(num):
            raise WipFailure(T.Wip.NOT_ON_BEARER, f"option {num} is read only on bearer {bid}")
        row = T.BEARER_OPTIONS[num]
        if isinstance(row.domain, Text) and not cmd.params[3].quoted:
            raise WipFailure(T.Wip.INVALID_VALUE, f"option {num} takes a string")
        try:
            value = row.domain.parse(cmd, 3)
        except ArgumentError:
            raise WipFailure(T.Wip.INVALID_VALUE, f"option {num}") from None
        bearer.options[num] = value
        self.stack.record(
            "bearer_option", bid=bid, option=num, value=value if num != T.OPT_PASSWORD else "***"
        )

    def _get_bearer_option(self, ctx: Context, cmd: Command, bid: int) -> None:
        bearer, num = self._option_number(cmd, bid)
        ctx.info(f"+WIPBR: {bid},{num},{T.BEARER_OPTIONS[num].show(bearer.get(num))}")

    def _start_bearer(self, ctx: Context, cmd: Command, bid: int) -> Generator[Any, Any, None]:
        stack = self.stack
        stack.require_started()
        bearer = stack.bearer(bid)
        mode = _int(cmd, 2, 0, 1) if cmd.has(2) else 0
        login = password = ""
        caller: str | None = None
        if mode == 0:
            _arity(cmd, 2, 3)  # §4.2.7.1: no other parameter in client mode
        elif bearer.kind == "gprs":
            raise WipFailure(T.Wip.NOT_ON_BEARER, "GPRS has no server mode")
        else:
            _arity(cmd, 5, 6 if bearer.kind == "gsm" else 5)
            login, password = _text(cmd, 3, 64), _text(cmd, 4, 64)
            if cmd.has(5):
                caller = _text(cmd, 5, 32)
        yield from stack.start_bearer(bid, ctx.module, mode, login, password, caller)

    def _store_bearer(self, cmd: Command, bid: int) -> None:
        self.stack.require_started()
        action = _int(cmd, 2, 0, 1)
        flash = self.flash
        if action == 1:
            bearer = self.stack.bearer(bid)
            flash.flash_bearers[bid] = bearer.storable()  # §4.2.4: the last set stored wins
            self.stack.record("flash", what=f"bearer {bid}", event="store")
        else:
            if bid not in T.KNOWN_BIDS:
                raise WipFailure(T.Wip.INVALID_VALUE, f"bearer {bid}")
            if bid not in flash.flash_bearers:
                raise WipFailure(T.Wip.FLASH_READ, f"no stored configuration for bearer {bid}")
            del flash.flash_bearers[bid]
            self.stack.record("flash", what=f"bearer {bid}", event="free")

    # =============================================================================================
    # §5.1 AT+WIPCREATE
    # =============================================================================================
    @command("+WIPCREATE", forms="ts", latency="network", requires=APP)
    def wipcreate(self, ctx: Context, cmd: Command) -> Any:
        if cmd.form is Form.TEST:
            return ctx.ok()
        return self._run_gen(ctx, self._create(ctx, cmd))

    def _create(self, ctx: Context, cmd: Command) -> Generator[Any, Any, None]:
        stack = self.stack
        _arity(cmd, 2, 7)
        mode = _int(cmd, 0, 0, 255)
        if mode not in T.PROTOCOLS:
            raise WipFailure(T.Wip.BAD_PROTOCOL, f"mode {mode}")
        stack.require_started()
        lo, hi = T.INDEX_RANGE[mode]
        idx = _int(cmd, 1, 0, 255, T.Wip.BAD_INDEX)
        if not lo <= idx <= hi:
            raise WipFailure(T.Wip.BAD_INDEX, f"index {idx}")
        port = lambda i: _int(cmd, i, T.PORT_RANGE[0], T.PORT_RANGE[1], T.Wip.BAD_PORT)  # noqa: E731
        if mode == T.PROTO_UDP:
            rest = list(range(2, len(cmd.params)))
            local = peer = peer_port = None
            if rest and not cmd.params[2].quoted:  # [<local port>]
                local = port(2) if cmd.has(2) else None
                rest = rest[1:]
            if len(rest) == 2:
                peer, peer_port = _host(cmd, rest[0]), port(rest[1])
            elif rest:
                raise Syntax("UDP: <peer IP> needs <peer port>")
            yield from stack.create_udp(ctx.module, idx, local, peer, peer_port)
        elif mode == T.PROTO_TCP:
            _arity(cmd, 4, 4)
            yield from stack.create_tcp(ctx.module, idx, _host(cmd, 2), port(3))
        elif mode == T.PROTO_SERVER:
            _arity(cmd, 5, 5)
            local = port(2)
            first = _int(cmd, 3, 0, 255, T.Wip.BAD_INDEX)
            last = _int(cmd, 4, 0, 255, T.Wip.BAD_INDEX)
            stack.create_server(ctx.module, idx, local, first, last)
        else:
            yield from self._create_ftp(ctx, cmd, idx)

    def _create_ftp(self, ctx: Context, cmd: Command, idx: int) -> Generator[Any, Any, None]:
        from simnet.modem.vendors.wavecom.wipsoft.ftp import open_session

        # §5.1.2 mode 4: <index>,<server>[,<peer_port>],<username>,<password>[,<account>]
        _arity(cmd, 5, 7)
        server = _host(cmd, 2)
        i = 3
        peer_port = T.FTP_DEFAULT_PORT
        if not cmd.params[3].quoted:
            peer_port = _int(cmd, 3, T.PORT_RANGE[0], T.PORT_RANGE[1], T.Wip.BAD_PORT)
            i = 4
        if len(cmd.params) < i + 2:
            raise Syntax("FTP: <username>,<password> missing")
        user, password = _text(cmd, i), _text(cmd, i + 1)
        account = _text(cmd, i + 2) if cmd.has(i + 2) else None
        if len(cmd.params) > i + 3:
            raise Syntax("FTP: too many parameters")
        yield from open_session(
            self.stack, ctx.module, idx, server, peer_port, user, password, account
        )

    # =============================================================================================
    # §5.2 AT+WIPCLOSE
    # =============================================================================================
    @command("+WIPCLOSE", forms="ts", latency="set", requires=APP)
    def wipclose(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.TEST:
            return ctx.ok()
        return self._run(ctx, self._close, cmd)

    def _close(self, cmd: Command) -> None:
        _arity(cmd, 2, 2)
        proto = _int(cmd, 0, 0, 255, T.Wip.BAD_PROTOCOL)
        if proto not in T.PROTOCOLS:
            raise WipFailure(T.Wip.BAD_PROTOCOL, f"protocol {proto}")
        idx = _int(cmd, 1, 0, 255, T.Wip.BAD_INDEX)
        self.stack.close_socket(proto, idx)

    # =============================================================================================
    # §5.3 AT+WIPOPT
    # =============================================================================================
    @command("+WIPOPT", forms="ts", latency="set", requires=APP)
    def wipopt(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.TEST:
            return ctx.ok()
        return self._run(ctx, self._option, ctx, cmd)

    def _option(self, ctx: Context, cmd: Command) -> None:
        _arity(cmd, 4, 5)
        stack = self.stack
        stack.require_started()
        proto = _int(cmd, 0, 0, 255, T.Wip.BAD_PROTOCOL)
        if proto not in T.PROTOCOLS:
            raise WipFailure(T.Wip.BAD_PROTOCOL, f"protocol {proto}")
        idx = _int(cmd, 1, 0, 255, T.Wip.BAD_INDEX)
        sock = stack.socket(proto, idx)
        action = _int(cmd, 2, 1, 2)
        num = _int(cmd, 3, 0, 65535, T.Wip.INVALID_OPTION)
        if num not in T.SOCKET_OPTIONS:
            raise WipFailure(T.Wip.INVALID_OPTION, f"socket option {num}")
        access = T.OPTION_ACCESS[proto].get(num)
        if access is None:
            raise WipFailure(T.Wip.OPTION_NOT_SUPPORTED, f"option {num} on protocol {proto}")
        row = T.SOCKET_OPTIONS[num]
        if action == 1:
            _arity(cmd, 4, 4)
            ctx.info(f"+WIPOPT: {proto},{idx},{num},{row.show(sock.read_option(num))}")
            return
        _arity(cmd, 5, 5)
        if access != "RW":
            raise WipFailure(T.Wip.OPTION_NOT_SUPPORTED, f"option {num} is read only")
        try:
            value = row.domain.parse(cmd, 4)
        except ArgumentError:
            raise WipFailure(T.Wip.INVALID_VALUE, f"option {num}") from None
        sock.write_option(num, value)
        stack.record("socket_option", proto=proto, idx=idx, option=num, value=value)

    # =============================================================================================
    # §6.1 AT+WIPFILE
    # =============================================================================================
    @command("+WIPFILE", forms="rts", latency="network", requires=APP)
    def wipfile(self, ctx: Context, cmd: Command) -> Any:
        if cmd.form is not Form.SET:
            return ctx.ok()  # §6.1.2: read and test forms answer OK
        from simnet.modem.vendors.wavecom.wipsoft.ftp import transfer

        return transfer(self, ctx, cmd)

    # =============================================================================================
    # §6.2 AT+WIPDATA
    # =============================================================================================
    @command("+WIPDATA", forms="ts", latency="data", requires=APP)
    def wipdata(self, ctx: Context, cmd: Command) -> Final:
        if cmd.form is Form.TEST:
            return ctx.ok()
        try:
            _arity(cmd, 3, 3)
            proto = _int(cmd, 0, 0, 255, T.Wip.BAD_PROTOCOL)
            idx = _int(cmd, 1, 0, 255, T.Wip.BAD_INDEX)
            mode = _int(cmd, 2, 0, 1)
            if mode == T.DATA_UNMAP:
                self.stack.unmap(ctx.module, proto, idx)
                return ctx.ok()
            link = self.stack.map(ctx.module, proto, idx)
        except Syntax:
            return ERROR
        except WipFailure as failure:
            return self._fail(ctx, failure)
        return ctx.connect(link)

    # =============================================================================================
    # §7.1 AT+WIPPING
    # =============================================================================================
    @command("+WIPPING", forms="rts", latency="network", requires=APP)
    def wipping(self, ctx: Context, cmd: Command) -> Any:
        if cmd.form is not Form.SET:
            return ctx.ok()  # §7.1.2: read and test forms answer OK
        from simnet.modem.vendors.wavecom.wipsoft.ping import start_ping

        return self._run_gen(ctx, start_ping(self.stack, ctx.module, cmd))

    # =============================================================================================
    # ATO after +++ (§6.2.7)
    # =============================================================================================
    @command("O")
    def online(self, ctx: Context, cmd: Command) -> Final | None:
        """§6.2.7: after ``+++`` left a socket's data mode, ATO answers ``+CME ERROR: 3`` on a
        GPRS bearer and nothing at all on a GSM bearer (AT+WIPDATA maps the socket again)."""
        if self.module.session is None:
            bearer = self.stack.active_bearer()
            if bearer is not None and bearer.kind == "gprs":
                return ctx.cme(3)
            if bearer is not None and bearer.kind == "gsm":
                return NO_RESULT
        return self.module.base.online(ctx, cmd)
