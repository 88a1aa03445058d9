"""Sans-IO engines of the Fibocom L610 send paths: the accumulating buffer and the ODM spooler.

Both are plain state machines: the dialect feeds them bytes and clock ticks (``now``) and reads
back what to do (bytes due for the protocol stack, a timer deadline, flow-control events). They
never touch SimPy, sockets or the UART, so their rules can be tested on their own.

Rules (FIBOCOM L610 TCP/UDP manual):

- §1.1.4.1: data from +MIPSEND waits in a per-socket accumulating buffer. When the buffer
  reaches the watermark (+MIPSETS <size>) the data is pushed to the stack; every arrival of data
  (re)starts a countdown (+MIPSETS <timeout>, 0 = none) at whose end everything is pushed; a
  remainder left after an automatic push restarts the countdown.
- §1.1.6.4: <FreeSize> is counted from 2048 bytes.
- §1.1.19/§1.1.20: when the memory the module holds for a socket is backed up past Xoff_upper it
  reports +MIPXOFF and refuses new +MIPSEND data; +MIPXON once it has drained.
- §1.1.18.1: in online data mode a socket buffers up to 8192 bytes; less than a full buffer is
  sent after a 50 ms spooling timeout, a full buffer at once.

Memory model (a choice, docs/assumptions.md "Fibocom"): the 2048 bytes hold both the data not
yet pushed (``pending``) and the data pushed but not yet taken by the TCP send buffer
(``unsent``, because the uplink is slower than the host). Xoff/Xon watermarks apply to
``unsent`` — the part only the network can drain.
"""

from __future__ import annotations

from collections import deque

from simnet.modem.vendors.fibocom import tables as T


class AccumulatingBuffer:
    """One socket's accumulating buffer (§1.1.4) with Xoff/Xon flow control (§1.1.19-20)."""

    def __init__(
        self,
        *,
        capacity: int = T.ACCUMULATING_BUFFER,
        watermark: int = T.SETS_SIZE_DEFAULT,
        timeout: float = T.SETS_TIMEOUT_DEFAULT_MS / 1000.0,
        xoff_upper: int = T.XOFF_UPPER,
        xon_lower: int = T.XON_LOWER,
    ) -> None:
        self.capacity = capacity
        self.watermark = watermark
        self.timeout = timeout
        self.xoff_upper = xoff_upper
        self.xon_lower = xon_lower
        self.pending = bytearray()  # written by +MIPSEND, not pushed yet
        self.unsent: deque[bytes] = deque()  # pushed chunks the stack has not taken yet
        self.unsent_len = 0
        self.deadline: float | None = None  # when the push countdown ends (None: not running)
        self.flowed_off = False
        self.pushed_total = 0  # bytes ever pushed towards the stack (<accumulated_sent_length>)
        self.events: list[str] = []  # "xoff" / "xon", in order; the glue drains them

    # -- queries -------------------------------------------------------------------------
    @property
    def free(self) -> int:
        """<FreeSize> of §1.1.6.4: 2048 minus every byte the module still holds."""
        return max(0, self.capacity - len(self.pending) - self.unsent_len)

    @property
    def has_pending(self) -> bool:
        return bool(self.pending)

    # -- inputs --------------------------------------------------------------------------
    def configure(self, watermark: int, timeout: float) -> bool:
        """+MIPSETS: refused (False) while data sits in the buffer (§1.1.4.1 note)."""
        if self.pending:
            return False
        self.watermark = watermark
        self.timeout = timeout
        return True

    def write(self, data: bytes, now: float) -> bool:
        """+MIPSEND data. False (status 1) when flowed off or the data does not fit."""
        if self.flowed_off or len(data) > self.free:
            return False
        if not data:
            return True
        self.pending += data
        # Watermark reached: push watermark-sized quantities, keep the remainder (§1.1.4.1).
        while len(self.pending) >= self.watermark:
            self._push(bytes(self.pending[: self.watermark]))
            del self.pending[: self.watermark]
        if self.pending and self.timeout > 0:
            # New data re-initialises the countdown; so does a remainder after a push.
            self.deadline = now + self.timeout
        elif not self.pending:
            self.deadline = None
        return True

    def push(self) -> int:
        """+MIPPUSH: <Status> 0 pushed, 1 flowed off, 2 nothing to push (§1.1.7.4)."""
        if self.flowed_off:
            return T.PUSH_STATUS_XOFF
        if not self.pending:
            return T.PUSH_STATUS_NO_DATA
        self._push(bytes(self.pending))
        self.pending.clear()
        self.deadline = None
        return T.PUSH_STATUS_OK

    def timer_expired(self, now: float) -> bool:
        """The countdown ended: push everything (True if something was pushed)."""
        if self.deadline is None or now + 1e-12 < self.deadline:
            return False
        self.deadline = None
        if not self.pending:
            return False
        self._push(bytes(self.pending))
        self.pending.clear()
        return True

    def flush(self) -> int:
        """+MIPFLUSH: drop everything the module holds for the socket; returns bytes dropped."""
        dropped = len(self.pending) + self.unsent_len
        self.pending.clear()
        self.unsent.clear()
        self.unsent_len = 0
        self.deadline = None
        self._update_flow()
        return dropped

    # -- the stack side ------------------------------------------------------------------
    def take_stream(self, space: int) -> bytes:
        """Up to ``space`` unsent bytes for a byte stream (TCP send buffer space)."""
        out = bytearray()
        while self.unsent and len(out) < space:
            chunk = self.unsent[0]
            room = space - len(out)
            if len(chunk) <= room:
                out += chunk
                self.unsent.popleft()
            else:
                out += chunk[:room]
                self.unsent[0] = chunk[room:]
        self.unsent_len -= len(out)
        self._update_flow()
        return bytes(out)

    def take_datagram(self) -> bytes | None:
        """The oldest pushed chunk as one datagram (UDP keeps push boundaries)."""
        if not self.unsent:
            return None
        chunk = self.unsent.popleft()
        self.unsent_len -= len(chunk)
        self._update_flow()
        return chunk

    def give_back(self, data: bytes) -> None:
        """The stack took fewer bytes than offered: put the rest back in front."""
        if data:
            self.unsent.appendleft(data)
            self.unsent_len += len(data)
            self._update_flow()

    # -- internals -----------------------------------------------------------------------
    def _push(self, chunk: bytes) -> None:
        self.unsent.append(chunk)
        self.unsent_len += len(chunk)
        self.pushed_total += len(chunk)
        self._update_flow()

    def _update_flow(self) -> None:
        if not self.flowed_off and self.unsent_len >= self.xoff_upper:
            self.flowed_off = True
            self.events.append("xoff")
        elif self.flowed_off and self.unsent_len <= self.xon_lower:
            self.flowed_off = False
            self.events.append("xon")

    def drain_events(self) -> list[str]:
        out, self.events = self.events, []
        return out


class OdmSpooler:
    """The online-data-mode uplink buffer of §1.1.18.1 (8192 bytes, 50 ms spooling timeout).

    The spooling countdown starts with the first byte into an empty buffer and is not restarted
    by later bytes (a choice: a steady stream still leaves every 50 ms). A full buffer is due at
    once. Once due, data keeps flowing to the stack as space allows until the buffer is empty.
    """

    def __init__(self, capacity: int = T.ODM_BUFFER, spool: float = T.ODM_SPOOL_S) -> None:
        self.capacity = capacity
        self.spool = spool
        self.data = bytearray()
        self.deadline: float | None = None
        self.due = False

    @property
    def space(self) -> int:
        return self.capacity - len(self.data)

    def write(self, data: bytes, now: float) -> int:
        """Bytes from the UART; returns how many fit (the rest is the caller's overflow)."""
        accepted = data[: self.space]
        if accepted:
            if not self.data and not self.due:
                self.deadline = now + self.spool
            self.data += accepted
            if len(self.data) >= self.capacity:
                self.due = True
                self.deadline = None
        return len(accepted)

    def timer_expired(self, now: float) -> bool:
        if self.deadline is None or now + 1e-12 < self.deadline:
            return False
        self.deadline = None
        if self.data:
            self.due = True
        return self.due

    def take(self, space: int) -> bytes:
        """Up to ``space`` due bytes for the stack."""
        if not self.due or space <= 0:
            return b""
        out = bytes(self.data[:space])
        del self.data[:space]
        if not self.data:
            self.due = False
        return out

    def give_back(self, data: bytes) -> None:
        if data:
            self.data[:0] = data
            self.due = True
