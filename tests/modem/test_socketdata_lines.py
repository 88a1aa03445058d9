"""SocketData told each receive format by its first characters: what the patterns of record
(simnet.modem.socketdata) accept is taken, every near miss is left alone.

Fed URCs directly (sans-IO): the formats are the manuals' (S76 L1106/L1109/L1113; L610 §1.1.10);
expected bytes are written out, not computed by the code under test."""

from __future__ import annotations

import pytest

from simnet.modem.socketdata import SocketData
from simnet.modem.urc import Urc


class _Host:
    module_id = "test-host"
    vendor = ""


def _fed(*urcs: Urc) -> SocketData:
    sd = SocketData(_Host())
    for urc in urcs:
        sd.on_urc(urc)
    return sd


def test_recv_from_names_the_link_and_a_malformed_one_keeps_the_last_address() -> None:
    sd = SocketData(_Host())
    sd._opened[("10.0.0.9", 7)] = 2  # as an answered AT+CIPOPEN=2,"TCP","10.0.0.9",7 leaves it
    for _ in range(3):  # the same line again (parsed once, then remembered)
        sd.on_urc(Urc(1.0, "RECV FROM:10.0.0.9:7"))
        sd.on_urc(Urc(1.0, "+IPD2", b"ab"))
    sd.on_urc(Urc(2.0, "RECV FROM:10.0.0.9:7"))
    sd.on_urc(Urc(2.0, "RECV FROM:not an address"))  # no address: the last one stands
    sd.on_urc(Urc(2.0, "+IPD1", b"c"))
    assert sd.received(2) == b"abababc"
    assert [c.remote for c in sd.chunks] == [("10.0.0.9", 7)] * 4


@pytest.mark.parametrize(
    "text",
    ["+IPDx", "+IPD 3", "+IPD", "+RECEIVE,1", "+RECEIVE,a,3", "+CIPRXGET: 1,", "RECEIVE,1,3"],
)
def test_near_misses_of_the_push_headers_carry_no_data(text: str) -> None:
    sd = _fed(Urc(1.0, text, b"xyz"))
    assert sd.chunks == [] and not sd.pending


def test_receive_header_type_1_and_buffer_mode_announcement() -> None:
    sd = _fed(Urc(1.0, "+RECEIVE,3,4", b"\r\nOK"), Urc(1.0, "+CIPRXGET: 1,5"))
    assert sd.received(3) == b"\r\nOK" and sd.pending[5] == 1


@pytest.mark.parametrize(
    ("hexdigits", "expected"),
    [
        ("48656C6C6F", b"Hello"),
        ("48656c6c6f", b"Hello"),  # lower case is hex too ([0-9A-Fa-f]*)
        ("", None),  # nothing announced: no chunk
        ("48 65", None),  # a space is not a hex digit
        ("4865\t6C", None),
        ("48656G", None),
    ],
)
def test_miprtcp_hex_payload(hexdigits: str, expected: bytes | None) -> None:
    sd = _fed(Urc(1.0, f"+MIPRTCP: 1,0,{hexdigits}"))
    assert sd.received(1) == (expected or b"")
    assert len(sd.chunks) == (1 if expected else 0)
