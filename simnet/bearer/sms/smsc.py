"""The operator's short message service centre: store and forward (3GPP TS 23.040 §3).

Every subscriber with an MSISDN is a :class:`Subscriber`: each module's bearer
(:class:`~simnet.bearer.sms.service.ModemSms`) and each scenario host given an ``msisdn``
(:class:`HostPhone`). Numbers that are nobody's are subscribers of another network: the SC
hands their messages on and counts them delivered.

A message submitted to the SC (an SMS-SUBMIT from a module, or a host's text) gets the SC's
time stamp and waits in the destination's queue; the SC tries one message at a time per
destination, in order, each attempt after ``deliver_delay``:

- delivered: the next one goes (TP-MMS tells the receiver more are waiting, §9.2.3.2);
- absent subscriber (not registered, powered off, in PSM, in a coverage gap) or memory capacity
  exceeded (RP cause 22, TS 24.011 §8.2.5.4): kept; tried again when the subscriber is
  reachable again or has freed memory (the HLR's alert, TS 23.040 §3.2.5 / TS 29.002
  MAP-ALERT-SERVICE-CENTRE; the MS's RP-SMMA, TS 24.011 §7.3.2) and every ``retry_interval``;
- another RP error: permanent failure.

A message still undelivered when its validity ends is discarded (TP-ST 0x46). A message that
asked for a status report (TP-SRR) gets an SMS-STATUS-REPORT to its originator when its fate
is known: TP-ST 0x00 received by the SME, 0x41/0x42 permanent errors, 0x46 validity expired
(TS 23.040 §9.2.3.15).

Faults: :meth:`Smsc.set_down` (the SC out of service: MO messages answered with RP cause 38
"network out of order", deliveries paused), :meth:`Smsc.fail_deliveries` (a destination
absent, busy or rejecting), :meth:`Smsc.add_delay`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from simnet.bearer.sms.config import SmsConfig
from simnet.bearer.sms.tpdu import (
    Address,
    Deliver,
    StatusReport,
    Submit,
    Timestamp,
    UserData,
    segment,
)
from simnet.bearer.sms.ussd import UssdMenu
from simnet.errors import ConfigError
from simnet.kernel import Timer

ABSENT = -1  # the attempt found the subscriber absent (MAP absent subscriber)

# TS 24.011 Annex E-2 RP causes
RP_UNASSIGNED_NUMBER = 1
RP_MEMORY_EXCEEDED = 22
RP_NETWORK_OUT_OF_ORDER = 38
RP_TEMPORARY_FAILURE = 41

# TS 23.040 §9.2.3.15 TP-ST
ST_RECEIVED = 0x00
ST_SME_BUSY = 0x21  # temporary error, the SC is still trying
ST_INCOMPATIBLE = 0x41  # permanent error: incompatible destination
ST_REJECTED = 0x42  # permanent error: connection rejected by SME
ST_EXPIRED = 0x46  # permanent error: SM validity period expired

FAIL_REASONS = ("absent", "busy", "rejected")

DEFAULT_EPOCH = 1704067200.0  # 2024-01-01 UTC, the modules' clock at virtual time 0


def number_key(number: str) -> str:
    """The digits that identify a subscriber (``+33...`` and ``33...`` are one)."""
    return number.removeprefix("+")


class Subscriber(Protocol):
    """What the SC needs of a subscriber."""

    msisdn: str

    def sms_attempt(self, tpdu: Deliver | StatusReport, done: Callable[[int | None], None]) -> None:
        """Deliver ``tpdu``; call ``done(None)`` when accepted, ``done(ABSENT)`` when the
        subscriber cannot be reached, ``done(cause)`` with an RP cause when it refuses."""
        ...


@dataclass
class SmsMessage:
    """One short message (one part of a concatenated text) the SC handled."""

    id: int
    origin: str
    dest: str
    ud: UserData
    pid: int
    submitted: float
    expires: float
    scts: Timestamp
    mr: int = 0
    status_report: bool = False
    kind: str = "sms"  # "sms", or "status_report" (one the SC generated for an originator)
    report: StatusReport | None = None
    status: str = "pending"  # pending, delivered, failed, expired
    st: int | None = None
    attempts: int = 0
    delivered_at: float | None = None
    waiting: str = ""  # why it is held: absent, memory, busy, smsc_down
    _expiry: Timer | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        return self.ud.text if self.kind == "sms" else ""

    def summary(self) -> dict[str, Any]:
        concat = self.ud.concat if self.kind == "sms" else None
        return {
            "id": self.id,
            "from": self.origin,
            "to": self.dest,
            "kind": self.kind,
            "text": self.text,
            "status": self.status,
            "st": self.st,
            "submitted": round(self.submitted, 6),
            "delivered_at": None if self.delivered_at is None else round(self.delivered_at, 6),
            "attempts": self.attempts,
            "part": None if concat is None else [concat.seq, concat.total],
        }


@dataclass(frozen=True)
class _FailRule:
    reason: str
    left: int | None  # attempts it still applies to (None: until cleared)
    until: float | None


class Smsc:
    """See the module docstring."""

    def __init__(
        self,
        sim: Any,
        config: SmsConfig | None = None,
        *,
        name: str = "smsc",
        epoch: float = DEFAULT_EPOCH,
    ) -> None:
        self.sim = sim
        self.config = config or SmsConfig()
        self.name = name
        self.epoch = epoch
        self.address = Address.of(self.config.smsc)
        self.ussd = UssdMenu(self.config.ussd, "network.ussd")
        self.subscribers: dict[str, Subscriber] = {}
        self.messages: list[SmsMessage] = []
        self._queues: dict[str, deque[SmsMessage]] = {}
        self._in_flight: set[str] = set()
        self._retry: dict[str, Timer] = {}
        self._fail: dict[str, list[_FailRule]] = {}
        self._next_id = 1
        self._host_ref = 0
        self.down = False
        self._down_timer: Timer | None = None
        self.extra_delay = 0.0
        self._delay_timer: Timer | None = None
        self._deliver = self.config.distribution("deliver_delay")
        self._deliver_rng = sim.rng(f"{name}.deliver_delay")
        self._submit = self.config.distribution("submit_delay")
        self._submit_rng = sim.rng(f"{name}.submit_delay")

    # -- subscribers ---------------------------------------------------------------------------
    def register(self, subscriber: Subscriber) -> None:
        key = number_key(subscriber.msisdn)
        other = self.subscribers.get(key)
        if other is not None and other is not subscriber:
            raise ConfigError(
                "msisdn", f"{subscriber.msisdn} is already the number of another subscriber"
            )
        self.subscribers[key] = subscriber

    def submit_delay(self) -> float:
        """One draw of the MO transfer time (the module's RP-DATA to the SC's RP-ACK)."""
        return self._submit.sample(self._submit_rng)

    def now_stamp(self) -> Timestamp:
        return Timestamp.from_unix(self.epoch + self.sim.now, self.config.tz_quarters)

    # -- mobile-originated -------------------------------------------------------------------
    def accept(self, origin: str, sca: Address, submit: Submit) -> int | None:
        """An SMS-SUBMIT reached the SC ``sca`` from ``origin``: None (RP-ACK, the message is
        queued) or the RP cause of the RP-ERROR the MS gets."""
        if number_key(sca.number) != number_key(self.address.number):
            self.sim.record(
                self.name, "sms_rejected", origin=origin, sca=sca.number, cause=RP_UNASSIGNED_NUMBER
            )
            return RP_UNASSIGNED_NUMBER
        if self.down:
            self.sim.record(
                self.name,
                "sms_rejected",
                origin=origin,
                cause=RP_NETWORK_OUT_OF_ORDER,
                reason="smsc_down",
            )
            return RP_NETWORK_OUT_OF_ORDER
        validity = submit.validity(self.epoch + self.sim.now)
        if validity is None or validity > self.config.validity:
            validity = self.config.validity
        self._queue(
            origin,
            submit.da.number,
            submit.ud,
            submit.pid,
            validity,
            mr=submit.mr,
            status_report=submit.srr,
        )
        return None

    def send_text(
        self,
        origin: str,
        dest: str,
        text: str,
        *,
        status_report: bool = False,
        dcs: int | None = None,
        validity: float | None = None,
    ) -> list[SmsMessage]:
        """A host ``origin`` sends ``text`` to ``dest`` (concatenated parts when long); the SC
        has it after one submit delay. Returns the messages, queued at that time."""
        self._host_ref = (self._host_ref + 1) % 256
        parts = segment(text, ref=self._host_ref, dcs=dcs)
        out: list[SmsMessage] = []
        when = self.submit_delay()
        for ud in parts:
            msg = self._make(
                origin, dest, ud, 0, validity or self.config.validity, status_report=status_report
            )
            out.append(msg)
        self.sim.record(
            self.name, "sms_sent_by_host", origin=origin, dest=dest, parts=len(parts), after=when
        )
        self.sim.call_later(when, self._enqueue_all, out)
        return out

    def _make(
        self,
        origin: str,
        dest: str,
        ud: UserData,
        pid: int,
        validity: float,
        *,
        mr: int = 0,
        status_report: bool = False,
        kind: str = "sms",
        report: StatusReport | None = None,
    ) -> SmsMessage:
        msg = SmsMessage(
            self._next_id,
            origin,
            dest,
            ud,
            pid,
            self.sim.now,
            self.sim.now + validity,
            self.now_stamp(),
            mr=mr & 0xFF,
            status_report=status_report,
            kind=kind,
            report=report,
        )
        self._next_id += 1
        return msg

    def _queue(
        self,
        origin: str,
        dest: str,
        ud: UserData,
        pid: int,
        validity: float,
        *,
        mr: int = 0,
        status_report: bool = False,
    ) -> SmsMessage:
        msg = self._make(origin, dest, ud, pid, validity, mr=mr, status_report=status_report)
        self._enqueue_all([msg])
        return msg

    def _enqueue_all(self, msgs: list[SmsMessage]) -> None:
        for msg in msgs:
            msg.submitted = self.sim.now
            msg.scts = self.now_stamp()
            msg.expires = max(msg.expires, self.sim.now)
            self.messages.append(msg)
            concat = msg.ud.concat if msg.kind == "sms" else None
            self.sim.record(
                self.name,
                "sms_submitted",
                id=msg.id,
                origin=msg.origin,
                dest=msg.dest,
                what=msg.kind,
                mr=msg.mr,
                srr=msg.status_report,
                part=None if concat is None else f"{concat.seq}/{concat.total}",
            )
            key = number_key(msg.dest)
            self._queues.setdefault(key, deque()).append(msg)
            msg._expiry = self.sim.call_at(msg.expires, self._expire, msg)
            self._kick(key)

    # -- delivery ------------------------------------------------------------------------------
    def _kick(self, key: str) -> None:
        queue = self._queues.get(key)
        if not queue or key in self._in_flight or self.down:
            return
        retry = self._retry.pop(key, None)
        if retry is not None:
            retry.cancel()
        self._in_flight.add(key)
        delay = self._deliver.sample(self._deliver_rng) + self.extra_delay
        self.sim.call_later(delay, self._attempt, key)

    def _attempt(self, key: str) -> None:
        queue = self._queues.get(key)
        if not queue or self.down:
            self._in_flight.discard(key)
            return
        msg = queue[0]
        if self.sim.now >= msg.expires:
            self._drop_expired(key, msg)
            return
        msg.attempts += 1
        forced = self._take_fail_rule(key)
        subscriber = self.subscribers.get(key)
        if forced is not None:
            self.sim.record(self.name, "sms_attempt", id=msg.id, dest=msg.dest, forced=forced)
            result = {"absent": ABSENT, "busy": -2, "rejected": -3}[forced]
            self._result(key, msg, result)
            return
        self.sim.record(self.name, "sms_attempt", id=msg.id, dest=msg.dest, attempt=msg.attempts)
        if subscriber is None:
            self._result(key, msg, None)  # another network's subscriber: handed on
            return
        tpdu: Deliver | StatusReport
        more = len(queue) > 1
        if msg.kind == "status_report":
            assert msg.report is not None
            tpdu = StatusReport(
                msg.report.mr,
                msg.report.ra,
                msg.report.scts,
                msg.report.dt,
                msg.report.st,
                mms=not more,
            )
        else:
            tpdu = Deliver(
                Address.of(msg.origin),
                msg.scts,
                msg.ud,
                msg.pid,
                mms=not more,
                sri=msg.status_report,
            )
        answered = [False]

        def done(result: int | None) -> None:
            if answered[0]:
                return
            answered[0] = True
            self._result(key, msg, result)

        subscriber.sms_attempt(tpdu, done)

    def _result(self, key: str, msg: SmsMessage, result: int | None) -> None:
        self._in_flight.discard(key)
        queue = self._queues.get(key)
        if msg.status != "pending" or not queue or queue[0] is not msg:
            self._kick(key)
            return
        if result is None:
            queue.popleft()
            msg.delivered_at = self.sim.now
            self._finish(msg, "delivered", ST_RECEIVED)
        elif result in (ABSENT, RP_MEMORY_EXCEEDED, -2):
            if self.sim.now >= msg.expires:
                self._drop_expired(key, msg)
                return
            msg.waiting = {ABSENT: "absent", RP_MEMORY_EXCEEDED: "memory", -2: "busy"}[result]
            self.sim.record(self.name, "sms_stored", id=msg.id, dest=msg.dest, reason=msg.waiting)
            self._retry[key] = self.sim.call_later(self.config.retry_interval, self._retry_due, key)
            return
        else:
            queue.popleft()
            self._finish(
                msg, "failed", ST_REJECTED if result == -3 else ST_INCOMPATIBLE, cause=result
            )
        self._kick(key)

    def _drop_expired(self, key: str, msg: SmsMessage) -> None:
        self._in_flight.discard(key)
        self._queues[key].popleft()
        self._finish(msg, "expired", ST_EXPIRED)
        self._kick(key)

    def _retry_due(self, key: str) -> None:
        self._retry.pop(key, None)
        self._kick(key)

    def alert(self, msisdn: str, reason: str = "reachable") -> None:
        """The subscriber is reachable again or has memory again: try its messages now."""
        key = number_key(msisdn)
        if self._queues.get(key):
            self.sim.record(self.name, "sms_alert", dest=msisdn, reason=reason)
            self._kick(key)

    def _expire(self, msg: SmsMessage) -> None:
        if msg.status != "pending":
            return
        key = number_key(msg.dest)
        queue = self._queues.get(key)
        in_flight = key in self._in_flight and queue and queue[0] is msg
        if in_flight:
            return  # the attempt under way decides
        if queue and msg in queue:
            queue.remove(msg)
        self._finish(msg, "expired", ST_EXPIRED)

    def _finish(self, msg: SmsMessage, status: str, st: int, cause: int | None = None) -> None:
        msg.status = status
        msg.st = st
        msg.waiting = ""
        if msg._expiry is not None:
            msg._expiry.cancel()
        self.sim.record(self.name, f"sms_{status}", id=msg.id, dest=msg.dest, st=st, cause=cause)
        if msg.kind == "sms" and msg.status_report:
            report = StatusReport(msg.mr, Address.of(msg.dest), msg.scts, self.now_stamp(), st)
            rep = self._make(
                self.address.number,
                msg.origin,
                UserData(0, 0, b""),
                0,
                self.config.validity,
                kind="status_report",
                report=report,
            )
            self._enqueue_all([rep])

    # -- faults ---------------------------------------------------------------------------------
    def set_down(self, down: bool = True, duration: float | None = None) -> None:
        """The SC out of service (or back): MO messages get RP cause 38, deliveries wait."""
        if self._down_timer is not None:
            self._down_timer.cancel()
            self._down_timer = None
        self.down = down
        self.sim.record(self.name, "fault", fault="smsc_down", on=down, duration=duration)
        if down and duration is not None:
            self._down_timer = self.sim.call_later(duration, self.set_down, False)
        if not down:
            for key in sorted(self._queues):
                self._kick(key)

    def fail_deliveries(
        self,
        dest: str,
        reason: str = "absent",
        *,
        count: int | None = None,
        duration: float | None = None,
    ) -> None:
        """Delivery attempts to ``dest`` fail: ``absent`` (kept and retried), ``busy`` (a
        temporary error, retried), ``rejected`` (permanent: TP-ST 0x42); for ``count``
        attempts or ``duration`` seconds (both None: until the run ends)."""
        if reason not in FAIL_REASONS:
            raise ConfigError(
                "sms_fail.reason", f"expected one of {', '.join(FAIL_REASONS)}, got {reason!r}"
            )
        until = None if duration is None else self.sim.now + duration
        self._fail.setdefault(number_key(dest), []).append(_FailRule(reason, count, until))
        self.sim.record(
            self.name,
            "fault",
            fault="sms_fail",
            dest=dest,
            reason=reason,
            count=count,
            duration=duration,
        )
        if duration is not None:
            self.sim.call_later(duration, self.alert, dest, "fault_over")

    def _take_fail_rule(self, key: str) -> str | None:
        rules = self._fail.get(key)
        while rules:
            rule = rules[0]
            if rule.until is not None and self.sim.now >= rule.until:
                rules.pop(0)
                continue
            if rule.left is not None:
                if rule.left <= 1:
                    rules.pop(0)
                else:
                    rules[0] = _FailRule(rule.reason, rule.left - 1, rule.until)
            return rule.reason
        return None

    def add_delay(self, delay: float, duration: float | None = None) -> None:
        """Every delivery attempt takes ``delay`` seconds more (congestion), for ``duration``."""
        if self._delay_timer is not None:
            self._delay_timer.cancel()
            self._delay_timer = None
        self.extra_delay = delay
        self.sim.record(self.name, "fault", fault="sms_delay", delay=delay, duration=duration)
        if duration is not None:
            self._delay_timer = self.sim.call_later(duration, self.add_delay, 0.0)

    # -- inspection --------------------------------------------------------------------------------
    def pending(self, dest: str | None = None) -> list[SmsMessage]:
        keys = [number_key(dest)] if dest is not None else sorted(self._queues)
        return [m for k in keys for m in self._queues.get(k, ())]


@dataclass
class ReceivedSms:
    """A message a host received: the text of all its parts once complete."""

    origin: str
    text: str
    time: float
    scts: str
    parts: int
    alphabet: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.origin,
            "text": self.text,
            "time": round(self.time, 6),
            "scts": self.scts,
            "parts": self.parts,
            "alphabet": self.alphabet,
        }


class HostPhone:
    """A scenario host with an MSISDN: a phone or an SMS gateway. It takes every message,
    reassembles concatenated texts (TS 23.040 §9.2.3.24.1) and keeps them in ``inbox``."""

    def __init__(self, sim: Any, smsc: Smsc, msisdn: str, name: str) -> None:
        self.sim = sim
        self.smsc = smsc
        self.msisdn = msisdn
        self.name = name
        self.inbox: list[ReceivedSms] = []
        self.reports: list[StatusReport] = []
        self._parts: dict[tuple[str, int, int], dict[int, Deliver]] = {}
        smsc.register(self)

    def sms_attempt(self, tpdu: Deliver | StatusReport, done: Callable[[int | None], None]) -> None:
        if isinstance(tpdu, StatusReport):
            self.reports.append(tpdu)
            done(None)
            return
        origin = tpdu.oa.number
        concat = tpdu.ud.concat
        if concat is None or concat.total <= 1:
            self._received(origin, [tpdu])
        else:
            key = (origin, concat.ref, concat.total)
            parts = self._parts.setdefault(key, {})
            parts[concat.seq] = tpdu
            if len(parts) == concat.total:
                del self._parts[key]
                self._received(origin, [parts[i] for i in sorted(parts)])
        done(None)

    def _received(self, origin: str, parts: list[Deliver]) -> None:
        text = "".join(p.ud.text for p in parts)
        msg = ReceivedSms(
            origin, text, self.sim.now, parts[0].scts.text(), len(parts), str(parts[0].ud.alphabet)
        )
        self.inbox.append(msg)
        self.sim.record(
            f"host.{self.name}", "sms_received", origin=origin, text=text, parts=len(parts)
        )

    def send(self, dest: str, text: str, **kwargs: Any) -> list[SmsMessage]:
        return self.smsc.send_text(self.msisdn, dest, text, **kwargs)


__all__ = [
    "ABSENT",
    "FAIL_REASONS",
    "HostPhone",
    "ReceivedSms",
    "SmsMessage",
    "Smsc",
    "Subscriber",
    "number_key",
]
