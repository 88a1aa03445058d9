"""Invariants (oracles) of chaos runs: what must hold whatever the fault storm did.

Installed when the world is built (before anything happens), evaluated after the workload:

- ``integrity`` - no byte lost, duplicated, reordered or corrupted on a TCP stream without an
  error reported to the host at the AT level. :class:`simnet.modem.ledger.SocketLedger` reads
  what the host handed to each socket and what the module told it off the UART
  (``Uart.observe``); each server keeps what every connection carried
  (``Service.record_streams``). The peer's bytes must be a
  prefix of the host's accepted bytes; the host's received bytes a prefix of what the peer
  sent; and when the module never reported an error for a link (it is still open, or the host
  closed it and was told the close succeeded), the peer must have every byte the host was told
  was sent. Host programs add their own claims (``sim.claims``: a stream, a file on an FTP
  server), checked against the peers the same way.
- ``responsive`` - after the storm and ``grace``, the module answers ``AT`` with ``OK`` (the
  probe first leaves a data prompt or online data mode the way a driver would).
- ``no-errors`` - no Python exception anywhere: no ``handler_error``/``callback_error``/...
  record, no fault that could not be applied, no internal error, no exception out of a host
  program other than it giving up waiting (``ExpectTimeout``).
- ``bounded`` - every bounded buffer of the model within its bound (UART, the module's input and
  URC queues, TCP send/receive buffers, the carrier NAT's mappings, servers' output queues).
- ``completes`` (opt-in) - the workload finished: every step passed (or the program returned
  true) and the scenario's ordinary checks held.

Checks marked ``always: true`` are invariants too. A scenario with a ``chaos:`` block is judged
by its invariants: its steps are the workload, which a fault storm may legitimately break.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simnet.kernel.trace import TraceRecord
from simnet.modem.ledger import Session, SocketLedger
from simnet.scenario.model import ChaosSpec

if TYPE_CHECKING:
    from simnet.scenario.world import World

MODEL_ERROR_KINDS = frozenset(
    {"handler_error", "callback_error", "process_error", "internal_error"}
)
LEDGER_KINDS = frozenset({"prompt", "prompt_end", "reboot"})  # what _on_record reads
SETTLE_STEP = 5.0  # virtual seconds between looks while data in flight settles
# Virtual seconds between looks at the buffers until the probe (a leak persists).
CENSUS_PERIOD = 5.0
MAX_SHOWN = 24  # bytes of a mismatch shown in a message


@dataclass
class InvariantResult:
    name: str
    passed: bool
    detail: str
    problems: list[str] = field(default_factory=list)


# -- host programs' claims ---------------------------------------------------------------------
@dataclass
class StreamClaim:
    host: str
    port: int
    data: bytes
    what: str
    t: float


@dataclass
class FileClaim:
    host: str
    path: str
    data: bytes
    what: str
    t: float


@dataclass
class MailClaim:
    host: str
    mailbox: str
    subject: str
    body: str
    what: str
    t: float


class Claims:
    """What a host program believes it achieved, for the integrity invariant to verify against
    the peers (``sim.claims``). A correct program claims only what it was told happened."""

    def __init__(self, sim: Any) -> None:
        self._sim = sim
        self.streams: list[StreamClaim] = []
        self.files: list[FileClaim] = []
        self.mails: list[MailClaim] = []

    def stream(self, host: str, port: int, data: bytes, what: str = "") -> None:
        """The peer ``host``:``port`` received ``data``, in order and contiguous, on one
        connection."""
        self.streams.append(StreamClaim(host, int(port), bytes(data), what, self._sim.now))

    def file(self, host: str, path: str, data: bytes, what: str = "") -> None:
        """The FTP server on ``host`` holds ``path`` with exactly ``data``."""
        self.files.append(FileClaim(host, path, bytes(data), what, self._sim.now))

    def mail(self, host: str, mailbox: str, subject: str, body: str, what: str = "") -> None:
        """The SMTP server on ``host`` accepted for ``mailbox`` a message with exactly this
        subject whose body contains ``body``."""
        self.mails.append(MailClaim(host, mailbox, subject, body, what, self._sim.now))

    def __len__(self) -> int:
        return len(self.streams) + len(self.files) + len(self.mails)


# -- the oracles -------------------------------------------------------------------------------
class Oracles:
    """Watches one world from its first event; ``settle()`` then ``evaluate()`` after the run."""

    def __init__(self, world: World, spec: ChaosSpec) -> None:
        self.world = world
        self.spec = spec
        sim = world.sim
        module = world.module
        vendor = getattr(getattr(module, "profile", None), "vendor", "") or ""
        self.ledger = SocketLedger(vendor)
        self.model_errors: list[str] = []
        self.over_bound: dict[str, tuple[int, int, float]] = {}  # buffer -> worst (size, bound, t)
        self.probe: tuple[bool, str] | None = None
        self._module_source = getattr(module, "name", "modem")
        for entry in world.hosts.values():
            for _spec, svc in entry.services:
                if getattr(svc, "transport", "") == "tcp":
                    svc.record_streams()
        uart = getattr(module, "uart", None)
        if uart is not None and hasattr(uart, "observe"):  # the bytes, whatever the trace keeps
            uart.observe(self._on_uart)
        # only the kinds _on_record looks at: other records (packets above all) stay cheap
        sim.trace.add_sink(self._on_record, LEDGER_KINDS | MODEL_ERROR_KINDS)
        if "bounded" in spec.invariants:
            sim.call_later(0.0, self._census_tick)

    def _census_tick(self) -> None:
        self.take_census()
        if self.world.sim.now + CENSUS_PERIOD <= self.storm_end + self.spec.grace:
            self.world.sim.call_later(CENSUS_PERIOD, self._census_tick)

    def take_census(self) -> None:
        t = self.world.sim.now
        for name, size, bound in buffer_census(self.world):
            worst = self.over_bound.get(name)
            if worst is None or size > worst[0]:
                self.over_bound[name] = (size, bound, t)

    def _on_uart(self, kind: str, chunk: bytes) -> None:
        if kind == "dte>":
            self.ledger.host_bytes(chunk, self.world.sim.now)
        else:
            self.ledger.module_bytes(chunk, self.world.sim.now)

    def _on_record(self, rec: TraceRecord) -> None:
        kind = rec.kind
        if rec.source == self._module_source:
            if kind == "prompt":
                self.ledger.prompt_opened(rec.t)
            elif kind == "prompt_end":
                self.ledger.prompt_closed(
                    str(rec.fields.get("reason", "")), int(rec.fields.get("n", 0)), rec.t
                )
            elif kind == "reboot":
                self.ledger.restarted(rec.t)
        if kind in MODEL_ERROR_KINDS:
            where = rec.fields.get("command") or rec.fields.get("fn")
            self.model_errors.append(
                f"t={rec.t:.3f} {rec.source} {kind}"
                + (f" in {where}" if where else "")
                + f": {rec.fields.get('error', '?')}"
            )

    @property
    def storm_end(self) -> float:
        """The end of the storm: the chaos window, or the last timed fault's end if later."""
        end = self.spec.storm_end
        for f in self.world.scenario.faults:
            if f.at is not None:
                end = max(end, f.at + float(f.params.get("duration") or 0.0))
        return end

    # -- after the workload ----------------------------------------------------------------------
    def settle(self) -> None:
        """Let the storm pass, probe the module, then give data in flight its time."""
        sim = self.world.sim
        t_probe = self.storm_end + self.spec.grace
        if sim.now < t_probe:
            sim.advance(t_probe - sim.now)
        self.take_census()
        if "responsive" in self.spec.invariants:
            self.probe = probe_module(self.world, self.spec.probe_timeout)
        deadline = sim.now + self.spec.settle
        while sim.now < deadline and self._in_flight():
            if sim.env.peek() == math.inf:
                break  # nothing left to happen: waiting longer changes nothing
            sim.advance(min(SETTLE_STEP, deadline - sim.now))
            self.take_census()
        self.take_census()

    def _in_flight(self) -> bool:
        """A session the host was told is fine, whose peer does not have every byte yet."""
        streams = self._streams()
        used: set[int] = set()
        for s in self.ledger.sessions:
            if s.untracked or not _must_complete(s):
                continue
            rec = self._match(s, streams, used)
            if s.told and (rec is None or rec.rx_total < s.told):
                return True
        return False

    def evaluate(
        self,
        *,
        steps_passed: bool,
        program_error: str | None,
        internal_error: str | None,
        checks: list[Any],
    ) -> list[InvariantResult]:
        out = []
        always = {c.index for c in self.world.scenario.checks if c.always}
        for name in self.spec.invariants:
            if name == "integrity":
                problems = self.integrity()
                note = f" (not followed: {self.ledger.disabled})" if self.ledger.disabled else ""
                out.append(
                    _result(
                        name,
                        problems,
                        f"{len(self.ledger.sessions)} sessions, "
                        f"{len(self.world.claims)} claims{note}",
                    )
                )
            elif name == "responsive":
                ok, detail = self.probe if self.probe is not None else (False, "not probed")
                out.append(InvariantResult(name, ok, detail, [] if ok else [detail]))
            elif name == "no-errors":
                problems = list(self.model_errors) + [
                    f"fault not applied: {e}" for e in self.world.fault_errors
                ]
                if internal_error:
                    problems.append(internal_error)
                if program_error:
                    problems.append(f"host program: {program_error}")
                out.append(_result(name, problems, "no exception"))
            elif name == "bounded":
                over = [
                    f"{buf}: {size} > {bound} at t={t:.3f} s"
                    for buf, (size, bound, t) in self.over_bound.items()
                ]
                out.append(_result(name, over, "every buffer within its bound"))
            elif name == "completes":
                problems = [] if steps_passed else ["the workload did not finish"]
                problems += [
                    f"check {c.index + 1} ({c.kind} {c.host}): {c.detail}"
                    for c in checks
                    if not c.passed and c.index not in always
                ]
                out.append(_result(name, problems, "the workload finished"))
        for c in checks:
            if c.index in always:
                out.append(
                    InvariantResult(
                        f"check {c.index + 1}",
                        c.passed,
                        f"{c.kind} {c.host}: {c.detail}",
                        [] if c.passed else [c.detail],
                    )
                )
        return out

    # -- integrity -------------------------------------------------------------------------------
    def _streams(self) -> dict[str, list[Any]]:
        """Stream records per server address."""
        out: dict[str, list[Any]] = {}
        for entry in self.world.hosts.values():
            for _spec, svc in entry.services:
                if getattr(svc, "streams", None) and entry.spec.ip:
                    out.setdefault(entry.spec.ip, []).extend(svc.streams)
        for records in out.values():
            records.sort(key=lambda r: (r.t_open, r.conn))
        return out

    def _ip(self, host: str) -> str:
        return self.world.host_ip(host) or host

    def _match(self, s: Session, streams: dict[str, list[Any]], used: set[int]) -> Any:
        """The peer's connection of session ``s``: accepted after the host asked to open it,
        carrying a prefix of what the host sent (the first such, in accept order)."""
        expected = bytes(s.accepted) + s.unsent_tail
        candidates = [
            r
            for r in streams.get(self._ip(s.host), ())
            if r.port == s.port
            and id(r) not in used
            and r.t_open >= s.t_command - 1e-9
            and (s.t_end is None or r.t_open <= s.t_end + 1e-9)
        ]
        for r in candidates:
            if expected.startswith(bytes(r.rx)):
                used.add(id(r))
                return r
        if candidates:
            used.add(id(candidates[0]))
            return candidates[0]
        return None

    def integrity(self, *, live: bool = False) -> list[str]:
        """Every integrity problem so far. ``live``: the run goes on (simnet serve --chaos), so
        a link still open may yet deliver what is in flight: only ended links must be complete."""
        problems = [f"the module broke its own protocol: {a}" for a in self.ledger.anomalies]
        streams = self._streams()
        used: set[int] = set()
        for s in self.ledger.sessions:
            if s.untracked:
                continue
            rec = self._match(s, streams, used)
            expected = bytes(s.accepted) + s.unsent_tail
            if rec is None:
                if s.told and _must_complete(s) and not (live and s.open):
                    problems.append(
                        f"{s}: the host was told {s.told} bytes were sent; no connection "
                        f"reached {s.host}:{s.port}, and no error was reported"
                    )
                continue
            got = bytes(rec.rx)
            if rec.rx_total > len(expected) and got.startswith(expected):
                problems.append(
                    f"{s}: the peer received {rec.rx_total} bytes, the host sent "
                    f"{len(expected)} (bytes duplicated)"
                )
            elif not expected.startswith(got):
                k = _first_difference(expected, got)
                problems.append(
                    f"{s}: the peer received {rec.rx_total} bytes that differ from what the "
                    f"host sent at byte {k} (host {_show(expected[k : k + MAX_SHOWN])}, peer "
                    f"{_show(got[k : k + MAX_SHOWN])})"
                )
            elif _must_complete(s) and rec.rx_total < s.told and not (live and s.open):
                state = "still open" if s.open else "closed by the host, close reported successful"
                problems.append(
                    f"{s}: the host was told {s.told} bytes were sent; the peer received "
                    f"{rec.rx_total} ({state}, no error reported)"
                )
            sent = bytes(rec.tx)
            if len(s.received) <= len(sent) or rec.tx_total == len(sent):
                if not sent.startswith(bytes(s.received)):
                    k = _first_difference(sent, bytes(s.received))
                    problems.append(
                        f"{s}: the host received {len(s.received)} bytes that differ from "
                        f"what the peer sent at byte {k} (peer {_show(sent[k : k + MAX_SHOWN])}, "
                        f"host {_show(bytes(s.received)[k : k + MAX_SHOWN])})"
                    )
        problems += self._claims(streams)
        return problems

    def _claims(self, streams: dict[str, list[Any]]) -> list[str]:
        problems = []
        claims = self.world.claims
        for c in claims.streams:
            records = [r for r in streams.get(self._ip(c.host), ()) if r.port == c.port]
            if not any(
                c.data in r.rx or (r.rx_total > len(r.rx) and len(r.rx) >= len(c.data))
                for r in records
            ):
                best = max((r.rx_total for r in records), default=0)
                problems.append(
                    f"the host program claims {len(c.data)} bytes reached {c.host}:{c.port} "
                    f"on one connection{' (' + c.what + ')' if c.what else ''} at t={c.t:.3f}; "
                    f"the most any connection there received is {best}"
                )
        for f in claims.files:
            try:
                files = self.world.host_view(f.host).ftp_files()
            except Exception as exc:  # noqa: BLE001 - a claim about a host without FTP is the claim's fault
                problems.append(f"the host program claims a file on {f.host}: {exc}")
                continue
            data = files.get(
                f.path if f.path.startswith("/") else "/" + f.path
            )  # relative to the root
            if data != f.data:
                have = (
                    "does not exist"
                    if data is None
                    else f"has {len(data)} bytes"
                    + (f", differing at byte {_first_difference(f.data, data)}" if data else "")
                )
                problems.append(
                    f"the host program claims {f.path} on {f.host} holds {len(f.data)} bytes"
                    f"{' (' + f.what + ')' if f.what else ''}; it {have}"
                )
        for mc in claims.mails:
            try:
                messages = self.world.host_view(mc.host).mailbox(mc.mailbox, service="smtp")
            except Exception as exc:  # noqa: BLE001 - a claim about a host without SMTP
                problems.append(f"the host program claims a mail on {mc.host}: {exc}")
                continue
            if not any(
                m.get("subject") == mc.subject and mc.body in m.get("body", "") for m in messages
            ):
                subjects = [m.get("subject") for m in messages]
                problems.append(
                    f"the host program claims {mc.host} accepted {mc.subject!r} for {mc.mailbox}"
                    f"{' (' + mc.what + ')' if mc.what else ''}; its messages there: {subjects}"
                )
        return problems


def _must_complete(s: Session) -> bool:
    """No error was reported and the host did not give the link up (closing it but not the
    network under it): every byte it was told was sent must reach the peer."""
    return not s.reported and s.abandoned is None and (s.open or s.closed_clean)


def _first_difference(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def _show(data: bytes) -> str:
    from simnet.scenario.text import show_bytes

    return "'" + show_bytes(data, MAX_SHOWN) + "'"


def _result(name: str, problems: list[str], ok_detail: str) -> InvariantResult:
    if not problems:
        return InvariantResult(name, True, ok_detail)
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    return InvariantResult(name, False, problems[0] + more, problems)


# -- the responsiveness probe ------------------------------------------------------------------
def probe_module(world: World, timeout: float) -> tuple[bool, str]:
    """Does the module answer ``AT``? First out of a data prompt (ESC, else the bytes it still
    waits for) or online data mode (``+++`` between guard times), as a recovering driver would."""
    from simnet.errors import ExpectTimeout
    from simnet.modem.dialect import ESC

    sim, module, dte = world.sim, world.module, world.dte
    t0 = sim.now
    if getattr(module, "booting", False):
        sim.run_until(lambda: not module.booting, 60.0)
        if module.booting:
            return False, f"still booting at t={sim.now:.3f} s"
    mode = str(getattr(module.mode, "value", module.mode)).lower()
    if mode == "prompt":
        dte.write(bytes([ESC]))
        sim.advance(1.0)
        collector = getattr(module, "_prompt", None)
        if (
            collector is not None
            and str(getattr(module.mode, "value", module.mode)).lower() == "prompt"
        ):
            spec = collector.spec
            missing = (spec.length - len(collector.buf)) if spec.length is not None else 0
            dte.write(b"\x00" * missing if missing > 0 else b"\x1a")
            sim.advance(1.0)
    elif mode == "data":
        guard = module.settings.s.get(12, 50) / 50.0
        sim.advance(guard + 0.1)
        dte.write(b"+++")
        sim.advance(guard + 0.2)
    detail = ""
    for attempt in range(3):
        try:
            r = dte.command("AT", timeout=timeout)
        except ExpectTimeout:
            detail = f"no final result code to AT within {timeout:g} s (attempt {attempt + 1})"
            continue
        if r.ok:
            return True, f"answered AT with OK at t={sim.now:.3f} s"
        detail = f"answered AT with {r.final!r}"
        sim.advance(0.5)
    return False, f"probed from t={t0:.3f} s: {detail}"


# -- buffers -----------------------------------------------------------------------------------
def buffer_census(world: World) -> list[tuple[str, int, int]]:
    """Every bounded buffer the model keeps that is above its bound: (name, size, bound)."""
    over: list[tuple[str, int, int]] = []

    def check(name: str, size: int, bound: int | None) -> None:
        if bound is not None and size > bound:
            over.append((name, size, bound))

    for dev in world.devices.values():
        module = dev.module
        profile = getattr(module, "profile", None)
        check(
            f"{dev.name} UART input queue",
            len(getattr(module, "_pending_input", b"")),
            getattr(profile, "uart_rx_buffer", None),
        )
        check(
            f"{dev.name} URC queue",
            len(getattr(module, "_urcs", ())),
            getattr(profile, "urc_queue", None),
        )
        uart = getattr(module, "uart", None)
        for side in ("dte", "dce"):
            port = getattr(uart, side, None)
            if port is not None:
                check(
                    f"{dev.name} UART {side} buffer",
                    len(getattr(port, "_buf", b"")),
                    getattr(port, "capacity", None),
                )
        dialect = getattr(module, "dialect", None)
        for i, rx in enumerate(getattr(dialect, "rx", None) or ()):  # SIMCom link receive buffers
            check(
                f"{dev.name} link {i} receive buffer",
                len(getattr(rx, "data", b"")),
                getattr(rx, "capacity", None),
            )
        for sid, fs in sorted((getattr(dialect, "sockets", None) or {}).items()):  # Fibocom sockets
            buf = getattr(fs, "buf", None)
            if buf is not None and hasattr(buf, "capacity"):
                check(
                    f"{dev.name} socket {sid} accumulating buffer",
                    len(buf.pending) + buf.unsent_len,
                    buf.capacity,
                )
            hold = getattr(fs, "rx_hold", None)
            if hold is not None:
                check(f"{dev.name} socket {sid} receive hold", len(hold.data), hold.capacity)
    network = world.network
    for host in network.hosts.values():
        stack = getattr(host, "tcp", None)
        for sock in list(getattr(stack, "_conns", {}).values()):
            conn = getattr(sock, "_conn", None)
            cfg = getattr(conn, "cfg", None)
            if conn is None or cfg is None:
                continue
            where = f"{host.name} TCP {sock.local[1]}->{sock.remote[0]}:{sock.remote[1]}"
            check(f"{where} send buffer", len(conn.sndbuf), cfg.send_buffer)
            check(f"{where} receive buffer", len(conn.rcvbuf), cfg.recv_buffer)
    nat = getattr(network, "nat", None)
    cfg = getattr(nat, "config", None)
    if nat is not None and cfg is not None and hasattr(nat, "mappings"):
        check("carrier NAT mappings", len(nat.mappings()), cfg.port_high - cfg.port_low + 1)
    for entry in world.hosts.values():
        for _spec, svc in entry.services:
            for conn in list(getattr(svc, "conns", ())):
                limit = getattr(conn, "max_out", None)
                if limit is not None:
                    window = getattr(
                        getattr(getattr(conn.sock, "_conn", None), "cfg", None),
                        "recv_buffer",
                        65535,
                    )
                    check(
                        f"{entry.spec.name} {svc.type_name} connection {conn.id} output queue",
                        len(conn.out),
                        limit + window,
                    )
    return over
