"""Address and port validation shared by the network layer (raises ConfigError on bad input)."""

from __future__ import annotations

import ipaddress

from simnet.errors import ConfigError

_PRIVATE_NETS = (
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
    ipaddress.IPv4Network("100.64.0.0/10"),  # RFC 6598 shared space used behind CGNATs
)


def check_ip(value: object, field: str) -> str:
    """A dotted-quad IPv4 address in canonical form."""
    if not isinstance(value, str):
        raise ConfigError(field, f"expected an IPv4 address such as 10.0.0.1, got {value!r}")
    try:
        addr = ipaddress.IPv4Address(value.strip())
    except ValueError:
        raise ConfigError(field, f"expected an IPv4 address (four numbers 0-255), got {value!r}") from None
    return str(addr)


def check_port(value: object, field: str, *, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 65535:
        raise ConfigError(field, f"expected a port number between {low} and 65535, got {value!r}")
    return value


def is_private(ip: str) -> bool:
    """True for RFC 1918 / RFC 6598 space (the operator side of the NAT)."""
    try:
        addr = ipaddress.IPv4Address(ip)
    except ValueError:
        return False
    return any(addr in net for net in _PRIVATE_NETS)


def is_valid_ip(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True
