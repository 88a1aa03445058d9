"""The start-up sequence of python-gsmmodem-new (gsmmodem/modem.py GsmModem.connect()), replayed
command by command against every module whose dialect is built.

The list below was read from the installed library (connect(), _unlockSim(), supportedCommands,
smsc): each command the library requires to succeed must answer OK with the lines it parses;
the probes it tolerates failing (+ZPAS for ZTE, +WIND for Wavecom) must answer ERROR on
modules that are not from those vendors, so the library picks the right call-status table.
"""

import re

import pytest

from simnet import ConfigError, Simulation
from simnet.modem import DTE, create_module, list_modules
from tests.modem.helpers import FAST, FakeBearer


def built_modules() -> list[str]:
    out = []
    for p in list_modules():
        try:
            create_module(Simulation(1), p.id, FakeBearer(), None)
        except ConfigError:
            continue
        out.append(p.id)
    return out


MUST_SUCCEED = [
    ("AT", None),
    ("ATZ", None),
    ("ATE0", None),
    ("AT+CFUN?", r"^\+CFUN: 1"),
    ("AT+CMEE=1", None),
    ("AT+CPIN?", r"^\+CPIN: READY$"),
    ("AT+COPS=3,0", None),
    ("AT+CMGF=0", None),
    ("AT+CSCA?", r'^\+CSCA: ".*",\d+$'),
    ("AT+CSMP=49,167,0,0", None),
    ("AT+CPMS=?", r"^\+CPMS: \(.*\"(ME|SM)\".*\),\(.*\),\(.*\)$"),
    ('AT+CPMS="ME","ME","ME"', r"^\+CPMS: \d+,\d+,\d+,\d+,\d+,\d+$"),
    ("AT+CNMI=2,1,0,2", None),
    ("AT+CLIP=1", None),
    ("AT+CRC=1", None),
    ("AT+CVHU=0", None),
    ("AT+CSQ", r"^\+CSQ: \d+,\d+$"),
    ("AT+CGMI", r"."),
    ("AT+CGMM", r"."),
    ("AT+CGMR", r"."),
    ("AT+CGSN", r"\d{15}"),
    ("AT+CIMI", r"^\d{15}$"),
    ("AT+COPS?", r'^\+COPS: \d,\d,".+"'),
    ("AT+CREG?", r"^\+CREG:\s*\d,\d"),
]


@pytest.mark.parametrize("module_id", built_modules())
def test_gsmmodem_connect_sequence(module_id):
    sim = Simulation(3)
    module = create_module(sim, module_id, FakeBearer(), None, latency=dict(FAST))
    dte = DTE(sim, module)
    for line, pattern in MUST_SUCCEED:
        r = dte.command(line, timeout=60)
        assert r.final == "OK", (line, r.raw)
        if pattern:
            assert any(re.search(pattern, ln) for ln in r.lines), (line, r.lines)
    # AT+CLAC: a multi-line list the library splits into command names.
    r = dte.command("AT+CLAC", timeout=60)
    assert r.final == "OK" and len(r.lines) > 10
    names = {ln.removeprefix("AT") for ln in r.lines}
    assert "+CGMI" in names and "+CPIN" in names
    # Vendor probes the library expects to fail on other vendors' modules.
    assert "ERROR" in dte.command("AT+ZPAS?").final
    if not module_id.startswith("wavecom"):
        assert "ERROR" in dte.command("AT+WIND?").final
