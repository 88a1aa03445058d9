"""Scenario steps for a host that dials up and uses IP itself (``DTE.dial`` / ``PppHost``).

A gateway running pppd: ``dial`` (ATD, then PPP with credentials), then sockets of the DTE's
own IP stack over the link - ``tcp_open``, ``socket_send``, ``socket_expect``, ``ping`` - and
``hangup`` (LCP Terminate, NO CARRIER). Validation (``validate_ip_step``) and execution
(``IpSteps.run``) live here, next to each other; schema and runner call in.

Step forms::

    - dial: {number: "*99#", username: u, password: p, auth: pap, apn: internet, outcome: ok}
      within: 60s
    - tcp_open: {socket: s1, host: echo.example.net, port: 7}      # or ip: 203.0.113.10
    - socket_send: {socket: s1, data: "HELLO"}                     # or bytes: 102400
    - socket_expect: {socket: s1, data: "HELLO"}                   # or bytes: N, or closed: reason
      within: 30s
    - ping: {host: echo.example.net, outcome: ok}
    - hangup: {}

``bytes: N`` sends N bytes of a fixed pattern (byte i is (i * 7 + i // 251) mod 256); on
``socket_expect`` it waits for N bytes and checks they are that pattern (an echo returned
every byte intact).
"""

from __future__ import annotations

import io
from typing import Any

from simnet.errors import ExpectTimeout

IP_STEP_KINDS = ("dial", "tcp_open", "socket_send", "socket_expect", "ping", "hangup")
IP_WITHIN_KINDS = ("dial", "tcp_open", "socket_expect", "ping", "hangup")
DIAL_OUTCOMES = (
    "ok",
    "no_carrier",
    "busy",
    "no_answer",
    "auth_failed",
    "peer_terminated",
    "lcp_timeout",
    "lcp_failed",
    "ipcp_failed",
    "ipcp_timeout",
    "auth_timeout",
    "cancelled",
    "network_lost",
)
CLOSE_REASONS = (
    "network_down",
    "peer_closed",
    "reset",
    "timeout",
    "refused",
    "local",
    "keepalive",
    "any",
)
# The keys of each IP step (also the source of `simnet schema`).
IP_STEP_KEYS = {
    "dial": ("number", "username", "password", "auth", "apn", "outcome"),
    "tcp_open": ("socket", "host", "ip", "port"),
    "socket_send": ("socket", "data", "bytes"),
    "socket_expect": ("socket", "data", "bytes", "closed"),
    "ping": ("host", "ip", "outcome", "size"),
    "hangup": (),
}
IP_STEP_REQUIRED = {
    "tcp_open": ("socket", "port"),
    "socket_send": ("socket",),
    "socket_expect": ("socket",),
}
PCAP_CHECK_KEYS = ("pcap", "contains", "both_directions")
MAX_PATTERN_BYTES = 64 * 1024 * 1024
# Default bound of a dial step: long enough for every RFC 1661 / TS 24.008 timer to run out
# (LCP 10 x 3 s, authentication 30 s, five T3380 expiries of 30 s on the network side).
DIAL_WITHIN = 200.0


# The pattern repeats every 256 x 251 bytes (7 x 64,256 and 64,256 div 251 = 256 are both
# multiples of 256): one period is built once and sliced.
_PERIOD_LEN = 256 * 251
_PERIOD = bytes(((i * 7) + i // 251) & 0xFF for i in range(_PERIOD_LEN))


def pattern_bytes(n: int, start: int = 0) -> bytes:
    """Bytes start..start+n of the step pattern: byte i is (7i + i div 251) mod 256."""
    offset = start % _PERIOD_LEN
    reps = (offset + n) // _PERIOD_LEN + 1
    return (_PERIOD * reps)[offset : offset + n] if reps > 1 else _PERIOD[offset : offset + n]


def validate_ip_step(
    v: Any, path: tuple[Any, ...], kind: str, raw: Any, sc: Any
) -> dict[str, Any] | None:
    """Check one IP step's mapping with the schema validator ``v``; the params or None."""
    allowed = IP_STEP_KEYS[kind]
    required = IP_STEP_REQUIRED.get(kind, ())
    m = v.mapping(path, raw if raw is not None else {}, allowed, required=required)
    if m is None:
        return None
    params: dict[str, Any] = {}
    for key in ("number", "username", "password", "apn", "socket", "data"):
        if key in m:
            params[key] = v.string(
                (*path, key), m[key], what="text", allow_empty=key in ("username", "password")
            )
    if "auth" in m:
        params["auth"] = v.choice((*path, "auth"), m["auth"], ("any", "pap", "chap", "none"))
    if "outcome" in m:
        outcomes = (
            DIAL_OUTCOMES if kind == "dial" else ("ok", "timeout", "host_unreachable", "no_network")
        )
        params["outcome"] = v.choice((*path, "outcome"), m["outcome"], outcomes)
    if "port" in m:
        params["port"] = v.integer((*path, "port"), m["port"], 1, 65535, what="a port")
    if "size" in m:
        params["size"] = v.integer((*path, "size"), m["size"], 0, 65507, what="a payload size")
    if "bytes" in m:
        params["bytes"] = v.integer(
            (*path, "bytes"), m["bytes"], 1, MAX_PATTERN_BYTES, what="a byte count"
        )
    if "closed" in m:
        params["closed"] = v.choice((*path, "closed"), m["closed"], CLOSE_REASONS)
    if "host" in m:
        params["host"] = v._host_ref((*path, "host"), m["host"], sc)
    if "ip" in m:
        from simnet.net.addr import check_ip

        try:
            params["ip"] = check_ip(m["ip"], "ip")
        except Exception:
            v.err((*path, "ip"), f"got {m['ip']!r} (expected an IPv4 address such as 203.0.113.10)")
    if kind in ("tcp_open", "ping") and "host" not in m and "ip" not in m:
        v.err(path, "no destination (expected host: NAME or ip: ADDRESS)")
    if kind == "socket_send" and ("data" in m) == ("bytes" in m):
        v.err(path, "expected exactly one of data:, bytes:")
    if kind == "socket_expect" and sum(k in m for k in ("data", "bytes", "closed")) != 1:
        v.err(path, "expected exactly one of data:, bytes:, closed:")
    return params


class IpSteps:
    """Runs the IP steps of one scenario run; keeps the dialled host and named sockets."""

    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self.host: Any = None
        self.sockets: dict[str, Any] = {}
        self.received: dict[str, bytearray] = {}
        self.sent: dict[str, int] = {}

    def _address(self, p: dict[str, Any]) -> str:
        if p.get("ip"):
            return str(p["ip"])
        return str(self.sim.world.hosts[p["host"]].host.ip)

    def run(self, kind: str, p: dict[str, Any], within: float) -> tuple[bool, str]:
        """(passed, detail) of one step."""
        handler = getattr(self, f"_{kind}")
        return handler(p, within)

    def _need_host(self) -> Any:
        if self.host is None or not self.host.up:
            return None
        return self.host

    def _dial(self, p: dict[str, Any], within: float) -> tuple[bool, str]:
        host = self.sim.dte.dial(
            p.get("number") or "*99#",
            username=p.get("username") or "",
            password=p.get("password") or "",
            auth=p.get("auth") or "any",
            apn=p.get("apn"),
            timeout=within,
            check=False,
        )
        self.host = host
        outcome = host.outcome
        want = p.get("outcome") or "ok"
        kind = str(outcome.kind) if outcome is not None else "none"
        # A failed negotiation's outcome may come later than the first Result (e.g. the module
        # terminates after the PDP reject): take the end of the link when there is one.
        if kind == "ok" and host.ended is not None:
            kind = str(host.ended.kind)
        if kind == "ok":
            detail = f"link up: {host.ip}, DNS {', '.join(host.dns_servers) or 'none'}"
        else:
            detail = f"dial-up ended {kind}" + (
                f" ({outcome.detail})" if outcome is not None and outcome.detail else ""
            )
        return kind == want, detail if kind == want else f"{detail}; expected {want}"

    def _tcp_open(self, p: dict[str, Any], within: float) -> tuple[bool, str]:
        host = self._need_host()
        if host is None:
            return False, "no dial-up link (a dial: step must come first and succeed)"
        ip, port, name = self._address(p), p["port"], p["socket"]
        sock = host.tcp_connect(ip, port, timeout=None)  # the step waits, within its own bound
        buf = self.received.setdefault(name, bytearray())
        buf.clear()
        self.sent[name] = 0
        sock.on_data = lambda s, *_: buf.extend(s.recv())
        self.sockets[name] = sock
        self.sim.run_until(lambda: sock.state != "SYN_SENT", within)
        if sock.state != "ESTABLISHED":
            return False, f"TCP to {ip}:{port}: {sock.close_reason or sock.state}"
        return True, f"TCP {sock.local[0]}:{sock.local[1]} -> {ip}:{port} established"

    def _socket(self, p: dict[str, Any]) -> Any:
        return self.sockets.get(p["socket"])

    def _socket_send(self, p: dict[str, Any], within: float) -> tuple[bool, str]:
        sock = self._socket(p)
        if sock is None:
            return False, f"no socket {p['socket']!r} (open it with tcp_open: first)"
        name = p["socket"]
        data = (
            p["data"].encode("latin-1", "replace")
            if "data" in p
            else pattern_bytes(p["bytes"], self.sent[name])
        )
        offset = [0]

        def pump(*_: Any) -> None:
            while offset[0] < len(data) and sock.state in ("ESTABLISHED", "CLOSE_WAIT"):
                n = sock.send(data[offset[0] : offset[0] + 8192])
                if n <= 0:
                    return
                offset[0] += n

        sock.on_writable = pump
        sock.on_acked = pump
        pump()
        self.sent[name] += len(data)
        return True, f"queued {len(data)} bytes"

    def _socket_expect(self, p: dict[str, Any], within: float) -> tuple[bool, str]:
        sock = self._socket(p)
        if sock is None:
            return False, f"no socket {p['socket']!r} (open it with tcp_open: first)"
        buf = self.received[p["socket"]]
        if "closed" in p:
            want = p["closed"]
            self.sim.run_until(lambda: sock.close_reason is not None, within)
            reason = sock.close_reason
            ok = reason is not None and (want == "any" or reason == want)
            return ok, f"closed: {reason}" if reason else f"still {sock.state} after {within:g} s"
        want_bytes = (
            p["data"].encode("latin-1", "replace") if "data" in p else pattern_bytes(p["bytes"])
        )
        self.sim.run_until(
            lambda: len(buf) >= len(want_bytes) or sock.close_reason is not None, within
        )
        if len(buf) < len(want_bytes):
            return False, f"{len(buf)} of {len(want_bytes)} bytes within {within:g} s" + (
                f" (socket closed: {sock.close_reason})" if sock.close_reason else ""
            )
        got = bytes(buf[: len(want_bytes)])
        del buf[: len(want_bytes)]
        if got != want_bytes:
            first = next(i for i, (a, b) in enumerate(zip(got, want_bytes, strict=True)) if a != b)
            return False, f"{len(want_bytes)} bytes received, first difference at byte {first}"
        return True, f"{len(want_bytes)} bytes received intact"

    def _ping(self, p: dict[str, Any], within: float) -> tuple[bool, str]:
        host = self._need_host()
        if host is None:
            return False, "no dial-up link (a dial: step must come first and succeed)"
        req = host.ping(
            self._address(p),
            size=p.get("size", 32),
            timeout=min(within, 4.0) if within > 0 else 4.0,
        )
        self.sim.run_until(lambda: req.event.triggered, within)
        res = req.result
        kind = "ok" if res is not None and res.ok else (res.error if res is not None else "timeout")
        want = p.get("outcome") or "ok"
        detail = (
            f"reply in {res.rtt * 1000:.0f} ms, TTL {res.ttl}" if kind == "ok" else f"ping: {kind}"
        )
        return kind == want, detail

    def _hangup(self, p: dict[str, Any], within: float) -> tuple[bool, str]:
        host = self.host
        if host is None:
            return False, "nothing to hang up"
        try:
            host.hangup(timeout=within)
        except ExpectTimeout as exc:
            return False, f"no {exc.pattern} within {within:g} s"
        return True, "link terminated, NO CARRIER"


__all__ = [
    "DIAL_WITHIN",
    "IP_STEP_KINDS",
    "IP_WITHIN_KINDS",
    "IpSteps",
    "pattern_bytes",
    "validate_ip_step",
]


# -- the PPP capture check -----------------------------------------------------------------------
PPP_PROTOCOLS = {"LCP": 0xC021, "PAP": 0xC023, "CHAP": 0xC223, "IPCP": 0x8021, "IP": 0x0021}


def validate_pcap_check(
    v: Any, path: tuple[Any, ...], raw: dict[str, Any]
) -> dict[str, Any] | None:
    """``{pcap: ppp, contains: [LCP, CHAP, IPCP, IP], both_directions: true}``."""
    m = v.mapping(path, raw, PCAP_CHECK_KEYS, required=("pcap",))
    if m is None:
        return None
    params: dict[str, Any] = {"pcap": v.choice((*path, "pcap"), m["pcap"], ("ppp",))}
    contains = m.get("contains", [])
    if not isinstance(contains, list) or not contains:
        v.err((*path, "contains"), f"got {contains!r} (expected a list such as [LCP, IPCP, IP])")
    else:
        params["contains"] = [
            v.choice((*path, "contains", i), c, tuple(PPP_PROTOCOLS))
            for i, c in enumerate(contains)
        ]
    if "both_directions" in m:
        if not isinstance(m["both_directions"], bool):
            v.err(
                (*path, "both_directions"), f"got {m['both_directions']!r} (expected true or false)"
            )
        params["both_directions"] = m["both_directions"]
    return params


class _KeptBytes(io.BytesIO):
    """A binary file whose content stays readable (``kept``) after its writer closes it."""

    kept = b""

    def close(self) -> None:
        if not self.closed:
            self.kept = self.getvalue()
        super().close()


def check_ppp_pcap(sim: Any, params: dict[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    """Write the run's PPP capture as a LINKTYPE_PPP pcap, read it back with scapy (a decoder
    nobody here wrote) and check which protocols it holds, and in which directions."""
    from scapy.config import conf
    from scapy.layers.ppp import PPP
    from scapy.utils import RawPcapReader

    capture = sim.bearer.ppp_capture
    protocols: list[int | None] = []  # each frame's PPP protocol number as scapy reads it
    pcap = _KeptBytes()  # the file's bytes in memory: no temporary file to write and unlink
    if capture.write(pcap):
        # scapy reads the file and decodes each frame's PPP header (what is checked): not the
        # IP and TCP inside, and each distinct header once - the header is the frame's first
        # 4 bytes at most (address, control, a 1- or 2-byte protocol), the rest cannot change
        # what scapy reads there. Dissecting every frame whole was most of a dial-up scenario.
        source: Any = io.BytesIO(pcap.kept)  # scapy reads file objects too (typed as str)
        with RawPcapReader(source) as reader:
            layer: Any = conf.l2types.get(reader.linktype, conf.raw_layer)
            decoded: dict[bytes, int | None] = {}
            for raw, _meta in reader:
                head = raw[:4]
                if head not in decoded:
                    pkt = layer(raw, stop_dissection_after=PPP)
                    decoded[head] = pkt[PPP].proto if PPP in pkt else None
                protocols.append(decoded[head])
    seen = {name: [0, 0] for name in PPP_PROTOCOLS}  # [module -> host, host -> module]
    numbers = {num: name for name, num in PPP_PROTOCOLS.items()}
    for proto, frame in zip(protocols, capture.frames, strict=True):
        name = numbers.get(proto) if proto is not None else None
        if name is not None:
            seen[name][1 if frame.received else 0] += 1
    actual = {name: {"to_host": a, "from_host": b} for name, (a, b) in seen.items() if a or b}
    problems = []
    for name in params.get("contains", []):
        to_host, from_host = seen[name]
        if not to_host and not from_host:
            problems.append(f"no {name} frame")
        elif params.get("both_directions") and not (to_host and from_host):
            problems.append(f"{name} only {'towards' if to_host else 'from'} the host")
    detail = (
        "; ".join(problems)
        if problems
        else f"{len(protocols)} frames: "
        + ", ".join(f"{n} {d['to_host']}+{d['from_host']}" for n, d in actual.items())
    )
    return not problems, detail, actual


__all__ += ["PPP_PROTOCOLS", "check_ppp_pcap", "validate_pcap_check"]
