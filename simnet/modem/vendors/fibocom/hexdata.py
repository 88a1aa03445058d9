"""Hex payloads of the Fibocom dialect (§1.1.6.4, §1.1.9.4), kept apart from the handlers so
they can be tested byte for byte without a module. Address checks are in
:mod:`simnet.modem.addresses`, NTP packets in :mod:`simnet.modem.ntp_client`."""

from __future__ import annotations


def decode_hex(text: str) -> bytes | None:
    """<Data> of +MIPSEND (§1.1.6.4): pairs of 0-F digits; None when malformed."""
    if len(text) & 1:
        return None
    try:
        data = bytes.fromhex(text)
    except ValueError:
        return None
    # bytes.fromhex skips whitespace between pairs: then fewer bytes come out than pairs went in
    return data if 2 * len(data) == len(text) else None


def encode_hex(data: bytes) -> str:
    """Received data as +MIPRTCP/+MIPRUDP print it (§1.1.9.4): upper-case hex digits."""
    return data.hex().upper()
