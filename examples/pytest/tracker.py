"""The firmware under test: a tracker's reporting loop, written against the host side of the
module's UART (``sim.dte``) the way the C firmware drives its SIM7600.

It opens the network and one TCP connection to the collector, sends each report with
AT+CIPSEND and counts it delivered when the collector's echo comes back. With ``reconnect``,
a report that meets a closed connection (+IPCLOSE) reconnects once and is sent again; with a
``heartbeat`` the tracker sends a one-byte keep-alive whenever it has been quiet that long.
"""

from __future__ import annotations

import re

SERVER, PORT = "203.0.113.10", 7
# What the module says after a report: the echo pushed to the host, or the link closing.
ECHO_OR_CLOSE = re.compile(r"\+IPD(\d+)\r\n|\+IPCLOSE: 0,(\d)\r\n")


class Tracker:
    def __init__(self, sim, *, reconnect: bool = True, heartbeat: float | None = None) -> None:
        self.sim = sim
        self.dte = sim.dte
        self.reconnect = reconnect
        self.heartbeat = heartbeat
        self.reconnects = 0
        self.last_sent = 0.0

    def connect(self) -> None:
        assert self.dte.command('AT+CGDCONT=1,"IP","internet"').final == "OK"
        assert self.dte.command("AT+NETOPEN").final == "OK"
        self.dte.next_urc(r"\+NETOPEN: 0", timeout=60)
        self._open()

    def _open(self) -> None:
        assert self.dte.command(f'AT+CIPOPEN=0,"TCP","{SERVER}",{PORT}').final == "OK"
        urc = self.dte.next_urc(r"\+CIPOPEN: 0,\d+", timeout=60)
        assert urc.text == "+CIPOPEN: 0,0", urc.text

    def _send(self, payload: bytes) -> bool:
        """True when the collector's echo of ``payload`` came back, False when the link closed."""
        assert self.dte.command(f"AT+CIPSEND=0,{len(payload)}").final == ">"
        self.dte.write(payload)
        self.last_sent = self.sim.now
        m = self.dte.expect(ECHO_OR_CLOSE, timeout=30)
        if m.group(2) is not None:
            return False
        self.dte.expect(re.escape(payload.decode()), timeout=5)
        return True

    def report(self, payload: bytes) -> bool:
        if self._send(payload):
            return True
        if not self.reconnect:
            return False
        self.reconnects += 1
        self._open()
        return self._send(payload)

    def idle(self, seconds: float) -> None:
        """Let ``seconds`` pass, sending a heartbeat whenever the line has been quiet too long."""
        end = self.sim.now + seconds
        while self.heartbeat is not None and self.last_sent + self.heartbeat < end:
            self.sim.advance(max(0.0, self.last_sent + self.heartbeat - self.sim.now))
            assert self.report(b".")
        self.sim.advance(max(0.0, end - self.sim.now))
