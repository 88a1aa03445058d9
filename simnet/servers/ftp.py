"""FTP service: the :class:`FtpEngine` on a simulated host, with real data connections.

Passive mode opens a one-shot listener on the next free port of ``passive_ports`` and accepts
only a connection from the control connection's peer address (vsftpd's default
``pasv_promiscuous=NO``, RFC 2577 §5); active mode connects to the PORT/EPRT address over the
simulated network, so a module behind the carrier NAT fails active mode the way it does in
the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simnet.errors import ConfigError
from simnet.servers.config import get_bool, get_credentials, get_duration, get_int, get_str
from simnet.servers.events import CloseData, DataTransfer, OpenPassive, ServerEvent
from simnet.servers.filetree import MAX_FILE_SIZE, FileTree, build_tree
from simnet.servers.ftp_engine import FtpEngine, FtpSettings
from simnet.servers.service import Conn, LineSession, Service

DEFAULT_PASSIVE_PORTS = (50000, 50999)


class FtpService(Service):
    type_name = "ftp"
    default_port = 21
    extra_keys = (
        "users",
        "anonymous",
        "anonymous_write",
        "greeting",
        "directory",
        "files",
        "dirs",
        "passive_ports",
        "max_upload",
        "port_check",
        "data_timeout",
    )

    def _configure(self, config: dict[str, Any], field: str) -> None:
        self.settings = FtpSettings(
            users=get_credentials(config, "users", field),
            anonymous=get_bool(config, "anonymous", field, False),
            anonymous_write=get_bool(config, "anonymous_write", field, False),
            greeting=get_str(config, "greeting", field, "(simnet FTP)"),
            max_upload=get_int(config, "max_upload", field, MAX_FILE_SIZE, 0, 1 << 32),
            port_check=get_bool(config, "port_check", field, True),
        )
        ports = config.get("passive_ports", list(DEFAULT_PASSIVE_PORTS))
        if (
            not isinstance(ports, list | tuple)
            or len(ports) != 2
            or not all(isinstance(p, int) and not isinstance(p, bool) for p in ports)
            or not 1024 <= ports[0] <= ports[1] <= 65535
        ):
            raise ConfigError(
                f"{field}.passive_ports",
                f"expected [low, high] with 1024 <= low <= high <= 65535, got {ports!r}",
            )
        self.passive_range = (ports[0], ports[1])
        self.next_passive = ports[0]
        self.data_timeout = get_duration(config, "data_timeout", field, 60.0)
        self.tree: FileTree = build_tree(config, field, self.epoch)

    # -- inspection -----------------------------------------------------------------------------
    def files(self) -> dict[str, dict[str, Any]]:
        """``{path: {"bytes", "size", "sha256"}}`` of every file in the server's tree."""
        return self.tree.inspect()

    def extra_summary(self) -> dict[str, Any]:
        return {"files": len(self.tree.files), "dirs": len(self.tree.dirs)}

    def file_bytes(self) -> dict[str, bytes]:
        return {path: bytes(entry.data) for path, entry in sorted(self.tree.files.items())}

    # -- sessions -------------------------------------------------------------------------------
    def busy_reply(self) -> bytes:
        return b"421 There are too many connected users, please try later.\r\n"  # vsftpd

    def start_session(self, conn: Conn) -> None:
        remote = getattr(conn.sock, "remote", None)
        client_ip = remote[0] if isinstance(remote, tuple) else "0.0.0.0"
        engine = FtpEngine(
            self.tree,
            self.settings,
            client_ip=client_ip,
            clock=self.utc_now,
            override=self.take_override,
        )
        FtpSession(self, conn, engine, client_ip)

    def listen_passive(self, on_accept: Any) -> tuple[Any, int] | None:
        """A one-shot data listener on the next free passive port (round robin)."""
        low, high = self.passive_range
        span = high - low + 1
        for _ in range(span):
            port = self.next_passive
            self.next_passive = low + (port - low + 1) % span
            try:
                return self.host.tcp_listen(port, on_accept, backlog=1), port
            except ConfigError:
                continue  # in use
        return None


class FtpSession(LineSession):
    engine: FtpEngine

    def __init__(self, service: FtpService, conn: Conn, engine: FtpEngine, client_ip: str) -> None:
        self.ftp = service
        self.client_ip = client_ip
        self.listener: Any = None
        self.data: Conn | None = None
        self.transfer: DataTransfer | None = None
        self.received = bytearray()
        self.wait_timer: Any = None
        self.data_connected = False
        super().__init__(service, conn, engine)

    def busy(self) -> bool:
        return self.transfer is not None

    def perform_one(self, action: ServerEvent) -> None:
        if isinstance(action, OpenPassive):
            self._open_passive()
        elif isinstance(action, DataTransfer):
            self._start_transfer(action)
        elif isinstance(action, CloseData):
            self._close_data(abort=True)
        else:
            super().perform_one(action)

    # -- passive --------------------------------------------------------------------------------
    def _open_passive(self) -> None:
        opened = self.ftp.listen_passive(self._passive_accept)
        if opened is None:
            self.perform(self.engine.passive_failed())
            return
        self.listener, port = opened
        self.ftp.record("data_listen", conn=self.conn.id, port=port)
        self.perform(self.engine.passive_opened(self.ftp.host.ip, port))

    def _passive_accept(self, sock: Any) -> None:
        remote = getattr(sock, "remote", None)
        peer_ip = remote[0] if isinstance(remote, tuple) else None
        if self.data is not None or self.conn.done or peer_ip != self.client_ip:
            self.ftp.record("data_reject", conn=self.conn.id, peer=str(remote))
            sock.abort()
            return
        self._stop_listening()
        self.data = Conn(self.ftp, sock, "data")
        self.data.paused = True
        self.data_connected = True
        self.data.on_gone = self._gone_handler(self.data)
        self.ftp.record("data_accept", conn=self.conn.id, data=self.data.id)
        if self.transfer is not None:
            self._run(self.transfer)
        elif self.data is not None:
            self.data.check_cut()

    def _stop_listening(self) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None

    # -- transfers ------------------------------------------------------------------------------
    def _start_transfer(self, transfer: DataTransfer) -> None:
        self.transfer = transfer
        self.received = bytearray()
        if transfer.fail == 425:
            # injected "can't open data connection": no data connection is made at all
            self._close_data(abort=True)
            self.transfer = transfer
            self._finish(False, "connect")
            return
        if transfer.passive:
            if self.data is not None:
                self._run(transfer)
            elif self.listener is not None:
                # the client has not connected yet: wait like vsftpd's accept_timeout
                self.wait_timer = self.ftp.sim.call_later(self.ftp.data_timeout, self._wait_expired)
            else:
                self._finish(False, "connect")
            return
        if transfer.address is None:
            self._finish(False, "connect")
            return
        ip, port = transfer.address
        try:
            sock = self.ftp.host.tcp_connect(ip, port)
        except ConfigError:
            self._finish(False, "connect")
            return
        conn = Conn(self.ftp, sock, "data")
        conn.paused = True
        self.data = conn
        self.data_connected = False
        conn.on_gone = self._gone_handler(conn)
        connected = getattr(sock, "state", "") == "ESTABLISHED"

        def on_connected(_sock: Any) -> None:
            if self.data is conn and self.transfer is transfer:
                self.data_connected = True
                self.ftp.record("data_connect", conn=self.conn.id, data=conn.id)
                self._run(transfer)

        sock.on_connected = on_connected
        if connected:
            on_connected(sock)

    def _wait_expired(self) -> None:
        self.wait_timer = None
        if self.transfer is not None and self.data is None:
            self._stop_listening()
            self._finish(False, "connect")

    def _run(self, transfer: DataTransfer) -> None:
        if self.wait_timer is not None:
            self.wait_timer.cancel()
            self.wait_timer = None
        conn = self.data
        if conn is None or conn.done:
            self._finish(False, "aborted")
            return
        conn.check_cut()  # a reset-after-0 data fault breaks the transfer at once
        if conn.done:
            return  # _data_gone reported the failure
        if transfer.fail == 426:
            conn.close(reset=True)  # injected "transfer aborted": RST on the data connection
            return
        if transfer.direction == "send":
            conn.write(transfer.payload)
            conn.close()  # FIN after the payload drains; completion arrives via _data_gone
        else:
            conn.on_bytes = self._upload_bytes
            conn.on_eof = self._upload_done
            conn.paused = False
            conn._readable(conn.sock)  # bytes (and a FIN) that arrived before STOR

    def _upload_bytes(self, data: bytes) -> None:
        transfer = self.transfer
        if transfer is None:
            return
        self.received += data
        if len(self.received) > transfer.limit:
            conn = self.data
            self._finish(False, "too_large")
            if conn is not None:
                conn.close(reset=True)

    def _upload_done(self) -> None:
        conn = self.data
        if self.transfer is None:
            return
        self._finish(True, "", bytes(self.received))
        if conn is not None:
            conn.close()

    def _gone_handler(self, conn: Conn) -> Callable[[str], None]:
        # bound to one data connection, so a late close of an old one never touches a new one
        return lambda reason: self._data_gone(conn, reason)

    def _data_gone(self, conn: Conn, reason: str) -> None:
        if self.data is not conn:
            return
        self.data = None
        transfer = self.transfer
        if transfer is None:
            return
        if reason == "local" and transfer.direction == "send":
            self._finish(True, "")  # payload handed to the stack and FIN queued: 226
        elif not self.data_connected:
            self._finish(False, "connect")  # refused / unreachable / timed out: 425
        else:
            self._finish(False, "aborted")  # reset or cut mid-transfer: 426

    def _finish(self, ok: bool, error: str, data: bytes = b"") -> None:
        self.transfer = None
        self.last_activity = self.ftp.sim.now  # the idle timer restarts after a transfer
        self.received = bytearray()
        if self.wait_timer is not None:
            self.wait_timer.cancel()
            self.wait_timer = None
        self.ftp.record("transfer", conn=self.conn.id, ok=ok, error=error, size=len(data))
        self.perform(self.engine.transfer_finished(ok, data, error))

    def _close_data(self, *, abort: bool) -> None:
        self._stop_listening()
        conn, self.data = self.data, None
        if conn is not None and not conn.done:
            conn.on_gone = lambda reason: None
            conn.close(reset=abort)
        if self.transfer is not None:
            self.transfer = None

    def _gone(self, reason: str) -> None:
        self._close_data(abort=True)
        super()._gone(reason)
