"""Sequence-chart extraction (pure): lanes, AT lines, binary bursts, packet hops, lost and
in-flight packets, fault / NAT / radio-state marks."""

from __future__ import annotations

from simnet.kernel.trace import TraceRecord
from simnet.scenario.plot import extract, sequence_chart


def rec(t, source, kind, **fields):
    return TraceRecord(t, source, kind, fields)


RECORDS = [
    rec(
        0.0,
        "scenario",
        "world",
        hosts={"echo.example.net": "203.0.113.10"},
        module_host="module",
        radio_links=["module.uplink", "module.downlink"],
    ),
    rec(0.001, "modem.uart", "dte>", data=b"AT+CIP"),
    rec(0.002, "modem.uart", "dte>", data=b"OPEN\r"),
    rec(0.003, "modem.uart", "dte<", data=b"AT+CIPOPEN\r\r\nOK\r\n"),
    rec(
        0.5,
        "module.uplink",
        "pkt",
        ev="tx",
        pkt="TCP 10.64.0.2:40000 > 203.0.113.10:7 [S] seq=1 ack=0 win=1 len=0",
    ),
    rec(
        0.8,
        "module.uplink",
        "pkt",
        ev="rx",
        pkt="TCP 10.64.0.2:40000 > 203.0.113.10:7 [S] seq=1 ack=0 win=1 len=0",
    ),
    rec(
        0.9,
        "echo_example_net.downlink",
        "pkt",
        ev="tx",
        pkt="TCP 198.51.100.1:1024 > 203.0.113.10:7 [S] seq=1 ack=0 win=1 len=0",
    ),
    rec(1.0, "fault", "fault", action="link-outage", index=0),
    rec(1.0, "module.uplink", "link", event="outage", duration=None),  # the layer's own record
    rec(
        0.95,
        "echo_example_net.downlink",
        "drop",
        reason="loss",
        pkt="TCP 198.51.100.1:1024 > 203.0.113.10:7 [S] seq=1 ack=0 win=1 len=0",
    ),
    rec(
        1.1,
        "module.downlink",
        "pkt",
        ev="tx",
        pkt="TCP 203.0.113.10:7 > 10.64.0.2:40000 [SA] seq=1 ack=2 win=1 len=5",
    ),
]


def test_extract_lanes_lines_packets_and_faults():
    lanes, arrows, marks = extract(RECORDS)
    assert lanes == ["DTE", "module", "network", "echo.example.net"]
    at = [(a.src, a.dst, a.label) for a in arrows if a.style in ("at", "urc")]
    # the command split over two chunks is one line; the module's echo is not drawn again
    assert at == [("DTE", "module", "AT+CIPOPEN"), ("module", "DTE", "OK")]
    hops = [
        (a.t0, a.t1, a.src, a.dst, a.style)
        for a in arrows
        if a.style in ("pkt", "lost", "inflight")
    ]
    assert (0.5, 0.8, "module", "network", "pkt") in hops  # radio uplink hop, send -> arrival
    assert (0.9, 0.9, "network", "echo.example.net", "lost") in hops  # the link dropped it
    # sent just before the trace ended, neither received nor dropped: in flight, not lost
    assert (1.1, 1.1, "network", "module", "inflight") in hops
    assert [a.label for a in arrows if a.style == "inflight"] == ["TCP :40000 [SA] 5B (in flight)"]
    assert [a.label for a in arrows if a.style == "lost"] == ["✗ TCP :7 [S] (loss)"]
    assert [(m.t, m.label) for m in marks] == [(1.0, "link-outage (fault)")]


def test_chart_renders_svg(tmp_path):
    out = tmp_path / "c.svg"
    sequence_chart(RECORDS, str(out), title="t")
    text = out.read_text()
    assert "AT+CIPOPEN" in text and "link-outage" in text


def test_prompt_data_without_cr_and_long_command_echo():
    records = [
        rec(0.0, "modem.uart", "dte>", data=b"AT+CIPSEND=0,5\r"),
        rec(0.01, "modem.uart", "dte<", data=b"AT+CIPSEND=0,5\r\r\n>"),
        rec(0.02, "modem.uart", "dte>", data=b"HELLO"),
        rec(0.03, "modem.uart", "dte<", data=b"HELLO"),  # echo: data still being typed
        rec(0.04, "modem.uart", "dte<", data=b"\r\nOK\r\n"),
        rec(0.05, "modem.uart", "dte>", data=b"AT+" + b"X" * 61),  # a 64-byte chunk, no CR yet
        rec(0.06, "modem.uart", "dte<", data=b"AT+" + b"X" * 61),  # its echo
        rec(0.07, "modem.uart", "dte>", data=b"Y\r"),
    ]
    _, arrows, _ = extract(records)
    dte_lines = [(a.t1, a.label) for a in arrows if a.src == "DTE"]
    assert dte_lines[:2] == [(0.0, "AT+CIPSEND=0,5"), (0.02, "HELLO")]
    assert dte_lines[2][0] == 0.07 and dte_lines[2][1].startswith("AT+XXX")  # one line, not two
    assert len(dte_lines) == 3


def test_binary_module_output_is_drawn_when_it_arrives():
    records = [
        rec(1.0, "modem.uart", "dte<", data=b"~\xff}#\xc0!}!}!} }4~"),  # a PPP frame: no LF
        rec(1.01, "modem.uart", "dte<", data=b"+CS"),  # a partial line...
        rec(5.0, "modem.uart", "dte<", data=b"\r\nOK\r\n"),  # ...left 4 s before this one
    ]
    _, arrows, _ = extract(records)
    got = [(a.t0, a.label) for a in arrows]
    assert got[0][0] == 1.0 and got[0][1].startswith("⟨15 bytes⟩")  # counted by hand
    assert (1.01, "+CS") in got and (5.0, "OK") in got


def test_serial_bursts_are_one_arrow_on_one_row():
    """A PPP transfer arrives as many UART chunks; each direction's burst is one arrow from its
    first chunk to its last (one row), text lines around it stay lines, a pause starts a new one."""
    frame = b"~\xff}#\xc0!}!}!} }4\n\x10~"  # binary, with a stray LF inside
    records = [
        rec(1.0, "modem.uart", "dte<", data=b"\r\nCONNECT 115200\r\n" + frame),  # text, then binary
        *[rec(1.0 + 0.01 * i, "modem.uart", "dte<", data=frame) for i in range(1, 30)],
        *[rec(1.005 + 0.01 * i, "modem.uart", "dte>", data=frame) for i in range(10)],
        rec(2.0, "modem.uart", "dte<", data=frame),  # 0.71 s after the last: a new burst
        rec(3.5, "modem.uart", "dte<", data=b"\r\nNO CARRIER\r\n"),  # text ends the burst
    ]
    _, arrows, _ = extract(records)
    got = [(a.t0, a.t1, a.src, a.label) for a in arrows]
    n = len(frame)
    assert got[0] == (1.0, 1.0, "module", "CONNECT 115200")
    burst = arrows[1]
    assert (burst.t0, round(burst.t1, 6), burst.src) == (1.0, 1.29, "module")
    assert burst.label.startswith(f"⟨{30 * n} bytes in 30 chunks over 0.290 s⟩ ~.}}#")
    host = [a for a in arrows if a.src == "DTE"]
    assert len(host) == 1 and host[0].label.startswith(
        f"⟨{10 * n} bytes in 10 chunks over 0.090 s⟩"
    )
    assert host[0].t0 == 1.005 and round(host[0].t1, 6) == 1.095
    assert (
        2.0,
        2.0,
        "module",
        f"⟨{n} bytes⟩ ~.}}#.!}}!}}!}} }}4..~",
    ) in got  # 17 bytes, < 24 shown
    assert got[-1] == (3.5, 3.5, "module", "NO CARRIER")
    assert len(arrows) == 5


def test_a_retransmission_after_a_loss_is_one_lost_and_one_delivered_hop():
    pkt = "TCP 10.64.0.2:40000 > 203.0.113.10:7 [A] seq=1 ack=1 win=1 len=100"
    records = RECORDS[:1] + [
        rec(1.0, "module.uplink", "pkt", ev="tx", pkt=pkt),
        rec(1.0, "module.uplink", "drop", reason="loss", pkt=pkt),
        rec(2.0, "module.uplink", "pkt", ev="tx", pkt=pkt),
        rec(2.2, "module.uplink", "pkt", ev="rx", pkt=pkt),
    ]
    _, arrows, _ = extract(records)
    assert [(a.t0, a.t1, a.style, a.label) for a in arrows] == [
        (1.0, 1.0, "lost", "✗ TCP :7 [A] 100B (loss)"),
        (2.0, 2.2, "pkt", "TCP :7 [A] 100B"),
    ]


def test_nat_and_radio_state_events_are_marks_on_their_lanes():
    records = RECORDS[:1] + [
        rec(0.1, "module.rrc", "rrc", state="connected", cause="attach"),
        rec(0.2, "operator.nat", "nat", event="create", mapping="TCP 10.64.0.2:40000 <-> :40000"),
        rec(10.0, "module.rrc", "rrc", state="idle", cause="inactivity"),
        rec(
            12.0,
            "module.rrc",
            "psm",
            requested=True,
            granted=["00100001", "00000001"],
            t3412=3600.0,
            t3324=2.0,
        ),
        rec(14.0, "module.rrc", "rrc", state="psm", cause="t3324"),
        rec(
            20.0,
            "module.rrc",
            "drop",
            reason="psm_unreachable",
            pkt="TCP 203.0.113.10:7 > 10.64.0.2:40000 [AP] seq=1 ack=1 win=1 len=4",
        ),
        rec(
            30.0,
            "operator.nat",
            "nat",
            event="expire",
            reason="idle",
            mapping="TCP 10.64.0.2:40000 <-> :40000",
            idle=30.0,
        ),
        rec(
            31.0,
            "operator.nat",
            "nat",
            event="drop",
            reason="no_mapping",
            pkt="TCP 203.0.113.10:7 > 198.51.100.1:40000 [A] seq=1 ack=1 win=1 len=0",
        ),
        rec(
            31.0,
            "operator.nat",
            "nat",
            event="rst",
            pkt="TCP 198.51.100.1:40000 > 203.0.113.10:7 [R] seq=1 ack=0 win=0 len=0",
        ),
        rec(40.0, "module.rrc", "radio_link_failure", state="connected"),
        rec(41.0, "module.radio", "coverage_return"),
        rec(41.0, "module.rrc", "reestablishment", delay=0.315),
        rec(3600.0, "module.rrc", "tau", periodic=True, t3412=3600.0),
    ]
    _, arrows, marks = extract(records)
    assert arrows == []
    assert [(m.t, m.kind, m.label) for m in marks] == [
        (0.1, "radio", "RRC connected (attach)"),
        (0.2, "nat", "NAT create TCP 10.64.0.2:40000 <-> :40000"),
        (10.0, "radio", "RRC idle (inactivity)"),
        (12.0, "radio", "PSM T3412=3600.0 s T3324=2.0 s"),
        (14.0, "radio", "RRC psm (t3324)"),
        (20.0, "radio", "✗ TCP :40000 [AP] 4B (psm_unreachable)"),
        (30.0, "nat", "NAT expire TCP 10.64.0.2:40000 <-> :40000 (idle)"),
        (31.0, "nat", "NAT drop (no_mapping) TCP :40000 [A]"),
        (31.0, "nat", "NAT RST TCP :7 [R]"),
        (40.0, "radio", "radio link failure"),
        (41.0, "radio", "coverage back"),
        (41.0, "radio", "RRC re-establishment (0.315 s)"),
        (3600.0, "radio", "periodic TAU"),
    ]


def test_chart_draws_nat_radio_and_in_flight(tmp_path):
    out = tmp_path / "c.svg"
    records = RECORDS + [
        rec(
            1.2,
            "operator.nat",
            "nat",
            event="expire",
            reason="idle",
            mapping="TCP 10.64.0.2:40000 <-> :40000",
            idle=30.0,
        ),
        rec(1.3, "module.rrc", "rrc", state="idle", cause="inactivity"),
    ]
    sequence_chart(records, str(out))
    text = out.read_text()
    assert "NAT expire" in text and "RRC idle (inactivity)" in text and "(in flight)" in text
