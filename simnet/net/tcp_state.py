"""TCP connection states and close reasons (StrEnums: the values are what the trace, the
socket API and the modem dialects print and compare)."""

from __future__ import annotations

from enum import StrEnum


class TcpState(StrEnum):
    """Connection states (RFC 9293 §3.3.2). LISTEN is a TcpListener in the glue, not a
    connection. The values are what the trace and ``TcpSocket.state`` print."""

    CLOSED = "CLOSED"
    SYN_SENT = "SYN_SENT"
    SYN_RCVD = "SYN_RCVD"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT_1 = "FIN_WAIT_1"
    FIN_WAIT_2 = "FIN_WAIT_2"
    CLOSE_WAIT = "CLOSE_WAIT"
    CLOSING = "CLOSING"
    LAST_ACK = "LAST_ACK"
    TIME_WAIT = "TIME_WAIT"


class CloseReason(StrEnum):
    """Why a connection ended (``TcpSocket.close_reason``, the ``closed`` event)."""

    LOCAL = "local"  # closed or aborted by its own side
    PEER_CLOSED = "peer_closed"  # orderly close by the peer (its FIN)
    REFUSED = "refused"  # RST in answer to our SYN
    TIMEOUT = "timeout"  # retransmissions (or the connect timeout) ran out
    RESET = "reset"  # RST on an established connection
    NETWORK_DOWN = "network_down"  # the host's interface went down
    KEEPALIVE = "keepalive"  # keepalive probes unanswered
