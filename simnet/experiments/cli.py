"""``simnet sweep``: the command-line face of :func:`simnet.sweep`.

Exit status: 0 the sweep completed (failed runs are data, counted in the summary); 2 invalid
scenario, values or options; 130 interrupted (finished runs are kept: run the same command
again to continue).
"""

from __future__ import annotations

import argparse
import sys
from typing import IO, Any

from simnet.errors import ConfigError

EXIT_OK, EXIT_USAGE, EXIT_INTERRUPTED = 0, 2, 130


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="simnet sweep",
        description="Run a scenario over parameter values and seeds on all cores (or a Dask "
        "cluster); one row per run.",
        epilog="example: simnet sweep scenarios/quickstart.yaml --set network.link.loss=0,1%,5% "
        "--set network.link.delay=100ms,600ms --seeds 1-30 "
        "--metric 'connect=between(\"AT+CIPOPEN\", \"+CIPOPEN: 0,0\")' --out results.parquet",
    )
    p.add_argument("file", metavar="SCENARIO.yaml", nargs="?")
    p.add_argument(
        "--example",
        metavar="NAME",
        help="a scenario of the shipped library instead of a file (simnet examples lists them)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="grid: every combination of every --set (dotted scenario key)",
    )
    p.add_argument(
        "--zip",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="zipped: the i-th values of every --zip go together",
    )
    p.add_argument(
        "--random",
        action="append",
        default=[],
        metavar="KEY=DIST",
        help="random design: uniform(a,b), loguniform(a,b), randint(a,b), choice(a,b,...)",
    )
    p.add_argument("--samples", type=int, default=0, help="rows drawn for --random (default 1)")
    p.add_argument("--design-seed", type=int, default=0, help="seed of the --random draws")
    p.add_argument("--seeds", default="1", help="scenario seeds: 1-100, 1,5,9 or 7 (default 1)")
    p.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="NAME=EXPR",
        help="step_time(S), between(A,B), check(N[,key]), count(KIND[,SOURCE]), "
        "first/last(KIND), retransmissions, urcs, bytes_up, bytes_down, airtime, "
        "or pkg.module:function",
    )
    p.add_argument(
        "--jobs", "-j", type=int, default=None, help="worker processes (default: all cores)"
    )
    p.add_argument("--dask", metavar="tcp://HOST:8786", help="run on this Dask scheduler")
    p.add_argument(
        "--out", metavar="FILE.parquet|csv|jsonl", help="write every row here (resumable)"
    )
    p.add_argument(
        "--restart", action="store_true", help="ignore the results of an earlier run of this sweep"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(
    argv: list[str] | None = None, out: IO[str] | None = None, err: IO[str] | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    from simnet.experiments.design import parse_assignment
    from simnet.experiments.sweep import SweepInterrupted, sweep
    from simnet.library import scenario_argument
    from simnet.scenario.api import ScenarioError

    try:
        args.file = scenario_argument(args.file, args.example)
        grid = dict(parse_assignment(s, "--set") for s in args.set)
        zipped = dict(parse_assignment(s, "--zip") for s in args.zip)
        rand = dict(parse_assignment(s, "--random") for s in args.random)
        metrics = dict(parse_assignment(s, "--metric") for s in args.metric)
        if rand and args.samples < 1:
            raise ConfigError("--samples", "--random needs --samples N (how many rows to draw)")
        df = sweep(
            args.file,
            grid=grid,
            zip=zipped,
            random=rand,
            samples=args.samples,
            design_seed=args.design_seed,
            seeds=args.seeds,
            metrics=metrics,
            jobs=args.jobs,
            client=args.dask,
            out=args.out,
            resume=not args.restart,
            progress=False if args.no_progress else None,
        )
    except ScenarioError as exc:
        for problem in exc.problems:
            print(problem, file=err)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"simnet sweep: {exc}", file=err)
        return EXIT_USAGE
    except (OSError, ImportError) as exc:
        print(f"simnet sweep: {exc}", file=err)
        return EXIT_USAGE
    except SweepInterrupted as exc:
        where = f"; kept in {exc.journal}, run the same command to continue" if exc.journal else ""
        print(f"simnet sweep: interrupted after {exc.done} of {exc.total} runs{where}", file=err)
        return EXIT_INTERRUPTED
    print(summary(df, list(grid) + list(zipped) + list(rand), list(metrics)), file=out)
    if args.out:
        print(f"{len(df)} rows in {args.out}", file=out)
    return EXIT_OK


def summary(df: Any, params: list[str], metrics: list[str]) -> str:
    """Runs and passes per parameter combination, with the median and 90th percentile of each
    numeric metric over the seeds."""
    import pandas as pd

    keys = [p for p in params if p in df.columns]
    groups = df.groupby(keys, sort=False, dropna=False) if keys else [((), df)]
    rows = []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = dict(zip(keys, key, strict=False))
        row["runs"] = len(g)
        row["passed"] = int(g["passed"].sum())
        for m in metrics:
            cols = [c for c in df.columns if c == m or c.startswith(m + ".")]
            for c in cols:
                values = pd.to_numeric(g[c], errors="coerce").dropna()
                if len(values):
                    row[f"{c} p50"] = round(float(values.median()), 6)
                    row[f"{c} p90"] = round(float(values.quantile(0.9)), 6)
        rows.append(row)
    return pd.DataFrame(rows).to_string(index=False)
