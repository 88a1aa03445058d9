"""``simnet.sweep``: many runs of one scenario over parameter values and seeds, on all cores
(a ``concurrent.futures`` process pool) or on a Dask cluster, as one tidy DataFrame.

Rows come back in design order whatever finished first, and each run is a pure function of the
scenario, its parameter values and its seed, so the result — digests included — is the same
for any number of workers. With ``out=`` every finished run is appended to a journal next to
the output file (``OUT.journal.jsonl``) as it arrives; running the same sweep again skips the
runs already there, so an interrupted sweep continues where it stopped.
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from simnet.errors import ConfigError
from simnet.experiments import worker
from simnet.experiments.design import (
    Point,
    canonical,
    expand,
    is_scenario_key,
    parse_seeds,
    points,
    si_number,
)
from simnet.experiments.metrics import parse_metrics

FIXED_COLUMNS = ("run_id", "seed", "passed", "failure", "virtual_time")
TAIL_COLUMNS = ("digest", "records", "error")
OUTPUT_SUFFIXES = (".parquet", ".csv", ".jsonl")


class SweepInterrupted(KeyboardInterrupt):
    """Raised when a sweep is interrupted; ``done`` runs are saved (with ``out=``)."""

    def __init__(self, done: int, total: int, journal: str | None) -> None:
        super().__init__(f"sweep interrupted after {done} of {total} runs")
        self.done, self.total, self.journal = done, total, journal


def sweep(
    scenario: str | os.PathLike[str] | Mapping[str, Any],
    *,
    grid: Mapping[str, Any] | None = None,
    zip: Mapping[str, Any] | None = None,  # noqa: A002 - the design's name
    random: Mapping[str, Any] | None = None,  # noqa: A002
    samples: int = 0,
    design_seed: int = 0,
    seeds: int | str | Iterable[int] = 1,
    metrics: Mapping[str, Any] | list[Any] | None = None,
    program: Callable[..., Any] | None = None,
    jobs: int | None = None,
    client: Any = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = True,
    progress: bool | None = None,
) -> Any:  # pandas.DataFrame
    """Run ``scenario`` once per design point and seed; one row per run.

    ``grid`` (cartesian product), ``zip`` (rows of equal-length lists) and ``random``
    (``samples`` draws per key from ``uniform(a, b)`` / ``loguniform`` / ``randint`` /
    ``choice``, seeded by ``design_seed``) map dotted scenario keys (``network.link.loss``) —
    or names of ``program`` keyword arguments — to values; the designs multiply. ``seeds``:
    ``"1-100"``, a list, or N for seeds 1..N. ``metrics``: ``{name: expression or callable}``
    (see :mod:`simnet.experiments.metrics`). ``program(sim, **params)``: a host program run
    instead of the scenario's steps (its dict result becomes columns; False or an exception
    fails the run). ``jobs``: worker processes (default: all cores; 1 runs in this process).
    ``client``: a ``dask.distributed.Client`` or scheduler address. ``out``: ``.parquet``,
    ``.csv`` or ``.jsonl``, written at the end; the journal beside it makes the sweep
    resumable (``resume=False`` starts afresh).

    Columns: ``run_id``, one per parameter (numbers in SI units when the values were written
    with units: ``300ms`` -> 0.3, ``1%`` -> 0.01), ``seed``, ``passed``, ``failure``,
    ``virtual_time``, the metrics, ``digest``, ``records``, ``error``.
    """
    import pandas as pd

    from simnet.scenario.loader import load_file, locate_data

    if isinstance(scenario, Mapping):
        loaded = locate_data(scenario, "<dict>")
    else:
        loaded = load_file(os.fspath(scenario))
        if loaded.problems:
            from simnet.scenario.api import ScenarioError

            raise ScenarioError(loaded.problems)
    parsed_metrics = parse_metrics(metrics)
    combos = expand(grid, zip, random, samples, design_seed)
    program_keys = sorted({k for c in combos for k in c if not is_scenario_key(k)})
    if program_keys and program is None:
        raise ConfigError(program_keys[0], "not a scenario key (expected one of the top-level "
                          "keys such as network.link.loss) and no program= takes it as an argument")
    if program is not None and not callable(program):
        raise ConfigError("program", f"expected a callable program(sim, **params), got {program!r}")
    seed_list = parse_seeds(seeds)
    job = worker.Job(loaded, parsed_metrics, program)
    fingerprint = worker.job_key(
        canonical(
            {
                "data": loaded.data,
                "metrics": [m.text for m in parsed_metrics],
                "program": _program_name(program),
            }
        ).encode()
    )
    plan = points(combos, seed_list, fingerprint)
    # Validate every combination here: a bad value fails the sweep before any run starts.
    for combo in {tuple(c.items()): None for c in combos}:
        job.scenario(tuple((k, v) for k, v in combo if is_scenario_key(k)))

    out_path, _journal = _paths(out)
    rows = run_plan(
        job,
        plan,
        jobs=jobs,
        client=client,
        out=out,
        resume=resume,
        progress=progress,
        metric_names=[m.name for m in parsed_metrics],
    )
    df = _frame(pd, plan, rows, parsed_metrics)
    if out_path is not None:
        finish_output(df, out_path)
    return df


class BudgetSpent(Exception):
    """Raised by ``run_plan``'s ``stop`` check: no more runs are started."""


def run_plan(
    job: worker.Job,
    plan: list[Point],
    *,
    jobs: int | None,
    client: Any,
    out: Any,
    resume: bool,
    progress: bool | None,
    metric_names: list[str] | None = None,
    desc: str = "sweep",
    stop: Callable[[], bool] | None = None,
) -> dict[str, dict[str, Any]]:
    """Run every point of ``plan`` not already done (``out``'s journal), on a process pool or a
    Dask cluster, with a progress bar; rows by run id. ``stop()`` (checked as rows arrive)
    ends the plan early: the rows so far are returned (and kept in the journal)."""
    out_path, journal = _paths(out)
    rows: dict[str, dict[str, Any]] = {}
    if out_path is not None:
        if resume:
            rows = _previous_rows(out_path, journal, {p.run_id for p in plan}, metric_names or [])
        elif journal is not None:
            journal.unlink(missing_ok=True)
    todo = [p for p in plan if p.run_id not in rows]
    bar = _progress_bar(len(plan), len(plan) - len(todo), progress, desc)
    fp = journal.open("a", encoding="utf-8") if (journal is not None and todo) else None
    by_id = {p.run_id: p for p in plan}

    def accept(batch: list[dict[str, Any]]) -> None:
        for row in batch:
            rows[row["run_id"]] = row
            if fp is not None:
                fp.write(json.dumps(_jsonable_row(row, by_id[row["run_id"]])) + "\n")
        if fp is not None:
            fp.flush()
        if bar is not None:
            bar.update(len(batch))
        if stop is not None and stop():
            raise BudgetSpent

    try:
        if todo:
            execute(job, todo, jobs, client, accept)
    except BudgetSpent:
        pass
    except KeyboardInterrupt:
        raise SweepInterrupted(len(rows), len(plan), str(journal) if journal else None) from None
    finally:
        if fp is not None:
            fp.close()
        if bar is not None:
            bar.close()
    return rows


def finish_output(df: Any, out_path: Path) -> None:
    """Write the result and drop the journal that made it resumable."""
    _write(df, out_path)
    out_path.with_name(out_path.name + ".journal.jsonl").unlink(missing_ok=True)


def _program_name(program: Any) -> str | None:
    if program is None:
        return None
    return f"{getattr(program, '__module__', '')}.{getattr(program, '__qualname__', repr(program))}"


# -- execution ---------------------------------------------------------------------------------
def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _chunks(todo: list[Point], workers: int) -> list[list[Point]]:
    # Enough chunks to balance the load and move the progress bar; few enough to keep the
    # per-task overhead (pickling, scheduling) far below the runs' own cost.
    size = max(1, min(50, math.ceil(len(todo) / (workers * 10))))
    return [todo[i : i + size] for i in range(0, len(todo), size)]


def execute(
    job: worker.Job,
    todo: list[Point],
    jobs: int | None,
    client: Any,
    accept: Callable[[list[dict[str, Any]]], None],
) -> None:
    """Run ``todo`` with ``job.run`` in this process (``jobs=1``), a process pool or on Dask;
    ``accept`` gets each finished chunk of rows as it arrives."""
    if client is not None:
        _execute_dask(job, todo, client, accept)
        return
    workers = default_jobs() if jobs is None else jobs
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError("jobs", f"expected a positive number of worker processes, got {jobs!r}")
    chunks = _chunks(todo, workers)
    workers = min(workers, len(chunks))
    if workers == 1:
        for chunk in chunks:
            accept([job.run(p) for p in chunk])
        return
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    blob = worker.dumps(job)
    key = worker.job_key(blob)
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_mp_context(),
        initializer=worker.init_process,
        initargs=(key, blob),
    ) as pool:
        pending = {pool.submit(worker.run_chunk, key, None, c) for c in chunks}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    accept(fut.result())
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise


def _mp_context() -> Any:
    """``fork`` from a single-threaded process (fast; no re-import of ``__main__``), else
    ``forkserver`` (a Jupyter kernel has threads, and forking threads is unsafe)."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["simnet.experiments.worker", "simnet.scenario.world"])
        return ctx
    return multiprocessing.get_context("spawn")


def _execute_dask(
    job: worker.Job, todo: list[Point], client: Any, accept: Callable[[list[dict[str, Any]]], None]
) -> None:
    try:
        from dask.distributed import Client, as_completed
    except ImportError as exc:
        raise ImportError(
            "a Dask sweep needs dask.distributed: pip install 'simnet[dask]'"
        ) from exc
    own = isinstance(client, str)
    if own:
        client = Client(client)
    try:
        blob = worker.dumps(job)
        key = worker.job_key(blob)
        [blob_future] = client.scatter([blob], broadcast=True)
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        futures = [
            client.submit(worker.run_chunk, key, blob_future, c, pure=False)
            for c in _chunks(todo, workers)
        ]
        try:
            for fut in as_completed(futures):
                accept(fut.result())
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        if own:
            client.close()


# -- results -----------------------------------------------------------------------------------
def _paths(out: Any) -> tuple[Path | None, Path | None]:
    if out is None:
        return None, None
    path = Path(out)
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise ConfigError("out", f"{path}: expected a file ending in {', '.join(OUTPUT_SUFFIXES)}")
    if not path.parent.exists():
        raise ConfigError("out", f"{path}: directory {path.parent} does not exist")
    if path.suffix.lower() == ".parquet":  # say so before the runs, not after them
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ImportError(
                "Parquet output needs pyarrow: pip install 'simnet[data]' (or write .csv / .jsonl)"
            ) from None
    return path, path.with_name(path.name + ".journal.jsonl")


def _jsonable_row(row: dict[str, Any], point: Point) -> dict[str, Any]:
    out: dict[str, Any] = {"_params": [[k, v] for k, v in point.params]}
    for k, v in row.items():
        out[k] = None if isinstance(v, float) and math.isnan(v) else v
    return out


def _previous_rows(
    out_path: Path, journal: Path | None, wanted: set[str], metric_names: list[str]
) -> dict[str, dict[str, Any]]:
    """Rows of an earlier (partial) run of the same sweep: the output file, then the journal.
    A row is reused only if it has every metric asked for now."""
    found: list[dict[str, Any]] = []
    if out_path.exists():
        try:
            found.extend(_read_output(out_path))
        except Exception as exc:  # noqa: BLE001 - an unreadable file means starting over
            print(f"simnet sweep: ignoring unreadable {out_path}: {exc}", file=sys.stderr)
    if journal is not None and journal.exists():
        with journal.open(encoding="utf-8") as fp:
            for line in fp:
                try:
                    found.append(json.loads(line))
                except json.JSONDecodeError:
                    break  # a line cut by the interruption: the run is simply done again
    rows: dict[str, dict[str, Any]] = {}
    for row in found:
        rid = row.get("run_id")
        if rid in wanted and all(
            m in row or any(k.startswith(m + ".") for k in row) for m in metric_names
        ):
            row = {k: v for k, v in row.items() if k != "_params"}
            rows[rid] = row
    return rows


def _read_output(path: Path) -> list[dict[str, Any]]:
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix == ".parquet":
        df = pd.read_parquet(path)
    elif suffix == ".csv":
        df = pd.read_csv(path)
    else:
        df = pd.read_json(path, lines=True)
    records = df.to_dict(orient="records")
    for r in records:
        for k, v in list(r.items()):
            if isinstance(v, float) and math.isnan(v):
                r[k] = None
    return records


def _param_column(values: list[Any]) -> list[Any]:
    """Numbers in SI units when every value is a number or a number with a unit; else as given
    (as text when the types are mixed, so Parquet can store the column)."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return values
    numbers = [si_number(v) for v in values]
    if all(n is not None for n in numbers):
        return numbers
    if len({type(v) for v in values}) > 1:
        return [None if v is None else str(v) for v in values]
    return values


def _frame(pd: Any, plan: list[Point], rows: dict[str, dict[str, Any]], metrics: list[Any]) -> Any:
    param_keys: list[str] = []
    for p in plan[:1] or []:
        param_keys = [k for k, _ in p.params]
    params = {k: _param_column([dict(p.params)[k] for p in plan]) for k in param_keys}
    records = []
    for i, p in enumerate(plan):
        row = dict(rows[p.run_id])
        rec: dict[str, Any] = {"run_id": p.run_id}
        for k in param_keys:
            rec[k] = params[k][i]
        rec.update(row)
        records.append(rec)
    extra = []
    for rec in records:
        for k in rec:
            if (
                k not in extra
                and k not in FIXED_COLUMNS
                and k not in TAIL_COLUMNS
                and k not in param_keys
            ):
                extra.append(k)
    metric_names = [m.name for m in metrics]
    metric_cols = [k for n in metric_names for k in extra if k == n or k.startswith(n + ".")]
    extra = [k for k in extra if k not in metric_cols] + metric_cols
    columns = [
        "run_id",
        *param_keys,
        "seed",
        "passed",
        "failure",
        "virtual_time",
        *extra,
        *TAIL_COLUMNS,
    ]
    df = pd.DataFrame.from_records(records, columns=columns)
    for name in metric_names:  # NaN rather than None: numeric columns stay numeric
        if name in df.columns and df[name].dtype == object:
            converted = pd.to_numeric(df[name], errors="coerce")
            if converted.notna().sum() == df[name].notna().sum():
                df[name] = converted
    df["passed"] = df["passed"].astype(bool)
    return df


def _write(df: Any, path: Path) -> None:
    suffix = path.suffix.lower()
    tmp = path.with_name(path.name + ".tmp")
    if suffix == ".parquet":
        try:
            df.to_parquet(tmp, index=False)
        except ImportError as exc:
            raise ImportError("Parquet output needs pyarrow: pip install 'simnet[data]'") from exc
    elif suffix == ".csv":
        df.to_csv(tmp, index=False)
    else:
        df.to_json(tmp, orient="records", lines=True)
    os.replace(tmp, path)


# -- progress ----------------------------------------------------------------------------------
def _progress_bar(total: int, done: int, progress: bool | None, desc: str = "sweep") -> Any:
    if progress is None:  # a terminal or a notebook shows a bar; pipes and CI do not
        progress = sys.stderr.isatty() or "ipykernel" in sys.modules
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, initial=done, unit="run", desc=desc, smoothing=0.1)
