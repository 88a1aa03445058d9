"""Radio profiles feed the network links: datagram timing over the module's radio link."""

from __future__ import annotations

import pytest

from simnet import ConfigError
from simnet.bearer import PROFILES, get_profile

from .helpers import T0, run_event, world

PAYLOAD = 1000  # bytes of UDP payload; IPv4 datagram = payload + 8 (UDP) + 20 (IPv4)
INTERNET_DELAY = 0.010  # simnet.net default wired link of an internet host


def test_profile_figures_match_the_issue() -> None:
    g = get_profile("gprs_class10")
    assert (g.down_bps, g.up_bps) == (85_600, 42_800)
    assert g.one_way_delay() == {"min": 0.25, "max": 0.5}  # RTT 500-1000 ms
    assert PROFILES["csd_9600"].up_bps == 9600
    with pytest.raises(ConfigError):
        get_profile("5g")


@pytest.mark.parametrize("profile", ["gprs_class10", "edge", "lte_like", "csd_9600"])
def test_uplink_datagram_delay_follows_the_profile(profile: str) -> None:
    sim, net, host, bearer = world(3)
    bearer.gprs.define_context(1, "IP", "internet")
    sim.advance(T0)
    assert run_event(sim, bearer.gprs.activate(1)).ok
    bearer.use_profile(profile)
    p = get_profile(profile)
    server = net.add_host("sink", "198.51.100.20")
    arrivals: list[float] = []
    server.udp_bind(9, on_datagram=lambda sock, data, addr: arrivals.append(sim.now))
    sock = host.udp_bind(0)
    sent = sim.now
    sock.sendto(b"x" * PAYLOAD, ("198.51.100.20", 9))
    sim.advance(5)
    assert len(arrivals) == 1
    serialization = (PAYLOAD + 28) * 8 / p.up_bps
    delay = arrivals[0] - sent
    low = serialization + p.rtt_min / 2 + INTERNET_DELAY
    high = serialization + p.rtt_max / 2 + INTERNET_DELAY
    assert low - 1e-6 <= delay <= high + 1e-3
