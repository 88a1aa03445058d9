"""Scenario keys of issue 19 (host TCP profiles, ...): valid forms build the world as said,
invalid ones get FILE:LINE: key.path: message."""

from __future__ import annotations

from simnet.scenario.api import Simulation
from tests.scenario.helpers import dedent, line_of, problems_of

HOSTS = dedent("""
    name: realism keys
    module: simcom-sim7600
    hosts:
      srv.example.net:
        ip: 203.0.113.40
        tcp: {tcp}
        services:
          - {{type: tcp-echo, port: 7}}
    steps:
      - send: AT
      - expect: OK
""")


def test_host_tcp_profile_reaches_the_stack() -> None:
    sim = Simulation.from_dict({
        "name": "t", "module": "simcom-sim7600",
        "hosts": {"srv.example.net": {"ip": "203.0.113.40", "tcp": {"profile": "linux", "min_rto": 0.3},
                                      "services": [{"type": "tcp-echo", "port": 7}]},
                  "plain.example.net": {"ip": "203.0.113.41"}},
        "steps": [{"send": "AT"}, {"expect": "OK"}],
    })
    cfg = sim.network.host("srv_example_net").tcp.default_config
    assert cfg.sack and cfg.timestamps and cfg.min_rto == 0.3 and cfg.initial_window == 10
    plain = sim.network.host("plain_example_net").tcp.default_config
    assert not plain.extended and plain.min_rto == 1.0


def test_unknown_tcp_profile_is_named_with_its_line() -> None:
    text = HOSTS.format(tcp="bsd")
    [msg] = problems_of(text)
    assert msg.startswith(f"s.yaml:{line_of(text, 'tcp: bsd')}: hosts.srv.example.net.tcp: unknown TCP profile 'bsd'")
    assert "classic, linux, lwip" in msg


def test_bad_tcp_override_names_the_field() -> None:
    text = HOSTS.format(tcp="{profile: linux, min_rto: -1}")
    [msg] = problems_of(text)
    assert "hosts.srv.example.net.tcp.min_rto: expected seconds in (0, 600]" in msg
    text = HOSTS.format(tcp="{profile: linux, rto: 1}")
    [msg] = problems_of(text)
    assert "hosts.srv.example.net.tcp.rto: not a TCP parameter" in msg
