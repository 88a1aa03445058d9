"""Sans-IO SMTP server engine (RFC 5321) with AUTH LOGIN/PLAIN (RFC 4954, RFC 4616).

Accepted messages are delivered to an in-memory :class:`MailStore`, one copy per recipient
mailbox, and parsed with the standard library's ``email`` package for inspection.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simnet.kernel.units import ascii_digits
from simnet.servers.engine import Injected, LineEngine, OverrideHook, numbered
from simnet.servers.events import LineReceived, ServerEvent
from simnet.servers.lines import Line, decode_command

# Default text for a reply code injected by a reply-override fault (RFC 5321 §4.2.2/§4.2.3).
OVERRIDE_TEXT: dict[int, str] = {
    421: "Service not available, closing transmission channel",
    450: "Requested mail action not taken: mailbox unavailable",
    451: "Requested action aborted: local error in processing",
    452: "Requested action not taken: insufficient system storage",
    500: "Syntax error, command unrecognized",
    501: "Syntax error in parameters or arguments",
    502: "Command not implemented",
    503: "Bad sequence of commands",
    530: "Authentication required",
    535: "Authentication credentials invalid",
    550: "Requested action not taken: mailbox unavailable",
    551: "User not local",
    552: "Requested mail action aborted: exceeded storage allocation",
    553: "Requested action not taken: mailbox name not allowed",
    554: "Transaction failed",
}

# DATA failures an injected reply gives after the message text (RFC 5321 §4.3.2 lists 552, 554,
# 451, 452 after the data; 421 closes there too); others (450, 550, 503) replace the 354.
AFTER_DATA_CODES = (421, 451, 452, 552, 554)
MAX_RECIPIENTS = 100  # RFC 5321 §4.5.3.1.8 minimum the server must accept
# MAIL FROM:<path> [params] / RCPT TO:<path> [params]; RFC 5321 §4.1.1.2-3 (spaces tolerated).
_PATH_RE = re.compile(r"^(FROM|TO):\s*<([^<>\s]*)>(.*)$", re.IGNORECASE)
_MAILBOX_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(slots=True)
class StoredMessage:
    """One accepted message as a recipient's mailbox holds it."""

    t: float
    envelope_from: str
    recipients: list[str]
    raw: bytes
    from_: str
    to: str
    cc: str
    subject: str
    body: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "envelope_from": self.envelope_from,
            "recipients": list(self.recipients),
            "from": self.from_,
            "to": self.to,
            "cc": self.cc,
            "subject": self.subject,
            "body": self.body,
            "size": len(self.raw),
        }


def parse_message(raw: bytes, t: float, envelope_from: str, recipients: list[str]) -> StoredMessage:
    """Parse with ``email`` (never raising: a broken message keeps its raw bytes as the body)."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body_part = msg.get_body(preferencelist=("plain", "html")) if msg.is_multipart() else msg
        body = ""
        if body_part is not None:
            try:
                body = body_part.get_content()
            except (LookupError, ValueError, AttributeError):
                payload = body_part.get_payload(decode=True)
                body = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        body = body.replace("\r\n", "\n")  # inspection text uses Python line ends
        return StoredMessage(
            t,
            envelope_from,
            list(recipients),
            raw,
            str(msg.get("From", "")),
            str(msg.get("To", "")),
            str(msg.get("Cc", "")),
            str(msg.get("Subject", "")),
            body,
        )
    except Exception:  # noqa: BLE001 - any malformed mail must still be stored, never crash
        text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
        return StoredMessage(t, envelope_from, list(recipients), raw, "", "", "", "", text)


@dataclass
class MailStore:
    """Mailboxes keyed by lower-cased address; ``accept`` limits which ones exist."""

    accept: list[str] | None = None  # None: every syntactically valid address is local
    mailboxes: dict[str, list[StoredMessage]] = field(default_factory=dict)
    # Where accepted mail goes next: the host's POP3 maildrops (simnet.servers.mailstore).
    forward: Callable[[StoredMessage], None] | None = None

    def exists(self, address: str) -> bool:
        return self.accept is None or address.lower() in self.accept

    def deliver(self, message: StoredMessage) -> None:
        for rcpt in message.recipients:
            self.mailboxes.setdefault(rcpt.lower(), []).append(message)
        if self.forward is not None:
            self.forward(message)


@dataclass(slots=True)
class SmtpSettings:
    domain: str = "mail.simnet.test"
    users: dict[str, str] = field(default_factory=dict)
    auth_required: bool = False
    max_size: int = 10 * 1024 * 1024
    # RFC 5321 §2.3.8: CR and LF only as CR LF. "reject" ends the session at a bare LF in
    # message text, as current servers do against SMTP smuggling (Postfix
    # smtpd_forbid_bare_newline); "legacy" accepts LF line ends and LF.LF as the end of data,
    # as servers did before 2024.
    bare_lf: str = "reject"


class SmtpEngine(LineEngine):
    line_limit = 512  # RFC 5321 §4.5.3.1.4: command line, CR LF included

    def __init__(
        self,
        store: MailStore,
        settings: SmtpSettings,
        *,
        clock: Callable[[], float] = lambda: 0.0,
        override: OverrideHook | None = None,
    ) -> None:
        super().__init__(override)
        self.store = store
        self.settings = settings
        self.clock = clock
        self.greeted = False
        self.authenticated: str | None = None
        self.auth_step: str | None = None  # "plain", "login-user", "login-pass"
        self.auth_user = ""
        self.mail_from: str | None = None
        self.rcpts: list[str] = []
        self.in_data = False
        self.data = bytearray()
        self.data_overflow = False
        self.injected_after_data: Injected | None = None

    def start(self) -> list[ServerEvent]:
        return [numbered(220, f"{self.settings.domain} ESMTP simnet")]

    def receive(self, data: bytes) -> list[ServerEvent]:
        if self.closed:
            return []
        actions: list[ServerEvent] = []
        self.lines.push(data)
        while not self.closed and (line := self.lines.pop()) is not None:
            actions.extend(self._data_line(line) if self.in_data else self.on_line(line))
            # message text has no command-line bound; only the total size is limited
            self.lines.limit = self.settings.max_size + 2 if self.in_data else self.line_limit
        return actions

    def idle_timeout(self) -> list[ServerEvent]:
        # RFC 5321 §4.5.3.2 timeouts end with 421 (Postfix: "Error: timeout exceeded")
        return self.close(numbered(421, f"{self.settings.domain} Error: timeout exceeded"))

    def _reset(self) -> None:
        self.mail_from = None
        self.rcpts = []

    # -- DATA (RFC 5321 §4.1.1.4, transparency §4.5.2) -----------------------------------------
    def _data_line(self, line: Line) -> list[ServerEvent]:
        raw = line.data
        if line.bare_lf and self.settings.bare_lf == "reject":
            # Nothing of this message is delivered, and what follows is never read as commands.
            self.in_data = False
            self.data = bytearray()
            self.data_overflow = False
            self.injected_after_data = None
            self._reset()
            return self.close(
                LineReceived("<bare LF in message text>"),
                numbered(521, f"5.5.2 {self.settings.domain} Error: bare <LF> received"),
            )
        if raw == b"." and not line.overlong:
            self.in_data = False
            body = bytes(self.data)
            overflow = self.data_overflow
            self.data = bytearray()
            self.data_overflow = False
            sender, rcpts = self.mail_from or "", list(self.rcpts)
            self._reset()
            injected, self.injected_after_data = self.injected_after_data, None
            if injected is not None:
                code = int(injected.code)
                text = injected.text or OVERRIDE_TEXT.get(code, "Injected reply")
                reply = numbered(code, text)
                ended = LineReceived("<end of data>")
                return self.close(ended, reply) if code == 421 else [ended, reply]
            if overflow:
                return [numbered(552, "Message size exceeds fixed maximum message size")]
            msg = parse_message(body, self.clock(), sender, rcpts)
            self.store.deliver(msg)
            return [
                LineReceived("<end of data>"),
                numbered(250, f"OK: message accepted ({len(body)} bytes)"),
            ]
        if raw.startswith(b"."):
            raw = raw[1:]  # dot-unstuffing
        if line.overlong or len(self.data) + len(raw) + 2 > self.settings.max_size:
            self.data_overflow = True
            return []
        self.data += raw + b"\r\n"
        return []

    # -- commands -------------------------------------------------------------------------------
    def on_line(self, line: Line) -> list[ServerEvent]:
        if line.overlong:
            return [
                LineReceived(decode_command(line.data[:80]) + "..."),
                numbered(500, "Line too long"),
            ]
        text = decode_command(line.data)
        if self.auth_step is not None:
            return [LineReceived(text), *self._auth_continue(text.strip())]
        verb, _, arg = text.strip(" ").partition(" ")
        verb = verb.upper()
        log = LineReceived(text)
        injected = self.override(verb) if verb else None
        if (
            injected is not None
            and verb == "DATA"
            and injected.code in AFTER_DATA_CODES
            and self.mail_from is not None
            and self.rcpts
            and not arg.strip()
        ):
            # RFC 5321 §4.3.2: these DATA failures come after the message text, not before 354
            self.injected_after_data = injected
            return [log, *self._cmd_data("")]
        if injected is not None and isinstance(injected.code, int):
            code = injected.code
            reply = numbered(code, injected.text or OVERRIDE_TEXT.get(code, "Injected reply"))
            # 421: the server is shutting the channel (RFC 5321 §3.8)
            return self.close(log, reply) if code == 421 else [log, reply]
        handler = getattr(self, f"_cmd_{verb.lower()}", None) if verb.isalpha() else None
        if handler is None:
            return [log, numbered(500, "Syntax error, command unrecognized")]
        return [log, *handler(arg.strip())]

    def _cmd_helo(self, arg: str) -> list[ServerEvent]:
        if not arg:
            return [numbered(501, "Syntax: HELO hostname")]
        self.greeted = True
        self._reset()
        return [numbered(250, self.settings.domain)]

    def _cmd_ehlo(self, arg: str) -> list[ServerEvent]:
        if not arg:
            return [numbered(501, "Syntax: EHLO hostname")]
        self.greeted = True
        self._reset()
        return [
            numbered(
                250,
                f"{self.settings.domain} Hello {arg}",
                f"SIZE {self.settings.max_size}",
                "8BITMIME",
                "AUTH LOGIN PLAIN",
            )
        ]

    def _cmd_auth(self, arg: str) -> list[ServerEvent]:
        if not self.greeted:
            return [numbered(503, "Send EHLO first")]
        if self.authenticated is not None:
            return [numbered(503, "Already authenticated")]  # RFC 4954 §4
        if self.mail_from is not None:
            return [numbered(503, "AUTH not permitted during a mail transaction")]
        mech, _, initial = arg.partition(" ")
        mech = mech.upper()
        if mech == "PLAIN":
            if initial:
                return self._auth_plain(initial.strip())
            self.auth_step = "plain"
            return [numbered(334, "")]
        if mech == "LOGIN":
            if initial:
                user = self._b64(initial.strip())
                if user is None:
                    return [numbered(501, "Cannot decode AUTH parameter")]
                self.auth_user = user
                self.auth_step = "login-pass"
                return [numbered(334, "UGFzc3dvcmQ6")]  # base64("Password:")
            self.auth_step = "login-user"
            return [numbered(334, "VXNlcm5hbWU6")]  # base64("Username:")
        if not mech:
            return [numbered(501, "Syntax: AUTH mechanism")]
        return [numbered(504, "Unrecognized authentication type")]

    @staticmethod
    def _b64(text: str) -> str | None:
        try:
            return base64.b64decode(text, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return None

    def _auth_continue(self, text: str) -> list[ServerEvent]:
        step = self.auth_step
        self.auth_step = None
        if text == "*":
            return [numbered(501, "Authentication cancelled")]  # RFC 4954 §4
        if step == "plain":
            return self._auth_plain(text)
        value = self._b64(text)
        if value is None:
            return [numbered(501, "Cannot decode response")]
        if step == "login-user":
            self.auth_user = value
            self.auth_step = "login-pass"
            return [numbered(334, "UGFzc3dvcmQ6")]
        return self._auth_check(self.auth_user, value)

    def _auth_plain(self, text: str) -> list[ServerEvent]:
        decoded = self._b64(text)
        if decoded is None or decoded.count("\x00") != 2:
            return [numbered(501, "Cannot decode response")]
        _authzid, user, password = decoded.split("\x00")  # RFC 4616 §2
        return self._auth_check(user, password)

    def _auth_check(self, user: str, password: str) -> list[ServerEvent]:
        if user in self.settings.users and self.settings.users[user] == password:
            self.authenticated = user
            return [numbered(235, "Authentication successful")]
        return [numbered(535, "Authentication credentials invalid")]

    def _cmd_mail(self, arg: str) -> list[ServerEvent]:
        if not self.greeted:
            return [numbered(503, "Send HELO/EHLO first")]
        if self.mail_from is not None:
            return [numbered(503, "Nested MAIL command")]
        m = _PATH_RE.match(arg)
        if m is None or m.group(1).upper() != "FROM":
            return [numbered(501, "Syntax: MAIL FROM:<address>")]
        address, params = m.group(2), m.group(3).split()
        if address and not _MAILBOX_RE.match(address):
            return [numbered(501, "Bad sender address syntax")]
        if self.settings.auth_required and self.authenticated is None:
            return [numbered(530, "Authentication required")]
        for param in params:
            key, _, value = param.partition("=")
            if key.upper() == "SIZE":
                if not ascii_digits(value):
                    return [numbered(501, "Bad SIZE parameter")]
                if int(value) > self.settings.max_size:
                    return [numbered(552, "Message size exceeds fixed maximum message size")]
        self.mail_from = address
        self.rcpts = []
        return [numbered(250, "OK")]

    def _cmd_rcpt(self, arg: str) -> list[ServerEvent]:
        if self.mail_from is None:
            return [numbered(503, "Need MAIL command")]
        m = _PATH_RE.match(arg)
        # RFC 5321 §4.1.1.3: <Postmaster> without a domain must be accepted
        postmaster = m is not None and m.group(2).lower() == "postmaster"
        if (
            m is None
            or m.group(1).upper() != "TO"
            or not (postmaster or _MAILBOX_RE.match(m.group(2)))
        ):
            return [numbered(501, "Syntax: RCPT TO:<address>")]
        address = m.group(2)
        if len(self.rcpts) >= MAX_RECIPIENTS:
            return [numbered(452, "Too many recipients")]
        if not postmaster and not self.store.exists(address):
            return [numbered(550, f"<{address}>: Recipient address rejected: User unknown")]
        self.rcpts.append(address)
        return [numbered(250, "OK")]

    def _cmd_data(self, arg: str) -> list[ServerEvent]:
        if arg:
            return [numbered(501, "Syntax: DATA")]
        if self.mail_from is None:
            return [numbered(503, "Need MAIL command")]
        if not self.rcpts:
            return [numbered(554, "No valid recipients")]  # RFC 5321 §3.3
        self.in_data = True
        self.data = bytearray()
        self.data_overflow = False
        return [numbered(354, "End data with <CR><LF>.<CR><LF>")]

    def _cmd_rset(self, arg: str) -> list[ServerEvent]:
        self._reset()
        return [numbered(250, "OK")]

    def _cmd_noop(self, arg: str) -> list[ServerEvent]:
        return [numbered(250, "OK")]

    def _cmd_vrfy(self, arg: str) -> list[ServerEvent]:
        if not arg:
            return [numbered(501, "Syntax: VRFY address")]
        # RFC 5321 §3.5.3: 252 when the server will not confirm the mailbox
        return [numbered(252, "Cannot VRFY user, but will accept message and attempt delivery")]

    def _cmd_quit(self, arg: str) -> list[ServerEvent]:
        return self.close(numbered(221, "Bye"))

    def _cmd_help(self, arg: str) -> list[ServerEvent]:
        return [numbered(214, "Commands: HELO EHLO AUTH MAIL RCPT DATA RSET NOOP VRFY QUIT")]
