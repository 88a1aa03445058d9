"""What the sans-IO server engines hand the glue: typed, immutable events, after
python-hyper/h11's ``_events.py``. Every engine input (``start``, ``receive``,
``connection_lost``, ``idle_timeout``, FTP's data-connection outcomes) returns the list of
events it causes; :class:`~simnet.servers.service.LineSession` carries them out in order."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Write:
    """Bytes to write on the connection; ``log`` is the reply text recorded in the service log."""

    data: bytes
    log: str | None = None


@dataclass(frozen=True, slots=True)
class LineReceived:
    """A command line the engine accepted for processing (recorded in the service log)."""

    line: str


@dataclass(frozen=True, slots=True)
class Close:
    """Close the connection once queued bytes are sent (``reset``: abort with RST now)."""

    reset: bool = False


# FTP's data connection (RFC 959 §3.2, RFC 2428).
@dataclass(frozen=True, slots=True)
class OpenPassive:
    """Listen for the client's data connection (PASV 227, or EPSV 229 when ``extended``)."""

    extended: bool


@dataclass(frozen=True, slots=True)
class DataTransfer:
    """Move ``payload`` over the data connection (``direction`` "send": RETR/LIST/NLST) or
    receive into the store ("recv": STOR/APPE)."""

    direction: str
    payload: bytes = b""
    passive: bool = True
    address: tuple[str, int] | None = None  # active mode target
    limit: int = 0  # recv: abort when more than this many bytes arrive
    # an injected completion failure: 425 (no data connection is made), 426 (the data
    # connection is reset), others (the transfer runs, then this code replaces 226)
    fail: int | None = None


@dataclass(frozen=True, slots=True)
class CloseData:
    """Close the data connection."""


ServerEvent = Write | LineReceived | Close | OpenPassive | DataTransfer | CloseData

__all__ = [
    "Close",
    "CloseData",
    "DataTransfer",
    "LineReceived",
    "OpenPassive",
    "ServerEvent",
    "Write",
]
