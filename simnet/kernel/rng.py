"""Named random streams derived from the scenario seed by a stable hash.

Each component draws from its own stream (``sim.rng("link.gprs.uplink.loss")``), so adding a
component never shifts another component's draws, and Python's salted ``hash()`` never leaks in.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any


def stream_seed(seed: int, name: str) -> int:
    """A 64-bit seed for stream ``name`` under scenario ``seed``; stable across runs/platforms."""
    digest = hashlib.sha256(f"{seed}\x00{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class LazyRandom(random.Random):
    """A ``random.Random`` seeded with ``stream_seed(seed, name)`` on its first use.

    A world creates dozens of streams and a short run draws from few of them; seeding the
    Mersenne Twister costs ~4 µs each. The first call of a primitive seeds the generator and
    then binds the C primitives on the instance, so later draws cost exactly what they cost on
    a plain ``random.Random``. The sequence is identical to ``random.Random(stream_seed(...))``.
    """

    def __init__(self, seed: int, name: str) -> None:  # no super().__init__: seeding is deferred
        self._stream = (seed, name)
        self._seeded = False
        self.gauss_next = None  # what random.Random.__init__ sets; gauss() reads it first

    def _materialise(self) -> None:
        if not self._seeded:
            self._seeded = True
            super().seed(stream_seed(*self._stream))
            # Instance attributes shadow the lazy class methods from now on.
            self.random = super().random  # type: ignore[method-assign]
            self.getrandbits = super().getrandbits  # type: ignore[method-assign, assignment]

    def random(self) -> float:
        self._materialise()
        return self.random()

    def getrandbits(self, k: int) -> int:
        self._materialise()
        return self.getrandbits(k)

    def getstate(self) -> Any:
        self._materialise()
        return super().getstate()

    def setstate(self, state: Any) -> None:
        self._materialise()
        super().setstate(state)

    def seed(self, a: Any = None, version: int = 2) -> None:
        if not getattr(self, "_seeded", True):  # random.Random.__init__ is never called here
            self._materialise()
        super().seed(a, version)

    def randbytes(self, n: int) -> bytes:
        self._materialise()
        return super().randbytes(n)


class RandomStreams:
    """Lazily created, independently seeded random streams keyed by name."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._streams: dict[str, random.Random] = {}

    def __call__(self, name: str) -> random.Random:
        stream = self._streams.get(name)
        if stream is None:
            stream = LazyRandom(self.seed, name)
            self._streams[name] = stream
        return stream

    def names(self) -> list[str]:
        return sorted(self._streams)
