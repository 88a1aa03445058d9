"""Every generic fault against every TCP service, through the simulated network."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.servers.client import SERVER_IP, TcpClient, world

LINE_SERVICES = {
    # type: (config, port, greeting as each daemon sends it)
    "ftp": ({"users": {"a": "b"}}, 21, b"220 (simnet FTP)\r\n"),
    "smtp": ({}, 25, b"220 mail.simnet.test ESMTP simnet\r\n"),
    "pop3": ({"users": {"a": "b"}}, 110, b"+OK simnet POP3 server ready\r\n"),
}
STREAM_SERVICES = {"tcp-echo": 7, "tcp-sink": 9, "tcp-source": 19}


def start(stype: str):
    if stype in LINE_SERVICES:
        config, port, greeting = LINE_SERVICES[stype]
    else:
        config, port, greeting = {"port": STREAM_SERVICES[stype]}, STREAM_SERVICES[stype], b""
    sim, svc, client = world(stype, dict(config))
    return sim, svc, client, port, greeting


def dial(sim, client, port) -> TcpClient:
    return TcpClient(sim, client, SERVER_IP, port)


@pytest.mark.parametrize("stype", [*LINE_SERVICES, *STREAM_SERVICES])
def test_refuse_is_rst_and_clears(stype):
    sim, svc, client, port, greeting = start(stype)
    svc.apply_fault("server-refuse")
    c = dial(sim, client, port)
    assert not c.wait_connected() and c.closed == "refused"
    svc.clear_faults("refuse")
    c = dial(sim, client, port)
    assert c.wait_connected()


@pytest.mark.parametrize("stype", [*LINE_SERVICES, "tcp-echo", "tcp-source"])
def test_stall_accepts_then_silence_until_cleared(stype):
    sim, svc, client, port, greeting = start(stype)
    svc.apply_fault("server-stall", duration=40.0)
    c = dial(sim, client, port)
    assert c.wait_connected()
    if stype == "tcp-echo":
        c.send(b"ping")
    sim.advance(30)
    assert bytes(c.buf) == b"" and c.closed is None
    sim.advance(15)
    expected = greeting or (b"ping" if stype == "tcp-echo" else b' !"#')
    assert bytes(c.buf).startswith(expected)


@pytest.mark.parametrize("stype", [*LINE_SERVICES, "tcp-source"])
def test_slow_greeting(stype):
    sim, svc, client, port, greeting = start(stype)
    svc.apply_fault("server-slow-greeting", delay=4.0)
    c = dial(sim, client, port)
    assert c.wait_connected()
    t0 = sim.now
    sim.run_until(lambda: len(c.buf) > 0, 20)
    assert sim.now - t0 >= 4.0 - 1e-9
    if greeting:
        c.wait_for(b"\r\n")


@pytest.mark.parametrize("stype", list(LINE_SERVICES))
def test_close_after_n_bytes_delivers_exactly_n(stype):
    sim, svc, client, port, greeting = start(stype)
    svc.apply_fault("server-reset", after_bytes=10, mode="close")
    c = dial(sim, client, port)
    assert c.wait_connected()
    assert c.drain_until_fin() == greeting[:10]


@pytest.mark.parametrize("stype", [*LINE_SERVICES, *STREAM_SERVICES])
def test_reset_mid_stream(stype):
    sim, svc, client, port, greeting = start(stype)
    svc.apply_fault("server-reset", after_bytes=12, mode="reset")
    c = dial(sim, client, port)
    assert c.wait_connected()
    c.send(b"x" * 100)
    assert c.wait_closed() == "reset"
    # whatever arrived before the RST is a prefix of what the server meant to send
    if greeting:
        assert greeting.startswith(bytes(c.buf))
    assert svc.bytes_received + svc.bytes_sent == 12


@pytest.mark.parametrize("stype", list(LINE_SERVICES))
def test_rate_limit_paces_greeting(stype):
    sim, svc, client, port, greeting = start(stype)
    svc.apply_fault("server-rate-limit", rate=800.0)  # 100 bytes/s, 10-byte quanta every 0.1 s
    c = dial(sim, client, port)
    assert c.wait_connected()
    t0 = sim.now
    assert c.wait_for(b"\r\n", 30) == greeting
    quanta = -(-len(greeting) // 10)
    assert sim.now - t0 >= (quanta - 1) * 0.1 - 1e-9


@pytest.mark.slow
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    stype=st.sampled_from(list(LINE_SERVICES)), chunks=st.lists(st.binary(max_size=700), max_size=8)
)
def test_random_bytes_over_the_network_get_protocol_replies(stype, chunks):
    sim, svc, client, port, greeting = start(stype)
    c = dial(sim, client, port)
    assert c.wait_connected()
    for chunk in chunks:
        c.send(chunk)
        sim.advance(0.5)
    c.send(b"\r\nNOOP\r\n")
    sim.advance(2)
    data = bytes(c.buf)
    assert data.startswith(greeting)
    assert data.endswith(b"\r\n")
    for line in data.split(b"\r\n")[:-1]:
        if stype == "pop3":  # not logged in: only status lines can come back
            assert line.startswith((b"+OK", b"-ERR")), line
        else:  # every line is part of a numbered reply (FEAT lines start with a space)
            assert (line[:3].isdigit() and line[3:4] in (b" ", b"-")) or line.startswith(b" "), line
    if b"QUIT" not in b"".join(chunks).upper():  # a QUIT line ends the session, as it should
        assert svc.conns  # the session survived all of it


@pytest.mark.parametrize(
    ("stype", "last"),
    [
        ("ftp", b"421 Timeout.\r\n"),
        ("smtp", b"421 mail.simnet.test Error: timeout exceeded\r\n"),
        ("pop3", b""),  # RFC 1939 section 3: autologout closes without a response
    ],
)
def test_idle_timeout_closes_quiet_sessions_only(stype, last):
    config, port, greeting = LINE_SERVICES[stype]
    sim, svc, client = world(stype, {**config, "idle_timeout": "60s"})
    c = dial(sim, client, port)
    assert c.wait_connected()
    assert c.wait_for(b"\r\n") == greeting
    for _ in range(3):  # activity every 50 s keeps the session alive
        sim.advance(50)
        c.line("NOOP")
        c.wait_for(b"\r\n")
    t0 = sim.now
    assert c.drain_until_fin(120) == last
    assert 59.9 <= sim.now - t0 <= 60.5


@pytest.mark.parametrize(
    ("stype", "busy"),
    [
        ("ftp", b"421 There are too many connected users, please try later.\r\n"),
        ("smtp", b"421 mail.simnet.test Error: too many connections\r\n"),
        ("pop3", b"-ERR [SYS/TEMP] too many connections\r\n"),
        ("tcp-echo", b""),
    ],
)
def test_max_connections_turns_extra_sessions_away(stype, busy):
    config, port, greeting = LINE_SERVICES.get(stype, ({"port": 7}, 7, b""))
    sim, svc, client = world(stype, {**config, "max_connections": 2})
    first, second = dial(sim, client, port), dial(sim, client, port)
    assert first.wait_connected() and second.wait_connected()
    third = dial(sim, client, port)
    assert third.wait_connected()
    assert third.drain_until_fin() == busy
    sim.advance(1)
    assert first.closed is None and second.closed is None
    if greeting:
        assert bytes(first.buf) == greeting
    first.close()
    first.wait_closed()
    fourth = dial(sim, client, port)
    assert fourth.wait_connected()
    sim.advance(1)
    assert fourth.closed is None and bytes(fourth.buf) == greeting  # a slot was free again


@pytest.mark.parametrize("stype", list(LINE_SERVICES))
def test_commands_sent_before_a_slow_greeting_wait_for_it(stype):
    sim, svc, client, port, greeting = start(stype)
    svc.slow_greeting("5s")
    c = dial(sim, client, port)
    assert c.wait_connected()
    c.send(b"NOOP\r\nQUIT\r\n")
    sim.advance(4)
    assert bytes(c.buf) == b"" and [e for e in svc.log] == []  # nothing read yet
    assert c.wait_for(b"\r\n") == greeting
    replies = c.drain_until_fin()
    lines = replies.split(b"\r\n")[:-1]
    assert len(lines) == 2 and lines[1][:1] in (b"2", b"+")  # NOOP answered, then QUIT's goodbye
    assert [e.line for e in svc.log if e.direction == "in"] == ["NOOP", "QUIT"]
