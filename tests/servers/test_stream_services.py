"""TCP echo, sink and source through the simulated network, with faults."""

from __future__ import annotations

import hashlib
import random

import pytest

from simnet import ConfigError
from simnet.servers import SERVICE_TYPES, make_service
from simnet.servers.simple import chargen_line
from tests.servers.client import SERVER_IP, TcpClient, world


def connect(sim, client, port):
    c = TcpClient(sim, client, SERVER_IP, port)
    assert c.wait_connected()
    return c


def test_echo_full_session_large_payload():
    sim, svc, client = world("tcp-echo", {"port": 7})
    c = connect(sim, client, 7)
    payload = random.Random(5).randbytes(200_000)  # larger than any socket buffer
    c.send(payload)
    sim.run_until(lambda: len(c.buf) >= len(payload), 120)
    assert bytes(c.buf) == payload
    assert svc.bytes_received == len(payload) and svc.bytes_sent == len(payload)
    c.close()
    assert c.wait_closed() is not None


def test_sink_counts_and_discards():
    sim, svc, client = world("tcp-sink", {"port": 9})
    c = connect(sim, client, 9)
    c.send(b"z" * 50_000)
    c.close()
    c.wait_closed(60)
    assert svc.bytes_received == 50_000 and svc.bytes_sent == 0 and bytes(c.buf) == b""


def test_source_pattern_n_bytes_then_close():
    sim, svc, client = world("tcp-source", {"port": 19, "pattern": "abc", "bytes": 10_000})
    c = connect(sim, client, 19)
    got = c.drain_until_fin()
    assert got == (b"abc" * 3334)[:10_000]


def test_source_chargen_default():
    sim, svc, client = world("tcp-source", {"port": 19, "bytes": 74 * 3})
    c = connect(sim, client, 19)
    got = c.drain_until_fin()
    first = bytes(range(32, 32 + 72)) + b"\r\n"  # RFC 864: ' ' .. 'g', then rotate by one
    assert got[:74] == first and got == b"".join(chargen_line(i) for i in range(3))
    assert got[74:75] == b"!"


def test_source_random_from_named_stream():
    sim, svc, client = world(
        "tcp-source", {"port": 19, "content": "random", "rng": "peer.bulk", "bytes": 8192}, seed=9
    )
    c = connect(sim, client, 19)
    got = c.drain_until_fin()
    # independent recomputation: kernel streams are SHA-256(f"{seed}\0{name}")[:8] seeded Randoms
    seed = int.from_bytes(hashlib.sha256(b"9\x00peer.bulk").digest()[:8], "big")
    assert got == random.Random(seed).randbytes(8192)


def test_echo_faults_reset_close_rate_refuse_stall():
    sim, svc, client = world("tcp-echo", {"port": 7})
    svc.reset_after(500, mode="close")
    c = connect(sim, client, 7)
    c.send(b"q" * 1000)
    got = c.drain_until_fin()
    # 500 bytes crossed in both directions (read + echoed), then FIN; how they split between
    # reading and echoing depends on segmentation
    assert got == b"q" * len(got) and len(got) + svc.bytes_received == 500
    svc.clear_faults()
    svc.apply_fault("server-reset", after_bytes=0)
    c = connect(sim, client, 7)
    assert c.wait_closed() == "reset"
    svc.clear_faults()
    svc.limit_rate("16kbps")
    c = connect(sim, client, 7)
    t0 = sim.now
    c.send(b"r" * 4000)
    sim.run_until(lambda: len(c.buf) >= 4000, 60)
    # reads are paced at 2000 bytes/s in 200-byte quanta (100 ms each): the first quantum goes
    # at once, the remaining 3800 bytes need 1.9 s before the last one can even be read
    assert bytes(c.buf) == b"r" * 4000 and sim.now - t0 >= 3800 * 8 / 16000
    svc.clear_faults()
    svc.refuse()
    c = TcpClient(sim, client, SERVER_IP, 7)
    assert not c.wait_connected() and c.closed == "refused"
    svc.refuse(False)
    svc.stall(duration="5s")
    c = connect(sim, client, 7)
    c.send(b"late")
    sim.advance(4)
    assert bytes(c.buf) == b""
    sim.run_until(lambda: bytes(c.buf) == b"late", 5)
    assert bytes(c.buf) == b"late"


def test_config_validation_names_field_and_allowed_values():
    with pytest.raises(ConfigError) as err:
        make_service("tcp-gopher", {}, "hosts.h.services[2]")
    assert err.value.field == "hosts.h.services[2].type"
    assert all(t in str(err.value) for t in SERVICE_TYPES)
    cases = [
        ("tcp-source", {"content": "noise"}, "content"),
        ("tcp-source", {"bytes": -1}, "bytes"),
        ("tcp-echo", {"port": 70000}, "port"),
        ("tcp-echo", {"rate": "fast"}, "rate"),
        ("tcp-echo", {"greeting_delay": "-1s"}, "greeting_delay"),
        ("ftp", {"passive_ports": [10, 20]}, "passive_ports"),
        ("ftp", {"users": {"a b": "x"}}, "users"),
        ("ftp", {"anonymous": "yes"}, "anonymous"),
        ("ftp", {"directory": "/nonexistent/dir"}, "directory"),
        ("smtp", {"mailboxes": ["not an address"]}, "mailboxes"),
        ("smtp", {"max_size": 0}, "max_size"),
        ("pop3", {"mailboxes": {"ghost": []}, "users": {"u": "p"}}, "mailboxes.ghost"),
        ("pop3", {"users": {"u": "p"}, "mailboxes": {"u": [{"subj": "x"}]}}, "mailboxes.u[0].subj"),
        ("udp-echo", {"colour": 1}, "colour"),
    ]
    for stype, config, key in cases:
        with pytest.raises(ConfigError) as err:
            make_service(stype, config, "svc")
        assert err.value.field == f"svc.{key}", (stype, config, err.value.field)


def test_fault_method_validation():
    svc = make_service("ftp", {}, "s")
    with pytest.raises(ConfigError):
        svc.reset_after(10, mode="explode")
    with pytest.raises(ConfigError):
        svc.reset_after(-1)
    with pytest.raises(ConfigError):
        svc.override_reply("RETR", 999)
    with pytest.raises(ConfigError):
        svc.apply_fault("server-melt")
    with pytest.raises(ConfigError):
        svc.apply_fault("server-reply", command="RETR", code=550, colour="red")
    with pytest.raises(ConfigError):
        svc.dns_fail("nxdomain")
    svc.attach(*_attached_host())
    bad = [
        ("server-reply", {"command": "RETR"}, "s.faults.reply.code"),
        ("server-reset", {"after_bytes": 5, "connection": "both"}, "s.faults.reset.connection"),
        ("server-slow-greeting", {"delay": "soon"}, "s.faults.slow_greeting.delay"),
        ("server-refuse", {"duration": -3}, "s.faults.refuse.duration"),
        ("server-rate-limit", {"rate": 0}, "s.faults.rate_limit.rate"),
        ("server-stall", {"count": 2}, "s.faults.stall.count"),
    ]
    for action, params, field in bad:
        with pytest.raises(ConfigError) as err:
            svc.fault_at(10.0, action, **params)  # rejected when scheduled, not mid-run
        assert err.value.field == field, (action, err.value.field)
    assert svc.check_fault("server-reply", host="h", command="RETR", code=550) == (
        "reply",
        {"command": "RETR", "code": 550},
    )


def _attached_host():
    from simnet.kernel import Simulation
    from simnet.net import Network

    sim = Simulation(1)
    return sim, Network(sim).add_host("h", "198.51.100.9")


def _session_digest(seed: int) -> tuple[str, bytes]:
    sim, svc, client = world(
        "tcp-source", {"port": 19, "content": "random", "bytes": 3000, "rate": "64kbps"}, seed=seed
    )
    c = TcpClient(sim, client, SERVER_IP, 19)
    got = c.drain_until_fin()
    return sim.trace.digest(), got


def test_same_seed_same_trace_digest():
    d1, data1 = _session_digest(4)
    d2, data2 = _session_digest(4)
    d3, data3 = _session_digest(5)
    assert (d1, data1) == (d2, data2)
    assert data1 != data3 and d1 != d3


def test_echo_closes_after_echoing_everything_sent_before_fin():
    sim, svc, client = world("tcp-echo", {"port": 7})
    c = TcpClient(sim, client, SERVER_IP, 7)
    assert c.wait_connected()
    payload = random.Random(8).randbytes(300_000)  # far beyond the 64 KiB echo back-pressure
    c.send(payload)
    c.shutdown()  # FIN right behind the data; the client keeps reading
    echoed = c.drain_until_fin(120)
    assert echoed == payload
    assert c.wait_closed() is not None
