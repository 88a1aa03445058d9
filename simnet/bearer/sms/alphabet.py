"""Character sets of SMS user data (3GPP TS 23.038).

- The GSM 7 bit default alphabet (§6.2.1) and its extension table (§6.2.1.1, reached through the
  escape code 0x1B, so an extension character costs two septets).
- Septet packing (TS 23.038 §6.1.2.1.1): septets are packed into octets least significant bit
  first; with a user data header the first septet starts on the next septet boundary after it
  (``fill_bits``, TS 23.040 §9.2.3.24).
- UCS2 (§6.2.3): big-endian 16-bit units (characters outside the BMP as surrogate pairs, as
  UTF-16 sends them; handsets do the same).
"""

from __future__ import annotations

# TS 23.038 §6.2.1: the 128 characters of the default alphabet, by septet value. 0x1B is the
# escape to the extension table (it has no character of its own: a space when shown alone).
DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(DEFAULT_ALPHABET) == 128
ESCAPE = 0x1B

# TS 23.038 §6.2.1.1: the extension table (escape + septet).
EXTENSION = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

_ENCODE: dict[str, tuple[int, ...]] = {
    c: (i,) for i, c in enumerate(DEFAULT_ALPHABET) if i != ESCAPE
}
_ENCODE.update({c: (ESCAPE, s) for s, c in EXTENSION.items()})


class AlphabetError(ValueError):
    """Text that a character set cannot carry, or septets/octets that do not decode."""


def gsm7_fits(text: str) -> bool:
    """True when every character of ``text`` is in the default alphabet or its extension."""
    return all(c in _ENCODE for c in text)


def gsm7_septets(text: str) -> list[int]:
    """``text`` as septet values (extension characters as escape + code)."""
    out: list[int] = []
    for c in text:
        code = _ENCODE.get(c)
        if code is None:
            raise AlphabetError(
                f"character {c!r} (U+{ord(c):04X}) is not in the GSM 7 bit alphabet"
            )
        out.extend(code)
    return out


def gsm7_text(septets: list[int] | bytes) -> str:
    """Septet values back to text; an escape before a code outside the extension table shows
    the default-alphabet character (TS 23.038 §6.2.1.1 note), a trailing escape a space."""
    out: list[str] = []
    escaped = False
    for s in septets:
        if s > 0x7F:
            raise AlphabetError(f"septet value {s} out of range")
        if escaped:
            out.append(EXTENSION.get(s, DEFAULT_ALPHABET[s] if s != ESCAPE else " "))
            escaped = False
        elif s == ESCAPE:
            escaped = True
        else:
            out.append(DEFAULT_ALPHABET[s])
    if escaped:
        out.append(" ")
    return "".join(out)


def pack_septets(septets: list[int], fill_bits: int = 0) -> bytes:
    """Pack septets LSB first after ``fill_bits`` zero bits (TS 23.038 §6.1.2.1.1)."""
    acc = 0
    nbits = fill_bits
    out = bytearray()
    for s in septets:
        acc |= (s & 0x7F) << nbits
        nbits += 7
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


def unpack_septets(data: bytes, count: int, fill_bits: int = 0) -> list[int]:
    """``count`` septets from ``data`` after ``fill_bits`` bits; AlphabetError when short."""
    total_bits = fill_bits + 7 * count
    if (total_bits + 7) // 8 > len(data):
        raise AlphabetError(
            f"{count} septets need {(total_bits + 7) // 8} octets, {len(data)} given"
        )
    value = int.from_bytes(data, "little")
    return [(value >> (fill_bits + 7 * i)) & 0x7F for i in range(count)]


def ucs2_encode(text: str) -> bytes:
    return text.encode("utf-16-be")


def ucs2_decode(data: bytes) -> str:
    if len(data) % 2:
        raise AlphabetError(f"UCS2 data of odd length {len(data)}")
    return data.decode("utf-16-be", errors="replace")


__all__ = [
    "DEFAULT_ALPHABET",
    "ESCAPE",
    "EXTENSION",
    "AlphabetError",
    "gsm7_fits",
    "gsm7_septets",
    "gsm7_text",
    "pack_septets",
    "ucs2_decode",
    "ucs2_encode",
    "unpack_septets",
]
