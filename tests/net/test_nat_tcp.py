"""Must show: NAT idle expiry reproduces the RST on the module's next send."""

import re  # noqa: E402

import pytest

from simnet.kernel import Simulation  # noqa: E402
from simnet.net import NatConfig, Network  # noqa: E402

SERVER = "203.0.113.10"


def tcp_flags(summary: str) -> str:
    m = re.match(r"TCP .*\[(\w*)\]", summary)
    return m.group(1) if m else ""


def test_nat_idle_expiry_then_send_gets_rst():
    sim = Simulation(seed=4)
    net = Network(sim, nat=NatConfig(tcp_idle_timeout=60))
    srv = net.add_host("srv", SERVER)
    mod = net.add_module_host(
        "m1", {"delay": 0.3, "rate": "40kbps"}, {"delay": 0.3, "rate": "40kbps"}
    )
    mod.interface_up("10.0.0.9", net.dns_ips)

    accepted = []
    server_rx = bytearray()

    def on_accept(sock):
        accepted.append(sock)

        def on_data(s):
            server_rx.extend(s.recv())

        sock.on_data = on_data

    srv.tcp_listen(5000, on_accept)
    closed = []
    sock = mod.tcp_connect(SERVER, 5000)
    sock.on_closed = lambda s, reason: closed.append((sim.now, reason))
    assert sim.run_until(lambda: sock.state == "ESTABLISHED" or closed, 30)
    sock.send(b"hello")
    assert sim.run_until(lambda: bytes(server_rx) == b"hello", 30)
    sim.advance(1.0)  # the server's delayed ACK (200 ms) still crosses the NAT after "hello"
    first_mapping = net.nat.lookup(6, "10.0.0.9", sock.local[1])
    assert first_mapping is not None
    old_public_port = first_mapping.public_port
    last_activity = first_mapping.last_activity

    # Idle (no keepalive): the mapping dies 60 s after the last packet crossed the NAT.
    sim.advance(120)
    expiries = [r for r in sim.trace.select(kind="nat") if r.fields["event"] == "expire"]
    assert len(expiries) == 1 and expiries[0].t == pytest.approx(last_activity + 60)
    assert closed == []  # nobody noticed: the silent idle-socket death

    sock.send(b"again")
    assert sim.run_until(lambda: bool(closed), 60)
    assert closed[0][1] == "reset" and sock.close_reason == "reset"
    # The module's segment reached the server from a NEW public port; the server had no
    # connection for it and answered RST, which the NAT's new mapping carried back.
    new_mapping = net.nat.lookup(6, "10.0.0.9", sock.local[1])
    assert new_mapping is not None and new_mapping.public_port != old_public_port
    rsts = [
        r
        for r in sim.trace.select(source="srv.uplink", kind="pkt")
        if r.fields["ev"] == "tx" and "R" in tcp_flags(r.fields["pkt"])
    ]
    assert rsts and f"> {net.nat.public_ip}:{new_mapping.public_port}" in rsts[0].fields["pkt"]
    assert bytes(server_rx) == b"hello"  # "again" never reached the application
