"""Receive buffers the dialects share: bytes a module keeps for the host until it reads them
(SIMCom AT+CIPRXGET, Fibocom +MIPREAD and pseudo-command mode). Sans-IO: no clock, no UART."""

from __future__ import annotations

from dataclasses import dataclass, field


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
