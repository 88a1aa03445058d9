"""LineRun: a command line on the clock without a SimPy Process, in the same event order.

The expected orders and values are SimPy's own, observed by running the same generator as a
``simpy.Process`` beside it (a latency wait there is ``env.timeout(seconds)``)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import pytest
import simpy

from simnet.kernel.sim import Environment
from simnet.modem.module import LineRun


def _as_process(
    env: simpy.Environment, gen: Generator[Any, Any, None]
) -> Generator[Any, Any, None]:
    """The same generator under SimPy: numbers become timeouts."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            item = gen.send(value) if error is None else gen.throw(error)
        except StopIteration:
            return
        value, error = None, None
        try:
            value = yield (env.timeout(item) if isinstance(item, int | float) else item)
        except BaseException as exc:  # noqa: BLE001 - handed back to the generator
            error = exc


def _world(run: Callable[[simpy.Environment, Generator[Any, Any, None]], Any]) -> list[Any]:
    """Two lines and some plain events at the same instants; returns what happened, in order."""
    env = Environment()
    log: list[Any] = []
    shared = env.event()

    def line(tag: str) -> Generator[Any, Any, None]:
        log.append((tag, "start", env.now))
        yield 0.5
        log.append((tag, "after latency", env.now))
        value = yield shared
        log.append((tag, "got", value, env.now))
        yield 0  # a zero wait still goes through the queue
        log.append((tag, "end", env.now))

    env.timeout(0).callbacks.append(lambda _e: log.append(("timeout 0 at", env.now)))
    run(env, line("a"))
    env.timeout(0.5).callbacks.append(lambda _e: log.append(("timeout 0.5 at", env.now)))
    run(env, line("b"))
    env.timeout(1).callbacks.append(lambda _e: shared.succeed("v"))
    env.timeout(1).callbacks.append(lambda _e: log.append(("timeout 1 at", env.now)))
    env.run(until=5)
    return log


def test_a_line_takes_the_place_of_a_process_in_the_event_order() -> None:
    expected = _world(lambda env, gen: env.process(_as_process(env, gen)))
    assert len(expected) == 11  # both lines ran to their end among the plain events
    assert _world(lambda env, gen: LineRun(env, gen)) == expected


def test_a_failed_event_is_thrown_into_the_line_with_its_cause() -> None:
    env = Environment()
    seen: list[BaseException] = []
    original = ValueError("refused")

    def line() -> Generator[Any, Any, None]:
        bad = env.event()
        bad.fail(original)
        try:
            yield bad
        except ValueError as exc:
            seen.append(exc)

    run = LineRun(env, line())
    env.run(until=1)
    assert not run.alive
    assert len(seen) == 1 and seen[0] is not original  # a copy, as SimPy throws
    assert seen[0].args == ("refused",) and seen[0].__cause__ is original


def test_an_event_processed_already_gives_its_value_at_once() -> None:
    env = Environment()
    done = env.event()
    done.succeed(42)
    env.run(until=1)  # processed: its callbacks are gone
    got: list[Any] = []

    def line() -> Generator[Any, Any, None]:
        got.append((yield done))
        got.append(env.now)

    LineRun(env, line())
    env.run(until=2)
    assert got == [42, 1]


@pytest.mark.parametrize("waiting_for", ["latency", "event"])
def test_an_interrupt_throws_into_the_line_and_the_wait_no_longer_resumes_it(
    waiting_for: str,
) -> None:
    env = Environment()
    later = env.event()
    log: list[Any] = []

    def line() -> Generator[Any, Any, None]:
        try:
            yield 2.0 if waiting_for == "latency" else later
            log.append("resumed")
        except simpy.Interrupt as why:
            log.append(("interrupted", why.cause, env.now))
        yield 5.0
        log.append(("end", env.now))

    run = LineRun(env, line())
    env.timeout(1).callbacks.append(lambda _e: run.interrupt())
    env.timeout(1.5).callbacks.append(lambda _e: later.succeed("late"))
    env.run(until=10)
    assert log == [("interrupted", "abort", 1), ("end", 6.0)]
    assert not run.alive
