"""SIMCom defaults and flows on the shared test world (tests/world.py)."""

from __future__ import annotations

from typing import Any

from tests import world as shared
from tests.world import exchange as exchange  # re-exported for the tests
from tests.world import peer as peer
from tests.world import quiet as quiet
from tests.world import wait_for as wait_for

SERVER_IP = "116.228.221.51"


def world(module: str = "simcom-sim7600", **options: Any) -> Any:
    """The shared world with a SIMCom module (PDP activation after 1.5 s)."""
    return shared.world(module, name="simcom test", **options)


def echo_hosts(ip: str = SERVER_IP, port: int = 100) -> dict[str, Any]:
    return shared.echo_hosts(ip, port)


def netopen(sim: Any, apn: str = "internet") -> None:
    line = f'AT+CGDCONT=1,"IP","{apn}"'.encode()
    assert exchange(sim, line.decode(), line + b"\r\r\nOK\r\n") == line + b"\r\r\nOK\r\n"
    assert exchange(sim, "AT+NETOPEN", b"AT+NETOPEN\r\r\nOK\r\n") == b"AT+NETOPEN\r\r\nOK\r\n"
    assert wait_for(sim, b"\r\n+NETOPEN: 0\r\n", 30) == b"\r\n+NETOPEN: 0\r\n"
