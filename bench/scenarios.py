"""Benchmark (not a test): every scenario under scenarios/ — virtual time, wall time, ratio — and
the process start-up time of `simnet run` until the first AT answer is printed.

Targets (issue 6): >= 10,000x real time on the scenario library; <= 0.5 s start-up.

    .venv/bin/python bench/scenarios.py [--repeat N] [--startup-runs N]

Wall time of a scenario includes building its world (network, servers, module) and running
steps and checks, as `simnet run` reports it. Scenarios that fail are still timed and marked.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(os.environ.get("SIMNET_BENCH_ROOT", Path(__file__).resolve().parent.parent))
# An installed simnet (e.g. the compiled build of `make compiled`) is the one measured; the
# checkout's sources only when none is installed.
if importlib.util.find_spec("simnet") is None:
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
    clock = time.process_time if os.environ.get("SIMNET_BENCH_CPU") else time.perf_counter
    for _ in range(repeat):
        t0 = clock()
        try:
            sim = Simulation(scenario=scenario)
            result = Runner(sim).run()
        except Exception as exc:  # a layer not built yet: report, keep going
            return {"file": path, "error": f"{type(exc).__name__}: {exc}"[:90]}
        walls.append(clock() - t0)
        virtual = result.virtual_time
        passed = passed and result.passed
    wall = statistics.median(walls)
    return {
        "file": path,
        "virtual": virtual,
        "wall": wall,
        "wall_min": min(walls),
        "wall_max": max(walls),
        "ratio": virtual / wall if wall > 0 else float("inf"),
        "passed": passed,
    }


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
            proc = subprocess.Popen(
                [*cmd, "run", str(probe)],
                stdout=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
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


def against(baseline: str | None, rounds: int, repeat: int, python: str | None = None) -> int:
    """A/B in one run: this tree and ``baseline`` (another checkout of simnet) time the
    scenarios both have, in alternating child processes, ``rounds`` times each; per scenario
    the median over rounds. Prints both library ratios and the per-scenario speed-up.
    ``python`` instead of ``baseline``: the base side is this tree's scenarios run by another
    interpreter with its own installed simnet (e.g. .venv vs .venv-compiled)."""
    import json

    results: dict[str, dict[str, list[float]]] = {"new": {}, "base": {}}
    virtual: dict[str, float] = {}
    builds: dict[str, str] = {}
    plain = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    sides = [("new", sys.executable, {**plain, "SIMNET_BENCH_ROOT": str(ROOT)})]
    if python is not None:  # same tree, the other interpreter's own simnet
        sides.append(("base", python, {**plain, "SIMNET_BENCH_ROOT": str(ROOT)}))
    else:
        assert baseline is not None
        sides.append(
            ("base", sys.executable, {**plain, "SIMNET_BENCH_ROOT": baseline,
                                      "PYTHONPATH": baseline})
        )
    if python is None:  # this tree's sources, as before
        sides[0][2]["PYTHONPATH"] = str(ROOT)
    for _ in range(rounds):
        for label, exe, env in sides:
            out = subprocess.run(
                [exe, __file__, "--worker", "--repeat", str(repeat)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            data = json.loads(out.stdout)
            builds[label] = data["build"]
            for row in data["rows"]:
                results[label].setdefault(row["name"], []).append(row["wall"])
                virtual[row["name"]] = row["virtual"]
    for label in ("base", "new"):
        print(f"{label}: {builds[label]}")
    common = sorted(set(results["new"]) & set(results["base"]))
    clock = "CPU" if os.environ.get("SIMNET_BENCH_CPU") else "wall"
    print(
        f"load average: {os.getloadavg()[0]:.2f} (2 cores shared); {len(common)} scenarios in both "
        "trees, "
        f"{rounds} alternating rounds x {repeat} runs, {clock} clock"
    )
    tv = sum(virtual[n] for n in common)
    for label in ("base", "new"):
        tw = sum(statistics.median(results[label][n]) for n in common)
        print(f"  {label:4}: {tv:.1f} s virtual in {tw:.4f} s {clock} = {tv / tw:,.0f}x real time")
    by_gain = sorted(
        (statistics.median(results["base"][n]) / statistics.median(results["new"][n]), n)
        for n in common
    )
    gains = [g for g, _ in by_gain]
    print(
        f"  per-scenario speed-up new vs base: min {gains[0]:.2f}, median "
        f"{statistics.median(gains):.2f}, "
        f"max {gains[-1]:.2f}"
    )
    for g, n in by_gain[:3] + by_gain[-3:]:
        print(
            f"    {n:<50} x{g:.2f}  ({virtual[n] / statistics.median(results['new'][n]):,.0f}x "
            "real time now)"
        )
    return 0


def worker(repeat: int) -> int:
    import json

    rows = []
    for p in scenario_files():
        row = time_scenario(p, repeat)
        if "error" not in row:
            rows.append(
                {
                    "name": str(p.relative_to(ROOT / "scenarios")),
                    "wall": row["wall"],
                    "virtual": row["virtual"],
                }
            )
    from simnet._build import banner

    print(json.dumps({"build": banner(), "rows": rows}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per scenario (median wall time)"
    )
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--against", metavar="DIR", help="A/B against another simnet checkout")
    parser.add_argument(
        "--against-python",
        metavar="PYTHON",
        help="A/B against another interpreter's installed simnet on this tree's scenarios "
        "(e.g. .venv/bin/python bench/scenarios.py --against-python .venv-compiled/bin/python)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time with the process's CPU clock instead of the wall clock (a loaded, "
        "shared machine: the ratio a quiet machine would show)",
    )
    args = parser.parse_args()
    if args.cpu:
        os.environ["SIMNET_BENCH_CPU"] = "1"
    if args.worker:
        return worker(args.repeat)
    from simnet._build import banner

    print(banner())
    if args.against or args.against_python:
        return against(args.against, args.rounds, args.repeat, args.against_python)

    rows = [time_scenario(p, args.repeat) for p in scenario_files()]
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores shared)")
    print(
        f"{'scenario':<52} {'virtual s':>10} {'wall s':>9} {'ratio':>10} "
        f"{'spread (min-max wall)':>22}  result"
    )
    total_v = total_w = 0.0
    for row in rows:
        name = str(Path(row["file"]).relative_to(ROOT / "scenarios"))  # type: ignore[arg-type]
        if "error" in row:
            print(f"{name:<52} {'-':>10} {'-':>9} {'-':>10}  {row['error']}")
            continue
        total_v += row["virtual"]  # type: ignore[operator]
        total_w += row["wall"]  # type: ignore[operator]
        spread = f"{row['wall_min']:.4f}-{row['wall_max']:.4f}"
        print(
            f"{name:<52} {row['virtual']:>10.3f} {row['wall']:>9.4f} {row['ratio']:>10,.0f} "
            f"{spread:>22}  "
            f"{'passed' if row['passed'] else 'FAILED'}"
        )
    if total_w > 0:
        print(f"{'all scenarios':<52} {total_v:>10.3f} {total_w:>9.4f} {total_v / total_w:>10,.0f}")
        ratios = sorted(r["ratio"] for r in rows if "error" not in r)  # type: ignore[misc]
        q = statistics.quantiles(ratios, n=10) if len(ratios) > 1 else ratios * 9
        walls_lo = sum(r["wall_min"] for r in rows if "error" not in r)  # type: ignore[misc]
        walls_hi = sum(r["wall_max"] for r in rows if "error" not in r)  # type: ignore[misc]
        print(
            f"per-scenario ratio: min {ratios[0]:,.0f}, p10 {q[0]:,.0f}, median "
            f"{statistics.median(ratios):,.0f}, "
            f"p90 {q[-1]:,.0f}, max {ratios[-1]:,.0f}; {sum(r >= 10_000 for r in ratios)} of "
            f"{len(ratios)} "
            f">= 10,000x"
        )
        print(
            f"library ratio over the repeats: {total_v / walls_hi:,.0f}x (slowest runs) to "
            f"{total_v / walls_lo:,.0f}x (fastest runs)"
        )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    times = startup_time(args.startup_runs)
    if times:
        print(
            "start-up of `simnet run` to the first AT answer: median "
            f"{statistics.median(times):.3f} s, "
            f"max {max(times):.3f} s over {len(times)} runs (target <= 0.5 s)"
        )
    else:
        print("start-up: the probe scenario did not answer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
