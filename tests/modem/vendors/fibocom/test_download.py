"""A command-mode download bigger than the module's UART transmit buffer (+MIPRTCP, IPRFMT 0).

The radio brings data faster than the UART can carry it as hex (two characters a byte). The
module must keep what it cannot print in the TCP stack - that is the <Left> of §1.1.10.4, "Size
of received Data still left in protocol stack" - so the TCP window closes towards the peer, and
not push URCs into a full transmit buffer (which drops bytes)."""

from __future__ import annotations

import re

from tests.modem.vendors.fibocom.harness import cmee1, exchange, mipcall, ok_after, wait_for, world

SOURCE = "203.0.113.20"
PATTERN = b"0123456789ABCDEF"
TOTAL = 40_000  # ~80 KB of hex: ten times the module's 8 KB UART transmit buffer
URC = re.compile(rb"\r\n\+MIPRTCP: 1,(\d+),([0-9A-F]*)\r\n")


def test_a_download_larger_than_the_uart_buffer_arrives_whole_and_in_order():
    sim = world(hosts={"source.example.net": {"ip": SOURCE, "services": [
        {"type": "tcp-source", "port": 9000, "bytes": TOTAL, "content": "pattern",
         "pattern": PATTERN.decode(), "close": False}]}},
        network={"link": {"delay": "50ms", "rate": "2Mbps"}}, baud=921600)
    cmee1(sim)
    mipcall(sim)
    line = f'AT+MIPOPEN=1,,"{SOURCE}",9000,0'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    assert wait_for(sim, b"\r\n+MIPOPEN: 1,1\r\n", 30) == b"\r\n+MIPOPEN: 1,1\r\n"
    got = bytearray()
    for _ in range(60):  # the host reads as it goes, until a second passes with nothing new
        before = len(got)
        sim.advance(1.0)
        got += sim.dte.read_available()
        if len(got) == before and len(got) > 2 * TOTAL:
            break
    urcs = URC.findall(bytes(got))
    data = b"".join(bytes.fromhex(hex_digits.decode()) for _left, hex_digits in urcs)
    assert len(urcs) >= TOTAL // 2048  # <size> of +MIPDSETS: 2048 bytes a URC at most (§1.1.5)
    assert data == (PATTERN * (TOTAL // len(PATTERN) + 1))[:TOTAL]  # every byte, in order
    assert URC.sub(b"", bytes(got)) == b""  # nothing else on the line, nothing torn
    lefts = [int(left) for left, _ in urcs]
    assert lefts[-1] == 0 and max(lefts) > 0  # the stack held data back while the line was busy
    assert not [r for r in sim.trace.records if r.kind == "overflow"]
