"""Reproductions of what did not work as a user of the field stories would expect. Each test
is strict-xfail: it passes (and so fails the suite) once the owner fixes the behaviour, so the
marker can be removed then. Descriptions name the file and function to look at."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simnet.bearer.ppp import PppConfig, PppDriver, PppEndpoint
from simnet.scenario.api import Simulation
from simnet.scenario.loader import locate_data
from simnet.scenario.schema import validate
from tests.stories.helpers import ROOT, run_story, uart_to_host
from tests.stories.test_ppp_auth import (
    DTE_PAP,
    LINE_CPS,
    LINE_DELAY,
    MAX_TERMINATE,
    RESTART,
    UART_CPS,
    dte_write_instant,
    run_until_terminate_request,
)


def attach_pppd(sim: Simulation, username: str = "demo", password: str = "secret") -> PppDriver:
    """A host-side PPP client (pppd with PAP credentials) on the DTE end of the UART."""
    cfg = PppConfig(role="client", auth="pap", username=username, password=password)
    pppd = PppDriver(sim, PppEndpoint(cfg, sim.rng("host.pppd")), sim.dte.write, name="host.pppd")
    deliver = sim.dte.port.on_receive

    def both(data: bytes, t: float, bt: float) -> None:
        deliver(data, t, bt)
        pppd.receive_bytes(data)

    sim.dte.port.on_receive = both
    pppd.start()
    return pppd


def test_dial_in_server_hangs_up_when_ppp_ends():
    sim = run_until_terminate_request()
    t_write = dte_write_instant(sim, DTE_PAP)
    t_server = t_write + len(DTE_PAP) / UART_CPS + len(DTE_PAP) / LINE_CPS + LINE_DELAY
    # RFC 1661 §4.6: the server's LCP is Closed Max-Terminate x Restart after its first
    # Terminate-Request; the call is released then and the module says so at once.
    t_closed = t_server + RESTART * MAX_TERMINATE
    sim.advance(t_closed + 5.0 - sim.now)
    text = b"\r\nNO CARRIER\r\n"
    hits = [t for t, chunk in uart_to_host(sim) if chunk == text]
    assert hits == pytest.approx([t_closed + len(text) / UART_CPS], abs=1e-6)


GPRS_PAP = {"name": "internet", "user": "demo", "password": "secret", "auth": "pap"}


def dialup(apn: dict, faults: list | None = None) -> tuple[Simulation, PppDriver]:
    sim = Simulation.from_dict({"name": "dial-up", "module": "simcom-sim7600",
                                "network": {"apn": apn}, "faults": faults or [],
                                "steps": [{"send": "AT"}]})
    sim.advance(3.0)  # registered after the default delay
    assert sim.dte.command('AT+CGDCONT=1,"IP","internet"').final == "OK"
    assert sim.dte.command("ATD*99#", timeout=30).final == "CONNECT 115200"
    pppd = attach_pppd(sim)
    sim.run_until(lambda: pppd.result.triggered, 60)
    return sim, pppd


def test_dialup_passes_the_hosts_pap_credentials_to_the_network():
    _, pppd = dialup(GPRS_PAP)
    outcome = pppd.result.value
    assert outcome.ok, outcome


def test_ppp_fail_applies_to_dialup_or_is_reported():
    sim, pppd = dialup({"name": "internet"}, [{"at": "0s", "action": "ppp-fail",
                                               "phase": "lcp", "mode": "silent"}])
    assert sim.world.fault_errors or not pppd.result.value.ok


def test_ppp_fail_accepts_a_count():
    data = {"name": "x", "module": "simcom-sim7600", "network": {"bearer": "gsm"},
            "faults": [{"at": "0s", "action": "ppp-fail", "phase": "auth", "mode": "reject",
                        "count": 1}],
            "steps": [{"send": "AT"}]}
    _, problems = validate(locate_data(data, "<dict>"))
    assert problems == []


def test_validate_and_run_agree_on_an_unbuilt_module(tmp_path: Path):
    path = tmp_path / "wip.yaml"
    path.write_text(
        "name: WIPsoft\nmodule: wavecom-wipsoft\nsteps:\n  - send: AT\n  - expect: OK\n"
    )
    simnet = str(Path(sys.executable).with_name("simnet"))
    codes = [
        subprocess.run(
            [simnet, cmd, str(path)], cwd=ROOT, capture_output=True, timeout=60
        ).returncode
        for cmd in ("validate", "run")
    ]
    assert codes[0] == codes[1]


def test_sequence_chart_draws_module_bytes_when_they_arrive():
    from simnet.scenario.plot import extract

    sim, _ = run_story("ppp-auth-reject-csd.yaml")
    _, arrows, _ = extract(sim.trace.records)
    nak_at = next(t for t, chunk in uart_to_host(sim) if b"authentication failed" in chunk)
    to_dte = [a for a in arrows if a.src == "module" and a.dst == "DTE"]
    assert any(a.t0 == pytest.approx(nak_at, abs=1e-6) for a in to_dte), [
        (round(a.t0, 3), a.label) for a in to_dte
    ]


def test_pcap_of_a_gsm_data_call_holds_its_ppp_frames(tmp_path: Path):
    simnet = str(Path(sys.executable).with_name("simnet"))
    out = tmp_path / "call.pcap"
    proc = subprocess.run(
        [
            simnet,
            "run",
            "scenarios/stories/ppp-auth-reject-csd.yaml",
            "--quiet",
            "--pcap",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0
    global_header = 24  # libpcap file header; every record adds at least 16 bytes more
    sizes = {p.name: p.stat().st_size for p in tmp_path.iterdir()}
    assert any(size > global_header for size in sizes.values()), sizes
