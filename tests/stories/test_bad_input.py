"""Story 5: a user's first scenario file has typos. ``simnet validate`` (and ``simnet run``)
must name each one as ``FILE:LINE: key.path: what is wrong (expected ...)`` and exit 2 before
anything runs; the Python API raises ``ScenarioError`` with the same list.

The expected line numbers are found in the data file itself: every faulty line carries a
``# MISTAKE`` comment, and this test knows which key path each of them is about.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simnet.scenario.api import ScenarioError, Simulation
from tests.stories.helpers import ROOT

SIMNET = str(Path(sys.executable).with_name("simnet"))
TYPOS = Path(__file__).with_name("data") / "typos.yaml"
REL = TYPOS.relative_to(ROOT)

# the text on the faulty line -> (key path, words the message must contain)
MISTAKES = {
    "delay: 300 msec": ("network.link.delay", ["'msec'", "ms", "min"]),
    "los: 0.01": ("network.link.los", ["unknown key", "loss"]),
    "tcp_idle_timeout: 4 minutes": ("network.nat.tcp_idle_timeout", ["'minutes'", "min"]),
    "wait: a while": ("steps[2].wait", ["'a while'", "duration"]),
    "sned: AT+CIPOPEN": ("steps[3].sned", ["unknown key", "send"]),
    "action: bearer-dorp": ("faults[0].action", ["'bearer-dorp'", "bearer-drop"]),
}


def expected_locations() -> dict[int, tuple[str, list[str]]]:
    lines = TYPOS.read_text().splitlines()
    out = {}
    for text, what in MISTAKES.items():
        (number,) = [i for i, line in enumerate(lines, 1) if text in line]
        assert "# MISTAKE" in lines[number - 1]
        out[number] = what
    assert len(out) == sum("# MISTAKE" in line for line in lines)
    return out


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SIMNET, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def check_report(text: str) -> None:
    problems = [line for line in text.splitlines() if line.startswith(f"{REL}:")]
    expected = expected_locations()
    assert len(problems) == len(expected), text
    for line in problems:
        _, number, path, message = line.split(":", 3)
        assert int(number) in expected, line
        want_path, words = expected[int(number)]
        assert path.strip() == want_path, line
        for word in words:
            assert word in message, line
        assert "expected" in message, line  # every message says what would be right


def test_validate_lists_every_mistake_with_file_line_and_key_path():
    proc = run_cli("validate", str(REL))
    assert proc.returncode == 2
    check_report(proc.stdout + proc.stderr)


def test_run_refuses_the_file_before_anything_runs():
    proc = run_cli("run", str(REL))
    assert proc.returncode == 2
    check_report(proc.stdout + proc.stderr)
    assert "PASS" not in proc.stdout and "FAIL" not in proc.stdout  # no step ran


def test_python_api_raises_the_same_problems():
    with pytest.raises(ScenarioError) as err:
        Simulation.from_yaml(TYPOS)
    assert len(err.value.problems) == len(MISTAKES)
    assert {p.line for p in err.value.problems} == set(expected_locations())


def test_a_story_file_validates():
    proc = run_cli("validate", "scenarios/stories/nat-idle-timeout-sim7600.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
