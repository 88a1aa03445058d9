"""Power-up and restart: real durations, boot lines, deaf while booting, fresh state after.

Expected times are the boot rows of each module (simcom.tables.BOOT, fibocom.tables.BOOT_TIME;
their sources are in docs/assumptions.md) plus the scenario's own registration delay; the bytes
are the boot lines those logs show. A restart must leave the module like a fresh one: full
functionality (CFUN 1), registering again, the SIM read again, no socket, no PDP context.
"""

from __future__ import annotations

import pytest

import simnet
from tests.dte_helpers import exchange, wait_for
from tests.modem.vendors.simcom import harness as sh

# (module, seconds until the UART answers, boot lines with their times after power-on)
BOOTS = [
    ("simcom-sim7600", 12.0, [(12.0, b"\r\nRDY\r\n"), (12.5, b"\r\n+CPIN: READY\r\n"),
                              (14.0, b"\r\nSMS DONE\r\n"), (14.5, b"\r\nPB DONE\r\n")]),
    ("simcom-a7670", 6.0, [(6.0, b"\r\n*ATREADY: 1\r\n"), (7.0, b"\r\n+CPIN: READY\r\n"),
                           (7.5, b"\r\nSMS DONE\r\n"), (8.0, b"\r\nPB DONE\r\n")]),
    ("fibocom-l610", 8.0, []),
]


def world(module: str, *, boot: str = "booted", sim: dict | None = None, **kw) -> simnet.Simulation:
    data = {
        "name": "boot", "module": module, "boot": boot,
        "network": {"apn": {"name": "internet"}, "registration": {"after": "2s"},
                    "pdp": {"activation_delay": "1s"}},
        "hosts": sh.echo_hosts(), "steps": [{"wait": 0}], **kw,
    }
    if sim:
        data["sim"] = sim
    return simnet.Simulation.from_dict(data)


STEP = 0.05


def arrivals(sim: simnet.Simulation, until: float, step: float = STEP) -> list[tuple[float, bytes]]:
    """(time, bytes) of every UART burst from the module until ``until``, polled every step."""
    out = []
    while sim.now < until - 1e-9:
        sim.advance(min(step, until - sim.now))
        got = sim.dte.read_available()
        if got:
            out.append((round(sim.now, 2), got))
    return out


def at_times(got: list[tuple[float, bytes]], lines: list[tuple[float, bytes]]) -> bool:
    """Each expected line arrived in the poll that follows its time (a line takes < 2 ms)."""
    return len(got) >= len(lines) and all(
        data == text and t < tp <= t + STEP + 1e-6
        for (tp, data), (t, text) in zip(got, lines, strict=False)
    )


@pytest.mark.parametrize(("module", "ready", "lines"), BOOTS)
def test_cold_start_is_deaf_then_prints_its_boot_lines(module: str, ready: float, lines) -> None:
    sim = world(module, boot="cold")
    sim.dte.write(b"AT\r\n")  # the driver pokes the module while it boots: nothing answers
    got = arrivals(sim, ready + 3.0)
    assert at_times(got, lines), got
    assert all(t > ready for t, _ in got)
    assert exchange(sim, b"AT\r\n", b"AT\r\r\nOK\r\n") == b"AT\r\r\nOK\r\n"
    # registration starts once the SIM has been read: +CREG stat 1 two seconds later
    sim_read = lines[1][0] if lines else ready
    sim.advance(max(0.0, sim_read + 2.0 - sim.now) + 0.01)
    assert exchange(sim, b"AT+CREG?\r\n", b"AT+CREG?\r\r\n+CREG: 0,1\r\n\r\nOK\r\n").endswith(
        b"0,1\r\n\r\nOK\r\n"
    )


def test_a_booted_scenario_answers_at_once_without_boot_lines() -> None:
    sim = world("simcom-sim7600")
    assert exchange(sim, b"AT\r\n", b"AT\r\r\nOK\r\n") == b"AT\r\r\nOK\r\n"
    sim.advance(20)
    assert sim.dte.read_available() == b""


@pytest.mark.parametrize("command", [b"AT+CFUN=1,1", b"AT+CRESET"])
@pytest.mark.parametrize("module", ["simcom-sim7600", "simcom-a7670"])
def test_reset_after_rf_off_brings_the_radio_back(module: str, command: bytes) -> None:
    sim = world(module)
    sim.advance(3)
    assert exchange(sim, b"AT+CFUN=0\r\n", b"AT+CFUN=0\r\r\nOK\r\n") == b"AT+CFUN=0\r\r\nOK\r\n"
    expected = b"AT+CSQ\r\r\n+CSQ: 99,99\r\n\r\nOK\r\n"
    assert exchange(sim, b"AT+CSQ\r\n", expected) == expected
    assert exchange(sim, command + b"\r\n", command + b"\r\r\nOK\r\n") == command + b"\r\r\nOK\r\n"
    t0 = sim.now
    ready, lines = {m: (r, ln) for m, r, ln in BOOTS}[module]
    sim.dte.write(b"AT\r\n")
    sim.advance(ready - 0.1)
    assert sim.dte.read_available() == b""  # deaf while it boots
    last = lines[-1][0] - ready
    got = wait_for(sim, lines[-1][1], 5)
    assert got == b"".join(text for _, text in lines)
    assert sim.now - t0 == pytest.approx(ready + last, abs=0.01)
    expected = b"AT+CFUN?\r\r\n+CFUN: 1\r\n\r\nOK\r\n"
    assert exchange(sim, b"AT+CFUN?\r\n", expected) == expected
    sim.advance(2.0)  # the scenario's registration delay after the SIM was read
    expected = b"AT+CREG?\r\r\n+CREG: 0,1\r\n\r\nOK\r\n"
    assert exchange(sim, b"AT+CREG?\r\n", expected) == expected
    csq = exchange(sim, b"AT+CSQ\r\n", b"AT+CSQ\r\r\n+CSQ: 20,0\r\n\r\nOK\r\n")
    assert csq == b"AT+CSQ\r\r\n+CSQ: 20,0\r\n\r\nOK\r\n"  # the scenario's default signal


def test_fibocom_cfun_reset_timing() -> None:
    sim = world("fibocom-l610")
    sim.advance(3)
    line = b"AT+CFUN=1,1"
    assert exchange(sim, line + b"\r\n", line + b"\r\r\nOK\r\n") == line + b"\r\r\nOK\r\n"
    t0 = sim.now
    sim.dte.write(b"AT\r\n")
    sim.advance(7.9)
    assert sim.dte.read_available() == b""
    sim.advance(0.2)
    assert exchange(sim, b"AT\r\n", b"AT\r\r\nOK\r\n") == b"AT\r\r\nOK\r\n"
    assert 8.0 <= sim.now - t0 <= 8.3


def test_reset_loses_sockets_context_and_pin_silently() -> None:
    sim = world("simcom-sim7600", sim={"state": "pin", "pin": "1234"})
    assert (
        exchange(sim, b'AT+CPIN="1234"\r\n', b'AT+CPIN="1234"\r\r\nOK\r\n')
        == b'AT+CPIN="1234"\r\r\nOK\r\n'
    )
    sim.advance(2.5)
    sh.netopen(sim)
    line = f'AT+CIPOPEN=0,"TCP","{sh.SERVER_IP}",100'.encode()
    exchange(sim, line + b"\r\n", line + b"\r\r\nOK\r\n")
    wait_for(sim, b"\r\n+CIPOPEN: 0,0\r\n")
    assert exchange(sim, b"AT+CRESET\r\n", b"AT+CRESET\r\r\nOK\r\n") == b"AT+CRESET\r\r\nOK\r\n"
    # no +IPCLOSE / +CIPEVENT: the module is gone; the PIN is asked again, so no SMS/PB DONE
    assert wait_for(sim, b"\r\n+CPIN: SIM PIN\r\n", 14) == b"\r\nRDY\r\n\r\n+CPIN: SIM PIN\r\n"
    assert sh.quiet(sim, 5) == b""
    expected = b"AT+NETOPEN?\r\r\n+NETOPEN: 0\r\n\r\nOK\r\n"
    assert exchange(sim, b"AT+NETOPEN?\r\n", expected) == expected
    expected = b"AT+CGACT?\r\r\n+CGACT: 1,0\r\n\r\nOK\r\n"  # defined before, kept, inactive
    assert exchange(sim, b"AT+CGACT?\r\n", expected) == expected
    assert sim.world.module_host.ip is None


def test_reset_and_power_cycle_faults() -> None:
    sim = world(
        "simcom-a7670",
        faults=[
            {"at": "5s", "action": "reset"},
            {"at": "20s", "action": "power-cycle", "duration": "3s"},
        ],
    )
    sim.advance(4)
    assert exchange(sim, b"AT\r\n", b"AT\r\r\nOK\r\n") == b"AT\r\r\nOK\r\n"
    assert at_times(arrivals(sim, 13.1), [(11.0, b"\r\n*ATREADY: 1\r\n")])  # 5 s + 6 s
    sim.dte.read_available()
    got = arrivals(sim, 30)
    assert at_times(got, [(29.0, b"\r\n*ATREADY: 1\r\n")])  # 20 s + 3 s off + 6 s


def test_boot_key_is_validated() -> None:
    with pytest.raises(simnet.ConfigError, match="boot: unknown boot mode 'warm'"):
        world("simcom-sim7600", boot="warm")
