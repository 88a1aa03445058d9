"""ICMP echo across the NAT (query-id translation), to the core and operator hosts."""

import pytest

from simnet.kernel import Simulation
from simnet.net import Network

SERVER = "203.0.113.10"


def world():
    sim = Simulation(seed=5)
    net = Network(sim)
    net.add_host("srv", SERVER)
    a = net.add_module_host("a", {"delay": 0.1}, {"delay": 0.1})
    b = net.add_module_host("b", {"delay": 0.2}, {"delay": 0.2})
    a.interface_up("10.0.0.1", net.dns_ips)
    b.interface_up("10.0.0.2", net.dns_ips)
    return sim, net, a, b


def test_two_modules_same_icmp_id_through_nat():
    sim, net, a, b = world()
    b._ping_ident = a._ping_ident  # force the clash the NAT must resolve
    ra = a.ping(SERVER)
    rb = b.ping(SERVER)
    sim.advance(3)
    assert ra.result.ok and rb.result.ok
    # each reply went back to its own module: RTTs follow each module's radio delay
    assert ra.result.rtt == pytest.approx(2 * (0.1 + 0.01), abs=1e-9)
    assert rb.result.rtt == pytest.approx(2 * (0.2 + 0.01), abs=1e-9)
    ids = {m.public_port for m in net.nat.mappings() if m.proto == 1}
    assert len(ids) == 2


def test_ping_core_and_operator_dns_without_nat():
    sim, net, a, b = world()
    r1 = a.ping(net.core_ip)
    r2 = a.ping(net.dns_ip)
    sim.advance(3)
    assert r1.result.ok and r1.result.from_ip == net.core_ip
    assert r1.result.rtt == pytest.approx(0.2, abs=1e-9)
    assert r2.result.ok and r2.result.rtt == pytest.approx(2 * (0.1 + 0.001), abs=1e-9)
    assert net.nat.mappings() == []


def test_module_to_module_direct():
    sim, net, a, b = world()
    got = []
    b.udp_bind(9000, on_datagram=lambda s, d, addr: got.append(addr))
    a.udp_bind(9001).sendto(b"hi", ("10.0.0.2", 9000))
    sim.advance(2)
    assert got == [("10.0.0.1", 9001)]


def test_ping_without_network_and_bad_args():
    from simnet import ConfigError

    sim, net, a, b = world()
    a.interface_down()
    r = a.ping(SERVER)
    sim.advance(1)
    assert r.result.error == "no_network"
    with pytest.raises(ConfigError) as e:
        b.ping(SERVER, ttl=0)
    assert e.value.field == "ping.ttl"
    with pytest.raises(ConfigError):
        b.ping("999.1.1.1")


def test_ping_core_with_ttl_one_is_answered():
    sim, net, a, b = world()
    r = a.ping(net.core_ip, ttl=1)
    sim.advance(2)
    assert r.result.ok and r.result.from_ip == net.core_ip
