"""Bearers: SIM and registration, GPRS sessions with PDP contexts, GSM CSD calls, PPP.

Everything a module core (AT engine + dialect) needs below its socket API. Every procedure ends
in an :class:`Outcome` (vocabulary in ``docs/outcomes.md``); asynchronous procedures return SimPy
events whose value is that ``Outcome``, so a dialect handler can simply ``yield`` them::

    bearer = ModemBearer(sim, network, host, OperatorConfig(apn="internet"))
    bearer.gprs.define_context(1, "IP", "internet")
    outcome = yield bearer.gprs.activate(1)        # Outcome(kind="ok", ip=..., dns=(...))
    if outcome.kind == OutcomeKind.PDP_REJECT:
        ...                                        # outcome.cause is the TS 24.008 SM cause

Public API (module -> file):

- ``outcomes``: ``Outcome(kind, cause=None, detail="", ip=None, dns=(), rate=None, cid=None,
  peer_ip=None, at=None)``, ``OutcomeKind``.
- ``causes``: ``SM_CAUSES`` / ``GMM_CAUSES`` (TS 24.008 §10.5.6.6 / §10.5.5.14),
  ``validate_sm_cause(value, field)``.
- ``sim_card``: ``SimConfig``, ``SimCard`` (``.state``, ``.cpin``, ``enter_pin(pin)``,
  ``enter_puk(puk, new_pin)``, ``remove()``, ``insert()``, ``check() -> Outcome | None``,
  ``add_listener(fn(state))``).
- ``radio``: ``RegState`` (stat numbers 0..5 as +CREG/+CGREG/+CEREG report them), ``RadioConfig``,
  ``Radio`` (``.cs_state``, ``.ps_state``, ``stat(domain)``, ``csq() -> (rssi, ber)``,
  ``set_registration(state, domain)``, ``coverage_loss(duration)``, ``add_listener``).
- ``gprs``: ``PdpContext``, ``GprsTimers`` (T3380/T3390), ``GprsSession`` (``attach()``,
  ``detach()``, ``define_context(...)``, ``activate(cid)``, ``deactivate(cid)``,
  ``network_deactivate(cid, cause)``, ``drop_all(reason)``, ``add_listener``).
- ``operator``: ``OperatorConfig`` (what the network serves) with ``from_dict(d, field)``.
- ``profiles``: ``RadioProfile``, ``PROFILES`` (``gprs_class10``, ``edge``, ``lte_like``,
  ``csd_9600``), ``get_profile(name)``, ``profile.link_configs() -> (uplink, downlink)``.
- ``csd``: ``CsdConfig``, ``CsdService`` (``dial(number)``, ``answer()``, ``reject()``,
  ``hangup()``, ``incoming_call(caller_id)``, ``drop()``), ``CsdCall``.
- ``ppp``: sans-IO ``PppEndpoint`` (client/server roles, LCP/PAP/CHAP/IPCP/echo), ``PppConfig``,
  ``PppPeerFault``, HDLC ``encode_frame`` / ``HdlcDeframer`` / ``fcs16``, ``PppDriver`` (glue on
  the virtual clock), ``BytePipe``, ``PppSession`` and ``PcapWriter`` (DLT_PPP pcap via scapy).
- ``modem_bearer``: ``ModemBearer(sim, network, host, operator)`` tying it all together with
  fault hooks ``bearer_drop()``, ``pdp_reject(cause)``, ``pdp_silent()``, ``coverage_loss(d)``,
  ``sim_remove()``, ``call_fail(kind)``, ``ppp_fail(phase, mode)``, ``network_deactivate(cid)``.
"""

from simnet.bearer.causes import GMM_CAUSES, SM_CAUSES, validate_gmm_cause, validate_sm_cause
from simnet.bearer.csd import CallState, CsdCall, CsdService
from simnet.bearer.gprs import ContextState, GprsNetwork, GprsSession, PdpContext
from simnet.bearer.modem_bearer import GsmDataSession, ModemBearer
from simnet.bearer.operator import CsdConfig, GprsTimers, OperatorConfig
from simnet.bearer.outcomes import OK, PPP_FAILURE_KINDS, Outcome, OutcomeKind
from simnet.bearer.profiles import PROFILES, RadioProfile, get_profile
from simnet.bearer.radio import Radio, RadioConfig, RegState, ScheduledChange
from simnet.bearer.sim_card import SimCard, SimConfig, SimState

__all__ = [
    "GMM_CAUSES",
    "OK",
    "PPP_FAILURE_KINDS",
    "PROFILES",
    "SM_CAUSES",
    "CallState",
    "ContextState",
    "CsdCall",
    "CsdConfig",
    "CsdService",
    "GprsNetwork",
    "GprsSession",
    "GprsTimers",
    "GsmDataSession",
    "ModemBearer",
    "OperatorConfig",
    "Outcome",
    "OutcomeKind",
    "PdpContext",
    "Radio",
    "RadioConfig",
    "RadioProfile",
    "RegState",
    "ScheduledChange",
    "SimCard",
    "SimConfig",
    "SimState",
    "get_profile",
    "validate_gmm_cause",
    "validate_sm_cause",
]
