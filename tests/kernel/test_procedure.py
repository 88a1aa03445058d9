"""Procedure: a generator on the clock without a SimPy Process, in the same event order.

The expected logs are SimPy's own: the same generators run as ``simpy.Process`` (a number
yielded there becomes ``env.timeout(number)``) in a world of plain events at the same
instants, so any entry put at another instant, priority or place in the queue shows up as a
different order."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Generator
from typing import Any

import pytest
import simpy

from simnet.kernel.procedure import Procedure, first_of
from simnet.kernel.sim import Simulation

Gen = Generator[Any, Any, Any]


def under_simpy(env: simpy.Environment, gen: Gen) -> Gen:
    """``gen`` as a SimPy process body: delays become timeouts, the rest is passed through."""
    reply: Any = None
    failure: BaseException | None = None
    while True:
        try:
            step = gen.throw(failure) if failure is not None else gen.send(reply)
        except StopIteration:
            return
        reply, failure = None, None
        wait = env.timeout(step) if isinstance(step, int | float) else step
        try:
            reply = yield wait
        except Exception as exc:  # noqa: BLE001 - goes back into gen, as the procedure does
            failure = exc


def as_process(sim: Simulation, gen: Gen) -> None:
    sim.env.process(under_simpy(sim.env, gen))


def as_procedure(sim: Simulation, gen: Gen) -> None:
    Procedure(sim, gen)


def busy_world(start: Callable[[Simulation, Gen], None]) -> list[Any]:
    """Procedures and plain events meeting at the same instants; what happened, in order."""
    sim = Simulation(seed=1)
    env = sim.env
    log: list[Any] = []
    gate = env.event()
    broken = env.event()

    def body(tag: str) -> Gen:
        log.append((tag, "start", env.now))
        yield 0.25
        log.append((tag, "waited", env.now))
        log.append((tag, "gate", (yield gate), env.now))
        try:
            yield broken
        except KeyError as exc:
            log.append((tag, "broken", exc.args, env.now))
        yield 0  # a zero delay still goes through the queue
        log.append((tag, "zero", env.now))
        yield env.timeout(0.5, "t")
        log.append((tag, "end", env.now))

    def note(text: str) -> Callable[[Any], None]:
        return lambda _ev: log.append((text, env.now))

    env.timeout(0).callbacks.append(note("timeout 0"))
    start(sim, body("a"))
    env.timeout(0.25).callbacks.append(note("timeout 0.25"))
    start(sim, body("b"))
    env.timeout(1).callbacks.append(lambda _ev: gate.succeed("open"))
    env.timeout(1).callbacks.append(note("timeout 1"))
    env.timeout(1).callbacks.append(lambda _ev: broken.fail(KeyError("k")))
    env.timeout(1.5).callbacks.append(note("timeout 1.5"))
    sim.call_later(1.5, log.append, ("timer 1.5", 1.5))
    sim.advance(5)
    return log


def test_a_procedure_takes_the_place_of_a_process_in_the_event_order() -> None:
    expected = busy_world(as_process)
    assert len(expected) == 17  # both bodies ran to their end among the plain events
    assert busy_world(as_procedure) == expected


def test_a_failed_event_is_thrown_in_as_a_caused_copy_and_defused() -> None:
    sim = Simulation(seed=1)
    original = ValueError("refused")
    seen: list[BaseException] = []
    bad = sim.event()

    def body() -> Gen:
        try:
            yield bad
        except ValueError as exc:
            seen.append(exc)

    Procedure(sim, body())
    sim.call_later(1, bad.fail, original)
    sim.advance(2)  # the failure was handled: nothing is raised out of the loop
    assert len(seen) == 1 and seen[0] is not original
    assert seen[0].args == ("refused",) and seen[0].__cause__ is original


def test_an_event_processed_already_answers_at_once() -> None:
    sim = Simulation(seed=1)
    done, failed = sim.event(), sim.event()
    done.succeed(42)
    failed.fail(KeyError("gone"))
    failed.defused = True
    sim.advance(1)  # both processed: their callbacks are gone
    got: list[Any] = []

    def body() -> Gen:
        got.append(((yield done), sim.now))
        try:
            yield failed
        except KeyError as exc:
            got.append((exc.args, sim.now))

    Procedure(sim, body())
    sim.advance(1)
    assert got == [(42, 1), (("gone",), 1)]


def test_an_error_goes_to_on_error_with_its_traceback_and_ends_the_procedure() -> None:
    sim = Simulation(seed=1)
    reported: list[tuple[Exception, str]] = []
    steps: list[float] = []

    def body() -> Gen:
        steps.append(sim.now)
        yield 1.0
        steps.append(sim.now)
        raise RuntimeError("bug")

    Procedure(sim, body(), lambda exc: reported.append((exc, traceback.format_exc())))
    sim.advance(5)
    assert steps == [0, 1.0]
    assert [type(e) for e, _ in reported] == [RuntimeError]
    assert "RuntimeError: bug" in reported[0][1] and "in body" in reported[0][1]


def test_without_on_error_an_error_goes_up_into_the_loop() -> None:
    sim = Simulation(seed=1)

    def body() -> Gen:
        yield 1.0
        raise RuntimeError("bug")

    Procedure(sim, body())
    with pytest.raises(RuntimeError, match="bug"):
        sim.advance(5)


@pytest.mark.parametrize(
    ("bad", "error"), [("soon", TypeError), (None, TypeError), (True, TypeError), (-1, ValueError)]
)
def test_a_yield_that_is_no_wait_is_thrown_back_into_the_generator(
    bad: Any, error: type[Exception]
) -> None:
    sim = Simulation(seed=1)
    seen: list[Any] = []

    def body() -> Gen:
        try:
            yield bad
        except (TypeError, ValueError) as exc:
            seen.append((type(exc), sim.now))
        yield 2
        seen.append(("went on", sim.now))

    Procedure(sim, body())
    sim.advance(5)
    assert seen == [(error, 0), ("went on", 2)]


def queue_entries(start: Callable[[Simulation, Gen], None]) -> int:
    """How many queue entries a body waiting 0.5 s and then on a 0.5 s timeout makes."""
    sim = Simulation(seed=1)
    _queue, eid = sim.event_queue()

    def body() -> Gen:
        yield 0.5
        yield sim.timeout(0.5)

    before = next(eid)
    start(sim, body())
    sim.env.run(until=2.0)  # the stop event: pushed, and pushed again when it stops the loop
    return next(eid) - before - 1 - 2


def test_a_procedure_queues_its_start_and_its_waits_only() -> None:
    assert queue_entries(as_procedure) == 3  # start, the delay, the timeout
    assert queue_entries(as_process) == 4  # Initialize, two timeouts, the completion event


# -- first_of: "a | b" without the Condition -------------------------------------------------
def either_world(combine: Callable[[simpy.Environment, Any, Any], Any], second: float) -> list[Any]:
    """A procedure waiting for the first of two events among plain events at the same
    instants; what happened, in order."""
    sim = Simulation(seed=1)
    env = sim.env
    log: list[Any] = []
    a, b = env.event(), env.event()

    def body() -> Gen:
        yield combine(env, a, b)
        log.append(("resumed", env.now, a.triggered, b.triggered))

    Procedure(sim, body())
    env.timeout(1).callbacks.append(lambda _ev: a.succeed("a"))
    env.timeout(1).callbacks.append(lambda _ev: log.append(("timeout 1", env.now)))
    env.timeout(second).callbacks.append(lambda _ev: b.succeed("b"))
    env.timeout(1).callbacks.append(lambda _ev: env.timeout(0).callbacks.append(
        lambda _e: log.append(("zero after 1", env.now))))
    sim.advance(3)
    return log


@pytest.mark.parametrize("second", [0.5, 1, 2])
def test_first_of_resumes_where_a_condition_resumes(second: float) -> None:
    expected = either_world(lambda env, a, b: a | b, second)
    assert ("resumed", min(1, second), second >= 1, second <= 1) in expected
    assert either_world(lambda env, a, b: first_of(env, a, b), second) == expected


def test_first_of_gives_the_first_event_and_takes_a_processed_one_at_once() -> None:
    sim = Simulation(seed=1)
    env = sim.env
    done, later = env.event(), env.event()
    done.succeed(1)
    sim.advance(1)
    either = first_of(env, later, done)
    assert either.triggered and either.value is done
    later.succeed(2)
    sim.advance(1)  # the other one finds it triggered: no error, nothing changes
    assert either.value is done


def test_first_of_fails_with_the_first_failure_and_defuses_it() -> None:
    sim = Simulation(seed=1)
    env = sim.env
    bad, good = env.event(), env.event()
    seen: list[Any] = []

    def body() -> Gen:
        try:
            yield first_of(env, bad, good)
        except KeyError as exc:
            seen.append(exc.args)

    Procedure(sim, body())
    sim.call_later(1, bad.fail, KeyError("lost"))
    sim.call_later(2, good.succeed, None)
    sim.advance(3)  # nothing raised out of the loop: both failures were handled
    assert seen == [("lost",)]
