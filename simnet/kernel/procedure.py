"""Background procedures on the virtual clock, without SimPy's process objects.

A model's background work (a modem connecting a socket, closing one, activating a context) is a
generator that waits on events. Run as a ``simpy.Process`` it costs a Process, an Initialize
event to start it, a Timeout per plain delay and a completion event when it ends, which nobody
waits for when the procedure is fire-and-forget. A :class:`Procedure` drives the same generator
with bare queue entries (:class:`~simnet.kernel.sim.Wake`) put where SimPy puts its events:

- the start: an URGENT entry at the current instant (where the Initialize event would be);
- ``yield event``: resumed by the event's callbacks when it is processed, with its value; a
  failed event is defused and a copy of its exception (caused by it) is thrown in; an event
  processed already gives its value (or exception) at once;
- ``yield seconds`` (an int or float >= 0): a NORMAL entry after that delay, what
  ``yield env.timeout(seconds)`` makes, resumed with None;
- the end: nothing (the completion event had no callbacks).

So a procedure takes the place of a process in the event order and the trace does not change
(tests/kernel/test_procedure.py runs both side by side). What it does not offer: it is no
event (nobody can wait for it or interrupt it) and ``env.active_process`` is None inside it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL, URGENT

from simnet.kernel.sim import Wake

__all__ = ["Procedure", "copy_of_failure", "first_of"]


def copy_of_failure(event: Any) -> BaseException:
    """The exception a generator waiting on failed ``event`` gets: a copy caused by the
    original (each waiter gets its own traceback); the event is defused, it was handled.
    What a SimPy process gets thrown; also used by the modem's command lines (LineRun)."""
    event._defused = True
    original = event._value
    exc = type(original)(*original.args)
    exc.__cause__ = original
    return exc


class Procedure:
    """Run ``gen`` on the clock of ``sim`` (a :class:`~simnet.kernel.sim.Simulation`) from
    this instant, as described in the module docstring.

    ``on_error(exc)`` is called (inside the ``except`` clause, so ``traceback`` sees it) when
    the generator raises an ``Exception``; without it the exception goes up into the kernel's
    loop, as a failed process's would. A yield that is neither an event nor a delay throws a
    ``TypeError`` (a negative delay a ``ValueError``) into the generator.
    """

    # No bound method is kept here: the queue entry or the event holds the one it needs, so a
    # procedure and its generator are no reference cycle and refcounting frees them at the end.
    __slots__ = ("_env", "_queue", "_eid", "_gen", "_on_error")

    def __init__(
        self,
        sim: Any,
        gen: Generator[Any, Any, Any],
        on_error: Callable[[Exception], object] | None = None,
    ) -> None:
        self._env: Any = sim.env
        self._queue, self._eid = sim.event_queue()
        self._gen = gen
        self._on_error = on_error
        self._push(0, URGENT)

    def _push(self, delay: Any, priority: int) -> None:
        env = self._env
        if self._queue is not None:
            heappush(self._queue, (env._now + delay, priority, next(self._eid),
                                   Wake((self._woken,))))
            return
        event = simpy.Event(env)  # not SimPy 4's queue layout: a plain triggered event
        event._ok = True
        event._value = None
        event.callbacks.append(self._woken)
        env.schedule(event, priority, delay)

    def _woken(self, _entry: Any) -> None:
        self._run(None, None)

    def _resume(self, event: Any) -> None:
        if event._ok:
            self._run(event._value, None)
        else:
            self._run(None, copy_of_failure(event))

    def _run(self, value: Any, exc: BaseException | None) -> None:
        gen = self._gen
        while True:
            try:
                item = gen.send(value) if exc is None else gen.throw(exc)
            except StopIteration:
                return
            except Exception as error:
                if self._on_error is None:
                    raise
                self._on_error(error)
                return
            value = exc = None
            if isinstance(item, simpy.Event):
                # Any: SimPy types callbacks as a list; a processed event has None there
                waited: Any = item
                if waited.callbacks is not None:  # not processed yet: wait for it
                    waited.callbacks.append(self._resume)
                    return
                if waited._ok:
                    value = waited._value
                else:
                    exc = copy_of_failure(waited)
                continue
            if isinstance(item, int | float) and not isinstance(item, bool):
                if item >= 0:
                    self._push(item, NORMAL)
                    return
                exc = ValueError(f"a procedure cannot wait a negative delay ({item})")
                continue
            exc = TypeError(f"a procedure yields an event or seconds to wait, not {item!r}")


def first_of(env: simpy.Environment, *events: simpy.Event) -> simpy.Event:
    """An event for "whichever of ``events`` happens first", with the timing of ``a | b``
    (``simpy.AnyOf``): it is triggered when the first of them is processed (so it is queued
    where the condition would be) and fails if that one failed (defusing it). Its value is
    that first event; it keeps none of a Condition's bookkeeping (no ConditionValue, no
    callbacks taken back from the others: they find it triggered and do nothing)."""
    either = simpy.Event(env)

    def settle(event: Any) -> None:
        if either.triggered:
            return
        if event._ok:
            either.succeed(event)
        else:
            event._defused = True
            either.fail(event._value)

    for event in events:
        waiting: Any = event  # SimPy types callbacks as a list; processed: None
        if waiting.callbacks is None:
            settle(event)
        else:
            waiting.callbacks.append(settle)
    return either
