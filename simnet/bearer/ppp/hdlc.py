"""HDLC-like framing for PPP over a serial line (RFC 1662): flags, byte stuffing, ACCM, FCS-16.

``encode_frame`` turns a PPP frame (address, control, protocol, information) into the bytes on
the wire; ``HdlcDeframer`` is the receiving half, fed any bytes (garbage included) and returning
the frames whose FCS checks. Nothing here raises on input.
"""

from __future__ import annotations

from collections.abc import Callable

FLAG = 0x7E
ESCAPE = 0x7D
ESCAPE_XOR = 0x20
DEFAULT_ACCM = 0xFFFFFFFF  # RFC 1662 §7.1: every control character escaped until LCP says otherwise
ADDRESS_CONTROL = b"\xff\x03"  # All-Stations address, Unnumbered Information (RFC 1662 §3.1)
FCS16_INIT = 0xFFFF
FCS16_GOOD = 0xF0B8  # RFC 1662 §C.2: the FCS over frame + FCS ends here when the frame is intact


def _fcs16_table() -> tuple[int, ...]:
    # RFC 1662 §C.2 table generation, polynomial x**0 + x**5 + x**12 + x**16 (reflected 0x8408).
    table = []
    for b in range(256):
        v = b
        for _ in range(8):
            v = (v >> 1) ^ 0x8408 if v & 1 else v >> 1
        table.append(v & 0xFFFF)
    return tuple(table)


_FCS16_TABLE = _fcs16_table()


def fcs16(data: bytes, fcs: int = FCS16_INIT) -> int:
    """Running FCS-16 over ``data`` (RFC 1662 §C.2 ``pppfcs16``)."""
    table = _FCS16_TABLE
    for b in data:
        fcs = (fcs >> 8) ^ table[(fcs ^ b) & 0xFF]
    return fcs


def _must_escape(b: int, accm: int) -> bool:
    return b == FLAG or b == ESCAPE or (b < 0x20 and (accm >> b) & 1 == 1)


def encode_frame(frame: bytes, accm: int = DEFAULT_ACCM) -> bytes:
    """Wire bytes for one PPP frame: FCS appended, bytes stuffed, flags at both ends."""
    fcs = fcs16(frame) ^ 0xFFFF
    body = frame + bytes((fcs & 0xFF, fcs >> 8))  # FCS is sent least significant byte first
    out = bytearray((FLAG,))
    for b in body:
        if _must_escape(b, accm):
            out.append(ESCAPE)
            out.append(b ^ ESCAPE_XOR)
        else:
            out.append(b)
    out.append(FLAG)
    return bytes(out)


def framed_size(frame: bytes, accm: int = DEFAULT_ACCM) -> int:
    """Bytes ``encode_frame(frame, accm)`` puts on the line (without building it): two flags,
    the frame and its FCS, plus one escape per stuffed byte. The FCS is counted as if both of
    its bytes were escaped (its value is not computed here)."""
    controls = bytes(b for b in range(0x20) if (accm >> b) & 1)
    escapes = frame.count(FLAG) + frame.count(ESCAPE) + (len(frame) - len(frame.translate(None, controls)))
    return 2 + len(frame) + escapes + 4


class HdlcDeframer:
    """Receiver side of RFC 1662 framing; bounded, never raises.

    Control characters flagged in the receive ACCM that arrive unescaped were inserted by the
    line (RFC 1662 §7.1) and are dropped. Frames with a bad FCS, an abort sequence (7D 7E) or
    more than ``max_frame`` bytes are discarded and counted in ``errors``.
    """

    def __init__(self, *, max_frame: int = 1500 + 8, rx_accm: int = DEFAULT_ACCM,
                 on_frame: Callable[[bytes], None] | None = None) -> None:
        self.max_frame = max_frame
        # Called for each good frame as soon as its closing flag arrives, before the following
        # bytes are looked at, so the receiver can change ``rx_accm`` between frames.
        self.on_frame = on_frame
        self.rx_accm = rx_accm
        self.errors = 0
        self.frames = 0
        self._buf = bytearray()
        self._escaped = False
        self._overflow = False

    def feed(self, data: bytes) -> list[bytes]:
        """Feed wire bytes; returns the frames they complete (FCS stripped) unless ``on_frame``
        is set, in which case each frame goes there instead."""
        frames: list[bytes] = []
        for b in data:
            if b == FLAG:
                if self._escaped:  # 7D 7E: the sender aborted this frame
                    self.errors += 1
                    self._reset()
                    continue
                if self._buf or self._overflow:
                    frame = self._finish()
                    if frame is not None:
                        if self.on_frame is not None:
                            self.on_frame(frame)
                        else:
                            frames.append(frame)
                continue
            if b < 0x20 and (self.rx_accm >> b) & 1:
                continue  # inserted by the DCE, not part of the frame
            if self._overflow:
                continue
            if b == ESCAPE:
                self._escaped = True
                continue
            if self._escaped:
                b ^= ESCAPE_XOR
                self._escaped = False
            if len(self._buf) >= self.max_frame + 2:
                self._overflow = True
                self._buf.clear()
                continue
            self._buf.append(b)
        return frames

    def _reset(self) -> None:
        self._buf.clear()
        self._escaped = False
        self._overflow = False

    def _finish(self) -> bytes | None:
        buf = bytes(self._buf)
        overflow = self._overflow
        self._reset()
        if overflow or len(buf) < 4 or fcs16(buf) != FCS16_GOOD:
            self.errors += 1
            return None
        self.frames += 1
        return buf[:-2]


def split_frame(frame: bytes) -> tuple[int, bytes] | None:
    """(protocol, information) of a PPP frame, tolerating ACFC and PFC; None if malformed."""
    if frame[:2] == ADDRESS_CONTROL:
        frame = frame[2:]
    if not frame:
        return None
    if frame[0] & 1:  # protocol field compressed to one byte (RFC 1661 §6.5)
        return frame[0], frame[1:]
    if len(frame) < 2 or not frame[1] & 1:  # a valid protocol number has an odd low byte
        return None
    return (frame[0] << 8) | frame[1], frame[2:]


def build_frame(protocol: int, info: bytes, *, acfc: bool = False, pfc: bool = False) -> bytes:
    """PPP frame: FF 03 (left out with ``acfc``), the protocol (one byte with ``pfc`` when it
    fits, RFC 1661 §6.5), information."""
    if pfc and protocol < 0x100:
        proto = bytes((protocol,))
    else:
        proto = bytes(((protocol >> 8) & 0xFF, protocol & 0xFF))
    return proto + info if acfc else ADDRESS_CONTROL + proto + info
