"""How bytes and step texts are shown to people (summaries, reports, failures)."""

from __future__ import annotations


def printable(text: str) -> str:
    """CR and LF as ``\\r`` ``\\n``; controls and bytes 0x7f-0xff as ``\\xNN``; the rest as is.

    Module output is decoded as latin-1, so a byte above 0x7e is binary data (PPP frames, hex
    payloads), not a letter: showing it escaped keeps every byte visible and unambiguous.
    """
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\r":
            out.append("\\r")
        elif ch == "\n":
            out.append("\\n")
        elif code < 32 or 127 <= code <= 255:
            out.append(f"\\x{code:02x}")
        else:
            out.append(ch)
    return "".join(out)


def show_bytes(data: bytes, limit: int = 300) -> str:
    """The last ``limit`` received bytes, printable, with … when cut."""
    prefix = "…" if len(data) > limit else ""
    return prefix + printable(data[-limit:].decode("latin-1"))
