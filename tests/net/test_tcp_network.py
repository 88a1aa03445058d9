"""TCP over the real Network (radio link, carrier NAT, wired internet link)."""

from __future__ import annotations

import pytest

from simnet.kernel import Simulation
from simnet.net import NatConfig, Network
from simnet.net.tcp import TcpConfig, TcpSocket

SERVER_IP = "203.0.113.9"
MODULE_IP = "10.30.0.7"


def world(seed: int = 1, radio: dict | None = None, nat: NatConfig | None = None):
    sim = Simulation(seed)
    net = Network(sim, nat=nat)
    srv = net.add_host("srv", SERVER_IP)
    radio = radio if radio is not None else {"delay": 0.3, "rate": "40kbps"}
    mod = net.add_module_host("m1", radio, radio)
    mod.interface_up(MODULE_IP)
    return sim, net, srv, mod


def test_connect_through_a_dead_radio_fails_at_the_computed_instant() -> None:
    # Every packet on the radio is lost. initial_rto=1 s, max_rto=60 s, syn_retries=4:
    # SYNs leave at 0, 1, 3, 7, 15 (waits 1, 2, 4, 8) and the last wait of 16 s runs out at 31 s.
    sim, net, srv, mod = world(radio={"delay": 0.3, "loss": 1.0})
    srv.tcp_listen(80, lambda s: None)
    closed: list[tuple[float, str]] = []
    sock = mod.tcp_connect(SERVER_IP, 80, TcpConfig(initial_rto=1.0, syn_retries=4))
    sock.on_closed = lambda s, reason: closed.append((sim.now, reason))
    sim.advance(100)
    waits = [1.0 * 2**k for k in range(5)]
    expected_syns = [sum(waits[:k]) for k in range(5)]
    syn_tx = [
        r.t for r in sim.trace.select(source="m1.uplink", kind="pkt") if r.fields["ev"] == "tx"
    ]
    assert syn_tx == pytest.approx(expected_syns, abs=1e-9)
    assert closed == [(pytest.approx(sum(waits), abs=1e-9), "timeout")]


def test_refused_through_the_nat() -> None:
    sim, net, srv, mod = world()
    closed: list[tuple[float, str]] = []
    sock = mod.tcp_connect(SERVER_IP, 81)
    sock.on_closed = lambda s, reason: closed.append((sim.now, reason))
    sim.advance(10)
    assert closed and closed[0][1] == "refused"


def _transfer_digest(seed: int) -> tuple[str, bytes]:
    sim, net, srv, mod = world(
        seed, radio={"delay": 0.2, "rate": "40kbps", "loss": 0.05, "jitter": 0.05}
    )
    got = bytearray()

    def on_accept(s: TcpSocket) -> None:
        s.on_data = lambda s: got.extend(s.recv())
        s.on_peer_fin = lambda s: s.close()

    srv.tcp_listen(80, on_accept)
    sock = mod.tcp_connect(SERVER_IP, 80, TcpConfig(mss=536))
    data = bytes(range(256)) * 40
    sock.on_connected = lambda s: (s.send(data), s.close())
    sim.advance(300)
    assert bytes(got) == data
    return sim.trace.digest(), bytes(got)


def test_same_seed_same_digest_different_seed_different_digest() -> None:
    d1, _ = _transfer_digest(3)
    d2, _ = _transfer_digest(3)
    d3, _ = _transfer_digest(4)
    assert d1 == d2
    assert d1 != d3


def test_keepalive_keeps_the_nat_mapping_alive_while_an_idle_socket_dies() -> None:
    # NAT idle timeout 60 s. One socket sends keepalives every 40 s, the other nothing; after
    # 10 idle minutes only the silent one is answered with RST on its next send.
    sim, net, srv, mod = world(nat=NatConfig(tcp_idle_timeout=60))
    srv.tcp_listen(80, lambda s: setattr(s, "on_data", lambda s: s.recv()))
    closed: dict[str, str] = {}
    alive = mod.tcp_connect(SERVER_IP, 80, TcpConfig(keepalive=(40.0, 10.0, 3)))
    silent = mod.tcp_connect(SERVER_IP, 80)
    alive.on_closed = lambda s, r: closed.__setitem__("alive", r)
    silent.on_closed = lambda s, r: closed.__setitem__("silent", r)
    sim.advance(600)
    assert closed == {}
    alive.send(b"ping")
    silent.send(b"ping")
    sim.advance(30)
    assert closed == {"silent": "reset"}
    assert alive.bytes_acked == 4 and alive.state == "ESTABLISHED"


def test_interface_down_aborts_connections_with_network_down() -> None:
    sim, net, srv, mod = world()
    srv.tcp_listen(80, lambda s: None)
    sock = mod.tcp_connect(SERVER_IP, 80)
    reasons: list[str] = []
    sock.on_closed = lambda s, r: reasons.append(r)
    sim.advance(2)
    assert sock.state == "ESTABLISHED"
    mod.interface_down("pdp_deactivated")
    assert reasons == ["network_down"]
    sim.advance(60)
    # the aborted connection sends nothing: no RST, no retransmission
    sent_after = [
        r
        for r in sim.trace.select(source="m1.uplink", kind="pkt")
        if r.t > 2 and r.fields["ev"] == "tx"
    ]
    assert sent_after == []


def test_radio_outage_mid_transfer_backs_off_then_recovers() -> None:
    sim, net, srv, mod = world(radio={"delay": 0.3, "rate": "40kbps"})
    got = bytearray()

    def on_accept(s: TcpSocket) -> None:
        s.on_data = lambda s: got.extend(s.recv())

    srv.tcp_listen(80, on_accept)
    sock = mod.tcp_connect(SERVER_IP, 80, TcpConfig(mss=536, max_rto=16.0))
    data = bytes(range(256)) * 200
    sent = [0]

    def pump(s: TcpSocket) -> None:
        while sent[0] < len(data):
            n = s.send(data[sent[0] : sent[0] + 4096])
            if not n:
                return
            sent[0] += n

    sock.on_connected = pump
    sock.on_writable = pump
    sim.advance(5)
    net.link("m1").set_outage(40.0)  # both directions dark from t=5 s to t=45 s
    sim.advance(200)
    assert bytes(got) == data and sock.state == "ESTABLISHED"
    rtos = [
        r
        for r in sim.trace.select(source="tcp.m1", kind="tcp_retransmit")
        if r.fields["cause"] == "rto"
    ]
    # during the outage each timeout doubles the RTO (RFC 6298 §5.5) up to max_rto
    in_outage = [r.fields["rto"] for r in rtos if 5 < r.t < 45]
    assert len(in_outage) >= 3
    for prev, cur in zip(in_outage, in_outage[1:], strict=False):
        assert cur == pytest.approx(min(2 * prev, 16.0))
    # and the first retransmission after the outage gets through: no timeout after t=45+16
    assert all(r.t < 45 + 16 + 1e-9 for r in rtos)
