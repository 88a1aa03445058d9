"""Configuration of the carrier NAT (:class:`NatConfig`), validated on construction.

Kept out of the compiled modules (simnet/_build.py): its fields take whatever a user or a
scenario writes and __post_init__ answers a wrong one with a ConfigError naming the field;
compiled code would refuse a value of another type than annotated with a bare TypeError
first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simnet.errors import ConfigError
from simnet.kernel.units import Real, parse_duration
from simnet.net.addr import check_ip, check_port
from simnet.net.packet import PROTO_TCP, PROTO_UDP

# RFC 4787 §4.1 mapping and §5 filtering behaviours, as the scenario names them
BEHAVIOURS = ("endpoint-independent", "address-dependent", "address-and-port-dependent")
ON_EXPIRY = ("new-mapping", "silent-drop", "rst-both", "rst-inside", "rst-outside")


@dataclass
class NatConfig:
    """Defaults model a mobile operator's CGNAT, which is far shorter than the RFC minimums
    (RFC 5382: 2 h 4 min for TCP; RFC 4787: 2 min for UDP) - see docs/assumptions.md."""

    public_ip: str = "198.51.100.1"
    tcp_idle_timeout: Any = 300.0
    udp_idle_timeout: Any = 30.0
    icmp_idle_timeout: Any = 60.0  # RFC 5508 REQ-1: ICMP query mappings at least 60 s
    port_low: int = 1024
    port_high: int = 65535
    per_subscriber: int | None = None
    enabled: bool = True
    # RFC 5382 REQ-5 "transitory connection idle-timeout" (None: the same as tcp_idle_timeout,
    # which is the "established connection idle-timeout")
    tcp_transitory_timeout: Any = None
    mapping: str = "endpoint-independent"
    filtering: str = "address-and-port-dependent"
    port_preservation: bool = False
    on_expiry: str = "new-mapping"
    inbound_refresh: bool = True
    prefix: str = field(default="nat", repr=False, compare=False)

    def __post_init__(self) -> None:
        p = self.prefix
        self.public_ip = check_ip(self.public_ip, f"{p}.public_ip")
        self.tcp_idle_timeout = parse_duration(
            self.tcp_idle_timeout, f"{p}.tcp_idle_timeout", allow_zero=False
        )
        self.udp_idle_timeout = parse_duration(
            self.udp_idle_timeout, f"{p}.udp_idle_timeout", allow_zero=False
        )
        self.icmp_idle_timeout = parse_duration(
            self.icmp_idle_timeout, f"{p}.icmp_idle_timeout", allow_zero=False
        )
        check_port(self.port_low, f"{p}.port_low")
        check_port(self.port_high, f"{p}.port_high")
        if self.port_high < self.port_low:
            raise ConfigError(f"{p}.port_high", f"must be >= port_low ({self.port_low})")
        if self.per_subscriber is not None and (
            isinstance(self.per_subscriber, bool)
            or not isinstance(self.per_subscriber, int)
            or self.per_subscriber < 1
        ):
            raise ConfigError(
                f"{p}.per_subscriber",
                f"expected a positive number of ports, got {self.per_subscriber!r}",
            )
        if self.tcp_transitory_timeout is not None:
            self.tcp_transitory_timeout = parse_duration(
                self.tcp_transitory_timeout, f"{p}.tcp_transitory_timeout", allow_zero=False
            )
        for key, allowed in (
            ("mapping", BEHAVIOURS),
            ("filtering", BEHAVIOURS),
            ("on_expiry", ON_EXPIRY),
        ):
            value = getattr(self, key)
            if value not in allowed:
                raise ConfigError(
                    f"{p}.{key}", f"expected one of {', '.join(allowed)}, got {value!r}"
                )
        for key in ("enabled", "port_preservation", "inbound_refresh"):
            if not isinstance(getattr(self, key), bool):
                raise ConfigError(
                    f"{p}.{key}", f"expected true or false, got {getattr(self, key)!r}"
                )

    @property
    def tracks_tcp(self) -> bool:
        """Whether mappings must follow TCP flags and sequence numbers (transitory timeouts,
        RSTs on expiry); the default NAT does not pay for it."""
        return (
            self.tcp_transitory_timeout is not None
            and self.tcp_transitory_timeout != self.tcp_idle_timeout
        ) or self.on_expiry.startswith("rst")

    @classmethod
    def from_dict(cls, data: Any, field_path: str = "nat") -> NatConfig:
        """Build from a scenario mapping, naming unknown keys with their full path."""
        if data is None:
            return cls(prefix=field_path)
        if not isinstance(data, dict):
            raise ConfigError(field_path, f"expected a mapping of NAT parameters, got {data!r}")
        allowed = (
            "public_ip",
            "tcp_idle_timeout",
            "tcp_established_timeout",
            "tcp_transitory_timeout",
            "udp_idle_timeout",
            "icmp_idle_timeout",
            "port_low",
            "port_high",
            "per_subscriber",
            "enabled",
            "mapping",
            "filtering",
            "port_preservation",
            "on_expiry",
            "inbound_refresh",
        )
        for key in data:
            if key not in allowed:
                raise ConfigError(
                    f"{field_path}.{key}",
                    f"unknown NAT parameter (expected one of {', '.join(allowed)})",
                )
        data = dict(data)
        if "tcp_established_timeout" in data:  # RFC 5382's name for the TCP idle timeout
            data["tcp_idle_timeout"] = data.pop("tcp_established_timeout")
        return cls(**data, prefix=field_path)

    def timeout_for(self, proto: int) -> Real:
        if proto == PROTO_TCP:
            return self.tcp_idle_timeout
        if proto == PROTO_UDP:
            return self.udp_idle_timeout
        return self.icmp_idle_timeout
