"""The bearer seam (simnet.bearer.api): the real bearer and the module-core fakes both satisfy
its Protocols. The annotated assignments are checked by mypy (``make lint``); the isinstance
checks make the same promise at run time (member names)."""

from __future__ import annotations

from simnet.bearer import ModemBearer
from simnet.bearer.api import BearerApi, CsdApi, GprsApi, RadioApi, SimCardApi
from simnet.kernel import Simulation
from tests.modem.helpers import FakeBearer, FakeGprs, FakeRadio, FakeSimCard


def test_real_bearer_satisfies_the_protocols() -> None:
    bearer: BearerApi = ModemBearer(Simulation(1))
    assert isinstance(bearer, BearerApi)
    assert isinstance(bearer.sim_card, SimCardApi)
    assert isinstance(bearer.radio, RadioApi)
    assert isinstance(bearer.gprs, GprsApi)
    assert isinstance(bearer.csd, CsdApi)
    assert bearer.dialup is not None and bearer.operator is not None


def test_fakes_satisfy_the_protocols() -> None:
    sim = Simulation(1)
    card: SimCardApi = FakeSimCard()
    radio: RadioApi = FakeRadio()
    gprs: GprsApi = FakeGprs(sim)
    bearer: BearerApi = FakeBearer(gprs=FakeGprs(sim))
    for obj, proto in ((card, SimCardApi), (radio, RadioApi), (gprs, GprsApi), (bearer, BearerApi)):
        assert isinstance(obj, proto)
    # The fake bearer serves no data calls and no dial-up: optional services are None.
    assert bearer.csd is None and bearer.dialup is None and bearer.operator is None
    assert bearer.profile is None and bearer.link_control is None
