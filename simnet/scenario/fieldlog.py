"""Field logs in: a serial capture of a device's AT traffic becomes a scenario, and a replay
says where the emulated module and the field module disagree.

Formats read (``parse_log`` tells them apart by themselves):

- **directed text**: each line marked with who spoke — ``>``/``<`` (also ``>>``, ``->``,
  ``-->``, ``TX:``, ``SEND:``, ``write:``, ``W:`` for the host; the mirrored forms, ``RX:``,
  ``RECV:``, ``read:``, ``R:`` for the module), optionally after a timestamp (``[12:00:01.234]``,
  ``2024-01-01 12:00:01.234``, ``[  1.234]``, ``1.234``). Payloads may spell bytes as
  ``\\r \\n \\xNN`` or ``<CR> <LF>`` (then they are taken exactly; ``simnet serve --capture``
  writes this form), else a host line is a command ended by CR and a module line is a line.
- **hex dumps**: the same markers with hex bytes (``> 41 54 0D``), and ``socat -x -v``'s
  blocks (``> 2024/05/06 12:34:56.789012  length=7 from=0 to=6`` then hex lines; ``>`` is the
  first address's direction, so put the host's side first).
- **undirected text**: a serial monitor, TinyGSM's StreamDebugger (what the MCU wrote and read,
  interleaved), minicom or picocom captures. A line starting with ``AT`` is the host's command
  (the same line again right after it is the module's echo); the text after a ``>`` prompt is
  the host's data; everything else is the module's. Terminal banners and TinyGSM's ``###``
  debug lines are skipped.

The scenario replays the host side (``send``/``send_raw``, with ``wait`` for the host's pauses
when there are timestamps) and expects every line the module said, each step commented with its
log line. Lines that belong to the unit rather than the firmware (IMEI, IMSI, ICCID, revision,
clock) are expected by shape; the world (APN, signal, registration, PIN, peer hosts) is read
from the log; commands the chosen module does not implement are listed.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

HOST, MODULE = "host", "module"
DEFAULT_WITHIN = 10.0
MIN_WAIT = 0.05  # host pauses shorter than this are the logger's jitter, not the host's intent
# Commands whose answers belong to the unit (serial numbers, firmware build, clock): expected
# by shape, with the field value kept in a comment.
UNIT_SPECIFIC = ("+CGSN", "+GSN", "+CIMI", "+CCID", "+ICCID", "+CICCID", "+QCCID", "+CGMR", "+GMR",
                 "+CCLK", "I")
HOST_MARKERS = (">>", "-->", "->", ">", "tx:", "tx", "send:", "write:", "w:")
MODULE_MARKERS = ("<<", "<--", "<-", "<", "rx:", "rx", "recv:", "read:", "r:")
_MARKER = re.compile(
    r"(-->|<--|->|<-|>>|<<|>|<|(?:tx|rx|send|recv|write|read|w|r)\s*:|\[(?:tx|rx)\]|(?:tx|rx)(?=\s))"
    r"(?:\s|$)",
    re.I,
)
_CLOCK = r"(?:\d{4}[-/]\d\d[-/]\d\d[ T_])?\d{1,2}:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"
_STAMP = re.compile(
    rf"^\s*(?:\[\s*(?P<b>{_CLOCK}|\d+(?:\.\d+)?)\s*\]|(?P<c>{_CLOCK})|(?P<n>\d+\.\d+)(?=\s+\S))\s*[:|-]?\s*"
)
_SOCAT = re.compile(
    r"^\s*(?P<dir>[<>])\s+(?P<ts>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)?)\s+length=(?P<len>\d+)"
    r"\s+from=\d+\s+to=\d+\s*$"
)
_HEX_PAYLOAD = re.compile(
    r"^(?:[0-9A-Fa-f]{8}:?\s+)?((?:[0-9A-Fa-f]{2}[ :]?)+?)(?:\s{2,}.*|\s*\|.*\|\s*)?$"
)
_ESCAPED = re.compile(r"\\[rn0tx\\]|<(?:CR|LF|SUB|ESC)>", re.I)
_BANNERS = re.compile(
    r"^(picocom v|port is\s*:|flowcontrol\s*:|baudrate is\s*:|parity is\s*:|databits "
    r"are\s*:|stopbits are\s*:|"
    r"escape is\s*:|local echo is\s*:|noinit is\s*:|noreset is\s*:|hangup is\s*:|nolock "
    r"is\s*:|send_cmd is\s*:|"
    r"receive_cmd is\s*:|imap is\s*:|omap is\s*:|emap is\s*:|logfile "
    r"is\s*:|initstring\s*:|exit_after is\s*:|"
    r"exit is\s*:|type \[c-a\] \[c-h\]|terminal ready|terminating\.\.\.|thanks for using picocom|"
    r"welcome to minicom|options:|compiled on|port /dev/|using character set|press ctrl-a z|"
    r"\[\d+\] ###|\[\d+\] ##|### |-- |--$|#)",
    re.I,
)
_COMMAND = re.compile(r"^AT([+^$%#*][A-Z0-9_]+|&[A-Z]|\\[A-Z]|[A-Z])", re.I)
_SOCKET_OPEN = (
    # SIMCom AT+CIPOPEN=<link>,"TCP"|"UDP","<host>",<port>
    (
        re.compile(r'^AT\+CIPOPEN=\d+,"(TCP|UDP)","([^"]+)",(\d+)', re.I),
        lambda m: (m[1].lower(), m[2], int(m[3])),
    ),
    # Fibocom AT+MIPOPEN=<id>,[<lport>],"<host>",<port>,<0 TCP | 1 UDP>
    (
        re.compile(r'^AT\+MIPOPEN=\d+,\d*,"([^"]+)",(\d+),([01])', re.I),
        lambda m: ("tcp" if m[3] == "0" else "udp", m[1], int(m[2])),
    ),
)
_APN = (
    re.compile(r'^AT\+CGDCONT=1,"[A-Z0-9]+","([^"]*)"', re.I),
    re.compile(r'^AT\+MIPCALL=1,"([^"]*)"', re.I),
)
_PIN = re.compile(r'^AT\+CPIN="?(\d{4,8})"?$', re.I)
_CSQ = re.compile(r"^\+CSQ: (\d+),(\d+)$")
_REG = re.compile(r"^\+C(?:G|E)?REG: (?:\d+,)?([0-9])(?:,|$)")
PEER_NET = ipaddress.IPv4Network(
    "203.0.113.0/24"
)  # TEST-NET-3 (RFC 5737): names get addresses here


@dataclass
class Chunk:
    """Bytes one side put on the line, when (seconds from the log's first stamp) and where."""

    side: str
    data: bytes
    t: float | None
    line: int


@dataclass
class FieldLog:
    file: str
    format: str
    chunks: list[Chunk]
    skipped: list[int] = field(default_factory=list)  # banner and debug lines


class LogError(ValueError):
    """A log that cannot be read as AT traffic; the message names the file and line."""


# -- reading -------------------------------------------------------------------------------------
def _seconds(stamp: str) -> float:
    stamp = stamp.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", stamp):
        value = float(stamp)
        return value / 1000.0 if "." not in stamp and value > 10_000 else value  # bare integers: ms
    stamp = (
        stamp.replace(",", ".").replace("/", "-").replace("_", " ").replace("T", " ").rstrip("Z")
    )
    stamp = re.sub(r"[+-]\d\d:?\d\d$", "", stamp)
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%H:%M:%S.%f", "%H:%M:%S"):
        try:
            parsed = datetime.strptime(stamp, fmt)
        except ValueError:
            continue
        if parsed.year == 1900:  # a time of day only
            return (
                parsed.hour * 3600 + parsed.minute * 60 + parsed.second + parsed.microsecond / 1e6
            )
        return parsed.timestamp()
    raise ValueError(stamp)


def _split_stamp(text: str) -> tuple[float | None, str]:
    m = _STAMP.match(text)
    if not m:
        return None, text
    stamp = m.group("b") or m.group("c") or m.group("n")
    try:
        return _seconds(stamp), text[m.end() :]
    except ValueError:
        return None, text


def _side_of(marker: str) -> str:
    word = marker.lower().strip("[]: ")
    return HOST if word in (">>", "-->", "->", ">", "tx", "send", "write", "w") else MODULE


def _unescape(text: str) -> bytes:
    text = re.sub(r"<CR>", r"\\r", text, flags=re.I)
    text = re.sub(r"<LF>", r"\\n", text, flags=re.I)
    text = re.sub(r"<SUB>", r"\\x1a", text, flags=re.I)
    text = re.sub(r"<ESC>", r"\\x1b", text, flags=re.I)
    from simnet.scenario.schema import decode_escapes

    return decode_escapes(text)


def _hex(text: str) -> bytes | None:
    m = _HEX_PAYLOAD.match(text.strip())
    if not m:
        return None
    digits = re.sub(r"[ :]", "", m.group(1))
    return bytes.fromhex(digits) if digits and len(digits) % 2 == 0 else None


def parse_log(text: str, file: str = "<log>") -> FieldLog:
    """The chunks of AT traffic in a capture, in order, with times relative to the first stamp."""
    # CR, LF and CR LF end lines (a terminal shows a lone CR as a new line too); nothing else.
    lines = re.split(r"\r\n|\r|\n", text.lstrip("\ufeff"))
    if any(_SOCAT.match(line) for line in lines[:200]):
        log = _parse_socat(lines, file)
    else:
        directed = []
        content = 0
        for number, raw in enumerate(lines, 1):
            if not raw.strip() or _BANNERS.match(raw.strip()):
                continue
            content += 1
            t, rest = _split_stamp(raw.rstrip("\r"))
            m = _MARKER.match(rest.lstrip())
            if m and (rest.lstrip()[m.end() :].strip() or m.group(1) in "<>"):
                directed.append((number, t, _side_of(m.group(1)), rest.lstrip()[m.end() :]))
        if content and len(directed) >= 0.6 * content:
            log = _parse_directed(directed, file)
        else:
            log = _parse_undirected(lines, file)
    if not log.chunks:
        raise LogError(
            f"{file}:1: no AT traffic found (expected lines such as '> AT+CSQ' / '< OK', a serial "
            "monitor capture, or a hex dump)"
        )
    stamps = [c.t for c in log.chunks if c.t is not None]
    if stamps:
        first = stamps[0]
        for c in log.chunks:
            if c.t is not None:
                c.t = round(c.t - first, 6)
    return log


def _parse_socat(lines: list[str], file: str) -> FieldLog:
    log = FieldLog(file, "socat -x -v hex dump", [])
    current: Chunk | None = None
    for number, raw in enumerate(lines, 1):
        m = _SOCAT.match(raw)
        if m:
            current = Chunk(
                HOST if m.group("dir") == ">" else MODULE, b"", _seconds(m.group("ts")), number
            )
            log.chunks.append(current)
            continue
        if raw.strip() in ("", "--") or current is None:
            continue
        data = _hex(raw)
        if data is None:
            raise LogError(
                f"{file}:{number}: expected hex bytes of the block that starts at line "
                f"{current.line}, "
                f"got {raw.strip()[:40]!r}"
            )
        current.data += data
    log.chunks = [c for c in log.chunks if c.data]
    return log


def _parse_directed(directed: list[tuple[int, float | None, str, str]], file: str) -> FieldLog:
    payloads = [p.strip() for _, _, _, p in directed if p.strip()]
    as_hex = payloads and sum(
        1 for p in payloads if _hex(p) is not None and not p.isalpha()
    ) >= 0.9 * len(payloads)
    escaped = not as_hex and any(_ESCAPED.search(p) for p in payloads)
    log = FieldLog(
        file,
        "hex dump" if as_hex else ("directed text, bytes escaped" if escaped else "directed text"),
        [],
    )
    prompt_open = False
    for number, t, side, payload in directed:
        if as_hex:
            data = _hex(payload) or b""
        elif escaped:
            data = _unescape(payload.strip())
        else:
            body = payload.rstrip("\r\n")
            body = body[1:] if body.startswith(" ") else body
            if side == HOST:
                data = body.encode("latin-1", "replace") + (b"" if prompt_open else b"\r")
            else:
                data = (
                    body.encode("latin-1", "replace")
                    if body.strip() in (">", "> ")
                    else b"\r\n" + body.encode("latin-1", "replace") + b"\r\n"
                )
        if not data:
            continue
        if side == MODULE:
            prompt_open = data.rstrip(b" ").endswith(b">")
        log.chunks.append(Chunk(side, data, t, number))
    return log


def _parse_undirected(lines: list[str], file: str) -> FieldLog:
    log = FieldLog(file, "undirected text (serial monitor, StreamDebugger, minicom, picocom)", [])
    last_command: str | None = None
    echo_pending = False
    prompt_open = False
    for number, raw in enumerate(lines, 1):
        # A terminal shows CR without LF as a line break too: AT+CSQ\rAT+CSQ\r\r\n is two lines.
        for piece in re.split(r"\r(?!$)", raw.rstrip("\n")):
            piece = piece.rstrip("\r")
            stripped = piece.strip()
            if not stripped:
                continue
            if _BANNERS.match(stripped):
                log.skipped.append(number)
                continue
            t, text = _split_stamp(piece)
            text = text.strip()
            if not text:
                continue
            if prompt_open and text.startswith(">"):
                log.chunks.append(Chunk(MODULE, b"> ", t, number))
                text = text[1:].strip()
                if not text:
                    continue
            if prompt_open:
                data = text.encode("latin-1", "replace")
                if data.endswith(b"^Z"):
                    data = data[:-2] + b"\x1a"
                log.chunks.append(Chunk(HOST, data, t, number))
                prompt_open = False
                continue
            if text.upper().startswith("AT") and not (echo_pending and text == last_command):
                log.chunks.append(Chunk(HOST, text.encode("latin-1", "replace") + b"\r", t, number))
                last_command, echo_pending = text, True
                continue
            if echo_pending and text == last_command:  # the module's echo of the command
                log.chunks.append(
                    Chunk(MODULE, text.encode("latin-1", "replace") + b"\r", t, number)
                )
                echo_pending = False
                continue
            echo_pending = False
            if text in (">", "> ") or text.startswith("> "):
                log.chunks.append(Chunk(MODULE, b"> ", t, number))
                rest = text[1:].strip()
                if rest:
                    log.chunks.append(Chunk(HOST, rest.encode("latin-1", "replace"), t, number))
                else:
                    prompt_open = True
                continue
            log.chunks.append(
                Chunk(MODULE, b"\r\n" + text.encode("latin-1", "replace") + b"\r\n", t, number)
            )
    return log


# -- building the scenario -----------------------------------------------------------------------
@dataclass
class Step:
    kind: str
    value: Any
    line: int  # of the log
    within: float | None = None
    note: str = ""


@dataclass
class Imported:
    log: FieldLog
    module: str
    steps: list[Step]
    world: dict[str, Any]
    unsupported: dict[str, list[int]]  # command name -> log lines
    commands: int = 0
    module_lines: int = 0

    def to_yaml(self, scenario_name: str | None = None, out: str | None = None) -> str:
        """The scenario's text, its schema modeline relative to ``out`` (where it is written)."""
        return _render(self, scenario_name, out)


def command_name(text: str) -> str | None:
    """``AT+CSQ`` -> ``+CSQ``, ``ATE0`` -> ``E``, ``AT&W`` -> ``&W``; None for a bare ``AT``."""
    m = _COMMAND.match(text.strip())
    return m.group(1).upper() if m else None


def escape_bytes(data: bytes) -> str:
    """Bytes as a ``send_raw``/``expect`` value: printable ASCII as is, ``\\\\``, ``\\r``, ``\\n``,
    ``\\xNN`` for the rest (the scenario's own escapes)."""
    out = []
    for b in data:
        if b == 0x5C:
            out.append("\\\\")
        elif b == 13:
            out.append("\\r")
        elif b == 10:
            out.append("\\n")
        elif 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return "".join(out)


def _shape(line: str) -> str:
    """A regular expression for the whole line ``line`` (between CR LF) with other digits in its
    numbers (and other hex digits in runs that mix them)."""
    parts = re.split(r"([0-9A-Fa-f]*\d[0-9A-Fa-f]*)", line)
    body = "".join(
        re.escape(p).replace("\\ ", " ")
        if i % 2 == 0
        else (r"\d+" if p.isdigit() else r"[0-9A-Fa-f]+")
        for i, p in enumerate(parts)
    )
    return rf"\r\n{body}\r\n"


def build(log: FieldLog, module: str) -> Imported:
    """The scenario steps and world of a parsed log, for ``module``."""
    steps: list[Step] = []
    world: dict[str, Any] = {}
    hosts: dict[str, dict[str, Any]] = {}
    unsupported: dict[str, list[int]] = {}
    known = _known_commands(module)
    imported = Imported(log, module, steps, world, unsupported)
    last_t: float | None = None
    last_command = ""
    sent_at: float | None = None
    said: list[Chunk] = []  # the module's chunks since the host's last write
    for chunk in _merge_host_writes(log.chunks):
        if chunk.side == HOST:
            imported.module_lines += _expects(steps, said, last_command, sent_at, world)
            said = []
            if chunk.t is not None and last_t is not None and chunk.t - last_t >= MIN_WAIT:
                steps.append(
                    Step("wait", f"{chunk.t - last_t:.3f}s", chunk.line, note="the host's pause")
                )
            _send(steps, chunk)
            for text in chunk.data.split(b"\r"):
                line_text = text.decode("latin-1").strip()
                if not line_text.upper().startswith("AT"):
                    continue
                imported.commands += 1
                last_command = line_text
                _read_world(line_text, world, hosts)
                name = command_name(line_text)
                if name is not None and known is not None and name not in known:
                    unsupported.setdefault(name, []).append(chunk.line)
            sent_at = chunk.t
        else:
            said.append(chunk)
        if chunk.t is not None:
            last_t = chunk.t
    imported.module_lines += _expects(steps, said, last_command, sent_at, world)
    if hosts:
        world["hosts"] = hosts
    return imported


def _merge_host_writes(chunks: list[Chunk]) -> list[Chunk]:
    """A host write the logger split (no CR at the end of the first part) as one write."""
    out: list[Chunk] = []
    for c in chunks:
        if out and c.side == HOST and out[-1].side == HOST and not out[-1].data.endswith(b"\r"):
            out[-1] = Chunk(HOST, out[-1].data + c.data, out[-1].t, out[-1].line)
        else:
            out.append(c)
    return out


def _send(steps: list[Step], chunk: Chunk) -> None:
    data = chunk.data
    text = data[:-1].decode("latin-1")
    if (
        data.endswith(b"\r")
        and b"\r" not in data[:-1]
        and re.fullmatch(r"[ -~]*", text)
        and "\\" not in text
    ):
        steps.append(Step("send", text, chunk.line))
    else:
        steps.append(Step("send_raw", escape_bytes(data), chunk.line))


def _lines_of(chunks: list[Chunk]) -> list[tuple[str, int, float | None]]:
    """The module's lines (text, log line where the line starts, time its end arrived)."""
    out: list[tuple[str, int, float | None]] = []
    current, start_line = "", 0
    for chunk in chunks:
        for piece in re.split(r"(\r\n|\r|\n)", chunk.data.decode("latin-1")):
            if piece in ("\r\n", "\r", "\n"):
                if current.strip():
                    out.append((current.strip(), start_line, chunk.t))
                current = ""
                continue
            if piece and not current:
                start_line = chunk.line
            current += piece
    if current.strip():  # a prompt or data without a line end
        out.append((current.strip(), start_line, chunks[-1].t))
    return out


def _expects(
    steps: list[Step], said: list[Chunk], command: str, sent_at: float | None, world: dict[str, Any]
) -> int:
    if not said:
        return 0
    name = command_name(command) or ""
    lines = _lines_of(said)
    for text, line, t in lines:
        within = DEFAULT_WITHIN
        if sent_at is not None and t is not None:  # the field module took this long: allow twice
            within = max(DEFAULT_WITHIN, float(math.ceil(2 * (t - sent_at) + 1)))
        m = _CSQ.match(text)
        if m and "network.signal" not in world and int(m[1]) <= 31:
            ber = int(m[2])
            world["network.signal"] = {"rssi": int(m[1]), **({"ber": ber} if ber <= 7 else {})}
        reg = _REG.match(text)
        if reg and "network.registration" not in world and reg[1] in "15":
            world["network.registration"] = {
                "state": "home" if reg[1] == "1" else "roaming",
                "after": "0s",
            }
        signal = world.get("network.signal") or {}
        varies = m is not None and (signal.get("rssi"), signal.get("ber", -1)) != (
            int(m[1]),
            int(m[2]),
        )
        unit = name in UNIT_SPECIFIC and text != command and text not in ("OK", "ERROR")
        if varies or unit:
            steps.append(Step("expect_re", _shape(text), line, within, note=f"field: {text}"))
        else:
            steps.append(Step("expect", escape_bytes(text.encode("latin-1")), line, within))
    return len(lines)


def _read_world(command: str, world: dict[str, Any], hosts: dict[str, dict[str, Any]]) -> None:
    for pattern in _APN:
        m = pattern.match(command)
        if m and m[1] and "network.apn" not in world:
            world["network.apn"] = {"name": m[1]}
    m = _PIN.match(command)
    if m:
        world["sim"] = {"state": "pin", "pin": m[1]}
    for pattern, fields in _SOCKET_OPEN:
        m = pattern.match(command)
        if not m:
            continue
        proto, name, port = fields(m)
        try:
            ip = str(ipaddress.IPv4Address(name))
            host_name = f"peer-{ip.replace('.', '-')}"
        except ValueError:
            host_name, ip = name, ""
        host = hosts.setdefault(host_name, {"ip": ip, "services": []})
        if not host["ip"]:
            host["ip"] = str(PEER_NET[10 + len(hosts)])
        service = {"type": f"{proto}-echo", "port": port}
        if service not in host["services"]:
            host["services"].append(service)


def _known_commands(module: str) -> set[str] | None:
    try:
        from simnet.scenario.api import Simulation

        sim = Simulation.from_dict({"name": "probe", "module": module})
        return {n.upper() for n in sim.module.command_names()}
    except Exception:  # the validator will say what is wrong with the module id
        return None


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _world_yaml(world: dict[str, Any]) -> list[str]:
    out: list[str] = []
    network = {k.split(".", 1)[1]: v for k, v in world.items() if k.startswith("network.")}
    network.setdefault("registration", {"state": "home", "after": "0s"})
    if "sim" in world:
        out.append(f"sim: {json.dumps(world['sim'])}")
    out.append("network:")
    for key in ("registration", "apn", "signal"):
        if key in network:
            out.append(f"  {key}: {json.dumps(network[key])}")
    if world.get("hosts"):
        out.append(
            "hosts:  # peers the device opened sockets to; what the field server said is not in "
            "the log, "
            "so an echo service stands in"
        )
        for name, host in world["hosts"].items():
            out.append(f"  {name}:")
            out.append(f"    ip: {host['ip']}")
            out.append(f"    services: {json.dumps(host['services'])}")
    return out


def _render(imp: Imported, scenario_name: str | None, out: str | None = None) -> str:
    log = imp.log
    name = scenario_name or f"{log.file} replayed on {imp.module}"
    from simnet.scenario.json_schema import SCHEMA_HINT, modeline_for

    first, found = modeline_for(out)
    lines = [
        first,
        *(() if found else (SCHEMA_HINT,)),
        f"# Imported by simnet import {log.file} --module {imp.module} ({log.format}).",
        f"# {imp.commands} host commands, {imp.module_lines} module lines; each step names its "
        f"line of {log.file}.",
        "# Steps replay the host; expectations are what the field module said (lines that "
        "belong to",
        "# the unit - IMEI, IMSI, ICCID, firmware build, clock - are expected by shape).",
    ]
    if imp.unsupported:
        listed = ", ".join(
            f"AT{n} ({log.file}:{','.join(map(str, ls[:3]))})"
            for n, ls in sorted(imp.unsupported.items())
        )
        lines.append(f"# Not implemented by {imp.module} (it will answer ERROR): {listed}")
    lines += [f"name: {_quote(name)}", f"module: {imp.module}"]
    lines += _world_yaml(imp.world)
    lines.append("steps:")
    for step in imp.steps:
        where = f"{log.file}:{step.line}"
        note = f"  # {where}" + (f" ({step.note})" if step.note else "")
        if step.kind == "wait":
            lines.append(f"  - wait: {step.value}{note}")
        elif step.kind in ("expect", "expect_re"):
            within = (
                f", within: {step.within:g}s"
                if step.within and step.within != DEFAULT_WITHIN
                else ""
            )
            lines.append(f"  - {{{step.kind}: {_quote(step.value)}{within}}}{note}")
        else:
            lines.append(f"  - {step.kind}: {_quote(step.value)}{note}")
    return "\n".join(lines) + "\n"


def import_log(text: str, module: str, file: str = "<log>") -> Imported:
    return build(parse_log(text, file), module)


# -- replay: where the emulator and the field module disagree ------------------------------------
@dataclass
class Divergence:
    log_line: int
    scenario_line: int
    expected: str
    received: str
    t: float

    def describe(self, log_file: str, scenario_file: str) -> str:
        said = f"'{self.received}'" if self.received else "nothing"
        return (
            f"{log_file}:{self.log_line}: the field module said '{self.expected}'; the emulator "
            f"said {said} "
            f"(t={self.t:.3f} s; {scenario_file}:{self.scenario_line})"
        )


def replay(scenario_file: str, log_file: str) -> tuple[list[Divergence], int]:
    """Run the imported scenario, going on past each expectation the emulator does not meet;
    returns the divergences (at the log lines the steps name) and the steps run."""
    from simnet.errors import ExpectTimeout
    from simnet.scenario.api import Simulation
    from simnet.scenario.runner import _show  # the report's way of showing bytes
    from simnet.scenario.safe_regex import SafePattern

    sim = Simulation.from_yaml(scenario_file)
    log_lines = _log_lines_of_steps(scenario_file, log_file)
    out: list[Divergence] = []
    dte = sim.dte
    for spec in sim.scenario.steps:
        if spec.kind in ("send", "send_raw", "send_hex"):
            dte.write(spec.data)
        elif spec.kind == "wait":
            sim.advance(spec.seconds)
        elif spec.kind in ("expect", "expect_re"):
            pattern: Any = SafePattern(spec.pattern) if spec.kind == "expect_re" else spec.pattern
            try:
                dte.expect(pattern, timeout=spec.within)
            except ExpectTimeout as exc:
                received = _show(exc.received, 120)
                out.append(
                    Divergence(log_lines.get(spec.line, 0), spec.line, spec.text, received, sim.now)
                )
    return out, len(sim.scenario.steps)


def _log_lines_of_steps(scenario_file: str, log_file: str) -> dict[int, int]:
    """Scenario line -> log line, from the ``# LOG:N`` comments the import wrote."""
    out: dict[int, int] = {}
    marker = re.compile(rf"#\s*{re.escape(log_file)}:(\d+)")
    with open(scenario_file, encoding="utf-8") as fp:
        for number, text in enumerate(fp, 1):
            m = marker.search(text)
            if m:
                out[number] = int(m.group(1))
    return out


# -- capture: a serial log of what crossed the line ----------------------------------------------
class SerialCapture:
    """A trace sink writing the host's and the module's UART bytes as a serial log in the
    escaped directed form ``parse_log`` reads (``[t] > AT+CSQ\\r``): ``simnet serve --capture``.
    Virtual seconds are the timestamps (on ``simnet serve`` they follow the wall clock)."""

    SIDES = {"dte>": ">", "dte<": "<"}

    def __init__(self, path: str, header: str = "") -> None:
        # Line-buffered: a capture of a server stopped by a signal keeps every whole line.
        self.fp = open(path, "w", encoding="ascii", errors="backslashreplace", buffering=1)  # noqa: SIM115
        if header:
            self.fp.write(f"# {header}\n")

    def __call__(self, rec: Any) -> None:
        side = self.SIDES.get(rec.kind)
        data = rec.fields.get("data") if side else None
        if isinstance(data, bytes | bytearray) and data:
            self.fp.write(f"[{rec.t:.6f}] {side} {escape_bytes(bytes(data))}\n")

    def close(self) -> None:
        self.fp.close()
