"""Glue that runs the TS 27.010 engine on the virtual clock, at both ends of the UART.

``ModuleMux`` (module side, started by AT+CMUX): the physical UART carries frames; each
DLCI the host opens is a virtual line (a ``Uart`` at 4 Mbit/s, so the physical UART's rate is
what limits) with an AT engine on it. DLCI 1 carries the module's own engine - its settings,
data mode and URCs move there - and DLCI 2.. get engines of their own on the same bearer and
IP host (their dialect state, such as socket tables, is per channel). Channel output waits
in a bounded queue for the physical transmitter; above ``HIGH_WATER`` the channel's virtual
line is flow-controlled (RTS off), as a real module's internal buffers are.

``HostMux`` (the DTE side, for tests, scenarios and notebooks): runs the initiator and
gives one ``DTE`` per channel, so a script can dial PPP on one and poll AT+CSQ on another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simnet.modem.cmux.engine import Closed, CmuxEngine, Data, Opened, Refused, Status, Transmit
from simnet.modem.uart import Uart, UartConfig

CHANNEL_BAUD = 4_000_000
HIGH_WATER = 4096  # queued frame bytes above which channels stop sending
LOW_WATER = 1024
HOLD_LIMIT = 64 * 1024  # channel bytes kept while its DLCI is not open yet


class _Channel:
    """One virtual line: ``line.dce`` is the AT engine's end, ``line.dte`` the mux's."""

    def __init__(self, sim: Any, name: str, *, rtscts: bool) -> None:
        self.line = Uart(sim, UartConfig(baud=CHANNEL_BAUD, rtscts=rtscts), name=name)
        self.held = bytearray()  # output before the DLCI is open


class ModuleMux:
    """The module's multiplexer (see the module docstring)."""

    def __init__(
        self, module: Any, *, n1: int = 31, channels: tuple[int, ...] = (1, 2, 3, 4)
    ) -> None:
        self.module = module
        self.sim = module.sim
        self.name = f"{module.name}.cmux"
        self.physical = module.port
        self.engine = CmuxEngine("module", channels=channels, n1=n1)
        self.channels: dict[int, _Channel] = {}
        self.engines: dict[int, Any] = {1: module}  # DLCI -> module whose AT engine is there
        self._out = bytearray()
        self._saved: tuple[Any, ...] = ()
        self._throttled = False
        self.active = False

    def start(self) -> None:
        phys = self.physical
        self._saved = (phys.on_receive, phys.on_signal, phys.on_drain, phys.rx_limit)
        phys.on_receive = self._from_line
        phys.on_drain = self._pump
        phys.rx_limit = None
        self.active = True
        self.module.mux = self
        # The module's own engine moves to DLCI 1 now; what it says before the host opens
        # DLCI 1 is held for it.
        self.module.attach_port(self._channel(1).line.dce)
        self.sim.record(
            self.name, "cmux", event="start", n1=self.engine.n1, channels=list(self.engine.channels)
        )

    def _channel(self, dlci: int) -> _Channel:
        ch = self.channels.get(dlci)
        if ch is None:
            ch = _Channel(self.sim, f"{self.name}.dlci{dlci}", rtscts=True)
            ch.line.dte.on_receive = lambda data, _t, _bt, d=dlci: self._from_channel(d, data)
            self.channels[dlci] = ch
        return ch

    # -- line side -------------------------------------------------------------------------------
    def _from_line(self, data: bytes, _t: float, _bt: float) -> None:
        self.engine.feed(data)
        self._handle()

    def _handle(self) -> None:
        for ev in self.engine.take_events():
            if isinstance(ev, Transmit):
                self._out += ev.data
            elif isinstance(ev, Opened):
                self._opened(ev.dlci)
            elif isinstance(ev, Data):
                ch = self.channels.get(ev.dlci)
                if ch is not None:
                    ch.line.dte.write(ev.data)
            elif isinstance(ev, Closed):
                self.sim.record(self.name, "cmux", event="closed", dlci=ev.dlci)
                if ev.dlci == 0:
                    self.sim.call_later(0, self._stop)
                else:
                    self.channels.pop(ev.dlci, None)
                    if ev.dlci != 1:  # DLCI 1 holds the module's own engine
                        gone = self.engines.pop(ev.dlci, None)
                        if gone is not None:
                            gone.primary.ports.pop(gone.port_name, None)
            elif isinstance(ev, Status):
                self.sim.record(self.name, "msc", dlci=ev.dlci, signals=ev.signals)
        self._pump()

    def _opened(self, dlci: int) -> None:
        ch = self._channel(dlci)
        self.sim.record(self.name, "cmux", event="opened", dlci=dlci)
        if dlci not in self.engines:
            from simnet.modem.module import Module

            m = self.module
            channel_module = Module(
                self.sim,
                m.profile,
                m.bearer,
                m.host,
                dialect=type(m.dialect),
                name=f"{m.name}.dlci{dlci}",
                uart=ch.line,
                primary=m.primary,
                port_name=f"{m.port_name}.dlci{dlci}",
            )
            channel_module.imei = m.imei
            channel_module.mux = self  # its CONNECT reports the UART's rate; no AT+CMUX inside
            self.engines[dlci] = channel_module
        if ch.held:
            held, ch.held = bytes(ch.held), bytearray()
            self.engine.send(dlci, held)
            self._handle()

    def _from_channel(self, dlci: int, data: bytes) -> None:
        if dlci not in self.engine.open_dlcis:
            ch = self.channels[dlci]
            room = HOLD_LIMIT - len(ch.held)
            if len(data) > room:
                self.sim.record(self.name, "data_dropped", dlci=dlci, n=len(data) - max(0, room))
            ch.held += data[: max(0, room)]
            return
        self.engine.send(dlci, data)
        self._handle()

    def _pump(self) -> None:
        if self._out:
            n = self.physical.write(bytes(self._out[: self.physical.space]))
            del self._out[:n]
        # flow control towards the channels' AT engines
        ready = len(self._out) < (LOW_WATER if self._throttled else HIGH_WATER)
        if ready == self._throttled:
            self._throttled = not ready
            for ch in self.channels.values():
                ch.line.dte.set_signal("rts", ready)

    def _stop(self) -> None:
        """CLD or DISC on DLCI 0: the multiplexer is gone, the UART is AT again (TS 27.010
        §5.8.2); the module's engine returns to it."""
        if not self.active:
            return
        self.active = False
        phys = self.physical
        self._pump()
        phys.on_receive, phys.on_signal, phys.on_drain, phys.rx_limit = self._saved
        self.module.attach_port(phys)
        self.module.mux = None
        for dlci, engine in list(self.engines.items()):
            if dlci != 1:  # the channels' engines are gone with their lines
                engine.primary.ports.pop(engine.port_name, None)
        self.sim.record(self.name, "cmux", event="stop")


class HostMux:
    """The DTE's multiplexer: ``channel(dlci)`` is a ``DTE`` on that DLCI once opened."""

    def __init__(self, dte: Any, *, n1: int = 31) -> None:
        from simnet.modem.dte import DTE

        self._dte_class = DTE
        self.dte = dte
        self.sim = dte.sim
        self.port = dte.port
        self.engine = CmuxEngine("host", n1=n1)
        self.channels: dict[int, Any] = {}
        self.lines: dict[int, Uart] = {}  # DLCI -> virtual line (``.dte`` is the program's end)
        self.refused: set[int] = set()
        self.closed = False
        self.status: dict[int, int] = {}
        self._saved: Callable[..., Any] | None = None

    def start(self) -> HostMux:
        self._saved = self.port.on_receive
        self.port.on_receive = lambda data, _t, _bt: self._from_line(data)
        self.engine.open(0)
        self._handle()
        return self

    def open(self, dlci: int, timeout: float = 5.0) -> Any:
        """SABM on ``dlci`` and run the clock until UA (returns the channel's DTE) or DM."""
        if 0 not in self.engine.open_dlcis:
            self.sim.run_until(lambda: 0 in self.engine.open_dlcis, timeout)
        self.engine.open(dlci)
        self._handle()
        self.sim.run_until(lambda: dlci in self.channels or dlci in self.refused, timeout)
        if dlci not in self.channels:
            from simnet.errors import ExpectTimeout

            raise ExpectTimeout(f"UA on DLCI {dlci}", timeout)
        return self.channels[dlci]

    def close(self, timeout: float = 5.0) -> None:
        """CLD; the clock runs until the module answers; the DTE reads text again."""
        self.engine.close()
        self._handle()
        self.sim.run_until(lambda: self.closed, timeout)

    def _from_line(self, data: bytes) -> None:
        self.engine.feed(data)
        self._handle()

    def _handle(self) -> None:
        for ev in self.engine.take_events():
            if isinstance(ev, Transmit):
                self.port.write(ev.data)
            elif isinstance(ev, Opened) and ev.dlci:
                line = Uart(
                    self.sim, UartConfig(baud=CHANNEL_BAUD), name=f"host.cmux.dlci{ev.dlci}"
                )
                line.dce.on_receive = lambda data, _t, _bt, d=ev.dlci: self._from_channel(d, data)
                self.lines[ev.dlci] = line
                self.channels[ev.dlci] = self._dte_class(self.sim, line)
            elif isinstance(ev, Refused):
                self.refused.add(ev.dlci)
            elif isinstance(ev, Data):
                channel = self.lines.get(ev.dlci)
                if channel is not None:
                    channel.dce.write(ev.data)
            elif isinstance(ev, Status):
                self.status[ev.dlci] = ev.signals
            elif isinstance(ev, Closed) and ev.dlci == 0:
                self.closed = True
                self.port.on_receive = self._saved

    def _from_channel(self, dlci: int, data: bytes) -> None:
        self.engine.send(dlci, data)
        self._handle()
