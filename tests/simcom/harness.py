"""Helpers for the SIMCom tests: a world from a dict, exact-byte exchanges on the UART."""

from __future__ import annotations

from typing import Any

import simnet
from tests.dte_helpers import exchange as exchange  # re-exported for the tests
from tests.dte_helpers import wait_for as wait_for

SERVER_IP = "116.228.221.51"


def world(
    module: str = "simcom-sim7600",
    *,
    hosts: dict[str, Any] | None = None,
    network: dict[str, Any] | None = None,
    faults: list[Any] | None = None,
    seed: int = 1,
    uart: dict[str, Any] | None = None,
) -> Any:
    net = {"apn": {"name": "internet"}, "pdp": {"activation_delay": "1500ms"}}
    net.update(network or {})
    data: dict[str, Any] = {
        "name": "simcom test",
        "module": module,
        "network": net,
        "steps": [{"wait": 0}],
    }
    if hosts:
        data["hosts"] = hosts
    if faults:
        data["faults"] = faults
    if uart:
        data["uart"] = uart
    return simnet.Simulation.from_dict(data, seed=seed)


def peer(sim: Any, name: str) -> Any:
    """The simnet.net Host of a peer named in ``hosts:``."""
    return sim.world.hosts[name].host


def echo_hosts(ip: str = SERVER_IP, port: int = 100) -> dict[str, Any]:
    return {
        "server.example.net": {
            "ip": ip,
            "services": [{"type": "tcp-echo", "port": port}, {"type": "udp-echo", "port": port}],
        }
    }


def quiet(sim: Any, seconds: float) -> bytes:
    """Let ``seconds`` pass and return what arrived meanwhile (consumed)."""
    sim.advance(seconds)
    return sim.dte.read_available()


def netopen(sim: Any, apn: str = "internet") -> None:
    line = f'AT+CGDCONT=1,"IP","{apn}"'.encode()
    assert exchange(sim, line.decode(), line + b"\r\r\nOK\r\n") == line + b"\r\r\nOK\r\n"
    assert exchange(sim, "AT+NETOPEN", b"AT+NETOPEN\r\r\nOK\r\n") == b"AT+NETOPEN\r\r\nOK\r\n"
    assert wait_for(sim, b"\r\n+NETOPEN: 0\r\n", 30) == b"\r\n+NETOPEN: 0\r\n"
