"""The URC framer gives the same frames however the bytes are cut into UART deliveries.

Lines (CR, LF or CR LF ended, empty ones skipped), push headers with their payloads, result
codes (not URCs) and lines too long to be URCs (MAX_LINE) must not depend on where one delivery
ends and the next begins. Expected frames for the fixed streams are written out by hand."""

from __future__ import annotations

import random

import pytest

from simnet.modem.urc import MAX_LINE, UrcFramer


def _frames(vendor: str, stream: bytes, cuts: list[int]) -> list[tuple[str, bytes, int, int]]:
    framer = UrcFramer(vendor)
    out = []
    pos = 0
    for cut in [*cuts, len(stream)]:
        out += [(u.text, u.data, u.start, u.end) for u in framer.feed(stream[pos:cut], pos, 0.0)]
        pos = cut
    return out


def test_simcom_pushes_and_lines_whole() -> None:
    stream = b"\r\nRECV FROM:1.2.3.4:5\r\n+IPD4\r\nOK\r\n\r\n+CSQ: 9,9\r\nOK\r\n\n\r+IPD0\r\n"
    # A line's frame ends just past its first line-end byte; a payload's, at its last byte.
    assert _frames("simcom", stream, []) == [
        ("RECV FROM:1.2.3.4:5", b"", 2, 22),
        ("+IPD4", b"OK\r\n", 23, 34),  # the payload looks like a result code: it is data
        ("+CSQ: 9,9", b"", 36, 46),
        ("+IPD0", b"", 53, 59),  # OK (a result code) is no URC
    ]


def test_a_line_too_long_across_deliveries_is_not_a_urc() -> None:
    long = b"A" * (MAX_LINE + 200)  # from offset 9
    stream = b"\r\n+X: 1\r\n" + long + b"\r\n+Y: 2\r\n"
    # ... including a delivery that takes the line past MAX_LINE and more of it after that
    for cuts in ([], [MAX_LINE - 10], [20, MAX_LINE - 10, MAX_LINE + 20, MAX_LINE + 60], [9]):
        assert [f[0] for f in _frames("", stream, cuts)] == ["+X: 1", "+Y: 2"], cuts
    fits = b"B" * MAX_LINE  # exactly MAX_LINE is still a line
    assert [f[0] for f in _frames("", b"\r\n" + fits + b"\r\n", [100, 3000])] == [fits.decode()]


PIECES = [b"\r\n", b"\r", b"\n", b"OK", b"+CME ERROR: 3", b"+IPD5", b"+IPD0", b"+IPD",
          b"RECV FROM:1.2.3.4:5", b"+RECEIVE,1,3", b"hello", b"> ", b"x" * 3000, b"A" * 4300,
          b"+CSQ: 1,2", b"SEND OK", b"abc\rdef\n"]  # fmt: skip


@pytest.mark.parametrize("seed", range(6))
def test_any_cut_gives_the_frames_of_the_whole_stream(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(300):
        stream = b"".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 20)))
        cuts = sorted(rnd.randint(0, len(stream)) for _ in range(rnd.randint(1, 6)))
        for vendor in ("simcom", ""):
            assert _frames(vendor, stream, cuts) == _frames(vendor, stream, []), (stream, cuts)
