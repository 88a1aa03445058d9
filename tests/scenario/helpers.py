"""Shared helpers for scenario tests: write YAML text, find the line of a marker independently."""

from __future__ import annotations

import textwrap
from pathlib import Path

from simnet.scenario.loader import load_text
from simnet.scenario.schema import validate

MINIMAL = """\
name: minimal
module: {module}
steps:
  - send: AT
  - expect: OK
"""


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the ``occurrence``-th line containing ``needle`` (counted here,
    without the loader, so tests do not trust the code under test for line numbers)."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in text")


def problems_of(text: str, file: str = "s.yaml") -> list[str]:
    _, problems = validate(load_text(text, file))
    return [str(p) for p in problems]


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
