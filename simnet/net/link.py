"""One direction of a link: propagation delay, jitter, serialization with a drop-tail queue,
MTU, loss, duplication, corruption and outages.

The per-packet path is plain callbacks: ``send`` decides everything at once (queue position,
loss, delay) and schedules one timeout event for the arrival. No SimPy process runs per
packet, because a process costs about ten times a timer.

Timing: a packet offered at ``now`` starts serializing at ``max(now, busy_until)`` and
finishes ``size*8/rate`` seconds later; it arrives ``delay (+ jitter)`` after that. Packets
that have not started serializing are the queue; a packet that would overflow the queue
bound (bytes or packets) is dropped at the tail. A lost packet still occupies the
transmitter (it was sent, the air lost it).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from heapq import heappush
from typing import Any

from simnet.kernel.dist import Constant, Distribution, make_distribution
from simnet.kernel.sim import NORMAL, Wake
from simnet.kernel.trace import Trace
from simnet.kernel.units import Real, parse_probability, parse_rate
from simnet.net.link_config import DEFAULT_QUEUE_PACKETS, LinkConfig
from simnet.net.link_config import MAX_MTU as MAX_MTU
from simnet.net.link_config import MIN_MTU as MIN_MTU
from simnet.net.loss import BernoulliLoss, LossModel, make_loss_model
from simnet.net.packet import PACKET_RX, PACKET_TX, Packet


class Link:
    """One direction of a link. ``deliver(pkt)`` is called at the far end on arrival."""

    def __init__(
        self,
        sim: Any,
        name: str,
        config: LinkConfig,
        deliver: Callable[[Packet], None],
    ) -> None:
        self.sim = sim
        self.name = name  # e.g. "m1.uplink"
        self.config = config
        self._deliver = deliver
        self._env = sim.env
        self._trace: Trace = sim.trace  # typed: compiled, direct calls per packet
        # Streams for delay, jitter, duplication and corruption are fetched when first drawn
        # from (most links draw from none of them): a named stream does not depend on when it
        # is created, so the draws are the same.
        self._rngs: dict[str, Any] = {}
        self._loss_rng = sim.rng(f"link.{name}.loss")
        self._apply_config(config)
        self.loss_model: LossModel = make_loss_model(config.loss_spec, self._loss_rng)
        # serialization state
        self._busy_until: Real = 0.0
        self._waiting: deque[tuple[Real, int]] = deque()  # (start time, size) not yet started
        self._waiting_bytes = 0
        self._last_arrival: Real = 0.0
        self._fifo: deque[Packet] = deque()  # in flight, in order (when reordering is off)
        self._wake = sim.wake
        self._queue, self._eid = sim.event_queue()  # (None, None): schedule with _wake
        self._arrive_callbacks = (self._arrive_next,)
        # outages: the link is dark while now < _outage_until
        self._outage_until: Real = -1.0
        for at, dur in config.outage_list:
            sim.call_at(at, self.set_outage, dur)
        # Observers of every packet the link takes (tx, after its trace record and before any
        # drop) and delivers (rx), called with (t, pkt): pcap capture points, fault triggers
        # (observe_tx). None costs nothing.
        self.capture_tx: Callable[[Real, Packet], None] | None = None
        self.capture_rx: Callable[[Real, Packet], None] | None = None
        # A gate sees every packet offered first and may keep it (returning False): the radio
        # layer holds packets while an RRC connection is set up, paging runs or coverage is
        # gone, and hands them back with ``release``.
        self.gate: Callable[[Packet], bool] | None = None
        # counters
        self.packets_sent = 0
        self.packets_delivered = 0
        self.bytes_delivered = 0
        self.bytes_sent = 0  # IP bytes put on the medium (lost ones too)
        self.airtime: Real = 0.0  # seconds spent serializing (lost frames used the medium too)
        self.drops: dict[str, int] = {}

    def _apply_config(self, config: LinkConfig) -> None:
        self.config = config
        self._delay = config.delay_dist
        self._const_delay = (
            config.delay_dist.value if isinstance(config.delay_dist, Constant) else None
        )
        self._jitter = config.jitter_s
        self._reorder = config.reorder
        self._rate = config.rate_bps
        self._queue_bytes = config.queue_bytes
        qp = config.queue_packets
        if qp is None and config.queue_bytes is None and config.rate_bps is not None:
            qp = DEFAULT_QUEUE_PACKETS
        self._queue_packets = qp
        self._mtu = config.mtu
        self._dup_p = config.duplicate
        self._corrupt_p = config.corrupt
        self._update_plain()

    def _update_plain(self) -> None:
        # Constant delay, no jitter, in order, no corruption: send() schedules the arrival itself.
        self._plain = (self._const_delay is not None and self._jitter <= 0.0 and not self._reorder
                       and self._corrupt_p <= 0.0)

    # -- runtime controls (faults) -----------------------------------------------------------
    @property
    def in_outage(self) -> bool:
        return self._env.now < self._outage_until

    def set_outage(self, duration: Real | None) -> None:
        """Black out the link for ``duration`` seconds (None or inf: until ``clear_outage``)."""
        until = math.inf if duration is None else self._env.now + max(0.0, float(duration))
        if until > self._outage_until:
            self._outage_until = until
        self.sim.record(
            self.name,
            "link",
            event="outage",
            duration=None if duration is None else float(duration),
        )

    def clear_outage(self) -> None:
        if self._outage_until > self._env.now:
            self._outage_until = self._env.now
            self.sim.record(self.name, "link", event="outage_end")

    def observe_tx(self, fn: Callable[[Real, Packet], None]) -> None:
        """Call ``fn(now, pkt)`` for every packet this direction takes, after the observers
        already there (a typed hook: it sees packets whether or not the trace records them)."""
        before = self.capture_tx
        if before is None:
            self.capture_tx = fn
            return

        def both(now: Real, pkt: Packet) -> None:
            before(now, pkt)
            fn(now, pkt)

        self.capture_tx = both

    def set_loss(self, spec: object) -> None:
        """Replace the loss model (validated; raises ConfigError on a bad spec)."""
        self.loss_model = make_loss_model(spec, self._loss_rng, f"{self.name}.loss")
        self.sim.record(self.name, "link", event="set_loss", **self.loss_model.params())

    def set_delay(self, spec: object) -> None:
        self._delay = (
            spec
            if isinstance(spec, Distribution)
            else make_distribution(spec, f"{self.name}.delay")
        )
        self._const_delay = self._delay.value if isinstance(self._delay, Constant) else None
        self._update_plain()
        self.sim.record(self.name, "link", event="set_delay", delay=str(spec))

    def set_rate(self, rate: object) -> None:
        self._rate = None if rate is None else parse_rate(rate, f"{self.name}.rate")
        self.sim.record(self.name, "link", event="set_rate", rate=self._rate)

    def set_probabilities(
        self, *, duplicate: Real | None = None, corrupt: Real | None = None
    ) -> None:
        if duplicate is not None:
            self._dup_p = parse_probability(duplicate, f"{self.name}.duplicate")
        if corrupt is not None:
            self._corrupt_p = parse_probability(corrupt, f"{self.name}.corrupt")
        self._update_plain()

    @property
    def queue_length(self) -> int:
        self._purge(self._env.now)
        return len(self._waiting)

    # -- per-packet path -----------------------------------------------------------------------
    def _rng(self, purpose: str) -> Any:
        """The link's stream ``link.<name>.<purpose>``."""
        rng = self._rngs.get(purpose)
        if rng is None:
            rng = self._rngs[purpose] = self.sim.rng(f"link.{self.name}.{purpose}")
        return rng

    def _drop(self, pkt: Packet, reason: str) -> None:
        self.drops[reason] = self.drops.get(reason, 0) + 1
        self.sim.record(self.name, "drop", reason=reason, pkt=pkt.summary())

    def _purge(self, now: Real) -> None:
        waiting = self._waiting
        while waiting and waiting[0][0] <= now:
            self._waiting_bytes -= waiting.popleft()[1]

    def send(self, pkt: Packet) -> None:
        """Offer a packet to this link direction. Never raises."""
        if self.gate is not None and not self.gate(pkt):
            return
        now = self._env._now
        self.packets_sent += 1
        log = self._trace.packet_log  # the summary text is made when the trace is read
        if log is not None:
            log.append((now, self.name, "pkt", PACKET_TX, pkt))
        elif "pkt" not in self._trace.muted_kinds:
            self._trace.record_lazy(now, self.name, "pkt", PACKET_TX, pkt)
        if self.capture_tx is not None:
            self.capture_tx(now, pkt)
        if now < self._outage_until:
            self._drop(pkt, "outage")
            return
        size = pkt.size
        if size > self._mtu:
            self._drop(pkt, "mtu")
            return
        self.bytes_sent += size
        rate = self._rate
        if rate is not None:
            waiting = self._waiting
            if waiting:
                self._purge(now)
            busy_until = self._busy_until
            if busy_until > now:
                qp = self._queue_packets
                qb = self._queue_bytes
                if (qp is not None and len(waiting) >= qp) or (
                    qb is not None and self._waiting_bytes + size > qb
                ):
                    self._drop(pkt, "queue")
                    return
                start = busy_until
                waiting.append((start, size))
                self._waiting_bytes += size
            else:
                start = now
            finish = start + size * 8.0 / rate
            self.airtime += finish - start
            self._busy_until = finish
        else:
            finish = now
        loss = self.loss_model
        if (
            loss.p > 0.0 and loss._rng.random() < loss.p  # BernoulliLoss.lost(), inlined
            if type(loss) is BernoulliLoss
            else loss.lost()
        ):
            self._drop(pkt, "loss")
            return
        queue = self._queue
        const_delay = self._const_delay
        if self._plain and queue is not None and const_delay is not None:  # _schedule's common case
            arrival = finish + const_delay
            if arrival < self._last_arrival:
                arrival = self._last_arrival
            self._last_arrival = arrival
            self._fifo.append(pkt)
            entry = Wake(self._arrive_callbacks)
            heappush(queue, (now + (arrival - now), NORMAL, next(self._eid), entry))  # = sim.wake
        else:
            self._schedule(pkt, finish, now)
        if self._dup_p > 0.0 and self._rng("duplicate").random() < self._dup_p:
            dup = pkt.copy()
            if rate is not None:
                # the duplicate is a second transmission of the same frame
                dup_finish = self._busy_until + size * 8.0 / rate
                self.airtime += size * 8.0 / rate
                self._busy_until = dup_finish
            else:
                dup_finish = finish
            self.sim.record(self.name, "link", event="duplicate", pkt=pkt.summary())
            self._schedule(dup, dup_finish, now)

    def release(self, pkt: Packet) -> None:
        """Offer a packet the gate kept earlier, past the gate."""
        gate, self.gate = self.gate, None
        try:
            self.send(pkt)
        finally:
            self.gate = gate

    def _schedule(self, pkt: Packet, finish: Real, now: Real) -> None:
        delay = self._const_delay
        if delay is None:
            delay = self._delay.sample(self._rng("delay"))
        if self._jitter > 0.0:
            delay += self._rng("jitter").uniform(-self._jitter, self._jitter)
            if delay < 0.0:
                delay = 0.0
        arrival = finish + delay
        if not self._reorder:
            if arrival < self._last_arrival:
                arrival = self._last_arrival
            self._last_arrival = arrival
        if self._corrupt_p > 0.0 and self._rng("corrupt").random() < self._corrupt_p:
            # corrupt a copy: the sender may still hold the original for retransmission
            pkt = pkt.copy()
            pkt.corrupted = True
        if self._reorder:
            self.sim.call_later(arrival - now, self._arrive, pkt)
        else:
            # Timers computed from different "now"s can differ in the last float bit; popping
            # the head keeps FIFO order exact whatever the rounding.
            self._fifo.append(pkt)
            # a bare queue entry calling _arrive_next: no Timer, no Timeout (never cancelled)
            self._wake(arrival - now, self._arrive_callbacks)

    def _arrive(self, pkt: Packet) -> None:
        """A packet scheduled on its own (reordering links) arrives."""
        self._fifo.appendleft(pkt)  # the FIFO is not in use on a reordering link
        self._arrive_next()

    def _arrive_next(self, _event: object = None) -> None:
        """The packet at the head of the FIFO arrives."""
        if not self._fifo:
            return
        pkt = self._fifo.popleft()
        now = self._env._now
        if now < self._outage_until:
            self._drop(pkt, "outage")
            return
        self.packets_delivered += 1
        self.bytes_delivered += pkt.size
        log = self._trace.packet_log
        if log is not None:
            log.append((now, self.name, "pkt", PACKET_RX, pkt))
        elif "pkt" not in self._trace.muted_kinds:
            self._trace.record_lazy(now, self.name, "pkt", PACKET_RX, pkt)
        if self.capture_rx is not None:
            self.capture_rx(now, pkt)
        self._deliver(pkt)


class DuplexLink:
    """Both directions of one attachment; fault helpers act on both at once."""

    def __init__(self, name: str, up: Link, down: Link) -> None:
        self.name = name
        self.uplink = up  # host -> core
        self.downlink = down  # core -> host

    def directions(self) -> tuple[Link, Link]:
        return (self.uplink, self.downlink)

    def set_outage(self, duration: Real | None) -> None:
        for d in self.directions():
            d.set_outage(duration)

    def clear_outage(self) -> None:
        for d in self.directions():
            d.clear_outage()

    def set_loss(self, spec: object) -> None:
        for d in self.directions():
            d.set_loss(spec)

    def set_delay(self, spec: object) -> None:
        for d in self.directions():
            d.set_delay(spec)
