"""DNS codec (checked against scapy's independent DNS implementation and hand-built bytes),
server faults and resolver timing."""

import struct

import pytest
from scapy.layers.dns import DNS, DNSQR, DNSRR

from simnet import ConfigError
from simnet.kernel import Simulation
from simnet.net import Network
from simnet.net.dns import (
    NXDOMAIN,
    TYPE_A,
    TYPE_PTR,
    DnsFormatError,
    DnsMessage,
    DnsResolverConfig,
    DnsServerEngine,
    DnsZone,
    Question,
    ResourceRecord,
    decode_message,
    encode_message,
    make_query,
)


def test_query_bytes_match_rfc1035_layout():
    # header: id, flags RD=0x0100, qdcount=1, 0, 0, 0; name as length-prefixed labels; A/IN
    expected = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    expected += b"\x07example\x03com\x00" + struct.pack("!HH", 1, 1)
    assert make_query(0x1234, "Example.COM.") == expected


def test_codec_against_scapy():
    msg = DnsMessage(
        id=77,
        qr=True,
        aa=True,
        ra=True,
        questions=[Question("host.example.com", TYPE_A)],
        answers=[
            ResourceRecord("host.example.com", TYPE_A, ttl=60, data="203.0.113.9"),
            ResourceRecord("host.example.com", TYPE_A, ttl=60, data="203.0.113.10"),
        ],
    )
    sc = DNS(encode_message(msg))
    assert sc.id == 77 and sc.qr == 1 and sc.aa == 1 and sc.ancount == 2
    assert sc.qd[0].qname == b"host.example.com."
    assert [sc.an[i].rdata for i in range(2)] == ["203.0.113.9", "203.0.113.10"]
    # and the other way round: scapy builds, we parse (PTR answer)
    raw = bytes(
        DNS(
            id=5,
            qr=1,
            rcode=0,
            qd=DNSQR(qname="9.113.0.203.in-addr.arpa", qtype="PTR"),
            an=DNSRR(
                rrname="9.113.0.203.in-addr.arpa", type="PTR", rdata="host.example.com", ttl=30
            ),
        )
    )
    m = decode_message(raw)
    assert m.id == 5 and m.qr
    assert m.questions[0] == Question("9.113.0.203.in-addr.arpa", TYPE_PTR, 1)
    assert m.answers[0].data == "host.example.com"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x01",
        b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c",
        b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x3fabc",
    ],
)
def test_decode_rejects_malformed(data):
    with pytest.raises(DnsFormatError):
        decode_message(data)


def test_server_engine_answers_and_faults():
    zone = DnsZone()
    zone.add_record("echo.example", "203.0.113.10")
    eng = DnsServerEngine(zone)
    r = decode_message(eng.handle(make_query(1, "echo.example")))
    assert r.rcode == 0 and [a.data for a in r.answers] == ["203.0.113.10"]
    r = decode_message(eng.handle(make_query(2, "10.113.0.203.in-addr.arpa", TYPE_PTR)))
    assert [a.data for a in r.answers] == ["echo.example"]
    assert decode_message(eng.handle(make_query(3, "nope.example"))).rcode == NXDOMAIN
    eng.set_fault("servfail")
    assert decode_message(eng.handle(make_query(4, "echo.example"))).rcode == 2
    eng.set_fault("silence")
    assert eng.handle(make_query(5, "echo.example")) is None
    assert eng.handle(b"\xff") is None
    with pytest.raises(ConfigError):
        eng.set_fault("explode")


def world(**net_kw):
    sim = Simulation(seed=3)
    net = Network(sim, **net_kw)
    net.add_host("echo.example", "203.0.113.10")
    mod = net.add_module_host("m1", {"delay": 0.3}, {"delay": 0.3})
    mod.interface_up("10.0.0.5", net.dns_ips)
    return sim, net, mod


def test_resolve_forward_and_reverse():
    sim, net, mod = world()
    q = mod.resolver.resolve("echo.example")
    sim.run_until(lambda: q.done, 10)
    assert q.result.addresses == ["203.0.113.10"]
    # radio 0.3 s each way + operator link 1 ms each way; no rate limit
    assert sim.now == pytest.approx(2 * (0.3 + 0.001), abs=1e-9)
    r = mod.resolver.reverse("203.0.113.10")
    sim.run_until(lambda: r.done, 10)
    assert r.result.names == ["echo.example"]


def test_resolve_nxdomain_and_servfail():
    sim, net, mod = world()
    q = mod.resolver.resolve("missing.example")
    sim.run_until(lambda: q.done, 20)
    assert q.result.error == "nxdomain"
    net.dns_server.fault = "servfail"
    q = mod.resolver.resolve("echo.example")
    sim.run_until(lambda: q.done, 60)
    # SERVFAIL moves on at once: attempts (2) x servers (1) tries, each one round trip
    assert q.result.error == "servfail" and q.result.tries == 2


def test_resolve_timeout_instant_from_retry_budget():
    sim, net, mod = world(dns_ip=["10.64.0.53", "10.64.0.54"])
    mod.resolver.config = DnsResolverConfig(timeout=3.0, attempts=2)
    for s in net.dns_servers:
        s.fault = "silence"
    t0 = sim.now
    q = mod.resolver.resolve("echo.example")
    sim.run_until(lambda: q.done, 100)
    # each attempt asks both servers in turn: 2 attempts x 2 servers x 3 s
    assert q.result.error == "timeout"
    assert sim.now - t0 == pytest.approx(2 * 2 * 3.0, abs=1e-9)
    assert q.result.tries == 4


def test_resolve_fails_over_to_second_server():
    sim, net, mod = world(dns_ip=["10.64.0.53", "10.64.0.54"])
    net.dns_servers[0].fault = "silence"
    q = mod.resolver.resolve("echo.example")
    sim.run_until(lambda: q.done, 100)
    assert q.result.addresses == ["203.0.113.10"] and q.result.server == "10.64.0.54"
    assert sim.now == pytest.approx(5.0 + 2 * 0.301, abs=1e-9)


def test_resolve_without_network_and_literal():
    sim, net, mod = world()
    q = mod.resolver.resolve("1.2.3.4")
    sim.advance(0.001)
    assert q.result.addresses == ["1.2.3.4"]
    q = mod.resolver.resolve("echo.example")
    mod.interface_down()
    sim.advance(1)
    assert q.result.error == "no_network"
    q = mod.resolver.resolve("echo.example")
    sim.advance(1)
    assert q.result.error == "no_network"
    q = mod.resolver.resolve("bad..name")
    sim.advance(1)
    assert q.result.error == "invalid_name"
