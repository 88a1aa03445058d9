"""TCP extensions a real server stack negotiates: SACK with RFC 6675 loss recovery (RFC 2018),
timestamps and window scaling (RFC 7323).

:class:`ExtendedTcpConnection` is the sans-IO engine of :mod:`simnet.net.tcp_engine` with the
options layered on: the base class keeps its per-segment fast path untouched (the classic
stack pays nothing for this module), and a connection is built from this class only when its
:class:`~simnet.net.tcp_engine.TcpConfig` asks for an extension (``TcpConfig.extended``).

Options travel as the sixth item of an action tuple, a mapping with the keys

==============  ======================================================================
``mss``         Maximum Segment Size (SYN only)
``sack_ok``     SACK-permitted (SYN only, RFC 2018 §2)
``wscale``      window scale shift count (SYN only, RFC 7323 §2.2)
``ts``          ``(TSval, TSecr)`` (RFC 7323 §3.2), every non-RST segment once agreed
``sack``        ``((left, right), ...)`` wire sequence numbers of SACK blocks (RFC 2018 §3)
==============  ======================================================================

An extension is in force only when both ends offered it in their SYNs; otherwise the
connection behaves exactly as the base engine (NewReno, 16-bit windows, Karn's RTT samples).

Loss recovery with SACK follows RFC 6675 §5: the scoreboard of SACKed ranges drives
``IsLost``, ``SetPipe`` and ``NextSeg`` (rules 1-3; the optional rescue retransmission of
rule 4 is not implemented). After a retransmission timeout the scoreboard is discarded
(RFC 2018 §8), every unacknowledged octet is taken as lost and retransmitted in slow start,
skipping ranges the receiver SACKs again meanwhile (RFC 6675 §5.1 "SHOULD utilize all SACK
information made available during the loss recovery following an RTO").
"""

from __future__ import annotations

from typing import Any, Final

from simnet.kernel.units import Real
from simnet.net.packet import ACK, RST, SYN
from simnet.net.tcp_engine import (
    _SENDING,
    HALF,
    INF,
    MASK,
    MAX_WINDOW,
    MAX_WINDOW_SHIFT,
    SYN_SENT,
    TcpConfig,
    TcpConnection,
    _new,
)
from simnet.net.tcp_events import Retransmit, Segment

DUP_THRESH: Final = 3  # RFC 6675 §2 DupThresh
TS_HZ: Final = 1000  # timestamp clock: 1 ms per tick (Linux), RFC 7323 §5.4 allows 1 ms to 1 s
TS_OPTION_BYTES: Final = 12  # kind, length, TSval, TSecr (10) and two NOPs


def _pair(value: object) -> tuple[int, int] | None:
    """Two 32-bit integers from an option value, or None for anything malformed."""
    if (isinstance(value, tuple | list) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        return value[0] & MASK, value[1] & MASK
    return None


class ExtendedTcpConnection(TcpConnection):
    """A :class:`TcpConnection` speaking SACK, timestamps and window scaling (see module doc)."""

    __slots__ = (
        "sack_ok", "ts_ok", "ws_ok", "snd_wscale", "rcv_wscale", "ts_recent", "last_ack_sent",
        "ts_offset", "sacked", "high_rxt", "loss_mode", "sack_last", "_ts_now",
    )

    def __init__(self, config: TcpConfig, iss: int) -> None:
        super().__init__(config, iss)
        self.sack_ok = False
        self.ts_ok = False
        self.ws_ok = False
        self._ts_now: Real = 0.0  # the instant of the entry point being served (timestamps read it)
        self.snd_wscale = 0  # shift applied to windows the peer sends
        self.rcv_wscale = 0  # shift applied to windows we send
        self.ts_recent = 0
        self.last_ack_sent = 0
        # Each connection's timestamp clock starts at an offset, as Linux randomises it.
        self.ts_offset = (iss * 2654435761) & MASK
        self.sacked: list[list[int]] = []  # disjoint, sorted [left, right) SACKed above snd_una
        self.high_rxt = iss  # RFC 6675 HighRxt
        self.loss_mode = False  # recovering from a timeout (every unacked octet is lost)
        self.sack_last = -1  # sequence of the most recent out-of-order segment (RFC 2018 §4)

    # -- negotiation (RFC 2018 §2, RFC 7323 §2.2, §3.2) ----------------------------------------
    def _negotiate(self, peer: object) -> None:
        """Agree on the extensions from the peer's SYN (or SYN-ACK) option mapping."""
        opts = peer if type(peer) is dict else {}
        cfg = self.cfg
        self.sack_ok = cfg.sack and bool(opts.get("sack_ok"))
        ts = _pair(opts.get("ts"))
        self.ts_ok = cfg.timestamps and ts is not None
        if ts is not None:
            self.ts_recent = ts[0]
        ws = opts.get("wscale")
        self.ws_ok = (cfg.window_scale is not None and isinstance(ws, int)
                      and not isinstance(ws, bool) and ws >= 0)
        if self.ws_ok and isinstance(ws, int) and cfg.window_scale is not None:
            self.snd_wscale = min(ws, MAX_WINDOW_SHIFT)
            self.rcv_wscale = cfg.window_scale
        else:
            self.snd_wscale = self.rcv_wscale = 0
        self.max_window = MAX_WINDOW << self.rcv_wscale
        self.max_peer_window = MAX_WINDOW << self.snd_wscale

    def _set_peer_mss(self, mss_opt: object) -> None:
        super()._set_peer_mss(mss_opt)
        if self.ts_ok:
            # RFC 6691 §2: the MSS counts no options; the 12 bytes of timestamps (with their
            # NOPs) come out of every segment's data, as Linux sends 1448 of 1460.
            self.mss -= TS_OPTION_BYTES

    def _tsval(self, now: Real) -> int:
        return (int(now * TS_HZ) + self.ts_offset) & MASK

    def _syn_options(self) -> dict[str, Any]:
        """Our SYN offers every extension the config enables; a SYN-ACK only those the
        peer's SYN offered (RFC 7323 §1.3: an option not received in the SYN is not sent)."""
        cfg = self.cfg
        opts: dict[str, Any] = {"mss": cfg.mss}
        active = self.state == SYN_SENT
        if cfg.sack and (active or self.sack_ok):
            opts["sack_ok"] = True
        if cfg.window_scale is not None and (active or self.ws_ok):
            opts["wscale"] = cfg.window_scale
        if cfg.timestamps and (active or self.ts_ok):
            # TSecr is only meaningful with ACK set (RFC 7323 §3.2): 0 on a bare SYN.
            opts["ts"] = (self._tsval(self._ts_now), 0 if active else self.ts_recent)
        return opts

    # Every entry point that may emit a segment notes the instant for the timestamp clock.
    def open_active(self, now: Real) -> None:
        self._ts_now = now
        super().open_active(now)

    def open_passive(self, now: Real, seq: int, window: int, mss_opt: object = 0) -> None:
        self._ts_now = now
        self._negotiate(mss_opt)
        super().open_passive(now, seq, window, mss_opt)

    def on_timer(self, now: Real) -> None:
        self._ts_now = now
        super().on_timer(now)

    def send(self, now: Real, data: bytes) -> int:
        self._ts_now = now
        return super().send(now, data)

    def recv(self, now: Real, n: int = -1) -> bytes:
        self._ts_now = now
        return super().recv(now, n)

    def shutdown(self, now: Real) -> None:
        self._ts_now = now
        super().shutdown(now)

    def close(self, now: Real) -> None:
        self._ts_now = now
        super().close(now)

    # -- output ------------------------------------------------------------------------------
    def _emit(self, seq: int, flags: int, payload: bytes = b"", mss_opt: int = 0) -> None:
        opts: dict[str, Any] | int = 0
        if self.ts_ok:
            opts = {"ts": (self._tsval(self._ts_now), self.ts_recent)}
        if flags & ACK:
            self.ack_now = False
            self.unacked_segs = 0
            self.t_delack = INF
            if self.sack_ok and self.ooo:
                blocks = self._sack_blocks(len(payload))
                if type(opts) is dict:
                    opts["sack"] = blocks
                else:
                    opts = {"sack": blocks}
            self.last_ack_sent = self.rcv_nxt
            self.out.append(_new(Segment, (seq & MASK, self.rcv_nxt & MASK, flags,
                                           self._window() >> self.rcv_wscale, payload, opts)))
        else:
            self.out.append(_new(Segment, (seq & MASK, 0, flags, 0, payload, opts)))

    def _sack_blocks(self, data_len: int) -> tuple[tuple[int, int], ...]:
        """RFC 2018 §4: the block holding the most recent out-of-order segment first, then the
        others (highest first); at most 3 next to timestamps, 4 without (40 option bytes), and
        on a data segment only as many as still fit the path's segment size."""
        ranges: list[list[int]] = []
        for s, seg in self.ooo:
            e = s + len(seg)
            if ranges and s <= ranges[-1][1]:
                if e > ranges[-1][1]:
                    ranges[-1][1] = e
            else:
                ranges.append([s, e])
        first = next((r for r in ranges if r[0] <= self.sack_last < r[1]), ranges[-1])
        ordered = [first] + [r for r in reversed(ranges) if r is not first]
        limit = 3 if self.ts_ok else 4
        if data_len:
            room = self.mss - data_len  # option bytes left within the segment size
            limit = min(limit, max(0, (room - 4) // 8))
        return tuple((left & MASK, right & MASK) for left, right in ordered[:limit])

    # -- input -------------------------------------------------------------------------------
    def on_segment(self, now: Real, seq: int, ack: int, flags: int, window: int,
                   payload: bytes = b"", mss_opt: object = 0) -> None:
        self._ts_now = now
        opts = mss_opt if type(mss_opt) is dict else None
        if self.state == SYN_SENT and flags & SYN and flags & ACK:
            self._negotiate(opts)
        elif not flags & SYN:
            window <<= self.snd_wscale  # RFC 7323 §2.3: never for a SYN's window
        if opts is not None and not flags & RST:
            if self.ts_ok:
                self._on_timestamps(now, seq, ack, flags, opts.get("ts"))
            if self.sack_ok:
                blocks = opts.get("sack")
                if blocks:
                    self._update_scoreboard(blocks)
        super().on_segment(now, seq, ack, flags, window, payload, mss_opt)
        if self.sacked and self.sacked[0][0] < self.snd_una:
            self._prune(self.snd_una)

    def _on_timestamps(self, now: Real, seq: int, ack: int, flags: int, ts: object) -> None:
        pair = _pair(ts)
        if pair is None:
            return
        tsval, tsecr = pair
        # RFC 7323 §4.3: TS.Recent follows the segment that the next ACK acknowledges.
        seq_abs = self._unwrap(seq & MASK, self.rcv_nxt)
        if ((tsval - self.ts_recent) & MASK) < HALF and seq_abs <= self.last_ack_sent:
            self.ts_recent = tsval
        # RFC 7323 §4.1 (RTTM): an ACK advancing the left edge echoes the TSval of the segment
        # it acknowledges, retransmitted or not, so Karn's rule is no longer needed.
        if flags & ACK and tsecr:
            ack_abs = self._unwrap(ack & MASK, self.snd_una)
            if self.snd_una < ack_abs <= self.snd_max:
                elapsed = ((self._tsval(now) - tsecr) & MASK) / TS_HZ
                if elapsed < HALF / TS_HZ:
                    self._rtt_sample(elapsed)
                    self.syn_retransmitted = False  # the handshake sample is valid too
        self.rtt_seq = -1  # the timestamp samples replace the timed-segment ones

    def _receive_data(self, now: Real, seq: int, payload: bytes) -> None:
        if seq != self.rcv_nxt:
            self.sack_last = seq
        super()._receive_data(now, seq, payload)

    # -- the scoreboard (RFC 6675 §4 Update) ---------------------------------------------------
    def _update_scoreboard(self, blocks: object) -> None:
        if not isinstance(blocks, tuple | list):
            return
        una, top = self.snd_una, self.snd_max
        for block in blocks:
            edges = _pair(block)
            if edges is None:
                continue
            left = self._unwrap(edges[0], una)
            right = self._unwrap(edges[1], una)
            if left < una:
                left = una  # a D-SACK or a block overlapping what was acked
            if right <= left or right > top:
                continue  # nothing new, or beyond what was sent (not trusted)
            self._add_range(left, right)

    def _add_range(self, left: int, right: int) -> None:
        merged: list[list[int]] = []
        placed = False
        for lo, hi in self.sacked:
            if hi < left:
                merged.append([lo, hi])
            elif lo > right:
                if not placed:
                    merged.append([left, right])
                    placed = True
                merged.append([lo, hi])
            else:
                left, right = min(lo, left), max(hi, right)
        if not placed:
            merged.append([left, right])
        self.sacked = merged

    def _prune(self, una: int) -> None:
        kept = [r for r in self.sacked if r[1] > una]
        if kept and kept[0][0] < una:
            kept[0][0] = una
        self.sacked = kept

    def _holes(self) -> list[tuple[int, int]]:
        """Un-SACKed ranges between SND.UNA and SND.MAX, in order."""
        out = []
        cur = self.snd_una
        for lo, hi in self.sacked:
            if hi <= cur:
                continue
            if lo > cur:
                out.append((cur, lo))
            cur = hi
        if cur < self.snd_max:
            out.append((cur, self.snd_max))
        return out

    def _is_lost(self, seq: int) -> bool:
        """RFC 6675 IsLost: DupThresh discontiguous SACKed ranges, or more than
        (DupThresh - 1) * SMSS SACKed bytes, above ``seq``. After a timeout every
        unacknowledged octet below the recovery point counts as lost."""
        if self.loss_mode and seq < self.recover:
            return True
        blocks = 0
        sacked_bytes = 0
        for lo, hi in self.sacked:
            if hi > seq:
                blocks += 1
                sacked_bytes += hi - max(lo, seq)
        return blocks >= DUP_THRESH or sacked_bytes > (DUP_THRESH - 1) * self.mss

    def _pipe(self) -> int:
        """RFC 6675 SetPipe: octets presumed in the network (one hole shares one IsLost answer,
        since no SACKed data lies inside it)."""
        pipe = 0
        high_rxt = self.high_rxt
        for lo, hi in self._holes():
            if not self._is_lost(lo):
                pipe += hi - lo
            top = hi if hi < high_rxt else high_rxt
            if top > lo:
                pipe += top - lo  # retransmitted and not yet acknowledged
        return pipe

    def _next_seg(self) -> tuple[int, int, bool] | None:
        """RFC 6675 NextSeg rules 1-3: (seq, length, retransmission) or None."""
        data_end = self.buf_seq + len(self.sndbuf)
        fin = self.fin_queued
        holes = self._holes()
        highest_sacked = self.sacked[-1][1] if self.sacked else self.snd_una
        for lo, hi in holes:  # rule 1: the first lost octet above HighRxt
            start = lo if lo > self.high_rxt else self.high_rxt
            if start < hi and self._is_lost(start):
                return self._segment_at(start, hi, data_end, fin)
        nxt = self.snd_nxt  # rule 2: new data the receiver's window allows
        if nxt < data_end:
            n = min(self.mss, data_end - nxt, self.snd_una + self.snd_wnd - nxt)
            if n > 0:
                return (nxt, n, False)
        elif fin and nxt == data_end and self.snd_max == data_end:
            return (nxt, 0, False)  # the FIN alone
        for lo, hi in holes:  # rule 3: an un-SACKed octet with SACKed data above it
            start = lo if lo > self.high_rxt else self.high_rxt
            if start < hi and start < highest_sacked:
                return self._segment_at(start, hi, data_end, fin)
        return None

    def _segment_at(
        self, start: int, hole_end: int, data_end: int, fin: bool
    ) -> tuple[int, int, bool] | None:
        n = min(start + self.mss, hole_end, data_end) - start if start < data_end else 0
        if n <= 0 and not (fin and start == data_end):
            return None
        return (start, max(n, 0), True)

    def _sack_transmit(self, now: Real) -> None:
        """RFC 6675 §5 step (C): send while cwnd - pipe >= 1 SMSS."""
        mss = self.mss
        for _ in range(1024):  # each round sends a segment or stops; bound it anyway
            if self.cwnd - self._pipe() < mss:
                return
            nxt = self._next_seg()
            if nxt is None:
                return
            seq, n, retransmission = nxt
            end = self._xmit(seq, n, now)
            if retransmission:
                self.rtt_seq = -1  # Karn: no sample from a retransmission
                if end > self.high_rxt:
                    self.high_rxt = end
            elif end == seq:
                return  # nothing could be sent

    # -- loss recovery hooks ---------------------------------------------------------------
    def _dupack(self, now: Real, ack: int) -> None:
        if not self.sack_ok:
            super()._dupack(now, ack)
            return
        if self.in_recovery:
            self._sack_transmit(now)  # RFC 6675 §5 (B), (C)
            return
        self.dupacks += 1
        # RFC 6675 §5 (2)/(3.1); like RFC 6582, a loss in the window that already caused a
        # reduction does not start a second recovery.
        if (self.dupacks >= DUP_THRESH or self._is_lost(self.snd_una)) and ack >= self.recover:
            self._enter_recovery(now)
        elif self.dupacks < DUP_THRESH:
            self._limited_transmit(now)

    def _enter_recovery(self, now: Real) -> None:
        """RFC 6675 §5 step (4), with RFC 5681's floor of two segments on ssthresh."""
        mss = self.mss
        self.ssthresh = max(self.flight_size // 2, 2 * mss)
        self.cwnd = self.ssthresh
        self.recover = self.snd_max  # RecoveryPoint = HighData
        self.in_recovery = True
        self.loss_mode = False
        self.high_rxt = self.snd_una
        self.events.append(Retransmit("fast", self.rto, self.retries))
        holes = self._holes()
        first = self._segment_at(
            self.snd_una,
            holes[0][1] if holes else self.snd_max,
            self.buf_seq + len(self.sndbuf),
            self.fin_queued,
        )
        if first is not None:
            end = self._xmit(first[0], first[1], now)
            self.rtt_seq = -1
            self.high_rxt = max(self.high_rxt, end)
        self.t_rtx = now + self.rto
        self._sack_transmit(now)

    def _recovery_ack(self, now: Real, ack: int, acked: int) -> None:
        if not self.sack_ok:
            super()._recovery_ack(now, ack, acked)
            return
        mss = self.mss
        if ack >= self.recover:
            # RFC 6675 §5 (A): recovery ends; after a fast recovery cwnd = ssthresh (RFC 5681
            # §3.2 step 6), after a timeout slow start simply goes on.
            self.in_recovery = False
            self.dupacks = 0
            if self.loss_mode:
                self.loss_mode = False
            else:
                self.cwnd = self.ssthresh
            return
        if self.loss_mode:
            self.cwnd += (
                (acked if acked < mss else mss)
                if self.cwnd < self.ssthresh
                else max(1, mss * mss // self.cwnd)
            )
        if self.high_rxt < ack:
            self.high_rxt = ack
        self.t_rtx = now + self.rto
        self._sack_transmit(now)

    def _rtx_timer(self, now: Real) -> None:
        st = self.state
        if (
            not self.sack_ok
            or st not in _SENDING
            or self.snd_max == self.snd_una
            or self.retries >= self.cfg.data_retries
        ):
            super()._rtx_timer(now)  # handshake, nothing in flight, or the budget is spent
            return
        mss = self.mss
        # RFC 5681 §3.1 eq. 4 (first timeout of a series) and §3.5; RFC 2018 §8: the SACK
        # information is discarded, the receiver may have reneged.
        if self.retries == 0:
            self.ssthresh = max(self.flight_size // 2, 2 * mss)
        self.cwnd = mss
        self.sacked.clear()
        self.dupacks = 0
        self.in_recovery = True
        self.loss_mode = True
        self.recover = self.snd_max
        self.high_rxt = self.snd_una
        self.retries += 1
        self._backoff()
        self.rtt_seq = -1
        self.events.append(Retransmit("rto", self.rto, self.retries))
        self.t_rtx = INF
        self._sack_transmit(now)
        if self.t_rtx == INF:
            self.t_rtx = now + self.rto


__all__ = ["ExtendedTcpConnection"]
