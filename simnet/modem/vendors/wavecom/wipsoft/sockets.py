"""WIPsoft sockets (§5) and their continuous data mode (§6.2).

A :class:`WipSocket` wraps one socket of the module's IP host (``simnet.net``) and speaks the
WIPsoft events for it: ``+WIPREADY`` when it is usable, ``+WIPDATA`` when data waits to be
read in AT mode, ``+WIPPEERCLOSE`` when the peer (or ``+WIPCLOSE``) closed it. Data is read and
written only through a UART mapped to the socket with ``AT+WIPDATA=<proto>,<idx>,1``
(:class:`SocketLink`); until then TCP data stays in the socket, whose window then closes on the
peer ("further data will be delayed", §6.2.1), and UDP datagrams wait in a bounded queue.

Framing on the mapped UART (§6.2.1.4): [ETX] and [DLE] in the data are preceded by [DLE] both
ways; an unescaped [ETX] from the module marks the end of a received datagram (UDP) or the
peer's shutdown (TCP); an unescaped [ETX] from the host sends the collected datagram (UDP) or
shuts the socket down (TCP) and ends the mapping with ``OK`` (§6.2.6 third example).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from simnet.modem.at import OK
from simnet.modem.dialect import ETX, DataLink
from simnet.modem.vendors.wavecom.common import FramedInput, escape
from simnet.modem.vendors.wavecom.wipsoft import tables as T

if TYPE_CHECKING:
    from simnet.modem.module import DataSession, Module
    from simnet.modem.vendors.wavecom.wipsoft.stack import WipStack
    from simnet.net.tcp import TcpListener, TcpSocket
    from simnet.net.udp import UdpSocket

class WipSocket:
    """What every WIPsoft socket has: its identity, the port that created it (its URCs go
    there), its writable options and the UART mapped to it (if any)."""

    proto = 0

    def __init__(self, stack: WipStack, idx: int, owner: Module) -> None:
        self.stack = stack
        self.idx = idx
        self.owner = owner
        self.link: SocketLink | None = None
        self.options: dict[int, Any] = {}
        self.host_closed = False  # +WIPCLOSE was issued
        self.peer_closed_reported = False
        self.close_reported = False  # the +WIPPEERCLOSE confirming +WIPCLOSE went out
        # Framed bytes taken from the socket for a mapped UART that left data mode before they
        # were written: the next mapping writes them first.
        self.pending_out = bytearray()

    @property
    def key(self) -> tuple[int, int]:
        return (self.proto, self.idx)

    def urc(self, text: str) -> None:
        self.stack.urc(self.owner, text)

    def record(self, kind: str, **fields: Any) -> None:
        self.stack.record(kind, proto=self.proto, idx=self.idx, **fields)

    # -- options (§5.3) --------------------------------------------------------------------------
    def read_option(self, num: int) -> Any:
        return self.options.get(num, T.SOCKET_OPTIONS[num].default)

    def write_option(self, num: int, value: Any) -> None:
        self.options[num] = value

    # -- mapping (§6.2) ---------------------------------------------------------------------------
    @property
    def mappable(self) -> bool:
        return False

    def attach(self, link: SocketLink) -> None:
        self.link = link

    def detach(self) -> None:
        self.link = None
        self.announce()

    def announce(self) -> None:
        """Tell the owner in AT mode that data waits (+WIPDATA), if it does."""

    def take(self, room: int) -> bytes:
        """Framed bytes for the mapped UART, at most about ``room`` (a datagram goes whole)."""
        return b""

    def input_budget(self) -> int:
        """How many payload bytes the socket takes from the host now."""
        return 0

    def put(self, payload: bytes) -> None:
        """Payload bytes from the mapped UART."""

    def end_of_data(self) -> None:
        """An unescaped [ETX] from the host."""

    def unmapped(self) -> None:
        """The UART left data mode (+++, AT+WIPDATA=...,0 elsewhere, DTR)."""

    def close(self) -> None:
        """+WIPCLOSE: release the network socket; ``+WIPPEERCLOSE`` follows once closed."""
        self.host_closed = True

    def shutdown_everything(self) -> None:
        """The stack stops or the module restarts: close at once, silently."""
        self.host_closed = True


# ---------------------------------------------------------------------------------------------
# UDP (§5.1 mode 1)
# ---------------------------------------------------------------------------------------------


class UdpWipSocket(WipSocket):
    proto = T.PROTO_UDP

    def __init__(self, stack: WipStack, idx: int, owner: Module, sock: UdpSocket,
                 peer: tuple[str, int] | None, peer_name: str) -> None:
        super().__init__(stack, idx, owner)
        self.sock = sock
        self.peer = peer  # the fixed peer of +WIPCREATE (None: a UDP "server")
        self.peer_name = peer_name
        self.last_peer: tuple[str, int] | None = None
        self.queue: deque[tuple[bytes, tuple[str, int]]] = deque()
        self.announced = False
        self.collect = bytearray()  # host bytes of the datagram being written
        sock.on_datagram = stack.guarded(self._on_datagram)
        sock.on_error = stack.guarded(self._on_error)

    @property
    def mappable(self) -> bool:
        return not self.host_closed

    def read_option(self, num: int) -> Any:
        if num == T.COPT_PORT:
            return self.sock.port
        peer = self.peer or self.last_peer
        if num == T.COPT_PEER_PORT:
            return peer[1] if peer else 0
        if num == T.COPT_PEER_STRADDR:
            return peer[0] if peer else ""
        if num == T.COPT_BOUND:
            return 1 if self.peer is not None else 0
        if num == T.COPT_NREAD:
            return len(self.queue[0][0]) if self.queue else 0
        if num == T.COPT_TTL:
            return self.options.get(num, self.stack.host.initial_ttl)
        if num == T.COPT_TOS:
            return self.options.get(num, self.stack.host.initial_tos)
        return super().read_option(num)

    def _on_datagram(self, _sock: UdpSocket, data: bytes, addr: tuple[str, int]) -> None:
        if self.host_closed:
            return
        if not self.stack.hold_datagram():
            self.record("udp_dropped", reason="buffers_full", size=len(data))
            return
        self.queue.append((bytes(data), addr))
        self.last_peer = addr
        if self.link is not None:
            self.link.pump()
        else:
            self.announce()

    def _on_error(self, _sock: UdpSocket, kind: str, addr: tuple[str, int] | None) -> None:
        self.record("udp_error", error=kind, peer=f"{addr[0]}:{addr[1]}" if addr else "")
        if self.sock.closed and not self.host_closed and not self.peer_closed_reported:
            # the interface went down under the socket: it is dead until +WIPCLOSE
            self.peer_closed_reported = True
            self.urc(f"+WIPPEERCLOSE: {self.proto},{self.idx}")

    def announce(self) -> None:
        if self.link is None and self.pending_out and not self.announced and not self.host_closed:
            # the rest of a datagram a mapping left unread (its size as it waits, framed)
            self.announced = True
            ip, port = self.last_peer or ("0.0.0.0", 0)
            self.urc(f"+WIPDATA: {self.proto},{self.idx},{len(self.pending_out)},{ip},{port}")
            return
        if self.link is None and self.queue and not self.announced and not self.host_closed:
            self.announced = True
            data, (ip, port) = self.queue[0]
            self.urc(f"+WIPDATA: {self.proto},{self.idx},{len(data)},{ip},{port}")

    def attach(self, link: SocketLink) -> None:
        super().attach(link)
        self.announced = False

    def take(self, room: int) -> bytes:
        if not self.queue:
            return b""
        data, _addr = self.queue.popleft()
        self.stack.release_datagram()
        return escape(data) + bytes((ETX,))  # §6.2.1.2: [ETX] ends each datagram read

    def input_budget(self) -> int:
        return 1 << 30  # collected here; a full datagram is sent at once (§6.2.1.2)

    def put(self, payload: bytes) -> None:
        self.collect += payload
        while len(self.collect) >= T.UDP_DATAGRAM_MAX:
            self._send(bytes(self.collect[:T.UDP_DATAGRAM_MAX]))
            del self.collect[:T.UDP_DATAGRAM_MAX]

    def end_of_data(self) -> None:
        self._flush()

    def unmapped(self) -> None:
        self._flush()  # §6.2.1.2: leaving data mode sends what was collected as one datagram

    def _flush(self) -> None:
        if self.collect:
            data = bytes(self.collect)
            self.collect.clear()
            self._send(data)

    def _send(self, data: bytes) -> None:
        dest = self.peer or self.last_peer
        if dest is None:
            self.record("udp_dropped", reason="no_peer", size=len(data))
            return
        if not self.stack.route_ok(dest[0]):
            self.record("udp_dropped", reason="no_route", size=len(data))
            return
        self.sock.sendto(
            data, dest, ttl=self.read_option(T.COPT_TTL), tos=self.read_option(T.COPT_TOS)
        )

    def close(self) -> None:
        super().close()
        self._drop_queue()
        self.sock.close()
        self.stack.later(0, self.stack.report_closed, self)

    def shutdown_everything(self) -> None:
        super().shutdown_everything()
        self._drop_queue()
        self.sock.close()

    def _drop_queue(self) -> None:
        for _ in self.queue:
            self.stack.release_datagram()
        self.queue.clear()


# ---------------------------------------------------------------------------------------------
# TCP client (§5.1 mode 2, and sockets spawned by a server)
# ---------------------------------------------------------------------------------------------


class TcpWipSocket(WipSocket):
    proto = T.PROTO_TCP

    def __init__(
        self,
        stack: WipStack,
        idx: int,
        owner: Module,
        sock: TcpSocket,
        peer_name: str,
        server: TcpServerWipSocket | None = None,
    ) -> None:
        super().__init__(stack, idx, owner)
        self.sock = sock
        self.peer_name = peer_name
        self.server = server
        self.connected = server is not None  # a spawned socket is born connected
        self.peer_fin = False
        self.etx_sent = False
        self.announced = False
        self.dead = False  # the connection is over (closed, reset, refused, network down)
        if server is not None:
            self.options.update(server.inherited_options())
        sock.on_connected = stack.guarded(lambda s: self._on_connected())
        sock.on_data = stack.guarded(lambda s: self._on_data())
        sock.on_peer_fin = stack.guarded(lambda s: self._on_peer_fin())
        sock.on_closed = stack.guarded(lambda s, reason: self._on_closed(str(reason)))
        sock.on_writable = stack.guarded(lambda s: self._on_writable())

    @property
    def mappable(self) -> bool:
        return self.connected and not self.host_closed

    def read_option(self, num: int) -> Any:
        if num == T.COPT_PORT:
            return self.sock.local[1]
        if num == T.COPT_PEER_PORT:
            return self.sock.remote[1]
        if num == T.COPT_PEER_STRADDR:
            return self.sock.remote[0]
        if num == T.COPT_NREAD:
            return min(self.sock.readable, 65535)
        if num == T.COPT_NODELAY:
            return 1 if self.sock.connection.cfg.nodelay else 0
        if num == T.COPT_TTL:
            return self.sock.ttl
        if num == T.COPT_TOS:
            return self.sock.tos
        return super().read_option(num)

    def write_option(self, num: int, value: Any) -> None:
        super().write_option(num, value)
        apply_tcp_option(self.sock, num, value)

    def _on_connected(self) -> None:
        self.connected = True
        self.record("ready", remote=f"{self.sock.remote[0]}:{self.sock.remote[1]}")
        if not self.host_closed:
            self.urc(f"+WIPREADY: {self.proto},{self.idx}")

    def _on_data(self) -> None:
        if self.host_closed:
            return
        if self.link is not None:
            self.link.pump()
        else:
            self.announce()

    def announce(self) -> None:
        if self.link is not None or self.announced or self.host_closed:
            return
        readable = self.sock.readable + len(self.pending_out)
        lowat = int(self.options.get(T.COPT_RCV_LOWAT, 0))
        if readable > 0 and (readable >= lowat or self.peer_fin):
            self.announced = True
            self.urc(f"+WIPDATA: {self.proto},{self.idx},{readable}")

    def attach(self, link: SocketLink) -> None:
        super().attach(link)
        self.announced = False

    def _on_peer_fin(self) -> None:
        self.peer_fin = True
        self.record("peer_fin")
        if self.host_closed:
            return
        if self.link is not None:
            self.link.pump()  # the [ETX] follows the last byte (§6.2.1.1)
        else:
            self._report_peer_close()

    def _report_peer_close(self) -> None:
        if not self.peer_closed_reported and not self.host_closed:
            self.peer_closed_reported = True
            self.urc(f"+WIPPEERCLOSE: {self.proto},{self.idx}")

    def _on_closed(self, reason: str) -> None:
        self.dead = True
        self.record("closed", reason=reason)
        if self.host_closed:
            self.stack.report_closed(self)
            return
        if not self.connected:
            # The connection never came up (refused, SYN timeout, unreachable): the peer is gone.
            self._report_peer_close()
            return
        if self.link is not None:
            self.peer_fin = True
            self.link.pump()  # an [ETX] tells the mapped host the peer is gone
        else:
            self._report_peer_close()

    def _on_writable(self) -> None:
        if self.link is not None:
            self.link.resume()

    def take(self, room: int) -> bytes:
        chunk = self.sock.recv(max(1, room // 2)) if self.sock.readable else b""
        out = escape(chunk)
        if not self.sock.readable and self.peer_fin and not self.etx_sent:
            self.etx_sent = True
            self.peer_closed_reported = True  # the mapped host learnt it from the [ETX]
            out += bytes((ETX,))
        return out

    def input_budget(self) -> int:
        if self.dead or self.host_closed:
            return 1 << 30  # nobody takes it any more: read and dropped (traced by put)
        return self.sock.send_space

    def put(self, payload: bytes) -> None:
        if self.dead or self.host_closed or not self.sock.is_open:
            self.record("tx_dropped", reason="socket_closed", n=len(payload))
            return
        self.sock.send(payload)

    def end_of_data(self) -> None:
        if not self.dead:
            self.sock.shutdown()  # §6.2.1.1: the peer learns we send no more
            self.record("shutdown")

    def close(self) -> None:
        super().close()
        if self.dead:
            self.stack.later(0, self.stack.report_closed, self)
        else:
            self.sock.close()

    def shutdown_everything(self) -> None:
        super().shutdown_everything()
        if not self.dead:
            self.sock.abort()


def apply_tcp_option(sock: TcpSocket, num: int, value: Any) -> None:
    """Socket options that the TCP model honours at once (§5.3.7)."""
    if num == T.COPT_TTL:
        sock.ttl = int(value)
    elif num == T.COPT_TOS:
        sock.tos = int(value)
    elif num == T.COPT_NODELAY:
        import dataclasses

        conn = sock.connection
        conn.cfg = dataclasses.replace(conn.cfg, nodelay=bool(value))


# ---------------------------------------------------------------------------------------------
# TCP server (§5.1 mode 3): spawns TCP clients into <from idx>..<to idx>
# ---------------------------------------------------------------------------------------------


class TcpServerWipSocket(WipSocket):
    proto = T.PROTO_SERVER

    def __init__(
        self, stack: WipStack, idx: int, owner: Module, listener: TcpListener, first: int, last: int
    ) -> None:
        super().__init__(stack, idx, owner)
        self.listener = listener
        self.first = first
        self.last = last
        listener.on_accept = stack.guarded(self._on_accept)

    @property
    def reserved(self) -> range:
        return range(self.first, self.last + 1)

    def read_option(self, num: int) -> Any:
        if num == T.COPT_PORT:
            return self.listener.port
        if num == T.COPT_TTL:
            return self.options.get(num, self.stack.host.initial_ttl)
        if num == T.COPT_TOS:
            return self.options.get(num, self.stack.host.initial_tos)
        return super().read_option(num)

    def write_option(self, num: int, value: Any) -> None:
        super().write_option(num, value)
        if num == T.COPT_TTL:
            self.listener.ttl = int(value)
        elif num == T.COPT_TOS:
            self.listener.tos = int(value)

    def inherited_options(self) -> dict[int, Any]:
        return {
            k: v
            for k, v in self.options.items()
            if k in (T.COPT_SND_LOWAT, T.COPT_RCV_LOWAT, T.COPT_NODELAY)
        }

    def _on_accept(self, sock: TcpSocket) -> None:
        if self.host_closed:
            sock.abort()
            return
        self.stack.spawn_client(self, sock)

    def close(self) -> None:
        super().close()
        self.listener.close(reset_pending=True)
        self.stack.later(0, self.stack.report_closed, self)

    def shutdown_everything(self) -> None:
        super().shutdown_everything()
        self.listener.close(reset_pending=True)


# ---------------------------------------------------------------------------------------------
# The mapped UART (§6.2 continuous mode)
# ---------------------------------------------------------------------------------------------


class SocketLink(DataLink):
    """A UART mapped to a socket with ``AT+WIPDATA=<proto>,<idx>,1`` (continuous mode)."""

    escape_ends_session = True  # +++ unmaps the socket; ATO does not come back (§6.2.7)

    def __init__(self, sock: WipSocket, port: Module) -> None:
        self.sock = sock
        self.port = port
        self.out = bytearray()
        self.input = FramedInput()
        self.ending = False
        self.active = False

    def on_start(self, session: DataSession) -> None:
        super().on_start(session)
        self.active = True
        self.out, self.sock.pending_out = self.sock.pending_out, bytearray()
        self.sock.attach(self)
        self.sock.record("mapped", port=self.port.port_name)
        self.pump()

    # module -> host
    def pump(self) -> None:
        session = self.session
        if session is None or not self.active:
            return
        while True:
            if self.out:
                n = session.to_dte(bytes(self.out))
                del self.out[:n]
                if self.out:
                    return  # the UART is full: on_dte_ready comes back
            room = session.tx_space
            if room <= 0:
                return
            chunk = self.sock.take(room)
            if not chunk:
                return
            self.out += chunk

    def on_dte_ready(self) -> None:
        self.pump()

    # host -> module
    def on_dte_data(self, data: bytes) -> int:
        if self.ending or not self.active:
            return 0
        budget = self.sock.input_budget()
        if budget <= 0:
            return 0
        payload, used, ended = self.input.decode(data, budget)
        if payload:
            self.sock.put(payload)
        if ended:
            self.ending = True
            self.sock.end_of_data()
            self.sock.record("etx", port=self.port.port_name)
            # The rest of the chunk is the host's next command line: end after the engine has
            # taken what was used.
            self.port.sim.call_later(0, self._end_mapping)
        return used

    def resume(self) -> None:
        session = self.session
        if session is not None and session.active and not self.ending:
            session.resume_input()

    def _end_mapping(self) -> None:
        session = self.session
        self._detach()
        if session is not None and session.active:
            session.end(OK, keep_input=True)

    def on_escape(self) -> str | None:
        self._detach()
        return "OK"

    def on_hangup(self, reason: str) -> None:
        self._detach()

    def unmap_from_elsewhere(self) -> None:
        """AT+WIPDATA=<proto>,<idx>,0 on another UART (§6.2.1.3): this one is back in AT mode."""
        session = self.session
        self._detach()
        if session is not None and session.active:
            session.end(OK)

    def _detach(self) -> None:
        if not self.active:
            return
        self.active = False
        self.sock.pending_out, self.out = self.out, bytearray()
        self.sock.record("unmapped", port=self.port.port_name)
        self.sock.unmapped()
        self.sock.detach()
