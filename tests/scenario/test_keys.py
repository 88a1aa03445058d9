"""Each key of the scenario contract reaches the part of the world it configures.

Expected values are the scenario's literal numbers converted by hand (300ms = 0.3 s,
40kbps = 40,000 bit/s, ...), or the documented defaults of the bearer's radio profile."""

from __future__ import annotations

import pytest

import simnet
from simnet.kernel.dist import Constant, Normal, Uniform


def build(**keys) -> simnet.Simulation:
    spec = {"name": "keys", "module": "simcom-sim7600", "steps": [{"send": "AT"}], **keys}
    return simnet.Simulation.from_dict(spec)


def test_name_description_seed():
    sim = build(description="free text", seed=42)
    assert sim.scenario.name == "keys" and sim.scenario.description == "free text"
    assert sim.seed == 42
    assert build().seed == 1  # default
    assert simnet.Simulation.from_dict({"name": "k", "module": "simcom-sim7600", "seed": 42,
                                        "steps": [{"send": "AT"}]}, seed=5).seed == 5


def test_module_and_uart_baud():
    sim = build(uart={"baud": 9600})
    assert sim.module.profile.id == "simcom-sim7600"
    assert sim.module.uart.dce.baud == 9600
    # 10 bits per byte at 9600 bit/s: "AT\r" takes 3 * 10 / 9600 = 3.125 ms (8N1, by hand)
    sim.dte.write(b"AT\r")
    sim.advance(0.0031)
    assert not any(r.kind == "dte>" and b"\r" in r.fields["data"] for r in sim.trace.records)
    sim.advance(0.0002)
    assert any(r.kind == "dte>" and b"\r" in r.fields["data"] for r in sim.trace.records)


def test_link_keys_both_directions():
    sim = build(
        network={
            "link": {
                "delay": "300ms",
                "jitter": "50ms",
                "rate": "40kbps",
                "loss": 0.01,
                "queue": 20,
                "mtu": 576,
                "duplicate": 0.001,
                "corrupt": 0.002,
                "reorder": True,
            }
        }
    )
    for link in sim.network.link("module").directions():
        cfg = link.config
        assert cfg.delay_dist == Constant(0.3)
        assert cfg.jitter_s == pytest.approx(0.05)
        assert cfg.rate_bps == 40_000
        assert cfg.queue_packets == 20 and cfg.mtu == 576 and cfg.reorder is True
        assert cfg.duplicate == 0.001 and cfg.corrupt == 0.002
        assert link.loss_model.params() == {"model": "bernoulli", "p": 0.01}


def test_uplink_downlink_override_link_and_distributions():
    sim = build(
        network={
            "link": {"delay": {"dist": "normal", "mean": "300ms", "sd": "50ms"}, "rate": "40kbps"},
            "uplink": {"rate": "1.2Mbps"},
            "downlink": {"delay": {"min": "1s", "max": "4s"}},
        }
    )
    up, down = sim.network.link("module").directions()
    assert up.config.rate_bps == 1_200_000 and up.config.delay_dist == Normal(0.3, 0.05)
    assert down.config.rate_bps == 40_000 and down.config.delay_dist == Uniform(1.0, 4.0)


def test_radio_profile_defaults_without_link_keys():
    # gprs_class10: 42.8 kbit/s up, 85.6 kbit/s down, one-way delay uniform 0.25..0.5 s
    up, down = build().network.link("module").directions()
    assert up.config.rate_bps == 42_800 and down.config.rate_bps == 85_600
    assert up.config.delay_dist == Uniform(0.25, 0.5)
    # network.profile picks another one: EDGE class 10 is 118.4 / 236.8 kbit/s
    up, down = build(network={"profile": "edge"}).network.link("module").directions()
    assert (up.config.rate_bps, down.config.rate_bps) == (118_400, 236_800)
    # bearer: gsm selects the 9600 bit/s CSD profile
    up, _ = build(network={"bearer": "gsm"}).network.link("module").directions()
    assert up.config.rate_bps == 9600


def test_loss_models():
    ge = build(
        network={
            "link": {"loss": {"model": "gilbert-elliott", "p": 0.05, "r": 0.5, "h": 0.1, "k": 0.99}}
        }
    )
    params = ge.network.link("module").uplink.loss_model.params()
    assert params["model"] == "gilbert_elliott"
    assert params["one_minus_h"] == pytest.approx(0.9) and params["one_minus_k"] == pytest.approx(
        0.01
    )
    fs = build(network={"link": {"loss": {"model": "four-state", "p13": 0.1}}})
    params = fs.network.link("module").uplink.loss_model.params()
    assert params["model"] == "four_state" and params["p31"] == pytest.approx(0.9)  # netem 1 - p13


def test_dns_and_nat_keys():
    sim = build(
        network={
            "dns": ["10.64.0.53", "10.64.1.53"],
            "nat": {"tcp_idle_timeout": "300s", "udp_idle_timeout": "1min"},
        }
    )
    assert sim.network.dns_ips == ["10.64.0.53", "10.64.1.53"]
    assert sim.network.nat.config.tcp_idle_timeout == 300.0
    assert sim.network.nat.config.udp_idle_timeout == 60.0


def test_hosts_services_and_dns_registration():
    sim = build(
        hosts={
            "echo.example.net": {
                "ip": "203.0.113.10",
                "services": [{"type": "udp-echo", "port": 7}, {"type": "udp-sink", "port": 9}],
            },
            "hidden.example.net": {"ip": "203.0.113.11", "dns": False},
        }
    )
    zone = sim.network.dns_records
    assert zone.lookup_a("echo.example.net") == ["203.0.113.10"]
    assert zone.lookup_ptr("10.113.0.203.in-addr.arpa") == ["echo.example.net"]
    assert not zone.lookup_a("hidden.example.net")
    assert [(s["type"], s["port"]) for s in sim.host("echo.example.net").services()] == [
        ("udp-echo", 7),
        ("udp-sink", 9),
    ]
    assert sim.host("hidden.example.net").services() == []


def test_service_config_errors_are_located(tmp_path):
    text = (
        "name: s\nmodule: simcom-sim7600\nhosts:\n  echo.example.net:\n    ip: 203.0.113.10\n"
        "    services:\n      - {type: udp-echo, port: 7, colour: red}\nsteps:\n  - send: AT\n"
    )
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(simnet.ScenarioError) as info:
        simnet.Simulation.from_yaml(path)
    (problem,) = info.value.problems
    assert (problem.line, problem.path) == (7, "hosts.echo.example.net.services[0].colour")


def test_operator_keys_reach_the_bearer():
    sim = build(
        sim={"state": "pin", "pin": "4321"},
        network={
            "registration": {"state": "roaming", "after": "3s"},
            "apn": {"name": "m2m.example", "user": "u", "password": "p", "auth": "chap"},
            "pdp": {"activation_delay": {"min": "1s", "max": "4s"}, "reject_cause": 33},
            "signal": {"rssi": 17, "ber": 2},
        },
    )
    op = sim.bearer.operator
    assert op.apn == ("m2m.example",) and (op.user, op.password, op.auth) == ("u", "p", "chap")
    assert op.reject_cause == 33 and op.silent is False
    assert op.radio.registered_as == "roaming" and op.radio.rssi == 17 and op.radio.ber == 2
    assert op.sim.pin == "4321"
    assert sim.dte.command("AT+CPIN?").lines == ["+CPIN: SIM PIN"]


def test_sim_absent_and_silent_pdp():
    sim = build(sim={"state": "absent"}, network={"pdp": {"silent": True}})
    assert sim.bearer.operator.sim.present is False and sim.bearer.operator.silent is True


def trace_times(sim: simnet.Simulation, source: str, kind: str, **match) -> list[float]:
    return [
        r.t
        for r in sim.trace.select(source=source, kind=kind)
        if all(r.fields.get(k) == v for k, v in match.items())
    ]


def test_registration_state_after_delay():
    sim = build(network={"registration": {"state": "roaming", "after": "3s"}})
    assert sim.dte.command("AT+CGREG?").lines == ["+CGREG: 0,2"]  # searching until t = 3 s
    sim.advance(3.0)
    assert sim.dte.command("AT+CGREG?").lines == ["+CGREG: 0,5"]  # 27.007 stat 5 = roaming
    assert trace_times(sim, "bearer.radio", "registration", domain="ps", state="roaming") == [3.0]


def test_pdp_activation_delay_and_reject_cause():
    sim = build(network={"pdp": {"activation_delay": "1.5s"}, "apn": {"name": "internet"}})
    sim.dte.command('AT+CGDCONT=1,"IP","internet"')
    sim.dte.command("AT+NETOPEN")
    sim.dte.expect(r"\+NETOPEN: 0", timeout=30)
    (request,) = trace_times(sim, "bearer.gprs", "pdp_request")
    (result,) = trace_times(sim, "bearer.gprs", "pdp_result", outcome="ok")
    assert result - request == pytest.approx(1.5)  # the network answers after exactly 1.5 s
    rejected = build(network={"pdp": {"reject_cause": 27}, "apn": {"name": "internet"}})
    rejected.dte.command('AT+CGDCONT=1,"IP","internet"')
    rejected.dte.command("AT+NETOPEN")
    rejected.dte.expect(r"\+NETOPEN: \d+", timeout=30)
    (rec,) = rejected.trace.select(source="bearer.gprs", kind="pdp_result")
    assert rec.fields["outcome"] == "pdp_reject" and rec.fields.get("cause") == 27


def test_apn_served_and_other_apn_rejected_with_cause_27():
    sim = build(network={"apn": {"name": "m2m.example"}})
    sim.dte.command('AT+CGDCONT=1,"IP","internet"')  # not the APN the operator serves
    sim.dte.command("AT+NETOPEN")
    sim.dte.expect(r"\+NETOPEN: \d+", timeout=30)
    (rec,) = sim.trace.select(source="bearer.gprs", kind="pdp_result")
    assert rec.fields["outcome"] == "pdp_reject" and rec.fields.get("cause") == 27


def test_apn_credentials_checked_under_pap():
    # the operator wants PAP user "u"; the module activates without credentials -> #29
    sim = build(network={"apn": {"name": "internet", "user": "u", "password": "p", "auth": "pap"}})
    sim.dte.command('AT+CGDCONT=1,"IP","internet"')
    sim.dte.command("AT+NETOPEN")
    sim.dte.expect(r"\+NETOPEN: \d+", timeout=30)
    (rec,) = sim.trace.select(source="bearer.gprs", kind="pdp_result")
    assert rec.fields["outcome"] == "pdp_reject" and rec.fields.get("cause") == 29


def test_without_uart_key_the_module_keeps_its_default_baud():
    from simnet.modem.registry import get_profile

    sim = build()
    assert sim.module.uart.dce.baud == get_profile("simcom-sim7600").baud
