"""Dial-up IP steps and the PPP pcap check: bad input named by file, line and key; steps and
checks that must fail do fail."""

from __future__ import annotations

from simnet.scenario.api import Simulation
from simnet.scenario.ip_steps import pattern_bytes
from simnet.scenario.loader import load_text
from simnet.scenario.runner import Runner
from simnet.scenario.schema import validate

HEAD = """\
name: t
module: simcom-sim7600
sim: {state: ready}
network:
  registration: {state: home, after: 1s}
  apn: {name: internet, user: gw, password: pw, auth: pap}
  pdp: {activation_delay: 1s}
  dns: [10.64.0.53, 10.64.0.54]
hosts:
  echo.example.net:
    ip: 203.0.113.10
    services:
      - {type: tcp-echo, port: 7}
"""


def problems(text: str) -> list[str]:
    _, found = validate(load_text(HEAD + text, "t.yaml"))
    return [str(p) for p in found]


def test_bad_ip_steps_are_named_by_line_and_key():
    found = problems("""steps:
  - dial: {number: "*99#", auth: mschap}
  - tcp_open: {socket: s1, host: nowhere.example, port: 70000}
  - socket_send: {socket: s1}
  - socket_expect: {socket: s1, data: x, bytes: 3}
  - ping: {}
checks:
  - {pcap: ppp, contains: [LCP, EAP]}
""")
    text = "\n".join(found)
    assert "t.yaml:15: steps[0].dial.auth: unknown value 'mschap'" in text
    assert "t.yaml:16: steps[1].tcp_open.host: unknown host 'nowhere.example'" in text
    assert "steps[1].tcp_open.port: 70000 is out of range" in text
    assert "t.yaml:17: steps[2].socket_send: expected exactly one of data:, bytes:" in text
    assert "steps[3].socket_expect: expected exactly one of data:, bytes:, closed:" in text
    assert "steps[4].ping: no destination" in text
    assert "t.yaml:21: checks[0].contains[1]: unknown value 'EAP'" in text


def run(text: str):
    scenario, found = validate(load_text(HEAD + text, "t.yaml"))
    assert not found, found
    return Runner(Simulation(scenario=scenario)).run()


def test_dial_outcome_and_pcap_check_fail_when_the_run_differs():
    result = run("""steps:
  - wait: 2s
  - dial: {number: "*99#", username: gw, password: pw, auth: pap}
  - tcp_open: {socket: s1, host: echo.example.net, port: 7}
  - socket_send: {socket: s1, bytes: 3000}
  - socket_expect: {socket: s1, data: "not what comes back"}
    within: 20s
checks:
  - {pcap: ppp, contains: [CHAP], both_directions: true}
  - {pcap: ppp, contains: [PAP, IP], both_directions: true}
""")
    steps = {s.index: s for s in result.steps}
    assert steps[1].passed and steps[2].passed and steps[3].passed
    # 3000 pattern bytes came back; the first 19 are not the expected text
    assert not steps[4].passed and "first difference at byte 0" in steps[4].detail
    assert [c.passed for c in result.checks] == [False, True]
    assert result.checks[0].detail == "no CHAP frame"


def test_wrong_outcome_fails_the_dial_step():
    result = run("""steps:
  - wait: 2s
  - dial: {number: "*99#", username: gw, password: nope, auth: pap}
""")
    assert not result.passed
    assert (
        "dial-up ended peer_terminated" in result.steps[1].detail
        and "expected ok" in result.steps[1].detail
    )


def test_pattern_is_the_documented_formula():
    data = pattern_bytes(600)
    assert data[:4] == bytes([0, 7, 14, 21]) and data[251] == (251 * 7 + 1) & 0xFF
    assert pattern_bytes(10, 300) == data[300:310]


def test_library_redial_after_one_auth_failure_fails_exactly_one_session():
    """scenarios/dialup/auth-failure-redial.yaml: ppp-fail with count 1 refuses the first PPP
    session at authentication (RFC 1334 §2.2.2: Authenticate-Nak) and no later one."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scenarios" / "dialup" / "auth-failure-redial.yaml"
    sim = Simulation.from_yaml(path)
    result = sim.run_scenario()
    assert result.passed
    pap = [r.fields["frame"] for r in sim.trace.select(source="bearer.dialup", kind="ppp_tx")
           if r.fields["frame"].startswith("PAP")]
    assert pap == ["PAP Authenticate-Nak id=1", "PAP Authenticate-Ack id=1"]
    ended = [r.fields["outcome"] for r in sim.trace.select(source="dte.ppp", kind="ppp_ended")]
    assert ended == ["auth_failed", "ok"]  # refused, then the retry's own hangup
    first_dial, second_dial = (s for s in result.steps if s.kind == "dial")
    assert second_dial.t - first_dial.t > 5.0  # the driver's pause before it dialled again
