"""What a trace keeps in memory (:class:`TraceConfig`), validated on construction.

Kept out of the compiled modules (simnet/_build.py): its fields take whatever a user or a
scenario writes and __post_init__ answers a wrong one with a ConfigError naming the field;
compiled code would refuse a value of another type than annotated with a bare TypeError
first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simnet.errors import ConfigError

# Per-byte and per-packet kinds: the bulk of a long trace.
PACKET_KINDS = frozenset({"pkt", "drop"})
UART_KINDS = frozenset({"dte>", "dte<"})
# Level -> kinds NOT kept in memory (still digested and streamed).
LEVELS: dict[str, frozenset[str]] = {
    "full": frozenset(),
    "no-packets": PACKET_KINDS,
    "events": PACKET_KINDS | UART_KINDS,
}


@dataclass(frozen=True)
class TraceConfig:
    """What a trace keeps in memory.

    ``level``: ``full`` (every kind), ``no-packets`` (not ``pkt``/``drop``), ``events`` (not
    packets, not UART bytes ``dte>``/``dte<``). ``kinds``: instead of a level, keep only these
    kinds. ``ring``: keep at most this many records (the newest); None: no limit.
    """

    level: str = "full"
    kinds: frozenset[str] | None = None
    ring: int | None = None
    field_path: str = field(default="trace", compare=False)

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ConfigError(
                f"{self.field_path}.level",
                f"unknown trace level {self.level!r} (expected one of {', '.join(LEVELS)})",
            )
        if self.ring is not None and (
            isinstance(self.ring, bool) or not isinstance(self.ring, int) or self.ring < 1
        ):
            raise ConfigError(
                f"{self.field_path}.ring",
                f"expected a positive number of records, got {self.ring!r}",
            )
        if self.kinds is not None:
            object.__setattr__(self, "kinds", frozenset(self.kinds))

    @property
    def bounded(self) -> bool:
        """True when some records may leave memory (they are then digested as they come)."""
        return self.level != "full" or self.kinds is not None or self.ring is not None

    def keeps(self, kind: str) -> bool:
        if self.kinds is not None:
            return kind in self.kinds
        return kind not in LEVELS[self.level]
