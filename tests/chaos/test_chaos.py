"""simnet.chaos / simnet chaos end to end: the library's chaos scenarios keep their invariants,
a deliberately broken host program is caught and shrunk to a scenario that fails the same way
in a fresh process, and the same seed gives the same schedules and verdicts with any number of
worker processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import simnet
from simnet.chaos.cli import main as chaos_cli

ROOT = Path(__file__).resolve().parents[2]
CHAOS = ROOT / "scenarios" / "chaos"
CARELESS = CHAOS / "careless-sender-sim7600.yaml"
KEY_COLUMNS = ["run", "seed", "passed", "faults", "broken", "schedule", "digest", "failure"]


@pytest.mark.parametrize(
    "name", sorted(p.name for p in CHAOS.glob("*.yaml") if "careless" not in p.name)
)
def test_library_chaos_scenarios_keep_their_invariants(name: str) -> None:
    # The make-test slice; `make fuzz` runs 1,000 schedules of each (tests/fuzz/chaos.py).
    result = simnet.chaos(
        CHAOS / name, runs=4, seed=11, jobs=1, progress=False, shrink_failures=False
    )
    assert result.passed, result.summary()
    assert len(result.runs) == 4 and (result.runs["faults"] >= 1).all()


def test_the_careless_sender_is_caught_and_shrunk_to_a_scenario_that_fails_from_a_fresh_process(
    tmp_path: Path,
) -> None:
    result = simnet.chaos(CARELESS, runs=30, seed=0, jobs=1, progress=False, shrunk_dir=tmp_path)
    assert not result.passed and result.failures.get("integrity", 0) >= 1
    [ex] = [s for s in result.shrunk if s.invariant == "integrity"]
    assert 1 <= len(ex.schedule) <= 3 and len(ex.schedule) <= len(ex.original)
    assert "the host program claims 2000 bytes reached collector.example.net:9" in ex.detail
    path = result.paths["integrity"]
    assert path == tmp_path / "careless-sender-sim7600-integrity.yaml"
    data = yaml.safe_load(path.read_text())
    assert data["seed"] == ex.seed and data["chaos"]["invariants"] == ["integrity"]
    assert data["faults"] == [dict(f) for f in ex.schedule.faults]
    assert data["program"]["function"] == "simnet.chaos.hosts:careless_sender"
    # A fresh interpreter, the plain command line: the same invariant breaks.
    run = subprocess.run(
        [sys.executable, "-m", "simnet", "run", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "[ invariant  ] BROKEN integrity     the host program claims 2000 bytes" in run.stdout
    assert "invariant integrity broken: the host program claims" in run.stdout
    # A failing scenario with faults of no consequence added shrinks back (--shrink-faults:
    # what simnet serve --chaos starts on a session it wrote).
    noisy = dict(data)
    noisy["faults"] = [
        {"at": "2s", "action": "dns-fail", "mode": "nxdomain", "duration": "1s"},
        *data["faults"],
        {"at": "70s", "action": "delay", "delay": "10ms", "duration": "1s"},
    ]
    noisy_path = tmp_path / "noisy.yaml"
    noisy_path.write_text(yaml.safe_dump(noisy))
    assert (
        chaos_cli(
            [
                str(noisy_path),
                "--shrink-faults",
                "--invariant",
                "integrity",
                "--shrunk-dir",
                str(tmp_path / "again"),
            ]
        )
        == 1
    )
    again = yaml.safe_load((tmp_path / "again" / "noisy-integrity.yaml").read_text())
    assert again["faults"] == data["faults"]
    # ... and simnet plot opens it (its trace beside it, or the scenario itself)
    trace = path.with_suffix(".trace.jsonl")
    assert trace.is_file()
    plot = subprocess.run(
        [sys.executable, "-m", "simnet", "plot", str(path), "--out", str(tmp_path / "c.svg")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert plot.returncode == 0, plot.stderr
    assert (tmp_path / "c.svg").stat().st_size > 1000


def test_same_seed_same_schedules_and_verdicts_whatever_the_jobs() -> None:
    one = simnet.chaos(CARELESS, runs=16, seed=5, jobs=1, progress=False, shrink_failures=False)
    two = simnet.chaos(CARELESS, runs=16, seed=5, jobs=2, progress=False, shrink_failures=False)
    assert one.runs[KEY_COLUMNS].equals(two.runs[KEY_COLUMNS])
    assert not one.passed  # the comparison covers broken runs too
    other = simnet.chaos(CARELESS, runs=16, seed=6, jobs=1, progress=False, shrink_failures=False)
    assert list(other.runs["schedule"]) != list(one.runs["schedule"])


def test_user_invariants_budget_and_resumable_output(tmp_path: Path) -> None:
    def few_faults(sim: object, result: object) -> str | None:
        n = len(sim.scenario.faults)  # type: ignore[attr-defined]
        return f"{n} faults" if n > 2 else None

    out = tmp_path / "runs.csv"
    result = simnet.chaos(
        CHAOS / "sim7600-tcp-echo.yaml",
        runs=6,
        seed=2,
        jobs=1,
        progress=False,
        invariants={"few-faults": few_faults},
        out=out,
        max_shrink_runs=3,
    )
    broken = result.runs["faults"] > 2
    assert list(result.runs["broken"][broken]) == ["few-faults"] * int(broken.sum())
    assert out.is_file() and len(out.read_text().splitlines()) == 7
    again = simnet.chaos(
        CHAOS / "sim7600-tcp-echo.yaml",
        runs=6,
        seed=2,
        jobs=1,
        progress=False,
        invariants={"few-faults": few_faults},
        out=out,
        shrink_failures=False,
    )
    assert again.runs["digest"].tolist() == result.runs["digest"].tolist()
    spent = simnet.chaos(
        CARELESS, runs=500, seed=1, jobs=1, progress=False, budget="0.5s", shrink_failures=False
    )
    assert spent.budget_spent and 0 < len(spent.runs) < 500


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert chaos_cli([str(CARELESS), "--show", "0", "--show", "3"]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert shown[0].startswith("run 0: ") and shown[1].startswith("run 3: ")
    expected = simnet.chaos.schedules(CARELESS, [0, 3])
    assert shown[0] == f"run 0: {expected[0][1].describe()}"
    code = chaos_cli(
        [
            str(CARELESS),
            "--runs",
            "10",
            "--jobs",
            "1",
            "--no-progress",
            "--shrunk-dir",
            str(tmp_path),
        ]
    )
    text = capsys.readouterr().out
    assert code == 1 and "integrity" in text and "reproduce with  simnet run" in text
    assert (
        chaos_cli(
            [
                str(CHAOS / "sim7600-tcp-echo.yaml"),
                "--runs",
                "2",
                "--jobs",
                "1",
                "--no-progress",
                "--shrunk-dir",
                str(tmp_path / "none"),
            ]
        )
        == 0
    )
    assert "every invariant held" in capsys.readouterr().out
    assert chaos_cli(["nope.yaml"]) == 2
    assert chaos_cli([str(CARELESS), "--runs", "0"]) == 2
