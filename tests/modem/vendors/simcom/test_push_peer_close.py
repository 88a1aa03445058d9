"""SIM7600 direct push: when the peer closes while received data still waits for UART room,
every byte is pushed before +IPCLOSE (it was dropped with the socket: 100 KB gave ~70 KB)."""

from __future__ import annotations

import re

import simnet


def test_every_byte_is_pushed_before_ipclose_when_the_peer_closes():
    size = 100_000
    sim = simnet.Simulation.from_dict({
        "name": "push then close", "module": "simcom-sim7600", "uart": {"baud": 921600},
        "network": {"registration": {"state": "home", "after": "0s"},
                    "link": {"delay": "50ms", "rate": "2Mbps"}},  # faster than the UART
        "hosts": {"srv.example.net": {"ip": "203.0.113.80", "services": [
            {"type": "tcp-source", "port": 9000, "bytes": size, "content": "pattern",
             "pattern": "0123456789ABCDEF", "close": True}]}},
    })
    dte = sim.dte
    assert dte.command("AT+NETOPEN").ok
    dte.expect(r"\+NETOPEN: 0", 30)
    dte.write('AT+CIPOPEN=0,"TCP","203.0.113.80",9000\r')
    dte.expect(r"\+CIPOPEN: 0,0", 30)
    dte.expect(r"\+IPCLOSE: 0,1\r\n", 60)
    data = dte.received
    pushed = re.findall(rb"\+IPD(\d+)\r\n", data)
    assert sum(int(n) for n in pushed) == size
    assert data.endswith(b"\r\n+IPCLOSE: 0,1\r\n")  # after the last payload byte
