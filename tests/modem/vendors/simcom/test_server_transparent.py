"""TCP server (A76 3.4.1/3.4.2, S76 L1114/L1115) and transparent client mode (A76 3.2.3),
byte for byte on the UART. The client of the server examples is an operator host at
192.168.108.5 (the address of the A76 examples), which reaches the module without the NAT."""

from __future__ import annotations

import pytest

from tests.modem.vendors.simcom.harness import exchange, netopen, peer, quiet, wait_for, world

CLIENT_IP = "192.168.108.5"


def client_world(module: str = "simcom-a7670") -> object:
    hosts = {
        "client.example.net": {"ip": CLIENT_IP, "services": []},
        "server.example.net": {
            "ip": "117.131.85.139",
            "services": [{"type": "tcp-echo", "port": 5253}],
        },
    }
    return world(
        module, hosts=hosts, network={"apn": {"name": "CMNET"}, "link": {"delay": "100ms"}}
    )


def connect_client(sim: object, port: int) -> tuple[object, list[bytes]]:
    """A TCP client on the operator host; returns the socket and the list it receives into."""
    client = peer(sim, "client.example.net")
    got: list[bytes] = []
    sock = client.tcp_connect(sim.world.module_host.ip, port)
    sock.on_data = lambda s: got.append(s.recv())
    return sock, got


def test_server_non_transparent() -> None:
    sim = client_world()
    netopen(sim, "CMNET")
    for port, index in ((8080, 0), (9090, 1), (7070, 2), (6060, 3)):
        line = f"AT+SERVERSTART={port},{index}"
        assert (
            exchange(sim, line, line.encode() + b"\r\r\nOK\r\n") == line.encode() + b"\r\r\nOK\r\n"
        )
    expected = (
        b"AT+SERVERSTART?\r\r\n+SERVERSTART: 0,8080\r\n+SERVERSTART: 1,9090\r\n"
        b"+SERVERSTART: 2,7070\r\n+SERVERSTART: 3,6060\r\n\r\nOK\r\n"
    )
    assert exchange(sim, "AT+SERVERSTART?", expected) == expected
    expected = b"AT+SERVERSTART=5050,1\r\r\n+CIPERROR: 7\r\n\r\nERROR\r\n"  # index 1 is busy
    assert exchange(sim, "AT+SERVERSTART=5050,1", expected) == expected
    sock, received = connect_client(sim, 8080)
    urc = f"\r\n+CLIENT: 0,0,{CLIENT_IP}:{sock.local[1]}\r\n".encode()
    assert wait_for(sim, urc, 5) == urc
    lines = [f'+CIPOPEN: 0,"TCP","{CLIENT_IP}",{sock.local[1]},0'] + [
        f"+CIPOPEN: {i}" for i in range(1, 10)
    ]
    expected = b"AT+CIPOPEN?\r\r\n" + "".join(x + "\r\n" for x in lines).encode() + b"\r\nOK\r\n"
    assert exchange(sim, "AT+CIPOPEN?", expected) == expected
    exchange(sim, "AT+CIPSEND=0,5", b"AT+CIPSEND=0,5\r\r\n>")
    assert (
        exchange(sim, b"HELLO", b"HELLO\r\nOK\r\n\r\n+CIPSEND: 0,5,5\r\n")
        == b"HELLO\r\nOK\r\n\r\n+CIPSEND: 0,5,5\r\n"
    )
    # A76 3.4.2: an accepted socket only sends fixed lengths on the A7670.
    expected = b"AT+CIPSEND=0,\r\r\n+CIPERROR: 4\r\n\r\nERROR\r\n"
    assert exchange(sim, "AT+CIPSEND=0,", expected) == expected
    sim.advance(1)
    assert b"".join(received) == b"HELLO"
    sock.send(b"HELLO SERVER")
    pushed = f"\r\nRECV FROM:{CLIENT_IP}:{sock.local[1]}\r\n+IPD12\r\nHELLO SERVER".encode()
    assert wait_for(sim, pushed, 5) == pushed
    # A76 3.4.2: server 0 stops while its accepted link 0 is open ("+SERVERSTOP: 0,0" OK);
    # the accepted socket stays usable and nobody else gets in.
    expected = b"AT+SERVERSTOP=0\r\r\n+SERVERSTOP: 0,0\r\n\r\nOK\r\n"
    assert exchange(sim, "AT+SERVERSTOP=0", expected) == expected
    exchange(sim, "AT+CIPSEND=0,3", b"AT+CIPSEND=0,3\r\r\n>")
    assert exchange(sim, b"BYE", b"BYE\r\nOK\r\n\r\n+CIPSEND: 0,3,3\r\n") == (
        b"BYE\r\nOK\r\n\r\n+CIPSEND: 0,3,3\r\n"
    )
    sim.advance(1)
    assert b"".join(received) == b"HELLOBYE"
    late, _ = connect_client(sim, 8080)
    assert quiet(sim, 5) == b""  # no +CLIENT: port 8080 no longer listens
    assert late.close_reason == "refused"
    exchange(sim, "AT+CIPCLOSE=0", b"AT+CIPCLOSE=0\r\r\nOK\r\n")
    assert wait_for(sim, b"\r\n+CIPCLOSE: 0,0\r\n", 5) == b"\r\n+CIPCLOSE: 0,0\r\n"
    for index in range(1, 4):
        expected = f"AT+SERVERSTOP={index}\r\r\n+SERVERSTOP: {index},0\r\n\r\nOK\r\n".encode()
        assert exchange(sim, f"AT+SERVERSTOP={index}", expected) == expected
    expected = b"AT+SERVERSTOP=0\r\r\n+SERVERSTOP: 0,4\r\n\r\nERROR\r\n"
    assert exchange(sim, "AT+SERVERSTOP=0", expected) == expected


def test_sim7600_serverstop_with_an_accepted_socket_is_refused() -> None:
    # S76 L1115: the sockets of the server must be closed first (<err> 9 "Sockets opened").
    sim = client_world("simcom-sim7600")
    netopen(sim, "CMNET")
    exchange(sim, "AT+SERVERSTART=8080,0", b"AT+SERVERSTART=8080,0\r\r\nOK\r\n")
    sock, _ = connect_client(sim, 8080)
    urc = f"\r\n+CLIENT: 0,0,{CLIENT_IP}:{sock.local[1]}\r\n".encode()
    assert wait_for(sim, urc, 5) == urc
    expected = b"AT+SERVERSTOP=0\r\r\n+SERVERSTOP: 0,9\r\n\r\nERROR\r\n"
    assert exchange(sim, "AT+SERVERSTOP=0", expected) == expected
    exchange(sim, "AT+CIPCLOSE=0", b"AT+CIPCLOSE=0\r\r\nOK\r\n")
    assert wait_for(sim, b"\r\n+CIPCLOSE: 0,0\r\n", 5) == b"\r\n+CIPCLOSE: 0,0\r\n"
    expected = b"AT+SERVERSTOP=0\r\r\n+SERVERSTOP: 0,0\r\n\r\nOK\r\n"
    assert exchange(sim, "AT+SERVERSTOP=0", expected) == expected


@pytest.mark.parametrize("module", ["simcom-sim7600", "simcom-a7670"])
def test_serverstop_during_a_handshake_answers_ok_then_the_urc(module: str) -> None:
    # S76 L1115 "If the server socket starts to close, response: OK +SERVERSTOP: <i>,<err>":
    # a client's SYN has arrived (100 ms radio delay) but its ACK has not; the handshake is
    # reset, and the result follows OK.
    sim = client_world(module)
    netopen(sim, "CMNET")
    exchange(sim, "AT+SERVERSTART=8080,0", b"AT+SERVERSTART=8080,0\r\r\nOK\r\n")
    sock, _ = connect_client(sim, 8080)
    sim.advance(0.15)  # SYN in, SYN-ACK on its way back: one handshake pending on the server
    got = exchange(sim, "AT+SERVERSTOP=0", b"AT+SERVERSTOP=0\r\r\nOK\r\n")
    assert got == b"AT+SERVERSTOP=0\r\r\nOK\r\n"
    assert wait_for(sim, b"\r\n+SERVERSTOP: 0,0\r\n", 1) == b"\r\n+SERVERSTOP: 0,0\r\n"
    assert quiet(sim, 3) == b""  # never a +CLIENT
    assert sock.close_reason in ("reset", "refused")  # the RST reached the client
    expected = b"AT+SERVERSTOP=0\r\r\n+SERVERSTOP: 0,4\r\n\r\nERROR\r\n"
    assert exchange(sim, "AT+SERVERSTOP=0", expected) == expected


def test_server_transparent() -> None:
    # A76 3.4.1: CIPMODE=1, server 0; the client lands on link 0 in data mode.
    sim = client_world()
    exchange(sim, "AT+CIPMODE=1", b"AT+CIPMODE=1\r\r\nOK\r\n")
    netopen(sim, "CMNET")
    exchange(sim, "AT+SERVERSTART=8080,0", b"AT+SERVERSTART=8080,0\r\r\nOK\r\n")
    sock, received = connect_client(sim, 8080)
    urc = f"\r\n+CLIENT: 0,0,{CLIENT_IP}:{sock.local[1]}\r\n\r\nCONNECT 115200\r\n".encode()
    assert wait_for(sim, urc, 5) == urc
    sock.send(b"from the client")
    assert wait_for(sim, b"from the client", 5) == b"from the client"  # raw, no header
    sim.dte.write(b"to the client")
    sim.advance(1.2)
    assert b"".join(received) == b"to the client"
    assert exchange(sim, b"+++", b"\r\nOK\r\n", 3) == b"\r\nOK\r\n"
    exchange(sim, "AT+CIPCLOSE=0", b"AT+CIPCLOSE=0\r\r\nOK\r\n")
    got = wait_for(sim, b"\r\n+CIPCLOSE: 0,0\r\n", 5)
    assert got == b"\r\nCLOSED\r\n\r\n+CIPCLOSE: 0,0\r\n"
    expected = b"AT+SERVERSTOP=0\r\r\n+SERVERSTOP: 0,0\r\n\r\nOK\r\n"
    assert exchange(sim, "AT+SERVERSTOP=0", expected) == expected


def test_tcp_transparent_client_escape_and_ato() -> None:
    # A76 3.2.3: CONNECT 115200, raw data, +++ after 1 s of silence, CIPOPEN?, ATO, close.
    sim = client_world()
    exchange(sim, "AT+CIPMODE=1", b"AT+CIPMODE=1\r\r\nOK\r\n")
    netopen(sim, "CMNET")
    line = 'AT+CIPOPEN=0,"TCP","117.131.85.139",5253'
    expected = line.encode() + b"\r\r\nCONNECT 115200\r\n"
    assert exchange(sim, line, expected, 5) == expected
    sim.dte.write(b"DATA FROM SERVER")
    assert wait_for(sim, b"DATA FROM SERVER", 5) == b"DATA FROM SERVER"  # echoed by the peer
    sim.advance(1.2)
    assert exchange(sim, b"+++", b"\r\nOK\r\n", 3) == b"\r\nOK\r\n"
    lines = ['+CIPOPEN: 0,"TCP","117.131.85.139",5253,-1'] + [
        f"+CIPOPEN: {i}" for i in range(1, 10)
    ]
    expected = b"AT+CIPOPEN?\r\r\n" + "".join(x + "\r\n" for x in lines).encode() + b"\r\nOK\r\n"
    assert exchange(sim, "AT+CIPOPEN?", expected) == expected
    assert exchange(sim, "ATO", b"ATO\r\r\nCONNECT 115200\r\n") == b"ATO\r\r\nCONNECT 115200\r\n"
    sim.dte.write(b"HELLO CLIENT")
    assert wait_for(sim, b"HELLO CLIENT", 5) == b"HELLO CLIENT"
    sim.advance(1.2)
    assert exchange(sim, b"+++", b"\r\nOK\r\n", 3) == b"\r\nOK\r\n"
    exchange(sim, "AT+CIPCLOSE=0", b"AT+CIPCLOSE=0\r\r\nOK\r\n")
    assert wait_for(sim, b"\r\n+CIPCLOSE: 0,0\r\n", 5) == b"\r\nCLOSED\r\n\r\n+CIPCLOSE: 0,0\r\n"
    assert exchange(sim, "ATO", b"ATO\r\r\nNO CARRIER\r\n") == b"ATO\r\r\nNO CARRIER\r\n"


def test_transparent_connect_fail() -> None:
    sim = client_world()
    exchange(sim, "AT+CIPMODE=1", b"AT+CIPMODE=1\r\r\nOK\r\n")
    exchange(sim, "AT+CIPTIMEOUT=,3000", b"AT+CIPTIMEOUT=,3000\r\r\nOK\r\n")
    netopen(sim, "CMNET")
    line = 'AT+CIPOPEN=0,"TCP","198.51.100.7",80'
    expected = line.encode() + b"\r\r\nCONNECT FAIL\r\n"
    assert exchange(sim, line, expected, 10) == expected


def test_transparent_peer_close_prints_closed() -> None:
    hosts = {
        "source.example.net": {
            "ip": "117.131.85.140",
            "services": [
                {"type": "tcp-source", "port": 5300, "pattern": "bye", "bytes": 3, "close": True}
            ],
        }
    }
    sim = world("simcom-sim7600", hosts=hosts)
    exchange(sim, "AT+CIPMODE=1", b"AT+CIPMODE=1\r\r\nOK\r\n")
    netopen(sim)
    line = 'AT+CIPOPEN=0,"TCP","117.131.85.140",5300'
    exchange(sim, line, line.encode() + b"\r\r\nCONNECT 115200\r\n", 5)
    assert wait_for(sim, b"\r\nCLOSED\r\n", 5) == b"bye\r\nCLOSED\r\n"
    assert quiet(sim, 2) == b""
    expected = b"AT+CIPCLOSE?\r\r\n+CIPCLOSE: 0,0,0,0,0,0,0,0,0,0\r\n\r\nOK\r\n"
    assert exchange(sim, "AT+CIPCLOSE?", expected) == expected


def test_dtr_drop_with_and_d2_closes_the_transparent_link() -> None:
    # AT&D2: DTR off hangs up (V.250); A76 4.2 gives the close reason 2 "DTR off".
    sim = client_world()
    exchange(sim, "AT&D2", b"AT&D2\r\r\nOK\r\n")
    exchange(sim, "AT+CIPMODE=1", b"AT+CIPMODE=1\r\r\nOK\r\n")
    netopen(sim, "CMNET")
    line = 'AT+CIPOPEN=0,"TCP","117.131.85.139",5253'
    exchange(sim, line, line.encode() + b"\r\r\nCONNECT 115200\r\n", 5)
    sim.advance(1)
    sim.dte.dtr = False
    got = wait_for(sim, b"\r\n+IPCLOSE: 0,2\r\n", 2)
    assert got == b"\r\nNO CARRIER\r\n\r\n+IPCLOSE: 0,2\r\n"
    expected = b"AT+CIPCLOSE?\r\r\n+CIPCLOSE: 0,0,0,0,0,0,0,0,0,0\r\n\r\nOK\r\n"
    sim.dte.dtr = True
    assert exchange(sim, "AT+CIPCLOSE?", expected) == expected


def test_connect_text_follows_the_uart_rate() -> None:
    hosts = {"server.example.net": {"ip": "117.131.85.139",
                                    "services": [{"type": "tcp-echo", "port": 5253}]}}
    sim = world("simcom-a7670", hosts=hosts, network={"apn": {"name": "CMNET"}},
                uart={"baud": 921600})
    exchange(sim, "AT+CIPMODE=1", b"AT+CIPMODE=1\r\r\nOK\r\n")
    netopen(sim, "CMNET")
    line = 'AT+CIPOPEN=0,"TCP","117.131.85.139",5253'
    expected = line.encode() + b"\r\r\nCONNECT 921600\r\n"
    assert exchange(sim, line, expected, 5) == expected


@pytest.mark.parametrize(("module", "escaped"), [("simcom-a7670", False), ("simcom-sim7600", True)])
def test_escape_gap_between_plus_characters(module: str, escaped: bool) -> None:
    # A76 1.5.4: at most 900 ms between the characters of +++ (1 s of silence around it). A
    # 950 ms gap is data on the A7670; the SIM7600 only has the 1 s guard time (S12 = 50).
    sim = client_world(module)
    exchange(sim, "AT+CIPMODE=1", b"AT+CIPMODE=1\r\r\nOK\r\n")
    netopen(sim, "CMNET")
    line = 'AT+CIPOPEN=0,"TCP","117.131.85.139",5253'
    exchange(sim, line, line.encode() + b"\r\r\nCONNECT 115200\r\n", 5)
    sim.advance(1.2)
    sim.dte.write(b"+")
    sim.advance(0.95)
    sim.dte.write(b"++")
    got = quiet(sim, 2.5)
    if escaped:
        assert got == b"\r\nOK\r\n"
        return
    assert got == b"+++"  # passed on as data and echoed back by the server
    sim.advance(1.2)
    for _ in range(3):  # 500 ms apart: the escape
        sim.dte.write(b"+")
        sim.advance(0.5)
    assert quiet(sim, 1.5) == b"\r\nOK\r\n"
