"""GSM circuit-switched data calls: outcomes by scenario, by fault and by probability."""

from __future__ import annotations

import random

import pytest

from simnet import ConfigError
from simnet.bearer import CsdConfig, CsdService, OutcomeKind, Radio, RadioConfig, SimCard, SimConfig
from simnet.kernel import Simulation, stream_seed


def service(seed: int = 1, **csd) -> tuple[Simulation, CsdService]:
    sim = Simulation(seed)
    card = SimCard(sim, SimConfig())
    radio = Radio(sim, card, RadioConfig(registration_delay=1.0))
    svc = CsdService(sim, card, radio, CsdConfig(**csd))
    sim.advance(1.5)
    return sim, svc


def dial(sim: Simulation, svc: CsdService, number: str = "+33100000000"):
    ev = svc.dial(number)
    sim.run_until(lambda: ev.triggered, 1000)
    return ev.value


def test_connect_after_setup_time_with_rate() -> None:
    sim, svc = service(setup_time=20.0, rate=4800)
    out = dial(sim, svc)
    assert out.kind == OutcomeKind.OK and out.rate == 4800 and out.at == pytest.approx(1.5 + 20.0)
    assert svc.call is not None and svc.call.state == "connected"
    # data flows both ways at 4800 bit/s, 10 bits per character
    got = []
    svc.call.network_end.on_data = lambda d: got.append((sim.now, d))
    svc.call.module_end.write(b"x" * 48)
    sim.advance(1)
    assert got and got[0][0] == pytest.approx(1.5 + 20.0 + 48 * 10 / 4800 + svc.line_delay)


def test_outcomes_per_number_and_timing() -> None:
    sim, svc = service(numbers={"111": "busy", "222": "no-answer", "333": "no_carrier"},
                       busy_time=4.0, no_answer_time=60.0, setup_time=20.0)
    t = sim.now
    out = dial(sim, svc, "111")
    assert out.kind == OutcomeKind.BUSY and out.at == pytest.approx(t + 4.0)
    t = sim.now
    out = dial(sim, svc, "222")
    assert out.kind == OutcomeKind.NO_ANSWER and out.at == pytest.approx(t + 60.0)
    t = sim.now
    out = dial(sim, svc, "333")
    assert out.kind == OutcomeKind.NO_CARRIER and out.at == pytest.approx(t + 20.0)
    assert svc.call is None


def test_call_fail_fault_counts_down() -> None:
    sim, svc = service(setup_time=1.0)
    svc.call_fail("busy", count=2)
    assert [dial(sim, svc).kind for _ in range(2)] == [OutcomeKind.BUSY] * 2
    assert dial(sim, svc).kind == OutcomeKind.OK


@pytest.mark.parametrize("seed", [3, 4])
def test_probabilistic_outcomes_are_deterministic_per_seed(seed: int) -> None:
    probs = {"connect": 0.4, "busy": 0.3, "no_answer": 0.2, "no_carrier": 0.1}

    def outcomes(s: int) -> list[str]:
        sim, svc = service(
            s, probabilities=probs, setup_time=1.0, busy_time=1.0, no_answer_time=1.0
        )
        kinds = []
        for _ in range(30):
            out = dial(sim, svc)
            kinds.append(str(out.kind))
            svc.hangup()
        return kinds

    first = outcomes(seed)
    assert first == outcomes(seed)
    # Independent reconstruction: one draw per call from stream "csd.outcome", cumulative in the
    # documented order connect, busy, no_answer, no_carrier.
    rng = random.Random(stream_seed(seed, "csd.outcome"))
    names = {"connect": "ok", "busy": "busy", "no_answer": "no_answer", "no_carrier": "no_carrier"}
    expected = []
    for _ in range(30):
        x, acc = rng.random(), 0.0
        for kind in ("connect", "busy", "no_answer", "no_carrier"):
            acc += probs[kind]
            if x < acc:
                expected.append(names[kind])
                break
    assert first == expected
    assert len(set(first)) > 1


def test_incoming_call_rings_with_caller_id_and_answer() -> None:
    sim, svc = service(ring_interval=5.0, ring_timeout=30.0, answer_time=3.0)
    events = []
    svc.add_listener(lambda ev, call, out: events.append((sim.now, ev, call.caller_id)))
    call = svc.incoming_call("+33612345678")
    assert call is not None and call.number_type == 145
    sim.advance(12)
    rings = [t for t, ev, _ in events if ev == "ring"]
    assert rings == pytest.approx([1.5, 6.5, 11.5])
    ans = svc.answer()
    sim.run_until(lambda: ans.triggered, 10)
    assert ans.value.kind == OutcomeKind.OK and ans.value.at == pytest.approx(13.5 + 3.0)
    svc.remote_hangup()
    assert events[-1][1] == "ended" and svc.call is None


def test_unanswered_incoming_call_ends_when_caller_gives_up_and_reject() -> None:
    sim, svc = service(ring_interval=5.0, ring_timeout=30.0)
    ended = []
    svc.add_listener(
        lambda ev, call, out: ended.append((sim.now, out.kind)) if ev == "ended" else None
    )
    call = svc.incoming_call("5551234")
    sim.advance(40)
    assert call.rings == 6 and ended == [(pytest.approx(31.5), OutcomeKind.NO_CARRIER)]
    svc.incoming_call("5551234")
    assert svc.reject().ok and ended[-1][1] == OutcomeKind.CALL_REJECTED
    assert svc.answer().value.kind == OutcomeKind.NO_CARRIER  # nothing to answer


def test_hangup_during_dial_and_drop() -> None:
    sim, svc = service(setup_time=20.0)
    ev = svc.dial("123")
    sim.advance(5)
    svc.hangup()
    assert ev.value.kind == OutcomeKind.CANCELLED
    out = dial(sim, svc, "123")
    assert out.ok
    ended = []
    svc.add_listener(lambda e, call, o: ended.append(o.kind) if e == "ended" else None)
    svc.drop()
    assert ended == [OutcomeKind.NETWORK_LOST] and svc.call is None


def test_no_cs_service_and_bad_config() -> None:
    sim = Simulation(1)
    card = SimCard(sim, SimConfig())
    radio = Radio(sim, card, RadioConfig(registered_as="denied"))
    svc = CsdService(sim, card, radio, CsdConfig())
    sim.advance(5)
    assert svc.dial("1").value.kind == OutcomeKind.NOT_REGISTERED
    with pytest.raises(ConfigError) as exc:
        CsdConfig(rate=1200)
    assert exc.value.field == "network.csd.rate"
    with pytest.raises(ConfigError) as exc:
        CsdConfig(probabilities={"connect": 0.5})
    assert exc.value.field == "network.csd.probabilities"
    with pytest.raises(ConfigError):
        svc.call_fail("exploded")
