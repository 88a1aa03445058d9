"""§5 +WIPCREATE / +WIPCLOSE / +WIPOPT: sockets, their URCs (exact bytes), limits, spawning,
options and their effects."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.modem.vendors.wavecom.wipsoft.harness import (
    ECHO_IP,
    PEER_IP,
    cme_after,
    exchange,
    gprs,
    ok,
    ok_after,
    tcp,
    udp,
    wait_for,
    world,
)


def cme(sim: Any, line: str, code: int, timeout: float = 30.0) -> None:
    got = exchange(sim, line, cme_after(line, code), timeout)
    assert got == cme_after(line, code), got


def peer_connect(at: str, send: str = "", port: int = 80) -> dict[str, Any]:
    fault: dict[str, Any] = {
        "at": at,
        "action": "peer-connect",
        "host": "peer.example.net",
        "port": port,
    }
    if send:
        fault["send"] = send
    return fault


def test_udp_forms_of_5_1_6_and_their_ready_urc() -> None:
    sim = world()
    gprs(sim)
    udp(sim, "AT+WIPCREATE=1,1,80", 1)
    udp(sim, 'AT+WIPCREATE=1,2,"echo.example.net",80', 2)
    udp(sim, 'AT+WIPCREATE=1,3,81,"echo.example.net",80', 3)
    want = ok_after("AT+WIPOPT=1,3,1,0", "+WIPOPT: 1,3,0,81")
    assert exchange(sim, "AT+WIPOPT=1,3,1,0", want) == want
    want = ok_after("AT+WIPOPT=1,3,1,1", "+WIPOPT: 1,3,1,80")
    assert exchange(sim, "AT+WIPOPT=1,3,1,1", want) == want
    want = ok_after("AT+WIPOPT=1,3,1,2", f'+WIPOPT: 1,3,2,"{ECHO_IP}"')
    assert exchange(sim, "AT+WIPOPT=1,3,1,2", want) == want
    want = ok_after("AT+WIPOPT=1,1,1,3", "+WIPOPT: 1,1,3,0")  # no peer
    assert exchange(sim, "AT+WIPOPT=1,1,1,3", want) == want


def test_tcp_client_ready_and_close_urcs() -> None:
    sim = world()
    gprs(sim)
    tcp(sim, 1)
    ok(sim, "AT+WIPCLOSE=2,1")
    # §5.2.6: +WIPPEERCLOSE once the TCP client is closed (the echo server closes its side on FIN)
    assert wait_for(sim, b"\r\n+WIPPEERCLOSE: 2,1\r\n", 30) == b"\r\n+WIPPEERCLOSE: 2,1\r\n"
    cme(sim, "AT+WIPCLOSE=2,1", 830)


def test_close_urcs_for_udp_and_server() -> None:
    sim = world()
    gprs(sim)
    udp(sim, "AT+WIPCREATE=1,1,80", 1)
    ok(sim, "AT+WIPCREATE=3,1,80,5,9")
    want = ok_after("AT+WIPCLOSE=1,1") + b"\r\n+WIPPEERCLOSE: 1,1\r\n"
    assert exchange(sim, "AT+WIPCLOSE=1,1", want) == want
    want = ok_after("AT+WIPCLOSE=3,1") + b"\r\n+WIPPEERCLOSE: 3,1\r\n"
    assert exchange(sim, "AT+WIPCLOSE=3,1", want) == want


def test_tcp_refused_is_a_peer_close() -> None:
    sim = world()
    gprs(sim)
    ok(sim, 'AT+WIPCREATE=2,1,"echo.example.net",8')  # nothing listens on 8: RST
    assert wait_for(sim, b"\r\n+WIPPEERCLOSE: 2,1\r\n", 30) == b"\r\n+WIPPEERCLOSE: 2,1\r\n"
    cme(sim, 'AT+WIPCREATE=2,1,"echo.example.net",7', 830)  # held until +WIPCLOSE (§5.2.7)
    ok(sim, "AT+WIPCLOSE=2,1")


def test_unknown_name_is_842() -> None:
    sim = world()
    gprs(sim)
    cme(sim, 'AT+WIPCREATE=2,1,"nowhere.example.net",7', 842)
    cme(sim, 'AT+WIPCREATE=1,1,"nowhere.example.net",7', 842)


def test_index_port_protocol_and_count_errors() -> None:
    sim = world()
    gprs(sim)
    cme(sim, "AT+WIPCREATE=1,0,80", 830)
    cme(sim, "AT+WIPCREATE=1,17,80", 830)
    cme(sim, "AT+WIPCREATE=3,5,80,1,2", 830)  # servers are 1..4
    cme(sim, "AT+WIPCREATE=1,1,0", 832)
    cme(sim, 'AT+WIPCREATE=2,1,"echo.example.net",70000', 832)
    cme(sim, "AT+WIPCREATE=5,1,80", 837)
    udp(sim, "AT+WIPCREATE=1,1,80", 1)
    cme(sim, "AT+WIPCREATE=1,1,81", 830)  # in use
    cme(sim, "AT+WIPCREATE=1,2,80", 833)  # port bound
    ok(sim, "AT+WIPCREATE=3,1,80,5,9")
    cme(sim, 'AT+WIPCREATE=2,5,"echo.example.net",7', 830)  # reserved for the server
    cme(sim, "AT+WIPCREATE=3,2,81,9,10", 830)  # overlaps
    cme(sim, "AT+WIPCREATE=3,2,80,10,11", 833)  # TCP port 80 listens
    cme(sim, "AT+WIPCLOSE=6,1", 837)
    cme(sim, "AT+WIPCLOSE=1,2", 830)


def test_per_protocol_limit_of_8_udp_sockets() -> None:
    sim = world()
    gprs(sim)
    ok(sim, "AT+WIPCFG=2,6,20")  # lift WIP_NET_OPT_SOCK_MAX so §3.1.2's 8 UDP binds
    for i in range(1, 9):
        udp(sim, f"AT+WIPCREATE=1,{i},{5000 + i}", i)
    cme(sim, "AT+WIPCREATE=1,9,5009", 838)


def test_server_spawns_into_its_range_and_refuses_beyond_to_idx() -> None:
    faults = [peer_connect("10s", "one"), peer_connect("12s", "two"), peer_connect("14s", "three")]
    sim = world(faults=faults)
    gprs(sim)
    ok(sim, "AT+WIPCREATE=3,1,80,5,6")  # two slots: 5 and 6
    want = (
        b"\r\n+WIPACCEPT: 1,5\r\n\r\n+WIPDATA: 2,5,3\r\n"
        b"\r\n+WIPACCEPT: 1,6\r\n\r\n+WIPDATA: 2,6,3\r\n"
    )
    assert wait_for(sim, want[-19:], 20) == want
    sim.advance(5)
    assert sim.dte.read_available() == b""  # the third connection found no index: refused
    refused = [r for r in sim.trace.records if r.kind == "accept_refused"]
    assert len(refused) == 1 and refused[0].fields["peer"].startswith(PEER_IP)


def test_spawned_socket_inherits_server_options_and_reads() -> None:
    sim = world(faults=[peer_connect("10s", "hello")])
    gprs(sim)
    ok(sim, "AT+WIPCREATE=3,1,80,5,9")
    ok(sim, "AT+WIPOPT=3,1,2,9,10")
    ok(sim, "AT+WIPOPT=3,1,2,7,1")
    want = ok_after("AT+WIPOPT=3,1,1,9", "+WIPOPT: 3,1,9,10")  # §5.3.6 prints "2,1,9,10": erratum
    assert exchange(sim, "AT+WIPOPT=3,1,1,9", want) == want
    assert wait_for(sim, b"\r\n+WIPDATA: 2,5,5\r\n", 20).endswith(b"\r\n+WIPDATA: 2,5,5\r\n")
    for opt, value in (
        (9, "10"),
        (7, "1"),
        (1, str(sim.world.hosts["peer.example.net"].host.tcp.sockets[0].local[1])),
        (2, f'"{PEER_IP}"'),
        (6, "5"),
    ):
        want = ok_after(f"AT+WIPOPT=2,5,1,{opt}", f"+WIPOPT: 2,5,{opt},{value}")
        assert exchange(sim, f"AT+WIPOPT=2,5,1,{opt}", want) == want


@pytest.mark.parametrize(
    ("proto", "table"),
    [
        (1, {0: "R", 1: "R", 2: "R", 3: "R", 6: "R", 8: "RW", 9: "RW"}),
        (2, {0: "R", 1: "R", 2: "R", 4: "RW", 5: "RW", 6: "R", 7: "RW", 8: "RW", 9: "RW"}),
        (3, {0: "R", 4: "RW", 5: "RW", 7: "RW", 8: "RW", 9: "RW"}),
    ],
)
def test_option_table_of_5_3_7(proto: int, table: dict[int, str]) -> None:
    ranges = {4: 5839, 5: 5839, 7: 1, 8: 255, 9: 255}
    sim = world()
    gprs(sim)
    if proto == 1:
        udp(sim, 'AT+WIPCREATE=1,1,80,"echo.example.net",7', 1)
    elif proto == 2:
        tcp(sim, 1)
    else:
        ok(sim, "AT+WIPCREATE=3,1,80,5,9")
    for opt in range(10):
        access = table.get(opt)
        if access is None:
            cme(sim, f"AT+WIPOPT={proto},1,1,{opt}", 835)
            continue
        line = f"AT+WIPOPT={proto},1,1,{opt}"
        r = sim.dte.command(line)
        assert r.final == "OK" and re.fullmatch(
            rf'\+WIPOPT: {proto},1,{opt},("[0-9.]*"|\d+)', r.lines[0]
        ), r.raw
        if access == "R":
            cme(sim, f"AT+WIPOPT={proto},1,2,{opt},1", 835)
        else:
            hi = ranges[opt]
            ok(sim, f"AT+WIPOPT={proto},1,2,{opt},{hi}")
            want = ok_after(line, f"+WIPOPT: {proto},1,{opt},{hi}")
            assert exchange(sim, line, want) == want
            cme(sim, f"AT+WIPOPT={proto},1,2,{opt},{hi + 1}", 801)
    cme(sim, f"AT+WIPOPT={proto},1,1,10", 800)
    cme(sim, f"AT+WIPOPT={proto},1,1,40", 835)
    cme(sim, f"AT+WIPOPT={proto},1,3,8", 801)
    cme(sim, f"AT+WIPOPT={proto},2,1,8", 830)


def test_socket_ttl_tos_reach_the_segments() -> None:
    from simnet.net import wire

    sim = world()
    gprs(sim)
    tcp(sim, 1)
    ok(sim, "AT+WIPOPT=2,1,2,8,20")  # §5.3.6 first example
    want = ok_after("AT+WIPOPT=2,1,1,8", "+WIPOPT: 2,1,8,20")
    assert exchange(sim, "AT+WIPOPT=2,1,1,8", want) == want
    ok(sim, "AT+WIPOPT=2,1,2,9,46")
    connect = b"AT+WIPDATA=2,1,1\r\r\nCONNECT\r\n"
    assert exchange(sim, "AT+WIPDATA=2,1,1", connect) == connect
    sim.dte.write(b"abc")
    sim.advance(3)
    host = sim.module.host
    data = [
        p
        for _t, p in sim.network.pcap.packets(host.name)
        if p.src == host.ip and p.payload == b"abc"
    ]
    raw = wire.encode(data[0])
    assert (raw[8], raw[1]) == (20, 46)
