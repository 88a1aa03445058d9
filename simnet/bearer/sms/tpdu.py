"""SMS transfer-layer PDUs (3GPP TS 23.040 §9.2) as bytes and back: sans-IO, no clock.

- :class:`Submit` (SMS-SUBMIT, MS to SC, §9.2.2.2), :class:`Deliver` (SMS-DELIVER, SC to MS,
  §9.2.2.1), :class:`StatusReport` (SMS-STATUS-REPORT, SC to MS, §9.2.2.3); ``encode()`` gives
  the TPDU octets, :func:`decode` reads them (the direction decides what a TP-MTI means,
  §9.2.3.1) and raises :class:`TpduError` on anything malformed.
- :class:`Address` (§9.1.2.5: semi-octet digits or GSM 7-bit alphanumeric), service centre time
  stamps (§9.2.3.11), validity periods (§9.2.3.12), data coding (TS 23.038 §4) and user data
  with its header (§9.2.3.24: concatenation IEs 0x00 and 0x08).
- :func:`segment` splits a text into the user data of one or more concatenated parts.

A PDU-mode ``<pdu>`` of TS 27.005 carries the RP-layer SC address before the TPDU;
:func:`split_sca` and :meth:`Address.encode_sca` handle that prefix. User data keeps its octets
as they came (:class:`UserData` ``raw``), so a message forwarded by the SMSC or stored by the
module is byte-exact whatever its alphabet.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, replace
from enum import StrEnum

from simnet.bearer.sms.alphabet import (
    AlphabetError,
    gsm7_fits,
    gsm7_septets,
    gsm7_text,
    pack_septets,
    ucs2_decode,
    ucs2_encode,
    unpack_septets,
)

TOA_INTERNATIONAL = 145  # 0x91: international number, ISDN plan (TS 24.008 §10.5.4.7)
TOA_UNKNOWN = 129  # 0x81: unknown type, ISDN plan
TOA_ALPHANUMERIC = 208  # 0xD0: alphanumeric (GSM 7-bit), TS 23.040 §9.1.2.5

# TS 23.040 §9.2.3.1 TP-MTI by direction
MTI_DELIVER = 0b00
MTI_SUBMIT = 0b01
MTI_STATUS_REPORT = 0b10

# TS 23.040 §9.2.3.3 TP-VPF
VPF_NONE = 0b00
VPF_ENHANCED = 0b01
VPF_RELATIVE = 0b10
VPF_ABSOLUTE = 0b11

IEI_CONCAT_8 = 0x00  # TS 23.040 §9.2.3.24.1
IEI_CONCAT_16 = 0x08  # TS 23.040 §9.2.3.24.8

_BCD = "0123456789*#abc"


class TpduError(ValueError):
    """A PDU that does not decode (TS 27.005: +CMS ERROR 304 in PDU mode)."""


class Alphabet(StrEnum):
    GSM7 = "gsm7"
    OCTET = "8bit"
    UCS2 = "ucs2"

    @property
    def dcs(self) -> int:
        """The general-group DCS of this alphabet, no class (TS 23.038 §4: 0x00/0x04/0x08)."""
        return {Alphabet.GSM7: 0x00, Alphabet.OCTET: 0x04, Alphabet.UCS2: 0x08}[self]


def dcs_alphabet(dcs: int) -> Alphabet:
    """The character set a TP-DCS value names (TS 23.038 §4); reserved codings read as GSM 7-bit
    (the spec's "any reserved coding shall be assumed to be the GSM 7 bit default alphabet")."""
    group = dcs >> 4
    if group <= 0b0111:  # general data coding (00xx) and automatic deletion (01xx)
        bits = (dcs >> 2) & 0b11
        return (Alphabet.GSM7, Alphabet.OCTET, Alphabet.UCS2, Alphabet.GSM7)[bits]
    if group in (0b1100, 0b1101):
        return Alphabet.GSM7  # message waiting indication, discard / store
    if group == 0b1110:
        return Alphabet.UCS2  # message waiting indication, store, UCS2
    if group == 0b1111:
        return Alphabet.OCTET if dcs & 0b100 else Alphabet.GSM7
    return Alphabet.GSM7


def dcs_class(dcs: int) -> int | None:
    """The message class 0..3 of a TP-DCS, None when it names none (TS 23.038 §4)."""
    group = dcs >> 4
    if group <= 0b0111:
        return dcs & 0b11 if dcs & 0x10 else None
    if group == 0b1111:
        return dcs & 0b11
    return None


# -- addresses -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    """A TP address or RP SC address: ``number`` as AT commands show it (``+`` for an
    international number, digits, or text for an alphanumeric sender) and its type octet."""

    number: str
    toa: int = TOA_UNKNOWN

    @classmethod
    def of(cls, number: str, toa: int | None = None) -> Address:
        """The address of ``number``: a leading ``+`` makes it international (145, the ``+``
        dropped from the digits), digits alone unknown (129), anything else alphanumeric."""
        number = number.strip()
        if toa is None:
            if number.startswith("+"):
                toa = TOA_INTERNATIONAL
            elif number and all(c in _BCD[:12] for c in number):
                toa = TOA_UNKNOWN
            else:
                toa = TOA_ALPHANUMERIC
        if toa == TOA_INTERNATIONAL and not number.startswith("+"):
            number = "+" + number
        return cls(number, toa)

    @property
    def alphanumeric(self) -> bool:
        return (self.toa >> 4) & 0b111 == 0b101

    @property
    def digits(self) -> str:
        return self.number.removeprefix("+")

    def _value(self) -> tuple[bytes, int]:
        """(address value octets, useful semi-octets)."""
        if self.alphanumeric:
            septets = gsm7_septets(self.number)
            packed = pack_septets(septets)
            return packed, (len(septets) * 7 + 3) // 4
        digits = self.digits.lower()
        for c in digits:
            if c not in _BCD:
                raise TpduError(f"address digit {c!r} cannot be coded (TS 23.040 §9.1.2.3)")
        nibbles = [_BCD.index(c) for c in digits]
        if len(nibbles) % 2:
            nibbles.append(0xF)
        return bytes(nibbles[i] | nibbles[i + 1] << 4 for i in range(0, len(nibbles), 2)), len(
            digits
        )

    def encode_tp(self) -> bytes:
        """TP-DA / TP-OA / TP-RA: length in useful semi-octets, type, value (§9.1.2.5)."""
        value, semi = self._value()
        return bytes([semi, self.toa]) + value

    def encode_sca(self) -> bytes:
        """RP SC address as a PDU-mode ``<pdu>`` starts (TS 24.011 §8.2.5.1): length in octets
        of type + value; an empty number is the single octet 00 (use +CSCA)."""
        if not self.number:
            return b"\x00"
        value, _ = self._value()
        return bytes([len(value) + 1, self.toa]) + value


def _decode_value(toa: int, value: bytes, semi_octets: int | None) -> str:
    if (toa >> 4) & 0b111 == 0b101:
        count = (len(value) * 8) // 7 if semi_octets is None else (semi_octets * 4) // 7
        return gsm7_text(unpack_septets(value, count))
    digits = []
    for octet in value:
        for nib in (octet & 0xF, octet >> 4):
            if nib == 0xF:
                continue
            if nib > 0xE:
                raise TpduError(f"bad semi-octet {nib:#x} in an address")
            digits.append(_BCD[nib])
    text = "".join(digits)
    if semi_octets is not None:
        text = text[:semi_octets]
    return ("+" + text) if toa == TOA_INTERNATIONAL or (toa >> 4) & 0b111 == 0b001 else text


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise TpduError(
                f"PDU ends inside {what} (needs {n} octets at {self.pos}, has {len(self.data)})"
            )
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def octet(self, what: str) -> int:
        return self.take(1, what)[0]

    def tp_address(self, what: str) -> Address:
        semi = self.octet(what)
        if semi > 20:
            raise TpduError(f"{what} of {semi} semi-octets (at most 20, TS 23.040 §9.1.2.5)")
        toa = self.octet(what)
        value = self.take((semi + 1) // 2, what)
        try:
            return Address(_decode_value(toa, value, semi), toa)
        except AlphabetError as err:
            raise TpduError(str(err)) from None

    def rest(self) -> bytes:
        out = self.data[self.pos :]
        self.pos = len(self.data)
        return out


def split_sca(pdu: bytes) -> tuple[Address | None, bytes]:
    """A TS 27.005 PDU-mode ``<pdu>`` into (SC address or None when its length is 0, TPDU)."""
    if not pdu:
        raise TpduError("empty PDU")
    n = pdu[0]
    if n == 0:
        return None, pdu[1:]
    if n > 11 or len(pdu) < 1 + n:
        raise TpduError(f"SC address length {n} is wrong (1..11 octets, TS 24.011 §8.2.5.1)")
    toa = pdu[1]
    try:
        number = _decode_value(toa, pdu[2 : 1 + n], None)
    except AlphabetError as err:
        raise TpduError(str(err)) from None
    return Address(number, toa), pdu[1 + n :]


# -- time stamps and validity ---------------------------------------------------------------------


def _bcd_swapped(value: int) -> int:
    return (value % 10) << 4 | (value // 10)


def _from_swapped(octet: int, what: str) -> int:
    lo, hi = octet & 0xF, octet >> 4
    if lo > 9 or hi > 9:
        raise TpduError(f"{what}: semi-octet over 9 ({octet:#04x})")
    return lo * 10 + hi


@dataclass(frozen=True)
class Timestamp:
    """A TP-SCTS / TP-DT / absolute TP-VP: local time and its offset from UTC in quarters of an
    hour (TS 23.040 §9.2.3.11)."""

    local: _dt.datetime
    tz_quarters: int = 0

    @classmethod
    def from_unix(cls, unix: float, tz_quarters: int = 0) -> Timestamp:
        utc = _dt.datetime.fromtimestamp(int(unix), _dt.UTC).replace(tzinfo=None)
        return cls(utc + _dt.timedelta(minutes=15 * tz_quarters), tz_quarters)

    def unix(self) -> float:
        utc = self.local - _dt.timedelta(minutes=15 * self.tz_quarters)
        return utc.replace(tzinfo=_dt.UTC).timestamp()

    def encode(self) -> bytes:
        t = self.local
        tz = abs(self.tz_quarters)
        tz_octet = _bcd_swapped(tz) | (0x08 if self.tz_quarters < 0 else 0)
        return bytes(
            [
                _bcd_swapped(t.year % 100),
                _bcd_swapped(t.month),
                _bcd_swapped(t.day),
                _bcd_swapped(t.hour),
                _bcd_swapped(t.minute),
                _bcd_swapped(t.second),
                tz_octet,
            ]
        )

    @classmethod
    def decode(cls, data: bytes, what: str = "time stamp") -> Timestamp:
        if len(data) != 7:
            raise TpduError(f"{what} of {len(data)} octets (7, TS 23.040 §9.2.3.11)")
        year, month, day, hour, minute, second = (_from_swapped(b, what) for b in data[:6])
        tz_octet = data[6]
        negative = bool(tz_octet & 0x08)
        tz = _from_swapped(tz_octet & 0xF7, what)
        try:
            local = _dt.datetime(2000 + year, month, day, hour, minute, second)
        except ValueError as err:
            raise TpduError(f"{what}: {err}") from None
        return cls(local, -tz if negative else tz)

    def text(self) -> str:
        """The TS 27.005 time-string ``yy/MM/dd,hh:mm:ss±zz``."""
        return f"{self.local:%y/%m/%d,%H:%M:%S}{self.tz_quarters:+03d}"


def relative_validity(vp: int) -> float:
    """Seconds of a relative TP-VP octet (TS 23.040 §9.2.3.12.1)."""
    if vp <= 143:
        return (vp + 1) * 300.0
    if vp <= 167:
        return 12 * 3600.0 + (vp - 143) * 1800.0
    if vp <= 196:
        return (vp - 166) * 86400.0
    return (vp - 192) * 7 * 86400.0


# -- user data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Concat:
    """Concatenation info of one part (TS 23.040 §9.2.3.24.1 / .8)."""

    ref: int
    total: int
    seq: int


@dataclass(frozen=True)
class UserData:
    """TP-DCS, TP-UDHI, TP-UDL and the TP-UD octets as they travel."""

    dcs: int
    udl: int
    raw: bytes
    udhi: bool = False

    @property
    def alphabet(self) -> Alphabet:
        return dcs_alphabet(self.dcs)

    @property
    def header(self) -> bytes:
        """The user data header without its length octet (b"" without UDHI)."""
        if not self.udhi or not self.raw:
            return b""
        return self.raw[1 : 1 + self.raw[0]]

    @property
    def elements(self) -> list[tuple[int, bytes]]:
        """The header's information elements as (IEI, data)."""
        out: list[tuple[int, bytes]] = []
        h = self.header
        i = 0
        while i + 2 <= len(h):
            iei, n = h[i], h[i + 1]
            out.append((iei, h[i + 2 : i + 2 + n]))
            i += 2 + n
        return out

    @property
    def concat(self) -> Concat | None:
        for iei, data in self.elements:
            if iei == IEI_CONCAT_8 and len(data) == 3:
                return Concat(data[0], data[1], data[2])
            if iei == IEI_CONCAT_16 and len(data) == 4:
                return Concat(data[0] << 8 | data[1], data[2], data[3])
        return None

    def _header_octets(self) -> int:
        return 1 + self.raw[0] if self.udhi and self.raw else 0

    @property
    def body(self) -> bytes:
        """The user data after the header: octets for 8-bit and UCS2, septet values for GSM
        7-bit."""
        hdr = self._header_octets()
        if self.alphabet is Alphabet.GSM7:
            fill = (7 - (hdr * 8) % 7) % 7
            skip = (hdr * 8 + fill) // 7
            septets = unpack_septets(self.raw[hdr:], max(0, self.udl - skip), fill)
            return bytes(septets)
        return self.raw[hdr : self.udl]

    @property
    def text(self) -> str:
        """The body as text (8-bit data as Latin-1, one character per octet)."""
        body = self.body
        alphabet = self.alphabet
        if alphabet is Alphabet.GSM7:
            return gsm7_text(body)
        if alphabet is Alphabet.UCS2:
            return ucs2_decode(body)
        return body.decode("latin-1")

    @classmethod
    def build(
        cls,
        body: str | bytes,
        alphabet: Alphabet | None = None,
        *,
        header: bytes = b"",
        dcs: int | None = None,
    ) -> UserData:
        """User data for ``body`` (text, or octets for 8-bit) with an optional header (its
        IEs, without the length octet). ``alphabet`` None: GSM 7-bit when the text fits, else
        UCS2. ``dcs`` overrides the DCS octet (e.g. a class); its alphabet must agree."""
        if alphabet is None:
            alphabet = (
                dcs_alphabet(dcs)
                if dcs is not None
                else (
                    Alphabet.GSM7
                    if isinstance(body, str) and gsm7_fits(body)
                    else Alphabet.OCTET
                    if isinstance(body, bytes)
                    else Alphabet.UCS2
                )
            )
        dcs = alphabet.dcs if dcs is None else dcs
        udh = bytes([len(header)]) + header if header else b""
        if alphabet is Alphabet.GSM7:
            septets = gsm7_septets(body if isinstance(body, str) else body.decode("latin-1"))
            fill = (7 - (len(udh) * 8) % 7) % 7 if udh else 0
            skip = (len(udh) * 8 + fill) // 7
            packed = pack_septets(septets, fill)
            return cls(dcs, skip + len(septets), udh + packed, bool(udh))
        octets = (
            body
            if isinstance(body, bytes)
            else (ucs2_encode(body) if alphabet is Alphabet.UCS2 else body.encode("latin-1"))
        )
        return cls(dcs, len(udh) + len(octets), udh + octets, bool(udh))

    def encode(self) -> bytes:
        return bytes([self.udl]) + self.raw

    def check(self) -> None:
        """TpduError when UDL and the octets disagree (TS 23.040 §9.2.3.16)."""
        if self.alphabet is Alphabet.GSM7:
            if self.udl > 160:
                raise TpduError(f"TP-UDL {self.udl} septets over 160")
            need = (self.udl * 7 + 7) // 8
        else:
            if self.udl > 140:
                raise TpduError(f"TP-UDL {self.udl} octets over 140")
            need = self.udl
        if len(self.raw) != need:
            raise TpduError(
                f"TP-UDL {self.udl} needs {need} octets of user data, {len(self.raw)} given"
            )
        if self.udhi and (not self.raw or 1 + self.raw[0] > len(self.raw)):
            raise TpduError("user data header longer than the user data")


def _read_user_data(r: _Reader, dcs: int, udhi: bool) -> UserData:
    udl = r.octet("TP-UDL")
    ud = UserData(dcs, udl, r.rest(), udhi)
    ud.check()
    return ud


# -- the TPDUs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submit:
    """SMS-SUBMIT (TS 23.040 §9.2.2.2)."""

    mr: int
    da: Address
    ud: UserData
    pid: int = 0
    vpf: int = VPF_RELATIVE
    vp: bytes = b"\xa7"  # 167: 24 hours
    srr: bool = False
    rd: bool = False
    rp: bool = False
    kind: str = field(default="submit", init=False)

    @property
    def first_octet(self) -> int:
        return (
            MTI_SUBMIT
            | self.rd << 2
            | self.vpf << 3
            | self.srr << 5
            | self.ud.udhi << 6
            | self.rp << 7
        )

    def encode(self) -> bytes:
        return (
            bytes([self.first_octet, self.mr & 0xFF])
            + self.da.encode_tp()
            + bytes([self.pid, self.ud.dcs])
            + self.vp
            + self.ud.encode()
        )

    def validity(self, now_unix: float) -> float | None:
        """Seconds the SC should keep the message from ``now_unix`` (None: TP-VP absent)."""
        if self.vpf == VPF_RELATIVE:
            return relative_validity(self.vp[0])
        if self.vpf == VPF_ABSOLUTE:
            return max(0.0, Timestamp.decode(self.vp, "TP-VP").unix() - now_unix)
        if self.vpf == VPF_ENHANCED:
            return _enhanced_validity(self.vp)
        return None


def _enhanced_validity(vp: bytes) -> float | None:
    """TS 23.040 §9.2.3.12.3: functionality indicator, then relative / seconds / hh:mm:ss."""
    fmt = vp[0] & 0b111
    if fmt == 0b001:
        return relative_validity(vp[1])
    if fmt == 0b010:
        return float(vp[1])
    if fmt == 0b011:
        h, m, s = (_from_swapped(b, "TP-VP") for b in vp[1:4])
        return float(h * 3600 + m * 60 + s)
    return None


@dataclass(frozen=True)
class Deliver:
    """SMS-DELIVER (TS 23.040 §9.2.2.1)."""

    oa: Address
    scts: Timestamp
    ud: UserData
    pid: int = 0
    mms: bool = True  # TP-MMS bit set: no more messages waiting (the bit is inverted, §9.2.3.2)
    sri: bool = False
    rp: bool = False
    lp: bool = False
    kind: str = field(default="deliver", init=False)

    @property
    def first_octet(self) -> int:
        return (
            MTI_DELIVER
            | self.mms << 2
            | self.lp << 3
            | self.sri << 5
            | self.ud.udhi << 6
            | self.rp << 7
        )

    def encode(self) -> bytes:
        return (
            bytes([self.first_octet])
            + self.oa.encode_tp()
            + bytes([self.pid, self.ud.dcs])
            + self.scts.encode()
            + self.ud.encode()
        )


@dataclass(frozen=True)
class StatusReport:
    """SMS-STATUS-REPORT (TS 23.040 §9.2.2.3), without the optional parameters."""

    mr: int
    ra: Address
    scts: Timestamp
    dt: Timestamp
    st: int
    mms: bool = True
    srq: bool = False
    kind: str = field(default="status_report", init=False)

    @property
    def first_octet(self) -> int:
        return MTI_STATUS_REPORT | self.mms << 2 | self.srq << 5

    def encode(self) -> bytes:
        return (
            bytes([self.first_octet, self.mr & 0xFF])
            + self.ra.encode_tp()
            + self.scts.encode()
            + self.dt.encode()
            + bytes([self.st])
        )


Tpdu = Submit | Deliver | StatusReport

_VP_LEN = {VPF_NONE: 0, VPF_RELATIVE: 1, VPF_ENHANCED: 7, VPF_ABSOLUTE: 7}


def decode(data: bytes, *, from_ms: bool) -> Tpdu:
    """Decode a TPDU sent by the MS (``from_ms``: SMS-SUBMIT) or by the SC (SMS-DELIVER,
    SMS-STATUS-REPORT). Other types (SMS-COMMAND, reports of the RP layer) are TpduErrors."""
    r = _Reader(bytes(data))
    fo = r.octet("first octet")
    mti = fo & 0b11
    if from_ms:
        if mti != MTI_SUBMIT:
            raise TpduError(
                f"TP-MTI {mti} is not an SMS-SUBMIT (only SUBMIT is sent from the MS here)"
            )
        mr = r.octet("TP-MR")
        da = r.tp_address("TP-DA")
        pid = r.octet("TP-PID")
        dcs = r.octet("TP-DCS")
        vpf = (fo >> 3) & 0b11
        vp = r.take(_VP_LEN[vpf], "TP-VP")
        ud = _read_user_data(r, dcs, bool(fo & 0x40))
        if vpf == VPF_ABSOLUTE:
            Timestamp.decode(vp, "TP-VP")
        return Submit(
            mr, da, ud, pid, vpf, vp, srr=bool(fo & 0x20), rd=bool(fo & 0x04), rp=bool(fo & 0x80)
        )
    if mti == MTI_DELIVER:
        oa = r.tp_address("TP-OA")
        pid = r.octet("TP-PID")
        dcs = r.octet("TP-DCS")
        scts = Timestamp.decode(r.take(7, "TP-SCTS"), "TP-SCTS")
        ud = _read_user_data(r, dcs, bool(fo & 0x40))
        return Deliver(
            oa,
            scts,
            ud,
            pid,
            mms=bool(fo & 0x04),
            sri=bool(fo & 0x20),
            rp=bool(fo & 0x80),
            lp=bool(fo & 0x08),
        )
    if mti == MTI_STATUS_REPORT:
        mr = r.octet("TP-MR")
        ra = r.tp_address("TP-RA")
        scts = Timestamp.decode(r.take(7, "TP-SCTS"), "TP-SCTS")
        dt = Timestamp.decode(r.take(7, "TP-DT"), "TP-DT")
        st = r.octet("TP-ST")
        r.rest()  # TP-PI and what it announces: not kept
        return StatusReport(mr, ra, scts, dt, st, mms=bool(fo & 0x04), srq=bool(fo & 0x20))
    raise TpduError(f"TP-MTI {mti} is not a PDU an SC sends to an MS here")


# -- segmentation ----------------------------------------------------------------------------------


def segment(
    text: str,
    *,
    ref: int,
    alphabet: Alphabet | None = None,
    dcs: int | None = None,
    ref16: bool = False,
) -> list[UserData]:
    """``text`` as the user data of one part (it fits: 160 GSM septets, 70 UCS2 characters) or
    of several concatenated parts with ref ``ref`` (153 septets / 67 characters each; an
    extension character or a surrogate pair is never cut). At most 255 parts."""
    if alphabet is None:
        alphabet = (
            dcs_alphabet(dcs)
            if dcs is not None
            else (Alphabet.GSM7 if gsm7_fits(text) else Alphabet.UCS2)
        )
    if alphabet is Alphabet.GSM7:
        units = [len(gsm7_septets(c)) for c in text]
        single, multi = 160, 153 - (1 if ref16 else 0)
    elif alphabet is Alphabet.UCS2:
        units = [len(ucs2_encode(c)) // 2 for c in text]
        single, multi = 70, 67 - (1 if ref16 else 0)
    else:
        units = [1] * len(text)
        single, multi = 140, 134 - (1 if ref16 else 0)
    if sum(units) <= single:
        return [UserData.build(text, alphabet, dcs=dcs)]
    chunks: list[str] = []
    start, used = 0, 0
    for i, n in enumerate(units):
        if used + n > multi:
            chunks.append(text[start:i])
            start, used = i, 0
        used += n
    chunks.append(text[start:])
    if len(chunks) > 255:
        raise AlphabetError(f"text needs {len(chunks)} parts (at most 255)")
    parts = []
    for seq, chunk in enumerate(chunks, start=1):
        if ref16:
            header = bytes([IEI_CONCAT_16, 4, (ref >> 8) & 0xFF, ref & 0xFF, len(chunks), seq])
        else:
            header = bytes([IEI_CONCAT_8, 3, ref & 0xFF, len(chunks), seq])
        parts.append(UserData.build(chunk, alphabet, header=header, dcs=dcs))
    return parts


def with_mr(submit: Submit, mr: int) -> Submit:
    return replace(submit, mr=mr & 0xFF)


__all__ = [
    "TOA_ALPHANUMERIC",
    "TOA_INTERNATIONAL",
    "TOA_UNKNOWN",
    "VPF_ABSOLUTE",
    "VPF_ENHANCED",
    "VPF_NONE",
    "VPF_RELATIVE",
    "Address",
    "Alphabet",
    "Concat",
    "Deliver",
    "StatusReport",
    "Submit",
    "Timestamp",
    "Tpdu",
    "TpduError",
    "UserData",
    "dcs_alphabet",
    "dcs_class",
    "decode",
    "relative_validity",
    "segment",
    "split_sca",
]
