"""What the sans-IO PPP endpoint (:mod:`simnet.bearer.ppp.endpoint`) hands its glue: typed,
immutable events, after python-hyper/h11's ``_events.py``. The glue drains them with
``PppEndpoint.take_events()`` (or one at a time with ``next_event()``) and carries them out:
frames to transmit, timers to (re)arm, phase changes, the negotiation's result, the end of
the link, IP datagrams from the peer."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from simnet.bearer.outcomes import Outcome


class Phase(StrEnum):
    DEAD = "dead"
    ESTABLISH = "establish"
    AUTHENTICATE = "authenticate"
    NETWORK = "network"
    RUNNING = "running"  # IPCP opened: IP datagrams may flow
    TERMINATE = "terminate"


@dataclass(frozen=True, slots=True)
class SendPacket:
    """A PPP packet to transmit: ``protocol`` field and information (the glue frames it)."""

    protocol: int
    info: bytes


@dataclass(frozen=True, slots=True)
class SetTimer:
    """(Re)arm timer ``key`` to fire after ``delay`` seconds; ``delay=None`` cancels it."""

    key: str
    delay: float | None


@dataclass(frozen=True, slots=True)
class PhaseChange:
    """The link entered ``phase`` (RFC 1661 §3.2)."""

    phase: Phase


@dataclass(frozen=True, slots=True)
class Result:
    """The negotiation is decided (ok with addresses, or why it failed); emitted once."""

    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Ended:
    """The link is over (failure before or loss after establishment); emitted once."""

    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Datagram:
    """A network-layer packet (IPv4) the peer sent over the opened link."""

    protocol: int
    data: bytes


PppEvent = SendPacket | SetTimer | PhaseChange | Result | Ended | Datagram
