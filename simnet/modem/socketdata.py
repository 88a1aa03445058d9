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
=======================  ======================================================  ==============

Wavecom eDsoft carries socket, FTP and UDP data in a data session (after
``Ok_Info_WaitingForData`` / ``Ok_Info_DataBegin``, DLE-escaped, ended by ETX; §4-§6), not in
responses or URCs: a host decodes that stream with
``simnet.modem.vendors.wavecom.edsoft.framing.StreamDecoder``, as its driver would.

``+IPD`` does not name the link: the helper finds it from the ``RECV FROM`` address and the
``AT+CIPOPEN`` the host sent for it (else the key is ``"<ip>:<port>"``). Formats without a length
(SIMCom AT+CIPHEAD=0, Fibocom IPRFMT 1) cannot be told apart from other output — by the helper
or by a real host — and stay in the byte stream.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from simnet.modem.urc import Urc

Link = int | str

_RECV_FROM = re.compile(r"RECV FROM:([0-9.]+):(\d+)")
_IPD = re.compile(r"\+IPD(\d+)")
_RECEIVE = re.compile(r"\+RECEIVE,(\d+),(\d+)")
_CIPRXGET_URC = re.compile(r"\+CIPRXGET: 1,(\d+)")
_CIPRXGET_READ = re.compile(r"\+CIPRXGET: ([23]),(\d+),(\d+),(\d+)")
_CIPOPEN = re.compile(r'AT\+CIPOPEN=(\d+),"(?:TCP|UDP)","([^"]*)",(\d+)', re.I)
_MIPRTCP = re.compile(r"\+MIPRTCP: (\d+),(\d+),([0-9A-Fa-f]*)")
_MIPRUDP = re.compile(r"\+MIPRUDP: ([0-9.]+),(\d+),(\d+),(\d+),([0-9A-Fa-f]*)")
_MIPDATA = re.compile(r"\+MIPDATA: (\d+),(\d+)")


@dataclass
class Chunk:
    """Data one receive report carried: when, on which link, from where."""

    t: float
    link: Link
    data: bytes
    remote: tuple[str, int] | None = None


class SocketData:
    """Received bytes per link; ``received(link)``, ``read(link)``, ``chunks``, ``pending``,
    ``fetch(link)`` for the pull formats."""

    def __init__(self, dte: Any) -> None:
        self.dte = dte
        self.chunks: list[Chunk] = []
        self._buffers: dict[Link, bytearray] = defaultdict(bytearray)
        self.pending: dict[Link, int] = defaultdict(int)  # announced, not read yet (pull modes)
        self._remote: tuple[str, int] | None = None  # the last RECV FROM
        self._opened: dict[tuple[str, int], int] = {}  # (host, port) -> link, from AT+CIPOPEN

    # -- reading -----------------------------------------------------------------------------
    def received(self, link: Link) -> bytes:
        """Every byte received on ``link`` and not yet taken with :meth:`read`."""
        return bytes(self._buffers.get(link, b""))

    def read(self, link: Link) -> bytes:
        """Take the bytes received on ``link``."""
        data = self.received(link)
        self._buffers.pop(link, None)
        return data

    @property
    def links(self) -> list[Link]:
        return [k for k, v in self._buffers.items() if v]

    def fetch(self, link: int, size: int = 1500, timeout: float = 10.0) -> bytes:
        """Pull formats: read what the module holds for ``link`` with its read command
        (``AT+CIPRXGET=2,<link>,<size>`` on SIMCom, ``AT+MIPREAD=<sid>,<size>`` on Fibocom) until
        it says nothing is left; returns (and takes) the bytes read."""
        before = len(self._buffers.get(link, b""))
        if self.dte.vendor == "fibocom":
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
        data = bytes(self._buffers.get(link, b"")[before:])
        self.read(link)
        return data

    # -- fed by the DTE ----------------------------------------------------------------------
    def _add(
        self, t: float, link: Link, data: bytes, remote: tuple[str, int] | None = None
    ) -> None:
        if data:
            self.chunks.append(Chunk(t, link, data, remote))
            self._buffers[link] += data

    def on_urc(self, urc: Urc) -> None:
        text = urc.text
        if text.startswith("RECV FROM:"):
            m = _RECV_FROM.fullmatch(text)
            if m:
                self._remote = (m.group(1), int(m.group(2)))
            return
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
        m = _RECEIVE.fullmatch(text)
        if m:
            self._add(urc.t, int(m.group(1)), urc.data, self._remote)
            self._remote = None
            return
        m = _CIPRXGET_URC.fullmatch(text)
        if m:
            self.pending[int(m.group(1))] += 1  # data waits: the length is not announced
            return
        if text.startswith("+MIP"):
            self._fibocom_urc(urc)

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
        m = _MIPRTCP.fullmatch(text)
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
