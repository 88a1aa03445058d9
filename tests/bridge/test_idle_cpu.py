"""`simnet serve` idle costs ~nothing: the bridge sleeps until the next simulated event or a
host byte. Measured on the process's own CPU clock over 10 wall seconds, which the former busy
loop (a zero-timeout select ~150,000 times a second) could never pass."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.bridge.conftest import ECHO_SCENARIO, open_line

IDLE_SECONDS = 10.0
MAX_SHARE = 0.02  # of one core


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fp:
        fields = fp.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def test_serve_idle_uses_under_two_percent_of_a_core_and_still_answers():
    proc = subprocess.Popen(
        [sys.executable, "-m", "simnet.cli", "serve", ECHO_SCENARIO, "--tcp", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        address = proc.stdout.readline().strip()
        assert address.startswith("socket://"), proc.stderr.read()
        line = open_line(address)
        assert line.command(b"AT") == b"AT\r\r\nOK\r\n"  # a client is attached, then it is quiet
        time.sleep(0.5)
        before, wall0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(IDLE_SECONDS)
        used, wall = cpu_seconds(proc.pid) - before, time.monotonic() - wall0
        assert used / wall < MAX_SHARE, f"{used:.3f} s CPU in {wall:.1f} s idle"
        # Still awake to the host: the wait ends for its byte, not at a poll tick.
        t0 = time.monotonic()
        assert line.command(b"AT") == b"AT\r\r\nOK\r\n"
        assert time.monotonic() - t0 < 0.5
        line.port.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0
