"""§7.1 AT+WIPPING on the ICMP model: ``<repeat>`` echo requests of ``<nwrite>`` bytes,
``<interval>`` ms apart, each reported by ``+WIPPING: <timeout_expired>,<packet_idx>,
<response_time>`` when its reply arrives (0, index, round-trip ms) or when ``<timeout>`` ms
have passed without one (1, index, 0 - as §7.1.6's first example prints a timeout). An ICMP
error instead of a reply is no reply: it is reported when the timeout runs out."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simnet.modem.at import ArgumentError, Command
from simnet.modem.vendors.wavecom.wipsoft import tables as T
from simnet.modem.vendors.wavecom.wipsoft.errors import WipFailure

if TYPE_CHECKING:
    from simnet.modem.module import Module
    from simnet.modem.vendors.wavecom.wipsoft.stack import WipStack
    from simnet.net.icmp import PingResult


class PingRun:
    """One +WIPPING sequence."""

    def __init__(self, stack: WipStack, owner: Module, ip: str, params: dict[str, int]) -> None:
        self.stack = stack
        self.owner = owner
        self.ip = ip
        self.params = params
        self.active = True
        self.outstanding = 0
        self.sent_all = False

    def run(self) -> Generator[Any, Any, None]:
        p = self.params
        sim = self.stack.sim
        for index in range(p["repeat"]):
            if not self.active:
                return
            self._send(index)
            if index < p["repeat"] - 1:
                yield sim.timeout(p["interval"] / 1000.0)
        self.sent_all = True
        self._maybe_done()

    def _maybe_done(self) -> None:
        """The sequence is over once every packet was reported: a new +WIPPING may start."""
        if self.sent_all and not self.outstanding and self.stack.ping is self:
            self.stack.ping = None

    def _send(self, index: int) -> None:
        p = self.params
        sent = self.stack.sim.now
        timeout = p["timeout"] / 1000.0
        host = self.stack.module.host
        self.outstanding += 1
        if host is None or host.ip is None or not self.stack.route_ok(self.ip):
            self.stack.later(timeout, self._report, index, None)
            return
        host.ping(self.ip, size=p["nwrite"], ttl=p["ttl"], timeout=timeout,
                  on_reply=self.stack.guarded(lambda result: self._reply(index, sent, result)))

    def _reply(self, index: int, sent: float, result: PingResult) -> None:
        if result.ok:
            self._report(index, result.rtt)
            return
        # no echo reply: the timeout expires (an ICMP error is not a response)
        left = self.params["timeout"] / 1000.0 - (self.stack.sim.now - sent)
        self.stack.later(max(0.0, left), self._report, index, None)

    def _report(self, index: int, rtt: float | None) -> None:
        self.outstanding -= 1
        self._maybe_done()
        if not self.active:
            return
        if rtt is None:
            line = f"+WIPPING: 1,{index},0"
        else:
            line = f"+WIPPING: 0,{index},{int(rtt * 1000.0 + 0.5)}"
        self.stack.record("ping", index=index, ip=self.ip, rtt=rtt)
        self.stack.urc(self.owner, line)


def start_ping(stack: WipStack, owner: Module, cmd: Command) -> Generator[Any, Any, None]:
    """Check ``AT+WIPPING=<host>,[<repeat>,<interval>,[<timeout>,[<nwrite>,[<ttl>]]]]`` (§7.1.2
    order), resolve the host, start the sequence."""
    from simnet.modem.vendors.wavecom.wipsoft.dialect import Syntax, _host

    if not 1 <= len(cmd.params) <= 1 + len(T.PING_ORDER) or not cmd.has(0):
        raise Syntax("WIPPING")
    name = _host(cmd, 0)
    params: dict[str, int] = {key: int(T.PING_PARAMS[key].default) for key in T.PING_ORDER}
    params["ttl"] = max(1, stack.config[T.OPT_TTL])  # §7.1.3: default WIP_NET_OPT_IP_TTL
    for i, key in enumerate(T.PING_ORDER, start=1):
        if cmd.has(i):
            try:
                params[key] = int(T.PING_PARAMS.parse(key, cmd, i))
            except ArgumentError:
                raise WipFailure(T.Wip.INVALID_VALUE, f"<{key}>") from None
    stack.require_started()
    if stack.ping is not None and stack.ping.active:
        raise WipFailure(T.Wip.PING_CHANNEL, "a ping is running")
    if stack.active_bearer() is None:
        raise WipFailure(T.Wip.PING_CHANNEL, "no bearer started")
    try:
        ip = yield from stack.resolve(name)
    except WipFailure as failure:
        raise WipFailure(T.Wip.PING_CHANNEL, failure.detail) from None
    run = PingRun(stack, owner, ip, params)
    stack.ping = run
    stack.record("ping_start", host=name, ip=ip, **params)
    stack.spawn(run.run())
