"""One link direction in isolation: timings derived by hand from rate, size and delay."""

import pytest

from simnet import ConfigError
from simnet.kernel import Simulation
from simnet.net import Link, LinkConfig, Packet
from simnet.net.packet import PROTO_UDP


def make(cfg, seed=1):
    sim = Simulation(seed=seed)
    got = []
    link = Link(sim, "t.uplink", cfg, lambda p: got.append((sim.now, p)))
    return sim, link, got


def udp(n, payload_len=72, ident=0):
    return Packet("10.0.0.1", "10.0.0.2", PROTO_UDP, sport=1000, dport=2000, ident=ident,
                  payload=bytes(payload_len))  # 20 + 8 + 72 = 100 bytes


def test_serialization_and_drop_tail_queue():
    # 8000 bit/s: a 100-byte packet takes 0.1 s. One transmits, three wait, the rest drop.
    sim, link, got = make(LinkConfig(delay=0.5, rate=8000, queue_packets=3))
    for i in range(10):
        link.send(udp(i, ident=i))
    sim.advance(10)
    assert [round(t, 9) for t, _ in got] == [0.6, 0.7, 0.8, 0.9]
    assert [p.ident for _, p in got] == [0, 1, 2, 3]
    assert link.drops == {"queue": 6}


def test_queue_bytes_bound_and_queue_drains():
    sim, link, got = make(LinkConfig(rate=8000, queue_bytes=250))
    for i in range(5):
        link.send(udp(i, ident=i))  # 1 in service + 2 x 100 bytes waiting fit 250
    assert link.drops == {"queue": 2}
    sim.advance(0.35)  # by now packets 0..2 finished; 3 at 0.3 started => queue empty
    link.send(udp(9, ident=9))
    sim.advance(5)
    assert [p.ident for _, p in got] == [0, 1, 2, 9]
    assert got[-1][0] == pytest.approx(0.45)  # starts at 0.35 (idle), 0.1 s to send


def test_mtu_drop():
    sim, link, got = make(LinkConfig(mtu=576))
    link.send(udp(0, payload_len=548))  # exactly 576
    link.send(udp(1, payload_len=549))
    sim.advance(1)
    assert len(got) == 1 and link.drops == {"mtu": 1}


def test_jitter_without_reordering_keeps_fifo():
    sim, link, got = make(LinkConfig(delay=0.2, jitter=0.15))
    for i in range(200):
        sim.call_later(i * 0.001, link.send, udp(i, ident=i))
    sim.advance(5)
    ids = [p.ident for _, p in got]
    assert ids == sorted(ids) and len(ids) == 200
    assert all(0.05 - 1e-9 <= t - p.ident * 0.001 for t, p in got)


def test_jitter_with_reordering_reorders():
    sim, link, got = make(LinkConfig(delay=0.2, jitter=0.15, reorder=True))
    for i in range(200):
        sim.call_later(i * 0.001, link.send, udp(i, ident=i))
    sim.advance(5)
    ids = [p.ident for _, p in got]
    assert sorted(ids) == list(range(200)) and ids != sorted(ids)
    delays = [t - p.ident * 0.001 for t, p in got]
    assert min(delays) >= 0.05 - 1e-9 and max(delays) <= 0.35 + 1e-9


def test_delay_distribution():
    sim, link, got = make(
        LinkConfig(delay={"dist": "uniform", "min": 0.1, "max": 0.3}, reorder=True)
    )
    for i in range(500):
        link.send(udp(i, ident=i))
    sim.advance(5)
    ts = [t for t, _ in got]
    assert min(ts) >= 0.1 and max(ts) <= 0.3
    assert sum(ts) / len(ts) == pytest.approx(0.2, abs=0.01)


def test_duplication_and_corruption_copies():
    sim, link, got = make(LinkConfig(duplicate=0.5, corrupt=0.5), seed=4)
    sent = [udp(i, ident=i) for i in range(400)]
    for p in sent:
        link.send(p)
    sim.advance(1)
    assert 400 < len(got) < 800
    assert not any(p.corrupted for p in sent)  # the sender's objects stay intact
    corrupted = sum(p.corrupted for _, p in got)
    assert 0.35 * len(got) < corrupted < 0.65 * len(got)


def test_scheduled_and_runtime_outages():
    sim, link, got = make(LinkConfig(delay=0.1, outages=[{"at": 0.95, "duration": 2.1}]))
    for i in range(50):
        sim.call_later(i * 0.1, link.send, udp(i, ident=i))
    sim.advance(10)
    ids = {p.ident for _, p in got}
    # dark from 0.95 to 3.05: sent at 0.8 arrives 0.9 (ok), sent at 0.9 arrives 1.0 (lost),
    # sent at 2.9 arrives 3.0 (lost), sent at 3.0 is offered at 3.0 (dark, lost), 3.1 is fine
    assert ids == set(range(9)) | set(range(31, 50))
    link.set_outage(1.0)
    link.send(udp(99, ident=99))
    sim.advance(0.5)
    link.clear_outage()
    link.send(udp(100, ident=100))
    sim.advance(1)
    assert got[-1][1].ident == 100 and 99 not in {p.ident for _, p in got}


def test_runtime_loss_change():
    sim, link, got = make(LinkConfig())
    link.set_loss(1.0)
    link.send(udp(0))
    link.set_loss(None)
    link.send(udp(1))
    sim.advance(1)
    assert len(got) == 1 and link.drops == {"loss": 1}
    with pytest.raises(ConfigError):
        link.set_loss(2)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"rate": "-3kbps"}, "link.rate"),
        ({"queue_packets": 0}, "link.queue_packets"),
        ({"duplicate": 1.2}, "link.duplicate"),
        ({"corrupt": "x"}, "link.corrupt"),
        ({"outages": [{"at": 1}]}, "link.outages[0]"),
        ({"delay": {"dist": "weird"}}, "link.delay.dist"),
        ({"jitter": -1}, "link.jitter"),
    ],
)
def test_bad_link_config(kwargs, field):
    with pytest.raises(ConfigError) as e:
        LinkConfig(**kwargs)
    assert e.value.field == field


def test_from_dict_unknown_key():
    with pytest.raises(ConfigError) as e:
        LinkConfig.from_dict({"dealy": 1}, "links.radio.uplink")
    assert e.value.field == "links.radio.uplink.dealy"
