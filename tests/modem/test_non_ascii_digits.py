"""Digits other than 0-9 where a number is expected. The module reads a command line's bytes
as latin-1, so a host's byte 0xB9 is '¹' (0xB2 '²', 0xB3 '³'): ``str.isdigit`` takes them and
``int`` refuses them, and ``ATS\\xb9?`` used to take the simulation down with a ValueError.
A real module answers them as any other bad argument (V.250 §5.4: ERROR)."""

from __future__ import annotations

import pytest

from simnet import Simulation
from tests.fuzz.strategies import UNFUZZED, at_world, built_modules, feed_at_lines, recover_and_ping

SUPERSCRIPTS = ["\xb9", "\xb2\xb3", "1\xb9"]


def test_an_s_register_number_in_superscript_is_an_error_and_the_module_answers_after():
    sim = Simulation.from_dict({"name": "digits", "module": "simcom-sim7600"})
    sim.dte.command("ATE1")
    sim.dte.write(b"ATS\xb9?\r")
    sim.advance(1)
    assert sim.dte.read_available() == b"ATS\xb9?\r\r\nERROR\r\n"
    assert sim.dte.command("ATS3?").raw == b"ATS3?\r\r\n013\r\n\r\nOK\r\n"


@pytest.mark.parametrize("module_id", built_modules())
def test_superscript_digits_in_every_commands_arguments_leave_the_module_answering(module_id):
    sim, errors = at_world(module_id)
    names = [n for n in sim.module.command_names() if n not in UNFUZZED]
    lines = [f"AT{name}={digits}" for name in names for digits in SUPERSCRIPTS]
    lines += [f"AT{name}=1,{SUPERSCRIPTS[0]},1" for name in names]
    lines += [f"ATS{SUPERSCRIPTS[0]}?", f"ATS0={SUPERSCRIPTS[1]}", f"ATE{SUPERSCRIPTS[0]}"]
    feed_at_lines(sim, lines, [0.0] * len(lines))
    assert errors == []
    assert recover_and_ping(sim) is None
