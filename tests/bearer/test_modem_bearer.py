"""ModemBearer: GSM data (CSD call + PPP) with per-phase faults, loss of the link, pcap, and
whole-run determinism."""

from __future__ import annotations

from pathlib import Path

import pytest
from scapy.layers.ppp import PPP
from scapy.utils import rdpcap

from simnet.bearer import CsdConfig, OutcomeKind

from .helpers import T0, run_event, world

SETUP = 20.0  # CSD set-up time used here (constant)


def gsm_world(seed: int = 1, **operator):
    operator.setdefault("csd", CsdConfig(setup_time=SETUP))
    operator.setdefault("user", "wap")
    operator.setdefault("password", "wap")
    operator.setdefault("auth", "pap")
    sim, net, host, bearer = world(seed, **operator)
    sim.advance(T0)
    return sim, net, host, bearer


def test_gsm_data_connect_brings_interface_up() -> None:
    sim, net, host, bearer = gsm_world()
    out = run_event(sim, bearer.gsm_connect("+33600000000", username="wap", password="wap"))
    assert out.kind == OutcomeKind.OK and out.rate == 9600
    assert host.ip == out.ip and out.ip.startswith("10.64.")
    assert out.dns == tuple(net.dns_ips)[:2]
    assert bearer.profile.name == "csd_9600"


@pytest.mark.parametrize(("phase", "mode", "kind", "delay"), [
    # failure instant after CONNECT predicted by RFC 1661 timers: Max-Configure (10) x 3 s
    ("lcp", "silent", OutcomeKind.LCP_TIMEOUT, 30.0),
    ("ipcp", "silent", OutcomeKind.IPCP_TIMEOUT, None),
    ("auth", "reject", OutcomeKind.AUTH_FAILED, None),
    ("ipcp", "reject", OutcomeKind.IPCP_FAILED, None),
    ("lcp", "reject", OutcomeKind.LCP_FAILED, None),
    ("auth", "terminate", OutcomeKind.PEER_TERMINATED, None),
])
def test_gsm_data_ppp_failures(phase, mode, kind, delay) -> None:
    sim, net, host, bearer = gsm_world()
    bearer.ppp_fail(phase, mode)
    t0 = sim.now
    out = run_event(sim, bearer.gsm_connect("+33600000000", username="wap", password="wap"))
    assert out.kind == kind
    assert host.ip is None
    if delay is not None:
        assert out.at == pytest.approx(t0 + SETUP + delay)
    sim.advance(30)
    assert bearer.csd.call is None  # the call is hung up after a failed negotiation


def test_wrong_credentials_and_busy_line() -> None:
    sim, net, host, bearer = gsm_world()
    out = run_event(sim, bearer.gsm_connect("1", username="wap", password="nope"))
    assert out.kind == OutcomeKind.AUTH_FAILED
    sim.advance(30)
    bearer.call_fail("busy")
    assert (
        run_event(sim, bearer.gsm_connect("1", username="wap", password="wap")).kind
        == OutcomeKind.BUSY
    )


def test_call_drop_and_peer_terminate_reach_listeners_and_sockets() -> None:
    sim, net, host, bearer = gsm_world()
    lost = []
    bearer.add_link_listener(lambda out: lost.append((out.kind, host.ip)))
    assert run_event(sim, bearer.gsm_connect("1", username="wap", password="wap")).ok
    udp = host.udp_bind(0)
    server = net.add_host("server", "198.51.100.10")
    server.tcp_listen(7, lambda sock: None)
    tcp = host.tcp_connect("198.51.100.10", 7)
    sim.advance(5)  # over the 9600 bit/s CSD profile
    assert tcp.state == "ESTABLISHED"
    bearer.call_drop()
    assert lost == [(OutcomeKind.NETWORK_LOST, None)] and udp.close_reason == "network_down"
    assert tcp.close_reason == "network_down"
    sim.advance(10)
    assert run_event(sim, bearer.gsm_connect("1", username="wap", password="wap")).ok
    bearer.ppp_fail("open", "terminate", after=5.0)
    sim.advance(10)
    assert lost[-1] == (OutcomeKind.PEER_TERMINATED, None)


def test_gsm_disconnect_closes_link_and_call() -> None:
    sim, net, host, bearer = gsm_world()
    assert run_event(sim, bearer.gsm_connect("1", username="wap", password="wap")).ok
    out = run_event(sim, bearer.gsm_disconnect())
    assert out.ok and host.ip is None and bearer.csd.call is None


def test_bearer_pcap_shows_negotiations(tmp_path: Path) -> None:
    sim, net, host, bearer = gsm_world()
    assert run_event(sim, bearer.gsm_connect("1", username="wap", password="wap")).ok
    path = tmp_path / "gsm.pcap"
    n = bearer.write_pcap(str(path))
    pkts = rdpcap(str(path))
    assert len(pkts) == n > 0
    protos = [p[PPP].proto for p in pkts]
    assert protos[0] == 0xC021 and 0xC023 in protos and protos[-1] == 0x8021


def test_whole_run_is_deterministic_per_seed() -> None:
    def digest(seed: int) -> str:
        sim, net, host, bearer = gsm_world(seed, csd=CsdConfig(setup_time={"min": 10, "max": 30}))
        bearer.gprs.define_context(1, "IP", "internet", user="wap", password="wap", auth="pap")
        run_event(sim, bearer.gprs.activate(1))
        run_event(sim, bearer.gprs.deactivate(1))
        run_event(sim, bearer.gsm_connect("1", username="wap", password="wap"))
        return sim.trace.digest()

    assert digest(11) == digest(11)
    assert digest(11) != digest(12)


def _dialup(activation_delay, **operator):
    from simnet.bearer import ModemBearer, OperatorConfig, RadioConfig
    from simnet.bearer.ppp import BytePipe, PppConfig, PppDriver, PppEndpoint
    from simnet.kernel import Simulation

    sim = Simulation(2)
    bearer = ModemBearer(
        sim,
        None,
        None,
        OperatorConfig(
            activation_delay=activation_delay,
            radio=RadioConfig(registration_delay=1.0),
            dns=("10.64.0.53",),
            **operator,
        ),
    )
    sim.advance(3)
    bearer.gprs.define_context(1, "IP", "internet")
    pipe = BytePipe(sim)  # instantaneous UART, so PPP timing is only the RFC 1661 timers
    dte = PppDriver(sim, PppEndpoint(PppConfig(), sim.rng("dte")), pipe.a.write, name="dte")
    pipe.a.on_data = dte.receive_bytes
    link = bearer.dialup(pipe.b.write)
    pipe.b.on_data = link.receive_bytes
    dte.start()
    sim.run_until(lambda: dte.result.triggered, 400)
    return sim, bearer, dte, link


def test_dialup_ppp_holds_ipcp_until_the_context_is_active() -> None:
    sim, bearer, dte, link = _dialup(7.0)
    out = dte.result.value
    assert out.ok and out.ip == bearer.gprs.contexts[1].ip and out.dns == ("10.64.0.53",)
    # IPCP starts at t=3 (instantaneous line) and the context is up at 3 + 7 = 10: the DTE's
    # request held meanwhile is answered then, not at its next Restart (t = 12).
    assert out.at == pytest.approx(3.0 + 7.0)


def test_dialup_ppp_against_silent_network_times_out_in_ipcp() -> None:
    sim, bearer, dte, link = _dialup(1.0, silent=True)
    assert dte.result.value.kind == OutcomeKind.IPCP_TIMEOUT
    assert dte.result.value.at == pytest.approx(3.0 + 10 * 3.0)
