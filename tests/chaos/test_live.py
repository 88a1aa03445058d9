"""simnet serve --chaos: the storms of simnet chaos on the wall clock, for a driver on the
port; a marked or broken session written as a scenario that replays the driver's bytes."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

import simnet
from simnet.chaos.live import serving_chaos
from simnet.net.tcp import TcpSocket
from simnet.scenario.runner import Runner

WORLD: dict[str, Any] = {
    "name": "live storms",
    "module": "simcom-sim7600",
    "network": {"apn": {"name": "internet"}, "link": {"delay": "50ms"}},
    "hosts": {
        "echo.example.net": {"ip": "203.0.113.10", "services": [{"type": "tcp-echo", "port": 7}]}
    },
    "chaos": {
        "window": ["0s", "1.5s"],
        "grace": "1s",
        "faults": 2,
        "kinds": ["delay", "loss", "dns-fail"],
    },
}


class Driver:
    """A host program on the TCP port: write a line, read what comes within a moment."""

    def __init__(self, address: str) -> None:
        host, port = address.replace("socket://", "").rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)))
        self.sock.settimeout(0.2)

    def say(self, data: bytes, wait_for: bytes, timeout: float = 5.0) -> bytes:
        self.sock.sendall(data)
        got = b""
        t_end = time.monotonic() + timeout
        while wait_for not in got and time.monotonic() < t_end:
            try:
                got += self.sock.recv(4096)
            except TimeoutError:
                pass
        assert wait_for in got, got
        return got


def test_storms_are_the_chaos_schedules_and_a_marked_session_replays(tmp_path: Path) -> None:
    log = io.StringIO()
    with serving_chaos(
        WORLD, pty=False, tcp="127.0.0.1:0", seed=3, out_dir=tmp_path, log=log
    ) as live:
        driver = Driver(live.served.address)
        driver.say(b"AT\r", b"OK\r\n")
        driver.say(b'AT+CGDCONT=1,"IP","internet"\r', b"OK\r\n")
        driver.say(b"AT+NETOPEN\r", b"+NETOPEN: 0\r\n")
        while live.storm < 2:
            time.sleep(0.2)
        path = live.mark_failed("the driver gave up").result(10)
    text = log.getvalue()
    expected = simnet.chaos.schedules(WORLD, [0, 1], seed=3)
    for k, schedule in expected:  # the storms are runs 0 and 1 of simnet chaos, in order
        assert f"] chaos storm {k} (from t=" in text
        assert f"): {schedule.describe()}" in text
    assert "storm 0 over: the module-side invariants hold" in text
    data = yaml.safe_load(path.read_text())
    fired = data["faults"]
    assert [f["action"] for f in fired] == [f["action"] for _k, s in expected for f in s.faults]
    starts = [float(m) for m in re.findall(r"\] chaos storm \d+ \(from t=([\d.]+)", text)]
    for f, (k, _f) in zip(fired, [(k, f) for k, s in expected for f in s.faults], strict=True):
        assert float(f["at"].rstrip("s")) == pytest.approx(
            starts[k] + float(_f["at"].rstrip("s")), abs=0.002
        )
    sends = [s["send_raw"] for s in data["steps"] if "send_raw" in s]
    assert sends == ["AT\\r", 'AT+CGDCONT=1,"IP","internet"\\r', "AT+NETOPEN\\r"]
    assert data["chaos"]["invariants"] == ["integrity", "no-errors", "bounded"]
    sim = simnet.Simulation.from_yaml(path)  # the replay: the module sees the same bytes
    result = Runner(sim).run()
    assert result.passed, [i.detail for i in result.invariants]
    assert b"+NETOPEN: 0" in sim.dte.received


def test_a_module_side_break_is_caught_during_the_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = TcpSocket.send

    def lossy(self: TcpSocket, data: bytes) -> int:  # a module that loses what it accepted
        return len(data) if self._stack.host.name == "module" else original(self, data)

    monkeypatch.setattr(TcpSocket, "send", lossy)
    log = io.StringIO()
    world = {**WORLD, "chaos": {**WORLD["chaos"], "kinds": ["dns-fail"]}}
    with serving_chaos(
        world, pty=False, tcp="127.0.0.1:0", seed=1, out_dir=tmp_path, log=log, shrink=False
    ) as live:
        driver = Driver(live.served.address)
        driver.say(b'AT+CGDCONT=1,"IP","internet"\r', b"OK\r\n")
        driver.say(b"AT+NETOPEN\r", b"+NETOPEN: 0\r\n")
        driver.say(b'AT+CIPOPEN=0,"TCP","203.0.113.10",7\r', b"+CIPOPEN: 0,0\r\n")
        driver.say(b"AT+CIPSEND=0,5\r", b">")
        driver.say(b"HELLO", b"+CIPSEND: 0,5,5\r\n")
        driver.say(b"AT+CIPCLOSE=0\r", b"+CIPCLOSE: 0,")
        t_end = time.monotonic() + 10
        while not live.written and time.monotonic() < t_end:
            time.sleep(0.2)
    text = log.getvalue()
    assert re.search(
        r"storm \d+ over: invariant integrity broken: link 0 to 203\.0\.113\.10:7 .*the host was "
        r"told 5 bytes were sent; the peer received 0",
        text,
    ), text
    [path] = live.written
    data = yaml.safe_load(path.read_text())
    assert data["chaos"]["invariants"] == ["integrity"]
    result = Runner(simnet.Simulation.from_yaml(path)).run()  # the replay breaks it the same way
    assert [i.name for i in result.invariants if not i.passed] == ["integrity"]


def test_the_command_line_marks_a_run_failed_with_sigusr1(tmp_path: Path) -> None:
    scenario = tmp_path / "live.yaml"
    scenario.write_text(yaml.safe_dump(WORLD))
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    free = port.getsockname()[1]
    port.close()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simnet",
            "serve",
            str(scenario),
            "--tcp",
            f"127.0.0.1:{free}",
            "--chaos",
            "--chaos-out",
            str(tmp_path / "out"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        address = proc.stdout.readline().strip()  # type: ignore[union-attr]
        assert address == f"socket://127.0.0.1:{free}"
        Driver(address).say(b"AT\r", b"OK\r\n")
        time.sleep(0.5)
        proc.send_signal(signal.SIGUSR1)
        t_end = time.monotonic() + 10
        while not (tmp_path / "out" / "serve-chaos-1.yaml").exists() and time.monotonic() < t_end:
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"mark a run failed with: kill -USR1 {proc.pid}" in err
    assert (
        "chaos storm 0 (from t=" in err and "wrote " in err and "failed session(s) written" in err
    )
    assert os.path.getsize(tmp_path / "out" / "serve-chaos-1.yaml") > 0
