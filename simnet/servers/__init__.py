"""Peer servers on the simulated network: echo, sink, source, FTP, SMTP, POP3, DNS, NTP.

``make_service(type, config, field)`` validates a service's configuration (raising
:class:`simnet.ConfigError` naming ``field.key`` and the allowed values) and returns a
:class:`Service`; ``service.attach(sim, host)`` starts it on a :class:`simnet.net.Host`.
Every service has inspection (``bytes_received``, ``log``, ``summary()``; FTP ``files()``,
SMTP/POP3 ``mailbox(name)``) and fault methods (``refuse``, ``stall``, ``slow_greeting``,
``override_reply``, ``reset_after``, ``limit_rate``, DNS ``dns_fail``; ``apply_fault`` takes
the scenario's fault action names; ``clear_faults``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simnet.errors import ConfigError
from simnet.servers.service import FAULT_KINDS, SCENARIO_ACTIONS, LogEntry, Service

SERVICE_TYPES = (
    "tcp-echo",
    "udp-echo",
    "tcp-sink",
    "udp-sink",
    "tcp-source",
    "ftp",
    "smtp",
    "pop3",
    "dns",
    "ntp",
)


def service_class(type_name: str) -> type[Service]:
    from simnet.servers.dns import DnsService
    from simnet.servers.ftp import FtpService
    from simnet.servers.mail import Pop3Service, SmtpService
    from simnet.servers.ntp import NtpService
    from simnet.servers.simple import (
        TcpEchoService,
        TcpSinkService,
        TcpSourceService,
        UdpEchoService,
        UdpSinkService,
    )

    classes: dict[str, type[Service]] = {
        "tcp-echo": TcpEchoService,
        "udp-echo": UdpEchoService,
        "tcp-sink": TcpSinkService,
        "udp-sink": UdpSinkService,
        "tcp-source": TcpSourceService,
        "ftp": FtpService,
        "smtp": SmtpService,
        "pop3": Pop3Service,
        "dns": DnsService,
        "ntp": NtpService,
    }
    return classes[type_name]


def make_service(type: str, config: Mapping[str, Any] | None, field: str = "service") -> Service:  # noqa: A002
    """A validated, not yet attached service of ``type`` (one of SERVICE_TYPES)."""
    if type not in SERVICE_TYPES:
        raise ConfigError(
            f"{field}.type",
            f"unknown service type {type!r} (expected one of {', '.join(SERVICE_TYPES)})",
        )
    if config is not None and not isinstance(config, Mapping):
        raise ConfigError(field, f"expected a mapping of settings, got {config!r}")
    return service_class(type)(config, field)


__all__ = [
    "FAULT_KINDS",
    "SCENARIO_ACTIONS",
    "SERVICE_TYPES",
    "ConfigError",
    "LogEntry",
    "Service",
    "make_service",
]
