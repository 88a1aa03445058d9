"""Story 2: a QA lead shows the host's PPP driver survives an authentication failure.

How simnet exposes PPP to a module's host: a GSM data call (``network.bearer: gsm``, ``ATD<n>``
-> ``CONNECT 9600``) puts the host's bytes on a 9600 bit/s circuit whose far end is the
operator's dial-in PPP server; ``ppp-fail`` (phase auth, mode reject) makes that server refuse
PAP. (GPRS dial-up, ``ATD*99#``, has the module itself as PPP server; see test_found_bugs.py.)

Timing rules (scenario + simnet's documented CSD profile):
- UART 115200 baud, 10 bits per character: n bytes take n / 11520 s;
- the call: 9600 bit/s, 10 bits per character (V.110 async): n bytes take n / 960 s, plus a
  one-way line delay of 0.2 s = half the mean of the csd_9600 profile's 300-500 ms RTT;
- RFC 1661 §4.6 defaults: Restart timer 3 s, Max-Terminate 2.
"""

from __future__ import annotations

import pytest
import yaml

from simnet.bearer.ppp import PppConfig, PppDriver, PppEndpoint
from simnet.scenario.api import Simulation
from tests.stories import ppp_frames as pf
from tests.stories.helpers import STORIES, chunk_time, run_story, uart_to_host

STORY = "ppp-auth-reject-csd.yaml"
UART_CPS = 115200 / 10
LINE_CPS = 9600 / 10
LINE_DELAY = (0.300 + 0.500) / 2 / 2
SETUP_TIME = 5.0  # network.csd.setup_time
RESTART, MAX_TERMINATE = 3.0, 2

MAGIC_SEED1 = bytes.fromhex("9a1a5133")  # the operator's LCP magic for seed 1 (see the YAML)
SERVER_OPTIONS = (pf.option(pf.OPT_ACCM, bytes(4)) + pf.option(pf.OPT_AUTH, b"\xc0\x23")
                  + pf.option(pf.OPT_MAGIC, MAGIC_SEED1))
DTE_CONF_REQ = pf.frame(pf.PROTO_LCP, pf.packet(pf.CONF_REQ, 1))
SRV_CONF_REQ = pf.frame(pf.PROTO_LCP, pf.packet(pf.CONF_REQ, 1, SERVER_OPTIONS))
DTE_CONF_ACK = pf.frame(pf.PROTO_LCP, pf.packet(pf.CONF_ACK, 1, SERVER_OPTIONS))
SRV_CONF_ACK = pf.frame(pf.PROTO_LCP, pf.packet(pf.CONF_ACK, 1))
DTE_PAP = pf.frame(pf.PROTO_PAP, pf.pap_request(1, "demo", "secret"))
SRV_NAK = pf.frame(pf.PROTO_PAP, pf.pap_reply(pf.PAP_NAK, 1, "authentication failed"))
SRV_TERM_REQ = pf.frame(pf.PROTO_LCP, pf.packet(pf.TERM_REQ, 2))
DTE_TERM_ACK = pf.frame(pf.PROTO_LCP, pf.packet(pf.TERM_ACK, 2))


def story_steps() -> list[dict]:
    return yaml.safe_load((STORIES / STORY).read_text())["steps"]


def test_yaml_frames_are_the_rfc_frames():
    """The hex the scenario sends and the bytes it expects are exactly the RFC 1662 frames."""
    steps = story_steps()
    sent = [bytes.fromhex(s["send_hex"]) for s in steps if "send_hex" in s]
    assert sent == [DTE_CONF_REQ, DTE_CONF_ACK, DTE_PAP, DTE_TERM_ACK]
    expected = [s["expect"].encode("latin-1") for s in steps if "expect" in s]
    assert SRV_CONF_REQ in expected and SRV_CONF_ACK in expected
    assert SRV_NAK + SRV_TERM_REQ in expected


def dte_write_instant(sim: Simulation, data: bytes) -> float:
    (rec,) = [r for r in sim.trace.select(source="runner", kind="step")
              if r.fields.get("step") == "send_hex" and bytes.fromhex(r.fields["text"]) == data]
    return rec.t


def test_rejected_authentication_byte_for_byte_and_on_time():
    sim, _ = run_story(STORY)
    (dial,) = sim.trace.select(source="bearer.csd", kind="dial")
    connect = b"\r\nCONNECT 9600\r\n"
    assert chunk_time(sim, connect) == pytest.approx(
        dial.t + SETUP_TIME + len(connect) / UART_CPS, abs=1e-9)

    # PAP request: UART to the module, the call to the operator; the Nak and the
    # Terminate-Request leave back to back on the call, each crosses the UART on arrival.
    t_write = dte_write_instant(sim, DTE_PAP)
    t_server = t_write + len(DTE_PAP) / UART_CPS + len(DTE_PAP) / LINE_CPS + LINE_DELAY
    t_nak = t_server + len(SRV_NAK) / LINE_CPS + LINE_DELAY + len(SRV_NAK) / UART_CPS
    t_term = (t_server + (len(SRV_NAK) + len(SRV_TERM_REQ)) / LINE_CPS + LINE_DELAY
              + len(SRV_TERM_REQ) / UART_CPS)
    assert chunk_time(sim, SRV_NAK) == pytest.approx(t_nak, abs=1e-9)
    assert chunk_time(sim, SRV_TERM_REQ) == pytest.approx(t_term, abs=1e-9)
    # After our Terminate-Ack the operator's LCP is closed: no retransmission, no more frames.
    frames_after = [c for t, c in uart_to_host(sim) if t > t_term and b"~" in c]
    assert frames_after == []
    # The operator side ended with auth_failed; the module stayed a transparent pipe.
    (ended,) = sim.trace.select(source="bearer.ppp.server", kind="ppp_ended")
    assert ended.fields["outcome"] == "auth_failed"


TERM_REQ_PREFIX = SRV_TERM_REQ[:8]  # flag, address, control, LCP, code 5 (escaped)


def run_until_terminate_request() -> Simulation:
    """The story up to the operator's Terminate-Request, with a host that never acks it."""
    data = yaml.safe_load((STORIES / STORY).read_text())
    steps = data["steps"]
    cut = next(i for i, s in enumerate(steps) if s.get("send_hex") == DTE_TERM_ACK.hex(" "))
    data["steps"] = steps[:cut]
    sim = Simulation.from_dict(data)
    result = sim.run_scenario()
    assert result.passed
    return sim


def test_unanswered_terminate_request_is_retransmitted_on_the_restart_timer():
    sim = run_until_terminate_request()
    sim.advance(RESTART * MAX_TERMINATE + 5.0)
    t_write = dte_write_instant(sim, DTE_PAP)
    t_server = t_write + len(DTE_PAP) / UART_CPS + len(DTE_PAP) / LINE_CPS + LINE_DELAY
    terms = [(t, c) for t, c in uart_to_host(sim) if c.startswith(TERM_REQ_PREFIX)]
    # RFC 1661 §4.6: the Terminate-Request goes again when Restart (3 s) runs out, Max-Terminate
    # (2) transmissions in all. The first one waited behind the Nak on the call; the second
    # one finds the line free. (§5.5 lets a retransmission take a new Identifier.)
    assert len(terms) == MAX_TERMINATE
    (t1, first), (t2, second) = terms
    assert first == SRV_TERM_REQ
    assert t1 == pytest.approx(t_server + (len(SRV_NAK) + len(first)) / LINE_CPS + LINE_DELAY
                               + len(first) / UART_CPS, abs=1e-9)
    assert t2 == pytest.approx(t_server + RESTART + len(second) / LINE_CPS + LINE_DELAY
                               + len(second) / UART_CPS, abs=1e-9)
    # Max-Terminate x Restart after the first request the operator's LCP gives up (Closed).
    (dead,) = [r for r in sim.trace.select(source="bearer.ppp.server", kind="ppp_phase")
               if r.fields["phase"] == "dead"]
    assert dead.t == pytest.approx(t_server + RESTART * MAX_TERMINATE, abs=1e-9)


def test_retry_after_the_fault_is_cleared_gets_an_address():
    sim, _ = run_story(STORY)
    sim.bearer.clear_ppp_fault()  # the operator fixed its RADIUS (Python API; no YAML action)
    r = sim.dte.command("ATD5551234", timeout=30)
    assert r.raw == b"ATD5551234\r\r\nCONNECT 9600\r\n"
    dials = sim.trace.select(source="bearer.csd", kind="dial")
    assert len(dials) == 2 and r.started + r.elapsed == pytest.approx(
        dials[1].t + SETUP_TIME + len(b"\r\nCONNECT 9600\r\n") / UART_CPS, abs=1e-9)

    # The host's pppd (a PPP client: PAP with the subscriber's credentials) on the UART.
    pppd = PppDriver(sim, PppEndpoint(PppConfig(role="client", auth="pap", username="demo",
                                                password="secret"), sim.rng("host.pppd")),
                     sim.dte.write, name="host.pppd")
    deliver = sim.dte.port.on_receive

    def both(data: bytes, t: float, bt: float) -> None:
        deliver(data, t, bt)
        pppd.receive_bytes(data)

    sim.dte.port.on_receive = both
    pppd.start()
    sim.run_until(lambda: pppd.result.triggered, 60)
    outcome = pppd.result.value
    assert outcome.ok, outcome
    assert outcome.ip.startswith("10.64.")  # an address from the operator's pool
    assert outcome.dns  # and its DNS servers (RFC 1877)
    (server_result,) = [r for r in sim.trace.select(source="bearer.ppp.server", kind="ppp_result")
                        if r.t > dials[1].t]
    assert server_result.fields["outcome"] == "ok"


def test_without_the_fault_the_same_credentials_are_accepted():
    """Control run: the story's frames up to the PAP request, no ppp-fail: the operator
    answers Authenticate-Ack (RFC 1334 §2.2.2, empty message) and goes on to IPCP."""
    data = yaml.safe_load((STORIES / STORY).read_text())
    data["faults"] = []
    steps = data["steps"]
    cut = next(i for i, s in enumerate(steps) if s.get("send_hex") == DTE_PAP.hex(" "))
    data["steps"] = steps[: cut + 1]
    sim = Simulation.from_dict(data)
    assert sim.run_scenario().passed
    ack = pf.frame(pf.PROTO_PAP, pf.pap_reply(pf.PAP_ACK, 1, ""))
    t_write = dte_write_instant(sim, DTE_PAP)
    t_server = t_write + len(DTE_PAP) / UART_CPS + len(DTE_PAP) / LINE_CPS + LINE_DELAY
    sim.advance(t_server + 1.0 - sim.now)
    assert chunk_time(sim, ack) == pytest.approx(
        t_server + len(ack) / LINE_CPS + LINE_DELAY + len(ack) / UART_CPS, abs=1e-9)
    phases = [r.fields["phase"] for r in sim.trace.select(source="bearer.ppp.server",
                                                          kind="ppp_phase")]
    assert phases[-1] == "network"
