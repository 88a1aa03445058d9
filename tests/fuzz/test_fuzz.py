"""The fuzzing suite, bounded for ``make test`` (the long campaign is ``make fuzz``): scenario
mutants of every library scenario, AT lines for every built module, hostile API calls. See
``tests/fuzz/strategies.py`` for the strategies and oracles and docs/reliability.md for the
figures of the long run."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.strategies import (
    LIBRARY,
    api_call,
    apply_api_call,
    at_line,
    at_world,
    built_modules,
    check_scenario_text,
    feed_at_lines,
    recover_and_ping,
    scenario_mutant,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def test_every_library_scenario_is_a_seed():
    assert len(LIBRARY) >= 50


@pytest.mark.slow
@FAST
@given(scenario_mutant())
def test_scenario_mutants_get_located_problems(mutant):
    source, text = mutant
    assert check_scenario_text(text) == [], (source, text[:2000])


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(scenario_mutant(paths=[p for p in LIBRARY if "quickstart" in p.name or "echo" in p.name]))
def test_valid_mutants_run_to_a_report(mutant):
    source, text = mutant
    assert check_scenario_text(text, run=True, max_wall=20) == [], (source, text[:2000])


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_at_lines_never_break_a_module(data):
    module_id = data.draw(st.sampled_from(built_modules()))
    sim, errors = at_world(module_id)
    lines = data.draw(st.lists(at_line(sim.module.command_names()), min_size=1, max_size=25))
    gaps = data.draw(
        st.lists(st.sampled_from([0.0, 0.05, 0.5, 3.0]), min_size=len(lines), max_size=len(lines))
    )
    feed_at_lines(sim, lines, gaps)
    assert recover_and_ping(sim) is None, lines
    assert errors == [], (lines, errors)


@pytest.mark.slow
@FAST
@given(st.lists(api_call, min_size=1, max_size=6))
def test_hostile_api_calls_get_clear_exceptions(calls):
    import simnet

    sim = simnet.Simulation.from_dict({"name": "api", "module": "simcom-sim7600"})
    for call in calls:
        assert apply_api_call(sim, call) is None
