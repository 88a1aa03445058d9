"""Every scenario under scenarios/ runs and passes; every notebook under notebooks/ executes.

A scenario here is the whole contract exercised end to end (validation, world, steps, checks);
a broken notebook fails CI just like a broken test."""

from __future__ import annotations

from pathlib import Path

import pytest

from simnet.scenario.api import Simulation
from simnet.scenario.loader import load_file
from simnet.scenario.report import describe_failure
from simnet.scenario.runner import Runner
from simnet.scenario.schema import validate

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").rglob("*.yaml"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_library_is_not_empty():
    assert ROOT / "scenarios" / "quickstart.yaml" in SCENARIOS
    assert ROOT / "notebooks" / "01-quickstart.ipynb" in NOTEBOOKS
    for name in ("02-timing-sweep", "03-retry-policies", "04-keepalive-vs-nat", "05-realism"):
        assert ROOT / "notebooks" / f"{name}.ipynb" in NOTEBOOKS


@pytest.mark.parametrize(
    "path", SCENARIOS, ids=[str(p.relative_to(ROOT / "scenarios")) for p in SCENARIOS]
)
def test_scenario_passes(path: Path):
    scenario, problems = validate(load_file(str(path)))
    assert not problems, "\n".join(map(str, problems))
    sim = Simulation(scenario=scenario)
    result = Runner(sim).run()
    assert result.passed, describe_failure(result)
    assert not sim.world.fault_errors, sim.world.fault_errors


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path: Path, monkeypatch):
    monkeypatch.setenv("SIMNET_QUICK", "1")  # the notebooks' small sizes (the kernel inherits it)
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(str(path), as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()  # raises CellExecutionError naming the failing cell
