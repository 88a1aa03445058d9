"""Glue that runs sans-IO PPP endpoints on the virtual clock.

``PppDriver`` moves one endpoint's actions into the world: frames go through HDLC framing to a
byte sink (or straight to a frame sink), timers become ``sim.call_later`` timers, outcomes
become SimPy events. ``BytePipe`` is a two-ended serial line with a bit rate and a delay.
``PppSession`` wires a client and a server over a pipe.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from simnet.bearer.outcomes import Outcome
from simnet.bearer.ppp.config import PppConfig
from simnet.bearer.ppp.endpoint import PppEndpoint
from simnet.bearer.ppp.events import Datagram, Ended, PhaseChange, Result, SendPacket, SetTimer
from simnet.bearer.ppp.hdlc import (
    DEFAULT_ACCM,
    HdlcDeframer,
    build_frame,
    encode_frame,
    split_frame,
)
from simnet.bearer.ppp.packets import PROTO_LCP, describe
from simnet.bearer.ppp.pcap import PppCapture
from simnet.errors import ConfigError
from simnet.kernel import Simulation, Timer


class PipeEnd:
    """One end of a ``BytePipe``: ``write(data)``; bytes from the far end go to ``on_data``."""

    def __init__(self, pipe: BytePipe, index: int) -> None:
        self._pipe = pipe
        self._index = index
        self.on_data: Callable[[bytes], None] | None = None

    def write(self, data: bytes) -> None:
        self._pipe._send(self._index, bytes(data))


class BytePipe:
    """A full-duplex serial line: ``rate_bps`` (None: no serialization time), ``delay`` seconds
    one way, ``bits_per_byte`` on the line (10 for asynchronous 8N1 characters)."""

    def __init__(self, sim: Simulation, *, rate_bps: float | None = None, delay: float = 0.0,
                 bits_per_byte: int = 10, name: str = "pipe") -> None:
        if rate_bps is not None and (isinstance(rate_bps, bool) or not rate_bps > 0):
            raise ConfigError(f"{name}.rate_bps", f"expected a positive rate, got {rate_bps!r}")
        if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
            raise ConfigError(f"{name}.delay", f"expected a non-negative delay, got {delay!r}")
        if (
            isinstance(bits_per_byte, bool)
            or not isinstance(bits_per_byte, int)
            or bits_per_byte < 1
        ):
            raise ConfigError(
                f"{name}.bits_per_byte", f"expected a positive integer, got {bits_per_byte!r}"
            )
        self.sim = sim
        self.rate_bps = rate_bps
        self.delay = float(delay)
        self.bits_per_byte = bits_per_byte
        self.name = name
        self.a = PipeEnd(self, 0)
        self.b = PipeEnd(self, 1)
        self.connected = True
        self._generation = 0
        self._busy_until = [0.0, 0.0]
        self.bytes_carried = [0, 0]

    def _send(self, index: int, data: bytes) -> None:
        if not self.connected or not data:
            return
        now = self.sim.now
        start = max(now, self._busy_until[index])
        tx_time = len(data) * self.bits_per_byte / self.rate_bps if self.rate_bps else 0.0
        self._busy_until[index] = start + tx_time
        self.sim.call_at(start + tx_time + self.delay, self._deliver, index, data, self._generation)

    def _deliver(self, index: int, data: bytes, generation: int) -> None:
        if generation != self._generation or not self.connected:
            return  # cut while in flight
        self.bytes_carried[index] += len(data)
        end = self.b if index == 0 else self.a
        if end.on_data is not None:
            end.on_data(data)

    def cut(self) -> None:
        """Break the line: everything in flight is lost, nothing more is carried."""
        self.connected = False
        self._generation += 1

    def restore(self) -> None:
        self.connected = True
        self._busy_until = [self.sim.now, self.sim.now]


class PppDriver:
    """Runs one ``PppEndpoint`` on the virtual clock.

    ``transmit(bytes)`` receives wire bytes (HDLC framing) or whole frames (``framing="raw"``).
    ``result`` fires with the first ``Outcome`` (ok with addresses, or the failure);
    ``ended`` fires with the ``Outcome`` that ended the link, at the instant it was decided;
    ``finished`` fires with the same ``Outcome`` once the link is dead (RFC 1661 Link Dead: the
    Terminate-Ack came, Max-Terminate Restart timers ran out, one Restart after acking the
    peer's Terminate-Request, or the carrier went) - when whoever owns the line may hang up.
    ``on_result`` / ``on_ended`` / ``on_finished`` / ``on_phase`` are optional callbacks;
    ``on_datagram(data)`` gets each IP datagram the peer sends once IPCP is opened, and
    ``send_datagram(data)`` sends one (framed with the negotiated ACCM, ACFC and PFC).
    ``capture`` records the frames this driver sends, and with ``capture_received`` also those
    it receives (when the peer is not captured itself, e.g. a real pppd on the UART).
    """

    def __init__(
        self,
        sim: Simulation,
        endpoint: PppEndpoint,
        transmit: Callable[[bytes], None],
        *,
        name: str = "ppp",
        framing: str = "hdlc",
        capture: PppCapture | None = None,
        capture_received: bool = False,
    ) -> None:
        if framing not in ("hdlc", "raw"):
            raise ConfigError(f"{name}.framing", f"expected hdlc or raw, got {framing!r}")
        self.sim = sim
        self.endpoint = endpoint
        self.transmit = transmit
        self.name = name
        self.framing = framing
        self.capture = capture
        self.capture_received = capture_received
        self.deframer = HdlcDeframer(
            max_frame=max(1500, endpoint.config.mru) + 8, on_frame=self._frame_from_line
        )
        self.result: simpy.Event = sim.event()
        self.ended: simpy.Event = sim.event()
        self.finished: simpy.Event = sim.event()
        self.on_result: Callable[[Outcome], None] | None = None
        self.on_ended: Callable[[Outcome], None] | None = None
        self.on_phase: Callable[[str], None] | None = None
        self.on_finished: Callable[[Outcome], None] | None = None
        self.on_datagram: Callable[[bytes], None] | None = None
        self.frames_sent = 0
        self.frames_received = 0
        self._timers: dict[str, Timer] = {}

    # -- inputs ------------------------------------------------------------------------------
    def start(self) -> None:
        self.endpoint.lower_up()
        self.endpoint.open()
        self._pump()

    def close(self) -> None:
        self.endpoint.close()
        self._pump()

    def lower_down(self) -> None:
        self.endpoint.lower_down()
        self._pump()
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def receive_bytes(self, data: bytes) -> None:
        """Wire bytes from the line (HDLC framing); garbage is counted and dropped."""
        self.deframer.feed(data)

    def _frame_from_line(self, frame: bytes) -> None:
        self.receive_frame(frame)
        self.deframer.rx_accm = self.endpoint.rx_accm

    def receive_frame(self, frame: bytes) -> None:
        parsed = split_frame(frame)
        if parsed is None:
            self.endpoint.frames_discarded += 1
            return
        protocol, info = parsed
        self.frames_received += 1
        self.sim.record(self.name, "ppp_rx", frame=describe(protocol, info))
        if self.capture is not None and self.capture_received:
            self.capture.add(self.sim.now, self.name, protocol, info, received=True)
        self.endpoint.receive_frame(protocol, info)
        self._pump()

    def send_datagram(self, data: bytes) -> bool:
        """Send an IP datagram to the peer; False (dropped) unless IPCP is opened."""
        sent = self.endpoint.send_datagram(data)
        self._pump()
        return sent

    # -- outputs -----------------------------------------------------------------------------
    def _pump(self) -> None:
        while True:
            actions = self.endpoint.take_events()
            if not actions:
                return
            for action in actions:
                if isinstance(action, SendPacket):
                    self._send(action.protocol, action.info)
                elif isinstance(action, SetTimer):
                    self._set_timer(action.key, action.delay)
                elif isinstance(action, PhaseChange):
                    self.sim.record(self.name, "ppp_phase", phase=str(action.phase))
                    if self.on_phase is not None:
                        self.on_phase(str(action.phase))
                    if action.phase == "dead":
                        self._link_dead()
                elif isinstance(action, Result):
                    outcome = action.outcome.stamped(self.sim.now)
                    self.sim.record(self.name, "ppp_result", **outcome.to_fields())
                    if not self.result.triggered:
                        self.result.succeed(outcome)
                    if self.on_result is not None:
                        self.on_result(outcome)
                elif isinstance(action, Datagram):
                    if self.on_datagram is not None:
                        self.on_datagram(action.data)
                elif isinstance(action, Ended):
                    outcome = action.outcome.stamped(self.sim.now)
                    self.sim.record(self.name, "ppp_ended", **outcome.to_fields())
                    if not self.ended.triggered:
                        self.ended.succeed(outcome)
                    if self.on_ended is not None:
                        self.on_ended(outcome)

    def _link_dead(self) -> None:
        ended = self.endpoint.ended
        if ended is None or self.finished.triggered:
            return  # dead before it ever started, or already reported
        # the Ended action comes before Link Dead, so ``ended`` holds the stamped outcome
        stamped = self.ended.value if self.ended.triggered else None
        outcome = stamped if isinstance(stamped, Outcome) else ended.stamped(self.sim.now)
        self.finished.succeed(outcome)
        if self.on_finished is not None:
            self.on_finished(outcome)

    def _send(self, protocol: int, info: bytes) -> None:
        self.frames_sent += 1
        self.sim.record(self.name, "ppp_tx", frame=describe(protocol, info))
        if self.capture is not None:
            self.capture.add(self.sim.now, self.name, protocol, info)
        if protocol == PROTO_LCP:
            # LCP always goes uncompressed with the default ACCM (RFC 1661 §6.5/6.6, 1662 §7.1)
            frame = build_frame(protocol, info)
            accm = DEFAULT_ACCM
        else:
            ep = self.endpoint
            frame = build_frame(protocol, info, acfc=ep.tx_acfc, pfc=ep.tx_pfc)
            accm = ep.tx_accm
        if self.framing == "raw":
            self.transmit(frame)
            return
        self.transmit(encode_frame(frame, accm))

    def _set_timer(self, key: str, delay: float | None) -> None:
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()
        if delay is not None:
            self._timers[key] = self.sim.call_later(delay, self._on_timer, key)

    def _on_timer(self, key: str) -> None:
        self._timers.pop(key, None)
        self.endpoint.timer_expired(key)
        self._pump()


class PppSession:
    """A client and a server endpoint talking over a ``BytePipe`` (HDLC-framed).

    ``session.client`` / ``session.server`` are the drivers; ``session.result`` is the client's
    result event. Start with ``start()``; a lower-layer loss is ``session.pipe.cut()`` plus
    ``lower_down()`` on both drivers (see ``hang_up``).
    """

    def __init__(
        self,
        sim: Simulation,
        client: PppConfig,
        server: PppConfig,
        *,
        pipe: BytePipe | None = None,
        capture: PppCapture | None = None,
        name: str = "ppp",
    ) -> None:
        if client.role != "client" or server.role != "server":
            raise ConfigError(
                f"{name}.role", "PppSession needs a client config and a server config"
            )
        self.sim = sim
        self.pipe = pipe or BytePipe(sim, name=f"{name}.pipe")
        self.capture = capture
        client_ep = PppEndpoint(client, sim.rng(f"{name}.client.magic"), name=f"{name}.client")
        server_ep = PppEndpoint(server, sim.rng(f"{name}.server.magic"), name=f"{name}.server")
        self.client = PppDriver(
            sim, client_ep, self.pipe.a.write, name=f"{name}.client", capture=capture
        )
        self.server = PppDriver(
            sim, server_ep, self.pipe.b.write, name=f"{name}.server", capture=capture
        )
        self.pipe.a.on_data = self.client.receive_bytes
        self.pipe.b.on_data = self.server.receive_bytes

    @property
    def result(self) -> simpy.Event:
        return self.client.result

    def start(self) -> PppSession:
        self.server.start()
        self.client.start()
        return self

    def hang_up(self) -> None:
        """The carrier is gone (call dropped): both sides see their lower layer go down."""
        self.pipe.cut()
        self.client.lower_down()
        self.server.lower_down()
