"""The ``chaos:`` block and ``program:`` key of a scenario: their contract and validation.

``chaos:`` says how ``simnet chaos`` draws fault storms for the scenario and which invariants
judge a run of it::

    chaos:
      window: [5s, 90s]          # every drawn fault starts and ends in here (the storm)
      faults: {min: 1, max: 4}   # faults per schedule (or a number)
      kinds: [loss, link-outage, server-reset]   # default: every action that applies
      exclude: [sim-remove]
      weights: {loss: 3}         # relative draw weights (default 1)
      intensity: {duration: [1s, 20s], loss: [5%, 60%], delay: [200ms, 5s], count: [1, 3],
                  after_bytes: [0, 4096], rate: [2400bps, 64kbps]}
      grace: 30s                 # after the storm, before the module is probed with AT
      settle: 20min              # longest wait for data still in flight to land or fail
      invariants: [integrity, responsive, no-errors, bounded]   # + completes

``program: package.module:function`` (or ``{function: file.py:function, args: {...}}``) runs a
Python host program instead of ``steps:``.
"""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

from simnet.scenario.model import ChaosSpec, ProgramSpec, Scenario

if TYPE_CHECKING:
    from simnet.scenario.schema import Path, Validator

CHAOS_KEYS = ("window", "faults", "kinds", "exclude", "weights", "intensity", "grace", "settle",
              "probe_timeout", "invariants")
# Invariants a chaos run is judged by (simnet.scenario.invariants evaluates them).
INVARIANTS = ("integrity", "responsive", "no-errors", "bounded", "completes")
DEFAULT_INVARIANTS = ("integrity", "responsive", "no-errors", "bounded")
# Ranges of drawn parameters, in SI units (seconds, probability, count, bytes, bit/s).
INTENSITY_KINDS = {"duration": "duration", "loss": "probability", "delay": "duration",
                   "count": "count", "after_bytes": "bytes", "rate": "rate"}
DEFAULT_INTENSITY: dict[str, tuple[float, float]] = {
    "duration": (1.0, 20.0), "loss": (0.05, 0.6), "delay": (0.2, 5.0), "count": (1, 3),
    "after_bytes": (0, 4096), "rate": (2400.0, 64000.0),
}
DEFAULT_WINDOW = (0.0, 60.0)
MAX_FAULTS_PER_SCHEDULE = 64
PROGRAM_KEYS = ("function", "args")
_TARGET = re.compile(r"(?P<where>[A-Za-z_][\w.]*|[\w./-]+\.py):(?P<fn>[A-Za-z_]\w*)")


def validate_chaos(v: Validator, sc: Scenario, value: Any) -> None:
    from simnet.scenario.schema import FAULT_ACTIONS

    path: Path = ("chaos",)
    if value is None:
        value = {}
    m = v.mapping(path, value, CHAOS_KEYS)
    if m is None:
        return
    before = len(v.problems)
    spec = ChaosSpec(line=v.loaded.line_of(path), intensity=dict(DEFAULT_INTENSITY),
                     invariants=list(DEFAULT_INVARIANTS))
    if "window" in m:
        w = m["window"]
        if not isinstance(w, list) or len(w) != 2:
            v.err((*path, "window"), "expected [start, end] such as [5s, 90s]")
        else:
            lo = v.duration((*path, "window", 0), w[0])
            hi = v.duration((*path, "window", 1), w[1], positive=True)
            if lo is not None and hi is not None:
                if hi <= lo:
                    v.err(
                        (*path, "window"),
                        f"the window ends ({hi:g} s) before it starts ({lo:g} s) "
                        "(expected [start, end] with end > start)",
                    )
                else:
                    spec.window = (lo, hi)
    if "faults" in m:
        f = m["faults"]
        if isinstance(f, dict):
            fm = v.mapping((*path, "faults"), f, ("min", "max"))
            if fm is not None:
                raw_lo = fm.get("min", 1)
                raw_hi = fm.get("max", max(4, raw_lo) if isinstance(raw_lo, int) else 4)
                lo_n = v.integer(
                    (*path, "faults", "min"),
                    raw_lo,
                    0,
                    MAX_FAULTS_PER_SCHEDULE,
                    what="a number of faults",
                )
                hi_n = v.integer(
                    (*path, "faults", "max"),
                    raw_hi,
                    1,
                    MAX_FAULTS_PER_SCHEDULE,
                    what="a number of faults",
                )
                if lo_n is not None and hi_n is not None:
                    if hi_n < lo_n:
                        v.err(
                            (*path, "faults"),
                            f"max {hi_n} is below min {lo_n} (expected min <= max)",
                        )
                    else:
                        spec.faults_min, spec.faults_max = lo_n, hi_n
        else:
            n = v.integer(
                (*path, "faults"), f, 1, MAX_FAULTS_PER_SCHEDULE, what="a number of faults"
            )
            if n is not None:
                spec.faults_min = spec.faults_max = n
    actions = tuple(FAULT_ACTIONS)
    for key in ("kinds", "exclude"):
        if key in m:
            names = _action_list(v, (*path, key), m[key], actions)
            if names is not None:
                if key == "kinds":
                    spec.kinds = names
                else:
                    spec.exclude = names
    if "weights" in m:
        wm = v.mapping((*path, "weights"), m["weights"], actions)
        if wm is not None:
            for action, weight in wm.items():
                if action not in actions:
                    continue
                if (
                    isinstance(weight, bool)
                    or not isinstance(weight, int | float)
                    or not 0 <= weight <= 1e6
                ):
                    v.err(
                        (*path, "weights", action),
                        f"got {weight!r} (expected a weight from 0 to 1e6)",
                    )
                else:
                    spec.weights[action] = float(weight)
    if "intensity" in m:
        im = v.mapping((*path, "intensity"), m["intensity"], tuple(INTENSITY_KINDS))
        if im is not None:
            for key, rng in im.items():
                if key in INTENSITY_KINDS:
                    got = _range(v, (*path, "intensity", key), rng, INTENSITY_KINDS[key])
                    if got is not None:
                        spec.intensity[key] = got
    for key in ("grace", "settle", "probe_timeout"):
        if key in m:
            d = v.duration((*path, key), m[key], positive=key == "probe_timeout")
            if d is not None:
                setattr(spec, key, d)
    if "invariants" in m:
        names = m["invariants"]
        if not isinstance(names, list) or not names:
            v.err(
                (*path, "invariants"), f"expected a list of invariants from {', '.join(INVARIANTS)}"
            )
        else:
            spec.invariants = []
            for i, name in enumerate(names):
                invariant = v.choice((*path, "invariants", i), name, INVARIANTS)
                if invariant is not None and invariant not in spec.invariants:
                    spec.invariants.append(invariant)
    if sc.devices:
        v.err(path, "chaos runs take one module (expected module:, not modules:)")
    if len(v.problems) == before:
        sc.chaos = spec


def _action_list(
    v: Validator, path: Path, value: Any, actions: tuple[str, ...]
) -> list[str] | None:
    if not isinstance(value, list):
        v.err(path, f"expected a list of fault actions from {', '.join(actions)}")
        return None
    out = []
    for i, name in enumerate(value):
        got = v.choice((*path, i), name, actions)
        if got is not None and got not in out:
            out.append(got)
    return out


def _range(v: Validator, path: Path, value: Any, kind: str) -> tuple[float, float] | None:
    if not isinstance(value, list) or len(value) != 2:
        v.err(path, "expected [low, high]")
        return None
    got = []
    for i, item in enumerate(value):
        p = (*path, i)
        if kind == "duration":
            x = v.duration(p, item)
        elif kind == "probability":
            x = v.probability(p, item)
        elif kind == "rate":
            x = v.rate(p, item)
        else:
            x = v.integer(p, item, 0 if kind == "bytes" else 1, 1 << 30, what="a whole number")
        if x is None:
            return None
        got.append(float(x))
    if got[1] < got[0]:
        v.err(path, f"high {got[1]:g} is below low {got[0]:g} (expected [low, high])")
        return None
    return got[0], got[1]


def validate_program(v: Validator, sc: Scenario, value: Any) -> None:
    path: Path = ("program",)
    if isinstance(value, str):
        target, args, tp = value, {}, path
    else:
        m = v.mapping(path, value, PROGRAM_KEYS, required=("function",))
        if m is None or "function" not in m:
            return
        target, args, tp = m["function"], m.get("args", {}), (*path, "function")
        if args is None:
            args = {}
        if not isinstance(args, dict) or not all(
            isinstance(k, str) and k.isidentifier() for k in args
        ):
            v.err((*path, "args"), "expected a mapping of keyword arguments (names as identifiers)")
            return
    if not isinstance(target, str) or not _TARGET.fullmatch(target):
        v.err(tp, f"got {target!r} (expected package.module:function or file.py:function)")
        return
    where = _TARGET.fullmatch(target).group("where")  # type: ignore[union-attr]
    if where.endswith(".py"):
        file = resolve_program_file(sc.file, where)
        if file is None:
            v.err(
                tp,
                f"{where}: no such file beside the scenario (expected a .py file in the "
                "scenario's directory or below it)",
            )
            return
    if sc.steps:
        v.err(path, "give steps: or program:, not both (the program is the host)", key=True)
        return
    sc.program = ProgramSpec(target, dict(args), v.loaded.line_of(path))


def resolve_program_file(scenario_file: str, where: str) -> FsPath | None:
    """``file.py`` of a ``program:`` target, inside the scenario file's directory (never above
    it: a scenario names code it ships with, not anything on the machine)."""
    base = (
        FsPath(scenario_file).resolve().parent
        if scenario_file and not scenario_file.startswith("<")
        else FsPath.cwd()
    )
    candidate = (base / where).resolve()
    try:
        candidate.relative_to(base)
    except ValueError:
        return None
    return candidate if candidate.is_file() else None
