"""3GPP TS 27.010 multiplexing (basic option) after AT+CMUX: exact frames, and PPP on one
channel while AT+CSQ is polled on another during a transfer.

Frames are checked byte for byte against values built here from TS 27.010 §5.2 (flag F9,
address EA/C-R/DLCI, control, length EA, FCS as computed by ``crc8_spec`` below, bit by bit)
and against frames a real module sent (esp_modem debug log: UA on DLCI 0/1/2 is
``f9 03 73 01 d7 f9``, ``f9 07 73 01 15 f9``, ``f9 0b 73 01 92 f9``).
"""

from __future__ import annotations

import pytest

from simnet import Simulation
from simnet.modem.cmux.frames import FrameDecoder, encode_frame
from tests.modem.helpers import send_all

FLAG = 0xF9
SABM_P, UA_F, DM_F, DISC_P, UIH = 0x3F, 0x73, 0x1F, 0x53, 0xEF


def crc8_spec(data: bytes) -> int:
    """TS 27.010 §5.2.1.6: x^8 + x^2 + x + 1, bits taken least significant first, register
    preset to ones; the FCS sent is the one's complement of the remainder."""
    reg = 0xFF
    for byte in data:
        for i in range(8):
            bit = (byte >> i) & 1
            top = reg & 1
            reg >>= 1
            if bit ^ top:
                reg ^= 0xE0
    return 0xFF - reg


def frame(dlci: int, control: int, info: bytes = b"", cr: int = 1) -> bytes:
    address = (dlci << 2) | (cr << 1) | 1
    n = len(info)
    length = bytes([(n << 1) | 1]) if n < 128 else bytes([(n & 0x7F) << 1, n >> 7])
    header = bytes([address, control]) + length
    return bytes([FLAG]) + header + info + bytes([crc8_spec(header), FLAG])


def test_real_module_ua_frames_are_what_the_spec_crc_gives():
    assert frame(0, UA_F) == bytes.fromhex("f9037301d7f9")
    assert frame(1, UA_F) == bytes.fromhex("f907730115f9")
    assert frame(2, UA_F) == bytes.fromhex("f90b730192f9")
    assert encode_frame(2, 0x63, pf=True) == bytes.fromhex("f90b730192f9")


def test_two_octet_length_and_flag_bytes_inside_the_information():
    info = bytes([FLAG]) * 3 + bytes(range(197))  # 200 octets, flags included (no transparency)
    raw = encode_frame(3, UIH, info)
    assert raw[3:5] == bytes([(200 & 0x7F) << 1, 200 >> 7])  # EA=0, then the high bits
    assert raw == frame(3, UIH, info)
    dec = FrameDecoder()
    # garbage, a damaged frame and consecutive flags around it are survived
    bad = bytearray(frame(1, UIH, b"xy"))
    bad[-2] ^= 0x55
    frames = dec.feed(b"\x00\x13junk" + bytes(bad) + bytes([FLAG, FLAG]) + raw)
    assert [(f.dlci, f.info) for f in frames] == [(3, info)]
    assert dec.errors >= 1


def world(module: str = "simcom-sim7600") -> Simulation:
    sim = Simulation.from_dict(
        {
            "name": "cmux",
            "seed": 3,
            "module": module,
            "uart": {"baud": 115200},
            "sim": {"state": "ready"},
            "network": {
                "registration": {"state": "home", "after": "1s"},
                "apn": {"name": "internet"},
                "pdp": {"activation_delay": "1s"},
                "link": {"delay": "100ms"},
                "dns": ["10.64.0.53", "10.64.0.54"],
            },
            "hosts": {
                "echo.example.net": {
                    "ip": "203.0.113.10",
                    "services": [{"type": "tcp-echo", "port": 7}],
                }
            },
            "steps": [],
        }
    )
    sim.dte.command("AT")
    sim.dte.wait(2)
    return sim


def exchange(sim, data: bytes, wait: float = 0.1) -> bytes:
    sim.dte.read_available()
    sim.dte.write(data)
    sim.dte.wait(wait)
    return sim.dte.read_available()


def test_exact_frames_of_a_cmux_session():
    sim = world()
    assert sim.dte.command("AT+CMUX=0").raw == b"AT+CMUX=0\r\r\nOK\r\n"
    # TS 27.010 §5.4.1: SABM (P=1) on DLCI 0 is answered by UA (F=1); the module's frames
    # carry C/R=1 as a real module's do.
    assert exchange(sim, frame(0, SABM_P)) == frame(0, UA_F)
    # DLCI 1: UA, then the module's modem status for it on DLCI 0: MSC command (type 0x38,
    # C/R=1, EA=1 -> 0xe3), length 2, DLCI 1 address octet, V.24 signals RTC|RTR|DV|EA
    msc = bytes([0xE3, 0x05, 0x07, 0x8D])
    assert exchange(sim, frame(1, SABM_P)) == frame(1, UA_F) + frame(0, UIH, msc)
    # a DLCI the module does not offer: DM (F=1)
    assert exchange(sim, frame(9, SABM_P)) == frame(9, DM_F)
    # AT on DLCI 1 in a UIH frame; the answer comes back in UIH frames on DLCI 1
    reply = exchange(sim, frame(1, UIH, b"AT+CSQ\r", cr=1), wait=0.3)
    decoded = FrameDecoder().feed(reply)
    assert {f.dlci for f in decoded} == {1}
    assert b"".join(f.info for f in decoded) == b"AT+CSQ\r\r\n+CSQ: 20,0\r\n\r\nOK\r\n"
    # one UIH frame per piece the engine wrote: echo, information line, final result
    assert reply == (
        frame(1, UIH, b"AT+CSQ\r")
        + frame(1, UIH, b"\r\n+CSQ: 20,0\r\n")
        + frame(1, UIH, b"\r\nOK\r\n")
    )
    # the answer to MSC is the same message as a response (C/R=0 in the type: 0xe1)
    assert exchange(sim, frame(0, UIH, bytes([0xE3, 0x05, 0x07, 0x8D]))) == frame(
        0, UIH, bytes([0xE1, 0x05, 0x07, 0x8D])
    )
    # CLD (0xc3) is answered (0xc1) and the UART is AT again
    assert exchange(sim, frame(0, UIH, bytes([0xC3, 0x01]))) == frame(0, UIH, bytes([0xC1, 0x01]))
    assert sim.dte.command("AT").raw == b"AT\r\r\nOK\r\n"


def test_n1_splits_channel_output_into_frames_of_that_size():
    sim = world()
    assert sim.dte.command("AT+CMUX=0,0,5,8").ok
    exchange(sim, frame(0, SABM_P))
    exchange(sim, frame(1, SABM_P))
    reply = exchange(sim, frame(1, UIH, b"AT+CSQ\r"), wait=0.3)
    infos = [f.info for f in FrameDecoder().feed(reply)]
    assert b"".join(infos) == b"AT+CSQ\r\r\n+CSQ: 20,0\r\n\r\nOK\r\n"
    assert max(map(len, infos)) == 8 and len(infos) >= 4


def test_ppp_on_one_channel_while_csq_is_polled_on_another():
    """esp_modem / ModemManager style: DLCI 1 dials up, DLCI 2 stays in AT mode."""
    sim = world()
    mux = sim.dte.cmux((1, 2))
    ppp, at = mux.channels[1], mux.channels[2]
    host = ppp.dial("*99#")
    assert host.dns_servers == ["10.64.0.53", "10.64.0.54"]
    sock = host.tcp_connect("203.0.113.10", 7)
    got = bytearray()
    sock.on_data = lambda s, *_: got.extend(s.recv())
    sim.run_until(lambda: sock.state == "ESTABLISHED", 20)
    data = bytes((i * 13) & 0xFF for i in range(40_000))
    send_all(sock, data)
    polls = []
    while len(got) < len(data) and sim.now < 200:
        polls.append(at.command("AT+CSQ").lines)
        sim.advance(1)
    assert bytes(got) == data
    assert len(polls) >= 5 and all(p == ["+CSQ: 20,0"] for p in polls)
    host.hangup(timeout=10)  # waits for the module's NO CARRIER on DLCI 1
    assert ppp.command("AT").ok
    mux.close()
    assert sim.dte.command("AT").ok


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        (
            "AT+CMUX=?",
            b"\r\n+CMUX: "
            b"(0),(0),(1-6),(1-32768),(1-255),(0-100),(2-255),(1-255),(1-7)\r\n\r\nOK\r\n",
        ),
        ("AT+CMUX?", b"\r\n+CMUX: 0,0,5,31,10,3,30,10,2\r\n\r\nOK\r\n"),
        ("AT+CMUX=1", b"\r\nERROR\r\n"),  # advanced option not modelled
        ("AT+CMUX=0,0,5,0", b"\r\nERROR\r\n"),  # N1 out of range
    ],
)
def test_cmux_command_forms(line, answer):
    sim = world()
    sim.dte.command("ATE0")
    assert sim.dte.command(line).raw == answer


def test_module_without_cmux_in_its_manual_says_error():
    sim = world("fibocom-l610")
    sim.dte.command("ATE0")
    assert sim.dte.command("AT+CMUX=0").raw == b"\r\nERROR\r\n"


def test_garbage_on_a_multiplexed_line_leaves_every_channel_working():
    import random

    rng = random.Random(11)
    sim = world()
    mux = sim.dte.cmux((1, 2))
    for _ in range(200):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        if rng.random() < 0.3:
            junk = bytes([FLAG]) + junk  # frame-like starts, bad lengths and FCS
        sim.dte.write(junk)
    sim.dte.write(bytes([FLAG]) * 3)  # resynchronise
    sim.dte.wait(1)
    assert mux.channels[2].command("AT").ok
    assert mux.channels[1].command("AT+CSQ").lines == ["+CSQ: 20,0"]
    assert sim.module.mux.engine.decoder.errors > 0


CMUX_MODULES = ("simcom-sim7600", "simcom-a7670", "wavecom-wipsoft")


@pytest.mark.parametrize("module", CMUX_MODULES)
@pytest.mark.parametrize("line", [b"AT+CMUX=\r\n", b"AT+CMUX=,0,5\r\n"])
def test_cmux_without_its_mandatory_mode_is_refused_and_the_line_stays_at(module, line):
    """TS 27.007 §5.7: AT+CMUX=<mode>[,<subset>[,...]] - <mode> has no default. An empty one is
    a bad parameter (ERROR under AT+CMEE=0, +CME ERROR: 50 "incorrect parameters", TS 27.007
    §9.2.1, under AT+CMEE=1), as AT+CMUX=1 is: no multiplexer starts, the next line is AT."""
    sim = world(module)
    echoed = line[:-1]  # the module echoes up to the CR; the host's LF after it is dropped
    assert exchange(sim, line, wait=1) == echoed + b"\r\nERROR\r\n"
    assert sim.module.mux is None
    assert exchange(sim, b"AT+CMEE=1\r\n") == b"AT+CMEE=1\r\r\nOK\r\n"
    assert exchange(sim, line, wait=1) == echoed + b"\r\n+CME ERROR: 50\r\n"
    assert exchange(sim, b"AT\r\n") == b"AT\r\r\nOK\r\n"
    assert sim.module.mux is None
