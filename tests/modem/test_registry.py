"""Module registry: ids, profiles, clear errors for unknown ids and unbuilt dialects."""

import pytest

from simnet import ConfigError, Simulation
from simnet.modem import MODULES, create_module, get_profile, list_modules
from simnet.modem.dialect import Dialect
from simnet.modem.registry import ModuleProfile, imei_for

EXPECTED_IDS = [
    "fibocom-l610",
    "simcom-a7670",
    "simcom-sim7600",
    "wavecom-edsoft",
    "wavecom-wipsoft",
]


def luhn_ok(digits: str) -> bool:
    """Independent Luhn check (ISO/IEC 7812): the sum with doubled odd positions from the right
    (check digit included at position 0) is a multiple of ten."""
    total = 0
    for pos, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if pos % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_the_five_modules_are_listed_by_id():
    assert sorted(MODULES) == EXPECTED_IDS
    assert [p.id for p in list_modules()] == EXPECTED_IDS
    for p in list_modules():
        assert p.description and p.manufacturer and p.model and p.revision
        assert ":" in p.dialect
        assert len(p.imei_tac) == 8 and p.imei_tac.isdigit()
        assert p.max_sockets >= 1 and p.command_buffer >= 256


def test_unknown_id_lists_the_known_ones():
    with pytest.raises(ConfigError) as err:
        get_profile("nokia-3310")
    for module_id in EXPECTED_IDS:
        assert module_id in str(err.value)


def test_unbuilt_dialect_says_so():
    profile = ModuleProfile(
        id="test-x",
        description="d",
        vendor="v",
        dialect="simnet.modem.dialects.nothere:X",
        manufacturer="m",
        model="x",
        revision="r",
        imei_tac="12345678",
    )
    with pytest.raises(ConfigError, match="dialect for test-x is not built yet"):
        create_module(Simulation(1), profile)


def test_forced_dialect_and_options():
    sim = Simulation(1)
    m = create_module(sim, "fibocom-l610", dialect=Dialect, echo=False, baud=9600)
    assert m.profile.echo is False and m.port.baud == 9600
    with pytest.raises(ConfigError, match="unknown module option"):
        create_module(sim, "fibocom-l610", dialect=Dialect, colour="red")


def test_imei_is_fifteen_digits_with_valid_luhn():
    p = get_profile("simcom-sim7600")
    for serial in (0, 1, 123456, 999999):
        imei = imei_for(p, serial)
        assert len(imei) == 15 and imei.startswith(p.imei_tac)
        assert luhn_ok(imei)
    # A known-good IMEI from the GSMA example set checks out with the same helper.
    assert luhn_ok("490154203237518")


def test_imei_is_deterministic_per_seed():
    a = create_module(Simulation(5), "simcom-sim7600", dialect=Dialect).imei
    b = create_module(Simulation(5), "simcom-sim7600", dialect=Dialect).imei
    c = create_module(Simulation(6), "simcom-sim7600", dialect=Dialect).imei
    assert a == b and a != c


def test_latency_profile_is_validated():
    with pytest.raises(ConfigError):
        create_module(Simulation(1), "simcom-sim7600", dialect=Dialect, latency={"basic": "-1 s"})


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("echo", "yes"),
        ("cmee", 3),
        ("command_buffer", 0),
        ("uart_rx_buffer", 10),
        ("line_idle_timeout", -1),
        ("boot_time", -2),
        ("latency", {"warp": 0.1}),
        ("baud", 12345),
    ],
)
def test_bad_options_raise_config_errors_naming_the_field(option, value):
    with pytest.raises(ConfigError) as err:
        create_module(Simulation(1), "simcom-sim7600", dialect=Dialect, **{option: value})
    assert option in str(err.value) or "baud" in str(err.value)
