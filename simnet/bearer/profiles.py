"""Radio link profiles: throughput and delay of the air interface, as ``LinkConfig`` values.

Figures (one-way delay is half the round-trip time the profile is known for):

| profile | down | up | RTT | source of the figures |
| --- | --- | --- | --- | --- |
| gprs_class10 | 85.6 kbit/s | 42.8 kbit/s | 500-1000 ms | 4+1 / 3+2 slots x CS-4 21.4 kbit/s (TS 45.002 Annex B multislot class 10), RTT from the bearer issue |
| edge | 236.8 kbit/s | 118.4 kbit/s | 300-500 ms | 4 / 2 slots x MCS-9 59.2 kbit/s (class 10 EGPRS) |
| lte_like | 20 Mbit/s | 5 Mbit/s | 40-80 ms | a fast, modern bearer for comparison |
| csd_9600 | 9600 bit/s | 9600 bit/s | 300-500 ms | GSM circuit-switched data, V.110 rate adaption |

The rates are the air-interface maxima; a profile may be overridden field by field in the
scenario (``network.uplink`` / ``network.downlink``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simnet.errors import ConfigError


@dataclass(frozen=True)
class RadioProfile:
    name: str
    down_bps: float
    up_bps: float
    rtt_min: float  # seconds
    rtt_max: float
    mtu: int = 1500
    act: int = 0  # +CREG <AcT> (TS 27.007 §7.2): 0 GSM, 3 GSM w/EGPRS, 7 E-UTRAN
    description: str = ""

    def one_way_delay(self) -> dict[str, float]:
        """One-way delay spec for ``make_distribution``: uniform over half the RTT range."""
        return {"min": self.rtt_min / 2, "max": self.rtt_max / 2}

    def link_dicts(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(uplink, downlink) as plain mappings (what ``Network.add_module_host`` accepts)."""
        up = {"delay": self.one_way_delay(), "rate": self.up_bps, "mtu": self.mtu}
        down = {"delay": self.one_way_delay(), "rate": self.down_bps, "mtu": self.mtu}
        return up, down

    def link_configs(self) -> tuple[Any, Any]:
        """(uplink, downlink) ``simnet.net.LinkConfig`` values for this profile."""
        from simnet.net import LinkConfig

        up, down = self.link_dicts()
        return (LinkConfig(**up, prefix=f"{self.name}.uplink"),
                LinkConfig(**down, prefix=f"{self.name}.downlink"))

    def apply(self, network: Any, host_name: str) -> None:
        """Switch the running links of ``host_name`` to this profile (rate and delay)."""
        duplex = network.link(host_name)
        up, down = self.link_dicts()
        duplex.uplink.set_rate(up["rate"])
        duplex.uplink.set_delay(up["delay"])
        duplex.downlink.set_rate(down["rate"])
        duplex.downlink.set_delay(down["delay"])


PROFILES: dict[str, RadioProfile] = {
    p.name: p
    for p in (
        RadioProfile("gprs_class10", 85_600, 42_800, 0.5, 1.0, act=0,
                     description="GPRS multislot class 10, CS-4"),
        RadioProfile("edge", 236_800, 118_400, 0.3, 0.5, act=3,
                     description="EDGE (EGPRS) class 10, MCS-9"),
        RadioProfile("lte_like", 20_000_000, 5_000_000, 0.04, 0.08, act=7,
                     description="fast LTE-like bearer"),
        RadioProfile("csd_9600", 9_600, 9_600, 0.3, 0.5, act=0,
                     description="GSM CSD 9600 bit/s"),
    )
}


def get_profile(name: str) -> RadioProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError("profile", f"unknown radio profile {name!r} (known: {', '.join(PROFILES)})") from None
