"""UDP links (A76 3.3.1/3.3.2, S76 L1103/L1105), DNS (L1131-L1133) and ping (L1134/L1135),
byte for byte on the UART."""

from __future__ import annotations

import pytest

from tests.modem.vendors.simcom.harness import exchange, netopen, quiet, wait_for, world

SERVER = "117.131.85.139"


def udp_world(module: str = "simcom-a7670") -> object:
    hosts = {"server.example.net": {"ip": SERVER, "services": [{"type": "udp-echo", "port": 5254}]}}
    return world(
        module, hosts=hosts, network={"apn": {"name": "CMNET"}, "link": {"delay": "150ms"}}
    )


def test_udp_direct_push() -> None:
    # A76 3.3.1: +CIPOPEN: 1,0 before OK for UDP; variable and fixed sends to an address.
    sim = udp_world()
    netopen(sim, "CMNET")
    line = 'AT+CIPOPEN=1,"UDP",,,5000'
    expected = line.encode() + b"\r\r\n+CIPOPEN: 1,0\r\n\r\nOK\r\n"
    assert exchange(sim, line, expected) == expected
    line = f'AT+CIPSEND=1,,"{SERVER}",5254'
    assert exchange(sim, line, line.encode() + b"\r\r\n>") == line.encode() + b"\r\r\n>"
    expected = b"HELLOSERVER\x1a\r\nOK\r\n\r\n+CIPSEND: 1,11,11\r\n"
    assert exchange(sim, b"HELLOSERVER\x1a", expected) == expected
    pushed = f"\r\nRECV FROM:{SERVER}:5254\r\n+IPD11\r\nHELLOSERVER".encode()
    assert wait_for(sim, pushed) == pushed
    line = f'AT+CIPSEND=1,5,"{SERVER}",5254'
    exchange(sim, line, line.encode() + b"\r\r\n>")
    expected = b"HELLO\r\nOK\r\n\r\n+CIPSEND: 1,5,5\r\n"
    assert exchange(sim, b"HELLO", expected) == expected
    pushed = f"\r\nRECV FROM:{SERVER}:5254\r\n+IPD5\r\nHELLO".encode()
    assert wait_for(sim, pushed) == pushed
    expected = b"AT+CIPCLOSE=1\r\r\n+CIPCLOSE: 1,0\r\n\r\nOK\r\n"
    assert exchange(sim, "AT+CIPCLOSE=1", expected) == expected


def test_udp_send_without_the_length_field() -> None:
    # A76 3.3.1 and 3.3.2 both print the variable-length UDP send as AT+CIPSEND=1,"ip",port.
    sim = udp_world()
    netopen(sim, "CMNET")
    line = 'AT+CIPOPEN=1,"UDP",,,5000'
    exchange(sim, line, line.encode() + b"\r\r\n+CIPOPEN: 1,0\r\n\r\nOK\r\n")
    line = f'AT+CIPSEND=1,"{SERVER}",5254'
    assert exchange(sim, line, line.encode() + b"\r\r\n>") == line.encode() + b"\r\r\n>"
    expected = b"HELLOSERVER\x1a\r\nOK\r\n\r\n+CIPSEND: 1,11,11\r\n"
    assert exchange(sim, b"HELLOSERVER\x1a", expected) == expected
    pushed = f"\r\nRECV FROM:{SERVER}:5254\r\n+IPD11\r\nHELLOSERVER".encode()
    assert wait_for(sim, pushed) == pushed
    for bad in (f'AT+CIPSEND=1,"{SERVER}"', 'AT+CIPSEND=1,"no.such.address",5254',
                f"AT+CIPSEND=1,5,{SERVER}"):
        expected = bad.encode() + b"\r\r\n+CIPERROR: 3\r\n\r\nERROR\r\n"
        assert exchange(sim, bad, expected) == expected


def test_sim7600_udp_send_needs_the_empty_length_field() -> None:
    # S76 L1105 has only AT+CIPSEND=<link>,,<serverIP>,<serverPort> for a variable length.
    sim = udp_world("simcom-sim7600")
    netopen(sim, "CMNET")
    line = 'AT+CIPOPEN=1,"UDP",,,5000'
    exchange(sim, line, line.encode() + b"\r\r\n+CIPOPEN: 1,0\r\n\r\nOK\r\n")
    line = f'AT+CIPSEND=1,"{SERVER}",5254'
    expected = line.encode() + b"\r\r\n+CIPERROR: 3\r\n\r\nERROR\r\n"
    assert exchange(sim, line, expected) == expected


@pytest.mark.parametrize("module", ["simcom-sim7600", "simcom-a7670"])
def test_udp_cipopen_with_a_host_name(module: str) -> None:
    # S76 L1103 <serverIP>: "Also the domain name is supported here." The name is resolved
    # before the link answers; sends without an address then go to that server.
    sim = udp_world(module)
    netopen(sim, "CMNET")
    line = 'AT+CIPOPEN=1,"UDP","server.example.net",5254,5000'
    expected = line.encode() + b"\r\r\n+CIPOPEN: 1,0\r\n\r\nOK\r\n"
    assert exchange(sim, line, expected, 10) == expected
    line = "AT+CIPOPEN?"
    lines = [f'+CIPOPEN: 1,"UDP","{SERVER}",5254,-1' if i == 1 else f"+CIPOPEN: {i}"
             for i in range(10)]
    expected = (
        line.encode() + b"\r\r\n" + "".join(x + "\r\n" for x in lines).encode() + b"\r\nOK\r\n"
    )
    assert exchange(sim, line, expected) == expected
    exchange(sim, "AT+CIPSEND=1,4", b"AT+CIPSEND=1,4\r\r\n>")
    assert exchange(sim, b"ping", b"ping\r\nOK\r\n\r\n+CIPSEND: 1,4,4\r\n") == (
        b"ping\r\nOK\r\n\r\n+CIPSEND: 1,4,4\r\n"
    )
    pushed = f"\r\nRECV FROM:{SERVER}:5254\r\n+IPD4\r\nping".encode()
    assert wait_for(sim, pushed) == pushed
    # An unknown name: A76 4.1 <err> 11 "DNS parse failed for AT+CIPOPEN"; the link stays free.
    line = 'AT+CIPOPEN=2,"UDP","nowhere.example.org",5254,5001'
    expected = line.encode() + b"\r\r\n+CIPOPEN: 2,11\r\n\r\nERROR\r\n"
    assert exchange(sim, line, expected, 60) == expected
    line = 'AT+CIPOPEN=2,"UDP",,,5001'
    expected = line.encode() + b"\r\r\n+CIPOPEN: 2,0\r\n\r\nOK\r\n"
    assert exchange(sim, line, expected) == expected


def test_udp_buffer_access_notifies_once() -> None:
    sim = udp_world()
    netopen(sim, "CMNET")
    exchange(sim, "AT+CIPRXGET=1", b"AT+CIPRXGET=1\r\r\nOK\r\n")
    line = 'AT+CIPOPEN=1,"UDP",,,5000'
    exchange(sim, line, line.encode() + b"\r\r\n+CIPOPEN: 1,0\r\n\r\nOK\r\n")
    notes = []
    for chunk in (b"data ", b"from server"):
        line = f'AT+CIPSEND=1,{len(chunk)},"{SERVER}",5254'
        exchange(sim, line, line.encode() + b"\r\r\n>")
        tail = f"\r\nOK\r\n\r\n+CIPSEND: 1,{len(chunk)},{len(chunk)}\r\n".encode()
        assert exchange(sim, chunk, chunk + tail) == chunk + tail
        notes.append(quiet(sim, 1))
    # One notification for both datagrams (S76 L1106 note 1): only after the first.
    assert notes == [b"\r\n+CIPRXGET: 1,1\r\n", b""]
    expected = b"AT+CIPRXGET=4,1\r\r\n+CIPRXGET: 4,1,16\r\n\r\nOK\r\n"
    assert exchange(sim, "AT+CIPRXGET=4,1", expected) == expected
    expected = (
        b"AT+CIPRXGET=3,1,16\r\r\n+CIPRXGET: 3,1,16,0\r\n"
        + b"data from server".hex().upper().encode()
        + b"\r\nOK\r\n"
    )
    assert exchange(sim, "AT+CIPRXGET=3,1,16", expected) == expected


def test_udp_local_port_required() -> None:
    sim = udp_world()
    netopen(sim, "CMNET")
    line = 'AT+CIPOPEN=1,"UDP"'
    expected = line.encode() + b"\r\r\n+CIPOPEN: 1,3\r\n\r\nERROR\r\n"
    assert exchange(sim, line, expected) == expected


def test_dns_forward_reverse_and_failure() -> None:
    hosts = {
        "www.baidu.com": {"ip": "61.135.169.21", "services": []},
        "mail.sim.com": {"ip": "58.32.231.148", "services": []},
    }
    sim = world(hosts=hosts)
    expected = b'AT+CDNSGIP="www.baidu.com"\r\r\n+CDNSGIP: 0,10\r\n\r\nERROR\r\n'
    assert exchange(sim, 'AT+CDNSGIP="www.baidu.com"', expected) == expected  # network not open
    netopen(sim)
    expected = (
        b'AT+CDNSGIP="www.baidu.com"\r\r\n+CDNSGIP: 1,"www.baidu.com","61.135.169.21"\r\n\r\nOK\r\n'
    )
    assert exchange(sim, 'AT+CDNSGIP="www.baidu.com"', expected, 30) == expected
    expected = (
        b'AT+CDNSGHNAME="58.32.231.148"\r\r\n+CDNSGHNAME: 1,"mail.sim.com","58.32.231.148"'
        b"\r\n\r\nOK\r\n"
    )
    assert exchange(sim, 'AT+CDNSGHNAME="58.32.231.148"', expected, 30) == expected
    expected = b'AT+CDNSGIP="nowhere.example.org"\r\r\n+CDNSGIP: 0,10\r\n\r\nERROR\r\n'
    assert exchange(sim, 'AT+CDNSGIP="nowhere.example.org"', expected, 60) == expected
    for bad in ('AT+CDNSGIP="-bad-.example"', 'AT+CDNSGIP="' + "a" * 64 + '.com"', "AT+CDNSGIP"):
        assert (
            exchange(sim, bad, bad.encode() + b"\r\r\nERROR\r\n")
            == bad.encode() + b"\r\r\nERROR\r\n"
        )


def test_cipopen_with_unknown_name_reports_err_11() -> None:
    sim = world()
    netopen(sim)
    line = 'AT+CIPOPEN=0,"TCP","nowhere.example.org",80'
    exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
    assert wait_for(sim, b"\r\n+CIPOPEN: 0,11\r\n", 60) == b"\r\n+CIPOPEN: 0,11\r\n"


def test_cping_four_replies_and_summary() -> None:
    # S76 L1134: four echo requests 1 s apart; each reply line carries the RTT in whole ms.
    hosts = {"www.baidu.com": {"ip": "119.75.217.56", "services": []}}
    sim = world(hosts=hosts, network={"link": {"delay": "150ms"}})
    netopen(sim)
    line = 'AT+CPING="www.baidu.com",1,4,64,1000,10000,255'
    assert exchange(sim, line, line.encode() + b"\r\r\nOK\r\n") == line.encode() + b"\r\r\nOK\r\n"
    rtts = []
    for _ in range(4):
        # <TTL> as the L1134 example prints it: the request's TTL (255), on every reply.
        m = sim.dte.expect(r"\r\n\+CPING: 1,119\.75\.217\.56,64,(\d+),255\r\n", 5)
        rtts.append(int(m.group(1)))
        assert 300 <= rtts[-1] <= 500  # two radio trips of 150 ms plus the wired hops
    summary = f"\r\n+CPING: 3,4,4,0,{min(rtts)},{max(rtts)},{sum(rtts) // 4}\r\n".encode()
    assert wait_for(sim, summary, 5) == summary


@pytest.mark.parametrize(("args", "ttl"), [("1,2,32,1000,10000,100", 100), ("1,2", 255)])
def test_cping_reports_the_requested_ttl(args: str, ttl: int) -> None:
    # S76 L1134: <TTL> 16-255, default 255; the reply lines carry it (the peer's own TTL and
    # the hops on the way would give another number).
    hosts = {"www.baidu.com": {"ip": "119.75.217.56", "services": []}}
    sim = world(hosts=hosts, network={"link": {"delay": "150ms"}})
    netopen(sim)
    line = f'AT+CPING="119.75.217.56",{args}'
    exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
    for _ in range(2):
        sim.dte.expect(rf"\r\n\+CPING: 1,119\.75\.217\.56,(32|64),\d+,{ttl}\r\n", 5)


def test_cping_timeouts_and_stop() -> None:
    sim = world(network={"link": {"delay": "100ms"}})
    netopen(sim)
    line = 'AT+CPING="198.51.100.9",1,3,32,1000,10000'
    exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
    got = wait_for(sim, b"\r\n+CPING: 2\r\n", 15)
    assert got == b"\r\n+CPING: 2\r\n"  # the first request timed out after <wait_time> 10 s
    expected = b"AT+CPINGSTOP\r\r\n+CPING: 3,3,0,3,0,0,0\r\n\r\nOK\r\n"
    assert exchange(sim, "AT+CPINGSTOP", expected) == expected
    assert quiet(sim, 15) == b""  # stopped: no more lines
    assert exchange(sim, "AT+CPINGSTOP", b"AT+CPINGSTOP\r\r\nOK\r\n") == b"AT+CPINGSTOP\r\r\nOK\r\n"
