"""Benchmark (not a test): a sweep of N runs of scenarios/quickstart.yaml (seeds 1..N), timed
with --jobs 1 and --jobs 2 in the same process, one after the other, so both see the same
machine load. Reports wall time, runs per second, the speed-up, and checks that both give the
same rows (digests included).

Goal (issue 17): 1,000 runs in <= 30 s on 2 cores.

    .venv/bin/python bench/sweep.py [--runs 1000] [--jobs 1,2] [--repeat 1]

Wall time covers what `simnet.sweep` does for a user: validating the scenario, starting the
worker processes, every run (world build, steps, checks, digest), collecting rows in order and
building the DataFrame. It excludes `import simnet` and pandas (paid once per session).
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--jobs", default="1,2", help="worker counts to compare, e.g. 1,2")
    ap.add_argument(
        "--repeat", type=int, default=1, help="time each worker count this many times (best kept)"
    )
    args = ap.parse_args()
    from simnet._build import banner

    print(banner())

    import pandas as pd

    import simnet
    from simnet.experiments import default_jobs

    scenario = ROOT / "scenarios" / "quickstart.yaml"
    metrics = {"connect": 'between("AT+CIPOPEN", "+CIPOPEN: 0,0")', "rtx": "retransmissions"}
    counts = [int(j) for j in args.jobs.split(",")]
    print(
        f"bench/sweep.py: {args.runs} runs of {scenario.relative_to(ROOT)}, seeds 1-{args.runs}; "
        f"cores available {default_jobs()}; load average before {os.getloadavg()[0]:.2f}"
    )
    results: dict[int, tuple[float, pd.DataFrame]] = {}
    for jobs in counts:
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            df = simnet.sweep(
                scenario, seeds=f"1-{args.runs}", metrics=metrics, jobs=jobs, progress=False
            )
            times.append(time.perf_counter() - t0)
        best = min(times)
        results[jobs] = (best, df)
        shown = ", ".join(f"{t:.2f}" for t in times)
        print(
            f"--jobs {jobs}: wall {best:6.2f} s ({shown})  {args.runs / best:7.1f} runs/s  "
            f"load average after {os.getloadavg()[0]:.2f}"
        )
    base_jobs = counts[0]
    base_time, base_df = results[base_jobs]
    for jobs in counts[1:]:
        t, df = results[jobs]
        same = df.equals(base_df)
        print(
            f"speed-up --jobs {jobs} vs --jobs {base_jobs}: {base_time / t:.2f}x; "
            f"rows and digests identical: {same}"
        )
        if not same:
            return 1
    passed = int(base_df["passed"].sum())
    print(
        f"runs passed {passed}/{len(base_df)}; connect time median "
        f"{base_df['connect'].median():.3f} s, p90 {base_df['connect'].quantile(0.9):.3f} s; "
        f"retransmissions per run mean {base_df['rtx'].mean():.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
