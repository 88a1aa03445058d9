"""Small pure helpers of the Fibocom dialect: hex payloads, address checks, NTP packets.

Kept apart from the handlers so they can be tested byte for byte without a module.
"""

from __future__ import annotations

import ipaddress
import re
import struct

HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_HEX_TEXT = re.compile(r"(?:[0-9A-Fa-f]{2})*")


def decode_hex(text: str) -> bytes | None:
    """<Data> of +MIPSEND (§1.1.6.4): pairs of 0-F digits; None when malformed."""
    if not _HEX_TEXT.fullmatch(text):  # (bytes.fromhex alone would accept spaces)
        return None
    return bytes.fromhex(text)


def encode_hex(data: bytes) -> str:
    """Received data as +MIPRTCP/+MIPRUDP print it (§1.1.9.4): upper-case hex digits."""
    return data.hex().upper()


def is_ipv4(text: str) -> bool:
    """"AAA.BBB.CCC.DDD", each octet 0-255 written in 1, 2 or 3 digits (§1.1.2.4)."""
    parts = text.split(".")
    if len(parts) != 4:
        return False
    for part in parts:
        if not part.isdigit() or len(part) > 3 or int(part) > 255:
            return False
    return True


def normalise_ipv4(text: str) -> str:
    """'010.1.2.003' -> '10.1.2.3' (octets may carry leading zeros, §1.1.2.4)."""
    return ".".join(str(int(p)) for p in text.split("."))


def is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text.replace(" ", ""))
    except ValueError:
        return False
    return True


def is_hostname(text: str) -> bool:
    """Only the length is validated (§1.1.2.4 "Syntax is not validated, except the maximum
    length"); an empty name or one with blanks or quotes cannot be sent in a query."""
    return 0 < len(text) <= 255 and not any(c in text for c in ' "\t')


# --- NTP (RFC 5905 §7.3): a client request and the reading of a server reply ---------------
NTP_PACKET = 48
NTP_UNIX_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01


def ntp_request(transmit_unix: float) -> bytes:
    """A mode-3 (client) NTPv4 request carrying our transmit timestamp."""
    secs = int(transmit_unix) + NTP_UNIX_OFFSET
    frac = int((transmit_unix - int(transmit_unix)) * (1 << 32)) & 0xFFFFFFFF
    first = (0 << 6) | (4 << 3) | 3  # LI 0, VN 4, mode 3
    return struct.pack("!BBbb11I", first, 0, 6, -20, *([0] * 9), secs & 0xFFFFFFFF, frac)


def _ntp_time(data: bytes, offset: int) -> float:
    secs, frac = struct.unpack("!II", data[offset : offset + 8])
    return secs - NTP_UNIX_OFFSET + frac / (1 << 32)


def ntp_reply_times_origin(request: bytes) -> float:
    """Our request's transmit timestamp as the server will echo it (64-bit NTP resolution)."""
    return _ntp_time(request, 40)


def ntp_reply_times(data: bytes) -> tuple[float, float, float] | None:
    """(originate, receive, transmit) timestamps of a valid mode-4 server reply, else None."""
    if len(data) < NTP_PACKET:
        return None
    first, stratum = data[0], data[1]
    mode = first & 0x7
    li = first >> 6
    if mode != 4 or stratum == 0 or li == 3:  # stratum 0 = kiss-o'-death; LI 3 = unsynchronised
        return None
    if struct.unpack("!I", data[40:44])[0] == 0:
        return None
    return _ntp_time(data, 24), _ntp_time(data, 32), _ntp_time(data, 40)


def ntp_offset(t1: float, t2: float, t3: float, t4: float) -> float:
    """RFC 5905 §8 clock offset: ((T2 - T1) + (T3 - T4)) / 2."""
    return ((t2 - t1) + (t3 - t4)) / 2


def ntp_reply_time(data: bytes) -> float | None:
    """The server's transmit time (Unix seconds) of a valid mode-4 reply, else None."""
    times = ntp_reply_times(data)
    return None if times is None else times[2]
