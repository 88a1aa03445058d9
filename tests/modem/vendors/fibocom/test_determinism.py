"""Same Fibocom scenario and seed => the same trace digest; another seed => another digest
(command latencies and PDP activation draw from named random streams)."""

from __future__ import annotations

from pathlib import Path

import simnet
from simnet.scenario.runner import Runner

SCENARIO = Path(__file__).resolve().parents[4] / "scenarios" / "fibocom" / "tcp-echo.yaml"


def run(seed: int) -> str:
    sim = simnet.Simulation.from_yaml(SCENARIO, seed=seed)
    result = Runner(sim).run()
    assert result.passed
    return sim.trace.digest()


def test_same_seed_same_digest_other_seed_other_digest() -> None:
    assert run(1) == run(1)
    assert run(1) != run(2)
