"""GPRS dial-up (ATD*99#) with the real bearer: the module's PPP server asks the host to
authenticate, hands the host's credentials to the network with the PDP activation, and ends
the link with NO CARRIER on the RFC 1661 timers.

The host side is written byte for byte with tests/stories/ppp_frames.py (frames built from the
RFCs, not from simnet.bearer.ppp). Timing rules used for the expected instants:

- UART 115200 baud (SIM7600 profile), 10 bits per character: n bytes take n / 11520 s; a chunk
  the host writes reaches the module when its last byte has crossed the line;
- PDP activation takes ACT seconds (a constant ``activation_delay``);
- RFC 1661 §4.6 defaults: Restart 3 s, Max-Terminate 2 (§4.6: the link is Closed when Restart
  runs out after the Max-Terminate-th Terminate-Request); §5.5: the receiver of a
  Terminate-Request does not disconnect until one Restart after its Terminate-Ack.
"""

from __future__ import annotations

import hashlib
import struct

import pytest

from simnet import Simulation
from simnet.bearer import ModemBearer, OperatorConfig, RadioConfig
from simnet.bearer.ppp import PppConfig, PppDriver, PppEndpoint
from simnet.modem import DTE, create_module
from simnet.modem.dialect import Dialect
from tests.modem.helpers import FAST
from tests.stories import ppp_frames as pf

UART_CPS = 115200 / 10
ACT = 1.0  # PDP activation delay
RESTART, MAX_TERMINATE = 3.0, 2
NO_CARRIER = b"\r\nNO CARRIER\r\n"
CHAP_MD5 = bytes.fromhex("c22305")  # Authentication-Protocol CHAP (0xc223), algorithm MD5 (5)
PAP = bytes.fromhex("c023")
ACCM0 = pf.option(pf.OPT_ACCM, bytes(4))
# RFC 1661 §6.5/§6.6 Protocol-Field / Address-and-Control-Field Compression, which modules ask
# of pppd (Quectel EC20 LCP Configure-Request: ACCM, auth, magic, PFC, ACFC).
COMPRESSION = pf.option(7, b"") + pf.option(8, b"")
PROTO_CHAP = 0xC223


def deframe(stream: bytes) -> list[tuple[int, bytes]]:
    """(protocol, information) of every well-formed frame in ``stream`` (RFC 1662 §4.2 escapes
    undone, FCS checked and stripped; address/control 0xff 0x03 required)."""
    out = []
    for raw in stream.split(bytes((pf.FLAG,))):
        body, i = bytearray(), 0
        while i < len(raw):
            if raw[i] == pf.ESC and i + 1 < len(raw):
                body.append(raw[i + 1] ^ 0x20)
                i += 2
            else:
                body.append(raw[i])
                i += 1
        if len(body) < 6 or body[:2] != b"\xff\x03":
            continue
        if struct.pack("<H", pf.fcs16(bytes(body[:-2]))) != bytes(body[-2:]):
            continue
        out.append((struct.unpack("!H", body[2:4])[0], bytes(body[4:-2])))
    return out


class Rig:
    """Module + real bearer + a host that writes PPP frames itself and records every chunk the
    module sends with the instant its last byte arrived."""

    def __init__(self, seed: int = 5, **operator) -> None:
        operator.setdefault("activation_delay", ACT)
        operator.setdefault("radio", RadioConfig(registration_delay=1.0))
        self.sim = Simulation(seed)
        self.bearer = ModemBearer(self.sim, operator=OperatorConfig(**operator))
        self.module = create_module(self.sim, "simcom-sim7600", self.bearer, None, dialect=Dialect,
                                    latency=dict(FAST))
        self.dte = DTE(self.sim, self.module)
        self.chunks: list[tuple[float, bytes]] = []
        keep = self.dte.port.on_receive

        def record(data: bytes, t: float, bt: float) -> None:
            self.chunks.append((t, bytes(data)))
            keep(data, t, bt)

        self.dte.port.on_receive = record
        self.dte.command("ATE0")
        self.dte.wait(2)
        assert self.dte.command('AT+CGDCONT=1,"IP","internet"').raw == b"\r\nOK\r\n"

    def dial(self) -> None:
        assert self.dte.command("ATD*99#", timeout=10).raw == b"\r\nCONNECT 115200\r\n"
        self.mark = len(self.chunks)

    def send(self, data: bytes) -> float:
        """Write ``data``; the instant it has reached the module (the line is idle)."""
        t = self.sim.now
        self.dte.write(data)
        return t + len(data) / UART_CPS

    def output(self, since: int | None = None) -> bytes:
        return b"".join(c for _, c in self.chunks[self.mark if since is None else since:])

    def frames(self) -> list[tuple[int, bytes]]:
        return deframe(self.output())

    def server_request(self) -> tuple[int, bytes]:
        """The module's latest LCP Configure-Request: (identifier, options)."""
        reqs = [(info[1], info[4:]) for proto, info in self.frames()
                if proto == pf.PROTO_LCP and info[0] == pf.CONF_REQ]
        return reqs[-1]

    def no_carrier_at(self) -> list[float]:
        return [t for t, c in self.chunks if c.endswith(NO_CARRIER)]

    def negotiate_lcp(self, host_auth: str = "pap") -> bytes:
        """LCP up with the host refusing CHAP for PAP (``pap``), or refusing authentication
        (``none``); returns the module's magic number."""
        magic = self.host_opens_lcp()
        if host_auth == "pap":  # RFC 1661 §5.3: Nak, suggesting the protocol we can do
            self.send(
                pf.frame(pf.PROTO_LCP, pf.packet(pf.CONF_NAK, 1, pf.option(pf.OPT_AUTH, PAP)))
            )
            wanted = (
                ACCM0 + pf.option(pf.OPT_AUTH, PAP) + pf.option(pf.OPT_MAGIC, magic) + COMPRESSION
            )
        else:  # §5.4: Reject - we do not authenticate at all
            self.send(
                pf.frame(pf.PROTO_LCP, pf.packet(pf.CONF_REJ, 1, pf.option(pf.OPT_AUTH, CHAP_MD5)))
            )
            wanted = ACCM0 + pf.option(pf.OPT_MAGIC, magic) + COMPRESSION
        self.sim.advance(0.05)
        assert self.server_request() == (2, wanted)
        # LCP is Opened when this Ack reaches the module (its Ack of ours went out before)
        self.t_lcp_up = self.send(pf.frame(pf.PROTO_LCP, pf.packet(pf.CONF_ACK, 2, wanted)))
        self.sim.advance(0.05)
        acks = [
            info
            for proto, info in self.frames()
            if proto == pf.PROTO_LCP and info[0] == pf.CONF_ACK
        ]
        assert acks == [pf.packet(pf.CONF_ACK, 1)]
        return magic

    def host_opens_lcp(self) -> bytes:
        """The host's (empty) LCP Configure-Request; the module waits for it before sending
        its own (passive, as modules answering ATD*99# do), acks it and asks CHAP-MD5.
        Returns the module's magic number."""
        self.sim.advance(0.05)
        assert self.frames() == []  # nothing from the module before the host speaks
        self.send(pf.frame(pf.PROTO_LCP, pf.packet(pf.CONF_REQ, 1)))
        self.sim.advance(0.05)
        ident, options = self.server_request()
        magic = options[-8:-4]
        assert (ident, options) == (
            1,
            ACCM0 + pf.option(pf.OPT_AUTH, CHAP_MD5) + pf.option(pf.OPT_MAGIC, magic) + COMPRESSION,
        )
        return magic

    def pap(self, user: str, password: str) -> float:
        # the module asked for ACCM 0 and the host acked it: no control character is escaped
        return self.send(pf.frame(pf.PROTO_PAP, pf.pap_request(1, user, password), accm=0))

    def records(self, kind: str) -> list:
        return self.sim.trace.select(source="bearer.gprs", kind=kind)


PAP_APN = {"user": "demo", "password": "secret", "auth": "pap"}


def test_module_asks_chap_takes_pap_and_activates_with_the_hosts_credentials():
    rig = Rig(**PAP_APN)
    rig.dial()
    rig.negotiate_lcp("pap")
    mark = len(rig.chunks)
    t_pap = rig.pap("demo", "secret")
    rig.sim.advance(ACT + 0.5)
    # RFC 1334 §2.2.2: Authenticate-Ack, empty message. The module cannot check the password
    # itself; it acks and the network decides. The host asked for no ACCM, so the module keeps
    # escaping every control character towards it (RFC 1662 §7.1 default).
    ack = pf.frame(pf.PROTO_PAP, pf.pap_reply(pf.PAP_ACK, 1, ""))
    assert rig.output(mark).startswith(ack)
    (peer_auth,) = rig.records("pdp_peer_auth")
    assert (peer_auth.t, peer_auth.fields["protocol"], peer_auth.fields["user"]) == (
        pytest.approx(t_pap, abs=1e-9),
        "pap",
        "demo",
    )
    (result,) = rig.records("pdp_result")
    assert result.fields["outcome"] == "ok" and result.t == pytest.approx(t_pap + ACT, abs=1e-9)
    assert rig.bearer.gprs.is_active(1)
    # With the address known the module starts IPCP (RFC 1332 IP-Address = its own address).
    ipcp = [info for proto, info in deframe(rig.output(mark)) if proto == pf.PROTO_IPCP]
    assert ipcp[0] == pf.packet(pf.CONF_REQ, 1, pf.option(3, bytes((10, 64, 0, 1))))


def test_network_rejects_wrong_pap_password_then_no_carrier_on_the_terminate_timers():
    rig = Rig(**PAP_APN)
    rig.dial()
    rig.negotiate_lcp("pap")
    mark = len(rig.chunks)
    t_pap = rig.pap("demo", "wrong")
    rig.sim.advance(ACT + RESTART * MAX_TERMINATE + 1.0)  # the host never acks the Terminate
    (result,) = rig.records("pdp_result")
    assert (result.fields["outcome"], result.fields["cause"]) == ("pdp_reject", 29)
    t_reject = t_pap + ACT
    assert result.t == pytest.approx(t_reject, abs=1e-9)
    frames = deframe(rig.output(mark))
    terms = [info for proto, info in frames if proto == pf.PROTO_LCP and info[0] == pf.TERM_REQ]
    assert terms == [pf.packet(pf.TERM_REQ, 3), pf.packet(pf.TERM_REQ, 4)]  # ids after 1, 2
    # Link Dead Max-Terminate x Restart after the first Terminate-Request: NO CARRIER then.
    t_dead = t_reject + RESTART * MAX_TERMINATE
    assert rig.no_carrier_at() == pytest.approx([t_dead + len(NO_CARRIER) / UART_CPS], abs=1e-9)
    assert rig.output(mark).endswith(pf.frame(pf.PROTO_LCP, pf.packet(pf.TERM_REQ, 4)) + NO_CARRIER)
    assert not rig.module.in_data_mode
    assert rig.dte.command("AT").raw == b"\r\nOK\r\n"  # back in command mode


@pytest.mark.parametrize(
    ("cgauth", "host_password", "outcome"),
    [
        ('AT+CGAUTH=1,1,"demo","secret"', "wrong", "ok"),  # +CGAUTH wins over the host's PAP
        ('AT+CGAUTH=1,1,"demo","wrong"', "secret", "pdp_reject"),
    ],
)
def test_cgauth_takes_precedence_over_the_hosts_credentials(cgauth, host_password, outcome):
    rig = Rig(**PAP_APN)
    assert rig.dte.command(cgauth).raw == b"\r\nOK\r\n"
    rig.dial()
    rig.negotiate_lcp("pap")
    rig.pap("demo", host_password)
    rig.sim.advance(ACT + 0.5)
    assert rig.records("pdp_peer_auth") == []
    (result,) = rig.records("pdp_result")
    assert result.fields["outcome"] == outcome


def test_host_that_refuses_to_authenticate_is_let_in_on_an_open_apn():
    rig = Rig()
    rig.dial()
    rig.negotiate_lcp("none")
    rig.sim.advance(ACT + 0.5)
    # No authentication phase: the network phase, and so the activation, starts when LCP opens.
    (request,) = rig.records("pdp_request")
    assert request.t == pytest.approx(rig.t_lcp_up, abs=1e-9)
    (result,) = rig.records("pdp_result")
    assert result.fields["outcome"] == "ok" and result.t == pytest.approx(
        rig.t_lcp_up + ACT, abs=1e-9
    )
    assert rig.records("pdp_peer_auth") == []


def test_host_terminate_gets_ack_and_no_carrier_one_restart_later():
    rig = Rig()
    rig.dial()
    rig.negotiate_lcp("none")
    rig.sim.advance(ACT + 0.5)
    mark = len(rig.chunks)
    t_arrive = rig.send(pf.frame(pf.PROTO_LCP, pf.packet(pf.TERM_REQ, 7)))
    rig.sim.advance(RESTART + 1.0)
    ack = pf.frame(pf.PROTO_LCP, pf.packet(pf.TERM_ACK, 7))
    assert rig.output(mark) == ack + NO_CARRIER
    assert rig.no_carrier_at() == pytest.approx(
        [t_arrive + RESTART + len(NO_CARRIER) / UART_CPS], abs=1e-9
    )


def test_ppp_fail_auth_reject_on_dialup_naks_the_host_then_no_carrier_and_counts():
    rig = Rig(**PAP_APN)
    rig.bearer.ppp_fail("auth", "reject", count=1)
    rig.dial()
    rig.negotiate_lcp("pap")
    mark = len(rig.chunks)
    rig.pap("demo", "secret")
    rig.sim.advance(0.05)
    nak = pf.frame(pf.PROTO_PAP, pf.pap_reply(pf.PAP_NAK, 1, "authentication failed"))
    term = pf.frame(pf.PROTO_LCP, pf.packet(pf.TERM_REQ, 3))
    assert rig.output(mark) == nak + term
    t_ack = rig.send(pf.frame(pf.PROTO_LCP, pf.packet(pf.TERM_ACK, 3)))
    rig.sim.advance(1.0)
    # The Terminate-Ack closes the module's LCP (RFC 1661 Closing -> Closed): NO CARRIER.
    assert rig.output(mark) == nak + term + NO_CARRIER
    assert rig.no_carrier_at() == pytest.approx([t_ack + len(NO_CARRIER) / UART_CPS], abs=1e-9)
    assert rig.records("pdp_request") == []  # the network never saw an activation
    # count=1: the retry negotiates normally and the host's credentials get the context up.
    rig.dial()
    rig.negotiate_lcp("pap")
    mark = len(rig.chunks)
    rig.pap("demo", "secret")
    rig.sim.advance(ACT + 0.5)
    assert rig.output(mark).startswith(pf.frame(pf.PROTO_PAP, pf.pap_reply(pf.PAP_ACK, 1, "")))
    assert rig.bearer.gprs.is_active(1)


@pytest.mark.parametrize(("password", "outcome"), [("secret", "ok"), ("wrong", "pdp_reject")])
def test_chap_response_is_checked_by_the_network(password, outcome):
    """A pppd that does CHAP: the module passes Identifier, Challenge and Response on; the
    network computes MD5(Identifier || secret || Challenge) itself (RFC 1994 §4.1)."""
    rig = Rig(user="demo", password="secret", auth="chap")
    rig.dial()
    host = PppDriver(
        rig.sim,
        PppEndpoint(
            PppConfig(role="client", auth="chap", username="demo", password=password),
            rig.sim.rng("host"),
        ),
        rig.dte.write,
        name="host",
    )
    keep = rig.dte.port.on_receive

    def both(data: bytes, t: float, bt: float) -> None:
        keep(data, t, bt)
        host.receive_bytes(data)

    rig.dte.port.on_receive = both
    host.start()
    rig.sim.run_until(lambda: host.result.triggered, 60)
    (result,) = rig.records("pdp_result")
    assert result.fields["outcome"] == outcome
    (peer_auth,) = rig.records("pdp_peer_auth")
    assert peer_auth.fields["protocol"] == "chap"
    # Independent check of what went over the UART: the challenge the module sent and the
    # response the host gave satisfy MD5 with the subscriber's secret only when it is right.
    frames = deframe(rig.output())
    (challenge,) = [i for p, i in frames if p == PROTO_CHAP and i[0] == 1]
    ident, value = challenge[1], challenge[5 : 5 + challenge[4]]
    sent = b"".join(
        c
        for c in rig.sim.trace.select(source="modem.uart", kind="dte>")
        for c in [bytes(c.fields["data"])]
    )
    (response,) = [i for p, i in deframe(sent) if p == PROTO_CHAP and i[0] == 2]
    digest = response[5 : 5 + response[4]]
    right = hashlib.md5(bytes((ident,)) + b"secret" + value).digest()
    assert (digest == right) == (outcome == "ok")
    if outcome != "ok":
        rig.sim.advance(RESTART * MAX_TERMINATE + 1)
        assert rig.no_carrier_at()


EAP = bytes.fromhex("c227")  # RFC 3748: what pppd suggests first when it refuses CHAP
MSCHAP_V2 = bytes.fromhex("c22381")  # RFC 2759 algorithm 0x81


@pytest.mark.parametrize(
    "suggestion", [EAP, MSCHAP_V2, b""], ids=["eap", "mschap-v2", "no-suggestion"]
)
def test_refused_chap_falls_back_to_pap_whatever_the_host_suggests(suggestion):
    """pppd with refuse-chap Naks CHAP-MD5 suggesting EAP (its next protocol); a host may
    suggest MS-CHAP-v2 or nothing. RFC 1661 §6.2: the Nak says the host will not do CHAP-MD5;
    the module runs neither EAP nor MS-CHAP, so its next request asks PAP."""
    rig = Rig(**PAP_APN)
    rig.dial()
    magic = rig.host_opens_lcp()
    nak = pf.option(pf.OPT_AUTH, suggestion) if suggestion else pf.option(pf.OPT_AUTH, CHAP_MD5)
    rig.send(pf.frame(pf.PROTO_LCP, pf.packet(pf.CONF_NAK, 1, nak)))
    rig.sim.advance(0.05)
    assert rig.server_request() == (
        2,
        ACCM0 + pf.option(pf.OPT_AUTH, PAP) + pf.option(pf.OPT_MAGIC, magic) + COMPRESSION,
    )


def test_host_refusing_every_protocol_by_nak_is_let_in_without_authentication():
    """CHAP-MD5 Naked, then PAP Naked too (suggesting EAP): nothing is left that both sides
    run; the module's server has authentication optional (it cannot check credentials
    anyway), so it asks for none and the network decides on an open APN."""
    rig = Rig()
    rig.dial()
    magic = rig.host_opens_lcp()
    rig.send(pf.frame(pf.PROTO_LCP, pf.packet(pf.CONF_NAK, 1, pf.option(pf.OPT_AUTH, EAP))))
    rig.sim.advance(0.05)
    rig.send(pf.frame(pf.PROTO_LCP, pf.packet(pf.CONF_NAK, 2, pf.option(pf.OPT_AUTH, EAP))))
    rig.sim.advance(0.05)
    assert rig.server_request() == (3, ACCM0 + pf.option(pf.OPT_MAGIC, magic) + COMPRESSION)
