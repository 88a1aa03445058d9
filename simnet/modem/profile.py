"""What distinguishes one emulated module from another, as data: :class:`ModuleProfile`.

Each vendor package (``simnet.modem.vendors.<vendor>.profile``) declares its modules' profiles;
the registry (:mod:`simnet.modem.registry`) collects them by id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from simnet.errors import ConfigError
from simnet.kernel.dist import Distribution, make_distribution

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
    # has been read, with its state. Rows per vendor live in its package's tables.py.
    boot_time: float = 0.0
    boot_urcs: tuple[str | tuple[float, str], ...] = ()
    # DLCIs offered under 3GPP TS 27.010 after AT+CMUX (empty: the module has no AT+CMUX)
    cmux_channels: tuple[int, ...] = ()
    # Lines (regular expressions) that end a command for a host besides the V.250 / 27.007
    # finals: a vendor's own final results (eDsoft's "#CME ERROR: <n>", "Ok_Info_Ppp").
    final_lines: tuple[str, ...] = ()
    # Physical UARTs (V.24 ports): uart1 carries the AT engine; uart2.. are opened with
    # Module.open_uart (their own AT engines on the same device).
    uarts: int = 1
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        f = f"modules.{self.id}"
        for name in ("echo", "verbose"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(
                    f"{f}.{name}", f"expected true or false, got {getattr(self, name)!r}"
                )
        if self.cmee not in (0, 1, 2) or isinstance(self.cmee, bool):
            raise ConfigError(f"{f}.cmee", f"expected 0, 1 or 2, got {self.cmee!r}")
        limits = {
            "command_buffer": (16, 65536),
            "uart_rx_buffer": (64, 1 << 24),
            "uart_tx_buffer": (64, 1 << 24),
            "max_send": (1, 1 << 20),
            "urc_queue": (1, 4096),
            "max_sockets": (1, 64),
            "uarts": (1, 4),
        }
        for name, (lo, hi) in limits.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ConfigError(f"{f}.{name}", f"expected an integer {lo}..{hi}, got {value!r}")
        idle = self.line_idle_timeout
        if idle is not None and (
            isinstance(idle, bool) or not isinstance(idle, int | float) or idle <= 0
        ):
            raise ConfigError(
                f"{f}.line_idle_timeout",
                f"expected a positive number of seconds or null, got {idle!r}",
            )
        if (
            isinstance(self.boot_time, bool)
            or not isinstance(self.boot_time, int | float)
            or self.boot_time < 0
        ):
            raise ConfigError(f"{f}.boot_time", f"expected seconds >= 0, got {self.boot_time!r}")
        for line in self.boot_urcs:
            ok = isinstance(line, str) or (
                isinstance(line, tuple)
                and len(line) == 2
                and isinstance(line[1], str)
                and isinstance(line[0], int | float)
                and not isinstance(line[0], bool)
                and line[0] >= 0
            )
            if not ok:
                raise ConfigError(
                    f"{f}.boot_urcs", f"expected text or (seconds >= 0, text), got {line!r}"
                )
        unknown = set(self.latency) - {"basic", "query", "set", "sim", "network", "data"}
        if unknown:
            raise ConfigError(
                f"{f}.latency",
                f"unknown latency classes {sorted(unknown)} "
                "(known: basic, query, set, sim, network, data)",
            )
        self.latency_distributions()  # validates every distribution now, not at first use

    def boot_lines(self) -> list[tuple[float, str]]:
        """The boot lines as (seconds after the UART comes up, text), in time order."""
        lines = [
            (0.0, ln) if isinstance(ln, str) else (float(ln[0]), ln[1]) for ln in self.boot_urcs
        ]
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
                    f"module.{key}",
                    "unknown module option (known: "
                    f"{', '.join(sorted(known - {'id', 'dialect'}))})",
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
