"""+MIPCALL against the bearer model: credentials, rejects, the 30 s bound, loss of the context.

Expected bytes by hand from §1.1.1 (OK at once, then +MIPCALL: <ip> or +MIPCALL: 0) and the
choices in docs/assumptions.md "Fibocom"; the 30 s bound is checked against the trace.
"""

from __future__ import annotations

from tests.modem.vendors.fibocom.harness import (
    cme_after,
    cmee1,
    exchange,
    ok_after,
    result_times,
    wait_for,
    world,
)

UDP = {"echo.example.net": {"ip": "203.0.113.10", "services": [{"type": "udp-echo", "port": 7}]}}


def test_pap_credentials_checked_by_the_bearer() -> None:
    sim = world(hosts=UDP, network={"apn": {"name": "internet", "user": "u", "password": "p",
                                            "auth": "pap"}})
    cmee1(sim)
    line = 'AT+MIPCALL=1,"internet","u","wrong",1'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MIPCALL: 0\r\n", 35) == b"\r\n+MIPCALL: 0\r\n"
    line = 'AT+MIPCALL=1,"internet","u","p",1'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    m = sim.dte.expect(r"\r\n\+MIPCALL: (\d+\.\d+\.\d+\.\d+)\r\n", 35)
    ip = m.group(1)
    assert sim.module.host.ip == ip  # the bearer brought the interface up with that address
    line = "AT+MIPCALL?"
    assert exchange(sim, line, ok_after(line, f"+MIPCALL: 1,{ip}")) == ok_after(
        line, f"+MIPCALL: 1,{ip}"
    )
    line = 'AT+MIPCALL=1,"internet"'
    assert exchange(sim, line, cme_after(line, 3)) == cme_after(line, 3)  # already connected
    line = "AT+MIPCALL=0"
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MIPCALL: 0\r\n", 35) == b"\r\n+MIPCALL: 0\r\n"
    assert sim.module.host.ip is None


def test_unknown_apn_rejected_and_cgdcont_context() -> None:
    sim = world(hosts=UDP, network={"apn": {"name": "other"}})
    cmee1(sim)
    line = 'AT+MIPCALL=1,"internet"'  # the operator serves "other": reject #27
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MIPCALL: 0\r\n", 35) == b"\r\n+MIPCALL: 0\r\n"
    rejects = [
        r for r in sim.trace.records if r.kind == "pdp_result" and r.fields.get("cause") == 27
    ]
    assert rejects
    # §1.1.1.2 notes: +MIPCALL=1 alone uses the APN set by +CGDCONT
    line = 'AT+CGDCONT=1,"IP","other"'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    line = "AT+MIPCALL=1"
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    sim.dte.expect(r"\r\n\+MIPCALL: \d+\.\d+\.\d+\.\d+\r\n", 35)


def test_silent_network_bounded_at_30_s() -> None:
    sim = world(hosts=UDP, network={"pdp": {"silent": True}})
    cmee1(sim)
    line = 'AT+MIPCALL=1,"internet"'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    t_ok = result_times(sim)[-1]
    line = "AT+MIPCALL?"
    assert exchange(sim, line, ok_after(line, "+MIPCALL: 2")) == ok_after(
        line, "+MIPCALL: 2"
    )  # busy
    assert wait_for(sim, b"\r\n+MIPCALL: 0\r\n", 40) == b"\r\n+MIPCALL: 0\r\n"
    t_urc = [
        r.t for r in sim.trace.records if r.kind == "urc" and r.fields["text"] == "+MIPCALL: 0"
    ]
    # §1.1.1.2 notes: "Activating a context can take up to 30 seconds" (the bearer's T3380
    # schedule would go on to 150 s); the module gives up at 30 s.
    assert t_urc == [t_ok + 30.0]


def test_bearer_drop_with_sockets_open() -> None:
    sim = world(hosts=UDP, faults=[{"at": 20, "action": "bearer-drop"}])
    cmee1(sim)
    line = 'AT+MIPCALL=1,"internet"'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    sim.dte.expect(r"\r\n\+MIPCALL: \d+\.\d+\.\d+\.\d+\r\n", 35)
    for sid in (1, 2):
        line = f'AT+MIPOPEN={sid},,"203.0.113.10",7,1'
        assert exchange(sim, line, ok_after(line)) == ok_after(line)
        assert wait_for(sim, f"\r\n+MIPOPEN: {sid},1\r\n".encode())
    expected = b"\r\n+MIPSTAT: 1,1\r\n\r\n+MIPSTAT: 2,1\r\n\r\n+MIPCALL: 0\r\n"
    assert wait_for(sim, expected, 30) == expected
    assert [
        r.t for r in sim.trace.records if r.kind == "urc" and r.fields["text"] == "+MIPCALL: 0"
    ] == [20.0]
    for line, info in (("AT+MIPCALL?", "+MIPCALL: 0"), ("AT+MIPOPEN?", "+MIPOPEN: 1,2,3,4,5,6")):
        assert exchange(sim, line, ok_after(line, info)) == ok_after(line, info)
    line = 'AT+MIPSEND=1,"41"'
    assert exchange(sim, line, cme_after(line, 2024)) == cme_after(line, 2024)


def test_dual_stack_call_reports_both_addresses() -> None:
    sim = world(hosts=UDP)
    cmee1(sim)
    line = 'AT+MIPCALL=3,"internet"'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    m = sim.dte.expect(r"\r\n\+MIPCALL: (\d+)\.(\d+)\.(\d+)\.(\d+),([0-9A-F:]+)\r\n", 35)
    a, b, c, d = (int(x) for x in m.groups()[:4])
    # docs/assumptions.md: IPv6 address = 2001:DB8:: + the IPv4 address as two 16-bit groups
    assert m.group(5) == f"2001:DB8::{a * 256 + b:X}:{c * 256 + d:X}"
    # IPv6 sockets on the IPv4-only network, and SSL without TLS, answer 2005
    for proto in (60, 61, 2, 62):
        line = f'AT+MIPOPEN=1,,"203.0.113.10",7,{proto}'
        assert exchange(sim, line, cme_after(line, 2005)) == cme_after(line, 2005)


def test_cid_form_with_credentials() -> None:
    sim = world(
        hosts=UDP, network={"apn": {"name": "corp", "user": "u", "password": "p", "auth": "chap"}}
    )
    cmee1(sim)
    line = 'AT+CGDCONT=2,"IP","corp"'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    line = "AT+MIPCALL=1,2"  # context 2 has no credentials yet: CHAP fails
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MIPCALL: 0\r\n", 35) == b"\r\n+MIPCALL: 0\r\n"
    line = 'AT+MIPCALL=1,2,"u","p",2'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    sim.dte.expect(r"\r\n\+MIPCALL: \d+\.\d+\.\d+\.\d+\r\n", 35)
    line = "AT+MIPCALL=1,3"  # no +CGDCONT for context 3: 2009 "TCPIP pdp not defined"
    line0 = "AT+MIPCALL=0"
    assert exchange(sim, line0, ok_after(line0)) == ok_after(line0)
    assert wait_for(sim, b"\r\n+MIPCALL: 0\r\n", 35) == b"\r\n+MIPCALL: 0\r\n"
    assert exchange(sim, line, cme_after(line, 2009)) == cme_after(line, 2009)


def test_mipcall_without_cgdcont_uses_the_default_context() -> None:
    # Context 1 of a fresh module has an empty APN (the subscriber's default): +MIPCALL=1 with
    # no APN activates it; the operator assigns the first address of its pool.
    sim = world()
    assert exchange(sim, "AT+MIPCALL=1", ok_after("AT+MIPCALL=1")) == ok_after("AT+MIPCALL=1")
    sim.run_until(lambda: b"+MIPCALL: " in sim.dte.peek(), 40)
    received = sim.dte.read_available()
    assert received.startswith(b"\r\n+MIPCALL: ") and received.endswith(b"\r\n")
    ip = received[len(b"\r\n+MIPCALL: ") : -2].decode()
    assert ip == sim.world.module_host.ip


def test_tcpip_commands_answer_2001_while_a_dial_up_session_is_up() -> None:
    # §2.3 2001 "TCPIP not supported in ppp mode": with ATD*99# the host runs its own IP stack
    # over the module's PDP context; suspended by +++ the session still holds it.
    sim = world(hosts=UDP)
    cmee1(sim)
    line = 'AT+CGDCONT=1,"IP","internet"'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    sim.dte.write(b"ATD*99#\r")
    sim.dte.expect("CONNECT", 5)
    sim.advance(1.2)
    sim.dte.read_available()  # the module's LCP Configure-Requests
    sim.dte.write(b"+++")
    assert wait_for(sim, b"\r\nOK\r\n", 3).endswith(b"\r\nOK\r\n")
    for line in (
        'AT+MIPCALL=1,"internet"',
        'AT+MIPOPEN=1,,"203.0.113.10",7,1',
        "AT+MIPCALL=0",
        'AT+MPING=1,"203.0.113.10"',
        'AT+MIPDNS="echo.example.net"',
    ):
        assert exchange(sim, line, cme_after(line, 2001)) == cme_after(line, 2001)
    # Settings and read forms still answer.
    for line, info in (("AT+MIPCALL?", ("+MIPCALL: 0",)), ('AT+MSDNS=1,"8.8.8.8"', ())):
        assert exchange(sim, line, ok_after(line, *info)) == ok_after(line, *info)
    assert exchange(sim, "ATH", ok_after("ATH")) == ok_after("ATH")
    sim.advance(1)
    line = 'AT+MIPCALL=1,"internet"'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    sim.dte.expect(r"\r\n\+MIPCALL: \d+\.\d+\.\d+\.\d+\r\n", 35)


def test_ceer_after_a_failed_mipcall() -> None:
    # TS 27.007 §6.10: +CEER reports the last unsuccessful PDP context activation; the reject's
    # SM cause #27 (TS 24.008 §10.5.6.6 "Missing or unknown APN") and the 30 s bound of §1.1.1.2.
    sim = world(hosts=UDP, network={"apn": {"name": "other"}})
    cmee1(sim)
    line = "AT+CEER"
    assert exchange(sim, line, ok_after(line, "+CEER: No cause information available")) == (
        ok_after(line, "+CEER: No cause information available")
    )
    line = 'AT+MIPCALL=1,"internet"'
    exchange(sim, line, ok_after(line))
    assert wait_for(sim, b"\r\n+MIPCALL: 0\r\n", 35) == b"\r\n+MIPCALL: 0\r\n"
    line = "AT+CEER"
    expected = ok_after(line, "+CEER: Missing or unknown APN")
    assert exchange(sim, line, expected) == expected
    sim = world(hosts=UDP, network={"pdp": {"silent": True}})
    line = 'AT+MIPCALL=1,"internet"'
    exchange(sim, line, ok_after(line))
    assert wait_for(sim, b"\r\n+MIPCALL: 0\r\n", 35) == b"\r\n+MIPCALL: 0\r\n"
    line = "AT+CEER"
    expected = ok_after(line, "+CEER: no answer to the PDP activation within 30 s")
    assert exchange(sim, line, expected) == expected


def test_ipv6_only_call_read_form_keeps_the_ipv6_field() -> None:
    # §1.1.1.2: +MIPCALL: <status>[,<local IP address>[,<local IPv6 address>]]; an IPv6-only
    # link (operation 2) has no IPv4 address, the IPv6 one stays the third field.
    sim = world(hosts=UDP)
    cmee1(sim)
    line = 'AT+MIPCALL=2,"internet"'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    m = sim.dte.expect(r"\r\n\+MIPCALL: (2001:DB8::[0-9A-F:]+)\r\n", 35)
    ipv6 = m.group(1)
    line = "AT+MIPCALL?"
    assert exchange(sim, line, ok_after(line, f"+MIPCALL: 1,,{ipv6}")) == (
        ok_after(line, f"+MIPCALL: 1,,{ipv6}")
    )
    line = "AT+MIPCALL=0"
    exchange(sim, line, ok_after(line))
    assert wait_for(sim, b"\r\n+MIPCALL: 0\r\n", 35) == b"\r\n+MIPCALL: 0\r\n"
    line = 'AT+MIPCALL=3,"internet"'
    exchange(sim, line, ok_after(line))
    m = sim.dte.expect(r"\r\n\+MIPCALL: (\d+\.\d+\.\d+\.\d+),([0-9A-F:]+)\r\n", 35)
    line = "AT+MIPCALL?"
    info = f"+MIPCALL: 1,{m.group(1)},{m.group(2)}"
    assert exchange(sim, line, ok_after(line, info)) == ok_after(line, info)
