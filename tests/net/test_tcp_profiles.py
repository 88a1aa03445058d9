"""Peer TCP profiles (classic, linux, lwip) and the RFC 2018/6675/7323 extensions behind linux.

Expected values come from the RFC rules and the profile parameters cited in
docs/assumptions.md ("TCP profiles"), never from the engine: RFC 6928 §2 for the initial window,
RFC 6298 §2 for the RTO with a 200 ms floor, RFC 7323 §2.3 for window scaling, RFC 6675 for
recovering several losses of one window within one round trip.
"""

from __future__ import annotations

import pytest

from simnet.errors import ConfigError
from simnet.net import Network, tcp_profile
from simnet.net.packet import ACK, SYN, Packet
from simnet.net.tcp import TcpConfig, TcpSocket
from simnet.net.tcp_profiles import TCP_PROFILES
from tests.net.test_tcp_harness import make_pair

A_IP, B_IP = "10.0.0.1", "10.0.0.2"
LINUX = TCP_PROFILES["linux"]
DATA = bytes(range(256)) * 160  # 40960 bytes


def capture(host) -> list[tuple[float, Packet]]:
    """Every packet ``host`` sends, with its send time (the channel still carries it)."""
    log: list[tuple[float, Packet]] = []
    send = host.send_packet

    def spy(pkt: Packet) -> None:
        log.append((host.sim.now, pkt))
        send(pkt)

    host.send_packet = spy
    return log


def transfer(
    a_cfg: TcpConfig, b_cfg: TcpConfig, data: bytes = DATA, *, until: float = 600.0, **chan
):
    """a sends ``data`` to b and closes; returns (sim, a's packets, b's packets, received,
    a's socket)."""
    sim, ch, a, b = make_pair(**chan)
    sent_a, sent_b = capture(a), capture(b)
    got = bytearray()

    def on_accept(sock: TcpSocket) -> None:
        sock.on_data = lambda s: got.extend(s.recv())

    b.tcp.listen(80, on_accept, config=b_cfg)
    sock = a.tcp.connect(B_IP, 80, a_cfg)
    offset = [0]

    def pump(s: TcpSocket) -> None:
        while offset[0] < len(data):
            n = s.send(data[offset[0] :])
            if n == 0:
                return
            offset[0] += n
        s.shutdown()

    sock.on_connected = pump
    sock.on_writable = pump
    sim.run_until(lambda: len(got) == len(data), timeout=until)
    return sim, ch, sent_a, sent_b, got, sock


def syn_options(sent: list[tuple[float, Packet]]) -> dict:
    return next(p.options for _, p in sent if p.flags & SYN)


def test_linux_peers_agree_on_sack_timestamps_and_window_scale() -> None:
    sim, ch, sent_a, sent_b, got, sock = transfer(LINUX, LINUX, DATA[:3000])
    syn, synack = syn_options(sent_a), syn_options(sent_b)
    assert syn["sack_ok"] and synack["sack_ok"]
    assert syn["wscale"] == synack["wscale"] == 7
    assert syn["ts"][1] == 0 and synack["ts"][1] == syn["ts"][0]  # RFC 7323 §3.2: TSecr echoes
    # Once agreed, every non-SYN segment carries a timestamp (RFC 7323 §3.2).
    later = [p for _, p in sent_a + sent_b if not p.flags & SYN]
    assert later and all("ts" in (p.options or {}) for p in later)
    assert bytes(got) == DATA[:3000]


def test_linux_towards_a_classic_stack_falls_back_to_plain_tcp() -> None:
    sim, ch, sent_a, sent_b, got, sock = transfer(TcpConfig(), LINUX, DATA[:3000])
    # RFC 7323 §1.3 / RFC 2018 §2: options the SYN did not offer are not sent in the SYN-ACK.
    assert syn_options(sent_b) == {"mss": 1460}
    assert all(not p.options for _, p in sent_b if not p.flags & SYN)
    assert all(p.window <= 65535 for _, p in sent_b)  # no scaling without agreement
    assert bytes(got) == DATA[:3000]


def test_initial_window_is_ten_segments_per_rfc6928() -> None:
    sim, ch, sent_a, sent_b, got, sock = transfer(LINUX, LINUX, delay=0.1)
    mss = 1460 - 12  # timestamps take 12 bytes of every segment (RFC 6691 §2)
    iw = min(10 * mss, max(2 * mss, 14600))
    handshake_done = next(t for t, p in sent_a if not p.flags & SYN and p.flags & ACK)
    first_flight = [
        p for t, p in sent_a if p.payload and t < handshake_done + 0.2
    ]  # before any ACK
    assert sum(len(p.payload) for p in first_flight) == iw
    assert all(len(p.payload) <= mss for p in first_flight)


def test_rto_floor_is_200_ms_on_a_short_path() -> None:
    # 10 ms one way: the first RTT sample r = 20 ms gives SRTT + 4 RTTVAR = 3r = 60 ms
    # (RFC 6298 §2.2), below TCP_RTO_MIN, so the timer runs 200 ms.
    dropped: list[float] = []

    def drop_last_data(pkt: Packet) -> bool:
        if pkt.src == A_IP and len(pkt.payload) == 1000 and not dropped:
            dropped.append(1.0)
            return True
        return False

    sim, ch, sent_a, sent_b, got, sock = transfer(
        LINUX, LINUX, DATA[:1000], delay=0.01, drop=drop_last_data
    )
    sends = [t for t, p in sent_a if len(p.payload) == 1000]
    assert len(sends) == 2
    assert sends[1] - sends[0] == pytest.approx(LINUX.min_rto, abs=1e-6)


def test_sack_recovers_three_losses_of_one_window_without_a_timeout() -> None:
    losses = {3, 6, 9}  # data segments of the initial window (10) to lose once (1-based)
    seen: list[int] = []

    def drop_some(pkt: Packet) -> bool:
        if pkt.src != A_IP or not pkt.payload:
            return False
        seen.append(pkt.seq)
        return len(seen) in losses

    results = {}
    for name, cfg in (("linux", LINUX), ("newreno", TcpConfig(initial_window=10, min_rto=0.2))):
        seen.clear()
        sim, ch, sent_a, sent_b, got, sock = transfer(cfg, cfg, DATA, delay=0.05, drop=drop_some)
        rto = [r for r in sim.trace.select(kind="tcp_retransmit") if r.fields["cause"] == "rto"]
        results[name] = (sim.now, len(rto), sock.segments_retransmitted)
        assert bytes(got) == DATA
    t_sack, rto_sack, rexmit_sack = results["linux"]
    t_nr, rto_nr, rexmit_nr = results["newreno"]
    assert rto_sack == 0 and rexmit_sack == len(losses)  # each hole sent once, no timeout
    # NewReno repairs one hole per round trip (RFC 6582): at least two more RTTs of 100 ms.
    assert t_nr - t_sack >= 2 * 0.1 - 1e-6


def test_sack_blocks_name_the_out_of_order_data() -> None:
    sim, ch, a, b = make_pair(delay=0.05, drop=lambda p: False)
    sent_b = capture(b)
    got = bytearray()
    b.tcp.listen(80, lambda s: setattr(s, "on_data", lambda s: got.extend(s.recv())), config=LINUX)
    sock = a.tcp.connect(B_IP, 80, LINUX)
    sim.run_until(lambda: sock.state == "ESTABLISHED", timeout=5)
    base = sock.connection.snd_nxt
    mss = sock.connection.mss
    ch.drop = lambda p: p.src == A_IP and (p.seq - base) % 2**32 == mss and p.payload
    sock.send(DATA[: 4 * mss])
    sim.advance(0.2)
    sack_acks = [p.options["sack"] for _, p in sent_b if p.options and "sack" in p.options]
    assert sack_acks, "the receiver reported the out-of-order data"
    left, right = sack_acks[0][0]
    assert (left - base) % 2**32 == 2 * mss and (right - base) % 2**32 == 3 * mss


def test_window_scaling_lets_more_than_64_kib_fly() -> None:
    # 200 ms each way with no loss: slow start grows past 65535 bytes in flight only when the
    # receiver's scaled window allows it (RFC 7323 §2).
    data = bytes(400_000)
    sim, ch, sent_a, sent_b, got, sock = transfer(LINUX, LINUX, data, delay=0.2, until=60)
    assert len(got) == len(data)
    peak_flight = sock.connection.max_snd_wnd
    assert peak_flight > 65535
    shift = 7
    assert all(p.window <= 65535 for _, p in sent_b)  # the field stays 16 bits
    assert max(p.window for _, p in sent_b if not p.flags & SYN) << shift > 65535


def test_timestamps_give_rtt_samples_from_retransmissions() -> None:
    # After a timeout Karn's rule forbids timing the retransmission; with timestamps the echo
    # names the transmission, so the backed-off RTO is replaced at once by SRTT + 4 RTTVAR.
    drops = [0]

    def drop_first_data(pkt: Packet) -> bool:
        if pkt.src == A_IP and pkt.payload and drops[0] == 0:
            drops[0] = 1
            return True
        return False

    sim, ch, sent_a, sent_b, got, sock = transfer(
        LINUX, LINUX, DATA[:500], delay=0.3, drop=drop_first_data
    )
    sim.advance(1.0)  # the ACK of the retransmission is back
    conn = sock.connection
    assert conn.retries == 0 and sock.segments_retransmitted == 1
    # Handshake sample r = 0.6 s: SRTT 0.6, RTTVAR 0.3. The retransmission's echo is another
    # 0.6 s sample: RTTVAR = 3/4 * 0.3 + 1/4 * 0 = 0.225, RTO = 0.6 + 4 * 0.225 (RFC 6298 §2.3),
    # where Karn's rule would have kept the backed-off 2 * 1.8 s.
    assert conn.rto == pytest.approx(0.6 + 4 * 0.225, abs=0.002)


def test_lwip_profile_from_its_opt_h_defaults() -> None:
    lwip = TCP_PROFILES["lwip"]
    assert (lwip.mss, lwip.recv_buffer, lwip.send_buffer) == (536, 4 * 536, 2 * 536)
    assert not lwip.extended
    # A SYN into the void is sent at 0, 3, 9, 21 ... s (initial RTO 3 s doubling, RFC 6298
    # §5.5) until TCP_SYNMAXRTX = 6 retransmissions, then the connect fails.
    sim, ch, a, b = make_pair(drop=lambda p: True)
    sent = capture(a)
    sock = a.tcp.connect(B_IP, 80, lwip)
    sim.advance(1000)
    sends = [t for t, p in sent if p.flags & SYN]
    expect, t = [], 0.0
    for k in range(lwip.syn_retries + 1):
        expect.append(t)
        t += min(lwip.initial_rto * 2**k, lwip.max_rto)
    assert sends == pytest.approx(expect)
    assert sock.close_reason == "timeout"


def test_profiles_and_overrides() -> None:
    cfg = tcp_profile("linux", {"min_rto": 0.3})
    assert cfg.min_rto == 0.3 and cfg.sack
    assert tcp_profile("classic") == TcpConfig()
    with pytest.raises(ConfigError) as exc:
        tcp_profile("bsd")
    assert "unknown TCP profile" in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        tcp_profile("linux", {"rto_min": 1})
    assert exc.value.field == "tcp.rto_min"
    with pytest.raises(ConfigError) as exc:
        TcpConfig(recv_buffer=131072)  # more than 16 bits without a window scale
    assert exc.value.field == "recv_buffer"


def test_host_profile_applies_to_its_services_and_pcap_shows_the_options(tmp_path) -> None:
    from scapy.all import TCP, rdpcap

    from simnet.kernel import Simulation

    sim = Simulation(2)
    net = Network(sim)
    srv = net.add_host("srv", "203.0.113.9")
    srv.use_tcp_profile("linux")
    cli = net.add_host("cli", "203.0.113.10")
    cli.use_tcp_profile("linux")
    net.capture_host("cli")
    srv.tcp_listen(7, lambda s: None)
    cli.tcp_connect("203.0.113.9", 7)
    sim.advance(1)
    path = tmp_path / "c.pcap"
    assert net.write_pcap(str(path), "cli") >= 3
    syn = next(p for p in rdpcap(str(path)) if p[TCP].flags & 0x02)
    names = [o[0] for o in syn[TCP].options]
    assert {"MSS", "SAckOK", "Timestamp", "WScale"} <= set(names)


# -- properties: the extended engine over impaired links, and garbage options ----------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.net.test_tcp_properties import SERVER_IP, Transfer, _payload, build, impairment  # noqa: E402


class ProfileTransfer(Transfer):
    """``Transfer`` with one stack on the server and another on the module."""

    def __init__(
        self, sim, net, up: bytes, down: bytes, server_cfg: TcpConfig, client_cfg: TcpConfig
    ) -> None:
        self.sim = sim
        self.up, self.down = up, down
        self.got_up, self.got_down = bytearray(), bytearray()
        self.closed: dict[str, str] = {}
        self.server = None
        self._offsets: dict[str, list[int]] = {}
        net.host("srv").tcp_listen(9000, self._accept, config=server_cfg)
        self.client = net.host("m1").tcp_connect(SERVER_IP, 9000, client_cfg)
        self._wire(self.client, "client", up, self.got_down, shutdown_when_done=True)


@pytest.mark.slow
@settings(deadline=None, max_examples=25)
@given(
    seed=st.integers(0, 2**31),
    imp=impairment,
    profiles=st.sampled_from(
        [("linux", "linux"), ("linux", "classic"), ("lwip", "linux"), ("classic", "lwip")]
    ),
    up_size=st.integers(0, 20000),
    down_size=st.integers(0, 6000),
)
def test_profiles_deliver_exactly_over_impaired_links(
    seed, imp, profiles, up_size, down_size
) -> None:
    sim, net, _ = build(seed, imp, {})
    client_cfg, server_cfg = (tcp_profile(p, {"msl": 1.0, "max_rto": 30.0}) for p in profiles)
    up, down = _payload(up_size, seed), _payload(down_size, seed + 1)
    xfer = ProfileTransfer(sim, net, up, down, server_cfg, client_cfg)
    sim.run_until(xfer.done, timeout=30000)
    assert bytes(xfer.got_up) == up[: len(xfer.got_up)]
    assert bytes(xfer.got_down) == down[: len(xfer.got_down)]
    if not set(xfer.closed.values()) & {"refused", "timeout", "reset", "network_down", "keepalive"}:
        assert xfer.done() and bytes(xfer.got_up) == up and bytes(xfer.got_down) == down


garbage_options = st.one_of(
    st.none(),
    st.integers(-5, 70000),
    st.fixed_dictionaries(
        {},
        optional={
            "mss": st.integers(-5, 70000),
            "sack_ok": st.sampled_from([True, 0, "x"]),
            "wscale": st.sampled_from([0, 7, 14, 15, 200, -1, "7", True]),
            "ts": st.sampled_from([(1, 0), (2**32 - 1, 2**32 - 1), (5,), "ts", (None, 3)]),
            "sack": st.sampled_from(
                [((1, 5),), ((5, 1), (2**33, 7)), "sack", ((1,),), (), (("a", "b"),)]
            ),
        },
    ),
)


@settings(deadline=None, max_examples=150)
@given(
    ops=st.lists(
        st.tuples(
            st.integers(-70000, 70000),
            st.integers(-70000, 70000),
            st.integers(0, 0x3F),
            st.integers(-5, 70000),
            st.binary(max_size=200),
            garbage_options,
            st.floats(0.0, 3.0),
            st.sampled_from(["send", "recv", "timer", "close", "none"]),
        ),
        max_size=30,
    ),
    passive=st.booleans(),
)
def test_extended_engine_never_raises_on_any_options(ops, passive) -> None:
    from simnet.net.packet import FIN, PSH, RST
    from simnet.net.tcp_engine import MASK
    from simnet.net.tcp_options import ExtendedTcpConnection

    conn = ExtendedTcpConnection(tcp_profile("linux", {"msl": 1.0}), 0xFFFFFF00)
    now = 0.0
    if passive:
        conn.open_passive(
            now, 0xFFFFFFF0, 1000, {"mss": 1460, "sack_ok": True, "ts": (7, 0), "wscale": 3}
        )
    else:
        conn.open_active(now)
        conn.on_segment(
            0.1,
            0xFFFFFFF0,
            (conn.iss + 1) & MASK,
            SYN | ACK,
            4000,
            b"",
            {"mss": 1000, "sack_ok": True, "ts": (9, 1), "wscale": 2},
        )
    for dseq, dack, flags, window, payload, opts, dt, op in ops:
        now += dt
        conn.on_segment(
            now,
            (conn.rcv_nxt + dseq) & MASK,
            (conn.snd_una + dack) & MASK,
            flags,
            window,
            payload,
            opts,
        )
        if op == "send":
            conn.send(now, b"z" * 3000)
        elif op == "recv":
            conn.recv(now)
        elif op == "timer":
            now = max(now, min(conn.next_deadline(), now + 50.0))
            conn.on_timer(now)
        elif op == "close":
            conn.close(now)
        assert conn.snd_una <= conn.snd_nxt <= conn.snd_max
        assert all(lo < hi for lo, hi in conn.sacked)
        for _s, _a, f, w, p, _o in conn.take_actions().segments:
            assert 0 <= w <= 65535 and len(p) <= conn.mss
            assert f & ~(SYN | ACK | FIN | RST | PSH) == 0
