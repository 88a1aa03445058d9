"""``simnet chaos``: the command-line face of :func:`simnet.chaos`.

Exit status: 0 every run kept every invariant; 1 some run broke one (each broken invariant's
first failing run is shrunk and written as a scenario, ``--shrunk-dir``); 2 invalid scenario or
options; 130 interrupted (finished runs are kept with ``--out``: run the same command again to
continue).
"""

from __future__ import annotations

import argparse
import sys
from typing import IO

from simnet.errors import ConfigError

EXIT_OK, EXIT_BROKEN, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="simnet chaos",
        description="Run seeded fault storms against a scenario, check its invariants on every "
        "run, and shrink each failure to the smallest schedule that still breaks it.",
        epilog="example: simnet chaos scenarios/chaos/sim7600-tcp-echo.yaml --runs 1000 --jobs 2 "
        "--budget 10min --out runs.csv",
    )
    p.add_argument("file", metavar="SCENARIO.yaml", nargs="?")
    p.add_argument(
        "--example", metavar="NAME", help="a scenario of the shipped library instead of a file"
    )
    p.add_argument(
        "--runs", "-n", type=int, default=100, help="schedules to draw and run (default 100)"
    )
    p.add_argument(
        "--seed", type=int, default=0, help="chaos seed: the same seed draws the same schedules"
    )
    p.add_argument(
        "--jobs", "-j", type=int, default=None, help="worker processes (default: all cores)"
    )
    p.add_argument("--dask", metavar="tcp://HOST:8786", help="run on this Dask scheduler")
    p.add_argument(
        "--budget",
        metavar="DURATION",
        help="wall-clock budget such as 10min: no run starts after it",
    )
    p.add_argument(
        "--out", metavar="FILE.parquet|csv|jsonl", help="write every run here (resumable)"
    )
    p.add_argument(
        "--shrunk-dir",
        metavar="DIR",
        default="chaos-out",
        help="where shrunk failures are written as scenarios (default chaos-out)",
    )
    p.add_argument(
        "--no-shrink", action="store_true", help="report failures without shrinking them"
    )
    p.add_argument(
        "--max-shrink-runs", type=int, default=300, help="candidate runs per shrink (default 300)"
    )
    p.add_argument(
        "--show",
        type=int,
        metavar="RUN",
        action="append",
        default=[],
        help="print the schedule of run RUN (and run nothing else)",
    )
    p.add_argument(
        "--shrink-faults",
        action="store_true",
        help="run nothing new: shrink the timed faults of this (failing) scenario, e.g. a session "
        "simnet serve --chaos wrote, keeping --invariant broken",
    )
    p.add_argument(
        "--invariant",
        default="integrity",
        help="with --shrink-faults: the invariant to keep broken",
    )
    p.add_argument(
        "--restart", action="store_true", help="ignore the results of an earlier run (--out)"
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
    from simnet.chaos import chaos, schedules, shrink_scenario
    from simnet.experiments.sweep import SweepInterrupted
    from simnet.library import scenario_argument
    from simnet.scenario.api import ScenarioError

    try:
        path = scenario_argument(args.file, args.example)
        if args.shrink_faults:
            found = shrink_scenario(
                path, args.invariant, shrunk_dir=args.shrunk_dir, max_runs=args.max_shrink_runs
            )
            if found is None:
                print(
                    f"simnet chaos: {path} does not break {args.invariant}: nothing to shrink",
                    file=out,
                )
                return EXIT_OK
            ex, written = found
            print(
                f"{args.invariant}: {len(ex.original)} faults shrunk to {len(ex.schedule)} in "
                f"{ex.runs} runs: "
                f"{ex.schedule.describe()}\n  {ex.detail}\nreproduce with  simnet run {written}",
                file=out,
            )
            return EXIT_BROKEN
        if args.show:
            for index, schedule in schedules(path, args.show, seed=args.seed):
                print(f"run {index}: {schedule.describe()}", file=out)
                for key, value in schedule.knobs:
                    print(f"  with {key} = {value}", file=out)
            return EXIT_OK
        result = chaos(
            path,
            runs=args.runs,
            seed=args.seed,
            jobs=args.jobs,
            client=args.dask,
            budget=args.budget,
            shrink_failures=not args.no_shrink,
            max_shrink_runs=args.max_shrink_runs,
            shrunk_dir=args.shrunk_dir,
            out=args.out,
            resume=not args.restart,
            progress=False if args.no_progress else None,
        )
    except ScenarioError as exc:
        for problem in exc.problems:
            print(problem, file=err)
        return EXIT_USAGE
    except (ConfigError, OSError, ImportError) as exc:
        print(f"simnet chaos: {exc}", file=err)
        return EXIT_USAGE
    except SweepInterrupted as exc:
        where = f"; kept in {exc.journal}, run the same command to continue" if exc.journal else ""
        print(f"simnet chaos: interrupted after {exc.done} of {exc.total} runs{where}", file=err)
        return EXIT_INTERRUPTED
    print(result.summary(), file=out)
    for name, written in result.paths.items():
        print(f"{name}: reproduce with  simnet run {written}", file=out)
    if args.out:
        print(f"{len(result.runs)} rows in {args.out}", file=out)
    return EXIT_OK if result.passed else EXIT_BROKEN
