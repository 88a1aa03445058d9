"""Timers and link arrivals go into SimPy's queue as bare entries, not Timeout events; the
order of events must be exactly what Timeouts of the same delays gave."""

from __future__ import annotations

from simnet.kernel import Simulation


def test_bare_entries_keep_timeout_order_at_equal_instants():
    sim = Simulation()
    order: list[str] = []
    for i in range(3):
        sim.timeout(1.0).callbacks.append(lambda _e, i=i: order.append(f"timeout{i}"))
        sim.call_later(1.0, order.append, f"timer{i}")
        sim.wake(1.0, (lambda _e, i=i: order.append(f"wake{i}"),))
    sim.call_later(0.5, order.append, "early")
    sim.advance(2)
    assert order == ["early"] + [
        f"{what}{i}" for i in range(3) for what in ("timeout", "timer", "wake")
    ]


def test_a_cancelled_timer_does_not_fire_and_zero_delay_keeps_an_integer_clock():
    sim = Simulation()
    fired: list[object] = []
    t = sim.call_later(1.0, fired.append, "no")
    t.cancel()
    sim.call_later(0, lambda: fired.append(sim.now))
    sim.call_later(-1, lambda: fired.append(sim.now))  # a negative delay fires now
    sim.advance(2)
    assert fired == [0, 0] and all(type(x) is int for x in fired)
