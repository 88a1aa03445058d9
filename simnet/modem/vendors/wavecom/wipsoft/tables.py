"""WIPsoft vendor data: error codes, stack / bearer / socket option tables, limits, texts.

The specification is the WIP AT Commands User Guide (WIPsoft v2.01, WM_DEV_OAT_UGD_024 rev 004,
``/work/shared/specs/wavecom-wipsoft-v2.01-at-commands.txt``); ``§`` numbers below are its
sections. Where the guide is silent or contradicts itself the choice is recorded in
docs/assumptions.md, section "WIPsoft", and marked ``assumption`` here.
"""

from __future__ import annotations

from enum import IntEnum

from simnet.bearer.outcomes import OutcomeKind
from simnet.modem.errors_3gpp import CME_27007
from simnet.modem.params import Access, IPv4, Option, OptionTable, Range, Text

MODULE_ID = "wavecom-wipsoft"

# §4.1.6 example of AT+WIPCFG=3 (the syntax line's "vXX.YY.ZZ ... vA.B" is filled in as the
# example prints it).
VERSION_LINE = "WIP soft v201 on Open AT OS v312"


class Wip(IntEnum):
    """§9 error codes ("+CMEE" AT error code), by what they mean."""

    INVALID_OPTION = 800
    INVALID_VALUE = 801
    NO_MEMORY = 802
    BAD_STACK_STATE = 803
    ALREADY_OPEN = 804
    NO_INTERFACE = 805
    NOT_ON_BEARER = 806
    LINE_BUSY = 807
    NO_ANSWER = 808
    NO_CARRIER = 809
    NO_SIM = 810
    SIM_NOT_READY = 811
    GPRS_FAILURE = 812
    LCP_FAILED = 813
    AUTH_FAILED = 814
    IPCP_FAILED = 815
    PEER_TERMINATED = 816
    NO_ECHO_ANSWER = 817
    CALL_REFUSED = 818
    PING_CHANNEL = 819
    FLASH_WRITE = 820
    FLASH_READ = 821
    BAD_INDEX = 830
    BAD_STATE = 831
    BAD_PORT = 832
    BAD_PORT_STATE = 833
    NOT_IMPLEMENTED = 834
    OPTION_NOT_SUPPORTED = 835
    ALLOCATION = 836
    BAD_PROTOCOL = 837
    NO_FREE_SOCKET = 838
    CHANNEL_CREATION = 839
    FTP_ACTIVE = 840
    PEER_CLOSED = 841
    UNREACHABLE = 842
    UNKNOWN = 850
    DATA_BAD_STATE = 851


_S9 = "WIPsoft §9"
# §9 texts, as printed under AT+CMEE=2 (§4.2.5 numbers some of them one off: the §9 numbers are
# used, see docs/assumptions.md "WIPsoft"; 3 "operation not allowed" is TS 27.007's, §5.1.5).
CME_ERRORS = CME_27007.extend([
    (800, "invalid option", _S9),
    (801, "invalid option value", _S9),
    (802, "not enough memory", _S9),
    (803, "operation not allowed in the current WIP stack state", _S9),
    (804, "device already open", _S9),
    (805, "network interface not available", _S9),
    (806, "operation not allowed on the considered bearer", _S9),
    (807, "bearer connection failure : line busy", _S9),
    (808, "bearer connection failure : no answer", _S9),
    (809, "bearer connection failure : no carrier", _S9),
    (810, "bearer connection failure : no sim card present", _S9),
    (811, "bearer connection failure : sim not ready (no pin code entered, ...)", _S9),
    (812, "bearer connection failure : GPRS network failure", _S9),
    (813, "bearer connection failure : PPP LCP negotiation failed", _S9),
    (814, "bearer connection failure : PPP authentication failed", _S9),
    (815, "bearer connection failure : PPP IPCP negotiation failed", _S9),
    (816, "bearer connection failure : PPP peer terminates session", _S9),
    (817, "bearer connection failure : PPP peer does not answer to echo request", _S9),
    (818, "incoming call refused", _S9),
    (819, "error on Ping channel", _S9),
    (820, "error writing configuration in FLASH memory", _S9),
    (821, "error reading configuration in FLASH memory", _S9),
    (830, "bad index", _S9),
    (831, "bad state", _S9),
    (832, "bad port number", _S9),
    (833, "bad port state", _S9),
    (834, "not implemented", _S9),
    (835, "option not supported", _S9),
    (836, "memory allocation error", _S9),
    (837, "bad protocol", _S9),
    (838, "no more free socket", _S9),
    (839, "error during channel creation", _S9),
    (840, "FTP session is already active", _S9),
    (841, "peer closed", _S9),
    (842, "destination host unreachable (whether host unreachable, Network unreachable, "
          "response timeout)", _S9),
    (850, "unknown reason", _S9),
    (851, "bad state", _S9),
])

# -------------------------------------------------------------------------------------------
# §4.1 +WIPCFG: stack options (<opt num> 0-11) with their ranges and defaults (§4.1.3; the
# defaults are also those of the §4.1.6 AT+WIPCFG? example).
# -------------------------------------------------------------------------------------------
_C = "WIPsoft §4.1.3"
STACK_OPTIONS = OptionTable([
    Option(0, "WIP_NET_OPT_IP_TTL", Range(0, 255), 64, _C),
    Option(1, "WIP_NET_OPT_IP_TOS", Range(0, 255), 0, _C),
    Option(2, "WIP_NET_OPT_IP_FRAG_TIMEO", Range(1, 65535), 60, _C),
    Option(3, "WIP_NET_OPT_TCP_MAXINITWIN", Range(0, 65535), 0, _C),
    Option(4, "WIP_NET_OPT_TCP_MIN_MSS", Range(536, 1460), 536, _C),
    Option(5, "WIP_NET_OPT_DEBUG_PORT", Range(0, 3), 0, _C),
    Option(6, "WIP_NET_OPT_SOCK_MAX", Range(1, 172), 8, _C),
    Option(7, "WIP_NET_OPT_BUF_MAX", Range(4, 42), 32, _C),
    # §4.1.3 prints no range for the multicast groups (the line is cut short); the example
    # reads 0. Assumption: 0-255 stored (no multicast is modelled).
    Option(8, "WIP_NET_OPT_IP_MULTI_MAX", Range(0, 255), 0, f"{_C} (range: assumption)"),
    Option(9, "WIP_NET_OPT_IP_ROUTE_MAX", Range(0, 2730), 0, _C),
    Option(10, "WIP_NET_OPT_RSLV_QUERY_MAX", Range(1, 511), 4, _C),
    Option(11, "WIP_NET_OPT_RSLV_CACHE_MAX", Range(1, 292), 4, _C),
])
OPT_TTL, OPT_TOS, OPT_FRAG_TIMEO, OPT_MAXINITWIN, OPT_MIN_MSS = 0, 1, 2, 3, 4
OPT_SOCK_MAX, OPT_BUF_MAX, OPT_RSLV_QUERY_MAX, OPT_RSLV_CACHE_MAX = 6, 7, 10, 11

# -------------------------------------------------------------------------------------------
# §4.2 +WIPBR: bearers and their options.
# -------------------------------------------------------------------------------------------
BID_UART1, BID_UART2, BID_GSM, BID_GPRS = 1, 2, 5, 6
CMUX_BIDS = {11: ("uart1", 1), 12: ("uart1", 2), 13: ("uart1", 3), 14: ("uart1", 4),
             21: ("uart2", 1), 22: ("uart2", 2), 23: ("uart2", 3), 24: ("uart2", 4)}  # §4.2.3
UART_BIDS = {BID_UART1: "uart1", BID_UART2: "uart2"}
NA_BIDS = (3, 4)  # §4.2.3 "N/A"
KNOWN_BIDS = (*UART_BIDS, *NA_BIDS, BID_GSM, BID_GPRS, *CMUX_BIDS)


def bearer_kind(bid: int) -> str:
    """``uart`` (a serial port or a CMUX channel: PPP with the host), ``gsm`` or ``gprs``."""
    if bid == BID_GSM:
        return "gsm"
    if bid == BID_GPRS:
        return "gprs"
    return "uart"


_B = "WIPsoft §4.2.3"
BEARER_OPTIONS = OptionTable([
    Option(0, "WIP_BOPT_LOGIN", Text(64), "", _B),
    Option(1, "WIP_BOPT_PASSWORD", Text(64), "", _B),
    Option(2, "WIP_BOPT_DIAL_PHONENB", Text(32), "", _B),
    # 3 / 4: WIP_BOPT_DIAL_REDIALCOUNT / REDIALDELAY, reserved (§4.2.7.1): not in the table.
    Option(5, "WIP_BOPT_DIAL_RINGCOUNT", Range(0, 65535), 0, _B),
    Option(6, "WIP_BOPT_DIAL_MSNULLMODEM", Range(0, 1), 0, _B),
    # PAP/CHAP/MS-CHAP switches: the guide gives ranges only; defaults "all allowed"
    # (assumption). MS-CHAP is not modelled by the PPP engine (docs/assumptions.md).
    Option(7, "WIP_BOPT_PPP_PAP", Range(0, 1), 1, f"{_B} (default: assumption)"),
    Option(8, "WIP_BOPT_PPP_CHAP", Range(0, 1), 1, f"{_B} (default: assumption)"),
    Option(9, "WIP_BOPT_PPP_MSCHAP1", Range(0, 1), 1, f"{_B} (default: assumption)"),
    Option(10, "WIP_BOPT_PPP_MSCHAP2", Range(0, 1), 1, f"{_B} (default: assumption)"),
    Option(11, "WIP_BOPT_GPRS_APN", Text(96), "", _B),
    Option(12, "WIP_BOPT_GPRS_CID", Range(1, 4), 1, f"{_B} (default: assumption)"),
    Option(13, "WIP_BOPT_GPRS_HEADERCOMP", Range(0, 1), 0, f"{_B} (default: assumption)"),
    Option(14, "WIP_BOPT_GPRS_DATACOMP", Range(0, 1), 0, f"{_B} (default: assumption)"),
    Option(15, "WIP_BOPT_IP_ADDR", IPv4(), "0.0.0.0", _B),
    Option(16, "WIP_BOPT_IP_DST_ADDR", IPv4(), "0.0.0.0", _B),
    Option(17, "WIP_BOPT_IP_DNS1", IPv4(), "0.0.0.0", _B),
    Option(18, "WIP_BOPT_IP_DNS2", IPv4(), "0.0.0.0", _B),
    Option(19, "WIP_BOPT_IP_SETDNS", Range(0, 1), 1, f"{_B} (default: assumption)"),
    Option(20, "WIP_BOPT_IP_SETGW", Range(0, 1), 1, f"{_B} (default: assumption)"),
])
OPT_LOGIN, OPT_PASSWORD, OPT_PHONENB, OPT_RINGCOUNT, OPT_MSNULLMODEM = 0, 1, 2, 5, 6
OPT_PAP, OPT_CHAP, OPT_MSCHAP1, OPT_MSCHAP2 = 7, 8, 9, 10
OPT_APN, OPT_CID, OPT_HEADERCOMP, OPT_DATACOMP = 11, 12, 13, 14
OPT_IP_ADDR, OPT_IP_DST_ADDR, OPT_DNS1, OPT_DNS2, OPT_SETDNS, OPT_SETGW = 15, 16, 17, 18, 19, 20
ADDRESS_OPTIONS = (OPT_IP_ADDR, OPT_IP_DST_ADDR, OPT_DNS1, OPT_DNS2)

# Which options a bearer has (assumption: by what each option configures, §4.2.3 names them
# WIP_BOPT_DIAL_* for dialled lines, WIP_BOPT_GPRS_* for GPRS).
_COMMON = (OPT_LOGIN, OPT_PASSWORD, OPT_PAP, OPT_CHAP, OPT_MSCHAP1, OPT_MSCHAP2, *ADDRESS_OPTIONS,
           OPT_SETDNS, OPT_SETGW)
BEARER_KIND_OPTIONS: dict[str, frozenset[int]] = {
    "uart": frozenset((*_COMMON, OPT_MSNULLMODEM)),
    "gsm": frozenset((*_COMMON, OPT_PHONENB, OPT_RINGCOUNT)),
    "gprs": frozenset((*_COMMON, OPT_APN, OPT_CID, OPT_HEADERCOMP, OPT_DATACOMP)),
}
# §4.2.3 Caution: read only for the GPRS/GSM client (what the network assigned). The local
# address of a GPRS context is assigned too (assumption: read only as well).
READ_ONLY_CLIENT = {
    "gprs": frozenset(ADDRESS_OPTIONS),
    "gsm": frozenset((OPT_IP_DST_ADDR, OPT_DNS1, OPT_DNS2)),
}

# Server-mode addresses when WIP_BOPT_IP_ADDR / IP_DST_ADDR are left at 0.0.0.0 (assumption).
SERVER_LOCAL_IP = "192.168.1.1"
SERVER_PEER_IP = "192.168.1.2"

# LCP echo of the stack's PPP links (assumption: pppd's usual lcp-echo-interval 30 /
# lcp-echo-failure 4), what makes a silent peer a 817 "peer does not answer to echo request".
PPP_ECHO_INTERVAL = 30.0
PPP_ECHO_FAILURE = 4

# MS-Windows direct cable connection handshake (WIP_BOPT_DIAL_MSNULLMODEM, §4.2.3).
NULLMODEM_CLIENT = b"CLIENT"
NULLMODEM_SERVER = b"CLIENTSERVER"

# Bearer outcomes -> the §9 "bearer connection failure" codes (+CME ERROR of a client start, or
# the <status> of an unsolicited +WIPBR).
OUTCOME_STATUS: dict[str, int] = {
    OutcomeKind.BUSY: Wip.LINE_BUSY,
    OutcomeKind.NO_ANSWER: Wip.NO_ANSWER,
    OutcomeKind.NO_CARRIER: Wip.NO_CARRIER,
    OutcomeKind.SIM_ABSENT: Wip.NO_SIM,
    OutcomeKind.SIM_NOT_READY: Wip.SIM_NOT_READY,
    OutcomeKind.ATTACH_REJECT: Wip.GPRS_FAILURE,
    OutcomeKind.PDP_REJECT: Wip.GPRS_FAILURE,
    OutcomeKind.PDP_TIMEOUT: Wip.GPRS_FAILURE,
    OutcomeKind.DEACTIVATED: Wip.GPRS_FAILURE,
    OutcomeKind.LCP_TIMEOUT: Wip.LCP_FAILED,
    OutcomeKind.LCP_FAILED: Wip.LCP_FAILED,
    OutcomeKind.AUTH_TIMEOUT: Wip.AUTH_FAILED,
    OutcomeKind.AUTH_FAILED: Wip.AUTH_FAILED,
    OutcomeKind.IPCP_TIMEOUT: Wip.IPCP_FAILED,
    OutcomeKind.IPCP_FAILED: Wip.IPCP_FAILED,
    OutcomeKind.PEER_TERMINATED: Wip.PEER_TERMINATED,
    OutcomeKind.ECHO_TIMEOUT: Wip.NO_ECHO_ANSWER,
    OutcomeKind.CALL_REJECTED: Wip.CALL_REFUSED,
}


def outcome_status(kind: str, bearer: str) -> int:
    """The §9 code for a bearer outcome; losses and registration problems are the bearer's
    own failure (812 on GPRS, 809 no carrier on a dialled line)."""
    code = OUTCOME_STATUS.get(kind)
    if code is not None:
        return int(code)
    return int(Wip.GPRS_FAILURE if bearer == "gprs" else Wip.NO_CARRIER)


# -------------------------------------------------------------------------------------------
# §5 sockets.
# -------------------------------------------------------------------------------------------
PROTO_UDP, PROTO_TCP, PROTO_SERVER, PROTO_FTP = 1, 2, 3, 4  # §3.1.1
PROTOCOLS = (PROTO_UDP, PROTO_TCP, PROTO_SERVER, PROTO_FTP)
# §3.1.2: sockets per protocol at once.
SOCKET_LIMITS = {PROTO_UDP: 8, PROTO_TCP: 8, PROTO_SERVER: 4, PROTO_FTP: 1}
# Index ranges. §3.1.2 limits how many sockets exist, and §5.1.6 / §8.1.1 spawn TCP clients
# into 5..9, so client indexes go beyond 8 (assumption: 1-16 for UDP, TCP clients and FTP).
INDEX_RANGE = {PROTO_UDP: (1, 16), PROTO_TCP: (1, 16), PROTO_SERVER: (1, 4), PROTO_FTP: (1, 16)}
PORT_RANGE = (1, 65535)
FTP_DEFAULT_PORT = 21  # §5.1.3 <peer port> default for FTP
UDP_DATAGRAM_MAX = 5840  # §6.2.1.2 footnote: maximum size of a UDP datagram
LOWAT_MAX = 5839  # §5.3.7 SND/RCV_LOWAT 0-5839

# §5.3.7 socket options: value domain and access per protocol ("R", "RW"; absent: "-").
_O = "WIPsoft §5.3.7"
SOCKET_OPTIONS = OptionTable(
    [
        Option(0, "WIP_COPT_PORT", Range(0, 65535), 0, _O, Access.READ_ONLY),
        Option(1, "WIP_COPT_PEER_PORT", Range(0, 65535), 0, _O, Access.READ_ONLY),
        Option(2, "WIP_COPT_PEER_STRADDR", Text(255), "", _O, Access.READ_ONLY),
        Option(3, "WIP_COPT_BOUND", Range(0, 1), 0, _O, Access.READ_ONLY),
        Option(4, "WIP_COPT_SND_LOWAT", Range(0, LOWAT_MAX), 0, f"{_O} (default: assumption)"),
        Option(5, "WIP_COPT_RCV_LOWAT", Range(0, LOWAT_MAX), 0, f"{_O} (default: assumption)"),
        Option(6, "WIP_COPT_NREAD", Range(0, 65535), 0, _O, Access.READ_ONLY),
        Option(7, "WIP_COPT_NODELAY", Range(0, 1), 0, f"{_O} (default: assumption)"),
        Option(8, "WIP_COPT_TTL", Range(0, 255), 64, _O),
        Option(9, "WIP_COPT_TOS", Range(0, 255), 0, _O),
        # §5.3.7 FTP channel options.
        Option(40, "data representation type (0 ASCII, 1 binary)", Range(0, 1), 0, _O),
        Option(41, "FTP mode (0 active, 1 passive)", Range(0, 1), 1, _O),
    ]
)
COPT_PORT, COPT_PEER_PORT, COPT_PEER_STRADDR, COPT_BOUND = 0, 1, 2, 3
COPT_SND_LOWAT, COPT_RCV_LOWAT, COPT_NREAD, COPT_NODELAY, COPT_TTL, COPT_TOS = 4, 5, 6, 7, 8, 9
FTP_OPT_TYPE, FTP_OPT_PASSIVE = 40, 41
# Which options each protocol has, and which of them it may write (§5.3.7 table).
OPTION_ACCESS: dict[int, dict[int, str]] = {
    PROTO_UDP: {0: "R", 1: "R", 2: "R", 3: "R", 6: "R", 8: "RW", 9: "RW"},
    PROTO_TCP: {0: "R", 1: "R", 2: "R", 4: "RW", 5: "RW", 6: "R", 7: "RW", 8: "RW", 9: "RW"},
    PROTO_SERVER: {0: "R", 4: "RW", 5: "RW", 7: "RW", 8: "RW", 9: "RW"},
    PROTO_FTP: {40: "RW", 41: "RW"},
}

# -------------------------------------------------------------------------------------------
# §6 data exchange.
# -------------------------------------------------------------------------------------------
FILE_GET, FILE_PUT = 1, 2  # §6.1.3 <mode>
FILENAME_MAX = 128  # §6.1.3
DATA_UNMAP, DATA_CONTINUOUS = 0, 1  # §6.2.3 <mode>

# -------------------------------------------------------------------------------------------
# §7.1 +WIPPING parameters: range and default.
# -------------------------------------------------------------------------------------------
_P = "WIPsoft §7.1.3"
PING_PARAMS = OptionTable(
    [
        Option("repeat", "number of packets to send", Range(1, 65535), 1, _P),
        Option("interval", "ms between packets", Range(1, 65535), 2000, _P),
        Option("timeout", "ms before a packet is considered lost", Range(1, 65535), 2000, _P),
        Option("nwrite", "size of packets", Range(1, 1500), 64, _P),
        Option("ttl", "IP TTL (default: WIP_NET_OPT_IP_TTL)", Range(1, 255), 64, _P),
    ]
)
# §7.1.2 syntax order of the optional parameters after <host>.
PING_ORDER = ("repeat", "interval", "timeout", "nwrite", "ttl")
