"""First end-to-end check: a module with the base dialect answers over the UART model."""

from simnet import Simulation
from simnet.modem import DTE, create_module
from simnet.modem.dialect import Dialect


def test_at_answers_ok_with_echo_and_crlf():
    sim = Simulation(1)
    module = create_module(sim, "simcom-sim7600", dialect=Dialect)
    dte = DTE(sim, module)
    result = dte.command("AT")
    # V.250 §5.7.1: echo of the line (with its CR), then CR LF OK CR LF.
    assert result.raw == b"AT\r\r\nOK\r\n"
    assert result.final == "OK"
