"""Small fakes and a test dialect for the module-core tests.

The fakes satisfy the bearer Protocols of :mod:`simnet.bearer.api` (checked by mypy and by
tests/modem/test_bearer_contract.py); the real bearer has its own tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import simpy

from simnet import Simulation
from simnet.bearer import Outcome
from simnet.kernel import Simulation as KernelSimulation
from simnet.modem import DTE, create_module
from simnet.modem.dialect import (
    CTRL_Z,
    ESC,
    ETX,
    DataLink,
    Dialect,
    PromptSpec,
    command,
)

FAST = {  # constant latencies make exact timing assertions possible
    "basic": 0.001,
    "query": 0.002,
    "set": 0.003,
    "sim": 0.004,
    "network": 0.005,
    "data": 0.001,
}


@dataclass
class FakeSimConfig:
    imsi: str = "208011234567890"
    iccid: str = "8933011234567890123"
    msisdn: str | None = None
    sms_records: int = 30


class FakeSimCard:
    """A SIM with PIN/PUK states (simnet.bearer.api.SimCardApi)."""

    def __init__(self, state: str = "ready", pin: str = "1234", puk: str = "12345678"):
        self.state = state
        self.config = FakeSimConfig()
        self.pin = pin
        self.puk = puk
        self.attempts = 3
        self.lock_enabled = True

    @property
    def cpin(self) -> str | None:
        return {"ready": "READY", "pin": "SIM PIN", "puk": "SIM PUK"}.get(self.state)

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def enter_pin(self, pin: str) -> bool:
        if pin == self.pin:
            self.state = "ready"
            return True
        self.attempts -= 1
        if self.attempts == 0:
            self.state = "puk"
        return False

    def enter_puk(self, puk: str, new_pin: str) -> bool:
        if puk == self.puk:
            self.pin = new_pin
            self.state = "ready"
            return True
        return False

    def set_lock(self, enabled: bool, pin: str) -> bool:
        if pin != self.pin:
            return False
        self.lock_enabled = enabled
        return True

    def change_pin(self, old: str, new: str) -> bool:
        if old != self.pin:
            return False
        self.pin = new
        return True


@dataclass
class Stat:
    stat: int


class FakeRadio:
    """Registration set by hand (simnet.bearer.api.RadioApi)."""

    def __init__(self, cs: int = 1, ps: int = 1):
        self.stats = {"cs": cs, "ps": ps}
        self.listeners: list[Callable[[str, Any], None]] = []
        self.rssi, self.ber = 21, 0
        self.act, self.lac, self.ci = 0, "1A2B", "3E4F"  # a GSM cell
        self.rf_on = True

    def stat(self, domain: str) -> int:
        return self.stats[domain]

    def registered(self, domain: str = "ps") -> bool:
        return self.stats[domain] in (1, 5)

    def csq(self) -> tuple[int, int]:
        return (self.rssi, self.ber)

    def set_rf(self, on: bool) -> None:
        self.rf_on = on

    def add_listener(self, fn: Callable[[str, Any], None]) -> None:
        self.listeners.append(fn)

    def set(self, domain: str, stat: int) -> None:
        self.stats[domain] = stat
        for fn in self.listeners:
            fn(domain, Stat(stat))


@dataclass
class FakeContext:
    cid: int
    active: bool = False
    ip: str | None = None
    apn: str = ""


class FakeGprs:
    """Activation takes ``delay`` seconds and ends in ``outcome`` (default ok)
    (simnet.bearer.api.GprsApi)."""

    def __init__(self, sim: KernelSimulation, delay: float = 1.5):
        self.sim = sim
        self.delay = delay
        self.attached = False
        self.contexts: dict[int, FakeContext] = {}
        self.next_outcome: Outcome | None = None
        self.listeners: list[Any] = []

    def is_active(self, cid: int) -> bool:
        context = self.contexts.get(cid)
        return context is not None and context.active

    def add_listener(self, fn: Any) -> None:
        self.listeners.append(fn)

    def attach(self) -> simpy.Event:
        self.attached = True
        return self.sim.timeout(0.5, Outcome("ok"))

    def detach(self) -> simpy.Event:
        self.attached = False
        for c in self.contexts.values():
            c.active = False
        return self.sim.timeout(0.2, Outcome("ok"))

    def define_context(self, cid: int, pdp_type: str = "IP", apn: str = "", *, user: str = "",
                       password: str = "", auth: str | int = "none") -> FakeContext:
        return self.contexts.setdefault(cid, FakeContext(cid, apn=apn))

    def set_auth(
        self, cid: int, auth: str | int, user: str = "", password: str = ""
    ) -> FakeContext:
        return self.define_context(cid)

    def undefine_context(self, cid: int) -> bool:
        context = self.contexts.get(cid)
        if context is None or context.active:
            return False
        del self.contexts[cid]
        return True

    def activate(self, cid: int) -> simpy.Event:
        outcome = self.next_outcome or Outcome("ok", ip=f"10.0.0.{cid + 1}")
        ev = self.sim.event()

        def done() -> None:
            if outcome.ok:
                self.contexts[cid] = FakeContext(cid, True, outcome.ip)
            ev.succeed(outcome)

        self.sim.call_later(self.delay, done)
        return ev

    def deactivate(self, cid: int) -> simpy.Event:
        self.contexts[cid] = FakeContext(cid, False, None)
        return self.sim.timeout(0.3, Outcome("ok"))


@dataclass
class FakeBearer:
    """SIM, radio and optionally a packet service; no data calls, no dial-up, no power saving
    (simnet.bearer.api.BearerApi)."""

    sim_card: FakeSimCard = field(default_factory=FakeSimCard)
    radio: FakeRadio = field(default_factory=FakeRadio)
    gprs: FakeGprs | None = None
    csd: None = None
    dialup: None = None
    sms: None = None
    operator: None = None
    profile: None = None
    link_control: None = None

    def power_off(self) -> None:
        return None

    def power_on(self) -> None:
        return None

    def request_psm(self, enabled: bool, periodic_tau: str = "", active_time: str = "") -> None:
        return None

    def request_edrx(self, enabled: bool, act: int, value: str = "") -> None:
        return None


class RecordingLink(DataLink):
    """A data link that keeps what the host sent; the test pushes data back by hand."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.hangups: list[str] = []
        self.escapes = 0
        self.resumes = 0
        self.accept_limit: int | None = None

    def on_dte_data(self, data: bytes) -> int:
        n = len(data) if self.accept_limit is None else min(len(data), self.accept_limit)
        self.received += data[:n]
        if self.accept_limit is not None:
            self.accept_limit -= n
        return n

    def on_escape(self) -> str | None:
        self.escapes += 1
        return "OK"

    def on_resume(self) -> str | None:
        self.resumes += 1
        return "CONNECT 115200"

    def on_hangup(self, reason: str) -> None:
        self.hangups.append(reason)


class EngineTestDialect(Dialect):
    """Commands that exercise the engine: waiting, prompts, data mode, crashes."""

    def __init__(self, module) -> None:
        super().__init__(module)
        self.links: list[RecordingLink] = []

    @command("+SLOW", forms="e")
    def slow(self, ctx, cmd):
        yield ctx.sleep(1.0)
        ctx.info("+SLOW: done")
        return ctx.ok()

    @command("+XSEND", forms="s")
    def xsend(self, ctx, cmd):
        mode = cmd.int(0, lo=0, hi=2)
        if mode == 0:
            spec = PromptSpec(prompt=b"\r\n>", terminator=CTRL_Z, cancel=ESC, escape=ETX)
        elif mode == 1:
            spec = PromptSpec(
                prompt=b">",
                terminator=None,
                cancel=None,
                length=cmd.int(1, lo=1, hi=1500),
                discard_excess=cmd.int(2, 0) == 1,
            )
        else:
            spec = PromptSpec(prompt=b">\r\n", terminator=CTRL_Z, cancel=None, idle_timeout=2.0)
        got = yield ctx.prompt(spec)
        if not got.sent:
            return ctx.error()
        ctx.info(f"+XSEND: {got.reason},{len(got.data)},{got.data.hex()}")
        return ctx.ok()

    @command("+XCONN", forms="e")
    def xconn(self, ctx, cmd):
        link = RecordingLink()
        self.links.append(link)
        return ctx.connect(link, "115200")

    @command("+XLATER", forms="e")
    def xlater(self, ctx, cmd):
        """OK now; the link opens one second later and the UART enters data mode then."""
        link = RecordingLink()
        self.links.append(link)
        ctx.sim.call_later(1.0, self.module.enter_data_mode, link, "CONNECT")
        return ctx.ok()

    @command("+XBADYIELD")
    def xbadyield(self, ctx, cmd):
        yield "not an event"
        return ctx.ok()

    @command("+XFAILEV")
    def xfailev(self, ctx, cmd):
        ev = ctx.sim.event()
        ctx.sim.call_later(0.1, ev.fail, ValueError("bearer bug"))
        try:
            yield ev
        except ValueError:
            ctx.info("+XFAILEV: caught")
        return ctx.ok()

    @command("+XCRASH")
    def xcrash(self, ctx, cmd):
        raise RuntimeError("handler bug")


def make(module_id: str = "simcom-sim7600", *, bearer=None, seed: int = 1, **options):
    """A simulation, a module with the test dialect and fast constant latencies, and a DTE."""
    sim = Simulation(seed)
    options.setdefault("latency", dict(FAST))
    module = create_module(sim, module_id, bearer, None, dialect=EngineTestDialect, **options)
    dte = DTE(sim, module)
    return sim, module, dte


def send_all(sock, data: bytes) -> None:
    """Keep ``sock``'s send buffer filled from ``data`` until all of it is accepted."""
    sent = [0]

    def pump(*_):
        while sent[0] < len(data):
            n = sock.send(data[sent[0] : sent[0] + 4096])
            if n <= 0:
                return
            sent[0] += n

    sock.on_writable = pump
    sock.on_acked = pump
    pump()
