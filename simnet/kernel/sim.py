"""The simulation kernel: one SimPy environment, named random streams, a trace, timers.

Everything simulated runs on ``env.now`` of the single environment owned here. Protocol engines
are sans-IO; the glue that drives them asks this kernel for timers (``call_later``) and records
what happened (``record``). Nothing here reads the wall clock.
"""

from __future__ import annotations

import gc
import math
import random
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from heapq import heappop, heappush
from typing import Any, Final

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT, EventPriority

from simnet._build import mypyc_attr
from simnet.kernel.rng import RandomStreams
from simnet.kernel.trace import Trace
from simnet.kernel.units import Real


def _never() -> bool:
    return False


def check_seconds(value: object, name: str, where: str) -> float:
    """A span of virtual time from an API caller: a finite, non-negative int or float.

    Raises ``TypeError`` for anything that is not a number and ``ConfigError`` (a
    ``ValueError``) for nan, infinities, negatives and integers too large for a float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{where}: {name} must be a number of seconds (int or float), "
                        f"got {type(value).__name__}")
    try:
        seconds = float(value)
    except OverflowError:
        seconds = math.inf
    if not 0.0 <= seconds < math.inf:
        from simnet.errors import ConfigError

        raise ConfigError(name, f"{where} expected a finite, non-negative number of seconds, "
                          f"got {str(value)[:40]}")
    return seconds


# While the clock runs, the cyclic garbage collector starts a young collection after this many
# allocations instead of Python's 700. The model makes no cyclic garbage per event (spent timers
# and finished sockets let go of their callbacks; tests/kernel/test_gc.py), yet it allocates
# packets, records and queue entries by the million, and every young collection walks all the
# objects that survived since the last one: a fleet spent 14 % of its time there.
RUN_GC_THRESHOLD: Final = 20_000
# ... and a middle-generation collection after this many young ones instead of 10: a scenario's
# world and trace survive its young collections, and each middle one walked them all again
# (the library ran ~5 % faster, compiled, with 30 to 50 here).
RUN_GC_THRESHOLD1: Final = 30


def _relax_gc() -> tuple[int, int, int] | None:
    """Raise the young-generation GC threshold to ``RUN_GC_THRESHOLD`` if lower (and the
    middle one to at least ``RUN_GC_THRESHOLD1``); returns the
    thresholds to give back with :func:`_restore_gc` (None: nothing changed)."""
    old = gc.get_threshold()
    if old[0] >= RUN_GC_THRESHOLD:
        return None
    gc.set_threshold(RUN_GC_THRESHOLD, max(old[1], RUN_GC_THRESHOLD1), old[2])
    return old


def _restore_gc(old: tuple[int, int, int] | None) -> None:
    if old is not None and gc.get_threshold()[0] == RUN_GC_THRESHOLD:  # unless changed meanwhile
        gc.set_threshold(*old)


@contextmanager
def relaxed_gc() -> Iterator[None]:
    """The clock's GC setting for the duration (see ``RUN_GC_THRESHOLD``); the caller's
    thresholds come back afterwards."""
    old = _relax_gc()
    try:
        yield
    finally:
        _restore_gc(old)


class Environment(simpy.Environment):
    """SimPy's environment with its event loop in one frame: ``run`` processes events as
    ``Environment.step`` does (same order, same semantics, StopSimulation and failed events
    included) without a method call per event, under :func:`relaxed_gc`.

    Its queue is SimPy's heap of entries ``(time, priority, id, event)``, ``_queue``, plus
    entries parked by the second of their time: ``_far[k]`` lists the entries due in
    ``[k, k + 1)``, ``_far_keys`` is a heap of those ``k``. Only an entry due at or after
    ``_mark`` (an integer, the end of the earliest second not parked) is parked; ``_queue``
    may hold an entry due at any time (links push there directly). So an entry of ``_queue``
    due before ``_mark`` comes before every parked one, and when ``_queue``'s head is not,
    ``_settle`` moves the earliest second's entries in (or moves ``_mark`` up to the head).
    Entries are taken in exactly the order of one heap (time, then priority, then id).

    Why: a fleet keeps ~3 entries a device queued (a host's sleep, a NAT mapping's idle
    check, a TCP timer, a cancelled deadline), but only a few dozen are due within the next
    second. In one heap of thousands every event's pop walked ~12 levels of entries no
    longer in the CPU's caches; parked, an entry costs an append and, in its second, one
    push onto a small heap."""

    def __init__(self, initial_time: Real = 0) -> None:
        super().__init__(initial_time)
        self._far: dict[int, list[Any]] = {}
        self._far_keys: list[int] = []
        self._mark: int = math.floor(initial_time) + 1

    def schedule(self, event: Any, priority: Any = NORMAL, delay: Real = 0) -> None:
        """SimPy's ``schedule``; an entry due at or after ``_mark`` is parked."""
        when = self._now + delay
        entry = (when, priority, next(self._eid), event)
        if self._mark <= when < math.inf:
            self._park(entry)
        else:
            heappush(self._queue, entry)

    def _park(self, entry: tuple[Any, ...]) -> None:
        """File a queue entry due at or after ``_mark`` (finite) under its second."""
        key = math.floor(entry[0])
        bucket = self._far.get(key)
        if bucket is None:
            self._far[key] = [entry]
            heappush(self._far_keys, key)
        else:
            bucket.append(entry)

    def _settle(self) -> None:
        """Make ``_queue``'s head the earliest entry of all: unpark the earliest second's
        entries if they may come first, else move ``_mark`` up past the head."""
        near, keys = self._queue, self._far_keys
        if near and near[0][0] < self._mark:
            return  # already so: every parked entry is due at or after _mark
        if keys and (not near or keys[0] <= near[0][0]):
            key = heappop(keys)
            for entry in self._far.pop(key):
                heappush(near, entry)
            self._mark = key + 1  # the next parked second starts at key + 1 or later
        elif near and near[0][0] < math.inf:
            self._mark = math.floor(near[0][0]) + 1  # <= the earliest parked second

    def peek(self) -> Any:
        self._settle()
        return super().peek()

    def step(self) -> None:
        self._settle()
        super().step()

    def run(self, until: Any = None) -> Any:
        if until is not None:
            if not isinstance(until, simpy.Event):
                at = until if isinstance(until, int) else float(until)
                if at <= self._now:
                    raise ValueError(
                        f"until ({at}) must be greater than the current simulation time"
                    )
                until = simpy.Event(self)
                until._ok = True
                until._value = None
                self.schedule(until, URGENT, at - self._now)
            elif until.callbacks is None:
                return until.value
            until.callbacks.append(StopSimulation.callback)
        old = _relax_gc()  # relaxed_gc(), without a generator frame per run
        try:
            return self._loop(until)
        finally:
            _restore_gc(old)

    def _loop(self, until: Any) -> Any:
        # Any: the queue also holds Wake and Timer entries, whose callbacks are tuples
        queue: list[Any] = self._queue
        mark: Any = self._mark
        event: Any
        try:
            while True:  # Environment.step, inlined
                try:
                    entry = heappop(queue)
                except IndexError:
                    self._settle()  # entries may be parked
                    if not queue:
                        raise EmptySchedule from None
                    mark = self._mark
                    continue
                when = entry[0]
                if when >= mark:  # a parked entry may come first: put it back, settle
                    heappush(queue, entry)
                    self._settle()  # now the head is the earliest entry of all
                    mark = self._mark
                    entry = heappop(queue)
                    when = entry[0]
                self._now = when
                event = entry[3]
                if type(event) is Wake:  # a link arrival: typed access, and it never fails
                    wake: Wake = event
                    callbacks: Any = wake.callbacks
                    wake.callbacks = None
                    try:
                        for callback in callbacks:
                            callback(wake)
                    except StopSimulation:  # as below
                        event.callbacks = callbacks[callbacks.index(callback) + 1 :]
                        self.schedule(event, EventPriority(-1))  # type: ignore[arg-type]
                        raise
                    continue
                if type(event) is Timer:  # call_later's entry: its one callback, typed
                    timer: Timer = event
                    timer.callbacks = None
                    try:
                        timer._fire()
                    except StopSimulation:  # as below (no callback is left after _fire)
                        timer.callbacks = ()
                        self.schedule(event, EventPriority(-1))  # type: ignore[arg-type]
                        raise
                    continue
                callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
                try:
                    for callback in callbacks:
                        callback(event)
                except StopSimulation:
                    event.callbacks = callbacks[callbacks.index(callback) + 1 :]
                    self.schedule(event, EventPriority(-1))
                    raise
                if not event._ok and not hasattr(event, "_defused"):
                    exc = type(event._value)(*event._value.args)
                    exc.__cause__ = event._value
                    raise exc
        except StopSimulation as exc:
            return exc.args[0]
        except EmptySchedule:
            if until is not None:
                assert not until.triggered
                raise RuntimeError(
                    f'No scheduled events left but "until" event was not triggered: {until}'
                ) from None
        return None


    def step_until(self, done: Callable[[], object], deadline: Real) -> bool | None:
        """Process events one at a time, as ``step`` does, checking ``done()`` after each,
        while the next event is due by ``deadline``: True once ``done()`` holds, None when the
        next event lies past the deadline (or none is left; the clock has not moved there).
        ``Simulation.run_until``'s loop in one frame (no ``peek``/``step`` call per event)."""
        queue: list[Any] = self._queue  # Event, Wake and Timer entries (see _loop)
        mark: Any = self._mark
        event: Any
        while True:
            if not queue or queue[0][0] >= mark:  # a parked entry may be the earliest
                self._settle()
                mark = self._mark
                if not queue:
                    return None
            if queue[0][0] > deadline:
                return None
            self._now, _, _, event = heappop(queue)
            callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
            try:
                for callback in callbacks:
                    callback(event)
            except StopSimulation:
                event.callbacks = callbacks[callbacks.index(callback) + 1 :]
                self.schedule(event, EventPriority(-1))
                raise
            if not event._ok and not hasattr(event, "_defused"):
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc
            if done():
                return True


# Not acyclic (unlike Packet): a Wake still queued when a run ends is in a cycle - its callbacks
# are bound methods of a link, which holds the environment, whose queue holds the Wake. Kept out
# of the cyclic GC, that cycle was never freed: the whole Simulation leaked (compiled build).
class Wake:
    """A bare entry of SimPy's event queue: when its instant comes the loop calls each of
    ``callbacks`` with it, as it does for a triggered event (``Environment.step`` reads only
    ``callbacks`` and ``_ok``). It costs a fraction of a ``Timeout`` on the per-packet path and
    takes its place in the queue exactly as a ``Timeout`` of the same delay would (same
    instant, priority and insertion order), so the order of events does not change."""

    __slots__ = ("callbacks",)
    callbacks: tuple[Callable[[Any], Any], ...] | None
    _ok = True

    def __init__(self, callbacks: tuple[Callable[[Any], Any], ...]) -> None:
        self.callbacks = callbacks


def waker(env: simpy.Environment) -> Callable[[Real, tuple[Callable[[Any], Any], ...]], None]:
    """``wake(delay, callbacks)``: after ``delay`` (>= 0) seconds call each of ``callbacks``
    with a :class:`Wake` - what ``env.timeout(delay).callbacks.extend(callbacks)`` does."""
    queue = getattr(env, "_queue", None)
    eid = getattr(env, "_eid", None)
    if not isinstance(queue, list) or eid is None:  # not the SimPy 4 layout: the public way

        def wake_event(delay: Real, callbacks: tuple[Callable[[Any], Any], ...]) -> None:
            env.timeout(delay).callbacks.extend(callbacks)

        return wake_event

    def wake(delay: Real, callbacks: tuple[Callable[[Any], Any], ...]) -> None:
        heappush(queue, (env._now + delay, NORMAL, next(eid), Wake(callbacks)))

    return wake


class Timer:
    """A cancellable one-shot callback on the virtual clock.

    SimPy cannot withdraw a scheduled event, so cancelling just disarms the callback; the cost
    of a stale heap entry is far below that of a process per timer. The timer is its own
    queue entry (see :class:`Wake`).
    """

    __slots__ = ("when", "_fn", "_args", "active", "callbacks")
    callbacks: tuple[Callable[[Any], Any], ...] | None
    _ok = True

    def __init__(self, when: Real, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.when = when
        self._fn = fn
        self._args = args
        self.active = True

    def cancel(self) -> None:
        self.active = False
        # Let go of the callback: an object holding its own timer (a connection, a NAT mapping,
        # a wait) is no reference cycle once the timer is spent, so refcounting frees it
        # instead of the cyclic garbage collector.
        self._fn = _spent
        self._args = ()

    def _fire(self, _event: Any = None) -> None:
        if self.active:
            self.active = False
            fn, args = self._fn, self._args
            self._fn = _spent
            self._args = ()
            fn(*args)


def _spent(*_args: Any) -> None:
    """The callback of a timer that fired or was cancelled."""


# the queue calls Timer._fire(timer); tuple[Any, ...]: one object (compiled, a fixed-length
# tuple would be rebuilt at every use: one allocation per timer)
_FIRE: Final[tuple[Any, ...]] = (Timer._fire,)


class Deadline(Timer):
    """One deadline of a :class:`DeadlineSet`: a :class:`Timer` (``cancel()``, firing) that
    the set queues itself. ``key`` is its place in the queue's order, ``(when, id)``, taken
    when it was added."""

    __slots__ = ("key",)

    def __init__(
        self, when: Real, key: tuple[Any, Any], fn: Callable[..., Any], args: tuple[Any, ...]
    ) -> None:
        super().__init__(when, fn, args)
        self.key = key


class DeadlineSet:
    """Timeouts that are nearly always cancelled (a host's waits for a reply), with at most
    one queue entry at a time instead of one each.

    ``add(delay, fn, *args)`` does what ``Simulation.call_later`` does - it takes the
    queue's next id at that moment, so every other entry keeps its id - but only the earliest
    live deadline is in the queue, as a :class:`Wake` with exactly the ``(time, NORMAL, id)``
    that deadline's own timer would have had. When it comes due, the deadline fires (if still
    live) and the next live one is queued with its own key: entries are taken in exactly the
    order one timer per deadline gives, and a cancelled deadline costs no queue entry unless
    it was the one queued. Cancelled deadlines wait in a private heap until they reach its
    head (no longer than their timers would have waited in the queue). One difference
    shows: a run without ``until`` ends at the last live entry, not at the last cancelled
    deadline's instant as it would with spent timers left in the queue."""

    __slots__ = ("_sim", "_heap", "_queued", "_queued_id", "_in_queue")

    def __init__(self, sim: Simulation) -> None:
        self._sim = sim
        self._heap: list[tuple[Any, Any, Deadline]] = []  # (when, id, deadline)
        self._queued: Wake | None = None  # the entry standing for the heap's head ...
        self._queued_id: Any = None  # ... and its id
        # every entry of this set still in the queue, by id (one that no longer stands for
        # the head fires for nothing; if its deadline becomes the head again, it does again)
        self._in_queue: dict[Any, Wake] = {}

    def add(self, delay: Real, fn: Callable[..., Any], *args: Any) -> Deadline:
        sim = self._sim
        now = sim.env._now
        when_hint = now + delay  # Timer.when: the delay as given
        if not delay > 0:
            delay = 0  # an int zero, as call_later does
        when = now + delay
        eid = next(sim._eid)
        deadline = Deadline(when_hint, (when, eid), fn, args)
        heap = self._heap
        head = heap[0] if heap else None
        heappush(heap, (when, eid, deadline))
        # ids grow: a later-added deadline comes first only if it is due strictly earlier
        if self._queued is None or head is None or when < head[0]:
            self._queue_head()
        return deadline

    def _queue_head(self) -> None:
        """Have an entry under the heap's head's own key in the queue (one for another key,
        if any, is left to find itself stale)."""
        heap = self._heap
        while heap and not heap[0][2].active:  # let cancelled heads go
            heappop(heap)
        if not heap:
            self._queued = None
            return
        when, eid, _deadline = heap[0]
        wake = self._in_queue.get(eid)
        if wake is None:
            wake = Wake((self._due,))
            self._in_queue[eid] = wake
            self._sim._push_entry((when, NORMAL, eid, wake))
        self._queued = wake
        self._queued_id = eid

    def _due(self, wake: Wake) -> None:
        in_queue = self._in_queue
        if wake is not self._queued:  # stands for nothing now
            for eid, queued in list(in_queue.items()):  # a few at most
                if queued is wake:
                    del in_queue[eid]
            return
        del in_queue[self._queued_id]
        heap = self._heap
        deadline: Deadline | None = None
        if heap:
            when, eid, head = heap[0]
            if head.active and eid == self._queued_id:
                heappop(heap)
                deadline = head
        self._queue_head()  # the next one, before this one's callback may raise
        if deadline is not None:
            deadline._fire()


@mypyc_attr(allow_interpreted_subclasses=True)  # simnet.Simulation is one (scenario layer)
class Simulation:
    """Owner of the virtual clock. Upper layers (scenario, modules) build on top of it.

    >>> sim = Simulation(seed=7)
    >>> sim.rng("link.uplink.loss").random() == Simulation(seed=7).rng("link.uplink.loss").random()
    True
    """

    def __init__(
        self, seed: int = 1, *, trace: Trace | None = None, env: simpy.Environment | None = None
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            from simnet.errors import ConfigError

            raise ConfigError("seed", f"expected an integer, got {seed!r}")
        self.seed = seed
        # The real-time bridge passes a simpy.rt.RealtimeEnvironment; everything else is virtual.
        self.env = env if env is not None else Environment()
        self.trace = trace if trace is not None else Trace()
        self._streams = RandomStreams(seed)
        self._tasks: Any = None  # simnet.kernel.tasks.TaskScheduler once a task is spawned
        self.wake = waker(self.env)  # wake(delay, callbacks): a bare queue entry (Wake)
        queue = getattr(self.env, "_queue", None)
        self._queue: list[Any] | None = (
            queue if isinstance(queue, list) and hasattr(self.env, "_eid") else None
        )
        self._eid: Any = getattr(self.env, "_eid", None)  # the queue's id counter
        # our Environment: call_later parks a timer due at or after its mark (see there)
        self._parking: Environment | None = (
            self.env if isinstance(self.env, Environment) else None
        )

    # -- clock -------------------------------------------------------------------------------
    @property
    def now(self) -> Real:
        return self.env._now  # what env.now returns, without a second property call

    # ``object``: entry points take anything and say what is wrong (check_seconds); compiled,
    # a typed parameter would refuse a wrong type first, without naming the parameter.
    def advance(self, seconds: object) -> Real:
        """Run the clock forward by ``seconds`` of virtual time; returns the new time."""
        seconds = check_seconds(seconds, "seconds", "advance()")
        target = self.env.now + seconds
        if self._tasks is not None:  # host tasks: step, so each resumes at its instant
            self.run_until(_never, seconds)
        elif target > self.env.now:  # a step too small to move a float clock is no step
            self.env.run(until=target)
        return self.env.now

    def run_until(
        self, done: Callable[[], object], timeout: object, *, step: Real | None = None
    ) -> bool:
        """Run until ``done()`` holds or ``timeout`` seconds pass; True if ``done()`` held.

        ``done`` is checked after every event the kernel processes, so the clock stops at the
        exact virtual instant the condition became true.
        """
        deadline = self.env.now + check_seconds(timeout, "timeout", "run_until()")
        env = self.env
        tasks = self._tasks
        if tasks is not None:
            if tasks.current is not None:  # inside a host task: park it, the driver runs the clock
                return self._park(done, deadline)
            return self._run_until_with_tasks(done, deadline)
        if done():
            return True
        old = _relax_gc()  # relaxed_gc(), without a generator frame per wait
        try:
            if type(env) is Environment:  # the whole loop in one frame
                if env.step_until(done, deadline):
                    return True
                if deadline == math.inf:  # nothing left, no deadline: as step() says so
                    env.step()
                if deadline > env.now:  # timeout 0 (or below float resolution): a poll
                    env.run(until=deadline)
                return bool(done())  # bool: done may answer any truthy value
            while True:
                nxt = env.peek()
                if nxt > deadline:
                    if deadline > env.now:  # timeout 0 (or below float resolution): a poll
                        env.run(until=deadline)
                    return bool(done())
                env.step()
                if done():
                    return True
        finally:
            _restore_gc(old)

    def _park(self, done: Callable[[], object], deadline: Real | None) -> bool:
        """Inside a host task: wait until ``done()`` or ``deadline`` (None: no deadline)."""
        held = [False]  # done() may say True only once (it consumes what it saw)

        def latched() -> bool:
            held[0] = held[0] or bool(done())
            return held[0]

        if latched():
            return True
        self._tasks.current.wait(latched, deadline)
        return latched()

    def _run_until_with_tasks(self, done: Callable[[], object], deadline: Real) -> bool:
        env, tasks = self.env, self._tasks
        tasks.service()
        if done():
            return True
        while True:
            nxt = env.peek()
            if nxt > deadline or nxt == math.inf:  # past the deadline, or nothing left to happen
                if env.now < deadline < math.inf:
                    env.run(until=deadline)
                tasks.service()
                return bool(done())
            env.step()
            tasks.service()
            if done():
                return True

    # -- host tasks --------------------------------------------------------------------------
    def spawn(
        self, fn: Callable[..., Any], *args: Any, name: str | None = None, **kwargs: Any
    ) -> Any:
        """Run ``fn(*args, **kwargs)`` as a host task beside the main program (a firmware's main
        loop and its URC handler). Blocking calls inside it (``dte.command``, ``sim.advance``)
        wait on the virtual clock; a generator function may instead yield seconds or SimPy
        events. Returns a :class:`~simnet.kernel.tasks.Task` (``join()``, ``done``,
        ``result``, ``cancel()``). Tasks run while the main program runs the clock."""
        if self._tasks is None:
            from simnet.kernel.tasks import TaskScheduler

            self._tasks = TaskScheduler(self)
        return self._tasks.spawn(fn, *args, name=name, **kwargs)

    def run_tasks(self, timeout: Real | None = None) -> bool:
        """Run the clock until every spawned task has ended (or ``timeout`` virtual seconds)."""
        if self._tasks is None:
            return True
        tasks = self._tasks
        return self.run_tasks_until(lambda: all(t.done for t in tasks.tasks), timeout)

    def run_tasks_until(self, done: Callable[[], object], timeout: Real | None) -> bool:
        """``run_until`` for the driving program, where ``timeout=None`` means until ``done()``
        or until nothing is left to happen."""
        if timeout is not None or self._tasks is None:
            return self.run_until(done, math.inf if timeout is None else timeout)
        if self._tasks.current is not None:
            return self._park(done, None)
        return self._run_until_with_tasks(done, math.inf)

    def cancel_tasks(self) -> None:
        """End every host task still waiting (they see ``TaskCancelled``); frees their threads."""
        if self._tasks is not None:
            self._tasks.cancel_all()

    def run(self, until: Real | simpy.Event | None = None) -> Any:
        return self.env.run(until=until)

    # -- scheduling --------------------------------------------------------------------------
    def call_later(self, delay: Real, fn: Callable[..., Any], *args: Any) -> Timer:
        """Call ``fn(*args)`` after ``delay`` seconds of virtual time unless cancelled."""
        now = self.env._now
        timer = Timer(now + delay, fn, args)
        if not delay > 0:
            delay = 0  # an int zero, as before: at t = 0 the clock stays the integer 0
        queue = self._queue
        if queue is not None:
            timer.callbacks = _FIRE
            self._push_entry((now + delay, NORMAL, next(self._eid), timer))
        else:
            self.env.timeout(delay).callbacks.append(timer._fire)
        return timer

    def _push_entry(self, entry: tuple[Any, Any, Any, Any]) -> None:
        """Put a ready-made ``(time, priority, id, item)`` entry in the queue (parked when due
        a second or more ahead, as ``call_later`` does)."""
        queue = self._queue
        assert queue is not None
        env = self._parking
        when = entry[0]
        if env is not None and env._mark <= when < math.inf:
            env._park(entry)  # due a second or more ahead (see Environment)
        else:
            heappush(queue, entry)

    def deadlines(self) -> Any:
        """A :class:`DeadlineSet` on this clock: ``add(delay, fn, *args)`` returns something
        with ``cancel()``, as ``call_later`` does (plain timers when the environment is not
        laid out as SimPy 4's)."""
        if self._queue is None:
            return _PlainDeadlines(self)
        return DeadlineSet(self)

    def event_queue(self) -> tuple[list[Any] | None, Any]:
        """SimPy's event queue and event-id counter, for a per-packet path that pushes its own
        :class:`Wake` entries (``heappush(queue, (now + delay, NORMAL, next(eid), entry))``,
        exactly what ``wake`` does); ``(None, None)`` when the environment is not laid out as
        SimPy 4's (use ``wake`` then). With :class:`Environment` this is its heap, which may take
        an entry due at any time (see there)."""
        if self._queue is None:
            return None, None
        return self._queue, self._eid

    def wake_at(self, when: Real, callbacks: tuple[Callable[[Any], Any], ...]) -> None:
        """At instant ``when`` (not before now) call each of ``callbacks`` with a
        :class:`Wake`, queued at exactly that float (``call_at`` goes through a delay, whose
        sum with now may round to a neighbouring float)."""
        queue = self._queue
        if queue is None:  # not SimPy 4's layout: the public way, up to float rounding
            self.env.timeout(max(0.0, when - self.env.now)).callbacks.extend(callbacks)
            return
        heappush(queue, (when, NORMAL, next(self._eid), Wake(callbacks)))

    def call_at(self, when: Real, fn: Callable[..., Any], *args: Any) -> Timer:
        delay: Real = when - self.env._now
        if not delay > 0.0:  # max(0.0, delay), without making a positive int a float
            delay = 0.0
        return self.call_later(delay, fn, *args)

    # SimPy's classes called with the environment: what env.process / env.timeout / env.event
    # do (each a BoundClass), without binding a class to the environment per call
    def process(self, generator: Generator[simpy.Event, Any, Any]) -> simpy.Process:
        return simpy.Process(self.env, generator)

    def timeout(self, delay: Real, value: Any = None) -> simpy.Timeout:
        return simpy.Timeout(self.env, delay, value)

    def event(self) -> simpy.Event:
        return simpy.Event(self.env)

    # -- randomness and observation ----------------------------------------------------------
    def rng(self, name: str) -> random.Random:
        """The named random stream (created on first use; independent of creation order)."""
        return self._streams(name)

    def record(self, source: str, kind: str, **fields: Any) -> None:
        self.trace.record(self.env._now, source, kind, fields)


class _PlainDeadlines:
    """``DeadlineSet``'s interface over ``call_later`` (an environment not laid out as SimPy
    4's, e.g. the real-time bridge's)."""

    __slots__ = ("_sim",)

    def __init__(self, sim: Simulation) -> None:
        self._sim = sim

    def add(self, delay: Real, fn: Callable[..., Any], *args: Any) -> Timer:
        return self._sim.call_later(delay, fn, *args)
