"""3GPP cause values the bearer layer may carry in an ``Outcome``.

Tables carried from 3GPP TS 24.008 (they are not in /work/shared/specs; the module manuals only
refer to them). A configured cause outside these tables is a ``ConfigError``: a scenario that asks
the network to reject with an undefined cause is a mistake, not a fault to simulate.
"""

from __future__ import annotations

from simnet.errors import ConfigError

# TS 24.008 §10.5.6.6 "SM cause" (session management: PDP context activation/deactivation).
SM_CAUSES: dict[int, str] = {
    8: "Operator Determined Barring",
    24: "MBMS bearer capabilities insufficient for the service",
    25: "LLC or SNDCP failure",
    26: "Insufficient resources",
    27: "Missing or unknown APN",
    28: "Unknown PDP address or PDP type",
    29: "User authentication failed",
    30: "Activation rejected by GGSN, Serving GW or PDN GW",
    31: "Activation rejected, unspecified",
    32: "Service option not supported",
    33: "Requested service option not subscribed",
    34: "Service option temporarily out of order",
    35: "NSAPI already used",
    36: "Regular deactivation",
    37: "QoS not accepted",
    38: "Network failure",
    39: "Reactivation requested",
    40: "Feature not supported",
    41: "Semantic error in the TFT operation",
    42: "Syntactical error in the TFT operation",
    43: "Unknown PDP context",
    44: "Semantic errors in packet filter(s)",
    45: "Syntactical errors in packet filter(s)",
    46: "PDP context without TFT already activated",
    47: "Multicast group membership time-out",
    48: "Request rejected, Bearer Control Mode violation",
    50: "PDP type IPv4 only allowed",
    51: "PDP type IPv6 only allowed",
    52: "Single address bearers only allowed",
    56: "Collision with network initiated request",
    60: "Bearer handling not supported",
    65: "Maximum number of PDP contexts reached",
    66: "Requested APN not supported in current RAT and PLMN combination",
    81: "Invalid transaction identifier value",
    95: "Semantically incorrect message",
    96: "Invalid mandatory information",
    97: "Message type non-existent or not implemented",
    98: "Message type not compatible with the protocol state",
    99: "Information element non-existent or not implemented",
    100: "Conditional IE error",
    101: "Message not compatible with the protocol state",
    111: "Protocol error, unspecified",
    112: "APN restriction value incompatible with active PDP context",
    113: "Multiple accesses to a PDN connection not allowed",
}

# TS 24.008 §10.5.5.14 "GMM cause" (GPRS attach reject), the values a network plausibly sends.
GMM_CAUSES: dict[int, str] = {
    2: "IMSI unknown in HLR",
    3: "Illegal MS",
    6: "Illegal ME",
    7: "GPRS services not allowed",
    8: "GPRS services and non-GPRS services not allowed",
    10: "Implicitly detached",
    11: "PLMN not allowed",
    12: "Location Area not allowed",
    13: "Roaming not allowed in this location area",
    14: "GPRS services not allowed in this PLMN",
    15: "No Suitable Cells In Location Area",
    17: "Network failure",
    22: "Congestion",
    111: "Protocol error, unspecified",
}

# Causes the network uses on its own initiative (TS 24.008 §6.1.3.4.2: network-initiated
# PDP context deactivation); #36 regular deactivation is the default.
DEFAULT_NETWORK_DEACTIVATION_CAUSE = 36


def _validate(value: object, field: str, table: dict[int, str], what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(field, f"expected an integer {what} cause (TS 24.008), got {value!r}")
    if value not in table:
        known = ", ".join(str(k) for k in sorted(table))
        raise ConfigError(field, f"{value} is not a TS 24.008 {what} cause (allowed: {known})")
    return value


def validate_sm_cause(value: object, field: str) -> int:
    """An SM cause number from TS 24.008 §10.5.6.6, or ``ConfigError`` naming ``field``."""
    return _validate(value, field, SM_CAUSES, "SM")


def validate_gmm_cause(value: object, field: str) -> int:
    """A GMM cause number from TS 24.008 §10.5.5.14, or ``ConfigError`` naming ``field``."""
    return _validate(value, field, GMM_CAUSES, "GMM")
