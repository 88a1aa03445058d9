"""SMTP and POP3 services: the mail engines on a simulated host, with inspection."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from simnet.errors import ConfigError
from simnet.servers.config import get_bool, get_credentials, get_int, get_mapping, get_str
from simnet.servers.mailstore import host_mail
from simnet.servers.pop3_engine import Maildrop, Pop3Engine
from simnet.servers.service import Conn, LineSession, Service
from simnet.servers.smtp_engine import MailStore, SmtpEngine, SmtpSettings, parse_message

_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")
MAX_MESSAGE = 10 * 1024 * 1024


class SmtpService(Service):
    type_name = "smtp"
    default_port = 25
    extra_keys = ("domain", "users", "auth_required", "max_size", "mailboxes", "bare_lf")

    def _configure(self, config: dict[str, Any], field: str) -> None:
        self.settings = SmtpSettings(
            domain=get_str(config, "domain", field, "mail.simnet.test"),
            users=get_credentials(config, "users", field),
            auth_required=get_bool(config, "auth_required", field, False),
            max_size=get_int(config, "max_size", field, MAX_MESSAGE, 1, 1 << 30),
            bare_lf=get_str(config, "bare_lf", field, "reject", choices=("reject", "legacy")),
        )
        boxes = config.get("mailboxes")
        accept: list[str] | None = None
        if boxes is not None:
            if not isinstance(boxes, list) or not all(
                isinstance(b, str) and _ADDRESS.match(b) for b in boxes
            ):
                raise ConfigError(
                    f"{field}.mailboxes", "expected a list of addresses such as user@example.net"
                )
            accept = [b.lower() for b in boxes]
        self.store = MailStore(accept=accept)

    def _on_attach(self) -> None:
        self.store.forward = host_mail(self.host).deliver  # local mailboxes are POP3's too

    def busy_reply(self) -> bytes:
        # RFC 5321 §3.1: a server may answer the connection with 421 instead of 220
        return f"421 {self.settings.domain} Error: too many connections\r\n".encode()

    def start_session(self, conn: Conn) -> None:
        engine = SmtpEngine(
            self.store, self.settings, clock=self.utc_now, override=self.take_override
        )
        LineSession(self, conn, engine)

    # -- inspection -----------------------------------------------------------------------------
    def mailbox(self, address: str) -> list[dict[str, Any]]:
        """Messages delivered to ``address`` (From, To, Cc, Subject, body, envelope, size)."""
        return [m.as_dict() for m in self.store.mailboxes.get(address.lower(), [])]

    def mailboxes(self) -> dict[str, list[dict[str, Any]]]:
        return {addr: self.mailbox(addr) for addr in sorted(self.store.mailboxes)}

    def extra_summary(self) -> dict[str, Any]:
        return {"messages": {a: len(m) for a, m in sorted(self.store.mailboxes.items())}}

    def raw_messages(self, address: str) -> list[bytes]:
        return [m.raw for m in self.store.mailboxes.get(address.lower(), [])]


def compose(spec: Mapping[str, Any], field: str) -> bytes:
    """An RFC 5322 message from ``{from, to, cc, subject, date, body}`` (CR LF line ends)."""
    headers = []
    for key, name in (
        ("from", "From"),
        ("to", "To"),
        ("cc", "Cc"),
        ("subject", "Subject"),
        ("date", "Date"),
    ):
        if key in spec:
            value = spec[key]
            if not isinstance(value, str) or "\n" in value or "\r" in value:
                raise ConfigError(f"{field}.{key}", f"expected one line of text, got {value!r}")
            headers.append(f"{name}: {value}")
    body = spec.get("body", "")
    if not isinstance(body, str):
        raise ConfigError(f"{field}.body", "expected text")
    text = "\r\n".join(headers) + "\r\n\r\n" + body.replace("\r\n", "\n").replace("\n", "\r\n")
    if not text.endswith("\r\n"):
        text += "\r\n"
    return text.encode("utf-8")


class Pop3Service(Service):
    type_name = "pop3"
    default_port = 110
    extra_keys = ("users", "mailboxes", "greeting")
    # RFC 1939 §3: the autologout timer "MUST be of at least 10 minutes' duration"
    default_idle_timeout = 10 * 60.0

    def _configure(self, config: dict[str, Any], field: str) -> None:
        self.greeting = get_str(config, "greeting", field, "simnet POP3 server ready")
        self.maildrop = Maildrop(users=get_credentials(config, "users", field))
        for user, messages in get_mapping(config, "mailboxes", field).items():
            mfield = f"{field}.mailboxes.{user}"
            if user not in self.maildrop.users:
                raise ConfigError(
                    mfield,
                    "no such user (expected one of "
                    f"{', '.join(self.maildrop.users) or 'the users'})",
                )
            if not isinstance(messages, list):
                raise ConfigError(
                    mfield, "expected a list of messages (text, or {from, to, subject, body})"
                )
            for i, msg in enumerate(messages):
                ifield = f"{mfield}[{i}]"
                uid = None
                if isinstance(msg, str):
                    data = msg.encode("utf-8")
                elif isinstance(msg, Mapping):
                    allowed = ("from", "to", "cc", "subject", "date", "body", "uid")
                    for key in msg:
                        if key not in allowed:
                            raise ConfigError(
                                f"{ifield}.{key}",
                                f"unknown key (allowed keys: {', '.join(allowed)})",
                            )
                    if "uid" in msg:
                        uid = msg["uid"]
                        if (
                            not isinstance(uid, str)
                            or not 1 <= len(uid) <= 70
                            or not all(0x21 <= ord(c) <= 0x7E for c in uid)
                        ):
                            raise ConfigError(
                                f"{ifield}.uid", "expected 1-70 printable characters (RFC 1939 §7)"
                            )
                    data = compose(msg, ifield)
                else:
                    raise ConfigError(ifield, "expected message text or a mapping")
                if len(data) > MAX_MESSAGE:
                    raise ConfigError(ifield, f"message larger than {MAX_MESSAGE} bytes")
                self.maildrop.add(user, data, uid)
        for user in self.maildrop.users:
            self.maildrop.boxes.setdefault(user, [])

    def _on_attach(self) -> None:
        host_mail(self.host).add_maildrop(self.maildrop)  # mail the host's SMTP accepts

    def busy_reply(self) -> bytes:
        return b"-ERR [SYS/TEMP] too many connections\r\n"  # RFC 2449 §8.1.2 response code

    def start_session(self, conn: Conn) -> None:
        engine = Pop3Engine(self.maildrop, greeting=self.greeting, override=self.take_override)
        LineSession(self, conn, engine)

    # -- inspection -----------------------------------------------------------------------------
    def mailbox(self, user: str) -> list[dict[str, Any]]:
        """Messages still in ``user``'s maildrop, parsed (From, To, Cc, Subject, body)."""
        out = []
        for msg in self.maildrop.boxes.get(user, []):
            parsed = parse_message(msg.data, 0.0, "", [user]).as_dict()
            parsed["uid"] = msg.uid
            parsed["origin"] = msg.origin
            out.append(parsed)
        return out

    def mailboxes(self) -> dict[str, list[dict[str, Any]]]:
        return {user: self.mailbox(user) for user in self.maildrop.users}

    def extra_summary(self) -> dict[str, Any]:
        return {"messages": {u: len(self.maildrop.boxes.get(u, [])) for u in self.maildrop.users}}
