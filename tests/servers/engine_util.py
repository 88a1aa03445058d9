"""Helpers to drive sans-IO engines in tests: bytes in, wire bytes out."""
from __future__ import annotations

from simnet.servers.events import Close, Write


def wire(actions: list[object]) -> bytes:
    """Concatenated bytes of the Write actions."""
    return b"".join(a.data for a in actions if isinstance(a, Write))


def closes(actions: list[object]) -> bool:
    return any(isinstance(a, Close) for a in actions)


def codes(data: bytes) -> list[int]:
    """Final reply codes in ``data`` (lines 'NNN text'; continuation lines skipped)."""
    out = []
    for line in data.split(b"\r\n"):
        if len(line) >= 4 and line[:3].isdigit() and line[3:4] == b" ":
            out.append(int(line[:3]))
        elif len(line) == 3 and line.isdigit():
            out.append(int(line))
    return out
