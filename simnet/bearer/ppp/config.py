"""Configuration of one PPP endpoint and of the faults a misbehaving peer injects."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from simnet.errors import ConfigError

ROLES = ("client", "server")
CLIENT_AUTH = ("none", "pap", "chap", "any")  # what a client agrees to authenticate with
# What a server (authenticator) requires; "any": ask CHAP-MD5 first and take the peer's Nak
# towards PAP (or back), as cellular modules do towards pppd on ATD*99#.
SERVER_AUTH = ("none", "pap", "chap", "any")

# Faults per phase and the outcome the well-behaved side should report (docs/outcomes.md).
FAULT_MODES: dict[str, tuple[str, ...]] = {
    "lcp": ("silent", "reject", "nak_loop", "reject_loop", "reject_auth", "terminate"),
    "auth": ("silent", "reject", "terminate"),
    "ipcp": ("silent", "reject", "protocol_reject", "nak_loop", "terminate"),
    "open": ("echo_silent", "terminate"),
}


@dataclass(frozen=True)
class PppFault:
    """How this endpoint misbehaves: in ``phase`` it acts per ``mode``.

    lcp/silent: never answers LCP.  lcp/reject: Code-Rejects every Configure-Request (the
    peer's LCP cannot go on).  lcp/nak_loop: Naks every Configure-Request.
    lcp/reject_auth: Configure-Rejects the authentication option (refuses to authenticate).
    auth/silent: sends nothing in the authentication phase.  auth/reject: Authenticate-Nak /
    CHAP Failure whatever the credentials.  ipcp/silent, ipcp/reject (Configure-Reject of every
    option, IP-Address included), ipcp/protocol_reject (LCP Protocol-Reject of IPCP),
    ipcp/nak_loop.  */terminate: Terminate-Request when the phase starts (open: ``after`` s
    later).  open/echo_silent: LCP Echo-Requests go unanswered.
    """

    phase: str
    mode: str
    after: float = 0.0

    def __post_init__(self) -> None:
        if self.phase not in FAULT_MODES:
            raise ConfigError(
                "ppp.fault.phase",
                f"unknown phase {self.phase!r} (allowed: {', '.join(FAULT_MODES)})",
            )
        if self.mode not in FAULT_MODES[self.phase]:
            allowed = ", ".join(FAULT_MODES[self.phase])
            raise ConfigError(
                "ppp.fault.mode",
                f"unknown mode {self.mode!r} for phase {self.phase} (allowed: {allowed})",
            )
        if (
            isinstance(self.after, bool)
            or not isinstance(self.after, int | float)
            or self.after < 0
        ):
            raise ConfigError(
                "ppp.fault.after", f"expected a non-negative duration, got {self.after!r}"
            )


def _positive_number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(f"ppp.{name}", f"expected a positive number of seconds, got {value!r}")
    return float(value)


def _count(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"ppp.{name}", f"expected an integer {low}..{high}, got {value!r}")
    return value


def _ipv4(value: object, name: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))  # type: ignore[arg-type]
    except (ValueError, TypeError):
        raise ConfigError(f"ppp.{name}", f"expected an IPv4 address, got {value!r}") from None


@dataclass(frozen=True)
class PppConfig:
    """One endpoint. Timers and counters default to RFC 1661 §4.6 values.

    Client: ``username``/``password`` and ``auth`` (which protocols it accepts: none, pap, chap,
    any); asks for an address (``local_ip`` or 0.0.0.0) and, with ``request_dns``, DNS servers
    (RFC 1877). Server: ``auth`` it requires, ``credentials`` it accepts (None: any), its own
    ``local_ip``, the ``peer_ip`` it assigns and the ``dns`` it hands out; with ``peer_ip=None``
    the server holds IPCP back until ``PppEndpoint.assign_address`` is called (a module answering
    ATD*99# activates its PDP context first; the peer's IPCP requests wait meanwhile). Server
    ``auth="any"`` asks CHAP-MD5 and follows a Nak towards PAP; with ``auth_optional`` a peer
    that Configure-Rejects the Authentication-Protocol option is let in unauthenticated.
    ``compression``: ask for Protocol-Field and Address-and-Control-Field Compression (RFC 1661
    §6.5, §6.6) and grant them to the peer, as pppd and SIMCom/Quectel modules do.
    ``passive``: send no LCP packet until the peer's first one arrives (RFC 1661 §4.4 allows
    waiting; pppd's ``silent``), as modules answering ATD*99# do: their first Configure-Request
    would otherwise reach a host that is not listening yet and cost a Restart.
    Echo: ``echo_interval`` > 0 sends LCP Echo-Requests; ``echo_failure`` unanswered in a row end
    the link (pppd's lcp-echo-interval / lcp-echo-failure).
    """

    role: str = "client"
    restart: float = 3.0
    max_configure: int = 10
    max_terminate: int = 2
    max_failure: int = 5
    mru: int = 1500
    accm: int = 0x00000000
    magic: bool = True
    compression: bool = False
    passive: bool = False
    auth: str = "any"
    username: str = ""
    password: str = ""
    hostname: str = "simnet"
    credentials: tuple[tuple[str, str], ...] | None = None
    auth_optional: bool = False
    local_ip: str | None = None
    peer_ip: str | None = None
    dns: tuple[str, ...] = ()
    request_dns: bool = True
    echo_interval: float = 0.0
    echo_failure: int = 3
    fault: PppFault | None = field(default=None)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ConfigError("ppp.role", f"expected client or server, got {self.role!r}")
        _positive_number(self.restart, "restart")
        _count(self.max_configure, "max_configure", 1, 255)
        _count(self.max_terminate, "max_terminate", 1, 255)
        _count(self.max_failure, "max_failure", 1, 255)
        _count(self.mru, "mru", 128, 65535)
        _count(self.accm, "accm", 0, 0xFFFFFFFF)
        allowed = CLIENT_AUTH if self.role == "client" else SERVER_AUTH
        if self.auth not in allowed:
            raise ConfigError(
                "ppp.auth",
                f"unknown authentication {self.auth!r} for a {self.role} (allowed: "
                f"{', '.join(allowed)})",
            )
        if not isinstance(self.passive, bool):
            raise ConfigError("ppp.passive", f"expected true or false, got {self.passive!r}")
        if not isinstance(self.compression, bool):
            raise ConfigError(
                "ppp.compression", f"expected true or false, got {self.compression!r}"
            )
        if not isinstance(self.auth_optional, bool):
            raise ConfigError(
                "ppp.auth_optional", f"expected true or false, got {self.auth_optional!r}"
            )
        for name in ("username", "password", "hostname"):
            value = getattr(self, name)
            if not isinstance(value, str) or len(value.encode()) > 255:
                raise ConfigError(f"ppp.{name}", "expected a string of at most 255 bytes")
        if self.credentials is not None:
            creds = []
            for i, pair in enumerate(self.credentials):
                if not (
                    isinstance(pair, tuple | list)
                    and len(pair) == 2
                    and all(isinstance(x, str) for x in pair)
                ):
                    raise ConfigError(f"ppp.credentials[{i}]", "expected a (user, password) pair")
                creds.append((pair[0], pair[1]))
            object.__setattr__(self, "credentials", tuple(creds))
        if self.local_ip is not None:
            object.__setattr__(self, "local_ip", _ipv4(self.local_ip, "local_ip"))
        if self.peer_ip is not None:
            object.__setattr__(self, "peer_ip", _ipv4(self.peer_ip, "peer_ip"))
        if self.role == "server" and self.local_ip is None:
            raise ConfigError("ppp.local_ip", "a server needs its own address for IPCP")
        if isinstance(self.dns, str) or len(self.dns) > 2:
            raise ConfigError("ppp.dns", "expected a list of at most two IPv4 addresses")
        object.__setattr__(
            self, "dns", tuple(_ipv4(d, f"dns[{i}]") for i, d in enumerate(self.dns))
        )
        if (
            isinstance(self.echo_interval, bool)
            or not isinstance(self.echo_interval, int | float)
            or self.echo_interval < 0
        ):
            raise ConfigError(
                "ppp.echo_interval",
                f"expected a non-negative number of seconds, got {self.echo_interval!r}",
            )
        _count(self.echo_failure, "echo_failure", 1, 255)
        if self.fault is not None and not isinstance(self.fault, PppFault):
            if isinstance(self.fault, Mapping):
                object.__setattr__(self, "fault", PppFault(**self.fault))
            else:
                raise ConfigError("ppp.fault", "expected {phase, mode}")

    def fault_is(self, phase: str, mode: str) -> bool:
        return self.fault is not None and self.fault.phase == phase and self.fault.mode == mode
