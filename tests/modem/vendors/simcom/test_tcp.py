"""TCP client flows of both documents on the simulated network, byte for byte on the UART.

Expected bytes are written from the documents (S76 = SIM7600 TCP/IP manual, A76 = A76xx note);
timings are bounded from the scenario's own parameters (link delay, PDP activation delay, the
TCP model's RTO settings), never read back from the dialect.
"""

from __future__ import annotations

import pytest

from tests.modem.vendors.simcom.harness import (
    SERVER_IP,
    echo_hosts,
    exchange,
    netopen,
    peer,
    quiet,
    wait_for,
    world,
)

DELAY = 0.2  # one-way radio delay used below (s)


def test_netopen_waits_for_pdp_activation() -> None:
    # S76 L1101: OK at once, +NETOPEN: 0 when the PDP context is active (1.5 s in this network).
    sim = world(network={"pdp": {"activation_delay": "1500ms"}})
    line = b'AT+CGDCONT=1,"IP","internet"'
    assert exchange(sim, line.decode(), line + b"\r\r\nOK\r\n") == line + b"\r\r\nOK\r\n"
    assert exchange(sim, "AT+NETOPEN", b"AT+NETOPEN\r\r\nOK\r\n") == b"AT+NETOPEN\r\r\nOK\r\n"
    t_ok = sim.now
    assert wait_for(sim, b"\r\n+NETOPEN: 0\r\n", 10) == b"\r\n+NETOPEN: 0\r\n"
    assert 1.5 <= sim.now - t_ok <= 1.7
    expected = b"AT+NETOPEN?\r\r\n+NETOPEN: 1\r\n\r\nOK\r\n"
    assert exchange(sim, "AT+NETOPEN?", expected) == expected
    expected = b"AT+NETOPEN\r\r\n+IP ERROR: Network is already opened\r\n\r\nERROR\r\n"
    assert exchange(sim, "AT+NETOPEN", expected) == expected
    ip = sim.world.module_host.ip
    expected = b"AT+IPADDR\r\r\n+IPADDR: " + ip.encode() + b"\r\n\r\nOK\r\n"
    assert exchange(sim, "AT+IPADDR", expected) == expected
    assert exchange(sim, "AT+NETCLOSE", b"AT+NETCLOSE\r\r\nOK\r\n") == b"AT+NETCLOSE\r\r\nOK\r\n"
    assert wait_for(sim, b"\r\n+NETCLOSE: 0\r\n", 10) == b"\r\n+NETCLOSE: 0\r\n"
    expected = b"AT+NETCLOSE\r\r\n+NETCLOSE: 2\r\n\r\nERROR\r\n"
    assert exchange(sim, "AT+NETCLOSE", expected) == expected


@pytest.mark.parametrize("module", ["simcom-sim7600", "simcom-a7670"])
def test_tcp_direct_push(module: str) -> None:
    # A76 3.2.1 / S76 L1103, L1105, L1106 (mode 0), L1104.
    sim = world(module, hosts=echo_hosts(), network={"link": {"delay": f"{int(DELAY * 1000)}ms"}})
    netopen(sim)
    line = f'AT+CIPOPEN=1,"TCP","{SERVER_IP}",100'
    assert exchange(sim, line, line.encode() + b"\r\r\nOK\r\n") == line.encode() + b"\r\r\nOK\r\n"
    t_ok = sim.now
    assert wait_for(sim, b"\r\n+CIPOPEN: 1,0\r\n") == b"\r\n+CIPOPEN: 1,0\r\n"
    assert 2 * DELAY <= sim.now - t_ok <= 2 * DELAY + 0.3  # one SYN / SYN-ACK round trip
    assert exchange(sim, "AT+CIPSEND=1,5", b"AT+CIPSEND=1,5\r\r\n>") == b"AT+CIPSEND=1,5\r\r\n>"
    expected = b"HELLO\r\nOK\r\n\r\n+CIPSEND: 1,5,5\r\n"  # typed data echoed (ATE1)
    assert exchange(sim, b"HELLO", expected) == expected
    pushed = b"\r\nRECV FROM:" + SERVER_IP.encode() + b":100\r\n+IPD5\r\nHELLO"
    assert wait_for(sim, pushed) == pushed
    assert (
        exchange(sim, "AT+CIPCLOSE=1", b"AT+CIPCLOSE=1\r\r\nOK\r\n") == b"AT+CIPCLOSE=1\r\r\nOK\r\n"
    )
    assert wait_for(sim, b"\r\n+CIPCLOSE: 1,0\r\n", 5) == b"\r\n+CIPCLOSE: 1,0\r\n"
    assert quiet(sim, 3) == b""  # no +IPCLOSE after a local close


def test_cipsend_variable_length_etx_and_esc() -> None:
    # S76 L1105: Ctrl-Z ends, ESC cancels, ETX escapes Ctrl-Z / ESC / ETX in the data.
    sim = world(hosts=echo_hosts(), network={"link": {"delay": "100ms"}})
    netopen(sim)
    line = f'AT+CIPOPEN=2,"TCP","{SERVER_IP}",100'
    exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
    wait_for(sim, b"\r\n+CIPOPEN: 2,0\r\n")
    assert exchange(sim, "AT+CIPSEND=2,", b"AT+CIPSEND=2,\r\r\n>") == b"AT+CIPSEND=2,\r\r\n>"
    typed = b"a\x03\x1ab\x03\x1bc\x03\x03\x1a"
    expected = typed + b"\r\nOK\r\n\r\n+CIPSEND: 2,6,6\r\n"
    assert exchange(sim, typed, expected) == expected
    pushed = b"\r\nRECV FROM:" + SERVER_IP.encode() + b":100\r\n+IPD6\r\na\x1ab\x1bc\x03"
    assert wait_for(sim, pushed) == pushed
    assert exchange(sim, "AT+CIPSEND=2,", b"AT+CIPSEND=2,\r\r\n>") == b"AT+CIPSEND=2,\r\r\n>"
    assert exchange(sim, b"Hello\x1b", b"Hello\x1b\r\nERROR\r\n") == b"Hello\x1b\r\nERROR\r\n"
    assert quiet(sim, 2) == b""  # nothing was sent, nothing comes back


def test_buffer_access_reads_exact_rest_lengths() -> None:
    # A76 3.2.2 with the 16 bytes "data from server" sent by a source peer.
    hosts = {
        "source.example.net": {
            "ip": "117.131.85.139",
            "services": [
                {
                    "type": "tcp-source",
                    "port": 5253,
                    "pattern": "data from server",
                    "bytes": 16,
                    "close": False,
                }
            ],
        }
    }
    sim = world("simcom-a7670", hosts=hosts, network={"apn": {"name": "CMNET"}})
    netopen(sim, "CMNET")
    assert (
        exchange(sim, "AT+CIPRXGET=1", b"AT+CIPRXGET=1\r\r\nOK\r\n") == b"AT+CIPRXGET=1\r\r\nOK\r\n"
    )
    line = 'AT+CIPOPEN=1,"TCP","117.131.85.139",5253'
    exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
    assert wait_for(sim, b"\r\n+CIPOPEN: 1,0\r\n") == b"\r\n+CIPOPEN: 1,0\r\n"
    assert wait_for(sim, b"\r\n+CIPRXGET: 1,1\r\n") == b"\r\n+CIPRXGET: 1,1\r\n"
    cases = [
        ("AT+CIPRXGET=4,1", b"\r\n+CIPRXGET: 4,1,16\r\n\r\nOK\r\n"),
        ("AT+CIPRXGET=2,1,5", b"\r\n+CIPRXGET: 2,1,5,11\r\ndata \r\nOK\r\n"),
        ("AT+CIPRXGET=3,1,5", b"\r\n+CIPRXGET: 3,1,5,6\r\n66726F6D20\r\nOK\r\n"),
        ("AT+CIPRXGET=4,1", b"\r\n+CIPRXGET: 4,1,6\r\n\r\nOK\r\n"),
        ("AT+CIPRXGET=2,2", b"\r\n+IP ERROR: No data\r\n\r\nERROR\r\n"),
        ("AT+CIPRXGET=2,1", b"\r\n+CIPRXGET: 2,1,6,0\r\nserver\r\nOK\r\n"),
        ("AT+CIPRXGET=4,1", b"\r\n+CIPRXGET: 4,1,0\r\n\r\nOK\r\n"),
    ]
    for line, answer in cases:
        expected = line.encode() + b"\r" + answer
        assert exchange(sim, line, expected) == expected
    assert quiet(sim, 2) == b""  # no second +CIPRXGET: 1,1 for the same data


def test_cipack_counters_from_the_tcp_socket() -> None:
    # S76 L1116 example: +CIPACK: 16,16,5 after sending 16 bytes and receiving 5.
    hosts = {
        "source.example.net": {
            "ip": "116.228.221.60",
            "services": [
                {"type": "tcp-source", "port": 19, "pattern": "hello", "bytes": 5, "close": False}
            ],
        }
    }
    sim = world(hosts=hosts, network={"link": {"delay": "100ms"}})
    netopen(sim)
    exchange(sim, "AT+CIPRXGET=1", b"AT+CIPRXGET=1\r\r\nOK\r\n")
    line = 'AT+CIPOPEN=0,"TCP","116.228.221.60",19'
    exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
    wait_for(sim, b"\r\n+CIPOPEN: 0,0\r\n")
    wait_for(sim, b"\r\n+CIPRXGET: 1,0\r\n")
    exchange(sim, "AT+CIPSEND=0,16", b"AT+CIPSEND=0,16\r\r\n>")
    exchange(sim, b"0123456789abcdef", b"0123456789abcdef\r\nOK\r\n\r\n+CIPSEND: 0,16,16\r\n")
    sim.advance(2)
    expected = b"AT+CIPACK=0\r\r\n+CIPACK: 16,16,5\r\n\r\nOK\r\n"
    assert exchange(sim, "AT+CIPACK=0", expected) == expected


def test_cipsendmode_1_waits_for_the_peer_ack() -> None:
    # S76 L1111: mode 1 reports +CIPSEND only after the ACK, i.e. at least one round trip.
    hosts = {"sink.example.net": {"ip": SERVER_IP, "services": [{"type": "tcp-sink", "port": 100}]}}
    sim = world(hosts=hosts, network={"link": {"delay": "500ms"}})
    netopen(sim)
    line = f'AT+CIPOPEN=0,"TCP","{SERVER_IP}",100'
    exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
    wait_for(sim, b"\r\n+CIPOPEN: 0,0\r\n", 5)
    exchange(sim, "AT+CIPSEND=0,5", b"AT+CIPSEND=0,5\r\r\n>")
    t0 = sim.now
    exchange(sim, b"HELLO", b"HELLO\r\nOK\r\n\r\n+CIPSEND: 0,5,5\r\n")
    assert sim.now - t0 < 0.2  # mode 0: no wait for the network
    exchange(sim, "AT+CIPSENDMODE=1", b"AT+CIPSENDMODE=1\r\r\nOK\r\n")
    exchange(sim, "AT+CIPSEND=0,5", b"AT+CIPSEND=0,5\r\r\n>")
    assert exchange(sim, b"WORLD", b"WORLD\r\nOK\r\n") == b"WORLD\r\nOK\r\n"
    t_ok = sim.now
    assert wait_for(sim, b"\r\n+CIPSEND: 0,5,5\r\n", 5) == b"\r\n+CIPSEND: 0,5,5\r\n"
    assert sim.now - t_ok >= 2 * 0.5  # the data's trip out and the ACK's trip back
    expected = b"AT+CIPACK=0\r\r\n+CIPACK: 10,10,0\r\n\r\nOK\r\n"
    assert exchange(sim, "AT+CIPACK=0", expected) == expected


def test_server_refuses() -> None:
    sim = world(
        hosts=echo_hosts(),
        network={"link": {"delay": "200ms"}},
        faults=[{"at": 0, "action": "server-refuse", "host": "server.example.net", "port": 100}],
    )
    netopen(sim)
    line = f'AT+CIPOPEN=0,"TCP","{SERVER_IP}",100'
    exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
    t_ok = sim.now
    assert wait_for(sim, b"\r\n+CIPOPEN: 0,1\r\n", 5) == b"\r\n+CIPOPEN: 0,1\r\n"
    assert 0.4 <= sim.now - t_ok <= 0.7  # the RST comes back after one round trip


def test_syn_timeout_follows_ciptimeout() -> None:
    # Every SYN vanishes (no host owns the address). CIPTIMEOUT <cipopen_timeout> = 5000 ms is
    # the connect budget from the first SYN; +CIPOPEN: 0,10 arrives then, not before.
    sim = world(network={"link": {"delay": "100ms"}})
    exchange(sim, "AT+CIPTIMEOUT=,5000", b"AT+CIPTIMEOUT=,5000\r\r\nOK\r\n")
    netopen(sim)
    line = 'AT+CIPOPEN=0,"TCP","198.51.100.77",8000'
    exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
    t_ok = sim.now
    assert wait_for(sim, b"\r\n+CIPOPEN: 0,10\r\n", 10) == b"\r\n+CIPOPEN: 0,10\r\n"
    assert 5.0 <= sim.now - t_ok <= 5.0 + 0.05  # + the socket-creation latency (< 30 ms)


def test_syn_retries_follow_cipccfg_nmretry() -> None:
    # CIPCCFG <NmRetry>=2: one SYN and two retransmissions; the TCP model's RTO doubles from its
    # initial value, so the connect fails after initial_rto * (1 + 2 + 4).
    from simnet.net.tcp import TcpConfig

    rto0 = max(TcpConfig().initial_rto, 0.5)
    sim = world(network={"link": {"delay": "100ms"}})
    exchange(sim, "AT+CIPCCFG=2", b"AT+CIPCCFG=2\r\r\nOK\r\n")
    netopen(sim)
    line = 'AT+CIPOPEN=0,"TCP","198.51.100.77",8000'
    exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
    t_ok = sim.now
    assert wait_for(sim, b"\r\n+CIPOPEN: 0,10\r\n", 60) == b"\r\n+CIPOPEN: 0,10\r\n"
    assert 7 * rto0 <= sim.now - t_ok <= 7 * rto0 + 0.05


def test_peer_close_reports_ipclose_reason_1() -> None:
    hosts = {
        "source.example.net": {
            "ip": "117.131.85.140",
            "services": [
                {"type": "tcp-source", "port": 5300, "pattern": "bye", "bytes": 3, "close": True}
            ],
        }
    }
    sim = world("simcom-a7670", hosts=hosts, network={"apn": {"name": "CMNET"}})
    netopen(sim, "CMNET")
    line = 'AT+CIPOPEN=0,"TCP","117.131.85.140",5300'
    exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
    got = wait_for(sim, b"\r\n+IPCLOSE: 0,1\r\n", 5)
    assert got == (
        b"\r\n+CIPOPEN: 0,0\r\n\r\nRECV FROM:117.131.85.140:5300\r\n+IPD3\r\nbye"
        b"\r\n+IPCLOSE: 0,1\r\n"
    )
    expected = b"AT+CIPSEND=0,1\r\r\n+CIPERROR: 4\r\n\r\nERROR\r\n"
    assert exchange(sim, "AT+CIPSEND=0,1", expected) == expected


@pytest.mark.parametrize(
    ("module", "event"),
    [
        ("simcom-sim7600", b"+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY"),
        ("simcom-a7670", b"+CPIPEVENT: NETWORK CLOSED UNEXPECTEDLY"),
    ],
)
def test_bearer_drop_with_two_sockets(module: str, event: bytes) -> None:
    hosts = echo_hosts()
    sim = world(
        module,
        hosts=hosts,
        network={"link": {"delay": "100ms"}},
        faults=[{"at": 10, "action": "bearer-drop"}],
    )
    netopen(sim)
    for link in (0, 1):
        line = f'AT+CIPOPEN={link},"TCP","{SERVER_IP}",100'
        exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
        wait_for(sim, f"\r\n+CIPOPEN: {link},0\r\n".encode())
    assert sim.now < 10
    got = wait_for(sim, event + b"\r\n", 15)
    assert got == b"\r\n" + event + b"\r\n"  # once, and no +IPCLOSE before it
    assert quiet(sim, 2) == b""
    expected = b"AT+NETOPEN?\r\r\n+NETOPEN: 0\r\n\r\nOK\r\n"
    assert exchange(sim, "AT+NETOPEN?", expected) == expected
    expected = b"AT+CIPCLOSE?\r\r\n+CIPCLOSE: 0,0,0,0,0,0,0,0,0,0\r\n\r\nOK\r\n"
    assert exchange(sim, "AT+CIPCLOSE?", expected) == expected
    for link in (0, 1):
        expected = f"AT+CIPCLOSE={link}\r\r\n+CIPCLOSE: {link},4\r\n\r\nERROR\r\n".encode()
        assert exchange(sim, f"AT+CIPCLOSE={link}", expected) == expected


def test_pdp_reject() -> None:
    sim = world()
    line = b'AT+CGDCONT=1,"IP","wrong.apn"'
    exchange(sim, line.decode(), line + b"\r\r\nOK\r\n")
    exchange(sim, "AT+NETOPEN", b"AT+NETOPEN\r\r\nOK\r\n")
    assert wait_for(sim, b"\r\n+NETOPEN: 1\r\n", 60) == b"\r\n+NETOPEN: 1\r\n"
    expected = b"AT+NETOPEN?\r\r\n+NETOPEN: 0\r\n\r\nOK\r\n"
    assert exchange(sim, "AT+NETOPEN?", expected) == expected


def test_send_buffer_full_gives_cnf_zero() -> None:
    # A peer that accepts and never reads: its receive window closes, then the module's TCP send
    # buffer fills, and +CIPSEND reports <cnfSendLength> 0 (S76 L1105) without sending.
    from simnet.net.tcp import TcpConfig

    sim = world(
        network={"link": {"delay": "50ms", "rate": "1Mbps"}},
        hosts={"stall.example.net": {"ip": "203.0.113.30", "services": []}},
    )
    held: list[object] = []
    peer(sim, "stall.example.net").tcp_listen(7000, held.append)
    netopen(sim)
    line = 'AT+CIPOPEN=0,"TCP","203.0.113.30",7000'
    exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
    wait_for(sim, b"\r\n+CIPOPEN: 0,0\r\n")
    block = bytes(range(48, 98)) * 30  # 1500 printable bytes
    accepted = 0
    for _ in range(200):
        exchange(sim, "AT+CIPSEND=0,1500", b"AT+CIPSEND=0,1500\r\r\n>")
        sim.dte.write(block)
        m = sim.dte.expect(r"\r\nOK\r\n\r\n\+CIPSEND: 0,1500,(\d+)\r\n", 10)
        assert m.string[m.start() - len(block) : m.start()] == block.decode()  # the echo
        if m.group(1) == "0":
            break
        assert m.group(1) == "1500"
        accepted += 1500
        sim.advance(0.5)
    else:
        pytest.fail("the send buffer never filled")
    # What was accepted fits in the module's send buffer plus the peer's receive buffer.
    cfg = TcpConfig()
    assert cfg.send_buffer - 1500 < accepted <= cfg.send_buffer + cfg.recv_buffer
    assert held and held[0].readable > 0
    expected = f"AT+CIPACK=0\r\r\n+CIPACK: {accepted},".encode()
    assert exchange(sim, "AT+CIPACK=0", expected) == expected


def test_netopen_without_cgdcont_uses_the_default_context() -> None:
    # A fresh module has context 1 with an empty APN (the subscriber's default APN), so
    # NETOPEN after registration works without AT+CGDCONT, and AT+CGDCONT? then shows it.
    sim = world()
    assert exchange(sim, "AT+NETOPEN", b"AT+NETOPEN\r\r\nOK\r\n") == b"AT+NETOPEN\r\r\nOK\r\n"
    assert wait_for(sim, b"\r\n+NETOPEN: 0\r\n", 30) == b"\r\n+NETOPEN: 0\r\n"
    expected = b'AT+CGDCONT?\r\r\n+CGDCONT: 1,"IP","","0.0.0.0",0,0\r\n\r\nOK\r\n'
    assert exchange(sim, "AT+CGDCONT?", expected) == expected


@pytest.mark.parametrize("module", ["simcom-sim7600", "simcom-a7670"])
def test_local_port_in_use_fails_to_bind(module: str) -> None:
    # S76 L1103 "... or other errors, response: +CIPOPEN: <link_num>,<err> ERROR" with the
    # A76 4.1 <err> 6 "Failed to bind socket", as the UDP bind of a taken port answers.
    sim = world(module, hosts=echo_hosts(), network={"link": {"delay": "50ms"}})
    netopen(sim)
    line = f'AT+CIPOPEN=0,"TCP","{SERVER_IP}",100,4000'
    exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
    assert wait_for(sim, b"\r\n+CIPOPEN: 0,0\r\n", 5) == b"\r\n+CIPOPEN: 0,0\r\n"
    for target in (f'"{SERVER_IP}",100', '"server.example.net",100', '"198.51.100.7",80'):
        line = f'AT+CIPOPEN=1,"TCP",{target},4000'
        expected = line.encode() + b"\r\r\n+CIPOPEN: 1,6\r\n\r\nERROR\r\n"
        assert exchange(sim, line, expected) == expected
    # A listening server holds its port too.
    exchange(sim, "AT+SERVERSTART=4100,0", b"AT+SERVERSTART=4100,0\r\r\nOK\r\n")
    line = f'AT+CIPOPEN=1,"TCP","{SERVER_IP}",100,4100'
    expected = line.encode() + b"\r\r\n+CIPOPEN: 1,6\r\n\r\nERROR\r\n"
    assert exchange(sim, line, expected) == expected
    # Another local port (or 0: any) is fine.
    for local in (4001, 0):
        line = f'AT+CIPOPEN=1,"TCP","{SERVER_IP}",100,{local}'
        exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
        assert wait_for(sim, b"\r\n+CIPOPEN: 1,0\r\n", 5) == b"\r\n+CIPOPEN: 1,0\r\n"
        exchange(sim, "AT+CIPCLOSE=1", b"AT+CIPCLOSE=1\r\r\nOK\r\n")
        assert wait_for(sim, b"\r\n+CIPCLOSE: 1,0\r\n", 5) == b"\r\n+CIPCLOSE: 1,0\r\n"
