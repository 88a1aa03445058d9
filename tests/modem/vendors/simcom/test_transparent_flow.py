"""Transparent mode (AT+CIPMODE=1) holds a download in the TCP stack when the host cannot keep
up: the module takes bytes from its socket only while its link buffer has room, so the window
advertised to the server closes instead of the module queueing the whole download."""

from __future__ import annotations

import re

import pytest

from simnet.modem.buffers import ByteFifo
from tests.dte_helpers import exchange, wait_for
from tests.modem.vendors.simcom import harness as sh

SIZE = 1_000_000
BAUD = 115_200
HOST = "files.example.net"
MODULE_BUFFER = 65536  # docs/assumptions.md: the link's module receive buffer (RX_BUFFER_BYTES)
RTS_LOW = (20.0, 50.0)  # s after CONNECT: the host holds RTS low (AT+IFC=2,2)
WINDOW = re.compile(r"win=(\d+) ")
FLAGS = re.compile(r"\[(\w*)\]")


class WatchedFifo(ByteFifo):
    """The module's transparent buffer, remembering the most it ever held."""

    __slots__ = ("most",)

    def __init__(self) -> None:
        super().__init__()
        self.most = 0

    def append(self, chunk: bytes) -> None:
        super().append(chunk)
        self.most = max(self.most, len(self))


def open_transparent(sim, target: str) -> WatchedFifo:
    """With RTS/CTS flow control (AT+IFC=2,2) and AT+CIPMODE=1, open link 0 to ``target``
    (AT+CIPOPEN's fields after the link number) into data mode; the module's buffer, watched."""
    sim.advance(3)
    exchange(sim, b"AT+IFC=2,2\r\n", b"AT+IFC=2,2\r\r\nOK\r\n")
    sim.dte.rtscts = True
    exchange(sim, b"AT+CIPMODE=1\r\n", b"AT+CIPMODE=1\r\r\nOK\r\n")
    sh.netopen(sim)
    line = f"AT+CIPOPEN=0,{target}".encode()
    connect = line + b"\r\r\nCONNECT 115200\r\n"
    assert exchange(sim, line + b"\r\n", connect, 30) == connect
    link = sim.module.dialect.links[0].data_link
    assert link.rx_capacity == MODULE_BUFFER
    fifo = link._pending_in = WatchedFifo()
    return fifo


def download(module: str, *, rts_low: bool):
    hosts = {
        HOST: {
            "ip": sh.SERVER_IP,
            "services": [
                {
                    "type": "tcp-source",
                    "port": 19,
                    "content": "random",
                    "bytes": SIZE,
                    "close": True,
                }
            ],
        }
    }
    sim = sh.world(module, hosts=hosts, baud=BAUD, network={"profile": "lte_like"})
    streams = sim.world.hosts[HOST].services[0][1].record_streams()
    fifo = open_transparent(sim, f'"TCP","{sh.SERVER_IP}",19')
    t_connect = sim.now
    if rts_low:
        sim.call_at(t_connect + RTS_LOW[0], setattr, sim.dte, "rts", False)
        sim.call_at(t_connect + RTS_LOW[1], setattr, sim.dte, "rts", True)
    got = wait_for(sim, b"\r\nCLOSED\r\n", 600)
    return sim, streams, fifo, got, t_connect


def segments_at_server(sim, after: float) -> list[tuple[float, str]]:
    """(time, segment) of everything the server received from the module after ``after``."""
    at_server = f"{HOST.replace('.', '_')}.downlink"  # the server host's link, as traced
    dst = f"> {sh.SERVER_IP}:19 "
    return [
        (r.t, str(r.fields["pkt"]))
        for r in sim.trace.records
        if r.kind == "pkt"
        and r.source == at_server
        and r.fields["ev"] == "rx"
        and dst in str(r.fields["pkt"])
        and r.t > after
    ]


def windows_at_server(sim, after: float) -> list[tuple[float, int]]:
    return [(t, int(WINDOW.search(pkt).group(1))) for t, pkt in segments_at_server(sim, after)]


@pytest.mark.parametrize("module", ["simcom-sim7600", "simcom-a7670"])
def test_rts_held_low_closes_the_window_and_loses_nothing(module: str) -> None:
    sim, streams, fifo, got, t_connect = download(module, rts_low=True)
    # every byte the server's application wrote, in order, exactly once, then CLOSED
    assert got.endswith(b"\r\nCLOSED\r\n")
    assert streams[0].tx_total == SIZE
    assert got[: -len(b"\r\nCLOSED\r\n")] == bytes(streams[0].tx)
    # the module held at most its buffer; the rest stayed in the TCP stack
    assert 0 < fifo.most <= MODULE_BUFFER
    # with RTS low the module reads nothing: the window it advertises reaches 0, the server
    # probes it, and it opens again once the host takes data
    low = [
        w
        for t, w in windows_at_server(sim, t_connect)
        if t_connect + RTS_LOW[0] < t < t_connect + RTS_LOW[1]
    ]
    assert 0 in low
    later = [w for t, w in windows_at_server(sim, t_connect + RTS_LOW[1])]
    assert max(later) > 0
    assert not sim.trace.select(kind="overflow")
    # the server's FIN waited for the socket to drain: a FIN back, never a RST (unread data)
    flags = [FLAGS.search(pkt).group(1) for _, pkt in segments_at_server(sim, t_connect)]
    assert any("F" in f for f in flags) and not any("R" in f for f in flags)
    # the line was idle while RTS was low: the download takes at least its bytes at the baud
    # rate (10 bits a byte) plus that pause
    assert sim.now - t_connect >= SIZE * 10 / BAUD + (RTS_LOW[1] - RTS_LOW[0])


def test_slow_uart_keeps_the_module_buffer_bounded() -> None:
    # no RTS pause: the radio (lte_like) outruns the 115200 bit/s UART for the whole 1 MB
    sim, streams, fifo, got, t_connect = download("simcom-sim7600", rts_low=False)
    assert got[: -len(b"\r\nCLOSED\r\n")] == bytes(streams[0].tx)
    assert len(got) == SIZE + len(b"\r\nCLOSED\r\n")
    assert 0 < fifo.most <= MODULE_BUFFER
    # the window shrinks from the socket's 65535 bytes: the TCP stack holds the excess
    assert min(w for _, w in windows_at_server(sim, t_connect)) < 65535 - MODULE_BUFFER // 2


def test_udp_datagrams_beyond_the_module_buffer_are_dropped_and_traced() -> None:
    # UDP has no window: with RTS low, echoed datagrams fill the module buffer, later ones are
    # dropped - traced, so every byte the host sent either comes back or is accounted for
    sim = sh.world("simcom-sim7600", hosts=sh.echo_hosts(), baud=BAUD)
    fifo = open_transparent(sim, f'"UDP","{sh.SERVER_IP}",100,5000')
    sim.dte.rts = False
    sent = bytes(i % 251 for i in range(100 * 1460))  # 100 datagrams of 1460 bytes (packing)
    sim.dte.write(sent)
    sim.advance(30)  # 146,000 bytes up at 115200 bit/s: about 13 s
    sim.dte.rts = True
    sim.advance(30)
    got = sim.dte.read_available()
    dropped = sim.trace.select(kind="udp_dropped")
    assert dropped and all(r.fields["reason"] == "buffer_full" for r in dropped)
    assert fifo.most <= MODULE_BUFFER
    assert got == sent[: len(got)]  # nothing dropped before the buffer filled: a prefix
    assert len(got) + sum(r.fields["size"] for r in dropped) == len(sent)
