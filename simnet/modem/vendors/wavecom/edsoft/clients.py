"""Sans-IO client conversations of the eDsoft application: SMTP (RFC 5321, AUTH LOGIN of RFC
4954), POP3 (RFC 1939) and the FTP control connection (RFC 959, passive mode).

A conversation is a generator. It yields actions - :class:`Send` (bytes for the server),
:class:`Recv` (it wants the next reply line: the driver sends back the line without CR LF, or
None when the connection closed, or :data:`TIMEOUT`), :class:`Deliver` (bytes for the host),
:class:`OpenData` / :class:`Transfer` / :class:`Stream` (the driver's part: a data connection,
a file transfer, the host's mail body) - and returns None on success or the §9.2 error code of
the first refusal. No clock, no sockets: the dialect's glue drives it, tests drive it with
lists of lines.
"""

from __future__ import annotations

import base64
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from simnet.kernel.units import ascii_digits
from simnet.modem.vendors.wavecom.edsoft.framing import dot_stuff
from simnet.modem.vendors.wavecom.edsoft.tables import Err, Msg


@dataclass(frozen=True)
class Send:
    data: bytes


@dataclass(frozen=True)
class Recv:
    """Wants the next line from the server."""


@dataclass(frozen=True)
class Deliver:
    """Bytes for the host (a mail's content); ``message``: a §9.1 line to print first."""

    data: bytes = b""
    message: Msg | None = None


@dataclass(frozen=True)
class OpenData:
    """Open the FTP data connection to (ip, port); the answer is True when connected."""

    ip: str
    port: int


@dataclass(frozen=True)
class Transfer:
    """Run the data transfer now (the server said 150/125); the answer is True when the data
    connection completed (not broken)."""


@dataclass(frozen=True)
class Stream:
    """#PUTMAIL: relay the host's body now (the server said 354); the answer is True once the
    terminator has been relayed, False when the host went silent or the link broke."""


TIMEOUT = "\x00timeout"  # what the driver answers a Recv when the server stays silent

Conversation = Generator[Any, Any, "int | None"]


@dataclass
class Reply:
    code: int | None  # None: connection closed; -1: no reply in time
    text: str = ""
    lines: list[str] = field(default_factory=list)


def read_reply() -> Generator[Any, Any, Reply]:
    """One numbered reply (RFC 5321 §4.2 / RFC 959 §4.2): ``NNN-`` lines continue it."""
    lines: list[str] = []
    while True:
        line = yield Recv()
        if line is None:
            return Reply(None, "", lines)
        if line == TIMEOUT:
            return Reply(-1, "", lines)
        lines.append(line)
        if len(line) >= 3 and ascii_digits(line[:3]) and (len(line) == 3 or line[3] != "-"):
            return Reply(int(line[:3]), line[4:], lines)


def _fail(reply: Reply, code: int) -> int:
    """The code for a reply that is not the expected one: no reply in time is 37964."""
    return int(Err.NO_RESPONSE) if reply.code == -1 else int(code)


# -- SMTP ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailJob:
    """What #SENDMAILi / #PUTMAIL send (§3.3.3, §3.4.3)."""

    domain: str
    sender_addr: str
    sender_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    body: bytes | None  # None: #PUTMAIL, the host supplies it
    user: str = ""
    password: str = ""
    date: str = ""

    def headers(self) -> bytes:
        sender = (
            f'"{self.sender_name}" <{self.sender_addr}>' if self.sender_name else self.sender_addr
        )
        lines = [f"From: {sender}", f"To: {', '.join(self.to)}"]
        if self.cc:
            lines.append(f"Cc: {', '.join(self.cc)}")
        lines.append(f"Subject: {self.subject}")
        if self.date:
            lines.append(f"Date: {self.date}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


def smtp_send(job: MailJob) -> Conversation:
    """Greeting, EHLO (HELO if refused), AUTH LOGIN when SMTPUN and SMTPPW are both set
    (§3.1.14), MAIL, RCPT for every To and Cc, DATA, the message, QUIT."""
    reply = yield from read_reply()
    if reply.code != 220:
        return _fail(reply, Err.OPEN_FAILED)
    helo = job.domain or "localhost"
    yield Send(f"EHLO {helo}\r\n".encode())
    reply = yield from read_reply()
    if reply.code != 250:
        if reply.code in (None, -1):
            return _fail(reply, Err.OPEN_FAILED)
        yield Send(f"HELO {helo}\r\n".encode())
        reply = yield from read_reply()
        if reply.code != 250:
            return _fail(reply, Err.OPEN_FAILED)
    if job.user and job.password:
        yield Send(b"AUTH LOGIN\r\n")
        reply = yield from read_reply()
        if reply.code != 334:
            return _fail(reply, Err.USER_REJECTED)
        yield Send(base64.b64encode(job.user.encode()) + b"\r\n")
        reply = yield from read_reply()
        if reply.code != 334:
            return _fail(reply, Err.USER_REJECTED)
        yield Send(base64.b64encode(job.password.encode()) + b"\r\n")
        reply = yield from read_reply()
        if reply.code != 235:
            return _fail(reply, Err.PASSWORD_REJECTED)
    yield Send(f"MAIL FROM:<{job.sender_addr}>\r\n".encode())
    reply = yield from read_reply()
    if reply.code != 250:
        return _fail(reply, Err.SENDER_REJECTED)
    for addresses, refused in ((job.to, Err.RECIPIENT_REJECTED), (job.cc, Err.CC_REJECTED)):
        for address in addresses:
            yield Send(f"RCPT TO:<{address}>\r\n".encode())
            reply = yield from read_reply()
            if reply.code not in (250, 251):
                return _fail(reply, refused)
    yield Send(b"DATA\r\n")
    reply = yield from read_reply()
    if reply.code != 354:
        return _fail(reply, Err.BODY_REJECTED)
    yield Send(job.headers())
    if job.body is None:
        relayed = yield Stream()
        if not relayed:
            return int(Err.SEND_FAILED)
    else:
        yield Send(dot_stuff(job.body) + b".\r\n")
    reply = yield from read_reply()
    if reply.code != 250:
        return _fail(reply, Err.BODY_REJECTED)
    yield Send(b"QUIT\r\n")
    yield from read_reply()  # 221; the mail is accepted whatever comes now
    return None


# -- POP3 ------------------------------------------------------------------------------------------

POP3_HEADERS = ("from", "cc", "subject")  # §3.1.8 "The POP3 header contains the From, Cc and
# Subject fields"


def _pop_ok(line: Any) -> bool:
    return isinstance(line, str) and line.startswith("+OK")


def _pop_fail(line: Any, code: int) -> int:
    return int(Err.NO_RESPONSE) if line == TIMEOUT else int(code)


def pop3_fetch(user: str, password: str, headers: bool) -> Conversation:
    """§3.2: USER/PASS, STAT, RETR 1 relayed to the host (From/Cc/Subject headers when
    POP3HEADERMODE is 1, then the body, dot-stuffed as received, then CR LF . CR LF), DELE 1
    and QUIT (so the next #GETMAIL gets the next mail; assumption, docs/assumptions.md).
    Returns None after a mail, :data:`NO_MAIL` when the box is empty, else the §9.2 code."""
    line = yield Recv()
    if not _pop_ok(line):
        return _pop_fail(line, Err.OPEN_FAILED)
    yield Send(f"USER {user}\r\n".encode())
    line = yield Recv()
    if not _pop_ok(line):
        return _pop_fail(line, Err.USER_REJECTED)
    yield Send(f"PASS {password}\r\n".encode())
    line = yield Recv()
    if not _pop_ok(line):
        return _pop_fail(line, Err.PASSWORD_REJECTED)
    yield Send(b"STAT\r\n")
    line = yield Recv()
    if not _pop_ok(line):
        return _pop_fail(line, Err.MAIL_RETRIEVE)
    fields = line.split()
    count = int(fields[1]) if len(fields) > 1 and ascii_digits(fields[1]) else 0
    if count == 0:
        yield Send(b"QUIT\r\n")
        yield Recv()
        return NO_MAIL
    yield Send(b"RETR 1\r\n")
    line = yield Recv()
    if not _pop_ok(line):
        return _pop_fail(line, Err.MAIL_RETRIEVE)
    yield Deliver(b"", Msg.MAIL)
    in_headers, keep = True, False
    while True:
        line = yield Recv()
        if line is None or line == TIMEOUT:
            yield Deliver(b"\r\n.\r\n")  # §3.2.2: an error after the MAIL message follows CRLF.CRLF
            return _pop_fail(line, Err.MAIL_HEADER if in_headers else Err.MAIL_RETRIEVE)
        if line == ".":
            yield Deliver(b".\r\n")
            break
        if in_headers:
            if line == "":
                in_headers = False
                if headers:
                    yield Deliver(b"\r\n")
                continue
            if line[:1] in (" ", "\t"):  # a folded header line continues the previous one
                if keep:
                    yield Deliver(line.encode("latin-1", "replace") + b"\r\n")
                continue
            keep = headers and line.split(":", 1)[0].strip().lower() in POP3_HEADERS
            if keep:
                yield Deliver(line.encode("latin-1", "replace") + b"\r\n")
            continue
        yield Deliver(line.encode("latin-1", "replace") + b"\r\n")
    yield Send(b"DELE 1\r\n")
    line = yield Recv()
    if not _pop_ok(line):
        return _pop_fail(line, Err.DELETE_FAILED)
    yield Send(b"QUIT\r\n")
    line = yield Recv()
    if not _pop_ok(line):
        return _pop_fail(line, Err.CLOSE_FAILED)
    return None


NO_MAIL = -3072  # pop3_fetch's "the box is empty" (Ok_Info_NoMail)


# -- FTP -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FtpJob:
    user: str
    password: str
    type_: str  # "A" or "I"
    path: str
    filename: str
    put: bool


def parse_pasv(text: str) -> tuple[str, int] | None:
    """``227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)`` (RFC 959 §4.1.2 PASV)."""
    start, end = text.find("("), text.find(")")
    body = text[start + 1 : end] if 0 <= start < end else text
    parts = [p.strip() for p in body.split(",")]
    if len(parts) != 6 or not all(ascii_digits(p) and int(p) <= 255 for p in parts):
        return None
    return ".".join(parts[:4]), int(parts[4]) * 256 + int(parts[5])


def ftp_session(job: FtpJob) -> Conversation:
    """§4.2 / §4.3: login, TYPE, CWD to the path, PASV, RETR or STOR, the transfer, QUIT."""
    reply = yield from read_reply()
    if reply.code != 220:
        return _fail(reply, Err.OPEN_FAILED)
    yield Send(f"USER {job.user}\r\n".encode())
    reply = yield from read_reply()
    if reply.code == 331:
        yield Send(f"PASS {job.password}\r\n".encode())
        reply = yield from read_reply()
        if reply.code not in (230, 202):
            return _fail(reply, Err.PASSWORD_REJECTED)
    elif reply.code != 230:
        return _fail(reply, Err.USER_REJECTED)
    yield Send(f"TYPE {job.type_}\r\n".encode())
    reply = yield from read_reply()
    if reply.code != 200:
        return _fail(reply, Err.OPEN_FAILED)
    if job.path:
        yield Send(f"CWD {job.path}\r\n".encode())
        reply = yield from read_reply()
        if reply.code != 250:
            return _fail(reply, Err.CWD_FAILED)
    yield Send(b"PASV\r\n")
    reply = yield from read_reply()
    where = parse_pasv(reply.text) if reply.code == 227 else None
    if where is None:
        return _fail(reply, Err.OPEN_FAILED)
    connected = yield OpenData(*where)
    if not connected:
        return int(Err.OPEN_FAILED)
    failed = Err.SEND_FAILED if job.put else Err.RETRIEVE_FAILED
    yield Send(f"{'STOR' if job.put else 'RETR'} {job.filename}\r\n".encode())
    reply = yield from read_reply()
    if reply.code not in (125, 150):
        return _fail(reply, failed)
    completed = yield Transfer()
    reply = yield from read_reply()
    if not completed or reply.code not in (226, 250):
        return _fail(reply, failed)
    yield Send(b"QUIT\r\n")
    yield from read_reply()
    return None
