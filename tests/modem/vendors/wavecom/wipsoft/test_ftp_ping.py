"""§6.1 AT+WIPFILE over the FTP session of §5.1 mode 4 (exact bytes, [ETX]/[DLE] in the file,
the failures), and §7.1 AT+WIPPING on the ICMP model."""

from __future__ import annotations

from typing import Any

import pytest

from simnet.net.network import DEFAULT_OPERATOR_LINK
from tests.modem.vendors.wavecom.wipsoft.harness import (
    FTP_IP,
    cme_after,
    exchange,
    gprs,
    hosts,
    ok,
    wait_for,
    world,
)

CONNECT = b"\r\nCONNECT\r\n"


def cme(sim: Any, line: str, code: int, timeout: float = 90.0) -> None:
    got = exchange(sim, line, cme_after(line, code), timeout)
    assert got == cme_after(line, code), got


def ftp(sim: Any, user: str = "admin", password: str = "123456") -> None:
    ok(sim, f'AT+WIPCREATE=4,1,"ftp.example.net","{user}","{password}"', timeout=60)


def get(sim: Any, name: str, body: bytes) -> None:
    line = f'AT+WIPFILE=4,1,1,"{name}"'
    want = line.encode() + b"\r" + CONNECT + body + b"\x03\r\nOK\r\n"
    assert exchange(sim, line, want, 60) == want


def test_get_binary_with_etx_and_dle_in_the_file() -> None:
    sim = world()
    gprs(sim)
    ftp(sim)
    ok(sim, "AT+WIPOPT=4,1,2,40,1")  # binary
    want = "\r\n+WIPOPT: 4,1,40,1\r\n\r\nOK\r\n"  # §5.3.6 prints "4,1,1,1": erratum
    assert exchange(sim, "AT+WIPOPT=4,1,1,40", b"AT+WIPOPT=4,1,1,40\r" + want.encode()) == (
        b"AT+WIPOPT=4,1,1,40\r" + want.encode())
    # the file is abc ETX def DLE ghi: [DLE] before [ETX] and [DLE], then the closing [ETX]
    get(sim, "data.bin", b"abc\x10\x03def\x10\x10ghi")


def test_put_with_escaped_etx_then_get_it_back() -> None:
    sim = world()
    gprs(sim)
    ftp(sim)
    ok(sim, "AT+WIPOPT=4,1,2,40,1")
    line = 'AT+WIPFILE=4,1,2,"report.log"'
    assert exchange(sim, line, line.encode() + b"\r" + CONNECT) == line.encode() + b"\r" + CONNECT
    assert exchange(sim, b"x\x10\x03y\x10\x10z\x03", b"\r\nOK\r\n", 60) == b"\r\nOK\r\n"
    assert sim.host("ftp.example.net").ftp_files()["/report.log"] == b"x\x03y\x10z"
    get(sim, "report.log", b"x\x10\x03y\x10\x10z")


def test_ascii_default_type_and_passive_default() -> None:
    sim = world()
    gprs(sim)
    ftp(sim)
    for opt, value in ((40, 0), (41, 1)):  # §5.3.7 defaults: ASCII, passive
        want = f"AT+WIPOPT=4,1,1,{opt}\r\r\n+WIPOPT: 4,1,{opt},{value}\r\n\r\nOK\r\n".encode()
        assert exchange(sim, f"AT+WIPOPT=4,1,1,{opt}", want) == want
    get(sim, "hello.txt", b"hello world")
    server = sim.host("ftp.example.net")
    assert any("TYPE A" in entry.line for entry in server.log())


def test_550_login_refused_unreachable_and_one_session() -> None:
    sim = world()
    gprs(sim)
    cme(sim, 'AT+WIPCREATE=4,1,"ftp.example.net","admin","wrong"', 839)  # 530: login refused
    cme(sim, 'AT+WIPCREATE=4,1,"echo.example.net","admin","123456"', 842)  # nothing on 21
    ftp(sim)
    cme(sim, 'AT+WIPCREATE=4,2,"ftp.example.net","admin","123456"', 840)  # §5.1.1 one session
    cme(sim, 'AT+WIPFILE=4,1,1,"nothere.bin"', 839)  # 550
    cme(sim, 'AT+WIPFILE=4,2,1,"data.bin"', 830)
    cme(sim, 'AT+WIPFILE=1,1,1,"data.bin"', 837)
    cme(sim, 'AT+WIPFILE=4,1,3,"data.bin"', 801)
    get(sim, "hello.txt", b"hello world")  # the session is still usable
    ok(sim, "AT+WIPCLOSE=4,1")
    assert wait_for(sim, b"\r\n+WIPPEERCLOSE: 4,1\r\n", 30) == b"\r\n+WIPPEERCLOSE: 4,1\r\n"


def test_active_mode_through_the_carrier_nat_cannot_connect() -> None:
    sim = world()
    gprs(sim)
    ftp(sim)
    ok(sim, "AT+WIPOPT=4,1,2,41,0")  # active: the server must connect to the module
    cme(sim, 'AT+WIPFILE=4,1,1,"hello.txt"', 839, timeout=200)


def test_active_mode_with_an_operator_server_works() -> None:
    extra = {
        "ftp.example.net": {
            "ip": "10.20.9.40",
            "services": [
                {
                    "type": "ftp",
                    "port": 21,
                    "users": {"admin": "123456"},
                    "files": {"/hello.txt": "hello world"},
                }
            ],
        }
    }
    sim = world(hosts_=hosts(**extra))
    gprs(sim)
    ftp(sim)
    ok(sim, "AT+WIPOPT=4,1,2,41,0")
    get(sim, "hello.txt", b"hello world")


def test_reset_mid_transfer_ends_with_etx_and_841() -> None:
    big = "y" * 20000
    extra = {
        "ftp.example.net": {
            "ip": FTP_IP,
            "services": [
                {
                    "type": "ftp",
                    "port": 21,
                    "users": {"admin": "123456"},
                    "files": {"/big.bin": big},
                }
            ],
        }
    }
    faults = [
        {
            "at": "0s",
            "action": "server-reset",
            "host": "ftp.example.net",
            "port": 21,
            "after_bytes": 3000,
            "connection": "data",
        }
    ]
    sim = world(hosts_=hosts(**extra), faults=faults)
    gprs(sim)
    ftp(sim)
    line = 'AT+WIPFILE=4,1,1,"big.bin"'
    assert (
        exchange(sim, line, line.encode() + b"\r" + CONNECT, 60) == line.encode() + b"\r" + CONNECT
    )
    tail = b"\x03\r\n+CME ERROR: 841\r\n"
    got = wait_for(sim, tail, 60)
    assert (
        got.endswith(tail) and set(got[: -len(tail)]) == {ord("y")} and len(got) - len(tail) < 20000
    )


def test_a_retrieval_whose_data_connection_goes_silent_ends_after_60_s_with_etx_and_839() -> None:
    """Found by chaos (wipsoft-ftp-put-get, seed 1): an outage, then the carrier NAT forgets
    the mappings - the server's segments go nowhere, the module's data connection neither
    brings bytes nor ends. The UART (no +++ in a transfer) must not stay in data mode for
    good: after 60 s without a byte (the application's server-silence wait, REPLY_TIMEOUT)
    the retrieval ends with [ETX] and 839, and AT is answered again."""
    extra = {
        "ftp.example.net": {
            "ip": FTP_IP,
            "services": [
                {"type": "ftp", "port": 21, "users": {"admin": "123456"},
                 "files": {"/big.bin": "y" * 200000}},
            ],
        }
    }
    faults = [
        {"at": "15s", "action": "link-outage", "duration": "20s"},
        {"at": "20s", "action": "nat-expire"},
    ]
    sim = world(hosts_=hosts(**extra), faults=faults)
    gprs(sim)
    ftp(sim)
    line = 'AT+WIPFILE=4,1,1,"big.bin"'
    assert (
        exchange(sim, line, line.encode() + b"\r" + CONNECT, 60) == line.encode() + b"\r" + CONNECT
    )
    assert sim.now < 15  # the outage starts in the transfer
    tail = b"\x03\r\n+CME ERROR: 839\r\n"
    got = wait_for(sim, tail, 200)
    assert got.endswith(tail) and set(got[: -len(tail)]) == {ord("y")}
    assert len(got) - len(tail) < 200000
    silent = [r for r in sim.trace.records if r.kind == "ftp_data_silent"]
    assert len(silent) == 1
    ok(sim, "AT")


# -- §7.1 ping -------------------------------------------------------------------------------------


# The radio link's one-way delay that makes the §7.1.6 / §8.3 reply time of 224 ms: the round
# trip is twice the radio delay plus twice the operator host's wired link (DEFAULT_OPERATOR_LINK).
HOST_LINK_MS = int(DEFAULT_OPERATOR_LINK["delay"] * 1000)
RADIO_MS = (224 - 2 * HOST_LINK_MS) // 2
LINK = {"delay": f"{RADIO_MS}ms", "jitter": 0, "rate": "1Gbps"}


def ping_world() -> Any:
    return world(hosts_=hosts(pinged={"ip": "192.168.0.1"}), network={"link": LINK})


def test_ping_reply_time_is_the_round_trip_in_ms() -> None:
    sim = ping_world()
    gprs(sim)
    ok(sim, 'AT+WIPPING="192.168.0.1"')
    line = b"\r\n+WIPPING: 0,0,224\r\n"
    assert wait_for(sim, line, 5) == line


def test_ping_sequence_with_a_lost_reply_and_parameters() -> None:
    faults = [{"at": "6s", "action": "link-outage", "direction": "downlink", "duration": "1s"}]
    sim = world(hosts_=hosts(pinged={"ip": "192.168.0.1"}), faults=faults, network={"link": LINK})
    gprs(sim)
    t0 = sim.now
    ok(sim, 'AT+WIPPING="192.168.0.1",2,2000,1000,100,32')
    want = b"\r\n+WIPPING: 0,0,224\r\n\r\n+WIPPING: 1,1,0\r\n"
    assert wait_for(sim, want, 10) == want
    pings = [
        p
        for _t, p in sim.network.pcap.packets(sim.module.host.name)
        if p.proto == 1 and p.icmp_type == 8
    ]
    assert [len(p.payload) for p in pings] == [100, 100] and {p.ttl for p in pings} == {32}
    assert sim.now - t0 < 2.0 + 1.0 + 0.5


def test_ping_timeout_and_errors() -> None:
    sim = world(hosts_=hosts(pinged={"ip": "192.168.0.1"}))
    gprs(sim)
    cme(sim, 'AT+WIPPING="nowhere.example.net"', 819)
    cme(sim, 'AT+WIPPING="192.168.0.1",0', 801)
    cme(sim, 'AT+WIPPING="192.168.0.1",1,1,1,1501', 801)
    ok(sim, 'AT+WIPPING="10.99.0.1",1,100,500')  # nobody there: no reply
    line = b"\r\n+WIPPING: 1,0,0\r\n"  # §7.1.6 first example: timeout expired
    assert wait_for(sim, line, 5) == line
    ok(sim, "AT+WIPPING?")
    ok(sim, "AT+WIPPING=?")


@pytest.mark.parametrize("cmee", [0, 1])
def test_ping_before_a_bearer(cmee: int) -> None:
    sim = world()
    sim.advance(3)
    ok(sim, f"AT+CMEE={cmee}")
    ok(sim, "AT+WIPCFG=1")
    line = 'AT+WIPPING="192.168.0.1"'
    want = cme_after(line, 819) if cmee else line.encode() + b"\r\r\nERROR\r\n"
    assert exchange(sim, line, want) == want


def test_a_second_line_meets_a_running_transfer_831_and_a_full_resolver_836() -> None:
    from simnet.modem import DTE

    big = "z" * 30000
    extra = {"ftp.example.net": {"ip": FTP_IP, "services": [
        {"type": "ftp", "port": 21, "users": {"admin": "123456"}, "files": {"/big.bin": big}}]}}
    sim = world(hosts_=hosts(**extra), network={"link": {"rate": "20kbps"}})
    gprs(sim)
    ftp(sim)
    ok(sim, "AT+WIPCFG=2,10,1")  # WIP_NET_OPT_RSLV_QUERY_MAX: one name lookup at a time
    uart2 = DTE(sim, sim.module.open_uart("uart2"))
    assert uart2.command("AT+CMEE=1").final == "OK"
    line = 'AT+WIPFILE=4,1,1,"big.bin"'
    connected = line.encode() + b"\r" + CONNECT
    assert exchange(sim, line, connected, 60) == connected
    assert uart2.command('AT+WIPFILE=4,1,1,"big.bin"').final == "+CME ERROR: 831"  # §9 bad state
    # a lookup in flight on UART2 (its answer is slowed by the transfer on the radio link) ...
    uart2.write(b'AT+WIPCREATE=2,1,"echo.example.net",7\r')
    sim.run_until(lambda: sim.module.dialect.stack.lookups == 1, 10)
    # ... and a second one from the other line is one too many
    stack = sim.module.dialect.stack
    from simnet.modem.vendors.wavecom.wipsoft.errors import WipFailure

    gen = stack.resolve("ftp2.example.net")
    try:
        next(gen)
        raise AssertionError("a second lookup started")
    except WipFailure as failure:
        assert failure.code == 836
