"""3GPP / V.250 base commands shared by every module, answering in each module's style.

Identity strings come from the :class:`~simnet.modem.profile.ModuleProfile`; SIM,
registration and GPRS state come from the module's bearer (:class:`~simnet.bearer.api.BearerApi`:
``sim_card``, ``radio``, ``gprs``, ``csd``). Without a bearer the module behaves like one
without a SIM (``+CME ERROR: 10``) and with no network (``+CME ERROR: 30``).

The commands are grouped by what they talk to (one module each, one class each; this package
composes them into :class:`BaseCommands`):

- :mod:`.v250` - V.250 basic commands, S-registers, serial port, +CMUX, +CCLK, +CLAC;
- :mod:`.identity` - +CGMI/+CGMM/+CGMR/+CGSN/+GCAP, +CIMI, +CCID, +CNUM;
- :mod:`.sim` - +CMEE, +CEER, +CPIN, +CLCK, +CPWD;
- :mod:`.network` - +CSQ, +CPAS, +CFUN, +CREG/+CGREG/+CEREG, +CIND, +COPS, +CPSMS, +CEDRXS;
- :mod:`.packet` - +CGATT, +CGDCONT, +CGAUTH, +CGACT, +CGPADDR;
- :mod:`.calls` - ATD, ATA, ATH, ATO, RING, dial-up, +CLCC;
- :mod:`.sms` - TS 27.005 short messages (memories, +CMGS/+CMGW/+CMSS/+CMGR/+CMGL/+CMGD,
  +CNMI routing, +CPMS, +CSCA, +CSMS, +CMMS) over the bearer's SMSC, +CSCS, +CUSD; vendors
  differ by their ``sms_format`` row;
- :mod:`.tables` - the parameter-only commands as rows (+CMGF, +CSMP, +CSDH, +CRC, +CBST...).
  A restart loses them (volatile, like the CFUN level and +CREG <n>); the PDP context
  definitions survive it (``nonvolatile_state``).
"""

from __future__ import annotations

from simnet.modem.base.calls import CallCommands
from simnet.modem.base.common import BaseCommandSet, outcome_to_cme
from simnet.modem.base.identity import IdentityCommands
from simnet.modem.base.network import NetworkCommands
from simnet.modem.base.packet import PacketCommands
from simnet.modem.base.sim import SimCommands
from simnet.modem.base.sms import SmsCommands
from simnet.modem.base.tables import CHARSETS, STORED_SETTINGS
from simnet.modem.base.v250 import V250Commands


class BaseCommands(
    V250Commands,
    IdentityCommands,
    SimCommands,
    NetworkCommands,
    PacketCommands,
    CallCommands,
    SmsCommands,
):
    """V.250 basic commands, S-registers and the 3GPP TS 27.007/27.005 commands."""

    settings = STORED_SETTINGS
    # PDP context definitions and their credentials are kept in non-volatile memory, as on the
    # SIMCom and Fibocom modules; so are the message memories (SIM and flash) and the SIM's
    # EF_SMSS (last TP-MR, memory capacity exceeded flag, TS 31.102 §4.2.28).
    nonvolatile_state = ("contexts", "auth", "sms_stores", "last_mr", "memory_exceeded")


__all__ = [
    "CHARSETS",
    "STORED_SETTINGS",
    "BaseCommandSet",
    "BaseCommands",
    "outcome_to_cme",
]
