"""One chaos run: a scenario with a drawn schedule written in, run and judged by its invariants.

:class:`ChaosJob` is a :class:`simnet.experiments.worker.Job`, so chaos runs go through the
sweep's executor (process pool or Dask, journal, progress bar) unchanged: a run is a pure
function of the scenario, the chaos seed and the run's index, whatever process runs it.
"""

from __future__ import annotations

import copy
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simnet.chaos.schedule import Schedule, draw_schedule, drawable_actions, schedule_rng
from simnet.experiments.design import Point, set_path
from simnet.experiments.worker import Job
from simnet.scenario.chaos_schema import DEFAULT_INTENSITY, DEFAULT_INVARIANTS, DEFAULT_WINDOW

RESERVED = (
    "run_id",
    "run",
    "seed",
    "passed",
    "failure",
    "virtual_time",
    "faults",
    "broken",
    "schedule",
    "digest",
    "records",
    "error",
)
# A user invariant: fn(sim, result) -> True / None (holds), False / a message (broken).
Invariant = Callable[[Any, Any], Any]


@dataclass
class Verdict:
    """What one run of a schedule showed."""

    passed: bool
    broken: tuple[str, ...]  # invariant names, in the order they were evaluated
    details: dict[str, str]
    result: Any  # the RunResult
    sim: Any = None


def with_schedule(
    data: Mapping[str, Any], schedule: Schedule, seed: int | None = None
) -> dict[str, Any]:
    """Scenario data with ``schedule``'s faults appended to its own and its knobs set."""
    out = copy.deepcopy(dict(data))
    faults = list(out.get("faults") or [])
    faults.extend(copy.deepcopy(list(schedule.faults)))
    if faults:
        out["faults"] = faults
    for key, value in schedule.knobs:
        set_path(out, key, value)
    out.setdefault("chaos", {})
    if out["chaos"] is None:
        out["chaos"] = {}
    if seed is not None:
        out["seed"] = seed
    return out


@dataclass
class ChaosJob(Job):
    """Everything a worker needs: the scenario (its ``chaos:`` block, or the defaults), the
    chaos seed, an optional host program and user invariants."""

    chaos_seed: int = 0
    invariants: dict[str, Invariant] = field(default_factory=dict)
    program_args: dict[str, Any] = field(default_factory=dict)
    _base: Any = field(default=None, repr=False)
    _actions: list[str] | None = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_base"] = None
        state["_actions"] = None
        return state

    @property
    def base(self) -> Any:
        """The validated scenario with a chaos block (defaults when it has none)."""
        if self._base is None:
            data = dict(self.loaded.data)
            if not isinstance(data.get("chaos"), dict):
                data["chaos"] = {}
            self._base = validated(self.loaded, data)
            self._actions = drawable_actions(self._base, self._base.chaos)
        return self._base

    def schedule(self, index: int) -> Schedule:
        base = self.base
        return draw_schedule(base, base.chaos, schedule_rng(self.chaos_seed, index), self._actions)

    def run(self, point: Point) -> dict[str, Any]:
        schedule = self.schedule(point.index)
        row: dict[str, Any] = {"run_id": point.run_id, "seed": point.seed}
        try:
            verdict = self.verdict(schedule, point.seed)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # a schedule the world refuses is a chaos bug: show it, go on
            text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            row.update(
                passed=False,
                failure=f"the run could not be built: {text}",
                virtual_time=0.0,
                faults=len(schedule),
                broken="no-errors",
                schedule=schedule.to_json(),
                digest="",
                records=0,
                error=text,
            )
            return row
        result = verdict.result
        if isinstance(
            result.program_result, dict
        ):  # the program's own figures, as a sweep has them
            row.update(
                {str(k): v for k, v in result.program_result.items() if str(k) not in RESERVED}
            )
        row.update(
            passed=verdict.passed,
            failure=None
            if verdict.passed
            else f"invariant {verdict.broken[0]} broken: {verdict.details[verdict.broken[0]]}",
            virtual_time=float(result.virtual_time),
            faults=len(schedule),
            broken=",".join(verdict.broken),
            schedule=schedule.to_json(),
            digest=result.digest,
            records=result.records,
            error=result.error,
        )
        return row

    def verdict(
        self, schedule: Schedule, seed: int, *, keep_sim: bool = False, trace_stream: Any = None
    ) -> Verdict:
        """Run the scenario with ``schedule`` and seed ``seed``; judge it."""
        return judge(
            self.loaded,
            with_schedule(self.loaded.data, schedule),
            seed,
            program=self.program,
            program_args=self.program_args,
            invariants=self.invariants,
            keep_sim=keep_sim,
            trace_stream=trace_stream,
        )


def validated(loaded: Any, data: Mapping[str, Any]) -> Any:
    from simnet.scenario.api import ScenarioError
    from simnet.scenario.loader import Loaded
    from simnet.scenario.schema import validate

    scenario, problems = validate(
        Loaded(loaded.file, dict(data), loaded.value_lines, loaded.key_lines)
    )
    if problems:
        raise ScenarioError(problems)
    return scenario


def judge(
    loaded: Any,
    data: Mapping[str, Any],
    seed: int,
    *,
    program: Callable[..., Any] | None = None,
    program_args: Mapping[str, Any] | None = None,
    invariants: Mapping[str, Invariant] | None = None,
    keep_sim: bool = False,
    trace_stream: Any = None,
) -> Verdict:
    """Run scenario ``data`` (with a ``chaos:`` block) once with ``seed`` and judge it by its
    invariants and the user's."""
    from simnet.kernel.trace import Trace
    from simnet.scenario.api import Simulation
    from simnet.scenario.model import ProgramSpec
    from simnet.scenario.runner import Runner
    from simnet.scenario.world import preload

    scenario = validated(loaded, data)
    preload(scenario)
    if program is not None:
        scenario.program = ProgramSpec(
            f"<{getattr(program, '__qualname__', 'program')}>", dict(program_args or {})
        )
        scenario.steps = []
    sim = Simulation(
        seed=seed,
        scenario=scenario,
        trace=None if keep_sim or trace_stream else Trace(keep=False),
        trace_stream=trace_stream,
    )
    if program is not None:
        sim.world.program = program
    result = Runner(sim).run()
    broken = [i.name for i in result.invariants if not i.passed]
    details = {i.name: i.detail for i in result.invariants if not i.passed}
    for name, fn in (invariants or {}).items():
        try:
            got = fn(sim, result)
        except Exception as exc:  # noqa: BLE001 - a raising invariant is a broken one, said so
            got = f"raised {type(exc).__name__}: {exc}"
        if got is False or isinstance(got, str):
            broken.append(name)
            details[name] = got if isinstance(got, str) else "returned False"
    sim.trace.close()
    return Verdict(not broken, tuple(broken), details, result, sim if keep_sim else None)


def default_chaos_block() -> dict[str, Any]:
    """The ``chaos:`` defaults, as scenario data (for the docs and ``simnet chaos --show``)."""
    return {
        "window": [f"{DEFAULT_WINDOW[0]:g}s", f"{DEFAULT_WINDOW[1]:g}s"],
        "faults": {"min": 1, "max": 4},
        "intensity": {k: list(v) for k, v in DEFAULT_INTENSITY.items()},
        "invariants": list(DEFAULT_INVARIANTS),
    }
