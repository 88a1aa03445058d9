"""Every ``simnet ... --help`` reads as a user would copy it: argparse does not %-format an
epilog or a description, so a ``%%`` written there reaches the screen doubled."""

from __future__ import annotations

import argparse

import pytest

from simnet.cli import main
from simnet.scenario.cli import _build_parser

ABOVE_SCENARIO_LAYER = ["serve", "sweep", "chaos"]  # dispatched by simnet.cli before argparse


def _subcommands() -> list[str]:
    parser = _build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(actions[0].choices) + ABOVE_SCENARIO_LAYER


def test_the_subcommand_list_is_complete() -> None:
    names = _subcommands()
    for expected in ("run", "validate", "new", "schema", "import", "plot", "sweep", "chaos"):
        assert expected in names


@pytest.mark.parametrize("argv", [["--help"]] + [[name, "--help"] for name in _subcommands()])
def test_help_has_no_doubled_percent(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # serve's parser exits from argparse itself
        code = exc.code
    assert code == 0
    text = capsys.readouterr().out
    assert "usage: simnet" in text
    assert "%%" not in text


def test_sweep_example_is_the_command_line_to_copy(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        main(["sweep", "--help"])
    except SystemExit:
        pass
    help_text = " ".join(capsys.readouterr().out.split())  # argparse wraps the epilog
    assert "--set network.link.loss=0,1%,5% --set network.link.delay=100ms,600ms" in help_text
