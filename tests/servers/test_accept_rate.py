"""A server that accepts at a limited rate: completed handshakes wait in the accept queue, which
shares the listen backlog, and SYNs beyond it are dropped (the clients retry on their RTO)."""

import pytest

from simnet import ConfigError
from simnet.kernel import Simulation
from simnet.net import Network
from simnet.servers import make_service

SERVER = "203.0.113.10"


def test_accepts_are_spaced_by_the_rate_and_excess_syns_dropped():
    sim = Simulation(seed=5)
    net = Network(sim, capture=False)
    srv = net.add_host("srv", SERVER)
    svc = make_service("tcp-sink", {"port": 9000, "accept_rate": 2, "backlog": 2}, "svc")
    svc.attach(sim, srv)
    mod = net.add_module_host("m1", {"delay": 0.01}, {"delay": 0.01})
    mod.interface_up("10.0.0.9", net.dns_ips)
    socks = [mod.tcp_connect(SERVER, 9000) for _ in range(5)]
    sim.advance(30)
    assert all(s.state == "ESTABLISHED" for s in socks)
    accepts = [r.t for r in sim.trace.select(kind="accept") if r.source == svc.source]
    assert len(accepts) == 5
    gaps = [b - a for a, b in zip(accepts, accepts[1:], strict=False)]
    assert all(g >= 0.5 - 1e-9 for g in gaps), gaps  # 2 connections a second
    dropped = sim.trace.select(kind="tcp_syn_dropped")
    assert dropped, "with a backlog of 2, the other SYNs wait for the client's retry"


def test_bad_accept_rate_is_named():
    with pytest.raises(ConfigError, match="svc.accept_rate"):
        make_service("tcp-sink", {"port": 9000, "accept_rate": 0}, "svc")
