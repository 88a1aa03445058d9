"""Data of the base commands: the parameter-only commands as rows (simnet.modem.params), each
citing its section of 3GPP TS 27.007 / TS 27.005 / ITU-T V.250, and the value lists the
other base commands answer from."""

from __future__ import annotations

from simnet.modem.params import OneOf, Param, Range, Setting

# -- stored settings: one row per command (simnet.modem.params) ------------------------------


def _switch(name: str, ref: str, param: str = "n", hi: int = 1, read: str | None = None) -> Setting:
    """A command with one numeric switch 0..hi, default 0."""
    return Setting(name, (Param(param, Range(0, hi), 0),), ref, read=read)


_BYTE = Range(0, 255)
# TS 27.007 §6.7 <speed> values of +CBST this emulation accepts (autobauding, V.32, V.110...).
CBST_SPEEDS = (0, 7, 12, 14, 16, 17, 39, 43, 48, 51, 71, 75, 80, 81, 83, 84, 116, 133, 134)

# TS 27.005 §3.4.1 new message indications. <mode> 3 (result codes inband in online data mode)
# is not offered: the modules hold URCs in data mode (simnet.modem.base.sms handles the row).
CNMI = Setting("+CNMI", (Param("mode", Range(0, 2), 0), Param("mt", Range(0, 3), 0),
                         Param("bm", OneOf((0, 2)), 0), Param("ds", Range(0, 2), 0),
                         Param("bfr", OneOf((0, 1)), 0)), "TS 27.005 §3.4.1")
# TS 27.005 §3.5.6 more messages to send (a handler: <n> 1 falls back to 0 by itself).
CMMS = Setting("+CMMS", (Param("n", Range(0, 2), 0),), "TS 27.005 §3.5.6")

STORED_SETTINGS: tuple[Setting, ...] = (
    _switch("+CMGF", "TS 27.005 §3.2.3", "mode"),
    Setting("+CSMP", (Param("fo", _BYTE, 17), Param("vp", _BYTE, 167), Param("pid", _BYTE, 0),
                      Param("dcs", _BYTE, 0)), "TS 27.005 §3.3.2"),
    _switch("+CSDH", "TS 27.005 §3.3.3", "show"),
    # +CLIP/+COLP read: <n>,<m> with <m> 1 = the service is provisioned.
    _switch("+CLIP", "TS 27.007 §7.6", read="{name}: {values},1"),
    _switch("+COLP", "TS 27.007 §7.8", read="{name}: {values},1"),
    Setting("+CCWA", (Param("n", Range(0, 1), 0), Param("mode", Range(0, 2), 0),
                      Param("class", Range(1, 255), 7)), "TS 27.007 §7.12",
            read_count=1, test="+CCWA: (0-1)"),
    _switch("+CRC", "TS 27.007 §6.11", "mode"),
    _switch("+CVHU", "TS 27.007 §6.20", "mode"),
    _switch("+CTZR", "TS 27.007 §8.41", "reporting", hi=2),
    _switch("+CTZU", "TS 27.007 §8.40", "onoff"),
    Setting("+CGEREP", (Param("mode", Range(0, 2), 0), Param("bfr", Range(0, 1), 0)),
            "TS 27.007 §10.1.19"),
    Setting("+CBST", (Param("speed", OneOf(CBST_SPEEDS), 7), Param("name", OneOf((0, 1)), 0),
                      Param("ce", Range(0, 1), 1)), "TS 27.007 §6.7"),
    _switch("+CR", "TS 27.007 §6.9", "mode"),
    Setting("+CMER", (Param("mode", Range(0, 3), 0), Param("keyp", Range(0, 2), 0),
                      Param("disp", Range(0, 2), 0), Param("ind", Range(0, 2), 0),
                      Param("bfr", Range(0, 1), 0)), "TS 27.007 §8.10"),
    _switch("+CMUT", "TS 27.007 §8.24"),
    Setting("+ICF", (Param("format", Range(1, 6), 3), Param("parity", Range(0, 3), 3)),
            "V.250 §6.2.11"),
)

CHARSETS = ("IRA", "GSM", "UCS2")  # TS 27.007 §5.5
