"""No packet can make the stack raise; determinism of traces per seed."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simnet.kernel import Simulation
from simnet.net import LinkConfig, Network, Packet
from simnet.net.dns import DnsFormatError, DnsServerEngine, DnsZone, decode_message

SERVER = "203.0.113.10"
ADDRS = [
    "10.0.0.5",
    SERVER,
    "198.51.100.1",
    "10.64.0.53",
    "10.64.0.1",
    "1.1.1.1",
    "127.0.0.1",
    "0.0.0.0",
]


def world(seed=1, radio=None):
    sim = Simulation(seed=seed)
    net = Network(sim)
    srv = net.add_host("echo", SERVER)
    radio = radio or {"delay": 0.05}
    mod = net.add_module_host("m1", radio, radio)
    mod.interface_up("10.0.0.5", net.dns_ips)
    return sim, net, srv, mod


ints = st.integers(min_value=-(2**33), max_value=2**33)
small = st.one_of(st.integers(min_value=-5, max_value=70000), ints)


@st.composite
def packets(draw, depth=1):
    p = Packet(
        draw(st.sampled_from(ADDRS)),
        draw(st.sampled_from(ADDRS)),
        draw(st.one_of(st.sampled_from([1, 6, 17]), st.integers(-1, 300))),
        ttl=draw(st.integers(-3, 300)),
        ident=draw(small),
        sport=draw(st.one_of(st.sampled_from([53, 7, 40000, 5000]), small)),
        dport=draw(st.one_of(st.sampled_from([53, 7, 40000, 5000]), small)),
        seq=draw(ints),
        ack=draw(ints),
        flags=draw(st.integers(-1, 600)),
        window=draw(small),
        options=draw(st.one_of(st.none(), st.fixed_dictionaries({"mss": small}))),
        payload=draw(st.binary(max_size=64)),
        icmp_type=draw(st.one_of(st.sampled_from([0, 3, 8, 11]), st.integers(-1, 300))),
        icmp_code=draw(st.integers(-1, 300)),
        icmp_id=draw(small),
        icmp_seq=draw(small),
        quoted=draw(packets(depth=depth - 1)) if depth > 0 and draw(st.booleans()) else None,
    )
    p.corrupted = draw(st.booleans())
    return p


@pytest.mark.slow
@given(st.lists(packets(), min_size=1, max_size=8), st.booleans())
def test_random_packets_never_raise(pkts, via_core):
    sim, net, srv, mod = world()
    srv.udp_bind(7, on_datagram=lambda s, d, a: s.sendto(d, a))
    mod.udp_bind(40000)
    mod.ping(SERVER)
    for p in pkts:
        if via_core:
            net._route(p, mod if p.src.startswith("10.") else srv)
        else:
            mod.receive(p)
            srv.receive(p.copy())
    sim.advance(30)


@given(st.binary(max_size=300))
def test_dns_engine_never_raises(data):
    zone = DnsZone()
    zone.add_record("a.example", "203.0.113.1")
    DnsServerEngine(zone).handle(data)
    try:
        decode_message(data)
    except DnsFormatError:
        pass


def traffic_digest(seed: int) -> str:
    radio = LinkConfig(
        delay={"dist": "normal", "mean": 0.3, "sd": 0.05},
        jitter=0.02,
        rate="40kbps",
        loss={"model": "gilbert_elliott", "p": 0.05, "r": 0.4, "one_minus_h": 0.7},
        duplicate=0.02,
        corrupt=0.02,
    )
    sim, net, srv, mod = world(seed, radio)
    srv.udp_bind(7, on_datagram=lambda s, d, a: s.sendto(d, a))
    sock = mod.udp_bind(0)
    for i in range(100):
        sim.call_later(i * 0.2, sock.sendto, bytes([i]) * 100, (SERVER, 7))
    for i in range(5):
        sim.call_later(i, mod.ping, SERVER)
    q = mod.resolver.resolve("echo")
    sim.advance(40)
    assert q.done
    return sim.trace.digest()


def test_same_seed_same_digest_different_seed_different_digest():
    a = traffic_digest(1)
    assert a == traffic_digest(1)
    assert a != traffic_digest(2)
