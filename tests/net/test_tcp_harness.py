"""A tiny two-host network for TCP tests that must control every packet.

The real links (simnet.net.link / Network) are used by the property and NAT tests; the timing
tests need a channel whose every packet can be inspected and dropped on purpose, so they use
this one: constant one-way delay, optional uniform jitter (reordering), Bernoulli loss,
duplication and corruption (a corrupted packet fails the receiver's checksum and is dropped,
as a real host does), all drawn from named simulation streams.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

from simnet.kernel import Simulation
from simnet.net.packet import Packet
from simnet.net.tcp import TcpStack


@dataclass
class Sent:
    t: float
    src: str
    dst: str
    flags: int
    seq: int
    ack: int
    length: int
    window: int
    dropped: bool


@dataclass
class Channel:
    sim: Simulation
    delay: float = 0.05
    jitter: float = 0.0
    loss: float = 0.0
    duplicate: float = 0.0
    corrupt: float = 0.0
    name: str = "chan"
    hosts: dict[str, FakeHost] = field(default_factory=dict)
    log: list[Sent] = field(default_factory=list)
    # drop(pkt) -> True drops it (tests that lose chosen packets)
    drop: Callable[[Packet], bool] | None = None

    def __post_init__(self) -> None:
        self.rng = self.sim.rng(f"test.{self.name}.impair")

    def send(self, pkt: Packet) -> None:
        rng = self.rng
        dropped = (self.drop is not None and self.drop(pkt)) or (
            self.loss > 0 and rng.random() < self.loss
        )
        self.log.append(
            Sent(
                self.sim.now,
                pkt.src,
                pkt.dst,
                pkt.flags,
                pkt.seq,
                pkt.ack,
                len(pkt.payload),
                pkt.window,
                dropped,
            )
        )
        if dropped:
            return
        copies = 2 if self.duplicate > 0 and rng.random() < self.duplicate else 1
        for _ in range(copies):
            p = pkt.copy() if copies > 1 else pkt
            if self.corrupt > 0 and rng.random() < self.corrupt:
                p = p.copy()
                if p.payload:
                    i = rng.randrange(len(p.payload))
                    b = bytearray(p.payload)
                    b[i] ^= 0xFF
                    p.payload = bytes(b)
                p.corrupted = True
            d = self.delay + (rng.uniform(0.0, self.jitter) if self.jitter > 0 else 0.0)
            self.sim.call_later(d, self._arrive, p)

    def _arrive(self, pkt: Packet) -> None:
        if pkt.corrupted:
            return  # the TCP checksum catches it
        host = self.hosts.get(pkt.dst)
        if host is not None and host.ip == pkt.dst:
            host.tcp.deliver(pkt)


class FakeHost:
    def __init__(self, sim: Simulation, name: str, ip: str, channel: Channel) -> None:
        self.sim = sim
        self.name = name
        self.ip: str | None = ip
        self.channel = channel
        channel.hosts[ip] = self
        self.tcp = TcpStack(self)

    def send_packet(self, pkt: Packet) -> None:
        self.channel.send(pkt)


def make_pair(
    seed: int = 1, **channel_kw: object
) -> tuple[Simulation, Channel, FakeHost, FakeHost]:
    sim = Simulation(seed)
    chan = Channel(sim, **channel_kw)  # type: ignore[arg-type]
    a = FakeHost(sim, "a", "10.0.0.1", chan)
    b = FakeHost(sim, "b", "10.0.0.2", chan)
    return sim, chan, a, b


def test_channel_delivers_after_delay() -> None:
    sim, chan, a, b = make_pair(delay=0.25)
    got: list[float] = []
    # a stand-in stack, not a patched method: a compiled TcpStack's methods are read-only
    b.tcp = SimpleNamespace(deliver=lambda pkt: got.append(sim.now))  # type: ignore[assignment]
    a.send_packet(Packet("10.0.0.1", "10.0.0.2", 6, sport=1, dport=2))
    sim.advance(1.0)
    assert got == [0.25]
