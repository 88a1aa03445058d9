"""Story 3: a researcher plots TCP connect time against radio loss on a Fibocom L610.

Sweep: loss 0, 0.1, 0.3 (Bernoulli, both directions) x seeds 1..8, on the network of
scenarios/stories/connect-under-loss-fibocom.yaml. Connect time is measured
as the user sees it: from the moment the host starts writing ``AT+MIPOPEN`` to the moment the
last byte of ``+MIPOPEN: 1,1`` (§1.1.2: connected) reaches the host.

Link: 150 ms one way, 40 kbit/s, no jitter. The handshake RTT computed from it:
  SYN up:      44 bytes (IPv4 20 + TCP 20 + MSS option 4, RFC 9293 §3.7.1)
               * 8 / 40 kbit/s = 8.8 ms serialization + 150 ms          = 158.8 ms
  core <-> echo server: 10 ms each way (simnet's wired internet link)  =  20 ms
  SYN-ACK down: 44 bytes -> 8.8 ms + 150 ms                             = 158.8 ms
  RTT = 337.6 ms; the module reports on the SYN-ACK, then the URC takes
  len(b"\r\n+MIPOPEN: 1,1\r\n") = 16 bytes * 10 bits / 115200 baud on the UART.
Without loss the time from the SYN leaving the module to the URC at the host is exactly
RTT + URC time; the rest of the user-visible connect time is the command on the UART and the
module's processing (a random draw, the same for a seed whatever the loss, since every
component draws from its own named stream).
"""

from __future__ import annotations

from statistics import mean

import pytest
import yaml

from simnet.scenario.api import Simulation
from tests.stories.helpers import (
    INTERNET_DELAY,
    STORIES,
    packets,
    run_story,
    serialization,
    uart_time,
    uart_to_host,
)

DELAY = 0.150
RATE = 40_000
BAUD = 115200
LOSSES = (0.0, 0.1, 0.3)
SEEDS = tuple(range(1, 9))
URC = b"\r\n+MIPOPEN: 1,1\r\n"
MSS_OPTION = 4
RTT = 2 * (serialization(MSS_OPTION, RATE) + DELAY) + 2 * INTERNET_DELAY


def scenario(loss: float) -> dict:
    """scenarios/stories/connect-under-loss-fibocom.yaml with another loss; the test drives
    the module itself through sim.dte, so the file's own script is replaced by one AT."""
    data = yaml.safe_load((STORIES / "connect-under-loss-fibocom.yaml").read_text())
    data["network"]["link"]["loss"] = loss
    data["steps"] = [{"send": "AT"}]
    return data


def connect_once(loss: float, seed: int) -> dict:
    sim = Simulation.from_dict(scenario(loss), seed=seed)
    assert sim.dte.command('AT+MIPCALL=1,"internet"', timeout=10).final == "OK"
    sim.dte.expect(r"\r\n\+MIPCALL: \d+\.\d+\.\d+\.\d+\r\n", timeout=30)
    t_open = sim.now
    r = sim.dte.command('AT+MIPOPEN=1,,"203.0.113.10",7,0', timeout=10)
    assert r.raw == b'AT+MIPOPEN=1,,"203.0.113.10",7,0\r\r\nOK\r\n'
    sim.dte.expect(r"\r\n\+MIPOPEN: 1,1\r\n", timeout=200)
    t_urc = sim.now
    syns = packets(sim, "module.uplink", "tx", "> 203.0.113.10:7 [S]")
    return {"open_to_urc": t_urc - t_open, "syn_to_urc": t_urc - syns[0].t,
            "open_to_syn": syns[0].t - t_open, "syns": len(syns), "digest": sim.trace.digest()}


@pytest.fixture(scope="module")
def sweep() -> dict[float, list[dict]]:
    return {loss: [connect_once(loss, seed) for seed in SEEDS] for loss in LOSSES}


def test_lossless_connect_is_one_handshake_rtt(sweep):
    for run in sweep[0.0]:
        assert run["syns"] == 1
        assert run["syn_to_urc"] == pytest.approx(RTT + uart_time(len(URC), BAUD), abs=1e-9)
        # what the user measures is that plus the command's way in and the module's work
        assert run["open_to_urc"] > RTT + uart_time(len(URC), BAUD)


def test_module_processing_does_not_depend_on_loss(sweep):
    # The part before the first SYN is the module's own work: same seed, same draw.
    for i, _ in enumerate(SEEDS):
        before = {loss: sweep[loss][i]["open_to_syn"] for loss in LOSSES}
        assert before[0.1] == pytest.approx(before[0.0], abs=1e-12)
        assert before[0.3] == pytest.approx(before[0.0], abs=1e-12)


def test_connect_time_grows_with_loss_on_average(sweep):
    means = [mean(run["open_to_urc"] for run in sweep[loss]) for loss in LOSSES]
    assert means[0] <= means[1] <= means[2]
    assert means[2] > means[0] + 0.5  # at 30 % loss some SYN or SYN-ACK is lost and retried
    # A lost handshake costs whole retransmission timeouts (RFC 6298: initial RTO 1 s), so
    # every lossy connect time exceeds the lossless one of its seed by 0 or at least ~1 s.
    for loss in LOSSES[1:]:
        for base, run in zip(sweep[0.0], sweep[loss], strict=True):
            extra = run["open_to_urc"] - base["open_to_urc"]
            assert extra == pytest.approx(0.0, abs=1e-9) or extra >= 1.0 - 1e-9


def test_the_lossy_story_backs_off_its_syns():
    """The YAML story itself (seed 3, 30 % loss): the first three SYNs die on the radio uplink;
    each retransmission waits twice as long as the one before, starting from the initial
    RTO of 1 s (RFC 6298 §2.1, §5.5), so SYNs leave at +0, +1, +3, +7 s, and the connect URC
    comes one lossless handshake after the fourth."""
    sim, _ = run_story("connect-under-loss-fibocom.yaml")
    syns = [p.t for p in packets(sim, "module.uplink", "tx", "> 203.0.113.10:7 [S]")]
    lost = [r.t for r in sim.trace.select(source="module.uplink", kind="drop")
            if r.fields["reason"] == "loss" and "[S]" in r.fields["pkt"]]
    assert [t - syns[0] for t in syns] == pytest.approx([0.0, 1.0, 3.0, 7.0], abs=1e-9)
    assert lost == syns[:3]
    urc_at = next(t for t, chunk in uart_to_host(sim) if chunk == URC)
    assert urc_at == pytest.approx(syns[3] + RTT + uart_time(len(URC), BAUD), abs=1e-9)
