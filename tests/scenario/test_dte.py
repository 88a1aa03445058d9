"""The DTE (host side of the UART) on the virtual clock, against a scripted fake module.

The fake port delivers each written chunk to a responder after a fixed 10 ms; the responder
answers by line. Expected times are sums of those fixed delays, computed here by hand."""

from __future__ import annotations

import re

import pytest

from simnet import ExpectTimeout
from simnet.kernel import Simulation
from simnet.scenario.dte import DTE

LATENCY = 0.010


class FakePort:
    """Stands in for ``Uart.dte``: write/space/idle/on_receive/on_drain/set_signal."""

    def __init__(self, sim: Simulation, responder) -> None:
        self.sim = sim
        self.responder = responder
        self.on_receive = None
        self.on_drain = None
        self.space = 64
        self.idle = True
        self.written = b""
        self.signals: dict[str, bool] = {}
        self._line = b""

    def write(self, data: bytes) -> int:
        accepted = data[: self.space]
        self.written += accepted
        self._line += accepted
        while b"\r" in self._line:
            line, _, self._line = self._line.partition(b"\r")
            for delay, reply in self.responder(line.decode()):
                self.sim.call_later(LATENCY + delay, self.deliver, reply)
        return len(accepted)

    def deliver(self, data: bytes) -> None:
        self.on_receive(data, self.sim.now, 0.0)

    def set_signal(self, name: str, value: bool) -> None:
        self.signals[name] = value


def modem(line: str):
    """Echo then answer: AT -> OK; AT+CSQ -> info + OK; AT+NETOPEN -> OK, URC 1 s later."""
    echo = [(0.0, line.encode() + b"\r")]
    if line == "AT":
        return echo + [(0.0, b"\r\nOK\r\n")]
    if line == "AT+CSQ":
        return echo + [(0.0, b"\r\n+CSQ: 20,0\r\n\r\nOK\r\n")]
    if line == "AT+NETOPEN":
        return echo + [(0.0, b"\r\nOK\r\n"), (1.0, b"\r\n+NETOPEN: 0\r\n")]
    if line == "AT+CIPSEND=0,5":
        return echo + [(0.0, b"\r\n>")]
    if line == "AT+HANG":
        return echo
    return echo + [(0.0, b"\r\nERROR\r\n")]


def make():
    sim = Simulation(seed=1)
    port = FakePort(sim, modem)
    return sim, port, DTE(sim, port)


def test_command_returns_final_lines_and_elapsed():
    sim, port, dte = make()
    r = dte.command("AT+CSQ", timeout=5)
    assert port.written == b"AT+CSQ\r"
    assert r.final == "OK"
    assert r.lines == ["+CSQ: 20,0"]
    assert r.elapsed == pytest.approx(LATENCY)
    assert sim.now == pytest.approx(LATENCY)


def test_command_error_and_prompt():
    _, _, dte = make()
    assert dte.command("AT+BOGUS").final == "ERROR"
    assert dte.command("AT+CIPSEND=0,5").final == ">"


def test_expect_consumes_through_match_and_urc_comes_later():
    sim, _, dte = make()
    r = dte.command("AT+NETOPEN", timeout=5)
    assert r.final == "OK" and sim.now == pytest.approx(LATENCY)
    m = dte.expect(r"\+NETOPEN: (\d+)", timeout=5)
    assert isinstance(m, re.Match) and m.group(1) == "0"
    assert sim.now == pytest.approx(LATENCY + 1.0)  # the clock stopped at the URC's instant
    assert dte.pending() == b"\r\n"


def test_expect_timeout_raises_with_received_text():
    sim, _, dte = make()
    dte.write(b"AT\r")
    with pytest.raises(ExpectTimeout) as info:
        dte.expect("NEVER", timeout=2.5)
    assert sim.now == pytest.approx(2.5)
    assert info.value.received == b"AT\r\r\nOK\r\n"
    assert info.value.timeout == 2.5


def test_command_timeout_when_no_final_code():
    sim, _, dte = make()
    with pytest.raises(ExpectTimeout):
        dte.command("AT+HANG", timeout=3)
    assert sim.now == pytest.approx(3.0)


def test_stale_ok_does_not_end_next_command():
    sim, _, dte = make()
    dte.write(b"AT\r")
    sim.advance(1.0)  # "OK" for AT sits unread
    r = dte.command("AT+CSQ")
    assert r.lines == ["AT", "OK", "+CSQ: 20,0"]  # earlier unread output shows, in order
    assert r.final == "OK"


def test_write_larger_than_port_space_is_fed_on_drain():
    _, port, dte = make()
    data = b"x" * 150
    assert dte.write(data) == 150
    assert port.written == b"x" * 64
    port.on_drain()
    port.on_drain()
    assert port.written == data


def test_dtr_signal():
    _, port, dte = make()
    dte.set_dtr(False)
    assert port.signals == {"dtr": False}
