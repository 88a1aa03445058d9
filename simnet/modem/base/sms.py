"""Short messages and USSD at the AT interface: 3GPP TS 27.005 (text and PDU mode) and TS 27.007
§7.15 (+CUSD), shared by every module; vendors differ only in their :class:`SmsFormat` row
(memories, capacities, first index, RI pulse), kept in their ``tables.py``.

The network side is the bearer's :class:`~simnet.bearer.sms.service.ModemSms` (the operator's
SMSC, delays, reachability). This command set keeps what a module keeps:

- message memories (:class:`MessageStore`, ``+CPMS``): each location holds a status and the
  PDU as received or written (RP SC address + TPDU), so ``+CMGR`` in PDU mode gives back the
  octets byte for byte; ``SM`` lives on the SIM (its size is the SIM's, ``sim.sms_records``),
  the others in the module; all of them survive a restart;
- the settings ``+CMGF``, ``+CSCA`` (default: the SIM's SC address), ``+CSMP``, ``+CSDH``,
  ``+CNMI``, ``+CMMS``, ``+CSMS`` (volatile, as TS 27.005 leaves them without ``+CSAS``);
- what arrives: stored in ``<mem3>`` with ``+CMTI``, or routed with ``+CMT`` / ``+CDS``, or a
  status report stored with ``+CDSI``, per ``+CNMI`` (§3.4.1); indications wait in the TA while
  ``<mode>`` is 0, are dropped in online data mode with ``<mode>`` 1 and held until command mode
  with ``<mode>`` 2. A message that cannot be stored is refused with RP cause 22 (memory
  capacity exceeded) and the network keeps it; deleting a message then sends RP-SMMA.

+CMS ERROR codes (TS 27.005 §3.2.5) come from the situation: 310/311/312/313 SIM, 302 operation
not allowed, 304 invalid PDU, 305 invalid text mode parameter, 321 invalid memory index, 322
memory full, 330 SMSC address unknown, 331 no network service, 332 network timeout; an SC's
RP-ERROR is its TS 24.011 cause (e.g. 38 network out of order).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simnet.bearer.sim_card import SimState
from simnet.bearer.sms.alphabet import (
    AlphabetError,
    gsm7_septets,
    gsm7_text,
    ucs2_decode,
    ucs2_encode,
)
from simnet.bearer.sms.tpdu import (
    VPF_ABSOLUTE,
    VPF_ENHANCED,
    VPF_NONE,
    VPF_RELATIVE,
    Address,
    Alphabet,
    Deliver,
    StatusReport,
    Submit,
    TpduError,
    UserData,
    dcs_alphabet,
    dcs_class,
    decode,
    split_sca,
)
from simnet.modem.at import Command, Final, Form, cms_error
from simnet.modem.base.common import BaseCommandSet
from simnet.modem.base.tables import CHARSETS, CMMS, CNMI
from simnet.modem.dialect import CTRL_Z, ESC, Context, Dialect, PromptSpec, command, setting_command
from simnet.modem.params import Value

if TYPE_CHECKING:
    from simnet.bearer.api import SmsApi
    from simnet.modem.module import Module

# TS 27.005 §3.5.1 <stat> in PDU and text mode
STATUS_TEXT = ("REC UNREAD", "REC READ", "STO UNSENT", "STO SENT", "ALL")
REC_UNREAD, REC_READ, STO_UNSENT, STO_SENT, ALL = range(5)

# TS 27.005 §3.2.5
CMS_OPERATION_NOT_ALLOWED = 302
CMS_INVALID_PDU = 304
CMS_INVALID_TEXT = 305
CMS_SIM_NOT_INSERTED = 310
CMS_SIM_PIN_REQUIRED = 311
CMS_SIM_FAILURE = 313
CMS_SIM_PUK_REQUIRED = 316
CMS_INVALID_INDEX = 321
CMS_MEMORY_FULL = 322
CMS_SMSC_UNKNOWN = 330
CMS_NO_NETWORK = 331
RP_MEMORY_EXCEEDED = 22  # TS 24.011 Annex E-2

PROMPT = b"\r\n> "  # TS 27.005 §3.5.1: <CR><LF><greater_than><space>
MAX_PDU_OCTETS = 176  # 12 octets of SC address + 164 of the longest TPDU
INDICATION_BUFFER = 32  # indications the TA keeps while <mode> is 0 (oldest dropped beyond)
CMMS_KEEP = 5.0  # TS 27.005 §3.5.6: the link is kept 1-5 s after a send (here the longest)


@dataclass(frozen=True)
class SmsFormat:
    """What a vendor's modules do differently in TS 27.005 (one row per vendor, cited).

    ``memories``: the +CPMS memories offered, in their test-form order; ``capacity``: locations
    of each (``SM``: the SIM's, from ``sim.sms_records``); ``first_index``: the number of the
    first location; ``report_memory``: where <ds>=2 stores status reports (None: <mem3>);
    ``default_memory``: <mem1..3> after power-on; ``ri_pulse``: seconds the RI line pulses when a
    message arrives (0: none)."""

    memories: tuple[str, ...]
    capacity: dict[str, int]
    first_index: int
    report_memory: str | None
    default_memory: str
    ri_pulse: float
    source: str


# TS 27.005 defaults, for modules without a row of their own.
GENERIC = SmsFormat(
    memories=("SM", "ME"),
    capacity={"ME": 100},
    first_index=1,
    report_memory=None,
    default_memory="SM",
    ri_pulse=0.0,
    source="TS 27.005 §3.2.2",
)


@dataclass
class StoredSms:
    stat: int
    tpdu: bytes
    sca: Address | None
    kind: str  # deliver, submit, status_report

    def pdu_hex(self) -> str:
        prefix = self.sca.encode_sca() if self.sca is not None else b"\x00"
        return (prefix + self.tpdu).hex().upper()


@dataclass
class MessageStore:
    """One message memory: ``capacity`` locations numbered from ``first``."""

    name: str
    capacity: int
    first: int
    slots: dict[int, StoredSms] = field(default_factory=dict)

    @property
    def used(self) -> int:
        return len(self.slots)

    @property
    def full(self) -> bool:
        return len(self.slots) >= self.capacity

    def put(self, msg: StoredSms) -> int | None:
        for index in range(self.first, self.first + self.capacity):
            if index not in self.slots:
                self.slots[index] = msg
                return index
        return None

    def valid(self, index: int) -> bool:
        return self.first <= index < self.first + self.capacity


def _cms_for_sim(state: SimState | str) -> int:
    return {
        SimState.ABSENT: CMS_SIM_NOT_INSERTED,
        SimState.PIN: CMS_SIM_PIN_REQUIRED,
        SimState.PUK: CMS_SIM_PUK_REQUIRED,
    }.get(SimState(state), CMS_SIM_FAILURE)


def sms_sim_ready(dialect: Dialect, ctx: Context, cmd: Command) -> Final | None:
    """Requirement: a ready SIM, refused with TS 27.005's +CMS ERROR (310 not inserted, 311 PIN,
    316 PUK, 313 failure); test forms still answer."""
    if cmd.form is Form.TEST:
        return None
    bearer = dialect.module.bearer
    if bearer is None:
        return cms_error(CMS_SIM_NOT_INSERTED)
    state = bearer.sim_card.state
    return None if state == SimState.READY else cms_error(_cms_for_sim(state))


class SmsCommands(BaseCommandSet):
    """TS 27.005, +CSCS and +CUSD (see the module docstring). +CMGF, +CSMP and +CSDH are rows
    of tables.py (their values are read here); the memories, the last TP-MR and the memory
    capacity exceeded flag are non-volatile (BaseCommands.nonvolatile_state)."""

    def __init__(self, module: Module) -> None:
        super().__init__(module)
        self.charset = "IRA"
        self.csms = 0
        sms = self._service()
        self.sca: tuple[str, int] = ("", 129)
        if sms is not None:
            self.sca = (sms.default_sca.number, sms.default_sca.toa)
        self._mems: list[str] | None = None  # <mem1..3>; the vendor's default until set
        self.cusd_n = 0
        self._buffer: deque[str] = deque(maxlen=INDICATION_BUFFER)
        self._last_send_end: float | None = None
        self.sms_stores: dict[str, MessageStore] = {}
        self.last_mr = 255  # EF_SMSS last used TP-MR (the next is 0)
        self.memory_exceeded = False  # EF_SMSS flag: RP-SMMA owed when memory frees
        if sms is not None:
            sms.receiver = self._receive
            sms.ussd_listener = self._ussd_released

    # -- helpers ----------------------------------------------------------------------------------
    @property
    def format(self) -> SmsFormat:
        """The vendor's row (the dialect's ``sms_format``), else TS 27.005's."""
        dialect = getattr(self.module, "dialect", None)
        return getattr(dialect, "sms_format", None) or GENERIC

    @property
    def mems(self) -> list[str]:
        if self._mems is None:
            self._mems = [self.format.default_memory] * 3
        return self._mems

    @property
    def cmgf(self) -> int:
        return int(self.params["+CMGF"]["mode"])

    @property
    def csdh(self) -> int:
        return int(self.params["+CSDH"]["show"])

    @property
    def csmp(self) -> tuple[int, int, int, int]:
        p = self.params["+CSMP"]
        return int(p["fo"]), int(p["vp"]), int(p["pid"]), int(p["dcs"])

    @property
    def cnmi(self) -> tuple[int, ...]:
        p = self.params["+CNMI"]
        return tuple(int(p[k]) for k in ("mode", "mt", "bm", "ds", "bfr"))

    def _service(self) -> SmsApi | None:
        bearer = self.module.bearer
        return bearer.sms if bearer is not None else None

    def memory(self, name: str) -> MessageStore:
        st = self.sms_stores.get(name)
        if st is None:
            fmt = self.format
            if name == "SM":
                bearer = self.module.bearer
                cap = bearer.sim_card.config.sms_records if bearer is not None else 0
            else:
                cap = fmt.capacity.get(name, 0)
            st = self.sms_stores[name] = MessageStore(name, cap, fmt.first_index)
        return st

    def _from_te(self, text: str) -> str:
        """A string the TE sent in its character set (+CSCS), as text."""
        cs = self.charset
        if cs == "UCS2":
            try:
                return ucs2_decode(bytes.fromhex(text))
            except ValueError:
                raise AlphabetError("not UCS2 hex") from None
        if cs == "GSM":
            return gsm7_text([ord(c) & 0x7F for c in text])
        return text

    def _to_te(self, text: str) -> str:
        cs = self.charset
        if cs == "UCS2":
            return ucs2_encode(text).hex().upper()
        if cs == "GSM":
            return "".join(
                chr(s) for s in gsm7_septets("".join(c if _gsm_ok(c) else "?" for c in text))
            )
        return text

    @staticmethod
    def _text_length(ud: UserData) -> int:
        """TS 27.005 §3.1 <length> in text mode: the body's length in characters (GSM 7-bit
        text), else in octets."""
        if ud.alphabet is Alphabet.GSM7 and not ud.udhi:
            return len(ud.text)
        return ud.udl

    def _ud_for_te(self, ud: UserData) -> str:
        """TS 27.005 §3.1 <data>: GSM 7-bit text in the TE character set; 8-bit, UCS2 or data
        with a header as hexadecimal octets."""
        if ud.alphabet is Alphabet.GSM7 and not ud.udhi:
            return self._to_te(ud.text)
        if ud.udhi:
            return ud.raw.hex().upper()
        return ud.body.hex().upper()

    def _next_mr(self) -> int:
        self.last_mr = (self.last_mr + 1) % 256
        return self.last_mr

    # -- settings ----------------------------------------------------------------------------------
    @setting_command(CMMS)
    def cmms_cmd(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.005 §3.5.6 more messages to send: keep the relay link after a send (<n> 1
        falls back to 0 once the link has been idle past the keep time)."""
        self._cmms_now()
        return self.setting(ctx, cmd, CMMS)

    def _cmms_now(self) -> int:
        n = int(self.params["+CMMS"]["n"])
        if (
            n == 1
            and self._last_send_end is not None
            and self.module.sim.now - self._last_send_end > CMMS_KEEP
        ):
            self.params.set("+CMMS", {"n": 0})
            n = 0
        return n

    @command("+CSMS", latency="sim")
    def csms_cmd(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.005 §3.2.1 select message service: read ``+CSMS: <service>,<mt>,<mo>,<bm>``,
        set answers ``+CSMS: <mt>,<mo>,<bm>`` (all supported: 1,1,1)."""
        if cmd.form is Form.TEST:
            ctx.info("+CSMS: (0-1)")
        elif cmd.form is Form.READ:
            ctx.info(f"+CSMS: {self.csms},1,1,1")
        elif cmd.form is Form.SET:
            cmd.max_params(1)
            self.csms = cmd.int(0, lo=0, hi=1)
            ctx.info("+CSMS: 1,1,1")
        else:
            return ctx.error()
        return None

    @command("+CSCA", forms="trs", latency="sim", requires=(sms_sim_ready,))
    def csca_cmd(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.005 §3.3.1 service centre address (the SIM's until set)."""
        if cmd.form is Form.TEST:
            return None
        if cmd.form is Form.READ:
            ctx.info(f'+CSCA: "{self._to_te(self.sca[0])}",{self.sca[1]}')
            return None
        if cmd.form is Form.EXEC:
            return ctx.error()
        cmd.max_params(2)
        try:
            number = self._from_te(cmd.str(0, max_len=80)).replace(" ", "")
        except AlphabetError:
            return ctx.cms(CMS_OPERATION_NOT_ALLOWED)
        if len(number.removeprefix("+")) > 20 or any(c not in "0123456789*#+" for c in number):
            return ctx.cms(CMS_OPERATION_NOT_ALLOWED)
        tosca = cmd.int(1, 145 if number.startswith("+") else 129, lo=0, hi=255)
        self.sca = (number, tosca)
        return None

    @command("+CPMS", forms="trs", latency="sim", requires=(sms_sim_ready,))
    def cpms_cmd(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.005 §3.2.2 preferred message storage: <mem1> read/delete, <mem2> write/send,
        <mem3> receive; answers used and total locations of each."""
        mems = self.format.memories
        names = ",".join(f'"{m}"' for m in mems)
        if cmd.form is Form.TEST:
            mem3 = ",".join(f'"{m}"' for m in mems if m != "SR")
            ctx.info(f"+CPMS: ({names}),({names}),({mem3})")
            return None
        if cmd.form is Form.READ:
            ctx.info(
                "+CPMS: "
                + ",".join(
                    f'"{m}",{self.memory(m).used},{self.memory(m).capacity}' for m in self.mems
                )
            )
            return None
        if cmd.form is Form.EXEC:
            return ctx.error()
        cmd.max_params(3)
        new = list(self.mems)
        for i in range(3):
            if cmd.has(i):
                mem = cmd.str(i).upper()
                if mem not in mems or (i == 2 and mem == "SR"):
                    return ctx.cms(CMS_OPERATION_NOT_ALLOWED)
                new[i] = mem
        self._mems = new
        ctx.info(
            "+CPMS: " + ",".join(f"{self.memory(m).used},{self.memory(m).capacity}" for m in new)
        )
        return None

    @setting_command(CNMI)
    def cnmi_cmd(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.005 §3.4.1 new message indications <mode>,<mt>,<bm>,<ds>,<bfr>."""
        return self.setting(ctx, cmd, CNMI, applied=self._cnmi_applied)

    def _cnmi_applied(self, ctx: Context, new: dict[str, Value]) -> None:
        if new["mode"] in (1, 2, 3):
            # <bfr> 0: the indications buffered while <mode> was 0 go to the TE after the OK
            # (written once the command's final result is out); 1: they are cleared.
            buffered, self._buffer = list(self._buffer), deque(maxlen=INDICATION_BUFFER)
            if new["bfr"] == 0:
                for text in buffered:
                    self.module.urc(text)

    @command("+CSCS")
    def cscs(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.007 §5.5 TE character set (the SMS text and address fields use it)."""
        if cmd.form is Form.READ:
            ctx.info(f'+CSCS: "{self.charset}"')
        elif cmd.form is Form.TEST:
            ctx.info("+CSCS: (" + ",".join(f'"{c}"' for c in CHARSETS) + ")")
        elif cmd.form is Form.SET:
            value = cmd.str(0).upper()
            if value not in CHARSETS:
                return ctx.cme(4)
            self.charset = value
        else:
            return ctx.error()
        return None

    # -- indications -------------------------------------------------------------------------------
    def _indicate(self, text: str) -> bool:
        """Send an indication to the TE as +CNMI <mode> says; False when it was discarded."""
        mode = self.cnmi[0]
        if mode == 0:
            if len(self._buffer) == self._buffer.maxlen:
                self.module.sim.record(
                    self.module.name, "sms_indication_dropped", text=self._buffer[0]
                )
            self._buffer.append(text)
            return True
        if mode == 1 and self.module.in_data_mode:
            self.module.sim.record(
                self.module.name, "sms_indication_dropped", text=text, reason="link reserved"
            )
            return False
        self.module.urc(text)  # mode 2 (3): the module holds it until command mode
        return True

    def _receive(self, tpdu: Deliver | StatusReport) -> int | None:
        """An SMS-DELIVER or SMS-STATUS-REPORT from the network: None, or RP cause 22."""
        module = self.module
        sms = self._service()
        sca = sms.smsc.address if sms is not None else None
        if self.format.ri_pulse:
            module.pulse_ri(self.format.ri_pulse)
        if isinstance(tpdu, StatusReport):
            ds = self.cnmi[3]
            if ds == 1:
                self._indicate(self._cds_text(tpdu, sca))
            elif ds == 2:
                mem = self.format.report_memory or self.mems[2]
                index = self.memory(mem).put(
                    StoredSms(REC_UNREAD, tpdu.encode(), sca, "status_report")
                )
                if index is not None:
                    self._indicate(f'+CDSI: "{mem}",{index}')
                else:
                    module.sim.record(module.name, "sms_report_dropped", reason="memory full")
            return None
        mt = self.cnmi[1]
        cls = dcs_class(tpdu.ud.dcs)
        routed = (mt == 2 and cls != 2) or (mt == 3 and cls == 3)
        if routed and not (self.cnmi[0] == 1 and module.in_data_mode):
            self._indicate(self._cmt_text(tpdu, sca))
            return None
        mem = self.mems[2]
        index = self.memory(mem).put(StoredSms(REC_UNREAD, tpdu.encode(), sca, "deliver"))
        if index is None:
            self.memory_exceeded = True
            module.sim.record(module.name, "sms_memory_full", memory=mem)
            return RP_MEMORY_EXCEEDED
        if mt in (1, 2, 3):
            self._indicate(f'+CMTI: "{mem}",{index}')
        return None

    def _cmt_text(self, d: Deliver, sca: Address | None) -> str:
        if self.cmgf == 0:
            msg = StoredSms(REC_UNREAD, d.encode(), sca, "deliver")
            return f"+CMT: ,{len(msg.tpdu)}\r\n{msg.pdu_hex()}"
        head = f'+CMT: "{self._to_te(d.oa.number)}",,"{d.scts.text()}"'
        if self.csdh:
            head += (
                f",{d.oa.toa},{d.first_octet},{d.pid},{d.ud.dcs},"
                f'"{self._to_te(sca.number if sca else "")}",{sca.toa if sca else 129},'
                f"{self._text_length(d.ud)}"
            )
        return f"{head}\r\n{self._ud_for_te(d.ud)}"

    def _cds_text(self, r: StatusReport, sca: Address | None) -> str:
        if self.cmgf == 0:
            msg = StoredSms(REC_UNREAD, r.encode(), sca, "status_report")
            return f"+CDS: {len(msg.tpdu)}\r\n{msg.pdu_hex()}"
        return f"+CDS: {self._report_fields(r)}"

    def _report_fields(self, r: StatusReport) -> str:
        return (
            f'{r.first_octet},{r.mr},"{self._to_te(r.ra.number)}",{r.ra.toa},'
            f'"{r.scts.text()}","{r.dt.text()}",{r.st}'
        )

    # -- reading, listing, deleting ----------------------------------------------------------------
    def _render(self, msg: StoredSms, index: int | None) -> list[str]:
        """The +CMGR (index None) or +CMGL lines of one message."""
        prefix = "+CMGR: " if index is None else f"+CMGL: {index},"
        if self.cmgf == 0:
            return [f"{prefix}{msg.stat},,{len(msg.tpdu)}", msg.pdu_hex()]
        stat = f'"{STATUS_TEXT[msg.stat]}"'
        try:
            tp = decode(msg.tpdu, from_ms=msg.kind == "submit")
        except TpduError:
            return [f"{prefix}{stat},,{len(msg.tpdu)}", msg.pdu_hex()]
        sca = msg.sca
        sca_fields = f'"{self._to_te(sca.number if sca else "")}",{sca.toa if sca else 129}'
        if isinstance(tp, StatusReport):
            return [f"{prefix}{stat},{self._report_fields(tp)}"]
        if isinstance(tp, Deliver):
            head = f'{prefix}{stat},"{self._to_te(tp.oa.number)}",,"{tp.scts.text()}"'
            if self.csdh and index is None:
                head += (
                    f",{tp.oa.toa},{tp.first_octet},{tp.pid},{tp.ud.dcs},{sca_fields},"
                    f"{self._text_length(tp.ud)}"
                )
            elif self.csdh:  # +CMGL shows only <tooa>,<length> (TS 27.005 §3.4.2)
                head += f",{tp.oa.toa},{self._text_length(tp.ud)}"
            return [head, self._ud_for_te(tp.ud)]
        # SMS-SUBMIT: +CMGR has no <scts>; <vp> shows in the full header when relative
        if index is None:
            head = f'{prefix}{stat},"{self._to_te(tp.da.number)}",'
            if self.csdh:
                vp = str(tp.vp[0]) if tp.vpf == VPF_RELATIVE else ""
                head += (
                    f",{tp.da.toa},{tp.first_octet},{tp.pid},{tp.ud.dcs},{vp},{sca_fields},"
                    f"{self._text_length(tp.ud)}"
                )
        else:
            head = f'{prefix}{stat},"{self._to_te(tp.da.number)}",,'
            if self.csdh:
                head += f",{tp.da.toa},{self._text_length(tp.ud)}"
        return [head, self._ud_for_te(tp.ud)]

    @command("+CMGR", forms="ts", latency="sim", requires=(sms_sim_ready,))
    def cmgr_cmd(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.005 §3.4.3 read message <index> from <mem1>; a received unread one becomes read."""
        if cmd.form is Form.TEST:
            return None
        cmd.max_params(1)
        st = self.memory(self.mems[0])
        index = cmd.int(0, lo=0, hi=65535)
        msg = st.slots.get(index)
        if msg is None:
            return ctx.cms(CMS_INVALID_INDEX)
        ctx.info(*self._render(msg, None))
        if msg.stat == REC_UNREAD:
            msg.stat = REC_READ
        return None

    @command("+CMGL", forms="ets", latency="sim", requires=(sms_sim_ready,))
    def cmgl_cmd(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.005 §3.4.2 list messages of status <stat> (default: received unread) from
        <mem1>."""
        if cmd.form is Form.TEST:
            ctx.info(
                '+CMGL: ("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")'
                if self.cmgf
                else "+CMGL: (0-4)"
            )
            return None
        want = REC_UNREAD
        if cmd.form is Form.SET:
            cmd.max_params(1)
            if self.cmgf:
                text = cmd.str(0).upper()
                if text not in STATUS_TEXT:
                    return ctx.cms(CMS_INVALID_TEXT)
                want = STATUS_TEXT.index(text)
            else:
                want = cmd.int(0, lo=0, hi=4)
        st = self.memory(self.mems[0])
        for index in sorted(st.slots):
            msg = st.slots[index]
            if want == ALL or msg.stat == want:
                ctx.info(*self._render(msg, index))
                if msg.stat == REC_UNREAD:
                    msg.stat = REC_READ
        return None

    @command("+CMGD", forms="ts", latency="sim", requires=(sms_sim_ready,))
    def cmgd_cmd(self, ctx: Context, cmd: Command) -> Final | None:
        """TS 27.005 §3.5.4 delete <index>, or with <delflag> 1 read, 2 read and sent, 3 read,
        sent and unsent, 4 all messages of <mem1>. Freeing memory after a refusal sends RP-SMMA."""
        if cmd.form is Form.TEST:
            used = sorted(self.memory(self.mems[0]).slots)
            ctx.info(f"+CMGD: ({','.join(map(str, used))}),(0-4)")
            return None
        cmd.max_params(2)
        st = self.memory(self.mems[0])
        index = cmd.int(0, lo=0, hi=65535)
        flag = cmd.int(1, 0, lo=0, hi=4)
        if flag == 0:
            if not st.valid(index):
                return ctx.cms(CMS_INVALID_INDEX)
            st.slots.pop(index, None)
        else:
            doomed = {
                1: (REC_READ,),
                2: (REC_READ, STO_SENT),
                3: (REC_READ, STO_SENT, STO_UNSENT),
                4: (REC_UNREAD, REC_READ, STO_SENT, STO_UNSENT),
            }[flag]
            for i in [i for i, m in st.slots.items() if m.stat in doomed]:
                del st.slots[i]
        self._memory_freed()
        return None

    def _memory_freed(self) -> None:
        if self.memory_exceeded and not self.memory(self.mems[2]).full:
            self.memory_exceeded = False
            sms = self._service()
            if sms is not None:
                sms.memory_available()

    # -- writing and sending -----------------------------------------------------------------------
    def _prompt(self, ctx: Context) -> Any:
        return ctx.prompt(
            PromptSpec(prompt=PROMPT, terminator=CTRL_Z, cancel=ESC, max_len=2 * MAX_PDU_OCTETS + 8)
        )

    def _read_pdu(
        self, data: bytes, length: int, *, from_ms: bool
    ) -> tuple[Address | None, bytes, Any]:
        """(SC address, TPDU, decoded) of a hex PDU the TE typed; TpduError when wrong."""
        text = data.decode("latin-1").strip()
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise TpduError("not hexadecimal") from None
        sca, tpdu = split_sca(raw)
        if len(tpdu) != length:
            raise TpduError(f"<length> {length} but the TPDU has {len(tpdu)} octets")
        return sca, tpdu, decode(tpdu, from_ms=from_ms)

    def _text_submit(self, da: str, toda: int | None, body: str, mr: int = 0) -> Submit:
        """An SMS-SUBMIT from text-mode input and +CSMP (TS 27.005 §3.3.2, §3.5.1)."""
        fo, vp, pid, dcs = self.csmp
        address = Address.of(da, toda if toda not in (None, 129, 145) else None)
        if toda is not None and toda != address.toa and not address.alphanumeric:
            address = Address(address.number, toda)
        alphabet = dcs_alphabet(dcs)
        udhi = bool(fo & 0x40)
        if alphabet is Alphabet.GSM7 and not udhi:
            ud = UserData.build(self._from_te(body), Alphabet.GSM7, dcs=dcs)
        else:
            octets = bytes.fromhex(body.strip())
            if alphabet is Alphabet.GSM7:  # with a header: the TE gives the packed octets
                udl = (len(octets) * 8) // 7
                ud = UserData(dcs, udl, octets, True)
            else:
                ud = UserData(dcs, len(octets), octets, udhi)
        ud.check()
        vpf = (fo >> 3) & 0b11
        vp_octets = {
            VPF_NONE: b"",
            VPF_RELATIVE: bytes([vp]),
            VPF_ENHANCED: bytes(7),
            VPF_ABSOLUTE: bytes(7),
        }[vpf]
        if vpf in (VPF_ENHANCED, VPF_ABSOLUTE):
            vpf, vp_octets = VPF_RELATIVE, bytes([167])  # a time-string <vp> is not kept: 24 h
        return Submit(
            mr,
            address,
            ud,
            pid,
            vpf,
            vp_octets,
            srr=bool(fo & 0x20),
            rd=bool(fo & 0x04),
            rp=bool(fo & 0x80),
        )

    def _sc_address(self, given: Address | None) -> Address | None:
        if given is not None and given.number:
            return given
        if not self.sca[0]:
            return None
        return Address.of(self.sca[0], self.sca[1] if self.sca[1] in (129, 145) else None)

    def _send(
        self, ctx: Context, sca: Address | None, submit: Submit, answer: str
    ) -> Generator[Any, Any, Final | None]:
        """Send through the network; ``answer`` names the response (+CMGS / +CMSS)."""
        sms = self._service()
        if sms is None:
            return ctx.cms(CMS_NO_NETWORK)
        sc = self._sc_address(sca)
        if sc is None:
            return ctx.cms(CMS_SMSC_UNKNOWN)
        mr = self._next_mr()
        submit = Submit(
            mr,
            submit.da,
            submit.ud,
            submit.pid,
            submit.vpf,
            submit.vp,
            submit.srr,
            submit.rd,
            submit.rp,
        )
        keep = (
            self._cmms_now() > 0
            and self._last_send_end is not None
            and ctx.sim.now - self._last_send_end <= CMMS_KEEP
        )
        result = yield sms.submit(sc, submit, link_kept=keep)
        self._last_send_end = ctx.sim.now
        if not result.ok:
            return ctx.cms(result.cms)
        ctx.info(f"{answer}: {mr}")
        return None

    @command("+CMGS", forms="ts", latency="network", requires=(sms_sim_ready,))
    def cmgs_cmd(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """TS 27.005 §3.5.1 send message: PDU mode ``AT+CMGS=<length>`` then the PDU, text mode
        ``AT+CMGS=<da>[,<toda>]`` then the text; Ctrl-Z sends, ESC cancels."""
        if cmd.form is Form.TEST:
            return None
        if self.cmgf == 0:
            cmd.max_params(1)
            length = cmd.int(0, lo=1, hi=164)
        else:
            cmd.max_params(2)
            try:
                da = self._from_te(cmd.str(0, max_len=80))
            except AlphabetError:
                return ctx.cms(CMS_INVALID_TEXT)
            toda = cmd.int(1, 0, lo=0, hi=255) if cmd.has(1) else None
        got = yield self._prompt(ctx)
        if not got.sent:
            return None  # ESC: nothing sent, OK (SIM7600 V1.07 §4.2.9; TS 27.005 §3.5.1)
        try:
            if self.cmgf == 0:
                sca, _tpdu, submit = self._read_pdu(got.data, length, from_ms=True)
            else:
                sca, submit = None, self._text_submit(da, toda, got.data.decode("latin-1"))
        except (TpduError, AlphabetError, ValueError) as err:
            ctx.sim.record(self.module.name, "sms_bad_input", error=str(err))
            return ctx.cms(CMS_INVALID_PDU if self.cmgf == 0 else CMS_INVALID_TEXT)
        return (yield from self._send(ctx, sca, submit, "+CMGS"))

    @command("+CMGW", forms="ets", latency="sim", requires=(sms_sim_ready,))
    def cmgw_cmd(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """TS 27.005 §3.5.3 write message to <mem2>: ``+CMGW: <index>``; 322 when full."""
        if cmd.form is Form.TEST:
            return None
        st = self.memory(self.mems[1])
        if st.full:
            return ctx.cms(CMS_MEMORY_FULL)
        if self.cmgf == 0:
            if cmd.form is not Form.SET:
                return ctx.cms(CMS_INVALID_PDU)
            cmd.max_params(2)
            length = cmd.int(0, lo=1, hi=164)
            stat = cmd.int(1, STO_UNSENT, lo=0, hi=3)
        else:
            cmd.max_params(3)
            try:
                da = self._from_te(cmd.str(0, max_len=80)) if cmd.has(0) else ""
            except AlphabetError:
                return ctx.cms(CMS_INVALID_TEXT)
            toda = cmd.int(1, 0, lo=0, hi=255) if cmd.has(1) else None
            stat = STO_UNSENT
            if cmd.has(2):
                text = cmd.str(2).upper()
                if text not in STATUS_TEXT[:4]:
                    return ctx.cms(CMS_INVALID_TEXT)
                stat = STATUS_TEXT.index(text)
            if stat in (REC_UNREAD, REC_READ):
                return ctx.cms(
                    CMS_INVALID_TEXT
                )  # a received message cannot be composed in text mode
        got = yield self._prompt(ctx)
        if not got.sent:
            return None
        try:
            if self.cmgf == 0:
                sca, tpdu, tp = self._read_pdu(
                    got.data, length, from_ms=stat in (STO_UNSENT, STO_SENT)
                )
                kind = tp.kind
            else:
                sca, tp = None, self._text_submit(da, toda, got.data.decode("latin-1"))
                tpdu, kind = tp.encode(), "submit"
        except (TpduError, AlphabetError, ValueError) as err:
            ctx.sim.record(self.module.name, "sms_bad_input", error=str(err))
            return ctx.cms(CMS_INVALID_PDU if self.cmgf == 0 else CMS_INVALID_TEXT)
        index = st.put(StoredSms(stat, tpdu, sca, kind))
        if index is None:
            return ctx.cms(CMS_MEMORY_FULL)
        ctx.info(f"+CMGW: {index}")
        return None

    @command("+CMSS", forms="ts", latency="network", requires=(sms_sim_ready,))
    def cmss_cmd(self, ctx: Context, cmd: Command) -> Generator[Any, Any, Final | None]:
        """TS 27.005 §3.5.2 send message <index> from <mem2> (to <da> when given)."""
        if cmd.form is Form.TEST:
            return None
        cmd.max_params(3)
        index = cmd.int(0, lo=0, hi=65535)
        msg = self.memory(self.mems[1]).slots.get(index)
        if msg is None:
            return ctx.cms(CMS_INVALID_INDEX)
        if msg.kind != "submit":
            return ctx.cms(CMS_OPERATION_NOT_ALLOWED)
        submit = decode(msg.tpdu, from_ms=True)
        assert isinstance(submit, Submit)
        if cmd.has(1):
            try:
                da = self._from_te(cmd.str(1, max_len=80))
            except AlphabetError:
                return ctx.cms(CMS_INVALID_TEXT)
            toda = cmd.int(2, 0, lo=0, hi=255) if cmd.has(2) else None
            address = Address.of(da, toda if toda in (129, 145) else None)
            submit = Submit(
                submit.mr,
                address,
                submit.ud,
                submit.pid,
                submit.vpf,
                submit.vp,
                submit.srr,
                submit.rd,
                submit.rp,
            )
        final = yield from self._send(ctx, msg.sca, submit, "+CMSS")
        if final is None and msg.stat == STO_UNSENT:
            msg.stat = STO_SENT
        return final

    # -- USSD (TS 27.007 §7.15) --------------------------------------------------------------------
    @command("+CUSD", latency="network")
    def cusd_cmd(self, ctx: Context, cmd: Command) -> Final | None:
        """AT+CUSD=[<n>[,<str>[,<dcs>]]]: <n> 0/1 result code presentation, 2 cancel; a <str>
        is sent to the network and its answer comes as ``+CUSD: <m>[,<str>,<dcs>]``."""
        if cmd.form is Form.TEST:
            ctx.info("+CUSD: (0-2)")
            return None
        if cmd.form is Form.READ:
            ctx.info(f"+CUSD: {self.cusd_n}")
            return None
        if cmd.form is Form.EXEC:
            self.cusd_n = 0
            return None
        cmd.max_params(3)
        n = cmd.int(0, 0, lo=0, hi=2)
        sms = self._service()
        if n == 2:
            if sms is not None:
                sms.ussd_cancel()
            return None
        self.cusd_n = n
        if not cmd.has(1):
            return None
        try:
            text = self._from_te(cmd.str(1, max_len=182 * 4))
        except AlphabetError:
            return ctx.cme(50)
        dcs = cmd.int(2, 15, lo=0, hi=255)
        del dcs  # the answer is coded the network's way (15: GSM 7-bit, language unspecified)
        if sms is None or not sms.registered():
            return ctx.cme(30)  # TS 27.007 §9.2.1 no network service
        ev = sms.ussd_request(text)
        ev.callbacks.append(lambda e: self._ussd_answer(*e.value))
        return None

    def _ussd_answer(self, m: int, text: str) -> None:
        if self.cusd_n == 0 and m in (0, 1):
            return  # presentation disabled
        if m in (0, 1):
            self.module.urc(f'+CUSD: {m},"{self._to_te(text)}",15')
        else:
            self.module.urc(f"+CUSD: {m}")

    def _ussd_released(self, m: int, _text: str) -> None:
        self.module.urc(f"+CUSD: {m}")


def _gsm_ok(c: str) -> bool:
    try:
        gsm7_septets(c)
    except AlphabetError:
        return False
    return True


__all__ = ["GENERIC", "MessageStore", "SmsCommands", "SmsFormat", "StoredSms"]
