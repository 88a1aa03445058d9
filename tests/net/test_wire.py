"""IPv4 wire codec: checksums per RFC 1071, datagrams byte-identical to scapy's, decoding
checks everything a receiving stack checks."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simnet.net import wire
from simnet.net.icmp import DEST_UNREACHABLE, PORT_UNREACHABLE, make_error
from simnet.net.packet import ACK, PROTO_ICMP, PROTO_TCP, PROTO_UDP, PSH, SYN, Packet
from simnet.net.pcap import frame_bytes


def test_checksum_rfc1071_example():
    # RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum is its complement
    assert wire.checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0xFFFF - 0xDDF2
    # odd length: padded with a zero byte
    assert wire.checksum(b"\x01") == 0xFFFF - 0x0100


def rfc1071(data: bytes) -> int:
    """RFC 1071 §4.1's algorithm word by word: add 16-bit words, fold the carries, complement."""
    if len(data) % 2:
        data += b"\x00"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


@settings(max_examples=500)
@given(
    st.one_of(
        st.binary(max_size=1600),
        st.lists(st.sampled_from([b"\x00", b"\xff"]), max_size=40).map(b"".join),
    )
)
def test_checksum_is_rfc1071_for_any_bytes(data):
    assert wire.checksum(data) == rfc1071(data)


SAMPLES = [
    Packet(
        "10.64.0.2",
        "93.184.216.34",
        PROTO_TCP,
        ttl=64,
        ident=7,
        sport=50000,
        dport=7,
        seq=1,
        ack=0,
        flags=SYN,
        window=65535,
        options={"mss": 1460},
    ),
    Packet(
        "93.184.216.34",
        "10.64.0.2",
        PROTO_TCP,
        ttl=50,
        ident=9,
        sport=7,
        dport=50000,
        seq=99,
        ack=2,
        flags=ACK | PSH,
        window=8192,
        payload=b"hello world",
    ),
    Packet(
        "10.64.0.2",
        "10.64.0.53",
        PROTO_UDP,
        ident=1,
        sport=40000,
        dport=53,
        payload=b"\x12\x34query",
    ),
    Packet(
        "10.64.0.2",
        "8.8.8.8",
        PROTO_ICMP,
        ident=3,
        icmp_type=8,
        icmp_id=0x4242,
        icmp_seq=5,
        payload=bytes(range(56)),
    ),
]


@pytest.mark.parametrize("pkt", SAMPLES, ids=lambda p: p.summary()[:20])
def test_encode_matches_scapy(pkt):
    # scapy (third party) builds the same datagram with its own checksum code
    assert wire.encode(pkt) == frame_bytes(pkt)


@pytest.mark.parametrize("pkt", SAMPLES, ids=lambda p: p.summary()[:20])
def test_roundtrip(pkt):
    back = wire.decode(wire.encode(pkt))
    assert isinstance(back, Packet)
    for name in (
        "src",
        "dst",
        "proto",
        "ttl",
        "ident",
        "sport",
        "dport",
        "seq",
        "ack",
        "flags",
        "window",
        "payload",
        "icmp_type",
        "icmp_id",
        "icmp_seq",
        "size",
    ):
        assert getattr(back, name) == getattr(pkt, name), name
    assert back.options == pkt.options


def test_icmp_error_quotes_offending_header():
    offending = SAMPLES[2].copy()
    err = make_error("93.184.216.34", offending, DEST_UNREACHABLE, PORT_UNREACHABLE)
    data = wire.encode(err)
    # RFC 792: the quoted header is the original one, so its Total Length is the original
    # datagram's (scapy's export rebuilds it from the truncated copy, so it differs there)
    assert struct.unpack_from("!H", data, 28 + 2)[0] == offending.size
    assert data[:20] == frame_bytes(err)[:20] and len(data) == 56
    back = wire.decode(data)
    assert isinstance(back, Packet) and back.quoted is not None
    assert (back.quoted.src, back.quoted.dst, back.quoted.sport, back.quoted.dport) == (
        "10.64.0.2",
        "10.64.0.53",
        40000,
        53,
    )
    assert back.quoted.size == offending.size


def test_decode_rejects_what_a_stack_drops():
    good = bytearray(wire.encode(SAMPLES[1]))
    bad_tcp = bytearray(good)
    bad_tcp[-1] ^= 0xFF
    assert wire.decode(bytes(bad_tcp)) == wire.Rejected("checksum")
    bad_ip = bytearray(good)
    bad_ip[8] ^= 1  # TTL changed without fixing the header checksum
    assert wire.decode(bytes(bad_ip)) == wire.Rejected("header_checksum")
    frag = bytearray(good)
    frag[6:8] = struct.pack("!H", 0x2000)  # More Fragments
    frag[10:12] = b"\0\0"
    frag[10:12] = struct.pack("!H", wire.checksum(bytes(frag[:20])))
    assert wire.decode(bytes(frag)) == wire.Rejected("fragment")
    assert wire.decode(bytes(good[:30])) == wire.Rejected("truncated")
    assert wire.decode(b"\x60" + bytes(39)) == wire.Rejected("not_ipv4")
    assert wire.decode(b"") == wire.Rejected("truncated")


def test_linux_syn_options_cross_as_the_engines_mapping():
    # A Linux SYN: MSS, SACK-permitted, timestamps, NOP, window scale (RFC 7323/2018)
    options = bytes.fromhex("020405b40402080a000000010000000001030307")  # 20 bytes
    body = struct.pack(
        "!HHIIBBHHH", 40000, 7, 1000, 0, ((20 + len(options)) // 4) << 4, SYN, 64240, 0, 0
    )
    seg = body + options
    src, dst = bytes([10, 64, 0, 2]), bytes([1, 2, 3, 4])
    csum = wire.checksum(src + dst + struct.pack("!BBH", 0, 6, len(seg)) + seg)
    seg = seg[:16] + struct.pack("!H", csum) + seg[18:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 1, 0x4000, 64, 6, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", wire.checksum(hdr)) + hdr[12:]
    pkt = wire.decode(hdr + seg)
    assert isinstance(pkt, Packet)
    assert pkt.options == {"mss": 1460, "sack_ok": True, "ts": (1, 0), "wscale": 7}
    assert pkt.window == 64240 and pkt.flags == SYN
    assert pkt.size == 20 + len(seg)  # the size on the wire, options included
    # and back out in Linux's own order: the same option bytes
    assert wire.encode(pkt)[40:60] == options


def test_option_rich_segments_match_scapy():
    # SACK blocks and timestamps as the extended engine emits them (RFC 2018 §3, RFC 7323)
    pkt = Packet(
        "203.0.113.10",
        "10.64.0.2",
        PROTO_TCP,
        ident=4,
        sport=7,
        dport=40000,
        seq=5,
        ack=9,
        flags=ACK,
        window=500,
        options={"ts": (77, 66), "sack": ((100, 200), (300, 400))},
        payload=b"abc",
    )
    assert wire.encode(pkt) == frame_bytes(pkt)
    back = wire.decode(wire.encode(pkt))
    assert isinstance(back, Packet) and back.options == pkt.options


def test_garbage_never_raises():
    import random

    rng = random.Random(5)
    for _ in range(2000):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(60)))
        if data:
            data = b"\x45" + data[1:]
        wire.decode(data)
        wire.describe(data)
