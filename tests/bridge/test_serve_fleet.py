"""`simnet serve` of a fleet: one loopback port per device, each its own module's UART."""

from __future__ import annotations

import simnet
from tests.bridge.conftest import open_line

FLEET = {
    "name": "served fleet",
    "modules": [{"name": "dev", "module": "simcom-sim7600", "count": 3}],
    "network": {"registration": {"state": "home", "after": "0s"}},
}


def test_each_device_has_its_own_port_and_line():
    with simnet.serve(FLEET, pty=False, tcp="127.0.0.1:0") as address:
        lines = dict(entry.split(" ", 1) for entry in address.splitlines())
        assert list(lines) == ["dev-0", "dev-1", "dev-2"]
        assert len(set(lines.values())) == 3 and all(
            a.startswith("socket://127.0.0.1:") for a in lines.values()
        )
        one, two = open_line(lines["dev-1"]), open_line(lines["dev-2"])
        try:
            assert one.command(b"ATE0") == b"ATE0\r\r\nOK\r\n"
            assert one.command(b"AT") == b"\r\nOK\r\n"
            # dev-2 still echoes: ATE0 went to dev-1 only
            assert two.command(b"AT") == b"AT\r\r\nOK\r\n"
            # two modules: each answers with its own IMEI
            assert one.command(b"AT+CGSN") != two.command(b"AT+CGSN").replace(b"AT+CGSN\r", b"")
        finally:
            one.port.close()
            two.port.close()
