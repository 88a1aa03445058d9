"""Shared builders for bearer tests."""

from __future__ import annotations

from simnet.bearer import ModemBearer, OperatorConfig, RadioConfig, get_profile
from simnet.kernel import Simulation
from simnet.net import Network

REG_DELAY = 2.0  # registration delay used by these tests (constant)
T0 = REG_DELAY + 0.5  # tests start their procedures here, once registered


def world(seed: int = 1, **operator):
    """A network with one module host and its bearer; registration completes at REG_DELAY."""
    sim = Simulation(seed)
    net = Network(sim)
    up, down = get_profile("gprs_class10").link_dicts()
    host = net.add_module_host("m1", up, down)
    operator.setdefault("radio", RadioConfig(registration_delay=REG_DELAY))
    bearer = ModemBearer(sim, net, host, OperatorConfig(**operator))
    return sim, net, host, bearer


def run_event(sim: Simulation, event, limit: float = 1000.0):
    sim.run_until(lambda: event.triggered, limit)
    assert event.triggered, "event did not fire"
    return event.value
