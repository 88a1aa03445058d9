"""Wavecom eDsoft V3.00 vendor data: the AT# parameters, display commands, response messages
and error codes of "AT Commands Interface Guide for IP Connectivity (eDsoft V3.00)", revision
004 (``/work/shared/specs/wavecom-edsoft-v3.00-ip-connectivity.txt``).

Every row cites its section. Where the manual is silent or contradicts itself the choice is in
docs/assumptions.md ("Wavecom eDsoft") and the row says ``assumption``.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum

from simnet.kernel.units import ascii_digits
from simnet.modem.addresses import is_dotted_quad
from simnet.modem.at import Command, Final, Form
from simnet.modem.dialect import CTRL_Z, ESC, Context, Dialect, Latency, PromptSpec
from simnet.modem.params import OneOf, Param, Persistence, Range, Setting, Text

MODULE_ID = "wavecom-edsoft"

# §8.1.2 "<Filename> - <File size> - <Date and time of generation>"; §8.3.2 prints the file
# name of V3.00 as eDsoft-W302_V03.00 (size and date: assumption, docs/assumptions.md).
VERSION_NAME = "eDsoft-W302_V03.00"
VERSION_LINE = f'#VERSION: "{VERSION_NAME} 112744 Jan 14 2005 10:12:41"'


# -- §9.1 response messages: verbose text and numeric form (ATV0) ------------------------------
class Msg(IntEnum):
    OK = 0
    CONNECT = 1
    RING = 2
    NO_CARRIER = 3
    ERROR = 4
    BUSY = 7
    NO_ANSWER = 8
    DATA_BEGIN = 1025
    WAITING_FOR_DATA = 1028
    NO_MAIL = 3072
    MAIL = 3073
    SOCKET_CLOSED = 3074
    PPP = 3077
    GPRS_ACTIVATION = 3086


MESSAGES: dict[Msg, str] = {  # §9.1 "Information messages"
    Msg.DATA_BEGIN: "Ok_Info_DataBegin",
    Msg.WAITING_FOR_DATA: "Ok_Info_WaitingForData",
    Msg.SOCKET_CLOSED: "Ok_Info_SocketClosed",
    Msg.NO_MAIL: "Ok_Info_NoMail",
    Msg.MAIL: "Ok_Info_Mail",
    Msg.PPP: "Ok_Info_Ppp",
    Msg.GPRS_ACTIVATION: "Ok_Info_GprsActivation",
}

# §9.1 "Standard AT messages": CONNECT <rate> numeric forms.
CONNECT_NUMERIC: dict[int, int] = {300: 10, 1200: 11, 2400: 13, 4800: 14, 9600: 15, 14400: 16}


# -- §9.2 error codes ("#CME ERROR: <n>") ------------------------------------------------------
class Err(IntEnum):
    UNKNOWN_COMMAND = 34817
    SYNTAX = 34819
    EEPROM_WRITE = 34824
    TOO_LONG = 34881
    BAD_VALUE = 34882
    ALREADY_RUNNING = 35840
    GPRS_LOST = 35841
    PHY_TIMEOUT = 35862
    NOT_ATTACHED = 35865
    ACTIVATION_EVENT = 35866
    NOT_ACTIVE = 35867
    GPRS_ABORTED = 35868
    INVALID_CALL_TYPE = 35869
    NO_CLI = 35870
    SIM_REMOVED = 35871
    RESOURCE = 36872
    BAD_CONFIG = 36929
    PPP_CLIENT = 37120
    PPP_SERVER = 37121
    APP_RUNNING = 37122
    SERVICE_RUNNING = 37123
    TCP_CANCELLED = 37952
    NO_RESPONSE = 37964
    PEER_FIN = 37966
    OPEN_FAILED = 38016
    SEND_FAILED = 38017
    CLOSE_FAILED = 38018
    CWD_FAILED = 38022
    DELETE_FAILED = 38023
    RETRIEVE_FAILED = 38024
    MAIL_RETRIEVE = 38025
    MAIL_HEADER = 38026
    DNS = 38027
    SENDER_REJECTED = 38028
    RECIPIENT_REJECTED = 38029
    CC_REJECTED = 38030
    BODY_REJECTED = 38031
    USER_REJECTED = 38080
    PASSWORD_REJECTED = 38081
    PPP_TIMEOUT_CLIENT = 38980
    PPP_TIMEOUT_SERVER = 38981
    OPEN_FLOW = 49153
    CLOSE_FLOW = 49154
    OPEN_GPRS = 49155
    GPRS_AUTH = 49156
    GPRS_IPCP = 49157
    FLOW_CONFIRMATION = 49158


ERROR_TEXT: dict[int, str] = {  # §9.2, descriptions as printed
    34817: "Bad command : Unknown command",
    34819: "Bad command : Syntax error",
    34824: "Bad command : EEPROM write failed",
    34881: "Bad command : Command too long",
    34882: "Bad command : Bad command argument value",
    35840: "Physical layer : Modem is already running",
    35841: "Physical layer : GPRS session lost.",
    35862: "Physical layer : Timeout, no activity on network connection",
    35865: "Physical layer : Module is not attached to the network",
    35866: "Physical layer : Invalid event during activation process",
    35867: "Physical layer : Physical layer connection is currently not active",
    35868: "Physical layer : GPRS connection aborted",
    35869: "Physical layer : Invalid incoming call type",
    35870: "Physical layer : Incoming call CLI not provided",
    35871: "IP Connectivity library: SIM removed",
    36872: "IP Connectivity library internal error : internal resource unavailable.",
    36929: "IP Connectivity library : Bad parameter configuration attempt",
    37120: "IP Connectivity library : PPP negotiation failed (client configuration)",
    37121: "IP Connectivity library: PPP negotiation failed (server configuration)",
    37122: "IP Connectivity library: Another internal application is already running",
    37123: "IP Connectivity library: Service is running. Unable to set parameter",
    37952: "Distant : TCP session closed (TCP Context cancelled)",
    37964: "Distant : No response from server",
    37966: "Distant : TCP session closed by peer (FIN received from peer)",
    38016: "Distant : Open session attempt failed",
    38017: "Distant : Data send attempt failed",
    38018: "Distant : Close session attempt failed",
    38022: "Distant : Change Directory attempt failed",
    38023: "Distant : File deletion attempt failed",
    38024: "Distant : Data retrieve attempt failed",
    38025: "Distant : Email retrieve attempt failed",
    38026: "Distant : Email header receive failed",
    38027: "Distant : No answer from DNS servers or the domain name resolution could not be "
           "completed by the server.",
    38028: "Distant : Sender email address rejected by server",
    38029: "Distant : Recipient email address rejected by server",
    38030: "Distant : CC Recipient email address rejected by server",
    38031: "Distant : Email body send request rejected by server",
    38080: "Distant : Username rejected by server",
    38081: "Distant : Password rejected by server",
    38980: "IP Connectivity library: PPP timeout (client configuration)",
    38981: "IP Connectivity library: PPP timeout (server configuration)",
    49153: "Internal error : Open data flow request failed",
    49154: "Internal error : Close data flow request failed",
    49155: "Internal error : Open GPRS session request failed",
    49156: "Internal error : GPRS authentication failed",
    49157: "Internal error : GPRS get IPCP information request failed",
    49158: "Internal error : Open flow confirmation not received",
}

# §1.2: ATQ while the IP connectivity application runs.
CME_NOT_ALLOWED_BY_APP = 600

# §8.2.2 #VSTATE states.
STATE_IDLE = "IDLE"
STATE_DIALING = "DIALING"
STATE_AUTHENTICATING = "AUTHENTICATING"
STATE_CONNECTED = "CONNECTED"
STATE_DISCONNECTING = "DISCONNECTING"
STATE_CHECKING = "CHECKING"

# Data framing (§4.2.1, §4.3.1, §5.1.1, §6.2.1): ETX ends, DLE escapes.
ETX = 0x03
DLE = 0x10
# §3.2.2 / §3.4.2: (CR)(LF).(CR)(LF) ends a mail body in both directions.
MAIL_END = b"\r\n.\r\n"

# Timings the manual gives.
PUTMAIL_IDLE_TIMEOUT = 50.0  # §3.4.2 "an inactivity period of 50 seconds on the serial port"
# Timings it does not (assumption, docs/assumptions.md): how long the application waits for a
# server's reply line before giving up with 37964 "No response from server".
SERVER_REPLY_TIMEOUT = 60.0
MAX_RECIPIENTS = 10  # §3.1.5 "a maximum of 10 e-mail addresses"
UDP_MAX_DATAGRAM = 1472  # assumption: an Ethernet-MTU datagram (1500 - IP - UDP headers)
PING_SIZE = 32  # assumption: the ICMP payload size (Windows ping's default)

LATENCIES = {
    # assumption: time the Open AT application takes to start a service before it talks
    "service": Latency(0.05, 0.15, "assumption"),
}


# -- parameter domains ---------------------------------------------------------------------------

def _phone(value: str) -> bool:
    return all(ascii_digits(c) or c in "+*#" for c in value)


def _port(lo: int = 1) -> Range:
    # "From 1 to 5 digits ... numbers above 65,535 are illegal" (§3.1.9, §3.1.13, §4.1.1, §5.1.2)
    return Range(lo, 65535, quoted=True)


def _text(n: int) -> Text:
    return Text(n)


_IP = Text(15, valid=is_dotted_quad, expects="a dotted-decimal IPv4 address")
_NUMBER = Text(64, valid=_phone, expects="a decimal phone number")  # assumption: 64 digits
_TXDELAY = OneOf(tuple(range(0, 32761, 20)), text="(0-32760, multiple of 20)", quoted=True)


# -- requirements every AT# command has --------------------------------------------------------

Requirement = Callable[[Dialect, Context, Command], "Final | None"]


def app_running(dialect: Dialect, ctx: Context, cmd: Command) -> Final | None:
    """The AT# interpreter exists only while the Open AT application runs (AT+WOPEN=1)."""
    check = getattr(dialect, "app_check", None)
    return check(ctx, cmd) if check is not None else None


def service_idle(group: str) -> Requirement:
    """37123 "Service is running. Unable to set parameter" (§9.2) for a set form while the
    service that reads the parameter is running."""

    def check(dialect: Dialect, ctx: Context, cmd: Command) -> Final | None:
        if cmd.form is not Form.SET:
            return None
        busy = getattr(dialect, "service_busy", None)
        return busy(group, cmd) if busy is not None else None

    check.__name__ = f"service_idle_{group}"
    return check


def _row(name: str, domain: Range | OneOf | Text, default: int | str, ref: str, group: str, *,
         read: str | None = None, bare: bool = False, unset_default: bool = False,
         index: bool = False) -> Setting:
    """One stored AT# parameter: ``AT#NAME=<v>`` / ``AT#NAME?`` (§1.4), kept in flash (§8.4)."""
    return Setting(
        name,
        (Param(name[1:].lower(), domain, default, ref, bare=bare, unset_default=unset_default),),
        ref,
        persistence=Persistence.NV,
        forms="rs",
        read=read,
        index=Param("id", Range(1, 2, quoted=True), 1, "§5 'Legal id {1,2}'") if index else None,
        read_by_index=index,
        requires=(app_running, service_idle(group)),
    )


# §2.1 dialing services (displayed by #VPHY, §2.6)
ANSWERMODE = _row("#ANSWERMODE", Range(0, 3, quoted=True), 0, "§2.1.1", "phy")
CALLBACKTIMER = _row("#CALLBACKTIMER", Range(2, 255, quoted=True), 2, "§2.1.2", "phy")
CALLSCREENNUM = _row("#CALLSCREENNUM", Text(64), "0", "§2.1.3", "phy")
REDIALCOUNT = _row("#REDIALCOUNT", Range(0, 14, quoted=True), 5, "§2.1.4", "phy")
# §2.1.5: "between 5 and 14 inclusive. If this parameter is configured to 0 ... immediately"
REDIALDELAY = _row(
    "#REDIALDELAY", OneOf((0, *range(5, 15)), text="(0,5-14)", quoted=True), 5, "§2.1.5", "phy"
)
PHYTIMEOUT = _row("#PHYTIMEOUT", Range(1, 255, quoted=True), 15, "§2.1.6", "phy")
RINGCOUNT = _row("#RINGCOUNT", Range(0, 15, quoted=True), 0, "§2.1.7", "phy")
DIALN1 = _row("#DIALN1", _NUMBER, "", "§2.1.8", "phy")
DIALN2 = _row("#DIALN2", _NUMBER, "", "§2.1.9", "phy")
DIALSELECT = _row("#DIALSELECT", Range(1, 2, quoted=True), 1, "§2.1.10", "phy")
# §2.6.2 / §8.3.2 print the name as "#GPRS MODE" (A.5.1 types AT#GPRS MODE=0; spaces go)
GPRSMODE = _row(
    "#GPRSMODE", Range(0, 1, quoted=True), 1, "§2.1.22", "phy", read="#GPRS MODE: {values}"
)
# §2.1 PPP layer (#VPPP, §2.4)
ISPPW = _row("#ISPPW", Text(64), "", "§2.1.11", "ppp")
ISPUN = _row("#ISPUN", Text(64), "", "§2.1.12", "ppp")
PPPMODE = _row("#PPPMODE", OneOf((1, 2, 3, 4, 9), quoted=True), 1, "§2.1.13", "ppp")
PPPMYIP = _row("#PPPMYIP", _IP, "0.0.0.0", "§2.1.14", "ppp")
PPPPEERIP = _row("#PPPPEERIP", _IP, "0.0.0.0", "§2.1.15", "ppp")
PPPSERVUN = _row("#PPPSERVUN", Text(64), "", "§2.1.16", "ppp")
PPPSERVPW = _row("#PPPSERVPW", Text(64), "", "§2.1.17", "ppp")
# §2.1 GPRS (#VGPRS, §2.5)
APNPW = _row("#APNPW", Text(120), "", "§2.1.18", "gprs")
APNSERV = _row("#APNSERV", Text(120), "", "§2.1.19", "gprs")
APNUN = _row("#APNUN", Text(120), "", "§2.1.20", "gprs")
GPRSCID = _row("#GPRSCID", Range(1, 4, quoted=True), 1, "§2.1.21", "gprs")
# §3.1 e-mail (#VSMTP §3.7, #VPOP3 §3.6, #VDNS §3.8, #VMAILi §3.5)
SENDERNAME = _row("#SENDERNAME", Text(120), "", "§3.1.1", "smtp")
SENDERADDR = _row("#SENDERADDR", Text(120), "", "§3.1.2", "smtp")
DOMAIN = _row("#DOMAIN", Text(120), "", "§3.1.4", "smtp")
POP3HEADERMODE = _row("#POP3HEADERMODE", Range(0, 1, quoted=True), 1, "§3.1.8", "pop3")
POP3PORT = _row("#POP3PORT", _port(), 110, "§3.1.9", "pop3")
POP3PW = _row("#POP3PW", Text(64), "", "§3.1.10", "pop3")
POP3SERV = _row("#POP3SERV", Text(120), "", "§3.1.11", "pop3")
POP3UN = _row("#POP3UN", Text(64), "", "§3.1.12", "pop3")
SMTPPORT = _row("#SMTPPORT", _port(), 25, "§3.1.13", "smtp")
SMTPPW = _row("#SMTPPW", Text(64), "", "§3.1.14", "smtp")
SMTPSERV = _row("#SMTPSERV", Text(120), "", "§3.1.15", "smtp")
SMTPUN = _row("#SMTPUN", Text(64), "", "§3.1.16", "smtp")
DNSSERV1 = _row("#DNSSERV1", _IP, "0.0.0.0", "§3.1.17", "dns")
DNSSERV2 = _row("#DNSSERV2", _IP, "0.0.0.0", "§3.1.18", "dns")
# §3.1.3, §3.1.5-§3.1.7: one set per predefined mail i = 1..3. RECi holds up to 10 addresses
# (joined by commas, as the To: header carries them); BODYi is set by AT#BODYi<CR>text<Ctrl-Z>.
MAIL_ROWS: dict[int, dict[str, Setting]] = {
    i: {
        "BODY": Setting(
            f"#BODY{i}",
            (Param("body", Text(120), "", "§3.1.7"),),
            "§3.1.7",
            persistence=Persistence.NV,
            forms="r",
            requires=(app_running,),
        ),
        "CCREC": _row(f"#CCREC{i}", Text(120), "", "§3.1.3", "smtp"),
        "REC": _row(f"#REC{i}", Text(120), "", "§3.1.5", "smtp"),
        "SUBJ": _row(f"#SUBJ{i}", Text(120), "", "§3.1.6", "smtp"),
    }
    for i in (1, 2, 3)
}
# §4.1 FTP (#VFTP, §4.4)
FTPPORT = _row("#FTPPORT", _port(), 21, "§4.1.1", "ftp")
# §4.4.2 / §8.3.2 print "#FTPTYPE = I" (not "#FTPTYPE: I")
FTPTYPE = _row(
    "#FTPTYPE",
    Text(1, choices=("A", "I"), upper=True),
    "I",
    "§4.1.2",
    "ftp",
    read="#FTPTYPE = {values}",
    bare=True,
)
FTPSERV = _row("#FTPSERV", Text(120), "", "§4.1.3", "ftp")
FTPUN = _row("#FTPUN", Text(64), "", "§4.1.4", "ftp")
FTPPW = _row("#FTPPW", Text(64), "", "§4.1.5", "ftp")
FTPGETFILENAME = _row("#FTPGETFILENAME", Text(120), "", "§4.1.6", "ftp")
FTPGETPATH = _row("#FTPGETPATH", Text(120), "", "§4.1.7", "ftp")
FTPPUTFILENAME = _row("#FTPPUTFILENAME", Text(120), "", "§4.1.8", "ftp")
FTPPUTPATH = _row("#FTPPUTPATH", Text(120), "", "§4.1.9", "ftp")
# §5.1 TCP sockets 1 and 2 (#VTCP=id, §5.5): AT#X=id,<v>; AT#X=id reads
DLEMODE = _row("#DLEMODE", Range(0, 1, quoted=True), 1, "§5.1.1", "tcp", index=True)
TCPPORT = _row("#TCPPORT", Range(0, 65535, quoted=True), 0, "§5.1.2", "tcp", index=True)
TCPSERV = _row("#TCPSERV", Text(120), "", "§5.1.3", "tcp", index=True)
TCPTXDELAY = _row("#TCPTXDELAY", _TXDELAY, 100, "§5.1.4", "tcp", index=True)
# §6.1 UDP (#VUDP, §6.5). "Port number 0 is illegal" yet the default is 0: not configured.
UDPPORT = _row("#UDPPORT", _port(), 0, "§6.1.1", "udp", unset_default=True)
UDPSERV = _row("#UDPSERV", Text(120), "", "§6.1.2", "udp")
UDPTXDELAY = _row("#UDPTXDELAY", _TXDELAY, 100, "§6.1.3", "udp")
# §7.1 PING (#VPING, §7.3)
PINGDELAY = _row("#PINGDELAY", Range(1, 255, quoted=True), 1, "§7.1.1", "ping")
PINGNUM = _row("#PINGNUM", Range(1, 255, quoted=True), 4, "§7.1.2", "ping")
PINGREMOTE = _row("#PINGREMOTE", Text(120), "", "§7.1.3", "ping")


# -- display commands: the rows in the order each prints them ------------------------------------
DISPLAYS: dict[str, tuple[Setting, ...]] = {
    # §2.6.2
    "#VPHY": (
        ANSWERMODE,
        CALLBACKTIMER,
        CALLSCREENNUM,
        DIALN1,
        DIALN2,
        DIALSELECT,
        GPRSMODE,
        PHYTIMEOUT,
        REDIALCOUNT,
        REDIALDELAY,
        RINGCOUNT,
    ),
    # §2.4.2
    "#VPPP": (ISPUN, ISPPW, PPPMODE, PPPMYIP, PPPPEERIP, PPPSERVUN, PPPSERVPW),
    # §2.5.2
    "#VGPRS": (GPRSCID, APNPW, APNSERV, APNUN),
    # §3.8.2
    "#VDNS": (DNSSERV1, DNSSERV2),
    # §4.4.2
    "#VFTP": (
        FTPSERV,
        FTPPORT,
        FTPUN,
        FTPPW,
        FTPTYPE,
        FTPGETFILENAME,
        FTPGETPATH,
        FTPPUTFILENAME,
        FTPPUTPATH,
    ),
    # §3.6.2
    "#VPOP3": (POP3HEADERMODE, POP3PORT, POP3PW, POP3SERV, POP3UN),
    # §3.7.2 (the command is spelt #VSSMTP in §3.7.2 and "AT#VSSMTP" in §3.1.1, #VSMTP in the
    # contents and §3.1.13: both names answer)
    "#VSMTP": (DOMAIN, SENDERADDR, SENDERNAME, SMTPPORT, SMTPPW, SMTPSERV, SMTPUN),
    # §6.5.2
    "#VUDP": (UDPSERV, UDPPORT, UDPTXDELAY),
    # §7.3.2
    "#VPING": (PINGDELAY, PINGNUM, PINGREMOTE),
}
TCP_DISPLAY = (DLEMODE, TCPSERV, TCPPORT, TCPTXDELAY)  # §5.5.2 #VTCP=id


def vall_blocks() -> list[tuple[Setting, ...]]:
    """§8.3.2 #VALL: the blocks in the order printed, separated by an empty line."""
    blocks = [
        DISPLAYS[name]
        for name in ("#VPHY", "#VPPP", "#VGPRS", "#VDNS", "#VFTP", "#VPOP3", "#VSMTP")
    ]
    for i in (1, 2, 3):
        rows = MAIL_ROWS[i]
        blocks.append((rows["BODY"], rows["CCREC"], rows["REC"], rows["SUBJ"]))
    blocks.append(TCP_DISPLAY)  # once per socket id (1 then 2)
    blocks.append(DISPLAYS["#VUDP"][1:2] + DISPLAYS["#VUDP"][0:1] + DISPLAYS["#VUDP"][2:])
    blocks.append(DISPLAYS["#VPING"])
    return blocks


# Every stored parameter row (the kit answers their set/read forms).
PARAMETER_ROWS: tuple[Setting, ...] = tuple(
    dict.fromkeys(
        [row for rows in DISPLAYS.values() for row in rows]
        + list(TCP_DISPLAY)
        + [row for i in (1, 2, 3) for key, row in MAIL_ROWS[i].items() if key != "BODY"]
    )
)
BODY_ROWS: tuple[Setting, ...] = tuple(MAIL_ROWS[i]["BODY"] for i in (1, 2, 3))


def text_entry_spec(max_len: int = 1024) -> PromptSpec:
    """§3.1.5 / §3.1.7: text typed after the command line, ended by Ctrl-Z (0x1A). The manual
    shows no prompt; ESC cancels (assumption, as on Wavecom's AT+CMGS text entry)."""
    return PromptSpec(prompt=b"", terminator=CTRL_Z, cancel=ESC, max_len=max_len)


# PPPMODE 2/4 on an outgoing call: how long the stack's PPP server waits for the peer's first
# LCP packet (RFC 1661 defaults: Max-Configure 10 x Restart 3 s; assumption).
PPP_SERVER_WAIT = 30.0
