"""The kernel's Environment parks queue entries due a second or more ahead (by the second of
their time) instead of keeping them in SimPy's heap. The order of events must stay exactly
that of one heap: a plain ``simpy.Environment`` running the same program is the reference."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
import simpy
from simpy.core import EmptySchedule

from simnet.kernel import Simulation
from simnet.kernel.sim import Environment


def _program(sim: Simulation, seed: int) -> list[tuple[Any, str]]:
    """Timeouts, timers (some cancelled), link-style wakes, urgent events and processes, with
    delays from 0 to minutes, many at equal instants; callbacks schedule more. Returns the
    log the run fills: (clock, label) for every callback."""
    rng = random.Random(seed)
    log: list[tuple[Any, str]] = []
    delays = [0, 0, 0.25, 0.5, 1, 1.0, 1.5, 2, 2.999, 3, 7.5, 59.999, 60, 60.0, 300, 1e-9]
    timers: list[Any] = []
    count = [0]

    def note(label: str, depth: int) -> None:
        log.append((sim.now, label))
        if depth < 6 and count[0] < 3000:
            count[0] += 1
            schedule(depth + 1)

    def schedule(depth: int) -> None:
        kind = rng.randrange(6)
        delay = rng.choice(delays) if rng.random() < 0.7 else rng.uniform(0, 400)
        label = f"{kind}:{depth}:{count[0]}"
        if kind == 0:
            sim.timeout(delay).callbacks.append(lambda _e, lb=label: note(lb, depth))
        elif kind == 1:
            timers.append(sim.call_later(delay, note, label, depth))
        elif kind == 2:
            sim.wake(delay, (lambda _e, lb=label: note(lb, depth),))
        elif kind == 3 and timers:
            timers.pop(rng.randrange(len(timers))).cancel()
            note(label + ":cancel", depth + 1)
        elif kind == 4:
            ev = sim.event()
            ev.callbacks.append(lambda _e, lb=label: note(lb, depth))
            ev.succeed()  # scheduled now, URGENT
        else:

            def proc(lb: str = label, d: Any = delay) -> Any:
                yield sim.timeout(d)
                note(lb + ":a", depth)
                yield sim.timeout(d / 3)
                note(lb + ":b", depth)

            sim.process(proc())

    for _ in range(200):
        schedule(0)
    return log


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_order_of_events_is_that_of_one_heap(seed: int) -> None:
    ours = Simulation(seed=1)
    assert type(ours.env) is Environment
    reference = Simulation(seed=1, env=simpy.Environment())
    got, want = _program(ours, seed), _program(reference, seed)
    # run in unequal steps: each step's end is an `until` entry, parked or not
    for until in (0.5, 1.0, 1.7, 60.0, 61.5, 299.9, 2000.0):
        ours.advance(until - ours.now)
        reference.advance(until - reference.now)
        assert ours.now == reference.now
        assert got == want
    assert len(got) > 1500
    assert [type(t) for t, _ in got] == [type(t) for t, _ in want]  # ints stay ints


def test_entries_due_seconds_ahead_wait_outside_the_heap() -> None:
    sim = Simulation()
    fired: list[int] = []
    for i in range(1000):
        sim.call_later(5 + i * 0.3, fired.append, i)
        sim.timeout(4 + i * 0.3)
    assert len(sim.env._queue) < 10  # parked, not in the heap every event pops from
    sim.advance(400)
    assert fired == list(range(1000))
    assert len(sim.env._queue) < 10  # only what is due within the next second comes in


def test_peek_step_and_run_until_see_parked_entries() -> None:
    sim = Simulation()
    env = sim.env
    order: list[str] = []
    sim.call_later(30.0, order.append, "timer")
    sim.timeout(30.0).callbacks.append(lambda _e: order.append("timeout"))
    sim.call_later(0.5, order.append, "near")
    assert env.peek() == 0.5
    env.step()
    assert order == ["near"] and env.peek() == 30.0
    assert sim.run_until(lambda: bool(order[1:]), 10.0) is False  # nothing due within 10 s
    assert sim.now == 10.5 and order == ["near"]
    assert sim.run_until(lambda: len(order) == 3, 100.0) is True
    assert sim.now == 30.0 and order == ["near", "timer", "timeout"]
    with pytest.raises(EmptySchedule):
        env.step()
    assert env.peek() == math.inf


def test_an_entry_at_infinity_and_an_empty_queue_end_as_simpy_does() -> None:
    sim = Simulation()
    sim.timeout(math.inf)
    sim.call_later(3.0, lambda: None)
    sim.env.run()  # processes the timer, then the entry at infinity, then runs out
    assert sim.now == math.inf
    late = Simulation()
    late.call_later(2.5, lambda: None)
    late.env.run()
    assert late.now == 2.5  # the clock stops at the last entry, as with one heap
