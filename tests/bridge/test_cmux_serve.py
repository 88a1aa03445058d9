"""`simnet serve --cmux 1,2`: simnet runs the multiplexer on the module's UART and serves each
channel on its own pty, so a program without a TS 27.010 implementation uses the channels."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from simnet.bridge.channels import parse_channels
from simnet.errors import ConfigError
from tests.bridge.conftest import ECHO_SCENARIO, open_line

SIMNET = [sys.executable, "-m", "simnet.cli"]


def test_each_channel_is_a_pty_with_its_own_at_engine(tmp_path):
    link = tmp_path / "modem"
    proc = subprocess.Popen(
        [*SIMNET, "serve", ECHO_SCENARIO, "--pty", "--cmux", "1,2", "--link", str(link)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first, second = proc.stdout.readline().strip(), proc.stdout.readline().strip()
        assert first.startswith("/dev/") and second.startswith("/dev/") and first != second, (
            proc.stderr.read()
        )
        assert (tmp_path / "modem").resolve() == __import__("pathlib").Path(first).resolve()
        ch1, ch2 = open_line(first), open_line(second)
        # both channels answer AT independently (echo on: the command comes back first)
        assert ch2.command(b"AT+CSQ").endswith(b"+CSQ: 20,0\r\n\r\nOK\r\n")
        assert ch1.command(b"ATE0") == b"ATE0\r\r\nOK\r\n"
        assert ch1.command(b"AT") == b"\r\nOK\r\n"  # ATE0 on DLCI 1 did not touch DLCI 2
        assert ch2.command(b"AT").startswith(b"AT\r")
        # dial-up on DLCI 1 while DLCI 2 stays in command mode
        ch1.port.write(b"ATD*99#\r")
        assert b"CONNECT" in ch1.read_until(b"CONNECT 115200\r\n", timeout=10)
        assert ch2.command(b"AT+CGREG?").endswith(b"OK\r\n")
        ch1.port.close()
        ch2.port.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err


@pytest.mark.parametrize("text", ["", "0", "1,1", "a", "64"])
def test_bad_channel_lists_are_config_errors(text):
    with pytest.raises(ConfigError, match="--cmux"):
        parse_channels(text)


def test_a_module_without_cmux_says_so_and_exits_2(tmp_path):
    scenario = tmp_path / "l610.yaml"
    scenario.write_text(
        open(ECHO_SCENARIO).read().replace("module: simcom-sim7600", "module: fibocom-l610")
    )
    proc = subprocess.run(
        [*SIMNET, "serve", str(scenario), "--pty", "--cmux", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "--cmux: the module did not start multiplexing" in proc.stderr
