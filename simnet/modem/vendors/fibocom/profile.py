"""Fibocom module profiles (identity: docs/assumptions.md, "Module core")."""

from __future__ import annotations

from simnet.modem.profile import ModuleProfile
from simnet.modem.vendors.fibocom.tables import BOOT_LINES, BOOT_TIME

PROFILES = (
    ModuleProfile(
        id="fibocom-l610",
        description="Fibocom L610 LTE Cat-1 module, TCP/UDP via the +MIP command family",
        vendor="Fibocom",
        dialect="simnet.modem.vendors.fibocom.dialect:L610Dialect",
        manufacturer="Fibocom Wireless Inc.",
        model="L610",
        revision="16000.1000.00.96.20.10",
        imei_tac="86583305",
        ati_lines=("{manufacturer}", "{model}", "{revision}"),
        cgmi_format="{manufacturer}",
        max_sockets=6,
        max_send=2048,
        # +MIPSEND carries up to 1024 bytes hex-coded (2048 characters, §1.1.4.1/§1.1.6) on the
        # command line, so the L610's line buffer must hold well over that.
        command_buffer=4096,
        uart_rx_buffer=8192,
        boot_time=BOOT_TIME,
        boot_urcs=BOOT_LINES,
    ),
)
