"""The C-speed HDLC framing (crc_hqx FCS, regex stuffing, span-wise deframing) gives exactly the
bytes and frames of the RFC 1662 per-byte algorithms (Appendix C.2 table FCS, §4.2 stuffing,
§7.1 ACCM), for any frames, any ACCM and any split of the wire bytes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from simnet.bearer.ppp.hdlc import FCS16_GOOD, HdlcDeframer, encode_frame, fcs16

TABLE = []
for _b in range(256):
    _v = _b
    for _ in range(8):
        _v = (_v >> 1) ^ 0x8408 if _v & 1 else _v >> 1
    TABLE.append(_v)


def ref_fcs(data: bytes, fcs: int = 0xFFFF) -> int:
    for b in data:
        fcs = (fcs >> 8) ^ TABLE[(fcs ^ b) & 0xFF]
    return fcs


def ref_encode(frame: bytes, accm: int) -> bytes:
    fcs = ref_fcs(frame) ^ 0xFFFF
    out = bytearray(b"\x7e")
    for b in frame + bytes((fcs & 0xFF, fcs >> 8)):
        if b in (0x7E, 0x7D) or (b < 0x20 and (accm >> b) & 1):
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return bytes(out + b"\x7e")


def ref_deframe(data: bytes, accm: int, max_frame: int) -> tuple[list[bytes], int]:
    frames, buf, esc, over, errors = [], bytearray(), False, False, 0
    for b in data:
        if b == 0x7E:
            if esc:
                errors += 1
                buf, esc, over = bytearray(), False, False
                continue
            if buf or over:
                good = not over and len(buf) >= 4 and ref_fcs(bytes(buf)) == FCS16_GOOD
                if good:
                    frames.append(bytes(buf[:-2]))
                else:
                    errors += 1
                buf, esc, over = bytearray(), False, False
            continue
        if b < 0x20 and (accm >> b) & 1:
            continue
        if over:
            continue
        if b == 0x7D:
            esc = True
            continue
        if esc:
            b ^= 0x20
            esc = False
        if len(buf) >= max_frame + 2:
            over = True
            buf.clear()
            continue
        buf.append(b)
    return frames, errors


ACCMS = st.sampled_from([0xFFFFFFFF, 0, 0x000A0000, 0x80000001])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.integers(0, 0xFFFF))
def test_fcs_matches_the_table(data, start):
    assert fcs16(data, start) == ref_fcs(data, start)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), ACCMS)
def test_encoding_matches_byte_by_byte_stuffing(frame, accm):
    assert encode_frame(frame, accm) == ref_encode(frame, accm)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.binary(max_size=60), max_size=5), st.binary(max_size=40), ACCMS,
       st.lists(st.integers(0, 400), max_size=6), st.integers(4, 64))
def test_deframing_matches_byte_by_byte_for_any_split(frames, noise, accm, cuts, max_frame):
    wire = b"".join(ref_encode(f, accm) for f in frames)
    # garbage, aborts and escapes at odd places
    wire = noise + wire + noise + b"\x7d\x7e" + noise + b"\x7d\x7d\x41\x7e"
    want_frames, want_errors = ref_deframe(wire, accm, max_frame)
    d = HdlcDeframer(rx_accm=accm, max_frame=max_frame)
    got: list[bytes] = []
    edges = sorted({0, len(wire), *(c % (len(wire) + 1) for c in cuts)})
    for a, b in zip(edges, edges[1:], strict=False):
        got += d.feed(wire[a:b])
    assert got == want_frames
    assert d.errors == want_errors
