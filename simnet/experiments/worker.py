"""The side of a sweep that runs in worker processes (local pool or Dask workers).

A :class:`Job` is everything a worker needs, sent once per process (pickled with cloudpickle
when available, so lambdas and functions defined in a notebook work); it keeps validated
scenarios per parameter combination, so a process builds each only once. Each run builds a
fresh world from the seed: nothing carries over from one run to the next, which is why a row
does not depend on which worker ran it or what it ran before.
"""

from __future__ import annotations

import copy
import hashlib
import pickle
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from simnet.errors import ExpectTimeout
from simnet.experiments.design import Point, set_path
from simnet.experiments.metrics import Metric, TraceCounter, evaluate, resolve_steps
from simnet.kernel.trace import Trace

Program = Callable[..., Any]


@dataclass
class Job:
    """A scenario (as loaded data with its line numbers), metrics and an optional program."""

    loaded: Any  # simnet.scenario.loader.Loaded
    metrics: list[Metric]
    program: Program | None = None
    _scenarios: dict[tuple[tuple[str, Any], ...], Any] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_scenarios"] = {}  # rebuilt in each process
        return state

    def run(self, point: Point) -> dict[str, Any]:
        """One run: a row of the result (subclasses run other kinds of job on the same pool)."""
        return run_point(self, point)

    def scenario(self, params: tuple[tuple[str, Any], ...]) -> Any:
        """The validated scenario with ``params`` written in (cached); raises ScenarioError."""
        cached = self._scenarios.get(params)
        if cached is not None:
            return cached
        from simnet.scenario.api import ScenarioError
        from simnet.scenario.loader import Loaded
        from simnet.scenario.schema import validate
        from simnet.scenario.world import preload

        data = copy.deepcopy(self.loaded.data)
        for key, value in params:
            set_path(data, key, value)
        loaded = Loaded(self.loaded.file, data, self.loaded.value_lines, self.loaded.key_lines)
        scenario, problems = validate(loaded)
        if problems or scenario is None:
            raise ScenarioError([_name_the_sweep(p, params) for p in problems])
        resolve_steps(self.metrics, scenario)
        preload(scenario)
        self._scenarios[params] = scenario
        return scenario


def _name_the_sweep(problem: Any, params: tuple[tuple[str, Any], ...]) -> Any:
    """A problem in a key the sweep wrote says so: its FILE:LINE is where the nearest key of the
    file is (``network:`` for a mistyped ``network.lnk.loss``), not where the value came from."""
    for key, value in params:
        path = problem.path
        inside = key.startswith((path + ".", path + "[")) or path.startswith((key + ".", key + "["))
        if key == path or inside:
            note = f" (a value of the sweep: {key}={value!r})"
            return replace(problem, message=problem.message + note)
    return problem


def run_point(job: Job, point: Point) -> dict[str, Any]:
    """One run: a row of the result (without the parameter columns, added by the caller)."""
    from simnet.scenario.api import Simulation
    from simnet.scenario.runner import Runner, RunResult

    scenario = job.scenario(point.scenario_params)
    counter = TraceCounter(job.metrics)
    trace = Trace()
    if counter.wanted:
        trace.add_sink(counter, counter.kinds)
    sim = Simulation(seed=point.seed, scenario=scenario, trace=trace)
    row: dict[str, Any] = {"run_id": point.run_id, "seed": point.seed}
    error: str | None = None
    extra: dict[str, Any] = {}
    if job.program is None:
        result = Runner(sim).run()
    else:
        runner = Runner(sim)
        passed = True
        try:
            out = job.program(sim, **point.program_params)
        except ExpectTimeout as exc:  # the host gave up waiting: a failed run, not a crash
            passed, out = False, None
            error = f"ExpectTimeout: {exc}"
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            passed, out = False, None
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        finally:
            sim.cancel_tasks()  # host tasks the program left waiting end with the run
        if isinstance(out, bool):
            passed = passed and out
        elif isinstance(out, dict):
            extra = {str(k): v for k, v in out.items()}
        elif out is not None:
            extra = {"result": out}
        checks = [runner.run_check(c) for c in scenario.checks]
        passed = passed and all(c.passed for c in checks) and not sim.world.fault_errors
        sim.record("runner", "end", passed=passed)
        result = RunResult(scenario=scenario.name, file=scenario.file, seed=point.seed,
                           passed=passed, virtual_time=sim.now, wall_time=0.0, checks=checks,
                           digest=sim.trace.digest(), records=len(sim.trace), error=error)
    row["passed"] = bool(result.passed)
    row["failure"] = _failure(result)
    row["virtual_time"] = float(result.virtual_time)
    values = evaluate(job.metrics, sim, result, counter)
    if "error" in values:
        error = error or values.pop("error")
    row.update(extra)
    row.update(values)
    row["digest"] = result.digest
    row["records"] = result.records
    row["error"] = error or result.error
    return row


def _failure(result: Any) -> str | None:
    f = result.failure
    if f is None:
        return "fault could not be applied" if result.fault_errors else None
    if hasattr(f, "kind") and hasattr(f, "text"):  # a step
        return f"step {f.index + 1} {f.kind} {f.text!r}: {f.detail}"
    return f"check {f.index + 1} {f.kind} {f.host}: {f.detail}"


# -- process-level entry points ----------------------------------------------------------------
_JOBS: dict[str, Job] = {}


def dumps(job: Job) -> bytes:
    try:
        import cloudpickle
    except ImportError:  # plain pickle: metrics and programs must be importable functions
        return pickle.dumps(job)
    return cloudpickle.dumps(job)


def job_key(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def load_job(key: str, blob: bytes) -> Job:
    job = _JOBS.get(key)
    if job is None:
        _JOBS.clear()  # one sweep at a time per process
        job = _JOBS[key] = pickle.loads(blob)
    return job


def init_process(key: str, blob: bytes) -> None:
    """Pool initializer: unpickle the job once per worker process."""
    load_job(key, blob)


def run_chunk(key: str, blob: bytes | None, points: list[Point]) -> list[dict[str, Any]]:
    """Run ``points`` in this process (pool task or Dask task); ``blob`` may be None when the
    pool initializer already delivered the job."""
    job = _JOBS.get(key) if blob is None else load_job(key, blob)
    if job is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("sweep worker started without its job")
    return [job.run(p) for p in points]
