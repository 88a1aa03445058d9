"""Host-side helpers shared by the dialect tests: exact-byte exchanges over the DTE."""

from __future__ import annotations

import re
from typing import Any


def exchange(sim: Any, data: bytes | str, expected: bytes, timeout: float = 10.0) -> bytes:
    """Write ``data`` (a str gets CR appended), run until ``len(expected)`` bytes have come back,
    and return exactly those bytes (consumed; anything after them stays unread). Bytes left
    unread before the write are an error: they would hide where this answer starts."""
    dte = sim.dte
    stale = dte.peek()
    assert stale == b"", f"unread bytes before {data!r}: {stale!r}"
    if isinstance(data, str):
        data = data.encode("latin-1") + b"\r"
    dte.write(data)
    n = len(expected)
    sim.run_until(lambda: len(dte.peek()) >= n, timeout)
    got = dte.peek()[:n]
    if got:
        dte.expect(re.escape(got.decode("latin-1")), 0)
    return got


def wait_for(sim: Any, expected: bytes, timeout: float = 10.0) -> bytes:
    """Run until ``expected`` arrives; return every byte that arrived since the last read up
    to and including it (so a test can check that nothing else came first)."""
    dte = sim.dte
    start = dte.bytes_received - len(dte.peek())  # absolute offset of the read cursor
    dte.expect(re.escape(expected.decode("latin-1")), timeout)
    cursor = dte.bytes_received - len(dte.peek())
    since = dte.received[len(dte.received) - (dte.bytes_received - start):]
    return since[: cursor - start]
