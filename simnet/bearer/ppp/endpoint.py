"""A sans-IO PPP endpoint: LCP, PAP/CHAP-MD5, IPCP (with RFC 1877 DNS), echo, terminate.

Fed decoded frames (``receive_frame``), timer expiries (``timer_expired``) and administrative
events (``lower_up``, ``open``, ``close``, ``lower_down``); it queues the typed events of
:mod:`simnet.bearer.ppp.events` that the glue collects with ``take_events()`` (or one at a time
with ``next_event()``):

- ``SendPacket(protocol, info)``: a PPP frame to transmit,
- ``SetTimer(key, delay)``: (re)arm timer ``key``; ``delay=None`` cancels it,
- ``PhaseChange(phase)``,
- ``Result(outcome)``: the negotiation is decided (ok with addresses, or why it failed);
  emitted once,
- ``Ended(outcome)``: the link is over (failure before or loss after establishment); once,
- ``Datagram(protocol, data)``: an IP datagram from the peer (only once IPCP is opened).

``send_datagram(data)`` queues an IP datagram towards the peer (dropped, returning False,
unless IPCP is opened).

Failures are decided at the instant the cause is known (timer run out, Nak received, peer's
Terminate-Request); the polite teardown that follows (Terminate-Request/Ack) runs after it.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from simnet.bearer.outcomes import Outcome, OutcomeKind
from simnet.bearer.ppp.config import PppConfig, PppFault
from simnet.bearer.ppp.events import (
    Datagram,
    Ended,
    Phase,
    PhaseChange,
    PppEvent,
    Result,
    SendPacket,
    SetTimer,
)
from simnet.bearer.ppp.fsm import ControlFsm, FsmTimers, State
from simnet.bearer.ppp.hdlc import DEFAULT_ACCM
from simnet.bearer.ppp.packets import (
    CHAP_CHALLENGE,
    CHAP_FAILURE,
    CHAP_MD5,
    CHAP_RESPONSE,
    CHAP_SUCCESS,
    CODE_REJ,
    CONF_ACK,
    CONF_NAK,
    CONF_REJ,
    CONF_REQ,
    DISCARD_REQ,
    ECHO_REPLY,
    ECHO_REQ,
    IPCP_ADDRESS,
    IPCP_DNS1,
    IPCP_DNS2,
    LCP_ACCM,
    LCP_ACFC,
    LCP_AUTH,
    LCP_CALLBACK,
    LCP_MAGIC,
    LCP_MRU,
    LCP_PFC,
    PAP_ACK,
    PAP_NAK,
    PAP_REQ,
    PROTO_CHAP,
    PROTO_IP,
    PROTO_IPCP,
    PROTO_LCP,
    PROTO_PAP,
    PROTO_REJ,
    Options,
    decode_packet,
    encode_packet,
    ip_bytes,
    ip_str,
    u16,
    u32,
)

ZERO_IP = "0.0.0.0"
AUTH_PAP = u16(PROTO_PAP)
AUTH_CHAP_MD5 = u16(PROTO_CHAP) + bytes((CHAP_MD5,))


@dataclass(frozen=True)
class PeerAuth:
    """What the peer authenticated with, as the authenticator received it: PAP carries the
    password in clear (RFC 1334 §2.2.1); CHAP only the Identifier, the Challenge we sent and
    the peer's MD5 Response (RFC 1994 §4.1), which whoever knows the secret can verify."""

    protocol: str  # "pap" or "chap"
    user: str
    password: str = ""
    chap_ident: int = 0
    challenge: bytes = b""
    response: bytes = b""


def _u(value: bytes) -> int:
    return int.from_bytes(value, "big")


class LcpPolicy:
    """LCP options (RFC 1661 §6): MRU, ACCM, Authentication-Protocol, Magic-Number."""

    def __init__(self, ep: PppEndpoint) -> None:
        self.ep = ep
        cfg = ep.config
        self.want_mru: int | None = cfg.mru if cfg.mru != 1500 else None
        self.want_accm: int | None = cfg.accm if cfg.accm != DEFAULT_ACCM else None
        self.want_magic: int | None = ep.new_magic() if cfg.magic else None
        # Authentication protocols this side can run as authenticator, in order of preference:
        # "any" starts with CHAP-MD5, what SIMCom/Quectel modules ask of pppd first.
        self.auth_offer: list[bytes] = []
        if cfg.role == "server" and cfg.auth in ("chap", "any"):
            self.auth_offer.append(AUTH_CHAP_MD5)
        if cfg.role == "server" and cfg.auth in ("pap", "any"):
            self.auth_offer.append(AUTH_PAP)
        self.auth_refused: list[bytes] = []  # what the peer Naked (RFC 1661 §6.2)
        self.want_auth: bytes | None = self.auth_offer[0] if self.auth_offer else None
        # RFC 1661 §6.5/§6.6: asking for PFC/ACFC says we can receive compressed frames
        self.want_pfc = cfg.compression
        self.want_acfc = cfg.compression
        self.tx_pfc = False  # the peer asked for it and we agreed: we may compress towards it
        self.tx_acfc = False
        # Results of the negotiation
        self.peer_mru = 1500
        self.rx_accm = DEFAULT_ACCM  # the ACCM the peer agreed to use when sending to us
        self.tx_accm = DEFAULT_ACCM  # the ACCM the peer asked us to use when sending
        self.peer_magic = 0
        self.auth_as_peer: int | None = None  # protocol we agreed to authenticate ourselves with
        self.auth_as_authenticator: int | None = None  # protocol the peer agreed to use

    @property
    def insists(self) -> bool:
        return self.ep.fault_is("lcp", "reject_loop")

    def request_options(self) -> Options:
        opts: Options = []
        if self.want_mru is not None:
            opts.append((LCP_MRU, u16(self.want_mru)))
        if self.want_accm is not None:
            opts.append((LCP_ACCM, u32(self.want_accm)))
        if self.want_auth is not None:
            opts.append((LCP_AUTH, self.want_auth))
        if self.want_magic is not None:
            opts.append((LCP_MAGIC, u32(self.want_magic)))
        if self.want_pfc:
            opts.append((LCP_PFC, b""))
        if self.want_acfc:
            opts.append((LCP_ACFC, b""))
        if self.ep.fault_is("lcp", "reject_loop"):
            # misbehaving: insists on a callback (RFC 1570), which no dial-up peer grants
            opts.append((LCP_CALLBACK, b"\x06"))
        return opts

    def _acceptable_auth(self) -> list[bytes]:
        cfg = self.ep.config
        if cfg.role != "client" or cfg.auth == "none" or self.ep.fault_is("lcp", "reject_auth"):
            return []
        out = []
        if cfg.auth in ("pap", "any"):
            out.append(AUTH_PAP)
        if cfg.auth in ("chap", "any"):
            out.append(AUTH_CHAP_MD5)
        return out

    def judge_request(self, options: Options) -> tuple[int, Options]:
        if self.ep.fault_is("lcp", "nak_loop") and options:
            return CONF_NAK, options  # misbehaving: Nak everything, suggesting nothing new
        rej: Options = []
        nak: Options = []
        for t, v in options:
            if t == LCP_MRU:
                if len(v) != 2:
                    rej.append((t, v))
                elif _u(v) < 128:
                    nak.append((t, u16(1500)))
            elif t == LCP_ACCM:
                if len(v) != 4:
                    rej.append((t, v))
            elif t == LCP_AUTH:
                acceptable = self._acceptable_auth()
                if not acceptable:
                    rej.append((t, v))
                elif v not in acceptable:
                    nak.append((t, acceptable[0]))
            elif t == LCP_MAGIC:
                if len(v) != 4:
                    rej.append((t, v))
                elif self.want_magic is not None and _u(v) == self.want_magic and _u(v) != 0:
                    nak.append((t, u32(self.ep.new_magic())))  # looped-back line suspected
            elif t in (LCP_PFC, LCP_ACFC) and not v and self.ep.config.compression:
                pass  # we can receive compressed frames (the deframer takes both forms)
            else:
                rej.append((t, v))  # callback, quality protocol, anything unknown
        if rej:
            return CONF_REJ, rej
        if nak:
            return CONF_NAK, nak
        return CONF_ACK, options

    def on_peer_acked(self, options: Options) -> None:
        self.auth_as_peer = None
        for t, v in options:
            if t == LCP_MRU:
                self.peer_mru = _u(v)
            elif t == LCP_ACCM:
                self.tx_accm = _u(v)
            elif t == LCP_MAGIC:
                self.peer_magic = _u(v)
            elif t == LCP_AUTH:
                self.auth_as_peer = _u(v[:2])
        types = {t for t, _ in options}
        self.tx_pfc = LCP_PFC in types
        self.tx_acfc = LCP_ACFC in types

    def on_ack(self, options: Options) -> None:
        self.auth_as_authenticator = None
        self.rx_accm = DEFAULT_ACCM
        for t, v in options:
            if t == LCP_ACCM:
                self.rx_accm = _u(v)
            if t == LCP_AUTH:
                self.auth_as_authenticator = _u(v[:2])

    def on_nak(self, options: Options) -> bool:
        for t, v in options:
            if t == LCP_MRU and len(v) == 2 and 128 <= _u(v) <= 65535:
                self.want_mru = _u(v)
            elif t == LCP_ACCM and len(v) == 4 and self.want_accm is not None:
                self.want_accm |= _u(v)
            elif t == LCP_MAGIC and self.want_magic is not None:
                self.want_magic = self.ep.new_magic()
            elif t == LCP_AUTH and self.want_auth is not None:
                return self._follow_auth_nak(v)
        return True

    def _follow_auth_nak(self, suggested: bytes) -> bool:
        """The peer Naked our Authentication-Protocol (RFC 1661 §6.2): it will not
        authenticate that way and may suggest another. Take the suggestion if we can run it
        (PAP, CHAP-MD5); otherwise (EAP, MS-CHAP, ...) try our next protocol the peer has not
        refused yet. With none left: let the peer in unauthenticated if that is allowed, else
        the negotiation cannot succeed."""
        if self.want_auth is not None and self.want_auth not in self.auth_refused:
            self.auth_refused.append(self.want_auth)
        if suggested in self.auth_offer and suggested not in self.auth_refused:
            self.want_auth = suggested
            return True
        left = [a for a in self.auth_offer if a not in self.auth_refused]
        if left:
            self.want_auth = left[0]
            return True
        if self.ep.config.auth_optional:
            self.want_auth = None
            return True
        return False

    def on_reject(self, options: Options) -> bool:
        if self.ep.fault_is("lcp", "reject_loop"):
            return True  # misbehaving: ignores the Reject and asks again for the same
        for t, _ in options:
            if t == LCP_MRU:
                self.want_mru = None
            elif t == LCP_ACCM:
                self.want_accm = None
            elif t == LCP_MAGIC:
                self.want_magic = None
            elif t == LCP_PFC:
                self.want_pfc = False
            elif t == LCP_ACFC:
                self.want_acfc = False
            elif t == LCP_AUTH:
                if not self.ep.config.auth_optional:
                    return False  # the peer refuses to authenticate: we must not go on
                self.want_auth = None  # optional: let the peer in unauthenticated
        return True


class IpcpPolicy:
    """IPCP options: IP-Address (RFC 1332 §3.3), primary/secondary DNS (RFC 1877 §1.1, §1.3)."""

    def __init__(self, ep: PppEndpoint) -> None:
        self.ep = ep
        cfg = ep.config
        client = cfg.role == "client"
        self.want_ip: str | None = (cfg.local_ip or ZERO_IP) if client else cfg.local_ip
        self.want_dns: dict[int, str] = {}
        if client and cfg.request_dns:
            self.want_dns = {IPCP_DNS1: ZERO_IP, IPCP_DNS2: ZERO_IP}
        self.local_ip: str | None = None
        self.peer_ip: str | None = None
        self.dns: tuple[str, ...] = ()

    def request_options(self) -> Options:
        opts: Options = []
        if self.want_ip is not None:
            opts.append((IPCP_ADDRESS, ip_bytes(self.want_ip)))
        for t in (IPCP_DNS1, IPCP_DNS2):
            if t in self.want_dns:
                opts.append((t, ip_bytes(self.want_dns[t])))
        return opts

    def judge_request(self, options: Options) -> tuple[int, Options]:
        cfg = self.ep.config
        if self.ep.fault_is("ipcp", "reject") and options:
            return CONF_REJ, options
        if self.ep.fault_is("ipcp", "nak_loop") and options:
            return CONF_NAK, options
        rej: Options = []
        nak: Options = []
        seen_address = False
        for t, v in options:
            if t == IPCP_ADDRESS and len(v) == 4:
                seen_address = True
                if cfg.role == "server":
                    if ip_str(v) != self.ep.assigned_peer_ip:
                        nak.append((t, ip_bytes(self.ep.assigned_peer_ip or ZERO_IP)))
                elif ip_str(v) == ZERO_IP:
                    rej.append((t, v))  # we have no address to give the peer
            elif t in (IPCP_DNS1, IPCP_DNS2) and len(v) == 4 and cfg.role == "server":
                index = 0 if t == IPCP_DNS1 else 1
                dns = self.ep.assigned_dns
                if index >= len(dns):
                    rej.append((t, v))
                elif ip_str(v) != dns[index]:
                    nak.append((t, ip_bytes(dns[index])))
            else:
                rej.append((t, v))  # VJ compression, NBNS, malformed, unknown
        if rej:
            return CONF_REJ, rej
        if cfg.role == "server" and not seen_address and self.ep.assigned_peer_ip is not None:
            # RFC 1332 §3.3: a Nak may carry IP-Address to tell a peer that did not ask
            nak.append((IPCP_ADDRESS, ip_bytes(self.ep.assigned_peer_ip)))
        if nak:
            return CONF_NAK, nak
        return CONF_ACK, options

    def on_peer_acked(self, options: Options) -> None:
        for t, v in options:
            if t == IPCP_ADDRESS:
                self.peer_ip = ip_str(v)

    def on_ack(self, options: Options) -> None:
        for t, v in options:
            if t == IPCP_ADDRESS:
                self.local_ip = ip_str(v)
        self.dns = tuple(
            ip_str(v) for t, v in options if t in (IPCP_DNS1, IPCP_DNS2) and ip_str(v) != ZERO_IP
        )

    def on_nak(self, options: Options) -> bool:
        if self.ep.config.role != "client":
            return True
        for t, v in options:
            if len(v) != 4:
                continue
            if t == IPCP_ADDRESS:
                self.want_ip = ip_str(v)
            elif t in (IPCP_DNS1, IPCP_DNS2) and t in self.want_dns:
                self.want_dns[t] = ip_str(v)
        return True

    def on_reject(self, options: Options) -> bool:
        for t, _ in options:
            if t == IPCP_ADDRESS:
                if self.ep.config.role == "client" and self.want_ip == ZERO_IP:
                    return False  # no address from the peer and none of our own
                self.want_ip = None
            else:
                self.want_dns.pop(t, None)
        return True


class PppEndpoint:
    """One side of a PPP link (client or server role), as a sans-IO state machine."""

    def __init__(self, config: PppConfig, rng: random.Random, *, name: str = "ppp") -> None:
        self.config = config
        self.rng = rng
        self.name = name
        timers = FsmTimers(
            config.restart, config.max_configure, config.max_terminate, config.max_failure
        )
        self.lcp_policy = LcpPolicy(self)
        self.ipcp_policy = IpcpPolicy(self)
        self.lcp = ControlFsm("LCP", PROTO_LCP, self.lcp_policy, self, timers)
        self.ipcp = ControlFsm("IPCP", PROTO_IPCP, self.ipcp_policy, self, timers)
        self.fault: PppFault | None = config.fault  # mutable: a fault may start mid-session
        # Server: the address and DNS handed to the peer (None: IPCP waits for assign_address)
        self.assigned_peer_ip: str | None = config.peer_ip
        self.assigned_dns: tuple[str, ...] = config.dns
        self.phase = Phase.DEAD
        self.result: Outcome | None = None
        self.ended: Outcome | None = None
        self.ip_frames_received = 0
        self.ip_frames_sent = 0
        self.frames_discarded = 0
        self._held_ipcp: tuple[int, int, bytes] | None = None  # server: peer's request while held
        self._events: list[PppEvent] = []
        self._auth_tries = 0
        self._auth_ident = 0
        self._auth_done = False
        self._challenge = b""
        self._echo_pending = 0
        self._echo_ident = 0
        self._closing_locally = False
        self._passive_waiting = False
        self.peer_auth: PeerAuth | None = None  # authenticator: the peer's last credentials

    # -- helpers -----------------------------------------------------------------------------
    def fault_is(self, phase: str, mode: str) -> bool:
        return self.fault is not None and self.fault.phase == phase and self.fault.mode == mode

    def new_magic(self) -> int:
        return self.rng.randrange(1, 1 << 32)

    def take_events(self) -> list[PppEvent]:
        """Hand over (and clear) the events queued so far."""
        out, self._events = self._events, []
        return out

    def next_event(self) -> PppEvent | None:
        """The oldest event not taken yet (None: there is none), as h11's next_event."""
        return self._events.pop(0) if self._events else None

    def _emit(self, event: PppEvent) -> None:
        self._events.append(event)

    def _set_phase(self, phase: Phase) -> None:
        if phase != self.phase:
            self.phase = phase
            self._emit(PhaseChange(phase))

    @property
    def tx_accm(self) -> int:
        """ACCM for sending non-LCP frames (LCP always uses the default, RFC 1662 §7.1)."""
        return self.lcp_policy.tx_accm if self.lcp.opened else DEFAULT_ACCM

    @property
    def tx_pfc(self) -> bool:
        """Protocol fields of non-LCP frames towards the peer may be one byte (RFC 1661 §6.5)."""
        return self.lcp.opened and self.lcp_policy.tx_pfc

    @property
    def tx_acfc(self) -> bool:
        """Non-LCP frames towards the peer may omit FF 03 (RFC 1661 §6.6)."""
        return self.lcp.opened and self.lcp_policy.tx_acfc

    @property
    def rx_accm(self) -> int:
        """Control characters the peer escapes for us; unescaped ones are line noise."""
        return self.lcp_policy.rx_accm if self.lcp.opened else DEFAULT_ACCM

    @property
    def established(self) -> bool:
        return self.result is not None and self.result.ok and self.ended is None

    def _decide(self, kind: OutcomeKind, detail: str = "") -> None:
        """Record a failure or loss (first one wins) and start tearing the link down."""
        outcome = Outcome(kind, detail=detail)
        if self.result is None:
            self.result = outcome
            self._emit(Result(outcome))
        if self.ended is None:
            self.ended = outcome
            self._emit(Ended(outcome))
        self._stop_aux_timers()
        if self.lcp.state not in (
            State.INITIAL,
            State.STARTING,
            State.CLOSED,
            State.STOPPED,
            State.CLOSING,
            State.STOPPING,
        ):
            self._set_phase(Phase.TERMINATE)
            self.lcp.close(kind.value)

    def _stop_aux_timers(self) -> None:
        for key in ("auth", "echo", "fault"):
            self._emit(SetTimer(key, None))

    # -- administrative events ---------------------------------------------------------------
    def lower_up(self) -> None:
        self.lcp.up()

    def open(self) -> None:
        """Start negotiating (a passive endpoint is opened too; it just answers first)."""
        self._set_phase(Phase.ESTABLISH)
        if self.fault_is("lcp", "silent") or self.fault_is("lcp", "reject"):
            return
        if self.config.passive:
            self._passive_waiting = True  # the peer's first LCP packet opens LCP (receive_frame)
            return
        self.lcp.open()

    def close(self) -> None:
        """Local administrative close (hang-up): terminate the link politely."""
        self._closing_locally = True
        if self.result is None:
            self._decide(OutcomeKind.CANCELLED, "closed locally before negotiation ended")
            return
        if self.ended is None:
            self.ended = Outcome(OutcomeKind.OK, detail="closed locally")
            self._emit(Ended(self.ended))
        self._stop_aux_timers()
        self._set_phase(Phase.TERMINATE)
        self.lcp.close("closed")

    def lower_down(self) -> None:
        """Carrier lost (call dropped, pipe cut)."""
        # Down first, so that deciding the outcome does not try to send a Terminate-Request
        self.ipcp.down()
        self.lcp.down()
        if self.ended is None:
            self._decide(OutcomeKind.NETWORK_LOST, "lower layer down")
        self._stop_aux_timers()
        self._set_phase(Phase.DEAD)

    def timer_expired(self, key: str) -> None:
        if key == "LCP":
            self.lcp.timeout()
        elif key == "IPCP":
            self.ipcp.timeout()
        elif key == "auth":
            self._auth_timeout()
        elif key == "echo":
            self._echo_tick()
        elif key == "fault":
            self._fault_terminate()

    # -- frames ------------------------------------------------------------------------------
    def receive_frame(self, protocol: int, info: bytes) -> None:
        """One PPP frame (FCS already checked); any content is accepted without raising."""
        if protocol == PROTO_LCP:
            if self.fault_is("lcp", "silent"):
                return
            pkt = decode_packet(info)
            if pkt is None:
                self.frames_discarded += 1
                return
            if self.fault_is("lcp", "reject") and pkt[0] == CONF_REQ:
                # misbehaving: Code-Reject the peer's Configure-Request (fatal to its LCP)
                self._emit(
                    SendPacket(
                        PROTO_LCP, encode_packet(CODE_REJ, self.lcp.next_ident(), info[:1496])
                    )
                )
                return
            if self._passive_waiting:
                self._passive_waiting = False
                self.lcp.open()  # passive: the peer is listening now
            self.lcp.receive(*pkt)
            return
        if not self.lcp.opened:
            self.frames_discarded += 1  # RFC 1661 §3.4: non-LCP packets need an opened LCP
            return
        if protocol in (PROTO_PAP, PROTO_CHAP):
            pkt = decode_packet(info)
            if pkt is None or self.phase not in (Phase.AUTHENTICATE, Phase.NETWORK, Phase.RUNNING):
                self.frames_discarded += 1
                return
            if protocol == PROTO_PAP:
                self._pap_receive(*pkt)
            else:
                self._chap_receive(*pkt)
            return
        if protocol == PROTO_IPCP:
            if self.phase not in (Phase.NETWORK, Phase.RUNNING):
                self.frames_discarded += 1
                return
            if self.fault_is("ipcp", "silent"):
                return
            if self.fault_is("ipcp", "protocol_reject"):
                self._send_protocol_reject(protocol, info)
                return
            pkt = decode_packet(info)
            if pkt is None:
                self.frames_discarded += 1
                return
            if self.config.role == "server" and self.assigned_peer_ip is None:
                # Still waiting for the address to hand out: keep the peer's latest request and
                # answer it the moment the address is known, instead of letting the peer wait
                # for its Restart timer (3 s with pppd).
                if pkt[0] == CONF_REQ:
                    self._held_ipcp = pkt
                return
            self.ipcp.receive(*pkt)
            return
        if protocol == PROTO_IP:
            if self.phase == Phase.RUNNING and self.ipcp.opened:
                self.ip_frames_received += 1
                self._emit(Datagram(protocol, info))
            else:
                self.frames_discarded += 1  # RFC 1661 §3.5: only once the NCP is opened
            return
        self._send_protocol_reject(protocol, info)

    def send_datagram(self, data: bytes, protocol: int = PROTO_IP) -> bool:
        """Queue an IP datagram towards the peer; False (not sent) unless IPCP is opened."""
        if self.phase != Phase.RUNNING or not self.ipcp.opened:
            return False
        self.ip_frames_sent += 1
        self._emit(SendPacket(protocol, data))
        return True

    def _send_protocol_reject(self, protocol: int, info: bytes) -> None:
        data = u16(protocol) + info[: max(0, self.lcp_policy.peer_mru - 6)]
        self._emit(SendPacket(PROTO_LCP, encode_packet(PROTO_REJ, self.lcp.next_ident(), data)))

    # -- ControlSink (called by the two automatons) ------------------------------------------
    def cp_send(self, fsm: ControlFsm, packet: bytes) -> None:
        self._emit(SendPacket(fsm.protocol, packet))

    def cp_timer(self, fsm: ControlFsm, delay: float | None) -> None:
        self._emit(SetTimer(fsm.name, delay))

    def cp_layer_started(self, fsm: ControlFsm) -> None:
        pass

    def cp_layer_up(self, fsm: ControlFsm) -> None:
        if fsm is self.lcp:
            self._lcp_up()
        else:
            self._ipcp_up()

    def cp_layer_down(self, fsm: ControlFsm) -> None:
        # The reason is decided by whatever brought the layer down (cp_layer_finished,
        # lower_down, close); going down alone decides nothing.
        if fsm is self.lcp:
            self._stop_aux_timers()
            self.ipcp.down()

    def cp_layer_finished(self, fsm: ControlFsm, reason: str) -> None:
        if fsm is self.lcp:
            if reason == "peer_terminated":
                self._decide(OutcomeKind.PEER_TERMINATED, "peer sent LCP Terminate-Request")
            elif reason == "timeout":
                self._decide(
                    OutcomeKind.LCP_TIMEOUT, f"{fsm.requests_sent} Configure-Requests unanswered"
                )
            elif reason in ("no_convergence", "rejected", "code_rejected", "protocol_rejected"):
                self._decide(OutcomeKind.LCP_FAILED, f"LCP {reason.replace('_', ' ')}")
            else:
                # closed/stopped after a decision, or after the peer went away
                if self.result is None or self.ended is None:
                    self._decide(
                        OutcomeKind.CANCELLED if self._closing_locally else OutcomeKind.LCP_FAILED,
                        f"LCP {reason}",
                    )
            # RFC 1661 §3.2: This-Layer-Finished in a final state is Link Dead, whichever way
            # the link ended (a silent peer, RXJ-, Terminate-Ack or Max-Terminate timeouts).
            if self.lcp.state in (State.CLOSED, State.STOPPED, State.INITIAL):
                self._set_phase(Phase.DEAD)
            return
        # IPCP finished: the link has no purpose left
        if self.ended is not None:
            return
        if reason == "timeout":
            self._decide(
                OutcomeKind.IPCP_TIMEOUT, f"{fsm.requests_sent} IPCP Configure-Requests unanswered"
            )
        elif reason == "peer_terminated":
            self._decide(OutcomeKind.PEER_TERMINATED, "peer sent IPCP Terminate-Request")
        else:
            self._decide(OutcomeKind.IPCP_FAILED, f"IPCP {reason.replace('_', ' ')}")

    def cp_extra(self, fsm: ControlFsm, code: int, ident: int, data: bytes) -> bool:
        if fsm is not self.lcp:
            return False  # codes 8..11 exist only in LCP: the automaton Code-Rejects them
        if code == ECHO_REQ:
            if self.lcp.opened and not self.fault_is("open", "echo_silent"):
                magic = self.lcp_policy.want_magic or 0
                self._emit(
                    SendPacket(PROTO_LCP, encode_packet(ECHO_REPLY, ident, u32(magic) + data[4:]))
                )
        elif code == ECHO_REPLY:
            if self.lcp.opened:
                self._echo_pending = 0
        elif code == PROTO_REJ:
            rejected = _u(data[:2]) if len(data) >= 2 else 0
            if rejected == PROTO_IPCP:
                self.ipcp.rxj_minus("protocol_rejected")
            elif rejected == PROTO_LCP:
                self.lcp.rxj_minus("protocol_rejected")
        elif code == DISCARD_REQ:
            pass
        return True

    # -- phases ------------------------------------------------------------------------------
    def _lcp_up(self) -> None:
        cfg = self.config
        if cfg.echo_interval > 0:
            self._echo_pending = 0
            self._echo_tick()
        if self.fault_is("lcp", "terminate"):
            self._fault_terminate()
            return
        if (
            self.lcp_policy.auth_as_authenticator is not None
            or self.lcp_policy.auth_as_peer is not None
        ):
            self._set_phase(Phase.AUTHENTICATE)
            self._auth_start()
        else:
            self._network_phase()

    def _network_phase(self) -> None:
        self._set_phase(Phase.NETWORK)
        if self.fault_is("ipcp", "terminate"):
            self._fault_terminate()
            return
        if self.fault_is("ipcp", "silent"):
            return
        if self.config.role == "server" and self.assigned_peer_ip is None:
            return  # hold IPCP until assign_address(); the peer's requests are dropped meanwhile
        self.ipcp.open()
        self.ipcp.up()

    def assign_address(self, peer_ip: str, dns: tuple[str, ...] = ()) -> None:
        """Server: the address (and DNS) for the peer is now known; IPCP may proceed."""
        self.assigned_peer_ip = peer_ip
        self.assigned_dns = tuple(dns)[:2]
        if self.phase == Phase.NETWORK and self.ipcp.state in (State.INITIAL, State.STARTING):
            self.ipcp.open()
            self.ipcp.up()
            held, self._held_ipcp = self._held_ipcp, None
            if held is not None:
                self.ipcp.receive(*held)

    def set_fault(self, fault: PppFault | None) -> None:
        """Change how this endpoint misbehaves mid-session. A fault that kept a layer from
        starting (lcp/silent or reject, ipcp/silent) no longer holds it back once lifted."""
        self.fault = fault
        if self.ended is not None:
            return
        if (
            self.phase == Phase.ESTABLISH
            and self.lcp.state in (State.INITIAL, State.STARTING, State.CLOSED)
            and not (self.fault_is("lcp", "silent") or self.fault_is("lcp", "reject"))
        ):
            if self.config.passive and (self._passive_waiting or self.lcp.state == State.CLOSED):
                self._passive_waiting = True  # still waiting for the peer's first packet
            else:
                self.lcp.open()
        elif (
            self.phase == Phase.NETWORK
            and self.ipcp.state in (State.INITIAL, State.STARTING)
            and not self.fault_is("ipcp", "silent")
            and not (self.config.role == "server" and self.assigned_peer_ip is None)
        ):
            self.ipcp.open()
            self.ipcp.up()

    def fail(self, kind: OutcomeKind | str, detail: str = "") -> None:
        """End the link for a reason outside PPP (e.g. the PDP context behind it failed)."""
        self._decide(OutcomeKind(kind), detail)

    def _ipcp_up(self) -> None:
        pol = self.ipcp_policy
        if self.config.role == "client":
            if pol.local_ip in (None, ZERO_IP):
                self._decide(OutcomeKind.IPCP_FAILED, "no IP address assigned")
                return
            outcome = Outcome(OutcomeKind.OK, ip=pol.local_ip, dns=pol.dns, peer_ip=pol.peer_ip)
        else:
            outcome = Outcome(
                OutcomeKind.OK,
                ip=self.config.local_ip,
                dns=self.assigned_dns,
                peer_ip=self.assigned_peer_ip,
            )
        self._set_phase(Phase.RUNNING)
        if self.result is None:
            self.result = outcome
            self._emit(Result(outcome))
        if self.fault is not None and self.fault_is("open", "terminate"):
            self._emit(SetTimer("fault", self.fault.after))

    def _fault_terminate(self) -> None:
        # The misbehaving side hangs up the link on purpose.
        self._closing_locally = True
        if self.result is None:
            self.result = Outcome(OutcomeKind.CANCELLED, detail="fault: terminate")
            self._emit(Result(self.result))
        if self.ended is None:
            self.ended = Outcome(OutcomeKind.CANCELLED, detail="fault: terminate")
            self._emit(Ended(self.ended))
        self._stop_aux_timers()
        self._set_phase(Phase.TERMINATE)
        self.lcp.close("closed")

    # -- echo (link quality check) ----------------------------------------------------------
    def _echo_tick(self) -> None:
        if not self.lcp.opened:
            return
        if self._echo_pending >= self.config.echo_failure:
            self._decide(
                OutcomeKind.ECHO_TIMEOUT, f"{self._echo_pending} LCP Echo-Requests unanswered"
            )
            return
        self._echo_ident = (self._echo_ident + 1) & 0xFF
        magic = self.lcp_policy.want_magic or 0
        self._emit(SendPacket(PROTO_LCP, encode_packet(ECHO_REQ, self._echo_ident, u32(magic))))
        self._echo_pending += 1
        self._emit(SetTimer("echo", self.config.echo_interval))

    # -- authentication (RFC 1334 PAP, RFC 1994 CHAP-MD5) ------------------------------------
    def _auth_wait(self) -> float:
        return self.config.restart * self.config.max_configure

    def _auth_start(self) -> None:
        self._auth_tries = 0
        self._auth_done = False  # LCP may have been renegotiated: authenticate again
        if self.fault_is("auth", "terminate"):
            self._fault_terminate()
            return
        silent = self.fault_is("auth", "silent")
        if self.lcp_policy.auth_as_authenticator == PROTO_CHAP:
            if not silent:
                self._chap_send_challenge()
            return
        if self.lcp_policy.auth_as_authenticator == PROTO_PAP:
            self._emit(SetTimer("auth", self._auth_wait()))
            return
        if self.lcp_policy.auth_as_peer == PROTO_PAP:
            if not silent:
                self._pap_send_request()
            else:
                self._emit(SetTimer("auth", self._auth_wait()))
        elif self.lcp_policy.auth_as_peer == PROTO_CHAP:
            self._emit(SetTimer("auth", self._auth_wait()))

    def _auth_succeeded(self) -> None:
        if self._auth_done:
            return
        self._auth_done = True
        self._emit(SetTimer("auth", None))
        self._network_phase()

    def _auth_failed(self, detail: str) -> None:
        self._emit(SetTimer("auth", None))
        self._decide(OutcomeKind.AUTH_FAILED, detail)

    def _auth_timeout(self) -> None:
        if self._auth_done or self.phase != Phase.AUTHENTICATE:
            return
        pol = self.lcp_policy
        if pol.auth_as_peer == PROTO_PAP and not self.fault_is("auth", "silent"):
            if self._auth_tries < self.config.max_configure:
                self._pap_send_request()
                return
        elif pol.auth_as_authenticator == PROTO_CHAP and not self.fault_is("auth", "silent"):
            if self._auth_tries < self.config.max_configure:
                self._chap_send_challenge()
                return
        self._decide(OutcomeKind.AUTH_TIMEOUT, "authentication peer did not answer")

    def _pap_send_request(self) -> None:
        cfg = self.config
        self._auth_tries += 1
        self._auth_ident = (self._auth_ident + 1) & 0xFF
        user = cfg.username.encode()
        password = cfg.password.encode()
        data = bytes((len(user),)) + user + bytes((len(password),)) + password
        self._emit(SendPacket(PROTO_PAP, encode_packet(PAP_REQ, self._auth_ident, data)))
        self._emit(SetTimer("auth", cfg.restart))

    def _credentials_ok(self, user: str, password: str) -> bool:
        creds = self.config.credentials
        if self.fault_is("auth", "reject"):
            return False
        return creds is None or (user, password) in creds

    def _secret_for(self, user: str) -> str | None:
        creds = self.config.credentials
        if creds is None:
            return None
        for name, secret in creds:
            if name == user:
                return secret
        return None

    def _pap_receive(self, code: int, ident: int, data: bytes) -> None:
        pol = self.lcp_policy
        if code == PAP_REQ and pol.auth_as_authenticator == PROTO_PAP:
            if self.fault_is("auth", "silent"):
                return
            if (
                len(data) < 1
                or len(data) < 2 + data[0]
                or len(data) < 2 + data[0] + data[1 + data[0]]
            ):
                return  # malformed request: ignore, the peer retransmits
            ulen = data[0]
            user = data[1 : 1 + ulen].decode("latin-1")
            plen = data[1 + ulen]
            password = data[2 + ulen : 2 + ulen + plen].decode("latin-1")
            if not self._auth_done:
                self.peer_auth = PeerAuth("pap", user, password)
            if self._auth_done:
                self._emit(SendPacket(PROTO_PAP, encode_packet(PAP_ACK, ident, b"\x00")))
                return
            if self._credentials_ok(user, password):
                self._emit(SendPacket(PROTO_PAP, encode_packet(PAP_ACK, ident, b"\x00")))
                self._auth_succeeded()
            else:
                msg = b"authentication failed"
                self._emit(
                    SendPacket(PROTO_PAP, encode_packet(PAP_NAK, ident, bytes((len(msg),)) + msg))
                )
                self._auth_failed(f"PAP credentials of {user!r} rejected")
        elif code in (PAP_ACK, PAP_NAK) and pol.auth_as_peer == PROTO_PAP:
            if ident != self._auth_ident or self._auth_done:
                return
            if code == PAP_ACK:
                self._auth_succeeded()
            else:
                self._auth_failed("PAP Authenticate-Nak")

    def _chap_send_challenge(self) -> None:
        self._auth_tries += 1
        self._auth_ident = (self._auth_ident + 1) & 0xFF
        self._challenge = bytes(self.rng.randrange(256) for _ in range(16))
        name = self.config.hostname.encode()
        data = bytes((len(self._challenge),)) + self._challenge + name
        self._emit(SendPacket(PROTO_CHAP, encode_packet(CHAP_CHALLENGE, self._auth_ident, data)))
        self._emit(SetTimer("auth", self.config.restart))

    @staticmethod
    def chap_md5(ident: int, secret: bytes, challenge: bytes) -> bytes:
        """RFC 1994 §2: MD5 over Identifier, secret, Challenge Value."""
        return hashlib.md5(bytes((ident,)) + secret + challenge).digest()

    def _chap_receive(self, code: int, ident: int, data: bytes) -> None:
        pol = self.lcp_policy
        cfg = self.config
        if code == CHAP_CHALLENGE and pol.auth_as_peer == PROTO_CHAP:
            if self.fault_is("auth", "silent") or not data or len(data) < 1 + data[0]:
                return
            challenge = data[1 : 1 + data[0]]
            digest = self.chap_md5(ident, cfg.password.encode(), challenge)
            payload = bytes((len(digest),)) + digest + cfg.username.encode()
            self._emit(SendPacket(PROTO_CHAP, encode_packet(CHAP_RESPONSE, ident, payload)))
            self._emit(SetTimer("auth", self._auth_wait()))
        elif code == CHAP_RESPONSE and pol.auth_as_authenticator == PROTO_CHAP:
            if ident != self._auth_ident or not data or len(data) < 1 + data[0]:
                return
            if self._auth_done:
                self._emit(SendPacket(PROTO_CHAP, encode_packet(CHAP_SUCCESS, ident, b"")))
                return
            value = data[1 : 1 + data[0]]
            user = data[1 + data[0] :].decode("latin-1")
            self.peer_auth = PeerAuth(
                "chap", user, chap_ident=ident, challenge=self._challenge, response=value
            )
            secret = self._secret_for(user)
            ok = not self.fault_is("auth", "reject") and (
                cfg.credentials is None
                or (
                    secret is not None
                    and value == self.chap_md5(ident, secret.encode(), self._challenge)
                )
            )
            if ok:
                self._emit(SendPacket(PROTO_CHAP, encode_packet(CHAP_SUCCESS, ident, b"Welcome")))
                self._auth_succeeded()
            else:
                self._emit(
                    SendPacket(PROTO_CHAP, encode_packet(CHAP_FAILURE, ident, b"Access denied"))
                )
                self._auth_failed(f"CHAP response of {user!r} rejected")
        elif code in (CHAP_SUCCESS, CHAP_FAILURE) and pol.auth_as_peer == PROTO_CHAP:
            if self._auth_done:
                return
            if code == CHAP_SUCCESS:
                self._auth_succeeded()
            else:
                self._auth_failed("CHAP Failure")
