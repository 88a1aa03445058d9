"""IP datagrams over an opened PPP link: only once IPCP is opened (RFC 1661 §3.5), framed with
the negotiated ACFC/PFC (RFC 1661 §6.5, §6.6) and ACCM (RFC 1662 §7.1); and the client side
of authentication negotiation towards a peer that asks for MS-CHAP.

Expected wire bytes are built here from RFC 1662 (tests/stories/ppp_frames.py helpers), not
with simnet.bearer.ppp.
"""

from __future__ import annotations

import struct

from simnet.bearer.ppp import BytePipe, PppConfig, PppEndpoint, PppSession, SendPacket
from simnet.bearer.ppp.packets import (
    CONF_NAK,
    LCP_AUTH,
    PROTO_LCP,
    decode_options,
    decode_packet,
    encode_options,
    encode_packet,
)
from simnet.kernel import Simulation
from tests.stories import ppp_frames as pf

DATAGRAM = bytes.fromhex("4500001c0001000040010000") + bytes([10, 0, 0, 1, 10, 64, 0, 7]) + bytes(8)


def session(compression: bool):
    sim = Simulation(3)
    pipe = BytePipe(sim, delay=0.01)
    seen: list[tuple[int, bytes]] = []
    keep = pipe._deliver

    def spy(index, data, generation):
        seen.append((index, data))
        keep(index, data, generation)

    pipe._deliver = spy
    client = PppConfig(role="client", username="u", password="p", compression=compression)
    server = PppConfig(role="server", auth="pap", local_ip="10.0.0.1", peer_ip="10.64.0.7",
                       compression=compression)
    s = PppSession(sim, client, server, pipe=pipe)
    got: list[bytes] = []
    s.client.on_datagram = got.append
    assert not s.server.send_datagram(DATAGRAM)  # RFC 1661 §3.5: nothing before the NCP opens
    s.start()
    sim.advance(5)
    assert s.result.value.ok
    seen.clear()
    assert s.server.send_datagram(DATAGRAM)
    sim.advance(1)
    return got, seen


def hdlc(body: bytes, accm: int) -> bytes:
    body += struct.pack("<H", pf.fcs16(body))
    out = bytearray([pf.FLAG])
    for b in body:
        out += (
            bytes((pf.ESC, b ^ 0x20))
            if b in (pf.FLAG, pf.ESC) or (b < 0x20 and accm >> b & 1)
            else bytes((b,))
        )
    return bytes(out + bytes([pf.FLAG]))


def test_compressed_ip_frame_when_both_asked_for_pfc_and_acfc():
    got, seen = session(compression=True)
    assert got == [DATAGRAM]
    # the client asked for ACCM 0 and PFC/ACFC: no FF 03, protocol 0x21 in one byte
    assert seen == [(1, hdlc(b"\x21" + DATAGRAM, accm=0))]


def test_uncompressed_ip_frame_without_compression():
    got, seen = session(compression=False)
    assert got == [DATAGRAM]
    assert seen == [(1, hdlc(b"\xff\x03\x00\x21" + DATAGRAM, accm=0))]


def test_client_naks_mschap_with_a_protocol_it_runs():
    """A peer asking MS-CHAP-v2 (C223 81, RFC 2759) is told what we do instead (RFC 1661 §5.3
    Nak with a suggestion), PAP first for auth=any."""
    sim = Simulation(1)
    ep = PppEndpoint(PppConfig(role="client", username="u", password="p"), sim.rng("x"))
    ep.lower_up()
    ep.open()
    ep.take_events()
    request = encode_options([(LCP_AUTH, bytes.fromhex("c22381"))])
    ep.receive_frame(PROTO_LCP, encode_packet(1, 9, request))
    sent = [a for a in ep.take_events() if isinstance(a, SendPacket) and a.protocol == PROTO_LCP]
    code, ident, data = decode_packet(sent[0].info)
    assert (code, ident, decode_options(data)) == (CONF_NAK, 9, [(LCP_AUTH, bytes.fromhex("c023"))])


def test_framed_size_matches_the_encoder():
    import random

    from simnet.bearer.ppp.hdlc import encode_frame, framed_size

    rng = random.Random(2)
    for accm in (0, 0xFFFFFFFF, 0x000A0000):
        for _ in range(50):
            frame = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
            exact = len(encode_frame(frame, accm))
            # exact but for the FCS's two bytes, counted as escaped
            assert exact <= framed_size(frame, accm) <= exact + 2
