"""The DTE's own IP host over PPP on the UART: what pppd and the host's kernel are to a
gateway that dials ``ATD*99#`` (or a GSM data number).

``PppHost`` runs the sans-IO PPP engine in the client role on the DTE's side of the UART
(framing, ACCM/ACFC/PFC as negotiated, RFC 1661 timers) and puts a ``simnet.net.Host`` on
top of it, so scenarios and Python code open TCP/UDP sockets, ping and resolve names through
the module exactly as a Linux host behind pppd does. Like pppd with its defaults it asks for
PFC/ACFC, ACCM 0, an address and two DNS servers (``usepeerdns``), authenticates with PAP or
CHAP-MD5 as the module asks, and treats DCD dropping (``modem``) as the carrier going.

Created by ``DTE.dial``; the UART belongs to the PPP link from CONNECT until the link is dead,
then the DTE reads text again (NO CARRIER).
"""

from __future__ import annotations

from typing import Any

import simpy

from simnet.bearer.outcomes import Outcome, OutcomeKind
from simnet.bearer.ppp import PppConfig, PppDriver, PppEndpoint
from simnet.errors import ConnectError, ExpectTimeout
from simnet.net import wire
from simnet.net.host import Host
from simnet.net.packet import Packet


class PppHost:
    """A host whose only interface is a PPP link on the DTE's UART.

    ``outcome``: the negotiation's result (``None`` while negotiating), ``ip`` / ``dns_servers``
    once up, ``ended``: the ``Outcome`` that ended the link (``None`` while it lasts). Sockets:
    ``tcp_connect``, ``tcp_listen``, ``udp_bind``, ``ping``, ``resolver`` as on any
    ``simnet.net.Host`` (``.host``). ``hangup()`` terminates PPP politely (LCP
    Terminate-Request), as ``pppd`` does on SIGTERM.
    """

    def __init__(self, dte: Any, config: PppConfig, *, name: str = "dte") -> None:
        self.dte = dte
        self.sim = dte.sim
        self.name = name
        self.config = config
        self.host = Host(self.sim, name, None, network=None, kind="dte")
        self.host._egress = self._to_link
        endpoint = PppEndpoint(config, self.sim.rng(f"{name}.ppp.magic"), name=f"{name}.ppp")
        self.driver = PppDriver(self.sim, endpoint, dte.write, name=f"{name}.ppp")
        self.driver.on_datagram = self._from_link
        self.driver.on_result = self._on_result
        self.driver.on_ended = self._on_ended
        self.driver.on_finished = self._on_finished
        self.outcome: Outcome | None = None
        self.ended: Outcome | None = None
        self.connected_at: float | None = None
        self.packets_sent = 0
        self.packets_received = 0
        self._watch_dcd = False

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> PppHost:
        """The modem said CONNECT: take the line and negotiate."""
        self.connected_at = self.sim.now
        self.dte.tap = self.driver.receive_bytes
        # pppd's "modem" option: DCD low after CONNECT is the carrier going (needs AT&C1)
        self._watch_dcd = self.dte.dcd
        self._keep_signal = self.dte.port.on_signal
        self.dte.port.on_signal = self._on_signal
        self.driver.start()
        return self

    @property
    def result(self) -> simpy.Event:
        return self.driver.result

    @property
    def up(self) -> bool:
        return self.outcome is not None and self.outcome.ok and self.ended is None

    @property
    def ip(self) -> str | None:
        return self.host.ip

    @property
    def dns_servers(self) -> list[str]:
        return list(self.host.dns_servers)

    def hangup(self, timeout: float = 20.0, *, wait: bool = True) -> None:
        """End the link as pppd does on SIGTERM: LCP Terminate-Request; the module answers,
        and says NO CARRIER at Link Dead. Runs the clock until that NO CARRIER has been read,
        so the next ``dte.command()`` talks to the module in command mode again; raises
        :class:`simnet.ExpectTimeout` when the link or the NO CARRIER does not come to an end
        within ``timeout`` virtual seconds. ``wait=False`` only sends the request (inside a
        callback, where the clock cannot run). A link already ended (the network dropped it)
        returns at once, taking its NO CARRIER if it is still unread."""
        already_ended = self.ended is not None
        if not already_ended:
            self.driver.close()
        if not wait:
            return
        if already_ended and b"NO CARRIER" not in self.dte.peek():
            return
        started = self.sim.now
        if not self.sim.run_until(lambda: self.ended is not None and self.dte.tap is None, timeout):
            raise ExpectTimeout(
                "the end of the PPP link after LCP Terminate-Request", timeout, self.dte.peek()
            )
        left = max(0.0, timeout - (self.sim.now - started))
        try:
            self.dte.expect("NO CARRIER", timeout=left)
        except ExpectTimeout as exc:
            pattern = "NO CARRIER after the PPP link ended"
            raise ExpectTimeout(pattern, timeout, exc.received) from None

    def _on_result(self, outcome: Outcome) -> None:
        self.outcome = outcome
        if outcome.ok and outcome.ip:
            self.host.interface_up(outcome.ip, list(outcome.dns))

    def _on_ended(self, outcome: Outcome) -> None:
        self.ended = outcome
        self.host.interface_down("local" if outcome.kind == OutcomeKind.OK else "network_down")

    def _on_finished(self, _outcome: Outcome) -> None:
        self._release_line()

    def _release_line(self) -> None:
        """The link is dead: the UART is the DTE's text stream again, from here on."""
        if self.dte.tap == self.driver.receive_bytes:
            self.dte.tap = None
            self.dte.skip_through(b"\x7e")  # past the last frame's closing flag
        if self.dte.port.on_signal == self._on_signal:
            self.dte.port.on_signal = self._keep_signal

    def _on_signal(self, name: str, value: bool) -> None:
        if self._keep_signal is not None:
            self._keep_signal(name, value)
        if name == "dcd" and not value and self._watch_dcd:
            if self.ended is None:
                self.sim.record(self.driver.name, "carrier", event="lost")
            elif self.dte.tap != self.driver.receive_bytes:
                return  # ended and the line already given back
            # pppd's "Modem hangup" also ends a link that failed and is still terminating: its
            # Terminate-Request retries would reach a modem in command mode (echoed under ATE1)
            self.driver.lower_down()
            self._release_line()

    # -- IP ------------------------------------------------------------------------------------
    def _to_link(self, pkt: Packet) -> None:
        if self.driver.send_datagram(wire.encode(pkt)):
            self.packets_sent += 1
        else:
            self.sim.record(self.name, "drop", reason="link_not_open", pkt=pkt.summary())

    def _from_link(self, data: bytes) -> None:
        pkt = wire.decode(data)
        if isinstance(pkt, wire.Rejected):
            self.sim.record(self.name, "drop", reason=pkt.reason, pkt=f"{len(data)} bytes")
            return
        self.packets_received += 1
        self.host.receive(pkt)

    # -- sockets (the Host API) ------------------------------------------------------------------
    def tcp_connect(
        self,
        dst_ip: str,
        dst_port: int,
        config: Any = None,
        local_port: int | None = None,
        *,
        timeout: float | None = 120.0,
        check: bool = True,
    ) -> Any:
        """A TCP socket over the link, like ``socket.create_connection``: the clock runs until
        the handshake ends (ESTABLISHED) or fails (refused, SYN retries out: the TCP model's
        ``config``), at most ``timeout`` virtual seconds; with ``check`` a connection that is
        not up raises :class:`simnet.ConnectError`. ``timeout=None`` returns the socket at once
        in SYN_SENT (inside a callback, or to watch the handshake), as ``Host.tcp_connect``.
        Then ``sock.send(data)`` queues bytes (returns how many fit the send buffer),
        ``sim.run_until(lambda: sock.readable >= n, t)`` waits for data, ``sock.recv()`` reads
        it, or set ``sock.on_data``."""
        sock = self.host.tcp_connect(dst_ip, dst_port, config, local_port)
        if timeout is None:
            return sock
        self.sim.run_until(lambda: sock.state != "SYN_SENT", timeout)
        if check and sock.state != "ESTABLISHED":
            raise ConnectError(f"{dst_ip}:{dst_port}", sock.close_reason or sock.state, sock)
        return sock

    def tcp_listen(self, port: int, on_accept: Any, backlog: int = 5, config: Any = None) -> Any:
        return self.host.tcp_listen(port, on_accept, backlog, config)

    def udp_bind(self, port: int = 0, on_datagram: Any = None, on_error: Any = None) -> Any:
        return self.host.udp_bind(port, on_datagram, on_error)

    def ping(self, dst_ip: str, **kwargs: Any) -> Any:
        return self.host.ping(dst_ip, **kwargs)

    @property
    def resolver(self) -> Any:
        return self.host.resolver


def client_config(
    *,
    username: str = "",
    password: str = "",
    auth: str = "any",
    echo_interval: float = 0.0,
    echo_failure: int = 4,
    **extra: Any,
) -> PppConfig:
    """pppd's defaults as a client: PFC/ACFC, ACCM 0, address + two DNS requested."""
    return PppConfig(
        role="client",
        username=username,
        password=password,
        auth=auth,
        compression=True,
        request_dns=True,
        echo_interval=echo_interval,
        echo_failure=echo_failure,
        **extra,
    )


__all__ = ["PppHost", "client_config"]
