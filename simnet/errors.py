"""Exceptions shared by every layer.

Only configuration mistakes raise: no packet, byte or timer race inside a running simulation
may raise anything (those become trace records and typed outcomes instead).
"""

from __future__ import annotations


class SimnetError(Exception):
    """Base class of every exception simnet raises on purpose."""


class ConfigError(SimnetError, ValueError):
    """An impossible or malformed parameter, named by its field path.

    ``field`` is a dotted path such as ``link.uplink.loss.p``; ``location`` is ``FILE:LINE``
    when the value came from a scenario file.
    """

    def __init__(self, field: str, message: str, *, location: str | None = None) -> None:
        self.field = field
        self.message = message
        self.location = location
        prefix = f"{location}: " if location else ""
        super().__init__(f"{prefix}{field}: {message}")


class ExpectTimeout(SimnetError, TimeoutError):
    """The DTE waited for text that did not arrive within the virtual-time window."""

    def __init__(self, pattern: str, timeout: float, received: bytes = b"") -> None:
        self.pattern = pattern
        self.timeout = timeout
        self.received = received
        tail = received[-200:].decode("latin-1", "replace")
        super().__init__(f"{pattern!r} not seen within {timeout:g} s; received {tail!r}")


class DialError(SimnetError):
    """``DTE.dial`` did not get an IP link up; ``outcome`` says why (no_carrier, auth_failed,
    pdp_reject, lcp_timeout, ...)."""

    def __init__(self, outcome: object) -> None:
        self.outcome = outcome
        kind = getattr(outcome, "kind", outcome)
        detail = getattr(outcome, "detail", "")
        super().__init__(f"dial-up failed: {kind}" + (f" ({detail})" if detail else ""))


class ConnectError(SimnetError, ConnectionError):
    """A blocking ``tcp_connect`` (the dial-up host's) did not reach ESTABLISHED; ``reason`` is
    the socket's close reason (``refused``, ``timeout``, ``network_down``, ...) or its state
    when the wait ran out, ``socket`` the socket itself."""

    def __init__(self, address: str, reason: object, socket: object = None) -> None:
        self.address = address
        self.reason = reason
        self.socket = socket
        super().__init__(f"TCP connection to {address} failed: {reason}")
