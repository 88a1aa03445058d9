"""What a failing test looks like: this one fails on purpose (strict xfail) so that its report
shows the evidence simnet attaches - the trace, its digest, a sequence chart and the command
that replays the test. Run ``pytest examples/pytest/test_failure_evidence.py -rx`` and read the
"simnet evidence of failing tests" section."""

from __future__ import annotations

import pytest
from tracker import Tracker


@pytest.mark.xfail(
    strict=True, reason="deliberately failing: shows the evidence a failing test carries"
)
@pytest.mark.simnet("scenarios/tracker.yaml")
def test_a_tracker_without_reconnect_loses_its_report(simnet_sim):
    tracker = Tracker(simnet_sim, reconnect=False)
    tracker.connect()
    assert tracker.report(b"HELLO")
    simnet_sim.advance(300)  # longer than the NAT's 240 s idle timeout
    assert tracker.report(b"WORLD"), "the report after five idle minutes was lost"
