"""Each fault action reaches the part it names, at its time or on its trigger, and ends when its
duration ends. Times are the scenario's own numbers; trigger instants are read from the UART
records of the same trace (the bytes that satisfied the trigger)."""

from __future__ import annotations

import pytest

import simnet

HOSTS = {
    "echo.example.net": {"ip": "203.0.113.10", "services": [{"type": "udp-echo", "port": 7}]},
}


def build(faults: list, *, hosts: dict | None = None, network: dict | None = None,
          steps: list | None = None) -> simnet.Simulation:
    spec = {"name": "faults", "module": "simcom-sim7600", "hosts": hosts or HOSTS, "faults": faults,
            "steps": steps or [{"send": "AT"}]}
    if network is not None:
        spec["network"] = network
    return simnet.Simulation.from_dict(spec)


def fault_records(sim: simnet.Simulation) -> list:
    return sim.trace.select(source="fault", kind="fault")


def link_events(sim: simnet.Simulation, link: str) -> list[tuple[float, str]]:
    return [(round(r.t, 9), r.fields["event"]) for r in sim.trace.select(source=link, kind="link")]


def test_link_outage_at_time_on_both_directions():
    sim = build([{"at": "20s", "action": "link-outage", "duration": "10s"}])
    sim.advance(40)
    (rec,) = fault_records(sim)
    assert rec.t == 20 and rec.fields["action"] == "link-outage"
    up, down = sim.network.link("module").uplink, sim.network.link("module").downlink
    assert link_events(sim, "module.uplink") == [(20.0, "outage")]
    assert link_events(sim, "module.downlink") == [(20.0, "outage")]
    assert not up.in_outage and not down.in_outage  # over at t=30


def test_link_outage_one_direction_in_progress():
    sim = build([{"at": "5s", "action": "link-outage", "duration": "10s", "direction": "uplink"}])
    sim.advance(6)
    assert sim.network.link("module").uplink.in_outage
    assert not sim.network.link("module").downlink.in_outage
    sim.advance(10)
    assert not sim.network.link("module").uplink.in_outage


def test_loss_changes_for_a_duration_then_restores():
    sim = build(
        [{"at": "2s", "action": "loss", "loss": 0.5, "duration": "3s", "direction": "downlink"}],
        network={"link": {"loss": 0.01}},
    )
    sim.advance(10)
    sets = [
        (round(r.t, 9), r.fields.get("p"))
        for r in sim.trace.select(source="module.downlink", kind="link")
        if r.fields["event"] == "set_loss"
    ]
    assert sets == [(2.0, 0.5), (5.0, 0.01)]
    assert not [
        r
        for r in sim.trace.select(source="module.uplink", kind="link")
        if r.fields["event"] == "set_loss"
    ]


def test_gilbert_elliott_loss_fault_uses_netem_parameters():
    sim = build(
        [
            {
                "at": "1s",
                "action": "loss",
                "loss": {"model": "gilbert-elliott", "p": 0.1, "r": 0.4, "h": 0.2, "k": 0.9},
            }
        ]
    )
    sim.advance(2)
    (rec,) = [
        r
        for r in sim.trace.select(source="module.uplink", kind="link")
        if r.fields["event"] == "set_loss"
    ]
    # h / k are "gets through" probabilities: netem's 1-h = 0.8, 1-k = 0.1 (computed by hand)
    assert rec.fields["one_minus_h"] == pytest.approx(0.8)
    assert rec.fields["one_minus_k"] == pytest.approx(0.1)


def test_delay_changes_for_a_duration_then_restores():
    sim = build(
        [{"at": "1s", "action": "delay", "delay": "2s", "duration": "4s"}],
        network={"link": {"delay": "300ms"}},
    )
    sim.advance(10)
    sets = [
        round(r.t, 9)
        for r in sim.trace.select(source="module.uplink", kind="link")
        if r.fields["event"] == "set_delay"
    ]
    assert sets == [1.0, 5.0]


def test_dns_fail_for_a_duration():
    sim = build(
        [{"at": "3s", "action": "dns-fail", "mode": "servfail", "duration": "5s"}],
        network={"dns": ["10.64.0.53", "10.64.0.54"]},
    )
    sim.advance(4)
    assert [s.fault for s in sim.network.dns_servers] == ["servfail", "servfail"]
    sim.advance(5)
    assert [s.fault for s in sim.network.dns_servers] == [None, None]
    sim2 = build([{"at": "0s", "action": "dns-fail", "mode": "timeout"}])
    sim2.advance(1)
    assert sim2.network.dns_server.fault == "silence"  # the server never answers


@pytest.mark.skipif(simnet.compiled, reason="replaces Nat.expire_all: compiled, it is read-only")
def test_nat_expire_fires_on_nat():
    sim = build([{"at": "7s", "action": "nat-expire"}])
    calls: list[float] = []
    nat = sim.network.nat
    original = nat.expire_all
    nat.expire_all = lambda *a, **k: calls.append(sim.now) or original(*a, **k)
    sim.advance(8)
    assert calls == [7.0]


def test_server_refuse_udp_for_a_duration():
    sim = build(
        [
            {
                "at": "1s",
                "action": "server-refuse",
                "host": "echo.example.net",
                "port": 7,
                "duration": "2s",
            }
        ]
    )
    client = sim.network.add_host("client", "192.0.2.50")
    sock = client.udp_bind(0)
    view = sim.host("echo.example.net")
    sim.advance(1.5)
    sock.sendto(b"lost", ("203.0.113.10", 7))  # refused: port closed
    sim.advance(2.0)  # t = 3.5, refusal over at t = 3
    sock.sendto(b"kept!", ("203.0.113.10", 7))
    sim.advance(1.0)
    assert view.bytes_received(service="udp-echo") == 5


def first_time_containing(sim: simnet.Simulation, source: str, kind: str, needle: bytes) -> float:
    """The instant the UART stream of ``kind`` first contains ``needle`` (independent scan)."""
    seen = b""
    for rec in sim.trace.select(source=source, kind=kind):
        seen += rec.fields["data"]
        if needle in seen:
            return rec.t
    raise AssertionError(needle)


def test_trigger_on_sent_and_received_text():
    sim = build(
        [
            {"on": {"sent": "AT+CSQ"}, "action": "link-outage", "duration": "1s"},
            {"on": {"received": "+CSQ:"}, "action": "nat-expire"},
        ]
    )
    sim.dte.command("AT")
    sim.dte.command("AT+CSQ")
    sim.advance(1)
    fired = {r.fields["action"]: r.t for r in fault_records(sim)}
    uart = sim.world.uart_source
    sent_at = first_time_containing(sim, uart, "dte>", b"AT+CSQ")
    recv_at = first_time_containing(sim, uart, "dte<", b"+CSQ:")
    assert 0 < sent_at < recv_at
    assert fired["link-outage"] == pytest.approx(sent_at)
    assert fired["nat-expire"] == pytest.approx(recv_at)
    assert len(fault_records(sim)) == 2  # each fires once


def test_fault_error_is_traced_not_raised():
    """A layer refusing a fault becomes a trace record and a world note, never an exception."""
    sim = build(
        [
            {
                "at": "1s",
                "action": "server-reply",
                "host": "echo.example.net",
                "command": "STOR",
                "code": "-ERR",
            }
        ]
    )  # valid YAML, but only POP3 answers -ERR: the service refuses
    sim.advance(2)
    assert len(fault_records(sim)) == 1
    (err,) = sim.trace.select(source="fault", kind="fault_error")
    assert err.t == 1.0 and err.fields["action"] == "server-reply"
    assert len(sim.world.fault_errors) == 1 and sim.world.fault_errors[0].startswith(
        "faults[0] server-reply"
    )
    result = sim.run_scenario()
    assert result.fault_errors == sim.world.fault_errors and not result.passed


# -- faults that need the bearer or TCP (run once those layers exist) ---------------------------

GPRS = {"apn": {"name": "internet"}, "link": {"delay": "100ms"}}
TCP_HOSTS = {
    "echo.example.net": {"ip": "203.0.113.10", "services": [{"type": "tcp-echo", "port": 7}]}
}
OPEN = [
    {"send": 'AT+CGDCONT=1,"IP","internet"'},
    {"expect": "OK"},
    {"send": "AT+NETOPEN"},
    {"expect": "+NETOPEN: 0", "within": "30s"},
]


@pytest.mark.parametrize(
    ("fault", "method", "args"),
    [
        ({"action": "bearer-drop"}, "bearer_drop", ()),
        ({"action": "pdp-reject", "cause": 27}, "pdp_reject", (27,)),
        ({"action": "pdp-silent"}, "pdp_silent", ()),
        ({"action": "ppp-fail", "phase": "auth", "mode": "reject"}, "ppp_fail", ("auth", "reject")),
        ({"action": "call-fail", "outcome": "no-answer"}, "call_fail", ("no_answer",)),
        ({"action": "sim-remove"}, "sim_remove", ()),
        ({"action": "coverage-loss", "duration": "30s"}, "coverage_loss", (30.0,)),
    ],
)
def test_bearer_faults_reach_the_bearer_hook(fault, method, args):
    sim = build([{"at": "4s", **fault}], network=GPRS)
    calls: list[tuple[float, tuple]] = []
    original = getattr(sim.bearer, method)
    setattr(sim.bearer, method, lambda *a, **k: calls.append((sim.now, a)) or original(*a, **k))
    sim.advance(5)
    assert calls == [(4.0, args)]
    assert not sim.world.fault_errors


def test_syn_trigger_fires_on_nth_syn():
    sim = build(
        [{"on": {"syn": 2, "host": "echo.example.net", "port": 7}, "action": "nat-expire"}],
        hosts=TCP_HOSTS,
        network=GPRS,
    )
    for step in OPEN:
        if "send" in step:
            sim.dte.write(step["send"] + "\r")
        else:
            sim.dte.expect(step["expect"].replace("+", r"\+"), timeout=30)
    for cid in (0, 1):
        sim.dte.command(f'AT+CIPOPEN={cid},"TCP","203.0.113.10",7', timeout=10)
        sim.dte.expect(rf"\+CIPOPEN: {cid},0", timeout=30)
    syns = [
        r.t
        for r in sim.trace.select(source="module.uplink", kind="pkt")
        if r.fields["ev"] == "tx"
        and "[S]" in r.fields["pkt"]
        and "203.0.113.10:7" in r.fields["pkt"]
    ]
    (rec,) = fault_records(sim)
    assert len(syns) >= 2 and rec.t == pytest.approx(syns[1])


def test_packet_and_uart_triggers_fire_with_their_records_muted():
    # Triggers are hooks on the packets and UART chunks, not parsed trace text: muting the
    # per-packet and per-byte records (trace levels, benchmarks) leaves them working. The same
    # scenario unmuted gives the instants to compare with.
    # Actions that leave the open connections alone (they act on later procedures).
    faults = [
        {"on": {"syn": 2, "host": "echo.example.net", "port": 7}, "action": "pdp-reject"},
        {
            "on": {"bytes": 3, "host": "echo.example.net", "direction": "uplink"},
            "action": "dns-fail",
            "mode": "nxdomain",
        },
        {"on": {"sent": "AT+CIPOPEN=1"}, "action": "pdp-silent"},
    ]
    fired = []
    for muted in (False, True):
        sim = build(faults, hosts=TCP_HOSTS, network=GPRS)
        if muted:
            sim.trace.mute("pkt", "drop", "dte>", "dte<")
        for step in OPEN:
            if "send" in step:
                sim.dte.write(step["send"] + "\r")
            else:
                sim.dte.expect(step["expect"].replace("+", r"\+"), timeout=30)
        for cid in (0, 1):
            sim.dte.command(f'AT+CIPOPEN={cid},"TCP","203.0.113.10",7', timeout=10)
            sim.dte.expect(rf"\+CIPOPEN: {cid},0", timeout=30)
        assert sim.dte.command("AT+CIPSEND=0,4").final == ">"
        sim.dte.write(b"abcd")
        sim.dte.expect(r"\+CIPSEND: 0,4,4", timeout=30)
        sim.advance(2)
        fired.append([(r.fields["action"], round(r.t, 9)) for r in fault_records(sim)])
        if muted:
            assert not sim.trace.select(kind="pkt") and not sim.trace.select(kind="dte>")
    assert [a for a, _t in fired[0]] == ["pdp-silent", "pdp-reject", "dns-fail"]
    assert fired[1] == fired[0]


def test_server_reset_after_bytes_and_bytes_trigger():
    sim = build(
        [
            {
                "at": "0s",
                "action": "server-reset",
                "host": "echo.example.net",
                "port": 7,
                "after_bytes": 4,
            },
            {
                "on": {"bytes": 3, "host": "echo.example.net", "direction": "uplink"},
                "action": "nat-expire",
            },
        ],
        hosts=TCP_HOSTS,
        network=GPRS,
    )
    for step in OPEN:
        if "send" in step:
            sim.dte.write(step["send"] + "\r")
        else:
            sim.dte.expect(step["expect"].replace("+", r"\+"), timeout=30)
    sim.dte.command('AT+CIPOPEN=0,"TCP","203.0.113.10",7', timeout=10)
    sim.dte.expect(r"\+CIPOPEN: 0,0", timeout=30)
    assert sim.dte.command("AT+CIPSEND=0,10").final == ">"
    sim.dte.write(b"0123456789")
    sim.dte.expect(r"\+IPCLOSE: 0", timeout=30)
    assert [r.fields["action"] for r in fault_records(sim)] == ["server-reset", "nat-expire"]


def test_server_reply_and_stall_reach_the_service():
    hosts = {"ftp.example.net": {"ip": "203.0.113.20", "services": [{"type": "ftp", "port": 21}]}}
    sim = build(
        [
            {
                "at": "1s",
                "action": "server-reply",
                "host": "ftp.example.net",
                "command": "STOR",
                "code": 552,
            },
            {"at": "2s", "action": "server-stall", "host": "ftp.example.net", "duration": "3s"},
        ],
        hosts=hosts,
    )
    svc = sim.host("ftp.example.net").service("ftp")
    sim.advance(2.5)
    assert [o.command for o in svc.overrides] == ["STOR"] and svc.stalled
    sim.advance(3)
    assert not svc.stalled


def bearer_world(fault: dict) -> simnet.Simulation:
    return build([fault], network={"apn": {"name": "internet"}, "registration": {"after": "1s"}})


def netopen(sim: simnet.Simulation, timeout: float = 30) -> str:
    sim.dte.command('AT+CGDCONT=1,"IP","internet"')
    sim.dte.command("AT+NETOPEN")
    return sim.dte.expect(r"\+NETOPEN: \d+", timeout=timeout).group(0)


def test_bearer_drop_takes_the_interface_down_at_its_time():
    sim = bearer_world({"at": "5s", "action": "bearer-drop"})
    sim.advance(1.5)
    assert netopen(sim) == "+NETOPEN: 0"
    sim.advance(5)
    (down,) = [
        r for r in sim.trace.select(source="module", kind="iface") if r.fields["event"] == "down"
    ]
    assert down.t == 5.0
    assert b"+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY" in sim.dte.peek()


def test_pdp_reject_fault_gives_its_cause():
    sim = bearer_world({"at": "0s", "action": "pdp-reject", "cause": 33})
    sim.advance(1.5)
    assert netopen(sim) != "+NETOPEN: 0"
    (rec,) = sim.trace.select(source="bearer.gprs", kind="pdp_result")
    assert (rec.fields["outcome"], rec.fields["cause"]) == ("pdp_reject", 33)


def test_pdp_silent_fault_never_activates():
    sim = bearer_world({"at": "0s", "action": "pdp-silent"})
    sim.advance(1.5)
    assert netopen(sim, timeout=600) != "+NETOPEN: 0"
    assert not [
        r
        for r in sim.trace.select(source="bearer.gprs", kind="pdp_result")
        if r.fields["outcome"] == "ok"
    ]


def test_coverage_loss_for_a_duration_and_sim_remove():
    # A 10 s gap on GPRS: radio link failure and a cell update, the registration stays.
    sim = bearer_world({"at": "2s", "action": "coverage-loss", "duration": "10s"})
    sim.advance(3)
    assert sim.dte.command("AT+CGREG?").lines == ["+CGREG: 0,1"]
    assert sim.dte.command("AT+CSQ").lines == ["+CSQ: 99,99"]  # but no signal meanwhile
    # 90 s is past the profile's thresholds (5.88 s to failure + 44 s READY timer): searching.
    sim = bearer_world({"at": "2s", "action": "coverage-loss", "duration": "90s"})
    sim.advance(2 + 50.0)
    assert sim.dte.command("AT+CGREG?").lines == ["+CGREG: 0,2"]
    sim.advance(45)
    assert sim.dte.command("AT+CGREG?").lines == ["+CGREG: 0,1"]  # home again
    gone = bearer_world({"at": "2s", "action": "sim-remove"})
    assert gone.dte.command("AT+CPIN?").lines == ["+CPIN: READY"]
    gone.advance(3)
    assert gone.dte.command("AT+CPIN?").final != "OK"


def test_call_fail_busy_on_a_gsm_data_call():
    sim = build(
        [{"at": "0s", "action": "call-fail", "outcome": "busy"}],
        network={"bearer": "gsm", "registration": {"after": "1s"}},
    )
    sim.advance(2)
    r = sim.dte.command("ATD0123456789", timeout=120)
    assert r.final == "BUSY"
    assert r.elapsed == pytest.approx(5.0, abs=0.2)  # the operator's busy_time (5 s) plus dialling


def test_peer_connect_reaches_a_listening_module():
    spec = {
        "name": "peer",
        "module": "simcom-a7670",
        "network": {"apn": {"name": "CMNET"}, "link": {"delay": "100ms"}},
        "hosts": {"client.example.net": {"ip": "192.168.108.5"}},  # operator side: no NAT
        "faults": [
            {
                "on": {"received": "+SERVERSTART"},
                "action": "peer-connect",
                "host": "client.example.net",
                "port": 8080,
                "send": "HI\\r\\n",
            }
        ],
        "steps": [{"send": "AT"}],
    }
    sim = simnet.Simulation.from_dict(spec)
    sim.dte.command('AT+CGDCONT=1,"IP","CMNET"')
    sim.dte.command("AT+NETOPEN")
    sim.dte.expect(r"\+NETOPEN: 0", timeout=30)
    # the module's echo of this command contains "+SERVERSTART": the peer connects ~100 ms later
    assert sim.dte.command("AT+SERVERSTART=8080,0").final == "OK"
    sim.dte.expect(r"\+CLIENT: 0,0,192\.168\.108\.5:\d+", timeout=10)
    m = sim.dte.expect(r"\+IPD(\d+)\r\n", timeout=10)
    assert m.group(1) == "4" and sim.dte.expect("HI\r\n", timeout=1)  # escapes decoded: 4 bytes
    (sock,) = sim.world.peer_sockets
    assert sock.bytes_sent == 4


def test_server_slow_greeting_and_rate_limit_reach_the_service():
    hosts = {"ftp.example.net": {"ip": "203.0.113.20", "services": [{"type": "ftp", "port": 21}]}}
    sim = build(
        [
            {
                "at": "1s",
                "action": "server-slow-greeting",
                "host": "ftp.example.net",
                "delay": "5s",
            },
            {
                "at": "2s",
                "action": "server-rate-limit",
                "host": "ftp.example.net",
                "service": "ftp",
                "rate": "9600bps",
            },
        ],
        hosts=hosts,
    )
    svc = sim.host("ftp.example.net").service("ftp")
    sim.advance(1.5)
    assert svc.greeting_delay == 5.0 and svc.rate is None
    sim.advance(1.0)
    assert svc.rate == 9600.0
    assert [r.fields["action"] for r in fault_records(sim)] == [
        "server-slow-greeting",
        "server-rate-limit",
    ]


def test_ppp_fail_phase_and_mode_alias_reach_the_bearer():
    sim = build(
        [{"at": "1s", "action": "ppp-fail", "phase": "echo", "mode": "silent"}],
        network={"bearer": "gsm"},
    )
    sim.advance(2)
    (rec,) = [
        r
        for r in sim.trace.select(source="bearer", kind="fault")
        if r.fields.get("fault") == "ppp_fail"
    ]
    assert (rec.t, rec.fields["phase"], rec.fields["mode"]) == (1.0, "open", "echo_silent")


def test_trace_trigger_fires_on_the_matching_record():
    sim = build(
        [
            {
                "on": {"trace": {"source": "module", "kind": "iface", "event": "up"}},
                "action": "link-outage",
                "duration": "1s",
            }
        ],
        network={"apn": {"name": "internet"}, "registration": {"after": "0s"}},
    )
    sim.dte.command('AT+CGDCONT=1,"IP","internet"')
    sim.dte.command("AT+NETOPEN")
    sim.dte.expect(r"\+NETOPEN: 0", timeout=30)
    sim.advance(0.1)
    (up,) = [
        r for r in sim.trace.select(source="module", kind="iface") if r.fields["event"] == "up"
    ]
    (rec,) = fault_records(sim)
    assert rec.t == up.t  # fired (through a zero-delay timer) at the instant the interface came up
    assert link_events(sim, "module.uplink") == [(round(up.t, 9), "outage")]


GSM_CALL = {"bearer": "gsm", "registration": {"after": "0s"}, "csd": {"setup_time": "5s"}}


def test_ppp_fail_count_lets_the_retry_succeed_and_pcap_holds_the_ppp_frames(tmp_path):
    """count: 1 — the first call's PPP server takes the fault, the second call's does not.
    The DTE stays silent; the server's LCP Configure-Requests repeat every 3 s (RFC 1661 restart
    timer), so each call puts frames in the PPP capture."""
    sim = build(
        [{"at": "0s", "action": "ppp-fail", "phase": "lcp", "mode": "silent", "count": 1}],
        network=GSM_CALL,
    )
    for _ in range(2):
        assert sim.dte.command("ATD5551234", timeout=60).final == "CONNECT 9600"
        sim.advance(4)
        sim.dte.write(b"+++")  # escape with 1 s guard times around it, then hang up
        sim.dte.expect("OK", timeout=3)
        assert sim.dte.command("ATH").final == "OK"
        sim.advance(1)
    starts = [
        r
        for r in sim.trace.select(kind="ppp_phase")
        if r.source.endswith(".ppp.server") and r.fields["phase"] == "establish"
    ]
    assert len(starts) == 2
    assert sim.bearer.ppp_fault is None  # cleared after the first session started
    # the first server is silent (no LCP at all); the second sends Configure-Requests
    frames = sim.bearer.ppp_capture.frames
    assert frames and all(f.t > starts[1].t - 1e-9 for f in frames)
    out = tmp_path / "call.pcap"
    assert sim.save_pcap(out) == len(frames)
    scapy_all = pytest.importorskip("scapy.all")
    assert len(scapy_all.rdpcap(str(out))) == len(frames)  # no IP packet: the PPP frames go here
