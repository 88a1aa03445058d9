"""WIPsoft defaults and flows on the shared test world (tests/world.py)."""

from __future__ import annotations

from typing import Any

from tests import world as shared
from tests.world import cme_after as cme_after  # re-exported for the tests
from tests.world import exchange as exchange
from tests.world import ok_after as ok_after
from tests.world import wait_for as wait_for

ECHO_IP = "93.184.216.34"
FTP_IP = "93.184.216.40"
PEER_IP = "10.20.9.9"  # an operator host: reaches the module's address without the NAT
PING_IP = "192.168.0.1"


def hosts(**extra: Any) -> dict[str, Any]:
    """An echo peer (TCP and UDP port 7, a TCP source on 19), an FTP server, a private peer."""
    out: dict[str, Any] = {
        "echo.example.net": {
            "ip": ECHO_IP,
            "services": [
                {"type": "tcp-echo", "port": 7},
                {"type": "udp-echo", "port": 7},
                {
                    "type": "tcp-source",
                    "port": 19,
                    "content": "pattern",
                    "pattern": "0123456789",
                    "bytes": 200000,
                },
            ],
        },
        "ftp.example.net": {
            "ip": FTP_IP,
            "services": [
                {
                    "type": "ftp",
                    "port": 21,
                    "users": {"admin": "123456"},
                    "files": {"/data.bin": "abc\x03def\x10ghi", "/hello.txt": "hello world"},
                }
            ],
        },
        "peer.example.net": {"ip": PEER_IP},
    }
    out.update(extra)
    return out


def world(*, hosts_: dict[str, Any] | None = None, **options: Any) -> Any:
    """The shared world with the WIPsoft module (PDP activation after 1 s)."""
    return shared.world(
        "wavecom-wipsoft",
        hosts=hosts() if hosts_ is None else hosts_,
        activation_delay="1s",
        name="wipsoft test",
        **options,
    )


def ok(sim: Any, line: str, timeout: float = 10.0) -> None:
    got = exchange(sim, line, ok_after(line), timeout)
    assert got == ok_after(line), got


def start(sim: Any, cmee: bool = True) -> None:
    """AT+CMEE=1, the stack started (§4.1.6 example's AT+WIPCFG=1)."""
    sim.advance(3)  # registered
    if cmee:
        ok(sim, "AT+CMEE=1")
    ok(sim, "AT+WIPCFG=1")


def gprs(sim: Any) -> None:
    """The §8.1.2.1 opening: stack, GPRS bearer with APN "internet", started."""
    start(sim)
    ok(sim, "AT+WIPBR=1,6")
    ok(sim, 'AT+WIPBR=2,6,11,"internet"')
    ok(sim, "AT+WIPBR=4,6,0", timeout=60)


def tcp(sim: Any, idx: int = 1, host: str = "echo.example.net", port: int = 7) -> None:
    line = f'AT+WIPCREATE=2,{idx},"{host}",{port}'
    ok(sim, line, timeout=30)
    assert (
        wait_for(sim, f"\r\n+WIPREADY: 2,{idx}\r\n".encode(), 30)
        == f"\r\n+WIPREADY: 2,{idx}\r\n".encode()
    )


def udp(sim: Any, line: str, idx: int) -> None:
    """A UDP +WIPCREATE: OK, then +WIPREADY: 1,<idx> (§5.1.2)."""
    want = ok_after(line) + f"\r\n+WIPREADY: 1,{idx}\r\n".encode()
    got = exchange(sim, line, want, 30)
    assert got == want, got
