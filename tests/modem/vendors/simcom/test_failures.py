"""Failure paths whose timing and codes come from the lower models: data retransmissions spent
(+IPCLOSE reason 2), the CIPSENDMODE=1 ACK timeout, NETCLOSE with sockets open, DelayTm, hex read
limits, and garbage never crashing the module."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.modem.vendors.simcom.harness import (
    SERVER_IP,
    echo_hosts,
    exchange,
    netopen,
    quiet,
    wait_for,
    world,
)


def open_tcp(sim: object, link: int = 0, port: int = 100) -> None:
    line = f'AT+CIPOPEN={link},"TCP","{SERVER_IP}",{port}'
    exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
    assert (
        wait_for(sim, f"\r\n+CIPOPEN: {link},0\r\n".encode(), 5)
        == f"\r\n+CIPOPEN: {link},0\r\n".encode()
    )


def send(sim: object, link: int, data: bytes, answer: bytes) -> None:
    line = f"AT+CIPSEND={link},{len(data)}"
    exchange(sim, line, line.encode() + b"\r\r\n>")
    assert exchange(sim, data, data + answer) == data + answer


def test_data_retries_spent_close_with_reason_2() -> None:
    # CIPCCFG <NmRetry>=2, and from t=8 s the radio link loses everything: the TCP model sends
    # the segment, retransmits it twice (RTO doubling each time) and gives up; the module then
    # reports +IPCLOSE: 0,2 (sending timeout) at that very instant.
    sim = world(
        hosts=echo_hosts(),
        network={"link": {"delay": "100ms"}},
        faults=[{"at": 8, "action": "link-outage", "duration": "60s"}],
    )
    exchange(sim, "AT+CIPCCFG=2", b"AT+CIPCCFG=2\r\r\nOK\r\n")
    netopen(sim)
    open_tcp(sim)
    sim.advance(8.5 - sim.now)
    send(sim, 0, b"HELLO", b"\r\nOK\r\n\r\n+CIPSEND: 0,5,5\r\n")
    assert wait_for(sim, b"\r\n+IPCLOSE: 0,2\r\n", 60) == b"\r\n+IPCLOSE: 0,2\r\n"
    retransmits = [r for r in sim.trace.records if r.kind == "tcp_retransmit"]
    give_up = [r for r in sim.trace.records if r.kind == "tcp_give_up"]
    assert len(retransmits) == 2 and len(give_up) == 1
    rtos = [r.fields["rto"] for r in retransmits]
    assert rtos[1] == pytest.approx(2 * rtos[0])  # back-off
    assert sim.now - give_up[0].t < 0.05  # reported when the model gave up (plus UART time)


def test_cipsendmode_ack_timeout_closes_with_reason_2() -> None:
    # CIPSENDMODE=1 waits for the ACK at most CIPTIMEOUT <cipsend_timeout> (3 s here).
    sim = world(
        hosts=echo_hosts(),
        network={"link": {"delay": "100ms"}},
        faults=[{"at": 8, "action": "link-outage", "duration": "60s"}],
    )
    exchange(sim, "AT+CIPTIMEOUT=,,3000", b"AT+CIPTIMEOUT=,,3000\r\r\nOK\r\n")
    exchange(sim, "AT+CIPSENDMODE=1", b"AT+CIPSENDMODE=1\r\r\nOK\r\n")
    netopen(sim)
    open_tcp(sim)
    sim.advance(8.5 - sim.now)
    send(sim, 0, b"HELLO", b"\r\nOK\r\n")
    t_ok = sim.now
    assert wait_for(sim, b"\r\n+IPCLOSE: 0,2\r\n", 10) == b"\r\n+IPCLOSE: 0,2\r\n"
    assert 2.95 <= sim.now - t_ok <= 3.05


def test_netclose_with_open_sockets() -> None:
    sim = world(hosts=echo_hosts(), network={"link": {"delay": "100ms"}})
    netopen(sim)
    open_tcp(sim, 0)
    open_tcp(sim, 3)
    exchange(sim, "AT+NETCLOSE", b"AT+NETCLOSE\r\r\nOK\r\n")
    got = wait_for(sim, b"\r\n+NETCLOSE: 0\r\n", 10)
    assert got == b"\r\n+IPCLOSE: 0,0\r\n\r\n+IPCLOSE: 3,0\r\n\r\n+NETCLOSE: 0\r\n"
    lines = b"".join(f"+CIPOPEN: {i}\r\n".encode() for i in range(10))
    expected = b"AT+CIPOPEN?\r\r\n" + lines + b"\r\nOK\r\n"
    assert exchange(sim, "AT+CIPOPEN?", expected) == expected


def test_delaytm_holds_pushed_data() -> None:
    # CIPCCFG <DelayTm>=800 ms: the push comes 0.8 s after the echo arrives (compare with 0).
    arrivals = []
    for delay_ms in (0, 800):
        sim = world(hosts=echo_hosts(), network={"link": {"delay": "100ms"}})
        line = f"AT+CIPCCFG=,{delay_ms}"
        exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
        netopen(sim)
        open_tcp(sim)
        send(sim, 0, b"HELLO", b"\r\nOK\r\n\r\n+CIPSEND: 0,5,5\r\n")
        t0 = sim.now
        wait_for(sim, b"+IPD5\r\nHELLO", 5)
        arrivals.append(sim.now - t0)
    assert arrivals[1] - arrivals[0] == pytest.approx(0.8, abs=0.01)


def test_hex_read_is_limited_to_750_bytes() -> None:
    hosts = {
        "source.example.net": {
            "ip": SERVER_IP,
            "services": [
                {"type": "tcp-source", "port": 100, "pattern": "x", "bytes": 1000, "close": False}
            ],
        }
    }
    sim = world(hosts=hosts, network={"link": {"delay": "50ms"}})
    netopen(sim)
    exchange(sim, "AT+CIPRXGET=1", b"AT+CIPRXGET=1\r\r\nOK\r\n")
    open_tcp(sim)
    wait_for(sim, b"\r\n+CIPRXGET: 1,0\r\n", 5)
    sim.advance(2)
    expected = b"AT+CIPRXGET=3,0,1500\r\r\n+CIPRXGET: 3,0,750,250\r\n" + b"78" * 750 + b"\r\nOK\r\n"
    assert exchange(sim, "AT+CIPRXGET=3,0,1500", expected) == expected
    expected = b"AT+CIPRXGET=2,0\r\r\n+CIPRXGET: 2,0,250,0\r\n" + b"x" * 250 + b"\r\nOK\r\n"
    assert exchange(sim, "AT+CIPRXGET=2,0", expected) == expected
    assert quiet(sim, 1) == b""


_COMMANDS = [
    "+NETOPEN",
    "+NETCLOSE",
    "+CIPOPEN",
    "+CIPCLOSE",
    "+CIPSEND",
    "+CIPRXGET",
    "+IPADDR",
    "+CIPHEAD",
    "+CIPSRIP",
    "+CIPMODE",
    "+CIPSENDMODE",
    "+CIPTIMEOUT",
    "+CIPCCFG",
    "+SERVERSTART",
    "+SERVERSTOP",
    "+CIPACK",
    "+CDNSGIP",
    "+CDNSGHNAME",
    "+CIPDNSSET",
    "+CPING",
    "+CPINGSTOP",
]
_ARG = st.one_of(
    st.integers(-5, 70000).map(str),
    st.sampled_from(['"TCP"', '"UDP"', '""', '"a.b"', f'"{SERVER_IP}"', "", '"x', "?"]),
    st.text('0123456789,."', max_size=8),
)


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_COMMANDS),
            st.sampled_from(["", "?", "=?", "="]),
            st.lists(_ARG, max_size=8),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_random_command_lines_never_break_the_module(cmds: list) -> None:
    sim = world(hosts=echo_hosts())
    netopen(sim)
    for name, form, args in cmds:
        line = "AT" + name + form + (",".join(args) if form == "=" else "")
        sim.dte.write(line.encode() + b"\r")
        sim.advance(0.5)
        sim.dte.write(b"\x1b")  # leave a ">" prompt if one was opened
        sim.advance(0.3)
    sim.advance(5)
    sim.dte.read_available()
    assert exchange(sim, "AT", b"AT\r\r\nOK\r\n", 30) == b"AT\r\r\nOK\r\n"
    errors = [r for r in sim.trace.records if r.kind in ("internal_error", "handler_error")]
    assert not errors, errors[:1]


@pytest.mark.slow
@settings(max_examples=15, deadline=None)
@given(st.binary(min_size=1, max_size=400).map(lambda b: b + b"\x1a\x1b\x03"))
def test_variable_length_send_delivers_any_bytes(payload: bytes) -> None:
    # Any payload, escaped as S76 L1105 asks (ETX before Ctrl-Z, ESC and ETX), arrives at the
    # peer byte for byte; the reference decoder agrees on what the module should send.
    from simnet.modem.vendors.simcom.engine import EtxPromptDecoder, escape_for_prompt

    escaped = escape_for_prompt(payload) + b"\x1a"
    assert EtxPromptDecoder(1500).feed(escaped) == ("send", payload)
    hosts = {"sink.example.net": {"ip": SERVER_IP, "services": []}}
    sim = world(hosts=hosts, network={"link": {"delay": "20ms"}})
    got: list[bytes] = []

    def accept(sock: object) -> None:
        sock.on_data = lambda s: got.append(s.recv())

    from tests.modem.vendors.simcom.harness import peer

    peer(sim, "sink.example.net").tcp_listen(100, accept)
    exchange(sim, "ATE0", b"ATE0\r\r\nOK\r\n")
    netopen_quiet(sim)
    line = f'AT+CIPOPEN=0,"TCP","{SERVER_IP}",100'
    exchange(sim, line, b"\r\nOK\r\n")
    wait_for(sim, b"\r\n+CIPOPEN: 0,0\r\n", 5)
    exchange(sim, "AT+CIPSEND=0,", b"\r\n>")
    tail = f"\r\nOK\r\n\r\n+CIPSEND: 0,{len(payload)},{len(payload)}\r\n".encode()
    assert exchange(sim, escaped, tail, 10) == tail
    sim.advance(2)
    assert b"".join(got) == payload


def netopen_quiet(sim: object) -> None:
    """NETOPEN with echo off (ATE0)."""
    exchange(sim, 'AT+CGDCONT=1,"IP","internet"', b"\r\nOK\r\n")
    exchange(sim, "AT+NETOPEN", b"\r\nOK\r\n")
    wait_for(sim, b"\r\n+NETOPEN: 0\r\n", 10)


def test_a_bug_in_a_client_links_socket_callback_is_traced_not_raised() -> None:
    # The TCP socket's callbacks of an AT+CIPOPEN link are guarded (Dialect.guarded's rule):
    # a failing handler is an internal_error record and the module keeps answering.
    sim = world(hosts=echo_hosts())
    netopen(sim)
    dialect = sim.module.dialect

    def broken(*_args: object) -> None:
        raise RuntimeError("handler bug")

    dialect._on_connected = broken  # instance attribute: what the link's callback looks up
    line = f'AT+CIPOPEN=0,"TCP","{SERVER_IP}",100'
    exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
    sim.advance(5)
    errors = [r for r in sim.trace.records if r.kind == "internal_error"]
    assert len(errors) == 1 and "handler bug" in errors[0].fields["error"]
    sim.dte.read_available()
    assert exchange(sim, "AT", b"AT\r\r\nOK\r\n") == b"AT\r\r\nOK\r\n"
