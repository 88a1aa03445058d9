"""``port:`` on send/expect steps: a second UART or a CMUX channel of the module, with exact
bytes on each line; validation names the ports a module has; a channel before AT+CMUX fails
its step saying so."""

from __future__ import annotations

import pytest

from simnet.scenario.api import Simulation
from simnet.scenario.loader import load_text
from simnet.scenario.runner import Runner
from simnet.scenario.schema import validate


def problems(text: str) -> list[str]:
    _, found = validate(load_text(text, "s.yaml"))
    return [str(p) for p in found]


def run(text: str):
    scenario, found = validate(load_text(text, "s.yaml"))
    assert not found, found
    sim = Simulation(scenario=scenario)
    return sim, Runner(sim).run()


def test_a_port_the_module_does_not_have_is_a_located_problem():
    text = "name: p\nmodule: simcom-sim7600\nsteps:\n  - send: AT\n    port: uart2\n"
    assert problems(text) == [
        "s.yaml:5: steps[0].port: simcom-sim7600 has no port 'uart2' (expected one of uart1, "
        "cmux1, cmux2, cmux3, cmux4)"
    ]
    # the L610's manual has no AT+CMUX: no channels either
    text = "name: p\nmodule: fibocom-l610\nsteps:\n  - send: AT\n    port: cmux1\n"
    assert problems(text) == [
        "s.yaml:5: steps[0].port: fibocom-l610 has no port 'cmux1' (expected one of uart1)"
    ]


@pytest.mark.parametrize(
    ("step", "line", "why"),
    [
        ("{wait: 1s, port: uart2}", 4, "steps[0].port: unknown key (expected one of wait)"),
        ("{send: AT, port: 2}", 4, "steps[0].port: got number 2 (expected a port such as"),
        ("{send: AT, port: uart9}", 4, "steps[0].port: wavecom-wipsoft has no port 'uart9'"),
    ],
)
def test_port_only_on_line_steps_and_only_a_name(step, line, why):
    found = problems(f"name: p\nmodule: wavecom-wipsoft\nsteps:\n  - {step}\n")
    assert len(found) == 1 and found[0].startswith(f"s.yaml:{line}: {why}"), found


def test_a_fleet_device_has_no_port():
    text = (
        "name: f\nmodules:\n  - name: d\n    module: wavecom-wipsoft\n"
        "    steps: [{send: AT, port: uart2}]\n"
    )
    found = problems(text)
    assert any(
        "modules[0].steps[0].port: a fleet device's steps talk on its first UART" in x
        for x in found
    ), found


def test_each_uart_and_cmux_channel_gets_exactly_its_own_bytes():
    """SIM7600: AT+CMUX=0 on UART1, then AT+CSQ on channels 1 and 2 (exact bytes: echo, the
    configured signal of rssi 20 / ber 0 as TS 27.007 §8.5 writes it, OK)."""
    sim, result = run(
        "name: p\nmodule: simcom-sim7600\nnetwork: {signal: {rssi: 20, ber: 0}}\n"
        "steps:\n"
        "  - wait: 2s\n"
        "  - send: AT+CMUX=0\n"
        '  - expect: "AT+CMUX=0\\r\\r\\nOK\\r\\n"\n'
        "  - {send: ATE0, port: cmux2}\n"
        '  - {expect: "ATE0\\r\\r\\nOK\\r\\n", port: cmux2}\n'
        "  - {send: AT+CSQ, port: cmux1}\n"
        "  - {send: AT+CSQ, port: cmux2}\n"
        '  - {expect: "AT+CSQ\\r\\r\\n+CSQ: 20,0\\r\\n\\r\\nOK\\r\\n", port: cmux1}\n'
        '  - {expect: "\\r\\n+CSQ: 20,0\\r\\n\\r\\nOK\\r\\n", port: cmux2}\n'
        "  - {expect_absent: CSQ, port: cmux1, within: 1s}\n",
    )
    assert result.passed, [(s.index, s.detail) for s in result.steps]
    assert result.steps[5].detail.startswith("on cmux1: sent 7 bytes")
    # the channels' bytes went through the multiplexer: nothing on the UART1 host as text
    assert sim.dte.peek() == b""


def test_a_channel_before_at_cmux_fails_its_step_saying_why():
    _, result = run("name: p\nmodule: simcom-sim7600\nsteps:\n  - {send: AT, port: cmux1}\n")
    assert not result.passed
    assert result.steps[0].detail == (
        "cmux1: uart1 is not multiplexed (expected AT+CMUX=0 answered OK on uart1 before)"
    )
