"""The bearer as a module sees it: the typed seam between ``simnet.modem`` and ``simnet.bearer``.

The module core, the base commands and the vendor dialects program against these Protocols,
never against attribute guesses. :class:`~simnet.bearer.modem_bearer.ModemBearer` satisfies
them (checked by mypy in ``make lint``), and so do the small fakes of the module-core tests
(``tests/modem/helpers.py``), which is what keeps those tests honest about the contract.

Services a bearer may lack are ``None``: a module without a packet service (``gprs``), without
circuit-switched data (``csd``, as on LTE-only modules) or without a dial-up PPP server
(``dialup``) answers the way a real module without them does.

Asynchronous procedures return SimPy events whose value is an :class:`Outcome`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from simnet.bearer.outcomes import Outcome

if TYPE_CHECKING:
    import simpy

    from simnet.bearer.csd import CsdCall
    from simnet.bearer.radio import RegState


class SimIdentity(Protocol):
    """What the card stores (TS 27.007 §5.6 +CIMI, +CCID, §7.1 +CNUM)."""

    @property
    def imsi(self) -> str: ...
    @property
    def iccid(self) -> str: ...
    @property
    def msisdn(self) -> str | None: ...
    @property
    def sms_records(self) -> int: ...


@runtime_checkable
class SimCardApi(Protocol):
    """The SIM: PIN/PUK state machine (``state`` is a :class:`~simnet.bearer.SimState` value:
    ``absent``, ``pin``, ``puk``, ``blocked``, ``ready``, ``off``)."""

    @property
    def state(self) -> str: ...
    @property
    def cpin(self) -> str | None: ...
    @property
    def ready(self) -> bool: ...
    @property
    def config(self) -> SimIdentity: ...
    @property
    def lock_enabled(self) -> bool: ...
    def enter_pin(self, pin: str) -> bool: ...
    def enter_puk(self, puk: str, new_pin: str) -> bool: ...
    def set_lock(self, enabled: bool, pin: str) -> bool: ...
    def change_pin(self, old: str, new: str) -> bool: ...


RegistrationListener = Callable[[str, "RegState"], None]


@runtime_checkable
class RadioApi(Protocol):
    """Registration of the CS (``"cs"``) and PS (``"ps"``) domains and the serving cell."""

    @property
    def act(self) -> int: ...
    @property
    def lac(self) -> str: ...
    @property
    def ci(self) -> str: ...
    def stat(self, domain: str) -> int: ...
    def registered(self, domain: str = "ps") -> bool: ...
    def csq(self) -> tuple[int, int]: ...
    def set_rf(self, on: bool) -> None: ...
    def add_listener(self, fn: RegistrationListener) -> None: ...


class PdpContextView(Protocol):
    """One defined PDP context as the module reads it."""

    @property
    def cid(self) -> int: ...
    @property
    def apn(self) -> str: ...
    @property
    def ip(self) -> str | None: ...
    @property
    def active(self) -> bool: ...


ContextListener = Callable[[PdpContextView, Outcome], None]


@runtime_checkable
class GprsApi(Protocol):
    """The packet domain: attach, context definitions and activation (TS 27.007 §10.1)."""

    @property
    def attached(self) -> bool: ...
    @property
    def contexts(self) -> Mapping[int, PdpContextView]: ...
    def is_active(self, cid: int) -> bool: ...
    def define_context(self, cid: int, pdp_type: str = "IP", apn: str = "", *, user: str = "",
                       password: str = "", auth: str | int = "none") -> object: ...
    def set_auth(self, cid: int, auth: str | int, user: str = "", password: str = "") -> object: ...
    def undefine_context(self, cid: int) -> bool: ...
    def attach(self) -> simpy.Event: ...
    def detach(self) -> simpy.Event: ...
    def activate(self, cid: int) -> simpy.Event: ...
    def deactivate(self, cid: int) -> simpy.Event: ...
    def add_listener(self, fn: ContextListener) -> None: ...


CallListener = Callable[[str, "CsdCall", "Outcome | None"], None]


@runtime_checkable
class CsdApi(Protocol):
    """Circuit-switched data calls (ATD<number>, ATA, RING)."""

    @property
    def call(self) -> CsdCall | None: ...
    def dial(self, number: str) -> simpy.Event: ...
    def answer(self) -> simpy.Event: ...
    def hangup(self) -> Outcome: ...
    def add_listener(self, fn: CallListener) -> None: ...


class DialupApi(Protocol):
    """A running dial-up PPP server (``ATD*99#``) fed with the host's bytes."""

    @property
    def finished(self) -> simpy.Event: ...
    def receive_bytes(self, data: bytes) -> None: ...
    def close(self) -> None: ...


class DialupServer(Protocol):
    """Starts the module's PPP server towards the host for PDP context ``cid``; ``room()``
    says how many bytes the module can still hold towards the host."""

    def __call__(self, transmit: Callable[[bytes], None], *, cid: int = 1, auth: str = "any",
                 room: Callable[[], int] | None = None) -> DialupApi: ...


class OperatorIdentity(Protocol):
    """The serving network's names (TS 27.007 §7.3 +COPS)."""

    @property
    def name(self) -> str: ...
    @property
    def short_name(self) -> str: ...
    @property
    def plmn(self) -> str: ...


class RadioAccessApi(Protocol):
    """The radio access technology in use (a :class:`~simnet.bearer.profiles.RadioProfile`)."""

    @property
    def act(self) -> int: ...
    @property
    def cpsi(self) -> str: ...
    @property
    def edrx_act(self) -> int | None: ...


class PowerSavingApi(Protocol):
    """What the network granted for PSM / eDRX (a :class:`~simnet.bearer.rrc.RadioLinkController`);
    ``listeners`` get ``"psm"`` or ``"edrx"`` when it answers a request."""

    @property
    def psm_granted(self) -> tuple[str, str] | None: ...
    @property
    def edrx_granted(self) -> str | None: ...
    @property
    def edrx_request(self) -> Mapping[int, str]: ...
    @property
    def ptw_granted(self) -> str | None: ...
    @property
    def listeners(self) -> list[Callable[[str], None]]: ...


@runtime_checkable
class SmsApi(Protocol):
    """Short messages and USSD through the operator (:class:`~simnet.bearer.sms.service.ModemSms`):
    ``submit`` events' values are ``SubmitResult`` (``cms`` None when accepted); ``receiver``
    is the module's hook for what arrives (None, or an RP cause such as 22 memory exceeded)."""

    receiver: Callable[[Any], int | None] | None
    ussd_listener: Callable[[int, str], None] | None

    @property
    def default_sca(self) -> Any: ...
    @property
    def smsc(self) -> Any: ...
    def registered(self) -> bool: ...
    def submit(self, sca: Any, submit: Any, *, link_kept: bool = False) -> simpy.Event: ...
    def memory_available(self) -> None: ...
    def ussd_request(self, text: str) -> simpy.Event: ...
    def ussd_cancel(self) -> None: ...


@runtime_checkable
class BearerApi(Protocol):
    """Everything below the module's AT engine except its IP host (a ``simnet.net.Host``)."""

    @property
    def sim_card(self) -> SimCardApi: ...
    @property
    def radio(self) -> RadioApi: ...
    @property
    def gprs(self) -> GprsApi | None: ...
    @property
    def csd(self) -> CsdApi | None: ...
    @property
    def dialup(self) -> DialupServer | None: ...
    @property
    def operator(self) -> OperatorIdentity | None: ...
    @property
    def profile(self) -> RadioAccessApi | None: ...
    @property
    def link_control(self) -> PowerSavingApi | None: ...
    @property
    def sms(self) -> SmsApi | None: ...
    def power_off(self) -> None: ...
    def power_on(self) -> None: ...
    def request_psm(self, enabled: bool, periodic_tau: str = "", active_time: str = "") -> None: ...
    def request_edrx(self, enabled: bool, act: int, value: str = "") -> None: ...


__all__ = [
    "BearerApi",
    "CallListener",
    "ContextListener",
    "CsdApi",
    "DialupApi",
    "DialupServer",
    "GprsApi",
    "OperatorIdentity",
    "PdpContextView",
    "PowerSavingApi",
    "RadioAccessApi",
    "RadioApi",
    "RegistrationListener",
    "SimCardApi",
    "SimIdentity",
    "SmsApi",
]
