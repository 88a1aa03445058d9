"""The field-log round trip with a real driver: python-gsmmodem-new (PyPI, unmodified) starts
up against ``simnet serve --capture``; the capture, imported, is a scenario that passes and a
replay that agrees; the same capture edited to disagree is reported at the edited line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import simnet
from simnet.scenario.cli import main
from simnet.scenario.fieldlog import HOST, parse_log

gsmmodem = pytest.importorskip("gsmmodem.modem")
MODULE = "simcom-sim7600"
WORLD = {"name": "python-gsmmodem start-up", "module": MODULE,
         "network": {"registration": {"state": "home", "after": "0s"}, "apn": {"name": "internet"},
                     "signal": {"rssi": 17, "ber": 0}}}


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("capture") / "gsmmodem.log"
    with simnet.serve(WORLD, pty=True, capture=str(path)) as port:
        modem = gsmmodem.GsmModem(port, 115200)
        try:
            modem.connect()  # the library's whole start-up sequence
            assert modem.signalStrength == 17
        finally:
            modem.close()
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_the_capture_holds_the_drivers_bytes(capture: Path):
    log = parse_log(capture.read_text(), str(capture))
    hosts = [c.data for c in log.chunks if c.side == HOST]
    assert hosts[:2] == [b"ATZ\r", b"ATE0\r"]  # python-gsmmodem's connect() resets, then echo off
    assert b"AT+CPIN?\r" in hosts


def test_the_imported_capture_passes_and_replays_without_divergence(capture: Path, tmp_path: Path):
    scenario = tmp_path / "startup.yaml"
    code, out, err = run(
        "import", str(capture), "--module", MODULE, "-o", str(scenario), "--replay"
    )
    assert code == 0, out + err
    assert out.strip().endswith("the emulator agrees with the log")
    code, out, _ = run("run", str(scenario), "--quiet")
    assert code == 0 and out.startswith("PASSED"), out


def test_an_edited_capture_diverges_at_the_edited_line(capture: Path, tmp_path: Path):
    lines = capture.read_text().splitlines(keepends=True)
    edited_at = next(i for i, text in enumerate(lines) if "+CPIN: READY" in text)
    lines[edited_at] = lines[edited_at].replace(
        "+CPIN: READY", "+CPIN: SIM PIN"
    )  # a unit asking for a PIN
    field = tmp_path / "field.log"
    field.write_text("".join(lines))
    code, out, _ = run(
        "import", str(field), "--module", MODULE, "-o", str(tmp_path / "field.yaml"), "--replay"
    )
    assert code == 1
    report = out.splitlines()
    assert len(report) == 2
    assert report[0].startswith(
        f"{field}:{edited_at + 1}: the field module said '+CPIN: SIM PIN'; the emulator said '"
    )
    assert "+CPIN: READY" in report[0]
