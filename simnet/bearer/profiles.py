"""Radio access profiles: throughput and delay of the air interface as ``LinkConfig`` values,
and for the LTE family the RRC timers, paging cycle, coverage-loss thresholds and the current
each radio state draws (energy accounting).

| profile | down | up | RTT | basis (sources below) |
| --- | --- | --- | --- | --- |
| gprs_class10 | 85.6 kbit/s | 42.8 kbit/s | 500-1000 ms | 4+1 / 3+2 slots x CS-4 21.4 kbit/s |
| edge | 236.8 kbit/s | 118.4 kbit/s | 300-500 ms | 4 / 2 slots x MCS-9 59.2 kbit/s |
| lte_like | 20 Mbit/s | 5 Mbit/s | 40-80 ms | a fast, modern bearer for comparison |
| csd_9600 | 9600 bit/s | 9600 bit/s | 300-500 ms | GSM CSD, V.110 rate adaption |
| lte_cat1 | 10.296 Mbit/s | 5.16 Mbit/s | 40-80 ms | TS 36.306 UE category 1 |
| lte_m | 1 Mbit/s | 1 Mbit/s | 20-30 ms | LTE Cat-M1 peak rates |
| nb_iot | 26 kbit/s | 62.5 kbit/s | 185-210 ms | Cat-NB1 peak rates, BG96 ping at ECL 0 |

Sources: gprs_class10 TS 45.002 Annex B multislot class 10, RTT from the bearer issue; edge
class 10 EGPRS; csd_9600 V.110 rate adaption; lte_cat1 TS 36.306 Table 4.1-1/4.1-2 (10296 /
5160 bits per 1 ms TTI), commercial LTE RTT about 70 ms (Huang et al., MobiSys 2012); lte_m
latency 10-15 ms (Keysight NB-IoT/Cat-M1 field measurement note; mbedded.ninja table); nb_iot
3GPP Rel-13 (mbedded.ninja table), BG96 NB-IoT ping means 185.2-209.6 ms at ECL 0 (Robinson
2019).

RRC (``RrcTimers``), per LTE profile: promotion delay (idle -> connected), inactivity timer
(connected -> idle), default paging cycle, the paging time window unit of eDRX.
Coverage (``CoverageTimers``): how long a coverage gap lasts before radio link failure is
declared, how long after that the context survives (RLF and re-establishment), and what
re-establishing costs. Power (``PowerModel``): current per state at the module's supply.
Every figure's source is in docs/assumptions.md ("Radio access profiles"); tests check each
profile's timing against them.

The rates are the air-interface maxima; a profile may be overridden field by field in the
scenario (``network.uplink`` / ``network.downlink``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simnet.errors import ConfigError


@dataclass(frozen=True)
class RrcTimers:
    """RRC connected <-> idle (TS 36.331): ``promotion`` is the RRC connection set-up a first
    packet after idle pays (random access, RRC connection request/setup, service request);
    ``inactivity`` the eNB's timer that releases a connection without traffic; ``paging_cycle``
    the default DRX cycle of idle mode (TS 36.304 §7: paging occasions); ``ptw_unit`` the step of
    the eDRX paging time window (TS 24.008 §10.5.5.32: 1.28 s WB-S1, 2.56 s NB-S1)."""

    promotion: float
    inactivity: float
    paging_cycle: float
    ptw_unit: float


@dataclass(frozen=True)
class CoverageTimers:
    """What a coverage gap does. ``rlf_after``: time until radio link failure is declared
    (LTE: N310 out-of-sync indications of 200 ms, TS 36.133 §7.6, then T310, TS 36.331 §5.3.11;
    GSM/GPRS: the downlink signalling failure counter, TS 45.008 §6.5). ``keep_for``: how long
    after that the context is kept while the UE tries to come back (LTE: T311, the RRC
    re-establishment window; GPRS: the READY timer T3314, TS 24.008 §4.7.2.1); a gap longer than
    ``rlf_after + keep_for`` loses the registration and every PDP context. ``reestablish``: the
    time re-establishment takes once coverage is back (held data waits for it)."""

    rlf_after: float
    keep_for: float
    reestablish: float

    @property
    def lost_after(self) -> float:
        return self.rlf_after + self.keep_for


@dataclass(frozen=True)
class PowerModel:
    """Current drawn (mA) at ``voltage`` in each radio state: ``psm`` (power saving mode, also
    the floor between eDRX paging windows), ``idle`` (registered, DRX paging), ``connected``
    (RRC connected or a GPRS/CSD session, no data on the air), ``tx`` / ``rx`` (while the radio
    link serializes uplink / downlink data)."""

    voltage: float
    psm: float
    idle: float
    connected: float
    tx: float
    rx: float
    source: str = ""


@dataclass(frozen=True)
class RadioProfile:
    name: str
    down_bps: float
    up_bps: float
    rtt_min: float  # seconds
    rtt_max: float
    mtu: int = 1500
    act: int = 0  # +CREG/+COPS <AcT> (TS 27.007 §7.3): 0 GSM, 3 GSM w/EGPRS, 7 E-UTRAN, 9 NB-S1
    description: str = ""
    cpsi: str = "GSM"  # the system mode SIMCom's AT+CPSI? prints
    edrx_act: int | None = None  # +CEDRXS <AcT-type> (TS 27.007 §7.40): 4 WB-S1, 5 NB-S1
    rrc: RrcTimers | None = None  # None: no RRC state machine (GPRS-class bearers)
    coverage: CoverageTimers | None = None
    power: PowerModel | None = None

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
        return (
            LinkConfig(**up, prefix=f"{self.name}.uplink"),
            LinkConfig(**down, prefix=f"{self.name}.downlink"),
        )

    def apply(self, network: Any, host_name: str) -> None:
        """Switch the running links of ``host_name`` to this profile (rate and delay)."""
        duplex = network.link(host_name)
        up, down = self.link_dicts()
        duplex.uplink.set_rate(up["rate"])
        duplex.uplink.set_delay(up["delay"])
        duplex.downlink.set_rate(down["rate"])
        duplex.downlink.set_delay(down["delay"])


# -- coverage thresholds (docs/assumptions.md, "Radio access profiles") ---------------------
# LTE family: N310 = 1 out-of-sync indication (200 ms evaluation, TS 36.133 §7.6) + T310 1000 ms,
# then T311 10 s of re-establishment attempts (TS 36.331 UE-TimersAndConstants ranges ms0..ms2000,
# ms1000..ms30000); re-establishing costs about one RRC connection set-up.
_LTE_COVERAGE = CoverageTimers(rlf_after=0.2 + 1.0, keep_for=10.0, reestablish=0.26)
# NB-IoT: the same RRC timers, its RRC procedures as its promotion delay.
_NB_COVERAGE = CoverageTimers(rlf_after=0.2 + 1.0, keep_for=10.0, reestablish=0.315)
# GPRS: downlink signalling failure with BS_PA_MFRMS = 5 (TS 45.008 §6.5: DSC = 90/5 = 18,
# -4 per missed paging block every 5 x 235.38 ms: 5 blocks) then the READY timer T3314 (44 s).
_GPRS_COVERAGE = CoverageTimers(rlf_after=5 * 5 * 0.23538, keep_for=44.0, reestablish=0.0)
# CSD: radio link timeout S = 32 SACCH periods of 480 ms (TS 45.008 §5.2) drops the call.
_CSD_COVERAGE = CoverageTimers(rlf_after=32 * 0.480, keep_for=0.0, reestablish=0.0)

# -- power (mA at the supply voltage) ---------------------------------------------------------
# SIM800L Hardware Design V2.02 Table 49 (VBAT 3.8 V): sleep with BS-PA-MFRMS=5 1.14 mA, idle
# 17.38 mA, GPRS 3Rx/2Tx (uplink-heavy, class 10) 385.73 mA, 4Rx/1Tx 249.85 mA (EGSM900).
_GPRS_POWER = PowerModel(
    3.8,
    psm=1.14,
    idle=1.14,
    connected=17.38,
    tx=385.73,
    rx=249.85,
    source="SIM800L Hardware Design V2.02, Table 49",
)
# u-blox TOBY-L210 (LTE Cat 4) figures: TX 2.318 W, RX 117.8 mW, idle 10.26 mW, sleep 4.94 mW
# at 3.8 V (as tabulated by the Modeling_IoT_tech project), as currents.
_LTE_POWER = PowerModel(
    3.8,
    psm=4.94 / 3.8,
    idle=10.26 / 3.8,
    connected=117.8 / 3.8,
    tx=2318 / 3.8,
    rx=117.8 / 3.8,
    source="u-blox TOBY-L210 power figures",
)
# SIM7000 Hardware Design (LTE-M / NB-IoT): PSM 9 uA, sleep 1 mA, idle on LTE 11 mA, LTE data at
# 23 dBm 167 mA (VBAT 3.8 V); receiving is taken at the idle-awake current.
_LPWA_POWER = PowerModel(
    3.8, psm=0.009, idle=1.0, connected=11.0, tx=167.0, rx=11.0, source="SIM7000 Hardware Design"
)

PROFILES: dict[str, RadioProfile] = {
    p.name: p
    for p in (
        RadioProfile(
            "gprs_class10",
            85_600,
            42_800,
            0.5,
            1.0,
            act=0,
            description="GPRS multislot class 10, CS-4",
            coverage=_GPRS_COVERAGE,
            power=_GPRS_POWER,
        ),
        RadioProfile(
            "edge",
            236_800,
            118_400,
            0.3,
            0.5,
            act=3,
            description="EDGE (EGPRS) class 10, MCS-9",
            coverage=_GPRS_COVERAGE,
            power=_GPRS_POWER,
        ),
        RadioProfile(
            "lte_like",
            20_000_000,
            5_000_000,
            0.04,
            0.08,
            act=7,
            cpsi="LTE",
            description="fast LTE-like bearer",
            coverage=_LTE_COVERAGE,
            power=_LTE_POWER,
        ),
        RadioProfile(
            "csd_9600",
            9_600,
            9_600,
            0.3,
            0.5,
            act=0,
            description="GSM CSD 9600 bit/s",
            coverage=_CSD_COVERAGE,
            power=_GPRS_POWER,
        ),
        # Promotion 260 ms and a 10 s inactivity timer (Huang et al. measured 260.1 ms and an
        # 11.6 s tail; 10 s is the common operator value); default paging cycle 1.28 s.
        RadioProfile(
            "lte_cat1",
            10_296_000,
            5_160_000,
            0.04,
            0.08,
            act=7,
            cpsi="LTE",
            edrx_act=4,
            description="LTE UE category 1",
            rrc=RrcTimers(promotion=0.26, inactivity=10.0, paging_cycle=1.28, ptw_unit=1.28),
            coverage=_LTE_COVERAGE,
            power=_LTE_POWER,
        ),
        RadioProfile(
            "lte_m",
            1_000_000,
            1_000_000,
            0.02,
            0.03,
            act=7,
            cpsi="LTE CAT-M1",
            edrx_act=4,
            description="LTE-M (Cat-M1)",
            rrc=RrcTimers(promotion=0.26, inactivity=10.0, paging_cycle=1.28, ptw_unit=1.28),
            coverage=_LTE_COVERAGE,
            power=_LPWA_POWER,
        ),
        # NB-IoT: the first ping of a set took about 500 ms against a 185 ms mean (Robinson 2019,
        # BG96): about 315 ms of connection set-up; paging cycle 2.56 s (u-blox SARA-R42 note).
        RadioProfile(
            "nb_iot",
            26_000,
            62_500,
            0.185,
            0.21,
            act=9,
            cpsi="LTE NB-IOT",
            edrx_act=5,
            description="NB-IoT (Cat-NB1)",
            rrc=RrcTimers(promotion=0.315, inactivity=10.0, paging_cycle=2.56, ptw_unit=2.56),
            coverage=_NB_COVERAGE,
            power=_LPWA_POWER,
        ),
    )
}


def get_profile(name: str) -> RadioProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(
            "profile", f"unknown radio profile {name!r} (known: {', '.join(PROFILES)})"
        ) from None
