"""Receive buffers the dialects share: bytes a module keeps for the host until it reads them
(SIMCom AT+CIPRXGET, Fibocom +MIPREAD and pseudo-command mode). Sans-IO: no clock, no UART."""

from __future__ import annotations

from dataclasses import dataclass, field

from simnet._build import mypyc_attr


@dataclass
class ReceiveBuffer:
    """At most ``capacity`` bytes held for the host, with the "notify once until drained" rule
    of buffer-access modes: the first arrival into an empty buffer asks for a notification
    URC, later ones do not until the host has read everything (SIM7600 TCP/IP L1106 note 1)."""

    capacity: int
    data: bytearray = field(default_factory=bytearray)
    notified: bool = False  # a notification is outstanding until the buffer drains

    @property
    def space(self) -> int:
        return max(0, self.capacity - len(self.data))

    def __len__(self) -> int:
        return len(self.data)

    def append(self, chunk: bytes) -> tuple[int, bool]:
        """Store what fits; returns (bytes stored, whether a new notification is due)."""
        take = chunk[: self.space]
        self.data.extend(take)
        due = bool(take) and not self.notified
        if due:
            self.notified = True
        return len(take), due

    def append_whole(self, chunk: bytes) -> bool:
        """Store ``chunk`` only if all of it fits (a datagram is kept whole or dropped)."""
        if len(chunk) > self.space:
            return False
        self.data.extend(chunk)
        return True

    def read(self, n: int) -> bytes:
        """Take up to ``n`` bytes. Call :meth:`settle` once the socket has refilled the buffer."""
        out = bytes(self.data[:n])
        del self.data[:n]
        return out

    def settle(self) -> None:
        """Drained (nothing left here nor in the socket behind it): the next arrival notifies."""
        if not self.data:
            self.notified = False

    def clear(self) -> None:
        self.data.clear()
        self.notified = False


@mypyc_attr(allow_interpreted_subclasses=True)  # tests watch one by subclassing it
class ByteFifo:
    """Bytes queued first in, first out, in time linear in the bytes moved.

    A ``bytearray`` trimmed from the front while it also grows copies all of itself whenever
    it needs room (CPython reallocates a buffer with a deleted front by copying it), so a
    backlog of megabytes moved in UART-sized pieces costs a copy of the backlog per piece. Here
    the front is an offset, compacted only once it is more than half of what is kept."""

    __slots__ = ("_data", "_head")

    _COMPACT = 1 << 16  # bytes of dead front tolerated before compacting

    def __init__(self) -> None:
        self._data = bytearray()
        self._head = 0

    def __len__(self) -> int:
        return len(self._data) - self._head

    def __bool__(self) -> bool:
        return len(self._data) > self._head

    def append(self, chunk: bytes) -> None:
        self._data += chunk

    def peek(self, n: int) -> bytes:
        """The first ``n`` bytes (fewer if fewer are queued), left in place."""
        head = self._head
        return bytes(self._data[head : head + max(0, n)])

    def drop(self, n: int) -> None:
        """Remove the first ``n`` bytes."""
        head = self._head + max(0, n)
        data = self._data
        if head >= len(data):
            data.clear()
            head = 0
        elif head > self._COMPACT and 2 * head > len(data):
            del data[:head]
            head = 0
        self._head = head
