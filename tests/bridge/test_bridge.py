"""The real-time bridge with real host programs: pyserial scripts and python-gsmmodem-new.

These tests run on the wall clock, so they assert exact bytes but time only with generous
margins (the +++ test measures the guard time itself).
"""

from __future__ import annotations

import os
import socket
import time

import pytest

import simnet
from tests.bridge.conftest import ECHO_SCENARIO, open_line


def open_tcp_echo(line) -> None:
    """The host-driver part shared by the pty and socket:// tests (SIM7600 manual flow)."""
    assert line.command(b"AT") == b"AT\r\r\nOK\r\n"
    assert (
        line.command(b'AT+CGDCONT=1,"IP","internet"') == b'AT+CGDCONT=1,"IP","internet"\r\r\nOK\r\n'
    )
    assert line.command(b"AT+NETOPEN", until=b"+NETOPEN: 0\r\n") == (
        b"AT+NETOPEN\r\r\nOK\r\n\r\n+NETOPEN: 0\r\n"
    )
    assert line.command(b'AT+CIPOPEN=0,"TCP","203.0.113.10",7', until=b"+CIPOPEN: 0,0\r\n") == (
        b'AT+CIPOPEN=0,"TCP","203.0.113.10",7\r\r\nOK\r\n\r\n+CIPOPEN: 0,0\r\n'
    )


def send_and_get_echo(line, payload: bytes) -> None:
    assert line.command(b"AT+CIPSEND=0,%d" % len(payload), until=b">") == (
        b"AT+CIPSEND=0,%d\r\r\n>" % len(payload)
    )
    line.port.write(payload)
    # The module echoes the typed bytes, confirms, then pushes what the peer sent back.
    assert line.read_until(b"+CIPSEND: 0,%d,%d\r\n" % (len(payload), len(payload))) == (
        payload + b"\r\nOK\r\n\r\n+CIPSEND: 0,%d,%d\r\n" % (len(payload), len(payload))
    )
    assert (
        line.read_until(payload)
        == b"\r\nRECV FROM:203.0.113.10:7\r\n+IPD%d\r\n" % len(payload) + payload
    )


def test_pyserial_driver_gets_tcp_echo_over_pty():
    with simnet.serve(ECHO_SCENARIO, pty=True) as path:
        assert os.path.exists(path) and path.startswith("/dev/")
        line = open_line(path)
        try:
            open_tcp_echo(line)
            send_and_get_echo(line, b"HELLO")
        finally:
            line.port.close()


def test_pyserial_driver_gets_tcp_echo_over_loopback_tcp_socket_url():
    with simnet.serve(ECHO_SCENARIO, tcp="127.0.0.1:0") as url:
        assert url.startswith("socket://127.0.0.1:")
        line = open_line(url)
        try:
            open_tcp_echo(line)
            send_and_get_echo(line, b"over socket://")
        finally:
            line.port.close()


def test_python_gsmmodem_initialises_over_pty():
    gsmmodem = pytest.importorskip("gsmmodem.modem")
    with simnet.serve(ECHO_SCENARIO, pty=True) as path:
        modem = gsmmodem.GsmModem(path, 115200)
        try:
            modem.connect()  # the library's whole start-up sequence, unmodified
            assert modem.manufacturer == "SIMCOM INCORPORATED"
            assert modem.model.startswith("SIMCOM_SIM7600")
            assert 0 <= modem.signalStrength <= 31
            assert modem.imei.isdigit() and len(modem.imei) == 15
        finally:
            modem.close()


def test_escape_with_one_second_guard_time_on_the_wall_clock():
    with simnet.serve(ECHO_SCENARIO, pty=True) as path:
        line = open_line(path)
        try:
            assert line.command(b"AT+CIPMODE=1") == b"AT+CIPMODE=1\r\r\nOK\r\n"
            line.command(b'AT+CGDCONT=1,"IP","internet"')
            line.command(b"AT+NETOPEN", until=b"+NETOPEN: 0\r\n")
            assert line.command(
                b'AT+CIPOPEN=0,"TCP","203.0.113.10",7', until=b"CONNECT 115200\r\n"
            ) == (b'AT+CIPOPEN=0,"TCP","203.0.113.10",7\r\r\nCONNECT 115200\r\n')
            # Transparent mode: the echo peer returns our bytes, nothing else on the line.
            line.port.write(b"ping")
            assert line.read_until(b"ping") == b"ping"
            # "+++" glued to data is data: the peer echoes it back, the module stays online.
            line.port.write(b"x+++")
            assert line.read_until(b"x+++") == b"x+++"
            # The real escape: 1 s of silence, +++, 1 s of silence, then OK.
            time.sleep(1.2)
            t_sent = time.monotonic()
            line.port.write(b"+++")
            assert line.read_until(b"OK\r\n", timeout=5) == b"\r\nOK\r\n"
            waited = time.monotonic() - t_sent
            assert 1.0 <= waited < 2.0, f"OK came {waited:.3f} s after +++ (guard time is 1 s)"
            # Command mode now: AT answers, then ATO returns to the link.
            assert line.command(b"AT") == b"AT\r\r\nOK\r\n"
            assert (
                line.command(b"ATO", until=b"CONNECT 115200\r\n") == b"ATO\r\r\nCONNECT 115200\r\n"
            )
            line.port.write(b"back")
            assert line.read_until(b"back") == b"back"
        finally:
            line.port.close()


def test_bad_clients_leave_the_bridge_serving_the_next_pty_client():
    with simnet.serve(ECHO_SCENARIO, pty=True) as path:
        # 1. Half a command, then the client vanishes.
        line = open_line(path)
        line.port.write(b"AT+CGDCO")
        line.port.close()
        # 2. Binary garbage, NULs and a lone +++.
        line = open_line(path)
        line.port.write(bytes(range(256)) * 4 + b"\x00" * 100 + b"+++")
        line.port.close()
        # 3. A flood without a CR for 2 s (paced at 115200 baud like a real port), then gone.
        line = open_line(path)
        line.port.write_timeout = 0.1
        end = time.monotonic() + 2.0
        while time.monotonic() < end:
            try:
                line.port.write(b"A" * 1024)
            except Exception:  # write timeout: the bridge applies back-pressure
                pass
        line.port.close()
        # The next client: a CR ends whatever was half-typed; wait for the echo to drain.
        line = open_line(path)
        try:
            line.port.write(b"\r")
            line.drain()
            assert line.command(b"AT", timeout=10) == b"AT\r\r\nOK\r\n"
        finally:
            line.port.close()


def test_bad_clients_leave_the_bridge_serving_the_next_tcp_client():
    with simnet.serve(ECHO_SCENARIO, tcp="127.0.0.1:0") as url:
        host, port = url.removeprefix("socket://").split(":")
        raw = socket.create_connection((host, int(port)))
        raw.sendall(b"AT+CIP" + os.urandom(5000))
        raw.close()  # disconnects mid-command
        time.sleep(0.3)
        line = open_line(url)
        try:
            line.port.write(b"\r")
            line.drain()
            assert line.command(b"AT", timeout=10) == b"AT\r\r\nOK\r\n"
        finally:
            line.port.close()
