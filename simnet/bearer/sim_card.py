"""The SIM: presence, PIN/PUK state machine, run-time removal.

States follow what AT+CPIN? reports (3GPP TS 27.007 §8.3): READY, SIM PIN, SIM PUK; an absent
SIM makes +CPIN answer +CME ERROR 10 (SIM not inserted), a permanently blocked one (PUK attempts
exhausted) +CME ERROR 13 (SIM failure). The card is a plain state machine (no timers); the
module core calls it and listens for changes to emit URCs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from simnet.bearer.outcomes import Outcome, OutcomeKind
from simnet.errors import ConfigError
from simnet.kernel import Simulation
from simnet.kernel.units import ascii_digits


class SimState(StrEnum):
    ABSENT = "absent"
    PIN = "pin"  # waiting for the PIN
    PUK = "puk"  # PIN blocked, waiting for PUK and a new PIN
    BLOCKED = "blocked"  # PUK attempts exhausted: the card is dead
    READY = "ready"
    OFF = "off"  # the module is unpowered or still reading the card after power-on


# +CPIN? <code> for each state (TS 27.007 §8.3); None: the command answers an error instead.
CPIN_CODES: dict[SimState, str | None] = {
    SimState.READY: "READY",
    SimState.PIN: "SIM PIN",
    SimState.PUK: "SIM PUK",
    SimState.ABSENT: None,
    SimState.BLOCKED: None,
    SimState.OFF: None,
}


def _digits(value: object, field: str, lengths: range) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not ascii_digits(value) or len(value) not in lengths:
        raise ConfigError(
            field, f"expected {lengths.start}..{lengths.stop - 1} decimal digits, got {value!r}"
        )
    return value


def _count(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(field, f"expected an integer {low}..{high}, got {value!r}")
    return value


@dataclass(frozen=True)
class SimConfig:
    """The card as inserted. ``pin=None`` means the PIN lock is disabled (card boots READY)."""

    present: bool = True
    pin: str | None = None
    puk: str = "12345678"
    pin_attempts: int = 3
    puk_attempts: int = 10
    iccid: str = "8933010000000000001"
    imsi: str = "208010000000001"
    msisdn: str | None = None  # own number (+CNUM), if the card stores one
    sms_records: int = 30  # EF_SMS records (TS 31.102 §4.2.25): the "SM" message memory's size

    def __post_init__(self) -> None:
        if not isinstance(self.present, bool):
            raise ConfigError("sim.present", f"expected true or false, got {self.present!r}")
        if self.pin is not None:
            object.__setattr__(self, "pin", _digits(self.pin, "sim.pin", range(4, 9)))
        object.__setattr__(self, "puk", _digits(self.puk, "sim.puk", range(8, 9)))
        _count(self.pin_attempts, "sim.pin_attempts", 1, 10)
        _count(self.puk_attempts, "sim.puk_attempts", 1, 10)
        _digits(self.iccid, "sim.iccid", range(18, 21))
        _digits(self.imsi, "sim.imsi", range(6, 16))
        _count(self.sms_records, "sim.sms_records", 0, 255)

    @classmethod
    def from_dict(cls, data: dict[str, object], field: str = "sim") -> SimConfig:
        known = {"present", "pin", "puk", "pin_attempts", "puk_attempts", "iccid", "imsi", "msisdn",
                 "sms_records"}
        for key in data:
            if key not in known:
                raise ConfigError(
                    f"{field}.{key}", f"unknown key (allowed: {', '.join(sorted(known))})"
                )
        return cls(**{k: v for k, v in data.items() if v is not None})  # type: ignore[arg-type]


StateListener = Callable[[SimState], None]


class SimCard:
    """PIN/PUK state machine of one card; ``check()`` gates every bearer procedure."""

    def __init__(self, sim: Simulation, config: SimConfig | None = None, *, name: str = "sim"):
        self.sim = sim
        self.config = config or SimConfig()
        self.name = name
        self.pin: str | None = self.config.pin
        self.lock_enabled = self.config.pin is not None
        self.pin_attempts_left = self.config.pin_attempts
        self.puk_attempts_left = self.config.puk_attempts
        self._listeners: list[StateListener] = []
        if not self.config.present:
            self.state = SimState.ABSENT
        elif self.lock_enabled:
            self.state = SimState.PIN
        else:
            self.state = SimState.READY

    # -- observation -------------------------------------------------------------------------
    @property
    def cpin(self) -> str | None:
        """The +CPIN: code, or None when +CPIN answers an error (absent / blocked)."""
        return CPIN_CODES[self.state]

    @property
    def ready(self) -> bool:
        return self.state == SimState.READY

    def check(self) -> Outcome | None:
        """None when the card is ready; otherwise the outcome a bearer procedure ends with."""
        if self.state == SimState.READY:
            return None
        if self.state == SimState.ABSENT:
            return Outcome(OutcomeKind.SIM_ABSENT, detail="SIM not inserted", at=self.sim.now)
        return Outcome(OutcomeKind.SIM_NOT_READY, detail=f"SIM {self.state}", at=self.sim.now)

    def add_listener(self, fn: StateListener) -> None:
        if fn not in self._listeners:  # a restarted module registers the same methods again
            self._listeners.append(fn)

    def _set(self, state: SimState) -> None:
        if state == self.state:
            return
        self.state = state
        self.sim.record(self.name, "sim_state", state=str(state))
        for fn in list(self._listeners):
            fn(state)

    # -- user operations (AT+CPIN, AT+CLCK, AT+CPWD); never raise --------------------------
    def enter_pin(self, pin: str) -> bool:
        """Verify the PIN. Wrong PINs use up attempts; the last one moves the card to PUK."""
        if self.state != SimState.PIN:
            return False
        if pin == self.pin:
            self.pin_attempts_left = self.config.pin_attempts
            self._set(SimState.READY)
            return True
        self.pin_attempts_left -= 1
        self.sim.record(self.name, "sim_pin_wrong", attempts_left=self.pin_attempts_left)
        if self.pin_attempts_left <= 0:
            self._set(SimState.PUK)
        return False

    def enter_puk(self, puk: str, new_pin: str) -> bool:
        """Unblock with the PUK and set ``new_pin``; exhausting PUK attempts kills the card."""
        if self.state != SimState.PUK:
            return False
        if not (isinstance(new_pin, str) and ascii_digits(new_pin) and 4 <= len(new_pin) <= 8):
            return False
        if puk == self.config.puk:
            self.pin = new_pin
            self.lock_enabled = True
            self.pin_attempts_left = self.config.pin_attempts
            self.puk_attempts_left = self.config.puk_attempts
            self._set(SimState.READY)
            return True
        self.puk_attempts_left -= 1
        self.sim.record(self.name, "sim_puk_wrong", attempts_left=self.puk_attempts_left)
        if self.puk_attempts_left <= 0:
            self._set(SimState.BLOCKED)
        return False

    def set_lock(self, enabled: bool, pin: str) -> bool:
        """AT+CLCK="SC": enable/disable the PIN lock (needs the current PIN; wrong ones count)."""
        if self.state != SimState.READY:
            return False
        current = self.pin if self.pin is not None else "0000"
        if pin != current:
            self.pin_attempts_left -= 1
            if self.pin_attempts_left <= 0:
                self._set(SimState.PUK)
            return False
        self.pin = current
        self.pin_attempts_left = self.config.pin_attempts
        self.lock_enabled = enabled
        return True

    def change_pin(self, old: str, new: str) -> bool:
        """AT+CPWD="SC": change the PIN (card must be ready and the lock enabled)."""
        if self.state != SimState.READY or not self.lock_enabled:
            return False
        if not (isinstance(new, str) and ascii_digits(new) and 4 <= len(new) <= 8):
            return False
        if old != self.pin:
            self.pin_attempts_left -= 1
            if self.pin_attempts_left <= 0:
                self._set(SimState.PUK)
            return False
        self.pin = new
        self.pin_attempts_left = self.config.pin_attempts
        return True

    # -- faults ------------------------------------------------------------------------------
    def remove(self) -> None:
        """Fault ``sim-remove``: the card disappears; registration and bearers go with it."""
        self.sim.record(self.name, "fault", fault="sim_remove")
        self._set(SimState.ABSENT)

    def power_off(self) -> None:
        """The module lost power: the card is no longer read (an absent card stays absent)."""
        if self.state not in (SimState.ABSENT, SimState.OFF):
            self._powered_state = self.state
            self._set(SimState.OFF)

    def power_on(self) -> None:
        """The module has read the card after power-on: PIN required again if the lock is
        on (a PUK-blocked or dead card stays so), else ready."""
        if self.state != SimState.OFF:
            return
        before = getattr(self, "_powered_state", SimState.READY)
        if before in (SimState.PUK, SimState.BLOCKED):
            self._set(before)
        else:
            self._set(SimState.PIN if self.lock_enabled else SimState.READY)

    def insert(self) -> None:
        """Put the card back: it boots again (PIN required if the lock is enabled)."""
        if self.state != SimState.ABSENT:
            return
        self._set(SimState.PIN if self.lock_enabled else SimState.READY)
