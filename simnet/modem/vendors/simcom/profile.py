"""SIMCom module profiles. Identity strings follow what the product families print
(docs/assumptions.md, "Module core"); boot rows are in :mod:`.tables` (BOOT)."""

from __future__ import annotations

from simnet.modem.profile import ModuleProfile
from simnet.modem.vendors.simcom.tables import BOOT

_SIMCOM_ATI = (
    "Manufacturer: {manufacturer}",
    "Model: {model}",
    "Revision: {revision}",
    "IMEI: {imei}",
    "+GCAP: +CGSM",
)

PROFILES = (
    ModuleProfile(
        id="simcom-sim7600",
        description="SIMCom SIM7600E-H LTE Cat-1/3G/2G module, TCP/IP via AT+NETOPEN/CIPOPEN",
        vendor="SIMCom",
        dialect="simnet.modem.vendors.simcom.dialect:Sim7600Dialect",
        manufacturer="SIMCOM INCORPORATED",
        model="SIMCOM_SIM7600E-H",
        revision="SIM7600M22_V2.0.1",
        imei_tac="86214703",
        ati_lines=_SIMCOM_ATI,
        cgmr_format="+CGMR: LE20B04SIM7600M22",
        max_sockets=10,
        max_send=1500,
        cmux_channels=(1, 2, 3, 4),  # AT+CMUX, four virtual channels (SIMCom mux note)
        boot_time=BOOT["simcom-sim7600"].boot_time,
        boot_urcs=BOOT["simcom-sim7600"].lines,
    ),
    ModuleProfile(
        id="simcom-a7670",
        description="SIMCom A7670E LTE Cat-1 module, TCP/IP via AT+NETOPEN/CIPOPEN",
        vendor="SIMCom",
        dialect="simnet.modem.vendors.simcom.dialect:A7670Dialect",
        manufacturer="SIMCOM INCORPORATED",
        model="A7670E-LASE",
        revision="A7670M7_V1.11.1",
        imei_tac="86106606",
        ati_lines=_SIMCOM_ATI,
        cgmr_format="+CGMR: A011B07A7670M7_F",
        max_sockets=10,
        max_send=1500,
        cmux_channels=(1, 2, 3, 4),
        boot_time=BOOT["simcom-a7670"].boot_time,
        boot_urcs=BOOT["simcom-a7670"].lines,
    ),
)
