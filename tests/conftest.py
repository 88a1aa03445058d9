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
