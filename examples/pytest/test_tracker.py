"""The firmware's story: a tracker idle for five minutes behind a NAT that forgets idle TCP
mappings after four (tracker.yaml). Without help its next report meets a dead connection;
reconnecting or a heartbeat shorter than the NAT timeout keeps reports flowing."""

from __future__ import annotations

import pytest
from tracker import Tracker

pytestmark = pytest.mark.simnet("scenarios/tracker.yaml")
COLLECTOR = "collector.example.net"


def test_a_report_after_five_idle_minutes_reconnects(simnet_sim):
    tracker = Tracker(simnet_sim)
    tracker.connect()
    assert tracker.report(b"HELLO")
    tracker.idle(300)  # the NAT (240 s) forgets the mapping; the server answers RST
    assert tracker.report(b"WORLD")
    assert tracker.reconnects == 1
    # HELLO, WORLD on the dead connection (answered by RST), WORLD again after the reconnect
    assert simnet_sim.host(COLLECTOR).bytes_received(service="tcp-echo") == 10


def test_a_heartbeat_shorter_than_the_nat_timeout_keeps_the_connection(simnet_sim):
    tracker = Tracker(simnet_sim, heartbeat=120)
    tracker.connect()
    assert tracker.report(b"HELLO")
    tracker.idle(300)  # heartbeats at 120 s and 240 s after HELLO
    assert tracker.report(b"WORLD")
    assert tracker.reconnects == 0
    assert simnet_sim.host(COLLECTOR).bytes_received(service="tcp-echo") == 5 + 2 + 5
