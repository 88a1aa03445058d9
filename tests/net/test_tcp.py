"""TCP behaviour on a controllable two-host channel: timing of every give-up, flow control,
close sequences, Nagle, delayed ACK, fast retransmit, RST, keepalive.

Expected instants are computed here from the RFC rules and the configured parameters (never read
back from the engine): RFC 6298 §5.5 doubles the RTO on each expiry, §2.5 caps it at max_rto.
"""

from __future__ import annotations

import pytest

from simnet.errors import ConfigError
from simnet.net.packet import ACK, FIN, PSH, RST, SYN
from simnet.net.tcp import TcpConfig, TcpSocket
from tests.net.test_tcp_harness import make_pair

A_IP, B_IP = "10.0.0.1", "10.0.0.2"


def backoff_schedule(initial: float, retries: int, max_rto: float) -> tuple[list[float], float]:
    """Send instants of the original + ``retries`` retransmissions and the give-up instant:
    each wait is min(initial * 2**k, max_rto) (RFC 6298 §5.5 and §2.5)."""
    t = 0.0
    sends = [0.0]
    waits = [min(initial * 2**k, max_rto) for k in range(retries + 1)]
    for w in waits[:-1]:
        t += w
        sends.append(t)
    return sends, t + waits[-1]


class Recorder:
    """Collects everything a socket reports."""

    def __init__(self, sim, sock: TcpSocket | None = None) -> None:
        self.sim = sim
        self.data = bytearray()
        self.closed: list[tuple[float, str]] = []
        self.connected: list[float] = []
        self.peer_fin: list[float] = []
        self.read = True
        if sock is not None:
            self.attach(sock)

    def attach(self, sock: TcpSocket) -> None:
        sock.on_connected = lambda s: self.connected.append(self.sim.now)
        sock.on_data = self._on_data
        sock.on_closed = lambda s, r: self.closed.append((self.sim.now, r))
        sock.on_peer_fin = lambda s: self.peer_fin.append(self.sim.now)

    def _on_data(self, sock: TcpSocket) -> None:
        if self.read:
            self.data += sock.recv()


def server(b, port: int = 80, config: TcpConfig | None = None, read: bool = True):
    accepted: list[TcpSocket] = []
    recs: list[Recorder] = []

    def on_accept(sock: TcpSocket) -> None:
        rec = Recorder(b.sim, sock)
        rec.read = read
        accepted.append(sock)
        recs.append(rec)

    b.tcp.listen(port, on_accept, config=config)
    return accepted, recs


# -- connect timing --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("initial_rto", "syn_retries", "max_rto"),
    [(1.0, 3, 60.0), (1.0, 5, 4.0), (3.0, 2, 60.0), (0.5, 0, 60.0)],
)
def test_connect_fails_at_computed_instant_when_every_packet_is_dropped(
    initial_rto: float, syn_retries: int, max_rto: float
) -> None:
    # e.g. initial_rto=1 s, syn_retries=3: SYNs at 0, 1, 3, 7 (waits 1, 2, 4), the last wait
    # 8 s runs out at 15 s. With max_rto=4 s and 5 retries: SYNs at 0,1,3,7,11,15, failure at 19.
    sim, chan, a, b = make_pair(delay=0.1)
    chan.drop = lambda pkt: True
    cfg = TcpConfig(initial_rto=initial_rto, syn_retries=syn_retries, max_rto=max_rto, min_rto=0.2)
    sock = a.tcp.connect(B_IP, 80, cfg)
    rec = Recorder(sim, sock)
    sim.advance(1000)
    expected_sends, expected_fail = backoff_schedule(initial_rto, syn_retries, max_rto)
    syn_times = [s.t for s in chan.log if s.flags == SYN]
    assert syn_times == pytest.approx(expected_sends, abs=1e-9)
    assert len(rec.closed) == 1
    t, reason = rec.closed[0]
    assert reason == "timeout"
    assert t == pytest.approx(expected_fail, abs=1e-9)
    assert sock.close_reason == "timeout"
    assert sock.state == "CLOSED"


def test_documented_example_syns_at_0_1_3_7_fail_at_15() -> None:
    sim, chan, a, b = make_pair()
    chan.drop = lambda pkt: True
    sock = a.tcp.connect(B_IP, 80, TcpConfig(initial_rto=1.0, syn_retries=3))
    rec = Recorder(sim, sock)
    sim.advance(100)
    assert [s.t for s in chan.log] == pytest.approx([0, 1, 3, 7], abs=1e-9)
    assert rec.closed == [(pytest.approx(15.0, abs=1e-9), "timeout")]


def test_connect_timeout_cuts_the_syn_budget_short() -> None:
    # 6 retries at initial RTO 1 s would give up at 127 s; connect_timeout=10 s ends it at 10 s,
    # after SYNs at 0, 1, 3, 7.
    sim, chan, a, b = make_pair()
    chan.drop = lambda pkt: True
    sock = a.tcp.connect(B_IP, 80, TcpConfig(initial_rto=1.0, syn_retries=6, connect_timeout=10.0))
    rec = Recorder(sim, sock)
    sim.advance(200)
    assert [s.t for s in chan.log] == pytest.approx([0, 1, 3, 7], abs=1e-9)
    assert rec.closed == [(pytest.approx(10.0, abs=1e-9), "timeout")]


def test_connect_refused_by_rst_after_one_round_trip() -> None:
    sim, chan, a, b = make_pair(delay=0.07)
    sock = a.tcp.connect(B_IP, 81)
    rec = Recorder(sim, sock)
    sim.advance(5)
    assert rec.closed == [(pytest.approx(0.14, abs=1e-9), "refused")]
    rst = [s for s in chan.log if s.flags & RST]
    assert len(rst) == 1 and rst[0].src == B_IP
    # RFC 9293 §3.10.7.1: the RST to a SYN acknowledges it (ack = ISN + 1)
    syn = chan.log[0]
    assert rst[0].ack == (syn.seq + 1) % 2**32 and rst[0].flags == RST | ACK


def test_handshake_and_mss_option() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    accepted, _ = server(b, config=TcpConfig(mss=536))
    sock = a.tcp.connect(B_IP, 80, TcpConfig(mss=1400))
    rec = Recorder(sim, sock)
    sim.advance(1)
    assert rec.connected == [pytest.approx(0.1)]
    assert sock.state == "ESTABLISHED" and accepted[0].state == "ESTABLISHED"
    # both sides use the smaller MSS
    assert sock.connection.mss == 536 and accepted[0].connection.mss == 536
    sock.send(b"x" * 2000)
    sim.advance(2)
    sizes = [s.length for s in chan.log if s.src == A_IP and s.length]
    assert max(sizes) == 536


def test_lost_syn_ack_is_retransmitted_and_connection_completes() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    dropped = []

    def drop_first_synack(pkt) -> bool:
        if pkt.flags == SYN | ACK and not dropped:
            dropped.append(pkt)
            return True
        return False

    chan.drop = drop_first_synack
    server(b)
    sock = a.tcp.connect(B_IP, 80, TcpConfig(initial_rto=1.0))
    rec = Recorder(sim, sock)
    sim.advance(10)
    # the client's SYN is retransmitted at 1 s; the server answers it with its SYN-ACK again
    assert rec.connected and rec.connected[0] == pytest.approx(1.1, abs=1e-9)
    # RFC 5681 §3.1: after a lost SYN-ACK the initial window is one segment
    assert sock.connection.cwnd >= sock.connection.mss


# -- data retransmission timing -------------------------------------------------------------
def test_data_retry_budget_runs_out_at_computed_instant() -> None:
    # RTT is 0.1 s, so SRTT + 4*RTTVAR stays far below min_rto=2 s and RTO = 2 s exactly.
    # With data_retries=4 and max_rto=8 s: original at T, retransmissions at T+2, T+6, T+14,
    # T+22 (waits 2, 4, 8, 8) and the last wait of 8 s gives up at T+30.
    sim, chan, a, b = make_pair(delay=0.05)
    server(b)
    cfg = TcpConfig(min_rto=2.0, initial_rto=2.0, max_rto=8.0, data_retries=4)
    sock = a.tcp.connect(B_IP, 80, cfg)
    rec = Recorder(sim, sock)
    sim.advance(1.0)
    assert sock.state == "ESTABLISHED"
    chan.drop = lambda pkt: True
    t0 = sim.now
    sock.send(b"hello")
    sim.advance(100)
    sends = [s.t - t0 for s in chan.log if s.src == A_IP and s.length == 5]
    expected_sends, expected_fail = backoff_schedule(2.0, 4, 8.0)
    assert sends == pytest.approx(expected_sends, abs=1e-9)
    assert rec.closed == [(pytest.approx(t0 + expected_fail, abs=1e-9), "timeout")]
    gave_up = sim.trace.select(source="tcp.a", kind="tcp_give_up")
    assert gave_up and gave_up[-1].fields["budget"] == "data_retries"


# -- keepalive ------------------------------------------------------------------------------
def test_keepalive_detects_dead_peer_at_idle_plus_interval_times_count() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    server(b)
    sock = a.tcp.connect(B_IP, 80, TcpConfig(keepalive=(60.0, 10.0, 3)))
    rec = Recorder(sim, sock)
    sim.advance(0.2)
    # the last packet the client heard is the SYN-ACK at 0.1 s; from then on nothing gets through
    last_heard = 0.1
    chan.drop = lambda pkt: True
    sim.advance(1000)
    probes = [s.t for s in chan.log if s.src == A_IP and s.t > 0.2]
    # probes at idle, idle+interval, idle+2*interval after the last segment heard
    assert probes == pytest.approx([last_heard + 60 + 10 * k for k in range(3)], abs=1e-9)
    assert rec.closed == [(pytest.approx(last_heard + 60 + 10 * 3, abs=1e-9), "keepalive")]


def test_keepalive_probes_answered_keep_the_connection() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    server(b)
    sock = a.tcp.connect(B_IP, 80, TcpConfig(keepalive=(30.0, 5.0, 2)))
    rec = Recorder(sim, sock)
    sim.advance(600)
    assert sock.state == "ESTABLISHED" and not rec.closed
    probes = [s for s in chan.log if s.src == A_IP and s.t > 1]
    assert len(probes) == pytest.approx(600 / 30.1, abs=1)  # one probe per idle period


# -- flow control ---------------------------------------------------------------------------
def test_receiver_that_never_reads_stalls_the_sender_without_aborting() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    recv_buffer = 4000
    accepted, recs = server(b, config=TcpConfig(recv_buffer=recv_buffer), read=False)
    cfg = TcpConfig(send_buffer=20000, data_retries=3, max_rto=4.0)
    sock = a.tcp.connect(B_IP, 80, cfg)
    sim.advance(0.5)
    assert sock.send(b"z" * 30000) == 20000  # bounded send buffer
    sim.advance(600)  # ten minutes: far beyond any retry budget
    assert sock.state == "ESTABLISHED"
    assert sock.bytes_acked == recv_buffer
    assert accepted[0].readable == recv_buffer
    assert accepted[0].bytes_received == recv_buffer
    # the window is closed: the last segments the receiver sent advertise 0
    last_b = [s for s in chan.log if s.src == B_IP][-1]
    assert last_b.window == 0
    # zero-window probes keep going (persist timer), capped at max_rto apart
    late = [s.t for s in chan.log if s.src == A_IP and s.t > 300]
    assert len(late) >= 300 / 4.0 - 2
    # now the application reads: the window opens and the rest flows
    got = bytearray(accepted[0].recv())
    recs[0].read = True
    accepted[0].on_data = lambda s: got.extend(s.recv())
    sim.advance(60)
    assert len(got) == 20000 and sock.bytes_acked == 20000


def test_send_space_and_on_writable() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    server(b)
    sock = a.tcp.connect(B_IP, 80, TcpConfig(send_buffer=3000))
    writable: list[int] = []
    sock.on_writable = lambda s: writable.append(s.send_space)
    assert sock.send(b"a" * 5000) == 3000
    assert sock.send_space == 0 and sock.send(b"b") == 0
    sim.advance(5)
    assert sock.send_space == 3000 and writable and writable[-1] == 3000
    assert sock.bytes_sent == 3000 and sock.bytes_acked == 3000


# -- close sequences ------------------------------------------------------------------------
def test_half_close_peer_keeps_sending() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    accepted, recs = server(b)
    sock = a.tcp.connect(B_IP, 80)
    rec = Recorder(sim, sock)
    sim.advance(0.5)
    sock.send(b"request")
    sock.shutdown()
    sim.advance(1)
    srv = accepted[0]
    assert bytes(recs[0].data) == b"request" and recs[0].peer_fin
    assert srv.state == "CLOSE_WAIT" and sock.state == "FIN_WAIT_2"
    # the half-closed client still receives
    srv.send(b"response 1 ")
    sim.advance(1)
    srv.send(b"response 2")
    srv.close()
    sim.advance(1)
    assert bytes(rec.data) == b"response 1 response 2"
    assert sock.state == "TIME_WAIT" and rec.closed and rec.closed[0][1] == "local"
    assert srv.state == "CLOSED" and recs[0].closed[0][1] == "peer_closed"


def test_time_wait_lasts_two_msl() -> None:
    msl = 7.5
    sim, chan, a, b = make_pair(delay=0.05)
    accepted, recs = server(b)
    sock = a.tcp.connect(B_IP, 80, TcpConfig(msl=msl))
    sim.advance(0.5)
    sock.close()
    accepted[0].close()
    sim.advance(100)
    states = [(r.t, r.fields["new"]) for r in sim.trace.select(source="tcp.a", kind="tcp_state")]
    t_tw = next(t for t, s in states if s == "TIME_WAIT")
    t_closed = next(t for t, s in states if s == "CLOSED")
    assert t_closed - t_tw == pytest.approx(2 * msl, abs=1e-9)
    # the 4-tuple is held during TIME_WAIT and released after
    assert a.tcp.sockets == []


def test_on_state_change_tells_every_traced_state_change_and_is_dropped_once_closed() -> None:
    # The hook sees exactly what the tcp_state records say, at their instants - including the
    # changes after on_closed (the client's TIME_WAIT -> CLOSED, 2 MSL later; the server's
    # LAST_ACK -> CLOSED) - and lets go of its callback once the connection is CLOSED.
    msl = 2.0
    sim, chan, a, b = make_pair(delay=0.05)
    accepted, recs = server(b, config=TcpConfig(msl=msl))
    seen: dict[str, list[tuple[float, str, str]]] = {"a": [], "b": []}
    sock = a.tcp.connect(B_IP, 80, TcpConfig(msl=msl))
    sock.on_state_change = lambda s, old, new: seen["a"].append((sim.now, old, new))
    sim.advance(0.5)
    srv = accepted[0]
    srv.on_state_change = lambda s, old, new: seen["b"].append((sim.now, old, new))
    sock.close()
    sim.advance(0.3)
    srv.close()
    sim.advance(10)
    for name, s in (("a", sock), ("b", srv)):
        traced = [
            (r.t, r.fields["old"], r.fields["new"])
            for r in sim.trace.select(source=f"tcp.{name}", kind="tcp_state")
            if r.t > (0.0 if name == "a" else 0.5)  # from when the hook was set
        ]
        assert seen[name] == traced
        assert s.state == "CLOSED" and s.on_state_change is None
    # the client's FIN is acknowledged one round trip after the close, the server's LAST_ACK
    # ends when ours arrives: a round trip after its close
    assert [c[1:] for c in seen["a"]] == [
        ("SYN_SENT", "ESTABLISHED"), ("ESTABLISHED", "FIN_WAIT_1"), ("FIN_WAIT_1", "FIN_WAIT_2"),
        ("FIN_WAIT_2", "TIME_WAIT"), ("TIME_WAIT", "CLOSED"),
    ]
    assert seen["a"][2][0] == pytest.approx(0.5 + 2 * 0.05)
    assert seen["a"][4][0] - seen["a"][3][0] == pytest.approx(2 * msl)
    assert [c[1:] for c in seen["b"]] == [("ESTABLISHED", "CLOSE_WAIT"),
                                          ("CLOSE_WAIT", "LAST_ACK"), ("LAST_ACK", "CLOSED")]
    assert seen["b"][2][0] == pytest.approx(0.8 + 2 * 0.05)


def test_simultaneous_close_goes_through_closing() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    accepted, recs = server(b, config=TcpConfig(msl=1.0))
    sock = a.tcp.connect(B_IP, 80, TcpConfig(msl=1.0))
    sim.advance(0.5)
    sock.close()
    accepted[0].close()  # both FINs cross on the wire
    sim.advance(0.2)
    a_states = [r.fields["new"] for r in sim.trace.select(source="tcp.a", kind="tcp_state")]
    assert "CLOSING" in a_states and a_states[-1] == "TIME_WAIT"
    sim.advance(5)
    assert sock.state == "CLOSED" and accepted[0].state == "CLOSED"


def test_close_with_unread_data_resets_the_peer() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    accepted, recs = server(b, read=False)
    sock = a.tcp.connect(B_IP, 80)
    rec = Recorder(sim, sock)
    sim.advance(0.5)
    sock.send(b"data nobody reads")
    sim.advance(0.5)
    accepted[0].close()
    sim.advance(0.5)
    assert rec.closed == [(pytest.approx(1.05, abs=1e-6), "reset")]
    assert accepted[0].close_reason == "local"


def test_abort_sends_rst_and_peer_reports_reset() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    accepted, recs = server(b)
    sock = a.tcp.connect(B_IP, 80)
    sim.advance(0.5)
    sock.abort()
    sim.advance(0.5)
    assert sock.close_reason == "local"
    assert recs[0].closed == [(pytest.approx(0.55, abs=1e-9), "reset")]


def test_segment_for_unknown_connection_is_answered_with_rst() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    accepted, recs = server(b)
    sock = a.tcp.connect(B_IP, 80)
    rec = Recorder(sim, sock)
    sim.advance(0.5)
    # the server forgets the connection without telling (a NAT mapping expiring looks the same)
    b.tcp.network_down("network_down")
    assert recs[0].closed == [(pytest.approx(0.5), "network_down")]
    sock.send(b"anyone there?")
    sim.advance(1)
    assert rec.closed == [(pytest.approx(0.6, abs=1e-9), "reset")]
    assert b.tcp.rst_sent == 1


def test_network_down_aborts_without_sending() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    server(b)
    sock = a.tcp.connect(B_IP, 80)
    rec = Recorder(sim, sock)
    sim.advance(0.5)
    n_before = len(chan.log)
    a.tcp.network_down()
    sim.advance(1)
    assert rec.closed == [(pytest.approx(0.5), "network_down")]
    assert len(chan.log) == n_before


# -- Nagle, delayed ACK, fast retransmit ----------------------------------------------------
def _small_writes(nodelay: bool) -> list:
    sim, chan, a, b = make_pair(delay=0.1)
    server(b, config=TcpConfig(delayed_ack=0.2))
    sock = a.tcp.connect(B_IP, 80, TcpConfig(nodelay=nodelay))
    sim.advance(0.5)
    for _ in range(5):
        sock.send(b"ab")
    sim.advance(2)
    return [s for s in chan.log if s.src == A_IP and s.length]


def test_nagle_coalesces_small_writes_nodelay_does_not() -> None:
    nagle = _small_writes(nodelay=False)
    # first 2 bytes go at once; the rest wait for its ACK, delayed 200 ms (a single segment),
    # and then leave together as one 8-byte segment
    assert [s.length for s in nagle] == [2, 8]
    assert nagle[1].t - nagle[0].t == pytest.approx(0.1 + 0.2 + 0.1, abs=1e-9)
    nodelay = _small_writes(nodelay=True)
    assert [s.length for s in nodelay] == [2] * 5
    assert {s.t for s in nodelay} == {nodelay[0].t}


def test_delayed_ack_every_second_segment_or_after_timeout() -> None:
    sim, chan, a, b = make_pair(delay=0.1)
    server(b, config=TcpConfig(delayed_ack=0.2, ack_every=2))
    sock = a.tcp.connect(B_IP, 80, TcpConfig(nodelay=True))
    sim.advance(0.5)
    t0 = sim.now
    sock.send(b"one")
    sim.advance(1)
    acks = [s for s in chan.log if s.src == B_IP and s.t > t0]
    assert [round(s.t - t0, 9) for s in acks] == [0.3]  # arrival 0.1 + delayed-ACK 0.2
    t1 = sim.now
    sock.send(b"x" * 2920)  # two full segments at MSS 1460: ACKed on the second at once
    sim.advance(1)
    acks = [s for s in chan.log if s.src == B_IP and s.t > t1]
    assert [round(s.t - t1, 9) for s in acks] == [0.1]


def test_single_loss_is_repaired_by_fast_retransmit_before_any_rto() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    accepted, recs = server(b)
    sock = a.tcp.connect(B_IP, 80, TcpConfig(mss=1000))
    sim.advance(0.5)
    # open the congestion window with a first burst
    sock.send(b"w" * 20000)
    sim.advance(3)
    lost: list[int] = []

    def drop_once(pkt) -> bool:
        if pkt.src == A_IP and len(pkt.payload) and not lost:
            lost.append(pkt.seq)
            return True
        return False

    # lose the 1st segment of the next burst (more than 3 segments follow it)
    chan.drop = drop_once
    payload = bytes(range(256)) * 40
    sock.send(payload)
    sim.advance(5)
    # After 3 s idle the sender restarts from the initial window of 4 segments (RFC 5681
    # §4.1): one lost + 3 more give only 2 counted duplicate ACKs (the first carries a window
    # update), so limited transmit (RFC 3042) sends 2 more segments to complete the three.
    fast = sim.trace.select(source="tcp.a", kind="tcp_retransmit")
    assert [r.fields["cause"] for r in fast] == ["fast"]
    assert fast[0].t < 3.5 + sock.connection.rto
    assert bytes(recs[0].data) == b"w" * 20000 + payload


def test_newreno_recovers_several_losses_in_one_window() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    accepted, recs = server(b)
    sock = a.tcp.connect(B_IP, 80, TcpConfig(mss=1000))
    sim.advance(0.5)
    sock.send(b"w" * 30000)
    sim.advance(3)
    seen: list[int] = []

    def drop_2nd_and_5th(pkt) -> bool:
        if pkt.src == A_IP and len(pkt.payload):
            seen.append(pkt.seq)
            return len(seen) in (2, 5)
        return False

    chan.drop = drop_2nd_and_5th
    payload = bytes(range(256)) * 60
    sock.send(payload)
    sim.advance(2)
    causes = [r.fields["cause"] for r in sim.trace.select(source="tcp.a", kind="tcp_retransmit")]
    # one fast retransmit; the second hole is repaired on the partial ACK, without an RTO
    assert causes == ["fast"]
    assert bytes(recs[0].data) == b"w" * 30000 + payload
    assert sock.connection.ssthresh < 30000


def test_rto_estimate_follows_rfc6298() -> None:
    # constant RTT R: first sample SRTT=R, RTTVAR=R/2; later samples shrink RTTVAR by 3/4 each.
    sim, chan, a, b = make_pair(delay=0.3)
    server(b, config=TcpConfig(delayed_ack=0.0))
    sock = a.tcp.connect(B_IP, 80, TcpConfig(min_rto=0.1, nodelay=True))
    sim.advance(1)
    conn = sock.connection
    assert conn.srtt == pytest.approx(0.6) and conn.rttvar == pytest.approx(0.3)
    assert conn.rto == pytest.approx(0.6 + 4 * 0.3)
    sock.send(b"x")
    sim.advance(1)
    assert conn.rttvar == pytest.approx(0.3 * 0.75)
    assert conn.rto == pytest.approx(0.6 + 4 * 0.3 * 0.75)


# -- misc -----------------------------------------------------------------------------------
def test_bidirectional_echo_and_counters() -> None:
    sim, chan, a, b = make_pair(delay=0.02)

    def on_accept(s: TcpSocket) -> None:
        s.on_data = lambda s: s.send(s.recv())
        s.on_peer_fin = lambda s: s.close()

    b.tcp.listen(7, on_accept)
    sock = a.tcp.connect(B_IP, 7)
    rec = Recorder(sim, sock)
    msg = bytes(range(256)) * 50
    sock.on_connected = lambda s: (s.send(msg), s.shutdown())
    sim.advance(30)
    assert bytes(rec.data) == msg
    assert sock.bytes_sent == sock.bytes_acked == sock.bytes_received == len(msg)
    assert rec.closed and rec.closed[0][1] == "local"


def test_config_errors_name_field_and_range() -> None:
    with pytest.raises(ConfigError) as e:
        TcpConfig(mss=10)
    assert e.value.field == "mss" and "64" in str(e.value)
    with pytest.raises(ConfigError) as e:
        TcpConfig(min_rto=2.0, max_rto=1.0)
    assert e.value.field == "max_rto"
    with pytest.raises(ConfigError) as e:
        TcpConfig(recv_buffer=70000)
    assert e.value.field == "recv_buffer" and "65535" in str(e.value)
    with pytest.raises(ConfigError) as e:
        TcpConfig(keepalive=(10, 0, 3))
    assert e.value.field == "keepalive.interval"
    with pytest.raises(ConfigError) as e:
        TcpConfig(delayed_ack=0.6)
    assert e.value.field == "delayed_ack"
    sim, chan, a, b = make_pair()
    with pytest.raises(ConfigError) as e:
        a.tcp.connect("10.0.0.300", 80)
    assert e.value.field == "dst_ip"
    with pytest.raises(ConfigError) as e:
        a.tcp.connect(B_IP, 0)
    assert e.value.field == "dst_port"
    b.tcp.listen(80, None)
    with pytest.raises(ConfigError):
        b.tcp.listen(80, None)


def test_connect_without_address_fails_with_network_down() -> None:
    sim, chan, a, b = make_pair()
    a.ip = None
    sock = a.tcp.connect(B_IP, 80)
    rec = Recorder(sim, sock)
    sim.advance(1)
    assert rec.closed == [(0.0, "network_down")]
    assert chan.log == []


def test_same_seed_same_trace_digest_different_seed_different_isn() -> None:
    def run(seed: int) -> tuple[str, int]:
        sim, chan, a, b = make_pair(seed, delay=0.05, loss=0.1)
        server(b)
        sock = a.tcp.connect(B_IP, 80)
        sock.send(bytes(range(256)) * 100)
        sim.advance(60)
        return sim.trace.digest(), chan.log[0].seq

    assert run(5) == run(5)
    assert run(5)[1] != run(6)[1]


def test_flags_of_a_plain_transfer_are_sane() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    server(b)
    sock = a.tcp.connect(B_IP, 80)
    sock.on_connected = lambda s: (s.send(b"abc"), s.close())
    sim.advance(5)
    a_flags = [s.flags for s in chan.log if s.src == A_IP]
    assert a_flags[0] == SYN
    assert a_flags[1] == ACK  # third packet of the handshake
    # send() transmits at once (nothing unacknowledged, so Nagle does not hold it); the FIN
    # queued by close() then follows alone (this server never closes, so no last ACK)
    assert a_flags[2:] == [ACK | PSH, ACK | FIN]


# -- more edges -------------------------------------------------------------------------------
def test_icmp_port_unreachable_while_connecting_is_refused() -> None:
    from simnet.net.packet import PROTO_ICMP, Packet

    sim, chan, a, b = make_pair(delay=0.05)
    chan.drop = lambda pkt: True
    sock = a.tcp.connect(B_IP, 80)
    rec = Recorder(sim, sock)
    syn = Packet(A_IP, B_IP, 6, sport=sock.local[1], dport=80, seq=chan.log[0].seq, flags=SYN)
    sim.advance(0.3)
    # host unreachable (code 1) is a soft error: the connect keeps trying
    a.tcp.icmp_error(Packet("10.0.0.254", A_IP, PROTO_ICMP, icmp_type=3, icmp_code=1, quoted=syn))
    sim.advance(0.1)
    assert rec.closed == [] and sock.state == "SYN_SENT"
    # port unreachable (code 3) is a hard error while connecting (RFC 1122 §4.2.3.9)
    a.tcp.icmp_error(Packet(B_IP, A_IP, PROTO_ICMP, icmp_type=3, icmp_code=3, quoted=syn))
    assert rec.closed == [(pytest.approx(0.4), "refused")]


def test_listener_backlog_drops_extra_handshakes() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    accepted: list[TcpSocket] = []
    # the clients' final ACKs are lost, so the server's handshakes stay half-open
    chan.drop = lambda pkt: pkt.src == A_IP and pkt.flags == ACK
    b.tcp.listen(80, accepted.append, backlog=2)
    socks = [a.tcp.connect(B_IP, 80) for _ in range(3)]
    sim.advance(0.3)
    synacks = [s for s in chan.log if s.src == B_IP and s.flags == SYN | ACK]
    assert len(synacks) == 2  # the third SYN found the backlog full and was dropped
    assert len(sim.trace.select(source="tcp.b", kind="tcp_syn_dropped")) == 1
    chan.drop = None
    sim.advance(30)
    assert len(accepted) == 3 and all(s.state == "ESTABLISHED" for s in socks)


def test_listener_close_keeps_established_connections() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    accepted, recs = server(b)
    sock = a.tcp.connect(B_IP, 80)
    sim.advance(0.5)
    b.tcp._listeners[80].close()
    sock.send(b"still here")
    sim.advance(0.5)
    assert bytes(recs[0].data) == b"still here"
    late = a.tcp.connect(B_IP, 80)
    late_rec = Recorder(sim, late)
    sim.advance(1)
    assert late_rec.closed and late_rec.closed[0][1] == "refused"


def test_time_wait_answers_a_retransmitted_fin_and_restarts() -> None:
    msl = 2.0
    sim, chan, a, b = make_pair(delay=0.05)
    accepted, recs = server(b)
    sock = a.tcp.connect(B_IP, 80, TcpConfig(msl=msl))
    sim.advance(0.5)
    sock.close()
    sim.advance(0.5)
    acks_lost: list[float] = []

    def lose_final_ack(pkt) -> bool:
        if pkt.src == A_IP and pkt.flags == ACK and not acks_lost:
            acks_lost.append(sim.now)
            return True
        return False

    chan.drop = lose_final_ack
    accepted[0].close()
    sim.advance(60)
    # server FIN at 1.0, client's ACK lost at 1.05, server retransmits its FIN after its RTO
    a_tw = [s.t for s in chan.log if s.src == A_IP and s.flags == ACK and s.t > 1.0]
    assert len(a_tw) == 2  # the lost ACK and the answer to the retransmitted FIN
    states = [(r.t, r.fields["new"]) for r in sim.trace.select(source="tcp.a", kind="tcp_state")]
    t_closed = next(t for t, s in states if s == "CLOSED")
    # TIME_WAIT restarted at the retransmitted FIN
    assert t_closed == pytest.approx(a_tw[1] + 2 * msl, abs=1e-9)
    assert accepted[0].state == "CLOSED" and recs[0].closed[0][1] == "peer_closed"


def test_fin_wait_2_after_close_gives_up_on_a_silent_peer() -> None:
    sim, chan, a, b = make_pair(delay=0.05)
    accepted, recs = server(b)  # this server never closes
    sock = a.tcp.connect(B_IP, 80, TcpConfig(fin_wait2_timeout=30.0))
    rec = Recorder(sim, sock)
    sim.advance(0.5)
    sock.close()  # FIN at 0.5, ACKed at 0.6 -> FIN_WAIT_2 at 0.6
    sim.advance(100)
    assert rec.closed == [(pytest.approx(30.6, abs=1e-9), "local")]
    assert accepted[0].state == "CLOSE_WAIT"


def test_data_after_close_is_answered_with_rst() -> None:
    # RFC 1122 §4.2.2.13: data for a connection the user closed is lost, and the sender hears so.
    sim, chan, a, b = make_pair(delay=0.05)
    accepted, recs = server(b)
    sock = a.tcp.connect(B_IP, 80, TcpConfig(fin_wait2_timeout=100.0))
    rec = Recorder(sim, sock)
    sim.advance(0.5)
    sock.close()
    sim.advance(0.5)
    assert accepted[0].send(b"too late") == 8
    sim.advance(1)
    assert accepted[0].bytes_acked == 0  # never acknowledged: the sender knows it did not arrive
    assert accepted[0].close_reason == "reset"
    assert any(s.src == A_IP and s.flags & RST for s in chan.log)
    assert bytes(rec.data) == b"" and sock.bytes_received == 0


def test_rst_in_last_ack_with_unacknowledged_data_is_a_reset() -> None:
    # Our data never reached the peer, which then resets: that is a lost send, not a graceful
    # close (Linux reports ECONNRESET).
    sim, chan, a, b = make_pair(delay=0.05)
    accepted, recs = server(b)
    sock = a.tcp.connect(B_IP, 80)
    rec = Recorder(sim, sock)
    sim.advance(0.5)
    accepted[0].close()  # the peer closes first: we go to CLOSE_WAIT
    sim.advance(0.5)
    chan.drop = lambda pkt: pkt.src == A_IP and bool(pkt.payload)
    sock.send(b"lost")
    sock.close()  # LAST_ACK with "lost" unacknowledged
    sim.advance(0.3)
    accepted[0].abort()
    sim.advance(1)
    assert rec.closed and rec.closed[0][1] == "reset"


def test_sequence_numbers_wrap_around() -> None:
    # Force ISNs just below 2**32 so the transfer crosses the wrap on both sides.
    sim, chan, a, b = make_pair(delay=0.02)
    a.tcp._isn_rng.getrandbits = lambda k: 2**32 - 5000  # type: ignore[method-assign]
    b.tcp._isn_rng.getrandbits = lambda k: 2**32 - 3  # type: ignore[method-assign]

    def on_accept(s: TcpSocket) -> None:
        s.on_data = lambda s: s.send(s.recv())

    b.tcp.listen(7, on_accept)
    sock = a.tcp.connect(B_IP, 7)
    rec = Recorder(sim, sock)
    msg = bytes(range(256)) * 80
    sock.on_connected = lambda s: s.send(msg)
    sim.advance(30)
    assert bytes(rec.data) == msg
    assert any(s.seq < 10000 for s in chan.log if s.src == A_IP)  # wrapped


def test_persist_gives_up_when_the_window_stays_shut_and_the_peer_vanishes() -> None:
    # Zero window, then the peer goes silent: unanswered probes count against data_retries.
    sim, chan, a, b = make_pair(delay=0.05)
    accepted, recs = server(b, config=TcpConfig(recv_buffer=1000), read=False)
    sock = a.tcp.connect(B_IP, 80, TcpConfig(data_retries=3, max_rto=4.0))
    rec = Recorder(sim, sock)
    sim.advance(0.5)
    sock.send(b"p" * 5000)
    sim.advance(20)
    assert sock.state == "ESTABLISHED" and sock.bytes_acked == 1000
    chan.drop = lambda pkt: True
    sim.advance(200)
    assert rec.closed and rec.closed[0][1] == "timeout"
    budget = sim.trace.select(source="tcp.a", kind="tcp_give_up")[-1].fields["budget"]
    assert budget == "persist_probes"


def test_simultaneous_open_establishes_both_sides() -> None:
    # RFC 9293 §3.5 figure 7: both ends send SYN at once, both answer SYN-ACK, both establish.
    sim, chan, a, b = make_pair(delay=0.05)
    sa = a.tcp.connect(B_IP, 6000, local_port=5000)
    sb = b.tcp.connect(A_IP, 5000, local_port=6000)
    ra, rb = Recorder(sim, sa), Recorder(sim, sb)
    sim.advance(0.5)
    assert sa.state == sb.state == "ESTABLISHED"
    assert ra.connected == rb.connected == [pytest.approx(0.1)]
    sa.send(b"from a")
    sb.send(b"from b")
    sim.advance(1)
    assert bytes(rb.data) == b"from a" and bytes(ra.data) == b"from b"
    assert [s.flags for s in chan.log[:4]] == [SYN, SYN, SYN | ACK, SYN | ACK]


def test_no_callbacks_after_on_closed() -> None:
    # One segment carries data and FIN; the application aborts from on_data. It must not hear
    # of the FIN afterwards.
    sim, chan, a, b = make_pair(delay=0.05)
    calls: list[str] = []

    def on_data(s: TcpSocket) -> None:
        data = s.recv()
        calls.append(f"data:{data.decode()}")
        if b"bye" in data:
            s.abort()

    def on_accept(s: TcpSocket) -> None:
        s.on_data = on_data
        s.on_peer_fin = lambda s: calls.append("peer_fin")
        s.on_closed = lambda s, r: calls.append(f"closed:{r}")

    b.tcp.listen(80, on_accept)
    sock = a.tcp.connect(B_IP, 80)
    # "x" leaves at once; Nagle holds "bye" until close() queues the FIN, then both go together
    sock.on_connected = lambda s: (s.send(b"x"), s.send(b"bye"), s.close())
    sim.advance(2)
    assert [s.flags for s in chan.log if s.src == A_IP and s.length == 3] == [ACK | PSH | FIN]
    assert calls == ["data:x", "data:bye", "closed:local"]


def test_karn_no_rtt_sample_from_a_retransmitted_segment() -> None:
    # RTT 0.2 s. A segment lost once is acknowledged 1 RTO + 0.2 s after its first send; taking
    # that as a sample would inflate SRTT (Karn's algorithm, RFC 6298 §3).
    sim, chan, a, b = make_pair(delay=0.1)
    server(b, config=TcpConfig(delayed_ack=0.0))
    sock = a.tcp.connect(B_IP, 80, TcpConfig(nodelay=True, min_rto=0.5))
    sim.advance(1)
    conn = sock.connection
    srtt0, rttvar0 = conn.srtt, conn.rttvar
    assert srtt0 == pytest.approx(0.2)
    dropped: list[float] = []

    def drop_first_data(pkt) -> bool:
        if pkt.src == A_IP and pkt.payload and not dropped:
            dropped.append(sim.now)
            return True
        return False

    chan.drop = drop_first_data
    sock.send(b"lost once")
    sim.advance(5)
    assert sock.bytes_acked == 9
    assert [r.fields["cause"] for r in sim.trace.select(source="tcp.a", kind="tcp_retransmit")] == [
        "rto"
    ]
    assert conn.srtt == srtt0 and conn.rttvar == rttvar0  # no sample taken
    sock.send(b"fresh")
    sim.advance(2)
    # a fresh segment samples again: R = 0.2 equals SRTT, so RTTVAR shrinks by 3/4
    assert conn.rttvar == pytest.approx(0.75 * rttvar0)


def test_passive_side_gives_up_on_a_silent_client() -> None:
    # The client's SYN arrives, everything after is lost: the server's SYN-ACK is retransmitted
    # with back-off (initial 1 s, 2 retries: at 0.05, 1.05, 3.05) and the half-open connection
    # is dropped at 0.05 + 1 + 2 + 4 = 7.05 s, freeing the backlog slot.
    sim, chan, a, b = make_pair(delay=0.05)
    chan.drop = lambda pkt: pkt.src == B_IP or (pkt.src == A_IP and pkt.flags != SYN)
    lst = b.tcp.listen(80, lambda s: None, config=TcpConfig(initial_rto=1.0, syn_retries=2))
    a.tcp.connect(B_IP, 80, TcpConfig(syn_retries=0, initial_rto=100.0))
    sim.advance(20)
    synacks = [s.t for s in chan.log if s.src == B_IP and s.flags == SYN | ACK]
    assert synacks == pytest.approx([0.05, 1.05, 3.05], abs=1e-9)
    states = [(r.t, r.fields["new"]) for r in sim.trace.select(source="tcp.b", kind="tcp_state")]
    assert states[-1] == (pytest.approx(7.05, abs=1e-9), "CLOSED")
    assert lst._half_open == 0 and b.tcp.sockets == []
