"""Address checks the dialects share: IPv4 / IPv6 literals and host names as AT commands
carry them. Each vendor's manual says which form it accepts; pick the matching check."""

from __future__ import annotations

import functools
import ipaddress

from simnet.kernel.units import ascii_digits


@functools.lru_cache(maxsize=256)  # every CIPOPEN asks, mostly about the same few addresses
def is_ipv4(text: str) -> bool:
    """A dotted quad as Python's ``ipaddress`` reads it (no leading zeros)."""
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def is_dotted_quad(text: str) -> bool:
    """``AAA.BBB.CCC.DDD``, each octet 0-255 written in 1, 2 or 3 digits (leading zeros
    allowed, as in Fibocom L610 TCP/UDP §1.1.2.4); see :func:`normalise_ipv4`."""
    parts = text.split(".")
    if len(parts) != 4:
        return False
    return all(ascii_digits(part) and len(part) <= 3 and int(part) <= 255 for part in parts)


def normalise_ipv4(text: str) -> str:
    """``'010.1.2.003'`` -> ``'10.1.2.3'``."""
    return ".".join(str(int(p)) for p in text.split("."))


def is_ipv6(text: str) -> bool:
    """An IPv6 literal (blanks around the colons tolerated, as typed on a terminal)."""
    try:
        ipaddress.IPv6Address(text.replace(" ", ""))
    except ValueError:
        return False
    return True


def is_domain_name(name: str) -> bool:
    """RFC 1035 §2.3.1 / RFC 1123 §2.1 host name: at most 254 characters, labels of 1-63
    letters, digits and hyphens starting with a letter or digit (SIM7600 TCP/IP L1131)."""
    if not name or len(name) > 254:
        return False
    for label in name.rstrip(".").split("."):
        if not label or len(label) > 63 or not label[0].isalnum() or not label.isascii():
            return False
        if any(not (c.isalnum() or c == "-") for c in label):
            return False
    return True


def is_sendable_name(text: str, max_len: int = 255) -> bool:
    """A name the module can put in a DNS query without checking its syntax: not empty, at
    most ``max_len`` characters, no blanks or quotes (Fibocom L610 §1.1.2.4 "Syntax is not
    validated, except the maximum length")."""
    return 0 < len(text) <= max_len and not any(c in text for c in ' "\t')
