"""``ModemSms``: one module's short message and USSD service, the network side of TS 27.005.

The module core (``simnet.modem.base.sms``) talks to it; it talks to the operator's
:class:`~simnet.bearer.sms.smsc.Smsc` and to the radio:

- mobile-originated (:meth:`ModemSms.submit`): needs a registration (else +CMS ERROR 331 no
  network service), a radio connection (``RadioLinkController.signalling``: the promotion
  delay of an idle or sleeping UE), then the SC's answer after ``submit_delay``; no radio path
  (a coverage gap) means no answer, and TR1M (TS 24.011 §10) ends the attempt with 332
  network timeout; the SC's RP-ERROR cause is the +CMS ERROR code (TS 27.005 §3.2.5: 0..127
  are TS 24.011 Annex E-2 causes).
- mobile-terminated: the SC's attempts reach the module through ``receiver`` (set by the module
  core: it stores or routes the message and answers None or an RP cause, 22 when full). The
  module is absent while not registered, powered off, in PSM or in a coverage gap; it tells the
  SC when that ends (the HLR / MME alert, TS 23.040 §3.2.5) and when it has memory again
  (RP-SMMA, TS 24.011 §7.3.2: :meth:`memory_available`). An idle UE is paged first.
- USSD (:meth:`ussd_request`, :meth:`ussd_cancel`) against the operator's menu.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy

from simnet.bearer.sms.smsc import ABSENT, Smsc
from simnet.bearer.sms.tpdu import Address, Deliver, StatusReport, Submit
from simnet.bearer.sms.ussd import NOT_SUPPORTED, TERMINATED_BY_NETWORK, UssdSession
from simnet.kernel import Timer

CMS_NO_NETWORK = 331  # TS 27.005 §3.2.5
CMS_NETWORK_TIMEOUT = 332

Receiver = Callable[[Deliver | StatusReport], int | None]


@dataclass(frozen=True)
class SubmitResult:
    """The end of an MO short message: ``cms`` None when the SC accepted it (RP-ACK), else the
    +CMS ERROR code."""

    cms: int | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.cms is None


class ModemSms:
    """See the module docstring."""

    def __init__(self, sim: Any, smsc: Smsc, sim_card: Any, radio: Any, link_control: Any,
                 msisdn: str, *, name: str = "bearer.sms") -> None:
        self.sim = sim
        self.smsc = smsc
        self.sim_card = sim_card
        self.radio = radio
        self.link_control = link_control
        self.msisdn = msisdn
        self.name = name
        self.receiver: Receiver | None = None
        self.ussd_listener: Callable[[int, str], None] | None = None  # network-released dialogues
        self._absent = False
        self._ussd: UssdSession | None = None
        self._ussd_timer: Timer | None = None
        self._ussd_delay = smsc.config.distribution("ussd_delay")
        self._ussd_rng = sim.rng(f"{name}.ussd_delay")
        smsc.register(self)
        radio.add_listener(self._registration)
        if link_control is not None:
            link_control.reach_listeners.append(self._reach_changed)

    @property
    def default_sca(self) -> Address:
        """The SC address the SIM holds (EF_SMSP, TS 31.102 §4.2.27): the operator's SC."""
        return self.smsc.address

    # -- reachability ---------------------------------------------------------------------------
    def registered(self) -> bool:
        return bool(self.radio.registered("cs") or self.radio.registered("ps"))

    def reachable(self) -> bool:
        radio = self.radio
        if not self.registered() or not radio.rf_on or not radio.in_coverage or radio.signal_lost:
            return False
        lc = self.link_control
        return lc is None or lc.reachable()

    def _registration(self, _domain: str, _state: Any) -> None:
        self._reach_changed()

    def _reach_changed(self) -> None:
        if self._absent and self.reachable():
            self._absent = False
            self.smsc.alert(self.msisdn, "reachable")

    # -- mobile-terminated ------------------------------------------------------------------------
    def sms_attempt(self, tpdu: Deliver | StatusReport, done: Callable[[int | None], None]) -> None:
        if not self.reachable() or self.receiver is None:
            self._absent = True
            done(ABSENT)
            return
        lc = self.link_control
        if lc is None:
            self._hand_over(True, tpdu, done)
        else:
            lc.signalling(lambda ok: self._hand_over(ok, tpdu, done), mobile_originated=False)

    def _hand_over(
        self, ok: bool, tpdu: Deliver | StatusReport, done: Callable[[int | None], None]
    ) -> None:
        if not ok or self.receiver is None:
            self._absent = True
            done(ABSENT)
            return
        cause = self.receiver(tpdu)
        self.sim.record(self.name, "sms_mt", what=tpdu.kind, cause=cause)
        done(cause)

    def memory_available(self) -> None:
        """RP-SMMA: the module has room for messages again."""
        self.sim.record(self.name, "sms_memory_available")
        self.smsc.alert(self.msisdn, "memory_available")

    # -- mobile-originated -------------------------------------------------------------------------
    def submit(self, sca: Address, submit: Submit, *, link_kept: bool = False) -> simpy.Event:
        """Send ``submit`` to the SC ``sca``; the event's value is a :class:`SubmitResult`.
        ``link_kept``: the relay link of the previous message is still up (+CMMS), so the
        message saves the link set-up (``link_setup``) of its transfer time."""
        ev = self.sim.event()
        self.sim.process(self._submit(sca, submit, ev, link_kept))
        return ev

    def _submit(
        self, sca: Address, submit: Submit, ev: simpy.Event, link_kept: bool
    ) -> Generator[Any, Any, None]:
        start = self.sim.now
        tr1m = self.smsc.config.tr1m
        if not self.registered():
            ev.succeed(SubmitResult(CMS_NO_NETWORK, "not registered"))
            return
        connected = self.sim.event()
        lc = self.link_control
        if lc is None:
            connected.succeed(not self.radio.signal_lost and self.radio.in_coverage)
        else:
            lc.signalling(
                lambda ok: connected.succeed(ok) if not connected.triggered else None,
                mobile_originated=True,
            )
        got = yield connected | self.sim.timeout(tr1m)
        ok = bool(got[connected]) if connected in got else False
        if not ok:
            rest = tr1m - (self.sim.now - start)
            if rest > 0:
                yield self.sim.timeout(rest)
            self.sim.record(
                self.name, "sms_mo", mr=submit.mr, cms=CMS_NETWORK_TIMEOUT, detail="no radio path"
            )
            ev.succeed(SubmitResult(CMS_NETWORK_TIMEOUT, "TR1M expired"))
            return
        transfer = self.smsc.submit_delay()
        if link_kept:
            transfer = max(0.0, transfer - self.smsc.config.link_setup)
        yield self.sim.timeout(transfer)
        if not self.reachable() and self.registered():
            rest = tr1m - (self.sim.now - start)
            if rest > 0:
                yield self.sim.timeout(rest)
            ev.succeed(SubmitResult(CMS_NETWORK_TIMEOUT, "radio path lost"))
            return
        if not self.registered():
            ev.succeed(SubmitResult(CMS_NO_NETWORK, "registration lost"))
            return
        cause = self.smsc.accept(self.msisdn, sca, submit)
        self.sim.record(self.name, "sms_mo", mr=submit.mr, dest=submit.da.number, cms=cause)
        ev.succeed(SubmitResult(cause, "" if cause is None else "RP-ERROR"))

    # -- USSD --------------------------------------------------------------------------------------
    def ussd_request(self, text: str) -> simpy.Event:
        """A USSD string from the user (a service code, or an answer in an open dialogue); the
        event's value is (m, text) as +CUSD reports it."""
        ev = self.sim.event()
        delay = self._ussd_delay.sample(self._ussd_rng)
        self.sim.call_later(delay, self._ussd_answer, text, ev)
        return ev

    def _ussd_answer(self, text: str, ev: simpy.Event) -> None:
        if not self.registered():
            ev.succeed((NOT_SUPPORTED, ""))
            return
        self._cancel_ussd_timer()
        if self._ussd is not None:
            m, answer, still_open = self._ussd.reply(text)
            if not still_open:
                self._ussd = None
        else:
            m, answer, self._ussd = self.smsc.ussd.start(text)
        self.sim.record(self.name, "ussd", request=text, m=m, answer=answer)
        if self._ussd is not None:
            self._ussd_timer = self.sim.call_later(
                self.smsc.config.ussd_timeout, self._ussd_released
            )
        ev.succeed((m, answer))

    def _ussd_released(self) -> None:
        self._ussd_timer = None
        if self._ussd is None:
            return
        self._ussd = None
        self.sim.record(self.name, "ussd", released=True)
        if self.ussd_listener is not None:
            self.ussd_listener(TERMINATED_BY_NETWORK, "")

    def _cancel_ussd_timer(self) -> None:
        if self._ussd_timer is not None:
            self._ussd_timer.cancel()
            self._ussd_timer = None

    def ussd_cancel(self) -> None:
        """AT+CUSD=2: the user ends the dialogue."""
        self._cancel_ussd_timer()
        self._ussd = None

    @property
    def ussd_open(self) -> bool:
        return self._ussd is not None


__all__ = ["CMS_NETWORK_TIMEOUT", "CMS_NO_NETWORK", "ModemSms", "SubmitResult"]
