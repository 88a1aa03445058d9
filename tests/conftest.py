"""Shared test configuration: hypothesis profiles keep `make test` bounded."""

import os

from hypothesis import HealthCheck, settings

# `make test` uses the "ci" profile: bounded example counts so the suite stays well under
# ten minutes on two cores. SIMNET_HYPOTHESIS=thorough runs the slow property tests harder.
settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("SIMNET_HYPOTHESIS", "ci"))

# `make compiled-check` runs tests against the compiled build: make sure that is the simnet
# imported (not the checkout's sources, which would make the run prove nothing).
if os.environ.get("SIMNET_EXPECT_COMPILED"):
    import simnet

    if not simnet.compiled:
        raise RuntimeError(
            f"SIMNET_EXPECT_COMPILED: {simnet.__file__} is {simnet.build_info()['summary']}"
        )
