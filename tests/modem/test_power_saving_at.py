"""AT side of issue 19: +CPSMS / +CEDRXS take effect, +CEDRXRDP and +CEDRXP report the network's
answer, +CEREG n=4 carries the PSM timers (TS 27.007 §7.38, §7.40, §7.41, §10.1.22), and
+COPS / +CEREG / +CPSI report the access technology of the radio profile. Exact bytes."""

from __future__ import annotations

import pytest

from simnet.scenario.api import Simulation


def module(profile: str, module_id: str = "simcom-a7670", **power_saving):
    network = {"profile": profile, "apn": {"name": "internet"}, "registration": {"after": "1s"}}
    if power_saving:
        network["power_saving"] = power_saving
    sim = Simulation.from_dict({"name": "ps", "module": module_id, "network": network})
    sim.advance(2)
    return sim


def test_cpsms_grant_is_reported_by_cereg_4():
    sim = module("lte_m")
    assert sim.dte.command("AT+CEREG=4").raw == b"AT+CEREG=4\r\r\nOK\r\n"
    r = sim.dte.command('AT+CPSMS=1,,,"10100011","00000101"')
    assert r.final == "OK"
    # the network's answer comes as a TAU accept would: +CEREG with Active-Time then Periodic-TAU
    sim.dte.expect(r'\r\n\+CEREG: 1,"1A2B","3E4F",7,,,"00000101","10100011"\r\n', timeout=1)
    assert sim.dte.command("AT+CEREG?").lines == [
        '+CEREG: 4,1,"1A2B","3E4F",7,,,"00000101","10100011"'
    ]
    assert sim.dte.command("AT+CEREG=?").lines == ["+CEREG: (0-5)"]
    # the network now lets the module sleep: 180 s periodic TAU, 10 s active time
    control = sim.bearer.link_control
    assert (control.t3412, control.t3324) == (180.0, 10.0)
    sim.dte.command("AT+CPSMS=0")
    assert control.psm_granted is None
    assert sim.dte.command("AT+CEREG?").lines == ['+CEREG: 4,1,"1A2B","3E4F",7']


def test_a_network_refusing_psm_leaves_the_timers_out():
    sim = module("lte_cat1", psm="reject")
    sim.dte.command("AT+CEREG=4")
    sim.dte.command('AT+CPSMS=1,,,"10100011","00000101"')
    assert sim.dte.command("AT+CEREG?").lines == ['+CEREG: 4,1,"1A2B","3E4F",7']
    assert sim.dte.command("AT+CPSMS?").lines == [
        '+CPSMS: 1,,,"10100011","00000101"'
    ]  # what was asked


def test_cedrxs_mode_2_reports_the_network_value_and_cedrxrdp_reads_it():
    sim = module("lte_m", ptw="0011")
    r = sim.dte.command('AT+CEDRXS=2,4,"0101"')
    assert r.final == "OK"
    sim.dte.expect(r'\r\n\+CEDRXP: 4,"0101","0101","0011"\r\n', timeout=1)
    assert (
        sim.dte.command("AT+CEDRXRDP").raw
        == b'AT+CEDRXRDP\r\r\n+CEDRXRDP: 4,"0101","0101","0011"\r\n\r\nOK\r\n'
    )
    control = sim.bearer.link_control
    assert control.edrx_cycle == 81.92 and control.ptw == pytest.approx(4 * 1.28)
    sim.dte.command("AT+CEDRXS=3")
    assert sim.dte.command("AT+CEDRXRDP").lines == ["+CEDRXRDP: 0"]
    assert control.edrx_cycle is None


def test_nb_iot_edrx_uses_nb_s1_values_and_ignores_wb_s1_requests():
    sim = module("nb_iot")
    sim.dte.command('AT+CEDRXS=1,4,"0101"')  # for WB-S1: not this cell's access technology
    assert sim.dte.command("AT+CEDRXRDP").lines == ["+CEDRXRDP: 0"]
    sim.dte.command('AT+CEDRXS=1,5,"0010"')
    assert sim.dte.command("AT+CEDRXRDP").lines == ['+CEDRXRDP: 5,"0010","0010","0000"']
    control = sim.bearer.link_control
    assert control.edrx_cycle == 20.48 and control.ptw == 2.56  # NB-S1 PTW unit 2.56 s


@pytest.mark.parametrize(
    ("profile", "act", "cpsi"),
    [
        ("gprs_class10", 0, "+CPSI: GSM,Online,"),
        ("lte_cat1", 7, "+CPSI: LTE,Online,"),
        ("lte_m", 7, "+CPSI: LTE CAT-M1,Online,"),
        ("nb_iot", 9, "+CPSI: LTE NB-IOT,Online,"),
    ],
)
def test_access_technology_of_the_profile(profile, act, cpsi):
    sim = module(profile, module_id="simcom-sim7600")
    assert sim.dte.command("AT+COPS?").lines == [f'+COPS: 0,0,"SIMNET",{act}']
    sim.dte.command("AT+CEREG=2")
    assert sim.dte.command("AT+CEREG?").lines == [f'+CEREG: 2,1,"1A2B","3E4F",{act}']
    [line] = sim.dte.command("AT+CPSI?").lines
    assert line.startswith(cpsi)
    if profile == "nb_iot":
        assert ",EUTRAN-BAND20,6254,0,0," in line  # NB-IoT cells report bandwidth 0,0
