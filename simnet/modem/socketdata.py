"""Socket data as bytes per link, from the receive formats of each dialect (host side).

``dte.socket_data`` watches the URCs and command responses the DTE frames and keeps what each
link received:

=======================  ======================================================  ==============
format                   what the module sends                                   source
=======================  ======================================================  ==============
SIMCom push              ``RECV FROM:<ip>:<port>`` then ``+IPD<len>`` + data      S76 L1106/8/9
SIMCom push, header 1    ``+RECEIVE,<link>,<len>`` + data                         S76 L1113
SIMCom buffer mode       ``+CIPRXGET: 1,<link>``; read ``AT+CIPRXGET=2|3,<link>`` S76 L1106
Fibocom hex (IPRFMT 0)   ``+MIPRTCP: <sid>,<left>,<HEX>`` (TCP) /                 L610 §1.1.9-10
                         ``+MIPRUDP: <ip>,<port>,<sid>,<left>,<HEX>`` (UDP)
Fibocom IPRFMT 2         ``+MIPRTCP: <sid>,<len>,`` + raw data                    L610 §1.2.4.4
Fibocom read (IPRFMT 5)  ``+MIPDATA: <sid>,<len>``; read ``AT+MIPREAD=<sid>,<n>`` L610 §1.1.24
WIPsoft (Wavecom)        ``+WIPDATA: 2,<idx>,<n>`` (TCP) /                        WIPsoft §6.2
                         ``+WIPDATA: 1,<idx>,<size>,<ip>,<port>`` (UDP); read by
                         mapping: ``AT+WIPDATA=<p>,<idx>,1``, CONNECT, the data
                         ([DLE]-escaped, [ETX] after each datagram), +++, OK
=======================  ======================================================  ==============

WIPsoft links are named ``"tcp:<idx>"`` and ``"udp:<idx>"`` (a UDP and a TCP socket may share an
index, §3.1.1); ``fetch(link)`` maps the socket, reads what it holds and leaves with ``+++``.

Wavecom eDsoft (one session at a time, §5.1.1, §6.1) carries socket data in a data session:
``AT#OTCP=<id>`` / ``AT#OUDP`` answer ``Ok_Info_WaitingForData``, and after ``AT#LTCPSTART=<id>``
/ ``AT#LUDPSTART`` (OK) the same line comes when a peer connects (or its first datagram
arrives); from there the line carries the peer's payload, [DLE] before each [ETX] and [DLE]
of it, until an unescaped [ETX] ends the session (§5.1.1, §6.2.1), followed by why
(``#CME ERROR: <code>``, or ``Ok_Info_SocketClosed`` and ``OK`` when the host sent the [ETX]).
The helper decodes that stream with ``edsoft.framing.StreamDecoder`` as the bytes arrive (push:
``fetch`` just takes them). eDsoft links are named ``"tcp:<id>"`` (the #TCPSERV/#TCPPORT index,
as WIPsoft names its TCP sockets) and ``"udp"`` (eDsoft has one UDP service, no index); UDP
datagram boundaries are not marked on the line (§6.2.1), so a UDP link is one byte stream.
``session`` is the link of the session running (None outside one). A DLEMODE 0 TCP session
(§5.1.1: raw, never ended by an [ETX]) cannot be told apart from later output and is not read.

``+IPD`` does not name the link: the helper finds it from the ``RECV FROM`` address and the
``AT+CIPOPEN`` the host sent for it (else the key is ``"<ip>:<port>"``). Formats without a length
(SIMCom AT+CIPHEAD=0, Fibocom IPRFMT 1) cannot be told apart from other output — by the helper
or by a real host — and stay in the byte stream.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

from simnet._build import mypyc_attr
from simnet.modem.urc import Urc
from simnet.modem.vendors.fibocom.hexdata import decode_hex
from simnet.modem.vendors.wavecom.edsoft.framing import StreamDecoder

Link = int | str

_RECV_FROM: Final = re.compile(r"RECV FROM:([0-9.]+):(\d+)")
_IPD: Final = re.compile(r"\+IPD(\d+)")
_RECEIVE: Final = re.compile(r"\+RECEIVE,(\d+),(\d+)")
_CIPRXGET_URC: Final = re.compile(r"\+CIPRXGET: 1,(\d+)")
_CIPRXGET_READ: Final = re.compile(r"\+CIPRXGET: ([23]),(\d+),(\d+),(\d+)")
_CIPOPEN: Final = re.compile(r'AT\+CIPOPEN=(\d+),"(?:TCP|UDP)","([^"]*)",(\d+)', re.I)
_MIPRTCP: Final = re.compile(r"\+MIPRTCP: (\d+),(\d+),([0-9A-Fa-f]*)")
_MIPRTCP_HEAD: Final = re.compile(r"\+MIPRTCP: (\d+),\d+,")  # _MIPRTCP up to its hex
_MIPRUDP: Final = re.compile(r"\+MIPRUDP: ([0-9.]+),(\d+),(\d+),(\d+),([0-9A-Fa-f]*)")
_MIPDATA: Final = re.compile(r"\+MIPDATA: (\d+),(\d+)")
_WIPDATA_TCP: Final = re.compile(r"\+WIPDATA: 2,(\d+),(\d+)")
_WIPDATA_UDP: Final = re.compile(r"\+WIPDATA: 1,(\d+),(\d+),([0-9.]+),(\d+)")
_ETX, _DLE = 0x03, 0x10
# eDsoft host command lines that start (or arm) a socket session, and the DLEMODE setting
_EDSOFT_OPEN: Final = re.compile(r"AT#(OTCP|LTCPSTART|OUDP|LUDPSTART)(?:=(\d+))?", re.I)
_EDSOFT_DLEMODE: Final = re.compile(r'AT#DLEMODE=(\d+),"?([01])"?', re.I)
_EDSOFT_SESSION_START: Final = b"Ok_Info_WaitingForData\r\n"
_EDSOFT_WAITING: Final = ("Ok_Info_WaitingForData", "1028")  # §9.1, verbose and numeric (ATV0)


# acyclic (compiled: not tracked by the cyclic GC): it holds text, bytes and numbers only,
# and a download keeps thousands of them.
@mypyc_attr(acyclic=True)
@dataclass(init=False)
class Chunk:
    """Data one receive report carried: when, on which link, from where."""

    t: float
    link: Link
    data: bytes
    remote: tuple[str, int] | None = None

    # Written out (the dataclass's repr and eq stay): the generated __init__ is interpreted
    # code even in the compiled build, and a download makes one Chunk per pushed packet.
    def __init__(
        self, t: float, link: Link, data: bytes, remote: tuple[str, int] | None = None
    ) -> None:
        self.t = t
        self.link = link
        self.data = data
        self.remote = remote


class SocketData:
    """Received bytes per link; ``received(link)``, ``read(link)``, ``chunks``, ``pending``,
    ``fetch(link)`` for the pull formats."""

    def __init__(self, dte: Any) -> None:
        self.dte = dte
        self.chunks: list[Chunk] = []
        # Per link, the pieces received and not read, in order: appended as they come (one
        # growing buffer would be copied again and again as a download grows), joined when
        # asked for.
        self._buffers: dict[Link, list[bytes]] = {}
        self.pending: dict[Link, int] = defaultdict(int)  # announced, not read yet (pull modes)
        self._remote: tuple[str, int] | None = None  # the last RECV FROM
        self._recv_from_seen: dict[str, tuple[str, int]] = {}  # RECV FROM line -> address
        self._opened: dict[tuple[str, int], int] = {}  # (host, port) -> link, from AT+CIPOPEN
        self._wip_peer: dict[Link, tuple[str, int]] = {}  # WIPsoft UDP link -> announced source
        # eDsoft: the socket session running, the links armed by the last command or a listen
        self.edsoft = getattr(dte, "module_id", "") == "wavecom-edsoft"
        self.session: Link | None = None
        self._session_decoder = StreamDecoder()
        self._edsoft_opening: Link | None = None  # AT#OTCP/#OUDP sent, not answered yet
        self._edsoft_other = False  # another command sent (its WaitingForData is no socket's)
        self._edsoft_listens: list[Link] = []  # AT#LTCPSTART / AT#LUDPSTART armed
        self._edsoft_raw: set[int] = set()  # TCP ids set to DLEMODE 0
        self._host_line = bytearray()
        self._start_tail = b""
        self.lf_at = -1  # absolute offset of the LF that ends the session's first line

    # -- reading -----------------------------------------------------------------------------
    def received(self, link: Link) -> bytes:
        """Every byte received on ``link`` and not yet taken with :meth:`read`."""
        pieces = self._buffers.get(link)
        if not pieces:
            return b""
        if len(pieces) > 1:  # joined once: asking again costs nothing until more comes
            pieces[:] = [b"".join(pieces)]
        return pieces[0]

    def read(self, link: Link) -> bytes:
        """Take the bytes received on ``link``."""
        data = self.received(link)
        self._buffers.pop(link, None)
        return data

    @property
    def links(self) -> list[Link]:
        return [k for k, v in self._buffers.items() if v]

    def fetch(self, link: Link, size: int = 1500, timeout: float = 10.0) -> bytes:
        """Pull formats: read what the module holds for ``link`` with its read command
        (``AT+CIPRXGET=2,<link>,<size>`` on SIMCom, ``AT+MIPREAD=<sid>,<size>`` on Fibocom, a
        mapping of the socket on WIPsoft) until it says nothing is left; returns (and takes)
        the bytes read."""
        if self.edsoft:  # pushed in the session as it arrived: nothing to pull
            return self.read(link)
        before = len(self.received(link))
        if isinstance(link, str) and link[:4] in ("tcp:", "udp:"):
            self._fetch_wipsoft(link, timeout)
        elif self.dte.vendor == "fibocom":
            while True:
                r = self.dte.command(f"AT+MIPREAD={link},{size}", timeout=timeout)
                if not r.ok or not r.line("+MIPDATA:"):
                    break
        else:
            while True:
                r = self.dte.command(f"AT+CIPRXGET=2,{link},{size}", timeout=timeout)
                m = _CIPRXGET_READ.match(r.line("+CIPRXGET:") or "")
                if not r.ok or not m or int(m.group(4)) == 0:
                    break
        data = self.read(link)[before:]
        return data

    def _fetch_wipsoft(self, link: str, timeout: float) -> None:
        """WIPsoft §6.2: map the socket (CONNECT), take what it holds, leave with +++ (a second
        of silence either side, §6.2.1.3); the bytes between CONNECT and the OK are the data,
        [DLE]-escaped, an [ETX] after each UDP datagram (or where a TCP peer closed)."""
        dte = self.dte
        kind, idx = link.split(":", 1)
        proto = 2 if kind == "tcp" else 1
        dte.read_available()  # URC lines already framed (dte.urcs): not the mapping's bytes
        r = dte.command(f"AT+WIPDATA={proto},{idx},1", timeout=timeout)
        if r.final != "CONNECT":
            return
        want = self.pending.get(link, 0)
        if want:
            dte.sim.run_until(lambda: _decoded_length(dte.peek()) >= want, timeout)
        dte.wait(1.1)
        dte.write(b"+++")
        dte.wait(1.1)
        self.feed_wipsoft(link, dte.read_available())
        self.pending.pop(link, None)

    def feed_wipsoft(self, link: str, raw: bytes) -> None:
        """What a WIPsoft mapping of ``link`` carried, up to the OK that ended it (a host that
        reads the mapped UART itself hands it over here)."""
        end = raw.rfind(b"\r\nOK\r\n")
        if end >= 0:
            raw = raw[:end]
        remote = self._wip_peer.pop(link, None)
        for data in _wip_frames(raw, link.startswith("udp:")):
            self._add(self.dte.sim.now, link, data, remote)

    # -- eDsoft sessions (fed by the DTE) ---------------------------------------------------
    def on_write(self, data: bytes) -> None:
        """Host bytes: outside a session, the command lines say which link a session is."""
        if self.session is not None:
            return  # payload (or the host's ETX, which the module's ETX will confirm)
        self._host_line += data
        while True:
            cr = self._host_line.find(b"\r")
            if cr < 0:
                del self._host_line[:-256]  # bounded: no CR, no command
                return
            line = self._host_line[:cr].decode("latin-1").strip()
            del self._host_line[: cr + 1]
            if line:
                self._edsoft_command(line)

    def _edsoft_command(self, line: str) -> None:
        self._edsoft_opening, self._edsoft_other = None, False
        m = _EDSOFT_DLEMODE.fullmatch(line)
        if m:
            (self._edsoft_raw.add if m.group(2) == "0" else self._edsoft_raw.discard)(
                int(m.group(1))
            )
            return
        m = _EDSOFT_OPEN.fullmatch(line)
        if m is None:
            self._edsoft_other = line.upper().startswith("AT")
            return
        verb = m.group(1).upper()
        if verb in ("OTCP", "LTCPSTART") and m.group(2) is None:
            return  # malformed: the module refuses it
        link: Link = f"tcp:{m.group(2)}" if verb.endswith("TCP") or verb == "LTCPSTART" else "udp"
        if verb.startswith("L"):
            if link not in self._edsoft_listens:
                self._edsoft_listens.append(link)
        else:
            self._edsoft_opening = link

    def _session_link(self) -> Link | None:
        """Whose is the Ok_Info_WaitingForData just seen: the open just sent, else a listen
        (none when it answers AT#FTPPUT / AT#PUTMAIL)."""
        if self._edsoft_opening is not None:
            return self._edsoft_opening
        if self._edsoft_other or not self._edsoft_listens:
            return None
        return self._edsoft_listens.pop(0)

    def start_session(self, result: str) -> bool:
        """A line the module sent outside a session (a final or an unsolicited line): True when
        it was ``Ok_Info_WaitingForData`` for a socket, and the bytes after it are its data."""
        if result.strip() not in _EDSOFT_WAITING:
            if result.strip() in ("OK", "0") or result.startswith("#CME ERROR"):
                self._edsoft_opening = None  # answered otherwise: no session from it
                self._edsoft_other = False
            return False
        link = self._session_link()
        self._edsoft_opening, self._edsoft_other = None, False
        if link is None or (isinstance(link, str) and link.startswith("tcp:")
                            and int(link[4:]) in self._edsoft_raw):
            return False
        if link in self._edsoft_listens:
            self._edsoft_listens.remove(link)
        self.session = link
        self._session_decoder = StreamDecoder()
        self.lf_at = -1
        return True

    def find_session_start(self, data: bytes) -> int:
        """Unsolicited bytes while a listen is armed: the offset just past an
        ``Ok_Info_WaitingForData`` line in ``data`` (it may have begun in the last chunk), or
        -1 (the line is then framed as usual, and :meth:`start_session` decides)."""
        if self._edsoft_opening is None and (self._edsoft_other or not self._edsoft_listens):
            return -1
        joined = self._start_tail + data
        at = joined.find(_EDSOFT_SESSION_START)
        self._start_tail = joined[-(len(_EDSOFT_SESSION_START) - 1) :]
        if at < 0:
            return -1
        self._start_tail = b""
        return at + len(_EDSOFT_SESSION_START) - (len(joined) - len(data))

    def feed_session(self, data: bytes) -> int:
        """Bytes of the running session: the payload is kept; returns how many bytes were the
        session's (up to its ending [ETX]; after it, ``session`` is None)."""
        link = self.session
        assert link is not None
        payload, ended, used = self._session_decoder.feed(data)
        self._add(self.dte.sim.now, link, payload)
        if ended:
            self.session = None
        return used

    def end_session(self) -> None:
        """The module answered a command: whatever the line carried, no session runs (a reset
        ends one without its [ETX])."""
        self.session = None

    # -- fed by the DTE ----------------------------------------------------------------------
    def _add(
        self, t: float, link: Link, data: bytes, remote: tuple[str, int] | None = None
    ) -> None:
        if data:
            if type(data) is not bytes:  # kept: a caller's bytearray must not change under it
                data = bytes(data)
            self.chunks.append(Chunk(t, link, data, remote))
            pieces = self._buffers.get(link)
            if pieces is None:
                self._buffers[link] = [data]
            else:
                pieces.append(data)

    def on_urc(self, urc: Urc) -> None:
        text = urc.text
        if self.edsoft:
            if self.start_session(text) and not text.isdigit():
                self.lf_at = urc.end  # the line ended at its CR: the LF after it is no payload
            return
        # Each format below is told by its first characters (every regex starts with a
        # literal): a downloading host frames one or two URCs a packet, most of them the same.
        head = text[:4]
        if head == "RECV":
            if text.startswith("RECV FROM:"):
                remote = self._recv_from(text)
                if remote is not None:
                    self._remote = remote
            return
        if head == "+IPD":
            m = _IPD.fullmatch(text)
            if m:
                remote, self._remote = self._remote, None
                link: Link = f"{remote[0]}:{remote[1]}" if remote else "?"
                if remote is not None and remote in self._opened:
                    link = self._opened[remote]
                elif remote is None and len(self._opened) == 1:  # AT+CIPSRIP=0: the only link
                    link = next(iter(self._opened.values()))
                self._add(urc.t, link, urc.data, remote)
            return
        if head == "+REC":
            m = _RECEIVE.fullmatch(text)
            if m:
                self._add(urc.t, int(m.group(1)), urc.data, self._remote)
                self._remote = None
            return
        if head == "+CIP":
            m = _CIPRXGET_URC.fullmatch(text)
            if m:
                self.pending[int(m.group(1))] += 1  # data waits: the length is not announced
            return
        if head == "+MIP":
            self._fibocom_urc(urc)
            return
        if head == "+WIP" and text.startswith("+WIPDATA: "):
            m = _WIPDATA_TCP.fullmatch(text)
            if m:
                self.pending[f"tcp:{m.group(1)}"] = int(m.group(2))
                return
            m = _WIPDATA_UDP.fullmatch(text)
            if m:
                link = f"udp:{m.group(1)}"
                self.pending[link] += int(m.group(2))
                self._wip_peer[link] = (m.group(3), int(m.group(4)))

    def _recv_from(self, text: str) -> tuple[str, int] | None:
        """The address of a ``RECV FROM:<ip>:<port>`` line (None: malformed), parsed once per
        distinct line: a download repeats the same one before every push."""
        known = self._recv_from_seen.get(text)
        if known is not None:
            return known
        m = _RECV_FROM.fullmatch(text)
        if m is None:
            return None
        if len(self._recv_from_seen) >= 64:  # bounded: a host talks to a few peers
            self._recv_from_seen.clear()
        remote = self._recv_from_seen[text] = (m.group(1), int(m.group(2)))
        return remote

    def _fibocom_urc(self, urc: Urc) -> None:
        text = urc.text
        if urc.data:  # IPRFMT 2: the header announced raw data
            m = re.fullmatch(r"\+MIPRTCP: (\d+),\d+", text)
            if m:
                self._add(urc.t, int(m.group(1)), urc.data)
                return
            m = re.fullmatch(r"\+MIPRUDP: ([0-9.]+),(\d+),(\d+),\d+", text)
            if m:
                self._add(urc.t, int(m.group(3)), urc.data, (m.group(1), int(m.group(2))))
            return
        m = _MIPRTCP_HEAD.match(text)
        if m:
            # Hex pairs checked at C speed (a regex over 4,096 hex digits costs four times
            # as much); anything else is left to the full pattern, as before.
            data = decode_hex(text[m.end() :])
            if data is not None:
                self._add(urc.t, int(m.group(1)), data)
                return
            m = _MIPRTCP.fullmatch(text)  # not plain hex pairs: as the full pattern says
            if m:
                self._add(urc.t, int(m.group(1)), bytes.fromhex(m.group(3)))
                return
        m = _MIPRUDP.fullmatch(text)
        if m:
            self._add(
                urc.t, int(m.group(3)), bytes.fromhex(m.group(5)), (m.group(1), int(m.group(2)))
            )
            return
        m = _MIPDATA.fullmatch(text)
        if m:
            self.pending[int(m.group(1))] += int(m.group(2))

    def on_response(self, result: Any) -> None:
        """A command's response: AT+CIPOPEN (to name links), AT+CIPRXGET / AT+MIPREAD data."""
        m = _CIPOPEN.match(result.command.strip())
        if m and result.ok:
            self._opened[(m.group(2), int(m.group(3)))] = int(m.group(1))
            return
        raw = result.raw.decode("latin-1")
        m = _CIPRXGET_READ.search(raw)
        if m and result.ok:
            mode, link, n = int(m.group(1)), int(m.group(2)), int(m.group(3))
            start = raw.index("\n", m.end()) + 1
            body = raw[start : start + (n if mode == 2 else 2 * n)]
            data = body.encode("latin-1") if mode == 2 else bytes.fromhex(body)
            self._add(self.dte.sim.now, link, data)
            if int(m.group(4)) == 0:
                self.pending.pop(link, None)
            return
        m = _MIPDATA.search(raw)
        if m and result.ok and result.command.strip().upper().startswith("AT+MIPREAD="):
            sid, n = int(m.group(1)), int(m.group(2))
            start = raw.index("\n", m.end()) + 1
            self._add(self.dte.sim.now, sid, raw[start : start + n].encode("latin-1"))
            left = self.pending.get(sid, 0) - n
            if left > 0:
                self.pending[sid] = left
            else:
                self.pending.pop(sid, None)


def _wip_frames(raw: bytes, datagrams: bool) -> list[bytes]:
    """WIPsoft mapped-UART bytes (§6.2.1.4) as payloads: [DLE] escapes the next byte, an
    unescaped [ETX] ends a datagram (UDP) or marks the peer's shutdown (TCP)."""
    frames: list[bytes] = []
    out = bytearray()
    escaped = False
    for b in raw:
        if escaped:
            out.append(b)
            escaped = False
        elif b == _DLE:
            escaped = True
        elif b == _ETX:
            if datagrams or out:
                frames.append(bytes(out))
            out = bytearray()
        else:
            out.append(b)
    if out:
        frames.append(bytes(out))
    return frames if datagrams else [b"".join(frames)] if frames else []


def _decoded_length(raw: bytes) -> int:
    """Payload bytes in a mapped-UART stream so far (escapes and [ETX] not counted)."""
    raw = raw[raw.find(b"CONNECT\r\n") + 9:] if b"CONNECT\r\n" in raw else raw
    return sum(len(f) for f in _wip_frames(raw, True))
