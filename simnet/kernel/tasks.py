"""Host tasks on the virtual clock: several host programs at once (``sim.spawn(fn)``).

A host program is written in the blocking style of the Python API (``dte.command(...)``,
``dte.expect(...)``, ``sim.advance(5)``) or as a generator that yields seconds to sleep or
SimPy events to wait for. Each task runs in its own thread, but only one thread ever runs at a
time: a task runs until it waits, then hands control back to the thread driving the clock,
which resumes it at the virtual instant its wait ends. Tasks are resumed in the order they were
spawned, so a run with tasks is as deterministic as one without: no wall clock, no thread
scheduling decides anything.

The clock only moves while the main program runs it (``sim.advance``, ``dte.command``,
``task.join()``, ``sim.run_tasks()``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from typing import Any

import simpy

Done = Callable[[], bool]


class TaskCancelled(BaseException):
    """Raised inside a task's wait when the task is cancelled (``task.cancel()``)."""


class Task:
    """One spawned host program. ``done``, ``result``, ``exception``; ``join(timeout)``."""

    def __init__(self, scheduler: TaskScheduler, fn: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any], name: str) -> None:
        self.name = name
        self.result: Any = None
        self.exception: BaseException | None = None
        self.done = False
        self._scheduler = scheduler
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._go = threading.Semaphore(0)
        self._parked = threading.Semaphore(0)
        self._waiting: Done | None = lambda: True  # runnable at once
        self._deadline: float | None = None
        self._cancelled = False
        self._thread = threading.Thread(target=self._main, name=f"simnet-task-{name}", daemon=True)
        self._started = False

    def __repr__(self) -> str:
        state = "done" if self.done else "waiting"
        return f"<Task {self.name} {state}>"

    # -- the task's own thread -------------------------------------------------------------
    def _main(self) -> None:
        self._go.acquire()
        try:
            if self._cancelled:
                raise TaskCancelled(self.name)
            out = self._fn(*self._args, **self._kwargs)
            if isinstance(out, Generator):
                out = self._drive(out)
            self.result = out
        except TaskCancelled:
            pass
        except BaseException as exc:  # noqa: BLE001 - kept and re-raised by join()
            self.exception = exc
        finally:
            self.done = True
            self._waiting = None
            self._parked.release()

    def _drive(self, gen: Generator[Any, Any, Any]) -> Any:
        """Generator style: yield seconds to sleep, or a SimPy event (its value is sent back)."""
        sim = self._scheduler.sim
        value: Any = None
        while True:
            try:
                item = gen.send(value)
            except StopIteration as stop:
                return stop.value
            if isinstance(item, int | float) and not isinstance(item, bool):
                sim.advance(float(item))
                value = None
            elif isinstance(item, simpy.Event):
                ev = item

                def fired(ev: simpy.Event = ev) -> bool:
                    return bool(ev.triggered)

                self.wait(fired, None)
                if not ev.ok:
                    failure = ev.value
                    raise failure if isinstance(failure, BaseException) else RuntimeError(failure)
                value = ev.value
            elif item is None:
                self.wait(lambda: True, None)  # let the others at this instant run
                value = None
            else:
                raise TypeError(
                    f"task {self.name} yielded {item!r} (expected seconds or a SimPy event)"
                )

    def wait(self, done: Done, deadline: float | None) -> None:
        """Park until ``done()`` holds or the clock reaches ``deadline`` (called in the task)."""
        self._waiting = done
        self._deadline = deadline
        if deadline is not None:
            self._scheduler.sim.call_at(deadline, _noop)  # the clock must stop there
        self._parked.release()
        self._go.acquire()
        if self._cancelled:
            raise TaskCancelled(self.name)

    # -- the driving thread ----------------------------------------------------------------
    def runnable(self, now: float) -> bool:
        if self.done or self._waiting is None:
            return False
        return (self._deadline is not None and now >= self._deadline) or self._waiting()

    def _resume(self) -> None:
        scheduler = self._scheduler
        previous, scheduler.current = scheduler.current, self
        try:
            if not self._started:
                self._started = True
                self._thread.start()
            self._go.release()
            self._parked.acquire()
        finally:
            scheduler.current = previous

    def cancel(self) -> None:
        """Stop the task at its current wait (it sees :class:`TaskCancelled`)."""
        if self.done:
            return
        self._cancelled = True
        self._resume()

    def join(self, timeout: float | None = None) -> Any:
        """Run the clock until the task ends (at most ``timeout`` virtual seconds); its return
        value, or its exception raised here. Raises ``TimeoutError`` if it is still running."""
        sim = self._scheduler.sim
        if not sim.run_tasks_until(lambda: self.done, timeout):
            raise TimeoutError(f"task {self.name} still running after {timeout} virtual seconds")
        if self.exception is not None:
            raise self.exception
        return self.result


def _noop() -> None:
    return None


class TaskScheduler:
    """The tasks of one simulation; the clock-driving thread calls :meth:`service` after every
    kernel event."""

    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self.tasks: list[Task] = []
        self.current: Task | None = None

    def spawn(
        self, fn: Callable[..., Any], *args: Any, name: str | None = None, **kwargs: Any
    ) -> Task:
        if not callable(fn):
            raise TypeError(f"spawn() needs a function, got {fn!r}")
        task = Task(
            self, fn, args, kwargs, name or str(getattr(fn, "__name__", f"task{len(self.tasks)}"))
        )
        self.tasks.append(task)
        return task

    def service(self) -> None:
        """Resume every task whose wait is over, in spawn order, until none is at this instant."""
        now = self.sim.env.now
        progressed = True
        while progressed:
            progressed = False
            for task in self.tasks:
                if task.runnable(now):
                    task._resume()
                    progressed = True
            if any(t.done for t in self.tasks):
                self.tasks = [t for t in self.tasks if not t.done or t is self.current]

    def cancel_all(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        self.tasks.clear()
