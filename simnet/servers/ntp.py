"""NTP server (RFC 5905 §7.3 packet, mode 4 replies) on the simulation's notion of UTC.

UTC is the service's ``epoch`` (default 2026-01-01T00:00:00Z) plus virtual time. Timestamps use
the 64-bit NTP format: seconds since 1900-01-01 modulo 2**32 (the era number is implicit,
RFC 5905 §6) and a 32-bit binary fraction.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from simnet.errors import ConfigError
from simnet.kernel.units import ascii_digits
from simnet.servers.config import get_duration, get_int, get_str
from simnet.servers.service import Service

NTP_UNIX_OFFSET = 2_208_988_800  # seconds from 1900-01-01 (NTP era 0) to 1970-01-01
ERA_SECONDS = 1 << 32
PACKET = struct.Struct("!BBbbII4s8s8s8s8s")  # RFC 5905 Figure 8, without extensions/MAC
MODE_CLIENT = 3
MODE_SERVER = 4
LEAP_NONE = 0
LEAP_UNSYNC = 3  # RFC 5905 §7.3 "clock unsynchronized"
REFERENCE_INTERVAL = 64.0  # the server's own poll: its reference time is the last 64 s mark


def ntp_timestamp(unix_seconds: float) -> bytes:
    """64-bit NTP timestamp of a Unix time (era folded away, fraction truncated)."""
    total = unix_seconds + NTP_UNIX_OFFSET
    seconds = int(total // 1)
    fraction = int((total - seconds) * ERA_SECONDS)
    fraction = min(fraction, ERA_SECONDS - 1)
    return struct.pack("!II", seconds % ERA_SECONDS, fraction)


def ntp_to_unix(stamp: bytes, era: int = 0) -> float:
    seconds, fraction = struct.unpack("!II", stamp)
    return (era * ERA_SECONDS + seconds) - NTP_UNIX_OFFSET + fraction / ERA_SECONDS


def ntp_short(seconds: float) -> int:
    """RFC 5905 §6 NTP short format (16.16 fixed point), clamped."""
    return max(0, min(0xFFFFFFFF, int(seconds * 65536)))


@dataclass(slots=True)
class NtpSettings:
    stratum: int = 1
    precision: int = -20
    refid: str = "GPS"
    root_delay: float = 0.0
    root_dispersion: float = 0.0001


def refid_bytes(settings: NtpSettings) -> bytes:
    """Stratum 1: a 4-character source code; higher strata: the upstream's IPv4 address."""
    if settings.stratum <= 1:
        return settings.refid.encode("ascii")[:4].ljust(4, b"\0")
    octets = [int(x) for x in settings.refid.split(".")]
    return bytes(octets)


def ntp_reply(
    request: bytes,
    settings: NtpSettings,
    receive_utc: float,
    transmit_utc: float,
    reference_utc: float,
) -> bytes | None:
    """The server packet answering ``request``, or None when a real server would drop it."""
    if len(request) < PACKET.size:
        return None
    first = request[0]
    version = (first >> 3) & 7
    mode = first & 7
    if mode != MODE_CLIENT or not 1 <= version <= 4:
        return None
    poll = struct.unpack_from("!b", request, 2)[0]
    origin = request[40:48]  # the client's transmit timestamp, echoed (RFC 5905 §8)
    leap = LEAP_UNSYNC if settings.stratum >= 16 else LEAP_NONE
    return PACKET.pack(
        (leap << 6) | (version << 3) | MODE_SERVER,
        settings.stratum,
        max(-128, min(127, poll)),
        settings.precision,
        ntp_short(settings.root_delay),
        ntp_short(settings.root_dispersion),
        refid_bytes(settings),
        ntp_timestamp(reference_utc),
        origin,
        ntp_timestamp(receive_utc),
        ntp_timestamp(transmit_utc),
    )


class NtpService(Service):
    type_name = "ntp"
    transport = "udp"
    default_port = 123
    extra_keys = (
        "stratum",
        "precision",
        "refid",
        "root_delay",
        "root_dispersion",
        "processing_delay",
    )

    def _configure(self, config: dict[str, Any], field: str) -> None:
        stratum = get_int(config, "stratum", field, 1, 1, 16)
        default_ref = "GPS" if stratum == 1 else "192.0.2.1"
        refid = get_str(config, "refid", field, default_ref, max_len=15)
        if stratum == 1 and not (1 <= len(refid) <= 4 and refid.isascii()):
            raise ConfigError(
                f"{field}.refid", f"expected 1-4 ASCII characters for stratum 1, got {refid!r}"
            )
        if stratum > 1:
            parts = refid.split(".")
            if len(parts) != 4 or not all(ascii_digits(p) and int(p) <= 255 for p in parts):
                raise ConfigError(
                    f"{field}.refid",
                    f"expected the upstream IPv4 address for stratum > 1, got {refid!r}",
                )
        self.settings = NtpSettings(
            stratum=stratum,
            precision=get_int(config, "precision", field, -20, -32, 0),
            refid=refid,
            root_delay=get_duration(config, "root_delay", field, 0.0),
            root_dispersion=get_duration(config, "root_dispersion", field, 0.0001),
        )
        self.processing_delay = get_duration(config, "processing_delay", field, 0.0)
        self.requests = 0

    def handle_datagram(self, data: bytes, addr: tuple[str, int]) -> bytes | None:
        self.requests += 1
        received = self.utc_now()
        reference = self.epoch + (self.sim.now // REFERENCE_INTERVAL) * REFERENCE_INTERVAL
        reply = ntp_reply(
            data, self.settings, received, received + self.processing_delay, reference
        )
        if reply is None:
            self.record("drop", reason="not a client request", size=len(data))
            return None
        if self.processing_delay > 0:
            self.sim.call_later(self.processing_delay, self._send_late, reply, addr)
            return None
        return reply

    def _send_late(self, reply: bytes, addr: tuple[str, int]) -> None:
        if self._udp is not None and not self.stalled:
            self.bytes_sent += self._udp.sendto(reply, addr)
