"""Validation helpers for service configuration dictionaries.

Every helper raises :class:`simnet.ConfigError` whose field is the dotted path of the offending
key (``servers.ftp.port``) and whose message names the allowed values or range, so a scenario
author sees exactly what to fix.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any

from simnet.errors import ConfigError
from simnet.kernel.units import parse_duration, parse_rate

# The simulation's default notion of UTC at virtual time 0 (issue 5: "e.g. 2026-01-01T00:00:00Z").
DEFAULT_EPOCH = "2026-01-01T00:00:00Z"
_NTP_ERA0 = -2208988800  # 1900-01-01T00:00:00Z in Unix seconds
_LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z, the last instant datetime can write


def check_keys(config: Mapping[str, Any], allowed: Iterable[str], field: str) -> None:
    """Reject unknown keys: a typo in a scenario must not silently fall back to a default."""
    allowed_list = list(allowed)
    for key in config:
        if key not in allowed_list:
            names = ", ".join(allowed_list)
            raise ConfigError(f"{field}.{key}", f"unknown key {key!r} (allowed keys: {names})")


def get_mapping(config: Mapping[str, Any], key: str, field: str) -> dict[str, Any]:
    value = config.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{field}.{key}", f"expected a mapping, got {type(value).__name__}")
    return dict(value)


def get_int(config: Mapping[str, Any], key: str, field: str, default: int, lo: int, hi: int) -> int:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(f"{field}.{key}", f"expected an integer in [{lo}, {hi}], got {value!r}")
    return value


def get_bool(config: Mapping[str, Any], key: str, field: str, default: bool) -> bool:
    value = config.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{field}.{key}", f"expected true or false, got {value!r}")
    return value


def get_str(
    config: Mapping[str, Any],
    key: str,
    field: str,
    default: str,
    *,
    max_len: int = 200,
    choices: Iterable[str] | None = None,
) -> str:
    value = config.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{field}.{key}", f"expected a string, got {value!r}")
    if choices is not None:
        options = list(choices)
        if value not in options:
            raise ConfigError(
                f"{field}.{key}", f"expected one of {', '.join(options)}, got {value!r}"
            )
    if len(value) > max_len or any(ord(c) < 32 for c in value):
        raise ConfigError(
            f"{field}.{key}",
            f"expected printable text of at most {max_len} characters, got {value!r}",
        )
    return value


def get_duration(config: Mapping[str, Any], key: str, field: str, default: float) -> float:
    if key not in config:
        return default
    return parse_duration(config[key], f"{field}.{key}")


def get_rate(config: Mapping[str, Any], key: str, field: str) -> float | None:
    if config.get(key) is None:
        return None
    return parse_rate(config[key], f"{field}.{key}")


def get_port(config: Mapping[str, Any], field: str, default: int) -> int:
    return get_int(config, "port", field, default, 1, 65535)


def get_credentials(config: Mapping[str, Any], key: str, field: str) -> dict[str, str]:
    """``{user: password}``; both printable strings without spaces in the user name."""
    users = get_mapping(config, key, field)
    result: dict[str, str] = {}
    for name, password in users.items():
        if not isinstance(name, str) or not name or any(ord(c) <= 32 for c in name):
            raise ConfigError(f"{field}.{key}", f"user names must be non-empty words, got {name!r}")
        if not isinstance(password, str) or any(ord(c) < 32 for c in password):
            raise ConfigError(
                f"{field}.{key}.{name}", f"expected a printable password string, got {password!r}"
            )
        result[name] = password
    return result


def parse_epoch(value: object, field: str) -> float:
    """Seconds since the Unix epoch of an ISO-8601 UTC instant such as 2026-01-01T00:00:00Z."""
    if isinstance(value, bool):
        raise ConfigError(field, f"expected an ISO-8601 UTC time such as {DEFAULT_EPOCH}")
    if isinstance(value, int | float):
        # as an ISO time would be: from NTP era 0 to the last second datetime can write (an
        # exact comparison: a 400-digit integer never reaches float(), NaN fails it)
        if not _NTP_ERA0 <= value <= _LAST_SECOND:
            shown = repr(value) if len(repr(value)) <= 24 else f"a {len(str(value))}-digit number"
            raise ConfigError(
                field,
                f"expected seconds since 1970 from {_NTP_ERA0} to {_LAST_SECOND} (1900-01-01 to "
                f"9999-12-31) or an ISO-8601 UTC time such as {DEFAULT_EPOCH}, got {shown}",
            )
        return float(value)
    if not isinstance(value, str):
        raise ConfigError(field, f"expected an ISO-8601 UTC time such as {DEFAULT_EPOCH}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            field, f"expected an ISO-8601 UTC time such as {DEFAULT_EPOCH}, got {value!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.UTC)
    seconds = moment.timestamp()
    # NTP era 0 starts 1900-01-01; before it the 32-bit NTP timestamp cannot carry the time.
    if seconds < _NTP_ERA0:
        raise ConfigError(field, f"expected a time after 1900-01-01T00:00:00Z, got {value!r}")
    return seconds
