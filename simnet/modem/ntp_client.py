"""The module's own NTP client (RFC 5905 §8), shared by the vendor commands that sync the
clock (Fibocom +MIPNTP, SIMCom +CNTP): one exchange over the module host's UDP socket."""

from __future__ import annotations

import struct
from collections.abc import Generator
from typing import Any

# -- packets (RFC 5905 §7.3): a client request and the reading of a server reply ------------
NTP_PACKET = 48
NTP_UNIX_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01


def ntp_request(transmit_unix: float) -> bytes:
    """A mode-3 (client) NTPv4 request carrying our transmit timestamp."""
    secs = int(transmit_unix) + NTP_UNIX_OFFSET
    frac = int((transmit_unix - int(transmit_unix)) * (1 << 32)) & 0xFFFFFFFF
    first = (0 << 6) | (4 << 3) | 3  # LI 0, VN 4, mode 3
    return struct.pack("!BBbb11I", first, 0, 6, -20, *([0] * 9), secs & 0xFFFFFFFF, frac)


def _ntp_time(data: bytes, offset: int) -> float:
    secs, frac = struct.unpack("!II", data[offset : offset + 8])
    return secs - NTP_UNIX_OFFSET + frac / (1 << 32)


def ntp_reply_times_origin(request: bytes) -> float:
    """Our request's transmit timestamp as the server will echo it (64-bit NTP resolution)."""
    return _ntp_time(request, 40)


def ntp_reply_times(data: bytes) -> tuple[float, float, float] | None:
    """(originate, receive, transmit) timestamps of a valid mode-4 server reply, else None."""
    if len(data) < NTP_PACKET:
        return None
    first, stratum = data[0], data[1]
    mode = first & 0x7
    li = first >> 6
    if mode != 4 or stratum == 0 or li == 3:  # stratum 0 = kiss-o'-death; LI 3 = unsynchronised
        return None
    if struct.unpack("!I", data[40:44])[0] == 0:
        return None
    return _ntp_time(data, 24), _ntp_time(data, 32), _ntp_time(data, 40)


def ntp_offset(t1: float, t2: float, t3: float, t4: float) -> float:
    """RFC 5905 §8 clock offset: ((T2 - T1) + (T3 - T4)) / 2."""
    return ((t2 - t1) + (t3 - t4)) / 2


def ntp_reply_time(data: bytes) -> float | None:
    """The server's transmit time (Unix seconds) of a valid mode-4 reply, else None."""
    times = ntp_reply_times(data)
    return None if times is None else times[2]


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
