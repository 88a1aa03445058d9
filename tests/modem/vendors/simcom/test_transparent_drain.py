"""Transparent mode loses no data: when the peer closes, everything it sent reaches the host
before CLOSED (issue: a 100 KB download over 1 % loss ended data mode at the FIN with ~28 KB
still in the socket)."""

from __future__ import annotations

import pytest

from tests.dte_helpers import exchange, wait_for
from tests.modem.vendors.simcom import harness as sh

SIZE = 100_000


@pytest.mark.parametrize("module", ["simcom-sim7600", "simcom-a7670"])
def test_download_in_transparent_mode_arrives_whole_before_closed(module: str) -> None:
    hosts = {"files.example.net": {"ip": sh.SERVER_IP, "services": [
        {"type": "tcp-source", "port": 19, "content": "pattern", "pattern": "0123456789",
         "bytes": SIZE, "close": True}]}}
    sim = sh.world(module, hosts=hosts, network={"link": {"delay": "50ms", "loss": "1%"},
                                                 "profile": "lte_like"})
    sim.advance(3)
    exchange(sim, b"AT+CIPMODE=1\r\n", b"AT+CIPMODE=1\r\r\nOK\r\n")
    sh.netopen(sim)
    line = f'AT+CIPOPEN=0,"TCP","{sh.SERVER_IP}",19'.encode()
    assert exchange(sim, line + b"\r\n", line + b"\r\r\nCONNECT 115200\r\n", 30) == \
        line + b"\r\r\nCONNECT 115200\r\n"
    got = wait_for(sim, b"\r\nCLOSED\r\n", 300)
    data = got[: -len(b"\r\nCLOSED\r\n")]
    assert len(data) == SIZE
    assert data == (b"0123456789" * (SIZE // 10))
    assert exchange(sim, b"AT\r\n", b"AT\r\r\nOK\r\n") == b"AT\r\r\nOK\r\n"
