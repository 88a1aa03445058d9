"""PPP negotiation on the virtual clock: success, and each failure phase at the instant the
RFC 1661 timers / message round trips predict.

Timing expectations are computed here from the configuration, not read from the code: with a
line of one-way delay ``D`` and no serialization time, both sides send their first LCP
Configure-Request at t=0, so each side's LCP opens at 2D (request out, Ack back); a request sent
at time t is answered at t + 2D.
"""

from __future__ import annotations

import pytest

from simnet.bearer import OutcomeKind
from simnet.bearer.ppp import BytePipe, PppCapture, PppConfig, PppFault, PppSession
from simnet.bearer.ppp.hdlc import split_frame
from simnet.bearer.ppp.packets import PROTO_LCP, decode_packet
from simnet.kernel import Simulation

D = 0.25  # one-way line delay in these tests
SERVER_IP = "10.0.0.1"
CLIENT_IP = "10.64.0.7"
DNS = ("10.0.0.53", "10.0.0.54")


def client_cfg(**kw) -> PppConfig:
    base = dict(role="client", username="user", password="secret", auth="any")
    base.update(kw)
    return PppConfig(**base)


def server_cfg(**kw) -> PppConfig:
    base = dict(role="server", auth="pap", local_ip=SERVER_IP, peer_ip=CLIENT_IP, dns=DNS,
                credentials=(("user", "secret"),))
    base.update(kw)
    return PppConfig(**base)


def run(client: PppConfig, server: PppConfig, *, horizon: float = 200.0, seed: int = 1,
        capture: PppCapture | None = None):
    sim = Simulation(seed)
    session = PppSession(sim, client, server, pipe=BytePipe(sim, delay=D), capture=capture).start()
    sim.advance(horizon)
    return sim, session


def lcp_requests_sent(sim: Simulation, source: str) -> list[float]:
    return [r.t for r in sim.trace.select(source=source, kind="ppp_tx")
            if r.fields["frame"].startswith("LCP Configure-Request")]


@pytest.mark.parametrize("auth", ["pap", "chap", "none"])
def test_successful_negotiation_assigns_address_and_dns(auth: str) -> None:
    sim, s = run(client_cfg(), server_cfg(auth=auth))
    out = s.result.value
    assert out.kind == OutcomeKind.OK
    assert out.ip == CLIENT_IP and out.dns == DNS and out.peer_ip == SERVER_IP
    srv = s.server.result.value
    assert srv.kind == OutcomeKind.OK and srv.peer_ip == CLIENT_IP
    assert not s.client.ended.triggered  # the link stays up


def test_wrong_password_chap_is_auth_failed() -> None:
    sim, s = run(client_cfg(password="wrong"), server_cfg(auth="chap"))
    assert s.result.value.kind == OutcomeKind.AUTH_FAILED
    assert s.server.result.value.kind == OutcomeKind.AUTH_FAILED
    # server LCP opens at 2D and challenges: challenge arrives 3D, response 4D, Failure 5D
    assert s.result.value.at == pytest.approx(5 * D)


@pytest.mark.parametrize(("restart", "max_configure"), [(3.0, 10), (2.0, 4), (0.5, 1)])
def test_silent_lcp_peer_fails_after_max_configure_requests(
    restart: float, max_configure: int
) -> None:
    sim, s = run(
        client_cfg(restart=restart, max_configure=max_configure),
        server_cfg(fault=PppFault("lcp", "silent")),
    )
    out = s.result.value
    assert out.kind == OutcomeKind.LCP_TIMEOUT
    # RFC 1661 §4.6: Max-Configure requests, one restart interval apart; failure when the
    # restart timer expires after the last one.
    expected_sends = [i * restart for i in range(max_configure)]
    assert lcp_requests_sent(sim, "ppp.client") == pytest.approx(expected_sends)
    assert out.at == pytest.approx(max_configure * restart)


def test_default_silent_lcp_is_ten_requests_three_seconds_apart() -> None:
    sim, s = run(client_cfg(), server_cfg(fault=PppFault("lcp", "silent")))
    assert len(lcp_requests_sent(sim, "ppp.client")) == 10
    assert s.result.value.at == pytest.approx(10 * 3.0)


def test_lcp_nak_loop_gives_up_after_max_failure() -> None:
    sim, s = run(client_cfg(max_failure=5), server_cfg(fault=PppFault("lcp", "nak_loop")))
    out = s.result.value
    assert out.kind == OutcomeKind.LCP_FAILED
    # each of our requests is Nak'd one round trip (2D) later; the 5th Nak ends it
    assert out.at == pytest.approx(5 * 2 * D)
    assert len(lcp_requests_sent(sim, "ppp.client")) == 5


def test_peer_refusing_to_authenticate_fails_the_authenticator() -> None:
    sim, s = run(client_cfg(fault=PppFault("lcp", "reject_auth")), server_cfg(auth="pap"))
    # server's Configure-Request (with auth) at 0 is rejected: the Reject arrives at 2D
    assert s.server.result.value.kind == OutcomeKind.LCP_FAILED
    assert s.server.result.value.at == pytest.approx(2 * D)


def test_auth_rejected_pap() -> None:
    sim, s = run(client_cfg(), server_cfg(auth="pap", fault=PppFault("auth", "reject")))
    out = s.result.value
    assert out.kind == OutcomeKind.AUTH_FAILED
    # client LCP opens at 2D, its Authenticate-Request is Nak'd one round trip later
    assert out.at == pytest.approx(4 * D)


@pytest.mark.parametrize("auth", ["pap", "chap"])
def test_silent_authenticator_times_out(auth: str) -> None:
    sim, s = run(client_cfg(), server_cfg(auth=auth, fault=PppFault("auth", "silent")))
    out = s.result.value
    assert out.kind == OutcomeKind.AUTH_TIMEOUT
    # authentication starts when the client's LCP opens (2D); PAP: Max-Configure requests
    # Restart apart, CHAP: the same total wait for a challenge
    assert out.at == pytest.approx(2 * D + 10 * 3.0)


@pytest.mark.parametrize("mode", ["reject", "protocol_reject"])
def test_ipcp_rejected(mode: str) -> None:
    sim, s = run(client_cfg(), server_cfg(auth="none", fault=PppFault("ipcp", mode)))
    out = s.result.value
    assert out.kind == OutcomeKind.IPCP_FAILED
    # no auth: network phase at 2D; the IPCP request is refused one round trip later
    assert out.at == pytest.approx(4 * D)


def test_ipcp_silent_times_out() -> None:
    sim, s = run(client_cfg(), server_cfg(auth="none", fault=PppFault("ipcp", "silent")))
    assert s.result.value.kind == OutcomeKind.IPCP_TIMEOUT
    assert s.result.value.at == pytest.approx(2 * D + 10 * 3.0)


def test_ipcp_nak_loop_fails_after_max_failure() -> None:
    sim, s = run(
        client_cfg(max_failure=3), server_cfg(auth="none", fault=PppFault("ipcp", "nak_loop"))
    )
    assert s.result.value.kind == OutcomeKind.IPCP_FAILED
    assert s.result.value.at == pytest.approx(2 * D + 3 * 2 * D)


@pytest.mark.parametrize("phase", ["auth", "ipcp"])
def test_peer_terminates_during_negotiation(phase: str) -> None:
    sim, s = run(client_cfg(), server_cfg(auth="pap", fault=PppFault(phase, "terminate")))
    out = s.result.value
    assert out.kind == OutcomeKind.PEER_TERMINATED
    term = [
        r.t
        for r in sim.trace.select(source="ppp.server", kind="ppp_tx")
        if r.fields["frame"].startswith("LCP Terminate-Request")
    ]
    # server LCP opens at 2D; auth: terminates at once; ipcp: after the PAP exchange (3D)
    expected_send = 2 * D if phase == "auth" else 3 * D
    assert term[0] == pytest.approx(expected_send)
    assert out.at == pytest.approx(expected_send + D)


def test_peer_terminates_open_link() -> None:
    sim, s = run(
        client_cfg(), server_cfg(auth="none", fault=PppFault("open", "terminate", after=20.0))
    )
    assert s.result.value.kind == OutcomeKind.OK
    server_up = s.server.result.value.at
    ended = s.client.ended.value
    assert ended.kind == OutcomeKind.PEER_TERMINATED
    assert ended.at == pytest.approx(server_up + 20.0 + D)


def test_unanswered_echo_ends_link() -> None:
    sim, s = run(
        client_cfg(echo_interval=10.0, echo_failure=3),
        server_cfg(auth="none", fault=PppFault("open", "echo_silent")),
    )
    assert s.result.value.kind == OutcomeKind.OK
    ended = s.client.ended.value
    assert ended.kind == OutcomeKind.ECHO_TIMEOUT
    # echoes start when LCP opens (2D): sent at 2D, 2D+10, 2D+20; the 4th tick finds 3 pending
    assert ended.at == pytest.approx(2 * D + 3 * 10.0)


def test_answered_echo_keeps_link_up() -> None:
    sim, s = run(
        client_cfg(echo_interval=10.0, echo_failure=3), server_cfg(auth="none"), horizon=300
    )
    assert s.result.value.kind == OutcomeKind.OK
    assert not s.client.ended.triggered
    echoes = [
        r
        for r in sim.trace.select(source="ppp.client", kind="ppp_rx")
        if r.fields["frame"].startswith("LCP Echo-Reply")
    ]
    assert len(echoes) >= 29


def test_carrier_loss_is_network_lost_and_local_close_terminates_peer() -> None:
    sim, s = run(client_cfg(), server_cfg(), horizon=5)
    s.hang_up()
    assert s.client.ended.value.kind == OutcomeKind.NETWORK_LOST
    sim2, s2 = run(client_cfg(), server_cfg(), horizon=5)
    s2.client.close()
    sim2.advance(5)
    assert s2.client.ended.value.kind == OutcomeKind.OK
    assert s2.server.ended.value.kind == OutcomeKind.PEER_TERMINATED
    assert s2.client.endpoint.phase == "dead"


def test_max_failure_turns_naks_into_rejects() -> None:
    """RFC 1661 §4.6: after Max-Failure Configure-Naks without an Ack, reject instead."""
    from simnet.bearer.ppp import PppEndpoint, SendPacket
    from simnet.bearer.ppp.packets import CONF_NAK, CONF_REJ, CONF_REQ, encode_packet

    sim = Simulation(1)
    ep = PppEndpoint(client_cfg(max_failure=3), sim.rng("t"))
    ep.lower_up()
    ep.open()
    ep.take_events()
    replies = []
    bad_mru = bytes((1, 4, 0, 64))  # MRU 64 is below what we accept: Nak'd
    for ident in range(1, 6):
        ep.receive_frame(PROTO_LCP, encode_packet(CONF_REQ, ident, bad_mru))
        sends = [
            a for a in ep.take_events() if isinstance(a, SendPacket) and a.protocol == PROTO_LCP
        ]
        codes = [decode_packet(a.info)[0] for a in sends]
        replies.append(codes[-1])
    assert replies == [CONF_NAK] * 3 + [CONF_REJ] * 2


def test_pipe_serialization_time() -> None:
    # 9600 bit/s, 10 bits per character: a frame of n bytes takes n/960 s on the line
    sim = Simulation(1)
    pipe = BytePipe(sim, rate_bps=9600, delay=0.1)
    got: list[tuple[float, bytes]] = []
    pipe.b.on_data = lambda data: got.append((sim.now, data))
    pipe.a.write(b"x" * 96)
    pipe.a.write(b"y" * 96)
    sim.advance(1)
    assert got[0][0] == pytest.approx(0.1 + 0.1) and got[1][0] == pytest.approx(0.2 + 0.1)
    assert split_frame(b"\xff\x03\xc0\x21\x01") == (PROTO_LCP, b"\x01")


@pytest.mark.parametrize("auth", ["pap", "chap"])
def test_lcp_renegotiation_on_open_link_comes_back_up(auth: str) -> None:
    """RFC 1661: a Configure-Request on an Opened link restarts negotiation (tld, scr, sca/nak);
    authentication and IPCP run again and the link is up again, without an `ended` outcome."""
    sim, s = run(client_cfg(), server_cfg(auth=auth), horizon=5)
    assert s.result.value.ok
    s.server.endpoint.lcp.receive(1, 99, b"")  # server gets a fresh (empty) Configure-Request
    s.server._pump()
    sim.advance(10)
    assert s.client.endpoint.phase == "running" and s.server.endpoint.phase == "running"
    assert not s.client.ended.triggered and not s.server.ended.triggered
    ipcp_acks = [
        r
        for r in sim.trace.select(source="ppp.client", kind="ppp_rx")
        if r.fields["frame"].startswith("IPCP Configure-Ack")
    ]
    assert len(ipcp_acks) == 2  # IPCP negotiated twice


def test_peer_ignoring_configure_rejects_is_given_up() -> None:
    """The server keeps requesting PFC/ACFC that the client rejects. The client refuses
    2 x Max-Failure requests (one per round trip; the first arrives at D) and gives up."""
    sim, s = run(client_cfg(max_failure=5), server_cfg(fault=PppFault("lcp", "reject_loop")))
    out = s.result.value
    assert out.kind == OutcomeKind.LCP_FAILED
    # refusal k is sent at (2k - 1) D; the 11th request (refusal 11 > 10) arrives at 21 D
    assert out.at == pytest.approx(21 * D)
