"""TCP glue: sockets, listeners and the per-host stack around the sans-IO engine.

The engine (:mod:`simnet.net.tcp_engine`) decides everything; this module only moves its
actions: segments become :class:`~simnet.net.packet.Packet` objects handed to
``host.send_packet``, deadlines become one kernel timer per connection (``sim.call_at``), and
events become socket callbacks and trace records. Nothing here runs a SimPy process.

Per-packet cost matters (bench/tcp_bulk.py): the receive path is one dict lookup, one engine
call and a flush that touches only non-empty action lists; trace records are written for state
changes, retransmissions and aborts, never per segment.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any, Final

from simnet.errors import ConfigError
from simnet.kernel.trace import LazyFields, Trace, json_str, json_time, json_value
from simnet.kernel.units import Real
from simnet.net.packet import ACK, PROTO_TCP, RST, SYN, Packet, tcp_packet
from simnet.net.tcp_engine import (
    CLOSE_REASONS,
    CLOSED,
    INF,
    SYN_RCVD,
    CloseReason,
    KeepaliveConfig,
    TcpConfig,
    TcpConnection,
    TcpState,
)
from simnet.net.tcp_events import (
    Acked,
    Closed,
    Connected,
    DataReady,
    GiveUp,
    PeerFin,
    Retransmit,
    StateChanged,
)
from simnet.net.tcp_options import ExtendedTcpConnection

__all__ = [
    "CLOSE_REASONS",
    "CloseReason",
    "KeepaliveConfig",
    "TcpConfig",
    "TcpListener",
    "TcpSocket",
    "TcpStack",
    "TcpState",
]

_BYTES_LIKE: Final[tuple[type, ...]] = (bytes, bytearray, memoryview)  # one object
EPHEMERAL_LOW: Final = 49152  # RFC 6335 §6 dynamic port range
EPHEMERAL_HIGH: Final = 65535


def _new_connection(config: TcpConfig, iss: int) -> TcpConnection:
    """The engine for ``config``: the option-aware one only when an extension is asked for."""
    return ExtendedTcpConnection(config, iss) if config.extended else TcpConnection(config, iss)


# dotted text -> its canonical form, for addresses checked before (a device connects to the
# same few servers again and again); bounded, so a caller's garbage cannot grow it
_CANONICAL_IPS: Final[dict[str, str]] = {}


def _check_ip(value: object, field: str) -> str:
    if type(value) is str:
        known = _CANONICAL_IPS.get(value)
        if known is not None:
            return known
    try:
        text = str(ipaddress.IPv4Address(value))  # type: ignore[arg-type]
    except (ipaddress.AddressValueError, ValueError, TypeError):
        raise ConfigError(field, f"expected a dotted IPv4 address, got {value!r}") from None
    if type(value) is str:
        if len(_CANONICAL_IPS) >= 4096:
            _CANONICAL_IPS.clear()
        _CANONICAL_IPS[value] = text
    return text


def _check_port(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ConfigError(field, f"expected a port between 1 and 65535, got {value!r}")
    return value


class TcpSocket:
    """One TCP connection as the layers above see it (docs/architecture.md, ``TcpSocket``).

    Callbacks are plain attributes, each optional: ``on_connected(sock)``, ``on_data(sock)``,
    ``on_acked(sock, n)``, ``on_writable(sock)``, ``on_peer_fin(sock)``,
    ``on_closed(sock, reason)``, ``on_state_change(sock, old, new)``. The last is told of
    every state change (each one the ``tcp_state`` record shows, at its instant), also those
    after ``on_closed`` (TIME_WAIT, LAST_ACK to CLOSED), and is dropped once CLOSED.
    """

    __slots__ = (
        "_stack",
        "_conn",
        "_sim",
        "_env",
        "_key",
        "_timer",
        "_timer_at",
        "_listener",
        "_name",
        "_lazy",
        "_fin_seen",
        "_done",
        "local",
        "remote",
        "on_connected",
        "on_data",
        "on_acked",
        "on_writable",
        "on_peer_fin",
        "on_closed",
        "on_state_change",
        "ttl",
        "tos",
    )

    def __init__(
        self,
        stack: TcpStack,
        conn: TcpConnection,
        local: tuple[str, int],
        remote: tuple[str, int],
        listener: TcpListener | None = None,
    ) -> None:
        self._stack = stack
        self._conn = conn
        self._sim = stack.sim
        self._env = stack.sim.env
        self._key = (local[1], remote[0], remote[1])
        self._timer: Any = None
        self._timer_at: Real = INF
        self._listener = listener
        self._name = f"{local[0]}:{local[1]}>{remote[0]}:{remote[1]}"
        self._lazy: SocketRecords | None = None  # its tcp_state / tcp_closed records' fields
        self._fin_seen = False
        self._done = False  # on_closed was called: no further callbacks for this socket
        self.local = local
        self.remote = remote
        host = stack.host
        # IP header fields of this connection's segments (a socket option may change them)
        self.ttl: int = (listener.ttl if listener is not None and listener.ttl is not None
                         else getattr(host, "initial_ttl", 64))
        self.tos: int = (listener.tos if listener is not None and listener.tos is not None
                         else getattr(host, "initial_tos", 0))
        self.on_connected: Callable[[TcpSocket], Any] | None = None
        self.on_data: Callable[[TcpSocket], Any] | None = None
        self.on_acked: Callable[[TcpSocket, int], Any] | None = None
        self.on_writable: Callable[[TcpSocket], Any] | None = None
        self.on_peer_fin: Callable[[TcpSocket], Any] | None = None
        self.on_closed: Callable[[TcpSocket, str], Any] | None = None
        self.on_state_change: Callable[[TcpSocket, TcpState, TcpState], Any] | None = None

    # -- state and counters -----------------------------------------------------------------
    @property
    def state(self) -> TcpState:
        return self._conn.state

    @property
    def close_reason(self) -> CloseReason | None:
        return self._conn.close_reason

    @property
    def bytes_sent(self) -> int:
        """Bytes the application handed to ``send`` (accepted into the send buffer)."""
        return self._conn.bytes_sent

    @property
    def bytes_acked(self) -> int:
        """Data bytes the peer acknowledged."""
        return self._conn.bytes_acked

    @property
    def bytes_received(self) -> int:
        """Data bytes received in order (whether or not read yet)."""
        return self._conn.bytes_received

    @property
    def segments_retransmitted(self) -> int:
        """Data (or FIN) segments this end had to send again, whatever the cause."""
        return self._conn.segments_retransmitted

    @property
    def bytes_unacked(self) -> int:
        """Bytes accepted by ``send`` and not yet acknowledged (queued or in flight)."""
        return len(self._conn.sndbuf)

    @property
    def send_space(self) -> int:
        return self._conn.send_space

    @property
    def readable(self) -> int:
        """Bytes waiting to be read."""
        return self._conn.readable

    @property
    def peer_closed(self) -> bool:
        """The peer's FIN has been reported (``on_peer_fin``): no more data will arrive.

        Reported, not merely received: one segment can carry an ACK, data and the FIN, and a
        callback for the ACK (``on_writable``) must not see the FIN before ``on_data`` ran."""
        return self._fin_seen

    @property
    def connection(self) -> TcpConnection:
        """The engine (for diagnostics: rto, srtt, cwnd, ssthresh ...)."""
        return self._conn

    @property
    def is_open(self) -> bool:
        return self._conn.state != CLOSED and self._conn.close_reason is None

    # -- user calls -------------------------------------------------------------------------
    def send(self, data: bytes | bytearray | memoryview) -> int:
        """Queue bytes; returns how many the bounded send buffer accepted (0 when closed)."""
        if type(data) is not bytes and not isinstance(data, _BYTES_LIKE):
            raise TypeError(f"send() takes bytes, not {type(data).__name__}")
        conn = self._conn
        if conn.send_space <= 0:
            return 0  # full (or closed): nothing changes, nothing to flush
        n = conn.send(self._env._now, data if type(data) is bytes else bytes(data))
        self._flush()
        return n

    def recv(self, n: int = -1) -> bytes:
        conn = self._conn
        data = conn.recv(self._env._now, n)
        if conn.out:  # reading only ever produces a window update, never events or timers
            self._flush()
        return data

    def shutdown(self) -> None:
        """Half-close: send a FIN after the queued data; receiving goes on."""
        self._conn.shutdown(self._sim.env.now)
        self._flush()

    def close(self) -> None:
        self._conn.close(self._sim.env.now)
        self._flush()

    def abort(self) -> None:
        self._conn.abort(self._sim.env.now)
        self._flush()

    # -- glue -------------------------------------------------------------------------------
    def _fire(self) -> None:
        self._timer = None
        self._timer_at = INF
        self._conn.on_timer(self._sim.env._now)
        self._flush()

    def _flush(self) -> None:
        conn = self._conn
        if conn.out:
            self._transmit(conn)
        if conn.events:
            self._dispatch(conn)
        when = conn.t_rtx  # conn.next_deadline(), inlined: this runs for every segment
        if conn.t_delack < when:
            when = conn.t_delack
        if conn.t_keep < when:
            when = conn.t_keep
        if conn.t_state < when:
            when = conn.t_state
        if when < self._timer_at:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._sim.call_at(when, self._fire)
            self._timer_at = when
        elif when == INF and conn.state == CLOSED and self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._timer_at = INF

    def _transmit(self, conn: TcpConnection) -> None:
        out = conn.out
        conn.out = []
        lip, lport = self.local
        rip, rport = self.remote
        send = self._stack.host.send_packet
        for seq, ack, flags, window, payload, opts in out:
            send(
                tcp_packet(
                    lip,
                    rip,
                    lport,
                    rport,
                    seq,
                    ack,
                    flags,
                    window,
                    None if not opts else opts if type(opts) is dict else {"mss": opts},
                    payload,
                    self.ttl,
                    self.tos,
                )
            )

    def _dispatch(self, conn: TcpConnection) -> None:
        # Callbacks may call back into the socket: take the list first, so actions they cause
        # are handled by their own flush and none is seen twice.
        events = conn.events
        conn.events = []
        sim = self._sim
        source = self._stack.source
        for ev in events:
            kind = type(ev)
            if kind is DataReady:
                if self.on_data is not None and not self._done:
                    self.on_data(self)
            elif isinstance(ev, Acked):
                if self._done:
                    continue
                if self.on_acked is not None:
                    self.on_acked(self, ev.n)
                if self.on_writable is not None and conn.send_space > 0:
                    self.on_writable(self)
            elif isinstance(ev, StateChanged):
                trace = self._stack.trace
                if "tcp_state" not in trace.muted_kinds:  # fields built when read
                    trace.record_lazy(self._env._now, source, "tcp_state", self._records(), ev)
                if ev.old == SYN_RCVD and self._listener is not None:
                    self._listener._half_open -= 1
                if ev.new == CLOSED:
                    self._stack._forget(self)
                hook = self.on_state_change
                if hook is not None:
                    if ev.new == CLOSED:  # the last change: no cycle through the hook's owner
                        self.on_state_change = None
                    hook(self, ev.old, ev.new)
            elif kind is Connected:
                if self._done:
                    continue
                if self._listener is not None:
                    self._listener._accept(self)
                elif self.on_connected is not None:
                    self.on_connected(self)
            elif kind is PeerFin:
                self._fin_seen = True
                if self.on_peer_fin is not None and not self._done:
                    self.on_peer_fin(self)
            elif isinstance(ev, Closed):
                trace = self._stack.trace
                if "tcp_closed" not in trace.muted_kinds:
                    trace.record_lazy(self._env._now, source, "tcp_closed", self._records(), ev)
                # A callback run earlier in this batch may have closed the socket (its own
                # flush reported it): events still queued behind are not delivered after it.
                self._done = True
                if self.on_closed is not None:
                    self.on_closed(self, ev.reason)
                # No callback runs after this one: drop them, so the objects they belong to
                # (a service connection, a module's link) and this socket are no reference
                # cycle and refcounting frees them as soon as their owners let go.
                self.on_connected = self.on_data = self.on_acked = None
                self.on_writable = self.on_peer_fin = self.on_closed = None
            elif isinstance(ev, Retransmit):
                sim.record(
                    source,
                    "tcp_retransmit",
                    conn=self._name,
                    cause=ev.kind,
                    rto=ev.rto,
                    count=ev.retries,
                )
            elif isinstance(ev, GiveUp):
                sim.record(source, "tcp_give_up", conn=self._name, budget=ev.budget, count=ev.spent)

    def _records(self) -> SocketRecords:
        records = self._lazy
        if records is None:
            records = self._lazy = SocketRecords(self._name)
        return records

    def __repr__(self) -> str:
        return f"<TcpSocket {self._name} {self.state}>"


class SocketRecords(LazyFields):
    """A socket's ``tcp_state`` and ``tcp_closed`` records (``Trace.record_lazy``): ``arg`` is
    the engine's ``StateChanged`` or ``Closed`` event; the fields ``{"conn", "old", "new"}``
    or ``{"conn", "reason"}`` are built when the trace is read, and the canonical line is
    written out here (the same text ``canonical_line`` makes of the built record)."""

    __slots__ = ("name", "_head", "_source", "_tail")

    def __init__(self, name: str) -> None:
        self.name = name
        self._head = ""  # '{"conn":<name>,"kind":'
        self._source = ""  # the source _tail was made for
        self._tail = ""  # ',"source":<source>,"t":'

    def fields(self, arg: Any) -> dict[str, Any]:
        if type(arg) is StateChanged:
            return {"conn": self.name, "old": arg.old, "new": arg.new}
        return {"conn": self.name, "reason": arg.reason}

    def line(self, t: Real, source: str, kind: str, arg: Any) -> str:
        if type(source) is not str:
            return super().line(t, source, kind, arg)
        head = self._head
        if not head:
            head = self._head = '{"conn":' + json_str(self.name) + ',"kind":'
        if source != self._source or not self._tail:
            self._tail = ',"source":' + json_str(source) + ',"t":'
            self._source = source
        if kind == "tcp_state" and type(arg) is StateChanged:
            new, old = arg.new, arg.old  # TcpState members: their text (json_value's path)
            new_text = json_str(new) if isinstance(new, str) else json_value(new)
            old_text = json_str(old) if isinstance(old, str) else json_value(old)
            return (f'{head}"tcp_state","new":{new_text},"old":{old_text}'
                    f"{self._tail}{json_time(t)}}}")
        if kind == "tcp_closed" and type(arg) is Closed:
            why = arg.reason
            reason = json_str(why) if isinstance(why, str) else json_value(why)
            return f'{head}"tcp_closed","reason":{reason}{self._tail}{json_time(t)}}}'
        return super().line(t, source, kind, arg)


class TcpListener:
    """A listening port. ``on_accept(sock)`` runs when a connection completes its handshake;
    at most ``backlog`` connections may be half-open or waiting for the application to accept
    them (``queued``, kept by an application that accepts at a limited rate) at once: further
    SYNs are dropped, as Linux drops them when the accept queue is full."""

    __slots__ = (
        "_stack",
        "port",
        "backlog",
        "on_accept",
        "config",
        "closed",
        "_half_open",
        "accepted",
        "queued",
        "ttl",
        "tos",
    )

    def __init__(
        self,
        stack: TcpStack,
        port: int,
        on_accept: Callable[[TcpSocket], Any] | None,
        backlog: int,
        config: TcpConfig,
    ) -> None:
        self._stack = stack
        self.port = port
        self.backlog = backlog
        self.on_accept = on_accept
        self.config = config
        self.closed = False
        self._half_open = 0
        self.accepted = 0
        self.queued = 0  # completed handshakes the application has not taken yet
        self.ttl: int | None = None  # IP TTL / TOS of accepted connections (None: the host's)
        self.tos: int | None = None

    def _accept(self, sock: TcpSocket) -> None:
        sock._listener = None  # from now on an ordinary socket
        if self.closed:
            sock.abort()
            return
        self.accepted += 1
        if self.on_accept is not None:
            self.on_accept(sock)

    @property
    def pending(self) -> int:
        """Handshakes in progress on this port (SYN received, not yet established)."""
        return self._half_open

    def close(self, *, reset_pending: bool = False) -> None:
        """Stop listening; established connections are unaffected. A handshake still in
        progress would be refused when it completes; ``reset_pending`` resets it now."""
        if not self.closed:
            self.closed = True
            self._stack._unlisten(self)
        if reset_pending and self._half_open:
            for sock in [s for s in self._stack._conns.values() if s._listener is self]:
                sock.abort()

    def __repr__(self) -> str:
        return f"<TcpListener :{self.port}{' closed' if self.closed else ''}>"


class TcpStack:
    """The TCP layer of one host (``host.tcp``); the contract is in docs/architecture.md."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self.sim = host.sim
        self.trace: Trace = host.sim.trace  # typed: compiled, direct calls per record
        self.source = f"tcp.{host.name}"
        self.default_config = TcpConfig()
        self._conns: dict[tuple[int, str, int], TcpSocket] = {}
        self._listeners: dict[int, TcpListener] = {}
        self._port_use: dict[int, int] = {}
        self._isn_rng = self.sim.rng(f"tcp.{host.name}.isn")
        self._next_port: int | None = None  # drawn on the first active open
        self.rst_sent = 0  # RSTs answering segments for no connection
        self._retransmitted_closed = 0  # segments_retransmitted of connections already gone

    # -- opening ----------------------------------------------------------------------------
    def connect(
        self,
        dst_ip: str,
        dst_port: int,
        config: TcpConfig | None = None,
        local_port: int | None = None,
    ) -> TcpSocket:
        """Start an active open; the handshake runs on virtual time (``on_connected``)."""
        dst_ip = _check_ip(dst_ip, "dst_ip")
        _check_port(dst_port, "dst_port")
        if config is not None and not isinstance(config, TcpConfig):
            raise ConfigError("config", f"expected a TcpConfig, got {type(config).__name__}")
        cfg = config or self.default_config
        if local_port is None:
            local_port = self._ephemeral_port(dst_ip, dst_port)
        else:
            _check_port(local_port, "local_port")
            if (local_port, dst_ip, dst_port) in self._conns:
                raise ConfigError(
                    "local_port", f"{local_port} already connected to {dst_ip}:{dst_port}"
                )
        src_ip = self.host.ip
        conn = _new_connection(cfg, self._isn_rng.getrandbits(32))
        sock = TcpSocket(self, conn, (src_ip or "0.0.0.0", local_port), (dst_ip, dst_port))
        if src_ip is None:
            # No interface address: the connect fails at once, on the clock, not by raising.
            self.sim.call_later(0.0, self._fail_unrouted, sock)
            return sock
        self._register(sock)
        conn.open_active(self.sim.env.now)
        sock._flush()
        return sock

    def port_in_use(self, port: int) -> bool:
        """Whether a connection or a listener holds local ``port`` (a bind to it would fail
        without SO_REUSEADDR)."""
        return port in self._port_use

    def _fail_unrouted(self, sock: TcpSocket) -> None:
        sock._conn.network_down(CloseReason.NETWORK_DOWN)
        sock._flush()

    def listen(
        self,
        port: int,
        on_accept: Callable[[TcpSocket], Any] | None,
        backlog: int = 5,
        config: TcpConfig | None = None,
    ) -> TcpListener:
        _check_port(port, "port")
        if isinstance(backlog, bool) or not isinstance(backlog, int) or not 1 <= backlog <= 65535:
            raise ConfigError(
                "backlog", f"expected an integer between 1 and 65535, got {backlog!r}"
            )
        if config is not None and not isinstance(config, TcpConfig):
            raise ConfigError("config", f"expected a TcpConfig, got {type(config).__name__}")
        if port in self._listeners:
            raise ConfigError("port", f"TCP port {port} is already listening on {self.host.name}")
        lst = TcpListener(self, port, on_accept, backlog, config or self.default_config)
        self._listeners[port] = lst
        self._port_use[port] = self._port_use.get(port, 0) + 1
        return lst

    # -- packets from the host ----------------------------------------------------------------
    def deliver(self, pkt: Packet) -> None:
        """An intact TCP packet addressed to this host."""
        sock = self._conns.get((pkt.dport, pkt.src, pkt.sport))
        if sock is not None:
            # The whole option mapping goes in: the base engine reads only its MSS (on SYNs).
            sock._conn.on_segment(
                sock._env._now, pkt.seq, pkt.ack, pkt.flags, pkt.window, pkt.payload, pkt.options
            )
            sock._flush()
            return
        flags = pkt.flags
        if flags & SYN and not flags & (ACK | RST):
            lst = self._listeners.get(pkt.dport)
            if lst is not None:
                self._passive_open(lst, pkt)
                return
        self._reset_stray(pkt)

    def _passive_open(self, lst: TcpListener, pkt: Packet) -> None:
        if lst._half_open + lst.queued >= lst.backlog or self.host.ip is None:
            self.sim.record(
                self.source, "tcp_syn_dropped", port=lst.port, src=pkt.src, sport=pkt.sport
            )
            return
        conn = _new_connection(lst.config, self._isn_rng.getrandbits(32))
        local_ip = pkt.dst if isinstance(pkt.dst, str) else self.host.ip
        sock = TcpSocket(self, conn, (local_ip, lst.port), (pkt.src, pkt.sport), lst)
        self._register(sock)
        lst._half_open += 1
        opts = pkt.options
        window = pkt.window if isinstance(pkt.window, int) else 0
        conn.open_passive(self.sim.env.now, pkt.seq, window, opts if type(opts) is dict else 0)
        sock._flush()

    def _reset_stray(self, pkt: Packet) -> None:
        """RFC 9293 §3.10.7.1: a segment for no connection is answered with RST (never a RST)."""
        flags = pkt.flags
        if flags & RST:
            return
        if flags & ACK:
            seq, ack, rflags = pkt.ack, 0, RST
        else:
            seg_len = len(pkt.payload) + (1 if flags & SYN else 0) + (1 if flags & 0x01 else 0)
            seq, ack, rflags = 0, (pkt.seq + seg_len) & 0xFFFFFFFF, RST | ACK
        self.rst_sent += 1
        self.sim.record(
            self.source,
            "tcp_rst_sent",
            src=pkt.src,
            sport=pkt.sport,
            dport=pkt.dport,
            why="no_connection",
        )
        self.host.send_packet(
            Packet(
                pkt.dst,
                pkt.src,
                PROTO_TCP,
                sport=pkt.dport,
                dport=pkt.sport,
                seq=seq & 0xFFFFFFFF,
                ack=ack,
                flags=rflags,
            )
        )

    def network_down(self, reason: CloseReason = CloseReason.NETWORK_DOWN) -> None:
        """The interface went down: every connection aborts with ``reason``, sending nothing."""
        for sock in list(self._conns.values()):
            sock._conn.network_down(reason)
            sock._flush()

    def icmp_error(self, pkt: Packet) -> None:
        """An ICMP error quoting one of our segments."""
        q = pkt.quoted
        if q is None or q.proto != PROTO_TCP:
            return
        sock = self._conns.get((q.sport, q.dst, q.dport))
        if sock is None:
            return
        self.sim.record(
            self.source, "tcp_icmp_error", conn=sock._name, type=pkt.icmp_type, code=pkt.icmp_code
        )
        sock._conn.on_icmp_error(self.sim.env.now, pkt.icmp_type, pkt.icmp_code)
        sock._flush()

    # -- bookkeeping ------------------------------------------------------------------------
    @property
    def sockets(self) -> list[TcpSocket]:
        """Connections the stack still tracks (including TIME_WAIT), in creation order."""
        return list(self._conns.values())

    def _register(self, sock: TcpSocket) -> None:
        self._conns[sock._key] = sock
        port = sock._key[0]
        self._port_use[port] = self._port_use.get(port, 0) + 1

    @property
    def segments_retransmitted(self) -> int:
        """Data/FIN segments every connection of this host has sent again, over the run."""
        return self._retransmitted_closed + sum(
            s._conn.segments_retransmitted for s in self._conns.values()
        )

    def _forget(self, sock: TcpSocket) -> None:
        if self._conns.get(sock._key) is sock:
            self._retransmitted_closed += sock._conn.segments_retransmitted
            del self._conns[sock._key]
            port = sock._key[0]
            left = self._port_use.get(port, 1) - 1
            if left > 0:
                self._port_use[port] = left
            else:
                self._port_use.pop(port, None)

    def _unlisten(self, lst: TcpListener) -> None:
        if self._listeners.get(lst.port) is lst:
            del self._listeners[lst.port]
            left = self._port_use.get(lst.port, 1) - 1
            if left > 0:
                self._port_use[lst.port] = left
            else:
                self._port_use.pop(lst.port, None)

    def _ephemeral_port(self, dst_ip: str, dst_port: int) -> int:
        span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1
        if self._next_port is None:
            stream = self.sim.rng(f"tcp.{self.host.name}.ports")
            self._next_port = EPHEMERAL_LOW + stream.randrange(span)
        for _ in range(span):
            port = self._next_port
            self._next_port = EPHEMERAL_LOW + (port - EPHEMERAL_LOW + 1) % span
            if port not in self._port_use:
                return port
        raise ConfigError(
            "local_port", f"no free ephemeral port on {self.host.name} (all {span} in use)"
        )
