"""Wavecom WIPsoft v2.01: the +WIP AT commands (WIP AT Commands User Guide, WM_DEV_OAT_UGD_024).

- :mod:`.tables` - error codes, stack / bearer / socket option tables, limits (cited per row);
- :mod:`.dialect` - the command handlers, one instance per line of the device;
- :mod:`.stack` - the device's IP stack: options, bearers, sockets (shared by every line);
- :mod:`.bearers` - GPRS, GSM data calls, PPP on a UART or CMUX channel;
- :mod:`.sockets` - UDP / TCP client / TCP server sockets and the mapped UART (+WIPDATA);
- :mod:`.ftp` - the FTP session (+WIPCREATE mode 4) and file transfers (+WIPFILE);
- :mod:`.ping` - +WIPPING on the ICMP model.
"""

from simnet.modem.vendors.wavecom.wipsoft.dialect import WipsoftDialect

__all__ = ["WipsoftDialect"]
