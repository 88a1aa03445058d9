"""PPP frames as a host's own driver would build them, written from the RFCs (not from
simnet.bearer.ppp), so the story tests can check the operator's frames byte for byte.

RFC 1662 §3.1 (HDLC-like framing: flag 0x7e, address 0xff, control 0x03), §4.2 (escape 0x7d,
XOR 0x20), §7.1 (LCP packets always escape every character below 0x20), appendix C.2 (FCS-16).
RFC 1661 §5 (LCP packet: code, identifier, length), §6 (options); RFC 1334 §2.2 (PAP).
"""

from __future__ import annotations

import struct

FLAG, ESC = 0x7E, 0x7D
PROTO_LCP, PROTO_PAP, PROTO_IPCP = 0xC021, 0xC023, 0x8021
CONF_REQ, CONF_ACK, CONF_NAK, CONF_REJ, TERM_REQ, TERM_ACK = 1, 2, 3, 4, 5, 6
PAP_REQ, PAP_ACK, PAP_NAK = 1, 2, 3
OPT_ACCM, OPT_AUTH, OPT_MAGIC = 2, 3, 5


def fcs16(data: bytes) -> int:
    """RFC 1662 appendix C.2, bit by bit (polynomial x^16 + x^12 + x^5 + 1, reflected 0x8408)."""
    fcs = 0xFFFF
    for byte in data:
        fcs ^= byte
        for _ in range(8):
            fcs = (fcs >> 1) ^ 0x8408 if fcs & 1 else fcs >> 1
    return fcs ^ 0xFFFF


def packet(code: int, ident: int, data: bytes = b"") -> bytes:
    return struct.pack("!BBH", code, ident, 4 + len(data)) + data


def option(kind: int, value: bytes) -> bytes:
    return bytes((kind, 2 + len(value))) + value


def frame(protocol: int, info: bytes, accm: int = 0xFFFFFFFF) -> bytes:
    """One framed packet; characters below 0x20 whose ACCM bit is set are escaped."""
    body = b"\xff\x03" + struct.pack("!H", protocol) + info
    body += struct.pack("<H", fcs16(body))  # FCS goes least significant octet first
    out = bytearray([FLAG])
    for b in body:
        if b in (FLAG, ESC) or (b < 0x20 and accm >> b & 1):
            out += bytes((ESC, b ^ 0x20))
        else:
            out.append(b)
    out.append(FLAG)
    return bytes(out)


def pap_request(ident: int, user: str, password: str) -> bytes:
    u, p = user.encode(), password.encode()
    return packet(PAP_REQ, ident, bytes((len(u),)) + u + bytes((len(p),)) + p)


def pap_reply(code: int, ident: int, message: str) -> bytes:
    m = message.encode()
    return packet(code, ident, bytes((len(m),)) + m)
