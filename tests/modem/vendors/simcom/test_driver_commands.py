"""Commands the popular host drivers send (docs/driver-conformance.md), byte for byte, in the
formats of the SIM7600 / A76XX AT command manuals. Values come from the scenario (SIM ICCID,
operator, signal, registration) or from the documented module data (3.8 V rail, 25 °C)."""

from __future__ import annotations

import pytest

from tests.dte_helpers import exchange, wait_for
from tests.modem.vendors.simcom import harness as sh

SIMCOM = ["simcom-sim7600", "simcom-a7670"]


def ok(line: bytes, *info: bytes) -> bytes:
    body = b"\r\n" + b"".join(i + b"\r\n" for i in info) if info else b""
    return line + b"\r" + body + b"\r\nOK\r\n"


def ask(sim, line: bytes, *info: bytes) -> None:
    expected = ok(line, *info)
    assert exchange(sim, line + b"\r\n", expected) == expected


@pytest.mark.parametrize("module", SIMCOM)
def test_device_and_network_information(module: str) -> None:
    sim = sh.world(module)
    sim.advance(3)
    iccid = sim.bearer.sim_card.config.iccid.encode()
    ask(sim, b"AT+CICCID", b"+ICCID: " + iccid)
    ask(sim, b"AT+CBC", b"+CBC: 3.800V")
    ask(sim, b"AT+CPMUTEMP", b"+CPMUTEMP: 25")
    ask(sim, b"AT+CNMP?", b"+CNMP: 2")
    ask(sim, b"AT+CNMP=38")
    ask(sim, b"AT+CNMP?", b"+CNMP: 38")
    op = sim.bearer.operator.name.encode()
    ask(sim, b"AT+CSPN?", b'+CSPN: "' + op + b'",0')
    # registered on the scenario's cell; signal 20 -> -73 dBm
    got = exchange(sim, b"AT+CPSI?\r\n", ok(b"AT+CPSI?", b"+CPSI: LTE,Online"))
    assert got.startswith(b"AT+CPSI?\r\r\n+CPSI: ")
    sim.dte.expect(r"OK\r\n", 1)
    ask(sim, b"AT+CFUN=0")
    ask(sim, b"AT+CPSI?", b"+CPSI: NO SERVICE,Low Power Mode")


def test_cpsi_line_from_the_radio() -> None:
    sim = sh.world("simcom-sim7600", network={"profile": "lte_like"})
    sim.advance(3)
    radio = sim.bearer.radio
    rssi = radio.csq()[0]
    dbm = -113 + 2 * rssi
    plmn = str(sim.bearer.operator.plmn)
    line = (f"+CPSI: LTE,Online,{plmn[:3]}-{plmn[3:]},0x{radio.lac},{int(radio.ci, 16)},1,"
            f"EUTRAN-BAND3,1300,5,5,-100,{(dbm - 28) * 10},{dbm * 10},10").encode()
    ask(sim, b"AT+CPSI?", line)


@pytest.mark.parametrize("module", SIMCOM)
def test_cgpaddr_unquoted_and_cgact_with_netopen(module: str) -> None:
    sim = sh.world(module, hosts=sh.echo_hosts())
    sim.advance(3)
    ask(sim, b'AT+CGDCONT=1,"IP","internet"')
    ask(sim, b"AT+CGACT=1,1")
    ip = sim.world.module_host.ip.encode()
    ask(sim, b"AT+CGPADDR=1", b"+CGPADDR: 1," + ip)
    # the context is already active: NETOPEN takes it over, as on the A76xx (TinyGSM A7672x)
    assert exchange(sim, b"AT+NETOPEN\r\n", ok(b"AT+NETOPEN")) == ok(b"AT+NETOPEN")
    assert wait_for(sim, b"\r\n+NETOPEN: 0\r\n") == b"\r\n+NETOPEN: 0\r\n"


def test_a7670_ctcpka_and_cdnscfg() -> None:
    dns = {"dns.example.net": {"ip": "8.8.8.8", "services": [
        {"type": "dns", "port": 53, "records": {"echo.example.net": sh.SERVER_IP}}]}}
    sim = sh.world("simcom-a7670", hosts={**sh.echo_hosts(), **dns})
    sim.advance(3)
    # a real A7670 refuses the keepalive before the network is opened (field log)
    assert exchange(sim, b"AT+CTCPKA=1,2,5,1\r\n", b"AT+CTCPKA=1,2,5,1\r\r\nERROR\r\n") == \
        b"AT+CTCPKA=1,2,5,1\r\r\nERROR\r\n"
    sh.netopen(sim)
    ask(sim, b"AT+CTCPKA=1,2,5,1")
    ask(sim, b"AT+CTCPKA?", b"+CTCPKA: 1,2,5,1")
    ask(sim, b'AT+CDNSCFG="8.8.8.8","8.8.4.4"')
    ask(sim, b"AT+CDNSCFG?", b"+CDNSCFG: PrimaryDns:8.8.8.8", b"SecondaryDns:8.8.4.4")
    assert sim.world.module_host.resolver.servers == ["8.8.8.8", "8.8.4.4"]
    # the name is resolved by 8.8.8.8 now, and the socket gets the keepalive: 2 min idle
    line = b'AT+CIPOPEN=0,"TCP","echo.example.net",100'
    exchange(sim, line + b"\r\n", ok(line))
    assert wait_for(sim, b"\r\n+CIPOPEN: 0,0\r\n", 10) == b"\r\n+CIPOPEN: 0,0\r\n"
    sock = sim.module.dialect.links[0].sock
    ka = sock._conn.cfg.keepalive  # the TCP engine's configuration of this connection
    assert (ka.idle, ka.interval, ka.count) \
        == (120.0, 1.0, 5)
    ask(sim, b"AT+CRESET")
    sim.advance(10)
    assert sim.world.module_host.resolver.servers != ["8.8.8.8", "8.8.4.4"]


def test_sim7600_has_no_a76_socket_options() -> None:
    sim = sh.world("simcom-sim7600")
    assert exchange(sim, b"AT+CTCPKA=1,2,5,1\r\n", b"AT+CTCPKA=1,2,5,1\r\r\nERROR\r\n") == \
        b"AT+CTCPKA=1,2,5,1\r\r\nERROR\r\n"
    # ...and AT+CLAC (python-gsmmodem's supportedCommands) does not offer them.
    listed = sim.dte.command("AT+CLAC").lines
    assert "AT+CIPOPEN" in listed and "AT+CTCPKA" not in listed and "AT+CDNSCFG" not in listed
    listed = sh.world("simcom-a7670").dte.command("AT+CLAC").lines
    assert "AT+CTCPKA" in listed and "AT+CDNSCFG" in listed


@pytest.mark.parametrize("module", SIMCOM)
def test_cntp_sets_the_clock_from_the_server(module: str) -> None:
    hosts = {"ntp.example.net": {"ip": "203.0.113.123", "services": [{"type": "ntp", "port": 123}]}}
    sim = sh.world(module, hosts=hosts)
    sim.advance(3)
    sh.netopen(sim)
    ask(sim, b'AT+CNTP="ntp.example.net",8')
    ask(sim, b"AT+CNTP?", b'+CNTP: "ntp.example.net",8')
    ask(sim, b"AT+CNTP")
    assert wait_for(sim, b"\r\n+CNTP: 0\r\n", 10) == b"\r\n+CNTP: 0\r\n"
    got = exchange(sim, b"AT+CCLK?\r\n", ok(b"AT+CCLK?", b'+CCLK: "00/00/00,00:00:00+08"'))
    assert got.startswith(b'AT+CCLK?\r\r\n+CCLK: "') and b"+08\"" in got
