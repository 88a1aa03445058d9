"""``simnet serve --cmux 1,2``: one pseudo-terminal per TS 27.010 channel.

By default ``simnet serve`` exposes the module's UART, and a host that wants channels runs
the multiplexer itself (Linux n_gsm, esp_modem). With ``--cmux`` simnet plays that host
part: it sends AT+CMUX=0, opens the DLCIs and gives each its own pty, so programs without a
multiplexer (pppd on one pty, a monitoring script on another) use the channels directly.
"""

from __future__ import annotations

from typing import Any

from simnet.bridge.endpoints import PtyEndpoint
from simnet.errors import ConfigError


def parse_channels(text: str) -> tuple[int, ...]:
    """``"1,2"`` -> (1, 2): DLCIs 1..63, no repeats."""
    try:
        dlcis = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ConfigError("--cmux", f"expected DLCI numbers such as 1,2, got {text!r}") from None
    if not dlcis or any(not 1 <= d <= 63 for d in dlcis) or len(set(dlcis)) != len(dlcis):
        raise ConfigError("--cmux", f"expected distinct DLCIs from 1 to 63, got {text!r}")
    return dlcis


class ChannelEndpoint:
    """Several ptys, one per DLCI; bytes read from a pty go to that channel (``route``)."""

    def __init__(self, dlcis: tuple[int, ...], link: str | None = None) -> None:
        self.dlcis = dlcis
        # --link PATH names the first channel's pty; the others get PATH.<dlci>
        self.ptys = {d: PtyEndpoint(None if link is None else (link if i == 0 else f"{link}.{d}"))
                     for i, d in enumerate(dlcis)}
        self._by_fd = {pty.master: d for d, pty in self.ptys.items()}
        self.lines: dict[int, Any] = {}
        self.description = "cmux " + ", ".join(f"DLCI {d} {p.path}" for d, p in self.ptys.items())

    @property
    def paths(self) -> list[str]:
        return [self.ptys[d].path for d in self.dlcis]

    def start(self, sim: Any, timeout: float = 10.0) -> None:
        """Multiplex the module's UART and bind each opened channel to its pty."""
        from simnet.modem.dte import DTE

        dte = DTE(sim, sim.module)
        try:
            mux = dte.cmux(self.dlcis, timeout=timeout)
        except Exception as exc:
            raise ConfigError("--cmux", f"the module did not start multiplexing: {exc}") from None
        for dlci in self.dlcis:
            line = mux.lines[dlci]
            pty = self.ptys[dlci]
            line.dte.on_receive = lambda data, _t, _bt, p=pty: p.write(data)
            self.lines[dlci] = line
        self.mux = mux

    # -- Endpoint protocol -------------------------------------------------------------------------
    def fds(self, want_data: bool = True) -> list[int]:
        return [fd for pty in self.ptys.values() for fd in pty.fds(want_data)]

    def on_readable(self, fd: int) -> bytes | None:
        return self.ptys[self._by_fd[fd]].on_readable(fd)

    def route(self, fd: int, data: bytes) -> None:
        """Bytes a program wrote on a channel's pty enter that channel."""
        line = self.lines.get(self._by_fd.get(fd, -1))
        if line is not None:
            line.dte.write(data)

    def write(self, data: bytes) -> None:
        pass  # the UART's own bytes are the multiplexer's (frames), not any program's

    def flush(self) -> None:
        for pty in self.ptys.values():
            pty.flush()

    def close(self) -> None:
        for pty in self.ptys.values():
            pty.close()
