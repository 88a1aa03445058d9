"""TCP sockets of the +MIP family against the TCP model: exact UART bytes, and failure times
computed from the +MIPCONF / +MIPKEEPCONF values (RFC 6298 back-off, RFC 9293 keepalive).
"""

from __future__ import annotations

import re

import pytest

from tests.modem.vendors.fibocom.harness import (
    cmee1,
    exchange,
    mipcall,
    ok_after,
    result_times,
    tx_times,
    wait_for,
    world,
)

ECHO = "203.0.113.10"


def tcp_world(**kw):
    kw.setdefault("network", {"link": {"delay": "100ms", "jitter": 0}})
    sim = world(**kw)
    cmee1(sim)
    mipcall(sim)
    return sim


def urc_times(sim, text: str) -> list[float]:
    return [r.t for r in sim.trace.records if r.kind == "urc" and r.fields.get("text") == text]


def open_tcp(sim, sid: int = 1, ip: str = ECHO, port: int = 7) -> None:
    line = f'AT+MIPOPEN={sid},,"{ip}",{port},0'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    urc = f"\r\n+MIPOPEN: {sid},1\r\n".encode()
    assert wait_for(sim, urc, 30) == urc


def send_hex(sim, sid: int, data: bytes, free: int, status: int = 0) -> None:
    line = f'AT+MIPSEND={sid},"{data.hex().upper()}"'
    expected = ok_after(line, f"+MIPSEND: {sid},{status},{free}")
    assert exchange(sim, line, expected) == expected


def push(sim, sid: int, total: int) -> None:
    line = f"AT+MIPPUSH={sid}"
    assert exchange(sim, line, ok_after(line, f"+MIPPUSH: {sid},0,{total}")) == ok_after(
        line, f"+MIPPUSH: {sid},0,{total}")


def test_tcp_echo_exact_bytes_and_graceful_close() -> None:
    sim = tcp_world()
    open_tcp(sim)
    payload = b"Hello\x00\xfe"
    send_hex(sim, 1, payload, 2048 - len(payload))
    push(sim, 1, len(payload))
    expected = f"\r\n+MIPRTCP: 1,0,{payload.hex().upper()}\r\n".encode()
    assert expected == b"\r\n+MIPRTCP: 1,0,48656C6C6F00FE\r\n"
    assert wait_for(sim, expected) == expected
    line = "AT+MIPCLOSE=1"
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    # mode 0 (default): reported once our FIN is acknowledged, close type 0
    assert wait_for(sim, b"\r\n+MIPCLOSE: 1,0\r\n") == b"\r\n+MIPCLOSE: 1,0\r\n"


def test_received_data_split_by_dsets_with_left() -> None:
    sim = tcp_world()
    open_tcp(sim)
    line = "AT+MIPDSETS=1,3"
    assert exchange(sim, line, ok_after(line, "+MIPDSETS: 0")) == ok_after(line, "+MIPDSETS: 0")
    send_hex(sim, 1, b"abcdefg", 2041)
    push(sim, 1, 7)
    # the echo arrives as one segment: 3 (4 left), 3 (1 left), 1 (0 left)
    expected = (b"\r\n+MIPRTCP: 1,4,616263\r\n\r\n+MIPRTCP: 1,1,646566\r\n"
                b"\r\n+MIPRTCP: 1,0,67\r\n")
    assert wait_for(sim, expected) == expected


def test_raw_send_prints_mippush_line_for_tcp() -> None:
    sim = tcp_world()
    open_tcp(sim)
    assert exchange(sim, "AT+MIPSEND=1", b"AT+MIPSEND=1\r>\r\n") == b"AT+MIPSEND=1\r>\r\n"
    expected = b"\r\nOK\r\n+MIPPUSH: 1,0\r\n+MIPSEND: 1,0,2048\r\n\r\nOK\r\n"  # §1.2.1.2 (TCP)
    assert exchange(sim, b"ping\x1a", expected) == expected
    assert wait_for(sim, b"\r\n+MIPRTCP: 1,0,70696E67\r\n") == b"\r\n+MIPRTCP: 1,0,70696E67\r\n"


def test_close_modes_with_acknowledged_byte_count() -> None:
    sim = tcp_world()
    line = "AT+MIPCONF=1,5,5,600,75,1"  # NACK indication: acknowledged bytes are reported
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    open_tcp(sim)
    send_hex(sim, 1, b"12345", 2043)
    push(sim, 1, 5)
    wait_for(sim, b"\r\n+MIPRTCP: 1,0,3132333435\r\n")
    line = "AT+MIPCLOSE=1,1"  # mode 1: do not wait for the FIN response
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    t_ok = result_times(sim)[-1]
    assert wait_for(sim, b"\r\n+MIPCLOSE: 1,5,0\r\n") == b"\r\n+MIPCLOSE: 1,5,0\r\n"
    assert urc_times(sim, "+MIPCLOSE: 1,5,0") == [t_ok]
    # mode 2: wait 2 MSL; <max_close_delay> 75 * 100 ms is the TIME-WAIT (docs/assumptions.md)
    line = "AT+MIPCONF=2,5,5,600,75,2"
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    open_tcp(sim, 2)
    line = "AT+MIPCLOSE=2,2"
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MIPCLOSE: 2,0,0\r\n", 20) == b"\r\n+MIPCLOSE: 2,0,0\r\n"
    # TIME-WAIT starts when the peer's FIN arrives (last segment on the downlink before it)
    t_urc = urc_times(sim, "+MIPCLOSE: 2,0,0")[0]
    t_fin = max(r.t for r in sim.trace.records
                if r.kind == "pkt" and r.source == f"{sim.module.host.name}.downlink"
                and r.fields.get("ev") == "rx" and r.t < t_urc
                and "F" in str(r.fields.get("pkt", "")).partition("[")[2].partition("]")[0])
    assert urc_times(sim, "+MIPCLOSE: 2,0,0")[0] == pytest.approx(t_fin + 7.5, abs=1e-6)


def test_close_delay_expires_when_the_peer_is_unreachable() -> None:
    sim = tcp_world(faults=[{"at": 10, "action": "link-outage", "duration": 100}])
    line = "AT+MIPCONF=1,5,5,600,20"  # max_close_delay 20 * 100 ms = 2 s
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    open_tcp(sim)
    sim.advance(10.0 - sim.now + 0.5)
    line = "AT+MIPCLOSE=1"
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    t_ok = result_times(sim)[-1]
    # §1.1.3.4 close type 1: "The remote side didn't reply, so connection closed by close timeout"
    assert wait_for(sim, b"\r\n+MIPCLOSE: 1,1\r\n", 5) == b"\r\n+MIPCLOSE: 1,1\r\n"
    assert urc_times(sim, "+MIPCLOSE: 1,1") == [pytest.approx(t_ok + 2.0, abs=1e-9)]


def test_refused_connection_reports_mipstat() -> None:
    sim = tcp_world()
    line = f'AT+MIPOPEN=1,,"{ECHO}",9,0'  # nothing listens on port 9: RST
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MIPSTAT: 1,1\r\n", 10) == b"\r\n+MIPSTAT: 1,1\r\n"
    line = "AT+MIPOPEN?"
    assert exchange(sim, line, ok_after(line, "+MIPOPEN: 1,2,3,4,5,6")) == ok_after(
        line, "+MIPOPEN: 1,2,3,4,5,6")


def test_peer_close_and_reset_report_mipstat() -> None:
    hosts = {
        "echo.example.net": {"ip": ECHO, "services": [{"type": "tcp-echo", "port": 7}]},
        "close.example.net": {"ip": "203.0.113.12", "services": [{"type": "tcp-echo", "port": 7}]},
    }
    faults = [
        {"at": 0, "action": "server-reset", "host": "close.example.net", "after_bytes": 3,
         "mode": "close"},
        {"at": 0, "action": "server-reset", "host": "echo.example.net", "after_bytes": 3,
         "mode": "reset"},
    ]
    sim = tcp_world(hosts=hosts, faults=faults)
    open_tcp(sim, 1, "203.0.113.12")
    open_tcp(sim, 2, ECHO)
    send_hex(sim, 1, b"abc", 2045)
    push(sim, 1, 3)
    # orderly close by the peer: +MIPSTAT status 2 (docs/assumptions.md)
    assert wait_for(sim, b"\r\n+MIPSTAT: 1,2\r\n", 10).endswith(b"\r\n+MIPSTAT: 1,2\r\n")
    send_hex(sim, 2, b"abc", 2045)
    push(sim, 2, 3)
    # RST: broken protocol stack, status 1
    assert wait_for(sim, b"\r\n+MIPSTAT: 2,1\r\n", 10).endswith(b"\r\n+MIPSTAT: 2,1\r\n")


def test_mipconf_retry_budget_exhausted_at_the_computed_time() -> None:
    # retr_num 3, min_TO = max_TO = 10 * 100 ms: every RTO is exactly 1 s, so the data is sent
    # at t, retransmitted at t+1, t+2, t+3, and the connection is given up at t+4.
    sim = tcp_world(faults=[{"at": 12, "action": "link-outage", "duration": 100}])
    line = "AT+MIPCONF=1,3,10,10,75,1"
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    line = "AT+MIPCONF?"
    expected = ok_after(line, "+MIPCONF: 1,3,10,10,75,1",
                        *[f"+MIPCONF: {i},5,5,600,75,0" for i in range(2, 7)])
    assert exchange(sim, line, expected) == expected
    open_tcp(sim)
    sim.advance(12.5 - sim.now)
    send_hex(sim, 1, b"lost", 2044)
    push(sim, 1, 4)
    t_push = result_times(sim)[-1]
    # NACK indication on: the acknowledged count (0 of these 4 bytes) comes with it
    assert wait_for(sim, b"\r\n+MIPSTAT: 1,1,0\r\n", 10) == b"\r\n+MIPSTAT: 1,1,0\r\n"
    # the stack's own record of each retransmission (RTO and count) and of giving up
    rtx = [(r.t, r.fields["rto"], r.fields["count"]) for r in sim.trace.records
           if r.kind == "tcp_retransmit" and r.t > t_push]
    assert [(round(t - t_push, 9), rto, n) for t, rto, n in rtx] == [
        (1.0, 1.0, 1), (2.0, 1.0, 2), (3.0, 1.0, 3)]
    assert urc_times(sim, "+MIPSTAT: 1,1,0") == [pytest.approx(t_push + 4.0, abs=1e-9)]


def test_keepalive_detects_a_dead_peer_at_the_configured_time() -> None:
    sim = tcp_world(faults=[{"at": 20, "action": "link-outage", "duration": 1000}])
    line = "AT+MIPKEEPCONF=1,30,5,3"  # idle 30 s, probes every 5 s, 3 probes
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    open_tcp(sim)
    send_hex(sim, 1, b"hi", 2046)
    push(sim, 1, 2)
    wait_for(sim, b"\r\n+MIPRTCP: 1,0,6869\r\n")
    # the last segment heard from the peer (its ACK / echo) on the downlink
    last_heard = max(tx_times(sim, "*", direction="downlink", ev="rx"))
    assert wait_for(sim, b"\r\n+MIPSTAT: 1,1\r\n", 100) == b"\r\n+MIPSTAT: 1,1\r\n"
    # RFC 9293 §3.8.4 as the model applies it: dead idle + interval * count after the peer
    # went silent
    assert urc_times(sim, "+MIPSTAT: 1,1") == [pytest.approx(last_heard + 30 + 5 * 3, abs=1e-9)]


def test_xoff_and_xon_under_a_slow_uplink() -> None:
    sim = tcp_world(network={"uplink": {"rate": "9600bps", "delay": "100ms", "jitter": 0},
                             "downlink": {"delay": "100ms", "jitter": 0}})
    open_tcp(sim)
    line = "AT+MIPSETS=1,1024"
    assert exchange(sim, line, ok_after(line, "+MIPSETS: 0")) == ok_after(line, "+MIPSETS: 0")
    chunk = bytes(range(256)) * 4
    line = f'AT+MIPSEND=1,"{chunk.hex().upper()}"'
    for _ in range(40):
        sim.dte.write(line.encode() + b"\r")
        m = sim.dte.expect(r"\+MIPSEND: 1,(\d),(\d+)\r\n\r\nOK\r\n", 10)
        if m.group(1) == "1":
            break
    else:
        raise AssertionError("never flowed off")
    # The URC comes once, whole, right after the final result of the send that crossed the
    # upper watermark, and before the first refused send (status 1).
    received = bytes(sim.dte.received)
    assert received.count(b"+MIPXOFF: 1") == 1
    xoff = received.index(b"\r\n+MIPXOFF: 1\r\n")
    assert received[xoff - 6 : xoff] == b"\r\nOK\r\n"
    assert xoff < received.index(b"+MIPSEND: 1,1,")
    line_push = "AT+MIPPUSH=1"
    sim.dte.write(b"AT+MIPSEND=1,\"41\"\r")  # one byte more while flowed off: refused
    sim.dte.expect(r"\+MIPSEND: 1,1,\d+\r\n\r\nOK\r\n", 10)
    sim.dte.write(line_push.encode() + b"\r")
    sim.dte.expect(r"\+MIPPUSH: 1,1\r\n\r\nOK\r\n", 10)  # 1: socket is flowed off
    # flowed off: +MIPPUSH answers status 1 too (§1.1.7.4)
    assert sim.module.dialect.sockets[1].buf.flowed_off
    assert wait_for(sim, b"\r\n+MIPXON: 1\r\n", 60).endswith(b"\r\n+MIPXON: 1\r\n")
    # after +MIPXON at most Xon_lower (512) bytes wait for the stack: 1024 more fit again
    sim.dte.write(line.encode() + b"\r")
    m = sim.dte.expect(r"\+MIPSEND: 1,(\d),(\d+)\r\n\r\nOK\r\n", 10)
    assert m.group(1) == "0" and int(m.group(2)) >= 2048 - 512 - 1024


def _uart_in(sim) -> list[tuple[float, int]]:
    """(instant, size) of every chunk the module's UART delivered from the terminal."""
    return [(r.t, len(r.fields["data"])) for r in sim.trace.records if r.kind == "dte>"]


def _data_segments(sim) -> list[tuple[float, int]]:
    out = []
    for r in sim.trace.records:
        if (
            r.kind == "pkt"
            and r.source == f"{sim.module.host.name}.uplink"
            and r.fields.get("ev") == "tx"
        ):
            text = str(r.fields["pkt"])
            n = int(text.rpartition("len=")[2])
            if text.startswith("TCP") and n:
                out.append((r.t, n))
    return out


@pytest.mark.parametrize(
    ("generation", "buffer", "spool"),
    [
        (None, 8192, 0.050),  # §1.1.18.1: 3G/4G module (the L610 is LTE Cat 1) — the default
        ("2g", 1372, 0.200),  # §1.1.18.1: 2G module, selected by the profile option
    ],
)
def test_odm_spool_timeout_and_full_buffer(generation, buffer, spool) -> None:
    sink = {
        "sink.example.net": {"ip": "203.0.113.20", "services": [{"type": "tcp-sink", "port": 9}]}
    }
    sim = tcp_world(hosts=sink, baud=4000000)
    if generation is not None:
        sim.module.profile = sim.module.profile.with_options(extra={"radio_generation": generation})
    line = 'AT+MIPODM=1,,"203.0.113.20",9,0'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MIPODM: 1,1\r\n") == b"\r\n+MIPODM: 1,1\r\n"
    sim.advance(0.5)
    # Less than a buffer: it leaves one spooling timeout after its first byte reached the module.
    mark = len(_uart_in(sim))
    sim.dte.write(b"x" * 100)
    sim.advance(1.0)
    first_in = _uart_in(sim)[mark][0]
    assert _data_segments(sim)[0][0] == pytest.approx(first_in + spool, abs=1e-9)
    # A full buffer leaves at once, when its last byte arrives (well before the spooling timeout
    # at 4 Mbit/s); the 8 remaining bytes then wait their own timeout.
    mark, seg_mark = len(_uart_in(sim)), len(_data_segments(sim))
    sim.dte.write(b"y" * (buffer + 8))
    sim.advance(1.0)
    chunks = _uart_in(sim)[mark:]
    total, t_full = 0, None
    for t, n in chunks:
        total += n
        if total >= buffer:
            t_full = t
            break
    assert t_full is not None and t_full - chunks[0][0] < spool
    segs = _data_segments(sim)[seg_mark:]
    assert segs[0][0] == pytest.approx(t_full, abs=1e-9)
    sim.advance(20.0)  # the radio link takes its time; everything arrives exactly once
    assert sum(n for _, n in _data_segments(sim)[seg_mark:]) >= buffer + 8
    assert sim.world.hosts["sink.example.net"].services[0][1].bytes_received == 100 + buffer + 8


def test_tcp_listen_mode_reports_the_peer() -> None:
    # The carrier NAT keeps internet hosts out, so the peer is a client on the module's own
    # address (loopback through the module host's stack).
    sim = tcp_world()
    line = 'AT+MIPOPEN=2,6000,"0.0.0.0",0,0'  # §1.1.2.4: remote port 0 = incoming connection
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    line = "AT+MIPCLOSE?"
    assert exchange(sim, line, ok_after(line, "+MIPCLOSE: 2")) == ok_after(line, "+MIPCLOSE: 2")
    host = sim.module.host
    client = host.tcp_connect(host.ip, 6000)
    # §1.1.2.2: in listen mode the set command reports <Remote_IP>,<Remote_Port>
    expected = f"\r\n+MIPOPEN: 2,1,{host.ip},{client.local[1]}\r\n".encode()
    assert wait_for(sim, expected, 5) == expected
    client.send(b"hey")
    assert wait_for(sim, b"\r\n+MIPRTCP: 2,0,686579\r\n", 5) == b"\r\n+MIPRTCP: 2,0,686579\r\n"
    send_hex(sim, 2, b"ok", 2046)
    push(sim, 2, 2)
    sim.advance(1.0)
    assert client.recv() == b"ok"


def test_close_while_connecting_and_syn_budget() -> None:
    sim = tcp_world()
    line = 'AT+MIPOPEN=1,,"203.0.113.99",80,0'  # nobody owns the address: SYNs vanish
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    line = "AT+MIPCLOSE=1"
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MIPCLOSE: 1,0\r\n", 5) == b"\r\n+MIPCLOSE: 1,0\r\n"
    sim.advance(60)
    assert sim.dte.read_available() == b""
    # retr_num 2 with the RTO pinned to 1 s: SYN at t, again at t+1 and t+2, given up at t+3
    line = "AT+MIPCONF=1,2,10,10"
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    line = 'AT+MIPOPEN=1,,"203.0.113.99",80,0'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    t_ok = result_times(sim)[-1]
    assert wait_for(sim, b"\r\n+MIPSTAT: 1,1\r\n", 10) == b"\r\n+MIPSTAT: 1,1\r\n"
    assert urc_times(sim, "+MIPSTAT: 1,1") == [pytest.approx(t_ok + 3.0, abs=1e-9)]


def test_read_mode_keeps_tcp_data_in_the_stack_until_mipread() -> None:
    # A peer that sends 100000 bytes at once: with IPRFMT 5 nobody reads, so the TCP receive
    # window (65535) closes and the rest waits at the peer; +MIPREAD drains it.
    source = {
        "src.example.net": {
            "ip": "203.0.113.21",
            "services": [
                {"type": "tcp-source", "port": 19, "bytes": 100000, "pattern": "0123456789"}
            ],
        }
    }
    sim = tcp_world(hosts=source, network={"link": {"delay": "50ms", "jitter": 0, "rate": "1Mbps"}})
    line = 'AT+GTSET="IPRFMT",5'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    open_tcp(sim, 1, "203.0.113.21", 19)
    sim.advance(30.0)
    announced = [
        int(x)
        for x in re.findall(r"\+MIPDATA: 1,(\d+)\r\n", sim.dte.read_available().decode("latin-1"))
    ]
    assert sum(announced) == 65535  # exactly one receive window, announced as it came
    line = "AT+MIPREAD?"
    assert exchange(sim, line, ok_after(line, "+MIPREAD: 1,65535")) == ok_after(
        line, "+MIPREAD: 1,65535"
    )
    got = bytearray()
    while len(got) < 100000:
        line = "AT+MIPREAD=1,2048"
        sim.dte.write(line.encode() + b"\r")
        # the response follows the echo at once (arrival URCs also say +MIPDATA, §1.1.24)
        m = sim.dte.expect(
            r"AT\+MIPREAD=1,2048\r\r\n(?:\+MIPDATA: 1,(\d+)\r\n|\+MIPREAD: 1,0\r\n)", 10
        )
        if m.group(1) is None:
            sim.advance(1.0)  # the window reopened; the peer's next segments are on their way
            continue
        n = int(m.group(1))
        data = sim.dte.expect(r"(?s)(.{" + str(n) + r"})\r\n\r\nOK\r\n", 10).group(1)
        got += data.encode("latin-1")
    assert bytes(got) == (b"0123456789" * 10000)
    # everything read: the peer's earlier FIN is reported now, and the socket is free
    assert wait_for(sim, b"\r\n+MIPSTAT: 1,2\r\n", 5).endswith(b"\r\n+MIPSTAT: 1,2\r\n")


def test_odm_with_hardware_flow_control_loses_nothing() -> None:
    # §1.1.18.1: "only RS232 connection to terminal with hardware flow control is supported".
    # 30000 bytes into a 9600 bit/s uplink: the 8192-byte spool and the TCP send buffer fill,
    # CTS drops, and every byte still reaches the peer (about 25 s of uplink).
    sink = {
        "sink.example.net": {"ip": "203.0.113.20", "services": [{"type": "tcp-sink", "port": 9}]}
    }
    sim = tcp_world(
        hosts=sink,
        network={
            "uplink": {"rate": "9600bps", "delay": "100ms", "jitter": 0},
            "downlink": {"delay": "100ms", "jitter": 0},
        },
    )
    assert exchange(sim, "AT&K3", ok_after("AT&K3")) == ok_after("AT&K3")
    sim.dte.rtscts = True
    line = 'AT+MIPODM=1,,"203.0.113.20",9,0'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MIPODM: 1,1\r\n") == b"\r\n+MIPODM: 1,1\r\n"
    sim.advance(0.5)
    sim.dte.write(bytes(i % 251 for i in range(30000)))
    sim.advance(10.0)
    assert not sim.dte.cts  # held back while the uplink drains
    sim.advance(50.0)
    assert sim.world.hosts["sink.example.net"].services[0][1].bytes_received == 30000
    assert not [r for r in sim.trace.records if "overflow" in r.kind]


def test_odm_peer_close_leaves_data_mode() -> None:
    hosts = {
        "close.example.net": {"ip": "203.0.113.12", "services": [{"type": "tcp-echo", "port": 7}]}
    }
    faults = [
        {
            "at": 0,
            "action": "server-reset",
            "host": "close.example.net",
            "after_bytes": 5,
            "mode": "close",
        }
    ]
    sim = tcp_world(hosts=hosts, faults=faults)
    line = 'AT+MIPODM=1,,"203.0.113.12",7,0'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MIPODM: 1,1\r\n") == b"\r\n+MIPODM: 1,1\r\n"
    sim.advance(0.1)
    sim.dte.write(b"hello")
    # the peer closes: the UART is back in command mode and says why (docs/assumptions.md)
    got = wait_for(sim, b"\r\n+MIPSTAT: 1,2\r\n", 5)
    assert got.endswith(b"\r\n+MIPSTAT: 1,2\r\n")
    assert exchange(sim, "AT", b"AT\r\r\nOK\r\n") == b"AT\r\r\nOK\r\n"
