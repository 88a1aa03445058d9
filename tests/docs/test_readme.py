"""The README's Python example must run as written (docs that rot mislead users first)."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_python_driver_example_runs(tmp_path):
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    example = next(b for b in blocks if "Simulation.from_yaml" in b)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        namespace: dict = {}
        exec(
            compile(
                example.replace('"out.pcap"', repr(str(tmp_path / "out.pcap"))), "README.md", "exec"
            ),
            namespace,
        )
    finally:
        os.chdir(cwd)
    sim = namespace["sim"]
    assert sim.now > 2.5
    assert (tmp_path / "out.pcap").exists()


def test_readme_quick_start_is_the_two_make_commands():
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make \w+", quick, re.M)
    assert commands == ["make demo", "make test"]


def test_experiments_guide_host_task_example_runs():
    text = (ROOT / "docs" / "experiments.md").read_text()
    example = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "sim.spawn" in b)
    namespace: dict = {}
    exec(compile("import simnet\n" + example, "docs/experiments.md", "exec"), namespace)
    sim = namespace["sim"]
    assert 60.0 <= sim.now < 61.0  # six polls, 10 s apart
    sim.cancel_tasks()
