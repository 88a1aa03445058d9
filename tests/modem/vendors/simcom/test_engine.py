"""Sans-IO pieces of the SIMCom dialect: ETX prompt decoding, push framing, ping summary."""

from hypothesis import given
from hypothesis import strategies as st

from simnet.modem.vendors.simcom.engine import (
    EtxPromptDecoder,
    PingStats,
    escape_for_prompt,
    push_header,
)


def test_ctrl_z_ends_and_leftover_kept() -> None:
    dec = EtxPromptDecoder(1500)
    assert dec.feed(b"Hel") is None
    assert dec.feed(b"lo\x1aAT\r") == ("send", b"Hello")
    assert dec.leftover == b"AT\r"


def test_esc_cancels() -> None:
    dec = EtxPromptDecoder(1500)
    assert dec.feed(b"Hello\x1b") == ("cancel", b"")


def test_etx_escapes_each_special_byte() -> None:
    # S76 L1105: <ETX><Ctrl+Z> -> 0x1A, <ETX><ESC> -> 0x1B, <ETX><ETX> -> 0x03
    dec = EtxPromptDecoder(1500)
    assert dec.feed(b"a\x03\x1ab\x03\x1bc\x03\x03d\x1a") == ("send", b"a\x1ab\x1bc\x03d")


def test_escape_split_across_chunks() -> None:
    dec = EtxPromptDecoder(1500)
    assert dec.feed(b"x\x03") is None
    assert dec.feed(b"\x1a") is None
    assert dec.feed(b"\x1a") == ("send", b"x\x1a")


def test_limit_discards_excess() -> None:
    dec = EtxPromptDecoder(4)
    assert dec.feed(b"abcdefg\x1a") == ("send", b"abcd")


@given(st.binary(max_size=300))
def test_escape_roundtrip(payload: bytes) -> None:
    dec = EtxPromptDecoder(1500)
    assert dec.feed(escape_for_prompt(payload) + b"\x1a") == ("send", payload)


def test_push_header_forms() -> None:
    remote = ("117.131.85.139", 5253)
    kw = {"link": 1, "remote": remote, "length": 16}
    assert (
        push_header(show_remote=True, show_header=True, header_type=0, **kw)
        == b"\r\nRECV FROM:117.131.85.139:5253\r\n+IPD16\r\n"
    )
    assert (
        push_header(show_remote=False, show_header=True, header_type=1, **kw)
        == b"\r\n+RECEIVE,1,16\r\n"
    )
    assert push_header(show_remote=False, show_header=False, header_type=0, **kw) == b"\r\n"


def test_ping_summary_matches_manual_example() -> None:
    # S76 L1134 example: RTTs 410,347,346,444 -> 3,4,4,0,346,444,386 (avg 1547/4 truncated)
    stats = PingStats()
    for rtt in (410, 347, 346, 444):
        stats.sent += 1
        stats.reply(rtt)
    assert stats.summary() == "+CPING: 3,4,4,0,346,444,386"


def test_ping_summary_all_lost() -> None:
    stats = PingStats(sent=3)
    assert stats.summary() == "+CPING: 3,3,0,3,0,0,0"
