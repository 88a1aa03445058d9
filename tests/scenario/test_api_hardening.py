"""Hostile API calls (issue 21): every misuse is a ``TypeError``/``ValueError`` that says what
is expected; nothing reaches SimPy's internals, nothing recurses without bound, and a long
command line costs linear time."""

from __future__ import annotations

import math

import pytest

import simnet
from simnet.errors import ConfigError, ExpectTimeout
from simnet.modem import dte as dte_module

SCENARIO = {"name": "r", "module": "simcom-sim7600", "steps": [{"send": "AT"}]}


@pytest.fixture
def sim():
    return simnet.Simulation.from_dict(SCENARIO)


@pytest.mark.parametrize("bad", [-1, -1e-9, math.inf, -math.inf, math.nan, 10**400])
def test_advance_needs_a_finite_non_negative_number(sim, bad):
    with pytest.raises(ValueError, match="finite, non-negative number of seconds"):
        sim.advance(bad)
    assert sim.now == 0


@pytest.mark.parametrize("bad", ["1", None, [1], True])
def test_advance_needs_a_number(sim, bad):
    with pytest.raises(TypeError, match="number of seconds"):
        sim.advance(bad)


def test_advance_zero_and_tiny_steps_are_no_ops(sim):
    assert sim.advance(0) == 0
    sim.advance(5)
    assert sim.advance(1e-300) == 5


@pytest.mark.parametrize("bad", [-1, math.inf, math.nan])
@pytest.mark.parametrize("call", ["command", "expect"])
def test_timeouts_must_be_finite_and_non_negative(sim, bad, call):
    with pytest.raises(ValueError, match=f"dte.{call}\\(\\) expected a finite, non-negative"):
        if call == "command":
            sim.dte.command("AT", timeout=bad)
        else:
            sim.dte.expect("OK", timeout=bad)


def test_timeout_zero_is_a_poll(sim):
    """Zero virtual seconds: look at what is there now (it was SimPy's 'until must be greater
    than the current simulation time')."""
    with pytest.raises(ExpectTimeout, match="within 0 s"):
        sim.dte.expect("OK", timeout=0)
    assert sim.dte.command("AT", timeout=1).ok
    sim.dte.write(b"AT\r")
    sim.advance(1)
    assert sim.dte.expect("OK", timeout=0).group(0) == "OK"


def test_infinite_timeout_with_nothing_pending_is_refused_not_empty_schedule(sim):
    sim.advance(5)  # the module has booted; nothing else is scheduled
    with pytest.raises(ConfigError, match="got inf"):
        sim.dte.expect("never", timeout=math.inf)


@pytest.mark.parametrize(
    "bad, error",
    [
        (0, ValueError),
        (-9600, ValueError),
        (10**9, ValueError),
        (9600.0, TypeError),
        ("9600", TypeError),
    ],
)
def test_dte_baud_must_be_a_positive_int(sim, bad, error):
    with pytest.raises(error, match="dte.baud"):
        sim.dte.baud = bad
    assert sim.dte.baud == 115200


def test_dte_write_explains_non_bytes(sim):
    with pytest.raises(TypeError, match="expected bytes or str"):
        sim.dte.write(12)
    with pytest.raises(ValueError, match="not one byte"):
        sim.dte.write("AT€")


def test_from_dict_self_reference_and_depth_are_problems():
    d: dict = {"name": "r", "module": "simcom-sim7600", "steps": []}
    d["description"] = d
    with pytest.raises(simnet.ScenarioError, match="contains itself"):
        simnet.Simulation.from_dict(d)
    deep: list = []
    cur = deep
    for _ in range(5000):
        nxt: list = []
        cur.append(nxt)
        cur = nxt
    with pytest.raises(simnet.ScenarioError, match="nested deeper than 64 levels"):
        simnet.Simulation.from_dict({**SCENARIO, "description": deep})
    with pytest.raises(simnet.ScenarioError, match="lone surrogate"):
        simnet.Simulation.from_dict({**SCENARIO, "name": "\ud800"})


def test_long_command_line_costs_linear_time(sim, monkeypatch):
    """The result-code scanner must not rescan the echo of a long line per arriving chunk
    (345 KB took 4.4 s). Counted, not timed: characters the line-end search starts over."""
    scanned = [0]
    real = dte_module._LINE_END

    class Counting:
        def search(self, text, pos=0):
            m = real.search(text, pos)
            scanned[0] += (m.end() if m else len(text)) - pos
            return m

        def split(self, text):
            return real.split(text)

    monkeypatch.setattr(dte_module, "_LINE_END", Counting())
    n = 200_000
    result = sim.dte.command("AT" + "A" * n, timeout=600)
    assert result.final == "ERROR"
    received = sim.dte.bytes_received
    assert received > n
    assert scanned[0] <= 2 * received, (scanned[0], received)
