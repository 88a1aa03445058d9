"""UDP sockets of the +MIP family on the UART, byte for byte, against the simulated network.

Expected bytes are built in the tests from the manual's formats (hex of received data is
computed here with ``bytes.hex().upper()``, free sizes as 2048 minus what the test queued),
timings from the trace of packets entering the radio link.
"""

from __future__ import annotations

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
UDP_HOSTS = {
    "echo.example.net": {"ip": ECHO, "services": [{"type": "udp-echo", "port": 7}]},
    "echo2.example.net": {"ip": "203.0.113.11", "services": [{"type": "udp-echo", "port": 9}]},
    "ntp.example.net": {"ip": "203.0.113.30", "services": [{"type": "ntp", "port": 123}]},
}


def udp_world(**kw):
    sim = world(hosts=UDP_HOSTS, **kw)
    cmee1(sim)
    mipcall(sim)
    return sim


def open_udp(sim, sid: int = 1, ip: str = ECHO, port: int = 7) -> None:
    line = f'AT+MIPOPEN={sid},,"{ip}",{port},1'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    urc = f"\r\n+MIPOPEN: {sid},1\r\n".encode()
    assert wait_for(sim, urc) == urc


def send_hex(sim, sid: int, data: bytes, free: int) -> None:
    line = f'AT+MIPSEND={sid},"{data.hex().upper()}"'
    expected = ok_after(line, f"+MIPSEND: {sid},0,{free}")
    assert exchange(sim, line, expected) == expected


def rudp(ip: str, port: int, sid: int, left: int, data: bytes) -> bytes:
    return f"\r\n+MIPRUDP: {ip},{port},{sid},{left},{data.hex().upper()}\r\n".encode()


def test_udp_echo_exact_bytes_with_binary_payload() -> None:
    sim = udp_world()
    open_udp(sim)
    payload = b"Hi\x00\xff\r\n"
    send_hex(sim, 1, payload, 2048 - len(payload))
    line = "AT+MIPPUSH=1"
    # §1.1.7.2: +MIPPUSH: <id>,<status>,<accumulated_sent_length>
    assert exchange(sim, line, ok_after(line, f"+MIPPUSH: 1,0,{len(payload)}")) == ok_after(
        line, f"+MIPPUSH: 1,0,{len(payload)}"
    )
    expected = rudp(ECHO, 7, 1, 0, payload)
    assert wait_for(sim, expected) == expected
    assert expected == b"\r\n+MIPRUDP: 203.0.113.10,7,1,0,486900FF0D0A\r\n"


def test_mippush_destination_override_becomes_last_target() -> None:
    sim = udp_world()
    open_udp(sim)
    send_hex(sim, 1, b"\x01", 2047)
    line = 'AT+MIPPUSH=1,"203.0.113.11",9'
    assert exchange(sim, line, ok_after(line, "+MIPPUSH: 1,0,1")) == ok_after(
        line, "+MIPPUSH: 1,0,1"
    )
    expected = rudp("203.0.113.11", 9, 1, 0, b"\x01")
    assert wait_for(sim, expected) == expected
    send_hex(sim, 1, b"\x02", 2047)
    line = "AT+MIPPUSH=1"
    assert exchange(sim, line, ok_after(line, "+MIPPUSH: 1,0,2")) == ok_after(
        line, "+MIPPUSH: 1,0,2"
    )
    expected = rudp("203.0.113.11", 9, 1, 0, b"\x02")  # §1.1.7.4: "the last target"
    assert wait_for(sim, expected) == expected


def test_watermark_push_vs_timeout_push_timing() -> None:
    sim = udp_world()
    open_udp(sim)
    line = "AT+MIPSETS=1,4,500"
    assert exchange(sim, line, ok_after(line, "+MIPSETS: 0")) == ok_after(line, "+MIPSETS: 0")
    # Below the watermark: pushed when the 500 ms countdown ends.
    send_hex(sim, 1, b"\xaa\xbb", 2046)
    t_send = result_times(sim)[-1]
    wait_for(sim, rudp(ECHO, 7, 1, 0, b"\xaa\xbb"))
    assert tx_times(sim, "203.0.113.10:7 len=2") == [t_send + 0.5]
    # Reaching the watermark: 4 bytes leave at once, the 2-byte remainder 500 ms later.
    send_hex(sim, 1, bytes(range(6)), 2046)
    t_send = result_times(sim)[-1]
    wait_for(sim, rudp(ECHO, 7, 1, 0, bytes(range(4))))
    wait_for(sim, rudp(ECHO, 7, 1, 0, bytes(range(4, 6))))
    assert tx_times(sim, "203.0.113.10:7 len=4") == [t_send]
    assert tx_times(sim, "203.0.113.10:7 len=2")[1] == t_send + 0.5
    # New data re-initialises the countdown (§1.1.4.1): one datagram, 500 ms after the second.
    send_hex(sim, 1, b"\x01", 2047)
    send_hex(sim, 1, b"\x02", 2046)
    t_second = result_times(sim)[-1]
    wait_for(sim, rudp(ECHO, 7, 1, 0, b"\x01\x02"))
    assert tx_times(sim, "203.0.113.10:7 len=2")[2] == t_second + 0.5


def test_flush_and_sets_refused_while_data_waits() -> None:
    sim = udp_world()
    open_udp(sim)
    send_hex(sim, 1, b"abc", 2045)
    line = "AT+MIPSETS=1,100"
    # §1.1.4.1 note: rejected while data is in the buffer, <Status> 3
    assert exchange(sim, line, ok_after(line, "+MIPSETS: 3")) == ok_after(line, "+MIPSETS: 3")
    line = "AT+MIPFLUSH=1"
    assert exchange(sim, line, ok_after(line, "+MIPFLUSH: 1")) == ok_after(line, "+MIPFLUSH: 1")
    line = "AT+MIPPUSH=1"
    assert exchange(sim, line, ok_after(line, "+MIPPUSH: 1,2")) == ok_after(line, "+MIPPUSH: 1,2")
    line = "AT+MIPSEND?"
    assert exchange(sim, line, ok_after(line, "+MIPSEND: 1,2048")) == ok_after(
        line, "+MIPSEND: 1,2048"
    )
    line = "AT+MIPSETS=1,100"
    assert exchange(sim, line, ok_after(line, "+MIPSETS: 0")) == ok_after(line, "+MIPSETS: 0")
    line = "AT+MIPSETS?"
    assert exchange(sim, line, ok_after(line, "+MIPSETS: 1,100,0")) == ok_after(
        line, "+MIPSETS: 1,100,0"
    )
    sim.advance(5)
    assert sim.dte.read_available() == b""  # flushed data never left


def test_mipdsets_splits_received_data_with_left_and_time_span() -> None:
    sim = udp_world()
    open_udp(sim)
    line = "AT+MIPDSETS=1,4,100"
    assert exchange(sim, line, ok_after(line, "+MIPDSETS: 0")) == ok_after(line, "+MIPDSETS: 0")
    line = "AT+MIPDSETS?"
    assert exchange(sim, line, ok_after(line, "+MIPDSETS: 1,4,100")) == ok_after(
        line, "+MIPDSETS: 1,4,100"
    )
    data = bytes(range(0x30, 0x3A))  # 10 bytes: chunks of 4, 4, 2 with 6, 2, 0 left
    send_hex(sim, 1, data, 2038)
    assert exchange(sim, "AT+MIPPUSH=1", ok_after("AT+MIPPUSH=1", "+MIPPUSH: 1,0,10"))
    expected = (
        rudp(ECHO, 7, 1, 6, data[:4])
        + rudp(ECHO, 7, 1, 2, data[4:8])
        + rudp(ECHO, 7, 1, 0, data[8:])
    )
    assert wait_for(sim, expected) == expected
    urcs = [r.t for r in sim.trace.records if r.kind == "urc" and "+MIPRUDP" in r.fields["text"]]
    assert [round(b - a, 9) for a, b in zip(urcs, urcs[1:], strict=False)] == [0.1, 0.1]


def test_iprfmt_raw_header_and_read_mode() -> None:
    sim = udp_world()
    open_udp(sim)
    payload = b"AB\r\nCD"
    for fmt, expected in (
        (1, payload),  # §1.2.4.4: data only, no CR LF added
        (2, b"\r\n+MIPRUDP: 203.0.113.10,7,1,6," + payload),  # CR LF before, raw data
    ):
        line = f'AT+GTSET="IPRFMT",{fmt}'
        assert exchange(sim, line, ok_after(line)) == ok_after(line)
        send_hex(sim, 1, payload, 2048 - 6)
        assert exchange(
            sim, "AT+MIPPUSH=1", ok_after("AT+MIPPUSH=1", "+MIPPUSH: 1,0," + str(6 * fmt))
        )
        assert wait_for(sim, expected) == expected
    line = 'AT+GTSET="IPRFMT",5'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    send_hex(sim, 1, payload, 2042)
    assert exchange(sim, "AT+MIPPUSH=1", ok_after("AT+MIPPUSH=1", "+MIPPUSH: 1,0,18"))
    assert wait_for(sim, b"\r\n+MIPDATA: 1,6\r\n") == b"\r\n+MIPDATA: 1,6\r\n"
    line = "AT+MIPREAD?"
    assert exchange(sim, line, ok_after(line, "+MIPREAD: 1,6")) == ok_after(line, "+MIPREAD: 1,6")
    line = "AT+MIPREAD=1,4"
    expected = line.encode() + b"\r\r\n+MIPDATA: 1,4\r\nAB\r\n\r\n\r\nOK\r\n"
    assert exchange(sim, line, expected) == expected
    expected = line.encode() + b"\r\r\n+MIPDATA: 1,2\r\nCD\r\n\r\nOK\r\n"
    assert exchange(sim, line, expected) == expected
    assert exchange(sim, line, ok_after(line, "+MIPREAD: 1,0")) == ok_after(line, "+MIPREAD: 1,0")


def test_raw_send_forms_ctrl_z_timeout_and_length() -> None:
    sim = udp_world()
    open_udp(sim)
    # §1.2.1 Ctrl-Z: ">" CR LF, raw bytes, Ctrl-Z; UDP prints no +MIPPUSH line.
    assert exchange(sim, "AT+MIPSEND=1", b"AT+MIPSEND=1\r>\r\n") == b"AT+MIPSEND=1\r>\r\n"
    expected = b"\r\nOK\r\n+MIPSEND: 1,0,2048\r\n\r\nOK\r\n"
    assert exchange(sim, b"xyz\x1a", expected) == expected
    assert wait_for(sim, rudp(ECHO, 7, 1, 0, b"xyz")) == rudp(ECHO, 7, 1, 0, b"xyz")
    # §1.2.2 timeout: SENDTIME 2 s from the prompt, then the data is pushed.
    assert exchange(sim, 'AT+GTSET="SENDTIME",2', ok_after('AT+GTSET="SENDTIME",2'))
    assert exchange(sim, "AT+MIPSEND=1", b"AT+MIPSEND=1\r>\r\n") == b"AT+MIPSEND=1\r>\r\n"
    t_prompt = [r.t for r in sim.trace.records if r.kind == "prompt"][-1]
    sim.dte.write(b"\x1bq")  # ESC is data in this binary form
    assert wait_for(sim, expected, 5) == expected
    t_end = [r.t for r in sim.trace.records if r.kind == "prompt_end"][-1]
    assert t_end == t_prompt + 2.0
    assert wait_for(sim, rudp(ECHO, 7, 1, 0, b"\x1bq")) == rudp(ECHO, 7, 1, 0, b"\x1bq")
    # §1.2.3 data length: exactly 3 bytes, "the redundant data will be lost".
    line = "AT+MIPSEND=1,3"
    assert exchange(sim, line, line.encode() + b"\r>\r\n") == line.encode() + b"\r>\r\n"
    assert exchange(sim, b"abcdef", expected) == expected
    assert wait_for(sim, rudp(ECHO, 7, 1, 0, b"abc")) == rudp(ECHO, 7, 1, 0, b"abc")
    sim.advance(3)
    assert sim.dte.read_available() == b""


def test_all_six_sockets_then_a_seventh() -> None:
    sim = udp_world()
    for sid in range(1, 7):
        open_udp(sim, sid)
    for line, info in (
        ("AT+MIPOPEN?", "+MIPOPEN: 0"),  # §1.1.2.2: no free socket
        ("AT+MIPCLOSE?", "+MIPCLOSE: 1,2,3,4,5,6"),
        ("AT+MIPODM?", "+MIPODM: 0"),
    ):
        assert exchange(sim, line, ok_after(line, info)) == ok_after(line, info)
    line = 'AT+MIPOPEN=7,,"203.0.113.10",7,1'
    expected = line.encode() + b"\r\r\n+CME ERROR: 2003\r\n"  # "TCPIP socket number limited"
    assert exchange(sim, line, expected) == expected
    line = 'AT+MIPOPEN=3,,"203.0.113.10",7,1'
    expected = line.encode() + b"\r\r\n+CME ERROR: 2017\r\n"  # "TCPIP socket used"
    assert exchange(sim, line, expected) == expected
    line = "AT+MIPCLOSE=3"
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MIPCLOSE: 3,0\r\n") == b"\r\n+MIPCLOSE: 3,0\r\n"
    line = "AT+MIPOPEN?"
    assert exchange(sim, line, ok_after(line, "+MIPOPEN: 3")) == ok_after(line, "+MIPOPEN: 3")


def test_mping_replies_and_summary() -> None:
    sim = udp_world()
    line = 'AT+MPING=1,"203.0.113.10",3'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    m = sim.dte.expect(r'\+MPINGSTAT: 0,"203\.0\.113\.10",3,3,\d+\r\n', 30)
    # RTTs as the ICMP model measured them (trace "ping" records), in truncated ms.
    rtts = [int(r.fields["rtt"] * 1000) for r in sim.trace.records if r.kind == "ping"]
    assert len(rtts) == 3
    expected = b"".join(f'\r\n+MPING: "203.0.113.10",0,0,{rtt}\r\n'.encode() for rtt in rtts)
    expected += f'\r\n+MPINGSTAT: 0,"203.0.113.10",3,3,{sum(rtts) // 3}\r\n'.encode()
    assert m.string[m.string.index('\r\n+MPING: "') : m.end()].encode() == expected


def test_mping_timeouts_and_abort() -> None:
    sim = udp_world()
    line = 'AT+MPING=1,"203.0.113.99",2,32,64,0,1000'  # nobody owns that address
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    expected = b'\r\n+MPINGSTAT: 1\r\n\r\n+MPINGSTAT: 1\r\n\r\n+MPINGSTAT: 0,"203.0.113.99",2,0\r\n'
    assert wait_for(sim, expected, 10) == expected
    line = "AT+MPING?"
    assert exchange(sim, line, ok_after(line, "+MPING: 2,32,64,0,1000")) == ok_after(
        line, "+MPING: 2,32,64,0,1000"
    )
    line = 'AT+MPING=1,"203.0.113.99",10'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    line2 = 'AT+MPING=1,"203.0.113.10"'
    expected = line2.encode() + b"\r\r\n+CME ERROR: 2029\r\n"  # one ping at a time
    assert exchange(sim, line2, expected) == expected
    assert exchange(sim, "AT+MPING=0", ok_after("AT+MPING=0")) == ok_after("AT+MPING=0")
    sim.advance(60)
    assert sim.dte.read_available() == b""  # aborted: no summary (§1.1.15.4)


def test_mipdns_resolves_and_fails_with_2002() -> None:
    sim = udp_world()
    line = 'AT+MIPDNS="echo.example.net"'
    expected = ok_after(line, "+MIPDNS: echo.example.net,203.0.113.10")
    assert exchange(sim, line, expected) == expected
    line = 'AT+MIPDNS="nosuch.example.net"'
    expected = line.encode() + b"\r\r\n+CME ERROR: 2002\r\n"
    assert exchange(sim, line, expected) == expected


def test_dns_silence_answers_2002_after_60_s() -> None:
    sim = world(hosts=UDP_HOSTS, faults=[{"at": 0, "action": "dns-fail", "mode": "timeout"}])
    cmee1(sim)
    mipcall(sim)
    line = 'AT+MIPOPEN=1,,"echo.example.net",7,1'
    sim.dte.write(line.encode() + b"\r")

    def commands() -> list[float]:
        return [
            r.t
            for r in sim.trace.records
            if r.kind == "command" and r.fields["line"].startswith("+MIPOPEN")
        ]

    assert sim.run_until(lambda: bool(commands()), 1.0)
    t_cmd = commands()[0]
    expected = line.encode() + b"\r\r\n+CME ERROR: 2002\r\n"
    assert wait_for(sim, expected, 70) == expected
    t_result = result_times(sim)[-1]
    latency = t_result - t_cmd - 60.0  # the profile's command latency comes first
    assert 0.0 <= latency <= 0.120


def test_mipntp_synchronises_from_the_ntp_peer() -> None:
    sim = udp_world()
    line = 'AT+MIPNTP="ntp.example.net",123'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MIPNTP: 1\r\n") == b"\r\n+MIPNTP: 1\r\n"
    # the module clock now follows the server's UTC (2026-01-01T00:00:00Z at virtual time 0),
    # within the path asymmetry of the RFC 5905 offset computation
    assert abs(sim.module.clock() - (1767225600.0 + sim.now)) < 0.2
    line = "AT+MIPNTP?"
    expected = ok_after(line, "+MIPNTP: ntp.example.net,123")
    assert exchange(sim, line, expected) == expected
    # A host without an NTP server: three unanswered requests, 5 s each (docs/assumptions.md).
    line = 'AT+MIPNTP="203.0.113.10",123'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    t_ok = result_times(sim)[-1]
    assert wait_for(sim, b"\r\n+MIPNTP: 0\r\n", 30) == b"\r\n+MIPNTP: 0\r\n"
    t_urc = [r.t for r in sim.trace.records if r.kind == "urc" and r.fields["text"] == "+MIPNTP: 0"]
    assert t_urc == [t_ok + 15.0]


def test_odm_udp_pseudo_command_mode_and_ato() -> None:
    # 1.5 s each way: the echo comes back while the module is in pseudo-command mode.
    sim = world(hosts=UDP_HOSTS, network={"link": {"delay": "1500ms", "jitter": 0}})
    cmee1(sim)
    mipcall(sim)
    line = 'AT+MIPODM=1,,"203.0.113.10",7,1'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MIPODM: 1,1\r\n") == b"\r\n+MIPODM: 1,1\r\n"
    sim.advance(0.1)
    sim.dte.write(b"hello")
    t_data = sim.now
    sim.advance(1.2)  # guard time before +++
    sim.dte.write(b"+++")
    assert wait_for(sim, b"\r\nOK\r\n", 3) == b"\r\nOK\r\n"
    # §1.1.18.1: less than a full buffer leaves after the 50 ms spooling timeout.
    assert tx_times(sim, "203.0.113.10:7 len=5")[0] - t_data < 0.06
    assert wait_for(sim, b"\r\n+MIPDATA: 1,5\r\n", 5) == b"\r\n+MIPDATA: 1,5\r\n"
    assert exchange(sim, "ATO", b"ATO\r\r\nCONNECT\r\nhello") == b"ATO\r\r\nCONNECT\r\nhello"
    sim.advance(1.2)
    sim.dte.write(b"+++")
    assert wait_for(sim, b"\r\nOK\r\n", 3) == b"\r\nOK\r\n"
    line = "AT+MIPCLOSE=1"
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MIPCLOSE: 1,0\r\n") == b"\r\n+MIPCLOSE: 1,0\r\n"


def test_mping_reports_icmp_type_and_code_of_time_exceeded() -> None:
    sim = udp_world()
    line = 'AT+MPING=1,"203.0.113.10",2,32,1'  # TTL 1 dies at the operator's core router
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    core = sim.world.network.core_ip
    # RFC 792: type 11 (time exceeded), code 0 (TTL exceeded in transit), from the router
    expected = (f'\r\n+MPING: "{core}",11,0\r\n' * 2).encode()
    expected += b'\r\n+MPINGSTAT: 0,"203.0.113.10",2,0\r\n'
    assert wait_for(sim, expected, 10) == expected


def test_odm_without_pseudo_command_mode_closes_on_escape() -> None:
    sim = udp_world()
    line = 'AT+MIPODM=1,,"203.0.113.10",7,1,1'  # <Pseudo-Command Mode> 1 = disabled
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MIPODM: 1,1\r\n") == b"\r\n+MIPODM: 1,1\r\n"
    sim.advance(0.1)
    sim.dte.write(b"abc")
    assert wait_for(sim, b"abc", 5) == b"abc"  # the echo, raw, in online data mode
    sim.advance(1.2)
    sim.dte.write(b"+++")
    expected = b"\r\nOK\r\n\r\n+MIPCLOSE: 1,0\r\n"
    assert wait_for(sim, expected, 5) == expected
    line = "AT+MIPOPEN?"
    assert exchange(sim, line, ok_after(line, "+MIPOPEN: 1,2,3,4,5,6")) == ok_after(
        line, "+MIPOPEN: 1,2,3,4,5,6"
    )


def test_send_limits_chunk_size_and_free_space() -> None:
    sim = udp_world()
    open_udp(sim)
    line = f'AT+MIPSEND=1,"{"41" * 1025}"'  # §1.1.4.1: chunks below 1024 bytes
    expected = line.encode() + b"\r\r\n+CME ERROR: 2006\r\n"
    assert exchange(sim, line, expected) == expected
    send_hex(sim, 1, b"A" * 1024, 1024)
    send_hex(sim, 1, b"B" * 1000, 24)
    # 30 bytes do not fit in the 24 left: refused with status 1, nothing queued
    line = f'AT+MIPSEND=1,"{"43" * 30}"'
    expected = ok_after(line, "+MIPSEND: 1,1,24")
    assert exchange(sim, line, expected) == expected
    line = "AT+MIPPUSH=1"
    assert exchange(sim, line, ok_after(line, "+MIPPUSH: 1,0,2024")) == ok_after(
        line, "+MIPPUSH: 1,0,2024"
    )


def test_ping_aborted_by_network_loss() -> None:
    sim = world(hosts=UDP_HOSTS, faults=[{"at": 5, "action": "bearer-drop"}])
    cmee1(sim)
    mipcall(sim)
    line = 'AT+MPING=1,"203.0.113.99",10'  # unanswered requests, still running at 5 s
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    # §1.1.15.4 status 2: ping aborted because the connection was terminated; no summary
    got = wait_for(sim, b"\r\n+MIPCALL: 0\r\n", 10)
    assert b"\r\n+MPINGSTAT: 2\r\n" in got
    assert b"+MPINGSTAT: 0" not in got
    sim.advance(60)
    assert b"+MPINGSTAT" not in sim.dte.read_available()


def test_mipcall_0_closes_open_sockets_first() -> None:
    sim = udp_world()
    open_udp(sim, 1)
    open_udp(sim, 3)
    line = "AT+MIPCALL=0"
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    expected = b"\r\n+MIPSTAT: 1,1\r\n\r\n+MIPSTAT: 3,1\r\n\r\n+MIPCALL: 0\r\n"
    assert wait_for(sim, expected, 35) == expected


def test_mping_flow_control_statuses_3_and_4() -> None:
    # §1.1.15.4 status 3 "Flow Control OFF": not enough memory to send an Echo Request; 4 "Flow
    # Control ON" once there is again. The module's memory for outgoing packets is its queue to
    # the radio uplink (80 kbit/s here): another socket of the module has just queued 48
    # datagrams of 1000 bytes, more than the 32 packets the stack holds before flowing off.
    sim = udp_world(network={"uplink": {"rate": "80kbps"}})
    sock = sim.world.module_host.udp_bind(6000)
    for _ in range(48):
        assert sock.sendto(bytes(1000), (ECHO, 7)) == 1000
    line = 'AT+MPING=1,"203.0.113.10",1'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MPINGSTAT: 3\r\n", 1) == b"\r\n+MPINGSTAT: 3\r\n"
    t_off = sim.now
    assert wait_for(sim, b"\r\n+MPINGSTAT: 4\r\n", 10) == b"\r\n+MPINGSTAT: 4\r\n"
    # The request waits until the queue is down to 8 packets: 40 datagrams of 1028 IP bytes
    # serialised at 80 kbit/s (the queue is looked at every 100 ms).
    per_packet = 1028 * 8 / 80_000
    assert 39 * per_packet - 0.05 <= sim.now - t_off <= 41 * per_packet + 0.15
    m = sim.dte.expect(r'\r\n\+MPING: "203\.0\.113\.10",0,0,(\d+)\r\n', 10)
    rtt = int(m.group(1))
    assert rtt >= 7 * per_packet * 1000  # it queued behind what was left
    summary = f'\r\n+MPINGSTAT: 0,"203.0.113.10",1,1,{rtt}\r\n'.encode()
    assert wait_for(sim, summary, 5) == summary


def test_mping_without_backlog_never_flows_off() -> None:
    sim = udp_world(network={"uplink": {"rate": "80kbps"}})
    sock = sim.world.module_host.udp_bind(6000)
    for _ in range(20):  # below the 32-packet mark
        sock.sendto(bytes(1000), (ECHO, 7))
    line = 'AT+MPING=1,"203.0.113.10",1'
    exchange(sim, line, ok_after(line))
    got = wait_for(sim, b'\r\n+MPINGSTAT: 0,"203.0.113.10",1,1,', 10)
    assert b"+MPINGSTAT: 3" not in got and b"+MPINGSTAT: 4" not in got
