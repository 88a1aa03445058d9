"""DNS (RFC 1035): wire-format codec, zone, server engine and glue, and a stub resolver.

- ``encode_message`` / ``decode_message``: sans-IO codec of the header, questions and resource
  records (A and PTR data decoded; other types kept as raw rdata), with name compression
  (pointers followed on decode with a loop guard, emitted on encode).
- ``DnsZone``: forward (A) and reverse (PTR under in-addr.arpa) records.
- ``DnsServerEngine``: query bytes in, response bytes (or None: silence) out; fault switch
  ``fault`` in {None, "nxdomain", "servfail", "refused", "silence"}.
- ``DnsServer``: binds the engine to UDP port 53 on a host.
- ``DnsResolver``: the module-side stub resolver (UDP queries to the interface's servers,
  per-try timeout, attempts, rotation), results carry addresses or an error kind.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simnet.errors import ConfigError
from simnet.kernel.units import parse_duration
from simnet.net.addr import check_ip, is_valid_ip

# RR types (RFC 1035 §3.2.2) and class
TYPE_A = 1
TYPE_NS = 2
TYPE_CNAME = 5
TYPE_SOA = 6
TYPE_PTR = 12
TYPE_MX = 15
TYPE_TXT = 16
TYPE_AAAA = 28
CLASS_IN = 1

# RCODEs (RFC 1035 §4.1.1)
NOERROR = 0
FORMERR = 1
SERVFAIL = 2
NXDOMAIN = 3
NOTIMP = 4
REFUSED = 5

DNS_PORT = 53
MAX_NAME = 253
MAX_LABEL = 63
_HEADER = struct.Struct("!HHHHHH")


class DnsFormatError(ValueError):
    """Malformed DNS bytes (internal to the codec; engines turn it into FORMERR or silence)."""


@dataclass
class Question:
    name: str
    qtype: int = TYPE_A
    qclass: int = CLASS_IN


@dataclass
class ResourceRecord:
    name: str
    rtype: int
    rclass: int = CLASS_IN
    ttl: int = 300
    data: Any = None  # A: dotted quad; PTR/CNAME/NS: name; other: raw bytes


@dataclass
class DnsMessage:
    id: int = 0
    qr: bool = False
    opcode: int = 0
    aa: bool = False
    tc: bool = False
    rd: bool = True
    ra: bool = False
    rcode: int = NOERROR
    questions: list[Question] = field(default_factory=list)
    answers: list[ResourceRecord] = field(default_factory=list)
    authority: list[ResourceRecord] = field(default_factory=list)
    additional: list[ResourceRecord] = field(default_factory=list)

    @property
    def flags(self) -> int:
        return ((self.qr << 15) | ((self.opcode & 0xF) << 11) | (self.aa << 10) | (self.tc << 9)
                | (self.rd << 8) | (self.ra << 7) | (self.rcode & 0xF))


# -- names -------------------------------------------------------------------------------------
def normalise_name(name: str) -> str:
    return name.strip().rstrip(".").lower()


def valid_hostname(name: object) -> bool:
    """A name a query can carry: labels 1-63 octets, at most 253 in total, ASCII."""
    if not isinstance(name, str):
        return False
    n = name.rstrip(".")
    if not n or len(n) > MAX_NAME or not n.isascii():
        return False
    return all(0 < len(label) <= MAX_LABEL for label in n.split("."))


def reverse_name(ip: str) -> str:
    return ".".join(reversed(ip.split("."))) + ".in-addr.arpa"


def _encode_name(name: str, out: bytearray, offsets: dict[str, int]) -> None:
    n = normalise_name(name) if name not in ("", ".") else ""
    while n:
        if n in offsets:
            ptr = offsets[n]
            out += struct.pack("!H", 0xC000 | ptr)
            return
        if len(out) < 0x3FFF:
            offsets[n] = len(out)
        label, _, rest = n.partition(".")
        raw = label.encode("ascii", "replace")
        if not 0 < len(raw) <= MAX_LABEL:
            raise DnsFormatError(f"bad label {label!r}")
        out.append(len(raw))
        out += raw
        n = rest
    out.append(0)


def _decode_name(data: bytes, pos: int) -> tuple[str, int]:
    labels: list[str] = []
    end: int | None = None
    jumps = 0
    total = 0
    while True:
        if pos >= len(data):
            raise DnsFormatError("name runs past the end")
        length = data[pos]
        if length & 0xC0 == 0xC0:
            if pos + 1 >= len(data):
                raise DnsFormatError("truncated pointer")
            if end is None:
                end = pos + 2
            pos = ((length & 0x3F) << 8) | data[pos + 1]
            jumps += 1
            if jumps > 32:
                raise DnsFormatError("compression loop")
            continue
        if length & 0xC0:
            raise DnsFormatError("reserved label type")
        pos += 1
        if length == 0:
            break
        if pos + length > len(data):
            raise DnsFormatError("label runs past the end")
        labels.append(data[pos:pos + length].decode("ascii", "replace").lower())
        total += length + 1
        if total > 255:
            raise DnsFormatError("name too long")
        pos += length
    return ".".join(labels), (end if end is not None else pos)


# -- messages ----------------------------------------------------------------------------------
def _encode_rr(rr: ResourceRecord, out: bytearray, offsets: dict[str, int]) -> None:
    _encode_name(rr.name, out, offsets)
    out += struct.pack("!HHI", rr.rtype, rr.rclass, rr.ttl & 0xFFFFFFFF)
    if rr.rtype == TYPE_A:
        rdata = bytes(int(x) for x in str(rr.data).split("."))
        out += struct.pack("!H", len(rdata)) + rdata
    elif rr.rtype in (TYPE_PTR, TYPE_CNAME, TYPE_NS):
        len_pos = len(out)
        out += b"\0\0"
        _encode_name(str(rr.data), out, offsets)
        struct.pack_into("!H", out, len_pos, len(out) - len_pos - 2)
    else:
        rdata = bytes(rr.data or b"")
        out += struct.pack("!H", len(rdata)) + rdata


def encode_message(msg: DnsMessage) -> bytes:
    out = bytearray(_HEADER.pack(msg.id & 0xFFFF, msg.flags, len(msg.questions), len(msg.answers),
                                 len(msg.authority), len(msg.additional)))
    offsets: dict[str, int] = {}
    for q in msg.questions:
        _encode_name(q.name, out, offsets)
        out += struct.pack("!HH", q.qtype, q.qclass)
    for rr in (*msg.answers, *msg.authority, *msg.additional):
        _encode_rr(rr, out, offsets)
    return bytes(out)


def decode_message(data: bytes) -> DnsMessage:
    """Parse DNS bytes; raises DnsFormatError (only) on malformed input."""
    if len(data) < _HEADER.size:
        raise DnsFormatError("shorter than a header")
    ident, flags, qd, an, ns, ar = _HEADER.unpack_from(data, 0)
    msg = DnsMessage(id=ident, qr=bool(flags & 0x8000), opcode=(flags >> 11) & 0xF,
                     aa=bool(flags & 0x0400), tc=bool(flags & 0x0200), rd=bool(flags & 0x0100),
                     ra=bool(flags & 0x0080), rcode=flags & 0xF)
    pos = _HEADER.size
    for _ in range(qd):
        name, pos = _decode_name(data, pos)
        if pos + 4 > len(data):
            raise DnsFormatError("truncated question")
        qtype, qclass = struct.unpack_from("!HH", data, pos)
        pos += 4
        msg.questions.append(Question(name, qtype, qclass))
    for count, section in ((an, msg.answers), (ns, msg.authority), (ar, msg.additional)):
        for _ in range(count):
            name, pos = _decode_name(data, pos)
            if pos + 10 > len(data):
                raise DnsFormatError("truncated resource record")
            rtype, rclass, ttl, rdlen = struct.unpack_from("!HHIH", data, pos)
            pos += 10
            if pos + rdlen > len(data):
                raise DnsFormatError("rdata runs past the end")
            rdata = data[pos:pos + rdlen]
            value: Any
            if rtype == TYPE_A:
                if rdlen != 4:
                    raise DnsFormatError("A record rdata is not 4 bytes")
                value = ".".join(str(b) for b in rdata)
            elif rtype in (TYPE_PTR, TYPE_CNAME, TYPE_NS):
                value, _ = _decode_name(data, pos)
            else:
                value = bytes(rdata)
            pos += rdlen
            section.append(ResourceRecord(name, rtype, rclass, ttl, value))
    return msg


def make_query(ident: int, name: str, qtype: int = TYPE_A) -> bytes:
    return encode_message(
        DnsMessage(id=ident, rd=True, questions=[Question(normalise_name(name), qtype)])
    )


# -- zone and server ---------------------------------------------------------------------------
class DnsZone:
    """Records served by a DNS server: A records by name, PTR records by reverse name."""

    def __init__(self, ttl: int = 300) -> None:
        self.ttl = ttl
        self._a: dict[str, list[str]] = {}
        self._ptr: dict[str, list[str]] = {}

    def add_record(self, name: str, ip: str, *, reverse: bool = True) -> None:
        """Register ``name -> ip`` (A) and, unless ``reverse=False``, ``ip -> name`` (PTR)."""
        if not valid_hostname(name):
            raise ConfigError(
                "dns.name",
                f"expected a host name (labels of 1-63 characters, 253 in all), got {name!r}",
            )
        ip = check_ip(ip, "dns.ip")
        n = normalise_name(name)
        addrs = self._a.setdefault(n, [])
        if ip not in addrs:
            addrs.append(ip)
        if reverse:
            names = self._ptr.setdefault(reverse_name(ip), [])
            if n not in names:
                names.append(n)

    def add_ptr(self, ip: str, name: str) -> None:
        ip = check_ip(ip, "dns.ip")
        if not valid_hostname(name):
            raise ConfigError("dns.name", f"expected a host name, got {name!r}")
        names = self._ptr.setdefault(reverse_name(ip), [])
        if normalise_name(name) not in names:
            names.append(normalise_name(name))

    def remove(self, name: str) -> None:
        n = normalise_name(name)
        for ip in self._a.pop(n, []):
            names = self._ptr.get(reverse_name(ip), [])
            if n in names:
                names.remove(n)
            if not names:
                self._ptr.pop(reverse_name(ip), None)

    def lookup_a(self, name: str) -> list[str] | None:
        return self._a.get(normalise_name(name))

    def lookup_ptr(self, rname: str) -> list[str] | None:
        return self._ptr.get(normalise_name(rname))

    def has_name(self, name: str) -> bool:
        n = normalise_name(name)
        return n in self._a or n in self._ptr

    def names(self) -> list[str]:
        return sorted(self._a)


DNS_FAULTS = (None, "nxdomain", "servfail", "refused", "silence")


class DnsServerEngine:
    """Sans-IO authoritative/recursive-looking server for one zone."""

    def __init__(self, zone: DnsZone) -> None:
        self.zone = zone
        self.fault: str | None = None
        self.queries = 0

    def set_fault(self, fault: str | None) -> None:
        if fault not in DNS_FAULTS:
            raise ConfigError(
                "dns.fault",
                f"expected one of none, nxdomain, servfail, refused, silence; got {fault!r}",
            )
        self.fault = fault

    def handle(self, query: bytes) -> bytes | None:
        """The response to ``query``, or None for no answer. Never raises."""
        self.queries += 1
        if self.fault == "silence":
            return None
        try:
            msg = decode_message(query)
        except DnsFormatError:
            if len(query) >= 2:
                ident = struct.unpack_from("!H", query, 0)[0]
                return encode_message(
                    DnsMessage(id=ident, qr=True, rd=False, ra=True, rcode=FORMERR)
                )
            return None
        if msg.qr:
            return None  # never answer a response
        resp = DnsMessage(
            id=msg.id, qr=True, opcode=msg.opcode, rd=msg.rd, ra=True, questions=msg.questions[:1]
        )
        if msg.opcode != 0:
            resp.rcode = NOTIMP
            return encode_message(resp)
        if len(msg.questions) != 1:
            resp.rcode = FORMERR
            return encode_message(resp)
        if self.fault == "servfail":
            resp.rcode = SERVFAIL
            return encode_message(resp)
        if self.fault == "refused":
            resp.rcode = REFUSED
            return encode_message(resp)
        q = msg.questions[0]
        if self.fault == "nxdomain":
            resp.rcode = NXDOMAIN
            return encode_message(resp)
        resp.aa = True
        if q.qclass != CLASS_IN:
            resp.rcode = REFUSED
        elif q.qtype == TYPE_A and self.zone.lookup_a(q.name):
            resp.answers = [
                ResourceRecord(q.name, TYPE_A, CLASS_IN, self.zone.ttl, ip)
                for ip in self.zone.lookup_a(q.name) or []
            ]
        elif q.qtype == TYPE_PTR and self.zone.lookup_ptr(q.name):
            resp.answers = [
                ResourceRecord(q.name, TYPE_PTR, CLASS_IN, self.zone.ttl, n)
                for n in self.zone.lookup_ptr(q.name) or []
            ]
        elif not self.zone.has_name(q.name):
            resp.rcode = NXDOMAIN
        # else: the name exists without this type -> NOERROR with no answers (NODATA)
        try:
            return encode_message(resp)
        except (DnsFormatError, ValueError, struct.error):
            resp.answers = []
            resp.rcode = SERVFAIL
            return encode_message(resp)


class DnsServer:
    """The engine on UDP port ``port`` of ``host``; ``delay`` models lookup time."""

    def __init__(
        self, host: Any, zone: DnsZone, *, port: int = DNS_PORT, delay: float = 0.0
    ) -> None:
        self.host = host
        self.engine = DnsServerEngine(zone)
        self.delay = parse_duration(delay, "dns.delay")
        self.socket = host.udp_bind(port, on_datagram=self._on_query)

    @property
    def fault(self) -> str | None:
        return self.engine.fault

    @fault.setter
    def fault(self, value: str | None) -> None:
        self.engine.set_fault(value)

    def _on_query(self, sock: Any, data: bytes, addr: tuple[str, int]) -> None:
        resp = self.engine.handle(data)
        self.host.sim.record(
            self.host.name,
            "dns",
            event="query",
            client=f"{addr[0]}:{addr[1]}",
            answered=resp is not None,
            fault=self.engine.fault,
        )
        if resp is None:
            return
        if self.delay > 0:
            self.host.sim.call_later(self.delay, self._reply, resp, addr)
        else:
            self._reply(resp, addr)

    def _reply(self, resp: bytes, addr: tuple[str, int]) -> None:
        if not self.socket.closed:
            self.socket.sendto(resp, addr)


# -- resolver -----------------------------------------------------------------------------------
@dataclass
class DnsResolverConfig:
    """glibc-like defaults (resolv.conf: timeout 5 s, attempts 2): each attempt asks every
    server in turn; ``rotate`` starts each new query at the next server."""

    timeout: Any = 5.0
    attempts: int = 2
    rotate: bool = False

    def __post_init__(self) -> None:
        self.timeout = parse_duration(self.timeout, "dns.timeout", allow_zero=False)
        if (
            isinstance(self.attempts, bool)
            or not isinstance(self.attempts, int)
            or not 1 <= self.attempts <= 10
        ):
            raise ConfigError(
                "dns.attempts", f"expected an integer between 1 and 10, got {self.attempts!r}"
            )
        if not isinstance(self.rotate, bool):
            raise ConfigError("dns.rotate", f"expected true or false, got {self.rotate!r}")


@dataclass
class DnsResult:
    """``addresses`` for A lookups, ``names`` for PTR lookups, or ``error`` one of
    ``nxdomain``, ``servfail``, ``refused``, ``timeout``, ``no_network``, ``no_server``,
    ``invalid_name``, ``nodata`` (the name exists without an address)."""

    query: str
    qtype: int
    addresses: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    error: str | None = None
    server: str | None = None
    tries: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


class DnsQuery:
    """One resolution in progress; ``event`` (SimPy) succeeds with the ``DnsResult``."""

    def __init__(
        self,
        resolver: DnsResolver,
        name: str,
        qtype: int,
        on_result: Callable[[DnsResult], None] | None,
    ) -> None:
        self.resolver = resolver
        self.name = name
        self.qtype = qtype
        self.on_result = on_result
        self.event = resolver.host.sim.event()
        self.result: DnsResult | None = None
        self.ident = 0
        self.tries = 0
        self.plan: list[str] = []
        self.server: str | None = None
        self.sock: Any = None
        self.timer: Any = None
        self.last_error: str | None = None

    @property
    def done(self) -> bool:
        return self.result is not None


class DnsResolver:
    """Stub resolver of a host: ``resolve(name, on_result)`` and ``reverse(ip, on_result)``."""

    def __init__(self, host: Any, config: DnsResolverConfig | None = None) -> None:
        self.host = host
        self.config = config if config is not None else DnsResolverConfig()
        self._id_rng = host.sim.rng(f"dns.{host.name}.id")
        self._rotation = 0
        self._active: list[DnsQuery] = []
        self.servers_override: list[str] | None = None  # e.g. AT-configured DNS servers

    @property
    def servers(self) -> list[str]:
        return list(
            self.servers_override if self.servers_override is not None else self.host.dns_servers
        )

    def set_servers(self, servers: list[str] | None) -> None:
        self.servers_override = (
            None
            if servers is None
            else [check_ip(s, f"dns.servers[{i}]") for i, s in enumerate(servers)]
        )

    def resolve(self, name: str, on_result: Callable[[DnsResult], None] | None = None) -> DnsQuery:
        """Look up A records of ``name``. A dotted-quad literal resolves to itself at once."""
        q = DnsQuery(self, name if isinstance(name, str) else repr(name), TYPE_A, on_result)
        if isinstance(name, str) and is_valid_ip(name.strip()):
            self._finish_later(q, DnsResult(name, TYPE_A, addresses=[name.strip()]))
            return q
        if not valid_hostname(name):
            self._finish_later(q, DnsResult(q.name, TYPE_A, error="invalid_name"))
            return q
        self._start(q)
        return q

    def reverse(self, ip: str, on_result: Callable[[DnsResult], None] | None = None) -> DnsQuery:
        """Look up the PTR name of ``ip``."""
        q = DnsQuery(self, ip if isinstance(ip, str) else repr(ip), TYPE_PTR, on_result)
        if not is_valid_ip(ip):
            self._finish_later(q, DnsResult(q.name, TYPE_PTR, error="invalid_name"))
            return q
        q.name = ip
        self._start(q)
        return q

    # -- internals ------------------------------------------------------------------------------
    def _qname(self, q: DnsQuery) -> str:
        return reverse_name(q.name) if q.qtype == TYPE_PTR else normalise_name(q.name)

    def _start(self, q: DnsQuery) -> None:
        if self.host.ip is None:
            self._finish_later(q, DnsResult(q.name, q.qtype, error="no_network"))
            return
        servers = self.servers
        if not servers:
            self._finish_later(q, DnsResult(q.name, q.qtype, error="no_server"))
            return
        if self.config.rotate:
            k = self._rotation % len(servers)
            servers = servers[k:] + servers[:k]
            self._rotation += 1
        q.plan = servers * self.config.attempts
        self._active.append(q)
        self._next_try(q)

    def _next_try(self, q: DnsQuery) -> None:
        if q.sock is not None:
            q.sock.close()
            q.sock = None
        if q.tries >= len(q.plan):
            error = q.last_error or "timeout"
            self._finish(q, DnsResult(q.name, q.qtype, error=error, server=q.server, tries=q.tries))
            return
        if self.host.ip is None:
            self._finish(q, DnsResult(q.name, q.qtype, error="no_network", tries=q.tries))
            return
        server = q.plan[q.tries]
        q.tries += 1
        q.server = server
        q.ident = self._id_rng.randrange(0x10000)
        q.sock = self.host.udp_bind(
            0,
            on_datagram=lambda s, d, a, q=q: self._on_response(q, d, a),
            on_error=lambda s, kind, a, q=q: self._on_error(q, kind),
        )
        q.sock.sendto(make_query(q.ident, self._qname(q), q.qtype), (server, DNS_PORT))
        q.timer = self.host.sim.call_later(self.config.timeout, self._on_timeout, q, q.tries)

    def _on_timeout(self, q: DnsQuery, try_no: int) -> None:
        if q.done or q.tries != try_no:
            return
        if q.last_error is None:
            q.last_error = "timeout"
        self._next_try(q)

    def _on_error(self, q: DnsQuery, kind: str) -> None:
        if q.done:
            return
        if kind in ("network_down", "local"):
            self._finish(q, DnsResult(q.name, q.qtype, error="no_network", tries=q.tries))
            return
        # ICMP unreachable: this server is not answering; try the next one now
        if q.timer is not None:
            q.timer.cancel()
        q.last_error = q.last_error or "timeout"
        self._next_try(q)

    def _on_response(self, q: DnsQuery, data: bytes, addr: tuple[str, int]) -> None:
        if q.done or addr != (q.server, DNS_PORT):
            return
        try:
            msg = decode_message(data)
        except DnsFormatError:
            return  # garbage: keep waiting (the timer still runs)
        if not msg.qr or msg.id != q.ident:
            return
        if not msg.questions or normalise_name(msg.questions[0].name) != self._qname(q):
            return
        if q.timer is not None:
            q.timer.cancel()
        if msg.rcode == NXDOMAIN:
            self._finish(
                q, DnsResult(q.name, q.qtype, error="nxdomain", server=q.server, tries=q.tries)
            )
            return
        if msg.rcode != NOERROR:
            q.last_error = {SERVFAIL: "servfail", REFUSED: "refused"}.get(msg.rcode, "servfail")
            self._next_try(q)  # glibc moves on to the next server after SERVFAIL/REFUSED
            return
        if q.qtype == TYPE_A:
            addrs = [rr.data for rr in msg.answers if rr.rtype == TYPE_A]
            res = DnsResult(
                q.name,
                q.qtype,
                addresses=addrs,
                server=q.server,
                tries=q.tries,
                error=None if addrs else "nodata",
            )
        else:
            names = [rr.data for rr in msg.answers if rr.rtype == TYPE_PTR]
            res = DnsResult(
                q.name,
                q.qtype,
                names=names,
                addresses=[q.name],
                server=q.server,
                tries=q.tries,
                error=None if names else "nodata",
            )
        self._finish(q, res)

    def _finish_later(self, q: DnsQuery, result: DnsResult) -> None:
        # results are always asynchronous, so callers can attach callbacks after the call
        self.host.sim.call_later(0.0, self._finish, q, result)

    def _finish(self, q: DnsQuery, result: DnsResult) -> None:
        if q.done:
            return
        q.result = result
        if q.timer is not None:
            q.timer.cancel()
        if q.sock is not None:
            q.sock.close()
            q.sock = None
        if q in self._active:
            self._active.remove(q)
        self.host.sim.record(
            self.host.name,
            "dns",
            event="result",
            query=q.name,
            qtype="PTR" if q.qtype == TYPE_PTR else "A",
            addresses=result.addresses,
            names=result.names,
            error=result.error,
            tries=result.tries,
        )
        if not q.event.triggered:
            q.event.succeed(result)
        if q.on_result is not None:
            q.on_result(result)

    def network_down(self) -> None:
        for q in list(self._active):
            self._finish(q, DnsResult(q.name, q.qtype, error="no_network", tries=q.tries))
