"""A sans-IO 3GPP TS 27.010 multiplexer (basic option, UIH frames), in either role.

``role="module"`` is the responder (the module after AT+CMUX): it answers SABM with UA on
DLCI 0 and on the channels it offers (DM otherwise), DISC with UA, and the control channel's
MSC, Test, PN, FCon/FCoff and CLD commands (§5.4.6.3); anything else there gets NSC.
``role="host"`` is the initiator (the TE running the mux, as Linux n_gsm, esp_modem or
ModemManager do): ``open(dlci)`` sends SABM (DLCI 0 first), ``close()`` sends CLD.

Fed line bytes (``feed``) and channel data (``send``), it queues events collected with
``take_events()``: ``Transmit(data)`` for the line, ``Opened``/``Refused``/``Closed`` per
DLCI (``Closed(0)``: the multiplexer is closed, the line is AT again), ``Data`` per channel,
``Status`` for a peer's modem status (MSC). Data longer than N1 is split into N1-octet frames.

C/R bits: commands from the initiator and responses from the responder carry C/R=1
(§5.2.1.2). Real modules put C/R=1 on their UIH frames as well (SIMCom/Air logs of esp_modem:
``f9 07 ef ...`` on DLCI 1), and receivers ignore C/R on UIH: so does this one.
"""

from __future__ import annotations

from dataclasses import dataclass

from simnet.modem.cmux.frames import (
    DISC,
    DM,
    MSG_CLD,
    MSG_FCOFF,
    MSG_FCON,
    MSG_MSC,
    MSG_NSC,
    MSG_PN,
    MSG_TEST,
    SABM,
    UA,
    UI,
    UIH,
    Frame,
    FrameDecoder,
    decode_messages,
    encode_frame,
    encode_message,
)

# V.24 signals octet of MSC (§5.4.6.3.7): EA, FC, RTC (DSR/DTR), RTR (CTS/RTS), IC (RI), DV (DCD)
V24_EA, V24_FC, V24_RTC, V24_RTR, V24_IC, V24_DV = 0x01, 0x02, 0x04, 0x08, 0x40, 0x80
V24_READY = V24_EA | V24_RTC | V24_RTR | V24_DV


@dataclass(frozen=True, slots=True)
class Transmit:
    data: bytes


@dataclass(frozen=True, slots=True)
class Opened:
    dlci: int


@dataclass(frozen=True, slots=True)
class Refused:
    dlci: int


@dataclass(frozen=True, slots=True)
class Closed:
    dlci: int


@dataclass(frozen=True, slots=True)
class Data:
    dlci: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Status:
    dlci: int
    signals: int


Event = Transmit | Opened | Refused | Closed | Data | Status


class CmuxEngine:
    """One end of a TS 27.010 basic-option multiplexer (see the module docstring)."""

    def __init__(
        self, role: str = "module", *, channels: tuple[int, ...] = (1, 2, 3, 4), n1: int = 31
    ) -> None:
        if role not in ("module", "host"):
            raise ValueError(f"role must be module or host, got {role!r}")
        self.role = role
        self.channels = tuple(channels)  # DLCIs the module offers
        self.n1 = n1
        self.decoder = FrameDecoder(max_info=n1)  # longer frames are errors (TS 27.010 §5.7.2 N1)
        self.open_dlcis: set[int] = set()
        self.pending: set[int] = set()  # host: SABM sent, no answer yet
        self.closed = False
        self._events: list[Event] = []
        self.frames_in = 0
        self.frames_out = 0

    # -- helpers -------------------------------------------------------------------------------
    def take_events(self) -> list[Event]:
        """Hand over (and clear) the events queued so far."""
        out, self._events = self._events, []
        return out

    def next_event(self) -> Event | None:
        """The oldest event not taken yet (None: there is none), as h11's next_event."""
        return self._events.pop(0) if self._events else None

    def _tx(
        self, dlci: int, control: int, info: bytes = b"", *, pf: bool = False, cr: bool = True
    ) -> None:
        self.frames_out += 1
        self._events.append(Transmit(encode_frame(dlci, control, info, pf=pf, cr=cr)))

    # -- host (initiator) actions ---------------------------------------------------------------
    def open(self, dlci: int) -> None:
        """Host: establish DLCI ``dlci`` (SABM with P=1; DLCI 0 first)."""
        self.pending.add(dlci)
        self._tx(dlci, SABM, pf=True, cr=True)

    def close(self) -> None:
        """Close the multiplexer: CLD on the control channel (§5.4.6.3.3)."""
        self._tx(0, UIH, encode_message(MSG_CLD, command=True), cr=True)

    def send(self, dlci: int, data: bytes) -> int:
        """Channel data as UIH frames of at most N1 octets; 0 if the DLCI is not open."""
        if dlci not in self.open_dlcis or self.closed:
            return 0
        for i in range(0, len(data), self.n1):
            self._tx(dlci, UIH, data[i : i + self.n1], cr=True)
        return len(data)

    def modem_status(self, dlci: int, signals: int = V24_READY) -> None:
        """Send MSC for ``dlci`` (the module does this when a channel opens, as real ones do)."""
        value = bytes((((dlci & 0x3F) << 2) | 0x02 | 0x01, signals | V24_EA))
        self._tx(0, UIH, encode_message(MSG_MSC, value, command=True), cr=True)

    # -- receiving ------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        for frame in self.decoder.feed(data):
            self.frames_in += 1
            self._frame(frame)

    def _frame(self, f: Frame) -> None:
        if self.closed:
            return
        if self.role == "module":
            self._module_frame(f)
        else:
            self._host_frame(f)

    def _module_frame(self, f: Frame) -> None:
        dlci = f.dlci
        if f.control == SABM:
            if dlci == 0 or (0 in self.open_dlcis and dlci in self.channels):
                new = dlci not in self.open_dlcis
                self.open_dlcis.add(dlci)
                self._tx(dlci, UA, pf=f.pf, cr=True)
                if new and dlci:
                    self._events.append(Opened(dlci))
                    self.modem_status(dlci)
            else:
                self._tx(dlci, DM, pf=f.pf, cr=True)
        elif f.control == DISC:
            if dlci not in self.open_dlcis:
                self._tx(dlci, DM, pf=f.pf, cr=True)
                return
            self._tx(dlci, UA, pf=f.pf, cr=True)
            if dlci == 0:
                self._shut()
            else:
                self.open_dlcis.discard(dlci)
                self._events.append(Closed(dlci))
        elif f.control in (UIH, UI):
            if dlci == 0 and 0 in self.open_dlcis:
                self._control(f.info)
            elif dlci in self.open_dlcis:
                if f.info:
                    self._events.append(Data(dlci, f.info))
            else:
                self._tx(dlci, DM, pf=f.pf, cr=True)  # §5.3.6: data on a DLC not established

    def _host_frame(self, f: Frame) -> None:
        dlci = f.dlci
        if f.control == UA:
            if dlci in self.pending:
                self.pending.discard(dlci)
                self.open_dlcis.add(dlci)
                self._events.append(Opened(dlci))
            elif dlci in self.open_dlcis and dlci == 0:
                pass
        elif f.control == DM:
            if dlci in self.pending:
                self.pending.discard(dlci)
                self._events.append(Refused(dlci))
            elif dlci in self.open_dlcis:
                self.open_dlcis.discard(dlci)
                self._events.append(Closed(dlci))
        elif f.control in (UIH, UI):
            if dlci == 0:
                self._control(f.info)
            elif dlci in self.open_dlcis and f.info:
                self._events.append(Data(dlci, f.info))
        elif f.control == DISC and dlci in self.open_dlcis:
            self._tx(dlci, UA, pf=f.pf, cr=False)
            if dlci == 0:
                self._shut()
            else:
                self.open_dlcis.discard(dlci)
                self._events.append(Closed(dlci))

    def _control(self, info: bytes) -> None:
        cr = True  # UIH on DLCI 0 as every UIH: C/R=1 (see the module docstring)
        for kind, command, value in decode_messages(info):
            if not command:
                if kind == MSG_CLD:
                    self._shut()  # our CLD was answered
                continue
            if kind == MSG_MSC and value:
                dlci = value[0] >> 2
                if len(value) >= 2:
                    self._events.append(Status(dlci, value[1]))
                self._tx(0, UIH, encode_message(MSG_MSC, value, command=False), cr=cr)
            elif kind in (MSG_TEST, MSG_PN, MSG_FCON, MSG_FCOFF):
                # Test echoes its pattern; PN is accepted as proposed (§5.4.6.3.1); flow
                # control is acknowledged (the simulated line never needs it).
                self._tx(0, UIH, encode_message(kind, value, command=False), cr=cr)
            elif kind == MSG_CLD:
                self._tx(0, UIH, encode_message(MSG_CLD, command=False), cr=cr)
                self._shut()
            else:
                type_octet = bytes(((kind << 2) | 0x03,))
                self._tx(0, UIH, encode_message(MSG_NSC, type_octet, command=False), cr=cr)

    def _shut(self) -> None:
        if self.closed:
            return
        self.closed = True
        for dlci in sorted(self.open_dlcis - {0}):
            self._events.append(Closed(dlci))
        self.open_dlcis.clear()
        self._events.append(Closed(0))
