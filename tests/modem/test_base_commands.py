"""3GPP base commands against a fake bearer: SIM, registration, packet domain, settings.

Response formats are the ones TS 27.007 / 27.005 give for each command (section in each test).
"""

import pytest

from simnet.bearer import Outcome
from tests.modem.helpers import FakeBearer, FakeGprs, FakeSimCard, make


def quiet_make(**kw):
    sim, module, dte = make(**kw)
    dte.command("ATE0")
    return sim, module, dte


def test_identity_commands():
    sim, module, dte = quiet_make(bearer=FakeBearer())
    assert dte.command("AT+CGMI").lines == ["SIMCOM INCORPORATED"]
    assert dte.command("AT+GMI").lines == ["SIMCOM INCORPORATED"]
    assert dte.command("AT+CGMM").lines == ["SIMCOM_SIM7600E-H"]
    assert dte.command("AT+CGMR").lines == ["+CGMR: LE20B04SIM7600M22"]
    assert dte.command("AT+CGSN").lines == [module.imei]
    assert dte.command("AT+GSN").lines == [module.imei]
    assert dte.command("AT+CIMI").lines == ["208011234567890"]
    assert dte.command("AT+CCID").lines == ["+CCID: 8933011234567890123"]
    ati = dte.command("ATI").lines
    assert ati[0] == "Manufacturer: SIMCOM INCORPORATED" and ati[3] == f"IMEI: {module.imei}"
    assert dte.command("ATI1").final == "ERROR"


def test_identity_style_differs_per_module():
    sim, module, dte = make("fibocom-l610")
    dte.command("ATE0")
    assert dte.command("AT+CGMI").lines == ["Fibocom Wireless Inc."]
    assert dte.command("AT+CGMM").lines == ["L610"]


@pytest.mark.parametrize(
    ("state", "answer"),
    [("ready", "+CPIN: READY"), ("pin", "+CPIN: SIM PIN"), ("puk", "+CPIN: SIM PUK")],
)
def test_cpin_query(state, answer):
    sim, module, dte = quiet_make(bearer=FakeBearer(sim_card=FakeSimCard(state)))
    assert dte.command("AT+CPIN?").raw == f"\r\n{answer}\r\n\r\nOK\r\n".encode()


def test_pin_entry_wrong_then_right():
    card = FakeSimCard("pin")
    sim, module, dte = quiet_make(bearer=FakeBearer(sim_card=card))
    dte.command("AT+CMEE=1")
    # TS 27.007 §9.2.1: 16 incorrect password; 11 SIM PIN required for SIM-dependent commands.
    assert dte.command('AT+CPIN="0000"').final == "+CME ERROR: 16"
    assert dte.command("AT+CIMI").final == "+CME ERROR: 11"
    assert dte.command('AT+CPIN="1234"').final == "OK"
    assert dte.command("AT+CPIN?").lines == ["+CPIN: READY"]
    assert dte.command('AT+CPIN="1234"').final == "+CME ERROR: 3"  # nothing to unlock


def test_puk_entry():
    card = FakeSimCard("puk")
    sim, module, dte = quiet_make(bearer=FakeBearer(sim_card=card))
    dte.command("AT+CMEE=2")
    assert dte.command("AT+CIMI").final == "+CME ERROR: SIM PUK required"
    assert dte.command('AT+CPIN="12345678","4321"').final == "OK"
    assert card.pin == "4321"


def test_sim_absent():
    card = FakeSimCard("absent")
    sim, module, dte = quiet_make(bearer=FakeBearer(sim_card=card))
    dte.command("AT+CMEE=1")
    assert dte.command("AT+CPIN?").final == "+CME ERROR: 10"
    assert dte.command("AT+CCID").final == "+CME ERROR: 10"
    assert dte.command("AT+CPMS?").final == "+CMS ERROR: 310"


def test_csq_and_test_form():
    bearer = FakeBearer()
    sim, module, dte = quiet_make(bearer=bearer)
    assert dte.command("AT+CSQ").lines == ["+CSQ: 21,0"]
    assert dte.command("AT+CSQ=?").lines == ["+CSQ: (0-31,99),(0-7,99)"]
    dte.command("AT+CFUN=0")
    assert dte.command("AT+CSQ").lines == ["+CSQ: 99,99"]


def test_registration_query_and_urcs():
    bearer = FakeBearer()
    sim, module, dte = quiet_make(bearer=bearer)
    assert dte.command("AT+CREG?").lines == ["+CREG: 0,1"]
    dte.command("AT+CREG=1")
    dte.command("AT+CGREG=2")
    bearer.radio.set("cs", 2)
    dte.wait(0.01)
    assert dte.read_available() == b"\r\n+CREG: 2\r\n"
    bearer.radio.set("ps", 5)
    dte.wait(0.01)
    assert dte.read_available() == b'\r\n+CGREG: 5,"1A2B","3E4F",0\r\n'
    assert dte.command("AT+CGREG?").lines == ['+CGREG: 2,5,"1A2B","3E4F",0']
    assert dte.command("AT+CEREG?").lines == ["+CEREG: 0,5"]
    assert dte.command("AT+CREG=3").final == "ERROR"


def test_registration_urc_during_a_command_comes_after_it():
    bearer = FakeBearer()
    sim, module, dte = quiet_make(bearer=bearer)
    dte.command("AT+CREG=1")
    sim.call_later(0.3, bearer.radio.set, "cs", 5)
    assert dte.command("AT+SLOW").raw == b"\r\n+SLOW: done\r\n\r\nOK\r\n"
    dte.wait(0.01)
    assert dte.read_available() == b"\r\n+CREG: 5\r\n"


def test_cops():
    bearer = FakeBearer()
    sim, module, dte = quiet_make(bearer=bearer)
    assert dte.command("AT+COPS?").lines == ['+COPS: 0,0,"SIMNET",0']
    dte.command("AT+COPS=3,2")
    assert dte.command("AT+COPS?").lines == ['+COPS: 0,2,"00101",0']
    r = dte.command("AT+COPS=?", timeout=30)
    assert r.lines == ['+COPS: (2,"SIMNET","SIMNET","00101",0),,(0-4),(0-2)']
    assert r.elapsed > 3.0  # the scan takes seconds
    bearer.radio.set("cs", 0)
    bearer.radio.set("ps", 0)
    dte.read_available()
    assert dte.command("AT+COPS?").lines == ["+COPS: 0"]


def test_packet_domain_attach_define_activate_address():
    bearer = FakeBearer()
    sim, module, dte = quiet_make(bearer=bearer)
    bearer.gprs = FakeGprs(sim, delay=1.5)
    assert dte.command("AT+CGATT?").lines == ["+CGATT: 0"]
    assert dte.command("AT+CGATT=1").final == "OK"
    assert dte.command("AT+CGATT?").lines == ["+CGATT: 1"]
    assert dte.command('AT+CGDCONT=1,"IP","internet"').final == "OK"
    assert dte.command("AT+CGDCONT?").lines == ['+CGDCONT: 1,"IP","internet","0.0.0.0",0,0']
    r = dte.command("AT+CGACT=1,1")
    assert r.final == "OK" and r.elapsed >= 1.5  # waits for the bearer's outcome
    assert dte.command("AT+CGACT?").lines == ["+CGACT: 1,1"]
    assert dte.command("AT+CGPADDR=1").lines == ['+CGPADDR: 1,"10.0.0.2"']
    assert dte.command("AT+CGACT=0,1").final == "OK"
    assert dte.command("AT+CGPADDR").lines == ["+CGPADDR: 1"]


def test_pdp_reject_maps_to_cme():
    bearer = FakeBearer()
    sim, module, dte = quiet_make(bearer=bearer)
    bearer.gprs = FakeGprs(sim)
    bearer.gprs.next_outcome = Outcome("pdp_reject", cause=33, detail="not subscribed")
    dte.command("AT+CMEE=1")
    dte.command('AT+CGDCONT=1,"IP","x"')
    # TS 27.007 §9.2.2: SM cause 33 -> 133 requested service option not subscribed.
    assert dte.command("AT+CGACT=1,1").final == "+CME ERROR: 133"
    assert dte.command("AT+CEER").lines == ["+CEER: not subscribed"]
    bearer.gprs.next_outcome = Outcome("pdp_timeout")
    assert dte.command("AT+CGACT=1,1").final == "+CME ERROR: 31"


def test_cgdcont_validation():
    sim, module, dte = quiet_make()
    dte.command("AT+CMEE=1")
    assert dte.command('AT+CGDCONT=0,"IP","x"').final == "+CME ERROR: 50"
    assert dte.command('AT+CGDCONT=1,"X25","x"').final == "+CME ERROR: 50"
    assert dte.command("AT+CGDCONT=?").lines[0] == '+CGDCONT: (1-16),"IP",,,(0-2),(0-4)'
    dte.command('AT+CGDCONT=2,"IP","b"')
    dte.command("AT+CGDCONT=2")  # cid alone undefines it
    assert dte.command("AT+CGDCONT?").lines == []


def test_stored_startup_settings():
    sim, module, dte = quiet_make(bearer=FakeBearer())
    assert dte.command("AT+CMGF=1").ok
    assert dte.command("AT+CMGF?").lines == ["+CMGF: 1"]
    assert dte.command("AT+CMGF=2").final == "ERROR"
    assert dte.command("AT+CSMP=49,167,0,0").ok
    assert dte.command("AT+CSMP?").lines == ["+CSMP: 49,167,0,0"]
    assert dte.command("AT+CNMI=2,1,0,2").ok
    assert dte.command("AT+CNMI?").lines == ["+CNMI: 2,1,0,2,0"]
    assert dte.command("AT+CLIP=1").ok and dte.command("AT+CRC=1").ok
    assert dte.command("AT+CVHU=0").ok and dte.command("AT+CVHU?").lines == ["+CVHU: 0"]
    assert dte.command("AT+CTZR=1").ok and dte.command("AT+CTZU=1").ok
    assert dte.command('AT+CSCA="+33609001390",145').ok
    assert dte.command("AT+CSCA?").lines == ['+CSCA: "+33609001390",145']
    # TS 27.005 §3.2.2 with the generic memories (simnet.modem.base.sms.GENERIC): SIM (the card's
    # 30 records) and ME (100)
    assert dte.command("AT+CPMS=?").lines == ['+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")']
    assert dte.command('AT+CPMS="ME","ME","ME"').lines == ["+CPMS: 0,100,0,100,0,100"]
    assert dte.command("AT+CPMS?").lines == ['+CPMS: "ME",0,100,"ME",0,100,"ME",0,100']
    assert dte.command('AT+CSCS="UCS2"').ok and dte.command("AT+CSCS?").lines == ['+CSCS: "UCS2"']
    assert dte.command("AT+CLCC").lines == []
    assert dte.command("AT+CMGL").lines == []
    dte.command("AT+CMEE=1")
    assert dte.command("AT+CMGR=1").final == "+CMS ERROR: 321"


def test_ipr_changes_rate_after_the_ok():
    sim, module, dte = quiet_make()
    assert dte.command("AT+IPR=9600").raw == b"\r\nOK\r\n"  # still at the old rate
    dte.wait(0.01)
    assert module.port.baud == 9600
    # The host still at 115200 now talks garbage to the module.
    dte.write("AT\r")
    dte.wait(0.5)
    assert sim.trace.select(kind="framing")
    dte.baud = 9600
    dte.wait(25)  # any half-line the noise opened times out
    assert dte.command("AT").final == "OK"
    assert dte.command("AT+IPR?").lines == ["+IPR: 9600"]


def test_cfun_query_and_set():
    sim, module, dte = quiet_make(bearer=FakeBearer())
    assert dte.command("AT+CFUN?").lines == ["+CFUN: 1"]
    assert dte.command("AT+CFUN=4").ok
    assert dte.command("AT+CFUN?").lines == ["+CFUN: 4"]
    assert dte.command("AT+CFUN=2").final == "ERROR"
    assert dte.command("AT+CFUN=?").lines == ["+CFUN: (0,1,4),(0-1)"]


def test_dial_without_call_support():
    sim, module, dte = quiet_make(bearer=FakeBearer())
    assert dte.command("ATD*99#").final == "NO CARRIER"
    assert dte.command("ATD+33123456789").final == "NO CARRIER"
    assert dte.command("ATA").final == "NO CARRIER"
    assert dte.command("ATH").final == "OK"
    assert dte.command("ATO").final == "NO CARRIER"


def test_cclk_runs_on_virtual_time_and_can_be_set():
    sim, module, dte = quiet_make()
    # Virtual time 0 is 2024-01-01 00:00:00 UTC; the command runs a few ms after t=0.
    assert dte.command("AT+CCLK?").lines == ['+CCLK: "24/01/01,00:00:00+00"']
    dte.wait(3661)
    assert dte.command("AT+CCLK?").lines == ['+CCLK: "24/01/01,01:01:01+00"']
    assert dte.command('AT+CCLK="25/06/30,23:59:50+08"').ok  # +08 = two hours ahead of UTC
    dte.wait(20)
    assert dte.command("AT+CCLK?").lines == ['+CCLK: "25/07/01,00:00:10+08"']
    # Module.clock() is Unix time: 2025-06-30 21:59:50 UTC + 20 s.
    assert abs(module.clock() - (1751320790 + 20)) < 0.1
    assert dte.command('AT+CCLK="bad"').final == "ERROR"


def test_read_forms_follow_the_spec_shapes():
    sim, module, dte = quiet_make(bearer=FakeBearer())
    dte.command("AT+CLIP=1")
    assert dte.command("AT+CLIP?").lines == ["+CLIP: 1,1"]  # TS 27.007 §7.6 <n>,<m>
    assert dte.command("AT+CCWA?").lines == ["+CCWA: 0"]  # §7.12 read shows <n> only
    assert dte.command("AT+CSMS=1").lines == ["+CSMS: 1,1,1"]  # TS 27.005 §3.2.1
    assert dte.command("AT+CSMS?").lines == ["+CSMS: 1,1,1,1"]


def test_cind_and_cmer_indicator_events():
    bearer = FakeBearer()
    sim, module, dte = quiet_make(bearer=bearer)
    assert dte.command("AT+CIND=?").lines == [
        '+CIND: ("battchg",(0-5)),("signal",(0-5)),("service",(0,1)),("message",(0,1)),'
        '("call",(0,1)),("roam",(0,1)),("smsfull",(0,1))'
    ]
    # rssi 21 -> (21 + 5) // 6 = 4 bars; registered home: service 1, roam 0.
    assert dte.command("AT+CIND?").lines == ["+CIND: 5,4,1,0,0,0,0"]
    dte.command("AT+CMER=3,0,0,1")
    bearer.radio.set("cs", 5)  # roaming: service stays 1, roam 0 -> 1
    dte.wait(0.01)
    assert dte.read_available() == b"\r\n+CIEV: 6,1\r\n"
    bearer.radio.set("cs", 2)  # searching
    dte.wait(0.01)
    assert dte.read_available() == b"\r\n+CIEV: 3,0\r\n\r\n+CIEV: 6,0\r\n"
