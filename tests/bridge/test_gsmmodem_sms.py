"""python-gsmmodem-new (from PyPI, unmodified) does SMS and USSD through ``simnet serve --pty``
on the SIM7600 and the L610, as its users do: sendSms with and without a delivery report (PDU and
text mode), receiving (smsReceivedCallbackFunc on +CMTI), reading, listing and deleting stored
messages, USSD with a menu. The other end is a phone host of the scenario; what it received is
read from the simulation (``Served.call`` runs inside the simulation's thread).

The library handles each URC in a thread of its own (``GsmModem._handleModemNotification``):
a +CMTI handler reads the message, calls back, and only then deletes it; a +CDSI handler reads
and deletes the report. Those threads write to the module between the test's own commands:
the test waits for the library to be idle (``settle``) before it starts the next exchange, and
every wait is a deadline, not a fixed pause - under CPU load the threads run late, not
differently (a test that paused 1.5 s and polled for 5 s failed once under load)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from simnet.bridge.serve import serving

gsmmodem = pytest.importorskip("gsmmodem.modem")

PHONE = "+33611111111"
MODULES = ("simcom-sim7600", "fibocom-l610")


def scenario(module: str) -> dict:
    return {
        "name": f"gsmmodem sms on {module}",
        "module": module,
        "network": {
            "registration": {"state": "home", "after": "0s"},
            "apn": {"name": "internet"},
            "sms": {"submit_delay": 0.3, "deliver_delay": 0.2},
            "ussd": {
                "*100#": "Balance 12.50 EUR",
                "*123#": {"text": "1 Balance\n2 Data", "options": {"2": "1.2 GB left"}},
            },
        },
        "hosts": {"phone": {"msisdn": PHONE}},
        "steps": [{"wait": 0}],
    }


def inbox(served) -> list[dict]:
    return served.call(served.sim.host("phone").sms)


DEADLINE = 30.0  # wall seconds; the exchanges take well under one unloaded


def until(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout:g} s: {what}"
        time.sleep(0.05)


def smsc_idle(served) -> bool:
    """Every message and status report the SMSC took is delivered (to the module or a phone)."""
    return served.call(lambda: all(m.status != "pending" for m in served.sim.world.smsc.messages))


def delivered(served, ids: list[int]) -> bool:
    """The SMSC delivered the messages ``ids`` (the module acknowledged them: stored)."""
    smsc = served.sim.world.smsc
    return served.call(lambda: {m.id for m in smsc.messages if m.status == "delivered"} >= set(ids))


def settle(served, quiet: float = 0.5) -> None:
    """Wait until the SMSC has nothing in flight (every message and status report delivered to
    the module or to a phone) and no python-gsmmodem notification handler has run for
    ``quiet`` seconds: the URCs of those deliveries were read and handled to the end."""

    def handlers() -> bool:
        return any("HandleModemNotification" in t.name for t in threading.enumerate())

    until(lambda: smsc_idle(served), "the SMSC delivers what it holds")
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < quiet:
        if handlers():
            until(lambda: not handlers(), "python-gsmmodem handles its notifications")
            idle_since = time.monotonic()
        time.sleep(0.02)


# a notification handler of the library that raised (a URC taken into another command's answer)
# fails the test: every URC of the exchange must be handled
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.parametrize("module", MODULES)
def test_send_receive_store_delete_and_ussd(module: str) -> None:
    received: list = []
    arrived = threading.Event()

    def on_sms(sms) -> None:
        received.append(sms)
        arrived.set()

    with serving(scenario(module), pty=True) as served:
        modem = gsmmodem.GsmModem(served.address, 115200, smsReceivedCallbackFunc=on_sms)
        try:
            modem.connect()
            # PDU mode (the library's default): a delivery report is asked for and waited on
            sent = modem.sendSms(
                PHONE, "Alarm: door open", waitForDeliveryReport=True, deliveryTimeout=10
            )
            assert sent.report is not None and sent.report.deliveryStatus == 0  # TP-ST 0: received
            assert sent.status == gsmmodem.SentSms.DELIVERED
            assert [m["text"] for m in inbox(served)] == ["Alarm: door open"]
            assert inbox(served)[0]["from"] == "+33600000001"
            # text mode without a delivery report (AT+CSMP=17: no TP-SRR)
            modem.smsTextMode = True
            modem.write("AT+CSMP=17,167,0,0")
            modem.sendSms(PHONE, "text mode", waitForDeliveryReport=False)
            until(lambda: len(inbox(served)) == 2, "the text-mode message reaches the phone")
            assert inbox(served)[1]["text"] == "text mode"
            modem.smsTextMode = False
            # (text mode sends in the TE character set: GSM; the library switches to UCS2 for
            # the next one, which it sends in PDU mode)
            # a long UCS2 text: concatenated PDUs, joined at the phone
            # Each part asks for a status report. The library sends a part as AT+CMGS=<length>,
            # then the PDU after "> " - two commands, each under its lock: a +CDSI handler that
            # runs in between writes AT+CMGR into the prompt, where the module takes it as the
            # PDU (+CMS ERROR: 304, and the handler times out). A real module does the same; so,
            # as a careful host would, status reports are not routed to the TE while the parts
            # go out (TS 27.005 §3.4.1 <ds>=0), and are again afterwards (the library's 2,1,0,2).
            modem.write("AT+CNMI=2,1,0,0")
            long_text = "Température élevée: 41°C — ЗАПУСК " * 5
            modem.sendSms(PHONE, long_text)
            until(lambda: len(inbox(served)) == 3, "the three parts reach the phone")
            assert inbox(served)[2]["text"] == long_text and inbox(served)[2]["parts"] == 3
            settle(served)  # the parts' status reports reached the module
            modem.write("AT+CNMI=2,1,0,2")

            # receiving: +CMTI, the library reads the message (AT+CMGR) and deletes it
            served.call(served.sim.host("phone").send_sms, "RESET 42")
            assert arrived.wait(DEADLINE)
            assert received[0].number == PHONE and received[0].text == "RESET 42"
            settle(served)  # the library deletes the message after its callback returned

            # stored messages: indications off, two messages arrive and stay in memory
            modem.write("AT+CNMI=2,0,0,2")
            ids = served.call(served.sim.host("phone").send_sms, "first")
            ids += served.call(served.sim.host("phone").send_sms, "second")

            def texts() -> list:  # the L610 keeps status reports in the same memory (<mem3>)
                return [
                    s
                    for s in modem.listStoredSms(gsmmodem.Sms.STATUS_ALL)
                    if isinstance(s, gsmmodem.ReceivedSms)
                ]

            until(lambda: delivered(served, ids), "both messages are stored in the module")
            stored = texts()
            assert sorted(s.text for s in stored) == ["first", "second"]
            first = next(s for s in stored if s.text == "first")
            assert modem.readStoredSms(first.index).text == "first"  # AT+CMGR=<index>
            modem.deleteStoredSms(first.index)
            assert [s.text for s in texts()] == ["second"]
            modem.deleteMultipleStoredSms()
            assert modem.listStoredSms(gsmmodem.Sms.STATUS_ALL) == []

            # USSD: a plain answer, then a menu dialogue (the USSD string is in the TE character
            # set too, which the UCS2 message left at UCS2)
            modem.smsEncoding = "GSM"
            assert modem.sendUssd("*100#").message == "Balance 12.50 EUR"
            menu = modem.sendUssd("*123#")
            assert menu.sessionActive and menu.message == "1 Balance\n2 Data"
            answer = menu.reply("2")
            assert answer.message == "1.2 GB left" and not answer.sessionActive
        finally:
            modem.close()
