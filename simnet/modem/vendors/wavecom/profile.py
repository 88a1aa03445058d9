"""Wavecom module profiles: WIPsoft (simnet.modem.vendors.wavecom.wipsoft) and eDsoft
(simnet.modem.vendors.wavecom.edsoft)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from simnet.modem.profile import ModuleProfile

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


PROFILES = (
    ModuleProfile(
        id="wavecom-wipsoft",
        description="Wavecom/Sierra Wireless module with the WIPsoft IP stack (+WIP commands)",
        vendor="Wavecom",
        dialect="simnet.modem.vendors.wavecom.wipsoft:WipsoftDialect",
        manufacturer="WAVECOM MODEM",
        model="MULTIBAND  900E  1800",
        revision="R7.46.0.201108091301.FXT009 2132432 080911 13:01",
        imei_tac="35291102",
        ati_lines=("WAVECOM MODEM", "MULTIBAND  900E  1800"),
        cmux_channels=(1, 2, 3, 4),  # WIPsoft §4.2.3 +WIPBR: CMUX ports 11..14 over UART1
        uarts=2,  # WIPsoft §4.2.3 bearers UART1 and UART2 (21..24: CMUX over UART2)
        max_sockets=8,
        max_send=1500,
        latency=dict(WAVECOM_LATENCY),
    ),
    ModuleProfile(
        id="wavecom-edsoft",
        description="Wavecom WISMO 24x6B module with the eDSoft IP connectivity stack",
        vendor="Wavecom",
        dialect="simnet.modem.vendors.wavecom.edsoft:EdsoftDialect",
        manufacturer="WAVECOM MODEM",
        model="MULTIBAND  900E  1800",
        revision="651b09gg.Q2406B 1266500 070703 17:06",
        imei_tac="35152700",
        ati_lines=("WAVECOM MODEM", "MULTIBAND  900E  1800"),
        max_sockets=1,
        max_send=1500,
        latency=dict(WAVECOM_LATENCY),
        # eDsoft §9: its own finals (the Ok_Info_* lines after which the command is over or
        # the line carries data) and "#CME ERROR: <n>"
        final_lines=(r"#CME ERROR: \d+", "Ok_Info_Ppp", "Ok_Info_GprsActivation", "Ok_Info_NoMail",
                     "Ok_Info_Mail", "Ok_Info_WaitingForData", "Ok_Info_DataBegin",
                     "1025", "1028", "3072", "3073", "3077", "3086"),
    ),
)
