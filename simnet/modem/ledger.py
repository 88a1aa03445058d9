"""What the host handed to each socket and what the module told it, read off the UART.

:class:`SocketLedger` is sans-IO: it is fed the two byte streams of a module's UART in the order
they crossed the line (``host_bytes`` / ``module_bytes``) plus three facts from the module's own
trace that a logic analyser on the line would also see (a prompt opened or closed, the module
restarted). Per socket session - a TCP link the host opened and the module reported connected -
it keeps:

- ``accepted``: the bytes the module confirmed it took for sending, in order, and ``told``: how
  many of them the host was told are on their way (SIMCom ``+CIPSEND: <l>,<req>,<cnf>``;
  Fibocom ``+MIPSEND: <id>,0,<free>`` takes them, ``+MIPPUSH: <id>,0,<total>`` pushes them);
- ``received``: the payloads the module delivered to the host on that link;
- ``reports``: every error or end the module reported for it (``+IPCLOSE``, ``+CIPERROR``,
  ``+MIPSTAT``, the network-lost URCs, a restart), and whether the host closed it and was told
  the close succeeded.

The integrity invariant (``simnet.scenario.invariants``) compares that with what the peer got:
the Jepsen no-lost-write idea at the AT level. The command and URC forms are the rows below,
each citing its manual section. Modes the ledger cannot follow byte for byte (transparent /
online data mode, PPP, CMUX, a flushed buffer) end tracking, saying why, rather than guess.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from simnet.modem.urc import UrcFramer

CR, CTRL_Z, ESC, ETX = 0x0D, 0x1A, 0x1B, 0x03
MAX_COMMAND_LINE = 4096  # a longer "command" is garbage; it is dropped like a module would


# -- rows --------------------------------------------------------------------------------------
# Commands the host sends (matched on the whole line, case-insensitive).
SIMCOM_OPEN = re.compile(r'AT\+CIPOPEN=(\d+),"TCP","([^"]*)",(\d+)(?:,\d+)?', re.I)  # S76 L1103
SIMCOM_SEND_FIXED = re.compile(r"AT\+CIPSEND=(\d+),(\d+)", re.I)  # S76 L1105 fixed length
SIMCOM_SEND_CTRLZ = re.compile(r"AT\+CIPSEND=(\d+)", re.I)  # S76 L1105 ended by Ctrl-Z
SIMCOM_CLOSE = re.compile(r"AT\+CIPCLOSE=(\d+)", re.I)  # S76 L1104
SIMCOM_NETCLOSE = re.compile(r"AT\+NETCLOSE", re.I)  # S76 L1102: every link goes
SIMCOM_TRANSPARENT = re.compile(r"AT\+CIPMODE=1", re.I)  # S76 L1110
FIBOCOM_OPEN = re.compile(r'AT\+MIPOPEN=(\d+),\d*,"([^"]*)",(\d+),0', re.I)  # L610 §1.1.2, TCP
FIBOCOM_SEND_HEX = re.compile(r'AT\+MIPSEND=(\d+),"([0-9A-Fa-f]*)"', re.I)  # §1.1.6
FIBOCOM_SEND_RAW = re.compile(r"AT\+MIPSEND=(\d+)(?:,(\d+))?", re.I)  # §1.2.2 / §1.2.3
FIBOCOM_PUSH = re.compile(r"AT\+MIPPUSH=(\d+)", re.I)  # §1.1.7
FIBOCOM_CLOSE = re.compile(r"AT\+MIPCLOSE=(\d+)", re.I)  # §1.1.3
FIBOCOM_FLUSH = re.compile(r"AT\+MIPFLUSH=(\d+)", re.I)  # §1.1.8: drops what is not sent
FIBOCOM_IPRFMT = re.compile(r'AT\+GTSET="IPRFMT",(\d)', re.I)  # §1.2.4
FIBOCOM_HANGUP = re.compile(r"AT\+MIPCALL=0", re.I)  # §1.1.1: every socket goes
ANY_ECHO = re.compile(r"AT", re.I)
UNFOLLOWABLE = (
    (re.compile(r"AT\+CMUX=", re.I), "the line is multiplexed (AT+CMUX)"),
    (re.compile(r"AT\+MIPODM=", re.I), "online data mode (AT+MIPODM)"),
    (re.compile(r"ATD", re.I), "a data call (ATD)"),
)

# What the module answers (whole line).
FINAL = re.compile(r"OK|ERROR|\+CME ERROR: .*|NO CARRIER")
SIMCOM_OPENED = re.compile(r"\+CIPOPEN: (\d+),(\d+)")  # <err> 0: connected (S76 L1103)
SIMCOM_SENT = re.compile(r"\+CIPSEND: (\d+),(\d+),(-?\d+)")  # <req>,<cnf>; -1 failed (L1105)
SIMCOM_CLOSED = re.compile(r"\+CIPCLOSE: (\d+),(\d+)")  # <err> of a close (L1104)
SIMCOM_IPCLOSE = re.compile(r"\+IPCLOSE: (\d+),(\d+)")  # passive close, reason (A76 4.2)
SIMCOM_CIPERROR = re.compile(r"\+CIPERROR: (\d+)")  # the running command failed
SIMCOM_NETWORK_LOST = re.compile(
    r"\+C(?:IP|PIP)EVENT: NETWORK CLOSED UNEXPECTEDLY"
)  # issue 7 / A76 4.2
SIMCOM_NETCLOSED = re.compile(r"\+NETCLOSE: 0")
SIMCOM_RECV_FROM = re.compile(r"RECV FROM:([0-9.]+):(\d+)")  # L1109 AT+CIPSRIP=1
SIMCOM_IPD = re.compile(r"\+IPD(\d+)")  # L1108
SIMCOM_RECEIVE = re.compile(r"\+RECEIVE,(\d+),(\d+)")  # L1113 header type 1
SIMCOM_RXGET = re.compile(r"\+CIPRXGET: ([23]),(\d+),(\d+),(\d+)")  # L1106 read answers
FIBOCOM_OPENED = re.compile(r"\+MIPOPEN: (\d+),([01])(?:,.*)?")  # §1.1.2: 1 connected
FIBOCOM_SENT = re.compile(r"\+MIPSEND: (\d+),(\d+),(\d+)")  # §1.1.6.4 <status> 0 accepted
FIBOCOM_PUSHED = re.compile(r"\+MIPPUSH: (\d+),0,(\d+)")  # §1.1.7.4 status 0, pushed total
FIBOCOM_STAT = re.compile(r"\+MIPSTAT: (\d+),(\d+)(?:,\d+)?")  # §1.1.11: 0 ACK, 1 broken, 2 alert
FIBOCOM_CLOSED = re.compile(r"\+MIPCLOSE: (\d+)(?:,\d+)?,(\d+)")  # §1.1.3.4 <close_type>
FIBOCOM_CALL_LOST = re.compile(r"\+MIPCALL: 0")  # §1.1.1: the context is gone
FIBOCOM_RTCP_HEX = re.compile(r"\+MIPRTCP: (\d+),(\d+),([0-9A-Fa-f]*)")  # §1.1.10 IPRFMT 0
FIBOCOM_RTCP_RAW = re.compile(r"\+MIPRTCP: (\d+),(\d+)")  # §1.2.4.4 IPRFMT 2 (+ data)
FIBOCOM_READ = re.compile(r"\+MIPDATA: (\d+),(\d+)")  # §1.1.24 answer to AT+MIPREAD (+ data)


@dataclass
class Chunk:
    """One write of the host to a socket: the bytes and what the module said about them."""

    data: bytes
    t: float
    state: str = "pending"  # pending | accepted | refused


@dataclass
class Session:
    """A TCP link the host opened and the module reported connected."""

    link: int
    host: str  # the destination as the host wrote it (name or address)
    port: int
    t_command: float  # when the open command reached the module
    t_open: float
    accepted: bytearray = field(default_factory=bytearray)
    told: int = 0  # of ``accepted``, how many the host was told are being sent
    pending: list[Chunk] = field(default_factory=list)  # written, not answered yet
    received: bytearray = field(default_factory=bytearray)
    reports: list[str] = field(default_factory=list)  # errors and ends the module reported
    close_requested: bool = False
    closed_clean: bool = False  # the host closed it and the module said the close succeeded
    abandoned: str | None = None  # the host dropped the network under it (what was in flight)
    t_end: float | None = None
    untracked: str | None = None  # why the ledger stopped following it

    @property
    def open(self) -> bool:
        return self.t_end is None

    @property
    def reported(self) -> bool:
        """Something went wrong or ended, and the host was told."""
        return bool(self.reports)

    @property
    def unsent_tail(self) -> bytes:
        """Bytes written but not answered yet (they may or may not have gone out)."""
        return b"".join(c.data for c in self.pending)

    def __str__(self) -> str:
        return f"link {self.link} to {self.host}:{self.port} (opened t={self.t_open:.3f})"


@dataclass
class _Command:
    line: str
    t: float
    link: int | None = None
    chunk: Chunk | None = None  # a send command's data


class SocketLedger:
    """Feed it the UART conversation; read ``sessions``, ``anomalies`` and ``disabled``."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor.lower()
        self.sessions: list[Session] = []
        self.anomalies: list[str] = []  # the module broke its own protocol (not an error report)
        self.disabled: str | None = None
        self._live: dict[int, Session] = {}  # link -> open (or closing) session
        self._opening: dict[int, tuple[str, int, float]] = {}
        self._line = bytearray()
        self._mode = "command"  # command | await_prompt | prompt
        self._held = bytearray()  # host bytes after a send command, before the module decided
        self._send: _Command | None = None  # the send command whose prompt is awaited / open
        self._prompt_length: int | None = None
        self._prompt = bytearray()
        self._prompt_escape = False
        self._commands: deque[_Command] = deque()  # sent, final result not seen yet
        self._echo = bytearray()  # prompt data the module may echo back (ATE1)
        self._echo_on = True
        self._transparent = False
        self._recv_from: tuple[str, int] | None = None
        self._framer = UrcFramer(self.vendor, all_lines=True)
        self._module_pos = 0
        self._now = 0.0

    # -- inputs --------------------------------------------------------------------------------
    def host_bytes(self, data: bytes, t: float) -> None:
        """Bytes the host wrote, as the module received them."""
        if self.disabled or not data:
            return
        self._now = t
        i = 0
        while i < len(data) and not self.disabled:
            if self._mode == "await_prompt":
                self._held += data[i:]
                return
            if self._mode == "prompt":
                i = self._prompt_bytes(data, i)
                continue
            j = data.find(b"\r", i)
            if j < 0:
                self._line += data[i:]
                if len(self._line) > MAX_COMMAND_LINE:
                    self._line.clear()
                return
            self._line += data[i:j]
            i = j + 1
            line = self._line.decode("latin-1").strip("\n\r\x00 ")
            self._line.clear()
            if line:
                self._command(line)

    def module_bytes(self, data: bytes, t: float) -> None:
        """Bytes the module wrote, as the host received them."""
        if self.disabled or not data:
            return
        self._now = t
        if self._echo:
            n = 0
            while n < len(data) and n < len(self._echo) and data[n] == self._echo[n]:
                n += 1
            if n == 0:
                self._echo.clear()  # ATE0 or a dialect without prompt echo: nothing to skip
            else:
                del self._echo[:n]
                self._module_pos += n
                data = data[n:]
                if not data:
                    return
        start = self._module_pos
        self._module_pos += len(data)
        for item in self._framer.feed(data, start, t):
            self._module_line(item.text, bytes(item.data))
            if self.disabled:
                return

    def prompt_opened(self, t: float) -> None:
        """The module's ``>``: what the host typed after the send command is data."""
        if self.disabled or self._mode != "await_prompt":
            return
        self._now = t
        self._mode = "prompt"
        held, self._held = bytes(self._held), bytearray()
        if held:
            self.host_bytes(held, t)

    def prompt_closed(self, reason: str, n: int, t: float) -> None:
        """The module ended its prompt (``reason`` terminator / length / timeout / cancel)."""
        if self.disabled or self._mode != "prompt":
            return
        self._now = t
        if reason in ("timeout", "hangup"):  # the module stopped waiting: what it has is sent
            self._end_prompt(keep=True)

    def _no_prompt(self) -> None:
        """The module answered the send command without a prompt (an error): the bytes the host
        typed meanwhile were commands, not data."""
        self._mode = "command"
        self._send = None
        held, self._held = bytes(self._held), bytearray()
        if held:
            self.host_bytes(held, self._now)

    def restarted(self, t: float) -> None:
        """The module restarted (reset, power cycle): every session is gone, and the host sees
        the boot lines."""
        self._now = t
        for s in list(self._live.values()):
            self._report(s, "the module restarted")
            self._end(s)
        self._opening.clear()
        self._commands.clear()
        self._mode, self._send = "command", None
        self._held.clear()
        self._line.clear()

    def finish(self) -> None:
        """End of observation: sends still unanswered stay pending (not counted as told)."""

    # -- host side -----------------------------------------------------------------------------
    def _command(self, line: str) -> None:
        for regex, why in UNFOLLOWABLE:
            if regex.match(line):
                self._disable(why)
                return
        cmd = _Command(line, self._now)
        upper = line.upper()
        if upper in ("ATE0", "ATE1", "ATE"):
            self._echo_on = upper == "ATE1"
        if self.vendor == "fibocom":
            self._fibocom_command(cmd)
        else:
            self._simcom_command(cmd)
        if ANY_ECHO.match(line):
            self._commands.append(cmd)

    def _simcom_command(self, cmd: _Command) -> None:
        line = cmd.line
        if SIMCOM_TRANSPARENT.fullmatch(line):
            self._transparent = True
        m = SIMCOM_OPEN.fullmatch(line)
        if m:
            if not self._transparent:
                self._opening[int(m.group(1))] = (m.group(2), int(m.group(3)), self._now)
            return
        m = SIMCOM_SEND_FIXED.fullmatch(line) or SIMCOM_SEND_CTRLZ.fullmatch(line)
        if m:
            cmd.link = int(m.group(1))
            length = int(m.group(2)) if m.lastindex and m.lastindex >= 2 else None
            self._await_prompt(cmd, length)
            return
        m = SIMCOM_CLOSE.fullmatch(line)
        if m:
            cmd.link = int(m.group(1))
            s = self._live.get(cmd.link)
            if s is not None:
                s.close_requested = True
            return
        if SIMCOM_NETCLOSE.fullmatch(line):
            self._abandon(line)

    def _fibocom_command(self, cmd: _Command) -> None:
        line = cmd.line
        m = FIBOCOM_OPEN.fullmatch(line)
        if m:
            self._opening[int(m.group(1))] = (m.group(2), int(m.group(3)), self._now)
            return
        m = FIBOCOM_SEND_HEX.fullmatch(line)
        if m:
            cmd.link = int(m.group(1))
            s = self._live.get(cmd.link)
            if s is not None and s.untracked is None:
                cmd.chunk = Chunk(
                    bytes.fromhex(m.group(2)) if len(m.group(2)) % 2 == 0 else b"", self._now
                )
                s.pending.append(cmd.chunk)
            return
        m = FIBOCOM_SEND_RAW.fullmatch(line)
        if m:
            cmd.link = int(m.group(1))
            self._await_prompt(cmd, int(m.group(2)) if m.group(2) is not None else None)
            return
        m = (
            FIBOCOM_PUSH.fullmatch(line)
            or FIBOCOM_CLOSE.fullmatch(line)
            or FIBOCOM_FLUSH.fullmatch(line)
        )
        if m:
            cmd.link = int(m.group(1))
            s = self._live.get(cmd.link)
            if s is not None and FIBOCOM_CLOSE.fullmatch(line):
                s.close_requested = True
            if s is not None and FIBOCOM_FLUSH.fullmatch(line):
                s.untracked = "the host flushed the socket's buffer (AT+MIPFLUSH)"
            return
        m = FIBOCOM_IPRFMT.fullmatch(line)
        if m:
            self._framer.fibocom_iprfmt = int(m.group(1))
            return
        if FIBOCOM_HANGUP.fullmatch(line):
            self._abandon(line)

    def _await_prompt(self, cmd: _Command, length: int | None) -> None:
        s = self._live.get(cmd.link) if cmd.link is not None else None
        cmd.chunk = Chunk(b"", self._now)
        self._send = cmd
        self._prompt_length = length
        self._prompt.clear()
        self._prompt_escape = False
        self._mode = "await_prompt"
        if s is not None and s.untracked is None:
            s.pending.append(cmd.chunk)

    def _prompt_bytes(self, data: bytes, i: int) -> int:
        """Collect prompt data from ``data[i:]``; returns where command bytes resume."""
        length = self._prompt_length
        start = i
        if length is not None:
            take = min(length - len(self._prompt), len(data) - i)
            self._prompt += data[i : i + take]
            i += take
            self._note_echo(data[start:i])
            if len(self._prompt) >= length:
                self._end_prompt(keep=True)
            return i
        simcom = self.vendor != "fibocom"
        while i < len(data):
            b = data[i]
            i += 1
            if simcom and self._prompt_escape:
                self._prompt.append(b)
                self._prompt_escape = False
            elif simcom and b == ETX:
                self._prompt_escape = True  # S76 L1105: <ETX> makes the next byte literal
            elif b == CTRL_Z:
                self._note_echo(data[start:i])
                self._end_prompt(keep=True)
                return i
            elif simcom and b == ESC:
                self._note_echo(data[start:i])
                self._end_prompt(keep=False)  # a single ESC cancels
                return i
            else:
                self._prompt.append(b)
        self._note_echo(data[start:i])
        return i

    def _note_echo(self, data: bytes) -> None:
        if self._echo_on and self.vendor != "fibocom" and data:
            self._echo += data

    def _end_prompt(self, *, keep: bool) -> None:
        cmd = self._send
        self._mode = "command"
        self._send = None
        if cmd is None or cmd.chunk is None:
            return
        if keep:
            cmd.chunk.data = bytes(self._prompt)
        else:
            cmd.chunk.state = "refused"
        self._prompt.clear()

    # -- module side ---------------------------------------------------------------------------
    def _module_line(self, text: str, data: bytes) -> None:
        if not text or ANY_ECHO.match(text) or text.startswith(">"):
            return
        if FINAL.fullmatch(text):
            self._final(text)
            return
        if text.startswith("CONNECT"):
            self._disable("online data mode (CONNECT)")
            return
        if self.vendor == "fibocom":
            self._fibocom_line(text, data)
        else:
            self._simcom_line(text, data)

    def _final(self, text: str) -> None:
        cmd = self._commands.popleft() if self._commands else None
        if cmd is None:
            return
        if cmd is self._send and self._mode == "await_prompt":
            self._no_prompt()
        if text != "OK" and cmd.chunk is not None and cmd.chunk.state == "pending":
            self._settle(cmd.link, cmd.chunk, 0, f"{cmd.line} answered {text}")
        if (
            text != "OK"
            and cmd.link is not None
            and self.vendor == "fibocom"
            and FIBOCOM_PUSH.fullmatch(cmd.line)
        ):
            s = self._live.get(cmd.link)
            if s is not None:
                self._report(s, f"{cmd.line} answered {text}")

    def _simcom_line(self, text: str, data: bytes) -> None:
        m = SIMCOM_SENT.fullmatch(text)
        if m:
            link, req, cnf = int(m.group(1)), int(m.group(2)), int(m.group(3))
            s = self._live.get(link)
            if s is not None and s.pending:
                chunk = s.pending[0]
                if len(chunk.data) != req:
                    self.anomalies.append(
                        f"t={self._now:.3f} {text}: the host wrote {len(chunk.data)} "
                        f"bytes on link {link}"
                    )
                self._settle(link, chunk, max(cnf, 0), text if cnf < 0 else None)
                if cnf > 0:
                    s.told = len(s.accepted)
            return
        m = SIMCOM_IPD.fullmatch(text)
        if m:
            remote, self._recv_from = self._recv_from, None
            s = self._session_from(remote)
            if s is not None:
                s.received += data
            return
        m = SIMCOM_RECV_FROM.fullmatch(text)
        if m:
            self._recv_from = (m.group(1), int(m.group(2)))
            return
        m = SIMCOM_RECEIVE.fullmatch(text) or SIMCOM_RXGET.fullmatch(text)
        if m:
            link = int(m.group(1) if text.startswith("+RECEIVE") else m.group(2))
            payload = data
            if text.startswith("+CIPRXGET: 3"):
                try:
                    payload = bytes.fromhex(data.decode("latin-1"))
                except ValueError:
                    payload = b""
            s = self._live.get(link)
            if s is not None:
                s.received += payload
            return
        m = SIMCOM_OPENED.fullmatch(text)
        if m:
            self._opened(int(m.group(1)), int(m.group(2)) == 0)
            return
        m = SIMCOM_CLOSED.fullmatch(text)
        if m:
            self._closed(int(m.group(1)), int(m.group(2)), text)
            return
        m = SIMCOM_IPCLOSE.fullmatch(text)
        if m:
            s = self._live.get(int(m.group(1)))
            if s is not None:
                self._report(s, text)
                self._end(s)
            return
        m = SIMCOM_CIPERROR.fullmatch(text)
        if m:
            cmd = self._commands[0] if self._commands else None
            s = self._live.get(cmd.link) if cmd is not None and cmd.link is not None else None
            if s is not None:
                self._report(s, f"{cmd.line if cmd else ''}: {text}")
            return
        if SIMCOM_NETWORK_LOST.fullmatch(text) or SIMCOM_NETCLOSED.fullmatch(text):
            for s in list(self._live.values()):
                self._report(s, text)
                if SIMCOM_NETCLOSED.fullmatch(text):
                    self._end(s)

    def _fibocom_line(self, text: str, data: bytes) -> None:
        m = FIBOCOM_SENT.fullmatch(text)
        if m:  # the answer to the oldest write on that socket (hex form, or after a prompt)
            link, status = int(m.group(1)), int(m.group(2))
            s = self._live.get(link)
            if s is not None and s.pending:
                chunk = s.pending[0]
                self._settle(link, chunk, len(chunk.data) if status == 0 else 0, None)
            return
        m = FIBOCOM_PUSHED.fullmatch(text)
        if m:
            s = self._live.get(int(m.group(1)))
            if s is not None:
                s.told = max(s.told, min(int(m.group(2)), len(s.accepted)))
            return
        m = FIBOCOM_RTCP_HEX.fullmatch(text) if not data else None
        if m:
            s = self._live.get(int(m.group(1)))
            if s is not None:
                s.received += bytes.fromhex(m.group(3)) if len(m.group(3)) % 2 == 0 else b""
            return
        m = FIBOCOM_RTCP_RAW.fullmatch(text) or FIBOCOM_READ.fullmatch(text)
        if m:
            s = self._live.get(int(m.group(1)))
            if s is not None:
                s.received += data
            return
        m = FIBOCOM_OPENED.fullmatch(text)
        if m:
            self._opened(int(m.group(1)), m.group(2) == "1")
            return
        m = FIBOCOM_STAT.fullmatch(text)
        if m:
            s = self._live.get(int(m.group(1)))
            if s is not None and int(m.group(2)) != 0:  # 0 is the ACK indication
                self._report(s, text)
                self._end(s)
            return
        m = FIBOCOM_CLOSED.fullmatch(text)
        if m:
            self._closed(int(m.group(1)), int(m.group(2)), text)
            return
        if FIBOCOM_CALL_LOST.fullmatch(text):
            for s in list(self._live.values()):
                self._report(s, text)

    # -- bookkeeping ---------------------------------------------------------------------------
    def _closed(self, link: int, code: int, text: str) -> None:
        """The answer to a close: code 0 after the host asked is a clean close."""
        s = self._live.get(link)
        if s is None:
            return
        if code == 0 and s.close_requested:
            s.closed_clean = True
        else:
            self._report(s, text)
        self._end(s)

    def _opened(self, link: int, ok: bool) -> None:
        opening = self._opening.pop(link, None)
        if not ok or opening is None:
            return
        old = self._live.get(link)
        if old is not None:  # the module reuses a link the host was never told had ended
            self.anomalies.append(
                f"t={self._now:.3f} link {link} reported open again while {old} was open"
            )
            self._end(old)
        host, port, t_cmd = opening
        s = Session(link, host, port, t_cmd, self._now)
        self.sessions.append(s)
        self._live[link] = s

    def _settle(self, link: int | None, chunk: Chunk, cnf: int, error: str | None) -> None:
        s = self._live.get(link) if link is not None else None
        if s is None or chunk not in s.pending:
            chunk.state = "accepted" if cnf > 0 else "refused"
            return
        # Answers come in the order the writes were made; an answer settles the oldest.
        while s.pending and s.pending[0] is not chunk:
            s.pending.pop(0).state = "refused"
        s.pending.pop(0)
        if cnf > 0:
            chunk.state = "accepted"
            s.accepted += chunk.data[:cnf]
        else:
            chunk.state = "refused"
        if error is not None:
            self._report(s, error)

    def _session_from(self, remote: tuple[str, int] | None) -> Session | None:
        live = [s for s in self._live.values()]
        if remote is not None:
            for s in live:
                if s.port == remote[1] and s.host == remote[0]:
                    return s
            by_port = [s for s in live if s.port == remote[1]]
            if len(by_port) == 1:
                return by_port[0]
        return live[0] if len(live) == 1 else None

    def _abandon(self, line: str) -> None:
        """The host dropped the network: what its links still had in flight is given up."""
        for s in self._live.values():
            s.close_requested = True
            if s.abandoned is None:
                s.abandoned = f"t={self._now:.3f} {line}"

    def _report(self, s: Session, what: str) -> None:
        s.reports.append(f"t={self._now:.3f} {what}")

    def _end(self, s: Session) -> None:
        if s.t_end is None:
            s.t_end = self._now
        if self._live.get(s.link) is s:
            del self._live[s.link]

    def _disable(self, why: str) -> None:
        self.disabled = f"t={self._now:.3f} {why}"
