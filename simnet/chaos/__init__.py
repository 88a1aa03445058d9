"""``simnet.chaos``: seeded fault storms against a scenario, judged by invariants, with every
failure shrunk to the smallest schedule that still breaks the same invariant.

::

    result = simnet.chaos("scenarios/chaos/sim7600-tcp-echo.yaml", runs=1000, jobs=2)
    result.runs          # one row per run (the sweep's DataFrame format)
    print(result.summary())
    result.shrunk[0].path   # the shrunk failure as a scenario: simnet run reproduces it

Run ``i`` draws its schedule from a random stream named by the chaos ``seed`` and ``i`` (and
runs the scenario with a seed derived the same way), so the same seed gives the same schedules
and verdicts whatever the number of jobs; ``budget`` only decides how many runs get done.
Runs go through the sweep's executor (:func:`simnet.experiments.sweep.run_plan`: process pool or
Dask, resumable journal with ``out=``, progress bar).
"""

from __future__ import annotations

import os
import sys
import time
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simnet.chaos.run import ChaosJob, Invariant, Verdict, judge, with_schedule
from simnet.chaos.schedule import Schedule, draw_schedule, drawable_actions, run_seed, schedule_rng
from simnet.chaos.shrink import Shrunk, shrink
from simnet.chaos.write import file_stem, shrunk_data, write_shrunk
from simnet.errors import ConfigError

__all__ = [
    "ChaosResult",
    "Schedule",
    "Shrunk",
    "chaos",
    "draw_schedule",
    "drawable_actions",
    "judge",
    "replay",
    "run_seed",
    "schedule_rng",
    "schedules",
    "shrink_scenario",
    "with_schedule",
]

HEAD_COLUMNS = ("run_id", "run", "seed", "passed", "failure", "virtual_time", "faults", "broken")
TAIL_COLUMNS = ("schedule", "digest", "records", "error")


@dataclass
class ChaosResult:
    """Runs (a DataFrame, one row per run, in run order), failures per invariant, and the
    shrunk example of each broken invariant."""

    runs: Any
    shrunk: list[Shrunk] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)  # invariant -> written scenario
    scenario: str = ""
    seed: int = 0
    planned: int = 0
    wall: float = 0.0
    budget_spent: bool = False

    @property
    def failures(self) -> dict[str, int]:
        """Runs that broke each invariant."""
        counts: dict[str, int] = {}
        for text in self.runs["broken"]:
            for name in (text or "").split(","):
                if name:
                    counts[name] = counts.get(name, 0) + 1
        return counts

    @property
    def passed(self) -> bool:
        return bool(self.runs["passed"].all()) if len(self.runs) else True

    def summary(self) -> str:
        done = len(self.runs)
        failed = int((~self.runs["passed"]).sum()) if done else 0
        rate = f", {done / self.wall:.1f} runs/s" if self.wall > 0 else ""
        lines = [
            f"chaos: {self.scenario}, seed {self.seed}: {done} of {self.planned} runs"
            f"{' (budget spent)' if self.budget_spent else ''}, {failed} broke an invariant"
            f" ({self.wall:.1f} s wall{rate})"
        ]
        if done:
            faults = self.runs["faults"]
            lines.append(
                f"  faults per schedule: {faults.min()}-{faults.max()} (mean {faults.mean():.1f})"
            )
        counts = self.failures
        if counts:
            lines.append("  invariant        runs  first run  shrunk to")
            for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
                ex = next((s for s in self.shrunk if s.invariant == name), None)
                first = int(
                    self.runs.loc[
                        self.runs["broken"].str.split(",").apply(lambda b, n=name: n in b), "run"
                    ].iloc[0]
                )
                shrunk = f"{len(ex.schedule)} faults in {ex.runs} runs" if ex else "-"
                where = f"  {self.paths[name]}" if name in self.paths else ""
                lines.append(f"  {name:<16} {n:4d}  {first:9d}  {shrunk}{where}")
            for ex in self.shrunk:
                lines.append(f"  {ex.invariant}: {ex.schedule.describe()}")
                lines.append(f"    {ex.detail}")
        else:
            lines.append("  every invariant held")
        return "\n".join(lines)


def chaos(
    scenario: str | os.PathLike[str] | Mapping[str, Any],
    *,
    runs: int = 100,
    seed: int = 0,
    jobs: int | None = None,
    client: Any = None,
    budget: float | str | None = None,
    program: Callable[..., Any] | None = None,
    program_args: Mapping[str, Any] | None = None,
    invariants: Mapping[str, Invariant] | list[Invariant] | None = None,
    shrink_failures: bool = True,
    max_shrink_runs: int = 300,
    shrunk_dir: str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = True,
    progress: bool | None = None,
) -> ChaosResult:
    """Run ``runs`` seeded fault schedules against ``scenario`` and judge each by its
    invariants (the ``chaos:`` block's, default integrity, responsive, no-errors, bounded; its
    ``always:`` checks; ``invariants``: ``{name: fn(sim, result)}`` returning False or a
    message when broken). ``program(sim, **program_args)``: a host program instead of the
    scenario's steps/program. ``budget``: wall-clock limit (``"10min"``) after which no new run
    starts. Each broken invariant's first failing run is shrunk (``max_shrink_runs`` candidate
    runs at most) and, with ``shrunk_dir``, written there as ``<scenario>-<invariant>.yaml``
    (plus its trace, ``.trace.jsonl``). ``out``: the runs as .parquet/.csv/.jsonl (resumable).
    """
    import pandas as pd

    from simnet.experiments.design import Point, run_id
    from simnet.experiments.sweep import finish_output, run_plan
    from simnet.kernel.units import parse_duration
    from simnet.scenario.loader import load_file, locate_data

    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ConfigError("runs", f"expected a positive number of runs, got {runs!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError("seed", f"expected a non-negative integer seed, got {seed!r}")
    budget_s = None if budget is None else parse_duration(budget, "budget")
    if program is not None and not callable(program):
        raise ConfigError("program", f"expected a callable program(sim, **args), got {program!r}")
    named = _named_invariants(invariants)
    if isinstance(scenario, Mapping):
        loaded, source = locate_data(scenario, "<dict>"), "<dict>"
    else:
        source = os.fspath(scenario)
        loaded = load_file(source)
        if loaded.problems:
            from simnet.scenario.api import ScenarioError

            raise ScenarioError(loaded.problems)
    job = ChaosJob(
        loaded,
        [],
        program,
        chaos_seed=seed,
        invariants=named,
        program_args=dict(program_args or {}),
    )
    base = job.base  # validates the scenario and its chaos block before any run
    fingerprint = _fingerprint(loaded.data, seed, program, named)
    plan = [
        Point(i, (("run", i),), run_seed(seed, i), run_id(fingerprint, {"run": i}, seed))
        for i in range(runs)
    ]
    wall0 = time.monotonic()
    deadline = None if budget_s is None else wall0 + budget_s
    spent = [False]

    def stop() -> bool:
        if deadline is not None and time.monotonic() >= deadline:
            spent[0] = True
            return True
        return False

    rows = run_plan(
        job,
        plan,
        jobs=jobs,
        client=client,
        out=out,
        resume=resume,
        progress=progress,
        desc="chaos",
        stop=stop,
    )
    wall = time.monotonic() - wall0
    records = []
    for p in plan:
        row = rows.get(p.run_id)
        if row is not None:
            records.append({**row, "run": p.index})
    extra = list(
        dict.fromkeys(k for r in records for k in r if k not in HEAD_COLUMNS + TAIL_COLUMNS)
    )
    df = pd.DataFrame.from_records(records, columns=[*HEAD_COLUMNS, *extra, *TAIL_COLUMNS])
    if len(df):
        df["passed"] = df["passed"].astype(bool)
        df["broken"] = df["broken"].fillna("")
    if out is not None:
        finish_output(df, Path(out))
    result = ChaosResult(
        df, scenario=base.name, seed=seed, planned=runs, wall=wall, budget_spent=spent[0]
    )
    if shrink_failures and len(df):
        for name in _broken_in_order(df):
            first = df[df["broken"].str.split(",").apply(lambda b, n=name: n in b)].iloc[0]
            schedule = Schedule.from_json(first["schedule"])
            ex = shrink_run(
                job,
                schedule,
                int(first["seed"]),
                name,
                run_index=int(first["run"]),
                max_runs=max_shrink_runs,
            )
            result.shrunk.append(ex)
            if shrunk_dir is not None:
                result.paths[name] = write_example(
                    job, ex, shrunk_dir, source=source, chaos_seed=seed
                )
    result.wall = time.monotonic() - wall0 if not len(df) else wall
    return result


def shrink_run(
    job: ChaosJob,
    schedule: Schedule,
    seed: int,
    invariant: str,
    *,
    run_index: int = 0,
    max_runs: int = 300,
) -> Shrunk:
    """Shrink one failing run's schedule, keeping ``invariant`` broken."""

    def breaks(candidate: Schedule) -> str | None:
        v = job.verdict(candidate, seed)
        return v.details.get(invariant) if invariant in v.broken else None

    first = breaks(schedule)
    if first is None:  # not reproducible in this process: report it as found, unshrunk
        return Shrunk(
            invariant,
            schedule,
            schedule,
            seed,
            run_index,
            1,
            "did not break again when re-run (nondeterminism?)",
        )
    small, n, steps, last = shrink(
        schedule, breaks, window_end=job.base.chaos.window[1], max_runs=max_runs
    )
    return Shrunk(invariant, schedule, small, seed, run_index, n + 1, last or first, steps)


def write_example(
    job: ChaosJob, ex: Shrunk, directory: str | os.PathLike[str], *, source: str, chaos_seed: int
) -> Path:
    """Write ``ex`` as ``<scenario>-<invariant>.yaml`` in ``directory`` with the trace of its run
    beside it (``.trace.jsonl``, for ``simnet plot``)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    named = Path(source).stem if source and not source.startswith("<") else job.base.name
    stem = file_stem(named, ex.invariant)
    path = directory / f"{stem}.yaml"
    program = program_target(job.program) if job.program is not None else None
    data = shrunk_data(job.loaded.data, ex, source=source, chaos_seed=chaos_seed, program=program)
    if job.program is not None and program is None:
        data["description"] += (
            " The host program was a Python callable with no importable name: "
            "name it in program: to replay this file with simnet run."
        )
    write_shrunk(path, data, ex)
    trace_path = directory / f"{stem}.trace.jsonl"
    with open(trace_path, "w", encoding="utf-8") as fp:
        judge(
            job.loaded,
            with_schedule(job.loaded.data, ex.schedule),
            ex.seed,
            program=job.program,
            program_args=job.program_args,
            invariants=job.invariants,
            trace_stream=fp,
        )
    return path


def shrink_scenario(
    path: str | os.PathLike[str],
    invariant: str,
    *,
    shrunk_dir: str | os.PathLike[str],
    max_runs: int = 300,
) -> tuple[Shrunk, Path] | None:
    """Shrink the timed faults (``at:``) of a failing scenario file - a session written by
    ``simnet serve --chaos``, or any scenario - keeping ``invariant`` broken; None if it does
    not break. The result is written to ``shrunk_dir`` like a chaos run's."""
    from simnet.scenario.loader import Loaded, load_file

    loaded = load_file(os.fspath(path))
    if loaded.problems:
        from simnet.scenario.api import ScenarioError

        raise ScenarioError(loaded.problems)
    data = dict(loaded.data)
    faults = list(data.get("faults") or [])
    timed = [f for f in faults if isinstance(f, Mapping) and "at" in f]
    base_data = {**data, "faults": [f for f in faults if f not in timed]}
    base = Loaded(loaded.file, base_data, loaded.value_lines, loaded.key_lines)
    job = ChaosJob(base, [], None)
    job.base  # noqa: B018 - validates
    seed = int(data.get("seed", 1))
    ex = shrink_run(
        job, Schedule(tuple(dict(f) for f in timed)), seed, invariant, max_runs=max_runs
    )
    if ex.runs == 1 and ex.schedule == ex.original and "did not break" in ex.detail:
        return None
    return ex, write_example(job, ex, shrunk_dir, source=os.fspath(path), chaos_seed=0)


def program_target(fn: Callable[..., Any]) -> str | None:
    """``package.module:function`` of an importable top-level function, else None."""
    module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if not module or module == "__main__" or "." in qualname or "<" in qualname:
        return None
    return f"{module}:{qualname}"


def _named_invariants(invariants: Any) -> dict[str, Invariant]:
    if invariants is None:
        return {}
    if isinstance(invariants, Mapping):
        items = list(invariants.items())
    else:
        items = [(getattr(fn, "__name__", f"invariant{i}"), fn) for i, fn in enumerate(invariants)]
    out = {}
    for name, fn in items:
        if not callable(fn):
            raise ConfigError(
                "invariants", f"{name}: expected a callable fn(sim, result), got {fn!r}"
            )
        out[str(name)] = fn
    return out


def _broken_in_order(df: Any) -> list[str]:
    seen: list[str] = []
    for text in df["broken"]:
        for name in (text or "").split(","):
            if name and name not in seen:
                seen.append(name)
    return seen


def _fingerprint(data: Any, seed: int, program: Any, invariants: Mapping[str, Any]) -> str:
    from simnet.experiments.design import canonical
    from simnet.experiments.worker import job_key

    return job_key(
        canonical(
            {
                "data": data,
                "chaos_seed": seed,
                "program": program_target(program) if program else None,
                "invariants": sorted(invariants),
            }
        ).encode()
    )


def replay(
    path: str | os.PathLike[str],
    *,
    invariants: Mapping[str, Invariant] | None = None,
    program: Callable[..., Any] | None = None,
) -> Verdict:
    """Run a (shrunk) chaos scenario file once with its own seed and judge it."""
    from simnet.scenario.loader import load_file

    loaded = load_file(os.fspath(path))
    if loaded.problems:
        from simnet.scenario.api import ScenarioError

        raise ScenarioError(loaded.problems)
    data = dict(loaded.data)
    data.setdefault("chaos", {})
    return judge(
        loaded,
        data,
        int(data.get("seed", 1)),
        program=program,
        invariants=invariants,
        keep_sim=True,
    )


def schedules(
    scenario: str | os.PathLike[str] | Mapping[str, Any], runs: list[int] | range, *, seed: int = 0
) -> list[tuple[int, Schedule]]:
    """The schedules runs ``runs`` of ``chaos(scenario, seed=seed)`` draw (nothing is run)."""
    from simnet.scenario.loader import load_file, locate_data

    loaded = (
        locate_data(scenario, "<dict>")
        if isinstance(scenario, Mapping)
        else load_file(os.fspath(scenario))
    )
    if loaded.problems:
        from simnet.scenario.api import ScenarioError

        raise ScenarioError(loaded.problems)
    job = ChaosJob(loaded, [], None, chaos_seed=seed)
    return [(i, job.schedule(i)) for i in runs]


class _ChaosModule(types.ModuleType):
    """``simnet.chaos(...)`` runs :func:`chaos`, as ``simnet.sweep(...)`` runs a sweep, while
    ``simnet.chaos.hosts`` and the rest stay reachable as a package's modules."""

    def __call__(self, *args: Any, **kwargs: Any) -> ChaosResult:
        return chaos(*args, **kwargs)


sys.modules[__name__].__class__ = _ChaosModule
