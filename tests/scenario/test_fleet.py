"""Fleets: many modules in one world (modules: with counts and overrides), each with its own
DTE and script, sharing the cell, the carrier NAT and the peers; faults on a device, a share or
the cell; per-device results in the report and a DataFrame."""

from __future__ import annotations

from pathlib import Path

import pytest

import simnet
from simnet.errors import ConfigError
from simnet.scenario.report import build_report

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "fleet" / "trackers-report.yaml"


def fleet(count: int = 3, faults: list | None = None, steps: list | None = None, **group):
    data = {
        "name": "fleet",
        "modules": [
            {
                "name": "dev",
                "module": "simcom-sim7600",
                "count": count,
                **({"steps": steps} if steps is not None else {}),
                **group,
            }
        ],
        "network": {"registration": {"state": "home", "after": "0s"}},
        "hosts": {
            "echo.example.net": {
                "ip": "203.0.113.10",
                "services": [{"type": "tcp-echo", "port": 7}],
            }
        },
    }
    if faults:
        data["faults"] = faults
    return data


@pytest.fixture(scope="module")
def library_run():
    sim = simnet.Simulation.from_yaml(LIBRARY)
    return sim, sim.run_scenario()


def test_library_fleet_reports_per_device(library_run):
    sim, result = library_run
    assert result.passed
    assert len(result.devices) == 25 and len(sim.devices) == 25
    tracker3 = next(d for d in result.devices if d.name == "tracker-03")
    assert [s.text for s in tracker3.steps] == ["AT+NETOPEN", "+NETOPEN: 1"]  # its override
    report = build_report([result])
    assert report["fleet"] == {"devices": 25, "passed": 25, "failed": []}
    assert {d["group"] for d in report["devices"]} == {"tracker", "meter"}
    # every reporting tracker: 1024 bytes of payload plus AT lines went to the module
    others = [d for d in result.devices if d.group == "tracker" and d.name != "tracker-03"]
    assert all(d.uart_bytes_out > 1024 for d in others)
    # 19 reports of 1024 bytes reached the one collector through the one NAT
    assert sim.host("collector.example.net").bytes_received(service="tcp-sink") == 19 * 1024


def test_devices_frame_has_a_row_per_device(library_run):
    pytest.importorskip("pandas")
    _, result = library_run
    frame = result.devices_frame()
    assert len(frame) == 25
    assert set(frame.columns) >= {"name", "group", "module", "passed", "steps", "t_end", "failure"}
    assert set(frame[frame.group == "meter"].module) == {"fibocom-l610"}


def test_devices_share_the_operator_and_nat_but_not_addresses(library_run):
    sim, _ = library_run
    ips = [dev.host.ip for dev in sim.devices.values() if dev.host.ip]
    assert len(ips) == len(set(ips)) >= 20
    creates = [r for r in sim.trace.select(kind="nat") if r.fields["event"] == "create"]
    private = {r.fields["mapping"].split()[1].split(":")[0] for r in creates}
    assert len(private) >= 20  # one NAT, many subscribers


def test_python_api_each_device_has_its_own_dte():
    sim = simnet.Simulation.from_dict(fleet(3))
    with pytest.raises(ConfigError, match="fleet of 3 modules"):
        sim.dte  # noqa: B018
    for name in ("dev-0", "dev-2"):
        assert sim.device(name).dte.command("AT").ok
    assert sim.device("dev-1").dte.bytes_received == 0  # nothing crossed the others' lines
    with pytest.raises(ConfigError, match="unknown device"):
        sim.device("dev-9")


def test_single_module_world_is_one_device_named_modem():
    sim = simnet.Simulation.from_dict({"name": "one", "module": "simcom-sim7600"})
    assert list(sim.devices) == ["modem"] and sim.devices["modem"].dte is sim.dte


def test_fault_on_a_device_a_share_or_the_cell():
    faults = [
        {"at": "1s", "action": "sim-remove", "device": "dev-1"},
        {"at": "1s", "action": "link-outage", "share": 0.5, "duration": "10s"},
        {"at": "2s", "action": "coverage-loss", "duration": "5s"},
    ]
    sim = simnet.Simulation.from_dict(fleet(8, faults))
    sim.advance(3)
    removed = [d.name for d in sim.devices.values() if d.bearer.sim_card.cpin != "READY"]
    assert removed == ["dev-1"]
    out = {
        r.source.rsplit(".", 1)[0]
        for r in sim.trace.records
        if r.kind == "link" and r.fields.get("event") == "outage"
    }
    assert len(out) == 4  # half of the 8 devices, both directions each
    lost = {
        r.source.split(".")[0]
        for r in sim.trace.records
        if r.kind == "fault" and r.fields.get("fault") == "coverage_loss"
    }
    assert lost == {f"dev-{i}" for i in range(8)}  # no target: the whole cell
    again = simnet.Simulation.from_dict(fleet(8, faults))
    again.advance(3)
    assert {
        r.source.rsplit(".", 1)[0]
        for r in again.trace.records
        if r.kind == "link" and r.fields.get("event") == "outage"
    } == out  # the share is seeded


def test_group_start_spreads_devices_and_overrides_apply():
    steps = [{"send": "AT"}, {"expect": "OK"}]
    data = fleet(
        4, steps=steps, start={"min": "0s", "max": "10s"}, overrides={1: {"module": "fibocom-l610"}}
    )
    sim = simnet.Simulation.from_dict(data)
    result = sim.run_scenario()
    assert result.passed
    starts = [d.t_start for d in result.devices]
    assert len(set(starts)) == 4 and all(0 <= t <= 10 for t in starts)
    assert [d.module for d in result.devices] == [
        "simcom-sim7600",
        "fibocom-l610",
        "simcom-sim7600",
        "simcom-sim7600",
    ]


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda d: d.update(module="simcom-sim7600"),
            "either module: (one module) or modules: (a fleet)",
        ),
        (lambda d: d["modules"][0].update(count=0), "modules[0].count: 0 is out of range"),
        (
            lambda d: d["modules"][0].update(overrides={5: {"module": "fibocom-l610"}}),
            "device index 5 out of range",
        ),
        (lambda d: d["modules"][0].update(name="bad name"), "is not a device name"),
        (
            lambda d: d.update(faults=[{"at": "1s", "action": "sim-remove", "device": "nope"}]),
            "unknown device 'nope'",
        ),
        (lambda d: d.update(steps=[{"send": "AT"}]), "a fleet's steps belong to each entry"),
        (
            lambda d: d["modules"][0].update(module="nokia-3310"),
            "modules[0].module: unknown module",
        ),
    ],
)
def test_bad_fleets_are_named(change, message):
    data = fleet(3)
    change(data)
    with pytest.raises(simnet.ScenarioError) as info:
        simnet.Simulation.from_dict(data)
    assert message in str(info.value)


def test_simnet_run_prints_the_fleet_verdict(tmp_path):
    import io
    import json

    from simnet.scenario.cli import main

    out, err = io.StringIO(), io.StringIO()
    report = tmp_path / "r.json"
    assert main(["run", str(LIBRARY), "--report", str(report)], out=out, err=err) == 0, (
        err.getvalue()
    )
    assert "[   fleet    ] 25 of 25 devices passed" in out.getvalue()
    data = json.loads(report.read_text())
    assert data["fleet"]["devices"] == 25 and len(data["devices"]) == 25


def test_devices_frame_numbers_the_failed_step_as_simnet_run_prints_it(tmp_path):
    """A new user saw `step 3` in `simnet run` and failed_step 2.0 in the frame (the index,
    as a float), and the radio figures as one dict column."""
    pytest.importorskip("pandas")
    steps = [{"send": "AT"}, {"expect": "OK"}, {"expect": "NEVER", "within": "1s"}]
    data = fleet(2, steps=steps[:2], overrides={1: {"steps": steps}})
    result = simnet.Simulation.from_dict(data).run_scenario()
    frame = result.devices_frame().set_index("name")
    assert frame.loc["dev-1", "failed_step"] == 3  # the third step of its script
    assert frame.loc["dev-1", "failed_kind"] == "expect"
    assert frame["failed_step"].isna().tolist() == [True, False]  # dev-0 passed
    assert str(frame["failed_step"].dtype) == "Int64"
    radio = [c for c in frame.columns if c.startswith("radio.")]
    assert "radio" not in frame.columns and "radio.charge_mah" in radio
    assert all(frame[c].dtype.kind == "f" for c in ("radio.charge_mah", "radio.airtime"))
    from simnet.scenario.report import build_report

    device = next(d for d in build_report([result])["devices"] if d["name"] == "dev-1")
    assert device["failure"]["index"] + 1 == 3  # the report's index is the 0-based one
    import io

    import yaml

    from simnet.scenario.cli import main

    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(data))
    out = io.StringIO()
    assert main(["run", str(path)], out=out, err=io.StringIO()) == 1
    assert "FAIL dev-1 (simcom-sim7600): step 3 (expect 'NEVER')" in out.getvalue()


def test_simnet_run_names_every_module_of_a_mixed_fleet():
    """The first line said 'module simcom-sim7600' for 20 SIM7600s and 5 L610s."""
    import io

    from simnet.scenario.cli import main

    out = io.StringIO()
    assert main(["run", str(LIBRARY)], out=out, err=io.StringIO()) == 0
    assert out.getvalue().splitlines()[0] == (
        f"simnet: Fleet of trackers reporting through one NAT ({LIBRARY}), fleet of 25 devices "
        "(20 simcom-sim7600, 5 fibocom-l610), seed 7"
    )
