"""The FTP service (§5.1 mode 4, §5.3.7 options 40/41) and file transfers (§6.1 AT+WIPFILE).

``AT+WIPCREATE=4,...`` connects to the server and logs in (USER / PASS / ACCT, RFC 959 §4.1.1)
before it answers; one session at a time (840). ``AT+WIPFILE=4,<idx>,<mode>,<filename>`` sets
the representation type (option 40: TYPE A or I), opens the data connection (option 41:
PASV, or PORT with the module listening) and sends RETR or STOR; once the server answers 1xx
the UART says ``CONNECT`` and carries the file, [ETX] and [DLE] in it preceded by [DLE]
(§6.1.7). A retrieval ends with an unescaped [ETX] then ``OK`` when the server's 226 came; a
store ends when the host writes an unescaped [ETX], then ``OK`` once the server confirmed.

Failures are the server's and the network's, never scripted: a refused or silent server, a
login refused, a data connection that cannot be made, a 4xx/5xx reply (550 no such file...)
answer ``+CME ERROR: 839`` before ``CONNECT`` (842 when the server cannot be reached); a data
connection reset or a failure reply after ``CONNECT`` ends the transfer with [ETX] (retrieval)
and ``+CME ERROR: 841`` or ``839`` instead of ``OK``. ``AT+WIPCLOSE=4,<idx>`` sends QUIT;
``+WIPPEERCLOSE: 4,<idx>`` follows once the control connection is closed (or when the server
closed it by itself).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simnet.errors import ConfigError
from simnet.modem.at import ERROR, OK, Command, Final, cme_error
from simnet.modem.dialect import ETX, Context, DataLink
from simnet.modem.vendors.wavecom.common import FramedInput, escape
from simnet.modem.vendors.wavecom.wipsoft import tables as T
from simnet.modem.vendors.wavecom.wipsoft.errors import WipFailure
from simnet.modem.vendors.wavecom.wipsoft.sockets import WipSocket
from simnet.net.ftp_client import FtpReplies, Reply, command, parse_pasv, port_argument

if TYPE_CHECKING:
    import simpy

    from simnet.modem.module import DataSession, Module
    from simnet.modem.vendors.wavecom.wipsoft.dialect import WipsoftDialect
    from simnet.modem.vendors.wavecom.wipsoft.stack import WipStack
    from simnet.net.tcp import TcpSocket

# Assumption (docs/assumptions.md "WIPsoft"): how long the module waits for a server reply or
# a data connection before it gives up (842 at creation, 839 in a transfer).
REPLY_TIMEOUT = 60.0


class FtpWipSocket(WipSocket):
    """The FTP channel as +WIPOPT / +WIPCLOSE see it (options 40 and 41)."""

    proto = T.PROTO_FTP


class FtpSession:
    """One logged-in (or logging-in) FTP control connection."""

    def __init__(self, stack: WipStack, owner: Module, idx: int) -> None:
        self.stack = stack
        self.sim = stack.sim
        self.wip = FtpWipSocket(stack, idx, owner)
        self.ctrl: TcpSocket | None = None
        self.parser = FtpReplies()
        self.replies: deque[Reply] = deque()
        self.waiter: simpy.Event | None = None
        self.connected: simpy.Event = self.sim.event()
        self.closed = False
        self.busy = False
        self.quitting = False
        self.logged_in = False

    # -- control connection ------------------------------------------------------------------------
    def connect(self, ip: str, port: int) -> None:
        host = self.stack.host
        sock = host.tcp_connect(ip, port, self.stack.tcp_config())
        self.ctrl = sock
        g = self.stack.guarded
        sock.on_connected = g(lambda s: self._wake_connected(True))
        sock.on_data = g(lambda s: self._on_data())
        sock.on_peer_fin = g(lambda s: self._on_data())
        sock.on_closed = g(lambda s, reason: self._on_closed(str(reason)))

    def _wake_connected(self, ok: bool) -> None:
        if not self.connected.triggered:
            self.connected.succeed(ok)

    def _on_data(self) -> None:
        sock = self.ctrl
        if sock is None:
            return
        while sock.readable:
            for reply in self.parser.feed(sock.recv()):
                self.stack.record("ftp_reply", idx=self.wip.idx, code=reply.code, text=reply.text)
                self.replies.append(reply)
        self._wake()
        if sock.peer_closed and not self.quitting:
            sock.close()

    def _wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.triggered:
            waiter.succeed()

    def _on_closed(self, reason: str) -> None:
        self._wake_connected(False)
        was_closed = self.closed
        self.closed = True
        self._wake()
        self.stack.record("ftp_closed", idx=self.wip.idx, reason=reason)
        if self.stack.ftp is self:
            self.stack.ftp = None
        if self.logged_in and (self.quitting or not was_closed):
            # §5.2: +WIPPEERCLOSE once the session is closed (by +WIPCLOSE or by the server);
            # a session that never opened was answered by +WIPCREATE's error
            self.stack.report_closed(self.wip)

    def send(self, verb: str, arg: str | None = None) -> None:
        if self.ctrl is not None and self.ctrl.is_open:
            self.ctrl.send(command(verb, arg))
            self.stack.record(
                "ftp_command",
                idx=self.wip.idx,
                command=verb
                if verb in ("PASS", "ACCT")
                else f"{verb} {arg}"
                if arg is not None
                else verb,
            )

    def reply(self, timeout: float = REPLY_TIMEOUT) -> Generator[Any, Any, Reply | None]:
        """The next reply, None when the connection closed or the timeout ran out."""
        deadline = self.sim.now + timeout
        while not self.replies:
            if self.closed or self.sim.now >= deadline:
                return None
            self.waiter = self.sim.event()
            yield self.waiter | self.sim.timeout(deadline - self.sim.now)
        return self.replies.popleft()

    def exchange(self, verb: str, arg: str | None = None) -> Generator[Any, Any, Reply | None]:
        self.send(verb, arg)
        reply = yield from self.reply()
        while reply is not None and reply.kind == 1 and verb not in ("RETR", "STOR"):
            reply = yield from self.reply()  # a preliminary reply before the real one
        return reply

    # -- login -------------------------------------------------------------------------------------
    def login(self, user: str, password: str, account: str | None) -> Generator[Any, Any, None]:
        connected = yield self.connected | self.sim.timeout(REPLY_TIMEOUT)
        if not (self.connected in connected and self.connected.value):
            raise WipFailure(T.Wip.UNREACHABLE, "control connection failed")
        greeting = yield from self.reply()
        if greeting is None:
            raise WipFailure(T.Wip.UNREACHABLE, "no greeting")
        if greeting.code != 220:
            raise WipFailure(T.Wip.CHANNEL_CREATION, f"greeting {greeting.code}")
        reply = yield from self.exchange("USER", user)
        if reply is not None and reply.code == 331:
            reply = yield from self.exchange("PASS", password)
        if reply is not None and reply.code == 332:
            reply = yield from self.exchange("ACCT", account or "")
        if reply is None:
            raise WipFailure(T.Wip.UNREACHABLE, "no answer to the login")
        if reply.code not in (230, 202):
            raise WipFailure(T.Wip.CHANNEL_CREATION, f"login refused: {reply.code} {reply.text}")

    # -- end ---------------------------------------------------------------------------------------
    def quit(self) -> None:
        """+WIPCLOSE=4,<idx>: QUIT; the server closes after 221 (then +WIPPEERCLOSE)."""
        self.quitting = True
        self.wip.host_closed = True
        if self.closed or self.ctrl is None:
            self.stack.later(0, self.stack.report_closed, self.wip)
            return
        self.send("QUIT")
        self.stack.spawn(self._quit())

    def _quit(self) -> Generator[Any, Any, None]:
        yield from self.reply(timeout=REPLY_TIMEOUT)
        if self.ctrl is not None and not self.closed:
            self.ctrl.close()

    def abort(self) -> None:
        self.quitting = True
        self.closed = True
        if self.ctrl is not None:
            self.ctrl.abort()


def open_session(
    stack: WipStack,
    owner: Module,
    idx: int,
    server: str,
    port: int,
    user: str,
    password: str,
    account: str | None,
) -> Generator[Any, Any, None]:
    """AT+WIPCREATE=4,... (§5.1.2): connect and log in before answering."""
    stack.require_started()
    if stack.ftp is not None:
        raise WipFailure(T.Wip.FTP_ACTIVE)
    stack._check_new(T.PROTO_FTP, idx)
    ip = yield from stack.resolve(server)
    if stack.ftp is not None:
        raise WipFailure(T.Wip.FTP_ACTIVE)
    if not stack.route_ok(ip):
        raise WipFailure(T.Wip.UNREACHABLE, "no route")
    session = FtpSession(stack, owner, idx)
    stack.ftp = session
    stack.sockets[session.wip.key] = session.wip
    try:
        session.connect(ip, port)
        yield from session.login(user, password, account)
    except (WipFailure, ConfigError) as exc:
        session.abort()
        if stack.ftp is session:
            stack.ftp = None
        stack.sockets.pop(session.wip.key, None)
        if isinstance(exc, ConfigError):
            raise WipFailure(T.Wip.UNREACHABLE, str(exc)) from None
        raise
    session.logged_in = True
    stack.record("ftp_open", idx=idx, server=f"{ip}:{port}", user=user)


# ---------------------------------------------------------------------------------------------
# §6.1 AT+WIPFILE
# ---------------------------------------------------------------------------------------------


def transfer(dialect: WipsoftDialect, ctx: Context, cmd: Command) -> Any:
    from simnet.modem.vendors.wavecom.wipsoft.dialect import Syntax, _arity, _int, _text

    try:
        _arity(cmd, 4, 4)
        proto = _int(cmd, 0, 0, 255, T.Wip.BAD_PROTOCOL)
        if proto != T.PROTO_FTP:
            raise WipFailure(T.Wip.BAD_PROTOCOL, f"protocol {proto}")
        stack = dialect.stack
        stack.require_started()
        idx = _int(cmd, 1, 0, 255, T.Wip.BAD_INDEX)
        mode = _int(cmd, 2, 0, 255)
        if mode not in (T.FILE_GET, T.FILE_PUT):
            raise WipFailure(T.Wip.INVALID_VALUE, f"mode {mode}")
        name = _text(cmd, 3, T.FILENAME_MAX)
        session = stack.ftp
        if session is None or session.wip.idx != idx or session.closed:
            raise WipFailure(T.Wip.BAD_INDEX, f"no FTP session {idx}")
        if session.busy:
            raise WipFailure(T.Wip.BAD_STATE, "a transfer is running")
    except Syntax:
        return ERROR
    except WipFailure as failure:
        return dialect._fail(ctx, failure)
    return _transfer(dialect, ctx, session, mode, name)


def _transfer(
    dialect: WipsoftDialect, ctx: Context, session: FtpSession, mode: int, name: str
) -> Generator[Any, Any, Final]:
    stack = session.stack
    session.busy = True
    data = DataConnection(session)
    try:
        binary = int(session.wip.read_option(T.FTP_OPT_TYPE)) == 1
        reply = yield from session.exchange("TYPE", "I" if binary else "A")
        _expect(reply, 2)
        yield from data.prepare(passive=int(session.wip.read_option(T.FTP_OPT_PASSIVE)) == 1)
        reply = yield from session.exchange("RETR" if mode == T.FILE_GET else "STOR", name)
        _expect(reply, 1)
        yield from data.wait_connected()
    except WipFailure as failure:
        data.abort()
        session.busy = False
        if failure.code == T.Wip.CHANNEL_CREATION:
            session.replies.clear()  # what the server says after a refused transfer is moot
        return dialect._fail(ctx, failure)
    stack.record(
        "ftp_transfer", idx=session.wip.idx, mode="get" if mode == T.FILE_GET else "put", file=name
    )
    link: FileLink = (
        FileGetLink(session, data) if mode == T.FILE_GET else FilePutLink(session, data)
    )
    return ctx.connect(link)


def _expect(reply: Reply | None, kind: int) -> None:
    if reply is None:
        raise WipFailure(T.Wip.CHANNEL_CREATION, "no reply")
    if reply.kind != kind:
        raise WipFailure(T.Wip.CHANNEL_CREATION, f"{reply.code} {reply.text}")


class DataConnection:
    """The data connection of one transfer: PASV (the module connects) or PORT (it listens)."""

    def __init__(self, session: FtpSession) -> None:
        self.session = session
        self.stack = session.stack
        self.sock: TcpSocket | None = None
        self.listener: Any = None
        self.ready: simpy.Event = self.stack.sim.event()
        self.fin = False
        self.failed: str | None = None
        self.on_data: Any = None
        self.on_writable: Any = None
        self.on_end: Any = None

    def prepare(self, *, passive: bool) -> Generator[Any, Any, None]:
        host = self.stack.host
        if passive:
            reply = yield from self.session.exchange("PASV")
            _expect(reply, 2)
            assert reply is not None
            address = parse_pasv(reply.text)
            if address is None:
                raise WipFailure(T.Wip.CHANNEL_CREATION, "bad PASV reply")
            self._adopt(host.tcp_connect(address[0], address[1], self.stack.tcp_config()))
            return
        listener = None
        for _ in range(64):
            port = 1024 + self.stack.sim.rng(f"{self.stack.module.name}.wip.ftp.port").randrange(
                64511
            )
            if not host.tcp_port_in_use(port):
                try:
                    listener = host.tcp_listen(
                        port,
                        self.stack.guarded(self._accepted),
                        backlog=1,
                        config=self.stack.tcp_config(),
                    )
                    break
                except ConfigError:
                    continue
        if listener is None or host.ip is None:
            raise WipFailure(T.Wip.CHANNEL_CREATION, "no local port for PORT")
        self.listener = listener
        reply = yield from self.session.exchange("PORT", port_argument(host.ip, listener.port))
        _expect(reply, 2)

    def _accepted(self, sock: TcpSocket) -> None:
        if self.sock is not None:
            sock.abort()
            return
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        self._adopt(sock)
        self._ready(True)

    def _adopt(self, sock: TcpSocket) -> None:
        self.sock = sock
        g = self.stack.guarded
        sock.on_connected = g(lambda s: self._ready(True))
        sock.on_data = g(lambda s: self._event("data"))
        sock.on_writable = g(lambda s: self._event("writable"))
        sock.on_peer_fin = g(lambda s: self._fin())
        sock.on_closed = g(lambda s, reason: self._closed(str(reason)))

    def _ready(self, ok: bool) -> None:
        if not self.ready.triggered:
            self.ready.succeed(ok)

    def _event(self, what: str) -> None:
        fn = self.on_data if what == "data" else self.on_writable
        if fn is not None:
            fn()

    def _fin(self) -> None:
        self.fin = True
        if self.on_data is not None:
            self.on_data()

    def _closed(self, reason: str) -> None:
        self._ready(False)
        if reason not in ("local", "peer_closed"):
            self.failed = reason
        self.fin = True
        if self.on_end is not None:
            self.on_end()
        elif self.on_data is not None:
            self.on_data()

    def wait_connected(self) -> Generator[Any, Any, None]:
        result = yield self.ready | self.stack.sim.timeout(REPLY_TIMEOUT)
        if not (self.ready in result and self.ready.value):
            raise WipFailure(T.Wip.CHANNEL_CREATION, "data connection failed")

    def abort(self) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        if self.sock is not None:
            self.sock.abort()


class FileLink(DataLink):
    """The UART during a transfer: no +++ escape (the data ends at [ETX])."""

    escape_enabled = False

    def __init__(self, ftp: FtpSession, data: DataConnection) -> None:
        self.ftp = ftp
        self.data = data
        self.stack = ftp.stack
        self.done = False

    def finish(self, final: Final, *, keep_input: bool = False) -> None:
        if self.done:
            return
        self.done = True
        self.ftp.busy = False
        if final is not OK:
            self.data.abort()
        self.stack.record(
            "ftp_done", idx=self.ftp.wip.idx, result="ok" if final is OK else final.code
        )
        session = self.session
        if session is not None and session.active:
            session.end(final, keep_input=keep_input)

    def on_hangup(self, reason: str) -> None:
        if not self.done:
            self.done = True
            self.ftp.busy = False
            self.data.abort()

    def completion(self) -> Generator[Any, Any, Final]:
        """The server's answer to the transfer (226 / 250: OK; anything else: 839)."""
        reply = yield from self.ftp.reply()
        while reply is not None and reply.kind == 1:
            reply = yield from self.ftp.reply()
        if reply is None:
            return cme_error(T.Wip.PEER_CLOSED if self.ftp.closed else T.Wip.CHANNEL_CREATION)
        if reply.kind == 2:
            return OK
        return cme_error(T.Wip.CHANNEL_CREATION)


class FileGetLink(FileLink):
    """File retrieval: the file's bytes escaped, then [ETX], then the result (§6.1.3 mode 1)."""

    def __init__(self, ftp: FtpSession, data: DataConnection) -> None:
        super().__init__(ftp, data)
        self.out = bytearray()
        self.etx = False
        self.result: Final | None = None
        self.last_moved = ftp.sim.now  # when file bytes last came from the data connection
        self.silent = False
        data.on_data = self.pump
        data.on_end = self.pump

    def on_start(self, session: DataSession) -> None:
        super().on_start(session)
        self.stack.spawn(self._await_completion())
        self.stack.spawn(self._watch_silence())
        self.pump()

    def _watch_silence(self) -> Generator[Any, Any, None]:
        """A data connection that neither brings bytes nor ends for REPLY_TIMEOUT (its path
        gone: a NAT mapping expired, an outage) ends the retrieval with [ETX] and 839, as a
        silent server does before CONNECT - else the UART, with no escape, stays in data mode
        for good. Bytes the host has not read yet are the host's delay, not the server's."""
        sim = self.stack.sim
        self.last_moved = sim.now
        while not self.done and not self.data.fin:  # at the end: completion()'s timeouts
            session = self.session
            if session is None or not session.active:
                return
            quiet = sim.now - self.last_moved
            if quiet >= REPLY_TIMEOUT - 1e-6 and not self.out:  # float sums: not exact
                self.stack.record("ftp_data_silent", idx=self.ftp.wip.idx, after=REPLY_TIMEOUT)
                self.silent = True
                self.data.abort()
                self.pump()
                return
            yield sim.timeout(REPLY_TIMEOUT if self.out else max(REPLY_TIMEOUT - quiet, 1e-3))

    def _await_completion(self) -> Generator[Any, Any, None]:
        self.result = yield from self.completion()
        self.pump()

    def on_dte_data(self, data: bytes) -> int:
        self.stack.record("ftp_input_ignored", n=len(data))
        return len(data)

    def on_dte_ready(self) -> None:
        self.pump()

    def pump(self) -> None:
        session = self.session
        if session is None or not session.active or self.done:
            return
        sock = self.data.sock
        while True:
            if self.out:
                n = session.to_dte(bytes(self.out))
                del self.out[:n]
                if self.out:
                    return
            room = session.tx_space
            if room <= 0:
                return
            if sock is not None and sock.readable:
                self.last_moved = self.stack.sim.now
                self.out += escape(sock.recv(max(1, room // 2)))
                continue
            break
        if self.silent:
            self._end(cme_error(T.Wip.CHANNEL_CREATION))
            return
        if not self.data.fin:
            return
        if self.data.failed is not None:
            self._end(cme_error(T.Wip.PEER_CLOSED))  # reset mid-transfer
            return
        if sock is not None and sock.is_open:
            sock.close()
        if self.result is not None:
            self._end(self.result)

    def _end(self, final: Final) -> None:
        session = self.session
        if session is None or not session.active:
            return
        if not self.etx:
            self.etx = True
            if session.to_dte(bytes((ETX,))) == 0:
                self.out += bytes((ETX,))
                self.etx = False
                return
        self.finish(final)


class FilePutLink(FileLink):
    """File transfer: the host's bytes until an unescaped [ETX] (§6.1.3 mode 2)."""

    def __init__(self, ftp: FtpSession, data: DataConnection) -> None:
        super().__init__(ftp, data)
        self.input = FramedInput()
        self.ended = False
        data.on_writable = self._writable
        data.on_end = self._data_gone

    def on_dte_data(self, data: bytes) -> int:
        if self.ended or self.done:
            return 0
        sock = self.data.sock
        alive = sock is not None and sock.is_open and self.data.failed is None
        budget = sock.send_space if alive and sock is not None else 1 << 30
        if budget <= 0:
            return 0
        payload, used, ended = self.input.decode(data, budget)
        if payload and alive and sock is not None:
            sock.send(payload)
        elif payload:
            self.stack.record(
                "ftp_put_dropped", n=len(payload), reason=self.data.failed or "closed"
            )
        if ended:
            self.ended = True
            self.stack.spawn(self._finish_put())
        return used

    def _writable(self) -> None:
        session = self.session
        if session is not None and session.active and not self.ended:
            session.resume_input()

    def _data_gone(self) -> None:
        self._writable()  # bytes held for a dead connection are read and dropped now

    def _finish_put(self) -> Generator[Any, Any, None]:
        sock = self.data.sock
        if self.data.failed is not None:
            yield self.stack.sim.timeout(0)
            self.finish(cme_error(T.Wip.PEER_CLOSED), keep_input=True)
            return
        if sock is not None and sock.is_open:
            sock.close()  # end of file: FIN on the data connection (RFC 959 §3.4 stream mode)
        result = yield from self.completion()
        if self.data.failed is not None and result is OK:
            result = cme_error(T.Wip.PEER_CLOSED)
        self.finish(result, keep_input=True)
