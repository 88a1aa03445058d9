"""What the network serves: ``OperatorConfig`` (APN, credentials, PDP behaviour, IP pool, DNS,
registration and signal, SIM, CSD call outcomes, radio profile).

Every field is validated when the config is built; an impossible value raises ``ConfigError``
naming the field (``network.reject_cause``, ``network.csd.rate``, ...).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any

from simnet.bearer.causes import validate_gmm_cause, validate_sm_cause
from simnet.bearer.profiles import PROFILES
from simnet.bearer.radio import RadioConfig
from simnet.bearer.sim_card import SimConfig
from simnet.bearer.sms.config import SmsConfig
from simnet.errors import ConfigError
from simnet.kernel import Distribution, make_distribution, parse_duration, parse_probability
from simnet.kernel.units import ascii_digits

# How the operator checks credentials of a PDP context / CSD PPP login.
OPERATOR_AUTH = ("none", "pap", "chap")
# Context authentication as AT commands name it: TS 27.007 +CGAUTH <auth_prot> 0/1/2, plus
# "PAP or CHAP" (Fibocom +MIPCALL <auth> 3, §1.1.1.4) which we call "any".
CONTEXT_AUTH = {"none": "none", "pap": "pap", "chap": "chap", "any": "any", "pap_or_chap": "any",
                0: "none", 1: "pap", 2: "chap", 3: "any"}
PDP_TYPES = ("IP", "IPV6", "IPV4V6", "PPP")
CSD_KINDS = ("connect", "busy", "no_answer", "no_carrier")
CSD_RATES = (2400, 4800, 9600, 14400)  # TS 27.007 +CBST speeds for V.110 / non-transparent data


def normalize_auth(value: object, field_name: str) -> str:
    key = value.lower().replace("-", "_") if isinstance(value, str) else value
    if isinstance(key, bool) or key not in CONTEXT_AUTH:
        raise ConfigError(
            field_name, f"unknown authentication {value!r} (allowed: none, pap, chap, any / 0..3)"
        )
    return CONTEXT_AUTH[key]  # type: ignore[index]


# What a scenario gives for a delay: a duration or a distribution mapping (never a Distribution).
_SCENARIO_VALUES = frozenset((str, int, float, dict))


def _dist(value: object, field_name: str) -> Distribution:
    if type(value) in _SCENARIO_VALUES:  # the usual case: skips the ABC instance check
        return make_distribution(value, field_name)
    if isinstance(value, Distribution):
        return value  # already built (the scenario layer validates distributions itself)
    return make_distribution(value, field_name)


def _ipv4(value: object, field_name: str) -> str:
    try:
        if isinstance(value, str):
            return _ipv4_text(value)
        return str(ipaddress.IPv4Address(value))  # type: ignore[arg-type]
    except (ValueError, TypeError):
        raise ConfigError(field_name, f"expected an IPv4 address, got {value!r}") from None


# Every world names the same few addresses and pools: parse each text once per process
# (ipaddress parsing was a visible part of building a world). A bad value raises each time.
@lru_cache(maxsize=1024)
def _ipv4_text(value: str) -> str:
    return str(ipaddress.IPv4Address(value))


@lru_cache(maxsize=256)
def _pool_size(value: str) -> int:
    return ipaddress.IPv4Network(value).num_addresses


def _csd_kind(value: object, field_name: str) -> str:
    kind = value.lower().replace("-", "_").replace(" ", "_") if isinstance(value, str) else value
    if kind not in CSD_KINDS:
        raise ConfigError(
            field_name,
            f"unknown call outcome {value!r} (allowed: connect, busy, no-answer, no-carrier)",
        )
    return kind  # type: ignore[return-value]


@dataclass(frozen=True)
class CsdConfig:
    """Outcome and timing of GSM data calls (mobile-originated and -terminated).

    The outcome of a dial is, in order of precedence: a ``call_fail`` fault, the entry for the
    dialled number in ``numbers``, ``probabilities`` (drawn from ``sim.rng("<name>.outcome")``)
    when given, else ``outcome``. Times: ``setup_time`` until CONNECT or NO CARRIER,
    ``busy_time`` until BUSY, ``no_answer_time`` until NO ANSWER (ringing at the far end).
    ``ppp_server``: the number answers with a PPP server (an ISP's dial-in), as WIPsoft's and
    eDsoft's GSM bearers expect.
    """

    setup_time: Any = field(default_factory=lambda: {"min": 15.0, "max": 25.0})
    outcome: str = "connect"
    probabilities: Mapping[str, float] | None = None
    numbers: Mapping[str, str] = field(default_factory=dict)
    rate: int = 9600
    busy_time: Any = 5.0
    no_answer_time: Any = 60.0
    answer_time: Any = 5.0  # ATA until CONNECT on an incoming call (modem training)
    ring_interval: float = 5.0
    ring_timeout: float = 30.0  # the caller gives up after this long without an answer
    ppp_server: bool = True

    def __post_init__(self) -> None:
        p = "network.csd"
        for name in ("setup_time", "busy_time", "no_answer_time", "answer_time"):
            _dist(getattr(self, name), f"{p}.{name}")
        object.__setattr__(self, "outcome", _csd_kind(self.outcome, f"{p}.outcome"))
        if self.probabilities is not None:
            if not isinstance(self.probabilities, Mapping) or not self.probabilities:
                raise ConfigError(f"{p}.probabilities", "expected a mapping outcome -> probability")
            probs: dict[str, float] = {}
            for k, v in self.probabilities.items():
                probs[_csd_kind(k, f"{p}.probabilities.{k}")] = parse_probability(
                    v, f"{p}.probabilities.{k}"
                )
            total = sum(probs.values())
            if abs(total - 1.0) > 1e-9:
                raise ConfigError(
                    f"{p}.probabilities", f"probabilities must sum to 1 (got {total:g})"
                )
            object.__setattr__(
                self, "probabilities", {k: probs[k] for k in CSD_KINDS if k in probs}
            )
        if not isinstance(self.numbers, Mapping):
            raise ConfigError(f"{p}.numbers", "expected a mapping number -> outcome")
        object.__setattr__(
            self,
            "numbers",
            {str(n): _csd_kind(k, f"{p}.numbers.{n}") for n, k in self.numbers.items()},
        )
        if self.rate not in CSD_RATES:
            raise ConfigError(
                f"{p}.rate",
                f"unsupported CSD rate {self.rate!r} (allowed: {', '.join(map(str, CSD_RATES))})",
            )
        object.__setattr__(
            self,
            "ring_interval",
            parse_duration(self.ring_interval, f"{p}.ring_interval", allow_zero=False),
        )
        object.__setattr__(
            self, "ring_timeout", parse_duration(self.ring_timeout, f"{p}.ring_timeout")
        )

    def distribution(self, name: str) -> Distribution:
        return _dist(getattr(self, name), f"network.csd.{name}")


@dataclass(frozen=True)
class GprsTimers:
    """Session-management timers of the module (TS 24.008 §11.2.3 Table 11.2a).

    T3380 guards ACTIVATE PDP CONTEXT REQUEST: on each expiry the request is retransmitted,
    on expiry number ``t3380_retransmissions + 1`` the procedure is aborted (§6.1.3.1.5).
    T3390 guards DEACTIVATE PDP CONTEXT REQUEST the same way; when it runs out the context is
    released locally (§6.1.3.4.4).
    """

    t3380: float = 30.0
    t3380_retransmissions: int = 4
    t3390: float = 8.0
    t3390_retransmissions: int = 4

    def __post_init__(self) -> None:
        for name in ("t3380", "t3390"):
            object.__setattr__(
                self, name, parse_duration(getattr(self, name), f"timers.{name}", allow_zero=False)
            )
        for name in ("t3380_retransmissions", "t3390_retransmissions"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 100:
                raise ConfigError(f"timers.{name}", f"expected an integer 0..100, got {v!r}")

    @property
    def activation_timeout(self) -> float:
        """When a silent network makes activation fail: every expiry of T3380."""
        return self.t3380 * (self.t3380_retransmissions + 1)


def _bits(value: object, width: int, field_name: str) -> str:
    if not (isinstance(value, str) and len(value) == width and set(value) <= {"0", "1"}):
        raise ConfigError(
            field_name, f"expected {width} bits such as {'0' * width!r}, got {value!r}"
        )
    return value


@dataclass(frozen=True)
class PowerSavingConfig:
    """How the network answers PSM and eDRX requests (TS 23.682 §4.5.4, §4.5.13) and what it
    does with downlink data for a UE in power saving mode.

    ``psm``: ``requested`` (grant the UE's T3412 extended / T3324), ``reject``, or fixed
    ``{t3412: "01000010", t3324: "00100001"}`` (GPRS Timer 3 / GPRS Timer 2 bit strings, TS 24.008
    §10.5.7.4a / §10.5.7.4). ``edrx``: ``requested``, ``reject`` or a fixed 4-bit eDRX value;
    ``ptw``: the paging time window granted (4 bits, TS 24.008 §10.5.5.32). ``periodic_tau``:
    T3412 when PSM is not in use (TS 24.301 §10.2: 54 min by default). ``psm_downlink``:
    ``drop`` (the serving gateway discards data for an unreachable UE) or ``buffer`` (extended
    buffering, TS 23.682 §4.5.7: delivered when the UE next connects), at most
    ``buffer_packets`` packets."""

    psm: Any = "requested"
    edrx: str = "requested"
    ptw: str = "0000"
    periodic_tau: Any = 54 * 60.0
    psm_downlink: str = "drop"
    buffer_packets: int = 16

    def __post_init__(self) -> None:
        p = "network.power_saving"
        psm = self.psm
        if isinstance(psm, Mapping):
            unknown = sorted(set(psm) - {"t3412", "t3324"})
            if unknown or "t3412" not in psm or "t3324" not in psm:
                raise ConfigError(
                    f"{p}.psm", "expected requested, reject or {t3412: bits, t3324: bits}"
                )
            object.__setattr__(
                self,
                "psm",
                {
                    "t3412": _bits(psm["t3412"], 8, f"{p}.psm.t3412"),
                    "t3324": _bits(psm["t3324"], 8, f"{p}.psm.t3324"),
                },
            )
        elif psm not in ("requested", "reject"):
            raise ConfigError(
                f"{p}.psm", f"expected requested, reject or {{t3412, t3324}}, got {psm!r}"
            )
        if self.edrx not in ("requested", "reject"):
            _bits(self.edrx, 4, f"{p}.edrx")
        _bits(self.ptw, 4, f"{p}.ptw")
        object.__setattr__(
            self,
            "periodic_tau",
            parse_duration(self.periodic_tau, f"{p}.periodic_tau", allow_zero=False),
        )
        if self.psm_downlink not in ("drop", "buffer"):
            raise ConfigError(
                f"{p}.psm_downlink", f"expected drop or buffer, got {self.psm_downlink!r}"
            )
        b = self.buffer_packets
        if isinstance(b, bool) or not isinstance(b, int) or not 0 <= b <= 100_000:
            raise ConfigError(f"{p}.buffer_packets", f"expected 0..100000 packets, got {b!r}")


# One default sub-config per class and process, shared by every operator that gives none: the
# configs are frozen and nothing changes the mappings inside them (each world built and
# validated them all again before).
_DEFAULTS: dict[type, Any] = {}


def _default(cls: type) -> Any:
    config = _DEFAULTS.get(cls)
    if config is None:
        config = _DEFAULTS[cls] = cls()
    return config


def _default_csd() -> CsdConfig:
    return _default(CsdConfig)  # type: ignore[no-any-return]


def _default_timers() -> GprsTimers:
    return _default(GprsTimers)  # type: ignore[no-any-return]


def _default_power_saving() -> PowerSavingConfig:
    return _default(PowerSavingConfig)  # type: ignore[no-any-return]


def _default_sms() -> SmsConfig:
    return _default(SmsConfig)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class OperatorConfig:
    """The serving network as the module meets it.

    PDP: ``apn`` (the APN(s) served; "*" serves any; an empty APN in the request means the
    subscriber's default and is accepted), ``user``/``password``/``auth`` the credentials the
    network checks (none: not checked), ``activation_delay``/``deactivation_delay``
    (distributions), ``reject_cause`` (TS 24.008 SM cause to reject every activation with),
    ``silent`` (never answer activation), ``ip_pool`` and ``dns`` (empty: the network's DNS
    servers), ``max_active_contexts`` (#65 beyond it). Attach: ``attach_delay``,
    ``attach_reject_cause`` (GMM cause). ``bearer`` gprs or gsm selects the initial radio
    ``profile`` (gprs_class10 / csd_9600) unless given. ``ppp_server_ip``: the address of the
    network side of PPP (CSD dial-in server, or the module's side of a dial-up link).
    """

    name: str = "SIMNET"
    short_name: str = "SIMNET"
    plmn: str = "00101"
    apn: str | tuple[str, ...] = "internet"
    user: str = ""
    password: str = ""
    auth: str = "none"
    activation_delay: Any = field(default_factory=lambda: {"min": 0.5, "max": 2.5})
    deactivation_delay: Any = 0.5
    attach_delay: Any = 1.0
    reject_cause: int | None = None
    attach_reject_cause: int | None = None
    silent: bool = False
    ip_pool: str = "10.64.0.0/16"
    dns: tuple[str, ...] = ()
    max_active_contexts: int = 4
    bearer: str = "gprs"
    profile: str | None = None
    ppp_server_ip: str = "10.64.0.1"
    radio: RadioConfig = field(default_factory=RadioConfig)
    sim: SimConfig = field(default_factory=SimConfig)
    csd: CsdConfig = field(default_factory=_default_csd)
    timers: GprsTimers = field(default_factory=_default_timers)
    power_saving: PowerSavingConfig = field(default_factory=_default_power_saving)
    sms: SmsConfig = field(default_factory=_default_sms)

    def __post_init__(self) -> None:
        p = "network"
        if isinstance(self.apn, str):
            object.__setattr__(self, "apn", (self.apn,))
        elif not isinstance(self.apn, Sequence) or not all(isinstance(a, str) for a in self.apn):
            raise ConfigError(
                f"{p}.apn", f"expected an APN name or a list of names, got {self.apn!r}"
            )
        else:
            object.__setattr__(self, "apn", tuple(self.apn))
        for a in self.apn:  # type: ignore[union-attr]
            if len(a) > 100:
                raise ConfigError(f"{p}.apn", "an APN is at most 100 characters (TS 23.003 §9.1)")
        for name in ("user", "password", "name", "short_name"):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(f"{p}.{name}", f"expected a string, got {getattr(self, name)!r}")
        plmn = self.plmn
        if not (isinstance(plmn, str) and ascii_digits(plmn) and len(plmn) in (5, 6)):
            raise ConfigError(f"{p}.plmn", f"expected MCC+MNC as 5 or 6 digits, got {self.plmn!r}")
        auth = self.auth.lower() if isinstance(self.auth, str) else self.auth
        if auth not in OPERATOR_AUTH:
            raise ConfigError(
                f"{p}.auth",
                f"unknown authentication {self.auth!r} (allowed: {', '.join(OPERATOR_AUTH)})",
            )
        object.__setattr__(self, "auth", auth)
        for name in ("activation_delay", "deactivation_delay", "attach_delay"):
            _dist(getattr(self, name), f"{p}.{name}")
        if self.reject_cause is not None:
            validate_sm_cause(self.reject_cause, f"{p}.reject_cause")
        if self.attach_reject_cause is not None:
            validate_gmm_cause(self.attach_reject_cause, f"{p}.attach_reject_cause")
        if not isinstance(self.silent, bool):
            raise ConfigError(f"{p}.silent", f"expected true or false, got {self.silent!r}")
        try:
            if isinstance(self.ip_pool, str):
                pool_size = _pool_size(self.ip_pool)
            else:
                pool_size = ipaddress.IPv4Network(self.ip_pool).num_addresses
        except (ValueError, TypeError):
            raise ConfigError(
                f"{p}.ip_pool",
                f"expected an IPv4 prefix such as 10.64.0.0/16, got {self.ip_pool!r}",
            ) from None
        if pool_size < 4:
            raise ConfigError(f"{p}.ip_pool", "the pool needs at least a /30")
        if isinstance(self.dns, str):
            object.__setattr__(self, "dns", (self.dns,))
        object.__setattr__(
            self, "dns", tuple(_ipv4(d, f"{p}.dns[{i}]") for i, d in enumerate(self.dns))
        )
        m = self.max_active_contexts
        if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= 16:
            raise ConfigError(f"{p}.max_active_contexts", f"expected an integer 1..16, got {m!r}")
        if self.bearer not in ("gprs", "gsm"):
            raise ConfigError(f"{p}.bearer", f"expected gprs or gsm, got {self.bearer!r}")
        if self.profile is not None and self.profile not in PROFILES:
            raise ConfigError(
                f"{p}.profile",
                f"unknown radio profile {self.profile!r} (known: {', '.join(PROFILES)})",
            )
        object.__setattr__(self, "ppp_server_ip", _ipv4(self.ppp_server_ip, f"{p}.ppp_server_ip"))
        if isinstance(self.power_saving, Mapping):
            object.__setattr__(self, "power_saving", PowerSavingConfig(**self.power_saving))
        if isinstance(self.sms, Mapping):
            object.__setattr__(self, "sms", SmsConfig.from_dict(self.sms, f"{p}.sms"))
        for name, cls in (
            ("radio", RadioConfig),
            ("sim", SimConfig),
            ("csd", CsdConfig),
            ("timers", GprsTimers),
            ("power_saving", PowerSavingConfig),
            ("sms", SmsConfig),
        ):
            if not isinstance(getattr(self, name), cls):
                raise ConfigError(f"{p}.{name}", f"expected a {cls.__name__}")

    @property
    def profile_name(self) -> str:
        return self.profile or ("csd_9600" if self.bearer == "gsm" else "gprs_class10")

    def serves_apn(self, apn: str) -> bool:
        return apn == "" or "*" in self.apn or apn.lower() in (a.lower() for a in self.apn)  # type: ignore[union-attr]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], field_name: str = "network") -> OperatorConfig:
        """Build from a scenario mapping; nested ``radio``, ``sim``, ``csd``, ``timers``."""
        if not isinstance(data, Mapping):
            raise ConfigError(field_name, "expected a mapping")
        known = _field_names(cls)
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise ConfigError(
                    f"{field_name}.{key}", f"unknown key (allowed: {', '.join(sorted(known))})"
                )
            kwargs[key] = value
        if "dns" in kwargs and kwargs["dns"] is not None and not isinstance(kwargs["dns"], str):
            kwargs["dns"] = tuple(kwargs["dns"])
        if kwargs.get("dns") is None:
            kwargs.pop("dns", None)
        if isinstance(kwargs.get("radio"), Mapping):
            kwargs["radio"] = RadioConfig.from_dict(kwargs["radio"], f"{field_name}.radio")
        if isinstance(kwargs.get("sim"), Mapping):
            kwargs["sim"] = SimConfig.from_dict(dict(kwargs["sim"]), f"{field_name}.sim")
        if isinstance(kwargs.get("csd"), Mapping):
            csd_known = _field_names(CsdConfig)
            for key in kwargs["csd"]:
                if key not in csd_known:
                    raise ConfigError(
                        f"{field_name}.csd.{key}",
                        f"unknown key (allowed: {', '.join(sorted(csd_known))})",
                    )
            kwargs["csd"] = CsdConfig(**{k: v for k, v in kwargs["csd"].items() if v is not None})
        if isinstance(kwargs.get("timers"), Mapping):
            t_known = _field_names(GprsTimers)
            for key in kwargs["timers"]:
                if key not in t_known:
                    raise ConfigError(
                        f"{field_name}.timers.{key}",
                        f"unknown key (allowed: {', '.join(sorted(t_known))})",
                    )
            kwargs["timers"] = GprsTimers(**kwargs["timers"])
        if isinstance(kwargs.get("power_saving"), Mapping):
            ps_known = _field_names(PowerSavingConfig)
            for key in kwargs["power_saving"]:
                if key not in ps_known:
                    raise ConfigError(
                        f"{field_name}.power_saving.{key}",
                        f"unknown key (allowed: {', '.join(sorted(ps_known))})",
                    )
            kwargs["power_saving"] = PowerSavingConfig(**kwargs["power_saving"])
        for key in ("activation_delay", "deactivation_delay", "attach_delay"):
            if kwargs.get(key) is None:
                kwargs.pop(key, None)
        return cls(**kwargs)


_FIELD_NAMES: dict[type, frozenset[str]] = {}


def _field_names(cls: type) -> frozenset[str]:
    """The keys a scenario may give for a config class (listed once per class and process)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in fields(cls))
    return names
