"""Story 1: a firmware engineer's device loses its TCP socket every night after a few minutes
idle. SIM7600, TCP to an echo server through the carrier NAT (tcp_idle_timeout 240 s).

Scenario parameters (scenarios/stories/nat-*.yaml): radio link 200 ms one way, 40 kbit/s, no
jitter, no loss; UART 115200 baud. Every instant below is computed from those numbers (see
tests/stories/helpers.py for the rules), anchored on the instant the module put the data
segment on the radio link - the module's own processing time before that is a random draw by
design, everything after it is not.
"""

from __future__ import annotations

import pytest

from simnet.net.network import DEFAULT_INTERNET_LINK
from tests.stories.helpers import (
    INTERNET_DELAY,
    chunk_time,
    packets,
    run_story,
    serialization,
    uart_time,
    uart_to_host,
)

RADIO_DELAY = 0.200
RATE = 40_000
BAUD = 115200
NAT_IDLE = 240.0
DELAYED_ACK = 0.2  # TcpConfig.delayed_ack default (RFC 1122 §4.2.3.2 allows up to 0.5 s)
SERVER = "203.0.113.10:7"


def up(payload: int) -> float:
    """Module -> core over the radio uplink."""
    return serialization(payload, RATE) + RADIO_DELAY


def down(payload: int) -> float:
    """Core -> module over the radio downlink."""
    return serialization(payload, RATE) + RADIO_DELAY


def nat_events(sim, event: str) -> list:
    return [r for r in sim.trace.select(source="nat", kind="nat") if r.fields["event"] == event]


def public_port(mapping: str) -> int:
    return int(mapping.rsplit(":", 1)[1])


def test_internet_link_default_is_what_the_arithmetic_assumes():
    assert DEFAULT_INTERNET_LINK == {"delay": INTERNET_DELAY}


def test_idle_socket_is_reset_after_the_nat_forgets_it():
    sim, _ = run_story("nat-idle-timeout-sim7600.yaml")
    hello, world, resent = packets(sim, "module.uplink", "tx", f"> {SERVER} [AP]", "len=5")
    echo, echo_after_reconnect = packets(sim, "module.downlink", "rx", f"{SERVER} >", "[AP]",
                                         "len=5")
    # HELLO: 45 bytes up (9 ms + 200 ms), 10 ms to the server and 10 ms back, echo 45 bytes down.
    assert echo.t == pytest.approx(hello.t + up(5) + 2 * INTERNET_DELAY + down(5), abs=1e-9)

    # The last packet through the NAT is the module's delayed ACK of the echo (200 ms after
    # the echo, 40 bytes up); the mapping expires exactly 240 s after that packet crossed.
    (expire,) = nat_events(sim, "expire")
    last_activity = echo.t + DELAYED_ACK + up(0)
    assert expire.t == pytest.approx(last_activity + NAT_IDLE, abs=1e-9)
    assert expire.fields["reason"] == "idle_timeout"

    # 300 s later WORLD leaves on the same private socket but gets a NEW public port
    # (sequential allocation: the next one).
    first, second, third = nat_events(sim, "create")
    assert second.t == pytest.approx(world.t + up(5), abs=1e-9)
    assert first.fields["mapping"].split(" <-> ")[0] == second.fields["mapping"].split(" <-> ")[0]
    old_port, new_port = public_port(first.fields["mapping"]), public_port(second.fields["mapping"])
    assert new_port == old_port + 1

    # The echo server has no connection on the new port: RST to that port, back through the NAT.
    (rst_srv,) = packets(sim, "echo_example_net.uplink", "tx", f"> 198.51.100.1:{new_port} [R]")
    assert rst_srv.t == pytest.approx(world.t + up(5) + INTERNET_DELAY, abs=1e-9)
    (rst,) = packets(sim, "module.downlink", "rx", f"{SERVER} >", "[R]")
    assert rst.t == pytest.approx(world.t + up(5) + 2 * INTERNET_DELAY + down(0), abs=1e-9)

    # The module reports the close at once: 17 bytes at 115200 baud after the RST landed.
    urc = b"\r\n+IPCLOSE: 0,1\r\n"
    assert chunk_time(sim, urc) == pytest.approx(rst.t + uart_time(len(urc), BAUD), abs=1e-9)
    # Exact bytes the host saw after the night: the echoed command, the prompt, the echoed
    # payload, OK, the send report, the close, then the link status query - and nothing from
    # the server (WORLD was never echoed).
    after = b"".join(chunk for t, chunk in uart_to_host(sim) if 300.0 < t < third.t)
    assert after == (b"AT+CIPSEND=0,5\r\r\n>WORLD\r\nOK\r\n\r\n+CIPSEND: 0,5,5\r\n"
                     b"\r\n+IPCLOSE: 0,1\r\n"
                     b"AT+CIPCLOSE?\r\r\n+CIPCLOSE: 0,0,0,0,0,0,0,0,0,0\r\n\r\nOK\r\n"
                     b'AT+CIPOPEN=0,"TCP","203.0.113.10",7\r\r\nOK\r\n')

    # Recovery: the reconnect is a new connection (new private port, next public port) and
    # the resent data comes back one round trip later.
    assert third.fields["mapping"].split(" <-> ")[0] != first.fields["mapping"].split(" <-> ")[0]
    assert public_port(third.fields["mapping"]) == new_port + 1
    assert echo_after_reconnect.t == pytest.approx(
        resent.t + up(5) + 2 * INTERNET_DELAY + down(5), abs=1e-9)


def test_heartbeat_every_120s_keeps_the_socket():
    sim, _ = run_story("nat-heartbeat-sim7600.yaml")
    # One mapping for the whole life of the connection, never expired.
    assert len(nat_events(sim, "create")) == 1
    assert nat_events(sim, "expire") == []
    crossings = sorted(p.t for p in packets(sim, "module.uplink", "rx", f"> {SERVER}")
                       + packets(sim, "module.downlink", "tx", f"{SERVER} >"))
    gaps = [b - a for a, b in zip(crossings, crossings[1:], strict=False)]
    assert max(gaps) < NAT_IDLE  # the heartbeat interval bounds every silence at the NAT

    (world,) = packets(sim, "module.uplink", "tx", f"> {SERVER} [AP]", "len=5", "seq=")[1:]
    (echo,) = [p for p in packets(sim, "module.downlink", "rx", f"{SERVER} >", "[AP]", "len=5")
               if p.t > world.t]
    assert echo.t == pytest.approx(world.t + up(5) + 2 * INTERNET_DELAY + down(5), abs=1e-9)
    pushed = b"\r\nRECV FROM:203.0.113.10:7\r\n+IPD5\r\nWORLD"
    assert chunk_time(sim, pushed, after=world.t) == pytest.approx(
        echo.t + uart_time(len(pushed), BAUD), abs=1e-9)
    assert not any(b"+IPCLOSE" in chunk for _, chunk in uart_to_host(sim))
    assert world.t > 300.0  # the data really went out after the 300 s the idle story waits


# -- the same story on a Fibocom L610 (+MIP commands) ------------------------------------------

KEEPIDLE = 120.0  # AT+MIPKEEPCONF=1,120,75,9


def test_fibocom_idle_socket_is_reset_and_reported_as_mipstat():
    sim, _ = run_story("nat-idle-timeout-fibocom.yaml")
    hello, world = packets(sim, "module.uplink", "tx", f"> {SERVER} [AP]", "len=5")
    (echo,) = packets(sim, "module.downlink", "rx", f"{SERVER} >", "[AP]", "len=5")
    (expire,) = nat_events(sim, "expire")
    assert expire.t == pytest.approx(echo.t + DELAYED_ACK + up(0) + NAT_IDLE, abs=1e-9)
    (rst,) = packets(sim, "module.downlink", "rx", f"{SERVER} >", "[R]")
    assert rst.t == pytest.approx(world.t + up(5) + 2 * INTERNET_DELAY + down(0), abs=1e-9)
    urc = b"\r\n+MIPSTAT: 1,1\r\n"  # §1.1.11 status 1: broken protocol stack
    assert chunk_time(sim, urc) == pytest.approx(rst.t + uart_time(len(urc), BAUD), abs=1e-9)


def test_fibocom_tcp_keepalive_probes_refresh_the_nat():
    sim, _ = run_story("nat-keepalive-fibocom.yaml")
    (echo,) = [p for p in packets(sim, "module.downlink", "rx", f"{SERVER} >", "[AP]", "len=5")
               if p.t < 100]
    # Keepalive probes: 40-byte segments without data, sent after KEEPIDLE s without any
    # segment received (the idle clock restarts with the server's ACK of each probe).
    probes = [p for p in packets(sim, "module.uplink", "tx", f"> {SERVER} [A]", "len=0")
              if p.t > echo.t + 1.0 and p.t < 300.0]
    acks = [p for p in packets(sim, "module.downlink", "rx", f"{SERVER} > ", "[A]", "len=0")
            if p.t > echo.t + 1.0 and p.t < 300.0]
    assert len(probes) == 2 and len(acks) == 2
    assert probes[0].t == pytest.approx(echo.t + KEEPIDLE, abs=1e-9)
    assert acks[0].t == pytest.approx(probes[0].t + up(0) + 2 * INTERNET_DELAY + down(0), abs=1e-9)
    assert probes[1].t == pytest.approx(acks[0].t + KEEPIDLE, abs=1e-9)
    # Probe = one byte below the next sequence number (RFC 1122 §4.2.3.6), so the peer ACKs.
    seq = [int(p.text.split("seq=")[1].split()[0]) for p in probes]
    (data_seg,) = [p for p in packets(sim, "module.uplink", "tx", f"> {SERVER} [AP]", "len=5")
                   if p.t < 100]
    next_seq = int(data_seg.text.split("seq=")[1].split()[0]) + 5
    assert seq == [next_seq - 1, next_seq - 1]
    assert len(nat_events(sim, "create")) == 1 and nat_events(sim, "expire") == []


# -- the same fix on a SIMCom A7670 (AT+CTCPKA) ------------------------------------------------

CTCPKA_IDLE = 2 * 60.0  # AT+CTCPKA=1,2,9,75: <keepidle> 2, in minutes


def test_a7670_ctcpka_probes_refresh_the_nat():
    """The SIMCom story a firmware engineer looks for: keepalive switched on after NETOPEN."""
    sim, result = run_story("nat-keepalive-a7670.yaml")
    assert result.passed
    (echo,) = [p for p in packets(sim, "module.downlink", "rx", f"{SERVER} >", "[AP]", "len=5")
               if p.t < 100]
    probes = [p for p in packets(sim, "module.uplink", "tx", f"> {SERVER} [A]", "len=0")
              if echo.t + 1.0 < p.t < 300.0]
    acks = [p for p in packets(sim, "module.downlink", "rx", f"{SERVER} > ", "[A]", "len=0")
            if echo.t + 1.0 < p.t < 300.0]
    # idle measured from the last segment received: the echo, then each probe's ACK
    assert len(probes) == 2 and len(acks) == 2
    assert probes[0].t == pytest.approx(echo.t + CTCPKA_IDLE, abs=1e-9)
    assert acks[0].t == pytest.approx(probes[0].t + up(0) + 2 * INTERNET_DELAY + down(0), abs=1e-9)
    assert probes[1].t == pytest.approx(acks[0].t + CTCPKA_IDLE, abs=1e-9)
    # the NAT never saw 240 s of silence: one mapping, never expired, and the data after the
    # night went out on it and came back
    assert len(nat_events(sim, "create")) == 1 and nat_events(sim, "expire") == []
    (world,) = [p for p in packets(sim, "module.uplink", "tx", f"> {SERVER} [AP]", "len=5")
                if p.t > 300.0]
    (back,) = [p for p in packets(sim, "module.downlink", "rx", f"{SERVER} >", "[AP]", "len=5")
               if p.t > 300.0]
    assert back.t == pytest.approx(world.t + up(5) + 2 * INTERNET_DELAY + down(5), abs=1e-9)
    assert not any(b"+IPCLOSE" in chunk for _, chunk in uart_to_host(sim))
