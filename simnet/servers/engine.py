"""Actions shared by the sans-IO server engines, and the base of the line-oriented ones.

An engine never touches a socket or a clock: it is fed bytes (``receive``) and connection events
and returns a list of actions. The glue in :mod:`simnet.servers.service` performs them on the
simulated TCP socket. This keeps every protocol testable with plain ``bytes`` in and out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

from simnet.servers.lines import Line, LineBuffer


@dataclass(slots=True)
class Send:
    """Bytes to write on the connection; ``log`` is the reply text recorded in the service log."""

    data: bytes
    log: str | None = None


@dataclass(slots=True)
class Received:
    """A command line the engine accepted for processing (recorded in the service log)."""

    line: str


@dataclass(slots=True)
class Close:
    """Close the connection once queued bytes are sent (``reset``: abort with RST now)."""

    reset: bool = False


Action = object


@dataclass(slots=True)
class Injected:
    """A reply a fault forces for a command: ``code`` (int, or "-ERR"/"+OK" for POP3), and an
    optional text replacing the protocol's standard text for that code."""

    code: int | str
    text: str | None = None


# A reply-override hook: given the upper-case command verb, the reply to force (or None).
OverrideHook = Callable[[str], Injected | None]


def no_override(_verb: str) -> Injected | None:
    return None


@dataclass(slots=True)
class Reply:
    """A numbered reply (FTP and SMTP share the RFC 959 / RFC 5321 multi-line format)."""

    code: int
    lines: list[str] = field(default_factory=list)

    def encode(self) -> bytes:
        texts = self.lines or [""]
        out = [f"{self.code}-{text}" for text in texts[:-1]]
        out.append(f"{self.code} {texts[-1]}")
        return ("\r\n".join(out) + "\r\n").encode("utf-8", "replace")


def numbered(code: int, *lines: str) -> Send:
    """A :class:`Send` carrying a numbered reply, logged as its wire text without CR LF."""
    reply = Reply(code, list(lines))
    data = reply.encode()
    return Send(data, data.decode("utf-8", "replace").rstrip("\r\n").replace("\r\n", "\n"))


class LineEngine(ABC):
    """Common skeleton: bounded line buffer, closed flag, override hook, dispatch per line."""

    #: longest command line accepted, in bytes (CR included, LF excluded)
    line_limit = 512

    def __init__(self, override: OverrideHook | None = None) -> None:
        self.override: OverrideHook = override or no_override
        self.lines = LineBuffer(self.line_limit)
        self.closed = False

    def start(self) -> list[Action]:
        """Actions on connection establishment (normally the greeting)."""
        return []

    def receive(self, data: bytes) -> list[Action]:
        """Feed received bytes; returns actions. Bytes after the engine closed are ignored."""
        actions: list[Action] = []
        if self.closed:
            return actions
        self.lines.push(data)
        while not self.closed and (line := self.lines.pop()) is not None:
            actions.extend(self.on_line(line))
        return actions

    @abstractmethod
    def on_line(self, line: Line) -> list[Action]:
        """One complete command line from the client; returns actions."""

    def idle_timeout(self) -> list[Action]:
        """The server's inactivity timer expired: by default close without a word."""
        return self.close()

    def connection_lost(self) -> list[Action]:
        """The peer went away (FIN, RST, or network loss); release per-session state."""
        self.closed = True
        return []

    def close(self, *actions: Action) -> list[Action]:
        """Helper: the given actions followed by a graceful close, and mark closed."""
        self.closed = True
        return [*actions, Close()]
