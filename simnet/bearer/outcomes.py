"""One outcome vocabulary for every bearer procedure (see docs/outcomes.md).

Every bearer procedure (PIN check, registration wait, PDP activation and deactivation, CSD dial,
PPP negotiation, and the loss of an established bearer) ends in an ``Outcome``. Module dialects
map ``Outcome.kind`` (and ``cause`` where present) to their own vendor codes, so the vendor
tables live next to the dialects and the bearer layer never knows about AT result codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


class OutcomeKind(StrEnum):
    """Kinds of bearer outcome. Values are plain strings, so ``kind == "ok"`` works too."""

    OK = "ok"
    # SIM / registration (checked before any bearer procedure starts)
    SIM_ABSENT = "sim_absent"  # no SIM inserted, or removed at run time
    SIM_NOT_READY = "sim_not_ready"  # SIM waits for PIN or PUK
    NOT_REGISTERED = "not_registered"  # no CS/PS registration (searching, denied, no coverage)
    # GPRS session management (TS 24.008 §6.1.3)
    ATTACH_REJECT = "attach_reject"  # GPRS attach refused (GMM cause in ``cause``)
    PDP_REJECT = "pdp_reject"  # ACTIVATE PDP CONTEXT REJECT (SM cause in ``cause``)
    PDP_TIMEOUT = "pdp_timeout"  # T3380 expired the (max) time: the network never answered
    DEACTIVATED = "deactivated"  # network-initiated deactivation of an active context (SM cause)
    # GSM circuit-switched data call (TS 27.007 result codes of ATD)
    NO_CARRIER = "no_carrier"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CALL_REJECTED = "call_rejected"  # incoming call refused by the answering side
    # PPP (RFC 1661 / 1334 / 1994 / 1332)
    LCP_TIMEOUT = "lcp_timeout"  # peer silent: Max-Configure Configure-Requests unanswered
    LCP_FAILED = "lcp_failed"  # no convergence: Max-Failure Configure-Naks, or reject of a must
    AUTH_FAILED = "auth_failed"  # PAP Authenticate-Nak / CHAP Failure
    AUTH_TIMEOUT = "auth_timeout"  # authenticator never answered
    IPCP_FAILED = "ipcp_failed"  # IPCP rejected / did not converge / no address assigned
    IPCP_TIMEOUT = "ipcp_timeout"  # IPCP peer silent
    PEER_TERMINATED = "peer_terminated"  # peer sent Terminate-Request
    ECHO_TIMEOUT = "echo_timeout"  # LCP Echo-Requests unanswered on an open link
    # Loss of an established bearer (PDP context, CSD call, PPP link)
    NETWORK_LOST = "network_lost"  # bearer dropped, coverage lost, call dropped
    # Local reasons
    CANCELLED = "cancelled"  # the user aborted the procedure (hang-up, deactivate while pending)
    INVALID_STATE = "invalid_state"  # procedure not allowed now (undefined cid, already active)


# Kinds produced by a PPP negotiation, in the order of the phases they belong to.
PPP_FAILURE_KINDS: tuple[OutcomeKind, ...] = (
    OutcomeKind.LCP_TIMEOUT,
    OutcomeKind.LCP_FAILED,
    OutcomeKind.AUTH_TIMEOUT,
    OutcomeKind.AUTH_FAILED,
    OutcomeKind.IPCP_TIMEOUT,
    OutcomeKind.IPCP_FAILED,
    OutcomeKind.PEER_TERMINATED,
    OutcomeKind.ECHO_TIMEOUT,
)


@dataclass(frozen=True)
class Outcome:
    """The typed end of a bearer procedure.

    ``cause`` carries the 3GPP cause number where the network sent one (SM cause for
    ``pdp_reject`` / ``deactivated``, GMM cause for ``attach_reject``). ``ip``/``dns`` are set
    on a successful PDP activation or IPCP negotiation, ``rate`` on a CSD ``CONNECT``.
    """

    kind: OutcomeKind | str
    cause: int | None = None
    detail: str = ""
    ip: str | None = None
    dns: tuple[str, ...] = field(default=())
    rate: int | None = None
    cid: int | None = None
    peer_ip: str | None = None  # PPP: the address the peer announced for itself (IPCP)
    at: float | None = None  # virtual time the outcome was decided (for traces and tests)

    def __post_init__(self) -> None:
        # Normalise kind to the enum so comparisons and docs agree; unknown strings stay strings
        # (they can never come from this package, only from a caller building its own).
        try:
            object.__setattr__(self, "kind", OutcomeKind(self.kind))
        except ValueError:
            pass
        if not isinstance(self.dns, tuple):
            object.__setattr__(self, "dns", tuple(self.dns))

    @property
    def ok(self) -> bool:
        return self.kind == OutcomeKind.OK

    def stamped(self, when: float) -> Outcome:
        """A copy with ``at`` set (procedures stamp outcomes when they decide them)."""
        return replace(self, at=when)

    def to_fields(self) -> dict[str, object]:
        """Trace-record fields (only the ones that are set)."""
        out: dict[str, object] = {"outcome": str(self.kind)}
        if self.cause is not None:
            out["cause"] = self.cause
        if self.detail:
            out["detail"] = self.detail
        if self.ip is not None:
            out["ip"] = self.ip
        if self.dns:
            out["dns"] = list(self.dns)
        if self.rate is not None:
            out["rate"] = self.rate
        if self.cid is not None:
            out["cid"] = self.cid
        if self.peer_ip is not None:
            out["peer_ip"] = self.peer_ip
        return out


OK = Outcome(OutcomeKind.OK)
