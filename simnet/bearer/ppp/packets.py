"""PPP protocol numbers, control-packet codes and option codecs (RFC 1661/1332/1334/1994/1877).

Decoders return None for anything malformed instead of raising: a misbehaving peer's bytes are
data, not errors.
"""

from __future__ import annotations

import struct

from simnet.net.wire import describe as describe_ip

# Protocol field values (RFC 1661 §2, IANA PPP DLL protocol numbers)
PROTO_IP = 0x0021
PROTO_IPCP = 0x8021
PROTO_IPV6CP = 0x8057
PROTO_LCP = 0xC021
PROTO_PAP = 0xC023
PROTO_CHAP = 0xC223
PROTO_EAP = 0xC227  # RFC 3748
PROTO_CCP = 0x80FD  # RFC 1962

PROTOCOL_NAMES = {
    PROTO_IP: "IP",
    PROTO_IPCP: "IPCP",
    PROTO_IPV6CP: "IPV6CP",
    PROTO_LCP: "LCP",
    PROTO_PAP: "PAP",
    PROTO_CHAP: "CHAP",
    PROTO_EAP: "EAP",
    PROTO_CCP: "CCP",
}

# Control protocol codes (RFC 1661 §5)
CONF_REQ = 1
CONF_ACK = 2
CONF_NAK = 3
CONF_REJ = 4
TERM_REQ = 5
TERM_ACK = 6
CODE_REJ = 7
PROTO_REJ = 8
ECHO_REQ = 9
ECHO_REPLY = 10
DISCARD_REQ = 11

CODE_NAMES = {
    CONF_REQ: "Configure-Request",
    CONF_ACK: "Configure-Ack",
    CONF_NAK: "Configure-Nak",
    CONF_REJ: "Configure-Reject",
    TERM_REQ: "Terminate-Request",
    TERM_ACK: "Terminate-Ack",
    CODE_REJ: "Code-Reject",
    PROTO_REJ: "Protocol-Reject",
    ECHO_REQ: "Echo-Request",
    ECHO_REPLY: "Echo-Reply",
    DISCARD_REQ: "Discard-Request",
}

# LCP options (RFC 1661 §6)
LCP_MRU = 1
LCP_ACCM = 2
LCP_AUTH = 3
LCP_MAGIC = 5
LCP_QUALITY = 4
LCP_PFC = 7
LCP_ACFC = 8
LCP_CALLBACK = 13  # RFC 1570

# IPCP options (RFC 1332 §3, RFC 1877 §1)
IPCP_COMPRESSION = 2
IPCP_ADDRESS = 3
IPCP_DNS1 = 129
IPCP_NBNS1 = 130
IPCP_DNS2 = 131
IPCP_NBNS2 = 132

# PAP codes (RFC 1334 §2.2)
PAP_REQ = 1
PAP_ACK = 2
PAP_NAK = 3

# CHAP codes (RFC 1994 §4), algorithm 5 = MD5
CHAP_CHALLENGE = 1
CHAP_RESPONSE = 2
CHAP_SUCCESS = 3
CHAP_FAILURE = 4
CHAP_MD5 = 5
CHAP_MSCHAP = 0x80  # RFC 2433 (MS-CHAP v1)
CHAP_MSCHAP_V2 = 0x81  # RFC 2759

Options = list[tuple[int, bytes]]


def encode_packet(code: int, ident: int, data: bytes = b"") -> bytes:
    """A control packet: code, identifier, length, data (RFC 1661 §5)."""
    return struct.pack("!BBH", code & 0xFF, ident & 0xFF, 4 + len(data)) + data


def decode_packet(info: bytes) -> tuple[int, int, bytes] | None:
    """(code, identifier, data) or None; bytes beyond Length are padding and ignored."""
    if len(info) < 4:
        return None
    code, ident, length = struct.unpack_from("!BBH", info)
    if length < 4 or length > len(info):
        return None
    return code, ident, bytes(info[4:length])


def encode_options(options: Options) -> bytes:
    return b"".join(bytes((t & 0xFF, 2 + len(v))) + v for t, v in options)


def decode_options(data: bytes) -> Options | None:
    """Type-length-value options, or None if any option's length is impossible."""
    out: Options = []
    i = 0
    while i < len(data):
        if i + 2 > len(data):
            return None
        t, ln = data[i], data[i + 1]
        if ln < 2 or i + ln > len(data):
            return None
        out.append((t, bytes(data[i + 2 : i + ln])))
        i += ln
    return out


def u16(value: int) -> bytes:
    return struct.pack("!H", value & 0xFFFF)


def u32(value: int) -> bytes:
    return struct.pack("!I", value & 0xFFFFFFFF)


def ip_bytes(ip: str) -> bytes:
    parts = [int(p) for p in ip.split(".")]
    return bytes(parts)


def ip_str(raw: bytes) -> str:
    return ".".join(str(b) for b in raw)


def describe(protocol: int, info: bytes) -> str:
    """Short human description for traces: ``LCP Configure-Request id=1``."""
    name = PROTOCOL_NAMES.get(protocol, f"0x{protocol:04x}")
    if protocol == PROTO_IP:
        return f"IP {describe_ip(info)}"
    pkt = decode_packet(info)
    if pkt is None:
        return f"{name} (malformed)"
    code, ident, _ = pkt
    if protocol == PROTO_PAP:
        code_name = {
            PAP_REQ: "Authenticate-Request",
            PAP_ACK: "Authenticate-Ack",
            PAP_NAK: "Authenticate-Nak",
        }.get(code, str(code))
    elif protocol == PROTO_CHAP:
        code_name = {
            CHAP_CHALLENGE: "Challenge",
            CHAP_RESPONSE: "Response",
            CHAP_SUCCESS: "Success",
            CHAP_FAILURE: "Failure",
        }.get(code, str(code))
    else:
        code_name = CODE_NAMES.get(code, f"code {code}")
    return f"{name} {code_name} id={ident}"
