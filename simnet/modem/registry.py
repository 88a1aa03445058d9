"""Emulated module profiles by id, collected from the vendor packages, and module creation.

A profile (:class:`~simnet.modem.profile.ModuleProfile`) is data declared in its vendor's
package (``simnet.modem.vendors.<vendor>.profile``). Its dialect is referenced by an import path
string (``"package.module:Class"``) so the registry can list every module even while a dialect
is still being written; choosing such a module raises a ConfigError that says so.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from simnet.errors import ConfigError
from simnet.modem.profile import (
    DEFAULT_LATENCY,
    DEFAULT_S_REGISTERS,
    S_REGISTER_RANGES,
    ModuleProfile,
    imei_for,
)
from simnet.modem.vendors import all_profiles

if TYPE_CHECKING:
    from simnet.kernel import Simulation
    from simnet.modem.dialect import Dialect
    from simnet.modem.module import Module

__all__ = [
    "DEFAULT_LATENCY",
    "DEFAULT_S_REGISTERS",
    "MODULES",
    "S_REGISTER_RANGES",
    "ModuleProfile",
    "create_module",
    "get_profile",
    "imei_for",
    "list_modules",
    "load_dialect_class",
]

MODULES: Mapping[str, ModuleProfile] = MappingProxyType({p.id: p for p in all_profiles()})


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
            f"dialect for {profile.id} is not built yet "
            f"({profile.dialect} cannot be loaded: {exc})",
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
    return Module(
        sim,
        profile,
        bearer,
        host,
        dialect=dialect_cls,
        name=name,
        uart=uart,
        serial=serial,
        cold_start=cold_start,
    )
