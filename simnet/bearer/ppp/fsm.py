"""The RFC 1661 §4 option-negotiation automaton, shared by LCP and IPCP (sans-IO).

The automaton knows states, events and the restart/failure counters; what to put in a request
and how to judge the peer's request belong to an ``OptionPolicy`` (LCP or IPCP). Output goes
through a ``ControlSink`` (send a packet, set/cancel the restart timer, this-layer-up/down/
started/finished), implemented by the PPP endpoint, which turns them into actions.

Counters (RFC 1661 §4.6): the restart counter is set to Max-Configure before a run of
Configure-Requests and to Max-Terminate before Terminate-Requests; each send decrements it, a
timeout with the counter > 0 is TO+, otherwise TO-. Max-Failure bounds the Configure-Naks we
send without an Ack (further Naks become Configure-Rejects). As a guard against a peer that Naks
or Rejects for ever, ``max_failure`` also bounds consecutive Naks/Rejects *received* (what pppd
calls a nak loop); reaching it ends the layer with reason ``no_convergence``. Symmetrically,
a peer that keeps requesting what we refuse gets 2 x Max-Failure refusals (Max-Failure Naks,
then Max-Failure Rejects) and then the layer ends with ``no_convergence``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from simnet.bearer.ppp.packets import (
    CODE_REJ,
    CONF_ACK,
    CONF_NAK,
    CONF_REJ,
    CONF_REQ,
    DISCARD_REQ,
    ECHO_REPLY,
    ECHO_REQ,
    PROTO_REJ,
    TERM_ACK,
    TERM_REQ,
    Options,
    decode_options,
    encode_options,
    encode_packet,
)


class State(IntEnum):
    INITIAL = 0
    STARTING = 1
    CLOSED = 2
    STOPPED = 3
    CLOSING = 4
    STOPPING = 5
    REQ_SENT = 6
    ACK_RCVD = 7
    ACK_SENT = 8
    OPENED = 9


@dataclass(frozen=True)
class FsmTimers:
    restart: float = 3.0
    max_configure: int = 10
    max_terminate: int = 2
    max_failure: int = 5


_TIMER_STATES = frozenset(
    {State.CLOSING, State.STOPPING, State.REQ_SENT, State.ACK_RCVD, State.ACK_SENT}
)


class OptionPolicy(Protocol):
    """Option logic of one control protocol."""

    def request_options(self) -> Options: ...

    def judge_request(self, options: Options) -> tuple[int, Options]:
        """(CONF_ACK | CONF_NAK | CONF_REJ, options for the reply)."""
        ...

    def on_ack(self, options: Options) -> None: ...

    def on_nak(self, options: Options) -> bool:
        """Adjust to the peer's suggestions; False if we cannot continue."""
        ...

    def on_reject(self, options: Options) -> bool:
        """Drop the rejected options; False if one of them is indispensable."""
        ...


class ControlSink(Protocol):
    def cp_send(self, fsm: ControlFsm, packet: bytes) -> None: ...
    def cp_timer(self, fsm: ControlFsm, delay: float | None) -> None: ...
    def cp_layer_up(self, fsm: ControlFsm) -> None: ...
    def cp_layer_down(self, fsm: ControlFsm) -> None: ...
    def cp_layer_started(self, fsm: ControlFsm) -> None: ...
    def cp_layer_finished(self, fsm: ControlFsm, reason: str) -> None: ...
    def cp_extra(self, fsm: ControlFsm, code: int, ident: int, data: bytes) -> bool: ...


class ControlFsm:
    """One instance of the automaton (RFC 1661 §4.1 state transition table)."""

    def __init__(self, name: str, protocol: int, policy: OptionPolicy, sink: ControlSink,
                 timers: FsmTimers) -> None:
        self.name = name
        self.protocol = protocol
        self.policy = policy
        self.sink = sink
        self.timers = timers
        self._state = State.INITIAL
        self.restart_count = 0
        self.naks_sent = 0  # Configure-Naks sent since the last Configure-Ack we sent
        self.naks_received = 0  # consecutive Naks/Rejects received (nak-loop guard)
        self.refusals_sent = 0  # consecutive Naks/Rejects sent (reject-loop guard)
        self.requests_sent = 0  # Configure-Requests sent in total (observability, tests)
        self._ident = 0
        self._req_ident = -1  # identifier of our outstanding Configure-Request
        self._req_options: Options = []
        self._term_ident = 0
        self.finish_reason = ""  # why the layer finished (timeout, rejected, ...)

    @property
    def state(self) -> State:
        return self._state

    @state.setter
    def state(self, new: State) -> None:
        # The restart timer runs only in Closing, Stopping, Req-Sent, Ack-Rcvd and Ack-Sent
        # (RFC 1661 §4.6); entering any other state stops it.
        old = self._state
        self._state = new
        if new not in _TIMER_STATES and old in _TIMER_STATES:
            self.sink.cp_timer(self, None)

    # -- actions (RFC 1661 §4.4) ---------------------------------------------------------------
    def next_ident(self) -> int:
        """A fresh Identifier for a packet this protocol sends (also used for LCP rejects)."""
        self._ident = (self._ident + 1) & 0xFF
        return self._ident

    def _irc_configure(self) -> None:
        self.restart_count = self.timers.max_configure
        self.naks_sent = 0

    def _irc_terminate(self) -> None:
        self.restart_count = self.timers.max_terminate

    def _scr(self) -> None:
        self.restart_count -= 1
        self.requests_sent += 1
        self._req_ident = self.next_ident()
        self._req_options = list(self.policy.request_options())
        self.sink.cp_send(
            self, encode_packet(CONF_REQ, self._req_ident, encode_options(self._req_options))
        )
        self.sink.cp_timer(self, self.timers.restart)

    def _str(self) -> None:
        self.restart_count -= 1
        self._term_ident = self.next_ident()
        self.sink.cp_send(self, encode_packet(TERM_REQ, self._term_ident))
        self.sink.cp_timer(self, self.timers.restart)

    def _sta(self, ident: int) -> None:
        self.sink.cp_send(self, encode_packet(TERM_ACK, ident))

    def _zrc(self) -> None:
        self.restart_count = 0
        self.sink.cp_timer(self, self.timers.restart)

    def _tlu(self) -> None:
        self.sink.cp_layer_up(self)

    def _tld(self) -> None:
        self.sink.cp_layer_down(self)

    def _tls(self) -> None:
        self.sink.cp_layer_started(self)

    def _tlf(self, reason: str) -> None:
        self.sink.cp_timer(self, None)
        if not self.finish_reason:
            self.finish_reason = reason
        self.sink.cp_layer_finished(self, reason)

    # -- administrative events ---------------------------------------------------------------
    def up(self) -> None:
        s = self.state
        if s == State.INITIAL:
            self.state = State.CLOSED
        elif s == State.STARTING:
            self._irc_configure()
            self._scr()
            self.state = State.REQ_SENT

    def down(self) -> None:
        s = self.state
        if s == State.CLOSED:
            self.state = State.INITIAL
        elif s == State.STOPPED:
            self._tls()
            self.state = State.STARTING
        elif s == State.CLOSING:
            self.sink.cp_timer(self, None)
            self.state = State.INITIAL
        elif s in (State.STOPPING, State.REQ_SENT, State.ACK_RCVD, State.ACK_SENT):
            self.sink.cp_timer(self, None)
            self.state = State.STARTING
        elif s == State.OPENED:
            self._tld()
            self.state = State.STARTING

    def open(self) -> None:
        s = self.state
        if s == State.INITIAL:
            self._tls()
            self.state = State.STARTING
        elif s == State.CLOSED:
            self.finish_reason = ""
            self._irc_configure()
            self._scr()
            self.state = State.REQ_SENT
        elif s == State.CLOSING:
            self.state = State.STOPPING

    def close(self, reason: str = "closed") -> None:
        s = self.state
        if not self.finish_reason:
            self.finish_reason = reason
        if s == State.STARTING:
            self.state = State.INITIAL
            self._tlf(reason)
        elif s == State.STOPPED:
            self.state = State.CLOSED
        elif s == State.STOPPING:
            self.state = State.CLOSING
        elif s in (State.REQ_SENT, State.ACK_RCVD, State.ACK_SENT, State.OPENED):
            if s == State.OPENED:
                self._tld()
            self._irc_terminate()
            self._str()
            self.state = State.CLOSING

    def timeout(self) -> None:
        s = self.state
        if self.restart_count > 0:  # TO+
            if s == State.CLOSING:
                self._str()
            elif s == State.STOPPING:
                self._str()
            elif s in (State.REQ_SENT, State.ACK_RCVD):
                self._scr()
                self.state = State.REQ_SENT
            elif s == State.ACK_SENT:
                self._scr()
        else:  # TO-
            if s == State.CLOSING:
                self.state = State.CLOSED
                self._tlf("closed")
            elif s == State.STOPPING:
                self.state = State.STOPPED
                self._tlf("stopped")
            elif s in (State.REQ_SENT, State.ACK_RCVD, State.ACK_SENT):
                self.state = State.STOPPED
                self._tlf("timeout")

    # -- receive events ----------------------------------------------------------------------
    def receive(self, code: int, ident: int, data: bytes) -> None:
        """One decoded packet of this protocol; never raises on any content."""
        if self.state in (State.INITIAL, State.STARTING):
            return  # lower layer not up: RFC 1661 says such packets are silently discarded
        if code == CONF_REQ:
            self._rcv_configure_request(ident, data)
        elif code == CONF_ACK:
            self._rcv_configure_ack(ident, data)
        elif code in (CONF_NAK, CONF_REJ):
            self._rcv_configure_nak_rej(code, ident, data)
        elif code == TERM_REQ:
            self._rcv_terminate_request(ident)
        elif code == TERM_ACK:
            self._rcv_terminate_ack(ident)
        elif code == CODE_REJ:
            self._rcv_code_reject(data)
        elif code in (PROTO_REJ, ECHO_REQ, ECHO_REPLY, DISCARD_REQ) and self.sink.cp_extra(
            self, code, ident, data
        ):
            pass  # LCP-only codes, handled by the endpoint
        else:
            self._ruc(code, ident, data)

    def _ruc(self, code: int, ident: int, data: bytes) -> None:
        # RUC: scj in every state from Closed on; the rejected packet is quoted.
        rejected = encode_packet(code, ident, data)
        self.sink.cp_send(self, encode_packet(CODE_REJ, self.next_ident(), rejected[:1496]))

    def _rcv_configure_request(self, ident: int, data: bytes) -> None:
        s = self.state
        options = decode_options(data)
        if options is None:
            return  # malformed: discarded (a real implementation would log it)
        if s == State.CLOSED:
            self._sta(ident)
            return
        if s in (State.CLOSING, State.STOPPING):
            return
        verdict, reply_options = self.policy.judge_request(options)
        if verdict == CONF_NAK:
            if self.naks_sent >= self.timers.max_failure:
                verdict = CONF_REJ  # RFC 1661 §4.6 Max-Failure: stop Nak-ing, reject instead
            else:
                self.naks_sent += 1
        good = verdict == CONF_ACK
        if good:
            self.naks_sent = 0
            self.refusals_sent = 0
            reply = encode_packet(CONF_ACK, ident, data)
        else:
            reply = encode_packet(verdict, ident, encode_options(reply_options))
            self.refusals_sent += 1
            if self.refusals_sent > 2 * self.timers.max_failure:
                # The peer keeps asking for what we refused (Max-Failure Naks, then as many
                # Rejects): it will never converge.
                self._give_up("no_convergence")
                return
        if good:
            # before any This-Layer-Up below: the layer comes up with the options just acked
            self.policy_peer_acked(options)
        if s == State.STOPPED:
            self._irc_configure()
            self._scr()
            self.sink.cp_send(self, reply)
            self.state = State.ACK_SENT if good else State.REQ_SENT
        elif s == State.OPENED:
            self._tld()
            self._scr()
            self.sink.cp_send(self, reply)
            self.state = State.ACK_SENT if good else State.REQ_SENT
        elif s == State.REQ_SENT:
            self.sink.cp_send(self, reply)
            self.state = State.ACK_SENT if good else State.REQ_SENT
        elif s == State.ACK_RCVD:
            self.sink.cp_send(self, reply)
            if good:
                self.state = State.OPENED
                self._tlu()
        elif s == State.ACK_SENT:
            self.sink.cp_send(self, reply)
            self.state = State.ACK_SENT if good else State.REQ_SENT

    def policy_peer_acked(self, options: Options) -> None:
        """Hook: the options of the peer's request that we acknowledged."""
        hook = getattr(self.policy, "on_peer_acked", None)
        if hook is not None:
            hook(options)

    def _matches_request(self, ident: int) -> bool:
        return ident == self._req_ident

    def _rcv_configure_ack(self, ident: int, data: bytes) -> None:
        s = self.state
        if s in (State.CLOSED, State.STOPPED):
            self._sta(ident)
            return
        if s in (State.CLOSING, State.STOPPING):
            return
        # An Ack must echo our outstanding request exactly (RFC 1661 §5.2); otherwise discard.
        if not self._matches_request(ident) or data != encode_options(self._req_options):
            return
        self.naks_received = 0
        self.policy.on_ack(self._req_options)
        if s == State.REQ_SENT:
            self._irc_configure()
            self.state = State.ACK_RCVD  # the restart timer keeps running (TO+ resends)
        elif s == State.ACK_RCVD:  # crossed connection: start over
            self._scr()
            self.state = State.REQ_SENT
        elif s == State.ACK_SENT:
            self._irc_configure()
            self.state = State.OPENED
            self._tlu()
        elif s == State.OPENED:
            self._tld()
            self._scr()
            self.state = State.REQ_SENT

    def _rcv_configure_nak_rej(self, code: int, ident: int, data: bytes) -> None:
        s = self.state
        if s in (State.CLOSED, State.STOPPED):
            self._sta(ident)
            return
        if s in (State.CLOSING, State.STOPPING):
            return
        if not self._matches_request(ident):
            return
        options = decode_options(data)
        if options is None:
            return
        if code == CONF_REJ:
            sent_types = {t for t, _ in self._req_options}
            if any(t not in sent_types for t, _ in options):
                return  # a Reject must only name options we sent (RFC 1661 §5.4)
            usable = self.policy.on_reject(options)
        else:
            usable = self.policy.on_nak(options)
        if not usable:
            self._give_up("rejected")
            return
        self.naks_received += 1
        insists = getattr(self.policy, "insists", False)  # a misbehaving peer never gives up
        if self.naks_received >= self.timers.max_failure and not insists:
            self._give_up("no_convergence")
            return
        if s == State.REQ_SENT:
            self._irc_configure()
            self._scr()
        elif s == State.ACK_RCVD:
            self._scr()
            self.state = State.REQ_SENT
        elif s == State.ACK_SENT:
            self._irc_configure()
            self._scr()
        elif s == State.OPENED:
            self._tld()
            self._scr()
            self.state = State.REQ_SENT

    def _give_up(self, reason: str) -> None:
        """Negotiation cannot succeed: report why, then close the layer politely."""
        self.finish_reason = reason
        self.sink.cp_layer_finished(self, reason)
        self.close(reason)

    def _rcv_terminate_request(self, ident: int) -> None:
        s = self.state
        if s == State.OPENED:
            self._tld()
            self.restart_count = 0
            self._sta(ident)
            self._zrc()
            self.state = State.STOPPING
            if not self.finish_reason:
                self.finish_reason = "peer_terminated"
            self.sink.cp_layer_finished(self, "peer_terminated")
            return
        self._sta(ident)
        if s in (State.ACK_RCVD, State.ACK_SENT):
            self.state = State.REQ_SENT

    def _rcv_terminate_ack(self, ident: int) -> None:
        s = self.state
        if s == State.CLOSING:
            self.state = State.CLOSED
            self._tlf("closed")
        elif s == State.STOPPING:
            self.state = State.STOPPED
            self._tlf("stopped")
        elif s == State.ACK_RCVD:
            self.state = State.REQ_SENT
        elif s == State.OPENED:
            self._tld()
            self._scr()
            self.state = State.REQ_SENT

    def _rcv_code_reject(self, data: bytes) -> None:
        # The peer rejected one of our codes; rejecting 1..7 is fatal (RXJ-), anything else not.
        rejected_code = data[0] if data else 0
        if 1 <= rejected_code <= 7:
            self.rxj_minus("code_rejected")

    def rxj_minus(self, reason: str) -> None:
        """RXJ-: the peer refuses something this layer cannot do without."""
        s = self.state
        if s in (State.CLOSED, State.CLOSING):
            self.state = State.CLOSED
            self._tlf(reason)
        elif s in (State.STOPPED, State.STOPPING, State.REQ_SENT, State.ACK_RCVD, State.ACK_SENT):
            self.state = State.STOPPED
            self._tlf(reason)
        elif s == State.OPENED:
            self._tld()
            self._irc_terminate()
            self._str()
            self.finish_reason = reason
            self.state = State.STOPPING
            self.sink.cp_layer_finished(self, reason)

    @property
    def opened(self) -> bool:
        return self.state == State.OPENED
