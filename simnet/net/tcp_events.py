"""What the sans-IO TCP engine (:mod:`simnet.net.tcp_engine`) hands its glue: typed, immutable
events, after python-hyper/h11's ``_events.py``.

- :class:`Segment`: one segment to transmit (queued in ``TcpConnection.out``);
- socket events (queued in ``TcpConnection.events``, taken with ``take_events()`` /
  ``next_event()``): :class:`StateChanged`, :class:`Connected`, :class:`DataReady`,
  :class:`Acked`, :class:`PeerFin`, :class:`Closed`, :class:`Retransmit`, :class:`GiveUp`.

They are NamedTuples (immutable and typed; the engine builds the per-packet ones with
``tuple.__new__``, which skips the constructor's Python frame); the argument-less ones have one
shared instance each
(:data:`CONNECTED`, :data:`DATA_READY`, :data:`PEER_FIN`). The glue dispatches on
``type(event)``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from simnet.kernel.units import Real
from simnet.net.tcp_state import CloseReason, TcpState


class Segment(NamedTuple):
    """A segment to transmit: 32-bit wire sequence numbers; ``options`` is 0 (none), an MSS
    value (SYNs of the classic engine) or a mapping of RFC 2018/7323 options
    (:mod:`simnet.net.tcp_options`)."""

    seq: int
    ack: int
    flags: int
    window: int
    payload: bytes
    options: int | dict[str, Any]


class StateChanged(NamedTuple):
    """RFC 9293 §3.3.2 state transition (traced as ``tcp_state``)."""

    old: TcpState
    new: TcpState


class Connected(NamedTuple):
    """The handshake completed (ESTABLISHED reached)."""


class DataReady(NamedTuple):
    """In-order data is waiting in the receive buffer (``recv()`` it)."""


class Acked(NamedTuple):
    """``n`` more bytes of ours were acknowledged (send buffer space freed)."""

    n: int


class PeerFin(NamedTuple):
    """The peer closed its direction (its FIN arrived in order)."""


class Closed(NamedTuple):
    """The connection ended; ``reason`` is also ``close_reason`` (traced as ``tcp_closed``)."""

    reason: CloseReason


class Retransmit(NamedTuple):
    """A retransmission (``kind`` ``syn``, ``rto`` or ``fast``) with the RTO then in force and
    the retry count (traced as ``tcp_retransmit``)."""

    kind: str
    rto: Real
    retries: int


class GiveUp(NamedTuple):
    """A retry budget ran out just before the timeout abort (``budget`` ``syn_retries``,
    ``data_retries``, ``connect_timeout``, ``persist_probes``, ``keepalive``)."""

    budget: str
    spent: int


CONNECTED = Connected()
DATA_READY = DataReady()
PEER_FIN = PeerFin()


TcpEvent = StateChanged | Connected | DataReady | Acked | PeerFin | Closed | Retransmit | GiveUp

__all__ = [
    "CONNECTED",
    "DATA_READY",
    "PEER_FIN",
    "Acked",
    "Closed",
    "Connected",
    "DataReady",
    "GiveUp",
    "PeerFin",
    "Retransmit",
    "Segment",
    "StateChanged",
    "TcpEvent",
]
