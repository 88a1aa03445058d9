"""+MIP parameter commands byte for byte on the UART (no PDP context needed).

Expected bytes are written by hand from the manual's syntax tables (section in each comment)
and V.250 framing: echo of the line ending in CR, information lines CR LF text CR LF (one CR LF
header before the first line only), final CR LF OK CR LF; +CME ERROR under AT+CMEE=1.
"""

from __future__ import annotations

import simnet
from tests.modem.vendors.fibocom.harness import cme_after, cmee1, exchange, ok_after, world

UDP_ONLY = {"echo.example.net": {"ip": "203.0.113.10", "services": [
    {"type": "udp-echo", "port": 7}]}}


def test_test_forms() -> None:
    sim = world(hosts=UDP_ONLY)
    ip = '"(0-255).(0-255).(0-255).(0-255)"'
    cases = {
        "AT+MIPCALL=?": "+MIPCALL: (0-3)",  # §1.1.1.4 <operation> 0-3
        "AT+MIPOPEN=?": f"+MIPOPEN: (1-6),(0-65535),({ip}),(0-65535),(0-2,60-62)",  # §1.1.2.4
        "AT+MIPCLOSE=?": "+MIPCLOSE: (1-6),(0-2)",  # §1.1.3.4
        "AT+MIPSETS=?": "+MIPSETS: (1-6),(1-2048),(0-1000)",  # §1.1.4.4
        "AT+MIPDSETS=?": "+MIPDSETS: (1-6),(1-2048),(0-1000)",  # §1.1.5.4
        "AT+MIPPUSH=?": f"+MIPPUSH: (1-6),({ip}),(0-65535)",  # §1.1.7.4
        "AT+MIPFLUSH=?": "+MIPFLUSH: (1-6)",  # §1.1.8.4
        # §1.1.12.4 in units of 100 ms: 100 ms..1 s, 1 s..60 s, 100 ms..7500 ms
        "AT+MIPCONF=?": "+MIPCONF: (1-6),(1-12),(1-10),(10-600),(1-75),(0-2)",
        "AT+MIPKEEPCONF=?": "+MIPKEEPCONF: (0-1),(1-36000),(1-750),(1-50)",  # §1.1.13.4
        "AT+MPING=?": "+MPING: (0-2),(1-255),(0-1372),(1-255),(0-255),(500-10000)",  # §1.1.14.4
        "AT+MSDNS=?": f"+MSDNS: (1-7),({ip}),({ip})",  # §1.1.16.4
        "AT+MIPODM=?": f"+MIPODM: (1-6),(0-65535),({ip}),(1-65535),(0-2,60-62),(0-1)",  # §1.1.18
        "AT+MIPNTP=?": f"+MIPNTP: ({ip}),(1-65535)",  # §1.1.22.4
    }
    for line, info in cases.items():
        assert exchange(sim, line, ok_after(line, info)) == ok_after(line, info)


def test_read_forms_defaults() -> None:
    sim = world(hosts=UDP_ONLY)
    cases = {
        "AT+MIPCALL?": ["+MIPCALL: 0"],  # §1.1.1.4 status 0 disconnected
        "AT+MIPOPEN?": ["+MIPOPEN: 1,2,3,4,5,6"],  # every socket free
        "AT+MIPCLOSE?": ["+MIPCLOSE: 0"],  # no active socket
        "AT+MIPSETS?": ["+MIPSETS: 0"],
        "AT+MIPDSETS?": ["+MIPDSETS: 0"],
        "AT+MIPSEND?": ["+MIPSEND: 0"],
        "AT+MIPPUSH?": ["+MIPPUSH: 0"],
        "AT+MIPFLUSH?": ["+MIPFLUSH: 0"],
        # defaults of §1.1.12.4: 5 retransmissions, 5*100ms, 600*100ms, 75*100ms, 0
        "AT+MIPCONF?": [f"+MIPCONF: {i},5,5,600,75,0" for i in range(1, 7)],
        "AT+MIPKEEPCONF?": ["+MIPKEEPCONF: 0"],  # §1.1.13.4 default off
        "AT+MPING?": ["+MPING: 4,32,64,0,4000"],  # §1.1.14.4 defaults
        "AT+MSDNS?": [f"+MSDNS: {i},0.0.0.0,0.0.0.0" for i in range(1, 8)],
        "AT+MSV6DNS?": [f"+MSV6DNS: {i},::,::" for i in range(1, 8)],
        "AT+MIPODM?": ["+MIPODM: 1,2,3,4,5,6"],
        "AT+MIPREAD?": [],
    }
    for line, info in cases.items():
        assert exchange(sim, line, ok_after(line, *info)) == ok_after(line, *info)


def test_unlisted_forms_answer_operation_not_supported() -> None:
    sim = world(hosts=UDP_ONLY)
    cmee1(sim)
    for line in ("AT+MIPSEND=?", "AT+MIPDNS?", "AT+MIPDNS=?", "AT+GTSET?", "AT+MIPREAD=?"):
        assert exchange(sim, line, cme_after(line, 4)) == cme_after(line, 4)


def test_commands_before_mipcall_answer_2031() -> None:
    sim = world(hosts=UDP_ONLY)
    cmee1(sim)
    for line in (
        'AT+MIPOPEN=1,,"203.0.113.10",7,0',  # §2.3 2031 "TCPIP mipcall not active"
        'AT+MIPODM=1,,"203.0.113.10",7,0',
        'AT+MIPDNS="echo.example.net"',
        'AT+MPING=1,"203.0.113.10"',
        'AT+MIPNTP="203.0.113.30",123',
        "AT+MIPCONF=1,3",  # §1.1.12.2 "must used under MIPCALL is enabled"
        "AT+MIPCALL=0",
    ):
        assert exchange(sim, line, cme_after(line, 2031)) == cme_after(line, 2031)


def test_parameter_errors_answer_2000() -> None:
    sim = world(hosts=UDP_ONLY)
    cmee1(sim)
    for line in (
        "AT+MIPCALL=4",  # operation 0-3
        'AT+MIPCALL=2,1',  # IPv6 needs an APN (§1.1.1.4)
        'AT+MIPCALL=1,"internet","u","p",4',  # auth 0-3
        f'AT+MIPCALL=1,"{"a" * 100}"',  # APN up to 99 characters
        'AT+MIPOPEN=1,,"203.0.113.10",7,3',  # protocol 0-2, 60-62
        'AT+MIPOPEN=1,70000,"203.0.113.10",7,0',
        'AT+MIPOPEN=1,,"203.0.113.10",65536,0',
        "AT+MIPCLOSE=1,3",  # mode 0-2
        "AT+MIPSETS=1,0",  # size 1-2048
        "AT+MIPSETS=1,2049",
        "AT+MIPSETS=1,10,1001",  # timeout 0-1000 ms
        "AT+MIPDSETS=1,10,1001",
        'AT+MIPSEND=1,"4"',  # hex digits come in pairs
        'AT+MIPSEND=1,"4G"',
        "AT+MIPSEND=1,2049",  # data_len 0-2048 (§1.2.3.1)
        "AT+MIPKEEPCONF=2",
        "AT+MIPKEEPCONF=1,0",  # keepidle 1-36000
        "AT+MIPKEEPCONF=1,7200,751",  # keepintvl 1-750
        "AT+MIPKEEPCONF=1,7200,65,51",  # keepcnt 1-50
        "AT+MIPKEEPCONF=0,10",  # mode 0 takes nothing else
        "AT+MIPCONF=1,13",  # retr_num 1-12
        "AT+MIPCONF=1,5,11",  # min_TO 1-10
        "AT+MIPCONF=1,5,5,601",  # max_TO 10-600
        "AT+MIPCONF=1,5,5,600,76",  # close delay 1-75
        "AT+MIPCONF=1,5,5,600,75,3",  # is_nack_ind_req 0-2
        "AT+MPING=3",
        'AT+MPING=1,"1.2.3.4",0',  # count 1-255
        'AT+MPING=1,"1.2.3.4",4,1373',  # size 0-1372
        'AT+MPING=1,"1.2.3.4",4,32,0',  # TTL 1-255
        'AT+MPING=1,"1.2.3.4",4,32,64,256',  # TOS 0-255
        "AT+MPING=0,1",  # mode 0 takes nothing else (§1.1.14.1)
        "AT+MSDNS=8",  # socket 1-7
        'AT+MSDNS=1,"1.2.3.256"',
        'AT+MSV6DNS=1,"1.2.3.4"',
        'AT+GTSET="SENDTIME",31',  # 1-30
        'AT+GTSET="IPRFMT",3',  # 0, 1, 2, 5
        'AT+GTSET="NOSUCH",1',
        'AT+MIPDNS="a",3',  # address type 0-2
    ):
        assert exchange(sim, line, cme_after(line, 2000)) == cme_after(line, 2000), line


def test_socket_state_errors() -> None:
    sim = world(hosts=UDP_ONLY)
    cmee1(sim)
    cases = {
        'AT+MIPOPEN=7,,"203.0.113.10",7,0': 2003,  # six sockets (§1.1.2.4): 2003 limit
        'AT+MIPOPEN=0,,"203.0.113.10",7,0': 2003,
        'AT+MIPSEND=1,"41"': 2024,  # §2.3 "socket not opened"
        "AT+MIPPUSH=1": 2024,
        "AT+MIPFLUSH=1": 2024,
        "AT+MIPCLOSE=1": 2024,
        "AT+MIPSETS=1,100": 2024,
        "AT+MIPDSETS=1,100": 2024,
        "AT+MIPREAD=1,10": 2004,  # needs IPRFMT 5 (§1.1.23.1)
        "AT+MPING=0": 2029,  # no ping running (§1.1.14.1)
    }
    for line, code in cases.items():
        assert exchange(sim, line, cme_after(line, code)) == cme_after(line, code), line


def test_settings_round_trip() -> None:
    sim = world(hosts=UDP_ONLY)
    cmee1(sim)
    steps = [
        ("AT+MIPKEEPCONF=1,30,5,3", ok_after("AT+MIPKEEPCONF=1,30,5,3")),
        ("AT+MIPKEEPCONF?", ok_after("AT+MIPKEEPCONF?", "+MIPKEEPCONF: 1,30,5,3")),
        ("AT+MIPKEEPCONF=0", ok_after("AT+MIPKEEPCONF=0")),
        ("AT+MIPKEEPCONF?", ok_after("AT+MIPKEEPCONF?", "+MIPKEEPCONF: 0")),
        ('AT+MSDNS=2,"8.8.8.8","008.8.4.4"', ok_after('AT+MSDNS=2,"8.8.8.8","008.8.4.4"')),
        # §1.1.16.4: setting only the primary keeps the secondary
        ('AT+MSDNS=2,"1.1.1.1"', ok_after('AT+MSDNS=2,"1.1.1.1"')),
        ("AT+MSDNS?", ok_after("AT+MSDNS?", "+MSDNS: 1,0.0.0.0,0.0.0.0",
                               "+MSDNS: 2,1.1.1.1,8.8.4.4",
                               *[f"+MSDNS: {i},0.0.0.0,0.0.0.0" for i in range(3, 8)])),
        # the socket id alone clears both
        ("AT+MSDNS=2", ok_after("AT+MSDNS=2")),
        ('AT+MSV6DNS=7,"2001:4860:4860::8888"', ok_after('AT+MSV6DNS=7,"2001:4860:4860::8888"')),
        ("AT+MSV6DNS?", ok_after("AT+MSV6DNS?", *[f"+MSV6DNS: {i},::,::" for i in range(1, 7)],
                                 "+MSV6DNS: 7,2001:4860:4860::8888,::")),
        ('AT+GTSET="SENDTIME",5', ok_after('AT+GTSET="SENDTIME",5')),
        ('AT+GTSET="IPRFMT",5', ok_after('AT+GTSET="IPRFMT",5')),
    ]
    for line, expected in steps:
        assert exchange(sim, line, expected) == expected, line
    line = "AT+MSDNS?"
    expected = ok_after(line, *[f"+MSDNS: {i},0.0.0.0,0.0.0.0" for i in range(1, 8)])
    assert exchange(sim, line, expected) == expected


def test_cmee_modes_for_tcpip_codes() -> None:
    sim = world(hosts=UDP_ONLY)
    line = 'AT+MIPOPEN=1,,"203.0.113.10",7,0'
    # CMEE=0 (profile default): plain ERROR
    assert (
        exchange(sim, line, line.encode() + b"\r\r\nERROR\r\n")
        == line.encode() + b"\r\r\nERROR\r\n"
    )
    assert exchange(sim, "AT+CMEE=2", ok_after("AT+CMEE=2")) == ok_after("AT+CMEE=2")
    # CMEE=2: the §2.3 text of 2031
    expected = line.encode() + b"\r\r\n+CME ERROR: TCPIP mipcall not active\r\n"
    assert exchange(sim, line, expected) == expected


def test_pin_restricted_commands_need_a_ready_sim() -> None:
    sim = simnet.Simulation.from_dict(
        {
            "name": "pin",
            "module": "fibocom-l610",
            "sim": {"state": "pin", "pin": "1234"},
            "network": {"apn": {"name": "internet"}},
            "hosts": UDP_ONLY,
            "steps": [{"wait": 0}],
        }
    )
    cmee1(sim)
    # "Pin Restricted: Yes" for every +MIP command: 11 "SIM PIN required" (§2.1)
    for line in ('AT+MIPCALL=1,"internet"', "AT+MIPCALL?", "AT+MIPOPEN?", 'AT+MPING=1,"1.2.3.4"'):
        assert exchange(sim, line, cme_after(line, 11)) == cme_after(line, 11), line
    line = "AT+MIPCALL=?"  # the test form still lists the range
    assert exchange(sim, line, ok_after(line, "+MIPCALL: (0-3)")) == ok_after(
        line, "+MIPCALL: (0-3)"
    )
    line = 'AT+CPIN="1234"'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    line = "AT+MIPCALL?"
    assert exchange(sim, line, ok_after(line, "+MIPCALL: 0")) == ok_after(line, "+MIPCALL: 0")
