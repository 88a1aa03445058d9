"""Sequence-chart extraction (pure): lanes, AT lines, packet hops, lost packets, fault marks."""

from __future__ import annotations

from simnet.kernel.trace import TraceRecord
from simnet.scenario.plot import extract, sequence_chart


def rec(t, source, kind, **fields):
    return TraceRecord(t, source, kind, fields)


RECORDS = [
    rec(0.0, "scenario", "world", hosts={"echo.example.net": "203.0.113.10"}, module_host="module",
        radio_links=["module.uplink", "module.downlink"]),
    rec(0.001, "modem.uart", "dte>", data=b"AT+CIP"),
    rec(0.002, "modem.uart", "dte>", data=b"OPEN\r"),
    rec(0.003, "modem.uart", "dte<", data=b"AT+CIPOPEN\r\r\nOK\r\n"),
    rec(0.5, "module.uplink", "pkt", ev="tx", pkt="TCP 10.64.0.2:40000 > 203.0.113.10:7 [S] seq=1 ack=0 win=1 len=0"),
    rec(0.8, "module.uplink", "pkt", ev="rx", pkt="TCP 10.64.0.2:40000 > 203.0.113.10:7 [S] seq=1 ack=0 win=1 len=0"),
    rec(0.9, "echo_example_net.downlink", "pkt", ev="tx", pkt="TCP 198.51.100.1:1024 > 203.0.113.10:7 [S] seq=1 ack=0 win=1 len=0"),
    rec(1.0, "fault", "fault", action="link-outage", index=0),
    rec(1.0, "module.uplink", "link", event="outage", duration=None),  # the layer's own record
    rec(1.1, "module.downlink", "pkt", ev="tx", pkt="TCP 203.0.113.10:7 > 10.64.0.2:40000 [SA] seq=1 ack=2 win=1 len=5"),
]


def test_extract_lanes_lines_packets_and_faults():
    lanes, arrows, marks = extract(RECORDS)
    assert lanes == ["DTE", "module", "network", "echo.example.net"]
    at = [(a.src, a.dst, a.label) for a in arrows if a.style in ("at", "urc")]
    # the command split over two chunks is one line; the module's echo is not drawn again
    assert at == [("DTE", "module", "AT+CIPOPEN"), ("module", "DTE", "OK")]
    hops = [(a.t0, a.t1, a.src, a.dst, a.style) for a in arrows if a.style in ("pkt", "lost")]
    assert (0.5, 0.8, "module", "network", "pkt") in hops  # radio uplink hop, send -> arrival
    assert (0.9, 0.9, "network", "echo.example.net", "lost") in hops  # never arrived
    assert (1.1, 1.1, "network", "module", "lost") in hops
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
