"""NAT variants of issue 19: mapping and filtering behaviour (RFC 4787 §4.1, §5), port
preservation (§4.2.1), RFC 5382 established/transitory timeouts, inbound refresh, and what an
expiry does to a live TCP connection (new mapping, silent drop, RSTs); capture at the core on
both sides of the NAT.

Expected instants come from the configured timeouts and link delays, never from the code."""

from __future__ import annotations

import pytest
from scapy.all import IP, TCP, rdpcap

from simnet.errors import ConfigError
from simnet.kernel import Simulation
from simnet.net import NatConfig, Network
from simnet.net.packet import PROTO_UDP, Packet

SERVER, SERVER2 = "203.0.113.10", "203.0.113.11"
MODULE = "10.0.0.9"
RADIO = {"delay": 0.3}  # one way; the internet link adds 10 ms (network.DEFAULT_INTERNET_LINK)


def world(seed: int = 4, **nat):
    sim = Simulation(seed)
    net = Network(sim, nat=NatConfig(**nat))
    srv = net.add_host("srv", SERVER)
    srv2 = net.add_host("srv2", SERVER2)
    mod = net.add_module_host("m1", RADIO, RADIO)
    mod.interface_up(MODULE, net.dns_ips)
    return sim, net, srv, srv2, mod


def connect(sim, net, srv, mod, *, keepalive=None, port: int = 5000):
    """An established connection module -> srv; returns (client socket, server sockets, closes)."""
    from simnet.net.tcp import TcpConfig

    accepted, closed = [], []

    def on_accept(sock):
        accepted.append(sock)
        sock.on_data = lambda s: s.recv()
        sock.on_closed = lambda s, r: closed.append(("server", sim.now, r))

    srv.tcp_listen(port, on_accept)
    sock = mod.tcp_connect(SERVER, port, TcpConfig(keepalive=keepalive))
    sock.on_closed = lambda s, r: closed.append(("module", sim.now, r))
    assert sim.run_until(lambda: accepted and sock.state == "ESTABLISHED", 30)
    sock.send(b"x")
    sim.advance(1.0)  # data and its (delayed) ACK have crossed the NAT
    return sock, accepted, closed


def udp_out(net, mod, dst, sport=4000, dport=7):
    mod.send_packet(Packet(MODULE, dst, PROTO_UDP, sport=sport, dport=dport, payload=b"u"))


# -- mapping, filtering, port preservation ------------------------------------------------------
@pytest.mark.parametrize(("mapping", "distinct"), [
    ("endpoint-independent", 1), ("address-dependent", 2), ("address-and-port-dependent", 3)])
def test_mapping_behaviour(mapping, distinct):
    sim, net, srv, srv2, mod = world(mapping=mapping)
    for dst, dport in ((SERVER, 7), (SERVER2, 7), (SERVER2, 9)):
        udp_out(net, mod, dst, dport=dport)
    sim.advance(1)
    assert len({m.public_port for m in net.nat.mappings()}) == distinct


@pytest.mark.parametrize(("filtering", "same_host_other_port", "other_host"), [
    ("endpoint-independent", True, True), ("address-dependent", True, False),
    ("address-and-port-dependent", False, False)])
def test_filtering_behaviour(filtering, same_host_other_port, other_host):
    sim, net, srv, srv2, mod = world(filtering=filtering)
    got = []
    mod.udp_bind(4000, on_datagram=lambda s, data, addr: got.append(addr))
    udp_out(net, mod, SERVER, dport=7)
    sim.advance(1)
    public = net.nat.mappings()[0].public_port
    for host, ip, sport in ((srv, SERVER, 7), (srv, SERVER, 9), (srv2, SERVER2, 7)):
        host.send_packet(
            Packet(ip, net.nat.public_ip, PROTO_UDP, sport=sport, dport=public, payload=b"in")
        )
    sim.advance(1)
    assert (SERVER, 7) in got
    assert ((SERVER, 9) in got) is same_host_other_port
    assert ((SERVER2, 7) in got) is other_host


def test_port_preservation_keeps_the_private_port_when_free():
    sim, net, srv, srv2, mod = world(port_preservation=True)
    udp_out(net, mod, SERVER, sport=40000)
    sim.advance(1)
    assert net.nat.mappings()[0].public_port == 40000
    other = net.add_module_host("m2", RADIO, RADIO)
    other.interface_up("10.0.0.10", net.dns_ips)
    other.send_packet(Packet("10.0.0.10", SERVER, PROTO_UDP, sport=40000, dport=7, payload=b"u"))
    sim.advance(1)
    ports = sorted(m.public_port for m in net.nat.mappings())
    assert ports[0] != ports[1] and 40000 in ports  # the second subscriber cannot have it too


def test_bad_variant_names_are_config_errors():
    with pytest.raises(ConfigError) as exc:
        NatConfig(on_expiry="explode")
    assert exc.value.field == "nat.on_expiry"
    with pytest.raises(ConfigError) as exc:
        NatConfig.from_dict({"filtering": "full-cone"})
    assert exc.value.field == "nat.filtering"
    assert NatConfig.from_dict({"tcp_established_timeout": "124min"}).tcp_idle_timeout == 7440


# -- timeouts ---------------------------------------------------------------------------------
def test_transitory_timeout_applies_before_the_handshake_and_after_fins():
    # RFC 5382 REQ-5: transitory connections (no handshake seen both ways, or FIN each way)
    # expire after the transitory timeout, established ones after the established one.
    sim, net, srv, srv2, mod = world(tcp_idle_timeout=600, tcp_transitory_timeout=60)
    silent = mod.tcp_connect("203.0.113.99", 80)  # nobody answers: SYN_SENT for good
    sim.advance(0.5)
    syn_mapping = net.nat.lookup(6, MODULE, silent.local[1])
    sock, accepted, closed = connect(sim, net, srv, mod)
    live = net.nat.lookup(6, MODULE, sock.local[1])
    sim.advance(200)
    expired = {
        r.fields["mapping"]: r.t
        for r in sim.trace.select(kind="nat")
        if r.fields["event"] == "expire"
    }
    assert syn_mapping.describe() in expired and live.describe() not in expired
    # the last SYN retransmission refreshed it; 60 s later it is gone
    last_syn = max(
        r.t
        for r in sim.trace.select(source="m1.uplink", kind="pkt")
        if r.fields["ev"] == "tx" and "203.0.113.99" in r.fields["pkt"]
    )
    assert expired[syn_mapping.describe()] == pytest.approx(last_syn + 0.3 + 60)
    sock.close()
    accepted[0].close()
    sim.advance(2)
    closing_done = net.nat.lookup(6, MODULE, sock.local[1]).last_activity
    sim.advance(120)
    expired = {
        r.fields["mapping"]: r.t
        for r in sim.trace.select(kind="nat")
        if r.fields["event"] == "expire"
    }
    assert expired[live.describe()] == pytest.approx(closing_done + 60)


def test_without_inbound_refresh_only_the_module_keeps_a_mapping_alive():
    sim, net, srv, srv2, mod = world(udp_idle_timeout=30, inbound_refresh=False)
    mod.udp_bind(4000, on_datagram=lambda s, data, addr: None)
    udp_out(net, mod, SERVER)
    sim.advance(0.5)
    public = net.nat.mappings()[0].public_port
    created = net.nat.mappings()[0].last_activity
    for k in range(1, 5):  # the server pushes every 10 s: it does not refresh the mapping
        sim.call_at(
            10.0 * k,
            srv.send_packet,
            Packet(SERVER, net.nat.public_ip, PROTO_UDP, sport=7, dport=public, payload=b"push"),
        )
    sim.advance(60)
    [expiry] = [r for r in sim.trace.select(kind="nat") if r.fields["event"] == "expire"]
    assert expiry.t == pytest.approx(created + 30)


# -- expiry of a live TCP connection -------------------------------------------------------------
def test_silent_drop_is_found_only_by_keepalive():
    idle, interval, count = 120.0, 10.0, 3
    sim, net, srv, srv2, mod = world(tcp_idle_timeout=60, on_expiry="silent-drop")
    sock, accepted, closed = connect(sim, net, srv, mod, keepalive=(idle, interval, count))
    last_heard = max(
        r.t for r in sim.trace.select(source="m1.downlink", kind="pkt") if r.fields["ev"] == "rx"
    )
    sim.advance(400)
    # RFC 9293 §3.8.4: dead idle + interval * count after the peer was last heard; every probe
    # vanished at the NAT (no new mapping for a mid-stream segment, so no RST came back).
    assert [c[0] for c in closed] == ["module"]
    assert closed[0][2] == "keepalive" and closed[0][1] == pytest.approx(
        last_heard + idle + interval * count
    )
    drops = [r for r in sim.trace.select(kind="nat") if r.fields["event"] == "drop"]
    assert len(drops) == count and all(r.fields["reason"] == "no_mapping" for r in drops)
    assert accepted[0].state == "ESTABLISHED"  # the server never learns


@pytest.mark.parametrize(
    ("variant", "who"),
    [("rst-both", {"module", "server"}), ("rst-inside", {"module"}), ("rst-outside", {"server"})],
)
def test_rst_on_expiry(variant, who):
    sim, net, srv, srv2, mod = world(tcp_idle_timeout=60, on_expiry=variant)
    sock, accepted, closed = connect(sim, net, srv, mod)
    mapping = net.nat.lookup(6, MODULE, sock.local[1])
    expiry_at = mapping.last_activity + 60
    sim.advance(100)
    assert {c[0] for c in closed} == who
    for side, t, reason in closed:
        assert reason == "reset"
        # the RST leaves the core at expiry: radio one way to the module, 10 ms to the server
        assert t == pytest.approx(expiry_at + (0.3 if side == "module" else 0.010))


# -- capture points at the core ----------------------------------------------------------------
def test_core_capture_shows_both_sides_of_the_nat_and_the_port_change(tmp_path):
    sim, net, srv, srv2, mod = world(tcp_idle_timeout=60)
    net.capture_core("inside")
    net.capture_core("outside")
    net.capture_host("srv")
    sock, accepted, closed = connect(sim, net, srv, mod)
    old_port = net.nat.lookup(6, MODULE, sock.local[1]).public_port
    sim.advance(100)  # expired
    sock.send(b"again")
    sim.advance(5)
    new_port = net.nat.lookup(6, MODULE, sock.local[1]).public_port
    assert new_port != old_port
    counts = {}
    for point in ("core-inside", "core-outside", "srv"):
        path = tmp_path / f"{point}.pcap"
        counts[point] = net.write_pcap(str(path), point, epoch=1_767_225_600.0)
        pkts = rdpcap(str(path))
        assert len(pkts) == counts[point] > 0
        srcs = {(p[IP].src, p[TCP].sport) for p in pkts if TCP in p and p[IP].dst == SERVER}
        if point == "core-inside":
            assert srcs == {(MODULE, sock.local[1])}  # the private side never changes
        else:
            assert srcs == {(net.nat.public_ip, old_port), (net.nat.public_ip, new_port)}
        assert float(pkts[0].time) >= 1_767_225_600.0  # the scenario epoch, not 1970
    assert "core-inside" in net.capture_point_names()
    with pytest.raises(ConfigError):
        net.capture_core("middle")
