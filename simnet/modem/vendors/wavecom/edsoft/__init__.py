"""Wavecom eDsoft V3.00 IP connectivity (AT# commands): dialect, tables, services."""

from __future__ import annotations

from simnet.modem.vendors.wavecom.edsoft.dialect import EdsoftDialect

__all__ = ["EdsoftDialect"]
