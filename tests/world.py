"""The one world the dialect tests build: a scenario dict with one module, an operator network
and peer hosts, as a running :class:`simnet.Simulation`; plus byte-level helpers on its DTE.

Vendor test packages keep only their own flows (``netopen``, ``mipcall``...) and defaults in
``tests/modem/vendors/<vendor>/harness.py``.
"""

from __future__ import annotations

from typing import Any

import simnet
from tests.dte_helpers import exchange as exchange  # re-exported for the tests
from tests.dte_helpers import wait_for as wait_for


def world(
    module: str = "simcom-sim7600",
    *,
    hosts: dict[str, Any] | None = None,
    network: dict[str, Any] | None = None,
    faults: list[Any] | None = None,
    seed: int = 1,
    uart: dict[str, Any] | None = None,
    baud: int | None = None,
    activation_delay: str = "1500ms",
    name: str = "dialect test",
) -> Any:
    """A world with ``module`` on an operator serving APN ``internet`` (PDP activation after
    ``activation_delay``), ``hosts`` as in a scenario's ``hosts:``, scenario ``faults:``."""
    net: dict[str, Any] = {
        "apn": {"name": "internet"},
        "pdp": {"activation_delay": activation_delay},
    }
    net.update(network or {})
    data: dict[str, Any] = {"name": name, "module": module, "network": net, "steps": [{"wait": 0}]}
    if hosts:
        data["hosts"] = hosts
    if faults:
        data["faults"] = faults
    uart = dict(uart or {})
    if baud is not None:
        uart["baud"] = baud
    if uart:
        data["uart"] = uart
    return simnet.Simulation.from_dict(data, seed=seed)


def echo_hosts(ip: str, port: int, name: str = "server.example.net") -> dict[str, Any]:
    """One peer at ``ip`` with a TCP and a UDP echo service on ``port``."""
    return {
        name: {
            "ip": ip,
            "services": [{"type": "tcp-echo", "port": port}, {"type": "udp-echo", "port": port}],
        }
    }


def peer(sim: Any, name: str) -> Any:
    """The simnet.net Host of a peer named in ``hosts:``."""
    return sim.world.hosts[name].host


def quiet(sim: Any, seconds: float) -> bytes:
    """Let ``seconds`` pass and return what arrived meanwhile (consumed)."""
    sim.advance(seconds)
    return sim.dte.read_available()


def ok_after(line: str, *info: str) -> bytes:
    """Echo of ``line`` (ending in CR), V.250 information lines, final OK."""
    body = b"\r\n" + b"".join(i.encode() + b"\r\n" for i in info) if info else b""
    return line.encode() + b"\r" + body + b"\r\nOK\r\n"


def cme_after(line: str, code: int) -> bytes:
    """Echo of ``line`` then ``+CME ERROR: <code>`` (AT+CMEE=1)."""
    return line.encode() + b"\r" + f"\r\n+CME ERROR: {code}\r\n".encode()


def tx_times(
    sim: Any, summary_part: str, *, direction: str = "uplink", ev: str = "tx"
) -> list[float]:
    """Virtual instants at which packets whose summary ends with ``summary_part`` (or contains
    it, when it ends in ``*``) entered the radio link in ``direction`` (trace ``pkt``/``tx``)."""
    out = []
    link = f"{sim.module.host.name}.{direction}"  # the module's radio link
    for rec in sim.trace.records:
        if rec.kind == "pkt" and rec.source == link:
            text = str(rec.fields.get("pkt", ""))
            if rec.fields.get("ev") == ev and (
                text.endswith(summary_part)
                or summary_part.endswith("*")
                and summary_part[:-1] in text
            ):
                out.append(rec.t)
    return out


def result_times(sim: Any) -> list[float]:
    """Instants of the module's final result codes (trace kind ``result``)."""
    return [rec.t for rec in sim.trace.records if rec.kind == "result"]
