"""PPP frames to pcap (link type DLT_PPP = 9) through scapy, so Wireshark decodes the
negotiation. Frames are kept as bytes while the simulation runs; scapy is only touched when the
file is written (it costs ~100x an event per packet)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from simnet.bearer.ppp.hdlc import build_frame

DLT_PPP = 9


@dataclass(frozen=True)
class CapturedFrame:
    t: float
    source: str  # the endpoint that sent it, or that received it when ``received``
    frame: bytes  # FF 03 + protocol + information (no FCS, no stuffing)
    received: bool = False


class PppCapture:
    """Collects PPP frames from one or more drivers; ``write(path)`` makes the pcap."""

    def __init__(self) -> None:
        self.frames: list[CapturedFrame] = []

    def add(
        self, t: float, source: str, protocol: int, info: bytes, *, received: bool = False
    ) -> None:
        self.frames.append(CapturedFrame(t, source, build_frame(protocol, info), received))

    def write(self, path: str | IO[bytes], *, epoch: float = 0.0) -> int:
        """Write every captured frame in capture order, stamped ``epoch`` + virtual time, to
        the file ``path`` (or a binary file object, which the writer closes); returns the
        number written."""
        from scapy.utils import PcapWriter

        writer = PcapWriter(path, linktype=DLT_PPP, sync=False)
        try:
            writer.write_header(None)  # linktype is fixed, so scapy need not guess from a packet
            for cf in self.frames:
                micros = round((epoch + cf.t) * 1e6)
                sec, usec = divmod(micros, 1_000_000)
                writer.write_packet(cf.frame, sec=sec, usec=usec)
        finally:
            writer.close()
        return len(self.frames)
