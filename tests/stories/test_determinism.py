"""Story 4: every field story, run twice with the same seed, leaves the same trace digest
(and the CLI's --repeat says so in its report); another seed changes the random draws
(module processing times, ports, sequence numbers) and so the digest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.stories.helpers import ROOT, STORIES, run_story
from tests.stories.test_connect_time import connect_once

STORY_FILES = sorted(p.name for p in STORIES.glob("*.yaml"))
# Stories whose outcome does not depend on the seed (ppp-* echoes a seed-1 magic number,
# connect-under-loss needs a seed whose first SYNs are lost).
SEED_FREE = [n for n in STORY_FILES if n.startswith("nat-")]


def test_there_are_stories():
    assert {"nat-idle-timeout-sim7600.yaml", "nat-heartbeat-sim7600.yaml",
            "ppp-auth-reject-csd.yaml"} <= set(STORY_FILES)


@pytest.mark.parametrize("name", STORY_FILES)
def test_same_seed_same_digest(name):
    first, _ = run_story(name)
    second, _ = run_story(name)
    assert len(first.trace.records) == len(second.trace.records)
    assert first.trace.digest() == second.trace.digest()


@pytest.mark.parametrize("name", SEED_FREE)
def test_other_seed_other_digest_same_outcome(name):
    base, _ = run_story(name)
    other, _ = run_story(name, seed=7)  # still passes: the story does not depend on the seed
    assert base.trace.digest() != other.trace.digest()


def test_connect_sweep_point_is_reproducible():
    first, again = connect_once(0.3, 3), connect_once(0.3, 3)
    assert first == again  # same times and the same trace digest
    assert connect_once(0.3, 4)["digest"] != first["digest"]


def test_cli_repeat_reports_identical_digests(tmp_path: Path):
    report = tmp_path / "report.json"
    simnet = str(Path(sys.executable).with_name("simnet"))
    proc = subprocess.run([simnet, "run", "scenarios/stories/nat-idle-timeout-sim7600.yaml",
                           "--repeat", "2", "--quiet", "--report", str(report)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(report.read_text())
    assert data["passed"] is True and data["seed"] == 1
    assert data["repeat"]["runs"] == 2
    assert data["repeat"]["digests"] == [data["digest"], data["digest"]]
    assert data["digest_repeat_ok"] is True
    # and the in-process API computes the same digest as the CLI
    sim, _ = run_story("nat-idle-timeout-sim7600.yaml")
    assert sim.trace.digest() == data["digest"]
