"""Radio access profiles (issue 19): each profile's timing against the figures docs/assumptions.md
cites, computed here from those figures - RRC promotion and inactivity, paging occasions with DRX
and eDRX, PSM timers from their TS 24.008 bit codings, coverage-gap thresholds, and the energy
integral of the state times."""

from __future__ import annotations

import math

import pytest

from simnet.bearer import ModemBearer, OperatorConfig, RadioConfig, get_profile
from simnet.bearer.rrc import edrx_cycle, gprs_timer2, gprs_timer3, ptw_length
from simnet.kernel import Simulation
from simnet.net import Network
from simnet.net.packet import PROTO_UDP, Packet

SERVER = "10.99.0.60"  # an operator host: reached without the carrier NAT
REG = 1.0

# The cited figures (docs/assumptions.md, "Radio access profiles").
CITED = {
    # TS 36.306 Table 4.1-1/4.1-2: UE category 1 carries 10296 / 5160 bits per 1 ms TTI.
    "lte_cat1": {"down": 10296 * 1000, "up": 5160 * 1000, "promotion": 0.260, "inactivity": 10.0,
                 "paging": 1.28, "rtt": (0.040, 0.080)},
    # Cat-M1: 1 Mbit/s each way, 10-15 ms latency (one way).
    "lte_m": {"down": 1_000_000, "up": 1_000_000, "promotion": 0.260, "inactivity": 10.0,
              "paging": 1.28, "rtt": (2 * 0.010, 2 * 0.015)},
    # Cat-NB1: 26 / 62.5 kbit/s; BG96 pings 185.2-209.6 ms; a first ping ~500 ms: 315 ms set-up.
    "nb_iot": {"down": 26_000, "up": 62_500, "promotion": 0.500 - 0.185, "inactivity": 10.0,
               "paging": 2.56, "rtt": (0.185, 0.210)},
}


def world(profile: str, seed: int = 3, **operator):
    sim = Simulation(seed)
    net = Network(sim)
    srv = net.add_host("srv", SERVER, link={"delay": 0.0})
    up, down = get_profile(profile).link_dicts()
    # constant radio delay (the profile's minimum) so instants are exact
    up["delay"] = down["delay"] = get_profile(profile).rtt_min / 2
    host = net.add_module_host("m1", up, down)
    operator.setdefault("radio", RadioConfig(registration_delay=REG))
    bearer = ModemBearer(sim, net, host, OperatorConfig(profile=profile, **operator))
    bearer.gprs.define_context(1, "IP", "internet")
    sim.advance(REG + 0.01)
    ev = bearer.gprs.activate(1)
    sim.run_until(lambda: ev.triggered, 30)
    assert ev.value.ok
    return sim, net, srv, host, bearer


def tx_times(sim, link: str, marker: bytes) -> list[float]:
    return [r.t for r in sim.trace.select(source=link, kind="pkt")
            if r.fields["ev"] == "tx" and f"len={len(marker)}" in r.fields["pkt"]]


def udp(host, src, dst, data=b"ping"):
    host.send_packet(Packet(src, dst, PROTO_UDP, sport=4000, dport=7, payload=data))


@pytest.mark.parametrize("name", sorted(CITED))
def test_rates_and_delays_are_the_cited_figures(name):
    p, c = get_profile(name), CITED[name]
    assert (p.down_bps, p.up_bps) == (c["down"], c["up"])
    assert (p.rtt_min, p.rtt_max) == pytest.approx(c["rtt"])
    assert (p.rrc.promotion, p.rrc.inactivity, p.rrc.paging_cycle) == pytest.approx(
        (c["promotion"], c["inactivity"], c["paging"]))
    assert p.act == (9 if name == "nb_iot" else 7)  # TS 27.007 §7.3 <AcT>: 7 E-UTRAN, 9 NB-S1


@pytest.mark.parametrize("name", sorted(CITED))
def test_first_packet_after_idle_pays_the_promotion_delay(name):
    sim, net, srv, host, bearer = world(name)
    c = CITED[name]
    # attach left an RRC connection up; with no traffic it is released after the inactivity timer
    sim.advance(c["inactivity"] + 1)
    released = [
        r.t
        for r in sim.trace.select(source="bearer.rrc", kind="rrc")
        if r.fields["state"] == "idle"
    ]
    connected_at = [
        r.t
        for r in sim.trace.select(source="bearer.rrc", kind="rrc")
        if r.fields["state"] == "connected"
    ][0]
    assert released == [pytest.approx(connected_at + c["inactivity"])]
    t_send = sim.now
    udp(host, host.ip, SERVER, b"uplink-after-idle")
    sim.advance(2)
    assert tx_times(sim, "m1.uplink", b"uplink-after-idle") == [
        pytest.approx(t_send + c["promotion"])
    ]
    # connected now: the next packet goes at once
    t2 = sim.now
    udp(host, host.ip, SERVER, b"second")
    sim.advance(0.5)
    assert tx_times(sim, "m1.uplink", b"second") == [pytest.approx(t2)]


@pytest.mark.parametrize("name", sorted(CITED))
def test_downlink_to_an_idle_ue_waits_for_its_paging_occasion(name):
    sim, net, srv, host, bearer = world(name)
    c = CITED[name]
    sim.advance(c["inactivity"] + 1)
    control = bearer.link_control
    phase = control._po_phase  # the UE's paging phase (its identity), drawn at set-up
    t = sim.now
    srv.send_packet(Packet(SERVER, host.ip, PROTO_UDP, sport=7, dport=4000, payload=b"push-me"))
    sim.advance(2 * c["paging"] + 1)
    po = phase + math.ceil((t - phase) / c["paging"]) * c["paging"]  # TS 36.304 §7: every cycle
    assert tx_times(sim, "m1.downlink", b"push-me") == [pytest.approx(po + c["promotion"])]


def test_edrx_pages_only_inside_the_paging_time_window():
    sim, net, srv, host, bearer = world("lte_m", seed=5)
    bearer.request_edrx(True, 4, "0101")  # WB-S1 0101: 81.92 s
    control = bearer.link_control
    assert control.edrx_cycle == 81.92 and control.ptw == 1.28  # PTW 0000: 1 x 1.28 s
    sim.advance(12)
    t = sim.now
    srv.send_packet(Packet(SERVER, host.ip, PROTO_UDP, sport=7, dport=4000, payload=b"edrx-push"))
    sim.advance(200)
    phase = control._edrx_phase
    window = phase + math.ceil((t - phase) / 81.92) * 81.92  # next window start (t is outside one)
    if window - 81.92 <= t < window - 81.92 + 1.28:
        pytest.skip("push landed inside a window for this seed")
    assert tx_times(sim, "m1.downlink", b"edrx-push") == [pytest.approx(window + 0.260)]


def test_psm_makes_the_ue_unreachable_until_its_periodic_tau():
    sim, net, srv, host, bearer = world("nb_iot", power_saving={"psm_downlink": "buffer"})
    # T3412 ext "10100011": unit 101 = 1 min, x 3; T3324 "00000101": unit 000 = 2 s, x 5
    bearer.request_psm(True, "10100011", "00000101")
    control = bearer.link_control
    assert (control.t3412, control.t3324) == (180.0, 10.0)
    connected = [
        r.t
        for r in sim.trace.select(source="bearer.rrc", kind="rrc")
        if r.fields["state"] == "connected"
    ]
    released = connected[-1] + 10.0  # inactivity
    sim.advance(released + 10.0 + 5 - sim.now)  # in PSM now
    assert control.state == "psm"
    srv.send_packet(
        Packet(SERVER, host.ip, PROTO_UDP, sport=7, dport=4000, payload=b"while-asleep")
    )
    sim.advance(200)
    tau = [r.t for r in sim.trace.select(source="bearer.rrc", kind="tau")]
    assert tau == [pytest.approx(released + 180.0)]
    # buffered by the core (psm_downlink: buffer), delivered on the TAU's RRC connection
    assert tx_times(sim, "m1.downlink", b"while-asleep") == [
        pytest.approx(released + 180.0 + 0.315)
    ]


def test_psm_with_drop_loses_the_downlink():
    sim, net, srv, host, bearer = world("lte_m")
    bearer.request_psm(True, "10100011", "00000000")  # T3324 0: PSM right after the release
    sim.advance(12)
    assert bearer.link_control.state == "psm"
    srv.send_packet(Packet(SERVER, host.ip, PROTO_UDP, sport=7, dport=4000, payload=b"lost-push"))
    sim.advance(300)
    assert tx_times(sim, "m1.downlink", b"lost-push") == []
    assert bearer.link_control.drops == {"psm_unreachable": 1}


@pytest.mark.parametrize(
    ("bits", "seconds"),
    [
        ("10100011", 180.0),
        ("00000110", 3600.0),
        ("00100001", 3600.0),
        ("01000010", 72000.0),
        ("01100101", 10.0),
        ("10000010", 60.0),
        ("11000001", 1152000.0),
        ("11100000", None),
    ],
)
def test_gprs_timer3(bits, seconds):  # TS 24.008 Table 10.5.163a
    assert gprs_timer3(bits) == seconds


@pytest.mark.parametrize(
    ("bits", "seconds"),
    [("00000101", 10.0), ("00100011", 180.0), ("01000010", 720.0), ("11100000", None)],
)
def test_gprs_timer2(bits, seconds):  # TS 24.008 Table 10.5.163
    assert gprs_timer2(bits) == seconds


def test_edrx_tables():  # TS 24.008 Table 10.5.5.32
    assert [edrx_cycle(f"{v:04b}", 4) for v in (0, 1, 2, 5, 9, 15)] == [
        5.12,
        10.24,
        20.48,
        81.92,
        163.84,
        10485.76,
    ]
    assert (
        edrx_cycle("0101", 5) == 81.92 and edrx_cycle("0000", 5) == 20.48
    )  # NB-S1: others as 0010
    assert ptw_length("0011", 1.28) == pytest.approx(5.12) and ptw_length(
        "0011", 2.56
    ) == pytest.approx(10.24)


@pytest.mark.parametrize(
    ("name", "rlf_after", "lost_after"),
    [
        # LTE: N310 x 200 ms (TS 36.133 §7.6) + T310 1 s, then T311 10 s
        ("lte_cat1", 0.2 + 1.0, 0.2 + 1.0 + 10.0),
        ("nb_iot", 0.2 + 1.0, 0.2 + 1.0 + 10.0),
        # GPRS: DSC 90/5 = 18, -4 per missed block of 5 x 235.38 ms -> 5 blocks; then T3314 44 s
        ("gprs_class10", 5 * 5 * 0.23538, 5 * 5 * 0.23538 + 44.0),
    ],
)
def test_coverage_gap_thresholds(name, rlf_after, lost_after):
    # a gap just short of the threshold keeps the context and delays the data
    sim, net, srv, host, bearer = world(name)
    ip = host.ip
    start = sim.now
    bearer.coverage_loss(lost_after - 0.5)
    udp(host, ip, SERVER, b"during-the-gap")
    sim.advance(lost_after + 5)
    rlf = [r.t for r in sim.trace.select(source="bearer.rrc", kind="radio_link_failure")]
    assert rlf == [pytest.approx(start + rlf_after)]
    assert host.ip == ip and bearer.gprs.is_active(1)
    reestablish = get_profile(name).coverage.reestablish
    sent = tx_times(sim, "m1.uplink", b"during-the-gap")
    assert sent and sent[0] >= start + lost_after - 0.5 + reestablish - 1e-9
    # one just longer loses it exactly at the threshold
    sim, net, srv, host, bearer = world(name)
    start = sim.now
    bearer.coverage_loss(lost_after + 30)
    sim.advance(lost_after - 0.01)
    assert bearer.gprs.is_active(1)
    sim.advance(0.02)
    assert not bearer.gprs.is_active(1) and host.ip is None


def test_energy_is_the_integral_of_the_state_currents():
    sim, net, srv, host, bearer = world("lte_m")
    bearer.request_psm(True, "10100011", "00000101")
    sim.advance(100)
    e = bearer.energy()
    p = get_profile("lte_m").power
    # SIM7000 figures: PSM 9 uA, sleep 1 mA, LTE idle 11 mA, LTE data 167 mA at 3.8 V
    assert (p.psm, p.idle, p.connected, p.tx, p.voltage) == (0.009, 1.0, 11.0, 167.0, 3.8)
    mas = (
        0.009 * (e["time_psm"] + e["time_edrx_sleep"])
        + 1.0 * e["time_idle"]
        + 11.0 * (e["time_connecting"] + e["time_connected"])
        + (167.0 - 11.0) * e["airtime_up"]
        + (11.0 - 11.0) * e["airtime_down"]
    )
    assert e["charge_mah"] == pytest.approx(mas / 3600)
    assert e["energy_j"] == pytest.approx(mas / 1000 * 3.8)
    assert sum(e[k] for k in e if k.startswith("time_")) == pytest.approx(sim.now)
    assert e["time_psm"] > 60  # mostly asleep


def test_gprs_energy_is_idle_plus_transfer_currents():
    sim, net, srv, host, bearer = world("gprs_class10")
    for _i in range(20):
        udp(host, host.ip, SERVER, bytes(1000))
    sim.advance(10)
    e = bearer.energy()
    # SIM800L Table 49: sleep (BS-PA-MFRMS=5) 1.14 mA, GPRS 3Rx/2Tx 385.73 mA, 4Rx/1Tx 249.85 mA
    mas = 1.14 * sim.now + (385.73 - 1.14) * e["airtime_up"] + (249.85 - 1.14) * e["airtime_down"]
    assert e["charge_mah"] == pytest.approx(mas / 3600)
    assert e["airtime_up"] == pytest.approx(
        20 * (1000 + 28) * 8 / 42_800
    )  # 20 datagrams at 42.8 kbit/s
