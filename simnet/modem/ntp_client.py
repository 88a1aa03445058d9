"""The module's own NTP client (RFC 5905 §8), shared by the vendor commands that sync the
clock (Fibocom +MIPNTP, SIMCom +CNTP): one exchange over the module host's UDP socket."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from simnet.modem.vendors.fibocom.hexdata import (
    ntp_offset,
    ntp_reply_times,
    ntp_reply_times_origin,
    ntp_request,
)


def sync_clock(module: Any, ip: str, port: int = 123, *, tries: int, wait: float
               ) -> Generator[Any, Any, float | None]:
    """Ask ``ip`` for the time up to ``tries`` times, ``wait`` seconds each; on a reply the
    module clock is corrected by the offset computed from the four timestamps, which is
    returned (None: no valid reply). A reply whose originate timestamp is not our request's
    transmit timestamp is ignored (bogus or stale)."""
    host = module.host
    sim = module.sim
    if host is None or host.ip is None:
        return None
    got = sim.event()
    sent: list[float] = []

    def on_datagram(_sock: Any, data: bytes, addr: tuple[str, int]) -> None:
        times = ntp_reply_times(bytes(data))
        if addr[0] != ip or got.triggered or times is None or not sent:
            return
        if abs(times[0] - sent[-1]) > 1e-6:
            return
        got.succeed((sent[-1], times[1], times[2], module.clock()))

    try:
        sock = host.udp_bind(0, on_datagram)
    except Exception:  # noqa: BLE001 - no free port: a failed sync, never a crash
        return None
    for _attempt in range(tries):
        packet = ntp_request(module.clock())
        sent.append(ntp_reply_times_origin(packet))
        sock.sendto(packet, (ip, port))
        yield got | sim.timeout(wait)
        if got.triggered:
            break
    sock.close()
    if not got.triggered:
        return None
    offset = ntp_offset(*got.value)
    module.set_clock(module.clock() + offset)
    return offset
