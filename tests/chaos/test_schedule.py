"""Schedules: drawn from the fault actions the scenario layer declares, inside the storm window,
valid scenario data, and a pure function of (chaos seed, run index)."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from simnet.chaos.run import with_schedule
from simnet.chaos.schedule import (
    BY_REQUEST,
    NOT_DRAWN,
    Schedule,
    draw_schedule,
    drawable_actions,
    schedule_rng,
    seconds,
)
from simnet.errors import ConfigError
from simnet.scenario.faults import FAULTS
from simnet.scenario.loader import locate_data
from simnet.scenario.schema import validate

GPRS: dict[str, Any] = {
    "name": "a world with every kind of server",
    "module": "simcom-sim7600",
    "network": {"apn": {"name": "internet"}},
    "hosts": {
        "echo.example.net": {"ip": "203.0.113.10", "services": [{"type": "tcp-echo", "port": 7}]},
        "files.example.net": {
            "ip": "203.0.113.20",
            "services": [
                {"type": "ftp", "port": 21},
                {"type": "smtp", "port": 25},
                {"type": "pop3", "port": 110},
            ],
        },
    },
    "steps": [{"send": "AT"}, {"expect": "OK"}],
    "chaos": {"window": ["5s", "50s"], "faults": {"min": 1, "max": 6}},
}
GSM: dict[str, Any] = {**copy.deepcopy(GPRS), "name": "a data call", "network": {"bearer": "gsm"}}
# A phone host: SMS and calls apply.
GSM["hosts"]["phone"] = {"msisdn": "+33611111111"}


def scenario(data: dict[str, Any]) -> Any:
    sc, problems = validate(locate_data(data, "<t>"))
    assert not problems, problems
    return sc


def test_same_seed_and_index_same_schedule_in_any_order() -> None:
    sc = scenario(GPRS)
    first = [draw_schedule(sc, sc.chaos, schedule_rng(7, i)) for i in range(20)]
    again = [draw_schedule(sc, sc.chaos, schedule_rng(7, i)) for i in reversed(range(20))][::-1]
    assert first == again
    assert first != [draw_schedule(sc, sc.chaos, schedule_rng(8, i)) for i in range(20)]
    assert len({s.to_json() for s in first}) == 20


def test_every_declared_fault_action_is_drawn_and_every_schedule_is_valid_scenario_data() -> None:
    seen: set[str] = set()
    for data in (GPRS, GSM):
        sc = scenario(data)
        loaded = locate_data(data, "<t>")
        for i in range(400):
            sch = draw_schedule(sc, sc.chaos, schedule_rng(1, i))
            seen.update(f["action"] for f in sch.faults)
            assert sc.chaos.faults_min <= len(sch) <= sc.chaos.faults_max
            for f in sch.faults:  # inside the storm window, and over by its end
                start = seconds(f["at"])
                assert 5.0 <= start <= 50.0
                if "duration" in f and f["action"] != "power-cycle":
                    assert start + seconds(f["duration"]) <= 50.0 + 0.1 + 1e-9
            _sc, problems = validate(locate_data(with_schedule(loaded.data, sch), "<t>"))
            assert not problems, (sch.describe(), problems)
    expected = set(FAULTS) - set(NOT_DRAWN) - set(BY_REQUEST)
    assert seen == expected, expected - seen


def test_actions_that_do_not_apply_are_not_drawn_and_cannot_be_asked_for() -> None:
    sc = scenario(GPRS)
    actions = drawable_actions(sc, sc.chaos)
    assert "call-fail" not in actions and "ppp-fail" not in actions  # no data call, no dial-up
    assert "pdp-reject" in actions and "server-reply" in actions
    data = copy.deepcopy(GPRS)
    data["chaos"]["kinds"] = ["call-fail"]
    with pytest.raises(ConfigError, match="call-fail does not apply to this world"):
        drawable_actions(scenario(data), scenario(data).chaos)
    data["chaos"]["kinds"] = ["peer-connect"]
    with pytest.raises(ConfigError, match="peer-connect cannot be drawn"):
        drawable_actions(scenario(data), scenario(data).chaos)
    data["chaos"]["kinds"] = ["server-push"]  # a stimulus: only when asked for
    assert drawable_actions(scenario(data), scenario(data).chaos) == ["server-push"]


def test_kinds_weights_and_exclude() -> None:
    data = copy.deepcopy(GPRS)
    data["chaos"].update(
        kinds=["loss", "link-outage", "nat-expire"], weights={"link-outage": 0}, faults=3
    )
    sc = scenario(data)
    rng = random.Random(0)
    actions = drawable_actions(sc, sc.chaos)
    assert actions == ["loss", "nat-expire"]
    for _ in range(50):
        sch = draw_schedule(sc, sc.chaos, rng, actions)
        assert len(sch) == 3 and {f["action"] for f in sch.faults} <= {"loss", "nat-expire"}
        if any(f["action"] == "nat-expire" for f in sch.faults):  # each NAT expiry variant
            assert [k for k, _ in sch.knobs] == ["network.nat.on_expiry"]
        else:
            assert sch.knobs == ()


def test_schedule_round_trips_through_json() -> None:
    sc = scenario(GPRS)
    sch = draw_schedule(sc, sc.chaos, schedule_rng(3, 3))
    assert Schedule.from_json(sch.to_json()) == sch


@pytest.mark.parametrize(
    "chaos, problem",
    [
        (
            {"window": ["30s", "10s"]},
            "chaos.window: the window ends (10 s) before it starts (30 s)",
        ),
        (
            {"faults": {"min": 5, "max": 2}},
            "chaos.faults: max 2 is below min 5 (expected min <= max)",
        ),
        ({"kinds": ["meteor"]}, "chaos.kinds[0]"),
        (
            {"intensity": {"loss": ["50%", "10%"]}},
            "chaos.intensity.loss: high 0.1 is below low 0.5",
        ),
        ({"invariants": ["integrity", "world-peace"]}, "chaos.invariants[1]"),
        ({"colour": 1}, "chaos.colour: unknown key"),
    ],
)
def test_a_bad_chaos_block_gets_a_located_answer(chaos: dict[str, Any], problem: str) -> None:
    data = copy.deepcopy(GPRS)
    data["chaos"] = chaos
    _sc, problems = validate(locate_data(data, "<t>"))
    assert problems and any(problem in str(p) for p in problems), [str(p) for p in problems]
