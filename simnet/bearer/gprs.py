"""GPRS session: attach/detach, PDP context definitions, activation and deactivation.

The module side (``GprsSession``) runs the TS 24.008 §6.1.3 session-management procedures with
their timers; the network side (``GprsNetwork``) decides, per procedure, whether it accepts
(address and DNS from the operator's pool), rejects with an SM cause, or stays silent. A silent
network is not a scripted delay: the module retransmits ACTIVATE PDP CONTEXT REQUEST on every
T3380 expiry and gives up on expiry number N+1 (``pdp_timeout``).

Activation and deactivation return SimPy events whose value is an ``Outcome``. Unsolicited
changes (network-initiated deactivation, bearer loss) go to listeners ``fn(context, outcome)``
after the module host's interface has gone down, so sockets above have already seen
``network_down``.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import simpy

from simnet.bearer.causes import DEFAULT_NETWORK_DEACTIVATION_CAUSE, SM_CAUSES, validate_sm_cause
from simnet.bearer.operator import PDP_TYPES, GprsTimers, OperatorConfig, normalize_auth
from simnet.bearer.outcomes import Outcome, OutcomeKind
from simnet.bearer.ppp.endpoint import PeerAuth
from simnet.bearer.radio import Radio, RegState
from simnet.bearer.sim_card import SimCard, SimState
from simnet.errors import ConfigError
from simnet.kernel import Simulation, make_distribution

MAX_CID = 24  # the largest cid any of the emulated modules accepts (Fibocom +MIPCALL 1..24)


class ContextState(StrEnum):
    INACTIVE = "inactive"
    ACTIVATING = "activating"
    ACTIVE = "active"
    DEACTIVATING = "deactivating"


@dataclass
class PdpContext:
    """One PDP context definition (+CGDCONT / +CGAUTH) and its state."""

    cid: int
    pdp_type: str = "IP"
    apn: str = ""
    user: str = ""
    password: str = ""
    auth: str = "none"
    # CHAP as the TE did it over PPP (Identifier, Challenge, Response): the network checks the
    # response against the subscriber's secret (TS 24.008 §10.5.6.3 PCO, RFC 1994 §4.1)
    chap: tuple[int, bytes, bytes] | None = None
    state: ContextState = ContextState.INACTIVE
    ip: str | None = None
    dns: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.state == ContextState.ACTIVE

    @property
    def has_own_credentials(self) -> bool:
        """+CGAUTH (or the context definition) set a protocol or a user/password."""
        return self.auth != "none" or bool(self.user) or bool(self.password)

    def with_peer_auth(self, auth: PeerAuth) -> PdpContext:
        """A copy carrying the credentials a PPP peer (the TE on ATD*99#) authenticated with."""
        if auth.protocol == "chap":
            return replace(self, user=auth.user, password="", auth="chap",
                           chap=(auth.chap_ident, auth.challenge, auth.response))
        return replace(self, user=auth.user, password=auth.password, auth="pap", chap=None)


Listener = Callable[[PdpContext, Outcome], None]


@dataclass
class _Override:
    """A temporary network behaviour set by a fault (pdp_reject / pdp_silent)."""

    mode: str  # "reject" or "silent"
    cause: int | None
    remaining: int | None  # procedures still affected (None: unlimited)
    until: float | None  # virtual time it ends (None: never)


class GprsNetwork:
    """The operator's SGSN/GGSN as far as one module sees it."""

    def __init__(self, sim: Simulation, operator: OperatorConfig, *, name: str = "gprs",
                 dns_default: tuple[str, ...] = (), network: Any = None,
                 address_pool: AddressPool | None = None) -> None:
        self.sim = sim
        self.net = network  # simnet.net.Network: its own addresses are never handed out
        self.operator = operator
        self.name = name
        self.dns = operator.dns or dns_default
        self._activation_delay = make_distribution_or(
            operator.activation_delay, "network.activation_delay"
        )
        self._deactivation_delay = make_distribution_or(
            operator.deactivation_delay, "network.deactivation_delay"
        )
        self._attach_delay = make_distribution_or(operator.attach_delay, "network.attach_delay")
        self._rng_act = sim.rng(f"{name}.pdp.activation_delay")
        self._rng_deact = sim.rng(f"{name}.pdp.deactivation_delay")
        self._rng_attach = sim.rng(f"{name}.attach_delay")
        pool = ipaddress.IPv4Network(operator.ip_pool)
        self._pool_base = int(pool.network_address)
        self._pool_size = pool.num_addresses
        self._reserved = {
            str(pool.network_address),
            str(pool.broadcast_address),
            operator.ppp_server_ip,
        }
        # Shared by every subscriber of the operator (a fleet), else this module's own.
        self.pool = address_pool if address_pool is not None else AddressPool()
        self.overrides: list[_Override] = []
        self.deactivation_silent = False

    # -- faults ------------------------------------------------------------------------------
    def push_override(
        self, mode: str, cause: int | None, count: int | None, duration: float | None
    ) -> None:
        until = None if duration is None else self.sim.now + duration
        self.overrides.append(_Override(mode, cause, count, until))

    def _current_override(self) -> _Override | None:
        now = self.sim.now
        self.overrides = [
            o
            for o in self.overrides
            if (o.remaining is None or o.remaining > 0) and (o.until is None or o.until > now)
        ]
        return self.overrides[-1] if self.overrides else None

    # -- decisions ---------------------------------------------------------------------------
    def attach_decision(self) -> tuple[float, int | None]:
        """(delay, GMM reject cause or None)."""
        return self._attach_delay.sample(self._rng_attach), self.operator.attach_reject_cause

    def activation_decision(self, ctx: PdpContext, active_count: int) -> tuple[str, float, Any]:
        """("accept", delay, (ip, dns)) | ("reject", delay, cause) | ("silent", 0, None).

        Decided once per procedure, when the first request arrives.
        """
        op = self.operator
        override = self._current_override()
        if override is not None:
            if override.remaining is not None:
                override.remaining -= 1
            if override.mode == "silent":
                return ("silent", 0.0, None)
            return ("reject", self._activation_delay.sample(self._rng_act), override.cause)
        if op.silent:
            return ("silent", 0.0, None)
        delay = self._activation_delay.sample(self._rng_act)
        if op.reject_cause is not None:
            return ("reject", delay, op.reject_cause)
        if not op.serves_apn(ctx.apn):
            return ("reject", delay, 27)  # #27 missing or unknown APN
        if not self._credentials_ok(ctx):
            return ("reject", delay, 29)  # #29 user authentication failed
        if active_count >= op.max_active_contexts:
            return ("reject", delay, 65)  # #65 maximum number of PDP contexts reached
        ip = self._allocate()
        if ip is None:
            return ("reject", delay, 26)  # #26 insufficient resources (pool exhausted)
        return ("accept", delay, (ip, self.dns))

    def _credentials_ok(self, ctx: PdpContext) -> bool:
        op = self.operator
        if op.auth == "none" and not op.user:
            return True  # the operator does not check credentials
        if ctx.chap is not None:
            ident, challenge, response = ctx.chap
            expected = hashlib.md5(
                bytes((ident & 0xFF,)) + op.password.encode() + challenge
            ).digest()
            if ctx.user != op.user or response != expected:
                return False
        elif ctx.user != op.user or ctx.password != op.password:
            return False
        if op.auth == "none" or ctx.chap is not None:
            # A CHAP response that verifies against the subscriber's secret is accepted on a PAP
            # APN too: the network (RADIUS, RFC 2865 §5.3 CHAP-Password) holds the secret, and a
            # module relaying pppd's CHAP cannot turn it into PAP.
            return True
        # PAP/CHAP-protected APN: the context must offer the operator's protocol
        return ctx.auth in (op.auth, "any")

    def deactivation_delay(self) -> float | None:
        """Delay of DEACTIVATE PDP CONTEXT ACCEPT, or None when the network stays silent."""
        if self.deactivation_silent:
            return None
        return self._deactivation_delay.sample(self._rng_deact)

    # -- address pool ------------------------------------------------------------------------
    def _allocate(self) -> str | None:
        # Round robin through the pool, as GGSNs do, so a released address is not reused at once
        taken = set(self._reserved) | set(self.dns)
        net = self.net
        if net is not None:
            taken.add(str(getattr(net, "core_ip", "")))
            taken.update(str(ip) for ip in getattr(net, "dns_ips", ()))
        in_use = getattr(net, "address_in_use", None)
        if in_use is None and net is not None:
            taken.update(str(h.ip) for h in getattr(net, "hosts", {}).values() if h.ip)
        pool = self.pool
        for _ in range(self._pool_size):
            offset = pool.next
            pool.next = pool.next + 1 if pool.next + 1 < self._pool_size else 1
            ip = str(ipaddress.IPv4Address(self._pool_base + offset))
            if (
                ip not in taken
                and ip not in pool.in_use
                and not (in_use is not None and in_use(ip))
            ):
                pool.in_use.add(ip)
                return ip
        return None

    def release(self, ip: str | None) -> None:
        if ip is not None:
            self.pool.in_use.discard(ip)


class AddressPool:
    """Where the operator's round-robin allocation stands and which addresses are out: one per
    operator, shared by the GprsNetwork views of all its subscribers."""

    def __init__(self) -> None:
        self.next = 2  # .1 is the gateway by convention
        self.in_use: set[str] = set()


def make_distribution_or(spec: object, field_name: str):
    from simnet.kernel import Distribution

    return spec if isinstance(spec, Distribution) else make_distribution(spec, field_name)


class GprsSession:
    """The module's packet-domain state: attach, contexts, activation with T3380."""

    def __init__(
        self,
        sim: Simulation,
        sim_card: SimCard,
        radio: Radio,
        network: GprsNetwork,
        host: Any = None,
        *,
        timers: GprsTimers | None = None,
        name: str = "gprs",
    ) -> None:
        self.sim = sim
        self.sim_card = sim_card
        self.radio = radio
        self.network = network
        self.host = host
        self.timers = timers or network.operator.timers
        self.name = name
        self.contexts: dict[int, PdpContext] = {}
        self._attach_wanted = True  # modules attach automatically once registered
        self._attach_done = False
        self._pending: dict[int, simpy.Event] = {}  # cid -> activation event in progress
        self._abort: dict[int, simpy.Event] = {}  # cid -> event that aborts the procedure
        self._bound_cid: int | None = None  # the context whose address the host interface has
        self._listeners: list[Listener] = []
        radio.add_listener(self._on_registration)
        sim_card.add_listener(self._on_sim)
        if radio.registered("ps"):
            self._attach_done = True

    # -- observation -------------------------------------------------------------------------
    @property
    def attached(self) -> bool:
        return self._attach_wanted and self._attach_done and self.radio.registered("ps")

    @property
    def bound_cid(self) -> int | None:
        """The context whose address the module host's interface carries (None: down)."""
        return self._bound_cid

    def is_active(self, cid: int) -> bool:
        ctx = self.contexts.get(cid)
        return ctx is not None and ctx.active

    def add_listener(self, fn: Listener) -> None:
        """``fn(context, outcome)`` when a context is lost without being asked to
        (``deactivated`` with the network's SM cause, or ``network_lost``)."""
        if fn not in self._listeners:  # a restarted module registers the same methods again
            self._listeners.append(fn)

    def remove_listener(self, fn: Listener) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def _record(self, kind: str, **fields: Any) -> None:
        self.sim.record(self.name, kind, **fields)

    def _done(self, value: Outcome) -> simpy.Event:
        ev = self.sim.event()
        ev.succeed(value.stamped(self.sim.now))
        return ev

    def _precheck(self) -> Outcome | None:
        sim_problem = self.sim_card.check()
        if sim_problem is not None:
            return sim_problem
        if not self.radio.registered("ps"):
            return Outcome(OutcomeKind.NOT_REGISTERED, detail=f"PS domain {self.radio.ps_state}")
        return None

    # -- definitions -------------------------------------------------------------------------
    def define_context(
        self,
        cid: int,
        pdp_type: str = "IP",
        apn: str = "",
        *,
        user: str = "",
        password: str = "",
        auth: str | int = "none",
    ) -> PdpContext:
        """Define (or redefine) context ``cid``. Dialects validate AT arguments with their own
        ranges first; an impossible value here is a ``ConfigError`` naming the field."""
        if isinstance(cid, bool) or not isinstance(cid, int) or not 0 <= cid <= MAX_CID:
            raise ConfigError("pdp.cid", f"expected an integer 0..{MAX_CID}, got {cid!r}")
        ptype = pdp_type.upper() if isinstance(pdp_type, str) else pdp_type
        if ptype not in PDP_TYPES:
            raise ConfigError(
                "pdp.type", f"unknown PDP type {pdp_type!r} (allowed: {', '.join(PDP_TYPES)})"
            )
        if not isinstance(apn, str) or len(apn) > 100:
            raise ConfigError("pdp.apn", "expected an APN of at most 100 characters")
        if not isinstance(user, str) or not isinstance(password, str):
            raise ConfigError("pdp.user", "user and password must be strings")
        auth_name = normalize_auth(auth, "pdp.auth")
        ctx = self.contexts.get(cid)
        if ctx is None:
            ctx = PdpContext(cid)
            self.contexts[cid] = ctx
        ctx.pdp_type, ctx.apn, ctx.user, ctx.password, ctx.auth = (
            ptype,
            apn,
            user,
            password,
            auth_name,
        )
        self._record("pdp_define", cid=cid, pdp_type=ptype, apn=apn, auth=auth_name)
        return ctx

    def set_auth(self, cid: int, auth: str | int, user: str = "", password: str = "") -> PdpContext:
        """+CGAUTH: credentials of an existing (or new) context."""
        ctx = self.contexts.get(cid) or self.define_context(cid)
        ctx.auth = normalize_auth(auth, "pdp.auth")
        ctx.user, ctx.password = user, password
        return ctx

    def undefine_context(self, cid: int) -> bool:
        ctx = self.contexts.get(cid)
        if ctx is None or ctx.state != ContextState.INACTIVE:
            return False
        del self.contexts[cid]
        return True

    # -- attach ------------------------------------------------------------------------------
    def attach(self) -> simpy.Event:
        """GPRS attach (+CGATT=1); the event's value is an ``Outcome``."""
        self._attach_wanted = True
        problem = self._precheck()
        if problem is not None:
            return self._done(problem)
        if self.attached:
            return self._done(Outcome(OutcomeKind.OK, detail="already attached"))
        ev = self.sim.event()
        self.sim.process(self._attach_proc(ev))
        return ev

    def _attach_proc(self, ev: simpy.Event) -> Generator[simpy.Event, Any, None]:
        delay, cause = self.network.attach_decision()
        self._record("attach_request")
        yield self.sim.timeout(delay)
        problem = self._precheck()
        if problem is not None:
            outcome = problem
        elif cause is not None:
            self._attach_done = False
            outcome = Outcome(OutcomeKind.ATTACH_REJECT, cause=cause, detail=f"GMM cause #{cause}")
        else:
            self._attach_done = True
            outcome = Outcome(OutcomeKind.OK, detail="attached")
        self._record("attach_result", **outcome.to_fields())
        ev.succeed(outcome.stamped(self.sim.now))

    def detach(self) -> simpy.Event:
        """GPRS detach (+CGATT=0): every context is released locally first."""
        for cid in sorted(self.contexts):
            ctx = self.contexts[cid]
            if ctx.state != ContextState.INACTIVE:
                self._release(
                    ctx,
                    Outcome(OutcomeKind.CANCELLED, cid=cid, detail="detach"),
                    "local",
                    notify=False,
                )
        self._attach_wanted = False
        self._attach_done = False
        self._record("detach")
        return self._done(Outcome(OutcomeKind.OK, detail="detached"))

    # -- activation --------------------------------------------------------------------------
    def activate(self, cid: int, *, peer_auth: PeerAuth | None = None) -> simpy.Event:
        """Activate context ``cid``; the event's value is an ``Outcome`` (ok with ip/dns).

        ``peer_auth``: the PAP/CHAP credentials the TE gave the module's PPP server (dial-up);
        they go to the network in place of the context's own only when the context has none
        (+CGAUTH takes precedence, docs/assumptions.md Bearer)."""
        ctx = self.contexts.get(cid)
        if ctx is None:
            return self._done(
                Outcome(OutcomeKind.INVALID_STATE, cid=cid, detail=f"context {cid} not defined")
            )
        if ctx.state == ContextState.ACTIVE:
            return self._done(
                Outcome(OutcomeKind.OK, cid=cid, ip=ctx.ip, dns=ctx.dns, detail="already active")
            )
        if ctx.state == ContextState.ACTIVATING:
            return self._pending[cid]
        if ctx.state == ContextState.DEACTIVATING:
            return self._done(
                Outcome(OutcomeKind.INVALID_STATE, cid=cid, detail="deactivation in progress")
            )
        problem = self._precheck()
        if problem is not None:
            return self._done(Outcome(problem.kind, cid=cid, detail=problem.detail))
        ev = self.sim.event()
        ctx.state = ContextState.ACTIVATING
        self._pending[cid] = ev
        self._abort[cid] = self.sim.event()
        request = (
            ctx.with_peer_auth(peer_auth)
            if peer_auth is not None and not ctx.has_own_credentials
            else ctx
        )
        if request is not ctx and peer_auth is not None:
            self._record("pdp_peer_auth", cid=cid, protocol=peer_auth.protocol, user=peer_auth.user)
        self.sim.process(self._activate_proc(ctx, ev, request))
        return ev

    def _activate_proc(
        self, ctx: PdpContext, ev: simpy.Event, request: PdpContext | None = None
    ) -> Generator[simpy.Event, Any, None]:
        cid = ctx.cid
        abort = self._abort[cid]
        if not self.attached:
            # TS 27.007 §10.1.10: activating a context on a detached MT attaches it first
            attach_ev = self.attach()
            result = yield attach_ev | abort
            if abort in result:
                return
            attach_outcome = attach_ev.value
            assert isinstance(attach_outcome, Outcome)  # attach() always ends in an Outcome
            if not attach_outcome.ok:
                self._finish_activation(
                    ctx,
                    Outcome(
                        attach_outcome.kind,
                        cause=attach_outcome.cause,
                        cid=cid,
                        detail=attach_outcome.detail,
                    ),
                )
                return
        active = sum(1 for c in self.contexts.values() if c.state == ContextState.ACTIVE)
        # the network judges what the request carries (the TE's PPP credentials, maybe)
        decision, delay, value = self.network.activation_decision(request or ctx, active)
        answer = self.sim.timeout(delay) if decision != "silent" else self.sim.event()
        timers = self.timers
        for attempt in range(timers.t3380_retransmissions + 1):
            self._record("pdp_request", cid=cid, attempt=attempt + 1, apn=ctx.apn)
            t3380 = self.sim.timeout(timers.t3380)
            result = yield answer | t3380 | abort
            if abort in result:
                if decision == "accept":
                    self.network.release(value[0])
                return
            if answer in result:
                break
            self._record("t3380_expiry", cid=cid, count=attempt + 1)
        else:
            # T3380 expired for the (retransmissions + 1)th time: abort (§6.1.3.1.5)
            if decision == "accept":
                self.network.release(value[0])  # the late accept is never used
            self._finish_activation(
                ctx,
                Outcome(
                    OutcomeKind.PDP_TIMEOUT,
                    cid=cid,
                    detail=f"no answer to {timers.t3380_retransmissions + 1} ACTIVATE PDP CONTEXT "
                           "REQUESTs",
                ),
            )
            return
        if decision == "reject":
            self._finish_activation(
                ctx,
                Outcome(
                    OutcomeKind.PDP_REJECT, cause=value, cid=cid, detail=SM_CAUSES.get(value, "")
                ),
            )
            return
        ip, dns = value
        ctx.ip, ctx.dns = ip, tuple(dns)
        ctx.state = ContextState.ACTIVE
        self._bind_host()
        self._finish_activation(ctx, Outcome(OutcomeKind.OK, cid=cid, ip=ip, dns=ctx.dns))

    def _finish_activation(self, ctx: PdpContext, outcome: Outcome) -> None:
        if not outcome.ok:
            ctx.state = ContextState.INACTIVE
            ctx.ip, ctx.dns = None, ()
        ev = self._pending.pop(ctx.cid, None)
        self._abort.pop(ctx.cid, None)
        self._record("pdp_result", **outcome.to_fields())
        if ev is not None and not ev.triggered:
            ev.succeed(outcome.stamped(self.sim.now))

    def _abort_activation(self, ctx: PdpContext, outcome: Outcome) -> None:
        abort = self._abort.get(ctx.cid)
        if abort is not None and not abort.triggered:
            abort.succeed()
        self._finish_activation(ctx, outcome)

    # -- deactivation ------------------------------------------------------------------------
    def deactivate(self, cid: int) -> simpy.Event:
        """User-initiated deactivation; ``ok`` once the network accepted (or T3390 ran out and
        the context was released locally)."""
        ctx = self.contexts.get(cid)
        if ctx is None:
            return self._done(
                Outcome(OutcomeKind.INVALID_STATE, cid=cid, detail=f"context {cid} not defined")
            )
        if ctx.state == ContextState.INACTIVE:
            return self._done(Outcome(OutcomeKind.OK, cid=cid, detail="already inactive"))
        if ctx.state == ContextState.ACTIVATING:
            self._abort_activation(
                ctx, Outcome(OutcomeKind.CANCELLED, cid=cid, detail="deactivated while activating")
            )
            return self._done(Outcome(OutcomeKind.OK, cid=cid, detail="activation aborted"))
        if ctx.state == ContextState.DEACTIVATING:
            return self._pending[cid]
        ev = self.sim.event()
        ctx.state = ContextState.DEACTIVATING
        self._pending[cid] = ev
        self._abort[cid] = self.sim.event()
        self.sim.process(self._deactivate_proc(ctx, ev))
        return ev

    def _deactivate_proc(
        self, ctx: PdpContext, ev: simpy.Event
    ) -> Generator[simpy.Event, Any, None]:
        cid = ctx.cid
        abort = self._abort[cid]
        delay = self.network.deactivation_delay()
        answer = self.sim.timeout(delay) if delay is not None else self.sim.event()
        timers = self.timers
        detail = "network accepted"
        for attempt in range(timers.t3390_retransmissions + 1):
            self._record("pdp_deactivate_request", cid=cid, attempt=attempt + 1)
            result = yield answer | self.sim.timeout(timers.t3390) | abort
            if abort in result:
                return
            if answer in result:
                break
            self._record("t3390_expiry", cid=cid, count=attempt + 1)
        else:
            detail = "released locally after T3390"  # §6.1.3.4.4
        self._pending.pop(cid, None)
        self._abort.pop(cid, None)
        outcome = Outcome(OutcomeKind.OK, cid=cid, detail=detail)
        self._release(ctx, outcome, "local", notify=False)
        self._record("pdp_deactivated", **outcome.to_fields())
        ev.succeed(outcome.stamped(self.sim.now))

    # -- network side and losses -------------------------------------------------------------
    def network_deactivate(
        self, cid: int | None = None, cause: int = DEFAULT_NETWORK_DEACTIVATION_CAUSE
    ) -> list[int]:
        """Network-initiated deactivation (TS 24.008 §6.1.3.4.2) of ``cid`` (None: all active
        contexts) with an SM ``cause``; returns the cids deactivated."""
        validate_sm_cause(cause, "network_deactivate.cause")
        done = []
        for c in sorted(self.contexts):
            ctx = self.contexts[c]
            if (cid is None or c == cid) and ctx.state in (
                ContextState.ACTIVE,
                ContextState.DEACTIVATING,
            ):
                outcome = Outcome(
                    OutcomeKind.DEACTIVATED, cause=cause, cid=c, detail=SM_CAUSES[cause]
                )
                self._release(ctx, outcome, "network_down", notify=True)
                done.append(c)
        return done

    def drop_all(self, detail: str = "bearer lost", cause: int | None = None) -> list[int]:
        """The bearer is gone (coverage, SIM, radio link): every context ends ``network_lost``;
        activations in progress end the same way."""
        dropped = []
        for c in sorted(self.contexts):
            ctx = self.contexts[c]
            if ctx.state == ContextState.INACTIVE:
                continue
            outcome = Outcome(OutcomeKind.NETWORK_LOST, cause=cause, cid=c, detail=detail)
            if ctx.state == ContextState.ACTIVATING:
                self._abort_activation(ctx, outcome)
            else:
                self._release(ctx, outcome, "network_down", notify=True)
            dropped.append(c)
        return dropped

    def _release(self, ctx: PdpContext, outcome: Outcome, reason: str, *, notify: bool) -> None:
        if ctx.state == ContextState.DEACTIVATING:
            abort = self._abort.pop(ctx.cid, None)
            pending = self._pending.pop(ctx.cid, None)
            if abort is not None and not abort.triggered:
                abort.succeed()
            if pending is not None and not pending.triggered:
                pending.succeed(
                    Outcome(OutcomeKind.OK, cid=ctx.cid, detail=outcome.detail).stamped(
                        self.sim.now
                    )
                )
        self.network.release(ctx.ip)
        ctx.state = ContextState.INACTIVE
        ctx.ip, ctx.dns = None, ()
        if self._bound_cid == ctx.cid:
            self._bound_cid = None
            if self.host is not None:
                self.host.interface_down(reason)
            self._bind_host()  # another active context takes over the interface
        self._record("pdp_lost" if notify else "pdp_released", **outcome.to_fields())
        if notify:
            stamped = outcome.stamped(self.sim.now)
            for fn in list(self._listeners):
                fn(ctx, stamped)

    def _bind_host(self) -> None:
        if self._bound_cid is not None:
            return
        for c in sorted(self.contexts):
            ctx = self.contexts[c]
            if ctx.active and ctx.ip is not None:
                self._bound_cid = c
                if self.host is not None:
                    self.host.interface_up(ctx.ip, list(ctx.dns))
                return

    def _on_registration(self, domain: str, state: RegState) -> None:
        if domain != "ps":
            return
        if state.registered:
            if self._attach_wanted:
                self._attach_done = True  # routing area update restores the attach
            return
        self._attach_done = False
        self.drop_all(detail=f"PS registration lost ({state})")

    def _on_sim(self, state: SimState) -> None:
        if state != SimState.READY:
            self.drop_all(detail=f"SIM {state}")
