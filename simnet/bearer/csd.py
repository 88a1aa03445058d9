"""GSM circuit-switched data calls: dial, incoming calls (RING, caller id), answer, reject,
hang-up from either side, call drop.

A connected call carries bytes both ways over a ``BytePipe`` at the call's rate (V.110 rate
adaption: ``rate`` bit/s, 10 line bits per character). ``call.module_end`` is the module's side;
``call.network_end`` is the far side (the ISP's PPP server when the operator has one).

Outcomes are the TS 27.007 / V.250 results of ATD: ``ok`` (CONNECT <rate>, ``outcome.rate``),
``busy``, ``no_answer``, ``no_carrier``; ``not_registered`` without CS service (a module says
NO DIALTONE or NO CARRIER), ``sim_*`` without a ready SIM.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import simpy

from simnet.bearer.operator import CSD_KINDS, CsdConfig
from simnet.bearer.outcomes import Outcome, OutcomeKind
from simnet.bearer.ppp.glue import BytePipe, PipeEnd
from simnet.bearer.radio import Radio, RegState
from simnet.bearer.sim_card import SimCard, SimState
from simnet.errors import ConfigError
from simnet.kernel import Simulation, Timer

_KIND_TO_OUTCOME = {
    "busy": OutcomeKind.BUSY,
    "no_answer": OutcomeKind.NO_ANSWER,
    "no_carrier": OutcomeKind.NO_CARRIER,
}


class CallState(StrEnum):
    DIALING = "dialing"
    RINGING = "ringing"  # incoming, not answered yet
    ANSWERING = "answering"
    CONNECTED = "connected"
    ENDED = "ended"


@dataclass
class CsdCall:
    number: str
    direction: str  # "mo" (we dialled) or "mt" (incoming)
    state: CallState
    rate: int = 9600
    caller_id: str | None = None
    number_type: int = 129  # TS 24.008 type of address: 145 international, 129 otherwise
    pipe: BytePipe | None = None
    connected_at: float | None = None
    end_outcome: Outcome | None = None
    rings: int = 0
    voice: bool = False  # a speech call (TS 22.003 teleservice 11): signalling only, no data path
    hold: float | None = None  # a voice caller hangs up this long after the answer (None: never)
    far_end: object = field(default=None, repr=False)  # what answers at the far end (PPP server)
    _timers: list[Timer] = field(default_factory=list, repr=False)

    @property
    def module_end(self) -> PipeEnd | None:
        return self.pipe.a if self.pipe is not None else None

    @property
    def network_end(self) -> PipeEnd | None:
        return self.pipe.b if self.pipe is not None else None


CallListener = Callable[[str, CsdCall, Outcome | None], None]


class CsdService:
    """The module's circuit-switched data service (one call at a time)."""

    def __init__(
        self,
        sim: Simulation,
        sim_card: SimCard,
        radio: Radio,
        config: CsdConfig | None = None,
        *,
        name: str = "csd",
        line_delay: float = 0.1,
    ) -> None:
        self.sim = sim
        self.sim_card = sim_card
        self.radio = radio
        self.config = config or CsdConfig()
        self.name = name
        self.line_delay = line_delay
        self.call: CsdCall | None = None
        self._listeners: list[CallListener] = []
        self._fail_queue: list[tuple[str, int | None]] = []  # (kind, remaining) set by call_fail
        self._pending: simpy.Event | None = None
        self._rng = sim.rng(f"{name}.outcome")
        self._setup = self.config.distribution("setup_time")
        self._busy = self.config.distribution("busy_time")
        self._no_answer = self.config.distribution("no_answer_time")
        self._answer = self.config.distribution("answer_time")
        self._rng_time = sim.rng(f"{name}.setup_time")
        self.on_connected: Callable[[CsdCall], None] | None = None  # far-end hook (ISP server)
        radio.add_listener(self._on_registration)
        sim_card.add_listener(self._on_sim)

    def add_listener(self, fn: CallListener) -> None:
        """``fn(event, call, outcome)``: event "ring" (each RING of an incoming call, with the
        caller id on the call), "connected", "ended" (outcome says why)."""
        if fn not in self._listeners:  # a restarted module registers the same methods again
            self._listeners.append(fn)

    def _emit(self, event: str, call: CsdCall, outcome: Outcome | None = None) -> None:
        for fn in list(self._listeners):
            fn(event, call, outcome)

    def _done(self, outcome: Outcome) -> simpy.Event:
        ev = self.sim.event()
        ev.succeed(outcome.stamped(self.sim.now))
        return ev

    def _precheck(self) -> Outcome | None:
        problem = self.sim_card.check()
        if problem is not None:
            return problem
        if not self.radio.registered("cs"):
            return Outcome(OutcomeKind.NOT_REGISTERED, detail=f"CS domain {self.radio.cs_state}")
        return None

    # -- faults ------------------------------------------------------------------------------
    def call_fail(self, kind: str, count: int | None = 1) -> None:
        """The next ``count`` dials (None: all) end with ``kind`` (busy, no_answer, no_carrier)."""
        norm = kind.lower().replace("-", "_") if isinstance(kind, str) else kind
        if norm not in _KIND_TO_OUTCOME:
            raise ConfigError(
                "call_fail.outcome",
                f"unknown call failure {kind!r} (allowed: busy, no_answer, no_carrier)",
            )
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 1
        ):
            raise ConfigError("call_fail.count", f"expected a positive integer, got {count!r}")
        self._fail_queue.append((norm, count))

    def _decide(self, number: str) -> str:
        while self._fail_queue:
            kind, remaining = self._fail_queue[0]
            if remaining is None:
                return kind
            if remaining > 1:
                self._fail_queue[0] = (kind, remaining - 1)
            else:
                self._fail_queue.pop(0)
            return kind
        cfg = self.config
        if number in cfg.numbers:
            return cfg.numbers[number]
        if cfg.probabilities:
            # One draw per call from the named stream: the same seed gives the same outcomes
            x = self._rng.random()
            acc = 0.0
            for kind in CSD_KINDS:
                acc += cfg.probabilities.get(kind, 0.0)
                if x < acc:
                    return kind
            return CSD_KINDS[-1]
        return cfg.outcome

    # -- mobile-originated ---------------------------------------------------------------------
    def dial(self, number: str) -> simpy.Event:
        """ATD<number> for data; the event's value is an ``Outcome`` (``rate`` on CONNECT)."""
        number = str(number)
        problem = self._precheck()
        if problem is not None:
            return self._done(problem)
        if self.call is not None:
            return self._done(Outcome(OutcomeKind.INVALID_STATE, detail="a call is in progress"))
        kind = self._decide(number)
        if kind == "connect" or kind == "no_carrier":
            delay = self._setup.sample(self._rng_time)
        elif kind == "busy":
            delay = self._busy.sample(self._rng_time)
        else:
            delay = self._no_answer.sample(self._rng_time)
        call = CsdCall(
            number=number, direction="mo", state=CallState.DIALING, rate=self.config.rate
        )
        self.call = call
        ev = self.sim.event()
        self._pending = ev
        self.sim.record(self.name, "dial", number=number, outcome=kind, after=delay)
        call._timers.append(self.sim.call_later(delay, self._dial_result, call, kind, ev))
        return ev

    def _dial_result(self, call: CsdCall, kind: str, ev: simpy.Event) -> None:
        if self.call is not call or call.state != CallState.DIALING:
            return
        self._pending = None
        if kind == "connect":
            self._connect(call)
            outcome = Outcome(OutcomeKind.OK, rate=call.rate, detail=f"CONNECT {call.rate}")
        else:
            outcome = Outcome(_KIND_TO_OUTCOME[kind], detail=kind.replace("_", " ").upper())
            self._end(call, outcome, emit=False)
        self.sim.record(self.name, "dial_result", **outcome.to_fields())
        if not ev.triggered:
            ev.succeed(outcome.stamped(self.sim.now))

    def _connect(self, call: CsdCall) -> None:
        call.state = CallState.CONNECTED
        call.connected_at = self.sim.now
        if call.voice:
            self._emit("connected", call)
            if call.hold is not None:
                call._timers.append(self.sim.call_later(call.hold, self._caller_hangs_up, call))
            return
        call.pipe = BytePipe(
            self.sim,
            rate_bps=call.rate,
            delay=self.line_delay,
            bits_per_byte=10,
            name=f"{self.name}.line",
        )
        self._emit("connected", call)
        if self.on_connected is not None:
            self.on_connected(call)

    # -- mobile-terminated ---------------------------------------------------------------------
    def incoming_call(
        self,
        caller_id: str | None = "+33123456789",
        *,
        number_type: int | None = None,
        voice: bool = False,
        hold: float | None = None,
        ring_timeout: float | None = None,
    ) -> CsdCall | None:
        """A call arrives (data, or ``voice``): RING now and every ``ring_interval`` until
        answered, rejected or the caller gives up after ``ring_timeout`` (default: the
        operator's). A voice caller hangs up ``hold`` seconds after the answer. None if the
        module cannot take it."""
        if self._precheck() is not None or self.call is not None:
            self.sim.record(self.name, "incoming_missed", caller_id=caller_id)
            return None
        ntype = (
            number_type
            if number_type is not None
            else (145 if (caller_id or "").startswith("+") else 129)
        )
        call = CsdCall(
            number=caller_id or "",
            direction="mt",
            state=CallState.RINGING,
            rate=self.config.rate,
            caller_id=caller_id,
            number_type=ntype,
            voice=voice,
            hold=hold,
        )
        self.call = call
        self.sim.record(self.name, "incoming", caller_id=caller_id, voice=voice)
        self._ring(call)
        timeout = self.config.ring_timeout if ring_timeout is None else ring_timeout
        call._timers.append(self.sim.call_later(timeout, self._caller_gives_up, call))
        return call

    def _ring(self, call: CsdCall) -> None:
        if self.call is not call or call.state != CallState.RINGING:
            return
        call.rings += 1
        self._emit("ring", call)
        call._timers.append(self.sim.call_later(self.config.ring_interval, self._ring, call))

    def _caller_hangs_up(self, call: CsdCall) -> None:
        if self.call is call and call.state == CallState.CONNECTED:
            self._end(call, Outcome(OutcomeKind.NO_CARRIER, detail="remote hang-up"))

    def _caller_gives_up(self, call: CsdCall) -> None:
        if self.call is call and call.state == CallState.RINGING:
            self._end(call, Outcome(OutcomeKind.NO_CARRIER, detail="caller hung up before answer"))

    def answer(self) -> simpy.Event:
        """ATA: answer the ringing call; CONNECT <rate> after ``answer_time``."""
        call = self.call
        if call is None or call.state != CallState.RINGING:
            return self._done(Outcome(OutcomeKind.NO_CARRIER, detail="no incoming call"))
        call.state = CallState.ANSWERING
        ev = self.sim.event()
        self._pending = ev
        call._timers.append(
            self.sim.call_later(self._answer.sample(self._rng_time), self._answered, call, ev)
        )
        return ev

    def _answered(self, call: CsdCall, ev: simpy.Event) -> None:
        if self.call is not call or call.state != CallState.ANSWERING:
            return
        self._pending = None
        self._connect(call)
        outcome = Outcome(OutcomeKind.OK, rate=call.rate, detail=f"CONNECT {call.rate}")
        if not ev.triggered:
            ev.succeed(outcome.stamped(self.sim.now))

    def reject(self) -> Outcome:
        """Refuse the ringing call (the caller hears busy)."""
        call = self.call
        if call is None or call.state != CallState.RINGING:
            return Outcome(OutcomeKind.INVALID_STATE, detail="no incoming call", at=self.sim.now)
        self._end(call, Outcome(OutcomeKind.CALL_REJECTED, detail="rejected locally"))
        return Outcome(OutcomeKind.OK, at=self.sim.now)

    # -- hang-up and losses ------------------------------------------------------------------
    def hangup(self) -> Outcome:
        """ATH: end whatever call there is (a dial in progress ends ``cancelled``)."""
        call = self.call
        if call is None:
            return Outcome(OutcomeKind.OK, detail="no call", at=self.sim.now)
        self._end(call, Outcome(OutcomeKind.CANCELLED, detail="local hang-up"))
        return Outcome(OutcomeKind.OK, at=self.sim.now)

    def remote_hangup(self) -> None:
        """The far end releases the call: the module sees NO CARRIER."""
        if self.call is not None:
            self._end(self.call, Outcome(OutcomeKind.NO_CARRIER, detail="remote hang-up"))

    def drop(self, detail: str = "call dropped") -> None:
        """Fault: the radio connection of the call is lost."""
        if self.call is not None:
            self.sim.record(self.name, "fault", fault="call_drop")
            self._end(self.call, Outcome(OutcomeKind.NETWORK_LOST, detail=detail))

    def _end(self, call: CsdCall, outcome: Outcome, *, emit: bool = True) -> None:
        if call.state == CallState.ENDED:
            return
        call.state = CallState.ENDED
        stamped = outcome.stamped(self.sim.now)
        call.end_outcome = stamped
        for t in call._timers:
            t.cancel()
        if call.pipe is not None:
            call.pipe.cut()
        if self.call is call:
            self.call = None
        pending, self._pending = self._pending, None
        if pending is not None and not pending.triggered:
            pending.succeed(stamped)
        self.sim.record(self.name, "call_end", **stamped.to_fields())
        if emit:
            self._emit("ended", call, stamped)

    def _on_registration(self, domain: str, state: RegState) -> None:
        if domain == "cs" and not state.registered and self.call is not None:
            self._end(
                self.call,
                Outcome(OutcomeKind.NETWORK_LOST, detail=f"CS registration lost ({state})"),
            )

    def _on_sim(self, state: SimState) -> None:
        if state != SimState.READY and self.call is not None:
            self._end(self.call, Outcome(OutcomeKind.NETWORK_LOST, detail=f"SIM {state}"))
