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
    sim = Simulation.from_dict(
        {
            "name": "t",
            "module": "simcom-sim7600",
            "hosts": {
                "srv.example.net": {
                    "ip": "203.0.113.40",
                    "tcp": {"profile": "linux", "min_rto": 0.3},
                    "services": [{"type": "tcp-echo", "port": 7}],
                },
                "plain.example.net": {"ip": "203.0.113.41"},
            },
            "steps": [{"send": "AT"}, {"expect": "OK"}],
        }
    )
    cfg = sim.network.host("srv_example_net").tcp.default_config
    assert cfg.sack and cfg.timestamps and cfg.min_rto == 0.3 and cfg.initial_window == 10
    plain = sim.network.host("plain_example_net").tcp.default_config
    assert not plain.extended and plain.min_rto == 1.0


def test_unknown_tcp_profile_is_named_with_its_line() -> None:
    text = HOSTS.format(tcp="bsd")
    [msg] = problems_of(text)
    assert msg.startswith(
        f"s.yaml:{line_of(text, 'tcp: bsd')}: hosts.srv.example.net.tcp: unknown TCP profile 'bsd'"
    )
    assert "classic, linux, lwip" in msg


def test_bad_tcp_override_names_the_field() -> None:
    text = HOSTS.format(tcp="{profile: linux, min_rto: -1}")
    [msg] = problems_of(text)
    assert "hosts.srv.example.net.tcp.min_rto: expected seconds in (0, 600]" in msg
    text = HOSTS.format(tcp="{profile: linux, rto: 1}")
    [msg] = problems_of(text)
    assert "hosts.srv.example.net.tcp.rto: not a TCP parameter" in msg


# -- network.nat variants, capture points, epoch -------------------------------------------------
NAT = dedent("""
    name: nat keys
    module: simcom-sim7600
    network:
      nat: {nat}
    hosts:
      srv.example.net:
        ip: 203.0.113.40
    steps:
      - send: AT
      - expect: OK
""")


def test_nat_variants_reach_the_nat() -> None:
    sim = Simulation.from_dict(
        {
            "name": "t",
            "module": "simcom-sim7600",
            "network": {
                "nat": {
                    "mapping": "address-dependent",
                    "filtering": "endpoint-independent",
                    "port_preservation": True,
                    "on_expiry": "rst-both",
                    "inbound_refresh": False,
                    "tcp_established_timeout": "124min",
                    "tcp_transitory_timeout": "4min",
                }
            },
            "steps": [{"send": "AT"}, {"expect": "OK"}],
        }
    )
    cfg = sim.network.nat.config
    assert (cfg.mapping, cfg.filtering, cfg.on_expiry) == (
        "address-dependent",
        "endpoint-independent",
        "rst-both",
    )
    assert cfg.port_preservation and not cfg.inbound_refresh
    assert (cfg.tcp_idle_timeout, cfg.tcp_transitory_timeout) == (124 * 60, 240)


def test_bad_nat_variants_are_named_with_their_line() -> None:
    text = NAT.format(nat="{on_expiry: vanish, filtering: cone}")
    problems = problems_of(text)
    line = line_of(text, "on_expiry: vanish")
    assert any(
        p.startswith(f"s.yaml:{line}: network.nat.on_expiry: ") and "silent-drop" in p
        for p in problems
    )
    assert any("network.nat.filtering:" in p and "endpoint-independent" in p for p in problems)


def test_capture_and_epoch_validation() -> None:
    base = HOSTS.format(tcp="linux")
    problems = problems_of(base + "capture: [module, core-middle]\nepoch: yesterday\n")
    assert any(
        "capture[1]: unknown capture point 'core-middle'" in p and "srv.example.net" in p
        for p in problems
    )
    assert any(
        p.startswith(f"s.yaml:{len(base.splitlines()) + 2}: epoch: expected an ISO-8601")
        for p in problems
    )
    assert (
        problems_of(
            base + "capture: [core-outside, srv.example.net]\nepoch: 2026-05-01T12:00:00Z\n"
        )
        == []
    )


def test_one_epoch_for_pcap_servers_and_trace(tmp_path) -> None:
    import pandas as pd
    from scapy.all import rdpcap

    from simnet.scenario.cli import main

    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        dedent("""
        name: epoch
        module: simcom-sim7600
        epoch: 2026-05-01T12:00:00Z
        capture: [core-inside]
        network: {apn: {name: internet}}
        hosts:
          ntp.example.net:
            ip: 203.0.113.50
            services: [{type: ntp}]
        steps:
          - send: AT+CGDCONT=1,"IP","internet"
          - expect: OK
          - send: AT+NETOPEN
          - expect: "+NETOPEN: 0"
            within: 30s
          - send: AT+CNTP="203.0.113.50",0
          - expect: OK
          - send: AT+CNTP
          - expect: "+CNTP: 0"
            within: 30s
          - send: AT+CCLK?
          - expect: '+CCLK: "26/05/01,12:00:'
    """)
    )
    out = tmp_path / "out.pcap"
    inside = tmp_path / "in.pcap"
    assert (
        main(
            [
                "run",
                str(scenario),
                "--quiet",
                "--pcap",
                str(out),
                "--pcap",
                f"core-inside={inside}",
                "--pcap",
                f"core-outside={tmp_path / 'o.pcap'}",
            ]
        )
        == 0
    )
    start = 1777636800.0  # 2026-05-01T12:00:00Z
    for path in (out, inside, tmp_path / "o.pcap"):
        times = [float(p.time) for p in rdpcap(str(path))]
        assert times and start < min(times) < start + 60
    sim = Simulation.from_yaml(str(scenario))
    assert sim.epoch == start
    sim.run_scenario()
    frame = sim.trace.to_dataframe()
    expected = pd.to_datetime(frame["t"].astype(float) + start, unit="s", utc=True)
    assert (frame["utc"] - expected).abs().max() < pd.Timedelta(milliseconds=1)


def test_unknown_pcap_point_on_the_command_line(tmp_path, capsys) -> None:
    from simnet.scenario.cli import main

    scenario = tmp_path / "s.yaml"
    scenario.write_text(HOSTS.format(tcp="classic"))
    assert main(["run", str(scenario), "--pcap", "core-middle=x.pcap"]) == 2
    assert "unknown capture point 'core-middle'" in capsys.readouterr().err
