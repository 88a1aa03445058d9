"""python-gsmmodem-new (from PyPI, unmodified) does SMS and USSD through ``simnet serve --pty``
on the SIM7600 and the L610, as its users do: sendSms with and without a delivery report (PDU and
text mode), receiving (smsReceivedCallbackFunc on +CMTI), reading, listing and deleting stored
messages, USSD with a menu. The other end is a phone host of the scenario; what it received is
read from the simulation (``Served.call`` runs inside the simulation's thread)."""

from __future__ import annotations

import threading

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
            for _ in range(50):
                if len(inbox(served)) == 2:
                    break
                threading.Event().wait(0.1)
            assert inbox(served)[1]["text"] == "text mode"
            modem.smsTextMode = False
            # (text mode sends in the TE character set: GSM; the library switches to UCS2 for
            # the next one, which it sends in PDU mode)
            # a long UCS2 text: concatenated PDUs, joined at the phone
            long_text = "Température élevée: 41°C — ЗАПУСК " * 5
            modem.sendSms(PHONE, long_text)
            for _ in range(50):
                if len(inbox(served)) == 3:
                    break
                threading.Event().wait(0.1)
            assert inbox(served)[2]["text"] == long_text and inbox(served)[2]["parts"] == 3
            # the parts' status reports (+CDSI) come 0.2 s after each delivery; the library reads
            # and deletes them from its notification thread: let that finish before going on
            threading.Event().wait(1.5)

            # receiving: +CMTI, the library reads the message (AT+CMGR) and deletes it
            served.call(served.sim.host("phone").send_sms, "RESET 42")
            assert arrived.wait(10)
            assert received[0].number == PHONE and received[0].text == "RESET 42"

            # stored messages: indications off, two messages arrive and stay in memory
            modem.write("AT+CNMI=2,0,0,2")
            served.call(served.sim.host("phone").send_sms, "first")
            served.call(served.sim.host("phone").send_sms, "second")
            stored: list = []

            def texts() -> list:  # the L610 keeps status reports in the same memory (<mem3>)
                return [
                    s
                    for s in modem.listStoredSms(gsmmodem.Sms.STATUS_ALL)
                    if isinstance(s, gsmmodem.ReceivedSms)
                ]

            for _ in range(50):
                stored = texts()
                if len(stored) == 2:
                    break
                threading.Event().wait(0.1)
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
