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
  peer_ip=None, at=None)`` (``.ok``, ``.stamped(t)``, ``.to_fields()``), ``OutcomeKind``.
- ``causes``: ``SM_CAUSES`` / ``GMM_CAUSES`` (TS 24.008 §10.5.6.6 / §10.5.5.14),
  ``validate_sm_cause(value, field)``, ``validate_gmm_cause(value, field)``.
- ``sim_card``: ``SimConfig`` (present, pin, puk, attempts, iccid, imsi, msisdn), ``SimCard``
  (``.state``, ``.cpin``, ``.ready``, ``enter_pin(pin)``, ``enter_puk(puk, new_pin)``,
  ``set_lock(enabled, pin)``, ``change_pin(old, new)``, ``remove()``, ``insert()``,
  ``check() -> Outcome | None``, ``add_listener(fn(state))``).
- ``radio``: ``RegState`` (``.stat`` 0..5 as +CREG/+CGREG/+CEREG report it), ``RadioConfig``,
  ``Radio`` (``.cs_state``, ``.ps_state``, ``.act``, ``.lac``, ``.ci``, ``stat(domain)``,
  ``registered(domain)``, ``csq() -> (rssi, ber)``, ``set_registration(state, domain)``,
  ``set_signal(rssi, ber)``, ``coverage_loss(duration)``, ``coverage_return()``,
  ``wait_registered(domain, timeout)``, ``add_listener(fn(domain, state))``).
- ``operator``: ``OperatorConfig`` (``from_dict(d, field)``), ``CsdConfig``, ``GprsTimers``.
- ``gprs``: ``GprsSession`` (``.attached``, ``.contexts``, ``is_active(cid)``, ``attach()``,
  ``detach()``, ``define_context(cid, pdp_type, apn, user=, password=, auth=)``,
  ``set_auth(cid, auth, user, password)``, ``activate(cid)``, ``deactivate(cid)``,
  ``network_deactivate(cid, cause)``, ``drop_all(detail)``, ``add_listener(fn(ctx, outcome))``),
  ``PdpContext``, ``GprsNetwork`` (the operator side; ``deactivation_silent``).
- ``profiles``: ``RadioProfile`` (``link_configs()``, ``link_dicts()``, ``apply(network,
  host_name)``), ``PROFILES`` (gprs_class10, edge, lte_like, csd_9600), ``get_profile(name)``.
- ``csd``: ``CsdService`` (``dial(number)``, ``answer()``, ``reject()``, ``hangup()``,
  ``incoming_call(caller_id)``, ``remote_hangup()``, ``drop()``, ``call_fail(kind, count)``,
  ``.call``, ``add_listener(fn(event, call, outcome))``), ``CsdCall`` (``module_end``).
- ``ppp``: sans-IO ``PppEndpoint`` (client/server roles), ``PppConfig``, ``PppFault``, HDLC
  ``encode_frame`` / ``HdlcDeframer`` / ``fcs16``, ``PppDriver`` (glue on the virtual clock),
  ``BytePipe``, ``PppSession``, ``PppCapture`` (DLT_PPP pcap via scapy).
- ``modem_bearer``: ``ModemBearer(sim, network, host, operator)`` with ``.sim_card``,
  ``.radio``, ``.gprs``, ``.gprs_network``, ``.csd``, ``.operator``, ``.profile``,
  ``use_profile(name)``, ``gsm_connect(number, username=, password=)``, ``gsm_disconnect()``,
  ``dialup(transmit, cid=1, auth="any")`` (ATD*99# PPP server towards the DTE: asks the DTE
  for CHAP/PAP and activates the context with those credentials unless +CGAUTH set some),
  ``add_link_listener``,
  ``write_pcap(path)`` and fault hooks ``bearer_drop(cause=None)``, ``pdp_reject(cause, count,
  duration)``, ``pdp_silent(count, duration)``, ``coverage_loss(duration)``, ``sim_remove()``,
  ``call_fail(kind, count)``, ``call_drop()``, ``ppp_fail(phase, mode, after, *, count,
  duration)`` / ``clear_ppp_fault()`` (network side of the dial-in server and of dial-up),
  ``network_deactivate(cid, cause)``.
"""

from simnet.bearer.causes import GMM_CAUSES, SM_CAUSES, validate_gmm_cause, validate_sm_cause
from simnet.bearer.csd import CallState, CsdCall, CsdService
from simnet.bearer.gprs import ContextState, GprsNetwork, GprsSession, PdpContext
from simnet.bearer.modem_bearer import DialupLink, GsmDataSession, ModemBearer
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
    "DialupLink",
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
