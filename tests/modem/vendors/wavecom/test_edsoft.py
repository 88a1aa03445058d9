"""Wavecom eDsoft V3.00 over the UART, exact bytes. Expected values come from the manual (§
cited per test) or from arithmetic on the configured parameters."""

from __future__ import annotations

from typing import Any

import pytest

from tests.world import exchange, peer, wait_for, world

MODULE = "wavecom-edsoft"
MAIL = {"mail.example.net": {"ip": "203.0.113.25", "services": [
    {"type": "smtp", "port": 25, "domain": "example.net", "mailboxes": ["module@example.net"]},
    {"type": "pop3", "port": 110, "users": {"module": "secret"}}]}}


def ok(line: str, *info: str) -> bytes:
    body = b"\r\n" + b"".join(i.encode() + b"\r\n" for i in info) if info else b""
    return line.encode() + b"\r" + body + b"\r\nOK\r\n"


def err(line: str, code: int) -> bytes:
    return line.encode() + f"\r\r\n#CME ERROR: {code}\r\n".encode()


def gprs_up(sim: Any) -> None:
    sim.advance(3)
    assert exchange(sim, "AT+CGATT=1", ok("AT+CGATT=1"), 30) == ok("AT+CGATT=1")
    assert exchange(sim, 'AT#APNSERV="internet"', ok('AT#APNSERV="internet"')) == ok(
        'AT#APNSERV="internet"'
    )
    sim.dte.write(b"AT#CONNECTIONSTART\r")
    wait_for(sim, b"Ok_Info_GprsActivation\r\n", 60)


def setup(sim: Any, *lines: str) -> None:
    for line in lines:
        assert exchange(sim, line, ok(line)) == ok(line), line


# -- §2-§8 parameters and displays --------------------------------------------------------------

VALL_DEFAULTS = [  # §8.3.2 with the §2-§7 defaults (empty where "no default value")
    "eDsoft-W302_V03.00",
    "",
    "#ANSWERMODE: 0",
    "#CALLBACKTIMER: 2",
    '#CALLSCREENNUM: "0"',
    '#DIALN1: ""',
    '#DIALN2: ""',
    "#DIALSELECT: 1",
    "#GPRS MODE: 1",
    "#PHYTIMEOUT: 15",
    "#REDIALCOUNT: 5",
    "#REDIALDELAY: 5",
    "#RINGCOUNT: 0",
    "",
    '#ISPUN: ""',
    '#ISPPW: ""',
    "#PPPMODE: 1",
    '#PPPMYIP: "0.0.0.0"',
    '#PPPPEERIP: "0.0.0.0"',
    '#PPPSERVUN: ""',
    '#PPPSERVPW: ""',
    "",
    "#GPRSCID: 1",
    '#APNPW: ""',
    '#APNSERV: ""',
    '#APNUN: ""',
    "",
    '#DNSSERV1: "0.0.0.0"',
    '#DNSSERV2: "0.0.0.0"',
    "",
    '#FTPSERV: ""',
    "#FTPPORT: 21",
    '#FTPUN: ""',
    '#FTPPW: ""',
    "#FTPTYPE = I",
    '#FTPGETFILENAME: ""',
    '#FTPGETPATH: ""',
    '#FTPPUTFILENAME: ""',
    '#FTPPUTPATH: ""',
    "",
    "#POP3HEADERMODE: 1",
    "#POP3PORT: 110",
    '#POP3PW: ""',
    '#POP3SERV: ""',
    '#POP3UN: ""',
    "",
    '#DOMAIN: ""',
    '#SENDERADDR: ""',
    '#SENDERNAME: ""',
    "#SMTPPORT: 25",
    '#SMTPPW: ""',
    '#SMTPSERV: ""',
    '#SMTPUN: ""',
    "",
    '#BODY1: ""',
    '#CCREC1: ""',
    '#REC1: ""',
    '#SUBJ1: ""',
    "",
    '#BODY2: ""',
    '#CCREC2: ""',
    '#REC2: ""',
    '#SUBJ2: ""',
    "",
    '#BODY3: ""',
    '#CCREC3: ""',
    '#REC3: ""',
    '#SUBJ3: ""',
    "",
    "#DLEMODE: 1,1",
    '#TCPSERV: 1,""',
    "#TCPPORT: 1,0",
    "#TCPTXDELAY: 1,100",
    "",
    "#DLEMODE: 2,1",
    '#TCPSERV: 2,""',
    "#TCPPORT: 2,0",
    "#TCPTXDELAY: 2,100",
    "",
    "#UDPPORT: 0",
    '#UDPSERV: ""',
    "#UDPTXDELAY: 100",
    "",
    "#PINGDELAY: 1",
    "#PINGNUM: 4",
    '#PINGREMOTE: ""',
]


def test_vall_prints_every_parameter_in_blocks_with_its_default():
    sim = world(MODULE)
    assert exchange(sim, "AT#VALL", ok("AT#VALL", *VALL_DEFAULTS)) == ok("AT#VALL", *VALL_DEFAULTS)


def test_manual_a2_set_and_read_and_the_displays():
    sim = world(MODULE)
    setup(
        sim,
        "AT#PPPmode=1",
        'AT#ISPUN="myispun"',
        'AT#ISPPW="myisppwd"',
        'AT#PPPSERVUN="myname"',
        'AT#PPPSERVPW="mypasswd"',
    )
    assert exchange(sim, "AT#PPPmode?", ok("AT#PPPmode?", "#PPPMODE: 1")) == ok(
        "AT#PPPmode?", "#PPPMODE: 1"
    )
    vppp = ok(
        "AT#VPPP",
        '#ISPUN: "myispun"',
        '#ISPPW: "myisppwd"',
        "#PPPMODE: 1",
        '#PPPMYIP: "0.0.0.0"',
        '#PPPPEERIP: "0.0.0.0"',
        '#PPPSERVUN: "myname"',
        '#PPPSERVPW: "mypasswd"',
    )  # §2.4.2
    assert exchange(sim, "AT#VPPP", vppp) == vppp
    setup(sim, 'AT#TCPSERV=1,"255.255.255.255"', 'AT#TCPPORT=1,"23"', "AT#DLEMODE=2,0")  # A.8.1
    vtcp = ok(
        "AT#VTCP=1",
        "#DLEMODE: 1,1",
        '#TCPSERV: 1,"255.255.255.255"',
        "#TCPPORT: 1,23",
        "#TCPTXDELAY: 1,100",
    )
    assert exchange(sim, "AT#VTCP=1", vtcp) == vtcp
    assert exchange(sim, "AT#DLEMODE=2", ok("AT#DLEMODE=2", "#DLEMODE: 2,0")) == ok(
        "AT#DLEMODE=2", "#DLEMODE: 2,0"
    )
    setup(sim, "AT#REC1=recipient@domain.com", 'AT#SUBJ1="Email Subject"')  # A.6.1 (bare value)
    vmail = ok("AT#VMAIL1", "REC1=recipient@domain.com", "CCREC1=", "SUBJ1=Email Subject")  # §3.5.2
    assert exchange(sim, "AT#VMAIL1", vmail) == vmail


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("AT#PPPMODE=5", 34882),  # §2.1.13: 1, 2, 3, 4, 9
        ("AT#REDIALDELAY=4", 34882),  # §2.1.5: 5..14 (or 0)
        ("AT#TCPTXDELAY=1,30", 34882),  # §5.1.4: a multiple of 20
        ("AT#UDPPORT=0", 34882),  # §6.1.1 "Port number 0 is illegal"
        ('AT#PPPMYIP="1.2.3"', 34882),  # §2.1.14 dotted-decimal
        ('AT#ISPUN="' + "x" * 65 + '"', 34882),  # §2.1.12 up to 64 characters
        ("AT#TCPPORT=3,1", 34882),  # §5.1.2 legal id {1,2}
        ('AT#SENDERADDR"module@domain.com"', 34819),  # A.6.1 as printed (no '='): syntax error
        ("AT#NOSUCH", 34817),
        ("AT#VALL?", 34819),
    ],
)
def test_bad_values_answer_their_section_9_2_code(line: str, code: int):
    sim = world(MODULE)
    assert exchange(sim, line, err(line, code)) == err(line, code)


def test_parameters_live_in_flash_until_delflash_and_a_restart():
    """§8.4: values survive a restart (AT+CFUN=1, §1.1); after AT#DELFLASH they stay visible
    until the restart, which brings the defaults back."""
    sim = world(MODULE)
    setup(sim, "AT#PINGNUM=9", "AT+CFUN=1")
    sim.advance(5)
    sim.dte.read_available()
    assert exchange(sim, "AT#PINGNUM?", ok("AT#PINGNUM?", "#PINGNUM: 9")) == ok(
        "AT#PINGNUM?", "#PINGNUM: 9"
    )
    setup(sim, "AT#DELFLASH")
    assert exchange(sim, "AT#PINGNUM?", ok("AT#PINGNUM?", "#PINGNUM: 9")) == ok(
        "AT#PINGNUM?", "#PINGNUM: 9"
    )
    setup(sim, "AT+CFUN=1")
    sim.advance(5)
    sim.dte.read_available()
    assert exchange(sim, "AT#PINGNUM?", ok("AT#PINGNUM?", "#PINGNUM: 4")) == ok(
        "AT#PINGNUM?", "#PINGNUM: 4"
    )


def test_atq_while_the_application_runs_and_without_it():
    """§1.2: ATQ answers +CME ERROR: 600 while the application runs; stopped (AT+WOPEN=0) the
    AT# interpreter is gone and ATQ works."""
    sim = world(MODULE)
    assert (
        exchange(sim, "ATQ1", b"ATQ1\r\r\n+CME ERROR: 600\r\n") == b"ATQ1\r\r\n+CME ERROR: 600\r\n"
    )
    setup(sim, "AT+WOPEN=0")
    assert exchange(sim, "AT#VSTATE", b"AT#VSTATE\r\r\nERROR\r\n") == b"AT#VSTATE\r\r\nERROR\r\n"
    assert exchange(sim, "ATQ0", ok("ATQ0")) == ok("ATQ0")
    setup(sim, "AT+WOPEN=1")
    assert exchange(sim, "AT#VSTATE", ok("AT#VSTATE", '#STATE: "IDLE"')) == ok(
        "AT#VSTATE", '#STATE: "IDLE"'
    )


# -- §2.2 connections ------------------------------------------------------------------------------


def test_gprs_connection_verbose_and_numeric():
    """A.5.2 and §9.1: the address, then Ok_Info_GprsActivation (3086 under ATV0)."""
    sim = world(MODULE)
    sim.advance(3)
    setup(sim, "AT+CGATT=1", 'AT#APNSERV="internet"')
    assert exchange(sim, "ATV0", b"ATV0\r0\r") == b"ATV0\r0\r"
    sim.dte.write(b"AT#CONNECTIONSTART\r")
    got = wait_for(sim, b"3086\r", 60)
    ip = sim.module.host.ip
    assert got == b"AT#CONNECTIONSTART\r" + ip.encode() + b"\r\n3086\r"
    assert exchange(
        sim,
        "AT#DISPLAYIP",
        b"AT#DISPLAYIP\rMY IP: " + ip.encode() + b"\r\nGateway IP: 10.64.0.1\r\n0\r",
    ).endswith(b"0\r")
    assert (
        exchange(sim, "AT#CONNECTIONSTART", b"AT#CONNECTIONSTART\r#CME ERROR: 35840\r\n")
        == b"AT#CONNECTIONSTART\r#CME ERROR: 35840\r\n"
    )  # §2.2.3.2 already running


def test_gprs_wrong_apn_is_35868():
    sim = world(MODULE)
    sim.advance(3)
    setup(sim, "AT+CGATT=1", 'AT#APNSERV="wrong.apn"')
    sim.dte.write(b"AT#CONNECTIONSTART\r")
    assert wait_for(sim, b"#CME ERROR: 35868\r\n", 60).endswith(b"\r\n#CME ERROR: 35868\r\n")


def test_gsm_busy_redials_after_redialdelay():
    """§2.1.4/§2.1.5: REDIALCOUNT=3 retries after BUSY make 4 calls; each new call starts
    REDIALDELAY s after the previous one's BUSY."""
    sim = world(MODULE, network={"bearer": "gsm", "csd": {"outcome": "busy"}})
    sim.advance(3)
    setup(sim, "AT#GPRSMODE=0", 'AT#DIALN1="0860000000"', "AT#REDIALCOUNT=3", "AT#REDIALDELAY=7")
    sim.dte.write(b"AT#CONNECTIONSTART\r")
    got = wait_for(sim, b"\r\nBUSY\r\n" * 1, 30)
    for _ in range(3):
        got += wait_for(sim, b"\r\nBUSY\r\n", 30)
    assert got == b"AT#CONNECTIONSTART\r" + b"\r\nDIALING\r\n\r\n0860000000\r\n\r\nBUSY\r\n" * 4
    dials = [r.t for r in sim.trace.records if r.source == "bearer.csd" and r.kind == "dial"]
    results = [
        r.t for r in sim.trace.records if r.source == "bearer.csd" and r.kind == "dial_result"
    ]
    assert len(dials) == 4 and len(results) == 4
    for k in range(3):
        assert dials[k + 1] - results[k] == pytest.approx(7.0, abs=1e-6)


def test_gsm_connection_prints_dialing_connect_address_ok_info_ppp():
    """A.5.1 with the operator's dial-in PPP server (PAP)."""
    sim = world(
        MODULE,
        network={
            "bearer": "gsm",
            "apn": {"name": "internet", "user": "login", "password": "password", "auth": "pap"},
        },
    )
    sim.advance(3)
    setup(
        sim, "AT#GPRS MODE=0", 'AT#DIALN1="0860000000"', 'AT#ISPUN="login"', 'AT#ISPPW="password"'
    )
    sim.dte.write(b"AT#ConnectionStart\r")
    got = wait_for(sim, b"Ok_Info_Ppp\r\n", 120)
    ip = sim.module.host.ip
    assert got == (
        b"AT#ConnectionStart\r\r\nDIALING\r\n\r\n0860000000\r\n\r\nCONNECT 9600\r\n\r\n"
        + ip.encode()
        + b"\r\n\r\nOk_Info_Ppp\r\n"
    )
    sim.dte.write(b"AT#ConnectionStop\r")
    assert wait_for(sim, b"OK\r\n", 60) == b"AT#ConnectionStop\r\r\nOK\r\n"


def test_gsm_wrong_isp_password_is_37120():
    sim = world(
        MODULE,
        network={
            "bearer": "gsm",
            "apn": {"name": "internet", "user": "login", "password": "password", "auth": "pap"},
        },
    )
    sim.advance(3)
    setup(sim, "AT#GPRSMODE=0", 'AT#DIALN1="0860000000"', 'AT#ISPUN="login"', 'AT#ISPPW="nope"')
    sim.dte.write(b"AT#CONNECTIONSTART\r")
    assert wait_for(sim, b"#CME ERROR: 37120\r\n", 120).endswith(
        b"\r\nCONNECT 9600\r\n\r\n#CME ERROR: 37120\r\n"
    )


def test_phytimeout_hangs_up_an_idle_link():
    """§2.1.6: PHYTIMEOUT minutes without data end the connection: 35862 (§9.2)."""
    sim = world(MODULE)
    setup(sim, "AT#PHYTIMEOUT=2")
    gprs_up(sim)
    up = sim.now
    wait_for(sim, b"#CME ERROR: 35862\r\n", 200)
    assert sim.now == pytest.approx(up + 120, abs=0.5)
    assert exchange(sim, "AT#DISPLAYIP", err("AT#DISPLAYIP", 35867)) == err("AT#DISPLAYIP", 35867)


def test_gprs_loss_is_reported_35841():
    sim = world(MODULE, faults=[{"at": "20s", "action": "bearer-drop"}])
    gprs_up(sim)
    assert wait_for(sim, b"#CME ERROR: 35841\r\n", 30) == b"\r\n#CME ERROR: 35841\r\n"


def test_a_service_needs_the_link():
    sim = world(MODULE)
    for line in ("AT#GETMAIL", "AT#SENDMAIL1", "AT#FTPGET", "AT#OTCP=1", "AT#OUDP", "AT#PING"):
        assert exchange(sim, line, err(line, 35867)) == err(line, 35867)


# -- §3 mail ---------------------------------------------------------------------------------------


def test_putmail_relays_the_host_body_until_crlf_dot_crlf():
    """§3.4 / A.6.1: Ok_Info_WaitingForData, the body not echoed, CR LF . CR LF, OK. A body line
    the host dot-stuffed arrives with one dot."""
    sim = world(MODULE, hosts=MAIL)
    gprs_up(sim)
    setup(
        sim,
        'AT#SMTPSERV="mail.example.net"',
        'AT#DOMAIN="domain.com"',
        'AT#SENDERNAME="Test module"',
        'AT#SENDERADDR="module@domain.com"',
        "AT#REC1=module@example.net",
        'AT#SUBJ1="Email Subject"',
    )
    sim.dte.write(b"AT#Putmail\r")
    assert (
        wait_for(sim, b"Ok_Info_WaitingForData\r\n", 60)
        == b"AT#Putmail\r\r\nOk_Info_WaitingForData\r\n"
    )
    sim.dte.write(b"first line\r\n..starts with a dot\r\n.\r\n")
    assert wait_for(sim, b"OK\r\n", 60) == b"\r\nOK\r\n"  # nothing echoed
    (mail,) = sim.host("mail.example.net").mailbox("module@example.net", service="smtp")
    assert mail["subject"] == "Email Subject"
    assert mail["from"] == "Test module <module@domain.com>"  # as the email package reads it
    assert mail["body"] == "first line\n.starts with a dot\n"


def test_getmail_without_headers():
    sim = world(
        MODULE,
        hosts={
            "mail.example.net": {
                "ip": "203.0.113.25",
                "services": [
                    {
                        "type": "pop3",
                        "port": 110,
                        "users": {"module": "secret"},
                        "mailboxes": {
                            "module": [{"from": "a@b.c", "subject": "hi", "body": "x\n.y\n"}]
                        },
                    }
                ],
            }
        },
    )
    gprs_up(sim)
    setup(
        sim,
        'AT#POP3SERV="203.0.113.25"',
        'AT#POP3UN="module"',
        'AT#POP3PW="secret"',
        "AT#POP3HEADERMODE=0",
    )
    sim.dte.write(b"AT#GETMAIL\r")
    got = wait_for(sim, b"\r\nOK\r\n", 60)
    assert got == b"AT#GETMAIL\r\r\nOk_Info_Mail\r\nx\r\n..y\r\n.\r\n\r\nOK\r\n"


# -- §4 FTP ----------------------------------------------------------------------------------------

FTP = {
    "ftp.example.net": {
        "ip": "203.0.113.21",
        "services": [
            {
                "type": "ftp",
                "port": 21,
                "users": {"device": "s3cret"},
                "dirs": ["/upload"],
                "files": {"/upload/notes.txt": "a\nb\n"},
            }
        ],
    }
}


@pytest.mark.parametrize(
    ("settings", "code"),
    [
        (['AT#FTPPW="wrong"'], 38081),
        (['AT#FTPGETPATH="/nowhere"'], 38022),
        (['AT#FTPGETFILENAME="missing.bin"'], 38024),
        (['AT#FTPSERV="ftp.unknown.invalid"'], 38027),
    ],
)
def test_ftpget_failures(settings: list[str], code: int):
    sim = world(MODULE, hosts=FTP)
    gprs_up(sim)
    setup(
        sim,
        'AT#FTPSERV="ftp.example.net"',
        'AT#FTPUN="device"',
        'AT#FTPPW="s3cret"',
        'AT#FTPGETPATH="/upload"',
        'AT#FTPGETFILENAME="notes.txt"',
        *settings,
    )
    sim.dte.write(b"AT#FTPGET\r")
    assert wait_for(sim, f"#CME ERROR: {code}\r\n".encode(), 120) == err("AT#FTPGET", code)


def test_ftpget_ascii_type_converts_line_ends():
    """§4.1.2 TYPE A: the server sends CR LF line ends (RFC 959 NVT-ASCII)."""
    sim = world(MODULE, hosts=FTP)
    gprs_up(sim)
    setup(
        sim,
        'AT#FTPSERV="ftp.example.net"',
        'AT#FTPUN="device"',
        'AT#FTPPW="s3cret"',
        'AT#FTPGETPATH="/upload"',
        'AT#FTPGETFILENAME="notes.txt"',
        "AT#FTPTYPE=A",
    )
    sim.dte.write(b"AT#FTPGET\r")
    assert (
        wait_for(sim, b"\r\nOK\r\n", 60)
        == b"AT#FTPGET\r\r\nOk_Info_DataBegin\r\na\r\nb\r\n\x03\r\nOK\r\n"
    )


# -- §5 TCP, §6 UDP, §7 PING -----------------------------------------------------------------------

ECHO = {
    "echo.example.net": {
        "ip": "203.0.113.10",
        "services": [{"type": "tcp-echo", "port": 7}, {"type": "udp-echo", "port": 7}],
    }
}


@pytest.mark.parametrize("txdelay", [0, 100])
def test_otcp_session_escapes_both_ways_and_host_etx_closes(txdelay: int):
    """A.8.2 / §5.4: DLEMODE 1 - the host's DLE DLE / DLE ETX are one byte each on the wire; the
    echo comes back escaped; a bare ETX closes: ETX, Ok_Info_SocketClosed, OK."""
    sim = world(MODULE, hosts=ECHO)
    gprs_up(sim)
    setup(sim, 'AT#TCPSERV=1,"echo.example.net"', "AT#TCPPORT=1,7", f"AT#TCPTXDELAY=1,{txdelay}")
    sim.dte.write(b"AT#OTCP=1\r")
    assert (
        wait_for(sim, b"Ok_Info_WaitingForData\r\n", 60)
        == b"AT#OTCP=1\r\r\nOk_Info_WaitingForData\r\n"
    )
    sim.dte.write(b"A\x10\x03B\x10\x10C")
    assert wait_for(sim, b"C", 30) == b"A\x10\x03B\x10\x10C"
    assert sim.host("echo.example.net").bytes_received(service="tcp-echo") == 5
    sim.dte.write(b"\x03")
    assert wait_for(sim, b"OK\r\n", 30) == b"\x03\r\nOk_Info_SocketClosed\r\n\r\nOK\r\n"


def test_dlemode_0_is_raw_both_ways():
    sim = world(MODULE, hosts=ECHO)
    gprs_up(sim)
    setup(sim, 'AT#TCPSERV=2,"203.0.113.10"', "AT#TCPPORT=2,7", "AT#DLEMODE=2,0")
    sim.dte.write(b"AT#OTCP=2\r")
    wait_for(sim, b"Ok_Info_WaitingForData\r\n", 60)
    sim.dte.write(b"x\x03\x10y")
    assert wait_for(sim, b"y", 30) == b"x\x03\x10y"
    assert sim.host("echo.example.net").bytes_received(service="tcp-echo") == 4


def test_ltcpstart_peer_data_both_ways_then_peer_fin_37966():
    """§5.2 / A.8.1 and §9.2 37966, with the peer's side checked byte for byte."""
    sim = world(MODULE, hosts={"collector": {"ip": "10.20.0.5"}})
    gprs_up(sim)
    setup(sim, 'AT#TCPSERV=1,"255.255.255.255"', "AT#TCPPORT=1,2323", "AT#LTCPSTART=1")
    collector = peer(sim, "collector")
    got = bytearray()
    sock = collector.tcp_connect(sim.module.host.ip, 2323)
    sock.on_data = lambda s: got.extend(s.recv())
    sock.on_connected = lambda s: s.send(b"to host \x03\x10 end")
    assert (
        wait_for(sim, b" end", 30) == b"\r\nOk_Info_WaitingForData\r\nto host \x10\x03\x10\x10 end"
    )
    sim.dte.write(b"to peer \x10\x03\x10\x10 end")
    sim.run_until(lambda: len(got) >= 14, 10)
    assert bytes(got) == b"to peer \x03\x10 end"
    sock.close()
    assert wait_for(sim, b"37966\r\n", 30) == b"\x03\r\n#CME ERROR: 37966\r\n"


def test_ltcpstop_cancels_the_listen_and_the_peer_is_refused():
    sim = world(MODULE, hosts={"collector": {"ip": "10.20.0.5"}})
    gprs_up(sim)
    setup(sim, "AT#TCPPORT=1,2323", "AT#LTCPSTART=1", "AT#LTCPSTOP=1")
    sock = peer(sim, "collector").tcp_connect(sim.module.host.ip, 2323)
    sim.advance(5)
    assert sock.close_reason == "refused"


def test_oudp_datagrams_both_ways_escaped():
    """§6.4: one datagram per UDPTXDELAY; the echo comes back DLE-escaped; ETX closes."""
    sim = world(MODULE, hosts=ECHO)
    gprs_up(sim)
    setup(sim, 'AT#UDPSERV="echo.example.net"', "AT#UDPPORT=7", "AT#UDPTXDELAY=200")
    sim.dte.write(b"AT#OUDP\r")
    wait_for(sim, b"Ok_Info_WaitingForData\r\n", 60)
    sim.dte.write(b"ping\x10\x03")
    assert wait_for(sim, b"ping\x10\x03", 30) == b"ping\x10\x03"
    assert sim.host("echo.example.net").bytes_received(service="udp-echo") == 5
    sim.dte.write(b"\x03")
    assert wait_for(sim, b"OK\r\n", 30) == b"\x03\r\nOk_Info_SocketClosed\r\n\r\nOK\r\n"


def test_ping_lines_per_reply_and_no_answer():
    """§7.2: one line per request, PINGDELAY apart."""
    sim = world(MODULE, hosts=ECHO)
    gprs_up(sim)
    setup(sim, 'AT#PINGREMOTE="echo.example.net"', "AT#PINGNUM=2", "AT#PINGDELAY=3")
    sim.dte.write(b"AT#PING\r")
    start = sim.now
    got = wait_for(sim, b"\r\nOK\r\n", 30)
    lines = got.split(b"\r\n")
    alive = [ln for ln in lines if ln.startswith(b'"echo.example.net" is alive : time = ')]
    assert len(alive) == 2 and all(ln.endswith(b" ms") for ln in alive)
    assert sim.now - start >= 3.0  # the second request went PINGDELAY after the first
    setup(sim, 'AT#PINGREMOTE="203.0.113.99"', "AT#PINGNUM=1")  # nobody there
    sim.dte.write(b"AT#PING\r")
    assert (
        wait_for(sim, b"\r\nOK\r\n", 30)
        == b'AT#PING\r\r\nNo answer from "203.0.113.99"\r\n\r\nOK\r\n'
    )


# -- §2.2.1 incoming calls -------------------------------------------------------------------------


def _caller(sim: Any, user: str, password: str, caller_id: str = "+33612345678") -> Any:
    from simnet.bearer.ppp import PppConfig

    return sim.bearer.incoming_data_call(
        caller_id, ppp=PppConfig(role="client", username=user, password=password, auth="pap")
    )


def _ppp_server(sim: Any) -> None:
    setup(
        sim,
        'AT#PPPSERVUN="remote"',
        'AT#PPPSERVPW="pw"',
        'AT#PPPMYIP="192.168.5.1"',
        'AT#PPPPEERIP="192.168.5.2"',
    )


def test_accept_answers_and_runs_the_ppp_server_side():
    """ANSWERMODE 0: RING, then AT#ACCEPT: OK, CONNECT 9600, PPPMYIP, PPP OK (§2.2.1.2); the
    caller got PPPPEERIP; AT#DISPLAYIP shows both (§2.3)."""
    sim = world(MODULE, network={"bearer": "gsm"})
    sim.advance(3)
    _ppp_server(sim)
    _caller(sim, "remote", "pw")
    assert wait_for(sim, b"RING\r\n", 10) == b"\r\nRING\r\n"
    sim.dte.write(b"AT#ACCEPT\r")
    got = wait_for(sim, b"PPP OK\r\n", 60)
    assert b"AT#ACCEPT\r\r\nOK\r\n" in got  # a RING may come while the command is read
    assert got.endswith(b"\r\nCONNECT 9600\r\n\r\n192.168.5.1\r\n\r\nPPP OK\r\n")
    disp = ok("AT#DISPLAYIP", "MY IP: 192.168.5.1", "PEER IP: 192.168.5.2")
    sim.dte.read_available()
    assert exchange(sim, "AT#DISPLAYIP", disp) == disp


def test_accept_with_a_caller_that_fails_authentication_is_ppp_error():
    sim = world(MODULE, network={"bearer": "gsm"})
    sim.advance(3)
    _ppp_server(sim)
    _caller(sim, "remote", "wrong")
    wait_for(sim, b"RING\r\n", 10)
    sim.dte.write(b"AT#ACCEPT\r")
    assert wait_for(sim, b"PPP ERROR\r\n", 120).endswith(b"\r\nCONNECT 9600\r\n\r\nPPP ERROR\r\n")


def test_answermode_1_answers_after_ringcount_rings_for_an_allowed_caller():
    sim = world(MODULE, network={"bearer": "gsm"})
    sim.advance(3)
    _ppp_server(sim)
    setup(sim, "AT#ANSWERMODE=1", "AT#RINGCOUNT=2", 'AT#CALLSCREENNUM="+33612345678"')
    _caller(sim, "remote", "pw")
    got = wait_for(sim, b"PPP OK\r\n", 120)
    (auto,) = [r for r in sim.trace.records if r.source == "edsoft" and r.kind == "incoming"]
    assert (auto.fields["action"], auto.fields["ring"]) == ("auto_answer", 2)
    assert got.startswith(b"\r\nRING\r\n\r\nRING\r\n")
    assert got.endswith(b"\r\nCONNECT 9600\r\n\r\n192.168.5.1\r\n\r\nPPP OK\r\n")


def test_answermode_1_ignores_a_screened_caller():
    sim = world(MODULE, network={"bearer": "gsm"})
    sim.advance(3)
    setup(sim, "AT#ANSWERMODE=1", "AT#RINGCOUNT=1")  # CALLSCREENNUM "0": nobody
    _caller(sim, "remote", "pw")
    sim.advance(12)
    assert b"CONNECT" not in sim.dte.read_available()


def test_numeric_forms_under_atv0():
    """§9.1: Ok_Info_WaitingForData 1028, Ok_Info_SocketClosed 3074, OK 0, Ok_Info_DataBegin
    1025, Ok_Info_NoMail 3072, BUSY 7 - each followed by CR only (V.250 §5.7.1)."""
    hosts = {
        **ECHO,
        **FTP,
        "mail.example.net": {
            "ip": "203.0.113.25",
            "services": [{"type": "pop3", "port": 110, "users": {"module": "secret"}}],
        },
    }
    sim = world(MODULE, hosts=hosts)
    gprs_up(sim)
    setup(
        sim,
        'AT#TCPSERV=1,"203.0.113.10"',
        "AT#TCPPORT=1,7",
        'AT#FTPSERV="ftp.example.net"',
        'AT#FTPUN="device"',
        'AT#FTPPW="s3cret"',
        'AT#FTPGETPATH="/upload"',
        'AT#FTPGETFILENAME="notes.txt"',
        'AT#POP3SERV="203.0.113.25"',
        'AT#POP3UN="module"',
        'AT#POP3PW="secret"',
    )
    assert exchange(sim, "ATV0", b"ATV0\r0\r") == b"ATV0\r0\r"
    sim.dte.write(b"AT#OTCP=1\r")
    assert wait_for(sim, b"1028\r", 60) == b"AT#OTCP=1\r1028\r"
    sim.dte.write(b"\x03")
    assert wait_for(sim, b"3074\r0\r", 30) == b"\x033074\r0\r"
    sim.dte.write(b"AT#FTPGET\r")
    assert wait_for(sim, b"\x030\r", 60) == b"AT#FTPGET\r1025\ra\nb\n\x030\r"
    sim.dte.write(b"AT#GETMAIL\r")
    assert wait_for(sim, b"3072\r", 60) == b"AT#GETMAIL\r3072\r"


# -- dte.socket_data: the session's payload per link ---------------------------------------------


def test_socket_data_reads_an_otcp_echo_session_unescaped():
    """§5.1.1 / §5.4: the peer's ETX and DLE bytes arrive as DLE ETX / DLE DLE; the helper keeps
    them unescaped on link "tcp:1", and the host's ETX ends the session (Ok_Info_SocketClosed)."""
    sim = world(MODULE, hosts=ECHO)
    gprs_up(sim)
    setup(sim, 'AT#TCPSERV=1,"echo.example.net"', "AT#TCPPORT=1,7")
    data = sim.dte.socket_data
    sim.dte.urcs.clear()  # the raw-written setup's lines
    r = sim.dte.command("AT#OTCP=1", 60)
    assert r.final == "Ok_Info_WaitingForData"
    assert data.session == "tcp:1"
    sim.dte.write(b"A\x10\x03B\x10\x10C")  # payload A ETX B DLE C, escaped by the host
    sim.run_until(lambda: data.received("tcp:1") == b"A\x03B\x10C", 30)
    assert data.received("tcp:1") == b"A\x03B\x10C"  # 5 bytes, as the echo server counted
    assert sim.host("echo.example.net").bytes_received(service="tcp-echo") == 5
    assert not sim.dte.urcs  # the session's bytes are no lines
    sim.dte.write(b"\x03")
    urc = sim.dte.next_urc("Ok_Info_SocketClosed", 30)
    assert urc.text == "Ok_Info_SocketClosed"
    assert data.session is None
    assert data.read("tcp:1") == b"A\x03B\x10C"
    assert sim.dte.command("AT#VSTATE").ok  # lines are commands and results again


def test_socket_data_reads_a_listen_session_in_chunks_and_its_end():
    """§5.2 / A.8.1: Ok_Info_WaitingForData comes unsolicited when the peer connects; the peer
    sends in three segments (one report each); its FIN ends the session with ETX and
    #CME ERROR: 37966 (§9.2), after which nothing is the link's."""
    sim = world(MODULE, hosts={"collector": {"ip": "10.20.0.5"}})
    gprs_up(sim)
    setup(sim, 'AT#TCPSERV=1,"255.255.255.255"', "AT#TCPPORT=1,2323", "AT#LTCPSTART=1")
    data = sim.dte.socket_data
    parts = [b"to host \x03", b"\x10\x10 mid \x03\x03", b" end\x10"]
    sock = peer(sim, "collector").tcp_connect(sim.module.host.ip, 2323)
    sock.on_connected = lambda s: s.send(parts[0])
    sim.run_until(lambda: data.received("tcp:1") == parts[0], 30)
    assert data.session == "tcp:1"
    for part in parts[1:]:
        sim.advance(2)
        sock.send(part)
    want = b"".join(parts)
    sim.run_until(lambda: data.received("tcp:1") == want, 30)
    assert data.received("tcp:1") == want
    assert len([c for c in data.chunks if c.link == "tcp:1"]) >= 3
    sock.close()
    assert sim.dte.next_urc(r"#CME ERROR", 30).text == "#CME ERROR: 37966"
    assert data.session is None
    assert data.fetch("tcp:1") == want
    assert sim.dte.read_available().endswith(b"\x03\r\n#CME ERROR: 37966\r\n")


def test_socket_data_split_escapes_byte_by_byte():
    """The session's bytes delivered one at a time (a DLE in one report, its ETX in the next):
    the §5.1.1 escaping still decodes, and the ETX alone ends the session."""
    sim = world(MODULE, hosts={"collector": {"ip": "10.20.0.5"}})
    gprs_up(sim)
    setup(sim, "AT#TCPPORT=2,2323", "AT#LTCPSTART=2")
    wire = b"\r\nOk_Info_WaitingForData\r\nx\x10\x03y\x10\x10\x10\x03\x03\r\n#CME ERROR: 37966\r\n"
    for i in range(len(wire)):
        sim.dte.port.on_receive(wire[i : i + 1], sim.now, 0.0)
    data = sim.dte.socket_data
    assert data.received("tcp:2") == b"x\x03y\x10\x03"
    assert [c.data for c in data.chunks] == [b"x", b"\x03", b"y", b"\x10", b"\x03"]
    assert data.session is None
    assert [u.text for u in sim.dte.urcs][-2:] == ["Ok_Info_WaitingForData", "#CME ERROR: 37966"]


def test_socket_data_reads_an_oudp_session():
    """§6.4: datagram payloads escaped on the line (no boundaries): link "udp"."""
    sim = world(MODULE, hosts=ECHO)
    gprs_up(sim)
    setup(sim, 'AT#UDPSERV="echo.example.net"', "AT#UDPPORT=7", "AT#UDPTXDELAY=200")
    sim.dte.write(b"AT#OUDP\r")
    wait_for(sim, b"Ok_Info_WaitingForData\r\n", 60)
    data = sim.dte.socket_data
    assert data.session == "udp"
    sim.dte.write(b"ping\x10\x03")
    sim.run_until(lambda: data.received("udp") == b"ping\x03", 30)
    assert data.received("udp") == b"ping\x03"
    sim.dte.write(b"\x03")
    wait_for(sim, b"OK\r\n", 30)
    assert data.session is None
    assert data.read("udp") == b"ping\x03"
