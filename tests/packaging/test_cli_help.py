"""Every ``simnet ... --help`` reads as a user would copy it: argparse does not %-format an
epilog or a description, so a ``%%`` written there reaches the screen doubled."""

from __future__ import annotations

import argparse
import re

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


def _option_parsers() -> dict[str, argparse.ArgumentParser]:
    from simnet.bridge.serve import add_serve_arguments
    from simnet.chaos.cli import build_parser as chaos_parser
    from simnet.experiments.cli import build_parser as sweep_parser

    parsers: dict[str, argparse.ArgumentParser] = dict(_build_parser().commands)
    serve = argparse.ArgumentParser(prog="simnet serve")
    add_serve_arguments(serve)
    parsers.update(serve=serve, sweep=sweep_parser(), chaos=chaos_parser())
    return parsers


@pytest.mark.parametrize("name", sorted(_option_parsers()))
def test_every_option_says_what_it_does(name: str) -> None:
    """`simnet serve --help` listed --seed, --report and --pcap with no text at all."""
    parser = _option_parsers()[name]
    silent = [
        a.option_strings[-1]
        for a in parser._actions
        if a.option_strings and a.help != argparse.SUPPRESS and not (a.help or "").strip()
    ]
    assert silent == []


def test_top_level_help_lists_every_command_and_option(capsys) -> None:
    """serve, sweep and chaos are commands like run; --version is an option: one list each
    (they used to trail the help under "real time:" / "experiments:" headings)."""
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    commands, options = text.split("\noptions:\n")
    for name in ("run", "validate", "plot", "serve", "sweep", "chaos"):
        assert re.search(rf"^    {name} +\S", commands, re.M), name
    assert re.search(r"^  -V, --version +print simnet's version", options, re.M)
    assert main([]) == 2  # bare `simnet`: the same text on stderr, usage exit status
    assert capsys.readouterr().err == text


def test_a_stray_word_is_reported_with_the_subcommands_usage(capsys) -> None:
    """`simnet run a.yaml b.yaml` printed the top-level usage (`simnet [-h] COMMAND ...`)."""
    assert main(["run", "a.yaml", "b.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: simnet run ")
    assert err.rstrip().endswith("simnet run: error: unrecognized arguments: b.yaml")
    assert main(["validate", "x.yaml", "--fast"]) == 2
    assert "simnet validate: error: unrecognized arguments: --fast" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["examples"], ["validate", "--library"], ["modules"]])
def test_a_reader_that_leaves_early_gets_no_traceback(argv: list[str]) -> None:
    """`simnet examples | head -5` ended in a BrokenPipeError traceback."""
    import subprocess
    import sys

    child = subprocess.Popen(
        [sys.executable, "-m", "simnet", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # gone before the child has imported anything, let alone printed
    err = child.stderr.read().decode()
    assert child.wait(timeout=60) == 141  # 128 + SIGPIPE, as a shell reports such a writer
    assert "Traceback" not in err and "BrokenPipeError" not in err
