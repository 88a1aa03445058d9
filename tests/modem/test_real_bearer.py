"""Base commands wired to the real bearer (simnet.bearer.ModemBearer): SIM, registration,
packet domain and GSM data calls (ATD / RING / ATA / S0 / NO CARRIER).

Timing bounds come from the bearer's documented defaults (OperatorConfig / CsdConfig):
registration after 2 s, PDP activation 0.5-2.5 s, CSD set-up 15-25 s, answer 5 s.
"""

from simnet import Simulation
from simnet.bearer.modem_bearer import ModemBearer
from simnet.modem import DTE, create_module
from simnet.modem.dialect import Dialect
from tests.modem.helpers import FAST


def setup(seed=2):
    sim = Simulation(seed)
    bearer = ModemBearer(sim)
    module = create_module(sim, "simcom-sim7600", bearer, None, dialect=Dialect,
                           latency=dict(FAST))
    dte = DTE(sim, module)
    dte.command("ATE0")
    dte.command("AT+CMEE=2")
    return sim, bearer, module, dte


def test_registration_and_pdp_activation():
    sim, bearer, module, dte = setup()
    assert dte.command("AT+CPIN?").lines == ["+CPIN: READY"]
    assert dte.command("AT+CREG?").lines == ["+CREG: 0,2"]  # searching until registered
    dte.command("AT+CREG=1")
    dte.wait(5)
    assert dte.read_available() == b"\r\n+CREG: 1\r\n"
    assert dte.command("AT+CGATT?").lines == ["+CGATT: 1"]
    assert dte.command('AT+CGDCONT=1,"IP","internet"').ok
    r = dte.command("AT+CGACT=1,1", timeout=60)
    assert r.ok and 0.5 <= r.elapsed <= 2.6
    (line,) = dte.command("AT+CGPADDR=1").lines
    assert line.startswith('+CGPADDR: 1,"10.64.')
    assert dte.command("AT+CGACT?").lines == ["+CGACT: 1,1"]


def test_pdp_reject_cause_reaches_the_host():
    sim, bearer, module, dte = setup()
    dte.wait(5)
    dte.command('AT+CGDCONT=1,"IP","internet"')
    bearer.pdp_reject(33)
    r = dte.command("AT+CGACT=1,1", timeout=60)
    assert r.final == "+CME ERROR: requested service option not subscribed"


def test_csd_dial_connect_escape_hang_up():
    sim, bearer, module, dte = setup()
    dte.wait(5)
    r = dte.command("ATD12345", timeout=60)
    assert r.raw == b"\r\nCONNECT 9600\r\n"
    assert 15.0 <= r.elapsed <= 25.1
    assert dte.dcd
    # The far end is the operator's dial-in PPP server: its LCP frames arrive (0x7E flags).
    dte.wait(3)
    assert dte.read_available().startswith(b"~\xff")
    dte.wait(1)
    dte.write("+++")
    dte.expect(r"\r\nOK\r\n", timeout=3)
    assert dte.command("ATH").ok
    assert bearer.csd.call is None
    assert not dte.dcd


def test_csd_busy_and_abort():
    sim, bearer, module, dte = setup()
    dte.wait(5)
    bearer.call_fail("busy")
    assert dte.command("ATD12345", timeout=60).final == "BUSY"
    # Any character while dialling aborts the attempt (V.250 §6.3.1).
    dte.write("ATD12345\r")
    dte.wait(2)
    dte.write("x")
    dte.expect(r"\r\nNO CARRIER\r\n", timeout=3)
    assert bearer.csd.call is None


def test_remote_hang_up_gives_no_carrier():
    sim, bearer, module, dte = setup()
    dte.wait(5)
    dte.command("ATD12345", timeout=60)
    dte.wait(1)
    bearer.csd.remote_hangup()
    dte.expect(r"\r\nNO CARRIER\r\n", timeout=1)
    assert dte.command("AT").ok


def test_incoming_call_ring_clip_and_answer():
    sim, bearer, module, dte = setup()
    dte.wait(5)
    dte.command("AT+CLIP=1")
    bearer.csd.incoming_call("+33123456789")
    dte.wait(0.1)
    assert dte.read_available() == b'\r\nRING\r\n\r\n+CLIP: "+33123456789",145,,,,0\r\n'
    assert dte.ri
    dte.wait(1.5)
    assert not dte.ri
    r = dte.command("ATA", timeout=60)
    assert r.raw == b"\r\nCONNECT 9600\r\n" and 5.0 <= r.elapsed < 5.1


def test_crc_gives_cring_and_s0_auto_answers():
    sim, bearer, module, dte = setup()
    dte.wait(5)
    dte.command("AT+CRC=1")
    dte.command("ATS0=2")
    bearer.csd.incoming_call("+33123456789")
    # Rings every 5 s (CsdConfig.ring_interval); the second ring triggers the answer (5 s).
    dte.expect(r"CONNECT 9600\r\n", timeout=20)
    assert dte.received.count(b"+CRING: REL ASYNC") == 2
    assert module.in_data_mode


def test_gprs_dial_up_ppp_gets_the_pdp_address():
    from simnet.bearer.ppp import PppConfig, PppDriver, PppEndpoint

    sim, bearer, module, dte = setup()
    dte.wait(5)
    dte.command('AT+CGDCONT=1,"IP","internet"')
    assert dte.command("ATD*99***1#").raw == b"\r\nCONNECT 115200\r\n"
    # The host runs PPP as a client over the UART (what pppd does after CONNECT).
    client = PppDriver(sim, PppEndpoint(PppConfig(), sim.rng("host.ppp")), dte.write, name="host")
    keep = dte.port.on_receive

    def both(data, t, bt):
        keep(data, t, bt)
        client.receive_bytes(data)

    dte.port.on_receive = both
    client.start()
    assert sim.run_until(lambda: client.result.triggered, 60)
    outcome = client.result.value
    assert outcome.ok and outcome.ip == bearer.gprs.contexts[1].ip
    assert module.in_data_mode  # the UART stays in data mode while PPP runs
    # The host ends PPP (LCP Terminate): the module leaves data mode with NO CARRIER.
    client.close()
    dte.expect(r"\r\nNO CARRIER\r\n", timeout=30)
    assert not module.in_data_mode
    dte.wait(2)
    assert not bearer.gprs.is_active(1)


def test_gprs_dial_up_syntax():
    sim, bearer, module, dte = setup()
    dte.wait(5)
    assert dte.command("ATD*99***x#").final == "ERROR"  # <cid> must be a number
    assert dte.command("ATD*99***1").final == "ERROR"  # no terminating '#'
    assert dte.command("ATD*99**IP*1#").final == "ERROR"  # L2P other than PPP


def test_cgev_reports_network_deactivation():
    sim, bearer, module, dte = setup()
    dte.wait(5)
    dte.command("AT+CGEREP=1")
    dte.command('AT+CGDCONT=1,"IP","internet"')
    dte.command("AT+CGACT=1,1", timeout=60)
    bearer.network_deactivate(1)
    dte.expect(r"\r\n\+CGEV: NW PDN DEACT 1\r\n", timeout=10)
    assert dte.command("AT+CGACT?").lines == ["+CGACT: 1,0"]


def test_cgauth_credentials_reach_the_network_check():
    from simnet.bearer import OperatorConfig

    sim = Simulation(4)
    bearer = ModemBearer(sim, operator=OperatorConfig(user="u", password="p", auth="pap"))
    module = create_module(sim, "simcom-sim7600", bearer, None, dialect=Dialect, latency=dict(FAST))
    dte = DTE(sim, module)
    dte.command("ATE0")
    dte.command("AT+CMEE=1")
    dte.wait(5)
    dte.command('AT+CGDCONT=1,"IP","internet"')
    dte.command('AT+CGAUTH=1,1,"u","wrong"')
    assert dte.command("AT+CGACT=1,1", timeout=60).final == "+CME ERROR: 149"
    assert dte.command('AT+CGAUTH=1,1,"u","p"').ok
    assert dte.command("AT+CGAUTH?").lines == ['+CGAUTH: 1,1,"u"']
    assert dte.command("AT+CGACT=1,1", timeout=60).ok


def test_sim_lock_query_enable_change_and_pin_at_boot():
    sim, bearer, module, dte = setup()
    dte.command("AT+CMEE=1")
    assert dte.command('AT+CLCK="SC",2').lines == ["+CLCK: 0"]
    # SimConfig without a PIN: the card's default PIN is "0000" when the lock is first enabled.
    assert dte.command('AT+CLCK="SC",1,"1111"').final == "+CME ERROR: 16"
    assert dte.command('AT+CLCK="SC",1,"0000"').ok
    assert dte.command('AT+CLCK="SC",2').lines == ["+CLCK: 1"]
    assert dte.command('AT+CPWD="SC","0000","4321"').ok
    bearer.sim_card.remove()
    bearer.sim_card.insert()
    assert dte.command("AT+CPIN?").lines == ["+CPIN: SIM PIN"]
    assert dte.command('AT+CPIN="4321"').ok
    assert dte.command('AT+CLCK="AO",2').final == "+CME ERROR: 4"


def test_ring_is_a_result_code_numeric_under_v0_and_silent_under_q1():
    sim, bearer, module, dte = setup()
    dte.wait(5)
    dte.command("ATV0")
    bearer.csd.incoming_call("+33123456789")
    dte.wait(0.1)
    assert dte.read_available() == b"2\r"  # V.250 Table 1: RING is 2
    bearer.csd.hangup()
    dte.command("ATV1")
    dte.write("ATQ1\r")
    dte.wait(0.1)
    dte.read_available()
    bearer.csd.incoming_call("+33123456789")
    dte.wait(0.1)
    assert dte.read_available() == b""


def test_csd_call_flow_controls_a_faster_host():
    sim, bearer, module, dte = setup()
    dte.wait(5)
    dte.command("AT+IFC=2,2")
    dte.rtscts = True
    dte.command("ATD12345", timeout=60)
    far = bearer.csd.call.network_end
    got = bytearray()
    far.on_data = got.extend  # replace the dial-in PPP server: a plain byte sink
    dte.write(b"d" * 20_000)  # at 115200 into a 9600 bit/s call
    dte.wait(5)
    assert not dte.cts  # the module held the host back
    assert not sim.trace.select(kind="rx_overflow")
    dte.wait(30)  # 20 000 bytes at 960 bytes/s take about 21 s on the call
    assert bytes(got) == b"d" * 20_000


def test_cfun_rf_off_reports_not_registered_and_back():
    sim, bearer, module, dte = setup()
    dte.command("AT+CREG=1")
    dte.wait(5)
    dte.read_available()
    assert dte.command("AT+CFUN=4").ok
    dte.wait(0.1)
    assert dte.read_available() == b"\r\n+CREG: 0\r\n"
    assert dte.command("AT+CREG?").lines == ["+CREG: 1,0"]
    assert dte.command("AT+CSQ").lines == ["+CSQ: 99,99"]
    assert dte.command("AT+CFUN=1").ok
    dte.wait(5)
    assert dte.read_available() == b"\r\n+CREG: 2\r\n\r\n+CREG: 1\r\n"  # searching, then home
