"""Emulated cellular modules: UART model, AT engine, 3GPP base commands, registry, DTE.

Public entry points::

    from simnet.modem import create_module, DTE, list_modules, get_profile
    module = create_module(sim, "simcom-sim7600", bearer, host)
    dte = DTE(sim, module)
    dte.command("AT+CSQ")

Vendor dialects build on :mod:`simnet.modem.dialect` (the dialect API).
"""

from simnet.modem.dte import DTE, CommandResult
from simnet.modem.module import DataSession, Mode, Module, Settings
from simnet.modem.registry import (
    MODULES,
    ModuleProfile,
    create_module,
    get_profile,
    list_modules,
    load_dialect_class,
)
from simnet.modem.uart import Uart, UartConfig

__all__ = [
    "DTE",
    "MODULES",
    "CommandResult",
    "DataSession",
    "Mode",
    "Module",
    "ModuleProfile",
    "Settings",
    "Uart",
    "UartConfig",
    "create_module",
    "get_profile",
    "list_modules",
    "load_dialect_class",
]
