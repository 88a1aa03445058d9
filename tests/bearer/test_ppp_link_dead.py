"""When a PPP link is dead (RFC 1661 Link Dead) and what that does to the line under it: the
operator's dial-in server releases the GSM call; ``PppDriver.finished`` marks the instant.
And the ``ppp_fail`` fault's count / duration / clear API.

Timing rules (independent of the code): RFC 1661 §4.6 Restart 3 s, Max-Terminate 2,
Max-Configure 10; §5.5 the receiver of a Terminate-Request waits one Restart after its
Terminate-Ack before it disconnects. The GSM call is a 9600 bit/s line, 10 bits per character,
one-way delay 0.2 s (half the mean RTT of the csd_9600 profile, 300-500 ms).
"""

from __future__ import annotations

import re

import pytest

from simnet.bearer import CsdConfig, OutcomeKind
from simnet.bearer.ppp import BytePipe, PppConfig, PppFault, PppSession
from simnet.errors import ConfigError
from simnet.kernel import Simulation
from tests.stories import ppp_frames as pf

from .helpers import T0, run_event, world

RESTART, MAX_TERMINATE, MAX_CONFIGURE = 3.0, 2, 10
LINE_CPS, LINE_DELAY = 9600 / 10, (0.3 + 0.5) / 2 / 2
SETUP = 20.0


def session(sim: Simulation, *, delay: float, client: PppConfig | None = None) -> PppSession:
    pipe = BytePipe(sim, delay=delay)
    return PppSession(sim, client or PppConfig(role="client"),
                      PppConfig(role="server", local_ip="10.0.0.1", peer_ip="10.0.0.2"),
                      pipe=pipe).start()


def test_finished_comes_with_the_terminate_ack_and_one_restart_after_acking():
    sim = Simulation(1)
    s = session(sim, delay=0.1)
    sim.run_until(lambda: s.server.result.triggered and s.client.result.triggered, 10)
    t_close = sim.now
    s.client.close()
    sim.advance(RESTART + 1)
    # client: Terminate-Request out, the Ack back one round trip later -> Closed, Link Dead
    assert s.client.finished.value.kind == OutcomeKind.OK
    fin = [r.t for r in sim.trace.select(source="ppp.client", kind="ppp_phase")
           if r.fields["phase"] == "dead"]
    assert fin == pytest.approx([t_close + 0.2], abs=1e-9)
    # server: acked on arrival (t + 0.1), Stopped one Restart later (§5.5)
    assert s.server.ended.value.kind == OutcomeKind.PEER_TERMINATED
    assert s.server.ended.value.at == pytest.approx(t_close + 0.1, abs=1e-9)
    assert s.server.finished.value.at == pytest.approx(t_close + 0.1, abs=1e-9)  # same outcome
    dead = [r.t for r in sim.trace.select(source="ppp.server", kind="ppp_phase")
            if r.fields["phase"] == "dead"]
    assert dead == pytest.approx([t_close + 0.1 + RESTART], abs=1e-9)


def test_finished_for_a_silent_peer_is_the_lcp_timeout():
    sim = Simulation(1)
    s = session(sim, delay=0.0, client=PppConfig(role="client", fault=PppFault("lcp", "silent")))
    sim.advance(MAX_CONFIGURE * RESTART + 1)
    out = s.server.finished.value
    assert out.kind == OutcomeKind.LCP_TIMEOUT
    dead = [r.t for r in sim.trace.select(source="ppp.server", kind="ppp_phase")
            if r.fields["phase"] == "dead"]
    assert dead == pytest.approx([MAX_CONFIGURE * RESTART], abs=1e-9)


def gsm_world(seed: int = 1):
    sim, net, host, bearer = world(seed, csd=CsdConfig(setup_time=SETUP), user="wap",
                                   password="wap", auth="pap")
    sim.advance(T0)
    return sim, net, host, bearer


def frame_len(code: int, ident: int) -> int:
    return len(pf.frame(pf.PROTO_LCP, pf.packet(code, ident)))


def test_operator_releases_the_call_when_its_terminate_is_acked():
    sim, net, host, bearer = gsm_world()
    assert run_event(sim, bearer.gsm_connect("1", username="wap", password="wap")).ok
    (running,) = [r for r in sim.trace.select(source="bearer.ppp.server", kind="ppp_phase")
                  if r.fields["phase"] == "running"]
    bearer.ppp_fail("open", "terminate", after=5.0)  # 'after' counts from now
    t_fault = sim.now
    sim.advance(20)
    (term,) = [r for r in sim.trace.select(source="bearer.ppp.server", kind="ppp_tx")
               if "Terminate-Request" in r.fields["frame"]]
    ident = int(re.search(r"id=(\d+)", term.fields["frame"]).group(1))
    assert term.t == pytest.approx(t_fault + 5.0, abs=1e-9) and term.t > running.t
    # Terminate-Request over the call, the module's Terminate-Ack back: Closed, call released.
    t_ack_in = (term.t + frame_len(pf.TERM_REQ, ident) / LINE_CPS + LINE_DELAY
                + frame_len(pf.TERM_ACK, ident) / LINE_CPS + LINE_DELAY)
    (end,) = sim.trace.select(source="bearer.csd", kind="call_end")
    assert end.t == pytest.approx(t_ack_in, abs=1e-9)
    assert (end.fields["outcome"], end.fields["detail"]) == ("no_carrier", "remote hang-up")
    assert bearer.csd.call is None


def test_ppp_fail_count_applies_to_the_next_n_negotiations():
    sim, net, host, bearer = gsm_world()
    bearer.ppp_fail("auth", "reject", count=2)
    kinds = []
    for _ in range(3):
        kinds.append(run_event(sim, bearer.gsm_connect("1", username="wap", password="wap")).kind)
        if kinds[-1] == OutcomeKind.OK:
            break
        sim.advance(10)  # the call is gone (released by the operator) before the retry
        assert bearer.csd.call is None
    assert kinds == [OutcomeKind.AUTH_FAILED, OutcomeKind.AUTH_FAILED, OutcomeKind.OK]
    assert bearer.ppp_fault is None


def test_ppp_fail_duration_ends_the_fault():
    sim, net, host, bearer = gsm_world()
    t0 = sim.now
    bearer.ppp_fail("auth", "reject", duration=SETUP + 5)
    # the server of this call is created at t0 + SETUP, inside the duration
    assert (
        run_event(sim, bearer.gsm_connect("1", username="wap", password="wap")).kind
        == OutcomeKind.AUTH_FAILED
    )
    sim.advance(10)
    (end,) = sim.trace.select(source="bearer", kind="fault_end")
    assert end.t == pytest.approx(t0 + SETUP + 5, abs=1e-9)
    assert run_event(sim, bearer.gsm_connect("1", username="wap", password="wap")).ok


def test_clear_ppp_fault_live_also_heals_a_negotiation_under_way():
    sim, net, host, bearer = gsm_world()
    ev = bearer.gsm_connect("1", username="wap", password="wap")
    sim.advance(SETUP)  # connected; LCP under way
    bearer.ppp_fail("ipcp", "silent")
    sim.advance(4.0)  # the client's IPCP request goes unanswered
    assert not ev.triggered
    bearer.clear_ppp_fault(live=True)
    out = run_event(sim, ev)
    assert out.ok  # the client's next IPCP retransmission (Restart later) is answered


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"count": 0}, "ppp_fail.count"),
        ({"count": True}, "ppp_fail.count"),
        ({"count": 1.5}, "ppp_fail.count"),
        ({"duration": -1}, "ppp_fail.duration"),
        ({"duration": "5s"}, "ppp_fail.duration"),
    ],
)
def test_ppp_fail_rejects_bad_count_and_duration(kwargs, field):
    sim, net, host, bearer = gsm_world()
    with pytest.raises(ConfigError) as err:
        bearer.ppp_fail("auth", "reject", **kwargs)
    assert err.value.field == field
    assert bearer.ppp_fault is None


def test_module_hangs_up_its_own_call_at_link_dead():
    """gsm_connect against a silent dial-in server: the module's LCP gives up after
    Max-Configure Configure-Requests Restart apart (RFC 1661 §4.6) and, with nothing to
    terminate, hangs up at that very instant."""
    sim, net, host, bearer = gsm_world()
    bearer.ppp_fail("lcp", "silent")
    t0 = sim.now
    out = run_event(sim, bearer.gsm_connect("1", username="wap", password="wap"))
    assert out.kind == OutcomeKind.LCP_TIMEOUT
    sim.advance(10)
    (end,) = sim.trace.select(source="bearer.csd", kind="call_end")
    assert end.t == pytest.approx(t0 + SETUP + MAX_CONFIGURE * RESTART, abs=1e-9)
    assert end.fields["detail"] == "local hang-up"
