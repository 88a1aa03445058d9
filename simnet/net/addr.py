"""Address and port validation shared by the network layer (raises ConfigError on bad input)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from simnet.errors import ConfigError

_PRIVATE_NETS = (
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
    ipaddress.IPv4Network("100.64.0.0/10"),  # RFC 6598 shared space used behind CGNATs
)


@lru_cache(maxsize=4096)
def _canonical(value: str) -> str | None:
    # cached: sockets validate their peer address on every send, parsing is ~6 us
    try:
        return str(ipaddress.IPv4Address(value.strip()))
    except ValueError:
        return None


def check_ip(value: object, field: str) -> str:
    """A dotted-quad IPv4 address in canonical form."""
    if not isinstance(value, str):
        raise ConfigError(field, f"expected an IPv4 address such as 10.0.0.1, got {value!r}")
    canonical = _canonical(value)
    if canonical is None:
        raise ConfigError(field, f"expected an IPv4 address (four numbers 0-255), got {value!r}")
    return canonical


def check_port(value: object, field: str, *, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 65535:
        raise ConfigError(field, f"expected a port number between {low} and 65535, got {value!r}")
    return value


@lru_cache(maxsize=4096)
def is_private(ip: str) -> bool:
    """True for RFC 1918 / RFC 6598 space (the operator side of the NAT)."""
    if type(ip) is not str:  # str subclasses and non-strings take the uncached way
        return _is_private(ip) if isinstance(ip, str) else False
    return _is_private_cached(ip)


def _is_private(ip: str) -> bool:
    try:
        addr = ipaddress.IPv4Address(ip)
    except ValueError:
        return False
    return any(addr in net for net in _PRIVATE_NETS)


# The core asks for every packet it forwards from a module (an IPv4Address per call was 2 us).
_is_private_cached = lru_cache(maxsize=4096)(_is_private)


def is_valid_ip(value: object) -> bool:
    return isinstance(value, str) and _canonical(value) == value.strip()
