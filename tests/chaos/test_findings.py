"""Model bugs the first chaos campaigns found, each pinned by the exact bytes it now produces
(docs/chaos.md, "What chaos found"). The TCP ones are in tests/net/test_tcp.py
(test_data_after_close_is_answered_with_rst,
test_rst_in_last_ack_with_unacknowledged_data_is_a_reset)."""

from __future__ import annotations

from typing import Any

import simnet
from simnet.modem.socketdata import SocketData
from simnet.modem.urc import UrcFramer

WORLD: dict[str, Any] = {
    "name": "one echo server",
    "module": "simcom-sim7600",
    "network": {"apn": {"name": "internet"}, "link": {"delay": "100ms"}},
    "hosts": {
        "echo.example.net": {"ip": "203.0.113.10", "services": [{"type": "tcp-echo", "port": 7}]}
    },
}


def _open_and_send(sim: Any) -> None:
    dte = sim.dte
    dte.command('AT+CGDCONT=1,"IP","internet"')
    dte.command("AT+NETOPEN")
    dte.expect(r"\+NETOPEN: 0", 30)
    dte.command('AT+CIPOPEN=0,"TCP","203.0.113.10",7')
    dte.expect(r"\+CIPOPEN: 0,0", 30)
    assert dte.command("AT+CIPSEND=0,5").final == ">"
    dte.write(b"HELLO")
    dte.expect(r"\+CIPSEND: 0,5,5", 10)


def test_simcom_close_reports_failure_when_the_connection_dies_while_closing() -> None:
    # S76 L1104: "<err> 0 is success, other value is failure". The FIN (and HELLO) never get
    # through: the close ends when the retransmissions are spent - a failure (A76 4.1: 10).
    sim = simnet.Simulation.from_dict(WORLD)
    _open_and_send(sim)
    sim.network.link("module").uplink.set_outage(None)
    assert sim.dte.command("AT+CIPCLOSE=0").raw == b"AT+CIPCLOSE=0\r\r\nOK\r\n"
    m = sim.dte.expect(r"\r\n\+CIPCLOSE: 0,\d+\r\n", 3000)
    assert m.group(0) == "\r\n+CIPCLOSE: 0,10\r\n"


def test_simcom_close_after_every_byte_arrived_is_a_success() -> None:
    sim = simnet.Simulation.from_dict(WORLD)
    _open_and_send(sim)
    sim.dte.expect(r"\+IPD5\r\nHELLO", 10)
    sim.dte.command("AT+CIPCLOSE=0")
    assert sim.dte.expect(r"\r\n\+CIPCLOSE: 0,\d+\r\n", 30).group(0) == "\r\n+CIPCLOSE: 0,0\r\n"


def test_a_2048_byte_l610_receive_reaches_the_host() -> None:
    # L610 §1.1.5.4: <size> up to 2048 (the default), sent as 4096 hex digits in one +MIPRTCP
    # line; the host-side framer dropped such a line as "too long to be a URC".
    data = bytes((i * 7) % 256 for i in range(2048))
    line = b"\r\n+MIPRTCP: 1,1952," + data.hex().upper().encode() + b"\r\n"
    framer = UrcFramer("fibocom")
    [urc] = framer.feed(line, 0, 1.0)
    sd = SocketData(dte=None)
    sd.on_urc(urc)
    assert sd.received(1) == data


def test_edsoft_driver_takes_no_echo_of_its_own_input_after_a_silent_reset() -> None:
    # Found by chaos (scenarios/chaos/edsoft-tcp-echo.yaml): a module reset ends an eDsoft data
    # session without its ETX (§5.1.1) and without a word; DCD drops (AT&C1). A driver that
    # keeps writing types into command mode, and the module (ATE1) echoes the record back -
    # which the echo test took for the server's echo. The driver now stops at the DCD drop and
    # keeps bytes read after it unless the session's own ETX follows.
    import pytest

    from simnet.chaos import hosts

    world = {
        "name": "eDsoft echo, module reset at 60 s",
        "module": "wavecom-edsoft",
        "network": {"registration": {"state": "home", "after": "2s"}, "apn": {"name": "internet"}},
        "hosts": WORLD["hosts"],
        "faults": [{"at": "60s", "action": "reset"}],
    }
    sim = simnet.Simulation.from_dict(world)
    sock = hosts.driver(sim)
    assert isinstance(sock, hosts.EdsoftSockets)
    sock.up()
    sock.open(1, "203.0.113.10", 7)
    sock.send(1, b"A\x03B\x10C")  # DLE-escaped on the line, one byte each on the wire
    assert sock.wait_bytes(1, 5, 30) == b"A\x03B\x10C"
    assert sock.take(1) == b"A\x03B\x10C"
    assert sim.dte.dcd
    sim.advance(60.5 - sim.now)
    assert not sim.dte.dcd  # the session is gone, the module said nothing
    with pytest.raises(hosts.Gone):
        sock.send(1, b"record")
    sim.dte.write(b"record")  # what a careless driver would still write...
    sim.advance(0.5)
    assert sim.dte.read_available().endswith(b"record")  # ...comes back as the echo of input
    sim.dte.write(b"record")
    with pytest.raises(hosts.Gone):
        sock.wait_bytes(1, 6, 10)
    assert sock.received(1) == b""
