"""Sans-IO POP3 server engine (RFC 1939): AUTHORIZATION, TRANSACTION and UPDATE states.

Mailboxes live in a :class:`Maildrop` shared by all sessions of one service. A session locks
its maildrop on PASS (RFC 1939 §4 "exclusive-access lock"); deletions are only marks until QUIT
enters the UPDATE state, so a dropped connection deletes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from simnet.kernel.units import ascii_digits
from simnet.servers.engine import LineEngine, OverrideHook
from simnet.servers.events import LineReceived, ServerEvent, Write
from simnet.servers.lines import Line, decode_command

MAX_ARG_LEN = 40  # RFC 1939 §3: arguments may be up to 40 characters long


# RFC 1939 §4-§6: the commands each state accepts (UPDATE accepts none).
COMMANDS_BY_STATE: dict[str, frozenset[str]] = {
    "AUTHORIZATION": frozenset({"USER", "PASS", "QUIT", "CAPA"}),
    "TRANSACTION": frozenset(
        {"STAT", "LIST", "UIDL", "RETR", "TOP", "DELE", "RSET", "NOOP", "QUIT", "CAPA"}
    ),
}
KNOWN_COMMANDS = frozenset().union(*COMMANDS_BY_STATE.values())


@dataclass(slots=True)
class Pop3Message:
    data: bytes  # RFC 5322 text with CR LF line ends
    uid: str
    origin: str = "config"


@dataclass
class Maildrop:
    """Per-user passwords and message lists; ``locked`` holds users with an open session."""

    users: dict[str, str] = field(default_factory=dict)
    boxes: dict[str, list[Pop3Message]] = field(default_factory=dict)
    locked: list[str] = field(default_factory=list)

    def add(
        self, user: str, data: bytes, uid: str | None = None, *, origin: str = "config"
    ) -> Pop3Message:
        box = self.boxes.setdefault(user, [])
        if uid is None:
            # unique and stable: position plus a content digest (RFC 1939 §7 UIDL)
            uid = f"{len(box) + 1:04d}{hashlib.sha256(data).hexdigest()[:16]}"
        msg = Pop3Message(to_crlf(data), uid, origin)
        box.append(msg)
        return msg

    def user_for(self, address: str) -> str | None:
        """The account a mail to ``address`` belongs to: the user named by the whole address,
        else by its local part (case-insensitive); None if there is none."""
        wanted = address.lower()
        local = wanted.split("@", 1)[0]
        by_name = {u.lower(): u for u in self.users}
        return by_name.get(wanted) or by_name.get(local)


def to_crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def dot_stuff(data: bytes) -> bytes:
    """Byte-stuff lines starting with '.' and add the terminating '.' line (RFC 1939 §3)."""
    if data and not data.endswith(b"\r\n"):
        data += b"\r\n"
    lines = data.split(b"\r\n")[:-1] if data else []
    out = bytearray()
    for line in lines:
        if line.startswith(b"."):
            out += b"."
        out += line + b"\r\n"
    out += b".\r\n"
    return bytes(out)


def ok(text: str = "") -> Write:
    line = f"+OK {text}".rstrip(" ") if text else "+OK"
    return Write((line + "\r\n").encode("utf-8", "replace"), line)


def err(text: str) -> Write:
    line = f"-ERR {text}"
    return Write((line + "\r\n").encode("utf-8", "replace"), line)


def multiline(status: str, payload: bytes) -> Write:
    """A positive status line followed by dot-stuffed ``payload``; the log keeps the status."""
    head = f"+OK {status}".rstrip(" ")
    return Write((head + "\r\n").encode("utf-8", "replace") + dot_stuff(payload), head)


class Pop3Engine(LineEngine):
    line_limit = 255  # RFC 1939 §3 bounds arguments at 40 chars; 255 leaves room for garbage

    def __init__(
        self,
        maildrop: Maildrop,
        *,
        greeting: str = "simnet POP3 server ready",
        override: OverrideHook | None = None,
    ) -> None:
        super().__init__(override)
        self.maildrop = maildrop
        self.greeting = greeting
        self.state = "AUTHORIZATION"
        self.user: str | None = None
        self.locked_user: str | None = None
        self.snapshot: list[Pop3Message] = []
        self.deleted: list[bool] = []

    def start(self) -> list[ServerEvent]:
        return [ok(self.greeting)]

    # -- helpers ---------------------------------------------------------------------------------
    @property
    def messages(self) -> list[Pop3Message]:
        """The session's snapshot of its maildrop, taken at PASS (RFC 1939 §4 lock)."""
        return self.snapshot

    def _message(self, arg: str) -> tuple[int, Pop3Message] | Write:
        if not ascii_digits(arg):
            return err("invalid message number")
        n = int(arg)
        if not 1 <= n <= len(self.messages):
            return err("no such message")
        if self.deleted[n - 1]:
            return err("message already deleted")
        return n, self.messages[n - 1]

    def _unlock(self) -> None:
        if self.locked_user is not None and self.locked_user in self.maildrop.locked:
            self.maildrop.locked.remove(self.locked_user)
        self.locked_user = None

    # -- dispatch --------------------------------------------------------------------------------
    def on_line(self, line: Line) -> list[ServerEvent]:
        if line.overlong:
            return [LineReceived(decode_command(line.data[:80]) + "..."), err("line too long")]
        text = decode_command(line.data)
        verb, _, arg = text.strip(" ").partition(" ")
        verb = verb.upper()
        log = LineReceived(text)  # verbatim, passwords included: this is a test peer
        # RFC 1939 §7: a password may contain spaces, so PASS takes the rest of the line
        args = [arg] if verb == "PASS" else arg.split()
        if verb != "PASS" and any(len(a) > MAX_ARG_LEN for a in args):
            return [log, err("argument too long")]
        injected = self.override(verb) if verb else None
        if injected is not None:
            # POP3 has one negative status (RFC 1939 §3); an injected "+OK" skips the command
            if injected.code == "+OK":
                return [log, ok(injected.text or "")]
            return [log, err(injected.text or "injected failure")]
        if verb not in KNOWN_COMMANDS:
            return [log, err("unknown command")]
        if verb not in COMMANDS_BY_STATE.get(self.state, ()):
            return [log, err(f"command not valid in {self.state} state")]
        return [log, *getattr(self, f"_cmd_{verb.lower()}")(args)]

    def idle_timeout(self) -> list[ServerEvent]:
        # RFC 1939 §3: on autologout the server closes without a response and without UPDATE
        self._unlock()
        return self.close()

    def connection_lost(self) -> list[ServerEvent]:
        # RFC 1939 §6: a session ended without QUIT does not enter UPDATE
        self.closed = True
        self._unlock()
        return []

    # -- AUTHORIZATION ---------------------------------------------------------------------------
    def _cmd_user(self, args: list[str]) -> list[ServerEvent]:
        if len(args) != 1:
            return [err("USER needs one argument")]
        if args[0] not in self.maildrop.users:
            self.user = None
            return [err(f"sorry, no mailbox for {args[0]} here")]
        self.user = args[0]
        return [ok(f"{args[0]} is a valid mailbox")]

    def _cmd_pass(self, args: list[str]) -> list[ServerEvent]:
        if self.user is None:
            return [err("USER first")]
        user, self.user = self.user, None
        if self.maildrop.users.get(user) != (args[0] if args else ""):
            return [err("invalid password")]
        if user in self.maildrop.locked:
            return [err("unable to lock maildrop")]
        self.maildrop.locked.append(user)
        self.locked_user = user
        self.state = "TRANSACTION"
        self.snapshot = list(self.maildrop.boxes.get(user, []))
        self.deleted = [False] * len(self.messages)
        count, size = self._totals()
        return [ok(f"{user}'s maildrop has {count} messages ({size} octets)")]

    def _cmd_quit(self, args: list[str]) -> list[ServerEvent]:
        if self.state == "TRANSACTION":
            self.state = "UPDATE"
            doomed = [m for m, gone in zip(self.snapshot, self.deleted, strict=True) if gone]
            box = self.maildrop.boxes.get(self.locked_user or "", [])
            box[:] = [m for m in box if not any(m is d for d in doomed)]
            removed = len(doomed)
            self._unlock()
            return self.close(ok(f"simnet POP3 server signing off ({removed} messages deleted)"))
        return self.close(ok("simnet POP3 server signing off"))

    # -- TRANSACTION -----------------------------------------------------------------------------
    def _totals(self) -> tuple[int, int]:
        live = [m for m, gone in zip(self.messages, self.deleted, strict=True) if not gone]
        return len(live), sum(len(m.data) for m in live)

    def _cmd_stat(self, args: list[str]) -> list[ServerEvent]:
        count, size = self._totals()
        return [ok(f"{count} {size}")]

    def _cmd_list(self, args: list[str]) -> list[ServerEvent]:
        return self._scan(args, lambda n, m: f"{n} {len(m.data)}")

    def _cmd_uidl(self, args: list[str]) -> list[ServerEvent]:
        return self._scan(args, lambda n, m: f"{n} {m.uid}")

    def _scan(self, args: list[str], fmt: Callable[[int, Pop3Message], str]) -> list[ServerEvent]:
        if len(args) > 1:
            return [err("too many arguments")]
        if args:
            found = self._message(args[0])
            if isinstance(found, Write):
                return [found]
            return [ok(fmt(*found))]
        rows = [
            fmt(i + 1, m)
            for i, (m, gone) in enumerate(zip(self.messages, self.deleted, strict=True))
            if not gone
        ]
        payload = "".join(f"{r}\r\n" for r in rows).encode()
        count, size = self._totals()
        return [multiline(f"{count} messages ({size} octets)", payload)]

    def _cmd_retr(self, args: list[str]) -> list[ServerEvent]:
        if len(args) != 1:
            return [err("RETR needs one argument")]
        found = self._message(args[0])
        if isinstance(found, Write):
            return [found]
        _, msg = found
        return [multiline(f"{len(msg.data)} octets", msg.data)]

    def _cmd_top(self, args: list[str]) -> list[ServerEvent]:
        if len(args) != 2 or not ascii_digits(args[1]):
            return [err("TOP needs a message number and a line count")]
        found = self._message(args[0])
        if isinstance(found, Write):
            return [found]
        _, msg = found
        head, sep, body = msg.data.partition(b"\r\n\r\n")
        body_lines = body.split(b"\r\n") if body else []
        if body_lines and body_lines[-1] == b"":
            body_lines.pop()
        keep = body_lines[: int(args[1])]
        payload = head + b"\r\n" + (b"\r\n" if sep else b"") + b"".join(x + b"\r\n" for x in keep)
        return [multiline("top of message follows", payload)]

    def _cmd_dele(self, args: list[str]) -> list[ServerEvent]:
        if len(args) != 1:
            return [err("DELE needs one argument")]
        found = self._message(args[0])
        if isinstance(found, Write):
            return [found]
        n, _ = found
        self.deleted[n - 1] = True
        return [ok(f"message {n} deleted")]

    def _cmd_rset(self, args: list[str]) -> list[ServerEvent]:
        self.deleted = [False] * len(self.messages)
        count, size = self._totals()
        return [ok(f"maildrop has {count} messages ({size} octets)")]

    def _cmd_capa(self, args: list[str]) -> list[ServerEvent]:
        # RFC 2449 §5: allowed in every state; lists what this server implements
        return [multiline("Capability list follows", b"USER\r\nTOP\r\nUIDL\r\n")]

    def _cmd_noop(self, args: list[str]) -> list[ServerEvent]:
        return [ok()]
