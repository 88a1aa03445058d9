"""GPRS session: activation (accept / reject / silent network on the T3380 schedule),
deactivation, network-initiated deactivation and bearer loss reaching the sockets above."""

from __future__ import annotations

import random

import pytest

from simnet import ConfigError
from simnet.bearer import GprsTimers, OperatorConfig, OutcomeKind, SimConfig
from simnet.kernel import stream_seed

from .helpers import T0, run_event, world


def activate(sim, bearer, cid=1, apn="internet", **ctx):
    sim.advance(T0)
    bearer.gprs.define_context(cid, "IP", apn, **ctx)
    return run_event(sim, bearer.gprs.activate(cid))


def test_accept_assigns_pool_address_and_brings_interface_up() -> None:
    sim, net, host, bearer = world(ip_pool="10.70.0.0/24", dns=("10.64.0.53",))
    out = activate(sim, bearer)
    assert out.kind == OutcomeKind.OK and out.cid == 1
    assert out.ip == "10.70.0.2"  # first address after the gateway .1
    assert out.dns == ("10.64.0.53",)
    assert host.ip == out.ip and host.dns_servers == ["10.64.0.53"]
    assert bearer.gprs.is_active(1) and bearer.gprs.contexts[1].ip == out.ip


@pytest.mark.parametrize("seed", [1, 2, 99])
def test_activation_delay_is_drawn_from_its_named_stream(seed: int) -> None:
    sim, net, host, bearer = world(seed)
    out = activate(sim, bearer)
    # Independent reconstruction: the kernel seeds stream "<name>" with stream_seed(seed, name);
    # the default activation delay is uniform(0.5 s, 2.5 s).
    expected = random.Random(stream_seed(seed, "bearer.gprs.pdp.activation_delay")).uniform(
        0.5, 2.5
    )
    assert out.at == pytest.approx(T0 + expected)


def test_same_seed_same_instants_other_seed_differs() -> None:
    def instants(seed: int) -> list[float]:
        sim, net, host, bearer = world(seed)
        sim.advance(T0)
        bearer.gprs.define_context(1, "IP", "internet")
        times = []
        for _ in range(5):
            times.append(run_event(sim, bearer.gprs.activate(1)).at)
            run_event(sim, bearer.gprs.deactivate(1))
        return times

    assert instants(7) == instants(7)
    assert instants(7) != instants(8)


def test_silent_network_fails_on_the_t3380_schedule() -> None:
    sim, net, host, bearer = world(silent=True)
    out = activate(sim, bearer)
    assert out.kind == OutcomeKind.PDP_TIMEOUT
    # TS 24.008 §6.1.3.1.5: T3380 = 30 s, 4 retransmissions, abort on the 5th expiry
    requests = [r.t for r in sim.trace.select(source="bearer.gprs", kind="pdp_request")]
    assert requests == pytest.approx([T0 + 30.0 * i for i in range(5)])
    assert out.at == pytest.approx(T0 + 30.0 * 5)
    assert host.ip is None


def test_t3380_schedule_is_configurable() -> None:
    sim, net, host, bearer = world(
        silent=True, timers=GprsTimers(t3380=8.0, t3380_retransmissions=2)
    )
    out = activate(sim, bearer)
    assert out.kind == OutcomeKind.PDP_TIMEOUT
    assert out.at == pytest.approx(T0 + 8.0 * 3)


def test_late_answer_arrives_after_a_retransmission() -> None:
    sim, net, host, bearer = world(activation_delay=45.0)
    out = activate(sim, bearer)
    assert out.kind == OutcomeKind.OK and out.at == pytest.approx(T0 + 45.0)
    assert len(sim.trace.select(source="bearer.gprs", kind="pdp_request")) == 2  # at 0 and 30 s


@pytest.mark.parametrize(
    ("operator", "ctx", "cause"),
    [
        ({"reject_cause": 33}, {}, 33),
        ({"apn": "internet"}, {"apn": "wrong.apn"}, 27),
        (
            {"user": "u", "password": "p", "auth": "pap"},
            {"user": "u", "password": "x", "auth": "pap"},
            29,
        ),
        (
            {"user": "u", "password": "p", "auth": "chap"},
            {"user": "u", "password": "p", "auth": "pap"},
            29,
        ),
    ],
)
def test_reject_reports_its_cause(operator, ctx, cause) -> None:
    sim, net, host, bearer = world(**operator)
    apn = ctx.pop("apn", "internet")
    out = activate(sim, bearer, apn=apn, **ctx)
    assert out.kind == OutcomeKind.PDP_REJECT and out.cause == cause
    assert host.ip is None and not bearer.gprs.is_active(1)


def test_reject_and_silent_faults_are_temporary() -> None:
    sim, net, host, bearer = world()
    sim.advance(T0)
    bearer.gprs.define_context(1, "IP", "internet")
    bearer.pdp_reject(26, count=1)
    assert run_event(sim, bearer.gprs.activate(1)).cause == 26
    bearer.pdp_silent(count=1)
    t0 = sim.now
    out = run_event(sim, bearer.gprs.activate(1))
    assert out.kind == OutcomeKind.PDP_TIMEOUT and out.at == pytest.approx(t0 + 150.0)
    assert run_event(sim, bearer.gprs.activate(1)).kind == OutcomeKind.OK


def test_network_deactivation_reaches_sockets_as_network_loss() -> None:
    """Real Host + TCP: an established connection through the radio link and the NAT aborts
    with network_down when the network deactivates the context; so does a UDP socket."""
    sim, net, host, bearer = world()
    activate(sim, bearer)
    server = net.add_host("server", "198.51.100.10")
    accepted = []
    server.tcp_listen(7, accepted.append)
    tcp = host.tcp_connect("198.51.100.10", 7)
    closed = []
    tcp.on_closed = lambda sock, reason: closed.append((sim.now, reason))
    udp = host.udp_bind(0)
    sim.advance(5)
    assert tcp.state == "ESTABLISHED" and len(accepted) == 1
    lost = []
    bearer.gprs.add_listener(
        lambda ctx, outcome: lost.append((ctx.cid, outcome.kind, outcome.cause, host.ip))
    )
    t = sim.now
    assert bearer.network_deactivate(1, cause=36) == [1]
    sim.advance(1)
    assert lost == [(1, OutcomeKind.DEACTIVATED, 36, None)]  # interface already down
    assert host.ip is None
    assert tcp.close_reason == "network_down" and closed == [(t, "network_down")]
    assert udp.close_reason == "network_down"


def test_bearer_drop_and_coverage_loss_are_network_lost() -> None:
    sim, net, host, bearer = world()
    activate(sim, bearer)
    lost = []
    bearer.gprs.add_listener(lambda ctx, outcome: lost.append(outcome.kind))
    bearer.bearer_drop()
    assert lost == [OutcomeKind.NETWORK_LOST] and host.ip is None
    assert run_event(sim, bearer.gprs.activate(1)).ok
    # A gap past the GPRS profile's thresholds (downlink signalling failure, TS 45.008 §6.5,
    # 5 paging blocks of 5 x 235.38 ms, then the READY timer T3314 of 44 s) loses the context
    # at that instant; coverage returns at the end of the gap.
    lost_after = 5 * 5 * 0.23538 + 44.0
    start = sim.now
    bearer.coverage_loss(120.0)
    sim.advance(lost_after - 0.01)
    assert lost == [OutcomeKind.NETWORK_LOST] and host.ip is not None
    sim.advance(0.02)
    assert lost == [OutcomeKind.NETWORK_LOST] * 2 and host.ip is None
    assert run_event(sim, bearer.gprs.activate(1)).kind == OutcomeKind.NOT_REGISTERED
    sim.advance(start + 120.0 + T0 - sim.now)
    assert run_event(sim, bearer.gprs.activate(1)).ok


def test_a_short_coverage_gap_keeps_the_context_and_delays_the_data() -> None:
    sim, net, host, bearer = world()
    activate(sim, bearer)
    ip = host.ip
    lost = []
    bearer.gprs.add_listener(lambda ctx, outcome: lost.append(outcome.kind))
    bearer.coverage_loss(20.0)
    assert bearer.radio.csq() == (99, 99)  # no signal measured
    sim.advance(21.0)
    assert lost == [] and host.ip == ip and bearer.radio.registered("ps")
    kinds = [r.kind for r in sim.trace.select(source="bearer.rrc")]
    assert "radio_link_failure" in kinds and "reestablishment" in kinds


def test_sim_removal_drops_bearer_and_blocks_activation() -> None:
    sim, net, host, bearer = world()
    activate(sim, bearer)
    bearer.sim_remove()
    assert host.ip is None
    assert run_event(sim, bearer.gprs.activate(1)).kind == OutcomeKind.SIM_ABSENT


def test_activation_checks_sim_and_registration() -> None:
    sim, net, host, bearer = world(sim=SimConfig(pin="1234"))
    bearer.gprs.define_context(1, "IP", "internet")
    assert run_event(sim, bearer.gprs.activate(1)).kind == OutcomeKind.SIM_NOT_READY
    bearer.sim_card.enter_pin("1234")
    assert run_event(sim, bearer.gprs.activate(1)).kind == OutcomeKind.NOT_REGISTERED
    sim.advance(T0)
    assert run_event(sim, bearer.gprs.activate(1)).ok


def test_user_deactivation_with_its_delay_and_t3390_local_release() -> None:
    sim, net, host, bearer = world(deactivation_delay=1.5)
    activate(sim, bearer)
    t0 = sim.now
    out = run_event(sim, bearer.gprs.deactivate(1))
    assert out.ok and out.at == pytest.approx(t0 + 1.5) and host.ip is None
    assert run_event(sim, bearer.gprs.activate(1)).ok
    bearer.gprs_network.deactivation_silent = True
    t1 = sim.now
    out = run_event(sim, bearer.gprs.deactivate(1))
    # T3390 = 8 s, 4 retransmissions: local release on the 5th expiry (TS 24.008 §6.1.3.4.4)
    assert out.ok and out.at == pytest.approx(t1 + 8.0 * 5) and "T3390" in out.detail


def test_deactivate_while_activating_cancels() -> None:
    sim, net, host, bearer = world(silent=True)
    sim.advance(T0)
    bearer.gprs.define_context(1, "IP", "internet")
    act = bearer.gprs.activate(1)
    sim.advance(10)
    assert run_event(sim, bearer.gprs.deactivate(1)).ok
    assert act.value.kind == OutcomeKind.CANCELLED


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reject_cause": 12}, "network.reject_cause"),
        ({"reject_cause": 300}, "network.reject_cause"),
        ({"auth": "kerberos"}, "network.auth"),
        ({"activation_delay": -3}, "network.activation_delay"),
        ({"ip_pool": "10.0.0.0/31"}, "network.ip_pool"),
        ({"timers": {"t3380": -1}}, "network.timers.t3380"),
    ],
)
def test_impossible_operator_config_names_the_field(kwargs, field) -> None:
    with pytest.raises(ConfigError) as exc:
        OperatorConfig.from_dict(kwargs, "network")
    assert exc.value.field.endswith(field.split("network.")[-1])


def test_bad_context_definition_names_the_field() -> None:
    sim, net, host, bearer = world()
    with pytest.raises(ConfigError) as exc:
        bearer.gprs.define_context(1, "IP", "internet", auth="kerberos")
    assert exc.value.field == "pdp.auth"
    with pytest.raises(ConfigError) as exc:
        bearer.gprs.define_context(1, "X25", "internet")
    assert exc.value.field == "pdp.type"
    with pytest.raises(ConfigError):
        bearer.pdp_reject(cause=0)
