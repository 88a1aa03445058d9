"""Validation of the scenario contract (issue 6): every key, type and unit, all errors at once.

Each problem reads ``FILE:LINE: key.path: what is wrong (expected …)``. The validator never stops
at the first problem: a user fixing a file wants the whole list. Nothing is built or run here
except the servers' own config checks (``make_service`` without attaching), so a file that fails
validation never starts a simulation.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable
from typing import Any

from simnet.errors import ConfigError
from simnet.kernel.dist import Distribution, make_distribution
from simnet.kernel.units import (
    MAX_SECONDS,
    ascii_digits,
    parse_duration,
    parse_probability,
    parse_rate,
)
from simnet.scenario import safe_regex
from simnet.scenario.faults import FAULTS
from simnet.scenario.ip_steps import (
    DIAL_WITHIN,
    IP_STEP_KINDS,
    IP_WITHIN_KINDS,
    validate_ip_step,
    validate_pcap_check,
)
from simnet.scenario.loader import Loaded, Path, Problem, format_path
from simnet.scenario.model import (
    ApnSpec,
    CheckSpec,
    CsdSpec,
    FaultSpec,
    HostSpec,
    LinkSpec,
    LossSpec,
    NetworkSpec,
    PdpSpec,
    Scenario,
    ServiceSpec,
    StepSpec,
    TriggerSpec,
)
from simnet.scenario.safe_regex import SafePattern
from simnet.scenario.sms_steps import (
    SMS_STEP_KINDS,
    SMS_WITHIN_KINDS,
    validate_sms_check,
    validate_sms_step,
)

TOP_KEYS = (
    "name", "description", "seed", "module", "modules", "boot", "uart", "sim", "network", "hosts",
    "faults", "steps", "checks", "trace", "epoch", "capture", "program", "chaos",
)
# Capture points a scenario can name besides its hosts (simnet.net.network CORE_INSIDE/OUTSIDE).
CAPTURE_POINTS = ("module", "core-inside", "core-outside")
TRACE_KEYS = ("level", "kinds", "ring")
# modules: [...] - a fleet: each entry a group of `count` devices of one module type.
DEVICE_KEYS = ("name", "module", "count", "uart", "sim", "boot", "steps", "start", "overrides")
OVERRIDE_KEYS = ("module", "uart", "sim", "boot", "steps", "start")
FLEET_STEP_KINDS = ("send", "send_raw", "send_hex", "expect", "expect_re", "expect_absent", "wait")
MAX_DEVICES = 100_000
BOOT_MODES = ("booted", "cold")
NETWORK_KEYS = (
    "registration", "bearer", "apn", "pdp", "csd", "link", "uplink", "downlink", "dns", "nat",
    "signal", "profile", "power_saving", "sms", "ussd",
)
NAT_VARIANT_KEYS = ("tcp_established_timeout", "tcp_transitory_timeout", "mapping", "filtering",
                    "port_preservation", "on_expiry", "inbound_refresh")
LINK_KEYS = ("delay", "jitter", "rate", "loss", "queue", "mtu", "duplicate", "corrupt", "reorder")
SIM_STATES = ("ready", "pin", "absent")  # PUK is reached by wrong PINs, as on a real card
REGISTRATION_STATES = ("home", "roaming", "searching", "denied", "not-registered")
BEARERS = ("gprs", "gsm")
AUTH_KINDS = ("none", "pap", "chap")
CSD_OUTCOMES = ("connect", "busy", "no-answer", "no-carrier")
# Loss models as the scenario names them. Gilbert-Elliott takes the classic h and k (probability
# that a packet gets THROUGH in the bad / good state), so loss is 1-h / 1-k as in netem's
# ``gemodel p r 1-h 1-k``; defaults are netem's (r = 1-p, h = 0, k = 1).
LOSS_MODELS = {
    "none": (),
    "bernoulli": ("p",),
    "gilbert-elliott": ("p", "r", "h", "k"),
    # netem 4-state Markov ("loss state p13 p31 p32 p23 p14"), netem's names and defaults
    "four-state": ("p13", "p31", "p32", "p23", "p14"),
}
LOSS_ALIASES = {
    "gilbert_elliott": "gilbert-elliott",
    "ge": "gilbert-elliott",
    "gemodel": "gilbert-elliott",
    "four_state": "four-state",
    "markov4": "four-state",
    "random": "bernoulli",
}
LOSS_OPTIONAL: dict[str, dict[str, float | None]] = {
    "gilbert-elliott": {"r": None, "h": 0.0, "k": 1.0},
    "four-state": {"p31": None, "p32": 0.0, "p23": 1.0, "p14": 0.0},
}
STANDARD_BAUDS = (
    300,
    600,
    1200,
    2400,
    4800,
    9600,
    19200,
    38400,
    57600,
    115200,
    230400,
    460800,
    921600,
    1000000,
    1500000,
    2000000,
    3000000,
    3200000,
    3686400,
    4000000,
)
STEP_KINDS = (
    "send",
    "send_raw",
    "send_hex",
    "expect",
    "expect_re",
    "wait",
    "expect_absent",
    *IP_STEP_KINDS,
    *SMS_STEP_KINDS,
)
WITHIN_KINDS = ("expect", "expect_re", "expect_absent", *IP_WITHIN_KINDS, *SMS_WITHIN_KINDS)
# Steps that talk on a serial line, and so may name which one with ``port:`` (the module's
# first UART when they do not): uart2.., cmux<n> (DLCI n of the multiplexer on UART1),
# uart2.cmux<n> (on UART2).
PORT_KINDS = ("send", "send_raw", "send_hex", "expect", "expect_re", "expect_absent")
STEP_OPTION_KEYS = ("within", "port")
DEFAULT_PORT = "uart1"
# Addresses of the operator network (defaults of simnet.net.Network / NatConfig and
# simnet.bearer.OperatorConfig.ip_pool): a peer host may not take one.
OPERATOR_CORE_IP = "10.64.0.1"
OPERATOR_DNS_IP = "10.64.0.53"
NAT_PUBLIC_IP = "198.51.100.1"
OPERATOR_POOL = ipaddress.IPv4Network("10.64.0.0/16")
DEFAULT_WITHIN = 10.0
INTERNAL_CHECK_ERROR = "this section could not be checked"
MAX_DURATION = MAX_SECONDS  # virtual seconds; an infinite wait would never end
MAX_APN = 100  # characters, TS 23.003 §9.1
MAX_CREDENTIAL = 255  # bytes: PAP/CHAP carry the peer id and password behind a one-octet length
DIRECTIONS = ("both", "uplink", "downlink")
DNS_FAIL_MODES = ("nxdomain", "servfail", "timeout")
PPP_PHASES = ("lcp", "auth", "ipcp", "open", "echo")
PPP_MODES = (
    "silent",
    "reject",
    "terminate",
    "nak_loop",
    "reject_loop",
    "reject_auth",
    "protocol_reject",
    "echo_silent",
)
# Which modes a phase takes (simnet.bearer.ppp.FAULT_MODES, with the bearer's aliases
# open/echo + silent = echo_silent, echo + terminate = terminate).
PPP_PHASE_MODES = {
    "lcp": ("silent", "reject", "nak_loop", "reject_loop", "reject_auth", "terminate"),
    "auth": ("silent", "reject", "terminate"),
    "ipcp": ("silent", "reject", "protocol_reject", "nak_loop", "terminate"),
    "open": ("silent", "echo_silent", "terminate"),
    "echo": ("silent", "echo_silent", "terminate"),
}
CALL_FAIL_OUTCOMES = ("busy", "no-answer", "no-carrier")
TRIGGER_KINDS = ("syn", "bytes", "sent", "received", "trace")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_HEX = re.compile(r"^[0-9A-Fa-f\s]*$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")

# Fault actions and their keys: the registry in simnet.scenario.faults (each fault declared
# once, with its behaviour). Views kept as data so docs and tests can iterate them.
FAULT_ACTIONS: dict[str, dict[str, tuple[str, bool]]] = {
    name: dict(kind.params) for name, kind in FAULTS.items()
}
FAULT_REQUIRED_ONE_OF = {name: kind.one_of for name, kind in FAULTS.items() if kind.one_of}
# The keys of each mapping the validator reads (also the source of `simnet schema`).
UART_KEYS = ("baud",)
SIM_KEYS = ("state", "pin", "puk", "msisdn", "sms_records")
REGISTRATION_KEYS = ("state", "after")
APN_KEYS = ("name", "user", "password", "auth")
PDP_KEYS = ("activation_delay", "deactivation_delay", "reject_cause", "silent")
CSD_KEYS = ("setup_time", "outcome", "rate")
SIGNAL_KEYS = ("rssi", "ber")
NAT_KEYS = (
    "tcp_idle_timeout",
    "udp_idle_timeout",
    "port_low",
    "port_high",
    "per_subscriber",
    *NAT_VARIANT_KEYS,
)
HOST_KEYS = ("ip", "services", "dns", "tcp", "msisdn")
TRIGGER_KEYS = {
    "syn": ("syn", "host", "port"),
    "bytes": ("bytes", "host", "port", "direction"),
    "sent": ("sent",),
    "received": ("received",),
    "trace": ("trace", "count"),
}
TRACE_CHECK_KEYS = ("trace", "count")  # both required
COUNT_BOUND_KEYS = ("min", "max")
# check kind -> (keys allowed, keys of which one must be there)
CHECK_KEYS = {
    "file": (
        ("host", "file", "sha256", "size", "text", "exists"),
        ("sha256", "size", "text", "exists"),
    ),
    "mailbox": (
        ("host", "mailbox", "service", "count", "subject", "body"),
        ("count", "subject", "body"),
    ),
    "service": (("host", "service", "port", "bytes_received"), ("bytes_received",)),
    "tcp": (("host", "tcp_retransmissions"), ("tcp_retransmissions",)),
}


def _expected(options: tuple[str, ...] | list[str]) -> str:
    return ", ".join(options)


def _dialect_loads(module_id: str) -> bool:
    try:
        from simnet.modem import registry

        registry.load_dialect_class(registry.get_profile(module_id))
    except Exception:
        return False
    return True


def unbuilt_module_ids() -> list[str]:
    """Registry ids whose dialect cannot be loaded yet (validation refuses them, as run would)."""
    from simnet.modem import registry

    out = []
    for mod_id in known_module_ids():
        try:
            registry.load_dialect_class(registry.get_profile(mod_id))
        except Exception:  # ConfigError "dialect not built yet" (or a broken dialect)
            out.append(mod_id)
    return out


def module_ports(module_id: str) -> tuple[str, ...]:
    """The serial lines a step can name with ``port:``: ``uart1``..``uart<n>`` (profile
    ``uarts``) and, where AT+CMUX exists, ``cmux<d>`` for each DLCI over UART1 and
    ``uart<k>.cmux<d>`` over the other UARTs."""
    from simnet.modem import registry

    profile = registry.get_profile(module_id)
    uarts = [f"uart{i}" for i in range(1, profile.uarts + 1)]
    cmux = [f"cmux{d}" for d in profile.cmux_channels]
    over = [f"{u}.cmux{d}" for u in uarts[1:] for d in profile.cmux_channels]
    return (*uarts, *cmux, *over)


def known_module_ids() -> list[str]:
    """Module ids of the registry (simnet.modem)."""
    from simnet.modem.registry import list_modules

    return [m.id for m in list_modules()]


def _radio_profiles() -> tuple[str, ...]:
    from simnet.bearer.profiles import PROFILES

    return tuple(PROFILES)


def known_service_types() -> tuple[str, ...]:
    from simnet.servers import SERVICE_TYPES

    return tuple(SERVICE_TYPES)


def decode_escapes(text: str) -> bytes:
    r"""Bytes of a ``send_raw`` value: ``\r \n \t \0 \\ \xNN \e`` escapes; other characters as
    Latin-1 when they fit one byte (so a YAML ``"\xe9"`` is byte 0xE9), else UTF-8."""
    out = bytearray()
    i = 0
    n = len(text)
    simple = {"r": 13, "n": 10, "t": 9, "0": 0, "\\": 92, "e": 27, "a": 7, "b": 8, '"': 34, "'": 39}
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt in simple:
                out.append(simple[nxt])
                i += 2
                continue
            if nxt in "xX" and i + 4 <= n and re.fullmatch(r"[0-9A-Fa-f]{2}", text[i + 2 : i + 4]):
                out.append(int(text[i + 2 : i + 4], 16))
                i += 4
                continue
        code = ord(ch)
        if code < 256:
            out.append(code)
        else:
            out.extend(ch.encode("utf-8"))
        i += 1
    return bytes(out)


class Validator:
    """Walks the loaded data, collecting problems and building the ``Scenario``."""

    def __init__(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.problems: list[Problem] = list(loaded.problems)
        self._module_ids = known_module_ids()
        self._service_types = known_service_types()
        self._by_text: dict[str, Path] | None = None
        self._loader_paths = {p.path for p in loaded.problems}

    # -- reporting ---------------------------------------------------------------------------
    def err(self, path: Path, message: str, *, key: bool = False) -> None:
        if not key and format_path(path) in self._loader_paths:
            return  # the loader already said why this value could not be read
        line = self.loaded.line_of(path, key=key)
        self.problems.append(Problem(self.loaded.file, line, format_path(path), message))

    def config_error(self, exc: ConfigError, base: Path) -> None:
        """Place a ``ConfigError`` raised with a textual field at the line of that field."""
        path = self._path_of_field(exc.field, base)
        line = self.loaded.line_of(path)
        self.problems.append(
            Problem(self.loaded.file, line, exc.field, _with_expected(exc.message))
        )

    def _path_of_field(self, text: str, base: Path) -> Path:
        if self._by_text is None:
            self._by_text = {format_path(p): p for p in self.loaded.value_lines}
        probe = text
        while probe:
            if probe in self._by_text:
                return self._by_text[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            if cut <= 0:
                break
            probe = probe[:cut]
        return base

    # -- typed readers (return None after reporting a problem) -------------------------------
    def mapping(
        self, path: Path, value: Any, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict[str, Any] | None:
        """``value`` as a mapping of ``allowed`` keys: an unknown key is a problem and is left
        out of the mapping returned, so no checker or constructor (``SmsConfig(**m)``) after this
        ever sees a key nobody declared."""
        if not isinstance(value, dict):
            self.err(
                path, f"got {_describe(value)} (expected a mapping with keys {_expected(allowed)})"
            )
            return None
        for key in value:
            if key not in allowed:
                self.err(
                    (*path, key),
                    "unknown key (expected one of "
                    f"{_expected(allowed)}{_did_you_mean(key, allowed)})",
                    key=True,
                )
        for key in required:
            if key not in value:
                self.err(
                    (*path, key),
                    f"missing required key (expected {key}: under {format_path(path)})",
                )
        if all(key in allowed for key in value):
            return value
        return {key: item for key, item in value.items() if key in allowed}

    def string(
        self, path: Path, value: Any, *, what: str = "a string", allow_empty: bool = True
    ) -> str | None:
        if not isinstance(value, str):
            # Numbers in a text slot are usually an unquoted PIN or code: say so.
            self.err(path, f"got {_describe(value)} (expected {what}, in quotes)")
            return None
        if not allow_empty and not value:
            self.err(path, f"got an empty string (expected {what})")
            return None
        return value

    def integer(
        self, path: Path, value: Any, lo: int, hi: int, *, what: str = "an integer"
    ) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.err(path, f"got {_describe(value)} (expected {what} from {lo} to {hi})")
            return None
        if not lo <= value <= hi:
            self.err(path, f"{value} is out of range (expected {what} from {lo} to {hi})")
            return None
        return value

    def boolean(self, path: Path, value: Any) -> bool | None:
        if not isinstance(value, bool):
            self.err(path, f"got {_describe(value)} (expected true or false)")
            return None
        return value

    def choice(self, path: Path, value: Any, options: tuple[str, ...]) -> str | None:
        if not isinstance(value, str) or value not in options:
            self.err(
                path,
                f"unknown value {_shown(value)} (expected one of "
                f"{_expected(options)}{_did_you_mean(value, options)})",
            )
            return None
        return value

    def _unit(self, path: Path, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except ConfigError as exc:
            self.err(path, _with_expected(exc.message))
            return None

    def duration(self, path: Path, value: Any, *, positive: bool = False) -> float | None:
        seconds = self._unit(
            path, lambda: parse_duration(value, format_path(path), allow_zero=not positive)
        )
        if seconds is not None and not seconds <= MAX_DURATION:  # also catches inf
            self.err(
                path, f"{value!r} is too long (expected at most {MAX_DURATION:g} s, about 3 years)"
            )
            return None
        return seconds

    def rate(self, path: Path, value: Any) -> float | None:
        return self._unit(path, lambda: parse_rate(value, format_path(path)))

    def probability(self, path: Path, value: Any) -> float | None:
        return self._unit(path, lambda: parse_probability(value, format_path(path)))

    def distribution(self, path: Path, value: Any) -> Distribution | None:
        try:
            return make_distribution(value, format_path(path))
        except ConfigError as exc:
            self.config_error(exc, path)
            return None

    def ipv4(self, path: Path, value: Any) -> str | None:
        if not isinstance(value, str):
            self.err(
                path, f"got {_describe(value)} (expected an IPv4 address such as 203.0.113.10)"
            )
            return None
        try:
            return str(ipaddress.IPv4Address(value))
        except ValueError:
            self.err(
                path,
                f"{value!r} is not an IPv4 address (expected dotted quad such as 203.0.113.10)",
            )
            return None

    # -- sections ----------------------------------------------------------------------------
    def validate(self) -> Scenario | None:
        data = self.loaded.data
        if data is None and self.problems:
            return None
        # steps are optional: Python hosts (from_dict/from_yaml) and `simnet serve` bring their own
        top = self.mapping((), data, TOP_KEYS, required=("name",))
        if top is None:
            return None
        sc = Scenario(name="", file=self.loaded.file, raw=top)
        if "name" in top:
            sc.name = (
                self.string(("name",), top["name"], what="a scenario name", allow_empty=False) or ""
            )
        if "description" in top:
            sc.description = (
                self.string(("description",), top["description"], what="free text") or ""
            )
        if "seed" in top:
            seed = self.integer(("seed",), top["seed"], 0, 2**63 - 1, what="a non-negative integer")
            sc.seed = seed if seed is not None else 1
        if "module" in top and "modules" in top:
            self.err(
                ("modules",),
                "give either module: (one module) or modules: (a fleet), not both",
                key=True,
            )
        elif "module" in top:
            self._module(sc, top["module"])
        elif "modules" not in top:
            self.err(
                ("module",), "missing required key (expected a module id from `simnet modules`)"
            )
        if "modules" in top and "module" not in top:
            self._fleet(sc, top["modules"])
        if "boot" in top:
            boot = top["boot"]
            if not isinstance(boot, str) or boot not in BOOT_MODES:
                self.err(
                    ("boot",),
                    f"unknown boot mode {_shown(boot)} (expected one of {_expected(BOOT_MODES)})",
                )
            else:
                sc.boot = boot
        if "uart" in top:
            uart = self.mapping(("uart",), top["uart"], UART_KEYS)
            if uart and "baud" in uart:
                baud = uart["baud"]
                problem = _baud_problem(baud)
                if problem:
                    self.err(("uart", "baud"), problem)
                else:
                    sc.baud = baud
        if "modules" in top and "steps" in top:
            self.err(
                ("steps",),
                "a fleet's steps belong to each entry of modules: (expected "
                "modules: [{name:, module:, count:, steps: [...]}])",
                key=True,
            )
        for key, check in (
            ("sim", self._sim),
            ("network", self._network),
            ("hosts", self._hosts),
            ("faults", self._faults),
            ("trace", self._trace),
            ("steps", self._steps),
            ("checks", self._checks),
        ):
            if key in top or key == "steps":
                value = None if key == "steps" and "modules" in top else top.get(key)
                self._guarded(key, check, sc, value)
        from simnet.scenario.chaos_schema import validate_chaos, validate_program

        if "program" in top:
            self._guarded("program", lambda s, v: validate_program(self, s, v), sc, top["program"])
        if "chaos" in top:
            self._guarded("chaos", lambda s, v: validate_chaos(self, s, v), sc, top["chaos"])
        if "epoch" in top:
            self._epoch(sc, top["epoch"])
        if "capture" in top:
            self._capture(sc, top["capture"])
        return sc

    def _epoch(self, sc: Scenario, value: Any) -> None:
        """The instant the run starts (UTC): pcap timestamps, servers' clocks, the trace
        DataFrame's ``utc`` column are all ``epoch`` + virtual time."""
        import datetime as _dt

        from simnet.servers.config import parse_epoch

        if isinstance(value, _dt.datetime):  # YAML reads an unquoted ISO time as a datetime
            value = value.replace(tzinfo=value.tzinfo or _dt.UTC).timestamp()
        try:
            sc.epoch = parse_epoch(value, "epoch")
        except ConfigError as exc:
            self.err(("epoch",), exc.message)

    def _capture(self, sc: Scenario, value: Any) -> None:
        """``capture: [module, core-inside, core-outside, <host>...]`` - where pcaps are kept."""
        path: Path = ("capture",)
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names:
            self.err(path, f"got {_describe(value)} (expected a list of capture points)")
            return
        if sc.devices:
            self.err(path, "a fleet keeps no pcap capture (expected no capture: with modules:)")
            return
        hosts = [h.name for h in sc.hosts]
        points: list[str] = []
        for i, name in enumerate(names):
            if not isinstance(name, str) or (name not in CAPTURE_POINTS and name not in hosts):
                self.err(
                    (*path, i),
                    f"unknown capture point {name!r} (expected one of "
                    f"{_expected([*CAPTURE_POINTS, *hosts])})",
                )
            elif name not in points:
                points.append(name)
        sc.capture = points

    def _fleet(self, sc: Scenario, value: Any) -> None:
        """``modules:`` - groups of devices; each device gets its own module, SIM, radio link,
        DTE and script, behind the one network (cell, operator, carrier NAT, peers)."""
        from simnet.scenario.model import DeviceSpec

        path: Path = ("modules",)
        if not isinstance(value, list) or not value:
            self.err(
                path, f"got {_describe(value)} (expected a list of {{name:, module:, count:}})"
            )
            return
        names: set[str] = set()
        total = 0
        for gi, group in enumerate(value):
            gp = (*path, gi)
            m = self.mapping(gp, group, DEVICE_KEYS, required=("name", "module"))
            if m is None or "name" not in m or "module" not in m:
                continue
            before = len(self.problems)
            name = self.string((*gp, "name"), m["name"], what="a device name", allow_empty=False)
            if name is not None and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", name):
                self.err(
                    (*gp, "name"),
                    f"{name!r} is not a device name (expected letters, digits, - and _, "
                    "starting with a letter)",
                )
            count = self.integer(
                (*gp, "count"), m.get("count", 1), 1, MAX_DEVICES, what="a number of devices"
            )
            base = self._device_fields(gp, m, sc)
            overrides: dict[int, dict[str, Any]] = {}
            if "overrides" in m:
                raw = m["overrides"]
                if not isinstance(raw, dict):
                    self.err(
                        (*gp, "overrides"),
                        f"got {_describe(raw)} (expected a mapping of device index "
                        "to settings, such as {0: {module: fibocom-l610}})",
                    )
                else:
                    for key, over in raw.items():
                        op = (*gp, "overrides", key)
                        idx = int(key) if isinstance(key, str) and ascii_digits(key) else key
                        if (
                            isinstance(idx, bool)
                            or not isinstance(idx, int)
                            or count is None
                            or not 0 <= idx < count
                        ):
                            self.err(
                                op,
                                f"device index {idx!r} out of range (expected "
                                f"0..{(count or 1) - 1})",
                                key=True,
                            )
                            continue
                        om = self.mapping(op, over, OVERRIDE_KEYS)
                        if om is not None:
                            overrides[idx] = self._device_fields(op, om, sc)
            if len(self.problems) != before or name is None or count is None:
                continue
            width = len(str(count - 1))
            for i in range(count):
                dev_name = name if count == 1 else f"{name}-{i:0{width}d}"
                if dev_name in names:
                    self.err(
                        (*gp, "name"), f"device {dev_name!r} is named twice (expected unique names)"
                    )
                    break
                names.add(dev_name)
                fields = {**base, **overrides.get(i, {})}
                sc.devices.append(
                    DeviceSpec(
                        name=dev_name, group=name, index=i, line=self.loaded.line_of(gp), **fields
                    )
                )
            total += count
        if total > MAX_DEVICES:
            self.err(path, f"{total} devices in all (expected at most {MAX_DEVICES})")
        if sc.devices:
            sc.module = sc.devices[0].module

    def _device_fields(self, p: Path, m: dict[str, Any], sc: Scenario) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "module" in m:
            probe = Scenario(name="", file="")
            self._module(probe, m["module"], (*p, "module"))
            if probe.module:
                out["module"] = probe.module
        if "uart" in m:
            uart = self.mapping((*p, "uart"), m["uart"], UART_KEYS)
            if uart and "baud" in uart:
                baud = uart["baud"]
                problem = _baud_problem(baud)
                if problem:
                    self.err((*p, "uart", "baud"), problem)
                else:
                    out["baud"] = baud
        if "sim" in m:
            probe = Scenario(name="", file="")
            self._sim(probe, m["sim"], (*p, "sim"))
            out.update(
                sim_state=probe.sim_state,
                sim_pin=probe.sim_pin,
                sim_puk=probe.sim_puk,
                sim_sms_records=probe.sim_sms_records,
            )
            if isinstance(m["sim"], dict) and "msisdn" in m["sim"]:
                self.err(
                    (*p, "sim", "msisdn"),
                    "devices of a fleet are numbered by the network "
                    "(+33600000001, +33600000002, ... in order; expected no msisdn here)",
                )
        if "boot" in m:
            if m["boot"] not in BOOT_MODES:
                self.err(
                    (*p, "boot"),
                    f"unknown boot mode {_shown(m['boot'])} "
                    f"(expected one of {_expected(BOOT_MODES)})",
                )
            else:
                out["boot"] = m["boot"]
        if "start" in m:
            dist = self.distribution((*p, "start"), m["start"])
            if dist is not None:
                out["start"] = dist
        if "steps" in m:
            steps: list[StepSpec] = []
            self._steps(sc, m["steps"], (*p, "steps"), steps)
            for st in steps:
                if st.port != DEFAULT_PORT:
                    self.err(
                        (*p, "steps", st.index, "port"),
                        "a fleet device's steps talk on its first UART (expected no port:)",
                    )
                if st.kind not in FLEET_STEP_KINDS:
                    self.err(
                        (*p, "steps", st.index),
                        f"step {st.kind} is not available to fleet devices "
                        f"(expected one of {_expected(FLEET_STEP_KINDS)})",
                    )
            out["steps"] = steps
        return out

    def _trace(self, sc: Scenario, value: Any) -> None:
        """``trace: {level: events, ring: 100000}`` - what stays in memory (all is digested)."""
        from simnet.kernel.trace import LEVELS, TraceConfig

        m = self.mapping(("trace",), value, TRACE_KEYS)
        if m is None:
            return
        level = self.choice(("trace", "level"), m.get("level", "full"), tuple(LEVELS))
        kinds = None
        if "kinds" in m:
            raw = m["kinds"]
            if not isinstance(raw, list) or not all(isinstance(k, str) and k for k in raw):
                self.err(
                    ("trace", "kinds"),
                    f"got {_describe(raw)} (expected a list of record kinds such as [tcp_state, "
                    "urc])",
                )
            else:
                kinds = frozenset(raw)
        ring = None
        if "ring" in m:
            ring = self.integer(("trace", "ring"), m["ring"], 1, 2**40, what="a number of records")
        if level is not None:
            sc.trace = TraceConfig(level=level, kinds=kinds, ring=ring)

    def _guarded(
        self, key: str, check: Callable[[Scenario, Any], None], sc: Scenario, value: Any
    ) -> None:
        """A checker bug must still end in a located problem (exit 2), never a traceback; the
        fuzz suite treats any such message as a failure to fix."""
        try:
            check(sc, value)
        except Exception as exc:
            self.err(
                (key,),
                f"{INTERNAL_CHECK_ERROR}: {type(exc).__name__}: {str(exc)[:200]} "
                "(expected this section to be checkable; please report it)",
            )

    def _module(self, sc: Scenario, value: Any, path: Path = ("module",)) -> None:
        module = self.string(path, value, what="a module id", allow_empty=False)
        if module is None:
            return
        if self._module_ids is not None and module not in self._module_ids:
            self.err(
                path,
                f"unknown module {module!r} (expected one of "
                f"{_expected(self._module_ids)}{_did_you_mean(module, self._module_ids)})",
            )
            return
        if self._module_ids is not None and not _dialect_loads(module):
            built = [m for m in self._module_ids if m not in unbuilt_module_ids()]
            self.err(
                path,
                f"module {module!r} is listed but its dialect is not built yet "
                f"(expected one of {_expected(built)})",
            )
            return
        sc.module = module

    def _sim(self, sc: Scenario, value: Any, path: Path = ("sim",)) -> None:
        sim = self.mapping(path, value, SIM_KEYS)
        if sim is None:
            return
        if "msisdn" in sim:
            sc.sim_msisdn = self._msisdn((*path, "msisdn"), sim["msisdn"])
        if "sms_records" in sim:
            sc.sim_sms_records = self.integer(
                (*path, "sms_records"),
                sim["sms_records"],
                0,
                255,
                what="a number of SMS records (EF_SMS, 0..255)",
            )
        if "state" in sim:
            state = self.choice((*path, "state"), sim["state"], SIM_STATES)
            if state:
                sc.sim_state = state
        for key, lo, hi in (("pin", 4, 8), ("puk", 8, 8)):
            if key in sim:
                text = self.string((*path, key), sim[key], what=f"a string of {lo}-{hi} digits")
                if text is not None:
                    if not (ascii_digits(text) and lo <= len(text) <= hi):
                        self.err(
                            (*path, key),
                            f"{text!r} is not a {key.upper()} (expected {lo}-{hi} digits)"
                            if lo != hi
                            else f"{text!r} is not a PUK (expected {lo} digits)",
                        )
                    else:
                        setattr(sc, f"sim_{key}", text)

    def _network(self, sc: Scenario, value: Any) -> None:
        net_path: Path = ("network",)
        net = self.mapping(net_path, value, NETWORK_KEYS)
        if net is None:
            return
        spec = NetworkSpec()
        sc.network = spec
        if "registration" in net:
            p = (*net_path, "registration")
            reg = self.mapping(p, net["registration"], REGISTRATION_KEYS)
            if reg:
                if "state" in reg:
                    spec.registration_state = (
                        self.choice((*p, "state"), reg["state"], REGISTRATION_STATES) or "home"
                    )
                if "after" in reg:
                    spec.registration_after = self.duration((*p, "after"), reg["after"]) or 0.0
        if "bearer" in net:
            spec.bearer = self.choice((*net_path, "bearer"), net["bearer"], BEARERS) or "gprs"
        if "apn" in net:
            p = (*net_path, "apn")
            apn = net["apn"]
            if isinstance(apn, str):  # shorthand: apn: internet
                spec.apn = ApnSpec(name=self._apn_name(p, apn))
            else:
                m = self.mapping(p, apn, APN_KEYS)
                if m:
                    spec.apn = ApnSpec(
                        name=self._apn_name((*p, "name"), m.get("name", "internet")),
                        user=self._credential((*p, "user"), m.get("user", ""), "a user name"),
                        password=self._credential(
                            (*p, "password"), m.get("password", ""), "a password"
                        ),
                        auth=self.choice((*p, "auth"), m.get("auth", "none"), AUTH_KINDS) or "none",
                    )
        if "pdp" in net:
            p = (*net_path, "pdp")
            pdp = self.mapping(p, net["pdp"], PDP_KEYS)
            if pdp:
                spec.pdp = PdpSpec()
                if "activation_delay" in pdp:
                    spec.pdp.activation_delay = self.distribution(
                        (*p, "activation_delay"), pdp["activation_delay"]
                    )
                if "deactivation_delay" in pdp:
                    spec.pdp.deactivation_delay = self.distribution(
                        (*p, "deactivation_delay"), pdp["deactivation_delay"]
                    )
                if "reject_cause" in pdp:
                    spec.pdp.reject_cause = self.integer(
                        (*p, "reject_cause"),
                        pdp["reject_cause"],
                        8,
                        112,
                        what="a 3GPP TS 24.008 SM cause",
                    )
                if "silent" in pdp:
                    spec.pdp.silent = bool(self.boolean((*p, "silent"), pdp["silent"]))
        if "csd" in net:
            p = (*net_path, "csd")
            csd = self.mapping(p, net["csd"], CSD_KEYS)
            if csd:
                spec.csd = CsdSpec()
                if "setup_time" in csd:
                    spec.csd.setup_time = self.distribution((*p, "setup_time"), csd["setup_time"])
                if "outcome" in csd:
                    spec.csd.outcome = (
                        self.choice((*p, "outcome"), csd["outcome"], CSD_OUTCOMES) or "connect"
                    )
                if "rate" in csd:
                    rate = csd["rate"]
                    if rate not in (2400, 4800, 9600, 14400):
                        self.err(
                            (*p, "rate"),
                            f"unsupported CSD rate {rate!r} (expected 2400, 4800, 9600 or 14400)",
                        )
                    else:
                        spec.csd.rate = rate
        if "profile" in net:
            spec.profile = self.choice((*net_path, "profile"), net["profile"], _radio_profiles())
        if "signal" in net:
            p = (*net_path, "signal")
            sig = self.mapping(p, net["signal"], SIGNAL_KEYS)
            if sig:
                if "rssi" in sig:
                    spec.rssi = self.integer((*p, "rssi"), sig["rssi"], 0, 31, what="a +CSQ rssi")
                if "ber" in sig:
                    spec.ber = self.integer((*p, "ber"), sig["ber"], 0, 7, what="a +CSQ ber")
        if "link" in net:
            both = self._link((*net_path, "link"), net["link"])
            if both:
                spec.uplink = both
                spec.downlink = _copy_link(both)
        for direction in ("uplink", "downlink"):
            if direction in net:
                one = self._link((*net_path, direction), net[direction])
                if one:
                    base = getattr(spec, direction)
                    _overlay_link(base, one)
        if "dns" in net:
            p = (*net_path, "dns")
            servers = net["dns"]
            if isinstance(servers, str):
                servers = [servers]
            if not isinstance(servers, list):
                self.err(p, f"got {_describe(servers)} (expected a list of IPv4 addresses)")
            else:
                spec.dns = [ip for i, s in enumerate(servers) if (ip := self.ipv4((*p, i), s))]
        if "power_saving" in net:
            self._power_saving((*net_path, "power_saving"), net["power_saving"], spec)
        if "sms" in net or "ussd" in net:
            self._sms_network(net_path, net, spec)
        if "nat" in net:
            p = (*net_path, "nat")
            nat = self.mapping(p, net["nat"], NAT_KEYS)
            if nat:
                for key in ("port_low", "port_high", "per_subscriber"):
                    if key in nat:
                        lo = 1 if key == "per_subscriber" else 1024
                        setattr(
                            spec,
                            f"nat_{key}",
                            self.integer(
                                (*p, key),
                                nat[key],
                                lo,
                                65535,
                                what="a number of ports"
                                if key == "per_subscriber"
                                else "a port (1024..65535)",
                            ),
                        )
                if (spec.nat_port_low or 1024) > (spec.nat_port_high or 65535):
                    self.err(
                        (*p, "port_high"),
                        f"{spec.nat_port_high} is below port_low {spec.nat_port_low} "
                        "(expected port_low <= port_high)",
                    )
                if "tcp_idle_timeout" in nat:
                    spec.tcp_idle_timeout = self.duration(
                        (*p, "tcp_idle_timeout"), nat["tcp_idle_timeout"], positive=True
                    )
                if "udp_idle_timeout" in nat:
                    spec.udp_idle_timeout = self.duration(
                        (*p, "udp_idle_timeout"), nat["udp_idle_timeout"], positive=True
                    )
                self._nat_variants(p, nat, spec)

    def _trace_check(self, cp: Path, check: dict[str, Any]) -> dict[str, Any] | None:
        """``{trace: {source: bearer.rrc, kind: tau}, count: 2}`` (or ``count: {min:, max:}``):
        how many trace records of the run match (counted as they happen, whatever is kept)."""
        m = self.mapping(cp, check, TRACE_CHECK_KEYS, required=TRACE_CHECK_KEYS)
        if m is None or "trace" not in m or "count" not in m:
            return None
        match = m["trace"]
        if (
            not isinstance(match, dict)
            or not match
            or not all(isinstance(v, str | int | float | bool) for v in match.values())
        ):
            self.err(
                (*cp, "trace"),
                f"got {_describe(match)} (expected a mapping such as "
                "{source: bearer.rrc, kind: tau})",
            )
            return None
        count = m["count"]
        if isinstance(count, dict):
            bounds = self.mapping((*cp, "count"), count, COUNT_BOUND_KEYS)
            if bounds is None or not bounds:
                self.err((*cp, "count"), "expected a number or {min:, max:}")
                return None
            lo = self.integer(
                (*cp, "count", "min"), bounds.get("min", 0), 0, 1 << 40, what="a count"
            )
            hi = self.integer(
                (*cp, "count", "max"), bounds.get("max", 1 << 40), 0, 1 << 40, what="a count"
            )
        else:
            lo = hi = self.integer((*cp, "count"), count, 0, 1 << 40, what="a count")
        if lo is None or hi is None:
            return None
        return {"match": {str(k): v for k, v in match.items()}, "min": lo, "max": hi}

    def _msisdn(self, path: Path, value: Any) -> str | None:
        from simnet.bearer.sms.config import valid_msisdn

        try:
            return valid_msisdn(value, "msisdn")
        except ConfigError as exc:
            self.err(path, exc.message)
            return None

    def _sms_network(self, net_path: Path, net: dict[str, Any], spec: NetworkSpec) -> None:
        """The operator's SMSC (simnet.bearer.sms.config.SmsConfig) and USSD menu."""
        from dataclasses import fields as dc_fields

        from simnet.bearer.sms.config import SmsConfig
        from simnet.bearer.sms.ussd import UssdMenu

        if "ussd" in net and not isinstance(net["ussd"], dict):
            self.err(
                (*net_path, "ussd"),
                f"got {_describe(net['ussd'])} (expected a mapping of service codes such as "
                '"*100#" to answers)',
            )
        elif "ussd" in net:
            try:
                UssdMenu(net["ussd"], "network.ussd")
                spec.ussd = dict(net["ussd"])
            except ConfigError as exc:
                self.err((*net_path, *exc.field.split(".")[1:]), exc.message)
        if "sms" in net:
            p = (*net_path, "sms")
            m = self.mapping(
                p, net["sms"], tuple(f.name for f in dc_fields(SmsConfig) if f.name != "ussd")
            )
            if m is None:
                return
            try:
                SmsConfig(**m)
            except ConfigError as exc:
                self.err((*p, *exc.field.split(".")[2:]), exc.message)
                return
            spec.sms = dict(m)

    def _power_saving(self, p: Path, value: Any, spec: NetworkSpec) -> None:
        """The operator's answer to PSM / eDRX requests
        (simnet.bearer.operator.PowerSavingConfig)."""
        from dataclasses import fields as dc_fields

        from simnet.bearer.operator import PowerSavingConfig

        m = self.mapping(p, value, tuple(f.name for f in dc_fields(PowerSavingConfig)))
        if m is None:
            return
        try:
            PowerSavingConfig(**m)
        except ConfigError as exc:
            self.err((*p, *exc.field.split(".")[2:]), exc.message)
            return
        except TypeError as exc:
            self.err(p, str(exc))
            return
        spec.power_saving = dict(m)

    def _nat_variants(self, p: Path, nat: dict[str, Any], spec: NetworkSpec) -> None:
        """RFC 4787 / 5382 behaviours and what an expiry does (simnet.net.nat.NatConfig)."""
        from simnet.net.nat import BEHAVIOURS, ON_EXPIRY

        for key in ("tcp_established_timeout", "tcp_transitory_timeout"):
            if key in nat:
                value = self.duration((*p, key), nat[key], positive=True)
                if value is not None:
                    spec.nat_variant[
                        "tcp_idle_timeout" if key == "tcp_established_timeout" else key
                    ] = value
        for key, options in (
            ("mapping", BEHAVIOURS),
            ("filtering", BEHAVIOURS),
            ("on_expiry", ON_EXPIRY),
        ):
            if key in nat:
                chosen = self.choice((*p, key), nat[key], options)
                if chosen is not None:
                    spec.nat_variant[key] = chosen
        for key in ("port_preservation", "inbound_refresh"):
            if key in nat:
                value = self.boolean((*p, key), nat[key])
                if value is not None:
                    spec.nat_variant[key] = value

    def _apn_name(self, path: Path, value: Any) -> str:
        name = self.string(path, value, what="an APN name")
        if name is not None and len(name) > MAX_APN:
            self.err(
                path,
                f"an APN of {len(name)} characters (expected at most {MAX_APN}, TS 23.003 §9.1)",
            )
            return ""
        return name or ""

    def _credential(self, path: Path, value: Any, what: str) -> str:
        text = self.string(path, value, what=what)
        if text is not None and len(text.encode("utf-8")) > MAX_CREDENTIAL:
            self.err(
                path,
                f"{what} of {len(text.encode('utf-8'))} bytes (expected at most "
                f"{MAX_CREDENTIAL}: PAP and CHAP carry it behind a one-octet length)",
            )
            return ""
        return text or ""

    def _link(self, path: Path, value: Any) -> LinkSpec | None:
        m = self.mapping(path, value, LINK_KEYS)
        if m is None:
            return None
        link = LinkSpec()
        if "delay" in m:
            link.delay = self.distribution((*path, "delay"), m["delay"])
        if "jitter" in m:
            link.jitter = self.duration((*path, "jitter"), m["jitter"])
        if "rate" in m:
            link.rate = self.rate((*path, "rate"), m["rate"])
        if "loss" in m:
            link.loss = self.loss((*path, "loss"), m["loss"])
        if "queue" in m:
            link.queue = self.integer(
                (*path, "queue"), m["queue"], 1, 1_000_000, what="a queue length in packets"
            )
        if "mtu" in m:
            link.mtu = self.integer((*path, "mtu"), m["mtu"], 68, 65535, what="an MTU in bytes")
        if "duplicate" in m:
            link.duplicate = self.probability((*path, "duplicate"), m["duplicate"])
        if "corrupt" in m:
            link.corrupt = self.probability((*path, "corrupt"), m["corrupt"])
        if "reorder" in m:
            link.reorder = self.boolean((*path, "reorder"), m["reorder"])
        return link

    def loss(self, path: Path, value: Any) -> LossSpec | None:
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            p = self.probability(path, value)  # 0.01 or "1%"
            return None if p is None else LossSpec("bernoulli", {"p": p})
        if not isinstance(value, dict):
            self.err(
                path,
                f"got {_describe(value)} (expected a probability or {{model: gilbert-elliott, p: "
                f".., r: .., h: .., k: ..}})",
            )
            return None
        model = value.get("model", "bernoulli")
        model = LOSS_ALIASES.get(model, model) if isinstance(model, str) else model
        if not isinstance(model, str) or model not in LOSS_MODELS:
            self.err(
                (*path, "model"),
                f"unknown loss model {model!r} (expected one of {_expected(list(LOSS_MODELS))})",
            )
            return None
        keys = LOSS_MODELS[model]
        optional = LOSS_OPTIONAL.get(model, {})
        m = self.mapping(
            path, value, ("model", *keys), required=tuple(k for k in keys if k not in optional)
        )
        if m is None:
            return None
        params: dict[str, float] = {}
        ok = True
        for k in keys:
            if k in m:
                prob = self.probability((*path, k), m[k])
                ok = ok and prob is not None
                params[k] = prob if prob is not None else 0.0
            elif k in optional:
                default = optional[k]
                if default is None:  # netem: r = 1 - p, p31 = 1 - p13
                    default = 1.0 - params.get("p", params.get("p13", 0.0))
                params[k] = default
            else:
                ok = False
        if ok and model == "four-state":
            if params["p13"] + params["p14"] > 1.0:
                self.err(
                    (*path, "p14"),
                    "p13 + p14 exceed 1 (expected outgoing probabilities of state 1 summing to at "
                    "most 1)",
                )
                ok = False
            if params["p31"] + params["p32"] > 1.0:
                self.err(
                    (*path, "p32"),
                    "p31 + p32 exceed 1 (expected outgoing probabilities of state 3 summing to at "
                    "most 1)",
                )
                ok = False
        return LossSpec(model, params) if ok else None

    def _hosts(self, sc: Scenario, value: Any) -> None:
        path: Path = ("hosts",)
        if not isinstance(value, dict):
            self.err(
                path,
                f"got {_describe(value)} (expected a mapping of host name to {{ip:, services:}})",
            )
            return
        seen_ips: dict[str, str] = {}
        for name, body in value.items():
            hp = (*path, name)
            if not isinstance(name, str) or not _HOSTNAME.match(name):
                self.err(
                    hp,
                    f"{name!r} is not a host name (expected letters, digits, '-' and '.')",
                    key=True,
                )
                continue
            h = self.mapping(hp, body, HOST_KEYS)
            if h is None:
                continue
            msisdn = self._msisdn((*hp, "msisdn"), h["msisdn"]) if "msisdn" in h else None
            if "ip" not in h:
                if "msisdn" not in h:
                    self.err(
                        hp, "missing required key 'ip' (or 'msisdn' for a phone without an IP host)"
                    )
                elif msisdn is not None:
                    for key in ("services", "dns", "tcp"):
                        if key in h:
                            self.err(
                                (*hp, key),
                                "a host without an ip has no IP services (expected ip: too)",
                            )
                    sc.hosts.append(HostSpec(name=name, ip=None, services=[], msisdn=msisdn))
                continue
            ip = self.ipv4((*hp, "ip"), h["ip"]) if "ip" in h else None
            if ip is None:
                continue
            if ip in seen_ips:
                self.err(
                    (*hp, "ip"),
                    f"{ip} is already the address of {seen_ips[ip]} "
                    "(expected one host per address)",
                )
                continue
            reserved = self._reserved_address(ip, sc)
            if reserved:
                self.err((*hp, "ip"), f"{ip} is {reserved} (expected another address)")
                continue
            seen_ips[ip] = name
            host = HostSpec(name=name, ip=ip, services=[], msisdn=msisdn)
            if "dns" in h:
                host.dns = bool(self.boolean((*hp, "dns"), h["dns"]))
            if "tcp" in h:
                self._host_tcp((*hp, "tcp"), h["tcp"], host)
            if "services" in h:
                host.services = self._services((*hp, "services"), h["services"])
            sc.hosts.append(host)

    def _host_tcp(self, path: Path, value: Any, host: HostSpec) -> None:
        """``tcp: linux`` or ``tcp: {profile: linux, min_rto: 0.3, ...}`` (TcpConfig fields)."""
        from simnet.net.tcp_profiles import TCP_PROFILES, tcp_profile

        if isinstance(value, dict):
            body = dict(value)
            name = body.pop("profile", "classic")
        else:
            name, body = value, {}
        if not isinstance(name, str) or name not in TCP_PROFILES:
            self.err(
                path if not isinstance(value, dict) else (*path, "profile"),
                f"unknown TCP profile {name!r} (expected one of {_expected(list(TCP_PROFILES))})",
            )
            return
        try:
            tcp_profile(name, body, field="tcp")
        except ConfigError as exc:
            self.err((*path, *exc.field.split(".")[1:]), exc.message)
            return
        host.tcp, host.tcp_overrides = name, body

    @staticmethod
    def _reserved_address(ip: str, sc: Scenario) -> str | None:
        """Addresses the operator network itself uses (simnet.net / simnet.bearer defaults)."""
        if ip == OPERATOR_CORE_IP:
            return "the operator core router"
        if ip == NAT_PUBLIC_IP:
            return "the carrier NAT's public address"
        if ip in (sc.network.dns or [OPERATOR_DNS_IP]):
            return "an operator DNS server (network.dns)"
        if ipaddress.IPv4Address(ip) in OPERATOR_POOL:
            return f"inside the pool {OPERATOR_POOL} the operator assigns to modules"
        return None

    def _services(self, path: Path, value: Any) -> list[ServiceSpec]:
        if not isinstance(value, list):
            self.err(path, f"got {_describe(value)} (expected a list of {{type:, port:, ...}})")
            return []
        out: list[ServiceSpec] = []
        used: dict[tuple[str, int], int] = {}
        for i, svc in enumerate(value):
            sp = (*path, i)
            if not isinstance(svc, dict):
                self.err(sp, f"got {_describe(svc)} (expected a mapping {{type:, port:, ...}})")
                continue
            if "type" not in svc:
                self.err(
                    (*sp, "type"),
                    f"missing required key (expected one of {_expected(self._service_types)})",
                )
                continue
            stype = self.choice((*sp, "type"), svc["type"], self._service_types)
            if stype is None:
                continue
            port_value = svc.get("port", _DEFAULT_PORTS.get(stype))
            if port_value is None:
                self.err((*sp, "port"), "missing required key (expected a port from 1 to 65535)")
                continue
            port = self.integer((*sp, "port"), port_value, 1, 65535, what="a port")
            if port is None:
                continue
            proto = "udp" if stype in ("udp-echo", "udp-sink", "dns", "ntp") else "tcp"
            if (proto, port) in used:
                self.err(
                    (*sp, "port"),
                    f"{proto} port {port} is already used by services[{used[(proto, port)]}] "
                    "(expected distinct ports)",
                )
                continue
            used[(proto, port)] = i
            config = {k: v for k, v in svc.items() if k != "type"}
            spec = ServiceSpec(type=stype, port=port, config=config, field=format_path(sp))
            if self._service_config_ok(spec, sp):
                out.append(spec)
        return out

    def _service_config_ok(self, spec: ServiceSpec, path: Path) -> bool:
        """Let the servers layer check its own keys (it owns them); map its field to a line."""
        from simnet.servers import make_service

        try:
            make_service(spec.type, dict(spec.config), spec.field)
        except ConfigError as exc:
            self.config_error(exc, path)
            return False
        except Exception as exc:  # a server bug must not hide the rest of the report
            self.err(
                path, f"service configuration rejected: {exc} (expected valid {spec.type} settings)"
            )
            return False
        return True

    def _faults(self, sc: Scenario, value: Any) -> None:
        path: Path = ("faults",)
        if not isinstance(value, list):
            self.err(
                path, f"got {_describe(value)} (expected a list of {{at: or on:, action: ...}})"
            )
            return
        for i, fault in enumerate(value):
            fp = (*path, i)
            if not isinstance(fault, dict):
                self.err(fp, f"got {_describe(fault)} (expected a mapping {{at:, action:, ...}})")
                continue
            action = fault.get("action")
            if "action" not in fault:
                self.err(
                    (*fp, "action"),
                    f"missing required key (expected one of {_expected(list(FAULT_ACTIONS))})",
                )
                continue
            if not isinstance(action, str) or action not in FAULT_ACTIONS:
                self.err(
                    (*fp, "action"),
                    f"unknown action {action!r} (expected one of "
                    f"{_expected(list(FAULT_ACTIONS))}"
                    f"{_did_you_mean(action, list(FAULT_ACTIONS))})",
                )
                continue
            params_schema = FAULT_ACTIONS[action]
            targets = ("device", "share") if sc.devices else ()
            allowed = ("at", "on", "action", *targets, *params_schema)
            m = self.mapping(fp, fault, allowed)
            if m is None:
                continue
            count_before = len(self.problems)
            at = on = None
            if "at" in m and "on" in m:
                self.err(
                    (*fp, "on"), "give either at: or on:, not both (expected one trigger)", key=True
                )
            elif "at" in m:
                at = self.duration((*fp, "at"), m["at"])
            elif "on" in m:
                on = self._trigger((*fp, "on"), m["on"], sc)
            else:
                self.err((*fp, "at"), "missing required key (expected at: <time> or on: <trigger>)")
            params: dict[str, Any] = {}
            for key, (kind, required) in params_schema.items():
                if key in m:
                    params[key] = self._param((*fp, key), kind, m[key], sc)
                elif required:
                    self.err(
                        (*fp, key),
                        f"missing required key (expected {_PARAM_EXPECTED[kind]} for action "
                        f"{action})",
                    )
            need_one = FAULT_REQUIRED_ONE_OF.get(action)
            if need_one and not any(k in m for k in need_one):
                self.err(
                    (*fp, need_one[0]),
                    f"missing required key (expected the new {need_one[0]} for action {action})",
                )
            if need_one and "value" in params:
                params[need_one[0]] = params.pop("value")
            if action == "ppp-fail" and params.get("phase") and params.get("mode"):
                allowed_modes = PPP_PHASE_MODES[params["phase"]]
                if params["mode"] not in allowed_modes:
                    self.err(
                        (*fp, "mode"),
                        f"mode {params['mode']!r} does not apply to phase "
                        f"{params['phase']} (expected one of {_expected(allowed_modes)})",
                    )
            if action == "incoming-call" and params.get("from") is not None:
                caller = sc.host(params["from"])
                if caller is not None and caller.msisdn is None:
                    self.err(
                        (*fp, "from"),
                        f"{caller.name} has no msisdn (expected a host with one: a phone)",
                    )
            if action.startswith("server-") and "host" in params and params["host"] is not None:
                self._server_target(fp, m, params, sc)
            if "device" in m and sc.devices:
                params["device"] = self._device_ref((*fp, "device"), m["device"], sc)
            if "share" in m and sc.devices:
                params["share"] = self.probability((*fp, "share"), m["share"])
            if len(self.problems) == count_before:
                sc.faults.append(FaultSpec(i, action, at, on, params, self.loaded.line_of(fp)))

    def _device_ref(self, path: Path, value: Any, sc: Scenario) -> str | None:
        """A device name, or a group name of ``modules:`` (all its devices)."""
        known = {d.name for d in sc.devices} | {d.group for d in sc.devices}
        if not isinstance(value, str) or value not in known:
            groups = sorted({d.group for d in sc.devices})
            self.err(
                path,
                f"unknown device {value!r} (expected a device name such as "
                f"{sc.devices[0].name} or a group: {_expected(groups)})",
            )
            return None
        return value

    def _server_target(
        self, fp: Path, m: dict[str, Any], params: dict[str, Any], sc: Scenario
    ) -> None:
        host = sc.host(params["host"])
        if host is None:
            return
        port, stype = params.get("port"), params.get("service")
        matches = [
            s
            for s in host.services
            if (port is None or s.port == port) and (stype is None or s.type == stype)
        ]
        if not matches:
            what = (
                f"port {port}"
                if port is not None
                else f"service {stype}"
                if stype
                else "any service"
            )
            offered = ", ".join(f"{s.type}:{s.port}" for s in host.services) or "none"
            self.err(
                (*fp, "port" if port is not None else "service" if stype else "host"),
                f"{host.name} has no {what} (expected one of its services: {offered})",
            )

    def _param(self, path: Path, kind: str, value: Any, sc: Scenario) -> Any:
        if kind == "duration":
            return self.duration(path, value)
        if kind == "distribution":
            # The spec as written (checked here): the layer parses it again and traces it so.
            return value if self.distribution(path, value) is not None else None
        if kind == "loss":
            return self.loss(path, value)
        if kind == "direction":
            return self.choice(path, value, DIRECTIONS)
        if kind == "sm_cause":
            return self.integer(path, value, 8, 112, what="a 3GPP TS 24.008 SM cause")
        if kind == "count":
            return self.integer(path, value, 1, 1_000_000, what="a count")
        if kind == "count0":
            return self.integer(path, value, 0, 1 << 40, what="a byte count")
        if kind == "ppp_phase":
            return self.choice(path, value, PPP_PHASES)
        if kind == "ppp_mode":
            return self.choice(path, value, PPP_MODES)
        if kind == "call_outcome":
            return self.choice(path, value, CALL_FAIL_OUTCOMES)
        if kind == "dns_mode":
            return self.choice(path, value, DNS_FAIL_MODES)
        if kind == "rate":
            return self.rate(path, value)
        if kind == "connection":
            return self.choice(path, value, ("control", "data", "any"))
        if kind == "reset_mode":
            return self.choice(path, value, ("reset", "close"))
        if kind == "string":
            return self.string(path, value)
        if kind == "port":
            return self.integer(path, value, 1, 65535, what="a port")
        if kind == "host":
            return self._host_ref(path, value, sc)
        if kind == "sms_fail_reason":
            return self.choice(path, value, ("absent", "busy", "rejected"))
        if kind == "service":
            return self.choice(path, value, self._service_types)
        if kind == "reply_code":
            if isinstance(value, int) and not isinstance(value, bool):
                return self.integer(path, value, 100, 599, what="a reply code")
            if isinstance(value, str) and value in ("-ERR", "+OK"):
                return value
            self.err(
                path,
                f"got {_describe(value)} (expected a reply code such as 421 or 550 (or -ERR for "
                "POP3))",
            )
            return None
        raise AssertionError(kind)  # pragma: no cover - table and code disagree

    def _host_ref(self, path: Path, value: Any, sc: Scenario) -> str | None:
        names = [h.name for h in sc.hosts]
        if not isinstance(value, str) or value not in names:
            self.err(
                path,
                f"unknown host {value!r} (expected one of "
                f"{_expected(names) or 'the names under hosts:'})",
            )
            return None
        return value

    def _trigger(self, path: Path, value: Any, sc: Scenario) -> TriggerSpec | None:
        if not isinstance(value, dict):
            self.err(
                path,
                f"got {_describe(value)} (expected a trigger such as {{syn: 3, host: "
                f"echo.example.net}})",
            )
            return None
        if "kind" in value:  # long form {kind: sent, text: ...} / {kind: syn, count: 3, host: ...}
            value = _long_trigger(value)
        kinds = [k for k in TRIGGER_KINDS if k in value]
        if len(kinds) != 1:
            self.err(
                path, f"no single trigger kind (expected exactly one of {_expected(TRIGGER_KINDS)})"
            )
            return None
        kind = kinds[0]
        allowed = TRIGGER_KEYS[kind]
        m = self.mapping(
            path, value, allowed, required=("host",) if kind in ("syn", "bytes") else ()
        )
        if m is None:
            return None
        trig = TriggerSpec(kind=kind)
        if kind == "trace":
            # {trace: {source: bearer.gprs, kind: pdp_result, outcome: ok}, count: 2}: the N-th
            # trace record whose source, kind and fields equal these (any record is a state change).
            match = m["trace"]
            if (
                not isinstance(match, dict)
                or not match
                or not all(isinstance(v, str | int | float | bool) for v in match.values())
            ):
                self.err(
                    (*path, "trace"),
                    f"got {_describe(match)} (expected a mapping such as "
                    "{source: bearer.gprs, kind: pdp_result, outcome: ok})",
                )
                return None
            count = self.integer((*path, "count"), m.get("count", 1), 1, 1 << 40, what="a count")
            if count is None:
                return None
            trig.count, trig.match = count, {str(k): v for k, v in match.items()}
            return trig
        if kind in ("sent", "received"):
            text = self.string((*path, kind), m[kind], what="text to watch for", allow_empty=False)
            if text is None:
                return None
            trig.text = text
            return trig
        count = self.integer(
            (*path, kind), m[kind], 1 if kind == "syn" else 0, 1 << 40, what="a count"
        )
        host = self._host_ref((*path, "host"), m["host"], sc) if "host" in m else None
        if count is None or host is None:
            return None
        trig.count, trig.host = count, host
        if "port" in m:
            trig.port = self.integer((*path, "port"), m["port"], 1, 65535, what="a port")
        if "direction" in m:
            trig.direction = (
                self.choice((*path, "direction"), m["direction"], ("any", "uplink", "downlink"))
                or "any"
            )
        return trig

    def _steps(
        self, sc: Scenario, value: Any, path: Path = ("steps",), into: list[StepSpec] | None = None
    ) -> None:
        out = sc.steps if into is None else into
        if value is None:
            if into is None and "steps" in (self.loaded.data or {}):
                self.err(path, "expected a list of steps, got nothing")
            return
        if not isinstance(value, list):
            self.err(
                path,
                f"got {_describe(value)} (expected a list of steps (send:, expect:, wait:, ...))",
            )
            return
        for i, step in enumerate(value):
            sp = (*path, i)
            if not isinstance(step, dict):
                self.err(sp, f"got {_describe(step)} (expected a mapping such as {{send: AT}})")
                continue
            kinds = [k for k in step if k in STEP_KINDS]
            if len(kinds) != 1:
                for k in step:
                    if k not in STEP_KINDS and k not in STEP_OPTION_KEYS:
                        self.err(
                            (*sp, k),
                            f"unknown key (expected one of {_expected(STEP_KINDS)}, "
                            f"{_expected(STEP_OPTION_KEYS)}"
                            f"{_did_you_mean(k, (*STEP_KINDS, *STEP_OPTION_KEYS))})",
                            key=True,
                        )
                if len(kinds) > 1:
                    self.err(
                        sp,
                        f"one step does one thing: got {', '.join(kinds)} (expected exactly one of "
                        f"{_expected(STEP_KINDS)})",
                    )
                elif not any(k not in STEP_KINDS and k not in STEP_OPTION_KEYS for k in step):
                    self.err(
                        sp, f"no action in this step (expected one of {_expected(STEP_KINDS)})"
                    )
                continue
            kind = kinds[0]
            allowed = (kind, "within") if kind in WITHIN_KINDS else (kind,)
            if kind in PORT_KINDS:
                allowed = (*allowed, "port")
            m = self.mapping(sp, step, allowed)
            if m is None:
                continue
            before = len(self.problems)
            spec = StepSpec(
                index=i, kind=kind, text="", line=self.loaded.line_of((*sp, kind), key=True)
            )
            raw = m[kind]
            if kind in IP_STEP_KINDS:
                spec.params = validate_ip_step(self, (*sp, kind), kind, raw, sc) or {}
                spec.text = (
                    " ".join(f"{k}={v}" for k, v in raw.items()) if isinstance(raw, dict) else ""
                )
            elif kind in SMS_STEP_KINDS:
                spec.params = validate_sms_step(self, (*sp, kind), kind, raw, sc) or {}
                spec.text = (
                    " ".join(f"{k}={v}" for k, v in raw.items()) if isinstance(raw, dict) else ""
                )
            elif kind == "wait":
                spec.seconds = self.duration((*sp, kind), raw) or 0.0
                spec.text = str(raw)
            elif kind in ("send", "send_raw", "send_hex", "expect", "expect_re", "expect_absent"):
                if (
                    isinstance(raw, int | float)
                    and not isinstance(raw, bool)
                    and kind in ("send", "expect", "expect_absent")
                ):
                    raw = str(raw)  # `expect: 0` (numeric result codes, ATV0) is text
                text = self.string((*sp, kind), raw, what="text", allow_empty=kind == "send")
                if text is None:
                    continue
                spec.text = text
                if kind == "send":
                    spec.data = text.encode("latin-1", "replace") + b"\r"
                elif kind == "send_raw":
                    spec.data = decode_escapes(text)
                elif kind == "send_hex":
                    if not _HEX.match(text) or len(re.sub(r"\s", "", text)) % 2:
                        self.err(
                            (*sp, kind),
                            f"{text!r} is not hex "
                            "(expected pairs of hex digits such as 48454c4c4f)",
                        )
                    else:
                        spec.data = bytes.fromhex(re.sub(r"\s", "", text))
                elif kind == "expect_re":
                    try:
                        SafePattern(text)  # the engine the runner matches with
                        spec.pattern = text
                    except (
                        safe_regex.error,
                        ValueError,
                        TypeError,
                        OverflowError,
                        RecursionError,
                    ) as exc:
                        self.err(
                            (*sp, kind),
                            f"invalid regular expression: {exc} (expected a Python regex)",
                        )
                else:
                    # Same escapes as send_raw, so '\r\nOK' means CR LF OK however it is quoted.
                    spec.pattern = re.escape(decode_escapes(text).decode("latin-1"))
            if kind in WITHIN_KINDS:
                spec.within = DIAL_WITHIN if kind == "dial" else DEFAULT_WITHIN
                if "within" in m:  # a window of no time could never see a byte arrive
                    w = self.duration((*sp, "within"), m["within"], positive=True)
                    if w is not None:
                        spec.within = w
            if "port" in m:
                spec.port = self._port((*sp, "port"), m["port"], sc) or DEFAULT_PORT
            if len(self.problems) == before:
                out.append(spec)

    def _port(self, path: Path, value: Any, sc: Scenario) -> str | None:
        """``port:`` of a step: one of the serial lines the module has (its profile's UARTs
        and CMUX channels)."""
        name = self.string(path, value, what="a port such as uart2 or cmux1", allow_empty=False)
        if name is None or not sc.module:
            return name  # an unknown module was reported already
        ports = module_ports(sc.module)
        if name not in ports:
            self.err(
                path,
                f"{sc.module} has no port {name!r} (expected one of {_expected(ports)})",
            )
            return None
        return name

    def _checks(self, sc: Scenario, value: Any) -> None:
        path: Path = ("checks",)
        if not isinstance(value, list):
            self.err(path, f"got {_describe(value)} (expected a list of checks)")
            return
        # always: true marks a check as an invariant of chaos runs (simnet.scenario.invariants)
        always = {
            i
            for i, c in enumerate(value)
            if isinstance(c, dict)
            and "always" in c
            and self.boolean(("checks", i, "always"), c["always"])
        }
        value = [
            {k: v for k, v in c.items() if k != "always"} if isinstance(c, dict) else c
            for c in value
        ]
        self._check_list(sc, value, path)
        for spec in sc.checks:
            spec.always = spec.index in always

    def _check_list(self, sc: Scenario, value: list[Any], path: Path) -> None:
        for i, check in enumerate(value):
            cp = (*path, i)
            if not isinstance(check, dict):
                self.err(
                    cp,
                    f"got {_describe(check)} "
                    "(expected a mapping such as {host:, file:, sha256:})",
                )
                continue
            before = len(self.problems)
            if "trace" in check:
                trace_params = self._trace_check(cp, check)
                if trace_params is not None and len(self.problems) == before:
                    sc.checks.append(
                        CheckSpec(i, "trace", "", trace_params, self.loaded.line_of(cp))
                    )
                continue
            if "sms" in check:
                sms_params = validate_sms_check(self, cp, check, sc)
                if sms_params is not None and len(self.problems) == before:
                    sc.checks.append(
                        CheckSpec(i, "sms", sms_params["host"], sms_params, self.loaded.line_of(cp))
                    )
                continue
            if "pcap" in check and check.get("pcap") != "ppp":
                from simnet.scenario.capture_checks import validate_capture_check

                capture_params = validate_capture_check(self, cp, check, [h.name for h in sc.hosts])
                if capture_params is not None and len(self.problems) == before:
                    sc.checks.append(
                        CheckSpec(
                            i,
                            "capture",
                            capture_params["to"],
                            capture_params,
                            self.loaded.line_of(cp),
                        )
                    )
                continue
            if "pcap" in check:
                pcap_params = validate_pcap_check(self, cp, check)
                if pcap_params is not None and len(self.problems) == before:
                    sc.checks.append(CheckSpec(i, "pcap", "", pcap_params, self.loaded.line_of(cp)))
                continue
            allowed: tuple[str, ...]
            targets: tuple[str, ...]
            if "file" in check:
                kind, (allowed, targets) = "file", CHECK_KEYS["file"]
            elif "mailbox" in check:
                kind, (allowed, targets) = "mailbox", CHECK_KEYS["mailbox"]
            elif "service" in check or "port" in check:
                kind, (allowed, targets) = "service", CHECK_KEYS["service"]
            elif "tcp_retransmissions" in check:
                kind, (allowed, targets) = "tcp", CHECK_KEYS["tcp"]
            else:
                self.err(
                    cp,
                    "unknown check (expected file:, mailbox:, service: or tcp_retransmissions: "
                    "with host:, or pcap:)",
                )
                continue
            m = self.mapping(cp, check, allowed, required=("host",))
            if m is None:
                continue
            if not any(t in m for t in targets):
                self.err(cp, f"nothing to check (expected one of {_expected(targets)})")
            host_name = self._host_ref((*cp, "host"), m["host"], sc) if "host" in m else None
            params: dict[str, Any] = {}
            if kind == "file":
                params["file"] = self.string(
                    (*cp, "file"), m["file"], what="a file path", allow_empty=False
                )
                if "sha256" in m:
                    digest = self.string((*cp, "sha256"), m["sha256"], what="a SHA-256 hex digest")
                    if digest is not None and not _SHA256.match(digest):
                        self.err((*cp, "sha256"), "not a SHA-256 digest (expected 64 hex digits)")
                    params["sha256"] = (digest or "").lower()
                if "size" in m:
                    params["size"] = self.integer(
                        (*cp, "size"), m["size"], 0, 1 << 40, what="a size in bytes"
                    )
                if "text" in m:
                    params["text"] = self.string(
                        (*cp, "text"), m["text"], what="the expected file text"
                    )
                if "exists" in m:
                    params["exists"] = self.boolean((*cp, "exists"), m["exists"])
            elif kind == "mailbox":
                params["mailbox"] = self.string(
                    (*cp, "mailbox"),
                    m["mailbox"],
                    what="a mailbox (address or user)",
                    allow_empty=False,
                )
                if "service" in m:
                    params["service"] = self.choice(
                        (*cp, "service"), m["service"], ("smtp", "pop3")
                    )
                if "count" in m:
                    params["count"] = self.integer(
                        (*cp, "count"), m["count"], 0, 1_000_000, what="a message count"
                    )
                for key in ("subject", "body"):
                    if key in m:
                        params[key] = self.string((*cp, key), m[key], what=f"text in the {key}")
            elif kind == "tcp":
                params["max"] = self.integer(
                    (*cp, "tcp_retransmissions"),
                    m["tcp_retransmissions"],
                    0,
                    1 << 40,
                    what="the most segments the host may retransmit",
                )
            else:
                if "service" in m:
                    params["service"] = self.choice(
                        (*cp, "service"), m["service"], self._service_types
                    )
                if "port" in m:
                    params["port"] = self.integer((*cp, "port"), m["port"], 1, 65535, what="a port")
                if "bytes_received" in m:
                    params["bytes_received"] = self.integer(
                        (*cp, "bytes_received"),
                        m["bytes_received"],
                        0,
                        1 << 40,
                        what="a byte count",
                    )
                host = sc.host(host_name) if host_name else None
                # a service the file gets wrong was already reported; saying again that the host
                # has no such service would send the reader to the check instead
                services_path = f"hosts.{host_name}.services"
                host_broken = any(
                    p.path == services_path or p.path.startswith(services_path + "[")
                    for p in self.problems
                )
                if host is not None and len(self.problems) == before and not host_broken:
                    match = [
                        s
                        for s in host.services
                        if s.type == params.get("service", s.type)
                        and s.port == params.get("port", s.port)
                    ]
                    if not match:
                        self.err(
                            (*cp, "service" if "service" in m else "port"),
                            f"{host.name} has no such service (expected one of "
                            + (", ".join(f"{s.type}:{s.port}" for s in host.services)
                               or "its services")
                            + ")",
                        )
            if kind in ("file", "mailbox") and host_name and len(self.problems) == before:
                host = sc.host(host_name)
                service = params.get("service")
                want: tuple[str, ...] = (
                    ("ftp",) if kind == "file" else (str(service),) if service else ("smtp", "pop3")
                )
                if host is not None and not any(s.type in want for s in host.services):
                    self.err(
                        (*cp, "host"),
                        f"{host_name} runs no {' or '.join(want)} service (expected a host that "
                        "does)",
                    )
            if len(self.problems) == before and host_name:
                sc.checks.append(CheckSpec(i, kind, host_name, params, self.loaded.line_of(cp)))


_DEFAULT_PORTS = {"ftp": 21, "smtp": 25, "pop3": 110, "dns": 53, "ntp": 123}

_PARAM_EXPECTED = {
    "duration": "a duration such as 10s",
    "distribution": "a duration or distribution",
    "loss": "a probability or loss model",
    "direction": "one of " + _expected(DIRECTIONS),
    "sm_cause": "a 3GPP SM cause",
    "count": "a count",
    "count0": "a byte count",
    "ppp_phase": "one of " + _expected(PPP_PHASES),
    "ppp_mode": "one of " + _expected(PPP_MODES),
    "call_outcome": "one of " + _expected(CALL_FAIL_OUTCOMES),
    "dns_mode": "one of " + _expected(DNS_FAIL_MODES),
    "reset_mode": "reset or close",
    "rate": "a rate such as 9600bps",
    "connection": "control, data or any",
    "string": "text",
    "port": "a port",
    "host": "a host name from hosts:",
    "service": "a service type",
    "reply_code": "a reply code such as 550",
    "sms_fail_reason": "one of absent, busy, rejected",
}


def _did_you_mean(word: Any, options: tuple[str, ...] | list[str]) -> str:
    """``; did you mean 'within'?`` for a near miss, else nothing."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def _long_trigger(value: dict[str, Any]) -> dict[str, Any]:
    """``{kind: K, text: T}`` / ``{kind: K, count: N, ...}`` -> the short form ``{K: T|N, ...}``;
    an unknown kind is left for the short-form check to report."""
    kind = value.get("kind")
    if kind not in TRIGGER_KINDS or kind == "trace":
        return {k: v for k, v in value.items() if k != "kind"}
    out = {k: v for k, v in value.items() if k not in ("kind", "text", "count")}
    out[kind] = value.get("text" if kind in ("sent", "received") else "count", 1)
    return out


def _baud_problem(baud: Any) -> str | None:
    if isinstance(baud, str) and ascii_digits(baud.strip()) and int(baud) in STANDARD_BAUDS:
        return f"got text {baud!r} (expected a number: write {baud.strip()} without quotes)"
    if isinstance(baud, bool) or not isinstance(baud, int) or baud not in STANDARD_BAUDS:
        return (
            f"unsupported baud rate {_shown(baud)} (expected one of "
            f"{_expected([str(b) for b in STANDARD_BAUDS])})"
        )
    return None


def _shown(value: Any) -> str:
    """A scalar quoted as in ``unknown value 'x'``, with YAML's names for null and booleans."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return repr(value)


def _describe(value: Any) -> str:
    """A value as its YAML author wrote it (``null``, ``true``), for ``got ...`` messages."""
    if value is None:
        return "null"  # `key: null`, `key: ~` or `key:` with nothing after it
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int) and value.bit_length() > 64:
        return f"a number of {len(str(value))} digits"
    if isinstance(value, int | float):
        return f"number {value!r}"
    if isinstance(value, str):
        return (
            f"text {value!r}"
            if len(value) <= 60
            else f"text {value[:40]!r}... ({len(value)} characters)"
        )
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _with_expected(message: str) -> str:
    """Kernel unit errors read ``expected a duration such as 250ms or 2s, got 'x'``; keep the
    contract's shape ``what is wrong (expected …)``, with YAML's null and booleans for the
    kernel's Python ``None``/``True``/``False`` (as ``_describe`` says them)."""
    if "(expected" in message:
        return message
    m = re.match(r"expected (.+?), got (.+)$", message)
    if m:
        got = m.group(2)
        got = {"None": "null", "True": "boolean true", "False": "boolean false"}.get(got, got)
        return f"got {got} (expected {m.group(1)})"
    return message


def _copy_link(link: LinkSpec) -> LinkSpec:
    return LinkSpec(**vars(link))


def _overlay_link(base: LinkSpec, over: LinkSpec) -> None:
    for key, value in vars(over).items():
        if value is not None:
            setattr(base, key, value)


def validate(loaded: Loaded) -> tuple[Scenario | None, list[Problem]]:
    """Validate loaded data; returns the scenario (None when anything is wrong) and problems."""
    v = Validator(loaded)
    scenario = v.validate()
    problems = sorted(v.problems, key=lambda p: p.line)
    return (scenario if not problems else None), problems


def locate_config_error(loaded: Loaded, exc: ConfigError) -> Problem:
    """A ``ConfigError`` raised while building the world from a valid scenario, placed at the
    line of the key path it names (``network.apn`` -> that line), else at the top."""
    v = Validator.__new__(Validator)
    v.loaded, v._by_text = loaded, None
    line = loaded.line_of(v._path_of_field(exc.field, ()))
    return Problem(loaded.file, line, exc.field, _with_expected(exc.message))
