"""`simnet serve` as a process: address on stdout, clean stop on SIGTERM, outputs flushed."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from simnet.bridge.realtime import Bridge
from simnet.bridge.serve import build_realtime_simulation, parse_tcp_address
from simnet.errors import ConfigError
from tests.bridge.conftest import ECHO_SCENARIO, open_line

SIMNET = [sys.executable, "-m", "simnet.cli"]


def start(*args: str, scenario: str = ECHO_SCENARIO) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([*SIMNET, "serve", scenario, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    address = proc.stdout.readline().strip()
    return proc, address


def test_serve_tcp_stops_on_sigterm_and_flushes_report_trace_pcap(tmp_path):
    report, trace, pcap = tmp_path / "r.json", tmp_path / "t.jsonl", tmp_path / "p.pcap"
    proc, address = start("--tcp", "127.0.0.1:0", "--report", str(report), "--trace", str(trace),
                          "--pcap", str(pcap))
    try:
        assert address.startswith("socket://127.0.0.1:"), proc.stderr.read()
        line = open_line(address)
        assert line.command(b"AT") == b"AT\r\r\nOK\r\n"
        line.port.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "steps are ignored" in err
    data = json.loads(report.read_text())
    assert data["mode"] == "serve" and data["bytes_from_host"] == 3 and data["virtual_time"] > 0
    kinds = [json.loads(x)["kind"] for x in trace.read_text().splitlines()]
    assert kinds[-1] == "stop" and "dte>" in kinds
    assert pcap.exists()


def test_serve_pty_link_is_removed_on_sigint(tmp_path):
    link = tmp_path / "modem"
    proc, address = start("--pty", "--link", str(link))
    try:
        assert os.path.islink(link) and os.readlink(link) == address
        line = open_line(str(link))
        assert line.command(b"ATE0") == b"ATE0\r\r\nOK\r\n"
        assert line.command(b"AT") == b"\r\nOK\r\n"
        line.port.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert not os.path.lexists(link)


def test_non_loopback_bind_needs_explicit_flag():
    proc = subprocess.run([*SIMNET, "serve", ECHO_SCENARIO, "--tcp", "0.0.0.0:0"],
                          capture_output=True, text=True, timeout=20)
    assert proc.returncode == 2
    assert "not a loopback address" in proc.stderr and "--allow-remote" in proc.stderr


@pytest.mark.parametrize("bad", ["7000", "127.0.0.1:", "127.0.0.1:70000", ":80"])
def test_bad_tcp_address_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="--tcp"):
        parse_tcp_address(bad)


def test_bridge_reports_when_it_cannot_keep_up():
    """A model step that takes 0.5 s of wall time puts the bridge behind: it must say so."""
    sim = build_realtime_simulation(ECHO_SCENARIO)

    def hog() -> None:
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            pass

    sim.call_later(0.1, hog)
    log = io.StringIO()

    class Quiet:
        description = "none"

        def fds(self, want_data=True):
            return []

        def on_readable(self, fd):
            return b""

        def write(self, data):
            pass

        def close(self):
            pass

    bridge = Bridge(sim, Quiet(), max_lag=0.2, log=log)
    started = time.monotonic()
    bridge.run(lambda: time.monotonic() - started > 1.0)
    assert bridge.lag_warnings >= 1 and bridge.worst_lag >= 0.3
    assert "cannot keep up with the wall clock" in log.getvalue()
    assert sim.trace.select(source="bridge", kind="lag")


def test_serve_takes_a_scenario_without_steps(tmp_path):
    world = tmp_path / "world.yaml"
    world.write_text("name: a world for a real host\nmodule: simcom-sim7600\n")
    proc, address = start("--tcp", "127.0.0.1:0", scenario=str(world))
    try:
        assert address.startswith("socket://127.0.0.1:"), proc.stderr.read()
        assert open_line(address).command(b"AT") == b"AT\r\r\nOK\r\n"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "steps are ignored" not in err
