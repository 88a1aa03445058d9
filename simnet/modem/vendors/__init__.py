"""Vendor packages: one per module family, each ``simnet.modem.vendors.<vendor>`` with

- ``profile.py`` - the modules' :class:`~simnet.modem.profile.ModuleProfile` rows (``PROFILES``);
- ``tables.py`` - vendor data: error tables, parameter rows, URC formats, timings, each row
  citing its spec section;
- ``dialect.py`` - the command handlers (a :class:`~simnet.modem.dialect.Dialect` subclass);
- engines - sans-IO pieces that need no clock (buffers, decoders).

The registry lists the packages below; a package's ``__init__`` imports nothing heavy, so
listing modules does not load any dialect. docs/architecture.md "Adding a module" is the guide.
"""

from __future__ import annotations

import importlib

from simnet.modem.profile import ModuleProfile

# Every vendor package, in listing order. A new vendor is a new package plus its name here.
VENDOR_PACKAGES = ("simcom", "fibocom", "wavecom")


def all_profiles() -> list[ModuleProfile]:
    """The profiles every vendor package declares (``<package>.profile.PROFILES``)."""
    profiles: list[ModuleProfile] = []
    for name in VENDOR_PACKAGES:
        module = importlib.import_module(f"simnet.modem.vendors.{name}.profile")
        profiles.extend(module.PROFILES)
    return profiles
