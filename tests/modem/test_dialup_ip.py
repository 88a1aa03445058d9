"""IP over the dial-up link, end to end: the DTE's PPP client (PppHost) dials ATD*99# on an
emulated SIM7600, and its sockets reach internet hosts through the module's PDP context, the
radio links and the carrier NAT; the link ends as modules end it.

Timing: UART 115200 baud, 10 bits a character (11520 characters/s); PDP activation takes
ACT s; radio links here have only a fixed delay so that bounds are plain arithmetic.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simnet import ConnectError, DialError, ExpectTimeout, Simulation
from simnet.net.packet import PROTO_ICMP
from tests.modem.helpers import send_all

ACT = 1.5
CPS = 115200 / 10
RESTART = 3.0  # RFC 1661 §4.6 default, pppd's too
ECHO = "203.0.113.10"
ROOT = Path(__file__).resolve().parents[2]
NO_CARRIER = b"\r\nNO CARRIER\r\n"


def world(**network) -> Simulation:
    net = {"registration": {"state": "home", "after": "2s"}, "bearer": "gprs",
           "apn": {"name": "internet", "user": "", "password": "", "auth": "none"},
           "pdp": {"activation_delay": f"{ACT}s"}, "link": {"delay": "100ms"},
           "dns": ["10.64.0.53", "10.64.0.54"]}
    net.update(network)
    sim = Simulation.from_dict({
        "name": "dialup", "seed": 4, "module": "simcom-sim7600", "uart": {"baud": 115200},
        "sim": {"state": "ready"}, "network": net,
        "hosts": {"echo.example.net": {"ip": ECHO, "services": [{"type": "tcp-echo", "port": 7}]}},
        "steps": []})
    sim.dte.command("AT")
    sim.dte.wait(3)
    return sim


def connect(sim, host, port=7):
    sock = host.tcp_connect(ECHO, port)
    got = bytearray()
    sock.on_data = lambda s, *_: got.extend(s.recv())
    sim.run_until(lambda: sock.state == "ESTABLISHED", 30)
    return sock, got


def test_dialup_gets_address_two_dns_pings_resolves_and_echoes_100kb():
    sim = world()
    host = sim.dte.dial("*99#", apn="internet")
    ctx = sim.bearer.gprs.contexts[1]
    assert host.ip == ctx.ip and host.dns_servers == ["10.64.0.53", "10.64.0.54"]
    ping = host.ping(ECHO)
    sim.run_until(lambda: ping.event.triggered, 10)
    # through the core router: one hop, TTL 64 - 1 on the way back
    assert ping.result.ok and ping.result.ttl == 63
    query = host.resolver.resolve("echo.example.net", lambda r: None)
    sim.run_until(lambda: query.event.triggered, 10)
    assert query.result.addresses == [ECHO]
    sock, got = connect(sim, host)
    data = bytes((i * 7 + i // 251) & 0xFF for i in range(100_000))
    send_all(sock, data)
    sim.run_until(lambda: len(got) >= len(data), 300)
    assert bytes(got) == data
    assert sim.host("echo.example.net").bytes_received(service="tcp-echo") == len(data)
    # The IP inside the PPP link is visible at the module's interface, from the DTE's address
    # (the module relays, it does not terminate: the NAT maps the context's address).
    pkts = sim.network.pcap.packets("module")
    assert any(p.proto == PROTO_ICMP and p.src == host.ip and p.dst == ECHO for _, p in pkts)


def test_first_ip_packet_comes_after_the_activation_delay_not_a_restart_later():
    """From CONNECT, what must happen before the DTE may send IP: LCP both ways, the PDP
    activation (ACT), IPCP (a Nak of 0.0.0.0 and an Ack). Only line time is added: every frame
    of that exchange is under 60 characters, fewer than 16 cross the UART, so the link is up
    within ACT + 16 x 60 / 11520 s, far from the 3 s Restart a lost IPCP request would cost."""
    sim = world()
    t_connect_sent = sim.now
    host = sim.dte.dial("*99#")
    connect_at = host.connected_at
    first_ip = sim.now
    elapsed = first_ip - connect_at
    assert ACT <= elapsed <= ACT + 16 * 60 / CPS
    assert elapsed < RESTART
    ping = host.ping(ECHO)
    sim.run_until(lambda: ping.event.triggered, 10)
    tx = [
        r.t
        for r in sim.trace.select(source="dte.ppp", kind="ppp_tx")
        if r.fields["frame"].startswith("IP ")
    ]
    assert tx[0] == pytest.approx(first_ip)
    assert connect_at - t_connect_sent < 1.0


def test_bearer_drop_mid_transfer_terminates_the_link_and_says_no_carrier():
    sim = world()
    host = sim.dte.dial("*99#")
    sock, got = connect(sim, host)
    send_all(sock, bytes(50_000))
    sim.run_until(lambda: len(got) > 5_000, 60)
    t_drop = sim.now
    sim.bearer.bearer_drop()
    sim.run_until(lambda: host.ended is not None, 10)
    # The module sends LCP Terminate-Request at once (RFC 1661 §5.5), behind at most the data
    # already queued towards the host (the module's 8 KiB host-side buffer, 8192/11520 s).
    queued = 8192 / CPS
    assert host.ended.kind == "peer_terminated"
    assert host.ended.at - t_drop < queued + 0.05
    assert sock.close_reason == "network_down"
    # The DTE acks; the module's link is dead on that Ack: NO CARRIER, then AT works again.
    sim.dte.expect("NO CARRIER", timeout=5)
    assert sim.now - t_drop < queued + 0.1
    assert sim.dte.command("AT").raw == b"AT\r\r\nOK\r\n"
    assert not sim.bearer.gprs.is_active(1)


def test_coverage_loss_ends_the_link():
    sim = world()
    host = sim.dte.dial("*99#")
    start = sim.now
    sim.bearer.coverage_loss(60)
    # GPRS keeps the context through the downlink signalling failure (5 paging blocks of
    # 5 x 235.38 ms) and the READY timer (44 s); then the context goes and the link with it.
    lost_after = 5 * 5 * 0.23538 + 44.0
    sim.run_until(lambda: host.ended is not None, 70)
    assert host.ended.kind == "peer_terminated"
    assert lost_after <= sim.now - start < lost_after + 1.0
    sim.dte.expect("NO CARRIER", timeout=5)


def test_dtr_drop_is_carrier_loss_for_the_host():
    sim = world()
    assert sim.dte.command("AT&C1").ok and sim.dte.command("AT&D2").ok
    host = sim.dte.dial("*99#")
    assert sim.dte.dcd
    sim.dte.dtr = False
    sim.run_until(lambda: host.ended is not None, 5)
    assert host.ended.kind == "network_lost"  # pppd: "Modem hangup"
    sim.dte.dtr = True
    sim.dte.wait(1)
    assert sim.dte.command("AT").ok


def test_lcp_echo_keeps_working_during_a_transfer():
    sim = world()
    host = sim.dte.dial("*99#", echo_interval=1.0, echo_failure=3)
    sock, got = connect(sim, host)
    send_all(sock, bytes(60_000))
    sim.run_until(lambda: len(got) >= 60_000, 120)
    assert host.ended is None
    replies = [
        r
        for r in sim.trace.select(source="dte.ppp", kind="ppp_rx")
        if "Echo-Reply" in r.fields["frame"]
    ]
    assert len(replies) >= 5


def test_wrong_credentials_raise_dial_error_with_the_reason():
    sim = world(apn={"name": "internet", "user": "demo", "password": "secret", "auth": "pap"})
    with pytest.raises(DialError) as err:
        sim.dte.dial("*99#", username="demo", password="wrong", auth="pap")
    # the module acks PAP (it cannot check), the network rejects the activation (#29), the
    # module terminates the link and ends the call; dial() reads that NO CARRIER and asks
    # AT+CEER, whose cause is SM cause #29's name (TS 24.008 §10.5.6.6)
    assert err.value.outcome.kind == "peer_terminated"
    assert str(err.value) == (
        "dial-up failed: peer_terminated (peer sent LCP Terminate-Request; "
        "+CEER: PDP context 1: User authentication failed)"
    )
    assert sim.dte.received.endswith(
        b"\r\nNO CARRIER\r\n"
        b"AT+CEER\r\r\n+CEER: PDP context 1: User authentication failed\r\n\r\nOK\r\n"
    )
    # a new user's next command used to be swallowed by the line still in data mode and came
    # back with the module's late NO CARRIER as its final result code
    assert sim.dte.command("AT").raw == b"AT\r\r\nOK\r\n"


def test_a_data_call_refused_at_authentication_stops_the_host_at_the_modem_hangup():
    """GSM data call, the operator's PPP server refuses PAP: it sends Authenticate-Nak and
    releases the call (NO CARRIER, DCD off). The host stops there, as pppd does on "Modem
    hangup"; it used to keep retrying its LCP Terminate-Request into the command-mode line (the
    module echoed them under ATE1), which hid the NO CARRIER, so dial() ran out its 200 s."""
    import yaml

    data = yaml.safe_load((ROOT / "scenarios" / "dialup" / "gsm-data-call.yaml").read_text())
    data["faults"] = [{"at": "0s", "action": "ppp-fail", "phase": "auth", "mode": "reject"}]
    sim = Simulation.from_dict(data)
    sim.advance(3)
    with pytest.raises(DialError) as err:
        sim.dte.dial("0800123456", username="wap", password="wap", auth="pap")
    assert str(err.value).startswith("dial-up failed: auth_failed (PAP Authenticate-Nak; +CEER: ")
    (hangup,) = [r.t for r in sim.trace.select(kind="result") if r.fields["result"] == "NO CARRIER"]
    assert sim.now - hangup < 1.0  # NO CARRIER read, AT+CEER asked: no timeout ran out
    after = sim.dte.received.split(NO_CARRIER, 1)[1]
    assert b"\x7e" not in after  # no PPP frame of the host's after the hangup
    assert after.startswith(b"AT+CEER\r\r\n+CEER: ")
    assert sim.dte.command("AT").raw == b"AT\r\r\nOK\r\n"


def test_check_false_leaves_the_end_of_a_failed_link_to_the_caller():
    """Scenario dial: steps (and hosts that handle the outcome) read NO CARRIER themselves."""
    sim = world(apn={"name": "internet", "user": "demo", "password": "secret", "auth": "pap"})
    host = sim.dte.dial("*99#", username="demo", password="wrong", auth="pap", check=False)
    assert host.outcome.kind == "peer_terminated"
    assert host.outcome.detail == "peer sent LCP Terminate-Request"
    sim.dte.expect("NO CARRIER", timeout=10)


def test_not_registered_is_no_carrier():
    sim = world(registration={"state": "searching"})
    host = sim.dte.dial("*99#", check=False)
    assert host.outcome.kind == "no_carrier" and host.ip is None


def test_dialling_before_registration_says_why():
    """What a user does first: dial right after building the world, before the network
    registers the module (at 2 s). NO CARRIER, then AT+CEER (TS 27.007 §6.10) gives the
    cause, and the exception carries it."""
    sim = Simulation.from_yaml(ROOT / "scenarios" / "dialup" / "gprs-tcp-echo.yaml")
    with pytest.raises(DialError) as err:
        sim.dte.dial("*99#", apn="internet", username="gw", password="s3cret")
    assert str(err.value) == "dial-up failed: no_carrier (NO CARRIER; +CEER: not registered (PS))"
    assert err.value.outcome.kind == "no_carrier"
    assert sim.now < 2.0
    raw = sim.dte.received
    assert raw.endswith(
        b"ATD*99#\r\r\nNO CARRIER\r\n" b"AT+CEER\r\r\n+CEER: not registered (PS)\r\n\r\nOK\r\n"
    )
    # polled until registered, the same dial gets the link up
    while sim.dte.command("AT+CGREG?").line("+CGREG:") != "+CGREG: 0,1":
        sim.advance(0.5)
    assert 2.0 <= sim.now < 2.6
    assert sim.dte.dial("*99#", username="gw", password="s3cret").up


def test_tcp_connect_runs_the_clock_to_established():
    sim = world()
    host = sim.dte.dial("*99#")
    start = sim.now
    sock = host.tcp_connect(ECHO, 7)
    assert sock.state == "ESTABLISHED"
    # SYN and SYN-ACK cross the radio link (100 ms each way) and the wired 10 ms hop to the
    # echo host, plus the UART time of two framed 40-byte segments (under 60 characters each)
    rtt = 2 * (0.100 + 0.010)
    assert rtt <= sim.now - start <= rtt + 2 * 60 / CPS + 0.05
    assert sock.send(b"HELLO") == 5
    sim.run_until(lambda: sock.readable >= 5, 10)
    assert sock.recv() == b"HELLO"


def test_tcp_connect_to_a_closed_port_raises_connect_error():
    sim = world()
    host = sim.dte.dial("*99#")
    with pytest.raises(ConnectError) as err:
        host.tcp_connect(ECHO, 9)  # no service: the echo host answers the SYN with RST
    assert str(err.value) == f"TCP connection to {ECHO}:9 failed: refused"
    assert err.value.socket.close_reason == "refused"


def test_tcp_connect_without_timeout_returns_in_syn_sent():
    sim = world()
    host = sim.dte.dial("*99#")
    now = sim.now
    sock = host.tcp_connect(ECHO, 7, timeout=None)
    assert sock.state == "SYN_SENT" and sim.now == now


def test_hangup_waits_for_no_carrier_so_the_next_command_is_answered():
    sim = world()
    host = sim.dte.dial("*99#")
    host.hangup()
    assert host.ended is not None and sim.dte.tap is None
    assert b"NO CARRIER" not in sim.dte.peek()  # read by hangup()
    assert sim.dte.command("AT").raw == b"AT\r\r\nOK\r\n"
    assert not sim.bearer.gprs.is_active(1)


def test_hangup_that_cannot_finish_in_time_raises():
    sim = world()
    host = sim.dte.dial("*99#")
    # LCP Terminate-Request and -Ack are each over 10 characters: not across in 1 ms
    with pytest.raises(ExpectTimeout) as err:
        host.hangup(timeout=0.001)
    assert str(err.value).startswith(
        "'the end of the PPP link after LCP Terminate-Request' not seen within 0.001 s"
    )


def test_hangup_after_the_network_ended_the_link_returns_at_once():
    sim = world()
    host = sim.dte.dial("*99#")
    sim.bearer.bearer_drop()
    sim.run_until(lambda: host.ended is not None and sim.dte.tap is None, 10)
    sim.dte.expect("NO CARRIER", timeout=5)  # the application read it already
    now = sim.now
    host.hangup()
    assert sim.now == now
    assert sim.dte.command("AT").ok


def test_dialup_pcap_decodes_in_tshark_with_both_directions(tmp_path):
    """The dial-up capture is LINKTYPE_PPP with the module's and the host's frames; Wireshark's
    dissectors (tshark, Debian package) read the PPP protocols and the IP inside."""
    import shutil
    import subprocess

    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark not installed (apt-get install tshark; make interop installs it)")
    sim = world()
    host = sim.dte.dial("*99#")
    ping = host.ping(ECHO)
    sim.run_until(lambda: ping.event.triggered, 10)
    path = tmp_path / "dialup.pcap"
    sim.bearer.write_pcap(str(path))
    out = subprocess.run(
        [
            tshark,
            "-r",
            str(path),
            "-T",
            "fields",
            "-e",
            "ppp.protocol",
            "-e",
            "ip.src",
            "-e",
            "ip.dst",
            "-e",
            "icmp.type",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    protocols = {r[0] for r in rows}
    assert {"0xc021", "0x8021", "0x0021"} <= protocols
    assert [host.ip, ECHO, "8"] in [r[1:] for r in rows]  # echo request, from the host
    assert [ECHO, host.ip, "0"] in [r[1:] for r in rows]  # echo reply, to the host
    # LCP Configure-Requests from both ends (the module's and the host's)
    requests = [
        r for r in sim.trace.select(kind="ppp_rx") if "LCP Configure-Request" in r.fields["frame"]
    ]
    assert {r.source for r in requests} == {"bearer.dialup", "dte.ppp"}


@pytest.mark.parametrize("auth", ["chap", "pap", "any"])
def test_a_pap_apn_takes_pppds_default_chap_as_well_as_pap(auth):
    """Operator APN with PAP credentials; pppd's default (CHAP-MD5, which the module asks
    first) gets the link up, as does PAP; the network checks the CHAP response with the
    subscriber's secret (RFC 1994 §4.1)."""
    sim = world(apn={"name": "internet", "user": "gw", "password": "s3cret", "auth": "pap"})
    host = sim.dte.dial("*99#", username="gw", password="s3cret", auth=auth)
    assert host.up
    (peer_auth,) = sim.trace.select(source="bearer.gprs", kind="pdp_peer_auth")
    assert peer_auth.fields["protocol"] == ("pap" if auth == "pap" else "chap")


def test_a_full_module_buffer_drops_whole_datagrams_not_pieces_of_frames():
    """When the module's buffer towards the host has no room for a whole framed datagram, the
    datagram is dropped whole (trace reason buffer_full) instead of a frame being cut: every
    frame the host gets is intact, and the next datagram that fits goes through."""
    sim = world()
    host = sim.dte.dial("*99#")
    link = sim.module.session.link
    keep = link.hold_limit
    link.hold_limit = len(link.hold) + 20  # less than one framed 28-byte echo reply
    ping = host.ping(ECHO, size=0)
    sim.run_until(lambda: ping.event.triggered, 10)
    assert not ping.result.ok
    (drop,) = sim.trace.select(source="bearer.dialup", kind="drop")
    assert drop.fields["reason"] == "buffer_full" and "type=0" in drop.fields["pkt"]
    link.hold_limit = keep
    ping = host.ping(ECHO, size=0)
    sim.run_until(lambda: ping.event.triggered, 10)
    assert ping.result.ok
    assert host.driver.deframer.errors == 0 and sim.trace.select(kind="data_dropped") == []



@pytest.mark.parametrize("fault", [None, "ipcp-silent"])
def test_a_dial_that_runs_out_of_time_gives_the_line_back_in_command_mode(fault):
    """dial(timeout=) shorter than the negotiation (or than PPP's own give-up when IPCP stays
    silent): DialError 'cancelled' comes after the host's LCP Terminate-Request has ended the
    link and the module's NO CARRIER has been read; the caller's next command is answered.
    It used to raise at once, and the next command read the late PPP frames and NO CARRIER."""
    import yaml

    data = yaml.safe_load((ROOT / "scenarios" / "dialup" / "gprs-tcp-echo.yaml").read_text())
    if fault:
        data["faults"] = [{"at": "0s", "action": "ppp-fail", "phase": "ipcp", "mode": "silent"}]
    sim = Simulation.from_dict(data)
    while sim.dte.command("AT+CGREG?").line("+CGREG:") != "+CGREG: 0,1":
        sim.advance(1)
    with pytest.raises(DialError) as err:
        if fault:
            sim.dte.dial("*99#", apn="internet", username="gw", password="s3cret", timeout=20)
        else:
            sim.dte.dial("*99#", timeout=0.3)
    assert err.value.outcome.kind == "cancelled"
    assert err.value.outcome.detail == f"no IP link within {0.3 if fault is None else 20:g} s"
    assert sim.dte.received.endswith(NO_CARRIER)
    assert sim.dte.command("AT").raw == b"AT\r\r\nOK\r\n"
