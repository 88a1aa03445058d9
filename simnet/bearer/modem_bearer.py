"""``ModemBearer``: everything below one module's sockets, tied together, with fault hooks.

- ``.sim_card`` (SimCard), ``.radio`` (Radio), ``.gprs`` (GprsSession, PDP contexts) and
  ``.gprs_network`` (the operator side), ``.csd`` (CsdService), ``.operator`` (OperatorConfig),
- GSM data connections: ``gsm_connect(number, username, password)`` dials, runs PPP (module
  client) against the operator's dial-in server over the call, and brings the module host's
  interface up with the IPCP address; ``gsm_disconnect()``,
- ``ppp_capture``: every PPP frame of every GSM data session, for ``write_pcap(path)``,
- fault hooks used by scenarios: ``bearer_drop``, ``pdp_reject``, ``pdp_silent``,
  ``coverage_loss``, ``sim_remove``, ``call_fail``, ``call_drop``, ``ppp_fail``,
  ``network_deactivate``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import simpy

from simnet.bearer.causes import DEFAULT_NETWORK_DEACTIVATION_CAUSE, validate_sm_cause
from simnet.bearer.csd import CsdCall, CsdService
from simnet.bearer.gprs import GprsNetwork, GprsSession
from simnet.bearer.operator import GprsTimers, OperatorConfig, normalize_auth
from simnet.bearer.outcomes import Outcome, OutcomeKind
from simnet.bearer.ppp import FAULT_MODES, PppCapture, PppConfig, PppDriver, PppEndpoint, PppFault
from simnet.bearer.ppp.relay import IpRelay
from simnet.bearer.profiles import RadioProfile, get_profile
from simnet.bearer.radio import Radio
from simnet.bearer.rrc import RadioLinkController
from simnet.bearer.sim_card import SimCard
from simnet.bearer.sms.service import ModemSms
from simnet.bearer.sms.smsc import Smsc
from simnet.errors import ConfigError
from simnet.kernel import Simulation

# Scenario fault modes (simnet.scenario.schema PPP_MODES) onto the PPP engine's fault modes.
_PPP_MODE_ALIASES = {
    ("open", "silent"): "echo_silent",
    ("echo", "silent"): "echo_silent",
    ("echo", "terminate"): "terminate",
}

LinkListener = Callable[[Outcome], None]

DEFAULT_MSISDN = "+33600000001"  # the module's number in the network when the scenario names none


class GsmDataSession:
    """One GSM data connection: the CSD call and the two PPP drivers on it."""

    def __init__(self, call: CsdCall, client: PppDriver, server: PppDriver | None) -> None:
        self.call = call
        self.client = client
        self.server = server
        self.outcome: Outcome | None = None

    @property
    def established(self) -> bool:
        return self.client.endpoint.established


class DialupLink:
    """The module's side of a dial-up PPP link with the DTE (``ATD*99#``): a PPP server over
    the UART whose IPCP hands the DTE the address of PDP context ``cid``.

    Like SIMCom/Quectel modules towards pppd, the server asks the DTE to authenticate
    (``auth="any"``: CHAP-MD5 first, PAP if the DTE Naks towards it; a DTE that Configure-
    Rejects authentication is let in without) and accepts whatever credentials come: it cannot
    check them, the network does. When the network phase starts the context is activated with
    those credentials (unless +CGAUTH gave the context its own); IPCP is held until the
    activation ends (the DTE's IPCP requests are retransmitted meanwhile, as on real modules).
    A failed activation ends the link with its outcome. Feed UART bytes with
    ``receive_bytes``; ``result`` / ``ended`` / ``finished`` are the PPP server's events.

    Once IPCP is opened the module relays IP between the DTE and the context (``IpRelay``: the
    module host forwards instead of consuming). Losing the context (bearer drop, coverage
    loss, network deactivation) ends the link as modules do: LCP Terminate-Request to the
    DTE, then NO CARRIER at Link Dead.
    """

    def __init__(
        self,
        bearer: ModemBearer,
        transmit: Callable[[bytes], None],
        *,
        cid: int = 1,
        auth: str = "any",
        ppp: PppConfig | None = None,
        room: Callable[[], int] | None = None,
    ) -> None:
        self.bearer = bearer
        self.room = room
        self.cid = cid
        # The network side's misbehaviour (ppp_fail) reaches the DTE through this server.
        # Modules ask pppd for PFC/ACFC and grant them (SIMCom/Quectel LCP Configure-Requests),
        # and wait for the host's first LCP packet before sending theirs (passive).
        cfg = ppp or PppConfig(
            role="server",
            auth=auth,
            auth_optional=True,
            compression=True,
            passive=True,
            local_ip=bearer.operator.ppp_server_ip,
            fault=bearer._take_ppp_fault(),
        )
        name = f"{bearer.name}.dialup"
        self.name = name
        # The DTE's frames are captured here too: the DTE (pppd, a host driver) has no capture.
        self.driver = PppDriver(
            bearer.sim,
            PppEndpoint(cfg, bearer.sim.rng(f"{name}.magic"), name=name),
            transmit,
            name=name,
            capture=bearer.ppp_capture,
            capture_received=True,
        )
        self.driver.on_phase = self._on_phase
        self.driver.on_result = self._on_result
        self.driver.on_ended = self._on_ended
        self.activation: simpy.Event | None = None
        self.relay: IpRelay | None = None
        bearer.gprs.add_listener(self._on_context_lost)

    @property
    def result(self) -> simpy.Event:
        return self.driver.result

    @property
    def ended(self) -> simpy.Event:
        return self.driver.ended

    @property
    def finished(self) -> simpy.Event:
        """The link is dead (see ``PppDriver.finished``): the module may report NO CARRIER."""
        return self.driver.finished

    def receive_bytes(self, data: bytes) -> None:
        self.driver.receive_bytes(data)

    def start(self) -> DialupLink:
        self.driver.start()
        return self

    def _on_phase(self, phase: str) -> None:
        # The DTE's credentials are known once authentication is over: activate now.
        if phase == "network" and self.activation is None:
            endpoint = self.driver.endpoint
            self.activation = self.bearer.gprs.activate(self.cid, peer_auth=endpoint.peer_auth)
            self.bearer.sim.process(self._wait_activation(self.activation))

    def _wait_activation(self, activation: simpy.Event) -> Generator[Any, Any, None]:
        outcome = yield activation
        endpoint = self.driver.endpoint
        if endpoint.ended is not None:
            if outcome.ok and self.bearer.gprs.is_active(self.cid):
                self.bearer.gprs.deactivate(self.cid)  # nobody is left to use the address
            return
        if outcome.ok:
            endpoint.assign_address(outcome.ip, outcome.dns)
        else:
            endpoint.fail(outcome.kind, f"PDP context {self.cid}: {outcome.detail or outcome.kind}")
        self.driver._pump()

    def close(self) -> None:
        """Terminate the PPP link (the context stays active; deactivate it separately)."""
        self.driver.close()

    def _on_result(self, outcome: Outcome) -> None:
        host = self.bearer.host
        if outcome.ok and host is not None and outcome.peer_ip is not None:
            self.relay = IpRelay(
                self.bearer.sim, self.driver, host, outcome.peer_ip, name=self.name, room=self.room
            ).start()

    def _on_ended(self, outcome: Outcome) -> None:
        self.bearer.gprs.remove_listener(self._on_context_lost)
        if self.relay is not None:
            self.relay.stop(str(outcome.kind))

    def _on_context_lost(self, ctx: Any, outcome: Outcome) -> None:
        endpoint = self.driver.endpoint
        if ctx.cid != self.cid or self.activation is None or endpoint.ended is not None:
            return
        endpoint.fail(outcome.kind, f"PDP context {self.cid}: {outcome.detail or outcome.kind}")
        self.driver._pump()


class DialInCaller:
    """A remote GSM data client calling the module (a mobile-terminated data call): once the
    module answers, it runs PPP as client over the call and its own IP host (``host``, an
    ordinary ``simnet.net.Host`` whose interface is the PPP link) gets the address the module
    assigns. ``result`` fires with the PPP outcome, ``ended`` when the link ends; ``hangup()``
    closes PPP politely and releases the call."""

    def __init__(self, bearer: ModemBearer, call: CsdCall, ppp: PppConfig, name: str) -> None:
        from simnet.bearer.ppp.interface import PppInterface
        from simnet.net.host import Host

        self.bearer = bearer
        self.sim = bearer.sim
        self.call = call
        self.name = name
        self.host = Host(self.sim, name, None, network=None, kind="caller")
        self.driver = PppDriver(
            self.sim,
            PppEndpoint(ppp, self.sim.rng(f"{name}.ppp.magic"), name=f"{name}.ppp"),
            self._transmit,
            name=f"{name}.ppp",
            capture=bearer.ppp_capture,
        )
        self.interface = PppInterface(self.host, self.driver, name=f"{name}.ppp")
        self.driver.on_result = self._on_result
        self.driver.on_ended = self._on_ended
        self.driver.on_finished = self._on_finished
        self.outcome: Outcome | None = None
        bearer.csd.add_listener(self._on_call_event)

    @property
    def result(self) -> simpy.Event:
        return self.driver.result

    @property
    def ended(self) -> simpy.Event:
        return self.driver.ended

    def _transmit(self, data: bytes) -> None:
        end = self.call.network_end
        if end is not None and self.call.state == "connected":
            end.write(data)

    def _on_call_event(self, event: str, call: CsdCall, outcome: Outcome | None) -> None:
        if call is not self.call:
            return
        if event == "connected" and call.network_end is not None:
            call.network_end.on_data = self.driver.receive_bytes
            self.driver.start()
        elif event == "ended":
            self.driver.lower_down()
            self.interface.down("network_down")

    def _on_result(self, outcome: Outcome) -> None:
        self.outcome = outcome
        if outcome.ok and outcome.ip:
            self.interface.up(outcome.ip, outcome.dns)

    def _on_ended(self, outcome: Outcome) -> None:
        self.interface.down("local" if outcome.kind == OutcomeKind.OK else "network_down")

    def _on_finished(self, _outcome: Outcome) -> None:
        # the caller's side hangs up once its PPP link is dead
        self.sim.call_later(0, self._release)

    def _release(self) -> None:
        if self.bearer.csd.call is self.call:
            self.bearer.csd.remote_hangup()

    def hangup(self) -> None:
        """LCP Terminate-Request; the call is released at Link Dead."""
        self.driver.close()


class ModemBearer:
    """The bearer layer of one module (see the module docstring)."""

    def __init__(
        self,
        sim: Simulation,
        network: Any = None,
        host: Any = None,
        operator: OperatorConfig | None = None,
        *,
        name: str = "bearer",
        timers: GprsTimers | None = None,
        address_pool: Any = None,
        smsc: Smsc | None = None,
        msisdn: str | None = None,
    ) -> None:
        self.sim = sim
        self.network = network
        self.host = host
        self.operator = operator or OperatorConfig()
        self.name = name
        op = self.operator
        self.sim_card = SimCard(sim, op.sim, name=f"{name}.sim")
        self.radio = Radio(sim, self.sim_card, op.radio, name=f"{name}.radio")
        self.profile: RadioProfile = get_profile(op.profile_name)
        if op.radio.act == 0 and self.profile.act != 0:
            self.radio.act = self.profile.act
        dns_default = tuple(getattr(network, "dns_ips", ()) or ())
        self.gprs_network = GprsNetwork(
            sim,
            op,
            name=f"{name}.gprs",
            dns_default=dns_default,
            network=network,
            address_pool=address_pool,
        )
        self.gprs = GprsSession(
            sim,
            self.sim_card,
            self.radio,
            self.gprs_network,
            host,
            timers=timers or op.timers,
            name=f"{name}.gprs",
        )
        csd_profile = get_profile("csd_9600")
        self.csd = CsdService(
            sim,
            self.sim_card,
            self.radio,
            op.csd,
            name=f"{name}.csd",
            line_delay=(csd_profile.rtt_min + csd_profile.rtt_max) / 4,
        )
        self.ppp_capture = PppCapture()
        self.ppp_fault: PppFault | None = None  # applied to the network side of new PPP sessions
        self._ppp_fault_left: int | None = None  # negotiations it still applies to (None: all)
        self._ppp_fault_timer: Any = None  # ends a fault given a duration
        self.dialup_link: DialupLink | None = None  # the latest ATD*99# PPP server
        self._dial_in: tuple[CsdCall, IpRelay] | None = None  # DTE's IP over a GSM data call
        self.data_session: GsmDataSession | None = None
        self._link_listeners: list[LinkListener] = []
        self.csd.add_listener(self._on_call_event)
        # The radio link as RAN and core treat it (RRC, paging, PSM/eDRX, coverage gaps, energy)
        self.link_control: RadioLinkController | None = None
        if network is not None and host is not None and hasattr(network, "link"):
            duplex = network.link(host.name)
            self.link_control = RadioLinkController(
                sim,
                duplex.uplink,
                duplex.downlink,
                self.radio,
                lambda: self.profile,
                op.power_saving,
                name=f"{name}.rrc",
            )
            self.radio.add_listener(self._registration_for_rrc)
        # Short messages and USSD through the operator's SC (one per network: the world's, shared
        # by every module and host; a bearer built alone has its own).
        self.smsc = smsc if smsc is not None else Smsc(sim, op.sms, name=f"{name}.smsc")
        self.msisdn = msisdn or op.sim.msisdn or DEFAULT_MSISDN
        self.sms = ModemSms(
            sim,
            self.smsc,
            self.sim_card,
            self.radio,
            self.link_control,
            self.msisdn,
            name=f"{name}.sms",
        )

    # -- helpers -----------------------------------------------------------------------------
    def _done(self, outcome: Outcome) -> simpy.Event:
        ev = self.sim.event()
        ev.succeed(outcome.stamped(self.sim.now))
        return ev

    def _registration_for_rrc(self, domain: str, state: Any) -> None:
        if domain == "ps" and self.link_control is not None:
            self.link_control.on_registration(state.registered)

    def request_psm(self, enabled: bool, periodic_tau: str = "", active_time: str = "") -> None:
        """AT+CPSMS: ask the network for power saving mode (see ``RadioLinkController``)."""
        if self.link_control is not None:
            self.link_control.request_psm(enabled, periodic_tau, active_time)

    def request_edrx(self, enabled: bool, act: int, value: str = "") -> None:
        """AT+CEDRXS: ask the network for eDRX on access technology ``act``."""
        if self.link_control is not None:
            self.link_control.request_edrx(enabled, act, value)

    def energy(self) -> dict[str, float]:
        """Charge, energy, airtime, bytes on air and time per radio state so far."""
        if self.link_control is None:
            raise ConfigError("energy", "this bearer has no radio link (no network host)")
        return self.link_control.energy()

    def add_link_listener(self, fn: LinkListener) -> None:
        """``fn(outcome)`` when an established GSM data link ends without being asked to
        (peer_terminated, echo_timeout, network_lost, ...). A listener added twice (a module
        that restarted registers again) is called once."""
        if fn not in self._link_listeners:
            self._link_listeners.append(fn)

    def use_profile(self, name: str) -> RadioProfile:
        """Switch the module's radio links to profile ``name`` (rate and delay)."""
        profile = get_profile(name)
        if self.network is not None and self.host is not None and hasattr(self.network, "link"):
            profile.apply(self.network, self.host.name)
        self.profile = profile
        self.sim.record(self.name, "profile", profile=name)
        if self.link_control is not None:
            self.link_control.profile_changed()
        return profile

    def write_pcap(self, path: str, *, epoch: float = 0.0) -> int:
        """Every PPP frame of the GSM data sessions so far, as a DLT_PPP pcap."""
        return self.ppp_capture.write(path, epoch=epoch)

    # -- GSM data (CSD + PPP) ------------------------------------------------------------------
    def gsm_connect(
        self,
        number: str,
        *,
        username: str = "",
        password: str = "",
        auth: str | int = "any",
        ppp: PppConfig | None = None,
    ) -> simpy.Event:
        """Dial ``number``, negotiate PPP as client, bring the interface up. The event's value
        is an ``Outcome``: ok (ip, dns, rate), a call failure (busy, no_answer, no_carrier,
        not_registered, sim_*), or a PPP failure (lcp_timeout, auth_failed, ipcp_failed, ...)."""
        if self.data_session is not None:
            return self._done(
                Outcome(OutcomeKind.INVALID_STATE, detail="a GSM data session exists")
            )
        if ppp is None:
            client_auth = normalize_auth(auth, "gsm.auth")
            ppp = PppConfig(
                role="client",
                username=username,
                password=password,
                auth="any" if client_auth == "any" else client_auth,
            )
        ev = self.sim.event()
        self.sim.process(self._gsm_connect(number, ppp, ev))
        return ev

    def _gsm_connect(
        self, number: str, ppp: PppConfig, ev: simpy.Event
    ) -> Generator[Any, Any, None]:
        dial = self.csd.dial(number)
        outcome = yield dial
        if not outcome.ok:
            ev.succeed(outcome)
            return
        call = self.csd.call
        if call is None or call.pipe is None:
            ev.succeed(
                Outcome(OutcomeKind.NO_CARRIER, detail="call ended at connect").stamped(
                    self.sim.now
                )
            )
            return
        session = self._call_session(call, ppp, "client")
        client = session.client
        result = yield client.result
        if not result.ok:
            self._teardown(session, result)
            ev.succeed(result)
            return
        if self.host is not None:
            self.host.interface_up(result.ip, list(result.dns))
        if self.profile.name != "csd_9600":
            self.use_profile("csd_9600")
        client.on_ended = lambda out, s=session: self._link_ended(s, out)
        ev.succeed(
            Outcome(
                OutcomeKind.OK,
                ip=result.ip,
                dns=result.dns,
                rate=call.rate,
                peer_ip=result.peer_ip,
                detail="GSM data link up",
            ).stamped(self.sim.now)
        )

    def incoming_data_call(
        self, caller_id: str | None = "+33123456789", *, ppp: PppConfig | None = None
    ) -> CsdCall | None:
        """A GSM data call arrives from ``caller_id`` (None: no caller identity). ``ppp``: the
        caller's own PPP endpoint (a remote site dialling in; its role is the caller's, e.g. a
        client logging in with user and password), started when the module answers."""
        call = self.csd.incoming_call(caller_id)
        if call is not None and ppp is not None:
            call.far_end = ppp
        return call

    def gsm_answer(self, ppp: PppConfig) -> simpy.Event:
        """Answer the ringing data call and negotiate PPP in ``ppp``'s role over it. The event's
        value is an ``Outcome``: ok (``ip``: this end's address, ``peer_ip``), a call failure,
        or a PPP failure. The link is then held as the module's GSM data session."""
        if self.data_session is not None:
            return self._done(
                Outcome(OutcomeKind.INVALID_STATE, detail="a GSM data session exists")
            )
        ev = self.sim.event()
        self.sim.process(self._gsm_answer(ppp, ev))
        return ev

    def _gsm_answer(self, ppp: PppConfig, ev: simpy.Event) -> Generator[Any, Any, None]:
        outcome = yield self.csd.answer()
        call = self.csd.call
        if not outcome.ok or call is None or call.pipe is None:
            ev.succeed(
                outcome
                if not outcome.ok
                else Outcome(OutcomeKind.NO_CARRIER, detail="call ended at connect").stamped(
                    self.sim.now
                )
            )
            return
        session = self._call_session(call, ppp, "answer")
        local = session.client
        result = yield local.result
        if not result.ok:
            self._teardown(session, result)
            ev.succeed(result)
            return
        local.on_ended = lambda out, s=session: self._link_ended(s, out)
        ip = result.ip if ppp.role == "client" else ppp.local_ip
        peer = result.peer_ip if ppp.role == "client" else ppp.peer_ip
        ev.succeed(
            Outcome(
                OutcomeKind.OK,
                ip=ip,
                peer_ip=peer,
                dns=result.dns,
                rate=call.rate,
                detail="incoming GSM data link up",
            ).stamped(self.sim.now)
        )

    def _call_session(self, call: CsdCall, ppp: PppConfig, role: str) -> GsmDataSession:
        """The module's PPP endpoint on a connected call's line, started, held as the GSM
        data session (its ``client`` whatever its PPP role)."""
        assert call.pipe is not None
        local = PppDriver(
            self.sim,
            PppEndpoint(
                ppp, self.sim.rng(f"{self.name}.ppp.{role}"), name=f"{self.name}.ppp.{role}"
            ),
            call.pipe.a.write,
            name=f"{self.name}.ppp.{role}",
            capture=self.ppp_capture,
        )
        call.pipe.a.on_data = local.receive_bytes
        if isinstance(call.far_end, PppDriver) and role == "client":
            call.far_end.capture_received = False  # this client captures what it sends itself
        far_end = call.far_end if isinstance(call.far_end, PppDriver) else None
        session = GsmDataSession(call, local, far_end)
        self.data_session = session
        local.start()
        return session

    def _link_ended(self, session: GsmDataSession, outcome: Outcome) -> None:
        if self.data_session is not session:
            return
        self._teardown(session, outcome)
        if outcome.kind != OutcomeKind.OK:  # a local close is not news to the caller
            for fn in list(self._link_listeners):
                fn(outcome)

    def _teardown(self, session: GsmDataSession, outcome: Outcome) -> None:
        session.outcome = outcome
        if self.data_session is session:
            self.data_session = None
        if (
            self.host is not None
            and getattr(self.host, "ip", None) is not None
            and self.gprs.bound_cid is None
        ):
            self.host.interface_down("local" if outcome.kind == OutcomeKind.OK else "network_down")
        if self.profile.name != self.operator.profile_name:
            self.use_profile(self.operator.profile_name)  # back to the packet-radio profile
        # let the Terminate exchange finish, then hang up: at Link Dead (RFC 1661: Terminate-Ack
        # received, Max-Terminate x Restart run out, or one Restart after acking the peer's)
        client = session.client
        if client.finished.triggered:
            self.sim.call_later(0, self._hang_up_call, session.call)
        else:
            call = session.call

            def hang_up(_outcome: Outcome) -> None:
                self.sim.call_later(0, self._hang_up_call, call)

            client.on_finished = hang_up

    def _hang_up_call(self, call: CsdCall) -> None:
        if self.csd.call is call:
            self.csd.hangup()

    def gsm_disconnect(self) -> simpy.Event:
        """Close the PPP link (Terminate-Request) and hang up; ``ok`` when the call is gone."""
        session = self.data_session
        if session is None:
            return self._done(Outcome(OutcomeKind.OK, detail="no GSM data session"))
        ev = self.sim.event()

        def proc() -> Generator[Any, Any, None]:
            session.client.close()
            cfg = session.client.endpoint.config
            yield self.sim.timeout(0)
            # wait for the peer's Terminate-Ack (or Max-Terminate restart timeouts)
            deadline = self.sim.timeout(cfg.restart * cfg.max_terminate)
            while session.client.endpoint.lcp.state.name not in ("CLOSED", "STOPPED", "INITIAL"):
                tick = self.sim.timeout(0.05)
                result = yield tick | deadline
                if deadline in result:
                    break
            if self.data_session is session:
                self._teardown(session, Outcome(OutcomeKind.OK, detail="closed locally"))
            if self.csd.call is session.call:
                self.csd.hangup()
            ev.succeed(Outcome(OutcomeKind.OK, detail="GSM data link closed").stamped(self.sim.now))

        self.sim.process(proc())
        return ev

    def _server_config(self) -> PppConfig:
        op = self.operator
        peer_ip = self.gprs_network._allocate() or "10.64.255.254"
        return PppConfig(
            role="server",
            auth=op.auth if op.auth != "none" or not op.user else "pap",
            credentials=((op.user, op.password),) if op.user else None,
            local_ip=op.ppp_server_ip,
            peer_ip=peer_ip,
            dns=self.gprs_network.dns[:2],
            fault=self._take_ppp_fault(),
        )

    def _on_call_event(self, event: str, call: CsdCall, outcome: Outcome | None) -> None:
        if (
            event == "connected"
            and call.direction == "mo"
            and self.operator.csd.ppp_server
            and call.pipe
        ):
            # The far end of the call is the operator's dial-in PPP server.
            server = PppDriver(
                self.sim,
                PppEndpoint(
                    self._server_config(),
                    self.sim.rng(f"{self.name}.ppp.server"),
                    name=f"{self.name}.ppp.server",
                ),
                call.pipe.b.write,
                name=f"{self.name}.ppp.server",
                capture=self.ppp_capture,
                capture_received=True,
            )  # the DTE's frames (gsm_connect captures its own)
            call.pipe.b.on_data = server.receive_bytes
            call.far_end = server

            def release(_outcome: Outcome, c: CsdCall = call) -> None:
                # An ISP's access server releases the call once its PPP link is dead.
                self.sim.call_later(0, self._release_call, c)

            server.on_finished = release
            server.on_result = lambda outcome, c=call, srv=server: self._dial_in_up(c, srv, outcome)
            server.start()
        elif (
            event == "connected"
            and call.direction == "mt"
            and isinstance(call.far_end, PppConfig)
            and call.pipe
        ):
            # the caller's PPP endpoint (incoming_data_call) starts once the call is answered
            caller = PppDriver(
                self.sim,
                PppEndpoint(
                    call.far_end,
                    self.sim.rng(f"{self.name}.ppp.caller"),
                    name=f"{self.name}.ppp.caller",
                ),
                call.pipe.b.write,
                name=f"{self.name}.ppp.caller",
            )
            call.pipe.b.on_data = caller.receive_bytes
            call.far_end = caller
            caller.start()
        elif event == "ended":
            session = self.data_session
            far = call.far_end
            self._dial_in_down(call)
            if isinstance(far, PppDriver):
                server = far
                self.gprs_network.release(server.endpoint.config.peer_ip)
                server.lower_down()
            if session is not None and session.call is call:
                session.client.lower_down()  # carrier lost: ends NETWORK_LOST via on_ended

    def _dial_in_up(self, call: CsdCall, server: PppDriver, outcome: Outcome) -> None:
        """The access server's IPCP is up. When the DTE itself runs PPP over the call (ATD<number>
        in data mode, not the module's own ``gsm_connect``), the server routes the DTE's IP
        into the operator network from its own port: a host behind the carrier NAT holding the
        address IPCP gave, with no radio link (the call's pipe is the line)."""
        session = self.data_session
        if (
            not outcome.ok
            or outcome.peer_ip is None
            or self.network is None
            or (session is not None and session.call is call)
        ):
            return
        name = f"{self.host.name if self.host is not None else self.name}-dialin"
        try:
            port = self.network.host(name)
        except ConfigError:
            port = self.network.add_module_host(name, {}, {})
        port.interface_up(outcome.peer_ip, list(outcome.dns))
        relay = IpRelay(self.sim, server, port, outcome.peer_ip, name=f"{self.name}.dialin").start()
        self._dial_in = (call, relay)
        server.on_ended = lambda out, c=call: self._dial_in_down(c, str(out.kind))

    def _dial_in_down(self, call: CsdCall, reason: str = "call ended") -> None:
        current = self._dial_in
        if current is None or current[0] is not call:
            return
        self._dial_in = None
        relay = current[1]
        relay.stop(reason)
        relay.host.interface_down("network_down")

    def _release_call(self, call: CsdCall) -> None:
        if self.csd.call is call:
            self.sim.record(self.name, "call_released", reason="dial-in PPP link ended")
            self.csd.remote_hangup()

    def dial_in_caller(
        self,
        caller_id: str | None = "+33123456789",
        *,
        username: str = "",
        password: str = "",
        auth: str = "any",
        name: str = "caller",
    ) -> DialInCaller | None:
        """A remote GSM data client with an IP host of its own calls the module (RING, caller
        id); if the module answers, the caller runs PPP with ``username`` / ``password`` and its
        host gets the address the module assigns (see ``DialInCaller``; ``incoming_data_call``
        is the same call with a bare PPP endpoint). None when the module cannot take a call."""
        call = self.incoming_data_call(caller_id)
        if call is None:
            return None
        ppp = PppConfig(
            role="client",
            username=username,
            password=password,
            auth=normalize_auth(auth, "dial_in.auth"),
        )
        return DialInCaller(self, call, ppp, name)

    def dialup(
        self,
        transmit: Callable[[bytes], None],
        *,
        cid: int = 1,
        auth: str = "any",
        room: Callable[[], int] | None = None,
    ) -> DialupLink:
        """Start a dial-up PPP server towards the DTE for ``ATD*99#`` (see ``DialupLink``);
        ``auth="none"`` does not ask the DTE to authenticate. ``room()``: bytes the module can
        still buffer towards the DTE; a datagram from the network that does not fit is
        dropped whole (a module drops packets, not pieces of frames)."""
        self.dialup_link = DialupLink(self, transmit, cid=cid, auth=auth, room=room).start()
        return self.dialup_link

    # -- faults --------------------------------------------------------------------------------
    def bearer_drop(self, cause: int | None = None) -> None:
        """The bearer is torn down: PDP contexts end (``network_lost``; with an SM ``cause``,
        a network-initiated deactivation ``deactivated``) and any data call drops."""
        self.sim.record(self.name, "fault", fault="bearer_drop", cause=cause)
        if cause is not None:
            validate_sm_cause(cause, "bearer_drop.cause")
            self.gprs.network_deactivate(None, cause)
        else:
            self.gprs.drop_all(detail="bearer dropped")
        if self.csd.call is not None:
            self.csd.drop("bearer dropped")

    def network_deactivate(
        self, cid: int | None = None, cause: int = DEFAULT_NETWORK_DEACTIVATION_CAUSE
    ) -> list[int]:
        self.sim.record(self.name, "fault", fault="network_deactivate", cid=cid, cause=cause)
        return self.gprs.network_deactivate(cid, cause)

    def pdp_reject(
        self, cause: int = 31, count: int | None = None, duration: float | None = None
    ) -> None:
        """Reject the next ``count`` activations (None: all) for ``duration`` s (None: ever)."""
        validate_sm_cause(cause, "pdp_reject.cause")
        self._check_count_duration("pdp_reject", count, duration)
        self.sim.record(
            self.name, "fault", fault="pdp_reject", cause=cause, count=count, duration=duration
        )
        self.gprs_network.push_override("reject", cause, count, duration)

    def pdp_silent(self, count: int | None = None, duration: float | None = None) -> None:
        """Ignore the next ``count`` activation procedures (None: all) for ``duration`` s."""
        self._check_count_duration("pdp_silent", count, duration)
        self.sim.record(self.name, "fault", fault="pdp_silent", count=count, duration=duration)
        self.gprs_network.push_override("silent", None, count, duration)

    @staticmethod
    def _check_count_duration(what: str, count: object, duration: object) -> None:
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 1
        ):
            raise ConfigError(f"{what}.count", f"expected a positive integer, got {count!r}")
        if duration is not None and (
            isinstance(duration, bool) or not isinstance(duration, int | float) or duration < 0
        ):
            raise ConfigError(
                f"{what}.duration", f"expected a non-negative duration, got {duration!r}"
            )

    def power_off(self) -> None:
        """The module is switched off or restarts: the SIM is no longer read and the RF is
        off, so PDP contexts end (the host interface goes down, sockets abort) and a data call
        drops. Nothing of it is reported: the module is not there to report it."""
        self.sim.record(self.name, "power", on=False)
        if self.csd.call is not None:
            self.csd.drop("module power off")
        self.radio.set_rf(False)
        self.sim_card.power_off()
        self.gprs.drop_all(detail="module power off")

    def power_on(self) -> None:
        """The module has booted and read the SIM: RF on, registration starts afresh (after
        ``registration_delay``), the packet domain attaches automatically as on any fresh
        module."""
        self.sim.record(self.name, "power", on=True)
        self.gprs._attach_wanted = True
        self.sim_card.power_on()
        self.radio.set_rf(True)

    def coverage_loss(self, duration: float | None = None) -> None:
        """Coverage goes for ``duration`` s (None: for good). Short gaps keep the registration
        and contexts (radio link failure, re-establishment, data held); gaps past the profile's
        thresholds lose them (``RadioLinkController.coverage_gap``)."""
        if self.link_control is not None:
            self.link_control.coverage_gap(duration)
        else:
            self.radio.coverage_loss(duration)

    def sim_remove(self) -> None:
        self.sim_card.remove()

    def call_fail(self, kind: str, count: int | None = 1) -> None:
        self.sim.record(self.name, "fault", fault="call_fail", outcome=kind, count=count)
        self.csd.call_fail(kind, count)

    def call_drop(self) -> None:
        self.csd.drop()

    def ppp_fail(
        self,
        phase: str,
        mode: str = "silent",
        after: float = 0.0,
        *,
        count: int | None = None,
        duration: float | None = None,
    ) -> PppFault:
        """The network side of PPP misbehaves in ``phase`` (lcp, auth, ipcp, open) per ``mode``
        (see ``PppFault``) from the next negotiation on: the operator's dial-in server on a GSM
        data call, and the module's own PPP server towards the DTE on ``ATD*99#`` (the network
        behind it fails, the module passes it on). ``count``: only the next ``count`` PPP
        negotiations (None: all); ``duration``: only negotiations starting within that many
        seconds (None: until ``clear_ppp_fault``). A link that took the fault keeps it until
        it ends. A live link still negotiating picks the fault up too (and counts); ``open``
        faults also hit an established link."""
        mode = _PPP_MODE_ALIASES.get((phase, mode), mode)
        if phase == "echo":
            phase = "open"
        if phase not in FAULT_MODES:
            raise ConfigError(
                "ppp_fail.phase", f"unknown phase {phase!r} (allowed: {', '.join(FAULT_MODES)})"
            )
        self._check_count_duration("ppp_fail", count, duration)
        fault = PppFault(phase, mode, after)
        self._end_ppp_fault(live=False)  # a new ppp_fail replaces the previous one
        self.ppp_fault = fault
        self._ppp_fault_left = count
        if duration is not None:
            self._ppp_fault_timer = self.sim.call_later(duration, self._ppp_fault_expired, fault)
        self.sim.record(
            self.name,
            "fault",
            fault="ppp_fail",
            phase=phase,
            mode=mode,
            count=count,
            duration=duration,
        )
        for driver, established in self._live_network_side_drivers():
            if established and phase != "open":
                continue  # that phase is over on this link
            taken = self._take_ppp_fault()
            if taken is None:
                break
            driver.endpoint.set_fault(taken)
            if phase == "open" and mode == "terminate" and established:
                self.sim.call_later(after, self._server_terminate, driver)
        return fault

    def _live_network_side_drivers(self) -> list[tuple[PppDriver, bool]]:
        """PPP drivers playing the network's side that are still alive, with 'established'."""
        out: list[tuple[PppDriver, bool]] = []
        call = self.csd.call
        server = call.far_end if call is not None else None
        if isinstance(server, PppDriver) and server.endpoint.ended is None:
            out.append((server, server.endpoint.established))
        link = self.dialup_link
        if link is not None and link.driver.endpoint.ended is None:
            out.append((link.driver, link.driver.endpoint.established))
        return out

    def _take_ppp_fault(self) -> PppFault | None:
        """The fault for one PPP negotiation starting now (counts it against ``count``)."""
        fault = self.ppp_fault
        if fault is None:
            return None
        if self._ppp_fault_left is not None:
            self._ppp_fault_left -= 1
            if self._ppp_fault_left <= 0:
                self._end_ppp_fault(live=False)  # this negotiation is the last one it hits
        return fault

    def _ppp_fault_expired(self, fault: PppFault) -> None:
        if self.ppp_fault is fault:
            self._ppp_fault_timer = None
            self.sim.record(self.name, "fault_end", fault="ppp_fail")
            self._end_ppp_fault(live=False)

    def _end_ppp_fault(self, *, live: bool) -> None:
        fault = self.ppp_fault
        self.ppp_fault = None
        self._ppp_fault_left = None
        if self._ppp_fault_timer is not None:
            self._ppp_fault_timer.cancel()
            self._ppp_fault_timer = None
        if live and fault is not None:
            for driver, _ in self._live_network_side_drivers():
                if driver.endpoint.fault is fault:
                    driver.endpoint.set_fault(None)
                    driver._pump()

    def _server_terminate(self, server: PppDriver) -> None:
        if server.endpoint.ended is not None:
            return
        server.endpoint.fault = PppFault("open", "terminate")
        server.endpoint._fault_terminate()
        server._pump()

    def clear_ppp_fault(self, *, live: bool = False) -> None:
        """End the ``ppp_fail`` fault for negotiations that start from now on; ``live=True``
        also lifts it from links already under way (a held-back layer then starts)."""
        self._end_ppp_fault(live=live)
