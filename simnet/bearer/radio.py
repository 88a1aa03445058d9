"""Radio: CS and PS registration over time, signal quality, coverage loss and return.

Registration states and their numbers are those of the <stat> field of +CREG / +CGREG / +CEREG
(3GPP TS 27.007 §7.2, §10.1.20, §10.1.22): 0 not registered (not searching), 1 registered home,
2 not registered but searching, 3 registration denied, 4 unknown, 5 registered roaming.
Signal quality follows +CSQ (TS 27.007 §8.5): <rssi> 0..31 or 99 (unknown), <ber> 0..7 or 99.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from simnet.bearer.sim_card import SimCard, SimState
from simnet.errors import ConfigError
from simnet.kernel import Distribution, Simulation, Timer, make_distribution, parse_duration


class RegState(StrEnum):
    NOT_REGISTERED = "not_registered"
    HOME = "home"
    SEARCHING = "searching"
    DENIED = "denied"
    UNKNOWN = "unknown"
    ROAMING = "roaming"

    @property
    def stat(self) -> int:
        """The <stat> number of +CREG/+CGREG/+CEREG (TS 27.007 §7.2)."""
        return _STAT[self]

    @property
    def registered(self) -> bool:
        return self in (RegState.HOME, RegState.ROAMING)


_STAT: dict[RegState, int] = {
    RegState.NOT_REGISTERED: 0,
    RegState.HOME: 1,
    RegState.SEARCHING: 2,
    RegState.DENIED: 3,
    RegState.UNKNOWN: 4,
    RegState.ROAMING: 5,
}

DOMAINS = ("cs", "ps")


def _reg_state(value: object, field_name: str) -> RegState:
    try:
        return RegState(value)  # type: ignore[arg-type]
    except ValueError:
        allowed = ", ".join(s.value for s in RegState)
        raise ConfigError(
            field_name, f"unknown registration state {value!r} (allowed: {allowed})"
        ) from None


def _csq_value(value: object, field_name: str, high: int) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not (0 <= value <= high or value == 99)
    ):
        raise ConfigError(field_name, f"expected 0..{high} or 99 (unknown), got {value!r}")
    return value


@dataclass(frozen=True)
class ScheduledChange:
    """At virtual time ``at`` set the CS and/or PS registration state (None: unchanged)."""

    at: float
    cs: RegState | None = None
    ps: RegState | None = None
    rssi: int | None = None


@dataclass(frozen=True)
class RadioConfig:
    """Registration behaviour of the serving network and the signal the module sees.

    ``registered_as``: the state reached once the SIM is ready (home, roaming or denied).
    ``registration_delay``: time from SIM ready (or coverage return) to that state; a duration
    or a distribution spec for ``make_distribution``. ``schedule``: changes at fixed times.
    ``act``: access technology as +CREG <AcT> reports it (0 GSM, 3 GSM w/EGPRS, 7 E-UTRAN).
    """

    registered_as: RegState = RegState.HOME
    registration_delay: object = 2.0
    rssi: int = 20
    ber: int = 0
    act: int = 0
    lac: str = "1A2B"  # location area code and cell id, as +CREG=2 reports them (hex)
    ci: str = "3E4F"
    schedule: tuple[ScheduledChange, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "registered_as", _reg_state(self.registered_as, "radio.registered_as")
        )
        self.delay_distribution()  # validate
        _csq_value(self.rssi, "radio.rssi", 31)
        _csq_value(self.ber, "radio.ber", 7)
        for name, max_len in (("lac", 4), ("ci", 8)):
            value = getattr(self, name)
            if not (
                isinstance(value, str)
                and 1 <= len(value) <= max_len
                and all(c in "0123456789abcdefABCDEF" for c in value)
            ):
                raise ConfigError(
                    f"radio.{name}", f"expected 1..{max_len} hex digits, got {value!r}"
                )
        if self.act not in (0, 1, 2, 3, 4, 5, 6, 7):
            raise ConfigError("radio.act", f"expected an AcT number 0..7, got {self.act!r}")
        changes = []
        for i, ch in enumerate(self.schedule):
            if isinstance(ch, Mapping):
                ch = _change_from_dict(ch, f"radio.schedule[{i}]")
            if not isinstance(ch, ScheduledChange):
                raise ConfigError(f"radio.schedule[{i}]", "expected {at, cs, ps, rssi}")
            changes.append(ch)
        object.__setattr__(self, "schedule", tuple(sorted(changes, key=lambda c: c.at)))

    def delay_distribution(self) -> Distribution:
        if isinstance(self.registration_delay, Distribution):
            return self.registration_delay
        return make_distribution(self.registration_delay, "radio.registration_delay")

    @classmethod
    def from_dict(cls, data: Mapping[str, object], field_name: str = "radio") -> RadioConfig:
        known = {
            "registered_as",
            "registration_delay",
            "rssi",
            "ber",
            "act",
            "lac",
            "ci",
            "schedule",
        }
        for key in data:
            if key not in known:
                raise ConfigError(
                    f"{field_name}.{key}", f"unknown key (allowed: {', '.join(sorted(known))})"
                )
        kwargs = {k: v for k, v in data.items() if v is not None}
        sched = kwargs.get("schedule", ())
        if not isinstance(sched, Sequence) or isinstance(sched, str):
            raise ConfigError(f"{field_name}.schedule", "expected a list of {at, cs, ps, rssi}")
        kwargs["schedule"] = tuple(
            _change_from_dict(c, f"{field_name}.schedule[{i}]") for i, c in enumerate(sched)
        )
        return cls(**kwargs)  # type: ignore[arg-type]


def _change_from_dict(data: object, field_name: str) -> ScheduledChange:
    if not isinstance(data, Mapping) or "at" not in data:
        raise ConfigError(field_name, "expected a mapping with 'at' and 'cs'/'ps'/'rssi'")
    for key in data:
        if key not in ("at", "cs", "ps", "rssi", "both"):
            raise ConfigError(
                f"{field_name}.{key}", "unknown key (allowed: at, both, cs, ps, rssi)"
            )
    at = parse_duration(data["at"], f"{field_name}.at")
    both = data.get("both")
    cs = data.get("cs", both)
    ps = data.get("ps", both)
    rssi = data.get("rssi")
    return ScheduledChange(
        at=at,
        cs=None if cs is None else _reg_state(cs, f"{field_name}.cs"),
        ps=None if ps is None else _reg_state(ps, f"{field_name}.ps"),
        rssi=None if rssi is None else _csq_value(rssi, f"{field_name}.rssi", 31),
    )


RegistrationListener = Callable[[str, RegState], None]


class Radio:
    """Registration state of the CS and PS domains and the signal quality, over time.

    Registration needs a ready SIM: while the SIM is absent or locked both domains report
    ``not_registered``; once it is ready they go ``searching`` and reach ``registered_as`` after
    ``registration_delay``. Coverage loss moves both domains to ``searching`` with an unknown
    signal; when coverage returns, registration is attempted again.
    """

    def __init__(
        self,
        sim: Simulation,
        sim_card: SimCard,
        config: RadioConfig | None = None,
        *,
        name: str = "radio",
    ) -> None:
        self.sim = sim
        self.sim_card = sim_card
        self.config = config or RadioConfig()
        self.name = name
        self.cs_state = RegState.NOT_REGISTERED
        self.ps_state = RegState.NOT_REGISTERED
        # The state each domain reaches when registration completes (changed by schedule/fault).
        self._target = {"cs": self.config.registered_as, "ps": self.config.registered_as}
        self.rssi = self.config.rssi
        self.ber = self.config.ber
        self.act = self.config.act
        self.lac = self.config.lac
        self.ci = self.config.ci
        self.in_coverage = True
        self.signal_lost = False  # a short coverage gap: still registered, no signal measured
        self.rf_on = True  # the module's transmitter (off: +CFUN=0/4, or the module unpowered)
        self._listeners: list[RegistrationListener] = []
        self._reg_timer: Timer | None = None
        self._return_timer: Timer | None = None
        self._delay = self.config.delay_distribution()
        self._rng = sim.rng(f"{name}.registration_delay")
        sim_card.add_listener(self._on_sim_state)
        for change in self.config.schedule:
            sim.call_at(change.at, self._apply_change, change)
        if sim_card.ready:
            self._start_registration()

    # -- observation -------------------------------------------------------------------------
    def state(self, domain: str) -> RegState:
        return self.cs_state if domain == "cs" else self.ps_state

    def stat(self, domain: str) -> int:
        """<stat> of +CREG (domain "cs") or +CGREG/+CEREG (domain "ps")."""
        return self.state(domain).stat

    def registered(self, domain: str = "ps") -> bool:
        return self.state(domain).registered

    def csq(self) -> tuple[int, int]:
        """(<rssi>, <ber>) as +CSQ reports them; (99, 99) without coverage or RF."""
        if not self.in_coverage or not self.rf_on or self.signal_lost:
            return (99, 99)
        return (self.rssi, self.ber)

    def add_listener(self, fn: RegistrationListener) -> None:
        """``fn(domain, state)`` on every change of either domain (for +CREG/+CGREG URCs)."""
        if fn not in self._listeners:  # a restarted module registers the same methods again
            self._listeners.append(fn)

    def wait_registered(self, domain: str = "ps", timeout: float | None = None):
        """An event that fires with True once ``domain`` is registered, False on ``timeout``."""
        ev = self.sim.event()
        if self.registered(domain):
            ev.succeed(True)
            return ev
        timer: list[Timer] = []

        def on_change(dom: str, state: RegState) -> None:
            if not ev.triggered and dom == domain and state.registered:
                if timer:
                    timer[0].cancel()
                self._listeners.remove(on_change)
                ev.succeed(True)

        def on_timeout() -> None:
            if not ev.triggered:
                self._listeners.remove(on_change)
                ev.succeed(False)

        self._listeners.append(on_change)
        if timeout is not None:
            timer.append(self.sim.call_later(timeout, on_timeout))
        return ev

    # -- changes -----------------------------------------------------------------------------
    def _set(self, domain: str, state: RegState) -> None:
        if self.state(domain) == state:
            return
        if domain == "cs":
            self.cs_state = state
        else:
            self.ps_state = state
        self.sim.record(self.name, "registration", domain=domain, state=str(state), stat=state.stat)
        for fn in list(self._listeners):
            fn(domain, state)

    def _start_registration(self) -> None:
        if self._reg_timer is not None:
            self._reg_timer.cancel()
        for domain in DOMAINS:
            self._set(domain, RegState.SEARCHING)
        delay = self._delay.sample(self._rng)
        self._reg_timer = self.sim.call_later(delay, self._registration_done)

    def _registration_done(self) -> None:
        self._reg_timer = None
        if not self.sim_card.ready or not self.in_coverage or not self.rf_on:
            return
        for domain in DOMAINS:
            self._set(domain, self._target[domain])

    def _on_sim_state(self, state: SimState) -> None:
        if state == SimState.READY:
            if self.in_coverage and self.rf_on:
                self._start_registration()
            return
        if self._reg_timer is not None:
            self._reg_timer.cancel()
            self._reg_timer = None
        for domain in DOMAINS:
            self._set(domain, RegState.NOT_REGISTERED)

    def _apply_change(self, change: ScheduledChange) -> None:
        if change.rssi is not None:
            self.rssi = change.rssi
        for domain, state in (("cs", change.cs), ("ps", change.ps)):
            if state is not None:
                self.set_registration(state, domain)

    def set_registration(self, state: RegState | str, domain: str = "both") -> None:
        """Force a registration state now (schedule or fault); it stays until changed again."""
        state = RegState(state)
        domains = DOMAINS if domain == "both" else (domain,)
        for dom in domains:
            self._target[dom] = state
            if self.sim_card.ready and self.in_coverage and self.rf_on:
                self._set(dom, state)

    def set_signal(self, rssi: int, ber: int | None = None) -> None:
        self.rssi = _csq_value(rssi, "radio.rssi", 31)
        if ber is not None:
            self.ber = _csq_value(ber, "radio.ber", 7)

    def coverage_loss(self, duration: float | None = None, *, record: bool = True) -> None:
        """Fault: lose coverage now; it returns after ``duration`` seconds (never if None).
        ``record=False`` when the bearer's radio link controller already recorded the gap and
        calls this once the gap has lasted long enough to lose the registration."""
        if duration is not None and (isinstance(duration, bool) or duration < 0):
            raise ConfigError(
                "coverage_loss.duration", f"expected a non-negative duration, got {duration!r}"
            )
        if record:
            self.sim.record(self.name, "fault", fault="coverage_loss", duration=duration)
        self.in_coverage = False
        if self._reg_timer is not None:
            self._reg_timer.cancel()
            self._reg_timer = None
        if self._return_timer is not None:
            self._return_timer.cancel()
            self._return_timer = None
        if self.sim_card.ready and self.rf_on:
            for domain in DOMAINS:
                self._set(domain, RegState.SEARCHING)
        if duration is not None:
            self._return_timer = self.sim.call_later(duration, self.coverage_return)

    def coverage_return(self) -> None:
        if self.in_coverage:
            return
        self._return_timer = None
        self.in_coverage = True
        self.sim.record(self.name, "coverage_return")
        if self.sim_card.ready and self.rf_on:
            self._start_registration()

    def set_rf(self, on: bool) -> None:
        """The module's RF on or off (+CFUN=1 / +CFUN=0,4, power). Off: both domains are
        not registered and not searching (TS 27.007 §7.2 <stat> 0) and the signal is unknown;
        on: registration starts again, taking ``registration_delay`` as after power-on."""
        if on == self.rf_on:
            return
        self.rf_on = on
        self.sim.record(self.name, "rf", on=on)
        if not on:
            if self._reg_timer is not None:
                self._reg_timer.cancel()
                self._reg_timer = None
            for domain in DOMAINS:
                self._set(domain, RegState.NOT_REGISTERED)
        elif self.sim_card.ready and self.in_coverage:
            self._start_registration()
