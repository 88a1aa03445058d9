"""SIMCom TCP/IP vendor data: error tables, parameter ranges, defaults, URC formats, timings.

Two documents are the specification:

- ``S76``: SIM7600 family TCP/IP AT commands
  (``specs/simcom-sim7600-family-tcpip-at-commands.txt``), sections L1101..L1135.
- ``A76``: A76xx series TCP/IP application note v1.02
  (``specs/simcom-a76xx-tcpip-application-note.txt``), sections 1.5.4 (data access modes),
  3.x (examples), 4.1 (error codes), 4.2 (URCs).

Every row names its source. Where the documents are silent or contradict each other the choice is
recorded in docs/assumptions.md (section "SIMCom") and marked ``assumption`` here.
"""

from __future__ import annotations

from dataclasses import dataclass

from simnet.modem.base.sms import SmsFormat
from simnet.modem.dialect import Latency
from simnet.modem.params import OneOf, Param, Range, Setting, Text

# ---------------------------------------------------------------------------------------------
# Error tables (A76 4.1; S76 L1106/L1116 refer to the same table as "Chapter 3").
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErrorRow:
    code: int
    text: str
    ref: str


# ``+IP ERROR: <err_info>``: numeric when CIPCCFG <errMode>=0, string when 1 (default).
# Keys are the symbolic names the handlers use.
IP_ERRORS: dict[str, ErrorRow] = {
    "connection_timeout": ErrorRow(0, "Connection time out", "A76 4.1"),
    "bind_failed": ErrorRow(1, "Bind port failed", "A76 4.1"),
    "port_overflow": ErrorRow(2, "Port overflow", "A76 4.1"),
    "create_socket_failed": ErrorRow(3, "Create socket failed", "A76 4.1"),
    "network_already_opened": ErrorRow(4, "Network is already opened", "A76 4.1; S76 L1101"),
    "network_already_closed": ErrorRow(5, "Network is already closed", "A76 4.1"),
    "no_clients": ErrorRow(6, "No clients connected", "A76 4.1"),
    "no_active_client": ErrorRow(7, "No active client", "A76 4.1"),
    "network_not_opened": ErrorRow(8, "Network not opened", "A76 4.1; S76 L1107"),
    "client_index_overflow": ErrorRow(9, "Client index overflow", "A76 4.1"),
    "connection_exists": ErrorRow(10, "Connection is already created", "A76 4.1"),
    "connection_not_created": ErrorRow(11, "Connection is not created", "A76 4.1"),
    "invalid_parameter": ErrorRow(12, "Invalid parameter", "A76 4.1; S76 L1103"),
    "not_supported": ErrorRow(13, "Operation not supported", "A76 4.1"),
    "dns_failed": ErrorRow(14, "DNS query failed", "A76 4.1"),
    "tcp_busy": ErrorRow(15, "TCP busy", "A76 4.1"),
    "netclose_sockets_open": ErrorRow(16, "Netclose failed for socket opened", "A76 4.1"),
    "send_timeout": ErrorRow(17, "Sending time out", "A76 4.1"),
    "send_network_error": ErrorRow(18, "Sending failure for network error", "A76 4.1"),
    "open_network_error": ErrorRow(19, "Open failure for network error", "A76 4.1"),
    "server_listening": ErrorRow(20, "Server is already listening", "A76 4.1"),
    "operation_failed": ErrorRow(21, "Operation failed", "A76 4.1"),
    "no_data": ErrorRow(22, "No data", "A76 4.1; S76 L1106"),
}

# ``<err>`` of +NETOPEN/+NETCLOSE/+CIPOPEN/+CIPSEND/+CIPCLOSE/+SERVERSTART/+SERVERSTOP and
# ``+CIPERROR:`` (A76 4.1, second table).
ERR_CODES: dict[str, ErrorRow] = {
    "ok": ErrorRow(0, "operation succeeded", "A76 4.1"),
    "network_failure": ErrorRow(1, "Network failure", "A76 4.1"),
    "network_not_opened": ErrorRow(2, "Network not opened", "A76 4.1"),
    "wrong_parameter": ErrorRow(3, "Wrong parameter", "A76 4.1"),
    "not_supported": ErrorRow(4, "Operation not supported", "A76 4.1"),
    "create_socket_failed": ErrorRow(5, "Failed to create socket", "A76 4.1"),
    "bind_failed": ErrorRow(6, "Failed to bind socket", "A76 4.1"),
    "server_listening": ErrorRow(7, "TCP server is already listening", "A76 4.1"),
    "busy": ErrorRow(8, "Busy", "A76 4.1"),
    "sockets_opened": ErrorRow(9, "Sockets opened", "A76 4.1"),
    "timeout": ErrorRow(10, "Timeout", "A76 4.1"),
    "dns_failed": ErrorRow(11, "DNS parse failed for AT+CIPOPEN", "A76 4.1"),
    "unknown": ErrorRow(12, "Unknown error", "A76 4.1"),
}

# +CDNSGIP / +CDNSGHNAME <dns error code> (S76 L1131, L1132): the only value documented.
DNS_GENERAL_ERROR = 10

# Which outcome of the lower models yields which <err> for an asynchronous +CIPOPEN result.
# Keys are TcpSocket.close_reason values (simnet.net) plus resolver error kinds. (assumption:
# the documents list the codes but not the mapping; see docs/assumptions.md "SIMCom".)
CIPOPEN_FAILURE_ERR: dict[str, str] = {
    "refused": "network_failure",  # RST answers the SYN
    "timeout": "timeout",  # SYN retries spent or +CIPTIMEOUT <cipopen_timeout> reached
    "reset": "network_failure",
    "network_down": "network_failure",
    "local": "unknown",
    "peer_closed": "network_failure",
    "keepalive": "network_failure",
    "dns": "dns_failed",  # any resolver failure (nxdomain, servfail, timeout, no_network)
    "bind": "bind_failed",  # <localPort> taken by another socket before the connect started
}

# The <err> of the +CIPCLOSE URC when the connection ended otherwise than by our FIN being
# acknowledged (S76 L1104: "0 is success, other value is failure"): bytes the host was told were
# sent may not have arrived, and the host must hear it. Keys are TcpSocket.close_reason values.
# (assumption: the mapping; see docs/assumptions.md "SIMCom")
CIPCLOSE_FAILURE_ERR: dict[str, str] = {
    "timeout": "timeout",  # retransmissions of data or FIN spent (CIPCCFG <NmRetry>)
    "reset": "network_failure",
    "network_down": "network_failure",
    "keepalive": "network_failure",
}

# +IPCLOSE <close_reason> (A76 4.2): 0 closed by local, 1 closed by remote, 2 sending timeout or
# DTR off. Keyed by TcpSocket.close_reason. (assumption for the grouping of the model reasons)
IPCLOSE_REASON: dict[str, int] = {
    "local": 0,
    "peer_closed": 1,
    "reset": 1,
    "keepalive": 1,
    "refused": 1,
    "timeout": 2,  # data retransmissions spent (CIPCCFG <NmRetry>)
    "send_timeout": 2,  # CIPSENDMODE=1 ACK not seen within CIPTIMEOUT <cipsend_timeout>
    "dtr": 2,
}

# ---------------------------------------------------------------------------------------------
# Limits and defaults
# ---------------------------------------------------------------------------------------------

LINK_RANGE = (0, 9)  # S76 L1103 <link_num>; A76 1.4 "maximum of the connections is 10"
SERVER_RANGE = (0, 3)  # S76 L1114 <server_index>
PORT_RANGE = (0, 65535)  # S76 L1103/L1114
SEND_LENGTH_RANGE = (1, 1500)  # S76 L1105 <length>
RXGET_LEN_RANGE = (1, 1500)  # S76 L1106 test form
RXGET_DEFAULT_ASCII = 1500  # S76 L1106 <len> default for mode 2
RXGET_DEFAULT_HEX = 750  # S76 L1106 <len> default (and max read) for mode 3
PUSH_CHUNK_MAX = 1500  # S76 L1106 note 2: max output at one time when leaving buffer mode
SERVER_BACKLOG_RANGE = (1, 3)  # assumption: documents name <backlog> without a range
SERVER_BACKLOG_DEFAULT = 3  # assumption
RX_BUFFER_BYTES = 65536  # assumption: per-link module receive buffer before TCP flow control
CONNECT_TEXT = "CONNECT 115200"  # A76 3.2.3 / 3.3.3 / 3.4.1 examples (text per ATX/&E, S76 L1103)
CONNECT_FAIL = "CONNECT FAIL"  # S76 L1103
CLOSED_TEXT = "CLOSED"  # S76 L1104, A76 1.5.4
ETX, CTRL_Z, ESC = 0x03, 0x1A, 0x1B  # S76 L1105
PDP_CID = 1  # assumption: NETOPEN activates context 1 (the CGDCONT example of A76 3.1.2)
GUARD_TIME = 1.0  # A76 1.5.4: > 1000 ms before and after +++
PLUS_GAP_MAX = 0.9  # A76 1.5.4: <= 900 ms between the '+' characters


# Parameter commands (simnet.modem.params): one row each. Order is the command's positional order.
_SWITCH = Range(0, 1)

CIPHEAD = Setting("+CIPHEAD", (Param("mode", _SWITCH, 1),), "S76 L1108", forms="trse",
                  reset_on_exec=True)
CIPSRIP = Setting("+CIPSRIP", (Param("mode", _SWITCH, 1),), "S76 L1109", forms="trse",
                  reset_on_exec=True)
# A76 1.4: CIPMODE is chosen before AT+NETOPEN (the dialect's guard refuses a change after it).
CIPMODE = Setting("+CIPMODE", (Param("mode", _SWITCH, 0),), "S76 L1110", forms="trse",
                  reset_on_exec=True)
CIPSENDMODE = Setting("+CIPSENDMODE", (Param("mode", _SWITCH, 0),), "S76 L1111")
# Milliseconds.
CIPTIMEOUT = Setting("+CIPTIMEOUT", (
    Param("netopen_timeout", Range(3000, 120000), 120000, "S76 L1112"),
    Param("cipopen_timeout", Range(3000, 120000), 120000, "S76 L1112"),
    Param("cipsend_timeout", Range(3000, 120000), 120000, "S76 L1112"),
), "S76 L1112", forms="rs", required=0)
# S76 L1113 T form (the example prints (0) for AsyncMode; the T form is taken as normative).
# AT+CIPCCFG without parameters restores the defaults.
CIPCCFG = Setting("+CIPCCFG", (
    Param("NmRetry", Range(0, 10), 10),
    Param("DelayTm", Range(0, 1000), 0),
    Param("Ack", Range(0, 0), 0),
    Param("errMode", Range(0, 1), 1, "S76 L1113; A76 4.1"),
    Param("HeaderType", Range(0, 1), 0),
    Param("AsyncMode", Range(0, 1), 0, "S76 L1113 (test form range 0-1)"),
    Param("TimeoutVal", Range(500, 120000), 500),
), "S76 L1113", forms="trse", reset_on_exec=True, required=0)
# S76 L1133 (its write line misprints the name as AT+CIPCCFG).
CIPDNSSET = Setting("+CIPDNSSET", (
    Param("max_net_retries", Range(0, 3), 3),
    Param("net_timeout", Range(3000, 120000), 30000),
    Param("max_query_retries", Range(0, 7), 7),
), "S76 L1133", forms="rs", required=0)

# AT+CPING optional parameters after <dest_addr> (S76 L1134); <dest_addr_type> is required.
CPING_PARAMS: tuple[Param, ...] = (
    Param("dest_addr_type", Range(1, 1), 1, "S76 L1134 (2 = IPv6 reserved)"),
    Param("num_pings", Range(1, 100), 4, "S76 L1134"),
    Param("data_packet_size", Range(4, 188), 64, "S76 L1134"),
    Param("interval_time", Range(1000, 10000), 2000, "S76 L1134"),
    Param("wait_time", Range(10000, 100000), 10000, "S76 L1134"),
    Param("ttl", Range(16, 255), 255, "S76 L1134"),
)

# ---------------------------------------------------------------------------------------------
# Test-form responses (T forms), exactly as the documents print them.
# ---------------------------------------------------------------------------------------------

TEST_RESPONSES: dict[str, str] = {
    "CIPOPEN": '+CIPOPEN: (0-9),("TCP","UDP")',  # S76 L1103
    "CIPCLOSE": "+CIPCLOSE: (0-9)",  # S76 L1104
    "CIPSEND": "+CIPSEND: (0-9),(1-1500)",  # S76 L1105
    # S76 L1106 T form (its example omits the link range; the T form is taken as normative)
    "CIPRXGET": "+CIPRXGET: (0-4),(0-9),(1-1500)",
    "SERVERSTART": "+SERVERSTART: (0-65535),(0-3)",  # S76 L1114 T form (example is garbled)
    "CIPACK": "+CIPACK: (0-9)",  # S76 L1116
    "CPING": "+CPING: IP address,(1-2),(1-100),(4-188),(1000-10000),(10000-100000),(16-255)",
}
# AT+CDNSGIP, AT+CDNSGHNAME and AT+CPINGSTOP answer their test forms with a bare OK
# (S76 L1131, L1132, L1135).

# The AT+CPING test line: S76 L1134 prints "(list of supported <dest_addr_type>s)"; the list
# is 1 (IPv4) and 2 (IPv6, reserved) per <dest_addr_type>.

# ---------------------------------------------------------------------------------------------
# Module variants: where the two documents differ, each module follows its own document.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variant:
    module_id: str
    # Network-lost URC: S76 family prints +CIPEVENT (field behaviour, issue 7); A76 4.2 +CPIPEVENT.
    network_lost_urc: str
    # AT+IPADDR before NETOPEN: S76 L1107 "+IP ERROR: Network not opened"; A76 3.1.4 prints
    # "+IPADDR: Network not opened".
    ipaddr_not_open_prefix: str
    # A76 3.4.2: an accepted (server) socket "only supports fixed-length to send".
    server_link_fixed_length_only: bool
    # AT+SERVERSTOP with an accepted socket of that server still open: S76 L1115 answers
    # "+SERVERSTOP: <i>,<err>" ERROR (close the sockets first); the A76 3.4.2 example stops
    # server 0 while its accepted link 0 is open and prints "+SERVERSTOP: 0,0" OK.
    serverstop_with_clients: bool
    # A76 3.3.1/3.3.2 print the UDP variable-length send as AT+CIPSEND=1,"<ip>",<port> (no empty
    # length field, twice); S76 L1105 only has AT+CIPSEND=<link>,,<ip>,<port>.
    udp_send_without_length_field: bool
    # Longest pause between the '+' characters of the escape sequence; None: the guard time
    # (S12) bounds it, as V.250 modems do (the SIM7600 document says nothing more).
    plus_gap_max: float | None
    ref: str


VARIANTS: dict[str, Variant] = {
    "simcom-sim7600": Variant(
        module_id="simcom-sim7600",
        network_lost_urc="+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY",
        ipaddr_not_open_prefix="+IP ERROR: ",
        server_link_fixed_length_only=False,
        serverstop_with_clients=False,
        udp_send_without_length_field=False,
        plus_gap_max=None,
        ref="S76 L1107, L1105, L1115; issue 7 (field URC)",
    ),
    "simcom-a7670": Variant(
        module_id="simcom-a7670",
        network_lost_urc="+CPIPEVENT: NETWORK CLOSED UNEXPECTEDLY",
        ipaddr_not_open_prefix="+IPADDR: ",
        server_link_fixed_length_only=True,
        serverstop_with_clients=True,
        udp_send_without_length_field=True,
        plus_gap_max=PLUS_GAP_MAX,
        ref="A76 1.5.4, 3.1.4, 3.3.1, 3.3.2, 3.4.2, 4.2",
    ),
}

# ---------------------------------------------------------------------------------------------
# Timing: maximum response times (documented) and command latencies (assumption, typical of
# field logs: a few ms for parameter commands, tens of ms for socket operations).
# ---------------------------------------------------------------------------------------------

MAX_RESPONSE_MS: dict[str, int] = {
    "NETOPEN": 120000,  # S76 L1101
    "CIPOPEN": 120000,  # S76 L1103
    "CIPSEND": 120000,  # S76 L1105
}


# Uniform delays drawn from sim.rng('modem.<id>.latency.<name>') (Dialect.latency).
LATENCY: dict[str, Latency] = {
    # On top of the engine's profile latency (which delays every answer's start).
    "netclose": Latency(0.050, 0.150, "assumption: socket library teardown after deactivation"),
    "cipopen": Latency(0.010, 0.030, "assumption: socket creation before the SYN leaves"),
    "udp_open": Latency(0.005, 0.015, "assumption: UDP bind"),
    "send_push": Latency(0.005, 0.020, "assumption: data handed to the IP stack after input"),
    "cipclose": Latency(0.010, 0.040, "assumption: socket teardown"),
    "dns_start": Latency(0.005, 0.015, "assumption: resolver start"),
}


# ---------------------------------------------------------------------------------------------
# Power-up and restart (AT+CRESET, AT+CFUN=1,1, power on). Public boot logs give the lines and
# their order; durations are chosen inside what the popular drivers allow (TinyGSM waits
# 5 s + up to 10 s after AT+CRESET on the SIM7600, ESP-IDF esp_modem up to 60 s for PB DONE).
# docs/assumptions.md "SIMCom" has the sources.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BootSequence:
    """Seconds until the UART answers, then lines as (seconds after that, text)."""

    boot_time: float
    lines: tuple[tuple[float, str], ...]
    ref: str


BOOT: dict[str, BootSequence] = {
    "simcom-sim7600": BootSequence(
        12.0,
        ((0.0, "RDY"), (0.5, "+CPIN: {cpin}"), (2.0, "SMS DONE"), (2.5, "PB DONE")),
        "boot logs of SIM7600 boards (LilyGO T-SIM7600X, esp-protocols #789); esp_modem "
        "reset() waits for PB DONE",
    ),
    "simcom-a7670": BootSequence(
        6.0,
        ((0.0, "*ATREADY: 1"), (1.0, "+CPIN: {cpin}"), (1.5, "SMS DONE"), (2.0, "PB DONE")),
        "boot logs of A7670E/G boards (LilyGO modem series issues #79, #247)",
    ),
}

# ---------------------------------------------------------------------------------------------
# Device, network-information, time and socket-option commands the popular host drivers send
# (TinyGSM SIM7600 / A7672x, m5stack uiflow, ESP-IDF esp_modem; docs/driver-conformance.md),
# in the formats of the SIM7600 Series and A76XX Series AT Command Manuals.
# ---------------------------------------------------------------------------------------------

# AT+CBC "+CBC: <vol>V" with three decimals (esp_modem parses the digits after the dot as
# millivolts, so 3.8 V must print as 3.800V); the supply of a module on a 3.8 V rail (the
# nominal VBAT of both hardware design guides).
SUPPLY_VOLTS = 3.8
# AT+CPMUTEMP "+CPMUTEMP: <temp>" in degrees Celsius (a module idling at room temperature).
MODULE_TEMPERATURE_C = 25

# AT+CNMP <mode> preferred network mode: 2 automatic, 13 GSM only, 14 WCDMA only, 38 LTE only,
# 48 any but LTE (SIM7600 manual); the A76XX (LTE Cat-1 with GSM fallback) has no WCDMA.
# AT+CPSI? serving-cell fields by system mode: (band, EARFCN, DL,UL bandwidth) as SIM7000 /
# SIM7600 logs show them for LTE, "LTE CAT-M1" and "LTE NB-IOT" (NB-IoT cells report 0,0).
CPSI_LTE_CELLS: dict[str, tuple[str, int, str]] = {
    "LTE": ("EUTRAN-BAND3", 1300, "5,5"),
    "LTE CAT-M1": ("EUTRAN-BAND20", 6350, "5,5"),
    "LTE NB-IOT": ("EUTRAN-BAND20", 6254, "0,0"),
}

CNMP_SIM7600 = Setting("+CNMP", (Param("mode", OneOf((2, 13, 14, 38, 48)), 2),),
                       "SIM7600 AT manual AT+CNMP")
CNMP_A7670 = Setting(
    "+CNMP", (Param("mode", OneOf((2, 13, 38, 48)), 2),), "A76XX AT manual AT+CNMP"
)

# AT+CNTP result "+CNTP: <err>" (SIM7600 / A76XX manuals): 0 operation succeeded, 1 unknown
# error, 2 wrong parameter, 3 wrong date and time calculated, 4 network error, 5 time zone
# error, 6 time out error.
CNTP_RESULT = {
    "ok": 0,
    "unknown": 1,
    "wrong_parameter": 2,
    "bad_time": 3,
    "network": 4,
    "time_zone": 5,
    "timeout": 6,
}
# AT+CNTP="<server>"[,<tz>]: the server (none until set) and the time zone in quarters of an
# hour (0 when left out); AT+CNTP (exec) asks the server (SIM7600 / A76XX manuals).
CNTP = Setting(
    "+CNTP",
    (Param("server", Text(255, min_len=1), ""), Param("tz", Range(-96, 96), 0)),
    "SIM7600 / A76XX AT manuals AT+CNTP",
    forms="trse",
    keep_omitted=False,
    test='+CNTP: "",(-96-96)',
)
CNTP_TRIES = 3  # assumption: requests before "+CNTP: 6"
CNTP_WAIT_S = 5.0  # assumption: seconds per request

# AT+CTCPKA=<keepalive>,<keepidle>,<keepcount>,<keepinterval> (A76XX): TCP keepalive of the
# sockets opened afterwards. Units and ranges are an assumption (docs/assumptions.md):
# idle in minutes 1-120, count 1-9 probes, interval in seconds 1-180. A real A7670 answers
# ERROR while the network is not opened (field log, docs/driver-conformance.md).
CTCPKA = Setting(
    "+CTCPKA",
    (
        Param("keepalive", Range(0, 1), 0, "A76XX AT manual AT+CTCPKA"),
        Param("keepidle", Range(1, 120), 120, "assumption: minutes"),
        Param("keepcount", Range(1, 9), 9, "assumption"),
        Param("keepinterval", Range(1, 180), 75, "assumption: seconds"),
    ),
    "A76XX AT manual AT+CTCPKA",
)

# Which SIMCom modules have which of these commands (A76XX-only: +CTCPKA, +CDNSCFG; the SIM7600
# manual's socket options are +CIPCCFG/+CIPTIMEOUT/+CIPDNSSET).
A76_ONLY = frozenset({"+CTCPKA", "+CDNSCFG"})


# -- short messages (TS 27.005 as the SIM7500/SIM7600 series AT command manual V1.07 ch. 4 has it)
SMS = SmsFormat(
    # "ME", "SM" and the status report memory "SR" (<ds>=2 stores there, +CDSI: "SR",<index>)
    memories=("ME", "SM", "SR"),
    capacity={"ME": 100, "SR": 20},
    first_index=0,  # <index> "start with zero" (+CMGR, +CMGL, +CMGW, +CMTI)
    report_memory="SR",
    default_memory="SM",
    ri_pulse=0.12,  # SIMCom hardware designs: RI low for 120 ms when an SMS arrives
    source="SIM7600 AT manual V1.07 §4.2; SIMCom hardware design 'RI behaviors'",
)
