"""Sans-IO TCP connection engine after RFC 9293, RFC 5681, RFC 6298 and RFC 6582 (NewReno).

One :class:`TcpConnection` is the state machine of one connection. It does no I/O and owns no
clock: every entry point takes ``now`` (virtual seconds) and, instead of sending or sleeping,
leaves *actions* behind for the glue (``simnet.net.tcp``) to carry out:

- ``conn.out`` (or :meth:`TcpConnection.take_actions`): segments to transmit, each a tuple
  ``(seq, ack, flags, window, payload, options)`` with 32-bit wire sequence numbers; ``options``
  is ``0`` (none), an MSS value (SYN segments of this engine), or a mapping of TCP options
  (``mss``, ``sack_ok``, ``wscale``, ``ts``, ``sack``) from the RFC 2018/7323 extension in
  :mod:`simnet.net.tcp_options`;
- ``conn.events``: socket events, tuples whose first item names them: ``("state", old, new)``,
  ``("connected",)``, ``("data",)``, ``("acked", n)``, ``("peer_fin",)``,
  ``("closed", reason)``, ``("retransmit", kind, rto, count)`` (kind ``syn``, ``rto``,
  ``fast``) and ``("give_up", budget, count)`` just before a timeout abort;
- timers, expressed as absolute deadlines (``t_rtx``, ``t_delack``, ``t_keep``, ``t_state``,
  ``math.inf`` when disarmed). Re-arming or cancelling a timer is just a new deadline; the glue
  keeps one kernel timer at :meth:`next_deadline` and calls :meth:`on_timer` when it fires.
  A timer that fires early is harmless, so the glue never has to withdraw kernel events.

Internally sequence numbers are unbounded integers (no wrap-around arithmetic anywhere); they
are folded to 32 bits on output and unfolded on input relative to the nearest expected value,
so every comparison is a plain integer comparison. No input segment, flag combination or timer
race makes the engine raise: malformed values are clamped and unacceptable segments answered
as RFC 9293 §3.10.7 prescribes.
"""

from __future__ import annotations

import math
from bisect import insort
from typing import Any, Final, NamedTuple

from simnet.kernel.units import Real
from simnet.net.packet import ACK, FIN, PSH, RST, SYN
from simnet.net.tcp_config import MAX_WINDOW as MAX_WINDOW
from simnet.net.tcp_config import MAX_WINDOW_SHIFT as MAX_WINDOW_SHIFT
from simnet.net.tcp_config import KeepaliveConfig as KeepaliveConfig
from simnet.net.tcp_config import TcpConfig
from simnet.net.tcp_events import (
    CONNECTED,
    DATA_READY,
    PEER_FIN,
    Acked,
    Closed,
    GiveUp,
    Retransmit,
    Segment,
    StateChanged,
    TcpEvent,
)
from simnet.net.tcp_state import CloseReason, TcpState

MOD: Final = 1 << 32
MASK: Final = MOD - 1
HALF: Final = 1 << 31
# Final[Real]: compiled, kept as one boxed object (times are Real: a C double would be boxed
# anew at every comparison and store)
INF: Final[Real] = math.inf
# A kernel timer scheduled for a deadline may fire a rounding error early; such a deadline is due.
EPS: Final[Real] = 1e-9
# RFC 6298 §2: clock granularity G in RTO = SRTT + max(G, 4*RTTVAR).
CLOCK_GRANULARITY: Final[Real] = 0.001
DEFAULT_PEER_MSS: Final = 536  # RFC 9293 §3.7.1: assumed when the peer sends no MSS option
# s between answers to unacceptable empty segments (Linux default)
INVALID_ACK_INTERVAL: Final[Real] = 0.5
# bound on stored out-of-order fragments (each also lies inside the window)
MAX_OOO_SEGMENTS: Final = 512


# Builds Segment / Acked on the per-packet path without the NamedTuple constructor's frame.
_new = tuple.__new__

# Module-level names for the engine's hot paths (a global load, not an enum class lookup).
CLOSED: Final = TcpState.CLOSED
SYN_SENT: Final = TcpState.SYN_SENT
SYN_RCVD: Final = TcpState.SYN_RCVD
ESTABLISHED: Final = TcpState.ESTABLISHED
FIN_WAIT_1: Final = TcpState.FIN_WAIT_1
FIN_WAIT_2: Final = TcpState.FIN_WAIT_2
CLOSE_WAIT: Final = TcpState.CLOSE_WAIT
CLOSING: Final = TcpState.CLOSING
LAST_ACK: Final = TcpState.LAST_ACK
TIME_WAIT: Final = TcpState.TIME_WAIT

# Flags that must read exactly "ACK" for header prediction (PSH and URG do not matter).
_PREDICT_MASK: Final = SYN | FIN | RST | ACK
# States in which the peer's data is accepted into the receive buffer.
_RECEIVING: Final = frozenset({ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2})
# States in which our queued data / FIN may still be (re)transmitted.
_SENDING: Final = frozenset({ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK})
_SYNCHRONIZED: Final = frozenset(
    {ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT}
)
_KEEPALIVE_STATES: Final = frozenset({ESTABLISHED, CLOSE_WAIT, FIN_WAIT_2})


REASON_LOCAL: Final = CloseReason.LOCAL
REASON_PEER_CLOSED: Final = CloseReason.PEER_CLOSED
REASON_REFUSED: Final = CloseReason.REFUSED
REASON_TIMEOUT: Final = CloseReason.TIMEOUT
REASON_RESET: Final = CloseReason.RESET
REASON_NETWORK_DOWN: Final = CloseReason.NETWORK_DOWN
REASON_KEEPALIVE: Final = CloseReason.KEEPALIVE
CLOSE_REASONS: Final = tuple(CloseReason)


# -- the connection ---------------------------------------------------------------------------
class Actions(NamedTuple):
    """What one or more engine calls asked the glue to do."""

    segments: list[Segment]
    events: list[TcpEvent]
    next_deadline: Real  # absolute virtual time of the earliest armed timer, inf if none


class TcpConnection:
    """The state machine of one TCP connection (see the module docstring for the contract).

    Entry points: :meth:`open_active`, :meth:`open_passive`, :meth:`on_segment`,
    :meth:`on_timer`, :meth:`send`, :meth:`recv`, :meth:`shutdown`, :meth:`close`,
    :meth:`abort`, :meth:`network_down`, :meth:`on_icmp_error`.
    """

    __slots__ = (
        "cfg", "state", "out", "events", "passive", "close_reason",
        # send side (absolute sequence numbers)
        "iss", "snd_una", "snd_nxt", "snd_max", "snd_wnd", "snd_wl1", "snd_wl2", "max_snd_wnd",
        "sndbuf", "buf_seq", "fin_queued", "mss", "peer_mss",
        # congestion control (RFC 5681 / 6582)
        "cwnd", "ssthresh", "dupacks", "in_recovery", "recover",
        # retransmission timer (RFC 6298)
        "srtt", "rttvar", "rto", "retries", "rtt_seq", "rtt_time", "syn_retransmitted",
        "persist", "persist_probes", "probes_unanswered",
        # receive side
        "irs", "rcv_nxt", "rcv_adv", "rcvbuf", "ooo", "ooo_fin", "unacked_segs", "ack_now",
        "peer_fin", "user_closed", "we_closed_first", "last_dupack",
        # largest window we may advertise / the peer may offer (grow with window scaling)
        "max_window", "max_peer_window",
        # keepalive
        "ka_probes",
        # deadlines
        "t_rtx", "t_delack", "t_keep", "t_state",
        # counters
        "bytes_sent", "bytes_acked", "bytes_received", "soft_error", "last_send",
        "segments_retransmitted",
    )

    def __init__(self, config: TcpConfig, iss: int) -> None:
        self.cfg = config
        self.state: TcpState = CLOSED
        self.out: list[Segment] = []
        self.events: list[TcpEvent] = []
        self.passive = False
        self.close_reason: CloseReason | None = None
        iss &= MASK
        self.iss = iss
        self.snd_una = iss
        self.snd_nxt = iss
        self.snd_max = iss
        self.snd_wnd = 0
        self.snd_wl1 = 0
        self.snd_wl2 = 0
        self.max_snd_wnd = 0
        self.sndbuf = bytearray()
        self.buf_seq = iss + 1  # sequence number of sndbuf[0]; the SYN takes iss
        self.fin_queued = False
        self.mss = min(config.mss, DEFAULT_PEER_MSS)
        self.peer_mss = DEFAULT_PEER_MSS
        self.cwnd = 0
        self.ssthresh = 1 << 30  # RFC 5681 §3.1: arbitrarily high initial ssthresh
        self.dupacks = 0
        self.in_recovery = False
        self.recover = iss
        self.srtt: Real | None = None
        self.rttvar: Real = 0.0
        self.rto: Real = config.initial_rto
        self.retries = 0
        self.rtt_seq = -1  # timed segment's end sequence; -1 when no measurement runs
        self.rtt_time: Real = 0.0
        self.syn_retransmitted = False
        self.persist = False
        self.persist_probes = 0
        self.probes_unanswered = 0
        self.irs = 0
        self.rcv_nxt = 0
        self.rcv_adv = 0
        self.rcvbuf = bytearray()
        self.ooo: list[tuple[int, bytes]] = []
        self.ooo_fin = -1
        self.unacked_segs = 0
        self.ack_now = False
        self.peer_fin = False
        self.user_closed = False
        self.we_closed_first = False
        self.last_dupack: Real = -INF
        self.max_window = MAX_WINDOW
        self.max_peer_window = MAX_WINDOW
        self.ka_probes = 0
        self.t_rtx: Real = INF
        self.t_delack: Real = INF
        self.t_keep: Real = INF
        self.t_state: Real = INF
        self.bytes_sent = 0
        self.bytes_acked = 0
        self.bytes_received = 0
        self.segments_retransmitted = 0  # data/FIN segments sent again (not SYNs)
        self.soft_error: str | None = None
        self.last_send: Real = 0.0

    # -- actions ------------------------------------------------------------------------------
    def take_actions(self) -> Actions:
        """Hand over (and clear) the segments and events produced so far, with the earliest
        timer deadline. The glue reads ``out`` and ``events`` directly on its per-packet path
        to save the tuple; both ways are the same."""
        out, events = self.out, self.events
        self.out = []
        self.events = []
        return Actions(out, events, self.next_deadline())

    def take_events(self) -> list[TcpEvent]:
        """Hand over (and clear) the socket events produced so far (segments stay queued)."""
        events, self.events = self.events, []
        return events

    def next_event(self) -> TcpEvent | None:
        """The oldest socket event not taken yet (None: there is none), as h11's next_event."""
        return self.events.pop(0) if self.events else None

    # -- queries ------------------------------------------------------------------------------
    def next_deadline(self) -> Real:
        """The earliest armed timer deadline (``inf`` when none)."""
        return min(self.t_rtx, self.t_delack, self.t_keep, self.t_state)

    @property
    def send_space(self) -> int:
        if self.fin_queued or self.state not in (SYN_SENT, SYN_RCVD, ESTABLISHED, CLOSE_WAIT):
            return 0
        return max(0, self.cfg.send_buffer - len(self.sndbuf))

    @property
    def readable(self) -> int:
        return len(self.rcvbuf)

    @property
    def flight_size(self) -> int:
        return self.snd_max - self.snd_una

    # -- helpers ------------------------------------------------------------------------------
    def _set_state(self, new: TcpState) -> None:
        old = self.state
        if old != new:
            self.state = new
            self.events.append(_new(StateChanged, (old, new)))

    def _window(self) -> int:
        """The window to advertise, with receiver SWS avoidance (RFC 9293 §3.8.6.2.2): the
        advertised right edge never moves left and moves right only in useful steps."""
        cap = self.cfg.recv_buffer
        edge = self.rcv_nxt + cap - len(self.rcvbuf)
        adv = self.rcv_adv
        if edge > adv:
            step = min(cap >> 1, self.mss)
            if edge - adv >= step or adv <= self.rcv_nxt:
                adv = self.rcv_adv = edge
        wnd = adv - self.rcv_nxt
        if wnd <= 0:
            return 0
        return wnd if wnd < self.max_window else self.max_window

    def _emit(self, seq: int, flags: int, payload: bytes = b"", mss_opt: int = 0) -> None:
        if flags & ACK:
            # Every ACK-bearing segment acknowledges all received data: no ACK is owed any more.
            self.ack_now = False
            self.unacked_segs = 0
            self.t_delack = INF
            self.out.append(_new(Segment, (seq & MASK, self.rcv_nxt & MASK, flags, self._window(),
                                           payload, mss_opt)))
        else:
            self.out.append(_new(Segment, (seq & MASK, 0, flags, 0, payload, mss_opt)))

    def _send_ack(self) -> None:
        # snd_max, not snd_nxt: after a timeout snd_nxt steps back for go-back-N, but the peer
        # may already hold data up to snd_max and would find an older sequence unacceptable
        # (two such peers would answer each other's ACKs forever). Linux keeps snd_nxt at the
        # maximum for the same reason.
        self._emit(self.snd_max, ACK)

    def _send_rst(self) -> None:
        self.out.append(Segment(self.snd_max & MASK, 0, RST, 0, b"", 0))

    def _answer_unacceptable(self, now: Real, seq: int, seg_len: int) -> None:
        """RFC 9293 §3.10.7.4: an unacceptable segment is answered with an ACK. For empty
        segments the answers are rate-limited (as Linux's tcp_invalid_ratelimit does), except
        for the SND.NXT-1 form of keepalive and window probes, so that two confused peers
        cannot keep an ACK storm going."""
        if seg_len == 0 and seq != self.rcv_nxt - 1:
            if now - self.last_dupack < INVALID_ACK_INTERVAL:
                return
            self.last_dupack = now
        self._send_ack()

    def _close(self, reason: CloseReason) -> None:
        """Enter CLOSED; report ``reason`` unless the user was already told the socket ended."""
        if self.close_reason is None:
            self.close_reason = reason
            self.events.append(_new(Closed, (reason,)))
        self._set_state(CLOSED)
        self.t_rtx = self.t_delack = self.t_keep = self.t_state = INF
        self.ooo.clear()

    def _graceful_reason(self) -> CloseReason:
        return REASON_LOCAL if self.we_closed_first else REASON_PEER_CLOSED

    def _enter_time_wait(self, now: Real) -> None:
        self._set_state(TIME_WAIT)
        if self.close_reason is None:
            self.close_reason = self._graceful_reason()
            self.events.append(_new(Closed, (self.close_reason,)))
        self.t_rtx = self.t_keep = INF
        self.t_state = now + 2.0 * self.cfg.msl
        if self.t_state <= now:  # msl == 0: TIME_WAIT of zero length
            self._close(self.close_reason)

    def _unwrap(self, wire: int, ref: int) -> int:
        """The absolute sequence number nearest to ``ref`` whose low 32 bits are ``wire``."""
        return ref + ((wire - ref + HALF) & MASK) - HALF

    def _rtt_sample(self, r: Real) -> None:
        # RFC 6298 §2.2/2.3 (alpha 1/8, beta 1/4, K 4), clamped to [min_rto, max_rto].
        if r < 0:
            r = 0.0
        if self.srtt is None:
            self.srtt = r
            self.rttvar = r / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - r)
            self.srtt = 0.875 * self.srtt + 0.125 * r
        rto = self.srtt + max(CLOCK_GRANULARITY, 4 * self.rttvar)
        cfg = self.cfg
        self.rto = cfg.min_rto if rto < cfg.min_rto else cfg.max_rto if rto > cfg.max_rto else rto

    def _backoff(self) -> None:
        rto = self.rto * 2
        self.rto = rto if rto < self.cfg.max_rto else self.cfg.max_rto

    def _set_peer_mss(self, mss_opt: object) -> None:
        if type(mss_opt) is dict:
            mss_opt = mss_opt.get("mss", 0)  # a segment's whole option mapping
        if isinstance(mss_opt, int) and not isinstance(mss_opt, bool) and mss_opt > 0:
            # An absurdly small MSS would make segments of nothing; RFC 9293 §3.7.1 floor.
            self.peer_mss = max(min(mss_opt, 65535), 64)
        else:
            self.peer_mss = DEFAULT_PEER_MSS
        self.mss = min(self.cfg.mss, self.peer_mss)

    def _initial_cwnd(self) -> None:
        mss = self.mss
        iw = self.cfg.initial_window
        if self.syn_retransmitted:
            self.cwnd = mss  # RFC 5681 §3.1: loss of the SYN or SYN/ACK => IW of one segment
        elif iw is not None:
            # RFC 6928 §2: min(10*MSS, max(2*MSS, 14600)), generalised to ``iw`` segments.
            self.cwnd = min(iw * mss, max(2 * mss, 1460 * iw))
        elif mss > 2190:
            self.cwnd = 2 * mss
        elif mss > 1095:
            self.cwnd = 3 * mss
        else:
            self.cwnd = 4 * mss

    # -- opening ------------------------------------------------------------------------------
    def open_active(self, now: Real) -> None:
        """connect(): send a SYN (RFC 9293 §3.10.1)."""
        if self.state != CLOSED or self.close_reason is not None:
            return
        self._set_state(SYN_SENT)
        self.snd_nxt = self.snd_max = self.iss + 1
        self.rtt_seq = self.iss + 1
        self.rtt_time = now
        self._send_syn()
        self.t_rtx = now + self.rto
        if self.cfg.connect_timeout is not None:
            self.t_state = now + self.cfg.connect_timeout

    def _syn_window(self) -> int:
        return min(
            self.cfg.recv_buffer, MAX_WINDOW
        )  # RFC 7323 §2.2: a SYN's window is never scaled

    def _syn_options(self) -> int | dict[str, Any]:
        """What a SYN or SYN-ACK carries: the MSS here; the option-aware engine adds more."""
        return self.cfg.mss

    def _send_syn(self) -> None:
        self.out.append(Segment(self.iss, 0, SYN, self._syn_window(), b"", self._syn_options()))

    def open_passive(self, now: Real, seq: int, window: int, mss_opt: object = 0) -> None:
        """A listener accepted a SYN: answer SYN-ACK and wait in SYN_RCVD."""
        if self.state != CLOSED or self.close_reason is not None:
            return
        self.passive = True
        self._set_state(SYN_RCVD)
        self.irs = seq & MASK
        self.rcv_nxt = self.irs + 1
        self.rcv_adv = self.rcv_nxt + self.cfg.recv_buffer
        self._set_peer_mss(mss_opt)
        self.snd_wnd = max(0, min(int(window), MAX_WINDOW))
        self.snd_wl1 = self.irs
        self.snd_nxt = self.snd_max = self.iss + 1
        self.rtt_seq = self.iss + 1
        self.rtt_time = now
        self._send_synack()
        self.t_rtx = now + self.rto

    def _send_synack(self) -> None:
        self.out.append(
            Segment(
                self.iss,
                self.rcv_nxt & MASK,
                SYN | ACK,
                min(self._window(), MAX_WINDOW),
                b"",
                self._syn_options(),
            )
        )

    def _established(self, now: Real) -> None:
        self._set_state(ESTABLISHED)
        self.t_state = INF
        self._initial_cwnd()
        self.events.append(CONNECTED)
        ka = self.cfg.keepalive_cfg
        if ka is not None:
            self.t_keep = now + ka.idle
        if self.fin_queued:
            self._set_state(FIN_WAIT_1)

    # -- user calls ---------------------------------------------------------------------------
    def send(self, now: Real, data: bytes) -> int:
        """Queue ``data``; returns how many bytes the bounded send buffer accepted."""
        space = self.send_space
        if space <= 0 or not data:
            return 0
        n = min(space, len(data))
        self.sndbuf += data[:n] if n < len(data) else data
        self.bytes_sent += n
        if self.state in _SENDING:
            self._output(now)
        return n

    def recv(self, now: Real, n: int = -1) -> bytes:
        """Take up to ``n`` bytes (all when ``n < 0``) from the receive buffer."""
        buf = self.rcvbuf
        if not buf or n == 0:
            return b""
        if n < 0 or n >= len(buf):
            data = bytes(buf)
            buf.clear()
        else:
            data = bytes(buf[:n])
            del buf[:n]
        # Window update when reading at least doubled a window that had fallen to half the
        # buffer or less (Linux's rule; SWS avoidance inside _window decides the new edge).
        if self.state in _RECEIVING and not self.peer_fin:
            old_wnd = self.rcv_adv - self.rcv_nxt
            if 2 * old_wnd <= self.cfg.recv_buffer:
                new_wnd = self._window()
                if new_wnd > old_wnd and new_wnd >= 2 * old_wnd:
                    self._send_ack()
        return data

    def shutdown(self, now: Real) -> None:
        """Half-close: no more data from us; a FIN follows the queued data."""
        st = self.state
        if self.fin_queued or st not in (SYN_SENT, SYN_RCVD, ESTABLISHED, CLOSE_WAIT):
            return
        self.fin_queued = True
        if not self.peer_fin:
            self.we_closed_first = True
        if st == ESTABLISHED:
            self._set_state(FIN_WAIT_1)
        elif st == CLOSE_WAIT:
            self._set_state(LAST_ACK)
        # SYN_SENT / SYN_RCVD: the FIN waits for the handshake (RFC 9293 §3.10.4).
        if self.state in _SENDING:
            self._output(now)

    def close(self, now: Real) -> None:
        """Full close: shutdown, and the user will read no more."""
        st = self.state
        if st == CLOSED or st == TIME_WAIT:
            return
        if st == SYN_SENT:
            self._close(REASON_LOCAL)
            return
        if self.rcvbuf:
            # Closing with unread data loses it; tell the peer at once (Linux, RFC 2525 §2.17).
            self.abort(now)
            return
        self.user_closed = True
        self.shutdown(now)
        if self.state == FIN_WAIT_2:
            self.t_state = now + self.cfg.fin_wait2_timeout

    def abort(self, now: Real) -> None:
        """Abort: RST to the peer in synchronized states, then CLOSED (reason ``local``)."""
        st = self.state
        if st == CLOSED:
            return
        if st in (SYN_RCVD, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT):
            self._send_rst()
        self._close(REASON_LOCAL)

    def network_down(self, reason: CloseReason = REASON_NETWORK_DOWN) -> None:
        """The interface went away: drop the connection silently with ``reason``."""
        if self.state != CLOSED or self.close_reason is None:
            self._close(reason)

    def on_icmp_error(self, now: Real, icmp_type: int, icmp_code: int) -> None:
        """ICMP destination unreachable about one of our segments (RFC 1122 §4.2.3.9): codes
        2 (protocol) and 3 (port) are hard errors while connecting, the rest are soft."""
        if self.state == SYN_SENT and icmp_type == 3 and icmp_code in (2, 3):
            self._close(REASON_REFUSED)
        else:
            self.soft_error = f"icmp {icmp_type}/{icmp_code}"

    # -- output -------------------------------------------------------------------------------
    def _output(self, now: Real) -> None:
        """Send what the windows, Nagle and SWS avoidance allow (RFC 9293 §3.8.6.2.1,
        RFC 5681), then an ACK if one is still owed."""
        if self.state in _SENDING:
            data_end = self.buf_seq + len(self.sndbuf)
            # Most calls (every ACK received, every data segment received) have nothing new
            # to send: skip the loop unless unsent data or an unsent FIN exists.
            if self.snd_nxt < data_end or (self.fin_queued and self.snd_nxt == data_end):
                self._send_data(now, data_end)
        if self.ack_now:
            self._send_ack()

    def _send_data(self, now: Real, data_end: int) -> None:
        """The sending loop of :meth:`_output` (called only when something is unsent)."""
        mss = self.mss
        fin = self.fin_queued
        if self.snd_max == self.snd_una and now - self.last_send > self.rto:
            # RFC 5681 §4.1: after an idle period longer than the RTO, restart from at
            # most the initial window (the ACK clock is lost).
            cwnd = self.cwnd
            self._initial_cwnd()
            if cwnd < self.cwnd:
                self.cwnd = cwnd
        while True:
            nxt = self.snd_nxt
            avail = data_end - nxt
            if avail <= 0:
                if fin and avail == 0:
                    # FIN alone: sent whatever the window (it carries no data).
                    self._xmit(nxt, 0, now)
                    continue
                break
            wnd = self.snd_wnd if self.snd_wnd < self.cwnd else self.cwnd
            usable = self.snd_una + wnd - nxt
            n = mss if mss < avail else avail
            if usable < n:
                n = usable
            if n <= 0:
                break
            if n < mss and nxt >= self.snd_max:
                if n < avail:
                    # Window-limited small segment: sender SWS avoidance.
                    if 2 * n < self.max_snd_wnd:
                        break
                elif not (self.cfg.nodelay or fin) and self.snd_max > self.snd_una:
                    break  # Nagle: a short segment waits while data is unacknowledged
            self._xmit(nxt, n, now)
        if self.snd_max == self.snd_una and self.snd_nxt < data_end + (1 if fin else 0):
            # Blocked with nothing in flight: only the persist timer can get us going.
            if self.t_rtx == INF:
                self.persist = True
                self.t_rtx = now + self._persist_interval()

    def _persist_interval(self) -> Real:
        iv = self.rto * (1 << min(self.persist_probes, 30))
        return iv if iv < self.cfg.max_rto else self.cfg.max_rto

    def _xmit(self, seq: int, n: int, now: Real) -> int:
        """Transmit ``n`` data bytes from ``seq`` (plus the FIN if they end the stream);
        returns the sequence number after the segment."""
        off = seq - self.buf_seq
        end = seq + n
        data_end = self.buf_seq + len(self.sndbuf)
        flags = ACK
        if n:
            payload = bytes(self.sndbuf[off : off + n])
            if end == data_end:
                flags = ACK | PSH
        else:
            payload = b""
        if self.fin_queued and end == data_end:
            flags |= FIN
            end += 1
        self._emit(seq, flags, payload)
        self.last_send = now
        if end > self.snd_nxt:
            self.snd_nxt = end
        if end > self.snd_max:
            if self.rtt_seq < 0 and seq >= self.snd_max:
                # Time one fresh segment per round trip (Karn: never a retransmitted one).
                self.rtt_seq = end
                self.rtt_time = now
            self.snd_max = end
        else:
            self.segments_retransmitted += 1
        if self.t_rtx == INF or self.persist:
            self.persist = False
            self.t_rtx = now + self.rto
        return end

    def _retransmit_first(self, now: Real) -> None:
        """Retransmit the first unacknowledged segment without moving snd_nxt."""
        una = self.snd_una
        data_end = self.buf_seq + len(self.sndbuf)
        n = min(self.mss, max(0, data_end - una))
        self._xmit(una, n, now)  # snd_nxt only ever moves forward in _xmit
        self.rtt_seq = -1

    # -- timers -------------------------------------------------------------------------------
    def on_timer(self, now: Real) -> None:
        """Handle every deadline that is due at ``now``."""
        due = now + EPS
        if self.t_state <= due:
            self.t_state = INF
            self._state_timer(now)
        if self.t_rtx <= due:
            self.t_rtx = INF
            if self.persist:
                self._persist_timer(now)
            else:
                self._rtx_timer(now)
        if self.t_delack <= due:
            self.t_delack = INF
            if self.state in _SYNCHRONIZED and self.state != TIME_WAIT:
                self._send_ack()
        if self.t_keep <= due:
            self.t_keep = INF
            self._keepalive_timer(now)

    def _state_timer(self, now: Real) -> None:
        st = self.state
        if st in (SYN_SENT, SYN_RCVD):
            self.events.append(GiveUp("connect_timeout", self.retries))
            self._close(REASON_TIMEOUT)  # connect_timeout ran out
        elif st == TIME_WAIT:
            self._close(self.close_reason or self._graceful_reason())
        elif st == FIN_WAIT_2:
            self._close(self._graceful_reason())  # orphaned FIN_WAIT_2 gave up on the peer

    def _rtx_timer(self, now: Real) -> None:
        st = self.state
        if st == SYN_SENT or st == SYN_RCVD:
            if self.retries >= self.cfg.syn_retries:
                self.events.append(GiveUp("syn_retries", self.retries))
                self._close(REASON_TIMEOUT)
                return
            self.retries += 1
            self._backoff()
            self.syn_retransmitted = True
            self.rtt_seq = -1
            self.events.append(Retransmit("syn", self.rto, self.retries))
            if st == SYN_SENT:
                self._send_syn()
            else:
                self._send_synack()
            self.t_rtx = now + self.rto
            return
        if st not in _SENDING or self.snd_max == self.snd_una:
            return
        if self.retries >= self.cfg.data_retries:
            self.events.append(GiveUp("data_retries", self.retries))
            self._close(REASON_TIMEOUT)
            return
        # RFC 5681 §3.1 eq. 4 (ssthresh only on the first timeout of a series) and §3.5
        # (cwnd = loss window); RFC 6582 §3: recover = highest sequence sent.
        if self.retries == 0:
            self.ssthresh = max(self.flight_size // 2, 2 * self.mss)
        self.cwnd = self.mss
        self.in_recovery = False
        self.dupacks = 0
        self.recover = self.snd_max
        self.retries += 1
        self._backoff()
        self.rtt_seq = -1
        self.events.append(Retransmit("rto", self.rto, self.retries))
        # Go back N: resend from snd_una as the (now one-segment) window allows.
        self.snd_nxt = self.snd_una
        self.t_rtx = INF
        data_end = self.buf_seq + len(self.sndbuf)
        self._xmit(self.snd_una, min(self.mss, max(0, data_end - self.snd_una)), now)

    def _persist_timer(self, now: Real) -> None:
        self.persist = False
        if self.state not in _SENDING:
            return
        data_end = self.buf_seq + len(self.sndbuf)
        if self.snd_max != self.snd_una or self.snd_nxt >= data_end:
            self._output(now)
            return
        if self.probes_unanswered > self.cfg.data_retries:
            self.events.append(GiveUp("persist_probes", self.probes_unanswered))
            self._close(REASON_TIMEOUT)
            return
        self.persist_probes += 1
        self.probes_unanswered += 1
        if self.snd_wnd > 0:
            # A window too small for SWS avoidance: the override timer sends what fits.
            n = min(self.snd_wnd, data_end - self.snd_nxt, self.mss)
            self._xmit(self.snd_nxt, n, now)
            return
        # Zero-window probe: an old sequence number makes the peer answer with its window
        # (the form Linux uses; it never puts data beyond the offered window).
        self._emit(self.snd_una - 1, ACK)
        self.persist = True
        self.t_rtx = now + self._persist_interval()

    def _keepalive_timer(self, now: Real) -> None:
        ka = self.cfg.keepalive_cfg
        if ka is None or self.state not in _KEEPALIVE_STATES:
            return
        if self.snd_max != self.snd_una or self.snd_nxt < self.buf_seq + len(self.sndbuf):
            # Data pending: the retransmission timer watches the peer instead.
            self.t_keep = now + ka.idle
            return
        if self.ka_probes >= ka.count:
            self.events.append(GiveUp("keepalive", self.ka_probes))
            self._close(REASON_KEEPALIVE)
            return
        self.ka_probes += 1
        self._emit(self.snd_una - 1, ACK)  # RFC 9293 §3.8.4: SEG.SEQ = SND.NXT - 1, no data
        self.t_keep = now + ka.interval

    # -- input --------------------------------------------------------------------------------
    def on_segment(
        self,
        now: Real,
        seq: int,
        ack: int,
        flags: int,
        window: int,
        payload: bytes = b"",
        mss_opt: object = 0,
    ) -> None:
        """Process one incoming (checksum-good) segment addressed to this connection."""
        st = self.state
        if st == CLOSED:
            return
        seq &= MASK
        ack &= MASK
        if (
            st == ESTABLISHED
            and flags & _PREDICT_MASK == ACK
            and 0 <= window <= self.max_peer_window
        ):
            # Header prediction (the fast path of RFC 1323 §C / BSD): the next in-order
            # segment, an ACK that is neither old nor ahead, text that fits the window. Every
            # such segment would pass the general checks below unchanged.
            rcv_nxt = self.rcv_nxt
            if seq == rcv_nxt & MASK:
                una = self.snd_una
                ack_abs = una + ((ack - una + HALF) & MASK) - HALF
                plen = len(payload)
                if una <= ack_abs <= self.snd_max and plen <= self.rcv_adv - rcv_nxt:
                    ka = self.cfg.keepalive_cfg
                    if ka is not None:
                        self.ka_probes = 0
                        self.t_keep = now + ka.idle
                    self._process_ack(now, rcv_nxt, ack_abs, window, plen == 0)
                    if plen:
                        self._receive_data(now, rcv_nxt, payload)
                    self._output(now)
                    return
        if window < 0:
            window = 0
        elif window > self.max_peer_window:
            window = self.max_peer_window
        if st == SYN_SENT:
            self._in_syn_sent(now, seq, ack, flags, window, payload, mss_opt)
            return
        self._in_synchronized(now, seq, ack, flags, window, payload)

    def _in_syn_sent(
        self,
        now: Real,
        seq: int,
        ack: int,
        flags: int,
        window: int,
        payload: bytes,
        mss_opt: object,
    ) -> None:
        # RFC 9293 §3.10.7.3
        ack_ok = False
        if flags & ACK:
            ack_abs = self._unwrap(ack, self.snd_una)
            if ack_abs <= self.iss or ack_abs > self.snd_max:
                if not flags & RST:
                    self.out.append(Segment(ack, 0, RST, 0, b"", 0))
                return
            ack_ok = True
        if flags & RST:
            if ack_ok:
                self._close(REASON_REFUSED)
            return
        if not flags & SYN:
            return
        self.irs = seq
        self.rcv_nxt = seq + 1
        self.rcv_adv = self.rcv_nxt + self.cfg.recv_buffer
        self._set_peer_mss(mss_opt)
        self.snd_wnd = window
        self.max_snd_wnd = max(self.max_snd_wnd, window)
        self.snd_wl1 = seq
        if ack_ok:
            self.snd_una = ack_abs
            self.snd_wl2 = ack_abs
            self.t_rtx = INF
            self.retries = 0
            if self.rtt_seq >= 0 and not self.syn_retransmitted:
                self._rtt_sample(now - self.rtt_time)
            self.rtt_seq = -1
            self._established(now)
            # Any data on the SYN-ACK is not taken (it will be retransmitted); ACK the SYN.
            self.ack_now = True
            self._output(now)
        else:
            # Simultaneous open (RFC 9293 §3.5): answer SYN-ACK from SYN_RCVD.
            self._set_state(SYN_RCVD)
            self._send_synack()

    def _in_synchronized(
        self, now: Real, seq: int, ack: int, flags: int, window: int, payload: bytes
    ) -> None:
        st = self.state
        rcv_nxt = self.rcv_nxt
        seq = rcv_nxt + ((seq - rcv_nxt + HALF) & MASK) - HALF
        if st == SYN_RCVD and flags & SYN and flags & ACK and seq == self.irs:
            # Simultaneous open (RFC 9293 §3.5 figure 7): the peer's SYN-ACK repeats the SYN
            # we already took; drop that sequence slot (as BSD does) so its ACK can complete
            # the handshake instead of failing the acceptability test.
            flags &= ~SYN
            seq += 1
        plen = len(payload)
        seg_len = plen + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)
        rcv_wnd = self.rcv_adv - rcv_nxt
        if rcv_wnd < 0:
            rcv_wnd = 0
        # -- first: sequence number acceptability (RFC 9293 §3.10.7.4) --------------------
        if seg_len == 0:
            ok = seq == rcv_nxt if rcv_wnd == 0 else rcv_nxt <= seq < rcv_nxt + rcv_wnd
        elif rcv_wnd == 0:
            # Data cannot be taken, but a segment at rcv_nxt still carries a valid ACK and
            # window (the "special allowance" of §3.10.7.4): process it without its text.
            ok = seq == rcv_nxt
            if ok:
                payload = b""
                plen = 0
                flags &= ~(SYN | FIN)
                self.ack_now = True
        else:
            end = seq + seg_len
            ok = (
                (rcv_nxt <= seq < rcv_nxt + rcv_wnd)
                or (rcv_nxt < end <= rcv_nxt + rcv_wnd)
                or (seq < rcv_nxt and end > rcv_nxt + rcv_wnd)
            )
        if not ok:
            if not flags & RST:
                if st == SYN_RCVD and flags & SYN and seq == self.irs:
                    self._send_synack()  # the peer's SYN again: our SYN-ACK was lost
                elif st == TIME_WAIT and flags & FIN:
                    self._send_ack()  # retransmitted FIN: our last ACK was lost
                    self.t_state = now + 2.0 * self.cfg.msl
                else:
                    self._answer_unacceptable(now, seq, seg_len)
            return
        # Trim to the window: drop the already-received head and anything beyond the edge.
        if seq < rcv_nxt:
            cut = rcv_nxt - seq
            if flags & SYN:
                flags &= ~SYN
                cut -= 1
            if cut > 0:
                payload = payload[cut:]
                plen = len(payload)
            seq = rcv_nxt
        right = rcv_nxt + rcv_wnd
        if seq + plen > right:
            payload = payload[: max(0, right - seq)]
            plen = len(payload)
            flags &= ~FIN
            self.ack_now = True
        # -- second: RST ----------------------------------------------------------------------
        if flags & RST:
            if st == SYN_RCVD and self.passive:
                self._close(REASON_RESET)  # back to LISTEN: the listener never saw it
            elif st == SYN_RCVD:
                self._close(REASON_REFUSED)
            elif st == TIME_WAIT or (st in (CLOSING, LAST_ACK) and not self.sndbuf):
                self._close(self.close_reason or self._graceful_reason())
            else:
                self._close(REASON_RESET)
            return
        # -- fourth: SYN in a synchronized state -> challenge ACK (RFC 9293 §3.10.7.4) ------
        if flags & SYN:
            self._send_ack()
            return
        # -- fifth: ACK -----------------------------------------------------------------------
        if not flags & ACK:
            return
        # The peer is alive: keepalive counts from here.
        ka = self.cfg.keepalive_cfg
        if ka is not None:
            self.ka_probes = 0
            if st in _KEEPALIVE_STATES or st == SYN_RCVD:
                self.t_keep = now + ka.idle
        ack_abs = self._unwrap(ack, self.snd_una)
        if st == SYN_RCVD:
            if not self.snd_una < ack_abs <= self.snd_max:
                self.out.append(Segment(ack, 0, RST, 0, b"", 0))
                return
            self.snd_wnd = window
            self.max_snd_wnd = max(self.max_snd_wnd, window)
            self.snd_wl1 = seq
            self.snd_wl2 = ack_abs
            if self.rtt_seq >= 0 and not self.syn_retransmitted:
                self._rtt_sample(now - self.rtt_time)
            self.rtt_seq = -1
            self.snd_una = ack_abs
            self.retries = 0
            self.t_rtx = INF
            self._established(now)
            st = self.state
            if ka is not None:
                self.t_keep = now + ka.idle
        elif ack_abs > self.snd_max:
            self._send_ack()  # acknowledges something not yet sent
            return
        else:
            self._process_ack(now, seq, ack_abs, window, plen == 0 and not flags & FIN)
            st = self.state
            if st == CLOSED:
                return
        fin_acked = self.fin_queued and self.snd_una == self.buf_seq + len(self.sndbuf) + 1
        if st == FIN_WAIT_1 and fin_acked:
            self._set_state(FIN_WAIT_2)
            st = FIN_WAIT_2
            if self.user_closed:
                self.t_state = now + self.cfg.fin_wait2_timeout
        elif st == CLOSING and fin_acked:
            self._enter_time_wait(now)
            return
        elif st == LAST_ACK and fin_acked:
            self._close(self._graceful_reason())
            return
        elif st == TIME_WAIT:
            if flags & FIN:
                self._send_ack()
                self.t_state = now + 2.0 * self.cfg.msl
            return
        # -- seventh: segment text ----------------------------------------------------------
        if plen and st in _RECEIVING:
            self._receive_data(now, seq, payload)
        # -- eighth: FIN ----------------------------------------------------------------------
        if flags & FIN:
            fin_seq = seq + plen
            if st in _RECEIVING or st == SYN_RCVD:
                if fin_seq == self.rcv_nxt:
                    self._receive_fin(now)
                elif fin_seq > self.rcv_nxt:
                    self.ooo_fin = fin_seq  # the FIN waits for the hole before it
                    self.ack_now = True
        self._output(now)

    def _process_ack(self, now: Real, seq: int, ack: int, window: int, pure: bool) -> None:
        una = self.snd_una
        mss = self.mss
        if ack > una:
            acked = ack - una
            flight_before = self.snd_max - una
            # Data bytes acknowledged: the FIN's sequence slot is not data.
            data_end = self.buf_seq + len(self.sndbuf)
            data_acked = (ack if ack < data_end else data_end) - self.buf_seq
            if data_acked > 0:
                del self.sndbuf[:data_acked]
                self.buf_seq += data_acked
                self.bytes_acked += data_acked
                self.events.append(_new(Acked, (data_acked,)))
            self.snd_una = ack
            if self.snd_nxt < ack:
                self.snd_nxt = ack
            self.retries = 0
            self.persist_probes = 0
            if self.rtt_seq >= 0 and ack >= self.rtt_seq:
                self._rtt_sample(now - self.rtt_time)
                self.rtt_seq = -1
            # Congestion control.
            if self.in_recovery:
                self._recovery_ack(now, ack, acked)
            else:
                self.dupacks = 0
                if self.cwnd < self.ssthresh:
                    self.cwnd += acked if acked < mss else mss  # slow start, RFC 5681 §3.1
                else:
                    self.cwnd += max(1, mss * mss // self.cwnd)  # congestion avoidance
            if flight_before and self.snd_una == self.snd_max:
                self.t_rtx = INF
            elif not self.in_recovery or self.t_rtx == INF:
                self.t_rtx = now + self.rto
        elif pure and ack == una and window == self.snd_wnd and self.snd_max > una:
            self._dupack(now, ack)
        if ack >= una:
            self.probes_unanswered = 0  # the peer answers (a window probe, at least)
        # Window update (RFC 9293 §3.10.7.4: SND.WL1/SND.WL2 rule).
        if self.snd_wl1 < seq or (self.snd_wl1 == seq and self.snd_wl2 <= ack):
            if ack >= una:
                self.snd_wnd = window
                self.snd_wl1 = seq
                self.snd_wl2 = ack
                if window > self.max_snd_wnd:
                    self.max_snd_wnd = window
                if window == 0 and ack == self.snd_una:
                    # The peer answers but offers no room: not a dead peer (RFC 9293 §3.8.6.1).
                    self.retries = 0

    def _recovery_ack(self, now: Real, ack: int, acked: int) -> None:
        """A new cumulative ACK during loss recovery (NewReno, RFC 6582 §3.2 steps 3-4)."""
        mss = self.mss
        if ack >= self.recover:
            # Full acknowledgment (RFC 6582 §3.2 step 3, option 1).
            self.in_recovery = False
            self.dupacks = 0
            flight = self.snd_max - ack
            self.cwnd = min(self.ssthresh, max(flight, mss) + mss)
        else:
            # Partial acknowledgment: retransmit the next hole, deflate the window.
            self._retransmit_first(now)
            self.cwnd = self.cwnd - acked + (mss if acked >= mss else 0)
            if self.cwnd < mss:
                self.cwnd = mss
            self.t_rtx = now + self.rto

    def _dupack(self, now: Real, ack: int) -> None:
        """A duplicate ACK (RFC 5681 §2) for NewReno (RFC 5681 §3.2, RFC 6582 §3.2)."""
        if self.in_recovery:
            self.cwnd += self.mss  # inflate for the segment that left the network
            return
        self.dupacks += 1
        # RFC 6582 §3.2 step 2: only if the ACK covers ``recover`` (no second
        # reduction for losses from the window that already caused one).
        if self.dupacks == 3 and ack >= self.recover:
            self._fast_retransmit(now)
        elif self.dupacks < 3:
            self._limited_transmit(now)

    def _limited_transmit(self, now: Real) -> None:
        """RFC 3042 (a SHOULD of RFC 5681 §3.2): on the first two duplicate ACKs send one
        new full segment if the peer's window allows, so a small window still produces the
        three duplicate ACKs fast retransmit needs. cwnd is not changed."""
        nxt = self.snd_nxt
        if nxt != self.snd_max:
            return
        n = self.buf_seq + len(self.sndbuf) - nxt
        if n > self.mss:
            n = self.mss
        if n > 0 and nxt + n <= self.snd_una + self.snd_wnd and (n == self.mss or self.cfg.nodelay):
            self._xmit(nxt, n, now)

    def _fast_retransmit(self, now: Real) -> None:
        # RFC 5681 §3.2 steps 2-3 with RFC 6582's recover.
        mss = self.mss
        self.ssthresh = max(self.flight_size // 2, 2 * mss)
        self.recover = self.snd_max
        self.in_recovery = True
        self.events.append(Retransmit("fast", self.rto, self.retries))
        self._retransmit_first(now)
        self.cwnd = self.ssthresh + 3 * mss
        self.t_rtx = now + self.rto

    def _receive_data(self, now: Real, seq: int, payload: bytes) -> None:
        rcv_nxt = self.rcv_nxt
        if self.user_closed:
            # Nobody will read it: the data is lost, and the peer must hear so - RST (RFC 1122
            # §4.2.2.13; Linux counts it as TCPAbortOnData). Acknowledging it would tell the
            # sender it arrived.
            self.abort(now)
            return
        if seq == rcv_nxt:
            self.rcvbuf += payload
            rcv_nxt += len(payload)
            filled_hole = False
            ooo = self.ooo
            while ooo and ooo[0][0] <= rcv_nxt:
                s, data = ooo.pop(0)
                filled_hole = True
                tail = s + len(data) - rcv_nxt
                if tail > 0:
                    self.rcvbuf += data[len(data) - tail :]
                    rcv_nxt += tail
            self.bytes_received += rcv_nxt - self.rcv_nxt
            self.rcv_nxt = rcv_nxt
            self.events.append(DATA_READY)
            if filled_hole or self.ooo:
                self.ack_now = True  # RFC 5681 §4.2: ACK at once when a hole fills
            else:
                self.unacked_segs += 1
                if self.unacked_segs >= self.cfg.ack_every or self.cfg.delayed_ack == 0:
                    self.ack_now = True
                elif self.t_delack == INF:
                    self.t_delack = now + self.cfg.delayed_ack
            if self.ooo_fin >= 0 and self.ooo_fin == rcv_nxt:
                self._receive_fin(now)
        else:
            # Out of order: keep it (bounded) and send an immediate duplicate ACK.
            ooo = self.ooo
            if len(ooo) < MAX_OOO_SEGMENTS:
                for i, (s, data) in enumerate(ooo):
                    if s == seq:
                        if len(data) < len(payload):
                            ooo[i] = (seq, bytes(payload))
                        break
                else:
                    insort(ooo, (seq, bytes(payload)))
            self.ack_now = True

    def _receive_fin(self, now: Real) -> None:
        if self.peer_fin:
            return
        self.peer_fin = True
        self.ooo_fin = -1
        self.rcv_nxt += 1
        self.rcv_adv = max(self.rcv_adv, self.rcv_nxt)
        self.ack_now = True
        self.events.append(PEER_FIN)
        st = self.state
        if st in (SYN_RCVD, ESTABLISHED):
            self._set_state(CLOSE_WAIT)
        elif st == FIN_WAIT_1:
            fin_acked = self.snd_una == self.buf_seq + len(self.sndbuf) + 1
            if fin_acked:
                self._send_ack()
                self._enter_time_wait(now)
            else:
                self._set_state(CLOSING)
        elif st == FIN_WAIT_2:
            self._send_ack()
            self._enter_time_wait(now)
