"""UART bursts: what is queued crosses as one event and one trace record with every byte,
timed byte by byte; flow control and flushes act at FIFO-chunk boundaries; receivers can take
what has already arrived; and data through a module arrives exactly once."""

from __future__ import annotations

import hashlib

import pytest

import simnet
from simnet.kernel import Simulation
from simnet.modem.uart import CHUNK, Uart, UartConfig

BAUD = 115200
BT = 10 / BAUD  # 8N1


def line(**cfg):
    sim = Simulation(seed=1)
    uart = Uart(sim, UartConfig(baud=BAUD, **cfg))
    got: list[tuple[bytes, float]] = []
    uart.dte.on_receive = lambda data, t, bt: got.append((data, t))
    return sim, uart, got


def test_a_burst_is_one_delivery_at_its_last_byte_and_one_record():
    sim, uart, got = line()
    payload = bytes(range(256)) * 4
    uart.dce.write(payload)
    sim.advance(1.0)
    assert got == [(payload, pytest.approx(len(payload) * BT))]
    records = sim.trace.select(kind="dte<")
    assert len(records) == 1 and records[0].fields["data"] == payload


def test_cts_drop_mid_burst_lets_the_fifo_chunk_finish():
    sim, uart, got = line(rtscts=True)
    uart.dce.rtscts = True
    uart.dce.write(b"x" * 1000)
    sim.advance(100.5 * BT)  # byte 100 is on the wire: the FIFO chunk is bytes 64..127
    uart.dte.set_signal("rts", False)
    sim.advance(2000 * BT)
    assert [len(d) for d, _ in got] == [2 * CHUNK]
    assert got[0][1] == pytest.approx(2 * CHUNK * BT)
    assert uart.dce.pending == 1000 - 2 * CHUNK
    uart.dte.set_signal("rts", True)
    sim.advance(2000 * BT)
    assert b"".join(d for d, _ in got) == b"x" * 1000


def test_flush_discards_what_has_not_reached_the_fifo():
    sim, uart, got = line()
    uart.dce.write(b"y" * 1000)
    sim.advance(10.5 * BT)
    assert uart.dce.flush_output() == 1000 - CHUNK
    sim.advance(1.0)
    assert got == [(b"y" * CHUNK, pytest.approx(CHUNK * BT))]


def test_catch_up_hands_over_the_bytes_already_arrived():
    sim, uart, got = line()
    uart.dce.write(b"z" * 500)
    sim.advance(200.5 * BT)
    assert uart.dte.incoming() == 200
    assert uart.dte.catch_up() == 200
    assert got == [(b"z" * 200, pytest.approx(200.5 * BT))]
    sim.advance(1.0)
    assert [len(d) for d, _ in got] == [200, 300] and got[1][1] == pytest.approx(500 * BT)


def test_module_takes_a_command_line_in_fifo_chunks_with_echo_and_whole_without():
    sim = simnet.Simulation.from_dict({"name": "echo", "module": "simcom-sim7600"})
    line_ = "AT+CGDCONT=1,\"IP\",\"" + "a" * 150 + "\""
    sim.dte.command(line_)
    first = [r for r in sim.trace.select(kind="dte>")]
    n_bytes = len(line_) + 1  # 171 with the CR
    assert [len(r.fields["data"]) for r in first] == [64, 64, n_bytes - 128]
    sim.dte.command("ATE0")
    n = len(sim.trace.select(kind="dte>"))
    sim.dte.command(line_)
    assert [len(r.fields["data"]) for r in sim.trace.select(kind="dte>")[n:]] == [len(line_) + 1]


@pytest.mark.parametrize("module, open_cmds", [
    ("simcom-sim7600", ["AT+CIPMODE=1", "AT+NETOPEN", 'AT+CIPOPEN=0,"TCP","203.0.113.80",9000']),
    ("fibocom-l610", ['AT+MIPCALL=1,"internet"', 'AT+MIPODM=1,,"203.0.113.80",9000,0']),
])
def test_transparent_upload_arrives_exactly_once(module, open_cmds):
    """A link that asks for more input from inside on_dte_data once got the same bytes twice
    (a 100 KB upload delivered 182 KB); with whole bursts that showed at once."""
    sim = simnet.Simulation.from_dict(
        {
            "name": "up",
            "module": module,
            "uart": {"baud": 921600},
            "network": {
                "registration": {"state": "home", "after": "0s"},
                "link": {"delay": "50ms", "rate": "2Mbps"},
            },
            "hosts": {
                "srv.example.net": {
                    "ip": "203.0.113.80",
                    "services": [{"type": "tcp-sink", "port": 9000}],
                }
            },
        }
    )
    dte = sim.dte
    assert dte.command("AT+IFC=2,2").ok
    dte.rtscts = True
    for cmd in open_cmds:
        dte.write(cmd + "\r")
        dte.wait(3)
    assert dte.dcd, dte.read_available()
    payload = hashlib.sha256(b"seed").digest() * 2048  # 64 KiB
    dte.write(payload)
    dte.wait(20)
    assert sim.host("srv.example.net").bytes_received(service="tcp-sink") == len(payload)
    assert not [r for r in sim.trace.records if r.kind in ("rx_overflow", "handler_error")]
