"""How bytes and step texts are shown to people (summaries, reports, failures)."""

from __future__ import annotations

# One translation table: CR/LF named, other controls and bytes 0x7f-0xff as \xNN.
_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(32), *range(127, 256))}
_ESCAPES[ord("\r")] = "\\r"
_ESCAPES[ord("\n")] = "\\n"


def printable(text: str) -> str:
    """CR and LF as ``\\r`` ``\\n``; controls and bytes 0x7f-0xff as ``\\xNN``; the rest as is.

    Module output is decoded as latin-1, so a byte above 0x7e is binary data (PPP frames, hex
    payloads), not a letter: showing it escaped keeps every byte visible and unambiguous.
    """
    return text.translate(_ESCAPES)


def show_bytes(data: bytes, limit: int = 300) -> str:
    """The last ``limit`` received bytes, printable, with … when cut."""
    prefix = "…" if len(data) > limit else ""
    return prefix + printable(data[-limit:].decode("latin-1"))
