"""Carrier NAT: mapping lifetime, refresh, filtering, expiry and the new public port."""

import pytest

from simnet import ConfigError
from simnet.kernel import Simulation
from simnet.net import NatConfig, Network

SERVER = "203.0.113.10"
OTHER = "203.0.113.20"


def world(**nat):
    sim = Simulation(seed=9)
    net = Network(sim, nat=NatConfig(**nat))
    srv = net.add_host("srv", SERVER)
    other = net.add_host("other", OTHER)
    mod = net.add_module_host("m1", {"delay": 0.1}, {"delay": 0.1})
    mod.interface_up("10.0.0.9", net.dns_ips)
    seen = []
    srv_sock = srv.udp_bind(5000, on_datagram=lambda s, d, a: seen.append((sim.now, d, a)))
    got = []
    mod_sock = mod.udp_bind(40000, on_datagram=lambda s, d, a: got.append((sim.now, d, a)))
    return sim, net, srv_sock, other, mod_sock, seen, got


def test_udp_mapping_expires_after_idle_timeout_and_peer_packets_vanish():
    sim, net, srv_sock, other, mod_sock, seen, got = world(udp_idle_timeout=30)
    mod_sock.sendto(b"a", (SERVER, 5000))
    sim.advance(1)
    public = seen[0][2]
    assert public[0] == net.nat.public_ip
    # created when the datagram crossed the core: 0.1 s radio delay
    created = 0.1
    sim.advance(40)
    expiries = [r for r in sim.trace.select(kind="nat") if r.fields["event"] == "expire"]
    assert len(expiries) == 1 and expiries[0].t == pytest.approx(created + 30)
    srv_sock.sendto(b"late", public)
    sim.advance(1)
    assert got == []  # vanished at the NAT
    drops = [r for r in sim.trace.select(kind="nat") if r.fields["event"] == "drop"]
    assert drops and drops[-1].fields["reason"] == "no_mapping"
    mod_sock.sendto(b"b", (SERVER, 5000))
    sim.advance(1)
    assert seen[1][2][0] == net.nat.public_ip and seen[1][2][1] != public[1]  # a NEW public port


def test_inbound_traffic_refreshes_the_mapping():
    sim, net, srv_sock, other, mod_sock, seen, got = world(udp_idle_timeout=30)
    mod_sock.sendto(b"a", (SERVER, 5000))
    sim.advance(1)
    public = seen[0][2]
    for k in range(1, 6):  # the server speaks every 20 s: the mapping never idles 30 s
        sim.call_at(k * 20.0, srv_sock.sendto, b"ping", public)
    sim.advance(110)
    assert len(got) == 5
    assert not [r for r in sim.trace.select(kind="nat") if r.fields["event"] == "expire"]


def test_address_and_port_dependent_filtering():
    sim, net, srv_sock, other, mod_sock, seen, got = world()
    mod_sock.sendto(b"a", (SERVER, 5000))
    sim.advance(1)
    public = seen[0][2]
    stranger = other.udp_bind(5000)
    stranger.sendto(b"let me in", public)
    srv_sock.sendto(b"reply", public)
    sim.advance(1)
    assert [d for _, d, _ in got] == [b"reply"]
    reasons = [
        r.fields["reason"] for r in sim.trace.select(kind="nat") if r.fields["event"] == "drop"
    ]
    assert reasons == ["filtered"]


def test_expire_all_fault_and_interface_down_release():
    sim, net, srv_sock, other, mod_sock, seen, got = world()
    mod_sock.sendto(b"a", (SERVER, 5000))
    sim.advance(1)
    assert len(net.nat.mappings()) == 1
    assert net.nat.expire_all() == 1
    assert net.nat.mappings() == []
    mod_sock.sendto(b"b", (SERVER, 5000))
    sim.advance(1)
    assert seen[1][2][1] != seen[0][2][1]
    net.host("m1").interface_down()
    assert net.nat.mappings() == []


def test_private_space_unreachable_from_internet():
    sim, net, srv_sock, other, mod_sock, seen, got = world()
    srv_sock.sendto(b"direct", ("10.0.0.9", 40000))
    sim.advance(1)
    assert got == []


def test_tcp_and_udp_timeouts_are_separate():
    cfg = NatConfig(tcp_idle_timeout="5min", udp_idle_timeout="30s")
    assert cfg.timeout_for(6) == 300.0 and cfg.timeout_for(17) == 30.0


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"public_ip": "1.2.3"}, "nat.public_ip"),
        ({"tcp_idle_timeout": 0}, "nat.tcp_idle_timeout"),
        ({"udp_idle_timeout": "soon"}, "nat.udp_idle_timeout"),
        ({"port_low": 0}, "nat.port_low"),
        ({"port_low": 5000, "port_high": 4000}, "nat.port_high"),
    ],
)
def test_bad_nat_config(kwargs, field):
    with pytest.raises(ConfigError) as e:
        NatConfig(**kwargs)
    assert e.value.field == field


def test_nat_mapping_config_unknown_key():
    with pytest.raises(ConfigError) as e:
        Network(Simulation(seed=1), nat={"tcp_timeout": 5})
    assert e.value.field == "nat.tcp_timeout"
