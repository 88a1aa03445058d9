"""§6.2 AT+WIPDATA: continuous mode, [ETX]/[DLE] framing both ways (exact bytes), TCP half
close, UDP datagram boundaries and the 5840-byte limit, +++ with guard time, leaving data mode
from another port, data held (flow-controlled) while not read, ATO after +++ (§6.2.7); and a
hypothesis fuzz of the escaping."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from simnet.modem import DTE
from simnet.modem.vendors.wavecom.common import FramedInput, escape
from tests.modem.vendors.wavecom.wipsoft.harness import (
    ECHO_IP,
    cme_after,
    exchange,
    gprs,
    hosts,
    ok,
    tcp,
    udp,
    wait_for,
    world,
)

ETX, DLE = b"\x03", b"\x10"
CONNECT = b"\r\nCONNECT\r\n"


def connect(sim: Any, line: str) -> None:
    want = line.encode() + b"\r" + CONNECT
    assert exchange(sim, line, want) == want


def escape_out(sim: Any) -> bytes:
    """+++ with a second of silence before and after (§6.2.1.3); returns what came."""
    sim.advance(1.1)
    sim.dte.write(b"+++")
    sim.advance(1.1)
    return sim.dte.read_available()


def test_tcp_framing_both_ways_exact_bytes() -> None:
    sim = world()
    gprs(sim)
    tcp(sim)
    connect(sim, "AT+WIPDATA=2,1,1")
    payload = b"a\x03b\x10c\x03\x03d"
    sim.dte.write(escape(payload))  # [DLE] before [ETX] and [DLE]
    assert escape(payload) == b"a\x10\x03b\x10\x10c\x10\x03\x10\x03d"
    # the echo peer got the payload itself, and the module escapes it the same way back
    assert wait_for(sim, escape(payload), 10) == escape(payload)
    assert sim.host("echo.example.net").bytes_received(service="tcp-echo") == len(payload)
    assert escape_out(sim) == b"\r\nOK\r\n"


def test_host_etx_shuts_tcp_down_and_the_rest_of_the_line_is_a_command() -> None:
    sim = world()
    gprs(sim)
    tcp(sim)
    connect(sim, "AT+WIPDATA=2,1,1")
    # §6.2.1.1: an unescaped [ETX] shuts the socket down; the UART is in AT mode again
    got = exchange(sim, b"abc\x03AT\r", b"\r\nOK\r\nAT\r\r\nOK\r\n")
    assert got == b"\r\nOK\r\nAT\r\r\nOK\r\n"
    # the echo peer answers the half close with its data and its own FIN
    want = b"\r\n+WIPDATA: 2,1,3\r\n\r\n+WIPPEERCLOSE: 2,1\r\n"
    assert wait_for(sim, want, 10) == want


def test_peer_close_in_continuous_mode_is_an_etx() -> None:
    extra = {
        "source.example.net": {
            "ip": "93.184.216.50",
            "services": [
                {
                    "type": "tcp-source",
                    "port": 19,
                    "content": "pattern",
                    "pattern": "0123456789",
                    "bytes": 10,
                }
            ],
        }
    }
    sim = world(hosts_=hosts(**extra))
    gprs(sim)
    tcp(sim, host="source.example.net", port=19)
    sim.advance(5)
    # the data and the close came while the socket was not mapped
    assert sim.dte.read_available() == b"\r\n+WIPDATA: 2,1,10\r\n\r\n+WIPPEERCLOSE: 2,1\r\n"
    connect(sim, "AT+WIPDATA=2,1,1")
    assert wait_for(sim, b"0123456789\x03", 5) == b"0123456789\x03"
    # the host shuts its side too: back in AT mode, then +WIPCLOSE
    assert exchange(sim, b"\x03", b"\r\nOK\r\n") == b"\r\nOK\r\n"
    ok(sim, "AT+WIPCLOSE=2,1")
    assert wait_for(sim, b"\r\n+WIPPEERCLOSE: 2,1\r\n", 10) == b"\r\n+WIPPEERCLOSE: 2,1\r\n"


def test_peer_close_while_mapped_gives_etx_then_plus_plus_plus_and_close() -> None:
    faults = [
        {
            "at": "8s",
            "action": "peer-connect",
            "host": "peer.example.net",
            "port": 80,
            "send": "bye",
            "close_after": 0,
        }
    ]
    sim = world(faults=faults)
    gprs(sim)
    ok(sim, "AT+WIPCREATE=3,1,80,1,1")
    connect_after = b"\r\n+WIPACCEPT: 1,1\r\n"
    assert wait_for(sim, connect_after, 20).endswith(connect_after)
    sim.dte.read_available()
    connect(sim, "AT+WIPDATA=2,1,1")
    assert wait_for(sim, b"bye\x03", 10) == b"bye\x03"
    assert escape_out(sim) == b"\r\nOK\r\n"
    ok(sim, "AT+WIPCLOSE=2,1")
    assert wait_for(sim, b"\r\n+WIPPEERCLOSE: 2,1\r\n", 10) == b"\r\n+WIPPEERCLOSE: 2,1\r\n"


def test_udp_datagram_boundaries_both_ways() -> None:
    sim = world()
    gprs(sim)
    udp(sim, 'AT+WIPCREATE=1,1,80,"echo.example.net",7', 1)
    connect(sim, "AT+WIPDATA=1,1,1")
    # §6.2.6 third example: data, [ETX], OK - the datagram is sent, the UART is in AT mode
    assert exchange(sim, b"one\x10\x03\x03", b"\r\nOK\r\n") == b"\r\nOK\r\n"
    connect(sim, "AT+WIPDATA=1,1,1")
    assert exchange(sim, b"two\x03", b"\r\nOK\r\n") == b"\r\nOK\r\n"
    urc = f"\r\n+WIPDATA: 1,1,4,{ECHO_IP},7\r\n".encode()  # the first echoed datagram, 4 bytes
    assert wait_for(sim, urc, 10) == urc
    sim.advance(2)
    connect(sim, "AT+WIPDATA=1,1,1")
    # each datagram read ends with an unescaped [ETX] (§6.2.1.2)
    want = b"one\x10\x03\x03two\x03"
    assert wait_for(sim, want, 5) == want
    assert escape_out(sim) == b"\r\nOK\r\n"


def test_udp_5840_byte_limit_and_flush_on_escape() -> None:
    sim = world(network={"link": {"mtu": 9000}})  # a path that carries 5840-byte datagrams
    gprs(sim)
    udp(sim, 'AT+WIPCREATE=1,1,80,"echo.example.net",9', 1)
    connect(sim, "AT+WIPDATA=1,1,1")
    sim.dte.write(b"x" * (5840 + 100))
    sim.advance(2)
    host = sim.module.host
    sizes = [
        len(p.payload)
        for _t, p in sim.network.pcap.packets(host.name)
        if p.src == host.ip and p.proto == 17 and p.dport == 9
    ]
    assert sizes == [5840]  # §6.2.1.2 footnote: a full datagram goes at once
    assert escape_out(sim) == b"\r\nOK\r\n"
    sizes = [
        len(p.payload)
        for _t, p in sim.network.pcap.packets(host.name)
        if p.src == host.ip and p.proto == 17 and p.dport == 9
    ]
    assert sizes == [5840, 100]  # leaving data mode sends the rest as one datagram


def test_plus_plus_plus_needs_its_guard_time() -> None:
    sim = world()
    gprs(sim)
    tcp(sim)
    connect(sim, "AT+WIPDATA=2,1,1")
    sim.dte.write(b"x+++y")  # no silence around: data
    assert wait_for(sim, b"x+++y", 10) == b"x+++y"
    sim.dte.write(b"z")
    sim.advance(0.5)
    sim.dte.write(b"+++")  # only half a second of silence before
    sim.advance(2.5)
    assert sim.dte.read_available() == b"z+++"  # echoed: it was data
    assert escape_out(sim) == b"\r\nOK\r\n"


def test_leaving_data_mode_from_another_uart_and_single_mapping() -> None:
    sim = world()
    gprs(sim)
    tcp(sim)
    connect(sim, "AT+WIPDATA=2,1,1")
    uart2 = DTE(sim, sim.module.open_uart("uart2"))
    assert uart2.command("AT+CMEE=1").final == "OK"
    assert uart2.command("AT+WIPDATA=2,1,1").final == "+CME ERROR: 851"  # §3: one UART per socket
    assert uart2.command("AT+WIPDATA=2,1,0").final == "OK"  # §6.2.1.3
    assert wait_for(sim, b"\r\nOK\r\n", 5) == b"\r\nOK\r\n"
    ok(sim, "AT")  # UART1 is in AT mode
    assert uart2.command("AT+WIPDATA=2,1,0").final == "+CME ERROR: 851"  # not mapped any more
    r = uart2.command("AT+WIPDATA=2,1,1")
    assert r.final == "CONNECT"
    uart2.write(b"via uart2")
    assert uart2.expect("via uart2", 10)


def test_data_waits_in_the_socket_while_not_read() -> None:
    sim = world()
    gprs(sim)
    tcp(sim, host="echo.example.net", port=19)  # a TCP source of 200 000 bytes
    sim.advance(60)
    got = sim.dte.read_available()
    assert got.startswith(b"\r\n+WIPDATA: 2,1,") and got.count(b"+WIPDATA") == 1  # announced once
    sock = sim.module.host.tcp.sockets[0]
    held = sock.readable
    assert held == sock.connection.cfg.recv_buffer  # the window is shut on the source
    sim.advance(30)
    assert sock.readable == held and sock.bytes_received == held  # nothing more came
    connect(sim, "AT+WIPDATA=2,1,1")
    sim.advance(30)
    assert sock.bytes_received > held  # reading opened the window again
    assert escape_out(sim).endswith(b"\r\nOK\r\n")


def test_ato_after_plus_plus_plus_on_gprs_is_cme_3() -> None:
    sim = world()
    gprs(sim)
    tcp(sim)
    connect(sim, "AT+WIPDATA=2,1,1")
    assert escape_out(sim) == b"\r\nOK\r\n"
    assert exchange(sim, "ATO", cme_after("ATO", 3)) == cme_after("ATO", 3)  # §6.2.7
    connect(sim, "AT+WIPDATA=2,1,1")  # the way back
    assert escape_out(sim) == b"\r\nOK\r\n"


def test_wipdata_errors() -> None:
    sim = world()
    gprs(sim)
    for line, code in (
        ("AT+WIPDATA=2,1,1", 830),
        ("AT+WIPDATA=3,1,1", 837),
        ("AT+WIPDATA=2,1,2", 801),
    ):
        assert exchange(sim, line, cme_after(line, code)) == cme_after(line, code)
    ok(sim, 'AT+WIPCREATE=2,1,"echo.example.net",7')
    line = "AT+WIPDATA=2,1,1"  # not connected yet: §6.2.5 851
    assert exchange(sim, line, cme_after(line, 851)) == cme_after(line, 851)
    ok(sim, "AT+WIPDATA=?")


# -- fuzz: no byte lost, duplicated or left unescaped -------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=300),
    st.lists(st.integers(1, 40), max_size=30),
    st.lists(st.integers(1, 50), max_size=30),
)
def test_escaping_round_trips_under_any_chunking_and_budget(
    payload: bytes, cuts: list[int], budgets: list[int]
) -> None:
    wire = escape(payload)
    # what the module writes: every [ETX] and [DLE] escaped, nothing else added
    assert len(wire) == len(payload) + payload.count(3) + payload.count(16)
    i = 0
    while i < len(wire):
        assert wire[i] not in (3,) or wire[i - 1] == 16
        i += 2 if wire[i] == 16 else 1
    stream = wire + b"\x03tail"
    decoder, out, pos, k = FramedInput(), bytearray(), 0, 0
    ended = False
    while not ended:
        size = cuts[k % len(cuts)] if cuts else len(stream)
        budget = budgets[k % len(budgets)] if budgets else 1 << 30
        k += 1
        chunk = stream[pos : pos + size]
        data, used, ended = decoder.decode(chunk, budget)
        assert len(data) <= budget and used <= len(chunk)
        out += data
        pos += used
        assert pos <= len(stream)
    assert bytes(out) == payload
    assert stream[pos:] == b"tail"  # nothing past the end was taken


@settings(max_examples=12, deadline=None)
@given(st.binary(min_size=1, max_size=600), st.lists(st.integers(1, 200), min_size=1, max_size=8))
def test_continuous_mode_through_the_module_keeps_every_byte(
    payload: bytes, cuts: list[int]
) -> None:
    sim = world()
    gprs(sim)
    tcp(sim)
    connect(sim, "AT+WIPDATA=2,1,1")
    wire, pos, k = escape(payload), 0, 0
    while pos < len(wire):
        n = cuts[k % len(cuts)]
        sim.dte.write(wire[pos : pos + n])
        sim.advance(0.05)
        pos, k = pos + n, k + 1
    echoed = escape(payload)
    got = wait_for(sim, echoed, 30)
    assert got == echoed
    assert sim.host("echo.example.net").bytes_received(service="tcp-echo") == len(payload)


def test_socket_data_helper_reads_the_wipsoft_format() -> None:
    sim = world(network={"link": {"delay": "2s", "jitter": 0}})  # echoes come back unmapped
    gprs(sim)
    tcp(sim)
    udp(sim, 'AT+WIPCREATE=1,1,80,"echo.example.net",7', 1)
    connect(sim, "AT+WIPDATA=2,1,1")
    sim.dte.write(escape(b"tcp \x03 payload"))
    assert escape_out(sim) == b"\r\nOK\r\n"
    connect(sim, "AT+WIPDATA=1,1,1")
    assert exchange(sim, b"dgram\x10\x10\x03", b"\r\nOK\r\n") == b"\r\nOK\r\n"
    sim.advance(6)
    assert sim.dte.read_available() == (b"\r\n+WIPDATA: 2,1,13\r\n"
                                        b"\r\n+WIPDATA: 1,1,6,93.184.216.34,7\r\n")
    data = sim.dte.socket_data
    assert data.pending["tcp:1"] > 0 and data.pending["udp:1"] == 6
    assert data.fetch("tcp:1") == b"tcp \x03 payload"
    assert data.fetch("udp:1") == b"dgram\x10"
    assert data.chunks[-1].remote == (ECHO_IP, 7)


def test_a_host_ending_lines_with_cr_lf() -> None:
    """Drivers end command lines with CR LF: the LF is not the mapped socket's first byte, and
    the LF after a line that follows an [ETX] is no command either."""
    sim = world()
    gprs(sim)
    tcp(sim)
    want = b"AT+WIPDATA=2,1,1\r\r\nCONNECT\r\n"
    assert exchange(sim, b"AT+WIPDATA=2,1,1\r\n", want) == want
    assert exchange(sim, b"abc", b"abc") == b"abc"  # the echo peer returns exactly what was sent
    assert sim.host("echo.example.net").bytes_received(service="tcp-echo") == 3
    got = exchange(sim, b"\x03AT+WIPCLOSE=2,1\r\n", b"\r\nOK\r\nAT+WIPCLOSE=2,1\r\r\nOK\r\n")
    assert got == b"\r\nOK\r\nAT+WIPCLOSE=2,1\r\r\nOK\r\n"
