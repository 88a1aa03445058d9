"""eDsoft serial framing, byte for byte and under hypothesis: DLE/ETX (§4.2.1, §4.3.1, §5.1.1,
§6.2.1) and the mail terminator CR LF . CR LF (§3.2.2, §3.4.2). Expected bytes are written out
from the manual's rules, not computed by the code under test."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from simnet.modem.vendors.wavecom.edsoft.framing import (
    MailEndDetector,
    StreamDecoder,
    dot_stuff,
    escape,
    frame,
    seven_bit,
)

ETX, DLE = 0x03, 0x10


def test_module_to_host_escapes_etx_and_dle_and_ends_with_etx():
    assert escape(b"A\x03B\x10C") == b"A\x10\x03B\x10\x10C"
    assert frame(b"\x03\x10\x03") == b"\x10\x03\x10\x10\x10\x03\x03"
    assert frame(b"") == b"\x03"
    assert escape(b"\x00\x01\x02\xff\r\n") == b"\x00\x01\x02\xff\r\n"  # nothing else is touched


def test_host_to_module_decodes_and_stops_at_the_bare_etx():
    dec = StreamDecoder(dle=True)
    payload, ended, used = dec.feed(b"A\x10\x03B\x10\x10C\x03AT\r")
    assert (payload, ended, used) == (b"A\x03B\x10C", True, 8)  # "AT\r" after the ETX is not data


def test_an_escape_split_across_chunks_keeps_the_literal():
    dec = StreamDecoder(dle=True)
    assert dec.feed(b"x\x10") == (b"x", False, 2)
    assert dec.feed(b"\x03y") == (b"\x03y", False, 2)
    assert dec.feed(b"\x03") == (b"", True, 1)


def test_dlemode_0_is_raw_and_never_ends():
    dec = StreamDecoder(dle=False)
    assert dec.feed(b"\x03\x10\x03") == (b"\x03\x10\x03", False, 3)


def test_mail_end_found_whole_and_split():
    det = MailEndDetector()
    assert det.feed(b"line 1\r\n..dotted\r\n.\r\nAT\r") == (
        b"line 1\r\n..dotted\r\n.\r\n",
        True,
        21,
    )
    det = MailEndDetector()
    assert det.feed(b"body\r\n.") == (b"body\r\n.", False, 7)
    assert det.feed(b"\r") == (b"\r", False, 1)
    assert det.feed(b"\nX") == (b"\n", True, 1)


def test_an_empty_mail_is_just_the_dot_line():
    det = MailEndDetector()
    assert det.feed(b".\r\n") == (b".\r\n", True, 3)


def test_a_dot_inside_a_line_or_a_bare_lf_dot_does_not_end_the_mail():
    det = MailEndDetector()
    assert det.feed(b"a.\r\nb\n.\nc\r\n. \r\n") == (b"a.\r\nb\n.\nc\r\n. \r\n", False, 15)


def test_dot_stuffing_of_a_stored_body():
    assert dot_stuff(b".hidden\n..two\nplain") == b"..hidden\r\n...two\r\nplain\r\n"
    assert dot_stuff(b"") == b""


def test_ftp_ascii_clears_the_top_bit():
    assert seven_bit(b"\x80\xff\x41\x7f") == b"\x00\x7f\x41\x7f"


# -- hypothesis: no byte lost, duplicated or left unescaped ----------------------------------------

payloads = st.binary(max_size=600)


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    out, last = [], 0
    for p in points + [len(data)]:
        out.append(data[last:p])
        last = p
    return out


@settings(max_examples=300, deadline=None)
@given(payloads, st.lists(st.integers(min_value=0, max_value=10_000), max_size=8))
def test_escape_then_decode_in_any_chunks_gives_the_payload_back(payload: bytes, cuts: list[int]):
    wire = frame(payload) + b"AT\r"
    dec = StreamDecoder(dle=True)
    got, ended, consumed_total = bytearray(), False, 0
    for chunk in _chunks(wire, cuts):
        while chunk and not ended:
            part, ended, used = dec.feed(chunk)
            got += part
            consumed_total += used
            chunk = chunk[used:]
    assert ended and bytes(got) == payload
    assert consumed_total == len(frame(payload))  # the bytes after the ETX stay commands


@settings(max_examples=300, deadline=None)
@given(payloads)
def test_every_special_byte_is_escaped_and_nothing_else_changes(payload: bytes):
    wire = escape(payload)
    i, plain = 0, bytearray()
    while i < len(wire):
        b = wire[i]
        assert b != ETX, "an ETX on the wire without its DLE"
        if b == DLE:
            assert i + 1 < len(wire) and wire[i + 1] in (ETX, DLE)
            plain.append(wire[i + 1])
            i += 2
        else:
            plain.append(b)
            i += 1
    assert bytes(plain) == payload
    assert len(wire) == len(payload) + payload.count(ETX) + payload.count(DLE)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.binary(max_size=40).filter(lambda b: b"\r" not in b and b"\n" not in b), max_size=12
    ),
    st.lists(st.integers(min_value=0, max_value=10_000), max_size=8),
)
def test_mail_body_ends_exactly_at_its_terminator(lines: list[bytes], cuts: list[int]):
    body = dot_stuff(b"\n".join(lines)) if lines else b""
    wire = body + b".\r\nAT#VSTATE\r"
    det = MailEndDetector()
    got, ended = bytearray(), False
    for chunk in _chunks(wire, cuts):
        if ended:
            break
        part, ended, used = det.feed(chunk)
        got += part
    assert ended and bytes(got) == body + b".\r\n"
