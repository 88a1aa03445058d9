"""Where a real host program meets the emulated UART: a pseudo-terminal or a loopback TCP port.

Both endpoints are non-blocking file descriptors polled by the bridge loop; neither knows
anything about the simulation. A pty keeps its own slave descriptor open so that a client
closing the device does not tear the terminal down: the next client simply opens it again.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import sys
import termios
import tty
from typing import Protocol


class Endpoint(Protocol):
    description: str

    def fds(self, want_data: bool = True) -> list[int]: ...
    def on_readable(self, fd: int) -> bytes | None: ...
    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


class PtyEndpoint:
    """A raw-mode pseudo-terminal; ``path`` is the device a client opens (e.g. /dev/pts/5)."""

    def __init__(self, link: str | None = None) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        attrs = termios.tcgetattr(self._slave)
        attrs[3] &= ~termios.ECHO  # the module echoes (ATE), the terminal must not
        termios.tcsetattr(self._slave, termios.TCSANOW, attrs)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self._slave)
        self.link = link
        if link:
            if os.path.islink(link):
                os.unlink(link)
            os.symlink(self.path, link)
        self.description = f"pty {self.path}" + (f" (link {link})" if link else "")
        self._pending = bytearray()

    def fds(self, want_data: bool = True) -> list[int]:
        return [self.master] if want_data else []

    def on_readable(self, fd: int) -> bytes | None:
        try:
            return os.read(self.master, 4096)
        except BlockingIOError:
            return b""
        except OSError as exc:  # EIO: no client has the slave open; nothing to read
            if exc.errno == errno.EIO:
                return b""
            raise

    def write(self, data: bytes) -> None:
        self._pending += data
        self.flush()

    def flush(self) -> None:
        while self._pending:
            try:
                n = os.write(self.master, self._pending)
            except BlockingIOError:
                return
            except OSError:
                # Nobody is reading the terminal and its buffer is full: a real UART would
                # drop the bytes too. Bounded: keep at most 64 KiB waiting.
                del self._pending[: max(0, len(self._pending) - 65536)]
                return
            del self._pending[:n]

    def close(self) -> None:
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.link and os.path.islink(self.link):
            os.unlink(self.link)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class TcpEndpoint:
    """A raw TCP port (like ser2net): one client at a time, the next one served after it leaves."""

    def __init__(self, host: str, port: int, *, allow_remote: bool = False) -> None:
        if not is_loopback(host):
            if not allow_remote:
                raise ValueError(
                    f"refusing to bind {host}: not a loopback address (pass --allow-remote to do "
                    "it anyway)"
                )
            print(
                "simnet serve: WARNING: the module's UART is reachable from the network on "
                f"{host}:{port}",
                file=sys.stderr,
            )
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, port))
        self.listener.listen(1)
        self.listener.setblocking(False)
        self.address = self.listener.getsockname()[:2]
        self.client: socket.socket | None = None
        self._waiting: socket.socket | None = None  # a new client while the last one's bytes drain
        self.description = f"tcp {self.address[0]}:{self.address[1]}"
        self._pending = bytearray()

    def fds(self, want_data: bool = True) -> list[int]:
        data = [self.client.fileno()] if self.client is not None and want_data else []
        return [self.listener.fileno(), *data]

    def on_readable(self, fd: int) -> bytes | None:
        if fd == self.listener.fileno():
            try:
                conn, _ = self.listener.accept()
            except OSError:  # the connection was reset before we took it
                return b""
            conn.setblocking(False)
            if self.client is None:
                self._take(conn)
                return b""
            # One host at a time, like a serial port. But a host that closes and reconnects at
            # once may be here before its goodbye (EOF) has been read: only a previous client
            # that is still there makes the new one wait or be refused.
            state = self._peek_client()
            if state == "gone":
                self._drop_client()
                self._take(conn)
                return None  # the previous client left; the new one is served from now on
            if state == "unread" and self._waiting is None:
                self._waiting = conn  # decided once the previous client's bytes are read
            else:
                conn.close()
            return b""
        assert self.client is not None
        try:
            data = self.client.recv(4096)
        except BlockingIOError:
            self._refuse_waiting()  # everything read and the previous client is still there
            return b""
        except OSError:
            data = b""
        if not data:
            self._drop_client()
            if self._waiting is not None:
                self._take(self._waiting)
                self._waiting = None
            return None  # the client left
        if self._waiting is not None and self._peek_client() == "there":
            self._refuse_waiting()  # all its bytes are read and the previous client stays
        return data

    def _take(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client = conn
        self._pending.clear()

    def _peek_client(self) -> str:
        """``gone`` (EOF or error with nothing unread), ``unread`` (bytes still to deliver, so
        it cannot be told yet) or ``there``."""
        assert self.client is not None
        try:
            data = self.client.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return "there"
        except OSError:
            return "gone"
        return "unread" if data else "gone"

    def _refuse_waiting(self) -> None:
        if self._waiting is not None:
            self._waiting.close()
            self._waiting = None

    def _drop_client(self) -> None:
        if self.client is not None:
            try:
                self.client.close()
            finally:
                self.client = None
                self._pending.clear()

    def write(self, data: bytes) -> None:
        if self.client is None:
            return  # no host connected: bytes fall on the floor, as on an unplugged cable
        self._pending += data
        self.flush()

    def flush(self) -> None:
        while self._pending and self.client is not None:
            try:
                n = self.client.send(self._pending)
            except BlockingIOError:
                if len(self._pending) > 1 << 20:  # a host that never reads: stay bounded
                    del self._pending[: len(self._pending) - (1 << 20)]
                return
            except OSError:
                self._drop_client()
                return
            del self._pending[:n]

    def close(self) -> None:
        self._refuse_waiting()
        self._drop_client()
        self.listener.close()
