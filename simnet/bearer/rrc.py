"""The radio link of one module as the RAN and the core treat it, and what that costs.

:class:`RadioLinkController` sits on the module host's two radio link directions as their
*gate* (``simnet.net.Link.gate``): every packet is offered to it first.

- **RRC** (LTE profiles, TS 36.331): idle -> connected costs the profile's promotion delay; a
  first uplink packet after idle waits for it; a downlink packet for an idle UE waits for the
  UE's next paging occasion (TS 36.304 §7, DRX or the eDRX paging time window) and then the
  same set-up. The eNB releases the connection after the inactivity timer.
- **PSM** (TS 23.682 §4.5.4, TS 24.301 §5.3.11): after the release the UE listens to paging
  for the active time T3324, then sleeps unreachable until its periodic TAU (T3412, counted
  from the release, TS 24.301 §5.3.5) or until it has data of its own. Downlink data for it
  is dropped or buffered per the operator (``PowerSavingConfig.psm_downlink``); the carrier
  NAT keeps ageing meanwhile (it is elsewhere).
- **eDRX** (TS 23.682 §4.5.13): in idle the UE is pageable only inside a paging time window
  once per eDRX cycle.
- **Coverage gaps** (every profile, ``CoverageTimers``): packets both ways are held (radio link
  control and the serving gateway keep them) while the gap lasts; after ``rlf_after`` radio link
  failure is declared; coverage back within ``keep_for`` more re-establishes the link (after
  ``reestablish``) and the held data goes on; a longer gap loses the registration and every
  PDP context (``Radio.coverage_loss``), and the held data with them.
- **Energy and airtime**: time in each state, with the serialization time of the links as TX /
  RX, integrated against the profile's ``PowerModel`` (``energy()``).

Packets the controller keeps never reach the link's trace until released: an uplink packet
appears on the air when it is really sent. Packets it discards are trace ``drop`` records of
source ``<bearer>.rrc``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

from simnet.bearer.operator import PowerSavingConfig
from simnet.bearer.profiles import RadioProfile
from simnet.errors import ConfigError

IDLE = "idle"
CONNECTING = "connecting"
CONNECTED = "connected"
PSM = "psm"
EDRX_SLEEP = "edrx_sleep"  # idle between paging time windows (accounting only)
STATES = (PSM, EDRX_SLEEP, IDLE, CONNECTING, CONNECTED)

# TS 24.008 Table 10.5.163a (GPRS Timer 3, bits 8-6) and 10.5.163 (GPRS Timer 2) units, seconds
TIMER3_UNITS = {0b000: 600.0, 0b001: 3600.0, 0b010: 36000.0, 0b011: 2.0, 0b100: 30.0, 0b101: 60.0,
                0b110: 1152000.0}
TIMER2_UNITS = {0b000: 2.0, 0b001: 60.0, 0b010: 360.0}
# TS 24.008 Table 10.5.5.32: eDRX cycle length, WB-S1 (E-UTRAN, LTE-M) and NB-S1 (NB-IoT)
EDRX_WB = (5.12, 10.24, 20.48, 40.96, 61.44, 81.92, 102.4, 122.88, 143.36, 163.84, 327.68, 655.36,
           1310.72, 2621.44, 5242.88, 10485.76)
EDRX_NB = {
    0b0010: 20.48,
    0b0011: 40.96,
    0b0101: 81.92,
    0b1001: 163.84,
    0b1010: 327.68,
    0b1011: 655.36,
    0b1100: 1310.72,
    0b1101: 2621.44,
    0b1110: 5242.88,
    0b1111: 10485.76,
}
NO_HSFN_CYCLE = 10.24  # cycles up to 10.24 s have no paging hyperframe: one occasion per cycle
DEFAULT_PSM_REQUEST = ("00100001", "00100001")  # T3412 1 h, T3324 1 min when +CPSMS=1 names none


def gprs_timer3(bits: str) -> float | None:
    """Seconds of a GPRS Timer 3 value (T3412 extended), None when deactivated."""
    unit = int(bits[:3], 2)
    return None if unit == 0b111 else TIMER3_UNITS[unit] * int(bits[3:], 2)


def gprs_timer2(bits: str) -> float | None:
    """Seconds of a GPRS Timer 2 value (T3324); units 011-110 are read as 1 minute (as the
    spec's "other values shall be interpreted as multiples of 1 minute"), 111 deactivated."""
    unit = int(bits[:3], 2)
    if unit == 0b111:
        return None
    return TIMER2_UNITS.get(unit, 60.0) * int(bits[3:], 2)


def edrx_cycle(bits: str, act: int) -> float:
    """The eDRX cycle (s) of a 4-bit value for ``act`` 4 (WB-S1) or 5 (NB-S1); NB-S1 values the
    table does not define are read as 0010 (20.48 s)."""
    value = int(bits, 2)
    if act == 5:
        return EDRX_NB.get(value, EDRX_NB[0b0010])
    return EDRX_WB[value]


def ptw_length(bits: str, unit: float) -> float:
    """The paging time window: (value + 1) x 1.28 s (WB-S1) or x 2.56 s (NB-S1)."""
    return (int(bits, 2) + 1) * unit


class RadioLinkController:
    """See the module docstring. Built by ``ModemBearer`` for a module host with radio links;
    ``profile()`` returns the bearer's current radio profile."""

    def __init__(
        self,
        sim: Any,
        uplink: Any,
        downlink: Any,
        radio: Any,
        profile: Callable[[], RadioProfile],
        config: PowerSavingConfig,
        *,
        name: str,
    ) -> None:
        self.sim = sim
        self.uplink = uplink
        self.downlink = downlink
        self.radio = radio
        self._profile = profile
        self.config = config
        self.name = name
        self._rng = sim.rng(f"{name}.paging")
        self.state = IDLE
        self.registered = False
        self._entered = sim.now
        self.time_in: dict[str, float] = dict.fromkeys(STATES, 0.0)
        self._up: deque[Any] = deque()
        self._down: deque[Any] = deque()
        self._last_activity = sim.now
        self._timers: dict[str, Any] = {}
        self.gap: str | None = None  # None, "gap" or "rlf"
        self._gap_timers: list[Any] = []
        # power saving as requested by the module and granted by the network
        self.psm_request: tuple[str, str] | None = None  # (T3412 ext, T3324) bit strings
        self.edrx_request: dict[int, str] = {}
        self.psm_granted: tuple[str, str] | None = None
        self.t3412 = config.periodic_tau
        self.t3324: float | None = None
        self.edrx_granted: str | None = None
        self.ptw_granted: str | None = None
        self.edrx_cycle: float | None = None
        self.ptw: float = 0.0
        self._po_phase = 0.0
        self._edrx_phase = 0.0
        self._draw_phases()
        self.listeners: list[Callable[[str], None]] = []  # "psm" / "edrx" changes (for URCs)
        # Called after every RRC state change and at the end of a coverage gap: a UE that was
        # unreachable for the core (PSM, gap) may be reachable again (SMS alert, TS 23.040 §3.2.5)
        self.reach_listeners: list[Callable[[], None]] = []
        self._signalling: list[Callable[[bool], None]] = []  # NAS messages waiting for a connection
        self.paged = 0
        self.drops: dict[str, int] = {}
        self._apply_gates()

    # -- profile and gates -----------------------------------------------------------------
    @property
    def profile(self) -> RadioProfile:
        return self._profile()

    @property
    def rrc(self) -> Any:
        return self.profile.rrc

    def _apply_gates(self) -> None:
        """Gates on the links while there is anything to decide: always with RRC, and during a
        coverage gap; otherwise none, so GPRS-class links run as if no controller existed."""
        on = self.rrc is not None or self.gap is not None
        self.uplink.gate = self._gate_up if on else None
        self.downlink.gate = self._gate_down if on else None

    def profile_changed(self) -> None:
        """The bearer switched profiles (a GSM data call): recompute gates and paging."""
        self._draw_phases()
        if self.rrc is None:
            self._set_state(IDLE, "profile")
            self._release_held()
        self._apply_gates()

    def _draw_phases(self) -> None:
        # A UE's paging occasions depend on its identity (TS 36.304 §7.1: UE_ID = IMSI mod
        # 1024); a seeded draw stands for it.
        rrc = self.rrc
        if rrc is not None:
            self._po_phase = self._rng.uniform(0.0, rrc.paging_cycle)
        if self.edrx_cycle is not None:
            self._edrx_phase = self._rng.uniform(0.0, self.edrx_cycle)

    # -- state and accounting ------------------------------------------------------------------
    def _set_state(self, state: str, cause: str) -> None:
        now = self.sim.now
        self._account(now)
        if state == self.state:
            return
        self.state = state
        if self.rrc is not None:
            self.sim.record(self.name, "rrc", state=state, cause=cause)
        self._notify_reach()

    def _notify_reach(self) -> None:
        for fn in list(self.reach_listeners):
            fn()

    def _account(self, now: float) -> None:
        start, self._entered = self._entered, now
        if now <= start:
            return
        if (
            self.state == IDLE
            and self.edrx_cycle is not None
            and self.edrx_cycle > self.rrc_cycle()
        ):
            awake = self._ptw_overlap(start, now)
            self.time_in[IDLE] += awake
            self.time_in[EDRX_SLEEP] += now - start - awake
        else:
            self.time_in[self.state] += now - start

    def rrc_cycle(self) -> float:
        rrc = self.rrc
        return rrc.paging_cycle if rrc is not None else math.inf

    def _ptw_overlap(self, a: float, b: float) -> float:
        """Time of [a, b) inside paging time windows (cycles above 10.24 s)."""
        cycle, ptw, phase = self.edrx_cycle, self.ptw, self._edrx_phase
        assert cycle is not None
        total = 0.0
        k = math.floor((a - phase) / cycle)
        start = phase + k * cycle
        while start < b:
            lo, hi = max(a, start), min(b, start + ptw)
            if hi > lo:
                total += hi - lo
            start += cycle
        return total

    def times(self) -> dict[str, float]:
        """Seconds spent in each radio state so far (``edrx_sleep``: idle between windows)."""
        self._account(self.sim.now)
        return dict(self.time_in)

    def energy(self) -> dict[str, float]:
        """Charge (mAh), energy (J), airtime (s) and bytes on the air so far, per the profile's
        ``PowerModel``: each state's current over its time, plus the TX / RX currents over the
        links' serialization time (above the connected current, or above the idle current for
        profiles without RRC states)."""
        profile = self.profile
        p = profile.power
        times = self.times()
        up_air, down_air = self.uplink.airtime, self.downlink.airtime
        out: dict[str, float] = {f"time_{k}": round(v, 9) for k, v in times.items()}
        out.update(
            airtime=up_air + down_air,
            airtime_up=up_air,
            airtime_down=down_air,
            bytes_up=self.uplink.bytes_sent,
            bytes_down=self.downlink.bytes_sent,
        )
        if p is None:
            out.update(charge_mah=math.nan, energy_j=math.nan)
            return out
        if profile.rrc is not None:
            current = {
                PSM: p.psm,
                EDRX_SLEEP: p.psm,
                IDLE: p.idle,
                CONNECTING: p.connected,
                CONNECTED: p.connected,
            }
            base = p.connected
        else:
            current = dict.fromkeys(STATES, p.idle)
            base = p.idle
        mas = sum(current[s] * t for s, t in times.items())  # mA x s
        mas += (p.tx - base) * up_air + (p.rx - base) * down_air
        out.update(charge_mah=mas / 3600.0, energy_j=mas / 1000.0 * p.voltage)
        return out

    # -- registration ---------------------------------------------------------------------
    def on_registration(self, registered: bool) -> None:
        """PS registration gained (the attach ran on an RRC connection, which stays up until the
        inactivity timer) or lost (back to idle, every RRC timer stopped)."""
        if registered == self.registered:
            return
        self.registered = registered
        if self.rrc is None:
            return
        if registered:
            self._connected("attach")
        else:
            self._cancel("inactivity", "t3324", "t3412", "page", "promote")
            self._set_state(IDLE, "detached")
            self._flush_signalling(False)

    # -- gates -----------------------------------------------------------------------------------
    def _passes(self, queue: deque[Any], pkt: Any) -> bool | None:
        """True: connected, the packet goes now; False: held through a coverage gap;
        None: the radio is not connected, the caller decides (hold, page, discard)."""
        if self.gap is not None:
            return self._hold(queue, pkt)
        if self.state == CONNECTED:
            self._last_activity = self.sim.now
            return True
        return None

    def _gate_up(self, pkt: Any) -> bool:
        passes = self._passes(self._up, pkt)
        if passes is not None:
            return passes
        state = self.state
        self._hold(self._up, pkt)
        if state in (IDLE, PSM):
            self._connect("mo_data")  # mobile-originated: the UE wakes up by itself
        return False

    def _gate_down(self, pkt: Any) -> bool:
        passes = self._passes(self._down, pkt)
        if passes is not None:
            return passes
        state = self.state
        if state == PSM:
            if self.config.psm_downlink == "buffer":
                return self._hold(self._down, pkt)
            return self._discard(pkt, "psm_unreachable")
        self._hold(self._down, pkt)
        if state == IDLE and "page" not in self._timers and self.rrc is not None:
            at = self.next_paging_occasion(self.sim.now)
            self._timers["page"] = self.sim.call_at(at, self._paged)
        return False

    def _hold(self, queue: deque[Any], pkt: Any) -> bool:
        if len(queue) >= max(1, self.config.buffer_packets):
            return self._discard(pkt, "buffer_full")
        queue.append(pkt)
        return False

    def _discard(self, pkt: Any, reason: str) -> bool:
        self.drops[reason] = self.drops.get(reason, 0) + 1
        self.sim.record(self.name, "drop", reason=reason, pkt=pkt.summary())
        return False

    def _release_held(self) -> None:
        """Hand held packets back, in order; each passes the gates again (connected: at once)."""
        up, self._up = self._up, deque()
        down, self._down = self._down, deque()
        for pkt in up:
            self.uplink.send(pkt)
        for pkt in down:
            self.downlink.send(pkt)
        if self.rrc is None or self.state == CONNECTED:
            self._flush_signalling(True)

    # -- signalling: NAS messages on the RRC connection (SMS over NAS, TS 24.301 §5.6.3) -------
    def reachable(self) -> bool:
        """Whether the core can reach the UE now: not in PSM and not in a coverage gap."""
        return self.gap is None and self.state != PSM

    def signalling(self, fn: Callable[[bool], None], *, mobile_originated: bool) -> None:
        """``fn(True)`` once the UE has a radio connection for a NAS message: at once when
        connected (or without RRC states), after paging and promotion for an idle UE (MT), after
        the promotion for an idle or sleeping UE that sends (MO); ``fn(False)`` when it cannot
        be reached (PSM for MT, a coverage gap, not registered) or the connection is lost."""
        if self.gap is not None or (self.rrc is not None and not self.registered):
            fn(False)
            return
        if self.rrc is None or self.state == CONNECTED:
            self._last_activity = self.sim.now
            fn(True)
            return
        if self.state == PSM and not mobile_originated:
            fn(False)
            return
        self._signalling.append(fn)
        if mobile_originated and self.state in (IDLE, PSM):
            self._connect("mo_signalling")
        elif self.state == IDLE and "page" not in self._timers:
            self._timers["page"] = self.sim.call_at(
                self.next_paging_occasion(self.sim.now), self._paged
            )

    def _flush_signalling(self, ok: bool) -> None:
        waiting, self._signalling = self._signalling, []
        if ok and waiting:
            self._last_activity = self.sim.now
        for fn in waiting:
            fn(ok)

    # -- RRC ---------------------------------------------------------------------------------
    def next_paging_occasion(self, t: float) -> float:
        """The first paging occasion at or after ``t``: every paging cycle from the UE's phase,
        or with eDRX only inside the paging time window of each eDRX cycle (for cycles up to
        10.24 s, one occasion per cycle)."""
        rrc = self.rrc
        assert rrc is not None
        period = rrc.paging_cycle
        cycle = self.edrx_cycle
        if cycle is None or cycle <= period:
            return self._po_phase + math.ceil((t - self._po_phase) / period - 1e-12) * period
        phase = self._edrx_phase
        if cycle <= NO_HSFN_CYCLE:
            return phase + math.ceil((t - phase) / cycle - 1e-12) * cycle
        start = phase + math.floor((t - phase) / cycle) * cycle
        if t < start + self.ptw:
            po = start + math.ceil((t - start) / period - 1e-12) * period
            if po < start + self.ptw:
                return po
        return start + cycle

    def _paged(self) -> None:
        self._timers.pop("page", None)
        if self.state != IDLE:
            return
        self.paged += 1
        self._connect("paging")

    def _connect(self, cause: str) -> None:
        if self.state in (CONNECTING, CONNECTED) or not self.registered:
            return
        self._cancel("t3324", "t3412", "page")
        self._set_state(CONNECTING, cause)
        self._timers["promote"] = self.sim.call_later(self.rrc.promotion, self._connected, cause)

    def _connected(self, cause: str) -> None:
        self._timers.pop("promote", None)
        self._set_state(CONNECTED, cause)
        self._last_activity = self.sim.now
        self._arm_inactivity()
        if self.gap is None:
            self._release_held()

    def _arm_inactivity(self) -> None:
        rrc = self.rrc
        if rrc is None:
            return
        self._timers["inactivity"] = self.sim.call_at(
            self._last_activity + rrc.inactivity, self._inactivity
        )

    def _inactivity(self) -> None:
        self._timers.pop("inactivity", None)
        if self.state != CONNECTED or self.rrc is None:
            return
        if self.sim.now + 1e-9 < self._last_activity + self.rrc.inactivity:
            self._arm_inactivity()  # traffic meanwhile
            return
        self._set_state(IDLE, "inactivity")
        # TS 24.301 §5.3.5: T3412 starts when the UE enters idle; with PSM, T3324 too.
        self._timers["t3412"] = self.sim.call_later(self.t3412, self._periodic_tau)
        if self.psm_granted is not None and self.t3324 is not None:
            self._timers["t3324"] = self.sim.call_later(self.t3324, self._enter_psm)
        if self._down:
            self._gate_down_pending()

    def _gate_down_pending(self) -> None:
        """Downlink data that arrived while the connection was being released: page."""
        if "page" not in self._timers:
            self._timers["page"] = self.sim.call_at(
                self.next_paging_occasion(self.sim.now), self._paged
            )

    def _enter_psm(self) -> None:
        self._timers.pop("t3324", None)
        if self.state == IDLE:
            self._cancel("page")
            self._set_state(PSM, "t3324")

    def _periodic_tau(self) -> None:
        self._timers.pop("t3412", None)
        if self.state in (IDLE, PSM) and self.registered:
            self.sim.record(self.name, "tau", periodic=True, t3412=self.t3412)
            self._connect("tau")

    def _cancel(self, *names: str) -> None:
        for key in names:
            timer = self._timers.pop(key, None)
            if timer is not None:
                timer.cancel()

    # -- power saving requests (AT+CPSMS, AT+CEDRXS) -------------------------------------------
    def request_psm(self, enabled: bool, periodic_tau: str = "", active_time: str = "") -> None:
        """The UE asks for PSM (TS 27.007 §7.38) or stops using it; the network's answer is
        granted at once (it would come with the next TAU accept)."""
        cfg = self.config
        if not enabled:
            self.psm_request = None
        else:
            self.psm_request = (
                periodic_tau or DEFAULT_PSM_REQUEST[0],
                active_time or DEFAULT_PSM_REQUEST[1],
            )
        granted: tuple[str, str] | None = None
        if self.psm_request is not None and cfg.psm != "reject" and self.rrc is not None:
            if isinstance(cfg.psm, dict):
                granted = (cfg.psm["t3412"], cfg.psm["t3324"])
            else:
                granted = self.psm_request
        self.psm_granted = granted
        if granted is not None:
            t3412 = gprs_timer3(granted[0])
            self.t3412 = t3412 if t3412 is not None else cfg.periodic_tau
            self.t3324 = gprs_timer2(granted[1])
        else:
            self.t3412, self.t3324 = cfg.periodic_tau, None
        self.sim.record(
            self.name,
            "psm",
            requested=self.psm_request is not None,
            granted=None if granted is None else list(granted),
            t3412=self.t3412,
            t3324=self.t3324,
        )
        for fn in list(self.listeners):
            fn("psm")

    def request_edrx(self, enabled: bool, act: int, value: str = "") -> None:
        """The UE asks for eDRX on access technology ``act`` (TS 27.007 §7.40) or stops."""
        if enabled:
            self.edrx_request[act] = value
        else:
            self.edrx_request.pop(act, None)
        profile, cfg = self.profile, self.config
        mine = self.edrx_request.get(profile.edrx_act) if profile.edrx_act is not None else None
        if mine is not None and cfg.edrx != "reject" and self.rrc is not None:
            self.edrx_granted = mine if cfg.edrx == "requested" else cfg.edrx
            self.ptw_granted = cfg.ptw
            self.edrx_cycle = edrx_cycle(self.edrx_granted, profile.edrx_act)  # type: ignore[arg-type]
            self.ptw = ptw_length(cfg.ptw, self.rrc.ptw_unit)
            self._edrx_phase = self._rng.uniform(0.0, self.edrx_cycle)
        else:
            self.edrx_granted = self.ptw_granted = None
            self.edrx_cycle = None
            self.ptw = 0.0
        self.sim.record(
            self.name,
            "edrx",
            act=act,
            requested=value if enabled else None,
            granted=self.edrx_granted,
            ptw=self.ptw_granted,
            cycle=self.edrx_cycle,
        )
        for fn in list(self.listeners):
            fn("edrx")

    # -- coverage gaps ---------------------------------------------------------------------------
    def coverage_gap(self, duration: float | None) -> None:
        """Coverage goes for ``duration`` seconds (None: for good); see the module docstring."""
        if duration is not None and (isinstance(duration, bool) or duration < 0):
            raise ConfigError(
                "coverage_loss.duration", f"expected a non-negative duration, got {duration!r}"
            )
        cov = self.profile.coverage
        self.sim.record(self.radio.name, "fault", fault="coverage_loss", duration=duration)
        self._end_gap_timers()
        if cov is None:  # a profile without thresholds: the registration goes at once
            self.radio.coverage_loss(duration, record=False)
            return
        self.gap = "gap"
        self.radio.signal_lost = True
        self._apply_gates()
        lost_after = cov.lost_after
        if duration is not None and duration < lost_after:
            if duration >= cov.rlf_after:
                self._gap_timers.append(
                    self.sim.call_later(cov.rlf_after, self._radio_link_failure)
                )
            self._gap_timers.append(self.sim.call_later(duration, self._coverage_back))
        else:
            if cov.rlf_after < lost_after:
                self._gap_timers.append(
                    self.sim.call_later(cov.rlf_after, self._radio_link_failure)
                )
            rest = None if duration is None else duration - lost_after
            self._gap_timers.append(self.sim.call_later(lost_after, self._link_lost, rest))

    def _end_gap_timers(self) -> None:
        for timer in self._gap_timers:
            timer.cancel()
        self._gap_timers = []

    def _radio_link_failure(self) -> None:
        self.gap = "rlf"
        self.sim.record(self.name, "radio_link_failure", state=self.state)

    def _coverage_back(self) -> None:
        self._end_gap_timers()
        self.sim.record(self.radio.name, "coverage_return")
        self.radio.signal_lost = False
        if self.gap == "rlf":
            # RRC connection re-establishment (TS 36.331 §5.3.7) / a cell update: data resumes
            # when it completes.
            delay = self.profile.coverage.reestablish  # type: ignore[union-attr]
            self.sim.record(self.name, "reestablishment", delay=delay)
            self._gap_timers.append(self.sim.call_later(delay, self._gap_over))
        else:
            self._gap_over()

    def _gap_over(self) -> None:
        self._gap_timers = []
        self.gap = None
        self._apply_gates()
        self._release_held()
        self._notify_reach()

    def _link_lost(self, rest: float | None) -> None:
        """The gap outlasted re-establishment: registration and contexts go (the held data
        with them); coverage comes back ``rest`` seconds later (never if None)."""
        self._gap_timers = []
        self.gap = None
        self.radio.signal_lost = False
        for queue in (self._up, self._down):
            while queue:
                self._discard(queue.popleft(), "coverage_lost")
        self._flush_signalling(False)
        self._apply_gates()
        self.radio.coverage_loss(rest, record=False)


__all__ = ["RadioLinkController", "edrx_cycle", "gprs_timer2", "gprs_timer3", "ptw_length"]
