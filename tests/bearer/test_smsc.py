"""The operator's SMSC (simnet.bearer.sms): MO and MT delivery with the configured delays, store
and forward while the module is unreachable (coverage loss, PSM), memory full and RP-SMMA,
status reports, validity expiry, faults. Expected instants are sums of the configured constants."""

from __future__ import annotations

from simnet.bearer import ModemBearer, OperatorConfig, RadioConfig, get_profile
from simnet.bearer.sms.smsc import HostPhone
from simnet.bearer.sms.tpdu import Address, Deliver, StatusReport, Submit, UserData
from simnet.kernel import Simulation
from simnet.net import Network

REG = 2.0
SUBMIT, DELIVER = 1.5, 0.75  # constant delays: instants are sums of them
SMS = {
    "submit_delay": SUBMIT,
    "deliver_delay": DELIVER,
    "retry_interval": 600,
    "smsc": "+33609001390",
}
PHONE = "+33611111111"


def world(profile: str = "gprs_class10", **sms):
    sim = Simulation(5)
    net = Network(sim)
    host = net.add_module_host("m1", *get_profile(profile).link_dicts())
    bearer = ModemBearer(
        sim,
        net,
        host,
        OperatorConfig(
            profile=profile, radio=RadioConfig(registration_delay=REG), sms={**SMS, **sms}
        ),
        msisdn="+33600000001",
    )
    phone = HostPhone(sim, bearer.smsc, PHONE, "phone")
    inbox: list[tuple[float, object]] = []
    answer: list[int | None] = [None]

    def receiver(tpdu):
        inbox.append((sim.now, tpdu))
        return answer[0]

    bearer.sms.receiver = receiver
    sim.advance(REG + 0.5)
    return sim, bearer, phone, inbox, answer


def submit(sim, bearer, text="hello", srr=False, to=PHONE):
    sub = Submit(0, Address.of(to), UserData.build(text), srr=srr)
    ev = bearer.sms.submit(bearer.sms.default_sca, sub)
    sim.run_until(lambda: ev.triggered, 100)
    return ev.value


def test_mobile_originated_reaches_the_host_after_submit_and_deliver_delays():
    sim, bearer, phone, _inbox, _ = world()
    t0 = sim.now
    result = submit(sim, bearer, "Alarm: door open")
    assert result.ok
    assert sim.now == t0 + SUBMIT  # RP-ACK after the submit delay (GPRS: no RRC promotion)
    sim.advance(DELIVER + 0.001)
    assert [m.text for m in phone.inbox] == ["Alarm: door open"]
    assert phone.inbox[0].time == t0 + SUBMIT + DELIVER
    assert phone.inbox[0].origin == "+33600000001"


def test_wrong_sc_address_is_rp_cause_1_and_no_network_is_331():
    sim, bearer, _phone, _inbox, _ = world()
    sub = Submit(0, Address.of(PHONE), UserData.build("x"))
    ev = bearer.sms.submit(Address.of("+99999"), sub)
    sim.run_until(lambda: ev.triggered, 100)
    assert ev.value.cms == 1  # TS 24.011 Annex E-2 #1, reported as +CMS ERROR: 1 (TS 27.005 §3.2.5)
    bearer.radio.coverage_loss(None)
    assert submit(sim, bearer).cms == 331


def test_message_for_an_unreachable_module_waits_for_coverage():
    sim, bearer, phone, inbox, _ = world()
    bearer.coverage_loss(100.0)  # GPRS profile: the registration goes at once
    lost = sim.now
    phone.send("+33600000001", "wake up")
    sim.advance(50)
    assert inbox == []
    assert [m.waiting for m in bearer.smsc.pending()] == ["absent"]
    sim.advance(100)
    # back at lost+100, registered REG later: the HLR's alert starts an attempt (deliver delay)
    assert len(inbox) == 1
    t, tpdu = inbox[0]
    assert t == lost + 100 + REG + DELIVER
    assert isinstance(tpdu, Deliver) and tpdu.ud.text == "wake up" and tpdu.oa.number == PHONE


def test_status_report_follows_delivery():
    sim, bearer, _phone, inbox, _ = world()
    t0 = sim.now
    assert submit(sim, bearer, srr=True).ok
    sim.advance(10)
    reports = [(t, p) for t, p in inbox if isinstance(p, StatusReport)]
    assert len(reports) == 1
    t, report = reports[0]
    assert report.st == 0 and report.ra.number == PHONE
    # delivered at t0+SUBMIT+DELIVER; the report is one more delivery attempt later
    assert t == t0 + SUBMIT + 2 * DELIVER
    assert report.dt.unix() - report.scts.unix() == int(t0 + SUBMIT + DELIVER) - int(t0 + SUBMIT)


def test_memory_full_keeps_the_message_until_rp_smma():
    sim, bearer, phone, inbox, answer = world()
    answer[0] = 22  # memory capacity exceeded
    phone.send("+33600000001", "one")
    sim.advance(10)
    assert len(inbox) == 1 and bearer.smsc.pending()[0].waiting == "memory"
    answer[0] = None
    t = sim.now
    bearer.sms.memory_available()
    sim.advance(10)
    assert len(inbox) == 2 and inbox[1][0] == t + DELIVER
    assert bearer.smsc.pending() == []


def test_undelivered_message_expires_with_a_report():
    sim, bearer, _phone, inbox, _ = world(validity=120)
    bearer.smsc.fail_deliveries(PHONE, "absent")
    t0 = sim.now
    assert submit(sim, bearer, srr=True).ok
    sim.advance(200)
    msg = bearer.smsc.messages[0]
    assert msg.status == "expired" and msg.st == 0x46
    reports = [p for _t, p in inbox if isinstance(p, StatusReport)]
    assert [r.st for r in reports] == [0x46]
    assert msg.expires == t0 + SUBMIT + 120


def test_smsc_down_answers_rp_cause_38_and_holds_deliveries():
    sim, bearer, phone, inbox, _ = world()
    bearer.smsc.set_down(True, duration=60)
    assert submit(sim, bearer).cms == 38  # network out of order
    phone.send("+33600000001", "queued")
    sim.advance(30)
    assert inbox == []
    sim.advance(40)
    assert [p.ud.text for _t, p in inbox] == ["queued"]


def test_long_text_from_a_host_arrives_in_order_as_concatenated_parts():
    sim, bearer, phone, inbox, _ = world()
    text = "Ω" + "x" * 200  # Ω is in the GSM alphabet: 2 parts of GSM 7-bit
    phone.send("+33600000001", text)
    sim.advance(20)
    parts = [p for _t, p in inbox]
    assert [p.ud.concat.seq for p in parts] == [1, 2]
    assert parts[0].mms is False and parts[1].mms is True  # more messages to send, then none
    assert "".join(p.ud.text for p in parts) == text


def test_psm_device_gets_the_message_at_its_periodic_tau():
    sim, bearer, phone, inbox, _ = world(
        "lte_m",
    )
    bearer.gprs.define_context(1, "IP", "internet")
    bearer.request_psm(True, "00100001", "00100001")  # T3412 1 h, T3324 1 min (TS 24.008 timers)
    lc = bearer.link_control
    sim.run_until(lambda: lc.state == "psm", 200)
    asleep = sim.now
    phone.send("+33600000001", "config v2")
    sim.advance(600)
    assert inbox == [] and bearer.smsc.pending()[0].waiting == "absent"
    sim.run_until(lambda: inbox, 4000)
    # T3412 runs from the release: the TAU wakes the UE; the alert starts the attempt
    release = asleep - 60.0
    assert sim.now >= release + 3600
    assert sim.now <= release + 3600 + get_profile("lte_m").rrc.promotion + DELIVER + 1e-6
