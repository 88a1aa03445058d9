"""Benchmark (not a test): chaos schedules per second - N seeded fault schedules against a
scenario (default scenarios/quickstart.yaml with the default chaos: block), timed with --jobs 1
and --jobs 2 in the same process, one after the other, so both see the same machine load.
Reports wall time, schedules per second, the speed-up, and checks that both give the same rows
(schedules, verdicts, digests).

Goal (issue 22): >= 50 schedules/s on 2 cores on the quickstart world.

    .venv/bin/python bench/chaos.py [--runs 1000] [--jobs 1,2] [--scenario FILE] [--repeat 1]

Wall time covers what `simnet.chaos` does for a user minus shrinking: validating the scenario,
starting the workers, every run (drawing its schedule, validating the scenario with it, world
build, the steps, the storm's end and grace, the AT probe, settling, every invariant, the
digest), collecting rows in order and the DataFrame. Shrinking is excluded (--no-shrink): its
cost depends on what is found, not on the machinery. `import simnet` and pandas are not timed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# An installed simnet (e.g. the compiled build of `make compiled`) is the one measured; the
# checkout's sources only when none is installed.
if importlib.util.find_spec("simnet") is None:
    sys.path.insert(0, str(ROOT))
COMPARED = ["run", "seed", "passed", "faults", "broken", "schedule", "digest", "records", "failure"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--jobs", default="1,2", help="worker counts to compare, e.g. 1,2")
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "quickstart.yaml"))
    ap.add_argument("--seed", type=int, default=0, help="chaos seed")
    ap.add_argument(
        "--repeat", type=int, default=1, help="time each worker count this many times (best kept)"
    )
    args = ap.parse_args()
    from simnet._build import banner

    print(banner())

    import simnet
    from simnet.experiments import default_jobs

    counts = [int(j) for j in args.jobs.split(",")]
    scenario = Path(args.scenario)
    shown_name = scenario.relative_to(ROOT) if scenario.is_relative_to(ROOT) else scenario
    print(
        f"bench/chaos.py: {args.runs} schedules against {shown_name}, chaos seed {args.seed}; "
        f"cores available {default_jobs()}; load average before {os.getloadavg()[0]:.2f}"
    )
    results = {}
    for jobs in counts:
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = simnet.chaos(
                scenario,
                runs=args.runs,
                seed=args.seed,
                jobs=jobs,
                progress=False,
                shrink_failures=False,
            )
            times.append(time.perf_counter() - t0)
        best = min(times)
        results[jobs] = (best, result)
        shown = ", ".join(f"{t:.2f}" for t in times)
        print(
            f"--jobs {jobs}: wall {best:6.2f} s ({shown})  {args.runs / best:7.1f} schedules/s  "
            f"load average after {os.getloadavg()[0]:.2f}"
        )
    base_time, base = results[counts[0]]
    for jobs in counts[1:]:
        t, result = results[jobs]
        same = result.runs[COMPARED].equals(base.runs[COMPARED])
        print(
            f"speed-up --jobs {jobs} vs --jobs {counts[0]}: {base_time / t:.2f}x; "
            f"schedules, verdicts and digests identical: {same}"
        )
        if not same:
            return 1
    df = base.runs
    print(
        f"faults per schedule mean {df['faults'].mean():.2f}; virtual time per run mean "
        f"{df['virtual_time'].mean():.1f} s; runs that broke an invariant "
        f"{int((~df['passed']).sum())}"
        f" {base.failures or ''}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
