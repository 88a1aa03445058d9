"""The eDsoft application's IP services (§3-§7) on the module's own TCP/IP host: mail, FTP,
TCP and UDP sessions, ping. The protocol logic is the sans-IO conversations of
:mod:`.clients` and the codecs of :mod:`.framing`; this is the glue (sockets, resolver,
the serial data sessions) and the mapping of every outcome to its §9.2 code.

One service at a time uses "TCP resources" (§3.2.1 "except when the TCP/IP stack software is
already in a process using TCP resources"): another command meanwhile answers 37122. Two TCP
listeners (ids 1 and 2, §5) may wait together; the first peer to connect gets the serial line.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, NamedTuple

from simnet.kernel.units import ascii_digits
from simnet.modem.addresses import is_dotted_quad, normalise_ipv4
from simnet.modem.at import OK, Command, Final, text_result
from simnet.modem.dialect import Context, DataLink, command
from simnet.modem.vendors.wavecom.edsoft import clients as C
from simnet.modem.vendors.wavecom.edsoft import tables as T
from simnet.modem.vendors.wavecom.edsoft.framing import (
    MailEndDetector,
    StreamDecoder,
    escape,
    seven_bit,
)
from simnet.modem.vendors.wavecom.edsoft.tables import Err, Msg, app_running

if TYPE_CHECKING:
    import simpy

    from simnet.kernel.sim import Timer
    from simnet.modem.module import DataSession, Module
    from simnet.net.tcp import TcpListener, TcpSocket
    from simnet.net.udp import UdpSocket

APP = (app_running,)
ETX_BYTE = bytes((T.ETX,))
TCP_CHUNK = 1460  # a full TCP frame (MSS of a 1500-byte MTU): sent without waiting TCPTXDELAY


def _err(code: int) -> Final:
    return text_result(f"#CME ERROR: {int(code)}", error=True)


def _msg(message: Msg) -> Final:
    return text_result(T.MESSAGES[message], numeric=int(message))


class Paused(NamedTuple):
    """A conversation stopped at an action the serial line answers (Stream, Transfer)."""

    action: Any


# -- a TCP connection as lines and bytes, for the conversations ------------------------------------


class Channel:
    """A client TCP connection: lines for a conversation, with the close reason kept."""

    def __init__(self, owner: ServicesMixin, sock: TcpSocket) -> None:
        self.owner = owner
        self.sim = owner.module.sim
        self.sock = sock
        self.buf = bytearray()
        self.closed_reason: str | None = None
        self.peer_fin = False
        self.connected = False
        self._waiter: simpy.Event | None = None
        sock.on_connected = owner.guarded(self._connected)
        sock.on_data = owner.guarded(self._data)
        sock.on_peer_fin = owner.guarded(self._fin)
        sock.on_closed = owner.guarded(self._closed)

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.triggered:
            waiter.succeed()

    def _connected(self, sock: TcpSocket) -> None:
        self.connected = True
        self._wake()

    def _data(self, sock: TcpSocket) -> None:
        self.buf += sock.recv()
        self.owner.touch()
        self._wake()

    def _fin(self, sock: TcpSocket) -> None:
        self.peer_fin = True
        self._wake()

    def _closed(self, sock: TcpSocket, reason: str) -> None:
        self.closed_reason = str(reason)
        self._wake()

    def wait(self, timeout: float) -> Generator[Any, Any, bool]:
        """Wait for news (data, FIN, close, connect) or ``timeout``; False on timeout."""
        self._waiter = self.sim.event()
        limit = self.sim.timeout(timeout)
        got = yield self._waiter | limit
        return self._waiter is None or limit not in got

    def connect(self, timeout: float) -> Generator[Any, Any, str | None]:
        """None when connected, else the reason (``refused``, ``timeout``, ``network_down``)."""
        deadline = self.sim.now + timeout
        while not self.connected and self.closed_reason is None:
            if not (yield from self.wait(max(0.0, deadline - self.sim.now))):
                self.sock.abort()
                return "timeout"
        return None if self.connected else self.closed_reason

    def line(self, timeout: float) -> Generator[Any, Any, str | None]:
        """The next line (without CR LF), None when the connection ended, or C.TIMEOUT."""
        deadline = self.sim.now + timeout
        while True:
            end = self.buf.find(b"\n")
            if end >= 0:
                raw = bytes(self.buf[: end + 1])
                del self.buf[: end + 1]
                return raw.rstrip(b"\r\n").decode("latin-1")
            if self.peer_fin or self.closed_reason is not None:
                return None
            if not (yield from self.wait(max(0.0, deadline - self.sim.now))):
                return C.TIMEOUT

    def send(self, data: bytes) -> bool:
        if self.closed_reason is not None:
            return False
        sent = self.sock.send(data)
        self.owner.touch()
        return sent == len(data)

    def close(self) -> None:
        if self.closed_reason is None:
            self.sock.close()


# -- serial data sessions --------------------------------------------------------------------------


class EdsoftLink(DataLink):
    """The serial side of a data session: no ``+++`` (ETX ends it, §4.3.1, §5.1.1, §6.2.1)."""

    escape_enabled = False

    def __init__(self, owner: ServicesMixin, dle: bool = True) -> None:
        self.owner = owner
        self.decoder = StreamDecoder(dle)
        self.dle = dle
        self.pending_out = bytearray()  # escaped bytes for the host not yet taken by the UART
        self.finished = False

    def to_host(self, payload: bytes) -> None:
        self.pending_out += escape(payload) if self.dle else payload
        self.flush()

    def flush(self) -> None:
        session = self.session
        if session is None or not session.active:
            return
        while self.pending_out:
            n = session.to_dte(bytes(self.pending_out))
            if n <= 0:
                break
            del self.pending_out[:n]

    def on_dte_ready(self) -> None:
        self.flush()
        self.owner.call_guarded(self.drained)

    def drained(self) -> None:
        """The UART took what was pending: the link may read more from the network."""

    def finish(self, lines: list[Final]) -> None:
        """End the session: the host's bytes stop being data; ``lines`` are the result lines
        (the last one is the final result). Pending host-bound bytes go first."""
        if self.finished:
            return
        self.finished = True
        session = self.session
        module = self.owner.module
        if session is None or not session.active:
            return
        for line in lines[:-1]:
            self.pending_out += module.format_final(line)
        self.flush_all()
        session.end(lines[-1])

    def flush_all(self) -> None:
        """Everything pending, past the UART's flow control (it is the session's tail)."""
        self.flush()
        if self.pending_out:
            self.owner.module.write_raw(bytes(self.pending_out))
            self.pending_out.clear()

    def on_hangup(self, reason: str) -> None:  # DTR drop with AT&D2, ATZ
        self.owner.call_guarded(self.hung_up)

    def hung_up(self) -> None:
        self.finished = True


class MailBodyLink(EdsoftLink):
    """§3.4.2 #PUTMAIL: host bytes go into the SMTP DATA stream, not echoed, until CR LF . CR LF;
    50 s without a byte ends it."""

    def __init__(self, owner: ServicesMixin, channel: Channel) -> None:
        super().__init__(owner, dle=False)
        self.channel = channel
        self.detector = MailEndDetector()
        self.done: simpy.Event = owner.module.sim.event()
        self.idle: Timer | None = None

    def on_start(self, session: DataSession) -> None:
        super().on_start(session)
        self._arm()

    def _arm(self) -> None:
        if self.idle is not None:
            self.idle.cancel()
        self.idle = self.owner.later(T.PUTMAIL_IDLE_TIMEOUT, self._silent)

    def _silent(self) -> None:
        self.owner.record("putmail", result="host_idle", seconds=T.PUTMAIL_IDLE_TIMEOUT)
        self._done(False)

    def _done(self, ok: bool) -> None:
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None
        if not self.done.triggered:
            self.done.succeed(ok)

    def on_dte_data(self, data: bytes) -> int:
        if self.detector.ended or self.done.triggered:
            return len(data)  # after the end: nothing more goes into the mail
        room = self.channel.sock.send_space
        if room <= 0:
            return 0
        chunk = data[:room]
        body, ended, used = self.detector.feed(chunk)
        if body and not self.channel.send(body):
            self._done(False)
            return len(data)
        self._arm()
        if ended:
            self._done(True)
        return used

    def hung_up(self) -> None:
        super().hung_up()
        self._done(False)


class SocketLink(EdsoftLink):
    """§5 / §6: a TCP or UDP session. Host bytes (decoded per DLEMODE; UDP always DLE-coded)
    leave after TXDELAY ms or when a frame is full; an unescaped ETX closes the session."""

    def __init__(
        self,
        owner: ServicesMixin,
        *,
        dle: bool,
        delay_ms: int,
        max_frame: int,
        send: Callable[[bytes], int],
        room: Callable[[], int],
        close: Callable[[], None],
        name: str,
    ) -> None:
        super().__init__(owner, dle=dle)
        self.delay = delay_ms / 1000.0
        self.max_frame = max_frame
        self._send = send
        self._room = room
        self._close = close
        self.name = name
        self.out = bytearray()  # decoded host bytes waiting for TXDELAY or a full frame
        self.timer: Timer | None = None
        self.closing = False

    def on_start(self, session: DataSession) -> None:
        super().on_start(session)
        self.flush()

    def on_dte_data(self, data: bytes) -> int:
        if self.closing or self.finished:
            return len(data)
        room = self._room() - len(self.out)
        if room <= 0:
            return 0
        payload, ended, used = self.decoder.feed(
            data[: max(1, room)] if not self.dle else data[:room]
        )
        self.out += payload
        self.owner.touch()
        if ended:
            self.closing = True
            self.send_now()
            self.owner.record(self.name, event="host_close")
            self.owner.call_guarded(self._close)
            return used
        if len(self.out) >= self.max_frame or self.delay <= 0:
            self.send_now()
        elif self.timer is None:
            self.timer = self.owner.later(self.delay, self.send_now)
        return used

    def send_now(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        while self.out:
            n = self._send(bytes(self.out[: self.max_frame]))
            if n <= 0:
                break
            del self.out[:n]
        if self.out and not self.closing:
            self.timer = self.owner.later(max(self.delay, 0.02), self.send_now)

    def hung_up(self) -> None:
        super().hung_up()
        self.closing = True
        self.owner.call_guarded(self._close)


# -- the services --------------------------------------------------------------------------------


class ServicesMixin:
    """Mail, FTP, TCP, UDP and ping commands of the eDsoft dialect (mixed into it)."""

    module: Module
    # provided by the dialect
    bearer_kind: str | None
    dns_from_link: tuple[str, ...]
    emit: Callable[..., None]
    emit_msg: Callable[[Msg], None]
    p: Callable[[str], Any]
    p_at: Callable[[str, int], Any]
    record: Callable[..., None]
    later: Callable[..., Any]
    guarded: Callable[..., Any]
    call_guarded: Callable[..., Any]
    spawn: Callable[..., Any]
    touch: Callable[[], None]
    latency: Callable[[str], float]

    def init_services(self) -> None:
        self.resource: str | None = None  # the service using "TCP resources"
        self.listeners: dict[int, TcpListener] = {}
        self.tcp_sockets: dict[int, TcpSocket] = {}
        self.udp_socket: UdpSocket | None = None
        self.udp_peer: tuple[str, int] | None = None
        self.udp_filter: str | None = None
        self.link: EdsoftLink | None = None

    # -- bookkeeping -------------------------------------------------------------------------
    def service_group_running(self, group: str, cmd: Command) -> bool:
        if group == "tcp":
            sid = cmd.params[0].value if cmd.params else None
            ids = [int(sid)] if sid is not None and ascii_digits(sid) else [1, 2]
            return any(i in self.listeners or i in self.tcp_sockets for i in ids)
        if group == "udp":
            return self.udp_socket is not None
        if group == "dns":
            return self.resource is not None
        return self.resource == group

    def stop_services(self, reason: str) -> None:
        for listener in self.listeners.values():
            listener.close(reset_pending=True)
        self.listeners.clear()
        for sock in self.tcp_sockets.values():
            sock.abort()
        self.tcp_sockets.clear()
        if self.udp_socket is not None:
            self.udp_socket.close()
            self.udp_socket = None

    def abort_session_for_loss(self, code: int) -> bool:
        """The link was lost: a data session in progress ends with ETX and ``code``. True when
        a running service reports the loss itself."""
        link = self.link
        if (
            link is not None
            and not link.finished
            and link.session is not None
            and link.session.active
        ):
            if link.dle:
                link.pending_out += ETX_BYTE  # §5.4.2 / §6.2.2: an error in a session follows ETX
            link.finish([_err(code)])
            self.link = None
            self.resource = None
            return True
        return self.resource is not None

    def _need(self) -> Final | None:
        """A service needs the IP link (35867) and free TCP resources (37122)."""
        if self.bearer_kind is None:
            return _err(Err.NOT_ACTIVE)
        if self.resource is not None or self.link is not None:
            return _err(Err.APP_RUNNING)
        return None

    def _loss_code(self) -> int:
        return int(Err.GPRS_LOST) if self.bearer_kind in ("gprs", None) else int(Err.NOT_ACTIVE)

    # -- name resolution -----------------------------------------------------------------------
    def resolve(self, name: str) -> Generator[Any, Any, str | None]:
        """An address for ``name``: a dotted quad as is, else a DNS lookup with DNSSERV1/2
        (or the servers the link gave when both are 0.0.0.0). None: 38027."""
        name = name.strip()
        if is_dotted_quad(name):
            return normalise_ipv4(name)
        host = self.module.host
        if host is None or not name:
            return None
        servers = [s for s in (self.p("#DNSSERV1"), self.p("#DNSSERV2")) if s and s != "0.0.0.0"]
        resolver = host.resolver
        resolver.set_servers(servers or None)
        result = yield resolver.resolve(name).event
        self.record("dns", name=name, error=result.error, addresses=list(result.addresses))
        return result.addresses[0] if result.ok and result.addresses else None

    def _connect(
        self, server: str, port: int
    ) -> Generator[Any, Any, tuple[Channel | None, int | None]]:
        """Resolve and connect; (channel, None) or (None, §9.2 code)."""
        ip = yield from self.resolve(server)
        if ip is None:
            return None, int(Err.DNS)
        host = self.module.host
        assert host is not None
        chan = Channel(self, host.tcp_connect(ip, port))
        why = yield from chan.connect(T.SERVER_REPLY_TIMEOUT * 2)
        if why is None:
            return chan, None
        return None, self._open_error(why)

    def _open_error(self, why: str | None) -> int:
        if why == "timeout":
            return int(Err.NO_RESPONSE)
        if why == "network_down":
            return self._loss_code()
        return int(Err.OPEN_FAILED)

    def _converse(
        self,
        conv: C.Conversation,
        chan: Channel,
        handle: Callable[[Any], Generator[Any, Any, Any]] | None = None,
        pause: type | None = None,
    ) -> Generator[Any, Any, Any]:
        """Drive a conversation over ``chan``: its result (None or a §9.2 code), or
        :class:`Paused` at the first action of type ``pause`` (the serial line's turn).
        ``handle`` answers the other driver-side actions."""
        answer: Any = None
        while True:
            try:
                action = conv.send(answer)
            except StopIteration as stop:
                return stop.value
            answer = None
            if pause is not None and isinstance(action, pause):
                return Paused(action)
            if isinstance(action, C.Send):
                chan.send(action.data)
            elif isinstance(action, C.Recv):
                answer = yield from chan.line(T.SERVER_REPLY_TIMEOUT)
                if answer is None and chan.closed_reason == "network_down":
                    chan.close()
                    return self._loss_code()
            elif handle is not None:
                answer = yield from handle(action)

    def _begin(self, name: str) -> Generator[Any, Any, None]:
        self.resource = name
        yield self.module.sim.timeout(self.latency("service"))

    # -- §3.2 #GETMAIL -------------------------------------------------------------------------
    @command("#GETMAIL", forms="e", requires=APP, latency="network")
    def getmail(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        refused = self._need()
        if refused is not None:
            return refused
        yield from self._begin("pop3")
        try:
            chan, code = yield from self._connect(self.p("#POP3SERV"), self.p("#POP3PORT"))
            if chan is None:
                return _err(code or Err.OPEN_FAILED)
            conv = C.pop3_fetch(
                self.p("#POP3UN"), self.p("#POP3PW"), self.p("#POP3HEADERMODE") == 1
            )

            def deliver(action: Any) -> Generator[Any, Any, Any]:
                if isinstance(action, C.Deliver):
                    if action.message is not None:
                        self.emit_msg(action.message)
                    yield from self._write_paced(action.data)
                return None

            result = yield from self._converse(conv, chan, deliver)
            chan.close()
            self.record("getmail", result=result)
            if result == C.NO_MAIL:
                return _msg(Msg.NO_MAIL)
            return None if result is None else _err(result)
        finally:
            self.resource = None

    def _write_paced(self, data: bytes) -> Generator[Any, Any, None]:
        """Bytes to the host within a running command, as fast as the UART takes them."""
        port = self.module.port
        while data:
            room = port.space
            if room <= 0:
                yield self.module.sim.timeout(port.byte_time() * 64)
                continue
            self.module.write_raw(data[:room])
            data = data[room:]
        self.touch()

    # -- §3.3 #SENDMAILi, §3.4 #PUTMAIL ---------------------------------------------------------
    def _mail_job(self, i: int, body: bytes | None) -> C.MailJob:
        rows = T.MAIL_ROWS[i]
        split = [a for a in str(self.p(rows["REC"].name)).split(",") if a]
        cc = [a for a in str(self.p(rows["CCREC"].name)).split(",") if a]
        clock = self.module.clock()
        return C.MailJob(
            domain=self.p("#DOMAIN"),
            sender_addr=self.p("#SENDERADDR"),
            sender_name=self.p("#SENDERNAME"),
            to=tuple(split),
            cc=tuple(cc),
            subject=self.p(rows["SUBJ"].name),
            body=body,
            user=self.p("#SMTPUN"),
            password=self.p("#SMTPPW"),
            date=email.utils.formatdate(clock, usegmt=True),
        )

    @command("#SENDMAIL1", "#SENDMAIL2", "#SENDMAIL3", forms="e", requires=APP, latency="network")
    def sendmail(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        refused = self._need()
        if refused is not None:
            return refused
        i = int(cmd.name[-1])
        job = self._mail_job(
            i, str(self.p(T.MAIL_ROWS[i]["BODY"].name)).encode("latin-1", "replace")
        )
        yield from self._begin("smtp")
        try:
            chan, code = yield from self._connect(self.p("#SMTPSERV"), self.p("#SMTPPORT"))
            if chan is None:
                return _err(code or Err.OPEN_FAILED)
            result = yield from self._converse(C.smtp_send(job), chan)
            chan.close()
            self.record("sendmail", mail=i, result=result)
            return None if result is None else _err(result)
        finally:
            self.resource = None

    @command("#PUTMAIL", forms="e", requires=APP, latency="network")
    def putmail(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """§3.4: the SMTP session is opened up to DATA, then Ok_Info_WaitingForData and the
        host's body (not echoed) until CR LF . CR LF; OK once the server took the mail."""
        refused = self._need()
        if refused is not None:
            return refused
        yield from self._begin("smtp")
        chan, code = yield from self._connect(self.p("#SMTPSERV"), self.p("#SMTPPORT"))
        if chan is None:
            self.resource = None
            return _err(code or Err.OPEN_FAILED)
        conv = C.smtp_send(self._mail_job(1, None))
        # run up to the Stream action (354 received), then hand the line to the host
        result = yield from self._converse(conv, chan, pause=C.Stream)
        if not isinstance(result, Paused):
            chan.close()
            self.resource = None
            self.record("putmail", result=result)
            return _err(result or Err.SEND_FAILED)
        link = MailBodyLink(self, chan)
        self.link = link
        self.spawn(self._putmail_rest(conv, chan, link))
        return ctx.data_mode(
            link, T.MESSAGES[Msg.WAITING_FOR_DATA], numeric=int(Msg.WAITING_FOR_DATA)
        )

    def _putmail_rest(
        self, conv: C.Conversation, chan: Channel, link: MailBodyLink
    ) -> Generator[Any, Any, None]:
        relayed = yield link.done
        try:
            result = conv.send(bool(relayed))
        except StopIteration as stop:
            result = stop.value
            final = None if result is None else _err(result)
        else:
            rest = yield from self._converse(_resume(conv, result), chan)
            final = None if rest is None else _err(rest)
        chan.close()
        self.record("putmail", result=None if final is None else final.text)
        self.link = None
        self.resource = None
        link.finish([final or OK])

    # -- §4 FTP ----------------------------------------------------------------------------------
    def _ftp_job(self, put: bool) -> C.FtpJob:
        path = self.p("#FTPPUTPATH" if put else "#FTPGETPATH")
        name = self.p("#FTPPUTFILENAME" if put else "#FTPGETFILENAME")
        return C.FtpJob(self.p("#FTPUN"), self.p("#FTPPW"), self.p("#FTPTYPE"), path, name, put)

    @command("#FTPGET", forms="e", requires=APP, latency="network")
    def ftpget(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """§4.2: Ok_Info_DataBegin, the file escaped (DLE before ETX and DLE), ETX, OK."""
        refused = self._need()
        if refused is not None:
            return refused
        yield from self._begin("ftp")
        try:
            chan, code = yield from self._connect(self.p("#FTPSERV"), self.p("#FTPPORT"))
            if chan is None:
                return _err(code or Err.OPEN_FAILED)
            data: list[Channel] = []
            started = False

            def handle(action: Any) -> Generator[Any, Any, Any]:
                nonlocal started
                if isinstance(action, C.OpenData):
                    opened = yield from self._open_data(action, data)
                    return opened
                if isinstance(action, C.Transfer):
                    started = True
                    self.emit_msg(Msg.DATA_BEGIN)
                    ok = yield from self._download(data[0])
                    yield from self._write_paced(ETX_BYTE)
                    return ok
                return None

            result = yield from self._converse(C.ftp_session(self._ftp_job(False)), chan, handle)
            chan.close()
            for d in data:
                d.close()
            self.record("ftpget", result=result)
            if result is not None and not started:
                return _err(result)
            return None if result is None else _err(result)
        finally:
            self.resource = None

    def _open_data(self, action: C.OpenData, out: list[Channel]) -> Generator[Any, Any, bool]:
        host = self.module.host
        assert host is not None
        chan = Channel(self, host.tcp_connect(action.ip, action.port))
        why = yield from chan.connect(T.SERVER_REPLY_TIMEOUT)
        if why is not None:
            return False
        out.append(chan)
        return True

    def _download(self, chan: Channel) -> Generator[Any, Any, bool]:
        """The data connection to the host, escaped, until the server's FIN."""
        while True:
            if chan.buf:
                payload = bytes(chan.buf)
                chan.buf.clear()
                yield from self._write_paced(escape(payload))
                continue
            if chan.peer_fin:
                chan.close()
                return True
            if chan.closed_reason is not None:
                return chan.closed_reason == "peer_closed"
            if not (yield from chan.wait(T.SERVER_REPLY_TIMEOUT)):
                chan.sock.abort()
                return False

    @command("#FTPPUT", forms="e", requires=APP, latency="network")
    def ftpput(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """§4.3: Ok_Info_WaitingForData, the host's file (DLE-escaped, ETX ends; the ETX is
        echoed, A.7.1), OK once the server confirmed the transfer."""
        refused = self._need()
        if refused is not None:
            return refused
        yield from self._begin("ftp")
        chan, code = yield from self._connect(self.p("#FTPSERV"), self.p("#FTPPORT"))
        if chan is None:
            self.resource = None
            return _err(code or Err.OPEN_FAILED)
        conv = C.ftp_session(self._ftp_job(True))
        data: list[Channel] = []

        def open_data(action: Any) -> Generator[Any, Any, Any]:
            return (yield from self._open_data(action, data))

        result = yield from self._converse(conv, chan, open_data, pause=C.Transfer)
        if not isinstance(result, Paused):
            chan.close()
            for d in data:
                d.close()
            self.resource = None
            self.record("ftpput", result=result)
            return _err(result or Err.SEND_FAILED)
        ascii_mode = self.p("#FTPTYPE") == "A"
        dchan = data[0]
        done = self.module.sim.event()

        def close_data() -> None:
            dchan.close()
            if not done.triggered:
                done.succeed(dchan.closed_reason is None or dchan.closed_reason == "local")

        link = SocketLink(
            self,
            dle=True,
            delay_ms=0,
            max_frame=TCP_CHUNK,
            send=lambda b: dchan.sock.send(seven_bit(b) if ascii_mode else b),
            room=lambda: dchan.sock.send_space,
            close=close_data,
            name="ftpput",
        )
        self.link = link
        self.spawn(self._ftpput_rest(conv, chan, dchan, link, done))
        return ctx.data_mode(
            link, T.MESSAGES[Msg.WAITING_FOR_DATA], numeric=int(Msg.WAITING_FOR_DATA)
        )

    def _ftpput_rest(
        self,
        conv: C.Conversation,
        chan: Channel,
        dchan: Channel,
        link: SocketLink,
        done: simpy.Event,
    ) -> Generator[Any, Any, None]:
        watch = self.module.sim.process(self._watch_data(dchan, done))
        ok = yield done
        if watch.is_alive:
            watch.interrupt()
        if ok:
            link.send_now()
        try:
            result = conv.send(bool(ok))
        except StopIteration as stop:
            result = stop.value
        else:
            result = yield from self._converse(_resume(conv, result), chan)
        chan.close()
        self.record("ftpput", result=result)
        self.link = None
        self.resource = None
        if not link.finished:
            link.pending_out += ETX_BYTE  # A.7.1: the ETX is echoed (or ends an aborted upload)
            link.finish([OK if result is None else _err(result)])

    def _watch_data(self, dchan: Channel, done: simpy.Event) -> Generator[Any, Any, None]:
        """An upload whose data connection breaks ends there (§4.3.2, preceded by ETX)."""
        import simpy as _simpy

        try:
            while dchan.closed_reason is None and not done.triggered:
                yield from dchan.wait(3600.0)
        except _simpy.Interrupt:
            return
        if not done.triggered and dchan.closed_reason not in (None, "local"):
            done.succeed(False)

    # -- §5 TCP ------------------------------------------------------------------------------------
    def _tcp_id(self, cmd: Command) -> int:
        return T.DLEMODE.index.domain.parse(cmd, 0)  # type: ignore[union-attr,return-value]

    @command("#LTCPSTART", forms="s", requires=APP, latency="network")
    def ltcpstart(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """§5.2 / A.8.1: OK once listening on TCPPORT; Ok_Info_WaitingForData when an allowed
        peer (TCPSERV, 255.255.255.255 for any) connects, then the session."""
        sid = self._tcp_id(cmd)
        cmd.max_params(1)
        if self.bearer_kind is None:
            return _err(Err.NOT_ACTIVE)
        if self.resource is not None or self.link is not None or sid in self.listeners:
            return _err(Err.APP_RUNNING)
        port = self.p_at("#TCPPORT", sid)
        if not port:
            return _err(Err.BAD_CONFIG)
        allowed = str(self.p_at("#TCPSERV", sid)).strip()
        allowed_ip: str | None = None
        if allowed and allowed != "255.255.255.255":
            allowed_ip = yield from self.resolve(allowed)
            if allowed_ip is None:
                return _err(Err.DNS)
        host = self.module.host
        assert host is not None
        if host.tcp_port_in_use(port):
            return _err(Err.RESOURCE)
        listener = host.tcp_listen(
            port, self.guarded(lambda sock: self._accepted(sid, sock, allowed_ip))
        )
        self.listeners[sid] = listener
        self.record("tcp", id=sid, event="listen", port=port)
        return None

    def _accepted(self, sid: int, sock: TcpSocket, allowed_ip: str | None) -> None:
        peer = sock.remote[0] if sock.remote else None
        if allowed_ip is not None and peer != allowed_ip:
            self.record("tcp", id=sid, event="refused", peer=peer)
            sock.abort()
            return
        if self.link is not None or self.resource is not None:
            self.record("tcp", id=sid, event="busy", peer=peer)
            sock.abort()
            return
        listener = self.listeners.pop(sid, None)
        if listener is not None:
            listener.close()
        self.record("tcp", id=sid, event="accepted", peer=peer)
        link = self._tcp_session(sid, sock)
        self.module.enter_data_mode(link, _msg(Msg.WAITING_FOR_DATA))

    @command("#LTCPSTOP", forms="s", requires=APP)
    def ltcpstop(self, ctx: Context, cmd: Command) -> Final | None:
        """§5.3: the listening port is closed."""
        sid = self._tcp_id(cmd)
        cmd.max_params(1)
        listener = self.listeners.pop(sid, None)
        if listener is not None:
            listener.close(reset_pending=True)
            self.record("tcp", id=sid, event="stop")
        return None

    @command("#OTCP", forms="s", requires=APP, latency="network")
    def otcp(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """§5.4 / A.8.2: connect to TCPSERV:TCPPORT, Ok_Info_WaitingForData, the session."""
        sid = self._tcp_id(cmd)
        cmd.max_params(1)
        refused = self._need()
        if refused is not None:
            return refused
        port = self.p_at("#TCPPORT", sid)
        if not port:
            return _err(Err.BAD_CONFIG)
        yield from self._begin(f"tcp{sid}")
        try:
            ip = yield from self.resolve(str(self.p_at("#TCPSERV", sid)))
            if ip is None:
                return _err(Err.DNS)
            host = self.module.host
            assert host is not None
            sock = host.tcp_connect(ip, port)
            chan = Channel(self, sock)
            why = yield from chan.connect(T.SERVER_REPLY_TIMEOUT * 2)
            if why is not None:
                self.record("tcp", id=sid, event="connect_failed", reason=why)
                return _err(self._open_error(why))
        finally:
            self.resource = None
        link = self._tcp_session(sid, sock, already=bytes(chan.buf), fin=chan.peer_fin)
        return ctx.data_mode(
            link, T.MESSAGES[Msg.WAITING_FOR_DATA], numeric=int(Msg.WAITING_FOR_DATA)
        )

    def _tcp_session(
        self, sid: int, sock: TcpSocket, already: bytes = b"", fin: bool = False
    ) -> SocketLink:
        dle = self.p_at("#DLEMODE", sid) == 1
        self.tcp_sockets[sid] = sock
        ended = {"done": False}

        def close_by_host() -> None:
            # §5.2.1: ETX from the host closes the connection: ETX back, Ok_Info_SocketClosed, OK
            self.record("tcp", id=sid, event="closed", by="host")
            self.tcp_sockets.pop(sid, None)
            ended["done"] = True
            link.send_now()
            sock.close()
            link.pending_out += ETX_BYTE
            self.link = None
            link.finish([_msg(Msg.SOCKET_CLOSED), OK])

        link = SocketLink(
            self,
            dle=dle,
            delay_ms=self.p_at("#TCPTXDELAY", sid),
            max_frame=TCP_CHUNK,
            send=sock.send,
            room=lambda: sock.send_space,
            close=close_by_host,
            name="tcp",
        )
        self.link = link

        def pump(_sock: Any = None) -> None:
            # read only what the UART can take: TCP's window does the flow control
            while sock.readable and not ended["done"]:
                space = link.session.tx_space if link.session is not None else 0
                if space <= 1 or link.pending_out:
                    break
                chunk = sock.recv(space // 2 if dle else space)
                if not chunk:
                    break
                self.touch()
                link.to_host(chunk)

        def on_fin(_sock: Any) -> None:
            pump()
            if sock.readable:
                self.later(0.05, on_fin, sock)
                return
            end(Err.PEER_FIN, "peer_fin")

        def on_closed(_sock: Any, reason: str) -> None:
            pump()
            code = {
                "reset": Err.TCP_CANCELLED,
                "refused": Err.TCP_CANCELLED,
                "timeout": Err.NO_RESPONSE,
                "keepalive": Err.NO_RESPONSE,
                "network_down": self._loss_code(),
                "peer_closed": Err.PEER_FIN,
            }.get(str(reason))
            if code is not None:
                end(code, str(reason))

        def end(code: int, reason: str) -> None:
            if ended["done"]:
                return
            ended["done"] = True
            self.tcp_sockets.pop(sid, None)
            self.record("tcp", id=sid, event="closed", by="peer", reason=reason, code=int(code))
            if sock.state not in ("CLOSED",):
                sock.close()
            if dle:
                link.pending_out += ETX_BYTE  # §5.4.2: the error follows an ETX
            if self.link is link:
                self.link = None
            if link.session is None:
                return
            link.finish([_err(code)])

        link.drained = pump  # type: ignore[method-assign]
        sock.on_data = self.guarded(pump)
        sock.on_peer_fin = self.guarded(on_fin)
        sock.on_closed = self.guarded(on_closed)
        sock.on_writable = self.guarded(lambda _s: link.send_now())
        if already:
            link.to_host(already)
        original_start = link.on_start

        def start(session: DataSession) -> None:
            original_start(session)
            pump()
            if fin or sock.state in ("CLOSE_WAIT", "LAST_ACK", "CLOSED"):
                on_fin(sock)

        link.on_start = start  # type: ignore[method-assign]
        return link

    # -- §6 UDP -----------------------------------------------------------------------------------
    @command("#LUDPSTART", forms="e", requires=APP, latency="network")
    def ludpstart(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """§6.2: OK once bound to UDPPORT; the first allowed datagram makes the session
        (Ok_Info_WaitingForData, then its payload)."""
        refused = self._need()
        if refused is not None:
            return refused
        if self.udp_socket is not None:
            return _err(Err.APP_RUNNING)
        port = self.p("#UDPPORT")
        if not port:
            return _err(Err.BAD_CONFIG)
        allowed = str(self.p("#UDPSERV")).strip()
        allowed_ip: str | None = None
        if allowed and allowed != "255.255.255.255":
            allowed_ip = yield from self.resolve(allowed)
            if allowed_ip is None:
                return _err(Err.DNS)
        host = self.module.host
        assert host is not None
        try:
            sock = host.udp_bind(port)
        except Exception:  # noqa: BLE001 - a port in use is the stack's refusal, not a bug
            return _err(Err.RESOURCE)
        self.udp_socket = sock
        self.udp_filter = allowed_ip
        self.udp_peer = None
        sock.on_datagram = self.guarded(self._udp_first)
        self.record("udp", event="listen", port=port)
        return None

    def _udp_first(self, sock: UdpSocket, data: bytes, addr: tuple[str, int]) -> None:
        if self.udp_filter is not None and addr[0] != self.udp_filter:
            self.record("udp", event="filtered", peer=f"{addr[0]}:{addr[1]}")
            return
        if self.link is not None or self.resource is not None:
            self.record("udp", event="busy", peer=f"{addr[0]}:{addr[1]}")
            return
        self.udp_peer = addr
        link = self._udp_session(sock, addr)
        link.to_host(data)
        self.module.enter_data_mode(link, _msg(Msg.WAITING_FOR_DATA))

    @command("#LUDPSTOP", forms="e", requires=APP)
    def ludpstop(self, ctx: Context, cmd: Command) -> Final | None:
        """§6.3: cancel a UDP listen that has not received its first datagram."""
        if self.udp_socket is not None and self.udp_peer is None:
            self.udp_socket.close()
            self.udp_socket = None
            self.record("udp", event="stop")
        return None

    @command("#OUDP", forms="e", requires=APP, latency="network")
    def oudp(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """§6.4: datagrams to UDPSERV:UDPPORT (and only from there); Ok_Info_WaitingForData."""
        refused = self._need()
        if refused is not None:
            return refused
        if self.udp_socket is not None:
            return _err(Err.APP_RUNNING)
        port = self.p("#UDPPORT")
        if not port:
            return _err(Err.BAD_CONFIG)
        yield from self._begin("udp")
        try:
            ip = yield from self.resolve(str(self.p("#UDPSERV")))
        finally:
            self.resource = None
        if ip is None:
            return _err(Err.DNS)
        host = self.module.host
        assert host is not None
        sock = host.udp_bind(0)
        self.udp_socket = sock
        self.udp_peer = (ip, port)
        link = self._udp_session(sock, (ip, port))
        return ctx.data_mode(
            link, T.MESSAGES[Msg.WAITING_FOR_DATA], numeric=int(Msg.WAITING_FOR_DATA)
        )

    def _udp_session(self, sock: UdpSocket, peer: tuple[str, int]) -> SocketLink:
        def receive(_sock: Any, data: bytes, addr: tuple[str, int]) -> None:
            if addr != peer:
                self.record("udp", event="filtered", peer=f"{addr[0]}:{addr[1]}")
                return
            self.touch()
            link.to_host(data)  # a datagram that does not fit waits in the link (bounded below)
            if len(link.pending_out) > 64 * 1024:
                del link.pending_out[: len(link.pending_out) - 64 * 1024]
                self.record("udp", event="drop", reason="serial_backlog")

        def send(data: bytes) -> int:
            self.touch()
            return len(data) if sock.sendto(data, peer) else len(data)

        def close_by_host() -> None:
            self.record("udp", event="closed", by="host")
            link.send_now()
            sock.close()
            self.udp_socket = None
            self.udp_peer = None
            self.link = None
            link.pending_out += ETX_BYTE
            link.finish([_msg(Msg.SOCKET_CLOSED), OK])

        link = SocketLink(
            self,
            dle=True,
            delay_ms=self.p("#UDPTXDELAY"),
            max_frame=T.UDP_MAX_DATAGRAM,
            send=send,
            room=lambda: 64 * 1024,
            close=close_by_host,
            name="udp",
        )
        sock.on_datagram = self.guarded(receive)
        self.link = link
        return link

    # -- §7 PING -----------------------------------------------------------------------------------
    @command("#PING", forms="e", requires=APP, latency="network")
    def ping(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """§7.2: PINGNUM echo requests to PINGREMOTE, PINGDELAY s apart, each waited for
        PINGDELAY s: ``"<remote>" is alive : time = <ms> ms`` or ``No answer from "<remote>"``."""
        refused = self._need()
        if refused is not None:
            return refused
        remote = str(self.p("#PINGREMOTE"))
        yield from self._begin("ping")
        try:
            ip = yield from self.resolve(remote)
            if ip is None:
                return _err(Err.DNS)
            host = self.module.host
            assert host is not None
            delay = float(self.p("#PINGDELAY"))
            for k in range(self.p("#PINGNUM")):
                sent_at = self.module.sim.now
                request = host.ping(ip, size=T.PING_SIZE, timeout=delay)
                result = yield request.event
                self.touch()
                if result.ok and result.rtt is not None:
                    self.emit(f'"{remote}" is alive : time = {round(result.rtt * 1000)} ms')
                else:
                    self.emit(f'No answer from "{remote}"')
                if k + 1 < self.p("#PINGNUM"):
                    wait = sent_at + delay - self.module.sim.now
                    if wait > 0:
                        yield self.module.sim.timeout(wait)
            return None
        finally:
            self.resource = None


def _resume(conv: C.Conversation, first: Any) -> C.Conversation:
    """A conversation already advanced by hand (its next action is ``first``) as a fresh
    generator for :meth:`ServicesMixin._converse`."""
    answer = yield first
    while True:
        try:
            action = conv.send(answer)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        answer = yield action
