"""Shrinking: the smallest schedule that still breaks the same invariant.

Greedy and deterministic, in the manner of delta debugging (Zeller) and Hypothesis's shrinker:
each pass proposes simpler schedules and keeps the first that still breaks the invariant, until
a whole pass changes nothing (or the run budget is spent):

1. fewer faults - drop halves, then single faults, then the world variants;
2. shorter windows - halve each fault's duration (down to 100 ms);
3. later starts - move each fault halfway towards the end of the storm;
4. smaller intensities - halve loss, delay and reply counts, turn a burst-loss model into a plain
   probability, drop optional parameters (cause, count, direction: their defaults).

A candidate is a full run with the failing run's seed, so what is kept reproduces exactly.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from simnet.chaos.schedule import Schedule, duration_text, seconds

MIN_DURATION = 0.1
OPTIONAL_PARAMS = ("cause", "count", "direction", "mode", "connection")


@dataclass
class Shrunk:
    invariant: str
    original: Schedule
    schedule: Schedule
    seed: int
    run_index: int
    runs: int  # candidate runs it took
    detail: str  # the invariant's message on the shrunk schedule
    steps: list[str] = field(default_factory=list)  # what each accepted simplification did


def shrink(schedule: Schedule, breaks: Callable[[Schedule], str | None], *, window_end: float,
           max_runs: int = 300) -> tuple[Schedule, int, list[str], str | None]:
    """Smallest schedule for which ``breaks`` still returns a message (None: it holds).

    Returns (schedule, candidate runs, accepted steps, last message)."""
    runs = 0
    steps: list[str] = []
    current = schedule
    last: str | None = None
    changed = True
    while changed and runs < max_runs:
        changed = False
        for label, candidate in _candidates(current, window_end):
            if runs >= max_runs:
                break
            if candidate == current:
                continue
            runs += 1
            msg = breaks(candidate)
            if msg is not None:
                current, last = candidate, msg
                steps.append(label)
                changed = True
                break  # start over from the simpler schedule: earlier passes may apply again
    return current, runs, steps, last


def _with(s: Schedule, faults: list[dict[str, Any]] | None = None, knobs: Any = None) -> Schedule:
    fs = faults if faults is not None else list(s.faults)
    fs = sorted(fs, key=lambda f: (seconds(f["at"]), f["action"]))
    return Schedule(tuple(fs), tuple(knobs) if knobs is not None else s.knobs)


def _candidates(s: Schedule, window_end: float) -> Iterator[tuple[str, Schedule]]:
    faults = list(s.faults)
    n = len(faults)
    # 1. fewer faults: halves first (big steps), then one at a time
    if n >= 4:
        half = n // 2
        yield "kept the first half of the faults", _with(s, faults[:half])
        yield "kept the second half of the faults", _with(s, faults[half:])
    for i in range(n):
        yield (
            f"removed {faults[i]['action']} at {faults[i]['at']}",
            _with(s, faults[:i] + faults[i + 1 :]),
        )
    for i, (key, _v) in enumerate(s.knobs):
        yield f"removed the variant {key}", _with(s, knobs=s.knobs[:i] + s.knobs[i + 1 :])
    # 2. shorter windows
    for i, f in enumerate(faults):
        if "duration" in f and seconds(f["duration"]) > MIN_DURATION:
            g = dict(f)
            g["duration"] = duration_text(max(MIN_DURATION, seconds(f["duration"]) / 2))
            yield f"halved the duration of {f['action']} at {f['at']}", _replace(s, i, g)
    # 3. later starts
    for i, f in enumerate(faults):
        at = seconds(f["at"])
        end = at + (seconds(f["duration"]) if "duration" in f else 0.0)
        room = window_end - end
        if room > 0.5:
            g = dict(f)
            g["at"] = duration_text(at + room / 2)
            yield f"moved {f['action']} from {f['at']} to {g['at']}", _replace(s, i, g)
    # 4. smaller intensities
    for i, f in enumerate(faults):
        for label, g in _milder(f):
            yield f"{label} of {f['action']} at {f['at']}", _replace(s, i, g)


def _replace(s: Schedule, i: int, fault: dict[str, Any]) -> Schedule:
    faults = list(s.faults)
    faults[i] = fault
    return _with(s, faults)


def _milder(f: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    loss = f.get("loss")
    if isinstance(loss, dict):
        g = copy.deepcopy(f)
        g["loss"] = round(float(loss.get("p", 0.1)) * 4, 4)
        yield "made the burst loss a plain probability", g
    elif isinstance(loss, int | float) and loss > 0.01:
        g = dict(f)
        g["loss"] = round(loss / 2, 4)
        yield "halved the loss", g
    if "delay" in f and f["action"] in ("delay", "server-slow-greeting"):
        d = seconds(f["delay"])
        if d > 0.01:
            g = dict(f)
            g["delay"] = duration_text(d / 2)
            yield "halved the delay", g
    for key in OPTIONAL_PARAMS:
        if key in f:
            g = dict(f)
            del g[key]
            yield f"dropped {key}", g
    if isinstance(f.get("count"), int) and f["count"] > 1:
        g = dict(f)
        g["count"] = f["count"] // 2
        yield "halved the count", g
    if isinstance(f.get("after_bytes"), int) and f["after_bytes"] > 0:
        g = dict(f)
        g["after_bytes"] = f["after_bytes"] // 2
        yield "halved after_bytes", g
