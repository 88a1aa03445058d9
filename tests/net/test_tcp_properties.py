"""Property tests: TCP over the real links (loss, duplication, reordering, corruption, jitter)
delivers exactly the bytes sent, in order, or reports an abort reason; and no segment of any
shape makes the engine raise or break its sequence-space invariants."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from simnet.kernel import Simulation
from simnet.net import Network
from simnet.net.packet import ACK, FIN, PSH, RST, SYN
from simnet.net.tcp import CLOSE_REASONS, TcpConfig, TcpSocket
from simnet.net.tcp_engine import CLOSED, MASK, TcpConnection

SERVER_IP = "203.0.113.7"
MODULE_IP = "10.20.0.5"


def _payload(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


impairment = st.fixed_dictionaries(
    {
        "delay": st.sampled_from([0.005, 0.05, 0.3, 0.6]),
        "jitter": st.sampled_from([0.0, 0.01, 0.1, 0.4]),
        "reorder": st.booleans(),
        "rate": st.sampled_from([None, 9600, 40000, 1_000_000]),
        "loss": st.sampled_from(
            [
                0.0,
                0.01,
                0.05,
                0.15,
                0.3,
                # bursts: Gilbert-Elliott, bad state loses 70 %, ~5 packets per burst
                {"model": "gilbert_elliott", "p": 0.02, "r": 0.2, "one_minus_h": 0.7},
            ]
        ),
        "duplicate": st.sampled_from([0.0, 0.02, 0.2]),
        "corrupt": st.sampled_from([0.0, 0.02, 0.1]),
    }
)

tcp_params = st.fixed_dictionaries(
    {
        "mss": st.sampled_from([64, 200, 536, 1400]),
        "recv_buffer": st.sampled_from([300, 2000, 8192, 65535]),
        "send_buffer": st.sampled_from([500, 4096, 65536]),
        "nodelay": st.booleans(),
        "delayed_ack": st.sampled_from([0.0, 0.2]),
        "min_rto": st.sampled_from([0.2, 1.0]),
    }
)


class Transfer:
    """Client on the module host sends ``up`` then half-closes; the server sends ``down`` and
    closes when it has seen the client's FIN. Both sides write as the send buffer allows."""

    def __init__(
        self, sim: Simulation, net: Network, up: bytes, down: bytes, cfg: TcpConfig
    ) -> None:
        self.sim = sim
        self.up, self.down = up, down
        self.got_up = bytearray()
        self.got_down = bytearray()
        self.closed: dict[str, str] = {}
        self.server: TcpSocket | None = None
        self._offsets: dict[str, list[int]] = {}
        srv_host = net.host("srv")
        mod_host = net.host("m1")
        srv_host.tcp_listen(9000, self._accept, config=cfg)
        self.client = mod_host.tcp_connect(SERVER_IP, 9000, cfg)
        self._wire(self.client, "client", up, self.got_down, shutdown_when_done=True)

    def _accept(self, sock: TcpSocket) -> None:
        self.server = sock
        self._wire(sock, "server", self.down, self.got_up, shutdown_when_done=False)
        sock.on_peer_fin = lambda s: self._maybe_close(s)

    def _wire(
        self, sock: TcpSocket, name: str, data: bytes, sink: bytearray, shutdown_when_done: bool
    ) -> None:
        offset = [0]

        def pump(s: TcpSocket) -> None:
            while offset[0] < len(data):
                n = s.send(data[offset[0] : offset[0] + 4096])
                if n == 0:
                    return
                offset[0] += n
            if shutdown_when_done:
                s.shutdown()
            else:
                self._maybe_close(s)

        def on_data(s: TcpSocket) -> None:
            sink.extend(s.recv())

        self._offsets[name] = offset
        sock.on_connected = pump
        sock.on_writable = pump
        sock.on_data = on_data
        sock.on_closed = lambda s, reason: self.closed.__setitem__(name, reason)
        if name == "server":
            pump(sock)

    def _maybe_close(self, s: TcpSocket) -> None:
        if s.peer_closed and self._offsets["server"][0] == len(self.down):
            s.close()

    def done(self) -> bool:
        return "client" in self.closed and "server" in self.closed


def build(seed: int, imp: dict, tcp: dict) -> tuple[Simulation, Network, TcpConfig]:
    sim = Simulation(seed)
    sim.trace.mute("pkt")
    net = Network(sim, capture=False)
    net.add_host("srv", SERVER_IP, link={"delay": 0.01})
    link = {k: v for k, v in imp.items() if v is not None}
    mod = net.add_module_host("m1", link, link)
    mod.interface_up(MODULE_IP)
    cfg = TcpConfig(
        msl=1.0, data_retries=12, syn_retries=8, max_rto=30.0, fin_wait2_timeout=300.0, **tcp
    )
    return sim, net, cfg


@pytest.mark.slow
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    seed=st.integers(0, 2**31),
    imp=impairment,
    tcp=tcp_params,
    # hypothesis favours small integers; the second branch keeps multi-window transfers common
    up_size=st.one_of(st.integers(0, 3000), st.integers(3000, 16000)),
    down_size=st.one_of(st.integers(0, 1500), st.integers(1500, 8000)),
    data_seed=st.integers(0, 1000),
)
def test_transfer_delivers_exactly_the_bytes_sent_or_reports_why(
    seed: int, imp: dict, tcp: dict, up_size: int, down_size: int, data_seed: int
) -> None:
    # Slow serialization with a tiny segment size would take hours of virtual time; keep
    # the virtual run bounded but meaningful.
    assume(not (imp["rate"] == 9600 and tcp["mss"] == 64 and up_size > 6000))
    up = _payload(up_size, data_seed)
    down = _payload(down_size, data_seed + 1)
    sim, net, cfg = build(seed, imp, tcp)
    xfer = Transfer(sim, net, up, down, cfg)
    sim.run_until(xfer.done, timeout=20000)
    # Never corrupted, reordered, duplicated or lost: what arrived is a prefix of what was sent.
    assert bytes(xfer.got_up) == up[: len(xfer.got_up)]
    assert bytes(xfer.got_down) == down[: len(xfer.got_down)]
    reasons = set(xfer.closed.values())
    assert reasons <= set(CLOSE_REASONS)
    aborted = reasons & {"refused", "timeout", "reset", "network_down", "keepalive"}
    if not aborted:
        # Both sides closed gracefully: then every byte arrived, exactly once.
        assert xfer.done(), f"transfer neither finished nor aborted: {xfer.closed}"
        assert bytes(xfer.got_up) == up
        assert bytes(xfer.got_down) == down
        assert xfer.client.bytes_acked == len(up)
        assert xfer.client.bytes_received == len(down)


def test_transfer_over_real_links_with_heavy_impairment_completes() -> None:
    # A fixed, harsh example so the property above always has a completing witness.
    imp = {
        "delay": 0.3,
        "jitter": 0.1,
        "reorder": True,
        "rate": 40000,
        "loss": 0.1,
        "duplicate": 0.05,
        "corrupt": 0.05,
    }
    tcp = {
        "mss": 536,
        "recv_buffer": 8192,
        "send_buffer": 4096,
        "nodelay": False,
        "delayed_ack": 0.2,
        "min_rto": 1.0,
    }
    up, down = _payload(30000, 1), _payload(5000, 2)
    sim, net, cfg = build(11, imp, tcp)
    xfer = Transfer(sim, net, up, down, cfg)
    assert sim.run_until(xfer.done, timeout=5000)
    assert bytes(xfer.got_up) == up and bytes(xfer.got_down) == down
    assert xfer.closed == {"client": "local", "server": "peer_closed"}
    # impairments really happened: retransmissions were needed
    assert sim.trace.select(kind="tcp_retransmit")


# -- engine fuzz ------------------------------------------------------------------------------
segment = st.tuples(
    st.sampled_from(["near", "any"]),
    st.integers(-70000, 70000),  # seq offset from rcv_nxt when "near"
    st.integers(-70000, 70000),  # ack offset from snd_una when "near"
    st.integers(0, 0x3F),
    st.integers(-5, 70000),
    st.binary(max_size=300),
    st.sampled_from([0, 1, 64, 536, 100000, -3]),
    st.floats(0.0, 5.0),
)
user_op = st.sampled_from(
    ["send", "recv", "recv_all", "shutdown", "close", "abort", "timer", "icmp", "down", "none"]
)


@settings(deadline=None, max_examples=200)
@given(
    start=st.sampled_from(["active", "passive", "established"]),
    ops=st.lists(st.tuples(segment, user_op), max_size=40),
    cfg_kw=st.fixed_dictionaries(
        {
            "recv_buffer": st.sampled_from([1, 100, 65535]),
            "send_buffer": st.sampled_from([1, 3000]),
            "keepalive": st.sampled_from([None, (5.0, 1.0, 2)]),
            "delayed_ack": st.sampled_from([0.0, 0.2]),
            "msl": st.sampled_from([0.0, 1.0]),
        }
    ),
)
def test_engine_never_raises_and_keeps_its_invariants(start: str, ops: list, cfg_kw: dict) -> None:
    cfg = TcpConfig(mss=536, **cfg_kw)
    conn = TcpConnection(cfg, 0xFFFFFF00)  # near the wrap-around on purpose
    now = 0.0
    peer_isn = 0xFFFFFFF0
    if start == "passive":
        conn.open_passive(now, peer_isn, 1000, 1460)
    else:
        conn.open_active(now)
        if start == "established":
            conn.on_segment(0.1, peer_isn, (conn.iss + 1) & MASK, SYN | ACK, 4000, b"", 1460)
            assert conn.state == "ESTABLISHED"
    for (mode, dseq, dack, flags, window, payload, mss, dt), op in ops:
        now += dt
        if mode == "near":
            seq = (conn.rcv_nxt + dseq) & MASK
            ack = (conn.snd_una + dack) & MASK
        else:
            seq, ack = dseq & MASK, dack & MASK
        conn.on_segment(now, seq, ack, flags, window, payload, mss)
        if op == "send":
            conn.send(now, b"q" * 700)
        elif op == "recv":
            conn.recv(now, 50)
        elif op == "recv_all":
            conn.recv(now)
        elif op == "icmp":
            conn.on_icmp_error(now, 3, int(dt * 2))  # codes 0..10
        elif op == "down":
            conn.network_down()
        elif op == "shutdown":
            conn.shutdown(now)
        elif op == "close":
            conn.close(now)
        elif op == "abort":
            conn.abort(now)
        elif op == "timer":
            now = max(now, min(conn.next_deadline(), now + 100.0))
            conn.on_timer(now)
        # invariants
        assert conn.snd_una <= conn.snd_nxt <= conn.snd_max
        assert conn.buf_seq >= conn.snd_una - 1
        assert len(conn.rcvbuf) <= cfg.recv_buffer
        assert len(conn.sndbuf) <= cfg.send_buffer
        actions = conn.take_actions()
        assert conn.out == [] and conn.events == []
        assert actions.next_deadline == conn.next_deadline()
        for s, a, f, w, p, m in actions.segments:
            assert 0 <= s <= MASK and 0 <= a <= MASK and 0 <= w <= 65535
            assert f & ~(SYN | ACK | FIN | RST | PSH) == 0
            assert len(p) <= conn.mss
            assert m == 0 or f & SYN  # the MSS option only rides on SYNs
        if conn.state == CLOSED:
            assert actions.next_deadline == float("inf")


# -- stack fuzz: random packets at a host with a listener and live connections ----------------
@settings(deadline=None, max_examples=100)
@given(
    pkts=st.lists(
        st.tuples(
            st.sampled_from([80, 81, "conn"]),
            st.integers(0, 2**32 - 1),
            st.integers(0, 2**32 - 1),
            st.integers(0, 0xFF),
            st.integers(-10, 70000),
            st.binary(max_size=64),
            st.sampled_from([None, {}, {"mss": 0}, {"mss": 1}, {"mss": 1460}, {"mss": 2**20}]),
            st.floats(0.001, 3.0),  # Simulation.advance(0) is refused by SimPy
        ),
        max_size=30,
    )
)
def test_stack_never_raises_on_random_packets(pkts: list) -> None:
    from simnet.net.packet import PROTO_TCP, Packet
    from tests.net.test_tcp_harness import make_pair

    sim, chan, a, b = make_pair(delay=0.01)
    accepted: list[TcpSocket] = []
    b.tcp.listen(80, lambda s: (accepted.append(s), setattr(s, "on_data", lambda s: s.recv())))
    client = a.tcp.connect("10.0.0.2", 80, TcpConfig(keepalive=(1.0, 0.5, 2)))
    sim.advance(0.1)
    assert client.state == "ESTABLISHED"
    for port, seq, ack, flags, window, payload, opts, dt in pkts:
        if port == "conn":
            dport, sport = 80, client.local[1]
        else:
            dport, sport = port, 40000
        pkt = Packet(
            "10.0.0.1",
            "10.0.0.2",
            PROTO_TCP,
            sport=sport,
            dport=dport,
            seq=seq,
            ack=ack,
            flags=flags,
            window=window,
            options=opts,
            payload=payload,
        )
        b.tcp.deliver(pkt)
        sim.advance(dt)
    sim.advance(300)  # every timer runs out
    for sock in accepted + [client]:
        assert sock.state in (
            "CLOSED",
            "TIME_WAIT",
            "ESTABLISHED",
            "CLOSE_WAIT",
            "FIN_WAIT_2",
            "LAST_ACK",
        )
