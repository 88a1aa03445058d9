"""Emulated module profiles by id: identity, defaults, limits, timing and dialect.

A profile is data. Its dialect is referenced by an import path string
(``"package.module:Class"``) so the registry can list every module even while a dialect is
still being written; choosing such a module raises a ConfigError that says so.

Identity strings are not in the TCP/IP manuals we carry; they follow what the product families
print (recorded in docs/assumptions.md, "Module core").
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from simnet.errors import ConfigError
from simnet.kernel.dist import Distribution, make_distribution

if TYPE_CHECKING:
    from simnet.kernel import Simulation
    from simnet.modem.dialect import Dialect
    from simnet.modem.module import Module

# V.250 §6.2 S-register defaults and ranges (value range, default). S2 escape character and
# S12 guard time (1/50 s) are the Hayes registers V.250 leaves to the manufacturer.
S_REGISTER_RANGES: Mapping[int, tuple[int, int]] = MappingProxyType(
    {
        0: (0, 255),  # V.250 §6.3.8 automatic answer after n rings (0 = off)
        2: (0, 255),  # escape character (Hayes), default '+'
        3: (0, 127),  # V.250 §6.2.1 command line termination character
        4: (0, 127),  # V.250 §6.2.2 response formatting character
        5: (0, 127),  # V.250 §6.2.3 command line editing character
        6: (2, 10),  # V.250 §6.3.9 pause before blind dialling (s)
        7: (1, 255),  # V.250 §6.3.10 connection completion timeout (s)
        8: (0, 255),  # V.250 §6.3.11 comma dial modifier time (s)
        10: (1, 254),  # V.250 §6.3.12 automatic disconnect delay (0.1 s)
        12: (0, 255),  # escape guard time (1/50 s, Hayes)
    }
)
DEFAULT_S_REGISTERS: Mapping[int, int] = MappingProxyType(
    {0: 0, 2: 43, 3: 13, 4: 10, 5: 8, 6: 2, 7: 60, 8: 2, 10: 15, 12: 50}
)

DEFAULT_LATENCY: Mapping[str, Any] = MappingProxyType(
    {
        "basic": {"dist": "uniform", "min": 0.002, "max": 0.006},
        "query": {"dist": "uniform", "min": 0.004, "max": 0.012},
        "set": {"dist": "uniform", "min": 0.006, "max": 0.020},
        "sim": {"dist": "uniform", "min": 0.020, "max": 0.060},
        "network": {"dist": "uniform", "min": 0.030, "max": 0.120},
        "data": {"dist": "uniform", "min": 0.010, "max": 0.030},
    }
)

# Older 2G firmware answers noticeably slower (assumption, docs/assumptions.md "Module core").
WAVECOM_LATENCY: Mapping[str, Any] = MappingProxyType(
    {
        "basic": {"dist": "uniform", "min": 0.005, "max": 0.015},
        "query": {"dist": "uniform", "min": 0.010, "max": 0.030},
        "set": {"dist": "uniform", "min": 0.020, "max": 0.060},
        "sim": {"dist": "uniform", "min": 0.050, "max": 0.150},
        "network": {"dist": "uniform", "min": 0.100, "max": 0.400},
        "data": {"dist": "uniform", "min": 0.020, "max": 0.060},
    }
)


@dataclass(frozen=True)
class ModuleProfile:
    """Everything that distinguishes one emulated module from another, as data."""

    id: str
    description: str
    vendor: str
    dialect: str  # "package.module:Class"
    manufacturer: str
    model: str
    revision: str
    imei_tac: str  # 8-digit type allocation code; the serial and Luhn digit are derived
    # Response templates ({manufacturer} {model} {revision} {imei} are filled in).
    ati_lines: tuple[str, ...] = ("{manufacturer}", "{model}", "{revision}")
    cgmi_format: str = "{manufacturer}"
    cgmm_format: str = "{model}"
    cgmr_format: str = "{revision}"
    cgsn_format: str = "{imei}"
    gcap: str = "+GCAP: +CGSM"
    # Defaults (what AT&F restores).
    baud: int = 115200
    echo: bool = True
    verbose: bool = True
    cmee: int = 0
    s_registers: Mapping[int, int] = field(default_factory=lambda: dict(DEFAULT_S_REGISTERS))
    sreg_read_format: str = "{:03d}"  # V.250 §6.1.2 reads S-parameters as three digits
    # Limits.
    max_sockets: int = 10
    command_buffer: int = 556  # characters after "AT"; longer lines answer ERROR
    uart_rx_buffer: int = 4096  # bytes held for a data-mode link that is not reading
    uart_tx_buffer: int = 8192
    max_send: int = 1500
    urc_queue: int = 64
    # Timing.
    latency: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_LATENCY))
    line_idle_timeout: float | None = 20.0  # a half-typed line is discarded after this silence
    # Power-up: seconds until the UART answers, then boot lines, each a text (printed when the
    # UART comes up) or (seconds after that, text); "+CPIN: {cpin}" is printed when the SIM
    # has been read, with its state. Rows per vendor live beside the dialects (*_tables.py).
    boot_time: float = 0.0
    boot_urcs: tuple[str | tuple[float, str], ...] = ()
    # DLCIs offered under 3GPP TS 27.010 after AT+CMUX (empty: the module has no AT+CMUX)
    cmux_channels: tuple[int, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        f = f"modules.{self.id}"
        for name in ("echo", "verbose"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{f}.{name}", f"expected true or false, got {getattr(self, name)!r}")
        if self.cmee not in (0, 1, 2) or isinstance(self.cmee, bool):
            raise ConfigError(f"{f}.cmee", f"expected 0, 1 or 2, got {self.cmee!r}")
        limits = {
            "command_buffer": (16, 65536), "uart_rx_buffer": (64, 1 << 24),
            "uart_tx_buffer": (64, 1 << 24), "max_send": (1, 1 << 20), "urc_queue": (1, 4096),
            "max_sockets": (1, 64),
        }
        for name, (lo, hi) in limits.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ConfigError(f"{f}.{name}", f"expected an integer {lo}..{hi}, got {value!r}")
        idle = self.line_idle_timeout
        if idle is not None and (isinstance(idle, bool) or not isinstance(idle, int | float) or idle <= 0):
            raise ConfigError(f"{f}.line_idle_timeout", f"expected a positive number of seconds or null, got {idle!r}")
        if isinstance(self.boot_time, bool) or not isinstance(self.boot_time, int | float) or self.boot_time < 0:
            raise ConfigError(f"{f}.boot_time", f"expected seconds >= 0, got {self.boot_time!r}")
        for line in self.boot_urcs:
            ok = isinstance(line, str) or (
                isinstance(line, tuple) and len(line) == 2 and isinstance(line[1], str)
                and isinstance(line[0], int | float) and not isinstance(line[0], bool) and line[0] >= 0)
            if not ok:
                raise ConfigError(f"{f}.boot_urcs", f"expected text or (seconds >= 0, text), got {line!r}")
        unknown = set(self.latency) - {"basic", "query", "set", "sim", "network", "data"}
        if unknown:
            raise ConfigError(f"{f}.latency", f"unknown latency classes {sorted(unknown)} "
                              "(known: basic, query, set, sim, network, data)")
        self.latency_distributions()  # validates every distribution now, not at first use

    def boot_lines(self) -> list[tuple[float, str]]:
        """The boot lines as (seconds after the UART comes up, text), in time order."""
        lines = [(0.0, ln) if isinstance(ln, str) else (float(ln[0]), ln[1]) for ln in self.boot_urcs]
        return sorted(lines, key=lambda item: item[0])

    def latency_distributions(self) -> dict[str, Distribution]:
        # Distributions are immutable (samples come from the caller's stream): parse each
        # profile's table once per process, not once per module.
        key = (self.id, repr(sorted(self.latency.items(), key=lambda kv: kv[0])))
        table = _LATENCY_TABLES.get(key)
        if table is None:
            table = _LATENCY_TABLES[key] = {
                name: make_distribution(spec, f"modules.{self.id}.latency.{name}")
                for name, spec in self.latency.items()
            }
        return dict(table)

    def with_options(self, **options: Any) -> ModuleProfile:
        """A copy with fields overridden (scenario ``module:`` options); unknown -> ConfigError."""
        known = set(self.__dataclass_fields__)
        for key in options:
            if key not in known or key in ("id", "dialect"):
                raise ConfigError(
                    f"module.{key}", f"unknown module option (known: {', '.join(sorted(known - {'id', 'dialect'}))})"
                )
        return replace(self, **options)


_LATENCY_TABLES: dict[tuple[str, str], dict[str, Distribution]] = {}


def imei_for(profile: ModuleProfile, serial: int) -> str:
    """A valid 15-digit IMEI: TAC + 6-digit serial + Luhn check digit (3GPP TS 23.003 §6.2)."""
    body = f"{profile.imei_tac}{serial % 1_000_000:06d}"
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # every second digit from the right, starting with the rightmost
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


_SIMCOM_ATI = (
    "Manufacturer: {manufacturer}",
    "Model: {model}",
    "Revision: {revision}",
    "IMEI: {imei}",
    "+GCAP: +CGSM",
)

def _simcom_boot(module_id: str) -> dict[str, Any]:
    from simnet.modem.dialects.simcom_tables import BOOT

    row = BOOT[module_id]
    return {"boot_time": row.boot_time, "boot_urcs": row.lines}


def _fibocom_boot() -> dict[str, Any]:
    from simnet.modem.dialects import fibocom_tables

    return {"boot_time": fibocom_tables.BOOT_TIME, "boot_urcs": fibocom_tables.BOOT_LINES}


MODULES: Mapping[str, ModuleProfile] = MappingProxyType(
    {
        p.id: p
        for p in (
            ModuleProfile(
                id="simcom-sim7600",
                description="SIMCom SIM7600E-H LTE Cat-1/3G/2G module, TCP/IP via AT+NETOPEN/CIPOPEN",
                vendor="SIMCom",
                dialect="simnet.modem.dialects.simcom:Sim7600Dialect",
                manufacturer="SIMCOM INCORPORATED",
                model="SIMCOM_SIM7600E-H",
                revision="SIM7600M22_V2.0.1",
                imei_tac="86214703",
                ati_lines=_SIMCOM_ATI,
                cgmr_format="+CGMR: LE20B04SIM7600M22",
                max_sockets=10,
                max_send=1500,
                cmux_channels=(1, 2, 3, 4),  # AT+CMUX, four virtual channels (SIMCom mux note)
                **_simcom_boot("simcom-sim7600"),
            ),
            ModuleProfile(
                id="simcom-a7670",
                description="SIMCom A7670E LTE Cat-1 module, TCP/IP via AT+NETOPEN/CIPOPEN",
                vendor="SIMCom",
                dialect="simnet.modem.dialects.simcom:A7670Dialect",
                manufacturer="SIMCOM INCORPORATED",
                model="A7670E-LASE",
                revision="A7670M7_V1.11.1",
                imei_tac="86106606",
                ati_lines=_SIMCOM_ATI,
                cgmr_format="+CGMR: A011B07A7670M7_F",
                max_sockets=10,
                max_send=1500,
                cmux_channels=(1, 2, 3, 4),
                **_simcom_boot("simcom-a7670"),
            ),
            ModuleProfile(
                id="fibocom-l610",
                description="Fibocom L610 LTE Cat-1 module, TCP/UDP via the +MIP command family",
                vendor="Fibocom",
                dialect="simnet.modem.dialects.fibocom:L610Dialect",
                manufacturer="Fibocom Wireless Inc.",
                model="L610",
                revision="16000.1000.00.96.20.10",
                imei_tac="86583305",
                ati_lines=("{manufacturer}", "{model}", "{revision}"),
                cgmi_format="{manufacturer}",
                max_sockets=6,
                max_send=2048,
                # +MIPSEND carries up to 1024 bytes hex-coded (2048 characters, §1.1.4.1/§1.1.6)
                # on the command line, so the L610's line buffer must hold well over that.
                command_buffer=4096,
                uart_rx_buffer=8192,
                **_fibocom_boot(),
            ),
            ModuleProfile(
                id="wavecom-wipsoft",
                description="Wavecom/Sierra Wireless module with the WIPsoft IP stack (+WIP commands)",
                vendor="Wavecom",
                dialect="simnet.modem.dialects.wavecom:WipsoftDialect",
                manufacturer="WAVECOM MODEM",
                model="MULTIBAND  900E  1800",
                revision="R7.46.0.201108091301.FXT009 2132432 080911 13:01",
                imei_tac="35291102",
                ati_lines=("WAVECOM MODEM", "MULTIBAND  900E  1800"),
                cmux_channels=(1, 2, 3, 4),  # WIPsoft §4.1 +WIPBR: CMUX ports 11..14 over UART1
                max_sockets=8,
                max_send=1500,
                latency=dict(WAVECOM_LATENCY),
            ),
            ModuleProfile(
                id="wavecom-edsoft",
                description="Wavecom WISMO 24x6B module with the eDSoft IP connectivity stack",
                vendor="Wavecom",
                dialect="simnet.modem.dialects.wavecom:EdsoftDialect",
                manufacturer="WAVECOM MODEM",
                model="MULTIBAND  900E  1800",
                revision="651b09gg.Q2406B 1266500 070703 17:06",
                imei_tac="35152700",
                ati_lines=("WAVECOM MODEM", "MULTIBAND  900E  1800"),
                max_sockets=1,
                max_send=1500,
                latency=dict(WAVECOM_LATENCY),
            ),
        )
    }
)


def list_modules() -> list[ModuleProfile]:
    """Every profile, ordered by id."""
    return [MODULES[k] for k in sorted(MODULES)]


def get_profile(module_id: str, field_path: str = "module") -> ModuleProfile:
    try:
        return MODULES[module_id]
    except (KeyError, TypeError):
        raise ConfigError(
            field_path, f"unknown module {module_id!r}; known modules: {', '.join(sorted(MODULES))}"
        ) from None


def load_dialect_class(profile: ModuleProfile, field_path: str = "module") -> type[Dialect]:
    """Import the profile's dialect; a missing one is a ConfigError naming the module."""
    from simnet.modem.dialect import Dialect

    mod_name, _, cls_name = profile.dialect.partition(":")
    try:
        mod = importlib.import_module(mod_name)
        cls = getattr(mod, cls_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            field_path,
            f"dialect for {profile.id} is not built yet ({profile.dialect} cannot be loaded: {exc})",
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, Dialect)):
        raise ConfigError(field_path, f"{profile.dialect} is not a Dialect subclass")
    return cls


def create_module(
    sim: Simulation,
    module_id: str | ModuleProfile,
    bearer: Any = None,
    host: Any = None,
    **options: Any,
) -> Module:
    """Build a module (UART + AT engine + base commands + its dialect), ready on ``sim``.

    ``options`` override profile fields (``echo=False``, ``baud=9600``, ``latency={...}``);
    ``dialect=<Dialect subclass>`` forces a dialect class (tests, experiments); ``name=`` sets
    the trace source name (default ``"modem"``); ``uart=`` passes an existing :class:`Uart`.
    """
    from simnet.modem.module import Module

    profile = module_id if isinstance(module_id, ModuleProfile) else get_profile(module_id)
    dialect_cls = options.pop("dialect", None)
    name = options.pop("name", "modem")
    uart = options.pop("uart", None)
    serial = options.pop("serial", None)
    cold_start = bool(options.pop("cold_start", False))
    if options:
        profile = profile.with_options(**options)
    if dialect_cls is None:
        dialect_cls = load_dialect_class(profile)
    return Module(sim, profile, bearer, host, dialect=dialect_cls, name=name, uart=uart, serial=serial,
                  cold_start=cold_start)
