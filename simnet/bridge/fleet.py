"""``simnet serve`` of a fleet (``modules:``): one port per device.

Each device's UART gets its own endpoint: a loopback TCP port (``--tcp HOST:PORT``: device i
on PORT+i, or every device on its own free port with PORT 0) or a pseudo-terminal (``--pty``).
A program connected to one device's port is that device's host; the others are untouched.
``simnet serve`` prints one line per device: its name and its address.
"""

from __future__ import annotations

from typing import Any

from simnet.bridge.endpoints import PtyEndpoint, TcpEndpoint

HOST_FIFO = 4096  # bytes a device's line may have queued before its port is read again


class FleetEndpoint:
    """The endpoints of every fleet device, behind the Endpoint protocol of the bridge."""

    def __init__(
        self, names: list[str], *, tcp: tuple[str, int] | None, allow_remote: bool = False
    ) -> None:
        self.names = names
        self.ends: dict[str, PtyEndpoint | TcpEndpoint] = {}
        try:
            for i, name in enumerate(names):
                if tcp is None:
                    self.ends[name] = PtyEndpoint(None)
                else:
                    host, port = tcp
                    self.ends[name] = TcpEndpoint(
                        host, port + i if port else 0, allow_remote=allow_remote
                    )
        except Exception:
            self.close()
            raise
        self.ports: dict[str, Any] = {}
        self.bytes_out = 0
        self.description = f"fleet of {len(names)} devices"

    def address(self, name: str) -> str:
        end = self.ends[name]
        if isinstance(end, PtyEndpoint):
            return end.path
        host, port = end.address
        return f"socket://{host}:{port}"

    @property
    def addresses(self) -> list[str]:
        """``NAME ADDRESS`` per device, in the fleet's order."""
        return [f"{name} {self.address(name)}" for name in self.names]

    def start(self, sim: Any) -> None:
        """Bind each device's UART (host end) to its endpoint."""
        from simnet.modem.uart import CHUNK

        for name in self.names:
            port = sim.device(name).module.uart.dte
            end = self.ends[name]

            def deliver(data: bytes, _t: float, _bt: float, end: Any = end) -> None:
                self.bytes_out += len(data)
                end.write(data)

            port.on_receive = deliver
            port.rx_limit = lambda _queued, _bt: CHUNK  # a real program reads bytes as they come
            self.ports[name] = port

    def _owner(self, fd: int) -> str | None:
        for name, end in self.ends.items():
            if fd in end.fds(True):
                return name
        return None

    # -- Endpoint protocol -------------------------------------------------------------------------
    def fds(self, want_data: bool = True) -> list[int]:
        out: list[int] = []
        for name, end in self.ends.items():
            port = self.ports.get(name)
            out.extend(end.fds(port is None or port.pending < HOST_FIFO))
        return out

    def on_readable(self, fd: int) -> bytes | None:
        name = self._owner(fd)
        return self.ends[name].on_readable(fd) if name is not None else b""

    def route(self, fd: int, data: bytes) -> None:
        """Bytes a program wrote to a device's port enter that device's UART."""
        name = self._owner(fd)
        if name is not None and name in self.ports:
            self.ports[name].write(data)

    def write(self, data: bytes) -> None:
        pass  # each device writes to its own endpoint (start)

    def flush(self) -> None:
        for end in self.ends.values():
            flush = getattr(end, "flush", None)
            if flush is not None:
                flush()

    def close(self) -> None:
        for end in self.ends.values():
            end.close()
