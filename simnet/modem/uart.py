"""The serial line between a DTE (host) and a module (DCE), on virtual time.

Each direction is a transmitter that serialises bytes at its port's baud rate: a byte takes
``(1 start + data + parity + stop) / baud`` seconds, 10 bits at 8N1. What is queued when the
line becomes free leaves as one *burst*: one kernel event at the instant its last byte has
arrived, and one trace record carrying every byte. The receiver learns the byte time, so it
places every byte of the burst on the clock exactly (the ``+++`` guard-time detector does).

A receiver that must act on bytes before the whole burst is in (an AT line at its CR, a prompt
at its length or terminator, a data-mode buffer at its flow-control watermark) says how many
bytes it wants in one delivery through ``rx_limit``; a receiver-side timer that needs the bytes
already on the wire calls ``catch_up()``. Flow control and flushing act on byte boundaries of
the transmitter's :data:`CHUNK`-byte FIFO: what is in the FIFO when CTS drops still goes out.

Hardware flow control (RTS/CTS) is per port: a transmitter with ``rtscts`` on sends only while
the peer's ready line (CTS for the DTE, RTS for the module) is asserted. Transmit buffers are
bounded; what does not fit is dropped and traced, never raised. Ports at different baud rates
receive garbled bytes (framing errors), as a real UART does; a module port at baud 0 (autobaud,
``AT+IPR=0``) adopts whatever rate arrives.

Trace: source ``uart`` (or the line's name), kinds ``dte>`` (DTE to module) and ``dte<``
(module to DTE) with field ``data`` (bytes), plus ``signal``, ``overflow`` and ``framing``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from simnet.errors import ConfigError
from simnet.kernel.tidy import register_decoder
from simnet.kernel.trace import Trace

if TYPE_CHECKING:
    from simnet.kernel import Simulation

CHUNK: Final = 64  # the transmit FIFO: bytes that still leave after CTS drops or a flush
_EPS = 1e-9

STANDARD_BAUDS = (
    300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600,
    1000000, 1843200, 2000000, 3000000, 3200000, 3686400, 4000000,
)  # fmt: skip

Receiver = Callable[[bytes, float, float], None]  # (data, t_last_byte, byte_time)
# (queued bytes, byte time) -> how many the receiver wants in the next delivery (>= 1)
RxLimit = Callable[[bytearray, float], int]


def fifo_round(n: int) -> int:
    """``n`` bytes rounded up to whole transmit FIFOs (a delivery ends where a chunk would)."""
    return max(CHUNK, -(-n // CHUNK) * CHUNK)
SignalListener = Callable[[str, bool], None]


@dataclass(frozen=True)
class UartConfig:
    """Line settings shared by both ends at start (each port may change its own baud later)."""

    baud: int = 115200
    data_bits: int = 8
    parity: str = "N"
    stop_bits: int = 1
    rtscts: bool = False
    dte_buffer: int = 16 * 1024 * 1024  # host-side OS buffer; large but bounded
    dce_buffer: int = 8192  # module transmit buffer (bytes waiting for the line)

    def __post_init__(self) -> None:
        if isinstance(self.baud, bool) or not isinstance(self.baud, int) or self.baud < 0:
            raise ConfigError(
                "uart.baud", f"expected 0 (autobaud) or a positive rate, got {self.baud!r}"
            )
        if self.baud and self.baud not in STANDARD_BAUDS:
            raise ConfigError("uart.baud", f"{self.baud} is not one of {STANDARD_BAUDS}")
        if self.data_bits not in (5, 6, 7, 8):
            raise ConfigError("uart.data_bits", "expected 5..8")
        if self.parity not in ("N", "E", "O", "M", "S"):
            raise ConfigError("uart.parity", "expected one of N, E, O, M, S")
        if self.stop_bits not in (1, 2):
            raise ConfigError("uart.stop_bits", "expected 1 or 2")
        for name in ("dte_buffer", "dce_buffer"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 64:
                raise ConfigError(f"uart.{name}", f"expected at least 64 bytes, got {value!r}")

    @property
    def bits_per_byte(self) -> int:
        return 1 + self.data_bits + (0 if self.parity == "N" else 1) + self.stop_bits


class UartPort:
    """One end of the line. ``write`` queues bytes; ``on_receive`` gets what arrives.

    Output signals of the DTE port: ``dtr``, ``rts``. Output signals of the module (DCE)
    port: ``cts``, ``dsr``, ``dcd``, ``ri``. ``peer_signal(name)`` reads the other end's.
    """

    def __init__(self, line: Uart, role: str, baud: int, capacity: int, signals: dict[str, bool]):
        self.line = line
        self.role = role  # "dte" or "dce"
        self.baud = baud
        self.capacity = capacity
        self.rtscts = line.config.rtscts
        self.on_receive: Receiver | None = None
        self.on_signal: SignalListener | None = None
        self.on_drain: Callable[[], None] | None = None  # a burst left the transmit buffer
        self.rx_limit: RxLimit | None = None  # None: take whole bursts
        self.signals = signals
        self.peer: UartPort = self  # set by Uart
        self._buf = bytearray()
        self._busy = False
        # The burst on the wire: its bytes, when its first byte started, byte time, timer.
        self._burst = b""
        self._burst_start = 0.0
        self._burst_bt = 0.0
        self._burst_timer: Any = None
        self._dropping = 0  # bytes dropped in the current overflow episode (traced once)
        self.bytes_sent = 0
        self.bytes_dropped = 0

    # -- transmit ----------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        """Bytes written but not yet on the wire (beyond the FIFO of the burst in flight)."""
        return len(self._buf) + self._unsent_beyond_fifo()

    @property
    def space(self) -> int:
        """``capacity - pending``, at least 0. Senders ask before every write (a download asks
        several times a packet), so this is ``pending`` and ``_sent_by_now`` in one frame."""
        pending = len(self._buf)
        if self._busy:
            burst = len(self._burst)
            sent = int((self.line.env._now - self._burst_start) / self._burst_bt + _EPS)
            beyond = burst - (sent if sent < burst else burst) - CHUNK
            if beyond > 0:
                pending += beyond
        room = self.capacity - pending
        return room if room > 0 else 0

    def _sent_by_now(self) -> int:
        """Bytes of the burst in flight that have completely arrived at the other end."""
        return min(
            len(self._burst), int((self.line.env._now - self._burst_start) / self._burst_bt + _EPS)
        )

    def _unsent_beyond_fifo(self) -> int:
        if not self._busy:
            return 0
        return max(0, len(self._burst) - self._sent_by_now() - CHUNK)

    @property
    def idle(self) -> bool:
        return not self._busy and not self._buf

    def write(self, data: bytes) -> int:
        """Queue bytes for transmission; returns how many fit (the rest is dropped + traced)."""
        if not data:
            return 0
        room = self.capacity - len(self._buf)
        accepted = data if len(data) <= room else data[: max(0, room)]
        if len(accepted) < len(data):
            dropped = len(data) - len(accepted)
            self.bytes_dropped += dropped
            if not self._dropping:  # one record per overflow episode keeps the trace bounded
                self.line.sim.record(
                    self.line.name, "overflow", side=self.role, capacity=self.capacity
                )
            self._dropping += dropped
        elif self._dropping:
            self.line.sim.record(
                self.line.name, "overflow_end", side=self.role, dropped=self._dropping
            )
            self._dropping = 0
        if accepted:
            self._buf += accepted
            self._kick()
        return len(accepted)

    def flush_output(self) -> int:
        """Discard bytes not yet sent (e.g. on hang-up); returns how many. The FIFO's bytes
        still go out."""
        n = len(self._buf) + len(self._cut_burst())
        self._buf.clear()
        return n

    def byte_time(self) -> float:
        baud = self.baud or self.peer.baud or 115200
        return self.line.bits_per_byte / baud

    def _clear_to_send(self) -> bool:
        if not self.rtscts:
            return True
        return self.peer.signals.get("rts" if self.role == "dce" else "cts", True)

    def _kick(self) -> None:
        buf = self._buf
        if self._busy or not buf or (self.rtscts and not self._clear_to_send()):
            return
        bt = self.byte_time()
        n = len(buf)
        limit = self.peer.rx_limit
        if limit is not None:
            n = max(1, min(n, limit(buf, bt)))
        if n >= len(buf):  # all of it: one copy, no slice
            burst = bytes(buf)
            buf.clear()
        else:
            burst = bytes(buf[:n])
            del buf[:n]
        self._busy = True
        self._burst = burst
        line = self.line
        self._burst_start = line.env._now
        self._burst_bt = bt
        self._burst_timer = line.call_later(n * bt, self._arrived)

    def _arrived(self) -> None:
        burst = self._burst
        self._busy = False
        self._burst = b""
        self._burst_timer = None
        self.bytes_sent += len(burst)
        self.line.deliver(self, burst, self._burst_bt)
        self._kick()
        if self.on_drain is not None:
            self.on_drain()

    def _cut_burst(self) -> bytes:
        """Shorten the burst in flight to the end of the FIFO chunk on the wire now; returns
        the bytes taken back (they never left)."""
        if not self._busy:
            return b""
        burst = self._burst
        keep = min(len(burst), (self._sent_by_now() // CHUNK + 1) * CHUNK)
        if keep >= len(burst):
            return b""
        self._burst_timer.cancel()
        self._burst = burst[:keep]
        end = self._burst_start + keep * self._burst_bt
        self._burst_timer = self.line.sim.call_at(end, self._arrived)
        return burst[keep:]

    def deliver_arrived(self) -> int:
        """Hand the receiver, now, the bytes of the burst in flight that have already arrived
        (a receiver-side timer is about to look at them); returns how many."""
        if not self._busy:
            return 0
        k = self._sent_by_now()
        if k <= 0 or k >= len(self._burst):
            return 0
        bt = self._burst_bt
        head, self._burst = self._burst[:k], self._burst[k:]
        self._burst_start += k * bt
        self.bytes_sent += k
        self.line.deliver(self, head, bt)
        return k

    def incoming(self) -> int:
        """Bytes of the other end's burst in flight that have already arrived here (0 when
        the line towards this port is idle): the line is not silent while this is above 0."""
        peer = self.peer
        return peer._sent_by_now() if peer._busy else 0

    def catch_up(self) -> int:
        """Receive now whatever the other end's burst in flight has already put on the line."""
        return self.peer.deliver_arrived()

    # -- signals -----------------------------------------------------------------------------
    def set_signal(self, name: str, value: bool) -> None:
        value = bool(value)
        if self.signals.get(name) == value:
            return
        self.signals[name] = value
        self.line.sim.record(self.line.name, "signal", side=self.role, signal=name, value=value)
        peer = self.peer
        if peer.on_signal is not None:
            peer.on_signal(name, value)
        # A flow-control line changing may stop or release the peer's transmitter; when it
        # stops, what is already in the FIFO still goes out.
        if name in ("rts", "cts"):
            if not value and peer.rtscts:
                rest = peer._cut_burst()
                if rest:
                    peer._buf[:0] = rest
            peer._kick()

    def peer_signal(self, name: str) -> bool:
        return self.peer.signals.get(name, False)


class Uart:
    """A serial line: ``.dte`` (host end) and ``.dce`` (module end)."""

    def __init__(self, sim: Simulation, config: UartConfig | None = None, name: str = "uart"):
        self.sim = sim
        # Held typed: compiled, a call on ``sim`` (an interpreted subclass, simnet.Simulation)
        # goes through Python-level dispatch and keyword parsing; these are direct calls. The
        # records and timers are the same.
        self._trace: Trace = sim.trace
        self.env: Any = sim.env
        self.call_later = sim.call_later
        self.config = config or UartConfig()
        self.bits_per_byte = self.config.bits_per_byte  # the config is frozen: asked per burst
        self.name = name
        self.dte = UartPort(
            self,
            "dte",
            self.config.baud or 115200,
            self.config.dte_buffer,
            {"dtr": True, "rts": True},
        )
        self.dce = UartPort(
            self,
            "dce",
            self.config.baud,
            self.config.dce_buffer,
            {"cts": True, "dsr": True, "dcd": False, "ri": False},
        )
        self.dte.peer = self.dce
        self.dce.peer = self.dte
        self._garble = sim.rng(f"{name}.garble")
        self._observer: Callable[[str, bytes], None] | None = None

    def observe(self, fn: Callable[[str, bytes], None]) -> None:
        """Call ``fn(kind, chunk)`` for every chunk that crosses the line (``dte>`` host to
        module, ``dte<`` module to host), after its trace record: a typed hook that sees the
        bytes whether or not the trace records them (fault triggers)."""
        before = self._observer
        if before is None:
            self._observer = fn
            return

        def both(kind: str, chunk: bytes) -> None:
            before(kind, chunk)
            fn(kind, chunk)

        self._observer = both

    def deliver(self, sender: UartPort, chunk: bytes, bt: float) -> None:
        receiver = sender.peer
        kind = "dte>" if sender.role == "dte" else "dte<"
        if receiver.baud == 0:
            receiver.baud = sender.baud  # autobaud: the module locks on to the host's rate
        if receiver.baud != sender.baud:
            # Wrong rate: the receiver samples noise. Deterministic per seed.
            self.sim.record(
                self.name,
                "framing",
                side=receiver.role,
                sender_baud=sender.baud,
                receiver_baud=receiver.baud,
                n=len(chunk),
            )
            chunk = bytes(self._garble.randrange(256) for _ in chunk)
        now = self.env._now
        self._trace.record(now, self.name, kind, {"data": chunk})
        if self._observer is not None:
            self._observer(kind, chunk)
        if receiver.on_receive is not None:
            receiver.on_receive(chunk, now, bt)


# -- the +++ escape detector (V.250 §6.2.x S2/S12; Hayes guard-time escape) -------------------


class EscapeDetector:
    """Sans-IO recogniser of the ``+++`` escape in online data mode.

    The escape counts only when (1) the first escape character follows at least ``guard``
    seconds of silence, (2) each of the three follows the previous within ``guard`` (or within
    ``gap_max`` when that is shorter: the A76xx allows at most 900 ms), and (3) ``guard``
    seconds of silence follow the third. Candidate escape characters are held
    back until that is decided; if it fails they are released as ordinary data, in order.

    ``feed(data, t_last, byte_time)`` returns the bytes to pass on as data; ``deadline`` is
    the virtual time at which the glue must call ``expire(now)``, which returns
    ``(released_data, escaped)``.
    """

    def __init__(self, guard: float, char: int = 0x2B, gap_max: float | None = None) -> None:
        self.guard = guard
        self.char = char
        # Longest pause allowed between two escape characters (0: no limit, S12=0).
        self.gap = guard if gap_max is None else (min(guard, gap_max) if guard > 0 else gap_max)
        self.last_rx: float = float("-inf")
        self._held = 0  # escape characters held back
        self._last_plus: float = float("-inf")
        self.deadline: float | None = None

    def reset(self, now: float) -> None:
        """Start of data mode: the line counts as silent since ``now``."""
        self.last_rx = now
        self._held = 0
        self.deadline = None

    def feed(self, data: bytes, t_last: float, byte_time: float) -> bytes:
        if not self._held:
            if self.char not in data:
                self.last_rx = t_last  # fast path for bulk data: nothing to decide
                return data
            # Within a burst the bytes follow each other without a pause, so only its first
            # byte can come after a guard time of silence: the rest is data.
            if 0 < byte_time < self.guard - 1e-9:
                t_first = t_last - (len(data) - 1) * byte_time
                if data[0] != self.char or t_first - self.last_rx < self.guard - 1e-9:
                    self.last_rx = t_last
                    return data
        out = bytearray()
        n = len(data)
        # S12=0: no guard time at all, three escape characters in a row are the escape.
        eps = 1e-9 if self.guard > 0 else float("inf")
        gap_eps = 1e-9 if self.gap > 0 else float("inf")
        for i, byte in enumerate(data):
            t = t_last - (n - 1 - i) * byte_time
            if byte == self.char:
                if self._held == 0:
                    if t - self.last_rx >= self.guard - eps:
                        self._held = 1
                        self._last_plus = t
                    else:
                        out.append(byte)
                elif self._held < 3 and t - self._last_plus <= self.gap + gap_eps:
                    self._held += 1
                    self._last_plus = t
                else:
                    # Too slow or a fourth '+': the held ones are data; this one may start anew.
                    out += bytes((self.char,)) * self._held
                    if t - self.last_rx >= self.guard - eps:
                        self._held = 1
                        self._last_plus = t
                    else:
                        self._held = 0
                        out.append(byte)
            else:
                if self._held:
                    out += bytes((self.char,)) * self._held
                    self._held = 0
                out.append(byte)
            self.last_rx = t
        if self._held == 0:
            self.deadline = None
        elif self._held < 3:
            # The next '+' must come within the gap (without guard time or limit: any time).
            self.deadline = self._last_plus + self.gap if self.gap > 0 else None
        else:
            self.deadline = self._last_plus + self.guard  # silence must last until then
        return bytes(out)

    def expire(self, now: float) -> tuple[bytes, bool]:
        """Called at ``deadline``: decides the held characters."""
        if self.deadline is None or now + 1e-9 < self.deadline:
            return b"", False
        held = self._held
        self._held = 0
        self.deadline = None
        if held == 3:
            return b"", True
        return bytes((self.char,)) * held, False


def _decode_line_bytes(fields: dict[str, Any]) -> dict[str, Any]:
    """Trace DataFrame: UART bytes as ``bytes`` (a JSONL/Parquet file holds them as hex) and
    their count."""
    data = fields.get("data")
    if isinstance(data, str):
        data = bytes.fromhex(data)
    return {"data": data, "nbytes": len(data)} if isinstance(data, bytes | bytearray) else {}


for _kind in ("dte>", "dte<"):
    register_decoder(_kind, _decode_line_bytes)
