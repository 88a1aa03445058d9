"""SMS TPDU codec (simnet.bearer.sms.tpdu) against the specification's codings and against an
independent implementation: python-gsmmodem-new's own PDU codec (installed from PyPI, used here
as a test oracle only)."""

from __future__ import annotations

import pytest

from simnet.bearer.sms.alphabet import gsm7_septets, gsm7_text, pack_septets, unpack_septets
from simnet.bearer.sms.tpdu import (
    Address,
    Alphabet,
    Deliver,
    StatusReport,
    Submit,
    Timestamp,
    TpduError,
    UserData,
    decode,
    relative_validity,
    segment,
    split_sca,
)

gsmpdu = pytest.importorskip("gsmmodem.pdu")


def test_septet_packing_of_the_classic_example():
    # "hellohello" in the default alphabet packs to E8 32 9B FD 46 97 D9 EC 37 (TS 23.038
    # §6.1.2.1.1)
    assert pack_septets(gsm7_septets("hellohello")).hex().upper() == "E8329BFD4697D9EC37"
    assert gsm7_text(unpack_septets(bytes.fromhex("E8329BFD4697D9EC37"), 10)) == "hellohello"


def test_extension_characters_cost_two_septets():
    assert gsm7_septets("€") == [0x1B, 0x65]  # TS 23.038 §6.2.1.1
    assert gsm7_septets("[]") == [0x1B, 0x3C, 0x1B, 0x3E]
    assert gsm7_text([0x1B, 0x65, 0x41]) == "€A"


def test_timestamp_semi_octets_and_negative_zone():
    # 2024-03-05 09:07:09 at UTC-5 (-20 quarters): swapped semi-octets, the sign in bit 3 of
    # the zone octet (TS 23.040 §9.2.3.11)
    import datetime as dt

    raw = Timestamp(dt.datetime(2024, 3, 5, 9, 7, 9), -20).encode()
    assert raw == bytes([0x42, 0x30, 0x50, 0x90, 0x70, 0x90, 0x0A])
    back = Timestamp.decode(raw)
    assert back.tz_quarters == -20 and back.text() == "24/03/05,09:07:09-20"
    assert back.unix() == dt.datetime(2024, 3, 5, 14, 7, 9, tzinfo=dt.UTC).timestamp()


@pytest.mark.parametrize(
    "vp,seconds",
    [
        (0, 300),
        (143, 12 * 3600),
        (167, 24 * 3600),
        (168, 2 * 86400),
        (196, 30 * 86400),
        (197, 5 * 7 * 86400),
        (255, 63 * 7 * 86400),
    ],
)
def test_relative_validity(vp, seconds):  # TS 23.040 §9.2.3.12.1
    assert relative_validity(vp) == seconds


@pytest.mark.parametrize(
    "text", ["Hello world", "Привет мир", "x" * 200, "€uro [test] {}", "日本語" * 40]
)
def test_submits_from_python_gsmmodem_decode_and_reencode_byte_exact(text):
    for pdu in gsmpdu.encodeSmsSubmitPdu(
        "+33612345678", text, reference=7, requestStatusReport=True
    ):
        sca, tp = split_sca(bytes(pdu.data))
        assert sca is None
        submit = decode(tp, from_ms=True)
        assert isinstance(submit, Submit)
        assert submit.encode() == tp
        assert submit.da == Address("+33612345678", 145)
        assert submit.srr is True


def test_concatenated_submits_reassemble_to_the_text():
    text = "Ünïcödé " * 30
    parts = [
        decode(split_sca(bytes(p.data))[1], from_ms=True)
        for p in gsmpdu.encodeSmsSubmitPdu("+4915112345678", text, reference=9)
    ]
    assert [p.ud.concat.seq for p in parts] == list(range(1, len(parts) + 1))
    assert {p.ud.concat.total for p in parts} == {len(parts)}
    assert "".join(p.ud.text for p in parts) == text


@pytest.mark.parametrize("text", ["Hello world €", "Привет", "a" * 300, "Ж" * 150])
def test_delivers_decode_with_python_gsmmodem(text):
    parts = segment(text, ref=42)
    decoded = []
    for ud in parts:
        d = Deliver(Address.of("+447700900123"), Timestamp.from_unix(1700000000, 4), ud)
        got = gsmpdu.decodeSmsPdu("00" + d.encode().hex())
        assert got["type"] == "SMS-DELIVER"
        assert got["number"] == "+447700900123"
        assert got["time"].utcoffset().total_seconds() == 3600
        decoded.append(got["text"])
        assert decode(d.encode(), from_ms=False) == d
    assert "".join(decoded) == text
    # 160 GSM septets / 70 UCS2 characters fit one part, 153 / 67 per part beyond (§9.2.3.24.1)
    single, multi = (160, 153) if parts[0].alphabet is Alphabet.GSM7 else (70, 67)
    assert len(parts) == (1 if len(text) <= single else -(-len(text) // multi))


def test_status_report_decodes_with_python_gsmmodem():
    sr = StatusReport(
        7,
        Address.of("+33612345678"),
        Timestamp.from_unix(1700000000),
        Timestamp.from_unix(1700000005),
        0x46,
    )
    got = gsmpdu.decodeSmsPdu("00" + sr.encode().hex())
    assert (got["type"], got["reference"], got["number"], got["status"]) == (
        "SMS-STATUS-REPORT",
        7,
        "+33612345678",
        0x46,
    )
    assert (got["discharge"] - got["time"]).total_seconds() == 5


def test_alphanumeric_originator():
    d = Deliver(Address.of("Operator"), Timestamp.from_unix(0), UserData.build("hi"))
    assert d.oa.toa == 0xD0
    assert gsmpdu.decodeSmsPdu("00" + d.encode().hex())["number"] == "Operator"
    assert decode(d.encode(), from_ms=False).oa == Address("Operator", 0xD0)


def test_sc_address_prefix():
    sca = Address.of("+33609001390").encode_sca()
    assert sca.hex().upper() == "07913306091093F0"  # 7 octets: type 91, swapped digits, F filler
    got, rest = split_sca(sca + b"\x11")
    assert got == Address("+33609001390", 145) and rest == b"\x11"


@pytest.mark.parametrize(
    "hexpdu,what",
    [
        ("", "empty"),
        ("0100", "ends inside TP-DA"),
        (
            "01000B913306214365F7000004C8329BFD",
            "UDL 4 septets need 4 octets, 4 given",
        ),  # valid control
        ("01000B913306214365F70000FF", "UDL over 160"),
        ("01000B913306214365F7000005C8329B", "too few user data octets"),
        ("02000B", "a COMMAND is not a SUBMIT"),
    ],
)
def test_malformed_submits_are_errors(hexpdu, what):
    data = bytes.fromhex(hexpdu)
    if what.endswith("4 given"):
        assert decode(data, from_ms=True).ud.text == "Hell"
        return
    with pytest.raises(TpduError):
        decode(data, from_ms=True)
