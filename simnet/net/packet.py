"""The light internal packet: one slotted object per IPv4 datagram.

Headers are flat attributes (no nested layer objects) because this object is created and
touched on every hop of every packet; scapy frames are built from it only for pcap export.
``size`` is the on-the-wire IPv4 length in bytes (headers + payload) and drives serialization
time, queue occupancy and MTU checks.
"""

from __future__ import annotations

import re
from typing import Any, Final

from simnet._build import mypyc_attr
from simnet.kernel.tidy import register_decoder
from simnet.kernel.trace import LazyFields, json_str, json_time
from simnet.kernel.units import Real

PROTO_ICMP: Final = 1
PROTO_TCP: Final = 6
PROTO_UDP: Final = 17

# TCP flag bits (RFC 9293 §3.1)
FIN: Final = 0x01
SYN: Final = 0x02
RST: Final = 0x04
PSH: Final = 0x08
ACK: Final = 0x10

IPV4_HEADER: Final = 20
TCP_HEADER: Final = 20
UDP_HEADER: Final = 8
ICMP_HEADER: Final = 8


# RFC 9293 §3.1 / RFC 2018 / RFC 7323 option lengths in bytes (kind + length + data)
_OPTION_BYTES: Final = {"mss": 4, "sack_ok": 2, "wscale": 3, "ts": 10}


def tcp_options_length(options: dict) -> int:
    """Bytes the TCP options take on the wire, padded to a multiple of 4 (RFC 9293 §3.1)."""
    n = 0
    for key, value in options.items():
        if key == "sack":
            n += 2 + 8 * len(value) if value else 0
        else:
            n += _OPTION_BYTES.get(key, 0)
    return (n + 3) & ~3


# acyclic: a packet refers to no object that refers back to it, so the compiled build keeps it
# out of the cyclic garbage collector (a full trace holds every packet: each collection would
# walk them all)
@mypyc_attr(acyclic=True)
class Packet:
    __slots__ = (
        "src",
        "dst",
        "proto",
        "ttl",
        "ident",
        "sport",
        "dport",
        "seq",
        "ack",
        "flags",
        "window",
        "options",
        "payload",
        "icmp_type",
        "icmp_code",
        "icmp_id",
        "icmp_seq",
        "quoted",
        "corrupted",
        "size",
        "tos",
    )

    def __init__(
        self,
        src: str,
        dst: str,
        proto: int,
        ttl: int = 64,
        ident: int = 0,
        sport: int = 0,
        dport: int = 0,
        seq: int = 0,
        ack: int = 0,
        flags: int = 0,
        window: int = 0,
        options: dict[str, Any] | None = None,
        payload: bytes = b"",
        icmp_type: int = 0,
        icmp_code: int = 0,
        icmp_id: int = 0,
        icmp_seq: int = 0,
        quoted: Packet | None = None,
        tos: int = 0,
    ) -> None:
        self.src = src
        self.dst = dst
        self.proto = proto
        self.ttl = ttl
        self.ident = ident
        self.sport = sport
        self.dport = dport
        self.seq = seq
        self.ack = ack
        self.flags = flags
        self.window = window
        self.options = options
        self.payload = payload
        self.icmp_type = icmp_type
        self.icmp_code = icmp_code
        self.icmp_id = icmp_id
        self.icmp_seq = icmp_seq
        self.quoted = quoted  # the offending packet an ICMP error refers to
        self.corrupted = False  # set by a link; the receiver's checksum check drops it
        self.tos = tos  # IPv4 type of service octet (RFC 791 §3.1), 0 unless a socket sets it
        if proto == PROTO_TCP:
            opt_len = (
                0
                if not options
                else 4
                if len(options) == 1 and "mss" in options
                else tcp_options_length(options)
            )
            self.size = IPV4_HEADER + TCP_HEADER + opt_len + len(payload)
        elif proto == PROTO_UDP:
            self.size = IPV4_HEADER + UDP_HEADER + len(payload)
        else:
            self.size = IPV4_HEADER + ICMP_HEADER + len(payload)

    def copy(self) -> Packet:
        """A shallow copy (used for duplication and by NAT rewriting)."""
        # positional arguments: keyword parsing costs more than the stores (pcap copies every
        # packet); a constructor, not __new__ and stores, so that compiled it stays valid
        dup = Packet(
            self.src, self.dst, self.proto, self.ttl, self.ident, self.sport, self.dport,
            self.seq, self.ack, self.flags, self.window, self.options, self.payload,
            self.icmp_type, self.icmp_code, self.icmp_id, self.icmp_seq, self.quoted, self.tos,
        )
        dup.corrupted = self.corrupted
        dup.size = self.size
        return dup

    def summary(self) -> str:
        if self.proto == PROTO_TCP:
            return (
                f"TCP {self.src}:{self.sport} > {self.dst}:{self.dport} "
                f"[{_FLAG_LETTERS[self.flags & 0x1F]}] "
                f"seq={self.seq} ack={self.ack} win={self.window} len={len(self.payload)}"
            )
        if self.proto == PROTO_UDP:
            return f"UDP {self.src}:{self.sport} > {self.dst}:{self.dport} len={len(self.payload)}"
        return f"ICMP {self.src} > {self.dst} type={self.icmp_type} code={self.icmp_code}"

    def __repr__(self) -> str:
        return f"<Packet {self.summary()}>"


def tcp_packet(
    src: str,
    dst: str,
    sport: int,
    dport: int,
    seq: int,
    ack: int,
    flags: int,
    window: int,
    options: dict[str, Any] | None,
    payload: bytes,
    ttl: int = 64,
    tos: int = 0,
) -> Packet:
    """``Packet(src, dst, PROTO_TCP, sport=..., ..., payload=...)`` with positional arguments:
    the TCP glue builds one per segment, and keyword parsing costs more than the stores."""
    return Packet(
        src, dst, PROTO_TCP, ttl, 0, sport, dport, seq, ack, flags, window, options, payload,
        0, 0, 0, 0, None, tos,
    )


# -- trace records ---------------------------------------------------------------------------
# A link records every packet it carries. The record holds the packet itself - a packet handed
# to a link is never changed afterwards (the core routes a copy: see Network._route) - and its
# summary text is made only when someone reads the trace, digests or exports it.
# flags & 0x1F -> the summary's flag letters, in the order S A F R P
_FLAG_LETTERS: Final = tuple(
    "".join(
        letter
        for bit, letter in ((SYN, "S"), (ACK, "A"), (FIN, "F"), (RST, "R"), (PSH, "P"))
        if f & bit
    )
    for f in range(32)
)


# A packet's summary text, made for its first record and taken again by its second: a link
# records the same (unchanging) packet when it takes it and when it delivers it. Entries leave
# with the second record; packets a link lost never come back for theirs, so the memo is
# emptied whenever it grows past a bound (memory stays bounded, lines stay the same).
_SUMMARY_MEMO: Final[dict[Packet, str]] = {}
_MEMO_BOUND: Final = 4096
# source name -> ',"source":"<name>","t":' (the text between a packet line's summary and time)
_SOURCE_TAILS: Final[dict[str, str]] = {}
# (src, sport, dst, dport) -> the JSON text of a TCP summary up to its flags, without the quote
# that closes it
_TCP_HEADS: Final[dict[tuple[Any, ...], str]] = {}


class PacketRecord(LazyFields):
    """A ``pkt`` record ``{"ev": ev, "pkt": packet.summary()}`` built when read."""

    __slots__ = ("ev", "_head")

    def __init__(self, ev: str) -> None:
        self.ev = ev
        self._head = '{"ev":' + json_str(ev) + ',"kind":"pkt","pkt":'

    def fields(self, arg: Packet) -> dict[str, Any]:
        return {"ev": self.ev, "pkt": arg.summary()}

    def line(self, t: Real, source: str, kind: str, arg: Packet) -> str:
        if kind != "pkt" or type(source) is not str:
            return super().line(t, source, kind, arg)
        memo = _SUMMARY_MEMO
        text = memo.pop(arg, None)
        if text is None:
            src, sport, dst, dport = arg.src, arg.sport, arg.dst, arg.dport
            if (
                arg.proto == PROTO_TCP
                and type(src) is str
                and type(dst) is str
                and type(sport) is int
                and type(dport) is int
                and type(arg.seq) is int
                and type(arg.ack) is int
                and type(arg.window) is int
            ):  # json_str(summary()) in pieces: only the addresses may need JSON escapes
                flow = (src, sport, dst, dport)
                head = _TCP_HEADS.get(flow)
                if head is None:
                    head = json_str(f"TCP {src}:{sport} > {dst}:{dport} [")[:-1]
                    if len(_TCP_HEADS) >= _MEMO_BOUND:
                        _TCP_HEADS.clear()
                    _TCP_HEADS[flow] = head
                text = (
                    f"{head}{_FLAG_LETTERS[arg.flags & 0x1F]}] seq={arg.seq} ack={arg.ack} "
                    f'win={arg.window} len={len(arg.payload)}"'
                )
            else:
                text = json_str(arg.summary())
            if len(memo) >= _MEMO_BOUND:
                memo.clear()
            memo[arg] = text
        tail = _SOURCE_TAILS.get(source)
        if tail is None:
            tail = _SOURCE_TAILS[source] = ',"source":' + json_str(source) + ',"t":'
            if len(_SOURCE_TAILS) > _MEMO_BOUND:  # names are few; a hostile caller's are not
                _SOURCE_TAILS.clear()
        return f"{self._head}{text}{tail}{json_time(t)}}}"


PACKET_TX: Final = PacketRecord("tx")
PACKET_RX: Final = PacketRecord("rx")


# -- typed trace columns ----------------------------------------------------------------------
# Links record a packet as its summary() text (cheap, and what a reader wants to see); the
# trace DataFrame parses it back into typed columns.
_SUMMARY: Final = re.compile(
    r"(?P<proto>TCP|UDP) (?P<src>[0-9.]+):(?P<sport>\d+) > (?P<dst>[0-9.]+):(?P<dport>\d+)"
    r"(?: \[(?P<flags>[SAFRP]*)\] seq=(?P<seq>\d+) ack=(?P<ack>\d+) win=(?P<win>\d+))? "
    r"len=(?P<len>\d+)"
    r"|(?P<icmp>ICMP) (?P<isrc>[0-9.]+) > (?P<idst>[0-9.]+) type=(?P<type>\d+) code=(?P<code>\d+)"
)


def summary_fields(summary: str) -> dict[str, object]:
    """Typed fields of a :meth:`Packet.summary` line (empty if it is not one)."""
    m = _SUMMARY.match(summary)
    if m is None:
        return {}
    if m.group("icmp"):
        return {
            "proto": "ICMP",
            "src": m.group("isrc"),
            "dst": m.group("idst"),
            "icmp_type": int(m.group("type")),
            "icmp_code": int(m.group("code")),
        }
    out: dict[str, object] = {
        "proto": m.group("proto"),
        "src": m.group("src"),
        "sport": int(m.group("sport")),
        "dst": m.group("dst"),
        "dport": int(m.group("dport")),
        "len": int(m.group("len")),
    }
    if m.group("proto") == "TCP":
        out.update(
            flags=m.group("flags") or "",
            seq=int(m.group("seq")),
            ack=int(m.group("ack")),
            win=int(m.group("win")),
        )
    return out


def _decode_packet(fields: dict[str, object]) -> dict[str, object]:
    pkt = fields.get("pkt")
    return summary_fields(pkt) if isinstance(pkt, str) else {}


for _kind in ("pkt", "drop", "link"):
    register_decoder(_kind, _decode_packet)
