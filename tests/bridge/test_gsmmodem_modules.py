"""python-gsmmodem-new (from PyPI, unmodified) drives each module it can talk to over
``simnet serve --pty``: its whole start-up (``connect()``), then the non-SMS calls a user makes
first: identity, IMSI, signal, network name, waiting for coverage, the command list."""

from __future__ import annotations

import pytest

import simnet

gsmmodem = pytest.importorskip("gsmmodem.modem")


def scenario(module: str) -> dict:
    return {
        "name": f"gsmmodem on {module}", "module": module,
        "network": {"registration": {"state": "home", "after": "0s"}, "apn": {"name": "internet"},
                    "signal": {"rssi": 17, "ber": 0}},
        "steps": [{"wait": 0}],
    }


IDENTITY = {
    "simcom-sim7600": ("SIMCOM INCORPORATED", "SIMCOM_SIM7600E-H"),
    "simcom-a7670": ("SIMCOM INCORPORATED", "A7670E-LASE"),
    "fibocom-l610": ("Fibocom Wireless Inc.", "L610"),
}


@pytest.mark.parametrize("module", sorted(IDENTITY))
def test_python_gsmmodem_drives_the_module(module: str) -> None:
    data = scenario(module)
    with simnet.serve(data, pty=True) as path:
        modem = gsmmodem.GsmModem(path, 115200)
        try:
            modem.connect()  # the library's whole start-up sequence
            manufacturer, model = IDENTITY[module]
            assert modem.manufacturer == manufacturer
            assert modem.model == model
            assert modem.revision
            assert modem.imei.isdigit() and len(modem.imei) == 15
            assert modem.imsi == "001010123456789" or modem.imsi.isdigit()
            assert modem.signalStrength == 17  # the scenario's +CSQ rssi
            assert modem.waitForNetworkCoverage(10) == 17
            assert modem.networkName  # +COPS? long name of the operator
            assert "+CGMI" in modem.supportedCommands
        finally:
            modem.close()
