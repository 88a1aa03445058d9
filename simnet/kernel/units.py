"""Durations, rates and sizes as scenario files write them (``250ms``, ``40kbps``, ``1.5KB``)."""

from __future__ import annotations

import math
import re
from typing import TypeAlias

from simnet.errors import ConfigError

# A virtual time or span, or any number that may be an int or a float: what SimPy's clock and
# scenario files give (the clock stays the int 0 until a float delay moves it; `wait: 5` is an
# int). Compiled modules (simnet/_build.py) annotate such numbers `Real`, never `float`: mypyc
# stores a `float` as a C double and would turn 5 into 5.0, which the trace writes as `5.0`.
Real: TypeAlias = float | int

# The longest virtual time any parameter may name (about three years): beyond it a wait would
# never end in practice and float seconds lose sub-millisecond resolution.
MAX_SECONDS = 1e8

_DURATION_UNITS = {
    "us": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "min": 60.0,
    "h": 3600.0,
}
_RATE_UNITS = {
    "bps": 1.0,
    "kbps": 1e3,
    "mbps": 1e6,
    "gbps": 1e9,
}
_NUMBER_UNIT = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z]*)\s*$")


def _finite(value: int | float, field: str, what: str) -> float:
    """``float(value)``, refusing what no arithmetic can use: a 400-digit integer overflows a
    float, and inf/nan would turn every later sum into inf/nan."""
    try:
        number = float(value)
    except OverflowError:
        raise ConfigError(field, f"{str(value)[:20]}... is too large (expected {what})") from None
    if not math.isfinite(number):
        raise ConfigError(field, f"expected {what}, got {value!r}")
    return number


# Duration texts already parsed -> seconds: a world parses the same few dozen ("600ms", "2s")
# for every run. Only successes are kept; the sign check below runs on every call.
_DURATION_TEXTS: dict[str, float] = {}
_MAX_CACHED = 4096


def parse_duration(value: object, field: str = "duration", *, allow_zero: bool = True) -> float:
    """Seconds from a number or a string with a unit (us, ms, s, min, h)."""
    if type(value) is str:
        seconds = _DURATION_TEXTS.get(value)  # type: ignore[assignment]
        if seconds is not None:
            if seconds < 0 or (seconds == 0 and not allow_zero):
                raise ConfigError(field, _sign_problem(value, seconds < 0, allow_zero))
            return seconds
        seconds = _parse_duration(value, field, allow_zero)
        if len(_DURATION_TEXTS) >= _MAX_CACHED:
            _DURATION_TEXTS.clear()
        _DURATION_TEXTS[value] = seconds
        return seconds
    return _parse_duration(value, field, allow_zero)


def _parse_duration(value: object, field: str, allow_zero: bool) -> float:
    if isinstance(value, bool):
        raise ConfigError(field, f"expected a duration such as 250ms or 2s, got {value!r}")
    if isinstance(value, int | float):
        seconds = _finite(value, field, "a finite duration such as 250ms or 2s")
    elif isinstance(value, str):
        m = _NUMBER_UNIT.match(value)
        if not m and value.strip().startswith("-") and _NUMBER_UNIT.match(value.strip()[1:]):
            raise ConfigError(field, _sign_problem(value, True, allow_zero))
        if not m:
            raise ConfigError(field, f"expected a duration such as 250ms or 2s, got {value!r}")
        number, unit = m.groups()
        unit = unit.lower() or "s"
        if unit not in _DURATION_UNITS:
            allowed = ", ".join(_DURATION_UNITS)
            raise ConfigError(field, f"unknown duration unit {unit!r} (expected one of {allowed})")
        seconds = _finite(
            float(number) * _DURATION_UNITS[unit], field, "a finite duration such as 250ms or 2s"
        )
    else:
        raise ConfigError(field, f"expected a duration such as 250ms or 2s, got {value!r}")
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise ConfigError(field, _sign_problem(value, seconds < 0, allow_zero))
    return seconds


def _sign_problem(value: object, negative: bool, allow_zero: bool) -> str:
    """A duration below zero (or zero where time must pass): ``'-1s' is negative (...)``."""
    wanted = "a non-negative duration" if allow_zero else "a positive duration"
    return f"{value!r} is {'negative' if negative else 'zero'} (expected {wanted} such as 250ms)"


def parse_rate(value: object, field: str = "rate") -> float:
    """Bits per second from a number or a string with a unit (bps, kbps, Mbps, Gbps)."""
    if isinstance(value, bool):
        raise ConfigError(field, f"expected a rate such as 40kbps, got {value!r}")
    if isinstance(value, int | float):
        bps = _finite(value, field, "a finite rate such as 40kbps")
    elif isinstance(value, str):
        m = _NUMBER_UNIT.match(value)
        if not m:
            raise ConfigError(field, f"expected a rate such as 40kbps or 1.2Mbps, got {value!r}")
        number, unit = m.groups()
        unit = unit.lower() or "bps"
        if unit not in _RATE_UNITS:
            raise ConfigError(
                field, f"unknown rate unit {unit!r} (expected bps, kbps, Mbps or Gbps)"
            )
        bps = _finite(float(number) * _RATE_UNITS[unit], field, "a finite rate such as 40kbps")
    else:
        raise ConfigError(field, f"expected a rate such as 40kbps, got {value!r}")
    if not bps > 0:
        raise ConfigError(field, f"expected a positive rate, got {value!r}")
    return bps


def parse_probability(value: object, field: str) -> float:
    """A probability from a number in 0..1 or a percentage string as netem writes it (``1%``)."""
    if isinstance(value, str) and value.strip().endswith("%"):
        number = value.strip()[:-1].strip()
        try:
            percent = float(number)
        except ValueError:
            raise ConfigError(
                field, f"expected a percentage such as 1% or 0.5%, got {value!r}"
            ) from None
        if not 0.0 <= percent <= 100.0:
            raise ConfigError(field, f"expected a percentage between 0% and 100%, got {value!r}")
        return percent / 100.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(
            field,
            f"expected a probability between 0 and 1 (or a percentage such as 1%), got {value!r}",
        )
    p = _finite(value, field, "a probability between 0 and 1")
    if not 0.0 <= p <= 1.0:
        raise ConfigError(field, f"expected a probability between 0 and 1, got {value!r}")
    return p


def ascii_digits(text: str) -> bool:
    """``text`` is one or more of the digits 0-9. ``str.isdigit`` also takes '¹', '٣' and
    other Unicode digits: a host's latin-1 byte 0xB9 is '¹', and ``int('¹')`` raises."""
    return text.isascii() and text.isdigit()
