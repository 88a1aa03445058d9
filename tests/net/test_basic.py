"""Host / link / network basics: timing computed by hand from the link parameters."""

import pytest

from simnet import ConfigError
from simnet.kernel import Simulation
from simnet.net import LinkConfig, Network

RADIO = {"delay": 0.3, "rate": "40kbps"}
SERVER = "203.0.113.10"


def make_world(seed: int = 1, up=RADIO, down=RADIO):
    sim = Simulation(seed=seed)
    net = Network(sim)
    srv = net.add_host("echo", SERVER)
    mod = net.add_module_host("m1", up, down)
    mod.interface_up("10.0.0.5", ["10.64.0.53"])
    return sim, net, srv, mod


def test_udp_echo_through_nat_timing():
    sim, net, srv, mod = make_world()
    seen_by_server = []

    def echo(sock, data, addr):
        seen_by_server.append(addr)
        sock.sendto(data, addr)

    srv.udp_bind(7, on_datagram=echo)
    got = []
    c = mod.udp_bind(0, on_datagram=lambda s, d, a: got.append((sim.now, d, a)))
    c.sendto(b"hello", (SERVER, 7))
    sim.advance(5)
    # one way: 20+8+5 = 33 bytes at 40 kbit/s = 6.6 ms, + 300 ms radio + 10 ms wired
    one_way = 33 * 8 / 40_000 + 0.3 + 0.010
    assert len(got) == 1
    assert got[0][0] == pytest.approx(2 * one_way, abs=1e-9)
    assert got[0][1:] == (b"hello", (SERVER, 7))
    # the server saw the NAT's public address and a translated port, not the private one
    assert seen_by_server[0][0] == net.nat.public_ip
    assert seen_by_server[0][1] != c.port


def test_ping_rtt_and_ttl():
    sim, net, srv, mod = make_world()
    req = mod.ping(SERVER, size=32)
    sim.advance(5)
    res = req.result
    assert res.ok
    # 20 IP + 8 ICMP + 32 = 60 bytes each way at 40 kbit/s
    assert res.rtt == pytest.approx(2 * (60 * 8 / 40_000 + 0.3 + 0.010), abs=1e-9)
    assert res.ttl == 63  # the server's 64 minus the core hop


def test_ping_ttl_exceeded_at_core():
    sim, net, srv, mod = make_world()
    req = mod.ping(SERVER, ttl=1)
    sim.advance(5)
    assert not req.result.ok
    assert req.result.error == "ttl_exceeded"
    assert req.result.from_ip == net.core_ip


def test_ping_timeout_when_downlink_dark():
    sim, net, srv, mod = make_world()
    net.link("m1.downlink").set_outage(None)
    req = mod.ping(SERVER, timeout=2.0)
    sim.advance(5)
    assert req.result.error == "timeout"
    assert req.result is not None


def test_udp_port_unreachable_reported_to_socket():
    sim, net, srv, mod = make_world()
    errors = []
    c = mod.udp_bind(0, on_error=lambda s, kind, addr: errors.append((kind, addr)))
    c.sendto(b"x", (SERVER, 9999))
    sim.advance(5)
    assert errors == [("port_unreachable", (SERVER, 9999))]


def test_interface_down_closes_udp_with_error():
    sim, net, srv, mod = make_world()
    errors = []
    c = mod.udp_bind(0, on_error=lambda s, kind, addr: errors.append(kind))
    mod.interface_down("bearer_lost")
    assert errors == ["network_down"]
    assert c.closed
    assert c.sendto(b"x", (SERVER, 7)) == 0


def test_bad_config_names_field():
    with pytest.raises(ConfigError) as e:
        LinkConfig(mtu=20)
    assert e.value.field == "link.mtu"
    with pytest.raises(ConfigError) as e:
        LinkConfig(loss={"model": "gilbert_elliott", "p": 1.5})
    assert e.value.field == "link.loss.p"
    sim = Simulation(seed=1)
    net = Network(sim)
    with pytest.raises(ConfigError) as e:
        net.add_host("a", "300.1.2.3")
    assert e.value.field == "host.a.ip"
    h = net.add_host("b", "203.0.113.1")
    with pytest.raises(ConfigError) as e:
        h.udp_bind(70000)
    assert e.value.field == "udp.port"
    assert "65535" in str(e.value)


def test_packet_copy_covers_every_slot():
    from simnet.net.packet import Packet

    p = Packet(
        "10.0.0.1",
        "10.0.0.2",
        6,
        ttl=7,
        ident=3,
        sport=1,
        dport=2,
        seq=5,
        ack=6,
        flags=0x12,
        window=100,
        options={"mss": 1400},
        payload=b"abc",
        icmp_type=3,
        icmp_code=1,
        icmp_id=9,
        icmp_seq=10,
        quoted=Packet("1.1.1.1", "2.2.2.2", 17),
    )
    p.corrupted = True
    q = p.copy()
    assert q is not p
    # compiled (make compiled), the attributes are listed in __mypyc_attrs__ instead
    for name in getattr(Packet, "__slots__", None) or Packet.__mypyc_attrs__:
        assert getattr(q, name) == getattr(p, name), name


def test_interface_down_local_reason_reaches_sockets():
    sim, net, srv, mod = make_world()
    errors = []
    mod.udp_bind(0, on_error=lambda s, kind, addr: errors.append(kind))
    mod.interface_down("local")
    assert errors == ["local"]
    mod.interface_up("10.0.0.5")
    mod.udp_bind(0, on_error=lambda s, kind, addr: errors.append(kind))
    mod.interface_down("pdp_deactivated_by_network")
    assert errors == ["local", "network_down"]
