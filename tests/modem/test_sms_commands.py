"""TS 27.005 / +CUSD / incoming voice calls at the UART, exact bytes (simnet.modem.base.sms).

Expected bytes come from TS 27.005 (formats, §3.2.5 error codes), the vendor rows' cited
sections (indices from 0 on SIMCom, from 1 on the L610) and arithmetic on the configured
delays."""

from __future__ import annotations

import pytest

from simnet.bearer.sms.tpdu import Address, Submit, UserData
from tests.world import exchange, wait_for, world

PHONE = "+33611111111"
SMS = {"submit_delay": 1, "deliver_delay": 0.5}


def sms_world(module: str = "simcom-sim7600", **network):
    net = {
        "sms": dict(SMS),
        "ussd": {
            "*100#": "Balance 12.50 EUR",
            "*123#": {"text": "1 Balance", "options": {"1": "12.50 EUR"}},
        },
    }
    net.update(network)
    sim = world(module, network=net, hosts={"phone": {"msisdn": PHONE}})
    exchange(sim, "ATE0", b"ATE0\r\r\nOK\r\n")
    exchange(sim, "AT+CMEE=1", b"\r\nOK\r\n")
    return sim


def send_from_phone(sim, text: str) -> None:
    sim.host("phone").send_sms(text)


@pytest.mark.parametrize(
    "module,first,cpms",
    [
        ("simcom-sim7600", 0, b'+CPMS: ("ME","SM","SR"),("ME","SM","SR"),("ME","SM")'),
        ("fibocom-l610", 1, b'+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")'),
    ],
)
def test_receive_text_mode_indication_read_list_delete(module, first, cpms):
    sim = sms_world(module)
    exchange(sim, "AT+CPMS=?", b"\r\n" + cpms + b"\r\n\r\nOK\r\n")
    exchange(sim, "AT+CMGF=1", b"\r\nOK\r\n")
    exchange(sim, "AT+CNMI=2,1,0,0,0", b"\r\nOK\r\n")
    t0 = sim.now
    send_from_phone(sim, "Hello [1]")
    got = wait_for(sim, b'\r\n+CMTI: "SM",%d\r\n' % first)
    assert got == b'\r\n+CMTI: "SM",%d\r\n' % first
    # submit + deliver delay, then the 17 bytes of the URC at 115200 bit/s (10 bits a byte)
    assert sim.now == pytest.approx(t0 + 1 + 0.5 + 17 * 10 / 115200, abs=1e-6)
    scts = sim.world.smsc.messages[0].scts.text().encode()
    exchange(
        sim,
        f"AT+CMGR={first}",
        b'\r\n+CMGR: "REC UNREAD","+33611111111",,"' + scts + b'"\r\nHello [1]\r\n\r\nOK\r\n',
    )
    exchange(sim, "AT+CSDH=1", b"\r\nOK\r\n")
    exchange(
        sim,
        f"AT+CMGR={first}",  # read now; full header: <tooa>,<fo>,<pid>,<dcs>,<sca>,<tosca>,<length>
        b'\r\n+CMGR: "REC READ","+33611111111",,"'
        + scts
        + b'",145,4,0,0,"+33609001390",145,9\r\nHello [1]\r\n\r\nOK\r\n',
    )
    exchange(sim, 'AT+CMGL="REC UNREAD"', b"\r\nOK\r\n")
    exchange(
        sim,
        'AT+CMGL="ALL"',
        b'\r\n+CMGL: %d,"REC READ","+33611111111",,"' % first
        + scts
        + b'",145,9\r\nHello [1]\r\n\r\nOK\r\n',
    )
    exchange(sim, f"AT+CMGD={first}", b"\r\nOK\r\n")
    exchange(sim, f"AT+CMGR={first}", b"\r\n+CMS ERROR: 321\r\n")


def test_pdu_mode_cmt_routing_and_status_report_cds():
    sim = sms_world()
    exchange(sim, "AT+CNMI=2,2,0,1,0", b"\r\nOK\r\n")  # route SMS-DELIVERs and status reports
    send_from_phone(sim, "hi")
    got = wait_for(sim, b"E834\r\n", timeout=5)  # "hi" in packed GSM 7-bit: E8 34
    msg = sim.world.smsc.messages[0]
    tpdu = (
        bytes([0x04])
        + Address.of(PHONE).encode_tp()
        + b"\x00\x00"
        + msg.scts.encode()
        + b"\x02\xe8\x34"
    )
    assert (
        got
        == b"\r\n+CMT: ,%d\r\n" % len(tpdu)
        + b"07913306091093F0"
        + tpdu.hex().upper().encode()
        + b"\r\n"
    )
    # PDU with TP-SRR and TP-MR 9 (replaced by the module's own reference 0)
    submit = Submit(9, Address.of(PHONE), UserData.build("ok"), srr=True).encode()
    exchange(sim, f"AT+CMGS={len(submit)}", b"\r\n> ")
    exchange(sim, "00" + submit.hex().upper() + "\x1a", b"\r\n+CMGS: 0\r\n\r\nOK\r\n", timeout=5)
    first = wait_for(sim, b"+CDS: 25\r\n", timeout=5) + wait_for(sim, b"\r\n")
    assert first.startswith(
        b"\r\n+CDS: 25\r\n07913306091093F006000B913316111111F1"
    )  # TP-MR 0, TP-RA
    assert first.endswith(b"00\r\n")  # TP-ST 0: received by the SME
    assert sim.host("phone").sms()[-1]["text"] == "ok"


def test_cms_errors_from_their_situations():
    sim = sms_world()
    submit = Submit(0, Address.of(PHONE), UserData.build("x")).encode()
    exchange(sim, f"AT+CMGS={len(submit)}", b"\r\n> ")
    exchange(sim, "00" + submit.hex() + "00\x1a", b"\r\n+CMS ERROR: 304\r\n")  # length disagrees
    exchange(sim, f"AT+CMGS={len(submit)}", b"\r\n> ")
    exchange(sim, "zz\x1a", b"\r\n+CMS ERROR: 304\r\n")  # not hex
    exchange(sim, 'AT+CSCA=""', b"\r\nOK\r\n")
    exchange(sim, f"AT+CMGS={len(submit)}", b"\r\n> ")
    exchange(sim, "00" + submit.hex() + "\x1a", b"\r\n+CMS ERROR: 330\r\n")  # no SC address
    exchange(sim, 'AT+CSCA="+33609001390"', b"\r\nOK\r\n")
    sim.world.bearer.radio.coverage_loss(None)
    sim.advance(1)
    exchange(sim, f"AT+CMGS={len(submit)}", b"\r\n> ")
    exchange(sim, "00" + submit.hex() + "\x1a", b"\r\n+CMS ERROR: 331\r\n")  # no network service
    exchange(sim, f"AT+CMGS={len(submit)}", b"\r\n> ")
    exchange(sim, "00" + submit.hex() + "\x1b", b"\r\nOK\r\n")  # ESC: cancelled, nothing sent
    exchange(sim, 'AT+CPMS="XX"', b"\r\n+CMS ERROR: 302\r\n")
    exchange(sim, "AT+CMGF=1", b"\r\nOK\r\n")
    exchange(sim, 'AT+CMGS="+336"', b"\r\n> ")
    exchange(sim, "x" * 161 + "\x1a", b"\r\n+CMS ERROR: 305\r\n")  # more than one message


def test_smsc_down_is_rp_cause_38():
    sim = sms_world()
    sim.world.smsc.set_down(True, 60)
    exchange(sim, "AT+CMGF=1", b"\r\nOK\r\n")
    exchange(sim, 'AT+CMGS="+33611111111"', b"\r\n> ")
    exchange(sim, "status\x1a", b"\r\n+CMS ERROR: 38\r\n")  # TS 27.005 §3.2.5: the RP cause


def test_cnmi_mode_0_buffers_until_mode_2_then_flushes_after_the_ok():
    sim = sms_world()
    exchange(sim, "AT+CNMI=0,1,0,0,0", b"\r\nOK\r\n")
    send_from_phone(sim, "one")
    sim.advance(5)
    assert sim.dte.read_available() == b""
    exchange(sim, "AT+CNMI=2,1,0,0,0", b'\r\nOK\r\n\r\n+CMTI: "SM",0\r\n')
    send_from_phone(sim, "two")
    assert wait_for(sim, b'+CMTI: "SM",1\r\n') == b'\r\n+CMTI: "SM",1\r\n'


def test_memory_full_refuses_then_rp_smma_delivers():
    sim = world(
        "fibocom-l610",
        network={"sms": dict(SMS, retry_interval=1000)},
        hosts={"phone": {"msisdn": PHONE}},
    )
    exchange(sim, "ATE0", b"ATE0\r\r\nOK\r\n")
    exchange(sim, "AT+CMEE=1;+CMGF=1;+CNMI=2,1", b"\r\nOK\r\n")
    exchange(sim, 'AT+CPMS="ME","ME","ME"', b"\r\n+CPMS: 0,50,0,50,0,50\r\n\r\nOK\r\n")
    for i in range(50):
        exchange(sim, f'AT+CMGW="{PHONE}"', b"\r\n> ")
        exchange(sim, f"draft {i}\x1a", b"\r\n+CMGW: %d\r\n\r\nOK\r\n" % (i + 1))
    exchange(sim, f'AT+CMGW="{PHONE}"', b"\r\n+CMS ERROR: 322\r\n")
    send_from_phone(sim, "new config")
    sim.advance(30)
    assert sim.dte.read_available() == b""
    assert [m.waiting for m in sim.world.smsc.pending()] == ["memory"]
    exchange(sim, "AT+CMGD=7", b"\r\nOK\r\n")
    assert wait_for(sim, b'+CMTI: "ME",7\r\n', timeout=2) == b'\r\n+CMTI: "ME",7\r\n'  # 0.5 s later


def test_messages_survive_a_restart():
    sim = sms_world()
    exchange(sim, "AT+CMGF=1;+CNMI=2,1", b"\r\nOK\r\n")
    send_from_phone(sim, "keep me")
    wait_for(sim, b'+CMTI: "SM",0\r\n')
    sim.world.module.reboot("test")
    sim.advance(30)
    sim.dte.read_available()
    exchange(sim, "ATE0", b"ATE0\r\r\nOK\r\n")
    exchange(sim, "AT+CMGF?", b"\r\n+CMGF: 0\r\n\r\nOK\r\n")  # settings are volatile
    exchange(sim, "AT+CPMS?", b'\r\n+CPMS: "SM",1,30,"SM",1,30,"SM",1,30\r\n\r\nOK\r\n')


def test_ussd_menu_dialogue():
    sim = sms_world()
    exchange(sim, 'AT+CUSD=1,"*100#",15', b"\r\nOK\r\n")
    assert wait_for(sim, b"15\r\n", timeout=3) == b'\r\n+CUSD: 0,"Balance 12.50 EUR",15\r\n'
    exchange(sim, 'AT+CUSD=1,"*123#",15', b"\r\nOK\r\n")
    assert wait_for(sim, b"15\r\n", timeout=3) == b'\r\n+CUSD: 1,"1 Balance",15\r\n'
    exchange(sim, 'AT+CUSD=1,"1",15', b"\r\nOK\r\n")
    assert wait_for(sim, b"15\r\n", timeout=3) == b'\r\n+CUSD: 0,"12.50 EUR",15\r\n'
    exchange(sim, 'AT+CUSD=1,"*999#",15', b"\r\nOK\r\n")
    assert wait_for(sim, b"\r\n+CUSD: 4\r\n", timeout=3) == b"\r\n+CUSD: 4\r\n"
    exchange(sim, 'AT+CUSD=1,"*123#",15', b"\r\nOK\r\n")
    wait_for(sim, b"15\r\n", timeout=3)
    sim.advance(61)  # the network releases the idle dialogue (ussd_timeout 60 s)
    assert sim.dte.read_available() == b"\r\n+CUSD: 2\r\n"


def test_incoming_voice_call_ring_clip_answer_and_remote_hangup():
    sim = sms_world()
    exchange(sim, "AT+CLIP=1;+CRC=1", b"\r\nOK\r\n")
    assert sim.host("phone").call(hold=20)
    assert sim.dte.read_available() == b""
    assert (
        wait_for(sim, b",,,,0\r\n", timeout=1)
        == b'\r\n+CRING: VOICE\r\n\r\n+CLIP: "+33611111111",145,,,,0\r\n'
    )
    exchange(sim, "ATA", b"\r\nOK\r\n", timeout=10)  # a speech call: OK, no CONNECT
    t = sim.now
    assert wait_for(sim, b"NO CARRIER\r\n", timeout=30) == b"\r\nNO CARRIER\r\n"
    assert sim.now == pytest.approx(t + 20, abs=0.01)
    # rejected with ATH while ringing: the caller gives up, nothing more is reported
    assert sim.host("phone").call()
    wait_for(sim, b",,,,0\r\n", timeout=1)
    exchange(sim, "ATH", b"\r\nOK\r\n")
    sim.advance(10)
    assert sim.dte.read_available() == b""
