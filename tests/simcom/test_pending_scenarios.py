"""Scenarios that need a scenario feature not built yet (a peer connecting to the module).

They live here, not under scenarios/, so the scenario suite stays green; each runs as soon as
the validator accepts it, and then belongs in scenarios/simcom/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

PENDING = sorted((Path(__file__).parent / "pending").glob("*.yaml"))


@pytest.mark.parametrize("path", PENDING, ids=[p.stem for p in PENDING])
def test_pending_scenario(path: Path) -> None:
    pytest.importorskip("simnet.net.tcp")
    from simnet.scenario.loader import load_file
    from simnet.scenario.schema import validate

    scenario, problems = validate(load_file(str(path)))
    if problems:
        pytest.skip(f"scenario format lacks a feature: {problems[0]}")
    import simnet

    result = simnet.Simulation.from_yaml(path).run_scenario()
    assert result.passed, result
