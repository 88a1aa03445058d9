"""Service framework: attach an engine to a simulated host, inspect it, and break it on demand.

A :class:`Service` owns a listening TCP port (or a bound UDP port) on a :class:`simnet.net.Host`.
Each accepted TCP connection gets a :class:`Conn` (byte pump: bounded send queue, rate limit,
cut-after-N-bytes faults, stall) and a session that feeds the sans-IO engine and performs its
actions. Faults are plain methods, so the scenario runner can call them at a time or on a
trigger; :meth:`Service.apply_fault` maps the scenario's fault actions onto them.
"""

from __future__ import annotations

import datetime as _dt
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from simnet.errors import ConfigError
from simnet.kernel.units import parse_duration, parse_rate
from simnet.servers.config import (
    DEFAULT_EPOCH,
    check_keys,
    get_duration,
    get_int,
    get_port,
    get_rate,
    parse_epoch,
)
from simnet.servers.engine import Injected, LineEngine
from simnet.servers.events import Close, LineReceived, Write

CONNECTION_ROLES = ("control", "data", "any")
CUT_MODES = ("reset", "close")
DNS_FAULT_MODES = ("nxdomain", "servfail", "silence")
FAULT_KINDS = (
    "refuse",
    "stall",
    "slow_greeting",
    "reply",
    "reset",
    "rate_limit",
    "dns",
    "push",
)
# Scenario fault actions (simnet.scenario.schema.FAULT_ACTIONS) and their kinds here.
SCENARIO_ACTIONS = {
    "server-refuse": "refuse",
    "server-stall": "stall",
    "server-reset": "reset",
    "server-reply": "reply",
    "server-slow-greeting": "slow_greeting",
    "server-rate-limit": "rate_limit",
    "dns-fail": "dns",
    "server-push": "push",
}
# Parameters each fault kind takes (the scenario's host/service/port selectors are dropped).
FAULT_PARAMS: dict[str, tuple[str, ...]] = {
    "refuse": ("duration",),
    "stall": ("duration",),
    "slow_greeting": ("delay", "duration"),
    "reply": ("command", "code", "text", "count", "every"),
    "reset": ("after_bytes", "mode", "connection", "duration"),
    "rate_limit": ("rate", "duration"),
    "dns": ("mode", "name", "duration"),
    "push": ("data",),
}
FAULT_REQUIRED: dict[str, tuple[str, ...]] = {
    "push": ("data",),
    "slow_greeting": ("delay",),
    "reply": ("command", "code"),
    "rate_limit": ("rate",),
    "dns": ("mode",),
}
COMMON_KEYS = (
    "port",
    "greeting_delay",
    "rate",
    "epoch",
    "backlog",
    "idle_timeout",
    "max_connections",
    "accept_rate",
)
REFILL_CHUNK = 4096  # bytes a source stream generates at a time
STREAM_KEEP = 1 << 20  # bytes of each direction a stream record keeps (the totals go on counting)
MAX_RATE_CHUNK = 1460  # paced sends go out at most one typical MSS at a time


class LogEntry(NamedTuple):
    """One line of a service's dialogue: ``direction`` is "in" (from client) or "out"."""

    t: float
    direction: str
    line: str


@dataclass(slots=True)
class StreamRecord:
    """What one TCP connection of a service carried, byte for byte (``Service.record_streams``):
    the application's view - bytes it read (``rx``) and handed to its socket (``tx``). Each
    direction keeps its first ``STREAM_KEEP`` bytes; ``rx_total`` / ``tx_total`` count on."""

    conn: int
    role: str  # control | data
    port: int  # the server's port of this connection (a passive data port for FTP data)
    peer: str  # "ip:port" of the client as the server sees it (after the carrier NAT)
    t_open: float
    rx: bytearray
    tx: bytearray
    rx_total: int = 0
    tx_total: int = 0
    t_end: float | None = None
    end: str | None = None  # why it finished (local, peer_closed, reset, fault_reset, ...)

    def add_rx(self, data: bytes | bytearray) -> None:
        if len(self.rx) < STREAM_KEEP:
            self.rx += data[: STREAM_KEEP - len(self.rx)]
        self.rx_total += len(data)

    def add_tx(self, data: bytes | bytearray) -> None:
        if len(self.tx) < STREAM_KEEP:
            self.tx += data[: STREAM_KEEP - len(self.tx)]
        self.tx_total += len(data)


@dataclass(slots=True)
class Cut:
    """Close or reset connections of ``role`` once ``after_bytes`` crossed them (both ways)."""

    after_bytes: int
    mode: str
    role: str


@dataclass(slots=True)
class Override:
    command: str
    reply: Injected
    remaining: int | None  # None: every occurrence


class Service:
    """Base of every service type; subclasses set ``type_name``, ``transport``, ``default_port``
    and implement ``_configure`` and the per-connection behaviour."""

    type_name = "service"
    transport = "tcp"
    default_port = 0
    extra_keys: tuple[str, ...] = ()
    default_idle_timeout: float | None = None  # seconds of inactivity before the daemon hangs up

    def __init__(self, config: Mapping[str, Any] | None, field: str) -> None:
        config = dict(config or {})
        check_keys(config, COMMON_KEYS + self.extra_keys, field)
        self.field = field
        self.config = config
        self.port = get_port(config, field, self.default_port)
        self.backlog = get_int(config, "backlog", field, 5, 1, 1024)
        self.epoch = parse_epoch(config.get("epoch", DEFAULT_EPOCH), f"{field}.epoch")
        # fault state
        self.refusing = False
        self.stalled = False
        self.greeting_delay = get_duration(config, "greeting_delay", field, 0.0)
        self.rate = get_rate(config, "rate", field)  # bits per second, None: unlimited
        # a daemon's inactivity timer (vsftpd idle_session_timeout, Postfix smtpd_timeout,
        # RFC 1939 §3 autologout): unset or null takes the type's default, false disables it
        idle = config.get("idle_timeout")
        if idle is True:
            raise ConfigError(
                f"{field}.idle_timeout", "expected a duration such as 10min, or false to disable"
            )
        self.idle_timeout: float | None = (
            self.default_idle_timeout
            if idle is None
            else None
            if idle is False
            else parse_duration(idle, f"{field}.idle_timeout", allow_zero=False)
        )
        # concurrent sessions beyond this get the daemon's "too many users" answer (vsftpd
        # max_clients, Postfix process limit); None: unlimited
        self.max_connections: int | None = (
            None
            if config.get("max_connections") is None
            else get_int(config, "max_connections", field, 0, 1, 100_000)
        )
        # connections per second the daemon takes off the accept queue (a busy server's accept
        # loop); completed handshakes wait meanwhile, and count against the backlog. None: at once
        self.accept_rate: float | None = None
        if config.get("accept_rate") is not None:
            rate = config["accept_rate"]
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate <= 1e6:
                raise ConfigError(
                    f"{field}.accept_rate",
                    f"expected connections per second in (0, 1e6], got {rate!r}",
                )
            self.accept_rate = float(rate)
        self._accept_queue: deque[Any] = deque()
        self._next_accept = 0.0
        self._accept_timer: Any = None
        self.cuts: list[Cut] = []
        self.overrides: list[Override] = []
        self.dns_mode: str | None = None
        self.stall_waiters: list[Callable[[], None]] = []
        # inspection
        self.bytes_received = 0
        self.bytes_sent = 0
        self.connections = 0
        self.log: list[LogEntry] = []
        self.sim: Any = None
        self.host: Any = None
        self.conns: list[Conn] = []
        self._source_key: tuple[str, str, int] | None = None
        self._source = ""
        # every TCP connection's bytes, once record_streams() was called (integrity oracles)
        self.streams: list[StreamRecord] | None = None
        self._listener: Any = None
        self._udp: Any = None
        self._last_peer: tuple[str, int] | None = None  # the last UDP client heard
        self._conn_ids = 0
        self._configure(config, field)

    # -- set-up ---------------------------------------------------------------------------------
    def _configure(self, config: dict[str, Any], field: str) -> None:
        """Validate type-specific keys (raise ConfigError)."""

    def attach(self, sim: Any, host: Any) -> Service:
        """Start serving on ``host`` (a :class:`simnet.net.Host`) in simulation ``sim``."""
        if self.sim is not None:
            raise ConfigError(self.field, f"service already attached to host {self.host.name}")
        self.sim = sim
        self.host = host
        self._on_attach()
        if not self.refusing:
            self._open()
        self.record("listen", transport=self.transport)
        return self

    def _on_attach(self) -> None:
        """Per-type preparation needing the simulation (random streams)."""

    @property
    def source(self) -> str:
        host = self.host.name if self.host is not None else "?"
        key = (host, self.type_name, self.port)
        if self._source_key != key:  # made once (records name it per connection event)
            self._source_key = key
            self._source = f"server.{host}.{self.type_name}.{self.port}"
        return self._source

    def record(self, kind: str, **fields: Any) -> None:
        sim = self.sim
        if sim is not None:  # sim.record(...), without passing the fields on as keywords
            sim.trace.record(sim.env._now, self.source, kind, fields)

    def utc_now(self) -> float:
        """The simulation's notion of UTC: ``epoch`` plus virtual time (Unix seconds)."""
        return self.epoch + (self.sim.now if self.sim is not None else 0.0)

    def utc_datetime(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self.utc_now(), _dt.UTC)

    def _open(self) -> None:
        if self.transport == "tcp":
            self._listener = self.host.tcp_listen(self.port, self._accept, backlog=self.backlog)
        else:
            self._udp = self.host.udp_bind(self.port, self._datagram)

    def _close_endpoint(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._udp is not None:
            self._udp.close()
            self._udp = None

    def log_line(self, direction: str, line: str, conn: int = 0) -> None:
        t = self.sim.now if self.sim is not None else 0.0
        self.log.append(LogEntry(t, direction, line))
        self.record("command" if direction == "in" else "reply", conn=conn, line=line)

    # -- TCP ------------------------------------------------------------------------------------
    def _accept(self, sock: Any) -> None:
        if self.accept_rate is None:
            self._take(sock)
            return
        self._accept_queue.append(sock)
        if self._listener is not None:
            self._listener.queued = len(self._accept_queue)
        self._pump_accepts()

    def _pump_accepts(self) -> None:
        """Take queued connections at ``accept_rate``; one timer waits for the next slot."""
        now = self.sim.now
        queue = self._accept_queue
        rate = self.accept_rate
        while queue and rate is not None and now + 1e-12 >= self._next_accept:
            sock = queue.popleft()
            self._next_accept = max(now, self._next_accept) + 1.0 / rate
            if getattr(sock, "state", None) != "CLOSED":
                self._take(sock)
        if self._listener is not None:
            self._listener.queued = len(queue)
        if queue and self._accept_timer is None:
            self._accept_timer = self.sim.call_at(self._next_accept, self._accept_slot)

    def _accept_slot(self) -> None:
        self._accept_timer = None
        self._pump_accepts()

    def _take(self, sock: Any) -> None:
        self.connections += 1
        conn = Conn(self, sock, "control")
        self.record("accept", conn=conn.id, peer=_addr(getattr(sock, "remote", None)))
        sessions = (
            0 if self.max_connections is None else sum(1 for c in self.conns if c.role == "control")
        )
        if self.max_connections is not None and sessions > self.max_connections:
            self.record("busy", conn=conn.id, sessions=sessions - 1)
            self.turn_away(conn)
        else:
            self.start_session(conn)
        conn.check_cut()  # a reset-after-0 fault kills the connection at once

    def turn_away(self, conn: Conn) -> None:
        """Too many sessions: answer with the protocol's busy reply (if any) and close."""
        reply = self.busy_reply()
        if reply:
            self.log_line("out", reply.decode().rstrip("\r\n"), conn.id)
            conn.write(reply)
        conn.close()

    def busy_reply(self) -> bytes:
        return b""

    def start_session(self, conn: Conn) -> None:
        """Bind a new control connection to this service's behaviour (per type)."""
        conn.close()

    def _datagram(self, sock: Any, data: bytes, addr: tuple[str, int]) -> None:
        self._last_peer = addr
        self.bytes_received += len(data)
        self.record("datagram", peer=_addr(addr), size=len(data))
        if self.stalled or self.dns_mode == "silence":
            return  # a hung server reads and never answers
        reply = self.handle_datagram(data, addr)
        if reply is not None and self._udp is not None:
            self.bytes_sent += self._udp.sendto(reply, addr)

    def handle_datagram(self, data: bytes, addr: tuple[str, int]) -> bytes | None:
        return None

    def push(self, data: bytes | str) -> int:
        """Send ``data`` unprompted, as a broker pushes a downlink message: on every open
        connection (TCP), or to the last client heard from (UDP). Returns the connections or
        datagrams it went to (0: nobody to push to, recorded as such)."""
        payload = data.encode("latin-1") if isinstance(data, str) else bytes(data)
        targets = 0
        if self.transport == "udp":
            if self._udp is not None and self._last_peer is not None:
                self.bytes_sent += self._udp.sendto(payload, self._last_peer)
                targets = 1
        else:
            for conn in list(self.conns):
                if not (conn.done or conn.closing):
                    conn.write(payload)
                    targets += 1
        self.record("push", size=len(payload), targets=targets)
        return targets

    def next_conn_id(self) -> int:
        self._conn_ids += 1
        return self._conn_ids

    # -- faults ---------------------------------------------------------------------------------
    def refuse(self, on: bool = True, duration: float | str | None = None) -> None:
        """Refuse new connections: the port is closed, so the stack answers SYN with RST (UDP:
        ICMP port unreachable). Existing connections are unaffected."""
        self.refusing = on
        self.record("fault", fault="refuse", on=on)
        if self.sim is not None:
            if on and (self._listener is not None or self._udp is not None):
                self._close_endpoint()
            elif not on and self._listener is None and self._udp is None:
                self._open()
        self._auto_clear(duration, lambda: self.refuse(False))

    def stall(self, on: bool = True, duration: float | str | None = None) -> None:
        """Hang: connections are still accepted by the stack but nothing is read or answered
        until the stall clears (then pending input is processed, as a recovered daemon would)."""
        self.stalled = on
        self.record("fault", fault="stall", on=on)
        if not on:
            for conn in list(self.conns):
                conn.resume()
            waiters, self.stall_waiters = self.stall_waiters, []
            for waiter in waiters:
                waiter()
        self._auto_clear(duration, lambda: self.stall(False))

    def slow_greeting(self, delay: float | str, duration: float | str | None = None) -> None:
        """Greet late from now on (``duration``: until then; the configured delay returns)."""
        before = self.greeting_delay
        self.greeting_delay = late = parse_duration(delay, f"{self.field}.greeting_delay")
        self.record("fault", fault="slow_greeting", delay=self.greeting_delay)

        def undo() -> None:
            if self.greeting_delay == late:
                self.greeting_delay = before
                self.record("fault_cleared", fault="slow_greeting")

        self._auto_clear(duration, undo)

    def override_reply(
        self,
        command: str,
        code: int | str,
        *,
        text: str | None = None,
        count: int | None = 1,
        every: bool = False,
    ) -> None:
        """Answer ``command`` with ``code`` instead of executing it, for the next ``count``
        occurrences (``every``: until cleared)."""
        self._check_reply(command, code, count, f"{self.field}.faults.reply")
        remaining = None if every or count is None else count
        self.overrides.append(Override(command.strip().upper(), Injected(code, text), remaining))
        self.record("fault", fault="reply", command=command.upper(), code=code, count=remaining)

    def _check_reply(self, command: object, code: object, count: object, field: str) -> None:
        if not isinstance(command, str) or not command.strip().isalpha():
            raise ConfigError(
                f"{field}.command", f"expected a command word such as RETR, got {command!r}"
            )
        if not (self.type_name == "pop3" and code in ("-ERR", "+OK")):  # POP3's own statuses
            if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 599:
                raise ConfigError(
                    f"{field}.code", f"expected a reply code from 100 to 599, got {code!r}"
                )
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 1
        ):
            raise ConfigError(f"{field}.count", f"expected a positive integer, got {count!r}")

    def take_override(self, verb: str) -> Injected | None:
        """The engines' override hook: consume one matching override, oldest first."""
        for ov in self.overrides:
            if ov.command == verb and ov.remaining != 0:
                if ov.remaining is not None:
                    ov.remaining -= 1
                self.record("fault_fired", fault="reply", command=verb, code=ov.reply.code)
                return ov.reply
        return None

    def reset_after(
        self,
        after_bytes: int = 0,
        mode: str = "reset",
        connection: str = "any",
        duration: float | str | None = None,
    ) -> None:
        """Reset (RST) or close (FIN) connections of role ``connection`` once ``after_bytes``
        bytes have crossed them in either direction (counted from the connection's start;
        a connection already past the mark is cut now); ``duration``: only until then."""
        _check_cut(after_bytes, mode, connection, f"{self.field}.faults.reset")
        cut = Cut(after_bytes, mode, connection)
        self.cuts.append(cut)
        self.record(
            "fault", fault="reset", after_bytes=after_bytes, mode=mode, connection=connection
        )
        for conn in list(self.conns):
            conn.check_cut()

        def undo() -> None:
            if cut in self.cuts:
                self.cuts.remove(cut)
                self.record("fault_cleared", fault="reset")

        self._auto_clear(duration, undo)

    def limit_rate(self, rate: float | str | None, duration: float | str | None = None) -> None:
        """Pace this service's sends and reads to ``rate`` (bits/s, or "9600bps"); None lifts it;
        ``duration``: only until then."""
        self.rate = limited = None if rate is None else parse_rate(rate, f"{self.field}.rate")
        self.record("fault", fault="rate_limit", rate=self.rate)
        for conn in list(self.conns):
            conn.pump()
        if limited is not None:
            self._auto_clear(
                duration, lambda: self.limit_rate(None) if self.rate == limited else None
            )

    def dns_fail(
        self, mode: str, name: str | None = None, duration: float | str | None = None
    ) -> None:
        self._check_dns(mode, f"{self.field}.faults.dns")

    def clear_faults(self, kind: str | None = None) -> None:
        """Lift faults of ``kind`` (one of FAULT_KINDS) or all of them."""
        if kind is not None and kind not in FAULT_KINDS:
            raise ConfigError(
                f"{self.field}.faults", f"expected one of {', '.join(FAULT_KINDS)}, got {kind!r}"
            )
        if kind in (None, "refuse") and self.refusing:
            self.refuse(False)
        if kind in (None, "stall") and self.stalled:
            self.stall(False)
        if kind in (None, "slow_greeting"):
            self.greeting_delay = 0.0
        if kind in (None, "reply"):
            self.overrides.clear()
        if kind in (None, "reset"):
            self.cuts.clear()
        if kind in (None, "rate_limit") and self.rate is not None:
            self.limit_rate(None)
        if kind in (None, "dns"):
            self.dns_mode = None
        self.record("fault_cleared", fault=kind or "all")

    def check_fault(self, action: str, **params: Any) -> tuple[str, dict[str, Any]]:
        """Validate a fault action and its parameters without applying it (ConfigError names
        the parameter and the allowed values); returns the fault kind and the parameters."""
        kind = SCENARIO_ACTIONS.get(action, action)
        field = f"{self.field}.faults.{kind}"
        if kind not in FAULT_PARAMS:
            allowed = ", ".join(list(SCENARIO_ACTIONS) + list(FAULT_KINDS))
            raise ConfigError(
                f"{self.field}.faults", f"unknown fault {action!r} (expected one of {allowed})"
            )
        params = {
            k: v
            for k, v in params.items()
            if k not in ("host", "service", "port") and v is not None
        }
        for key in params:
            if key not in FAULT_PARAMS[kind]:
                raise ConfigError(
                    f"{field}.{key}",
                    f"unknown parameter (expected {', '.join(FAULT_PARAMS[kind])})",
                )
        for key in FAULT_REQUIRED.get(kind, ()):
            if key not in params:
                raise ConfigError(f"{field}.{key}", "missing required parameter")
        if "duration" in params:
            parse_duration(params["duration"], f"{field}.duration")
        if kind == "slow_greeting":
            parse_duration(params["delay"], f"{field}.delay")
        elif kind == "reply":
            self._check_reply(params["command"], params["code"], params.get("count", 1), field)
        elif kind == "reset":
            _check_cut(
                params.get("after_bytes", 0),
                params.get("mode", "reset"),
                params.get("connection", "any"),
                field,
            )
        elif kind == "rate_limit":
            parse_rate(params["rate"], f"{field}.rate")
        elif kind == "dns":
            self._check_dns(params["mode"], field)
        return kind, params

    def _check_dns(self, mode: object, field: str) -> None:
        raise ConfigError(field, f"only dns services take DNS faults (this is {self.type_name})")

    def apply_fault(self, action: str, **params: Any) -> None:
        """Apply a scenario fault action (``server-refuse``, ``server-reset``, ...) or a kind."""
        kind, params = self.check_fault(action, **params)
        if kind == "refuse":
            self.refuse(True, params.get("duration"))
        elif kind == "stall":
            self.stall(True, params.get("duration"))
        elif kind == "slow_greeting":
            self.slow_greeting(params["delay"], params.get("duration"))
        elif kind == "reply":
            self.override_reply(**params)
        elif kind == "reset":
            self.reset_after(**params)
        elif kind == "rate_limit":
            self.limit_rate(params["rate"], params.get("duration"))
        elif kind == "push":
            self.push(params["data"])
        else:
            self.dns_fail(**params)

    def fault_at(self, when: float, action: str, **params: Any) -> None:
        """Schedule :meth:`apply_fault` at virtual time ``when`` (parameters checked now, so a
        bad fault fails at set-up rather than in the middle of a run)."""
        if self.sim is None:
            raise ConfigError(self.field, "attach the service before scheduling faults")
        self.check_fault(action, **params)
        self.sim.call_at(when, lambda: self.apply_fault(action, **params))

    def _auto_clear(self, duration: float | str | None, undo: Callable[[], None]) -> None:
        if duration is None or self.sim is None:
            return
        self.sim.call_later(parse_duration(duration, f"{self.field}.faults.duration"), undo)

    def cut_for(self, role: str) -> Cut | None:
        """The tightest cut applying to a connection of ``role``."""
        best: Cut | None = None
        for cut in self.cuts:
            if cut.role in ("any", role) and (best is None or cut.after_bytes < best.after_bytes):
                best = cut
        return best

    # -- inspection -----------------------------------------------------------------------------
    def record_streams(self) -> list[StreamRecord]:
        """Keep what every TCP connection from now on carries (``streams``); idempotent."""
        if self.streams is None:
            self.streams = []
        return self.streams

    def summary(self) -> dict[str, Any]:
        return {
            "type": self.type_name,
            "port": self.port,
            "connections": self.connections,
            "bytes_received": self.bytes_received,
            "bytes_sent": self.bytes_sent,
            "open_connections": len(self.conns),
            **self.extra_summary(),
        }

    def extra_summary(self) -> dict[str, Any]:
        """Per-type counters for the report (files, messages, ...)."""
        return {}


def _check_cut(after_bytes: object, mode: object, connection: object, field: str) -> None:
    if isinstance(after_bytes, bool) or not isinstance(after_bytes, int) or after_bytes < 0:
        raise ConfigError(
            f"{field}.after_bytes", f"expected a byte count >= 0, got {after_bytes!r}"
        )
    if mode not in CUT_MODES:
        raise ConfigError(f"{field}.mode", f"expected one of {', '.join(CUT_MODES)}, got {mode!r}")
    if connection not in CONNECTION_ROLES:
        raise ConfigError(
            f"{field}.connection",
            f"expected one of {', '.join(CONNECTION_ROLES)}, got {connection!r}",
        )


def _addr(addr: Any) -> str:
    if isinstance(addr, tuple) and len(addr) == 2:
        return f"{addr[0]}:{addr[1]}"
    return str(addr)


class Conn:
    """One TCP connection of a service: pumps bytes under the service's faults.

    Handlers (set by the session): ``on_bytes(data)``, ``on_eof()`` (peer FIN),
    ``on_gone(reason)`` (connection finished for any reason; called once).
    """

    def __init__(self, service: Service, sock: Any, role: str) -> None:
        self.service = service
        self.sock = sock
        self.role = role
        self.id = service.next_conn_id()
        self.out = bytearray()
        self.count = 0  # bytes crossed in both directions
        self.closing = False
        self.done = False
        self.pace_timer: Any = None
        self.read_timer: Any = None
        self.eof = False
        self.eof_delivered = False
        self.on_bytes: Callable[[bytes], None] = lambda data: None
        self.on_eof: Callable[[], None] = lambda: None
        self.on_gone: Callable[[str], None] = lambda reason: None
        # refill(n): more bytes to send when the queue runs dry (a source stream); b"" = no more
        self.refill: Callable[[int], bytes] | None = None
        # stop reading while this many bytes wait to be sent (echo backpressure); None = no bound
        self.max_out: int | None = None
        self._reading = False
        # a data connection is not read before its transfer starts (bytes wait in the stack)
        self.paused = False
        self.stream: StreamRecord | None = None
        if service.streams is not None:
            local, remote = getattr(sock, "local", None), getattr(sock, "remote", None)
            self.stream = StreamRecord(
                self.id,
                role,
                local[1] if local else service.port,
                _addr(remote),
                service.sim.now if service.sim is not None else 0.0,
                bytearray(),
                bytearray(),
            )
            service.streams.append(self.stream)
        sock.on_data = self._readable
        sock.on_writable = self._writable
        sock.on_acked = self._acked
        sock.on_peer_fin = self._peer_fin
        sock.on_closed = self._closed
        service.conns.append(self)

    # -- sending --------------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        if self.done or self.closing or not data:
            return
        self.out += data
        self.pump()

    def close(self, *, reset: bool = False) -> None:
        """Close after the queue drains (``reset``: abort now with RST)."""
        if self.done:
            return
        if reset:
            self._finish("reset")
            self.sock.abort()
            return
        self.closing = True
        self.pump()

    def pump(self) -> None:
        if self.done or self.pace_timer is not None or self.service.stalled:
            return
        service = self.service
        if not self.out and self.refill is not None and not self.closing:
            self.out += self.refill(REFILL_CHUNK)
        while self.out:
            # never copy more than the socket can take (large files would be copied repeatedly)
            allowed = min(len(self.out), max(1, getattr(self.sock, "send_space", len(self.out))))
            cut = service.cut_for(self.role)
            if cut is not None:
                if self.count >= cut.after_bytes:
                    self._cut(cut)
                    return
                allowed = min(allowed, cut.after_bytes - self.count)
            rate = service.rate
            if rate is not None:
                allowed = min(allowed, max(1, min(MAX_RATE_CHUNK, int(rate / 8 * 0.1))))
            n = self.sock.send(bytes(self.out[:allowed]))
            if n <= 0:
                return  # wait for on_writable
            if self.stream is not None:
                self.stream.add_tx(self.out[:n])
            del self.out[:n]
            self.count += n
            service.bytes_sent += n
            if cut is not None and self.count >= cut.after_bytes:
                self._cut(cut)
                return
            if rate is not None:
                self.pace_timer = service.sim.call_later(n * 8 / rate, self._paced)
                return
            if not self.out and self.refill is not None and not self.closing:
                self.out += self.refill(REFILL_CHUNK)
        if self.max_out is not None and len(self.out) < self.max_out and not self._reading:
            if getattr(self.sock, "readable", 0) and self.read_timer is None:
                self._readable(self.sock)
        if not self.out and self.closing and not self.done:
            self._finish("local")
            self.sock.close()

    def _paced(self) -> None:
        self.pace_timer = None
        self.pump()
        if not self.done and self.read_timer is None:
            self._readable(self.sock)

    # -- receiving ------------------------------------------------------------------------------
    def _readable(self, sock: Any) -> None:
        if self._reading:
            return  # re-entered from a handler; the loop below keeps reading
        self._reading = True
        try:
            while (
                not self.done
                and not self.paused
                and self.read_timer is None
                and not self.service.stalled
                # backpressure: reading resumes from pump() when the queue drains
                and (self.max_out is None or len(self.out) < self.max_out)
                and sock.readable
            ):
                if not self._read_once(sock):
                    break
        finally:
            self._reading = False
        self._maybe_eof()

    def _maybe_eof(self) -> None:
        """Report the peer's FIN once everything before it has been read."""
        if (
            self.eof
            and not self.eof_delivered
            and not self.done
            and not self.paused
            and not self._reading
            and self.read_timer is None
            and not self.service.stalled
            and not getattr(self.sock, "readable", 0)
        ):
            self.eof_delivered = True
            self.on_eof()

    def _read_once(self, sock: Any) -> bool:
        service = self.service
        rate = service.rate
        limit = -1 if rate is None else max(1, min(MAX_RATE_CHUNK, int(rate / 8 * 0.1)))
        data = sock.recv(limit)
        if not data:
            return False
        if self.stream is not None:  # what reached the application, whatever it does with it
            self.stream.add_rx(data)
        cut = service.cut_for(self.role)
        if cut is not None:
            data = data[: max(0, cut.after_bytes - self.count)]
        self.count += len(data)
        service.bytes_received += len(data)
        if data:
            self.on_bytes(data)
        if cut is not None and self.count >= cut.after_bytes:
            self._cut(cut)
            return False
        if rate is not None and not self.done:
            self.read_timer = service.sim.call_later(len(data) * 8 / rate, self._read_again)
        return True

    def _read_again(self) -> None:
        self.read_timer = None
        self._readable(self.sock)

    def resume(self) -> None:
        """After a stall: process what queued up meanwhile."""
        if self.done:
            return
        self.pump()
        self._readable(self.sock)

    def check_cut(self) -> None:
        cut = self.service.cut_for(self.role)
        if cut is not None and not self.done and self.count >= cut.after_bytes:
            self._cut(cut)

    # -- socket callbacks -----------------------------------------------------------------------
    def _writable(self, sock: Any, *args: Any) -> None:
        self.pump()

    def _acked(self, sock: Any, n: int = 0) -> None:
        if self.out:
            self.pump()

    def _peer_fin(self, sock: Any) -> None:
        self.eof = True
        self._readable(sock)  # reads what precedes the FIN, then reports it (or later)

    def _closed(self, sock: Any, reason: str | None = None) -> None:
        if not self.done:
            self._finish(reason or "closed")

    def _cut(self, cut: Cut) -> None:
        self.service.record(
            "fault_fired",
            fault="reset",
            conn=self.id,
            role=self.role,
            mode=cut.mode,
            after_bytes=self.count,
        )
        self._finish(f"fault_{cut.mode}")
        if cut.mode == "reset":
            self.sock.abort()
        else:
            self.sock.close()

    def _finish(self, reason: str) -> None:
        if self.done:
            return
        self.done = True
        for timer in (self.pace_timer, self.read_timer):
            if timer is not None:
                timer.cancel()
        self.pace_timer = self.read_timer = None
        if self in self.service.conns:
            self.service.conns.remove(self)
        if self.stream is not None:
            self.stream.t_end, self.stream.end = self.service.sim.now, reason
        self.service.record("close", conn=self.id, role=self.role, reason=reason, bytes=self.count)
        on_gone = self.on_gone
        # Nothing is called after this: drop the session's handlers (``on_eof = conn.close`` is
        # a cycle) so refcounting frees the connection.
        self.on_bytes = _ignore
        self.on_eof = _nothing
        self.on_gone = _ignore
        self.refill = None
        on_gone(reason)


def _ignore(_arg: Any) -> None:
    """A finished connection's handler."""


def _nothing() -> None:
    """A finished connection's handler."""


class LineSession:
    """Glue between one control :class:`Conn` and a line-protocol engine."""

    def __init__(self, service: Service, conn: Conn, engine: LineEngine) -> None:
        self.service = service
        self.conn = conn
        self.engine = engine
        self.started = False
        self.last_activity = service.sim.now
        self.idle_timer: Any = None
        conn.on_bytes = self._bytes
        conn.on_eof = self._eof
        conn.on_gone = self._gone
        conn.paused = True  # a daemon reads nothing before its greeting: input waits in the stack
        delay = service.greeting_delay
        if delay > 0:
            service.sim.call_later(delay, self._start)
        else:
            self._start()

    def _start(self) -> None:
        if self.conn.done or self.started:
            return
        if self.service.stalled:
            self.service.stall_waiters.append(self._start)  # a hung daemon greets on recovery
            return
        self.started = True
        self.last_activity = self.service.sim.now
        self._arm_idle()
        self.perform(self.engine.start())
        self.conn.paused = False
        self.conn._readable(self.conn.sock)  # what arrived before the greeting (and a FIN)

    def _arm_idle(self) -> None:
        timeout = self.service.idle_timeout
        if timeout is not None and self.idle_timer is None and not self.conn.done:
            self.idle_timer = self.service.sim.call_at(self.last_activity + timeout, self._idle)

    def _idle(self) -> None:
        # one timer per session: on expiry, re-arm if there was activity since it was set
        self.idle_timer = None
        timeout = self.service.idle_timeout
        if self.conn.done or timeout is None:
            return
        now = self.service.sim.now
        if self.busy():
            self.last_activity = now
        if now < self.last_activity + timeout:
            self._arm_idle()
            return
        self.service.record("idle_timeout", conn=self.conn.id, after=timeout)
        self.perform(self.engine.idle_timeout())

    def busy(self) -> bool:
        """A transfer in progress keeps the session alive (FTP data connections)."""
        return False

    def _bytes(self, data: bytes) -> None:
        self.last_activity = self.service.sim.now
        self.perform(self.engine.receive(data))

    def _eof(self) -> None:
        # the client half-closed: a daemon reading EOF ends the session
        self.perform(self.engine.connection_lost())
        self.conn.close()

    def _gone(self, reason: str) -> None:
        self.perform(self.engine.connection_lost())

    def perform(self, actions: list[Any]) -> None:
        for action in actions:
            self.perform_one(action)

    def perform_one(self, action: Any) -> None:
        service, conn = self.service, self.conn
        if isinstance(action, Write):
            if action.log is not None:
                for text in action.log.split("\n"):
                    service.log_line("out", text, conn.id)
            conn.write(action.data)
        elif isinstance(action, LineReceived):
            service.log_line("in", action.line, conn.id)
        elif isinstance(action, Close):
            conn.close(reset=action.reset)
