"""Fibocom defaults and flows on the shared test world (tests/world.py)."""

from __future__ import annotations

from typing import Any

from tests import world as shared
from tests.world import cme_after as cme_after  # re-exported for the tests
from tests.world import exchange as exchange
from tests.world import ok_after as ok_after
from tests.world import result_times as result_times
from tests.world import tx_times as tx_times
from tests.world import wait_for as wait_for

ECHO_IP = "203.0.113.10"


def echo_hosts(ip: str = ECHO_IP, port: int = 7) -> dict[str, Any]:
    return shared.echo_hosts(ip, port, name="echo.example.net")


def world(*, hosts: dict[str, Any] | None = None, **options: Any) -> Any:
    """The shared world with the L610 (PDP activation after 1 s) and the echo peer unless
    ``hosts`` says otherwise."""
    return shared.world("fibocom-l610", hosts=echo_hosts() if hosts is None else hosts,
                        activation_delay="1s", name="fibocom test", **options)


def cmee1(sim: Any) -> None:
    assert exchange(sim, "AT+CMEE=1", ok_after("AT+CMEE=1")) == ok_after("AT+CMEE=1")


def mipcall(sim: Any) -> str:
    """AT+MIPCALL=1,"internet" until +MIPCALL: <ip>; returns the address."""
    line = 'AT+MIPCALL=1,"internet"'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    m = sim.dte.expect(r"\r\n\+MIPCALL: (\d+\.\d+\.\d+\.\d+)\r\n", 35)
    return m.group(1)
