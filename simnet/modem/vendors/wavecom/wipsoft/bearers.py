"""WIPsoft bearers (§4.2): the IP stack's network interface on GPRS, a GSM data call, or PPP
over a serial port / CMUX channel with a host.

Every outcome comes from the bearer models (``simnet.bearer``): a GPRS start ends when the PDP
activation ends (T3380 runs out, the network rejects with an SM cause...), a GSM start when the
call and the PPP negotiation end, a UART start when the host's PPP does. The status a failure
reports is the §9 "bearer connection failure" code of that outcome (:func:`tables.outcome_status`).
A client start (``<mode>`` 0) answers ``OK`` once the interface is up, or ``+CME ERROR: <status>``;
a server start answers ``OK`` at once and reports ``+WIPBR: <bid>,<status>,<local IP>,<remote
IP>,<DNS1>,<DNS2>`` when a peer connected (or failed to). A started bearer that goes down by
itself (context lost, peer terminated, call dropped) reports the same line with its status.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from simnet.bearer.outcomes import Outcome, OutcomeKind
from simnet.bearer.ppp import PppConfig, PppDriver, PppEndpoint
from simnet.bearer.ppp.interface import PppInterface
from simnet.modem.links import HeldOutputLink
from simnet.modem.vendors.wavecom.wipsoft import tables as T
from simnet.modem.vendors.wavecom.wipsoft.errors import WipFailure

if TYPE_CHECKING:
    import simpy

    from simnet.bearer.csd import CsdCall
    from simnet.modem.module import DataSession, Module
    from simnet.modem.vendors.wavecom.wipsoft.stack import WipStack

ZERO = "0.0.0.0"
ECHO: dict[str, Any] = {"echo_interval": T.PPP_ECHO_INTERVAL, "echo_failure": T.PPP_ECHO_FAILURE}


@runtime_checkable
class GsmDataApi(Protocol):
    """What a GSM client bearer needs of the bearer layer (``ModemBearer`` has it): a data
    call with the module's PPP client on it, its end, and losses of an established link."""

    def gsm_connect(self, number: str, *, username: str = "", password: str = "",
                    auth: str | int = "any", ppp: PppConfig | None = None) -> simpy.Event: ...
    def gsm_disconnect(self) -> simpy.Event: ...
    def add_link_listener(self, fn: Any) -> None: ...


class WipBearer:
    """One opened bearer: its options (§4.2.3) and, once started, its connection."""

    def __init__(self, stack: WipStack, bid: int, options: dict[int, Any]) -> None:
        self.stack = stack
        self.bid = bid
        self.kind = T.bearer_kind(bid)
        self.options = dict(options)
        self.started = False
        self.mode = 0
        self.owner: Module | None = None
        self.addresses = (ZERO, ZERO, ZERO, ZERO)  # local, remote, DNS1, DNS2 once connected
        self.up = False  # the interface is up through this bearer

    # -- options ---------------------------------------------------------------------------------
    def has_option(self, num: int) -> bool:
        return num in T.BEARER_KIND_OPTIONS[self.kind]

    def read_only(self, num: int) -> bool:
        return self.mode == 0 and num in T.READ_ONLY_CLIENT.get(self.kind, frozenset())

    def get(self, num: int) -> Any:
        if num in T.ADDRESS_OPTIONS and (self.up or self.read_only(num)):
            return self.addresses[T.ADDRESS_OPTIONS.index(num)]
        return self.options[num]

    def storable(self) -> dict[int, Any]:
        return dict(self.options)

    @property
    def remote(self) -> str:
        return self.addresses[1]

    # -- life cycle (overridden per kind) ----------------------------------------------------------
    def start(self, owner: Module, mode: int, login: str, password: str, caller: str | None
              ) -> Generator[Any, Any, None]:
        raise WipFailure(T.Wip.NOT_ON_BEARER)
        yield  # pragma: no cover

    def stop(self) -> Generator[Any, Any, None]:
        self._down("local")
        yield from ()

    def abort(self) -> None:
        """The module restarts: no polite close, the bearer is simply gone."""
        self.started = False
        self.up = False

    def _connected(self, local: str, remote: str | None, dns: tuple[str, ...]) -> None:
        dns_pair = (tuple(dns) + (ZERO, ZERO))[:2]
        self.addresses = (local or ZERO, remote or ZERO, dns_pair[0] or ZERO, dns_pair[1] or ZERO)
        self.up = True
        self.stack.interface_ready(self)
        self.stack.record(
            "bearer_up", bid=self.bid, local=self.addresses[0], remote=self.addresses[1]
        )

    def report(self, status: int) -> None:
        """The unsolicited ``+WIPBR: <bid>,<status>,<local>,<remote>,<DNS1>,<DNS2>`` (§4.2.2)."""
        local, remote, dns1, dns2 = self.addresses if status == 0 else (ZERO, ZERO, ZERO, ZERO)
        if self.owner is not None:
            self.stack.urc(
                self.owner, f"+WIPBR: {self.bid},{status},{local},{remote},{dns1},{dns2}"
            )

    def lost(self, outcome: Outcome) -> None:
        """The connection went down by itself."""
        if not self.started:
            return
        status = T.outcome_status(str(outcome.kind), self.kind)
        self.stack.record("bearer_lost", bid=self.bid, status=status, outcome=str(outcome.kind))
        self._down("network_down")
        self.report(status)
        if self.mode == 0:
            self.started = False

    def _down(self, reason: str) -> None:
        if self.up:
            self.up = False
            self.addresses = (ZERO, ZERO, ZERO, ZERO)
            self.stack.interface_gone(self, reason)

    def auth_switches(self) -> str:
        """The PPP / PDP authentication the WIP_BOPT_PPP_* switches allow (MS-CHAP is not
        modelled: with only MS-CHAP allowed, nothing the engine runs is)."""
        pap, chap = self.options[T.OPT_PAP], self.options[T.OPT_CHAP]
        if pap and chap:
            return "any"
        return "pap" if pap else "chap" if chap else "none"


class PppLinkBearer(WipBearer):
    """A bearer whose interface is a PPP link the stack runs itself (a serial line, or a GSM
    call it answered): the module's IP host goes onto the link once IPCP is up."""

    interface: PppInterface | None = None

    def _ppp_result(self, outcome: Outcome) -> None:
        if not outcome.ok or self.interface is None:
            if self.mode == 1:
                self.report(T.outcome_status(str(outcome.kind), self.kind))
            return
        self.interface.up(outcome.ip or ZERO, outcome.dns)
        self._connected(outcome.ip or ZERO, outcome.peer_ip, tuple(outcome.dns))
        if self.mode == 1:
            self.report(0)

    def _ppp_ended(self, outcome: Outcome) -> None:
        if self.interface is not None:
            self.interface.down("local" if outcome.kind == OutcomeKind.OK else "network_down")
        if not self.up:
            return
        self.up = False
        self.addresses = (ZERO, ZERO, ZERO, ZERO)
        self.stack.interface_gone(self, "network_down")
        if outcome.kind != OutcomeKind.OK and self.started:
            self.report(T.outcome_status(str(outcome.kind), self.kind))
            if self.mode == 0:
                self.started = False


# ---------------------------------------------------------------------------------------------
# GPRS (bid 6)
# ---------------------------------------------------------------------------------------------


class GprsBearer(WipBearer):
    def start(
        self, owner: Module, mode: int, login: str, password: str, caller: str | None
    ) -> Generator[Any, Any, None]:
        if mode != 0:
            raise WipFailure(T.Wip.NOT_ON_BEARER)  # §4.2.7.1: GPRS has the client mode only
        gprs = self.stack.packet_service()
        if gprs is None:
            raise WipFailure(T.Wip.NO_INTERFACE)
        cid = int(self.options[T.OPT_CID])
        user, secret = str(self.options[T.OPT_LOGIN]), str(self.options[T.OPT_PASSWORD])
        auth = self.auth_switches() if user else "none"
        gprs.define_context(
            cid, "IP", str(self.options[T.OPT_APN]), user=user, password=secret, auth=auth
        )
        self.owner, self.mode, self.started = owner, 0, True
        self.stack.record("bearer_start", bid=self.bid, apn=self.options[T.OPT_APN], cid=cid)
        outcome = yield gprs.activate(cid)
        if not self.started:  # stopped meanwhile
            return
        if not outcome.ok and not (
            outcome.kind == OutcomeKind.INVALID_STATE and gprs.is_active(cid)
        ):
            self.started = False
            raise WipFailure(T.outcome_status(str(outcome.kind), "gprs"), str(outcome.kind))
        ctx = gprs.contexts.get(cid)
        ip = outcome.ip or (ctx.ip if ctx is not None else None) or ZERO
        self._connected(ip, None, tuple(outcome.dns))

    def stop(self) -> Generator[Any, Any, None]:
        self.started = False
        self._down("local")
        gprs = self.stack.packet_service()
        cid = int(self.options[T.OPT_CID])
        if gprs is not None and (gprs.is_active(cid) or cid in gprs.contexts):
            yield gprs.deactivate(cid)

    def context_lost(self, cid: int, outcome: Outcome) -> None:
        if self.started and cid == int(self.options[T.OPT_CID]):
            self.lost(outcome)


# ---------------------------------------------------------------------------------------------
# GSM (bid 5): a data call with PPP
# ---------------------------------------------------------------------------------------------


class GsmBearer(PppLinkBearer):
    def __init__(self, stack: WipStack, bid: int, options: dict[int, Any]) -> None:
        super().__init__(stack, bid, options)
        self.login = ""
        self.password = ""
        self.caller: str | None = None
        self.call: CsdCall | None = None
        self.server: PppDriver | None = None
        self.interface: PppInterface | None = None

    def start(
        self, owner: Module, mode: int, login: str, password: str, caller: str | None
    ) -> Generator[Any, Any, None]:
        bearer = self.stack.module.bearer
        if mode == 1:
            if bearer is None or bearer.csd is None:
                raise WipFailure(T.Wip.NO_INTERFACE)
            self.owner, self.mode, self.started = owner, 1, True
            self.login, self.password, self.caller = login, password, caller
            self.stack.record("bearer_listen", bid=self.bid, caller=caller or "")
            return
        if not isinstance(bearer, GsmDataApi):
            raise WipFailure(T.Wip.NO_INTERFACE)
        number = str(self.options[T.OPT_PHONENB])
        if not number:
            raise WipFailure(T.Wip.INVALID_VALUE)  # nothing to dial (assumption)
        self.owner, self.mode, self.started = owner, 0, True
        self.stack.record("bearer_start", bid=self.bid, number=number)
        request = self.options[T.OPT_IP_ADDR]
        ppp = PppConfig(
            role="client",
            username=str(self.options[T.OPT_LOGIN]),
            password=str(self.options[T.OPT_PASSWORD]),
            auth=self.auth_switches(),
            local_ip=request if request != ZERO else None,
            **ECHO,
        )
        outcome = yield bearer.gsm_connect(number, ppp=ppp)
        if not self.started:
            return
        if not outcome.ok:
            self.started = False
            raise WipFailure(T.outcome_status(str(outcome.kind), "gsm"), str(outcome.kind))
        self._connected(outcome.ip or ZERO, outcome.peer_ip, tuple(outcome.dns))

    def stop(self) -> Generator[Any, Any, None]:
        was_client = self.mode == 0
        self.started = False
        self._down("local")
        bearer = self.stack.module.bearer
        if was_client and isinstance(bearer, GsmDataApi):
            yield bearer.gsm_disconnect()
            return
        if self.server is not None:
            self.server.close()
            finished = self.server.finished
            cfg = self.server.endpoint.config
            yield finished | self.stack.sim.timeout(cfg.restart * cfg.max_terminate)
        self._release_call()

    # -- server mode: answering a data call ------------------------------------------------------
    def call_event(self, event: str, call: CsdCall) -> None:
        if not (self.started and self.mode == 1):
            return
        if event == "ring" and self.call is None and call.direction == "mt":
            rings = int(self.options[T.OPT_RINGCOUNT])
            if call.rings < max(1, rings):
                return
            if self.caller and (call.caller_id or "") != self.caller:
                # §4.2.3 <caller identity>: only calls from that number are accepted
                self.stack.record("call_refused", bid=self.bid, caller=call.caller_id or "")
                csd = self.stack.module.bearer.csd if self.stack.module.bearer is not None else None
                if csd is not None:
                    csd.hangup()
                self.report(T.Wip.CALL_REFUSED)
                return
            self.call = call
            self.stack.spawn(self._answer(call))
        elif event == "ended" and call is self.call:
            self.call = None
            if self.server is not None:
                self.server.lower_down()

    def _answer(self, call: CsdCall) -> Generator[Any, Any, None]:
        csd = self.stack.module.bearer.csd if self.stack.module.bearer is not None else None
        if csd is None:
            return
        outcome = yield csd.answer()
        if not outcome.ok or call.module_end is None or self.call is not call:
            self.call = None
            self.report(T.outcome_status(str(outcome.kind), "gsm"))
            return
        local, peer = self.options[T.OPT_IP_ADDR], self.options[T.OPT_IP_DST_ADDR]
        dns = tuple(d for d in (self.options[T.OPT_DNS1], self.options[T.OPT_DNS2]) if d != ZERO)
        config = PppConfig(
            role="server",
            auth=self.auth_switches(),
            credentials=((self.login, self.password),) if self.auth_switches() != "none" else None,
            local_ip=local if local != ZERO else T.SERVER_LOCAL_IP,
            peer_ip=peer if peer != ZERO else T.SERVER_PEER_IP,
            dns=dns,
            passive=True,
            **ECHO,
        )
        name = f"{self.stack.module.name}.wip.gsm"
        end = call.module_end
        driver = PppDriver(
            self.stack.sim,
            PppEndpoint(config, self.stack.sim.rng(f"{name}.magic"), name=name),
            end.write,
            name=name,
        )
        end.on_data = driver.receive_bytes
        self.server = driver
        self.interface = PppInterface(self.stack.host, driver, name=name)
        driver.on_result = self.stack.guarded(self._ppp_result)
        driver.on_ended = self.stack.guarded(self._ppp_ended)
        driver.on_finished = self.stack.guarded(lambda _o: self._release_call())
        driver.start()

    def _release_call(self) -> None:
        call, self.call = self.call, None
        self.server = None
        bearer = self.stack.module.bearer
        csd = bearer.csd if bearer is not None else None
        if call is not None and csd is not None and csd.call is call:
            csd.hangup()

    def _down(self, reason: str) -> None:
        if self.interface is not None and self.mode == 1:
            self.interface.down(reason)
        super()._down(reason)


# ---------------------------------------------------------------------------------------------
# UART1/UART2 and CMUX channels (bids 1, 2, 11-14, 21-24): PPP with the host on that line
# ---------------------------------------------------------------------------------------------


class PortPppLink(HeldOutputLink):
    """PPP on a serial line the bearer took over (no CONNECT: the line simply carries PPP from
    the start; MS-Windows null-modem handshake first when WIP_BOPT_DIAL_MSNULLMODEM is 1)."""

    escape_enabled = False  # PPP bytes, not an AT channel: no +++ escape

    def __init__(
        self, bearer: PortBearer, port: Module, driver: PppDriver, role: str, nullmodem: bool
    ) -> None:
        super().__init__(hold_limit=16384)
        self.module = port
        self.bearer = bearer
        self.driver = driver
        self.role = role
        self.handshake = nullmodem
        self.heard = bytearray()

    def on_start(self, session: DataSession) -> None:
        super().on_start(session)
        if not self.handshake:
            self.driver.start()
        elif self.role == "client":
            self._hold_for_host(T.NULLMODEM_CLIENT)  # Windows DCC: the client calls first

    def transmit(self, data: bytes) -> None:
        self._hold_for_host(data)

    def on_dte_data(self, data: bytes) -> int:
        if self.handshake:
            self.heard += data
            want = T.NULLMODEM_SERVER if self.role == "client" else T.NULLMODEM_CLIENT
            at = self.heard.find(want)
            if at < 0:
                del self.heard[: max(0, len(self.heard) - len(want) - 16)]
                return len(data)
            rest = bytes(self.heard[at + len(want) :])
            self.heard.clear()
            self.handshake = False
            self.bearer.stack.record("nullmodem", bid=self.bearer.bid, role=self.role)
            if self.role == "server":
                self._hold_for_host(T.NULLMODEM_SERVER)
            self.driver.start()
            if rest:
                self.driver.receive_bytes(rest)
            return len(data)
        self.driver.receive_bytes(data)
        return len(data)

    def on_dte_ready(self) -> None:
        self._flush()

    def on_hangup(self, reason: str) -> None:
        self.driver.lower_down()


class PortBearer(PppLinkBearer):
    """PPP over one of the module's serial lines: a UART, or a CMUX channel over a UART."""

    def __init__(self, stack: WipStack, bid: int, options: dict[int, Any]) -> None:
        super().__init__(stack, bid, options)
        self.port: Module | None = None
        self.link: PortPppLink | None = None
        self.driver: PppDriver | None = None
        self.interface: PppInterface | None = None
        self.result: simpy.Event | None = None

    def start(
        self, owner: Module, mode: int, login: str, password: str, caller: str | None
    ) -> Generator[Any, Any, None]:
        port = self.stack.port_of(self.bid)
        if port is None:
            raise WipFailure(T.Wip.NO_INTERFACE)
        if port is owner or port.in_data_mode or port.session is not None:
            raise WipFailure(T.Wip.ALREADY_OPEN)  # the line is the command port, or busy
        role = "server" if mode == 1 else "client"
        name = f"{self.stack.module.name}.wip.bid{self.bid}"
        auth = self.auth_switches()
        local, peer = self.options[T.OPT_IP_ADDR], self.options[T.OPT_IP_DST_ADDR]
        if role == "server":
            dns = tuple(
                d for d in (self.options[T.OPT_DNS1], self.options[T.OPT_DNS2]) if d != ZERO
            )
            config = PppConfig(
                role="server",
                auth=auth,
                credentials=((login, password),) if auth != "none" else None,
                local_ip=local if local != ZERO else T.SERVER_LOCAL_IP,
                peer_ip=peer if peer != ZERO else T.SERVER_PEER_IP,
                dns=dns,
                passive=True,
                **ECHO,
            )
        else:
            config = PppConfig(
                role="client",
                username=str(self.options[T.OPT_LOGIN]),
                password=str(self.options[T.OPT_PASSWORD]),
                auth=auth,
                local_ip=local if local != ZERO else None,
                **ECHO,
            )
        driver = PppDriver(
            self.stack.sim,
            PppEndpoint(config, self.stack.sim.rng(f"{name}.magic"), name=name),
            self._transmit,
            name=name,
        )
        link = PortPppLink(self, port, driver, role, bool(self.options[T.OPT_MSNULLMODEM]))
        if not port.enter_data_mode(link, None):
            raise WipFailure(T.Wip.ALREADY_OPEN)
        self.port, self.link, self.driver = port, link, driver
        self.interface = PppInterface(self.stack.host, driver, name=name)
        driver.on_result = self.stack.guarded(self._ppp_result)
        driver.on_ended = self.stack.guarded(self._ppp_ended)
        driver.on_finished = self.stack.guarded(lambda _o: self._release_port())
        self.owner, self.mode, self.started = owner, mode, True
        self.stack.record("bearer_start", bid=self.bid, port=port.port_name, role=role)
        if role == "server":
            return
        outcome = yield driver.result
        if not self.started:
            return
        if not outcome.ok:
            self.started = False
            raise WipFailure(T.outcome_status(str(outcome.kind), "uart"), str(outcome.kind))

    def _transmit(self, data: bytes) -> None:
        if self.link is not None:
            self.link.transmit(data)

    def _release_port(self) -> None:
        link, self.link = self.link, None
        if link is not None and link.session is not None and link.session.active:
            link.session.end(None)

    def abort(self) -> None:
        super().abort()
        if self.driver is not None:
            self.driver.lower_down()
        if self.interface is not None:
            self.interface.down("network_down")
        self._release_port()

    def stop(self) -> Generator[Any, Any, None]:
        self.started = False
        driver = self.driver
        if driver is not None and not driver.finished.triggered:
            driver.close()
            cfg = driver.endpoint.config
            yield driver.finished | self.stack.sim.timeout(cfg.restart * cfg.max_terminate)
        if self.interface is not None:
            self.interface.down("local")
        self._down("local")
        self._release_port()


def make_bearer(stack: WipStack, bid: int, options: dict[int, Any]) -> WipBearer:
    kind = T.bearer_kind(bid)
    if kind == "gprs":
        return GprsBearer(stack, bid, options)
    if kind == "gsm":
        return GsmBearer(stack, bid, options)
    return PortBearer(stack, bid, options)
