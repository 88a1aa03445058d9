"""HDLC-like framing for PPP over a serial line (RFC 1662): flags, byte stuffing, ACCM, FCS-16.

``encode_frame`` turns a PPP frame (address, control, protocol, information) into the bytes on
the wire; ``HdlcDeframer`` is the receiving half, fed any bytes (garbage included) and returning
the frames whose FCS checks. Nothing here raises on input.
"""

from __future__ import annotations

import binascii
import re
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


# The reflected CRC of RFC 1662 computed by binascii's MSB-first CRC-CCITT (C speed): reverse
# the bits of every byte, run crc_hqx from the bit-reversed start value, reverse the result.
_REV8 = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


def _rev16(v: int) -> int:
    return (_REV8[v & 0xFF] << 8) | _REV8[v >> 8]


def fcs16(data: bytes, fcs: int = FCS16_INIT) -> int:
    """Running FCS-16 over ``data`` (RFC 1662 §C.2 ``pppfcs16``, same values as the table)."""
    return _rev16(binascii.crc_hqx(bytes(data).translate(_REV8), _rev16(fcs)))


def _must_escape(b: int, accm: int) -> bool:
    return b == FLAG or b == ESCAPE or (b < 0x20 and (accm >> b) & 1 == 1)


_ESCAPES: dict[int, re.Pattern[bytes]] = {}


def _escape_pattern(accm: int) -> re.Pattern[bytes]:
    pattern = _ESCAPES.get(accm)
    if pattern is None:
        chosen = bytes(b for b in range(256) if _must_escape(b, accm))
        pattern = _ESCAPES[accm] = re.compile(b"[" + re.escape(chosen) + b"]")
    return pattern


def _stuff(m: re.Match[bytes]) -> bytes:
    return bytes((ESCAPE, m.group()[0] ^ ESCAPE_XOR))


def encode_frame(frame: bytes, accm: int = DEFAULT_ACCM) -> bytes:
    """Wire bytes for one PPP frame: FCS appended, bytes stuffed, flags at both ends."""
    fcs = fcs16(frame) ^ 0xFFFF
    body = bytes(frame) + bytes((fcs & 0xFF, fcs >> 8))  # FCS is sent least significant byte first
    return b"\x7e" + _escape_pattern(accm).sub(_stuff, body) + b"\x7e"


def framed_size(frame: bytes, accm: int = DEFAULT_ACCM) -> int:
    """Bytes ``encode_frame(frame, accm)`` puts on the line (without building it): two flags,
    the frame and its FCS, plus one escape per stuffed byte. The FCS is counted as if both of
    its bytes were escaped (its value is not computed here)."""
    controls = bytes(b for b in range(0x20) if (accm >> b) & 1)
    escapes = (
        frame.count(FLAG)
        + frame.count(ESCAPE)
        + (len(frame) - len(frame.translate(None, controls)))
    )
    return 2 + len(frame) + escapes + 4


class HdlcDeframer:
    """Receiver side of RFC 1662 framing; bounded, never raises.

    Control characters flagged in the receive ACCM that arrive unescaped were inserted by the
    line (RFC 1662 §7.1) and are dropped. Frames with a bad FCS, an abort sequence (7D 7E) or
    more than ``max_frame`` bytes are discarded and counted in ``errors``.
    """

    def __init__(
        self,
        *,
        max_frame: int = 1500 + 8,
        rx_accm: int = DEFAULT_ACCM,
        on_frame: Callable[[bytes], None] | None = None,
    ) -> None:
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
        n = len(data)
        i = 0
        while i < n:
            j = data.find(FLAG, i)
            end = n if j < 0 else j
            if end > i:
                self._take(data[i:end])
            if j < 0:
                break
            i = j + 1
            if self._escaped:  # 7D 7E: the sender aborted this frame
                self.errors += 1
                self._reset()
                continue
            if self._buf or self._overflow:
                frame = self._finish()
                if frame is not None:
                    if self.on_frame is not None:
                        self.on_frame(frame)  # may change rx_accm before the next bytes
                    else:
                        frames.append(frame)
        return frames

    def _take(self, seg: bytes) -> None:
        """Bytes between flags: drop line-inserted controls, undo the stuffing, bound the size."""
        seg = bytes(seg).translate(None, _controls(self.rx_accm))
        if self._overflow or not seg:
            return
        if self._escaped:
            seg = b"\x7d" + seg
        # A run of escapes escapes the byte after it; a run at the end carries over.
        self._escaped = seg.endswith(b"\x7d")
        if self._escaped:
            seg = seg.rstrip(b"\x7d")
        if ESCAPE in seg:
            seg = _UNSTUFF.sub(_unstuff, seg)
        if len(self._buf) + len(seg) > self.max_frame + 2:
            self._overflow = True
            self._buf.clear()
            return
        self._buf += seg

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


_UNSTUFF = re.compile(rb"\x7d+([^\x7d])")
_CONTROLS: dict[int, bytes] = {}


def _unstuff(m: re.Match[bytes]) -> bytes:
    return bytes((m.group(1)[0] ^ ESCAPE_XOR,))


def _controls(accm: int) -> bytes:
    """The control characters a receive ACCM says the line may insert (dropped on receipt)."""
    out = _CONTROLS.get(accm)
    if out is None:
        out = _CONTROLS[accm] = bytes(b for b in range(0x20) if (accm >> b) & 1)
    return out


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
