"""Named random streams derived from the scenario seed by a stable hash.

Each component draws from its own stream (``sim.rng("link.gprs.uplink.loss")``), so adding a
component never shifts another component's draws, and Python's salted ``hash()`` never leaks in.
"""

from __future__ import annotations

import hashlib
import random


def stream_seed(seed: int, name: str) -> int:
    """A 64-bit seed for stream ``name`` under scenario ``seed``; stable across runs/platforms."""
    digest = hashlib.sha256(f"{seed}\x00{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class RandomStreams:
    """Lazily created, independently seeded ``random.Random`` instances keyed by name."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._streams: dict[str, random.Random] = {}

    def __call__(self, name: str) -> random.Random:
        stream = self._streams.get(name)
        if stream is None:
            stream = random.Random(stream_seed(self.seed, name))
            self._streams[name] = stream
        return stream

    def names(self) -> list[str]:
        return sorted(self._streams)
