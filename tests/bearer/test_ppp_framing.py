"""RFC 1662 framing and robustness of the PPP engines against arbitrary input."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simnet.bearer.ppp import HdlcDeframer, PppConfig, PppEndpoint, encode_frame, fcs16
from simnet.bearer.ppp.events import SendPacket
from simnet.bearer.ppp.packets import PROTO_CHAP, PROTO_IPCP, PROTO_LCP, PROTO_PAP


def test_fcs16_check_value() -> None:
    # CRC-16/X-25 (the PPP FCS-16) check value over ASCII "123456789" is 0x906E
    assert fcs16(b"123456789") ^ 0xFFFF == 0x906E


def test_encoding_stuffs_flag_escape_and_accm_characters() -> None:
    frame = bytes([0xFF, 0x03, 0x7E, 0x7D, 0x01, 0x11, 0x41])
    wire = encode_frame(frame, accm=0x00000002)  # only 0x01 flagged
    body = wire[1:-1]
    assert wire[0] == 0x7E and wire[-1] == 0x7E
    assert 0x7E not in body
    assert body.startswith(bytes([0xFF, 0x03, 0x7D, 0x5E, 0x7D, 0x5D, 0x7D, 0x21, 0x11, 0x41]))
    # default ACCM escapes 0x11 too
    assert bytes([0x7D, 0x31]) in encode_frame(frame)


@pytest.mark.parametrize("accm", [0x00000000, 0xFFFFFFFF, 0x000A0000])
def test_roundtrip_through_deframer(accm: int) -> None:
    rng = random.Random(4)
    frames = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))) for _ in range(20)]
    wire = b"".join(encode_frame(f, accm) for f in frames)
    d = HdlcDeframer(rx_accm=accm)
    out = []
    for i in range(0, len(wire), 7):  # arbitrary chunking
        out.extend(d.feed(wire[i : i + 7]))
    assert out == [f for f in frames if len(f) >= 2] and d.errors == 0


def test_corrupted_frame_is_dropped_and_counted() -> None:
    wire = bytearray(encode_frame(b"\xff\x03\xc0\x21\x01\x01\x00\x04", 0))
    wire[5] ^= 0x40
    d = HdlcDeframer(rx_accm=0)
    assert d.feed(bytes(wire)) == [] and d.errors == 1


@pytest.mark.slow
@given(st.binary(max_size=3000))
def test_deframer_never_raises_on_garbage(data: bytes) -> None:
    d = HdlcDeframer()
    frames = d.feed(data)
    assert all(len(f) <= d.max_frame + 2 for f in frames)


PROTOS = st.sampled_from([PROTO_LCP, PROTO_PAP, PROTO_CHAP, PROTO_IPCP, 0x0021, 0x8057, 0x1234])


@pytest.mark.slow
@given(st.lists(st.tuples(PROTOS, st.binary(max_size=64), st.integers(0, 3)), max_size=60),
       st.sampled_from(["client", "server"]))
def test_endpoint_never_raises_on_any_frame_sequence(frames, role) -> None:
    if role == "client":
        cfg = PppConfig(username="u", password="p", echo_interval=1.0)
    else:
        cfg = PppConfig(role="server", auth="chap", local_ip="10.0.0.1", peer_ip="10.0.0.2",
                        dns=("10.0.0.53",))
    ep = PppEndpoint(cfg, random.Random(1))
    ep.lower_up()
    ep.open()
    for proto, info, tick in frames:
        # bias towards well-formed headers so deeper states are reached
        if info and len(info) >= 4:
            info = info[:2] + len(info).to_bytes(2, "big") + info[4:]
        ep.receive_frame(proto, info)
        for key in ("LCP", "IPCP", "auth", "echo", "fault")[:tick]:
            ep.timer_expired(key)
        for action in ep.take_events():
            if isinstance(action, SendPacket):
                assert 0 <= action.protocol <= 0xFFFF


@pytest.mark.slow
@given(st.lists(st.tuples(st.floats(0, 40), st.booleans(), PROTOS, st.binary(max_size=40),
                          st.booleans()), max_size=30))
def test_live_session_survives_injected_frames_and_garbage(injections) -> None:
    """A misbehaving third party writes frames and raw garbage onto the line at random times,
    in both directions, during and after negotiation: nothing raises, outcomes stay typed."""
    from simnet.bearer import OutcomeKind
    from simnet.bearer.ppp import BytePipe, PppSession
    from simnet.bearer.ppp.hdlc import build_frame
    from simnet.kernel import Simulation

    sim = Simulation(5)
    client = PppConfig(username="u", password="p", echo_interval=5.0)
    server = PppConfig(role="server", auth="chap", local_ip="10.0.0.1", peer_ip="10.0.0.2",
                       credentials=(("u", "p"),))
    s = PppSession(sim, client, server, pipe=BytePipe(sim, rate_bps=9600, delay=0.05)).start()
    for t, to_client, proto, info, raw in injections:
        data = info if raw else encode_frame(build_frame(proto, info))
        target = s.client if to_client else s.server
        sim.call_at(t, target.receive_bytes, data)
    sim.advance(60)
    for drv in (s.client, s.server):
        if drv.result.triggered:
            assert drv.result.value.kind in set(OutcomeKind)
