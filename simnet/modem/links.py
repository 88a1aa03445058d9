"""Data links the base commands put on the UART: a circuit-switched call's byte pipe
(``ATD<number>``/``ATA``) and GPRS dial-up PPP (``ATD*99#``). Both are plain
:class:`~simnet.modem.dialect.DataLink` subclasses, the same API vendor dialects use.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

from simnet.bearer.api import BearerApi, DialupApi
from simnet.bearer.outcomes import Outcome
from simnet.modem.dialect import DataLink

if TYPE_CHECKING:
    import simpy

    from simnet.bearer.ppp.glue import PipeEnd
    from simnet.kernel.sim import Timer
    from simnet.modem.module import DataSession, Module


class HeldOutputLink(DataLink):
    """A data link whose bytes towards the host wait in a bounded buffer.

    They wait while the UART cannot take them (online command mode, a full transmit buffer);
    beyond ``hold_limit`` they are dropped and traced, as a module without flow control towards
    the network would.
    """

    module: Module

    def __init__(self, hold_limit: int) -> None:
        self.hold = bytearray()
        self.hold_limit = hold_limit

    def _hold_for_host(self, data: bytes) -> None:
        room = self.hold_limit - len(self.hold)
        if len(data) > room:
            self.module.sim.record(self.module.name, "data_dropped", n=len(data) - max(0, room))
            data = data[: max(0, room)]
        self.hold += data
        self._flush()

    def _flush(self) -> None:
        session = self.session
        if session is None or not session.active or not self.hold:
            return
        n = session.to_dte(bytes(self.hold))
        del self.hold[:n]


class PipeLink(HeldOutputLink):
    """Online data over a circuit-switched call: UART bytes to and from the call's pipe end."""

    def __init__(self, module: Module, end: PipeEnd, hang_up: Callable[[], object], rate: int,
                 hold_limit: int = 8192, send_window: int = 1024):
        self.module = module
        self.end = end
        self.hang_up = hang_up
        self.rate = rate
        super().__init__(hold_limit)
        # The call carries rate/10 bytes per second; the module buffers at most send_window
        # bytes towards it, so a faster host is flow-controlled (or loses bytes) at the UART.
        self.send_window = send_window
        self._line_free_at = 0.0
        self._resume_timer: Timer | None = None
        end.on_data = self._hold_for_host

    def on_start(self, session: DataSession) -> None:
        super().on_start(session)
        self._flush()

    def on_dte_data(self, data: bytes) -> int:
        sim = self.module.sim
        byte_time = 10 / self.rate
        self._line_free_at = max(self._line_free_at, sim.now)
        queued = (self._line_free_at - sim.now) / byte_time
        n = min(len(data), max(0, int(self.send_window - queued)))
        if n:
            self.end.write(data[:n])
            self._line_free_at += n * byte_time
        if n < len(data) and self._resume_timer is None:
            # Ask for more once half the window has gone out on the call.
            wait = max(byte_time, self._line_free_at - sim.now - (self.send_window / 2) * byte_time)
            self._resume_timer = sim.call_later(wait, self._resume)
        return n

    def _resume(self) -> None:
        self._resume_timer = None
        session = self.session
        if session is not None and session.active:
            session.resume_input()

    def on_dte_ready(self) -> None:
        self._flush()

    def on_resume(self) -> str | None:
        self.module.sim.call_later(0, self._flush)
        return f"CONNECT {self.rate}" if self.module.settings.x_level > 0 else "CONNECT"

    def on_hangup(self, reason: str) -> None:
        self.hang_up()


class DialupLink(HeldOutputLink):
    """GPRS dial-up (``ATD*99#``): the bearer's PPP server (``bearer.dialup``) on the UART.

    The link ends with NO CARRIER when the PPP link is dead (RFC 1661 Link Dead: after the
    Terminate exchange, whoever started it - the host, an authentication or PDP activation
    failure, a ``ppp_fail`` fault - or Restart after acking the host's Terminate-Request);
    hanging up (ATH, DTR with AT&D2) closes PPP and deactivates the context, as modules do when
    a dial-up session ends.
    """

    def __init__(self, module: Module, bearer: BearerApi, cid: int,
                 on_failure: Callable[[str], None] | None = None, hold_limit: int = 8192) -> None:
        self.module = module
        self.bearer = bearer
        self.cid = cid
        self.on_failure = on_failure  # gets the reason text when PPP ends (for +CEER)
        self.ppp: DialupApi | None = None
        super().__init__(hold_limit)

    def on_start(self, session: DataSession) -> None:
        super().on_start(session)
        server = self.bearer.dialup
        if server is None:  # the base commands do not connect a bearer without dial-up
            session.end("NO CARRIER")
            return
        self.ppp = server(self._hold_for_host, cid=self.cid,
                          room=lambda: self.hold_limit - len(self.hold))
        # NO CARRIER once the link is dead, not when the decision to end it is taken: the
        # Terminate-Request must still reach the host.
        self.module.sim.process(self._watch(self.ppp.finished))

    def _watch(self, ended: simpy.Event) -> Generator[simpy.Event, Outcome, None]:
        outcome = yield ended
        if self.on_failure is not None:
            self.on_failure(outcome.detail or outcome.kind)
        session = self.session
        if session is not None and session.active:
            self._deactivate()
            session.end("NO CARRIER")

    def on_dte_data(self, data: bytes) -> int:
        if self.ppp is not None:
            self.ppp.receive_bytes(data)
        return len(data)

    def on_dte_ready(self) -> None:
        self._flush()

    def on_resume(self) -> str | None:
        self.module.sim.call_later(0, self._flush)
        return "CONNECT"

    def on_hangup(self, reason: str) -> None:
        if self.ppp is not None:
            self.ppp.close()
        self._deactivate()

    def _deactivate(self) -> None:
        gprs = self.bearer.gprs
        if gprs is not None and gprs.is_active(self.cid):
            gprs.deactivate(self.cid)
