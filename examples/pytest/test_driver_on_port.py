"""simnet_port: the scenario's module on a pseudo-terminal (or a loopback TCP port) for a real
driver, here python-gsmmodem-new and pyserial from PyPI; the clock follows the wall clock."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.simnet("scenarios/tracker.yaml")


def test_python_gsmmodem_starts_up_and_reads_the_signal(simnet_port):
    gsmmodem = pytest.importorskip("gsmmodem.modem")
    modem = gsmmodem.GsmModem(simnet_port, 115200)  # the pty path, as for a USB modem
    try:
        modem.connect()  # the library's whole start-up sequence
        assert modem.manufacturer == "SIMCOM INCORPORATED"  # SIM7600 AT+CGMI
        assert modem.signalStrength == 17  # tracker.yaml network.signal.rssi
    finally:
        modem.close()


@pytest.mark.simnet("scenarios/tracker.yaml", port="tcp")
def test_pyserial_over_a_loopback_tcp_port(simnet_port):
    serial = pytest.importorskip("serial")
    assert simnet_port.startswith("socket://127.0.0.1:")
    with serial.serial_for_url(simnet_port, timeout=0.05) as line:
        line.write(b"ATE0\r")
        line.write(b"AT+CSQ\r")
        received, end = b"", time.monotonic() + 5
        while not received.endswith(b"+CSQ: 17,0\r\n\r\nOK\r\n") and time.monotonic() < end:
            received += line.read(256)
    assert (
        received == b"ATE0\r\r\nOK\r\n\r\n+CSQ: 17,0\r\n\r\nOK\r\n"
    )  # ATE0 is echoed, then no echo
    assert simnet_port.sim.now > 0  # the served simulation, for inspection
