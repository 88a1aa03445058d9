"""3GPP TS 27.010 basic option frames: flag, address, control, length, information, FCS.

``encode_frame`` builds one frame; ``FrameDecoder`` is fed any bytes (garbage included) and
returns the frames whose FCS checks. Nothing here raises on input.

- Flag 0xF9 opens and closes every frame (§5.2.6).
- Address (§5.2.1.2): EA=1 (bit 1), C/R (bit 2), DLCI (bits 3-8).
- Control (§5.2.1.3): SABM 0x2F, UA 0x63, DM 0x0F, DISC 0x43, UIH 0xEF, UI 0x03; P/F 0x10.
- Length (§5.2.1.5): one octet (EA=1, length < 128) or two (EA=0, then the high bits).
- FCS (§5.2.1.6): CRC-8, polynomial x^8 + x^2 + x + 1 processed LSB first (reversed 0xE0),
  initial 0xFF, sent as its one's complement; over address, control and length - and the
  information too for UI frames only (UIH leaves it out).
"""

from __future__ import annotations

from dataclasses import dataclass

FLAG = 0xF9
SABM = 0x2F
UA = 0x63
DM = 0x0F
DISC = 0x43
UIH = 0xEF
UI = 0x03
PF = 0x10
FCS_GOOD = 0xCF  # §5.2.1.6: the CRC over the checked fields plus the FCS ends here when intact
FRAME_NAMES = {SABM: "SABM", UA: "UA", DM: "DM", DISC: "DISC", UIH: "UIH", UI: "UI"}


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xE0 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC = _crc_table()


def crc8(data: bytes, crc: int = 0xFF) -> int:
    for b in data:
        crc = _CRC[crc ^ b]
    return crc


def fcs(data: bytes) -> int:
    """The FCS octet for the checked fields ``data``."""
    return 0xFF - crc8(data)


@dataclass(frozen=True)
class Frame:
    dlci: int
    control: int  # without the P/F bit
    pf: bool
    cr: bool
    info: bytes = b""

    @property
    def name(self) -> str:
        return FRAME_NAMES.get(self.control, f"0x{self.control:02x}")

    def describe(self) -> str:
        return f"{self.name}{' P/F' if self.pf else ''} dlci={self.dlci} len={len(self.info)}"


def encode_frame(
    dlci: int, control: int, info: bytes = b"", *, pf: bool = False, cr: bool = True
) -> bytes:
    address = ((dlci & 0x3F) << 2) | (0x02 if cr else 0) | 0x01
    ctrl = (control & ~PF & 0xFF) | (PF if pf else 0)
    n = len(info)
    length = bytes(((n << 1) | 1,)) if n < 128 else bytes(((n & 0x7F) << 1, (n >> 7) & 0xFF))
    header = bytes((address, ctrl)) + length
    checked = header + info if control & ~PF == UI else header
    return bytes((FLAG,)) + header + info + bytes((fcs(checked), FLAG))


class FrameDecoder:
    """Receiver of the basic option; bounded, never raises.

    The basic option has no transparency: 0xF9 may occur inside the information field, so the
    receiver reads the Length field and counts (as Linux n_gsm does), and only then expects the
    closing flag. Consecutive flags are allowed (§5.2.6.1). A frame whose FCS does not check, or
    that is not closed by a flag, is dropped and counted in ``errors``; so is one announcing
    more than ``max_info`` octets.
    """

    def __init__(self, max_info: int = 32768) -> None:
        self.max_info = max_info
        self.errors = 0
        self._state = "hunt"  # hunt, address, control, length, length2, info, fcs, end
        self._header = bytearray()
        self._info = bytearray()
        self._need = 0
        self._fcs = 0

    def feed(self, data: bytes) -> list[Frame]:
        out: list[Frame] = []
        for b in data:
            state = self._state
            if state == "info":
                self._info.append(b)
                if len(self._info) == self._need:
                    self._state = "fcs"
                continue
            if state == "hunt":
                if b == FLAG:
                    self._state = "address"
                continue
            if state == "address":
                if b == FLAG:
                    continue  # another opening flag
                if not b & 1:  # extended addresses are not part of the basic option
                    self.errors += 1
                    self._state = "hunt"
                    continue
                self._header = bytearray((b,))
                self._state = "control"
            elif state == "control":
                self._header.append(b)
                self._state = "length"
            elif state == "length":
                self._header.append(b)
                if b & 1:
                    self._start_info(b >> 1)
                else:
                    self._state = "length2"
            elif state == "length2":
                self._header.append(b)
                self._start_info((self._header[2] >> 1) | (b << 7))
            elif state == "fcs":
                self._fcs = b
                self._state = "end"
            elif state == "end":
                frame = self._finish() if b == FLAG else None
                if b != FLAG:
                    self.errors += 1
                if frame is not None:
                    out.append(frame)
                self._state = "address" if b == FLAG else "hunt"
        return out

    def _start_info(self, n: int) -> None:
        if n > self.max_info:
            self.errors += 1
            self._state = "hunt"
            return
        self._need = n
        self._info = bytearray()
        self._state = "info" if n else "fcs"

    def _finish(self) -> Frame | None:
        header = bytes(self._header)
        info = bytes(self._info)
        kind = header[1] & ~PF & 0xFF
        checked = header + info if kind == UI else header
        if crc8(checked + bytes((self._fcs,))) != FCS_GOOD:
            self.errors += 1
            return None
        address = header[0]
        return Frame(address >> 2, kind, bool(header[1] & PF), bool(address & 2), info)


# -- control channel messages (DLCI 0, UIH; §5.4.6) -------------------------------------------
MSG_PN = 0x20  # parameter negotiation
MSG_CLD = 0x30  # multiplexer close down
MSG_TEST = 0x08
MSG_FCON = 0x28
MSG_FCOFF = 0x18
MSG_MSC = 0x38  # modem status command
MSG_NSC = 0x04  # non supported command response


def encode_message(kind: int, value: bytes = b"", *, command: bool) -> bytes:
    """A control channel message: type (EA, C/R), length (EA), value (§5.4.6.1)."""
    return bytes(((kind << 2) | (0x02 if command else 0) | 0x01, (len(value) << 1) | 1)) + value


def decode_messages(info: bytes) -> list[tuple[int, bool, bytes]]:
    """(type, is_command, value) of each message in a DLCI 0 UIH; malformed tails dropped."""
    out = []
    i = 0
    while i + 2 <= len(info):
        t = info[i]
        if not t & 1 or not info[i + 1] & 1:
            break  # multi-octet types/lengths are not used by the basic messages
        n = info[i + 1] >> 1
        value = info[i + 2 : i + 2 + n]
        if len(value) != n:
            break
        out.append((t >> 2, bool(t & 2), value))
        i += 2 + n
    return out
