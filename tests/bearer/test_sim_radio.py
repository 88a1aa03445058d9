"""SIM PIN/PUK state machine and radio registration over time."""

from __future__ import annotations

import pytest

from simnet import ConfigError
from simnet.bearer import (
    Radio,
    RadioConfig,
    RegState,
    ScheduledChange,
    SimCard,
    SimConfig,
    SimState,
)
from simnet.kernel import Simulation


def test_pin_puk_and_blocking() -> None:
    sim = Simulation(1)
    card = SimCard(sim, SimConfig(pin="1234", puk="87654321", pin_attempts=3, puk_attempts=2))
    assert card.state == SimState.PIN and card.cpin == "SIM PIN"
    assert card.check().kind == "sim_not_ready"
    assert not card.enter_pin("0000") and card.pin_attempts_left == 2
    assert not card.enter_pin("1111")
    assert not card.enter_pin("2222")
    assert card.state == SimState.PUK and card.cpin == "SIM PUK"
    assert not card.enter_pin("1234")  # PIN no longer accepted
    assert not card.enter_puk("11111111", "4321") and card.puk_attempts_left == 1
    assert card.enter_puk("87654321", "4321") and card.state == SimState.READY
    assert card.check() is None
    card.remove()
    assert card.state == SimState.ABSENT and card.cpin is None
    assert card.check().kind == "sim_absent"
    card.insert()
    assert card.state == SimState.PIN
    assert card.enter_pin("4321")


def test_puk_exhaustion_blocks_card() -> None:
    sim = Simulation(1)
    card = SimCard(sim, SimConfig(pin="1234", pin_attempts=1, puk_attempts=1))
    card.enter_pin("9999")
    card.enter_puk("00000000", "1111")
    assert card.state == SimState.BLOCKED and card.check().kind == "sim_not_ready"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"pin": "12"}, "sim.pin"),
        ({"puk": "abc"}, "sim.puk"),
        ({"pin_attempts": 0}, "sim.pin_attempts"),
    ],
)
def test_sim_config_errors_name_the_field(kwargs, field) -> None:
    with pytest.raises(ConfigError) as exc:
        SimConfig(**kwargs)
    assert exc.value.field == field


def test_registration_after_delay_and_listeners() -> None:
    sim = Simulation(1)
    card = SimCard(sim, SimConfig())
    radio = Radio(
        sim, card, RadioConfig(registered_as="roaming", registration_delay=4.0, rssi=17, ber=2)
    )
    seen: list[tuple[float, str, int]] = []
    radio.add_listener(lambda dom, st: seen.append((sim.now, dom, st.stat)))
    assert radio.stat("cs") == 2 and radio.stat("ps") == 2  # searching from t=0
    sim.advance(5)
    assert radio.stat("cs") == 5 and radio.stat("ps") == 5  # TS 27.007 §7.2: 5 roaming
    assert seen == [(4.0, "cs", 5), (4.0, "ps", 5)]
    assert radio.csq() == (17, 2)


def test_sim_not_ready_means_not_registered_until_pin() -> None:
    sim = Simulation(1)
    card = SimCard(sim, SimConfig(pin="1234"))
    radio = Radio(sim, card, RadioConfig(registration_delay=1.0))
    sim.advance(10)
    assert radio.stat("cs") == 0
    card.enter_pin("1234")
    sim.advance(0.5)
    assert radio.stat("cs") == 2
    sim.advance(1)
    assert radio.stat("cs") == 1


def test_schedule_and_coverage_loss_and_return() -> None:
    sim = Simulation(1)
    card = SimCard(sim, SimConfig())
    cfg = RadioConfig(
        registration_delay=2.0,
        schedule=(ScheduledChange(at=10.0, ps=RegState.DENIED), {"at": "20s", "ps": "home"}),
    )
    radio = Radio(sim, card, cfg)
    sim.advance(11)
    assert (radio.stat("cs"), radio.stat("ps")) == (1, 3)
    sim.advance(10)
    assert radio.stat("ps") == 1
    radio.coverage_loss(30.0)  # at t=21
    assert (radio.stat("cs"), radio.stat("ps")) == (2, 2) and radio.csq() == (99, 99)
    sim.advance(30.5)  # coverage back at 51, registration 2 s later
    assert radio.stat("ps") == 2
    sim.advance(2)
    assert radio.stat("ps") == 1 and radio.csq() == (20, 0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rssi": 40}, "radio.rssi"),
        ({"ber": 8}, "radio.ber"),
        ({"registered_as": "sleeping"}, "radio.registered_as"),
        ({"registration_delay": -1}, "radio.registration_delay"),
    ],
)
def test_radio_config_errors(kwargs, field) -> None:
    with pytest.raises(ConfigError) as exc:
        RadioConfig(**kwargs)
    assert exc.value.field == field


def test_wait_registered_event() -> None:
    sim = Simulation(1)
    card = SimCard(sim, SimConfig())
    radio = Radio(sim, card, RadioConfig(registration_delay=3.0))
    ev = radio.wait_registered("ps", timeout=10)
    late = radio.wait_registered("cs", timeout=1)
    sim.advance(5)
    assert ev.value is True and late.value is False
    with pytest.raises(ConfigError) as exc:
        RadioConfig(lac="XYZ")
    assert exc.value.field == "radio.lac"
