"""Benchmark (not a test): every scenario under scenarios/ — virtual time, wall time, ratio — and
the process start-up time of `simnet run` until the first AT answer is printed.

Targets (issue 6): >= 10,000x real time on the scenario library; <= 0.5 s start-up.

    .venv/bin/python bench/scenarios.py [--repeat N] [--startup-runs N]

Wall time of a scenario includes building its world (network, servers, module) and running
steps and checks, as `simnet run` reports it. Scenarios that fail are still timed and marked.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STARTUP_SCENARIO = """\
name: start-up probe
module: simcom-sim7600
steps:
  - send: AT
  - expect: OK
"""


def scenario_files() -> list[Path]:
    return sorted(p for p in (ROOT / "scenarios").rglob("*.yaml"))


def time_scenario(path: Path, repeat: int) -> dict[str, object]:
    from simnet.scenario.api import Simulation
    from simnet.scenario.loader import load_file
    from simnet.scenario.runner import Runner
    from simnet.scenario.schema import validate

    scenario, problems = validate(load_file(str(path)))
    if problems:
        return {"file": path, "error": f"invalid: {problems[0]}"}
    walls: list[float] = []
    virtual = 0.0
    passed = True
    for _ in range(repeat):
        t0 = time.perf_counter()
        try:
            sim = Simulation(scenario=scenario)
            result = Runner(sim).run()
        except Exception as exc:  # a layer not built yet: report, keep going
            return {"file": path, "error": f"{type(exc).__name__}: {exc}"[:90]}
        walls.append(time.perf_counter() - t0)
        virtual = result.virtual_time
        passed = passed and result.passed
    wall = statistics.median(walls)
    return {"file": path, "virtual": virtual, "wall": wall,
            "ratio": virtual / wall if wall > 0 else float("inf"), "passed": passed}


def startup_time(runs: int) -> list[float]:
    """Seconds from process start to the line reporting the first AT answer (`expect OK`)."""
    exe = Path(sys.executable).parent / "simnet"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "simnet.cli"]
    out: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.yaml"
        probe.write_text(STARTUP_SCENARIO, encoding="utf-8")
        for _ in range(runs):
            t0 = time.perf_counter()
            proc = subprocess.Popen([*cmd, "run", str(probe)], stdout=subprocess.PIPE, text=True,
                                    env={**os.environ, "PYTHONUNBUFFERED": "1"})
            assert proc.stdout is not None
            seen = None
            for line in proc.stdout:
                if "expect" in line and "PASS" in line:
                    seen = time.perf_counter() - t0
                    break
            proc.stdout.read()
            proc.wait()
            if seen is not None:
                out.append(seen)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario (median wall time)")
    parser.add_argument("--startup-runs", type=int, default=5)
    args = parser.parse_args()

    rows = [time_scenario(p, args.repeat) for p in scenario_files()]
    print(f"{'scenario':<52} {'virtual s':>10} {'wall s':>9} {'ratio':>10}  result")
    total_v = total_w = 0.0
    for row in rows:
        name = str(Path(row["file"]).relative_to(ROOT / "scenarios"))  # type: ignore[arg-type]
        if "error" in row:
            print(f"{name:<52} {'-':>10} {'-':>9} {'-':>10}  {row['error']}")
            continue
        total_v += row["virtual"]  # type: ignore[operator]
        total_w += row["wall"]  # type: ignore[operator]
        print(f"{name:<52} {row['virtual']:>10.3f} {row['wall']:>9.4f} {row['ratio']:>10,.0f}  "
              f"{'passed' if row['passed'] else 'FAILED'}")
    if total_w > 0:
        print(f"{'all scenarios':<52} {total_v:>10.3f} {total_w:>9.4f} {total_v / total_w:>10,.0f}")
    times = startup_time(args.startup_runs)
    if times:
        print(f"start-up of `simnet run` to the first AT answer: median {statistics.median(times):.3f} s, "
              f"max {max(times):.3f} s over {len(times)} runs (target <= 0.5 s)")
    else:
        print("start-up: the probe scenario did not answer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
