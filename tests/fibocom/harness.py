"""Helpers for the Fibocom tests: a world from a dict, exact-byte exchanges on the UART."""

from __future__ import annotations

from typing import Any

import simnet
from tests.dte_helpers import exchange as exchange  # re-exported for the tests
from tests.dte_helpers import wait_for as wait_for

ECHO_IP = "203.0.113.10"


def world(*, hosts: dict[str, Any] | None = None, network: dict[str, Any] | None = None,
          faults: list[Any] | None = None, seed: int = 1, baud: int | None = None) -> Any:
    net: dict[str, Any] = {"apn": {"name": "internet"}, "pdp": {"activation_delay": "1s"}}
    net.update(network or {})
    data: dict[str, Any] = {
        "name": "fibocom test",
        "module": "fibocom-l610",
        "network": net,
        "hosts": hosts if hosts is not None else echo_hosts(),
        "steps": [{"wait": 0}],
    }
    if faults:
        data["faults"] = faults
    if baud is not None:
        data["uart"] = {"baud": baud}
    sim = simnet.Simulation.from_dict(data, seed=seed)
    arm = getattr(sim.world, "arm_faults", None)
    if arm is not None and faults:
        arm()
    return sim


def echo_hosts(ip: str = ECHO_IP, port: int = 7) -> dict[str, Any]:
    return {"echo.example.net": {"ip": ip, "services": [
        {"type": "tcp-echo", "port": port}, {"type": "udp-echo", "port": port}]}}


def ok_after(line: str, *info: str) -> bytes:
    """Echo of ``line`` (ending in CR), V.250 information lines, final OK."""
    body = b"\r\n" + b"".join(i.encode() + b"\r\n" for i in info) if info else b""
    return line.encode() + b"\r" + body + b"\r\nOK\r\n"


def cme_after(line: str, code: int) -> bytes:
    return line.encode() + b"\r" + f"\r\n+CME ERROR: {code}\r\n".encode()


def cmee1(sim: Any) -> None:
    assert exchange(sim, "AT+CMEE=1", ok_after("AT+CMEE=1")) == ok_after("AT+CMEE=1")


def mipcall(sim: Any) -> str:
    """AT+MIPCALL=1,"internet" until +MIPCALL: <ip>; returns the address."""
    line = 'AT+MIPCALL=1,"internet"'
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    m = sim.dte.expect(r"\r\n\+MIPCALL: (\d+\.\d+\.\d+\.\d+)\r\n", 35)
    return m.group(1)


def tx_times(sim: Any, summary_part: str, *, direction: str = "uplink", ev: str = "tx") -> list[float]:
    """Virtual instants at which packets whose summary ends with ``summary_part`` (or contains
    it, when it ends in ``*``) entered the radio link in ``direction`` (trace ``pkt``/``tx``)."""
    out = []
    link = f"{sim.module.host.name}.{direction}"  # the module's radio link
    for rec in sim.trace.records:
        if rec.kind == "pkt" and rec.source == link:
            text = str(rec.fields.get("pkt", ""))
            if rec.fields.get("ev") == ev and (text.endswith(summary_part) or summary_part.endswith("*") and summary_part[:-1] in text):
                out.append(rec.t)
    return out


def result_times(sim: Any) -> list[float]:
    """Instants of the module's final result codes (trace kind ``result``)."""
    return [rec.t for rec in sim.trace.records if rec.kind == "result"]

