"""Host programs for chaos scenarios: what a careful firmware does over the modules' own TCP
commands, and one that is deliberately careless.

A :class:`Sockets` driver speaks one vendor's socket commands (SIMCom SIM7600/A76xx: ``AT+NETOPEN``,
``AT+CIPOPEN``, ``AT+CIPSEND``, ``+IPCLOSE``; Fibocom L610: ``AT+MIPCALL``, ``AT+MIPOPEN``,
``AT+MIPSEND`` + ``AT+MIPPUSH``, ``+MIPSTAT``; Wavecom WIPsoft: ``AT+WIPBR``, ``AT+WIPCREATE``,
``AT+WIPDATA`` continuous mode, ``+WIPPEERCLOSE``; Wavecom eDsoft: ``AT#CONNECTIONSTART``,
``AT#OTCP`` and its DLE/ETX data session, DCD) and watches the URCs that say a socket or the
network is gone. The workloads on top recover from anything: a lost socket, a lost context, a
module that restarted - they start again from the first command, with a back-off, until their
deadline. What they report as done they verified (an echo compared byte for byte, an FTP
``226`` and the file read back), and they state it in ``sim.claims`` for the integrity
invariant.

Use them from a scenario: ``program: {function: simnet.chaos.hosts:tcp_echo, args: {host:
echo.example.net}}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from simnet.errors import ExpectTimeout
from simnet.modem.dialect import ETX
from simnet.modem.vendors.wavecom.common import FramedInput
from simnet.modem.vendors.wavecom.edsoft.framing import (
    MailEndDetector,
    StreamDecoder,
    dot_stuff,
    escape,
)

# Boot lines: SIM7600 RDY, A76xx *ATREADY: 1, then +CPIN: READY, SMS DONE, PB DONE (the L610
# prints none: its next command fails instead).
RDY = re.compile(r"RDY|\*ATREADY: 1|\+CPIN: READY|SMS DONE|PB DONE")
PASV = re.compile(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)")  # RFC 959 §4.1.2 227 reply


class Gone(Exception):
    """The socket, the context or the module's state went away: start again."""


class Sockets:
    """A vendor's TCP socket commands, with the URCs that end things watched."""

    vendor = ""
    SOCKET_GONE = ""  # the URC saying a socket ended (its id first)
    NETWORK_GONE = ""  # the URC saying the context is gone

    def __init__(self, sim: Any, apn: str = "internet") -> None:
        self.sim = sim
        self.dte = sim.dte
        self.apn = apn
        self.closed: set[int] = set()  # links the module said are gone
        self.network_lost = False
        self.rebooted = False
        self.dte.on(RDY.pattern, self._on_boot, consume=False)
        self.dte.on(self.SOCKET_GONE, self._on_socket_gone, consume=False)
        self.dte.on(self.NETWORK_GONE, self._on_network_gone, consume=False)

    def _on_boot(self, _urc: Any) -> None:
        self.rebooted = True
        self.network_lost = True

    def _on_socket_gone(self, urc: Any) -> None:
        self.closed.add(int(urc.text.split(":")[1].split(",")[0]))

    def _on_network_gone(self, _urc: Any) -> None:
        self.network_lost = True

    def _start(self) -> None:
        """The common first steps: forget the past, the module answers, it is registered."""
        self.fresh()
        if not self.cmd("AT").ok:
            raise Gone("no OK to AT")
        self.wait_registered()

    def cmd(self, line: str, timeout: float = 10.0) -> Any:
        try:
            return self.dte.command(line, timeout=timeout)
        except ExpectTimeout as exc:
            raise Gone(f"no answer to {line}") from exc

    def urc(self, pattern: str, timeout: float) -> str:
        try:
            return str(self.dte.next_urc(pattern, timeout).text)
        except ExpectTimeout as exc:
            raise Gone(f"no {pattern} within {timeout:g} s") from exc

    # -- what each vendor's driver does (Gone when it cannot) --------------------------------
    def up(self) -> None:
        """Registered, context active, ready to open sockets."""
        raise NotImplementedError

    def down(self) -> None:
        """Close every socket and the context, whatever state they are in."""
        raise NotImplementedError

    def open(self, link: int, ip: str, port: int) -> None:
        raise NotImplementedError

    def send(self, link: int, data: bytes) -> None:
        """Every byte taken by the module for sending (confirmed), or Gone."""
        raise NotImplementedError

    def close(self, link: int) -> None:
        raise NotImplementedError

    def wait_registered(self, timeout: float = 120.0) -> None:
        t_end = self.sim.now + timeout
        while self.sim.now < t_end:
            r = self.cmd("AT+CGREG?")
            m = re.search(r"\+CGREG: \d,(\d)", r.line("+CGREG:") or "")
            if m and m.group(1) in ("1", "5"):
                return
            self.sim.advance(2.0)
        raise Gone("not registered")

    def fresh(self) -> None:
        """Forget what the module said before a (re)start of the workload."""
        self.closed.clear()
        self.network_lost = False
        self.rebooted = False
        self.dte.urcs.clear()  # what an earlier attempt left unread is not news

    def _new_life(self, link: int) -> None:
        """The module took the open command (its OK): a socket-gone URC of ``link`` seen by now
        was news of its earlier life - it raced the command (a failure of the new connection
        needs a round trip on the network, after the OK)."""
        self.closed.discard(link)
        self.forget(self.SOCKET_GONE.replace(r"\d+", str(link), 1))

    def forget(self, pattern: str) -> None:
        """Drop unread URCs matching ``pattern``: news about a socket's earlier life."""
        regex = re.compile(pattern)
        for urc in [u for u in self.dte.urcs if regex.match(u.text)]:
            self.dte.urcs.remove(urc)

    def received(self, link: int) -> bytes:
        return self.dte.socket_data.received(link)

    def take(self, link: int) -> bytes:
        return self.dte.socket_data.read(link)

    def wait_bytes(self, link: int, n: int, timeout: float) -> bytes:
        """At least ``n`` bytes received on ``link`` (not taken); Gone if the link ends first."""
        sd = self.dte.socket_data
        self.sim.run_until(lambda: len(sd.received(link)) >= n or link in self.closed
                           or self.network_lost, timeout)
        got = sd.received(link)
        if len(got) < n:
            raise Gone(f"link {link}: {len(got)} of {n} bytes")
        return got

    def wait_closed(self, link: int, timeout: float) -> bool:
        return self.sim.run_until(lambda: link in self.closed or self.network_lost, timeout)


class SimcomSockets(Sockets):
    """SIM7600 (S76 L1101-L1115) and A76xx (A76 3.x) socket commands, direct push mode."""

    vendor = "simcom"
    SOCKET_GONE = r"\+IPCLOSE: \d+,\d+"  # A76 4.2
    NETWORK_GONE = r"\+C(?:IP|PIP)EVENT: NETWORK CLOSED UNEXPECTEDLY"

    def up(self) -> None:
        self._start()
        r = self.cmd("AT+NETOPEN?")
        if (r.line("+NETOPEN:") or "").strip() == "+NETOPEN: 1":
            self.cmd("AT+NETCLOSE", 30)  # a context of an earlier attempt: start clean
            self.urc(r"\+NETCLOSE: \d+", 30)
        if not self.cmd(f'AT+CGDCONT=1,"IP","{self.apn}"').ok:
            raise Gone("AT+CGDCONT refused")
        if not self.cmd("AT+NETOPEN", 30).ok:
            raise Gone("AT+NETOPEN refused")
        if self.urc(r"\+NETOPEN: \d+", 60) != "+NETOPEN: 0":
            raise Gone("AT+NETOPEN failed")

    def down(self) -> None:
        for link in range(2):
            try:
                self.cmd(f"AT+CIPCLOSE={link}", 10)
            except Gone:
                pass
        try:
            if self.cmd("AT+NETCLOSE", 30).ok:
                self.urc(r"\+NETCLOSE: \d+", 30)
        except Gone:
            pass

    def open(self, link: int, ip: str, port: int) -> None:
        self.forget(rf"\+(?:CIPOPEN|IPCLOSE|CIPCLOSE): {link},")
        if not self.cmd(f'AT+CIPOPEN={link},"TCP","{ip}",{port}', 30).ok:
            raise Gone(f"AT+CIPOPEN={link} refused")
        self._new_life(link)
        if self.urc(rf"\+CIPOPEN: {link},\d+", 150) != f"+CIPOPEN: {link},0":
            raise Gone(f"link {link} did not connect")

    CHUNK = 1460  # bytes per AT+CIPSEND (S76 L1105: <length> 1-1500)

    def send(self, link: int, data: bytes) -> None:
        for i in range(0, len(data), self.CHUNK):
            chunk = data[i : i + self.CHUNK]
            if link in self.closed or self.network_lost:
                raise Gone(f"link {link} is closed")
            r = self.cmd(f"AT+CIPSEND={link},{len(chunk)}", 10)
            if r.final != ">":
                raise Gone(f"AT+CIPSEND={link} answered {r.final}")
            self.dte.write(chunk)
            got = self.urc(rf"\+CIPSEND: {link},\d+,-?\d+", 30)
            if got != f"+CIPSEND: {link},{len(chunk)},{len(chunk)}":
                raise Gone(f"{got} for {len(chunk)} bytes")

    def close(self, link: int) -> None:
        """Close ``link``; Gone if the module says the close failed. ERROR to the command means
        the link is no longer open (the peer closed it, maybe while the command was on its way):
        there is nothing left to close."""
        if not self.cmd(f"AT+CIPCLOSE={link}", 10).ok or link in self.closed:
            return
        if self.urc(rf"\+CIPCLOSE: {link},\d+", 150) != f"+CIPCLOSE: {link},0":
            raise Gone(f"link {link} did not close cleanly")


class FibocomSockets(Sockets):
    """L610 socket commands (L610 §1.1): +MIPCALL, +MIPOPEN, +MIPSEND (hex) + +MIPPUSH."""

    vendor = "fibocom"
    CHUNK = 512  # bytes per AT+MIPSEND (§1.1.4.1: under 1024 characters)
    SOCKET_GONE = r"\+MIPSTAT: \d+,[12]"  # §1.1.11.4: 1 broken, 2 closed by the peer
    NETWORK_GONE = r"\+MIPCALL: 0$"

    def up(self) -> None:
        self._start()
        r = self.cmd("AT+MIPCALL?")
        if (r.line("+MIPCALL:") or "").startswith("+MIPCALL: 1"):
            self.cmd("AT+MIPCALL=0", 30)
            self.urc(r"\+MIPCALL: 0$", 30)
        if not self.cmd(f'AT+MIPCALL=1,"{self.apn}"', 30).ok:
            raise Gone("AT+MIPCALL refused")
        got = self.urc(r"\+MIPCALL: ", 60)
        if got == "+MIPCALL: 0":
            raise Gone("AT+MIPCALL failed")
        self.network_lost = False

    def down(self) -> None:
        for sid in (1, 2):
            try:
                self.cmd(f"AT+MIPCLOSE={sid}", 10)
            except Gone:
                pass
        try:
            if self.cmd("AT+MIPCALL=0", 30).ok:
                self.urc(r"\+MIPCALL: 0$", 30)
        except Gone:
            pass

    def open(self, link: int, ip: str, port: int) -> None:
        self.forget(rf"\+MIP(?:OPEN|STAT|CLOSE): {link},")
        if not self.cmd(f'AT+MIPOPEN={link},,"{ip}",{port},0', 30).ok:
            raise Gone(f"AT+MIPOPEN={link} refused")
        self._new_life(link)
        got = self.urc(rf"\+MIP(?:OPEN|STAT): {link},", 150)
        if not got.startswith(f"+MIPOPEN: {link},1"):
            raise Gone(f"socket {link} did not connect ({got})")

    def send(self, link: int, data: bytes) -> None:
        for i in range(0, len(data), self.CHUNK):
            if link in self.closed or self.network_lost:
                raise Gone(f"socket {link} is closed")
            chunk = data[i : i + self.CHUNK]
            r = self.cmd(f'AT+MIPSEND={link},"{chunk.hex().upper()}"', 10)
            if not r.ok or not (r.line("+MIPSEND:") or "").startswith(f"+MIPSEND: {link},0,"):
                raise Gone(f"AT+MIPSEND={link} answered {r.final}")
        r = self.cmd(f"AT+MIPPUSH={link}", 10)
        if not r.ok or not (r.line("+MIPPUSH:") or "").startswith(f"+MIPPUSH: {link},0"):
            raise Gone(f"AT+MIPPUSH={link} answered {r.final}")

    def close(self, link: int) -> None:
        """As SIMCom's: ERROR means the socket is no longer open (L610 §1.1.3: "socket not
        opened"), which the +MIPSTAT on its way will say too."""
        if not self.cmd(f"AT+MIPCLOSE={link}", 10).ok or link in self.closed:
            return
        got = self.urc(rf"\+MIP(?:CLOSE|STAT): {link},", 150)
        if not re.fullmatch(rf"\+MIPCLOSE: {link}(?:,\d+)?,0", got):
            raise Gone(f"socket {link} did not close cleanly ({got})")


class WipsoftSockets(Sockets):
    """Wavecom WIPsoft (§4.2 +WIPBR, §5 +WIPCREATE/+WIPCLOSE, §6.2 +WIPDATA): data goes out and
    comes in on the UART mapped to the socket ([DLE]-escaped), left with +++."""

    vendor = "wavecom-wipsoft"
    SOCKET_GONE = r"\+WIPPEERCLOSE: 2,\d+"
    NETWORK_GONE = r"\+WIPBR: 6,[1-9]\d*,"  # the started GPRS bearer went down

    def _on_socket_gone(self, urc: Any) -> None:
        self.closed.add(int(urc.text.rsplit(",", 1)[1]))

    def up(self) -> None:
        self._start()
        self.cmd("AT+CMEE=1")
        self.cmd("AT+WIPCFG=1")  # 850 when it runs already: fine
        self.cmd("AT+WIPBR=0,6", 30)  # an earlier attempt's bearer: start clean
        if not self.cmd("AT+WIPBR=1,6").ok or not self.cmd(f'AT+WIPBR=2,6,11,"{self.apn}"').ok:
            raise Gone("AT+WIPBR refused")
        if not self.cmd("AT+WIPBR=4,6,0", 200).ok:
            raise Gone("the GPRS bearer did not start")
        self.network_lost = False

    def down(self) -> None:
        for idx in (1, 2):
            try:
                self.cmd(f"AT+WIPCLOSE=2,{idx}", 10)
            except Gone:
                pass
        try:
            self.cmd("AT+WIPBR=0,6", 30)
        except Gone:
            pass

    def open(self, link: int, ip: str, port: int) -> None:
        self.forget(rf"\+WIP(?:READY|PEERCLOSE|DATA): 2,{link}\b")
        if not self.cmd(f'AT+WIPCREATE=2,{link},"{ip}",{port}', 30).ok:
            raise Gone(f"AT+WIPCREATE=2,{link} refused")
        self._new_life(link)
        if self.urc(rf"\+WIP(?:READY|PEERCLOSE): 2,{link}$", 150) != f"+WIPREADY: 2,{link}":
            raise Gone(f"socket {link} did not connect")

    def send(self, link: int, data: bytes) -> None:
        from simnet.modem.vendors.wavecom.common import escape

        if link in self.closed or self.network_lost:
            raise Gone(f"socket {link} is closed")
        self.dte.read_available()  # URC lines already framed (dte.urcs): not the mapping's bytes
        if self.cmd(f"AT+WIPDATA=2,{link},1", 10).final != "CONNECT":
            raise Gone(f"AT+WIPDATA=2,{link},1 refused")
        self.dte.write(escape(data))
        self.sim.advance(1.1)  # §6.2.1.3: a second of silence around +++
        self.dte.write(b"+++")
        self.sim.advance(1.1)
        raw = self.dte.read_available()
        if not raw.endswith(b"\r\nOK\r\n"):
            raise Gone(f"socket {link}: no OK after +++")
        self.dte.socket_data.feed_wipsoft(f"tcp:{link}", raw)  # the echo read while mapped

    def received(self, link: int) -> bytes:
        return self.dte.socket_data.received(f"tcp:{link}")

    def take(self, link: int) -> bytes:
        return self.dte.socket_data.read(f"tcp:{link}")

    def wait_bytes(self, link: int, n: int, timeout: float) -> bytes:
        sd, key = self.dte.socket_data, f"tcp:{link}"
        t_end = self.sim.now + timeout
        while len(sd.received(key)) < n and self.sim.now < t_end:
            if sd.pending.get(key):
                sd.fetch(key, timeout=10)
                continue
            self.sim.run_until(
                lambda: bool(sd.pending.get(key)) or link in self.closed or self.network_lost,
                max(0.001, t_end - self.sim.now))
            if not sd.pending.get(key) and (link in self.closed or self.network_lost):
                break
        got = sd.received(key)
        if len(got) < n:
            raise Gone(f"socket {link}: {len(got)} of {n} bytes")
        return got

    def close(self, link: int) -> None:
        if not self.cmd(f"AT+WIPCLOSE=2,{link}", 10).ok:
            return  # 830: nothing left to close
        self.urc(rf"\+WIPPEERCLOSE: 2,{link}$", 150)


_EDSOFT_FINAL = re.compile(rb"\r\n(OK|#CME ERROR: (\d+))\r\n")
EDSOFT_LOST = (35841, 35867)  # §9.2: the GPRS link was lost / no link: start again from the link


class EdsoftSockets(Sockets):
    """Wavecom eDsoft (§2.2 #CONNECTIONSTART, §5.4 #OTCP): one TCP connection at a time, carried
    in a serial data session - the payload DLE-escaped both ways, an unescaped ETX ends it
    (§5.1.1). After the module's ETX comes why: ``#CME ERROR: <§9.2 code>``, or, when the host
    sent the ETX, ``Ok_Info_SocketClosed`` and ``OK``. The session's bytes are read raw from the
    line and decoded as eDsoft's own framing says (``edsoft.framing``), as a real driver would;
    the mail commands (§3.2 #GETMAIL, §3.4 #PUTMAIL) are here too."""

    vendor = "wavecom-edsoft"
    SOCKET_GONE = r"(?!)"  # said in the session itself (ETX, then the code): read there
    NETWORK_GONE = r"^#CME ERROR: 35841$"  # §9.2 "GPRS connection lost", outside a command

    def __init__(self, sim: Any, apn: str = "internet") -> None:
        super().__init__(sim, apn)
        self.in_session = False
        self.decoder = StreamDecoder()
        self.rx = bytearray()  # decoded payload of the current session, not taken yet
        self.held = bytearray()  # payload read after DCD dropped, before the session's ETX
        self.tail = b""  # what followed the module's ETX: the line saying why the session ended
        self.ended_with: int | None = None  # the §9.2 code that ended the last session (0: OK)
        self.dcd_dropped: tuple[float, int] | None = None  # (when, bytes received by then)

    def up(self) -> None:
        self._start()
        self.set("AT&C1")  # DCD on while a data session runs: how a silent end shows (a reset)
        self.cmd("AT#CONNECTIONSTOP", 60)  # an earlier attempt's link: start clean
        if not self.cmd("AT+CGATT=1", 60).ok:
            raise Gone("AT+CGATT=1 refused")
        if not self.cmd(f'AT#APNSERV="{self.apn}"').ok:
            raise Gone("AT#APNSERV refused")
        r = self.cmd("AT#CONNECTIONSTART", 200)
        if r.final != "Ok_Info_GprsActivation":
            raise Gone(f"AT#CONNECTIONSTART answered {r.final}")
        self.network_lost = False

    def down(self) -> None:
        try:
            if self.in_session:
                self.close(first_link(self))
            self.cmd("AT#CONNECTIONSTOP", 60)
        except Gone:
            pass
        self.in_session = False

    def set(self, line: str) -> None:
        if not self.cmd(line).ok:
            raise Gone(f"{line} refused")

    def open(self, link: int, ip: str, port: int) -> None:
        if self.in_session:
            raise Gone("a data session is still running")
        for line in (f'AT#TCPSERV={link},"{ip}"', f"AT#TCPPORT={link},{port}",
                     f"AT#DLEMODE={link},1"):
            self.set(line)
        r = self.cmd(f"AT#OTCP={link}", 200)  # DNS, then a connect of up to 2 x 60 s
        if r.final != "Ok_Info_WaitingForData":
            self._error(r.final)
            raise Gone(f"AT#OTCP={link} answered {r.final}")
        self._new_session()

    def _new_session(self) -> None:
        self.closed.clear()
        self.in_session = True
        self.decoder = StreamDecoder()
        self.rx.clear()
        self.held.clear()
        self.tail = b""
        self.ended_with = None
        self.dcd_dropped = None

    def _error(self, final: str) -> None:
        m = re.fullmatch(r"#CME ERROR: (\d+)", final)
        if m and int(m.group(1)) in EDSOFT_LOST:
            self.network_lost = True

    def _pump(self) -> None:
        """Decode what the module sent in the session so far; at its ETX, read why it ended."""
        raw = self.dte.read_available()
        if self.in_session:
            payload, ended, used = self.decoder.feed(raw)
            if ended or self.dte.dcd:
                self.rx += self.held + payload
                self.held.clear()
            else:  # DCD dropped: data only if the session's ETX follows (a reset echoes input)
                self.held += payload
            if not ended:
                if not self.dte.dcd and self._quiet_since_dcd_drop():
                    # the session is gone without its ETX (a module reset says nothing): what
                    # the host writes now would be AT command input, echoed back as if data
                    self.in_session = False
                    self.ended_with = -1
                    self.closed.add(first_link(self))
                    self.network_lost = True
                return
            self.in_session = False
            raw = raw[used:]
        if self.ended_with is None:
            self.tail += raw
            m = _EDSOFT_FINAL.search(self.tail)
            if m is not None:
                self.ended_with = int(m.group(2) or 0)
                self.closed.add(first_link(self))
                self._error(m.group(1).decode())

    def _quiet_since_dcd_drop(self) -> bool:
        """DCD dropped, and the line was quiet since for a second: the session's tail (its ETX
        and result line, which the UART carries after the DCD drop) is not coming."""
        if self.dcd_dropped is None:
            self.dcd_dropped = (self.sim.now, self.dte.bytes_received)
            self.sim.call_later(1.0, lambda: None)  # look again then
        t, n = self.dcd_dropped
        if n != self.dte.bytes_received:
            self.dcd_dropped = (self.sim.now, self.dte.bytes_received)
            self.sim.call_later(1.0, lambda: None)
            return False
        return self.sim.now - t >= 1.0

    def _wait_line(self, seconds: float) -> None:
        """Until the module sends something, DCD drops, or ``seconds`` pass."""
        seen, dcd = self.dte.bytes_received, self.dte.dcd
        wake = self.dcd_dropped[0] + 1.0 if self.in_session and self.dcd_dropped else float("inf")
        if wake <= self.sim.now:
            wake = float("inf")
        self.sim.run_until(
            lambda: self.dte.bytes_received != seen or self.dte.dcd != dcd or self.sim.now >= wake,
            max(0.001, seconds),
        )

    def send(self, link: int, data: bytes) -> None:
        """Into the session; eDsoft confirms nothing (bytes leave after TCPTXDELAY, §5.1.4)."""
        self._pump()
        if not self.in_session or self.network_lost or not self.dte.dcd:
            raise Gone(f"socket {link} is closed")
        self.dte.write(escape(data))

    def received(self, link: int) -> bytes:
        self._pump()
        return bytes(self.rx)

    def take(self, link: int) -> bytes:
        self._pump()
        out = bytes(self.rx)
        self.rx.clear()
        return out

    def wait_bytes(self, link: int, n: int, timeout: float) -> bytes:
        t_end = self.sim.now + timeout
        while True:
            self._pump()
            if len(self.rx) >= n:
                return bytes(self.rx)
            if not self.in_session or self.network_lost or self.sim.now >= t_end:
                raise Gone(f"socket {link}: {len(self.rx)} of {n} bytes (ended: {self.ended_with})")
            self._wait_line(t_end - self.sim.now)

    def wait_closed(self, link: int, timeout: float) -> bool:
        t_end = self.sim.now + timeout
        while self.ended_with is None and self.sim.now < t_end:
            self._wait_line(t_end - self.sim.now)
            self._pump()
        return self.ended_with is not None

    def close(self, link: int) -> None:
        """ETX ends the session (§5.1.1): ETX back, Ok_Info_SocketClosed, OK - or the peer's end
        that crossed it (nothing left to close either way)."""
        self._pump()
        if self.in_session and self.dte.dcd:
            self.dte.write(bytes((ETX,)))
        if not self.wait_closed(link, 30):
            self.in_session = False
            raise Gone(f"socket {link}: no end of the session after ETX")

    def final(self, timeout: float, already: bytes = b"") -> int:
        """The final result that ends a command whose data went over the line: 0 for OK, else
        the §9.2 code; Gone if none comes."""
        buf = already
        t_end = self.sim.now + timeout
        while True:
            buf += self.dte.read_available()
            m = _EDSOFT_FINAL.search(buf)
            if m is not None:
                code = int(m.group(2) or 0)
                self._error(m.group(1).decode())
                return code
            if self.sim.now >= t_end:
                raise Gone("no final result")
            self._wait_line(t_end - self.sim.now)

    def putmail(self, body: str, timeout: float = 200.0) -> None:
        """§3.4: Ok_Info_WaitingForData, the body (dot-stuffed, CR LF line ends) up to
        CR LF . CR LF; OK once the SMTP server took the mail (its 250), else Gone."""
        r = self.cmd("AT#PUTMAIL", timeout)
        if r.final != "Ok_Info_WaitingForData":
            self._error(r.final)
            raise Gone(f"AT#PUTMAIL answered {r.final}")
        self.dte.write(dot_stuff(body.encode()) + b".\r\n")
        code = self.final(timeout)
        if code:
            raise Gone(f"AT#PUTMAIL: #CME ERROR: {code}")

    def getmail(self, timeout: float = 200.0) -> str | None:
        """§3.2: the oldest mail of the POP3 maildrop (headers, CR LF, body, dot-stuffed as the
        server sent it, CR LF . CR LF) when the command ends with OK; None when the box is
        empty (Ok_Info_NoMail); Gone on an error (the mail stays in the box unless the
        server's QUIT went through)."""
        r = self.cmd("AT#GETMAIL", timeout)
        if r.final == "Ok_Info_NoMail":
            return None
        if r.final != "Ok_Info_Mail":
            self._error(r.final)
            raise Gone(f"AT#GETMAIL answered {r.final}")
        detector, text = MailEndDetector(), bytearray()
        t_end = self.sim.now + timeout
        while True:
            raw = self.dte.read_available()
            part, ended, used = detector.feed(raw)
            text += part
            if ended:
                break
            if self.sim.now >= t_end:
                raise Gone("#GETMAIL: the mail did not end")
            self._wait_line(t_end - self.sim.now)
        code = self.final(max(1.0, t_end - self.sim.now), raw[used:])
        if code:
            raise Gone(f"AT#GETMAIL: #CME ERROR: {code} after the mail")
        return bytes(text).decode("latin-1")


DRIVERS: dict[str, type[Sockets]] = {"simcom": SimcomSockets, "fibocom": FibocomSockets,
                                     "wavecom-wipsoft": WipsoftSockets,
                                     "wavecom-edsoft": EdsoftSockets}


def driver(sim: Any, apn: str = "internet") -> Sockets:
    module_id = getattr(getattr(sim.module, "profile", None), "id", "")
    vendor = module_id if module_id in DRIVERS else sim.dte.vendor
    if vendor not in DRIVERS:
        raise ValueError(
            f"no socket driver for {vendor!r} modules (expected one of {', '.join(DRIVERS)})"
        )
    return DRIVERS[vendor](sim, apn)


def first_link(sock: Sockets) -> int:
    return 1 if sock.vendor in ("fibocom", "wavecom-wipsoft", "wavecom-edsoft") else 0


def _ip(sim: Any, host: str) -> str:
    return sim.world.host_ip(host) or host


def _record(session: int, k: int, size: int) -> bytes:
    """Record ``k`` of attempt ``session``: recognisable and different in every attempt."""
    head = f"<{session:03d}:{k:03d}>".encode()
    body = bytes(
        (33 + (session * 7 + k * 13 + i) % 90) for i in range(max(0, size - len(head) - 1))
    )
    return (head + body + b"\n")[:size]


def _backoff(sim: Any, attempt: int) -> None:
    sim.advance(min(2.0 * 2 ** min(attempt, 5), 60.0))


# -- workloads ---------------------------------------------------------------------------------
def tcp_echo(
    sim: Any,
    host: str,
    port: int = 7,
    records: int = 6,
    size: int = 200,
    apn: str = "internet",
    interval: float = 0.0,
    deadline: float = 1200.0,
) -> dict[str, Any] | bool:
    """Send ``records`` records of ``size`` bytes to a TCP echo server, ``interval`` seconds
    apart (a tracker reporting); each must come back intact before the next goes. Any loss
    (socket, context, module) starts a new connection that sends what was not echoed yet. True
    when all were echoed (the result says how many attempts it took); False if ``deadline``
    (virtual seconds) passes first."""
    sock = driver(sim, apn)
    ip, link = _ip(sim, host), first_link(sock)
    done = 0
    attempt = 0
    while sim.now < deadline:
        attempt += 1
        try:
            sock.up()
            sock.open(link, ip, port)
            sock.take(link)
            for k in range(done, records):
                data = _record(attempt, k, size)
                sock.send(link, data)
                echo = sock.wait_bytes(link, len(data), 60)
                if echo[: len(data)] != data:
                    raise AssertionError(
                        f"the echo of record {k} differs: {echo[: len(data)]!r} != {data!r}"
                    )
                sock.take(link)
                sim.claims.stream(host, port, data, f"record {k} echoed")
                done = k + 1
                if interval and done < records:
                    sim.advance(interval)
            sock.close(link)
            return {"records": done, "attempts": attempt, "t_done": round(sim.now, 3)}
        except Gone:
            sock.down()
            _backoff(sim, attempt)
    return False


def careless_sender(
    sim: Any,
    host: str,
    port: int = 9,
    records: int = 20,
    size: int = 100,
    apn: str = "internet",
    interval: float = 2.0,
) -> dict[str, Any]:
    """DELIBERATELY BROKEN - the bug class chaos exists to find. Opens one connection and
    sends ``records`` records ``interval`` seconds apart, counting each as delivered; it
    ignores ``+IPCLOSE`` and the errors of later sends ("keeps sending"), and at the end claims
    every byte reached the peer. Correct only while nothing goes wrong."""
    sock = driver(sim, apn)
    ip, link = _ip(sim, host), first_link(sock)
    sock.up()
    sock.open(link, ip, port)
    sent = b""
    for k in range(records):
        data = _record(0, k, size)
        dte = sim.dte
        r = dte.command(
            f"AT+CIPSEND={link},{len(data)}"
            if sock.vendor == "simcom"
            else f'AT+MIPSEND={link},"{data.hex().upper()}"',
            timeout=10,
        )
        if sock.vendor == "simcom" and r.final == ">":
            dte.write(data)
        elif sock.vendor == "fibocom":
            dte.command(f"AT+MIPPUSH={link}", timeout=10)
        sent += data  # the bug: counted whatever the module answered
        sim.advance(interval)
    sim.claims.stream(host, port, sent, f"{records} records counted as sent")
    return {"records": records, "bytes": len(sent)}


class _LineClient:
    """A line protocol over one of the module's sockets (the replies of FTP, SMTP, POP3)."""

    def __init__(self, sock: Sockets, ip: str, link: int) -> None:
        self.sock, self.ip, self.ctrl = sock, ip, link
        self.buf = b""

    def connect(self, port: int) -> None:
        self.sock.open(self.ctrl, self.ip, port)
        self.sock.take(self.ctrl)
        self.buf = b""

    def until(self, done: Any, timeout: float = 60.0) -> bytes:
        """Read until ``done(buffer)`` returns the length of a complete reply; take it."""
        t_end = self.sock.sim.now + timeout
        while True:
            self.buf += self.sock.take(self.ctrl)
            n = done(self.buf)
            if n:
                reply, self.buf = self.buf[:n], self.buf[n:]
                return reply
            left = t_end - self.sock.sim.now
            if left <= 0:
                raise Gone("no reply")
            self.sock.wait_bytes(self.ctrl, len(self.sock.received(self.ctrl)) + 1, left)

    def reply(self, timeout: float = 60.0) -> tuple[int, str]:
        """The next complete numeric reply (RFC 959 / RFC 5321: multi-line ends with 'NNN ')."""

        def complete(buf: bytes) -> int:
            start = 0
            while True:
                end = buf.find(b"\r\n", start)
                if end < 0:
                    return 0
                line = buf[start:end]
                if len(line) >= 4 and line[:3].isdigit() and line[3:4] == b" ":
                    return end + 2
                start = end + 2

        text = self.until(complete, timeout).decode("latin-1").rstrip("\r\n").split("\r\n")[-1]
        return int(text[:3]), text

    def command(self, line: str, timeout: float = 60.0) -> tuple[int, str]:
        self.sock.send(self.ctrl, line.encode() + b"\r\n")
        return self.reply(timeout)


class _Ftp(_LineClient):
    """An FTP client (RFC 959) over the module's sockets: control on one link, passive-mode
    data on the next."""

    def __init__(self, sock: Sockets, host: str, ip: str) -> None:
        super().__init__(sock, ip, first_link(sock))
        self.host = host
        self.data = self.ctrl + 1

    def login(self, user: str, password: str) -> None:
        self.connect(21)
        if self.reply()[0] != 220:
            raise Gone("no FTP greeting")
        code, _ = self.command(f"USER {user}")
        if code == 331:
            code, _ = self.command(f"PASS {password}")
        if code != 230:
            raise Gone(f"login refused ({code})")
        if self.command("TYPE I")[0] != 200:
            raise Gone("TYPE I refused")

    def passive(self) -> None:
        code, text = self.command("PASV")
        m = PASV.search(text)
        if code != 227 or m is None:
            raise Gone(f"PASV refused ({code})")
        port = int(m.group(5)) * 256 + int(m.group(6))
        self.sock.open(self.data, self.ip, port)
        self.sock.take(self.data)

    def put(self, path: str, payload: bytes) -> bool:
        self.passive()
        code, _ = self.command(f"STOR {path}")
        if code not in (125, 150):
            self.sock.close(self.data)
            return False
        self.sock.send(self.data, payload)
        self.sock.close(self.data)
        return self.reply(120)[0] == 226

    def get(self, path: str) -> bytes | None:
        self.passive()
        code, text = self.command(f"RETR {path}")
        if code not in (125, 150):
            self.sock.close(self.data)
            return None
        announced = re.search(r"\((\d+) bytes\)", text)  # vsftpd-style size in the 150 reply
        self.sock.wait_closed(self.data, 120)  # the server closes the data connection at the end
        if self.sock.network_lost or self.data not in self.sock.closed:
            raise Gone("the data connection ended without the server closing it")
        got = self.sock.take(self.data)
        self.sock.close(self.data)
        if announced and len(got) != int(announced.group(1)):
            # a 226 says the server wrote it all, not that it all arrived (a reset on the way)
            raise Gone(f"{len(got)} of the {announced.group(1)} bytes announced")
        return got if self.reply(120)[0] == 226 else None


def ftp_put_get(
    sim: Any,
    host: str,
    user: str = "demo",
    password: str = "secret",
    path: str = "upload.bin",
    size: int = 4000,
    rounds: int = 1,
    interval: float = 0.0,
    apn: str = "internet",
    deadline: float = 1500.0,
) -> dict[str, Any] | bool:
    """Upload ``size`` bytes to an FTP server and read the file back, ``rounds`` times
    ``interval`` seconds apart (a logger shipping files; with several rounds the files are
    ``<stem>-1<ext>``...). Each round's file must come back identical, after a 226 for both
    transfers; any failure logs in again and redoes the round. True (a dict) once every round
    is done, False if ``deadline`` passes."""
    sock = driver(sim, apn)
    ip = _ip(sim, host)

    def goodbye(ftp: _Ftp) -> None:
        try:  # done: how the goodbye goes changes nothing
            ftp.command("QUIT")
            sock.close(ftp.ctrl)
        except Gone:
            pass

    return _ftp_rounds(
        sim,
        sock,
        new_client=lambda: _Ftp(sock, host, ip),
        login=lambda ftp: ftp.login(user, password),
        goodbye=goodbye,
        abandon=lambda ftp: None,
        host=host,
        paths=_round_paths(path, rounds),
        size=size,
        interval=interval,
        deadline=deadline,
        claimed_by="226 after STOR",
    )


def _ftp_rounds(
    sim: Any,
    sock: Sockets,
    new_client: Callable[[], Any],
    login: Callable[[Any], None],
    goodbye: Callable[[Any], None],
    abandon: Callable[[Any], None],
    host: str,
    paths: list[str],
    size: int,
    interval: float,
    deadline: float,
    claimed_by: str,
) -> dict[str, Any] | bool:
    """The put/get rounds both FTP drivers share: a client with ``put``/``get``; any Gone
    abandons the session, takes the bearer down and redoes the round after a backoff."""
    rounds = len(paths)
    done = 0
    attempt = 0
    while sim.now < deadline:
        attempt += 1
        ftp = new_client()
        try:
            sock.up()
            login(ftp)
            for k in range(done, rounds):
                payload = _file_payload(k, size)
                if not ftp.put(paths[k], payload):
                    raise Gone("upload not completed")
                sim.claims.file(host, paths[k], payload, claimed_by)
                got = ftp.get(paths[k])
                if got is None:
                    raise Gone("download not completed")
                if got != payload:
                    raise AssertionError(
                        f"{paths[k]} read back differs ({len(got)} of {len(payload)} bytes)"
                    )
                done = k + 1
                if interval and done < rounds:
                    sim.advance(interval)
            goodbye(ftp)
            return {
                "files": rounds,
                "bytes": size * rounds,
                "attempts": attempt,
                "t_done": round(sim.now, 3),
            }
        except Gone:
            abandon(ftp)
            sock.down()
            _backoff(sim, attempt)
    return False


_WIP_FINAL = re.compile(rb"\r\n(OK|ERROR|\+CME ERROR: (\d+))\r\n")
_WIP_URC_LINES = re.compile(rb"(?:\r\n\+[^\r\n]*\r\n)*")  # what may come before a final


class _WipFtp:
    """WIPsoft's own FTP client (§5.1 +WIPCREATE mode 4, §6.1 +WIPFILE): session 1, binary
    (option 40 = 1), passive (the §5.3.7 default). The file goes up DLE-escaped and ends with
    a bare [ETX], then OK once the server's 226 came; it comes down DLE-escaped, a bare [ETX],
    then OK (§6.1.7). The bytes in the transfer are read raw off the line and decoded with the
    framing's own rules; a transfer whose line goes silent (a module reset says nothing) is
    Gone."""

    IDX = 1

    def __init__(self, sock: WipsoftSockets) -> None:
        self.sock = sock
        self.sim = sock.sim
        self.dte = sock.dte
        self.putting = False

    def login(self, host: str, user: str, password: str) -> None:
        self.sock.forget(r"\+WIPPEERCLOSE: 4,")
        r = self.sock.cmd(f'AT+WIPCREATE=4,{self.IDX},"{host}",21,"{user}","{password}"', 200)
        if not r.ok:
            raise Gone(f"AT+WIPCREATE=4 answered {r.final}")
        if not self.sock.cmd(f"AT+WIPOPT=4,{self.IDX},2,40,1").ok:
            raise Gone("binary type refused")

    def _final(self, buf: bytes) -> tuple[int, int] | None:
        """(code, where it starts) of the final result in ``buf`` (0: OK, -1: ERROR)."""
        m = _WIP_FINAL.search(buf)
        if m is None:
            return None
        if m.group(2):
            return int(m.group(2)), m.start()
        return (0 if m.group(1) == b"OK" else -1), m.start()

    def _wait_line(self, quiet: float) -> bool:
        """Until the module sends something; False after ``quiet`` seconds of silence."""
        seen = self.dte.bytes_received
        return self.sim.run_until(lambda: self.dte.bytes_received != seen, quiet)

    def put(self, name: str, payload: bytes, quiet: float = 150.0) -> bool:
        r = self.sock.cmd(f'AT+WIPFILE=4,{self.IDX},2,"{name}"', 200)  # TYPE, PASV, STOR
        if r.final != "CONNECT":
            return False
        self.putting = True
        self.dte.write(escape(payload) + bytes((ETX,)))
        buf = b""
        while True:
            buf += self.dte.read_available()
            found = self._final(buf)
            if found is not None:
                break
            if not self._wait_line(quiet):
                raise Gone(f"no result after the [ETX] of {name}")
        self.putting = False
        code, start = found
        if _WIP_URC_LINES.fullmatch(buf[:start]) is None:
            # the module answered with more than URCs: it was not in the transfer (a reset
            # left it in command mode, echoing the file) - its OK is no word on the file
            raise Gone(f"unexpected bytes before the result of the upload of {name}")
        return code == 0

    def get(self, name: str, quiet: float = 150.0) -> bytes | None:
        r = self.sock.cmd(f'AT+WIPFILE=4,{self.IDX},1,"{name}"', 200)  # TYPE, PASV, RETR
        if r.final != "CONNECT":
            return None
        framed = FramedInput()
        got = bytearray()
        ended = False
        tail = b""
        while True:
            raw = self.dte.read_available()
            if not ended:
                part, used, ended = framed.decode(raw, 1 << 30)
                got += part
                raw = raw[used:]
            if ended:
                tail += raw
                found = self._final(tail)
                if found is not None:
                    return bytes(got) if found[0] == 0 else None
            if not self._wait_line(quiet):
                raise Gone(f"the download of {name} went silent ({len(got)} bytes)")

    def close(self) -> None:
        """End the session, whatever state it is in (an upload still open gets its [ETX])."""
        if self.putting:
            self.dte.write(bytes((ETX,)))
            self.putting = False
            self._wait_line(5.0)
        try:
            self.sock.cmd(f"AT+WIPCLOSE=4,{self.IDX}", 10)
        except Gone:
            pass


def _round_paths(path: str, rounds: int) -> list[str]:
    """One file for one round, else ``<stem>-1<ext>``, ``<stem>-2<ext>``..."""
    stem, dot, ext = path.rpartition(".")
    if rounds == 1:
        return [path]
    return [f"{stem or ext}-{k + 1}{dot}{ext if stem else ''}" for k in range(rounds)]


def _file_payload(k: int, size: int) -> bytes:
    """Round ``k``'s file: every byte value below 251, [ETX] and [DLE] included."""
    # byte i is (i * 31 + 7 + 13 * k) mod 251: a pattern of period 251, built once and repeated
    period = bytes((i * 31 + 7 + 13 * k) % 251 for i in range(min(size, 251)))
    return (period * (size // 251 + 1))[:size]


def wipsoft_ftp_put_get(
    sim: Any,
    host: str,
    user: str = "demo",
    password: str = "secret",
    path: str = "upload.bin",
    size: int = 4000,
    rounds: int = 1,
    interval: float = 0.0,
    apn: str = "internet",
    deadline: float = 1500.0,
) -> dict[str, Any] | bool:
    """:func:`ftp_put_get` with WIPsoft's own FTP client (+WIPCREATE=4, +WIPFILE) instead of
    FTP spoken over sockets: upload ``size`` bytes, read the file back, ``rounds`` times
    ``interval`` seconds apart; OK after the upload's [ETX] claims the file, the read-back
    must be identical; any error ends the session and redoes the round from the bearer up."""
    sock = WipsoftSockets(sim, apn)
    return _ftp_rounds(
        sim,
        sock,
        new_client=lambda: _WipFtp(sock),
        login=lambda ftp: ftp.login(host, user, password),
        goodbye=lambda ftp: ftp.close(),
        abandon=lambda ftp: ftp.close(),
        host=host,
        paths=_round_paths(path, rounds),
        size=size,
        interval=interval,
        deadline=deadline,
        claimed_by="OK after the upload's [ETX]",
    )


def _mail_text(subject: str, body: str, sender: str, to: str) -> bytes:
    """An RFC 5322 message with CRLF line ends, dot-stuffed for SMTP DATA (RFC 5321 §4.5.2)."""
    lines = [f"From: <{sender}>", f"To: <{to}>", f"Subject: {subject}", "", *body.split("\n")]
    return (
        "\r\n".join("." + ln if ln.startswith(".") else ln for ln in lines) + "\r\n.\r\n"
    ).encode()


def _pop3_ok(buf: bytes) -> int:
    end = buf.find(b"\r\n")
    return end + 2 if end >= 0 else 0


def _pop3_multi(buf: bytes) -> int:
    end = buf.find(b"\r\n.\r\n")
    if buf.startswith(b"-ERR"):
        return _pop3_ok(buf)
    return end + 5 if end >= 0 else 0


def _report(k: int, attempt: int) -> tuple[str, str]:
    """Subject and body of report ``k``, told from a resend by its attempt number."""
    subject = f"report {k + 1} (attempt {attempt})"
    return subject, f"battery {80 + k}%\nfixes {100 * (k + 1)}\nattempt {attempt}"


def mail_round_trip(
    sim: Any,
    host: str,
    user: str = "device",
    password: str = "secret",
    to: str = "device@example.net",
    sender: str = "tracker@fleet.io",
    rounds: int = 1,
    interval: float = 0.0,
    apn: str = "internet",
    deadline: float = 1500.0,
) -> dict[str, Any] | bool:
    """Send a report by SMTP (RFC 5321) and fetch it back by POP3 (RFC 1939) from the same mail
    host, ``rounds`` times ``interval`` seconds apart, over the module's sockets. Each report must
    come back with its subject and body intact after a 250 for its DATA; any failure starts the
    round again (a report is told from a resend by its attempt number). True (a dict) once every
    round is done, False if ``deadline`` passes."""
    sock = driver(sim, apn)
    ip = _ip(sim, host)

    def one_round(k: int, attempt: int) -> None:
        subject, body = _report(k, attempt)
        smtp = _LineClient(sock, ip, first_link(sock))
        smtp.connect(25)
        if smtp.reply()[0] != 220:
            raise Gone("no SMTP greeting")
        for line, want in (
            (f"EHLO device{k}", 250),
            (f"MAIL FROM:<{sender}>", 250),
            (f"RCPT TO:<{to}>", 250),
            ("DATA", 354),
        ):
            if smtp.command(line)[0] != want:
                raise Gone(f"{line.split()[0]} refused")
        sock.send(smtp.ctrl, _mail_text(subject, body, sender, to))
        if smtp.reply(120)[0] != 250:
            raise Gone("message refused")
        sim.claims.mail(host, to, subject, body, "250 after DATA")
        try:
            smtp.command("QUIT")
        except Gone:
            pass
        sock.close(smtp.ctrl)
        fetched = _pop3_fetch(sock, ip, user, password, subject)
        if body.replace("\n", "\r\n") not in fetched:
            raise AssertionError(f"{subject!r} came back as {fetched[:200]!r}")

    return _mail_rounds(sim, sock, rounds, interval, deadline, lambda: None, one_round)


def _mail_rounds(
    sim: Any,
    sock: Sockets,
    rounds: int,
    interval: float,
    deadline: float,
    setup: Callable[[], None],
    one_round: Callable[[int, int], None],
) -> dict[str, Any] | bool:
    """The report rounds both mail drivers share: ``setup`` once the bearer is up, then
    ``one_round(k, attempt)`` sends report ``k`` and reads it back; any Gone takes the bearer
    down and redoes the round (a new attempt number) after a backoff."""
    done = 0
    attempt = 0
    while sim.now < deadline:
        attempt += 1
        try:
            sock.up()
            setup()
            for k in range(done, rounds):
                one_round(k, attempt)
                done = k + 1
                if interval and done < rounds:
                    sim.advance(interval)
            return {"mails": rounds, "attempts": attempt, "t_done": round(sim.now, 3)}
        except Gone:
            sock.down()
            _backoff(sim, attempt)
    return False


def _pop3_fetch(sock: Sockets, ip: str, user: str, password: str, subject: str) -> str:
    """The text of the message with ``subject`` in the maildrop (RFC 1939: USER, PASS, LIST,
    RETR, QUIT)."""
    pop = _LineClient(sock, ip, first_link(sock))
    pop.connect(110)
    if not pop.until(_pop3_ok).startswith(b"+OK"):
        raise Gone("no POP3 greeting")
    for line in (f"USER {user}", f"PASS {password}"):
        sock.send(pop.ctrl, line.encode() + b"\r\n")
        if not pop.until(_pop3_ok).startswith(b"+OK"):
            raise Gone(f"{line.split()[0]} refused")
    sock.send(pop.ctrl, b"LIST\r\n")
    listing = pop.until(_pop3_multi)
    if not listing.startswith(b"+OK"):
        raise Gone("LIST refused")
    numbers = [
        int(ln.split()[0])
        for ln in listing.decode("latin-1").split("\r\n")[1:]
        if "0" <= ln[:1] <= "9"
    ]
    for n in reversed(numbers):  # the newest first: that is where this report is
        sock.send(pop.ctrl, f"RETR {n}\r\n".encode())
        text = pop.until(_pop3_multi, 120).decode("latin-1")
        if not text.startswith("+OK"):
            raise Gone("RETR refused")
        if f"Subject: {subject}\r\n" in text:
            try:
                sock.send(pop.ctrl, b"QUIT\r\n")
                pop.until(_pop3_ok)
            except Gone:
                pass
            sock.close(pop.ctrl)
            return text
    raise Gone(f"{subject!r} not in the maildrop")


def edsoft_mail_round_trip(
    sim: Any,
    host: str,
    user: str = "device",
    password: str = "secret",
    to: str = "device@example.net",
    sender: str = "tracker@fleet.io",
    domain: str = "fleet.io",
    rounds: int = 1,
    interval: float = 0.0,
    apn: str = "internet",
    deadline: float = 1500.0,
) -> dict[str, Any] | bool:
    """:func:`mail_round_trip` through the eDsoft stack's own mail commands: the report is sent
    with #PUTMAIL (§3.4, its body over the line after Ok_Info_WaitingForData) and fetched back
    with #GETMAIL (§3.2: the oldest mail of the maildrop, deleted once read). Mails of earlier
    attempts met on the way are read and dropped; a box that runs empty before this round's
    report came back, or any error, starts the round again with a new report."""
    sock = driver(sim, apn)
    if not isinstance(sock, EdsoftSockets):
        raise ValueError(f"edsoft_mail_round_trip needs an eDsoft module, not {sock.vendor!r}")

    def setup() -> None:
        for line in (
            f'AT#SMTPSERV="{host}"',
            f'AT#DOMAIN="{domain}"',
            f'AT#SENDERADDR="{sender}"',
            f'AT#REC1="{to}"',
            f'AT#POP3SERV="{host}"',
            f'AT#POP3UN="{user}"',
            f'AT#POP3PW="{password}"',
            "AT#POP3HEADERMODE=1",
        ):
            sock.set(line)

    def one_round(k: int, attempt: int) -> None:
        subject, body = _report(k, attempt)
        sock.set(f'AT#SUBJ1="{subject}"')
        sock.putmail(body)
        sim.claims.mail(host, to, subject, body, "OK after #PUTMAIL")
        while True:
            text = sock.getmail()
            if text is None:
                raise Gone(f"{subject!r} not in the maildrop")
            if f"Subject: {subject}\r\n" in text:
                break
        if body.replace("\n", "\r\n") not in text:
            raise AssertionError(f"{subject!r} came back as {text[:200]!r}")

    return _mail_rounds(sim, sock, rounds, interval, deadline, setup, one_round)
