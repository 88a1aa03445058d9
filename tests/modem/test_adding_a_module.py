"""docs/architecture.md "Adding a module", followed step by step for a made-up vendor ("Acme
AC100", in this file so the product lists no fake module), and the layout every real vendor
package keeps. Exact bytes on the UART."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from simnet.kernel import Simulation
from simnet.modem import DTE, create_module
from simnet.modem.at import Command, Final, cme_error
from simnet.modem.dialect import Context, Dialect, Latency, command, sim_ready
from simnet.modem.params import OneOf, Param, Persistence, Range, Setting, Text
from simnet.modem.profile import ModuleProfile
from simnet.modem.registry import MODULES, load_dialect_class
from simnet.modem.vendors import VENDOR_PACKAGES
from tests.dte_helpers import exchange
from tests.modem.helpers import FAST, FakeBearer

ROOT = Path(__file__).resolve().parents[2]

# -- step 1: the profile (vendors/acme/profile.py) ------------------------------------------------
AC100 = ModuleProfile(
    id="acme-ac100",
    description="made-up module of the guide",
    vendor="Acme",
    dialect="tests.modem.test_adding_a_module:AcmeDialect",
    manufacturer="ACME",
    model="AC100",
    revision="AC100R01",
    imei_tac="35000000",
    latency=dict(FAST),
)

# -- step 2: the tables (vendors/acme/tables.py) - one row per plain parameter command ----------
BAND = Setting("+ABAND", (Param("band", OneOf((900, 1800, 1900)), 900),), "Acme §2.1",
               persistence=Persistence.NV)
LABEL = Setting("+ALABEL", (Param("label", Text(8), "acme"), Param("tz", Range(-4, 4), 0)),
                "Acme §2.2")
LATENCIES = {"ping": Latency(0.25, 0.25, "Acme §3.1 answers after 250 ms")}


# -- step 3: the dialect (vendors/acme/dialect.py) - data plus a few handlers --------------------
class AcmeDialect(Dialect):
    settings = (BAND, LABEL)
    own_bad_argument = cme_error(3)  # Acme §1.4: its own commands answer "operation not allowed"
    latencies = LATENCIES

    @command("+APING", forms="e", requires=(sim_ready,))
    def aping(self, ctx: Context, cmd: Command) -> Final | None:
        """OK now, ``+APING: <band>`` on the virtual clock later (a shared service)."""
        band = self.params["+ABAND"]["band"]
        self.later(self.latency("ping"), self.urc, f"+APING: {band}")
        return ctx.ok()


class _SimWithDte(Simulation):
    """A kernel Simulation that carries its DTE (a subclass: compiled, the kernel's own
    Simulation takes no new attributes)."""

    dte: DTE


def _acme(seed: int = 1) -> tuple[Simulation, DTE]:
    sim = _SimWithDte(seed)
    module = create_module(sim, AC100, FakeBearer())  # the profile's dialect path is loaded
    dte = DTE(sim, module)
    sim.dte = dte
    sim.run(0.1)
    return sim, dte


def said(sim: Simulation, line: str, expected: bytes) -> bool:
    return exchange(sim, line, expected) == expected


def test_a_plain_parameter_command_is_one_row() -> None:
    sim, _ = _acme()
    assert said(sim, "ATE0", b"ATE0\r\r\nOK\r\n")
    assert said(sim, "AT+ABAND=?", b"\r\n+ABAND: (900,1800,1900)\r\n\r\nOK\r\n")
    assert said(sim, "AT+ABAND?", b"\r\n+ABAND: 900\r\n\r\nOK\r\n")
    assert said(sim, "AT+ABAND=1800", b"\r\nOK\r\n")
    assert said(sim, "AT+ABAND?", b"\r\n+ABAND: 1800\r\n\r\nOK\r\n")
    assert said(sim, "AT+CMEE=1", b"\r\nOK\r\n")
    assert said(sim, "AT+ABAND=850", b"\r\n+CME ERROR: 3\r\n")  # the vendor's error policy
    assert said(sim, "AT+ALABEL?", b'\r\n+ALABEL: "acme",0\r\n\r\nOK\r\n')
    assert said(sim, 'AT+ALABEL="truck7",-2', b"\r\nOK\r\n")
    assert said(sim, "AT+ALABEL?", b'\r\n+ALABEL: "truck7",-2\r\n\r\nOK\r\n')


def test_persistence_as_the_row_says_and_a_handler_on_the_virtual_clock() -> None:
    sim, dte = _acme()
    assert said(sim, "ATE0", b"ATE0\r\r\nOK\r\n")
    assert said(sim, "AT+ABAND=1900;+ALABEL=\"x\"", b"\r\nOK\r\n")
    assert said(sim, "AT+APING", b"\r\nOK\r\n")
    t0 = sim.now
    assert dte.expect(r"\+APING: 1900\r\n", 1.0)
    assert sim.now - t0 == pytest.approx(0.25, abs=0.01)
    assert said(sim, "AT+CFUN=1,1", b"\r\nOK\r\n")
    sim.run(1.0)
    dte.read_available()
    assert said(sim, "ATE0", b"ATE0\r\r\nOK\r\n")
    assert said(sim, "AT+ABAND?", b"\r\n+ABAND: 1900\r\n\r\nOK\r\n")  # nv: kept
    assert said(sim, "AT+ALABEL?", b'\r\n+ALABEL: "acme",0\r\n\r\nOK\r\n')  # volatile: lost


@pytest.mark.parametrize("vendor", VENDOR_PACKAGES)
def test_every_vendor_package_keeps_the_layout(vendor: str) -> None:
    """profile.py with PROFILES whose dialects load; tests mirrored under tests/modem/vendors."""
    package = ROOT / "simnet" / "modem" / "vendors" / vendor
    profiles = importlib.import_module(f"simnet.modem.vendors.{vendor}.profile").PROFILES
    assert profiles, vendor
    for profile in profiles:
        assert MODULES[profile.id] is profile
        assert profile.dialect.startswith(f"simnet.modem.vendors.{vendor}")
        assert issubclass(load_dialect_class(profile), Dialect)
        assert (package / "tables.py").exists() or any(package.glob("*/tables.py"))
    assert (ROOT / "tests" / "modem" / "vendors" / vendor).is_dir()
