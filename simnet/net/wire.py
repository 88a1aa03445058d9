"""IPv4 datagrams as bytes: the codec between the light ``Packet`` and the wire.

Used where simulated IP meets a byte stream - IP over PPP towards a host's own stack (pppd in a
guest, the DTE's PPP client) - so it must be exact and fast: headers and checksums per RFC 791
(IPv4), RFC 9293 §3.1 (TCP), RFC 768 (UDP), RFC 792 (ICMP), RFC 1071 (checksum), without scapy.

``encode(pkt)`` gives the datagram; ``decode(data)`` gives a ``Packet`` or the reason it is
not acceptable (``Rejected``): bad header, bad checksum, fragment. The simulated stacks know
the TCP options MSS, SACK-permitted, SACK, timestamps and window scale (RFC 9293, 2018,
7323): those cross as they are; any other option is dropped on decoding, as by a middlebox
that strips it. Nothing here raises on input.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import Any

from simnet.net.packet import IPV4_HEADER, PROTO_ICMP, PROTO_TCP, PROTO_UDP, Packet

ICMP_ERROR_TYPES = frozenset((3, 4, 5, 11, 12))  # RFC 792 messages quoting an offending datagram
_IP_HDR = struct.Struct("!BBHHHBBH4s4s")
_TCP_HDR = struct.Struct("!HHIIBBHHH")
_UDP_HDR = struct.Struct("!HHHH")
_ICMP_HDR = struct.Struct("!BBHHH")


@dataclass(frozen=True)
class Rejected:
    """Why a byte string is not an IPv4 datagram the simulation can carry."""

    reason: str  # truncated, not_ipv4, bad_header, header_checksum, checksum, fragment


def checksum(data: bytes) -> int:
    """RFC 1071 Internet checksum of ``data`` (the value to put in the header)."""
    if len(data) & 1:
        data = data + b"\x00"
    # The data as one big-endian number is the sum of its 16-bit words times powers of 65536,
    # and 65536 = 1 (mod 65535): so the number mod 65535 is the word sum mod 65535, which the
    # end-around carries of RFC 1071 §2(C) compute - 0xFFFF standing for a non-zero sum the
    # modulus maps to 0. One C-level division instead of a sum over every word.
    value = int.from_bytes(data, "big")
    folded = value % 0xFFFF or (0xFFFF if value else 0)
    return ~folded & 0xFFFF


def _ip_bytes(ip: str) -> bytes:
    try:
        return socket.inet_aton(ip)
    except (OSError, TypeError):
        return b"\x00\x00\x00\x00"


def _transport(pkt: Packet, src: bytes, dst: bytes) -> bytes:
    proto = pkt.proto
    payload = bytes(pkt.payload) if isinstance(pkt.payload, bytes | bytearray) else b""
    if proto == PROTO_TCP:
        options = _encode_tcp_options(pkt.options) if pkt.options else b""
        offset = (20 + len(options)) // 4
        header = (
            _TCP_HDR.pack(
                int(pkt.sport) & 0xFFFF,
                int(pkt.dport) & 0xFFFF,
                int(pkt.seq) & 0xFFFFFFFF,
                int(pkt.ack) & 0xFFFFFFFF,
                offset << 4,
                int(pkt.flags) & 0xFF,
                max(0, min(0xFFFF, int(pkt.window))),
                0,
                0,
            )
            + options
        )
        segment = header + payload
        pseudo = src + dst + struct.pack("!BBH", 0, PROTO_TCP, len(segment))
        csum = checksum(pseudo + segment)
        if pkt.corrupted:
            csum ^= 0x5A5A  # the link damaged it: the receiver's check must fail
        return segment[:16] + struct.pack("!H", csum) + segment[18:]
    if proto == PROTO_UDP:
        length = 8 + len(payload)
        datagram = (
            _UDP_HDR.pack(int(pkt.sport) & 0xFFFF, int(pkt.dport) & 0xFFFF, length, 0) + payload
        )
        pseudo = src + dst + struct.pack("!BBH", 0, PROTO_UDP, length)
        csum = checksum(pseudo + datagram) or 0xFFFF  # RFC 768: a computed zero is sent as ones
        if pkt.corrupted:
            csum ^= 0x5A5A
        return datagram[:6] + struct.pack("!H", csum) + datagram[8:]
    if proto == PROTO_ICMP:
        if pkt.quoted is not None and pkt.icmp_type in ICMP_ERROR_TYPES:
            # RFC 792: unused word, then the offending datagram's header + 64 bits of its data
            body = b"\x00\x00\x00\x00" + _quoted_bytes(pkt.quoted)
        else:
            body = (
                struct.pack("!HH", int(pkt.icmp_id) & 0xFFFF, int(pkt.icmp_seq) & 0xFFFF) + payload
            )
        message = (
            struct.pack("!BBH", int(pkt.icmp_type) & 0xFF, int(pkt.icmp_code) & 0xFF, 0) + body
        )
        csum = checksum(message)
        if pkt.corrupted:
            csum ^= 0x5A5A
        return message[:2] + struct.pack("!H", csum) + message[4:]
    return payload


def encode(pkt: Packet) -> bytes:
    """The IPv4 datagram for ``pkt`` (no IP options, DF clear, checksums computed)."""
    src = _ip_bytes(pkt.src)
    dst = _ip_bytes(pkt.dst)
    body = _transport(pkt, src, dst)
    return _ip_header(pkt, src, dst, IPV4_HEADER + len(body)) + body


def _ip_header(pkt: Packet, src: bytes, dst: bytes, total: int) -> bytes:
    header = _IP_HDR.pack(
        0x45,
        int(pkt.tos) & 0xFF,
        min(total, 0xFFFF),
        int(pkt.ident) & 0xFFFF,
        0,
        max(0, min(255, int(pkt.ttl))),
        int(pkt.proto) & 0xFF,
        0,
        src,
        dst,
    )
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:]


def _quoted_bytes(q: Packet) -> bytes:
    """Header + first 8 data bytes of an offending datagram; its length field keeps the
    original size (the rest was cut off by whoever quoted it)."""
    src, dst = _ip_bytes(q.src), _ip_bytes(q.dst)
    return (_ip_header(q, src, dst, max(int(q.size), IPV4_HEADER + 8)) + _transport(q, src, dst))[
        : IPV4_HEADER + 8
    ]


def decode(data: bytes) -> Packet | Rejected:
    """A ``Packet`` for one IPv4 datagram, or why it cannot be one."""
    data = bytes(data)
    if len(data) < IPV4_HEADER:
        return Rejected("truncated")
    ver_ihl, tos, total, ident, frag, ttl, proto, _csum, src_raw, dst_raw = _IP_HDR.unpack_from(
        data
    )
    if ver_ihl >> 4 != 4:
        return Rejected("not_ipv4")
    ihl = (ver_ihl & 0x0F) * 4
    if ihl < IPV4_HEADER or total < ihl:
        return Rejected("bad_header")
    if len(data) < total:
        return Rejected("truncated")
    if checksum(data[:ihl]) != 0:
        return Rejected("header_checksum")
    if frag & 0x3FFF:  # More Fragments set or an offset: reassembly is not modelled
        return Rejected("fragment")
    body = data[ihl:total]
    src, dst = socket.inet_ntoa(src_raw), socket.inet_ntoa(dst_raw)
    pkt = _decode_transport(proto, body, src_raw, dst_raw, src, dst, ttl, ident)
    if isinstance(pkt, Rejected):
        return pkt
    pkt.size = total
    pkt.tos = tos
    return pkt


def _decode_transport(
    proto: int,
    body: bytes,
    src_raw: bytes,
    dst_raw: bytes,
    src: str,
    dst: str,
    ttl: int,
    ident: int,
    *,
    quoted: bool = False,
) -> Packet | Rejected:
    if proto == PROTO_TCP:
        if len(body) < 20 and not (quoted and len(body) >= 8):
            return Rejected("truncated")
        if quoted:
            sport, dport, seq = struct.unpack_from("!HHI", body)
            return Packet(
                src, dst, PROTO_TCP, ttl=ttl, ident=ident, sport=sport, dport=dport, seq=seq
            )
        sport, dport, seq, ack, off, flags, window, _c, _u = _TCP_HDR.unpack_from(body)
        hlen = (off >> 4) * 4
        if hlen < 20 or hlen > len(body):
            return Rejected("bad_header")
        pseudo = src_raw + dst_raw + struct.pack("!BBH", 0, PROTO_TCP, len(body))
        if checksum(pseudo + body) != 0:
            return Rejected("checksum")
        options = _tcp_options(body[20:hlen])
        return Packet(
            src,
            dst,
            PROTO_TCP,
            ttl=ttl,
            ident=ident,
            sport=sport,
            dport=dport,
            seq=seq,
            ack=ack,
            flags=flags,
            window=window,
            options=options,
            payload=body[hlen:],
        )
    if proto == PROTO_UDP:
        if len(body) < 8:
            return Rejected("truncated")
        sport, dport, length, csum = _UDP_HDR.unpack_from(body)
        if quoted:
            return Packet(src, dst, PROTO_UDP, ttl=ttl, ident=ident, sport=sport, dport=dport)
        if length < 8 or length > len(body):
            return Rejected("bad_header")
        body = body[:length]
        if csum:
            pseudo = src_raw + dst_raw + struct.pack("!BBH", 0, PROTO_UDP, length)
            if checksum(pseudo + body) != 0:
                return Rejected("checksum")
        return Packet(
            src, dst, PROTO_UDP, ttl=ttl, ident=ident, sport=sport, dport=dport, payload=body[8:]
        )
    if proto == PROTO_ICMP:
        if len(body) < 8:
            return Rejected("truncated")
        icmp_type, code, _c, ident_field, seq_field = _ICMP_HDR.unpack_from(body)
        if not quoted and checksum(body) != 0:
            return Rejected("checksum")
        if icmp_type in ICMP_ERROR_TYPES and not quoted:
            inner = _decode_quoted(body[8:])
            if isinstance(inner, Rejected):
                return inner
            return Packet(
                src,
                dst,
                PROTO_ICMP,
                ttl=ttl,
                ident=ident,
                icmp_type=icmp_type,
                icmp_code=code,
                quoted=inner,
            )
        return Packet(
            src,
            dst,
            PROTO_ICMP,
            ttl=ttl,
            ident=ident,
            icmp_type=icmp_type,
            icmp_code=code,
            icmp_id=ident_field,
            icmp_seq=seq_field,
            payload=b"" if quoted else body[8:],
        )
    # Another protocol (IGMP, GRE, ...): carried as opaque payload; the receiver answers
    # protocol-unreachable.
    return Packet(src, dst, proto, ttl=ttl, ident=ident, payload=body)


def _decode_quoted(data: bytes) -> Packet | Rejected:
    """The offending datagram inside an ICMP error: its header and first 8 bytes of data."""
    if len(data) < IPV4_HEADER + 8:
        return Rejected("truncated")
    ver_ihl, _tos, total, ident, _frag, ttl, proto, _csum, src_raw, dst_raw = _IP_HDR.unpack_from(
        data
    )
    ihl = (ver_ihl & 0x0F) * 4
    if ver_ihl >> 4 != 4 or ihl < IPV4_HEADER or len(data) < ihl + 8:
        return Rejected("bad_header")
    inner = _decode_transport(
        proto,
        data[ihl : ihl + 8],
        src_raw,
        dst_raw,
        socket.inet_ntoa(src_raw),
        socket.inet_ntoa(dst_raw),
        ttl,
        ident,
        quoted=True,
    )
    if isinstance(inner, Packet):
        inner.size = total
    return inner


def _encode_tcp_options(opts: dict[str, Any]) -> bytes:
    """Options in the order Linux writes them (MSS, SACK-permitted, timestamps, NOP + window
    scale, NOP NOP + SACK blocks), padded with End-of-Option-List to a 32-bit boundary."""
    out = bytearray()
    if "mss" in opts:
        out += struct.pack("!BBH", 2, 4, int(opts["mss"]) & 0xFFFF)
    if opts.get("sack_ok"):
        out += b"\x04\x02"
    ts = opts.get("ts")
    if isinstance(ts, tuple) and len(ts) == 2:
        out += struct.pack("!BBII", 8, 10, int(ts[0]) & 0xFFFFFFFF, int(ts[1]) & 0xFFFFFFFF)
    if "wscale" in opts:
        out += struct.pack("!BBBB", 1, 3, 3, int(opts["wscale"]) & 0xFF)
    blocks = opts.get("sack")
    if blocks:
        out += struct.pack("!BBBB", 1, 1, 5, 2 + 8 * len(blocks))
        for left, right in blocks:
            out += struct.pack("!II", int(left) & 0xFFFFFFFF, int(right) & 0xFFFFFFFF)
    out += b"\x00" * (-len(out) % 4)
    return bytes(out)


def _tcp_options(raw: bytes) -> dict[str, Any] | None:
    """The options the simulated stacks know (RFC 9293 §3.2 MSS, RFC 2018 SACK-permitted and
    SACK, RFC 7323 timestamps and window scale), as the engines' mapping; others are dropped."""
    opts: dict[str, Any] = {}
    i = 0
    while i < len(raw):
        kind = raw[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(raw) or raw[i + 1] < 2 or i + raw[i + 1] > len(raw):
            break  # malformed: keep what was read so far
        length = raw[i + 1]
        value = raw[i + 2 : i + length]
        if kind == 2 and length == 4:
            opts["mss"] = int.from_bytes(value, "big")
        elif kind == 4 and length == 2:
            opts["sack_ok"] = True
        elif kind == 8 and length == 10:
            opts["ts"] = struct.unpack("!II", value)
        elif kind == 3 and length == 3:
            opts["wscale"] = value[0]
        elif kind == 5 and length >= 10 and (length - 2) % 8 == 0:
            opts["sack"] = tuple(
                struct.unpack_from("!II", value, j) for j in range(0, length - 2, 8)
            )
        i += length
    return opts or None


def describe(data: bytes) -> str:
    """One line for traces: the packet summary, or why the bytes are not a datagram."""
    pkt = decode(data)
    if isinstance(pkt, Rejected):
        return f"IPv4 ({pkt.reason}, {len(data)} bytes)"
    return pkt.summary()


__all__ = ["Rejected", "checksum", "decode", "describe", "encode"]
