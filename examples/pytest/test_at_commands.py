"""simnet_sim: an emulated module on virtual time, from a scenario file, the shipped library,
a marker's keys, or indirect parametrization. Expected values come from the scenario
(tracker.yaml) and the manuals, never from running the code."""

from __future__ import annotations

import pytest

from simnet.pytest_plugin import seed_for

TRACKER = "scenarios/tracker.yaml"  # relative to this file


@pytest.mark.simnet(TRACKER)
def test_signal_quality_is_the_scenarios(simnet_sim):
    r = simnet_sim.dte.command("AT+CSQ")
    assert (r.final, r.lines) == ("OK", ["+CSQ: 17,0"])  # network.signal: {rssi: 17, ber: 0}


@pytest.mark.simnet(TRACKER)
def test_a_host_sending_cr_lf_gets_exact_bytes(simnet_sim):
    dte = simnet_sim.dte
    dte.write(b'AT+CGDCONT=1,"IP","internet"\r\n')  # the LF after the command's CR is not a line
    dte.expect(r"OK\r\n", timeout=5)
    assert dte.received == b'AT+CGDCONT=1,"IP","internet"\r\r\nOK\r\n'  # echo, then V.250 framing


@pytest.mark.simnet(
    module="simcom-sim7600", network={"apn": "internet", "pdp": {"activation_delay": "3s"}}, seed=7
)
def test_netopen_waits_for_the_pdp_context(simnet_sim):
    dte = simnet_sim.dte
    assert simnet_sim.seed == 7  # the marker's seed wins over the node id's
    dte.command('AT+CGDCONT=1,"IP","internet"')
    t0 = simnet_sim.now
    assert dte.command("AT+NETOPEN").final == "OK"  # OK at once, the context comes up later
    assert dte.next_urc(r"\+NETOPEN: \d+", timeout=60).text == "+NETOPEN: 0"
    assert simnet_sim.now - t0 >= 3.0  # network.pdp.activation_delay


@pytest.mark.simnet(example="quickstart")
def test_the_shipped_quickstart_passes(simnet_sim, request):
    assert simnet_sim.seed == seed_for(request.node.nodeid)  # no seed given: the node id's
    result = simnet_sim.run_scenario()
    assert result.passed


@pytest.mark.parametrize(
    "simnet_sim",
    [
        {"name": "SIM7600", "module": "simcom-sim7600"},
        {"name": "A7670", "module": "simcom-a7670"},
        {"name": "L610", "module": "fibocom-l610"},
    ],
    indirect=True,
    ids=["sim7600", "a7670", "l610"],
)
def test_every_module_reports_a_ready_sim(simnet_sim):
    r = simnet_sim.dte.command("AT+CPIN?")
    assert (r.final, r.lines) == ("OK", ["+CPIN: READY"])  # TS 27.007 §8.3
