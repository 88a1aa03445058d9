"""A GSM data call to the operator's dial-in PPP server (ATD<number>, CONNECT 9600): when the
server's PPP link is dead the operator releases the call and the module reports NO CARRIER on
the UART at that instant (an ISP access server hangs up when PPP ends).

Timing rules: UART 115200 baud, 10 bits per character (n bytes take n / 11520 s); RFC 1661
§5.5: the receiver of a Terminate-Request acks it and disconnects one Restart (3 s) later.
"""

from __future__ import annotations

import pytest

from simnet import Simulation
from simnet.bearer import CsdConfig, ModemBearer, OperatorConfig, RadioConfig
from simnet.bearer.ppp import PppConfig, PppDriver, PppEndpoint
from simnet.modem import DTE, create_module
from simnet.modem.dialect import Dialect
from tests.modem.helpers import FAST

UART_CPS = 115200 / 10
RESTART = 3.0
NO_CARRIER = b"\r\nNO CARRIER\r\n"


def call_with_pppd(seed: int = 4, fault: tuple[str, str] | None = None):
    sim = Simulation(seed)
    bearer = ModemBearer(sim, operator=OperatorConfig(
        bearer="gsm", user="demo", password="secret", auth="pap",
        radio=RadioConfig(registration_delay=1.0), csd=CsdConfig(setup_time=5.0)))
    if fault is not None:
        bearer.ppp_fail(*fault)
    module = create_module(sim, "simcom-sim7600", bearer, None, dialect=Dialect, latency=dict(FAST))
    dte = DTE(sim, module)
    dte.command("ATE0")
    dte.wait(2)
    assert dte.command("ATD5551234", timeout=30).raw == b"\r\nCONNECT 9600\r\n"
    chunks: list[tuple[float, bytes]] = []
    pppd = PppDriver(sim, PppEndpoint(PppConfig(role="client", auth="pap", username="demo",
                                                password="secret"), sim.rng("host.pppd")),
                     dte.write, name="host.pppd")
    keep = dte.port.on_receive

    def both(data: bytes, t: float, bt: float) -> None:
        chunks.append((t, bytes(data)))
        keep(data, t, bt)
        pppd.receive_bytes(data)

    dte.port.on_receive = both
    pppd.start()
    sim.run_until(lambda: pppd.result.triggered, 60)
    return sim, bearer, module, dte, pppd, chunks


def server_rx(sim: Simulation, what: str) -> list[float]:
    return [r.t for r in sim.trace.select(source="bearer.ppp.server", kind="ppp_rx")
            if what in r.fields["frame"]]


def test_host_terminates_operator_hangs_up_one_restart_after_its_ack():
    sim, bearer, module, dte, pppd, chunks = call_with_pppd()
    assert pppd.result.value.ok
    pppd.close()  # the host ends PPP: LCP Terminate-Request over the call
    sim.advance(RESTART + 2.0)
    (t_req,) = server_rx(sim, "Terminate-Request")
    hits = [t for t, c in chunks if c == NO_CARRIER]
    assert hits == pytest.approx([t_req + RESTART + len(NO_CARRIER) / UART_CPS], abs=1e-9)
    assert chunks[-1][1] == NO_CARRIER  # nothing after it
    assert not module.in_data_mode and bearer.csd.call is None
    assert dte.command("AT").raw == b"\r\nOK\r\n"


def test_ipcp_failure_ends_with_the_operator_hanging_up():
    """ppp-fail ipcp/reject: the server Configure-Rejects every IPCP option, the host gives up
    (ipcp_failed) and terminates LCP; the server acks and releases the call Restart later."""
    sim, bearer, module, dte, pppd, chunks = call_with_pppd(fault=("ipcp", "reject"))
    assert pppd.result.value.kind == "ipcp_failed"
    sim.advance(RESTART + 2.0)
    (t_req,) = server_rx(sim, "LCP Terminate-Request")
    hits = [t for t, c in chunks if c == NO_CARRIER]
    assert hits == pytest.approx([t_req + RESTART + len(NO_CARRIER) / UART_CPS], abs=1e-9)
    assert not module.in_data_mode
