"""Simulation.deadlines(): timeouts that keep one queue entry at a time (a host DTE's waits).
Each deadline takes its queue id when added and is queued under exactly the key its own timer
would have had, so a program gives the same order of callbacks with a DeadlineSet as with one
``call_later`` timer per deadline (the reference below)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from simnet.kernel import Simulation
from simnet.kernel.sim import DeadlineSet


def _program(sim: Simulation, seed: int, use_set: bool) -> list[tuple[Any, str]]:
    """Deadlines of a few sets, most cancelled soon, some at equal instants with other
    timers and wakes; callbacks add more. Returns (clock, label) for every callback."""
    rng = random.Random(seed)
    log: list[tuple[Any, str]] = []
    sets = [sim.deadlines() for _ in range(3)]
    live: list[Any] = []
    delays = [0, 0, 0.5, 1, 1.0, 2, 60, 60.0, 59.75, 300, 1e-9, 0.25]
    count = [0]

    def note(label: str, depth: int) -> None:
        log.append((sim.now, label))
        if depth < 5 and count[0] < 2500:
            count[0] += 1
            act(depth + 1)
            act(depth + 1)

    def act(depth: int) -> None:
        kind = rng.randrange(5)
        delay = rng.choice(delays) if rng.random() < 0.7 else rng.uniform(0, 120)
        label = f"{kind}:{depth}:{count[0]}"
        if kind <= 1:
            which = rng.randrange(len(sets))
            if use_set:
                live.append(sets[which].add(delay, note, label + ":deadline", depth))
            else:
                live.append(sim.call_later(delay, note, label + ":deadline", depth))
        elif kind == 2 and live:
            live.pop(rng.randrange(len(live))).cancel()
            log.append((sim.now, label + ":cancel"))
        elif kind == 3:
            sim.call_later(delay, note, label + ":timer", depth)
        else:
            sim.wake(delay, (lambda _w, lb=label: note(lb + ":wake", depth),))

    for _ in range(20):
        act(0)
    sim.run()
    return log


@pytest.mark.parametrize("seed", range(8))
def test_a_deadline_set_keeps_the_order_of_one_timer_per_deadline(seed):
    reference = _program(Simulation(), seed, use_set=False)
    assert len(reference) > 50
    assert _program(Simulation(), seed, use_set=True) == reference


def test_only_the_earliest_live_deadline_is_queued():
    sim = Simulation()
    deadlines = sim.deadlines()
    assert isinstance(deadlines, DeadlineSet)
    fired: list[tuple[float, str]] = []
    waits = [deadlines.add(60.0, lambda n=n: fired.append((sim.now, n))) for n in "abcd"]
    queued = len(sim.env._queue) + sum(len(b) for b in sim.env._far.values())
    assert queued == 1  # one entry for four deadlines
    for wait in waits[:3]:
        wait.cancel()
    sim.run()
    assert fired == [(60.0, "d")]
    assert not sim.env._queue and not sim.env._far


def test_a_deadline_added_earlier_than_the_queued_one_comes_first():
    sim = Simulation()
    deadlines = sim.deadlines()
    fired: list[tuple[float, str]] = []
    deadlines.add(10.0, lambda: fired.append((sim.now, "late")))
    deadlines.add(3.0, lambda: fired.append((sim.now, "early")))
    deadlines.add(3.0, lambda: fired.append((sim.now, "early, added second")))
    sim.run()
    assert fired == [(3.0, "early"), (3.0, "early, added second"), (10.0, "late")]


def test_a_failing_callback_leaves_the_next_deadline_queued():
    sim = Simulation()
    deadlines = sim.deadlines()
    fired: list[str] = []

    def boom() -> None:
        raise RuntimeError("bug")

    deadlines.add(1.0, boom)
    deadlines.add(2.0, lambda: fired.append("next"))
    with pytest.raises(RuntimeError, match="bug"):
        sim.run()
    sim.run()
    assert fired == ["next"] and sim.now == 2.0


def test_a_cancelled_deadline_does_not_fire_and_lets_its_callback_go():
    sim = Simulation()
    deadlines = sim.deadlines()
    held = object()
    fired: list[Any] = []
    wait = deadlines.add(5.0, fired.append, held)
    wait.cancel()
    assert not wait.active and wait._args == ()
    sim.run()
    assert fired == []


def test_a_run_to_exhaustion_ends_at_the_last_live_entry():
    # the docstring's one visible difference: cancelled deadlines leave no spent timer behind
    sim = Simulation(seed=1)
    fired: list[float] = []
    deadlines = sim.deadlines()
    a = deadlines.add(10.0, fired.append, 1.0)
    b = deadlines.add(60.0, fired.append, 2.0)
    sim.call_later(5.0, lambda: b.cancel())
    a.cancel()
    sim.run()
    assert fired == [] and sim.now == 10.0
