"""TCP parameters (:class:`TcpConfig`, :class:`KeepaliveConfig`), validated on construction.

Kept out of the compiled modules (simnet/_build.py): its fields take whatever a user or a
scenario writes and __post_init__ answers a wrong one with a ConfigError naming the field;
compiled code would refuse a value of another type than annotated with a bare TypeError
first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simnet.errors import ConfigError
from simnet.kernel.units import Real

MAX_WINDOW = 65535  # without window scaling the 16-bit window field is the whole window
MAX_WINDOW_SHIFT = 14  # RFC 7323 §2.3: a shift count above 14 is used as 14


# -- configuration ----------------------------------------------------------------------------
def _check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(name, f"expected an integer between {low} and {high}, got {value!r}")
    return value


def _check_seconds(name: str, value: object, low: Real, high: Real, *, low_open: bool) -> Real:
    ok = not isinstance(value, bool) and isinstance(value, int | float)
    if ok:
        v = float(value)  # type: ignore[arg-type]
        ok = (v > low if low_open else v >= low) and v <= high
    if not ok:
        bracket = "(" if low_open else "["
        raise ConfigError(name, f"expected seconds in {bracket}{low:g}, {high:g}], got {value!r}")
    return float(value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class KeepaliveConfig:
    """TCP keepalive (RFC 9293 §3.8.4): first probe after ``idle`` seconds without hearing from
    the peer, then every ``interval`` seconds; the connection is declared dead when ``count``
    probes in a row go unanswered, i.e. ``idle + interval * count`` after the peer went silent.
    Defaults are RFC 1122 §4.2.3.6 / Linux (2 h, 75 s, 9)."""

    idle: Real = 7200.0
    interval: Real = 75.0
    count: int = 9

    def __post_init__(self) -> None:
        _check_seconds("keepalive.idle", self.idle, 0.0, 86400.0 * 30, low_open=True)
        _check_seconds("keepalive.interval", self.interval, 0.0, 86400.0, low_open=True)
        _check_int("keepalive.count", self.count, 1, 1000)


@dataclass
class TcpConfig:
    """Per-connection parameters. Invalid values raise ``ConfigError(field, allowed range)``.

    Defaults follow the RFCs where they give one (RFC 6298: initial RTO 1 s, minimum 1 s,
    maximum >= 60 s) and Linux where they do not (6 SYN retries, 15 data retries).
    ``delayed_ack`` is the delayed-ACK timeout in seconds (0 disables delaying) and
    ``ack_every`` how many data segments may go unacknowledged (RFC 5681 §4.2: 2).
    ``connect_timeout`` (None = only the SYN budget) bounds the whole handshake.
    ``keepalive`` is a :class:`KeepaliveConfig`, a mapping/tuple ``(idle, interval, count)`` or
    None (off). ``msl`` sets TIME_WAIT to ``2 * msl``. ``fin_wait2_timeout`` bounds FIN_WAIT_2
    after close() (not after shutdown()), as Linux's tcp_fin_timeout does.
    """

    mss: int = 1460
    initial_rto: Real = 1.0
    min_rto: Real = 1.0
    max_rto: Real = 60.0
    syn_retries: int = 6
    data_retries: int = 15
    connect_timeout: Real | None = None
    nodelay: bool = False
    delayed_ack: Real = 0.2
    ack_every: int = 2
    msl: Real = 60.0
    keepalive: Any = None
    send_buffer: int = 65536
    recv_buffer: int = 65535
    fin_wait2_timeout: Real = 60.0
    # Extensions a peer may agree to (simnet.net.tcp_options): SACK (RFC 2018, loss recovery
    # RFC 6675), timestamps (RFC 7323 §3-4) and the window scale shift (RFC 7323 §2, None: not
    # offered). ``initial_window`` in segments (RFC 6928 for 10; None: the RFC 5681 rule).
    sack: bool = False
    timestamps: bool = False
    window_scale: int | None = None
    initial_window: int | None = None
    keepalive_cfg: KeepaliveConfig | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_int("mss", self.mss, 64, 65495)
        _check_seconds("initial_rto", self.initial_rto, 0.0, 600.0, low_open=True)
        _check_seconds("min_rto", self.min_rto, 0.0, 600.0, low_open=True)
        _check_seconds("max_rto", self.max_rto, 0.0, 3600.0, low_open=True)
        if self.max_rto < self.min_rto:
            raise ConfigError("max_rto", f"must be >= min_rto ({self.min_rto:g} s)")
        _check_int("syn_retries", self.syn_retries, 0, 255)
        _check_int("data_retries", self.data_retries, 0, 255)
        if self.connect_timeout is not None:
            _check_seconds("connect_timeout", self.connect_timeout, 0.0, 86400.0, low_open=True)
        if not isinstance(self.nodelay, bool):
            raise ConfigError("nodelay", f"expected true or false, got {self.nodelay!r}")
        _check_seconds("delayed_ack", self.delayed_ack, 0.0, 0.5, low_open=False)
        _check_int("ack_every", self.ack_every, 1, 64)
        _check_seconds("msl", self.msl, 0.0, 3600.0, low_open=False)
        _check_int("send_buffer", self.send_buffer, 1, 1 << 24)
        for flag in ("sack", "timestamps"):
            if not isinstance(getattr(self, flag), bool):
                raise ConfigError(flag, f"expected true or false, got {getattr(self, flag)!r}")
        if self.window_scale is not None:
            _check_int("window_scale", self.window_scale, 0, MAX_WINDOW_SHIFT)
        if self.initial_window is not None:
            _check_int("initial_window", self.initial_window, 1, 64)
        # Only a scaled window can advertise more than the 16-bit field holds.
        _check_int("recv_buffer", self.recv_buffer, 1,
                   MAX_WINDOW if self.window_scale is None else MAX_WINDOW << self.window_scale)
        _check_seconds("fin_wait2_timeout", self.fin_wait2_timeout, 0.0, 86400.0, low_open=False)
        ka = self.keepalive
        if ka is None or ka is False:
            self.keepalive_cfg = None
        elif isinstance(ka, KeepaliveConfig):
            self.keepalive_cfg = ka
        elif isinstance(ka, dict):
            unknown = sorted(set(ka) - {"idle", "interval", "count"})
            if unknown:
                raise ConfigError(f"keepalive.{unknown[0]}", "unknown key (idle, interval, count)")
            self.keepalive_cfg = KeepaliveConfig(**ka)
        elif isinstance(ka, tuple | list) and len(ka) == 3:
            self.keepalive_cfg = KeepaliveConfig(*ka)
        else:
            raise ConfigError(
                "keepalive", f"expected None or (idle, interval, count), got {ka!r}"
            )

    @property
    def extended(self) -> bool:
        """True when connections need the option-aware engine (:mod:`simnet.net.tcp_options`)."""
        return self.sack or self.timestamps or self.window_scale is not None
