"""RFC 1939 §3: a POP3 server MUST have an inactivity autologout timer of at least 10 minutes.
Ours defaults to exactly 10 minutes, so a session the network cut cannot hold the maildrop lock
for ever; ``idle_timeout`` changes it, ``false`` disables it."""

from __future__ import annotations

import pytest

from simnet.errors import ConfigError
from simnet.kernel import Simulation
from simnet.net import Network
from simnet.servers import make_service
from tests.servers.client import SERVER_IP, TcpClient

RFC1939_AUTOLOGOUT = 10 * 60  # seconds: "at least 10 minutes' duration"
CONFIG = {"users": {"u": "pw"}, "mailboxes": {"u": ["Subject: one\n\nx\n", "Subject: two\n\ny\n"]}}


def world(config: dict):
    sim = Simulation(1)
    net = Network(sim)
    server = net.add_host("srv", SERVER_IP)
    cut = net.add_host("cut", "198.51.100.20")  # the client the network loses
    other = net.add_host("other", "198.51.100.21")
    svc = make_service("pop3", config, "hosts.srv.services[0]").attach(sim, server)
    return sim, net, svc, cut, other


def login(sim, host) -> tuple[TcpClient, bytes]:
    c = TcpClient(sim, host, SERVER_IP, 110)
    assert c.wait_connected()
    assert c.pop_line().startswith(b"+OK")
    c.line("USER u")
    assert c.pop_line().startswith(b"+OK")
    c.line("PASS pw")
    return c, c.pop_line()


def cut_session(sim, net, cut) -> None:
    """Log in from ``cut``, mark message 1 deleted, then lose the network for good."""
    c, answer = login(sim, cut)
    assert answer.startswith(b"+OK")
    c.line("DELE 1")
    assert c.pop_line() == b"+OK message 1 deleted\r\n"
    sim.advance(1)  # the client's ACK of that answer gets through: the server owes nothing
    net.link("cut").set_outage(None)  # no FIN, no RST: the server hears nothing more


def last_command_at(svc) -> float:
    return [e.t for e in svc.log if e.direction == "in"][-1]


def test_default_autologout_is_ten_minutes_after_the_last_command_and_frees_the_lock():
    sim, net, svc, cut, other = world(dict(CONFIG))
    assert svc.idle_timeout == RFC1939_AUTOLOGOUT
    cut_session(sim, net, cut)
    deadline = last_command_at(svc) + RFC1939_AUTOLOGOUT
    sim.advance(deadline - 1 - sim.now)
    # one second before the autologout the cut session still holds the maildrop
    c, answer = login(sim, other)
    assert answer == b"-ERR unable to lock maildrop\r\n"
    sim.advance(deadline + 1 - sim.now)
    records = [r for r in sim.trace.records if r.kind == "idle_timeout"]
    assert len(records) == 1
    assert records[0].t == pytest.approx(deadline, abs=1e-9)
    assert records[0].fields["after"] == RFC1939_AUTOLOGOUT
    # the lock is free, and the cut session's DELE never reached UPDATE (RFC 1939 §3, §6)
    c, answer = login(sim, other)
    assert answer.startswith(b"+OK")
    c.line("STAT")
    assert c.pop_line().startswith(b"+OK 2 ")
    assert len(svc.mailbox("u")) == 2


def test_each_command_restarts_the_ten_minutes():
    sim, net, svc, cut, other = world(dict(CONFIG))
    c, _ = login(sim, cut)
    for _ in range(3):  # a command every 9 min 59 s keeps the session
        sim.advance(RFC1939_AUTOLOGOUT - 1)
        c.line("NOOP")
        assert c.pop_line() == b"+OK\r\n"
    last = last_command_at(svc)
    assert c.drain_until_fin(2 * RFC1939_AUTOLOGOUT) == b""  # autologout: no response
    (record,) = [r for r in sim.trace.records if r.kind == "idle_timeout"]
    assert record.t == pytest.approx(last + RFC1939_AUTOLOGOUT, abs=1e-9)


@pytest.mark.parametrize(("value", "expected"), [("2min", 120.0), (30, 30.0), (None, 600.0)])
def test_idle_timeout_stays_configurable(value, expected):
    sim, net, svc, cut, other = world({**CONFIG, "idle_timeout": value})
    assert svc.idle_timeout == expected
    cut_session(sim, net, cut)
    sim.advance(expected + 1)
    assert login(sim, other)[1].startswith(b"+OK")


def test_false_disables_the_autologout():
    sim, net, svc, cut, other = world({**CONFIG, "idle_timeout": False})
    assert svc.idle_timeout is None
    cut_session(sim, net, cut)
    sim.advance(24 * 3600)
    assert not [r for r in sim.trace.records if r.kind == "idle_timeout"]
    assert login(sim, other)[1] == b"-ERR unable to lock maildrop\r\n"


@pytest.mark.parametrize("value", [True, 0, "-1s", "soon"])
def test_bad_idle_timeout_is_named(value):
    with pytest.raises(ConfigError, match=r"services\[0\]\.idle_timeout"):
        make_service("pop3", {**CONFIG, "idle_timeout": value}, "hosts.srv.services[0]")


@pytest.mark.parametrize("stype", ["ftp", "smtp", "tcp-echo"])
def test_other_services_keep_no_timer_by_default(stype):
    assert make_service(stype, {}, "s").idle_timeout is None
