"""Fibocom L610 vendor data: error tables, parameter ranges, defaults, response formats.

Every row cites the section of FIBOCOM_L610_AT_Commands_User_Manual_TCP&UDP V1.0.0
(``/work/shared/specs/fibocom-l610-tcp-udp-at-commands.txt``). Choices the manual leaves open
are recorded in ``docs/assumptions.md`` under "Fibocom"; rows that carry such a choice say so.
"""

from __future__ import annotations

from simnet.modem.base.sms import SmsFormat
from simnet.modem.dialect import sim_ready
from simnet.modem.params import OneOf, Param, Range, Setting

MODULE_ID = "fibocom-l610"

# --- §2.1 CME Error (rows carried as printed; "O" read as 0, the second "5" as 6) -----------
CME_ERRORS: dict[int, str] = {
    0: 'phone failure',
    1: 'no connection to phone',
    2: 'phone-adaptor link reserved',
    3: 'operation not allowed',
    4: 'operation not supported',
    5: 'PH-SIM PIN required',
    6: 'PH-FSIM PIN required',
    7: 'PH-FSIM PUK required',
    10: 'SIM not inserted',
    11: 'SIM PIN required',
    12: 'SIM PUK required',
    13: 'SIM failure',
    14: 'SIM busy',
    15: 'SIM wrong',
    16: 'incorrect password',
    17: 'SIM PIN2 required',
    18: 'SIM PUK2 required',
    19: 'incorrect PUK1',
    20: 'memory full',
    21: 'invalid index',
    22: 'not found',
    23: 'memory failure',
    24: 'text string too long',
    25: 'invalid characters in text string',
    26: 'dial string too long',
    27: 'invalid characters in dial string',
    30: 'no network service',
    31: 'network timeout',
    32: 'network not allowed - emergency calls only',
    40: 'network personalization PIN required',
    41: 'network personalization PUK required',
    42: 'network subset personalization PIN required',
    43: 'network subset personalization PUK required',
    44: 'service provider personalization PIN required',
    45: 'service provider personalization PUK required',
    46: 'corporate personalization PIN required',
    47: 'corporate personalization PUK required',
    48: 'hidden key required',
    49: 'EAP method not supported',
    50: 'Incorrect parameters',
    100: 'unknown',
    103: 'Illegal MS',
    106: 'Illegal ME',
    107: 'GPRS services not allowed',
    111: 'PLMN not allowed',
    112: 'location area not allowed',
    113: 'roaming not allowed in this location area',
    114: 'GPRS services not allowed in this PLMN',
    116: 'MSC temporarily not reachable',
    117: 'Network failure',
    132: 'Service not supported',
    133: 'Service not subscribed',
    134: 'service option temporarily out of order',
    135: 'NS-api already used',
    148: 'Unspecified GPRS error',
    149: 'PDP authentication error',
    150: 'invalid mobile class',
    244: 'Attach failure',
    257: 'Invalid error mapping',
    258: 'APN not listed in APN Control List (ACL)',
    701: 'incorrect security code',
    702: 'max attempts reached',
    1001: 'Unassigned (unallocated) number',
    1003: 'No route to destination',
    1006: 'Channel unacceptable',
    1008: 'Operator determined barring',
    1016: 'Normal call clearing',
    1017: 'User busy',
    1018: 'No user responding',
    1019: 'User alerting, no answer',
    1021: 'Call rejected',
    1022: 'Number changed',
    1026: 'Non selected user clearing',
    1027: 'Destination out of order',
    1028: 'Invalid number format (incomplete number)',
    1029: 'Facility rejected',
    1030: 'Response to STATUS ENQUIRY',
    1031: 'Normal, unspecified',
    1034: 'No circuit/channel available',
    1038: 'Network out of order',
    1041: 'Temporary failure',
    1042: 'Switching equipment congestion',
    1043: 'Access information discarded',
    1044: 'requested circuit/channel not available',
    1047: 'Resources unavailable, unspecified',
    1049: 'Quality of service unavailable',
    1050: 'Requested facility not subscribed',
    1055: 'Incoming calls barred within the CUG',
    1057: 'Bearer capability not authorized',
    1058: 'Bearer capability not presently available',
    1063: 'Service or option not available, unspecified',
    1065: 'Bearer service not implemented',
    1068: 'ACM equal to or greater than ACMmax',
    1069: 'Requested facility not implemented',
    1070: 'Only restr. digital information bearer capability',
    1079: 'Service or option not implemented, unspecified',
    1081: 'Invalid transaction identifier value',
    1087: 'User not member of CUG',
    1088: 'Incompatible destination',
    1091: 'Invalid transit network selection',
    1095: 'Semantically incorrect message',
    1096: 'Invalid mandatory information',
    1097: 'Message type non-existent or not implemented',
    1098: 'Message type not compatible with protocol state',
    1099: 'Information element non-existent or not implemented',
    1100: 'Conditional IE error',
    1101: 'Message not compatible with protocol state',
    1102: 'Recovery on timer expiry',
    1111: 'Protocol error, unspecified',
    1127: 'Interworking, unspecified',
    1279: 'Number not allowed',
    1283: 'CCBS possible',
}

# --- §2.3 TCP/IP Error (trailing blanks of the printed strings dropped) -------------------
TCPIP_ERRORS: dict[int, str] = {
    2000: 'TCPIP Param wrong',
    2001: 'TCPIP not supported in ppp mode',
    2002: 'TCPIP dns convert to ip fail',
    2003: 'TCPIP socket number limited',
    2004: 'TCPIP invalid operation',
    2005: 'TCPIP protol error',
    2006: 'TCPIP send data too long',
    2007: 'TCPIP send data memory failed',
    2008: 'TCPIP service not in correct state',
    2009: 'TCPIP pdp not defined',
    2010: 'TCPIP new socket failed',
    2011: 'TCPIP socket bind fail',
    2012: 'TCPIP socket connect fail',
    2013: 'TCPIP socket send fail',
    2014: 'TCPIP socket close fail',
    2015: 'TCPIP get socket receive buffer failed',
    2016: 'TCPIP receive data failed',
    2017: 'TCPIP socket used',
    2018: 'TCPIP get send buffer size failed',
    2019: 'TCPIP socket send data failed',
    2020: 'TCPIP socket send data size limited',
    2021: 'TCPIP socket set listening mode failed',
    2022: 'TCPIP socket listen fail',
    2023: 'TCPIP socket error',
    2024: 'TCPIP socket not opened',
    2025: 'TCPIP tcp stack confige failed',
    2026: 'TCPIP socket no data to send',
    2027: 'TCPIP socket send invalid data state',
    2028: 'TCPIP socket close client',
    2029: 'TCPIP ping error',
    2030: 'TCPIP ppp not connected',
    2031: 'TCPIP mipcall not active',
    2032: 'TCPIP etcpip not active',
    2033: 'TCPIP not def4',
}


# --- Named codes the dialect raises (meaning of each choice: docs/assumptions.md) ----------
class Err:
    """The codes used by the handlers, by meaning (values are rows of the tables above)."""

    OPERATION_NOT_ALLOWED = 3  # §2.1
    OPERATION_NOT_SUPPORTED = 4  # §2.1
    PARAM_WRONG = 2000  # §2.3: syntax or range error of any +MIP/+MP/+GT parameter
    PPP_MODE = 2001  # §2.3 "TCPIP not supported in ppp mode": a dial-up (ATD*99#) session is up
    DNS_FAIL = 2002  # §2.3 + §1.1.2.1 note: name not resolved (answered within 60 s)
    SOCKET_LIMIT = 2003  # §2.3: socket id outside 1..6 (the module has six)
    INVALID_OPERATION = 2004  # §2.3: command not valid in the current mode (e.g. MIPREAD w/o 5)
    PROTOCOL_ERROR = 2005  # §2.3: protocol number the stack cannot serve (SSL, IPv6 w/o addr)
    SEND_TOO_LONG = 2006  # §2.3: one +MIPSEND chunk above 1024 bytes (§1.1.4.1)
    SOCKET_USED = 2017  # §2.3: +MIPOPEN/+MIPODM on an id that is already open
    SOCKET_NOT_OPENED = 2024  # §2.3: send/push/close/sets on a socket that is not open
    SEND_FAILED = 2019  # §2.3: a raw send cut short (DTR drop during the prompt)
    PING_ERROR = 2029  # §2.3: +MPING while a ping runs, or abort with none running
    MIPCALL_NOT_ACTIVE = 2031  # §2.3: any socket/DNS/ping/NTP command before +MIPCALL


ERROR_TABLES: dict[int, str] = {**CME_ERRORS, **TCPIP_ERRORS}

# --- Parameter ranges and defaults (simnet.modem.params domains) ----------------------------
SOCKET_IDS = Range(1, 6)  # §1.1.2.4 "Valid socket numbers 1-6"
DNS_SOCKET_IDS = Range(1, 7)  # §1.1.16.4: 7 is dedicated to +MPING, +MIPDNS, +MIPNTP
DNS_SERVICE_SOCKET = 7  # §1.1.16.4
PORTS = Range(0, 65535)  # §1.1.2.4 <Source_Port>; §1.1.7.4 <Destination_Port>
REMOTE_PORTS = Range(1, 65535)  # §1.1.2.4 outgoing; 0 selects an incoming (listen) socket
HOSTNAME_MAX = 255  # §1.1.2.4 "maximum length (255 characters)"

# §1.1.1.4 +MIPCALL
MIPCALL_OPERATIONS = Range(0, 3)
MIPCALL_CIDS = Range(1, 24)  # <cid> "See +CGDCONT": the 27.007 context ids the module keeps
MIPCALL_AUTH = Range(0, 3)  # printed "range 0-2" but lists 3 = PAP and CHAP; 3 accepted
MIPCALL_USER_MAX = 64  # §1.1.1.2 notes
MIPCALL_PASSWORD_MAX = 64
MIPCALL_APN_MAX = 99
MIPCALL_BOUND_S = 30.0  # §1.1.1.2 notes: activating / deactivating "can take up to 30 seconds"
MIPCALL_STATUS_DISCONNECTED, MIPCALL_STATUS_CONNECTED, MIPCALL_STATUS_BUSY = 0, 1, 2  # §1.1.1.4
AUTH_NAMES = {0: "none", 1: "pap", 2: "chap", 3: "any"}  # §1.1.1.4 <auth>

# §1.1.2.4 / §1.1.18.4 <Protocol>
PROTO_TCP, PROTO_UDP, PROTO_SSL = 0, 1, 2
PROTO_TCP6, PROTO_UDP6, PROTO_SSL6 = 60, 61, 62
PROTOCOLS = OneOf((0, 1, 2, 60, 61, 62))
PROTOCOLS_TEXT = "(0-2,60-62)"
TCP_PROTOCOLS = (PROTO_TCP, PROTO_TCP6)
UDP_PROTOCOLS = (PROTO_UDP, PROTO_UDP6)
SSL_PROTOCOLS = (PROTO_SSL, PROTO_SSL6)  # no TLS in this module build: 2005 (assumptions)

# §1.1.3.4 +MIPCLOSE <Mode> and <close_type>
CLOSE_MODES = Range(0, 2)
CLOSE_MODE_WAIT_FIN_ACK, CLOSE_MODE_NO_WAIT, CLOSE_MODE_WAIT_2MSL = 0, 1, 2
CLOSE_TYPE_OK, CLOSE_TYPE_TIMEOUT, CLOSE_TYPE_OTHER = 0, 1, 2

# §1.1.11.4 +MIPSTAT <Status>
MIPSTAT_ACK, MIPSTAT_BROKEN, MIPSTAT_ALERT = 0, 1, 2

# §1.1.4.4 +MIPSETS and §1.1.5.4 +MIPDSETS
ACCUMULATING_BUFFER = 2048  # §1.1.4.4 / §1.1.6.4 "Free size is calculated from the 2048"
SETS_SIZE = Range(1, 2048)
SETS_SIZE_DEFAULT = 2048
SETS_TIMEOUT_MS = Range(0, 1000)
SETS_TIMEOUT_DEFAULT_MS = 0  # "0 means no timeout is used (default)"
SETS_STATUS_OK, SETS_STATUS_NOT_ALLOWED = 0, 3  # §1.1.4.4 <Status>
DSETS_SIZE = Range(1, 2048)
DSETS_SIZE_DEFAULT = 2048
DSETS_SPAN_MS = Range(0, 1000)
DSETS_SPAN_DEFAULT_MS = 0
SEND_CHUNK_MAX = 1024  # §1.1.4.1 chunks "smaller than 1024 characters (2048 in coded form)"
# Flow-control watermarks of the accumulating memory (§1.1.19.1 names "Xoff_upper" but gives no
# value): a choice, see docs/assumptions.md.
XOFF_UPPER = 1536
XON_LOWER = 512

# §1.1.6.4 / §1.2.x <Status> of +MIPSEND and +MIPPUSH
SEND_STATUS_OK, SEND_STATUS_XOFF = 0, 1
PUSH_STATUS_OK, PUSH_STATUS_XOFF, PUSH_STATUS_NO_DATA = 0, 1, 2

# §1.1.12 +MIPCONF, per socket (times in units of 100 ms, as the defaults "5*100ms" show).
# "This command must used under MIPCALL is enabled" (§1.1.12.2): the dialect's guard.
MIPCONF: Setting = Setting("+MIPCONF", (
    Param("retr_num", Range(1, 12), 5),
    Param("min_to", Range(1, 10), 5),  # 100 ms .. 1 s
    Param("max_to", Range(10, 600), 600),  # 1 s .. 60 s
    Param("close_delay", Range(1, 75), 75),  # 100 ms .. 7500 ms: <max_close_delay>
    Param("nack", Range(0, 2), 0),  # <is_nack_ind_req>
), "Fibocom L610 TCP/UDP §1.1.12.4", index=Param("socket", SOCKET_IDS, 1), required=0,
    requires=(sim_ready,))
NACK_OFF, NACK_IND, ACK_IND = 0, 1, 2
MIPCONF_UNIT_S = 0.1

# §1.1.13 +MIPKEEPCONF: <mode> 0 takes no other parameter and reads back as "+MIPKEEPCONF: 0".
MIPKEEPCONF: Setting = Setting("+MIPKEEPCONF", (
    Param("mode", Range(0, 1), 0),
    Param("idle", Range(1, 36000), 7200),
    Param("intvl", Range(1, 750), 65),
    Param("cnt", Range(1, 50), 9),
), "Fibocom L610 TCP/UDP §1.1.13.4", requires=(sim_ready,))

# §1.1.14.4 +MPING
PING_MODES = Range(0, 2)
PING_COUNT = Range(1, 255)
PING_COUNT_DEFAULT = 4
PING_SIZE = Range(0, 1372)
PING_SIZE_DEFAULT = 32
PING_TTL = Range(1, 255)
PING_TTL_DEFAULT = 64
PING_TOS = Range(0, 255)
PING_TOS_DEFAULT = 0
PING_TIMEOUT_MS = Range(500, 10000)  # range not printed: Motorola-G24 family range (choice)
PING_TIMEOUT_DEFAULT_MS = 4000
# §1.1.15.4 +MPINGSTAT <status>
PINGSTAT_DONE, PINGSTAT_TIMEOUT, PINGSTAT_ABORTED = 0, 1, 2
PINGSTAT_FLOW_OFF, PINGSTAT_FLOW_ON = 3, 4  # not enough memory to send / enough again
# The memory of 3/4 is the module's buffer of IP packets waiting for the radio uplink (the
# manual gives no size; assumption, docs/assumptions.md): an echo request finding this many
# packets queued waits ("Flow Control OFF") until the queue has drained to the low mark.
PING_FLOW_OFF_PACKETS = 32
PING_FLOW_ON_PACKETS = 8
PING_FLOW_POLL_S = 0.1  # how often the waiting request looks at the queue again

# §1.1.18 +MIPODM
ODM_PSEUDO = Range(0, 1)
ODM_PSEUDO_DEFAULT = 0  # 0 = pseudo-command mode enabled
ODM_BUFFER = 8192  # §1.1.18.1: 8192 bytes for a 3G/4G module (the L610 is LTE Cat 1)
ODM_SPOOL_S = 0.050  # §1.1.18.1: 50 ms spooling timeout for 3G/4G modules
# §1.1.18.1: ODM accumulating buffer and spooling timeout by module generation. The L610 is a
# 4G module; profile option extra={"radio_generation": "2g"} selects the 2G figures.
ODM_BY_GENERATION: dict[str, tuple[int, float]] = {
    "2g": (1372, 0.200),
    "3g": (ODM_BUFFER, ODM_SPOOL_S),
    "4g": (ODM_BUFFER, ODM_SPOOL_S),
}

# §1.1.21.4 +MIPDNS <address type>
DNS_ADDR_TYPES = Range(0, 2)
# §1.1.22.4 +MIPNTP
NTP_ADDR_TYPES = Range(0, 1)
NTP_RESULT_FAIL, NTP_RESULT_OK = 0, 1
NTP_TRIES = 3  # not printed: attempts per +MIPNTP (choice)
NTP_WAIT_S = 5.0  # not printed: wait for each NTP reply (choice)

# §1.2.2.1 / §1.2.4.4 +GTSET
GTSET_SENDTIME = Range(1, 30)
GTSET_SENDTIME_DEFAULT = 12
IPRFMT_VALUES = OneOf((0, 1, 2, 5))
IPRFMT_DEFAULT = 0
IPRFMT_HEX, IPRFMT_RAW, IPRFMT_RAW_HEADER, IPRFMT_READ = 0, 1, 2, 5
RAW_SEND_MAX = 2048
UDP_HOLD_MAX = 65535  # datagrams kept for +MIPREAD / pseudo-command mode (a choice)
# §1.2.1.1 / §1.2.3.1 "0<=buffer<=2048 bytes": the raw +MIPSEND forms

# The module's own TCP send buffer (not printed; an lwIP-sized 8 KB, docs/assumptions.md).
TCP_SEND_BUFFER = 8192

# §1.1.2.1 note: +MIPOPEN "will return in 60 sec when DNS is error"
DNS_BOUND_S = 60.0
DNS_TRY_S = 5.0  # not printed: wait per DNS query before asking again (choice)

CTRL_Z = 0x1A

# --- Test-form (=?) responses, as the syntax tables list them ----------------------------
IP_PATTERN = '"(0-255).(0-255).(0-255).(0-255)"'
TEST_RESPONSES: dict[str, str] = {
    "+MIPCALL": "+MIPCALL: (0-3)",  # §1.1.1.2
    "+MIPOPEN": f"+MIPOPEN: (1-6),(0-65535),({IP_PATTERN}),(0-65535),{PROTOCOLS_TEXT}",  # §1.1.2.2
    "+MIPCLOSE": "+MIPCLOSE: (1-6),(0-2)",  # §1.1.3.2
    "+MIPSETS": "+MIPSETS: (1-6),(1-2048),(0-1000)",  # §1.1.4.2
    "+MIPDSETS": "+MIPDSETS: (1-6),(1-2048),(0-1000)",  # §1.1.5.2
    "+MIPPUSH": f"+MIPPUSH: (1-6),({IP_PATTERN}),(0-65535)",  # §1.1.7.2
    "+MIPFLUSH": "+MIPFLUSH: (1-6)",  # §1.1.8.2
    # +MIPCONF (§1.1.12.2) and +MIPKEEPCONF (§1.1.13.2) are rendered from their rows.
    "+MPING": "+MPING: (0-2),(1-255),(0-1372),(1-255),(0-255),(500-10000)",  # §1.1.14.2
    "+MSDNS": f"+MSDNS: (1-7),({IP_PATTERN}),({IP_PATTERN})",  # §1.1.16.2
    "+MSV6DNS": '+MSV6DNS: (1-7),("X:X:X:X:X:X:X:X"),("X:X:X:X:X:X:X:X")',  # §1.1.17.2
    "+MIPODM": (
        f"+MIPODM: (1-6),(0-65535),({IP_PATTERN}),(1-65535),{PROTOCOLS_TEXT},(0-1)"
    ),  # §1.1.18.2
    "+MIPNTP": f"+MIPNTP: ({IP_PATTERN}),(1-65535)",  # §1.1.22.2
}

# --- What model outcomes become (§1.1.3.4, §1.1.11.4; choices in docs/assumptions.md) -----
# TcpSocket.close_reason -> +MIPSTAT <Status> for a socket the module did not close itself.
MIPSTAT_FOR_CLOSE_REASON: dict[str, int] = {
    "peer_closed": MIPSTAT_ALERT,  # orderly FIN from the peer: closed automatically, non fatal
    "refused": MIPSTAT_BROKEN,
    "timeout": MIPSTAT_BROKEN,  # retransmission budget (+MIPCONF <retr_num>) spent
    "reset": MIPSTAT_BROKEN,
    "network_down": MIPSTAT_BROKEN,
    "keepalive": MIPSTAT_BROKEN,  # +MIPKEEPCONF probes unanswered
}
# TcpSocket.close_reason at the end of an AT+MIPCLOSE -> <close_type>
CLOSE_TYPE_FOR_REASON: dict[str, int] = {
    "local": CLOSE_TYPE_OK,
    "peer_closed": CLOSE_TYPE_OK,
    "refused": CLOSE_TYPE_OTHER,
    "timeout": CLOSE_TYPE_OTHER,
    "reset": CLOSE_TYPE_OTHER,
    "network_down": CLOSE_TYPE_OTHER,
    "keepalive": CLOSE_TYPE_OTHER,
}


# Power-up and restart (AT+CFUN=1,1): seconds until the UART answers. The L610 TCP/UDP manual
# lists no boot URC and no public L610 boot log was found, so none is printed; the SIM is read
# when the UART comes up (docs/assumptions.md "Fibocom").
BOOT_TIME = 8.0
BOOT_LINES: tuple[tuple[float, str], ...] = ()


# -- short messages: TS 27.005 as the L610's UNISOC platform answers it (docs/assumptions.md) ----
SMS: SmsFormat = SmsFormat(
    memories=("SM", "ME"),  # +CPMS: ("SM","ME"),("SM","ME"),("SM","ME")
    capacity={"ME": 50},
    first_index=1,
    report_memory=None,  # <ds>=2: status reports go to <mem3>
    default_memory="SM",
    ri_pulse=0.12,
    source="TS 27.005 §3.2.2 (assumption: the L610 manual's SMS chapter is not public)",
)
