"""pcap capture of simulated packets, written with scapy at export time only.

Capture keeps ``(virtual time, packet)`` pairs per capture point: a packet handed to a link is
never changed afterwards (the core forwards a copy with its TTL decremented and the NAT's
rewriting), so the capture holds the packet itself. Export builds real
IPv4 frames with scapy - TCP/UDP/ICMP headers with correct checksums - and writes a pcap with
link type LINKTYPE_RAW (101: the frame starts with the IPv4 header) and nanosecond
timestamps equal to virtual time (plus an optional epoch offset). Packets that the link
corrupted are written with a deliberately wrong transport checksum, so Wireshark flags them
the way the receiving stack treated them.

Default capture point of a module host: its own interface (everything it sends on the
uplink, everything that reaches it on the downlink), i.e. what tcpdump on the module would
see. Other hosts can be captured the same way with ``Network.capture_host(name)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simnet.kernel.units import Real
from simnet.net.packet import PROTO_ICMP, PROTO_TCP, PROTO_UDP, Packet

LINKTYPE_RAW = 101  # pcap LINKTYPE_RAW (libpcap DLT_RAW); scapy.data.DLT_RAW_ALT


class PcapRecorder:
    """Per-capture-point packet snapshots. ``enabled = False`` stops recording (benchmarks)."""

    def __init__(self, enabled: bool = True, limit: int | None = None) -> None:
        self.enabled = enabled
        self.limit = limit  # keep at most the newest ``limit`` packets per point (long runs)
        self.points: dict[str, Any] = {}

    def hook(self, point: str) -> Any:
        from collections import deque

        records = self.points.setdefault(point, deque(maxlen=self.limit) if self.limit else [])

        def capture(t: Real, pkt: Packet) -> None:
            if self.enabled:
                records.append((t, pkt))

        return capture

    def packets(self, point: str | Sequence[str] | None = None) -> list[tuple[Real, Packet]]:
        """Snapshots of one point, or of several (every point when None) merged in time order."""
        if isinstance(point, str):
            return list(self.points.get(point, []))
        names = (
            sorted(self.points) if point is None else sorted(p for p in point if p in self.points)
        )
        merged: list[tuple[Real, int, Packet]] = []
        for i, name in enumerate(names):
            merged.extend((t, i, p) for t, p in self.points[name])
        merged.sort(key=lambda e: (e[0], e[1]))
        return [(t, p) for t, _, p in merged]

    def write(
        self, path: str, point: str | Sequence[str] | None = None, *, epoch: Real = 0.0
    ) -> int:
        """Write a pcap file; returns the number of packets written."""
        return write_pcap(path, self.packets(point), epoch=epoch)


def to_scapy(pkt: Packet) -> Any:
    """A scapy IPv4 packet equivalent to ``pkt`` (checksums left for scapy to compute)."""
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.packet import Raw

    ip = IP(
        src=pkt.src, dst=pkt.dst, ttl=max(0, min(255, int(pkt.ttl))), id=int(pkt.ident) & 0xFFFF
    )
    payload = bytes(pkt.payload) if isinstance(pkt.payload, bytes | bytearray) else b""
    if pkt.proto == PROTO_TCP:
        options = _scapy_tcp_options(pkt.options) if pkt.options else []
        seg = TCP(
            sport=int(pkt.sport) & 0xFFFF,
            dport=int(pkt.dport) & 0xFFFF,
            seq=int(pkt.seq) & 0xFFFFFFFF,
            ack=int(pkt.ack) & 0xFFFFFFFF,
            flags=int(pkt.flags) & 0x1FF,
            window=max(0, min(0xFFFF, int(pkt.window))),
            options=options,
        )
        frame = ip / seg
    elif pkt.proto == PROTO_UDP:
        frame = ip / UDP(sport=int(pkt.sport) & 0xFFFF, dport=int(pkt.dport) & 0xFFFF)
    elif pkt.proto == PROTO_ICMP:
        msg = ICMP(type=int(pkt.icmp_type) & 0xFF, code=int(pkt.icmp_code) & 0xFF)
        if pkt.quoted is not None:
            # RFC 792: the offending datagram's IP header plus its first 8 payload bytes
            frame = ip / msg / Raw(bytes(to_scapy(pkt.quoted))[:28])
            return frame
        msg.id = int(pkt.icmp_id) & 0xFFFF
        msg.seq = int(pkt.icmp_seq) & 0xFFFF
        frame = ip / msg
    else:
        ip.proto = int(pkt.proto) & 0xFF
        frame = ip
    if payload:
        frame = frame / Raw(payload)
    return frame


def _scapy_tcp_options(opts: dict[str, Any]) -> list[tuple[str, Any]]:
    """Engine option mapping -> scapy's list, in the order Linux writes them (MSS, SACK-permitted,
    timestamps, window scale, SACK blocks), NOPs where Linux aligns them."""
    out: list[tuple[str, Any]] = []
    if "mss" in opts:
        out.append(("MSS", int(opts["mss"]) & 0xFFFF))
    if opts.get("sack_ok"):
        out.append(("SAckOK", b""))
    ts = opts.get("ts")
    if isinstance(ts, tuple) and len(ts) == 2:
        out.append(("Timestamp", (int(ts[0]) & 0xFFFFFFFF, int(ts[1]) & 0xFFFFFFFF)))
    if "wscale" in opts:
        out += [("NOP", None), ("WScale", int(opts["wscale"]) & 0xFF)]
    blocks = opts.get("sack")
    if blocks:
        edges = tuple(int(e) & 0xFFFFFFFF for block in blocks for e in block)
        out += [("NOP", None), ("NOP", None), ("SAck", edges)]
    return out


# offset of the transport checksum from the start of the transport header
_CHECKSUM_OFFSET = {PROTO_TCP: 16, PROTO_UDP: 6, PROTO_ICMP: 2}


def frame_bytes(pkt: Packet) -> bytes:
    raw = bytearray(bytes(to_scapy(pkt)))
    if pkt.corrupted and pkt.proto in _CHECKSUM_OFFSET and len(raw) >= 28:
        ihl = (raw[0] & 0x0F) * 4
        off = ihl + _CHECKSUM_OFFSET[pkt.proto]
        if off + 2 <= len(raw):
            raw[off] ^= 0x5A  # any change makes the checksum wrong
    return bytes(raw)


def write_pcap(path: str, packets: list[tuple[Real, Packet]], *, epoch: Real = 0.0) -> int:
    from scapy.utils import PcapWriter

    writer = PcapWriter(path, linktype=LINKTYPE_RAW, nano=True, sync=False)
    try:
        writer.write_header(None)
        for t, pkt in packets:
            ns_total = round((epoch + t) * 1e9)
            sec, nsec = divmod(ns_total, 1_000_000_000)
            writer.write_packet(frame_bytes(pkt), sec=sec, usec=nsec)
    finally:
        writer.close()
    return len(packets)


__all__ = ["LINKTYPE_RAW", "PcapRecorder", "frame_bytes", "to_scapy", "write_pcap"]
