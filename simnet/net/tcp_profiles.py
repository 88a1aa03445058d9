"""Named TCP stacks for peer hosts: what a server on the internet really runs.

=========  ==================================================================================
profile    parameters (each from the source named in docs/assumptions.md, "TCP profiles")
=========  ==================================================================================
classic    simnet's original stack (the ``TcpConfig`` defaults): RFC 6298 with the 1 s
           minimum RTO, NewReno, no options beyond MSS. The default, so existing scenarios keep
           their traces.
linux      a Linux server: RFC 6298 with ``TCP_RTO_MIN`` 200 ms and ``TCP_RTO_MAX`` 120 s,
           initial RTO 1 s (``TCP_TIMEOUT_INIT``), SACK with RFC 6675 recovery, timestamps,
           window scale 7 with a 128 KiB receive buffer (``tcp_rmem``), initial window 10
           (RFC 6928), delayed ACK 40 ms (``TCP_DELACK_MIN``), TIME_WAIT 60 s, 6 SYN and 15
           data retries (``tcp_syn_retries``, ``tcp_retries2``).
lwip       an embedded lwIP 2.x stack with its ``opt.h`` defaults: MSS 536, window 4 x MSS,
           send buffer 2 x MSS, initial RTO 3 s, RTO in 500 ms ticks, backoff to 128 x the
           initial RTO, 12 data and 6 SYN retransmissions, delayed ACK on the 250 ms fast
           timer, no SACK, timestamps or window scaling (all off by default).
=========  ==================================================================================
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from simnet.errors import ConfigError
from simnet.net.tcp_engine import TcpConfig

TCP_PROFILES: dict[str, TcpConfig] = {
    "classic": TcpConfig(),
    "linux": TcpConfig(
        mss=1460, initial_rto=1.0, min_rto=0.2, max_rto=120.0, syn_retries=6, data_retries=15,
        delayed_ack=0.04, ack_every=2, msl=30.0, recv_buffer=131072, fin_wait2_timeout=60.0,
        sack=True, timestamps=True, window_scale=7, initial_window=10,
    ),
    "lwip": TcpConfig(
        mss=536, initial_rto=3.0, min_rto=0.5, max_rto=384.0, syn_retries=6, data_retries=12,
        delayed_ack=0.25, ack_every=2, msl=60.0, send_buffer=2 * 536, recv_buffer=4 * 536,
    ),
}
DEFAULT_TCP_PROFILE = "classic"

_FIELDS = {f.name for f in dataclasses.fields(TcpConfig) if f.init}


def tcp_profile(
    name: str, overrides: Mapping[str, Any] | None = None, *, field: str = "tcp"
) -> TcpConfig:
    """The ``TcpConfig`` of profile ``name``, with ``overrides`` (TcpConfig field names)
    applied. Unknown names or fields raise ``ConfigError`` naming ``field``."""
    if not isinstance(name, str) or name not in TCP_PROFILES:
        raise ConfigError(field, f"unknown TCP profile {name!r} (known: {', '.join(TCP_PROFILES)})")
    base = TCP_PROFILES[name]
    if not overrides:
        return base
    unknown = sorted(set(overrides) - _FIELDS)
    if unknown:
        raise ConfigError(
            f"{field}.{unknown[0]}",
            f"not a TCP parameter (expected one of {', '.join(sorted(_FIELDS))})",
        )
    try:
        return dataclasses.replace(base, **dict(overrides))
    except ConfigError as exc:
        raise ConfigError(f"{field}.{exc.field}", exc.message) from None


__all__ = ["DEFAULT_TCP_PROFILE", "TCP_PROFILES", "tcp_profile"]
