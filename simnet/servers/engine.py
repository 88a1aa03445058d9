"""The base of the line-oriented sans-IO server engines, and their reply helpers.

An engine never touches a socket or a clock: it is fed bytes (``receive``) and connection events
and returns the typed events of :mod:`simnet.servers.events` they cause. The glue in
:mod:`simnet.servers.service` carries them out on the simulated TCP socket. This keeps every
protocol testable with plain ``bytes`` in and out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

from simnet.servers.events import Close, ServerEvent, Write
from simnet.servers.lines import Line, LineBuffer


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


def numbered(code: int, *lines: str) -> Write:
    """A :class:`Send` carrying a numbered reply, logged as its wire text without CR LF."""
    reply = Reply(code, list(lines))
    data = reply.encode()
    return Write(data, data.decode("utf-8", "replace").rstrip("\r\n").replace("\r\n", "\n"))


class LineEngine(ABC):
    """Common skeleton: bounded line buffer, closed flag, override hook, dispatch per line."""

    #: longest command line accepted, in bytes (CR included, LF excluded)
    line_limit = 512

    def __init__(self, override: OverrideHook | None = None) -> None:
        self.override: OverrideHook = override or no_override
        self.lines = LineBuffer(self.line_limit)
        self.closed = False

    def start(self) -> list[ServerEvent]:
        """Actions on connection establishment (normally the greeting)."""
        return []

    def receive(self, data: bytes) -> list[ServerEvent]:
        """Feed received bytes; returns actions. Bytes after the engine closed are ignored."""
        actions: list[ServerEvent] = []
        if self.closed:
            return actions
        self.lines.push(data)
        while not self.closed and (line := self.lines.pop()) is not None:
            actions.extend(self.on_line(line))
        return actions

    @abstractmethod
    def on_line(self, line: Line) -> list[ServerEvent]:
        """One complete command line from the client; returns actions."""

    def idle_timeout(self) -> list[ServerEvent]:
        """The server's inactivity timer expired: by default close without a word."""
        return self.close()

    def connection_lost(self) -> list[ServerEvent]:
        """The peer went away (FIN, RST, or network loss); release per-session state."""
        self.closed = True
        return []

    def close(self, *actions: ServerEvent) -> list[ServerEvent]:
        """Helper: the given actions followed by a graceful close, and mark closed."""
        self.closed = True
        return [*actions, Close()]
