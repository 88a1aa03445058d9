"""`simnet run | validate | modules | plot`: exit codes, step lines, report JSON, determinism."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest

from simnet.kernel.trace import read_jsonl
from simnet.scenario.cli import main
from tests.scenario.helpers import dedent, line_of, write

PASSING = dedent("""
    name: cli passing
    module: simcom-sim7600
    seed: 3
    steps:
      - send: AT
      - expect: OK
      - send: AT+CSQ
      - expect_re: '\\+CSQ: (\\d+),(\\d+)'
      - wait: 1.5s
      - expect_absent: ERROR
        within: 500ms
""")

FAILING = dedent("""
    name: cli failing
    module: simcom-sim7600
    steps:
      - send: AT
      - expect: OK
      - send: AT+NOSUCHCOMMAND
      - expect: "+NEVER"
        within: 2s
      - send: AT
""")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_run_q_is_quiet_too(tmp_path):
    """-q, as most tools spell --quiet: only the verdict line."""
    code, out, _ = run("run", str(write(tmp_path, PASSING)), "-q")
    assert code == 0
    assert len(out.splitlines()) == 1 and out.startswith("PASSED: cli passing")


def test_run_passing_prints_each_step_with_virtual_time(tmp_path):
    path = write(tmp_path, PASSING)
    code, out, _ = run("run", str(path))
    assert code == 0
    step_lines = [ln for ln in out.splitlines() if re.match(r"^\[\s+\d+\.\d{3} s\] PASS", ln)]
    assert len(step_lines) == 6
    times = [float(re.match(r"^\[\s+(\d+\.\d+) s\]", ln).group(1)) for ln in step_lines]
    assert times == sorted(times)
    # wait 1.5 s then watch 0.5 s: the last step ends 2 s after the expect before it
    assert times[-1] - times[3] == pytest.approx(2.0, abs=1e-3)
    assert "PASSED" in out.splitlines()[-1]


def test_run_failing_exit_1_names_step_expected_received_and_time(tmp_path):
    path = write(tmp_path, FAILING)
    report_path = tmp_path / "r.json"
    code, out, _ = run("run", str(path), "--report", str(report_path))
    assert code == 1
    summary = out.splitlines()
    verdict = next(i for i, ln in enumerate(summary) if ln.startswith("FAILED"))
    detail = summary[verdict + 1]
    assert f"step 4 (expect: '+NEVER', line {line_of(FAILING, '+NEVER')})" in detail
    assert "expected '+NEVER'" in detail
    # what arrived after the "OK" match: its CR LF, then the echo and ERROR (bytes by hand)
    assert "received '\\r\\nAT+NOSUCHCOMMAND\\r\\r\\nERROR\\r\\n'" in detail
    t_fail = float(re.search(r"failed at t=(\d+\.\d+) s", detail).group(1))
    report = json.loads(report_path.read_text())
    assert report["passed"] is False
    step = report["steps"][3]
    assert step["passed"] is False and step["t"] == pytest.approx(t_fail, abs=1e-3)
    # the window started when the previous step ended
    assert step["t"] - step["t_start"] == pytest.approx(2.0)
    assert report["steps"][4]["passed"] is None  # not run


def test_run_invalid_file_exit_2_before_anything_runs(tmp_path):
    text = PASSING.replace("wait: 1.5s", "wait: 1.5 lightyears")
    path = write(tmp_path, text)
    trace = tmp_path / "t.jsonl"
    code, out, err = run("run", str(path), "--trace", str(trace))
    assert code == 2
    assert err.startswith(
        f"{path}:{line_of(text, 'lightyears')}: steps[4].wait: unknown duration unit"
    )
    assert out == "" and not trace.exists()


def test_usage_errors_exit_2(tmp_path):
    assert run()[0] == 2
    assert run("frobnicate")[0] == 2
    assert run("run")[0] == 2
    assert run("run", str(write(tmp_path, PASSING)), "--repeat", "0")[0] == 2
    assert run("run", str(tmp_path / "missing.yaml"))[0] == 2
    nowhere = str(tmp_path / "no" / "such" / "dir" / "x")
    for option in ("--report", "--trace", "--pcap"):
        code, _, err = run("run", str(write(tmp_path, PASSING)), "--quiet", option, nowhere)
        assert code == 2 and "cannot write" in err


def test_report_fields(tmp_path):
    path = write(tmp_path, PASSING)
    report_path = tmp_path / "r.json"
    code, _, _ = run("run", str(path), "--report", str(report_path), "--quiet", "--seed", "11")
    assert code == 0
    report = json.loads(report_path.read_text())
    for key in (
        "scenario",
        "seed",
        "passed",
        "virtual_time",
        "wall_time",
        "steps",
        "checks",
        "digest",
    ):
        assert key in report
    assert report["scenario"] == "cli passing"
    assert report["seed"] == 11
    assert report["passed"] is True
    assert report["digest_repeat_ok"] is None  # one run: no claim
    assert [s["index"] for s in report["steps"]] == list(range(6))
    assert [s["kind"] for s in report["steps"]] == [
        "send",
        "expect",
        "send",
        "expect_re",
        "wait",
        "expect_absent",
    ]
    assert all(s["passed"] is True and isinstance(s["t"], float) for s in report["steps"])
    assert report["virtual_time"] == pytest.approx(report["steps"][-1]["t"], abs=1e-6)
    assert re.fullmatch(r"[0-9a-f]{64}", report["digest"])


def test_same_seed_twice_same_digest_and_report_says_so(tmp_path):
    path = write(tmp_path, PASSING)
    r1, r2 = tmp_path / "a.json", tmp_path / "b.json"
    assert run("run", str(path), "--quiet", "--report", str(r1), "--repeat", "2")[0] == 0
    report = json.loads(r1.read_text())
    assert report["digest_repeat_ok"] is True
    assert report["repeat"]["runs"] == 2
    assert report["repeat"]["digests"] == [report["digest"], report["digest"]]
    # and across processes: a separate invocation gives the same digest
    assert run("run", str(path), "--quiet", "--report", str(r2))[0] == 0
    assert json.loads(r2.read_text())["digest"] == report["digest"]
    # a different seed changes the module's random latencies, hence the digest
    r3 = tmp_path / "c.json"
    assert run("run", str(path), "--quiet", "--report", str(r3), "--seed", "99")[0] == 0
    assert json.loads(r3.read_text())["digest"] != report["digest"]


def test_trace_file_matches_digest_and_plots(tmp_path):
    path = write(tmp_path, PASSING)
    trace, report_path = tmp_path / "t.jsonl", tmp_path / "r.json"
    assert (
        run("run", str(path), "--quiet", "--trace", str(trace), "--report", str(report_path))[0]
        == 0
    )
    records = read_jsonl(str(trace))
    assert records and records[0].kind == "world"
    import hashlib

    # the digest is SHA-256 over the canonical JSON lines; the streamed file holds exactly those
    assert (
        hashlib.sha256(trace.read_bytes()).hexdigest()
        == json.loads(report_path.read_text())["digest"]
    )
    for ext in ("png", "svg"):
        chart = tmp_path / f"chart.{ext}"
        code, out, _ = run("plot", str(trace), "--out", str(chart))
        assert code == 0 and chart.stat().st_size > 1000
    assert chart.read_text().lstrip().startswith(("<?xml", "<svg"))
    assert "AT+CSQ" in chart.read_text()  # the AT line is drawn as a labelled arrow
    assert run("plot", str(trace), "--out", str(tmp_path / "chart.gif"))[0] == 2
    assert run("plot", str(tmp_path / "nope.jsonl"), "--out", str(chart))[0] == 2


def test_validate_many_files(tmp_path):
    good = write(tmp_path, PASSING, "good.yaml")
    bad_text = PASSING + "colour: red\n"
    bad = write(tmp_path, bad_text, "bad.yaml")
    code, out, err = run("validate", str(good), str(bad))
    assert code == 2
    assert f"{good}: ok" in out
    assert (
        err.strip()
        == f"{bad}:{line_of(bad_text, 'colour')}: colour: unknown key (expected one of name, "
           "description, seed, module, modules, boot, uart, sim, network, hosts, faults, steps, "
           "checks, trace, epoch, capture, program, chaos)"
    )
    assert run("validate", str(good))[0] == 0
    code, out, _ = run("validate", str(tmp_path))  # a directory: every .yaml below it
    assert code == 2 and f"{good}: ok" in out


def test_modules_lists_every_registry_id():
    from simnet.modem.registry import MODULES

    code, out, _ = run("modules")
    assert code == 0
    ids = [ln.split()[0] for ln in out.splitlines()]
    assert ids == sorted(MODULES)
    assert all(len(ln.split(None, 1)) == 2 for ln in out.splitlines())  # id + description


def test_console_script_entry_point(tmp_path):
    """`python -m simnet.cli` is what the console script calls (simnet.cli:main)."""
    path = write(tmp_path, PASSING)
    proc = subprocess.run(
        [sys.executable, "-m", "simnet.cli", "run", str(path), "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("PASSED")


UDP_ECHO = dedent("""
    name: udp echo
    module: simcom-sim7600
    network:
      apn: {name: internet}
      link: {delay: 150ms}
    hosts:
      echo.example.net:
        ip: 203.0.113.10
        services:
          - {type: udp-echo, port: 7}
    steps:
      - send: AT+CGDCONT=1,"IP","internet"
      - expect: OK
      - send: AT+NETOPEN
      - expect: "+NETOPEN: 0"
        within: 30s
      - send: AT+CIPOPEN=1,"UDP",,,5000
      - expect: "+CIPOPEN: 1,0"
      - send: AT+CIPSEND=1,5,"203.0.113.10",7
      - expect: ">"
      - send_raw: HELLO
      - expect: "+CIPSEND: 1,5,5"
      - wait: 2s
    checks:
      - {host: echo.example.net, service: udp-echo, bytes_received: 5}
""")


def test_pcap_option_writes_the_module_packets(tmp_path):
    scapy_all = pytest.importorskip("scapy.all")
    path = write(tmp_path, UDP_ECHO)
    pcap, trace = tmp_path / "out.pcap", tmp_path / "t.jsonl"
    code, out, _ = run("run", str(path), "--pcap", str(pcap), "--trace", str(trace))
    assert code == 0, out
    packets = scapy_all.rdpcap(str(pcap))
    # one datagram up to the echo server, one back: both cross the module's interface
    udp = [
        p
        for p in packets
        if p.haslayer(scapy_all.UDP) and 7 in (p[scapy_all.UDP].sport, p[scapy_all.UDP].dport)
    ]
    assert [bytes(p[scapy_all.UDP].payload) for p in udp] == [b"HELLO", b"HELLO"]
    assert udp[0][scapy_all.IP].dst == "203.0.113.10" and udp[1][scapy_all.IP].src == "203.0.113.10"


def test_progress_lines_do_not_change_the_digest(tmp_path, monkeypatch):
    from simnet.scenario import cli

    path = write(tmp_path, PASSING)
    quiet_report, loud_report = tmp_path / "q.json", tmp_path / "l.json"
    assert run("run", str(path), "--quiet", "--report", str(quiet_report))[0] == 0
    monkeypatch.setattr(cli._Progress, "INTERVAL_WALL", 0.0)
    monkeypatch.setattr(cli._Progress, "INTERVAL_VIRTUAL", 0.5)
    code, _, err = run("run", str(path), "--report", str(loud_report))
    assert code == 0
    # a 2 s scenario with a tick every 0.5 virtual seconds prints progress 3 or 4 times
    assert 3 <= err.count("… virtual time") <= 4
    assert (
        json.loads(loud_report.read_text())["digest"]
        == json.loads(quiet_report.read_text())["digest"]
    )
