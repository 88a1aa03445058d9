"""Host-side framing of what a module sends outside command responses: URC lines and the data
frames some URCs announce (``+IPD5\\r\\nHELLO``), so a host program can take them one by one.

Sans-IO: :class:`UrcFramer` is fed bytes in arrival order and returns :class:`Urc` frames. A
header line that announces a length is followed by exactly that many payload bytes, which
become the frame's ``data`` (they may contain CR LF, or look like a result code). The rows below
are the framing each dialect's manual describes; a host cannot frame data sent without a length
(SIMCom AT+CIPHEAD=0, Fibocom IPRFMT 1): those bytes stay in the byte stream only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from simnet._build import mypyc_attr

# Unsolicited headers followed by <len> payload bytes. (regex on the line, group with <len>,
# whether the payload follows on the same line, source)
PushFrame = tuple[re.Pattern[str], int, bool, str]
SIMCOM_PUSH: tuple[PushFrame, ...] = (
    (re.compile(r"\+IPD(\d+)"), 1, False, "SIM7600 L1106/L1108 AT+CIPHEAD=1, CIPCCFG HeaderType 0"),
    (re.compile(r"\+RECEIVE,(\d+),(\d+)"), 2, False, "SIM7600 L1113 AT+CIPCCFG HeaderType 1"),
)
FIBOCOM_RAW_HEADER: tuple[PushFrame, ...] = (
    # IPRFMT 2: CR LF, header, <Data_len>, raw data, nothing after (L610 §1.2.4.4)
    (re.compile(r"\+MIPRTCP: (\d+),(\d+),"), 2, True, "L610 §1.1.10, §1.2.4.4 IPRFMT 2"),
    (re.compile(r"\+MIPRUDP: [0-9.]+,\d+,(\d+),(\d+),"), 2, True, "L610 §1.1.9, §1.2.4.4 IPRFMT 2"),
)
# Command responses whose header line is followed by <len> payload bytes (so a final result
# code is never looked for inside the data).
RESPONSE_DATA: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], int], str], ...] = (
    (re.compile(r"\+CIPRXGET: 2,\d+,(\d+),\d+"), lambda m: int(m.group(1)), "SIM7600 L1106 mode 2"),
    (
        re.compile(r"\+CIPRXGET: 3,\d+,(\d+),\d+"),
        lambda m: 2 * int(m.group(1)),
        "SIM7600 L1106 mode 3 (hex)",
    ),
    (
        re.compile(r"\+MIPDATA: \d+,(\d+)"),
        lambda m: int(m.group(1)),
        "L610 §1.1.24 +MIPREAD answer",
    ),
)
# Longer "lines" are not URCs (bulk data in online data mode): not kept whole. The longest a
# module documents is the L610's +MIPRTCP with <size> 2048 bytes as 4096 hex digits plus its
# header (§1.1.5.4, §1.1.10); at exactly 4096 such a line was dropped, and its data lost.
MAX_LINE: Final = 4096 + 128
FINALS_NOT_URCS: Final = re.compile(
    r"OK|ERROR|\+CME ERROR: .*|\+CMS ERROR: .*|>|> |SEND OK|SEND FAIL|DATA ACCEPT:?.*"
)


# First characters of the lines FINALS_NOT_URCS matches: other lines skip the regex. Of the
# lines that start with "+" only these can match (a push header such as "+IPD5" never does).
_FINAL_FIRST: Final = frozenset("OE+>SD")
_FINAL_PLUS: Final = ("+CME ERROR: ", "+CMS ERROR: ")
_SAME_LINE: Final[dict[tuple[PushFrame, ...], bool]] = {}
_FIRST_CHARS: Final[dict[tuple[PushFrame, ...], frozenset[str] | None]] = {}


def _first_chars(rows: tuple[PushFrame, ...]) -> frozenset[str] | None:
    """The characters a line must start with to match any of ``rows`` (None: any may), from
    each pattern's leading literal (cached: the framer asks for every line)."""
    if rows in _FIRST_CHARS:
        return _FIRST_CHARS[rows]
    from re import _parser  # type: ignore[attr-defined]

    chars: set[str] | None = set()
    for regex, _g, _same, _s in rows:
        ops = list(_parser.parse(regex.pattern, regex.flags)) if not regex.flags & re.I else []
        if not ops or ops[0][0] is not _parser.LITERAL:
            chars = None  # no leading literal: every line is a candidate
            break
        assert chars is not None
        chars.add(chr(ops[0][1]))
    found = _FIRST_CHARS[rows] = frozenset(chars) if chars is not None else None
    return found


def _has_same_line(rows: tuple[PushFrame, ...]) -> bool:
    """Whether any of ``rows`` announces its payload on the header's own line (cached: the
    framer asks for every line)."""
    has = _SAME_LINE.get(rows)
    if has is None:
        has = _SAME_LINE[rows] = any(same for _r, _g, same, _s in rows)
    return has


# acyclic (compiled: not tracked by the cyclic GC): it holds text, bytes and numbers only,
# and a download keeps thousands of them.
@mypyc_attr(acyclic=True)
@dataclass(init=False)
class Urc:
    """One unsolicited line (``text``) and the payload it announced (``data``), stamped with
    the virtual time it was complete; ``start``/``end`` are its offsets in the byte stream."""

    t: float
    text: str
    data: bytes = b""
    start: int = 0
    end: int = 0

    # Written out (the dataclass's repr and eq stay): the generated __init__ is interpreted
    # code even in the compiled build, and the host makes one Urc per pushed packet.
    def __init__(
        self, t: float, text: str, data: bytes = b"", start: int = 0, end: int = 0
    ) -> None:
        self.t = t
        self.text = text
        self.data = data
        self.start = start
        self.end = end

    def __str__(self) -> str:
        return self.text if not self.data else f"{self.text} + {len(self.data)} bytes"


def response_data_length(line: str) -> int:
    """Payload bytes that follow this response line (0 for an ordinary line)."""
    for regex, length, _src in RESPONSE_DATA:
        m = regex.fullmatch(line)
        if m:
            return length(m)
    return 0


class UrcFramer:
    """Frames unsolicited bytes into :class:`Urc` items.

    ``vendor`` picks the push-data rows (``simcom``/``fibocom``); ``fibocom_iprfmt`` is the
    L610 receive format the host configured (AT+GTSET="IPRFMT",n), which the DTE tracks.
    """

    def __init__(self, vendor: str = "", *, all_lines: bool = False) -> None:
        self.vendor = vendor
        # all_lines: every line, final result codes included, and the payloads that command
        # responses announce (RESPONSE_DATA) - for an observer of the whole conversation
        # (simnet.modem.ledger) rather than a host that reads responses itself.
        self.all_lines = all_lines
        self.fibocom_iprfmt = 0
        self._line = bytearray()
        self._line_start = 0
        self._want = 0  # payload bytes still owed to self._pending
        self._pending: Urc | None = None
        self._skip_lf = False  # the LF of the header line's CR LF is not payload
        self._pos = 0  # absolute offset of the next byte fed
        self._resume = 0
        self._overlong = False  # the current "line" passed MAX_LINE: data, not a URC
        # The push rows the last feed used, and what they imply (cached dict keys are tuples
        # of tuples: hashing them on every delivery cost more than the framing).
        self._rows_seen: tuple[PushFrame, ...] = ()
        self._same_line_rows = False
        self._row_firsts: frozenset[str] | None = None

    @property
    def partial(self) -> bool:
        return bool(self._line) or self._want > 0

    def _rows(self) -> tuple[PushFrame, ...]:
        if self.vendor == "simcom":
            return SIMCOM_PUSH
        if self.vendor == "fibocom" and self.fibocom_iprfmt == 2:
            return FIBOCOM_RAW_HEADER
        return ()

    def skip(self, upto: int) -> None:
        """Bytes up to absolute offset ``upto`` were a command response: not unsolicited."""
        self._pos = max(self._pos, upto)

    def feed(self, data: bytes, start: int, now: float) -> list[Urc]:
        """Frame ``data`` (which begins at absolute offset ``start``); complete frames out."""
        out: list[Urc] = []
        i = max(0, self._pos - start)
        n = len(data)
        rows = self._rows()
        if rows is not self._rows_seen:  # what the rows imply, worked out when they change
            self._rows_seen = rows
            self._same_line_rows = bool(rows) and _has_same_line(rows)
            self._row_firsts = _first_chars(rows) if rows else None
        same_line_rows = self._same_line_rows
        if not self._want and not same_line_rows:
            i = self._feed_lines(data, i, start, now, rows, out)
        # The next CR at or after i (n: none left), found with a C-speed bytes.find and kept
        # while i has not passed it; an LF is looked for only up to it. Bulk data without line
        # ends is not scanned byte by byte, and no byte is searched twice for the same end.
        next_cr = -1
        while i < n:
            if self._want:
                if self._skip_lf:
                    self._skip_lf = False
                    if data[i] == 10:
                        i += 1
                        continue
                take = min(self._want, n - i)
                assert self._pending is not None
                self._pending.data += data[i : i + take]
                self._want -= take
                i += take
                if not self._want:
                    self._pending.t, self._pending.end = now, start + i
                    out.append(self._pending)
                    self._pending = None
                    if not same_line_rows:  # lines again, up to the next payload
                        i = self._feed_lines(data, i, start, now, rows, out)
                continue
            # Outside a payload: copy up to the next line end at once (bulk data in online data
            # mode is one long "line": C-speed search, and at most MAX_LINE bytes kept).
            if not self._line:
                self._line_start = start + i
            if next_cr < i:
                next_cr = data.find(b"\r", i)
                if next_cr < 0:
                    next_cr = n
            j = data.find(b"\n", i, next_cr)
            if j < 0:
                j = next_cr
            if j > i:
                if same_line_rows and self._same_line(data, i, j, start, now, rows, out):
                    i = self._resume
                    continue  # a same-line header ended at a comma: its payload follows
                if len(self._line) + (j - i) <= MAX_LINE:
                    self._line += data[i:j]
                else:
                    self._overlong = True
                    self._line.clear()
                i = j
            if j < n:  # a line end
                if self._line and not self._overlong:
                    text = self._line.decode("latin-1")
                    self._emit_line(text, start + i + 1, now, rows, out)
                self._line.clear()
                self._overlong = False
                i += 1
        self._pos = start + n
        return out

    def _feed_lines(
        self, data: bytes, i: int, start: int, now: float, rows: tuple[PushFrame, ...],
        out: list[Urc],
    ) -> int:
        """The loop of :meth:`feed` for plain lines, with fewer steps and checks per line, up
        to the first header that announces a payload; returns where :meth:`feed`'s loop
        carries on (``len(data)``: done). The line ends between two lines are stepped over
        at once; a line's end is found with ``bytes.find`` (C speed over bulk data)."""
        n = len(data)
        line = self._line
        while i < n:
            if not line and not self._overlong:  # between lines: empty lines end nothing
                c = data[i]
                while c == 13 or c == 10:
                    i += 1
                    if i == n:
                        return n
                    c = data[i]
                self._line_start = start + i
            e = data.find(b"\r", i)
            if e < 0:
                e = n
            lf = data.find(b"\n", i, e)
            if lf >= 0:
                e = lf  # the next line end (n: none in this chunk)
            if e == n:  # the line goes on in the next chunk
                if len(line) + (e - i) <= MAX_LINE:
                    line += data[i:e]
                else:
                    self._overlong = True
                    line.clear()
                return n
            # The line end at e: a line that began in this chunk is decoded from it directly.
            if self._overlong or len(line) + (e - i) > MAX_LINE:
                pass  # the end of a line too long to be a URC: nothing to emit
            elif line:
                line += data[i:e]
                self._emit_line(line.decode("latin-1"), start + e + 1, now, rows, out)
            else:
                self._emit_line(data[i:e].decode("latin-1"), start + e + 1, now, rows, out)
            line.clear()
            self._overlong = False
            i = e + 1
            if self._want:
                return i
        return n

    def _same_line(
        self,
        data: bytes,
        i: int,
        j: int,
        start: int,
        now: float,
        rows: tuple[PushFrame, ...],
        out: list[Urc],
    ) -> bool:
        """A header that announces its payload on the same line (``+MIPRTCP: 1,5,``) ends at a
        comma between ``i`` and ``j``: start its payload and return True (``self._pos`` and
        the line are updated; the caller re-enters the loop at the payload)."""
        head = bytes(self._line[:6]) if self._line else bytes(data[i : i + 6])
        if not head.startswith(b"+MIPR"[: len(head)]):
            return False
        comma = data.find(b",", i, j)
        while comma >= 0:
            line = bytes(self._line) + bytes(data[i : comma + 1])
            text = line.decode("latin-1")
            for regex, group, same_line, _src in rows:
                m = regex.fullmatch(text)
                if same_line and m:
                    self._line.clear()
                    self._start_data(
                        Urc(now, text.rstrip(","), start=self._line_start),
                        int(m.group(group)),
                        out,
                        now,
                        start + comma + 1,
                    )
                    self._resume = comma + 1
                    return True
            comma = data.find(b",", comma + 1, j)
        return False

    def _emit_line(
        self, text: str, end: int, now: float, rows: tuple[PushFrame, ...], out: list[Urc]
    ) -> None:
        first = text[:1]
        if (
            not self.all_lines
            and first in _FINAL_FIRST
            and (first != "+" or text.startswith(_FINAL_PLUS))
            and FINALS_NOT_URCS.fullmatch(text)
        ):
            return  # a result code (no push header looks like one): the common case, no Urc
        urc = Urc(now, text, b"", self._line_start, end)
        if rows:
            firsts = self._row_firsts
            if firsts is None or first in firsts:  # else no row's header can start this line
                for regex, group, same_line, _src in rows:
                    m = None if same_line else regex.fullmatch(text)
                    if m:
                        self._skip_lf = end > 0
                        self._start_data(urc, int(m.group(group)), out, now, end)
                        return
        if self.all_lines:
            length = response_data_length(text)
            if length:
                self._skip_lf = end > 0
                self._start_data(urc, length, out, now, end)
            else:
                out.append(urc)
        else:  # not a result code: that was ruled out above
            out.append(urc)

    def _start_data(self, urc: Urc, length: int, out: list[Urc], now: float, end: int) -> None:
        if length <= 0:
            urc.end = end
            out.append(urc)
            return
        self._pending, self._want = urc, length


def match_urc(pattern: str | re.Pattern[str] | None) -> Callable[[Urc], Any]:
    """A predicate on URCs: ``re.search`` of ``pattern`` in the line (None matches any)."""
    if pattern is None:
        return lambda urc: True
    regex = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern)
    return lambda urc: regex.search(urc.text)
