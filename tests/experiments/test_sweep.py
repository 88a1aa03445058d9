"""simnet.sweep: rows, metrics, worker-count and order invariance, resume, Dask, the CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import simnet
from simnet.errors import ConfigError
from simnet.experiments import SweepInterrupted
from simnet.experiments import worker as sweep_worker
from simnet.experiments.design import points
from simnet.experiments.metrics import parse_metrics
from simnet.experiments.sweep import sweep
from simnet.scenario.loader import load_file

pd = pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
CONNECT = 'between("AT+CIPOPEN", "+CIPOPEN: 0,0")'
GRID = {"network.link.loss": [0, "5%"], "network.link.delay": ["100ms", "600ms"]}


def test_one_row_per_run_with_parameters_seed_and_digest():
    df = sweep(
        QUICKSTART, grid=GRID, seeds="1-2", metrics={"connect": CONNECT}, jobs=1, progress=False
    )
    assert len(df) == 2 * 2 * 2
    assert list(df.columns[:4]) == ["run_id", "network.link.loss", "network.link.delay", "seed"]
    # values written with units become SI numbers: 5% -> 0.05, 600ms -> 0.6 s
    assert sorted(set(df["network.link.loss"])) == [0.0, 0.05]
    assert sorted(set(df["network.link.delay"])) == [0.1, 0.6]
    assert df["passed"].all() and df["failure"].isna().all()
    assert df["run_id"].is_unique and df["digest"].str.len().eq(64).all()
    # each row is exactly the run `Simulation(seed).run_scenario()` gives for those settings
    row = df[
        (df["network.link.loss"] == 0.05) & (df["network.link.delay"] == 0.6) & (df["seed"] == 2)
    ].iloc[0]
    data = load_file(str(QUICKSTART)).data
    data["network"]["link"].update({"loss": "5%", "delay": "600ms"})
    sim = simnet.Simulation.from_dict(data, seed=2)
    result = sim.run_scenario()
    assert row["digest"] == result.digest
    steps = {s.text: s.t for s in result.steps}
    assert row["connect"] == pytest.approx(
        steps["+CIPOPEN: 0,0"] - steps['AT+CIPOPEN=0,"TCP","203.0.113.10",7']
    )


def test_metrics_from_the_trace_and_the_links():
    metrics = {
        "rtx": "retransmissions",
        "urcs": "urcs",
        "up": "bytes_up",
        "down": "bytes_down",
        "air": "airtime",
        "syn": "count(tcp_state, tcp.module)",
        "echoed": "check(1, bytes_received)",
        "ok": "check(1)",
        "t_open": 'step_time("+NETOPEN: 0")',
        "first_urc": "first(urc)",
        "custom": lambda sim, result: {"now": sim.now, "steps": len(result.steps)},
    }
    df = sweep(
        QUICKSTART,
        grid={"network.link.loss": [0]},
        seeds=[3],
        metrics=metrics,
        jobs=1,
        progress=False,
    )
    row = df.iloc[0]
    assert row["rtx"] == 0 and row["echoed"] == 5 and bool(row["ok"])
    # the five URCs the scenario's steps wait for: +NETOPEN, +CIPOPEN, +CIPSEND, +CIPCLOSE,
    # +NETCLOSE
    assert row["urcs"] == 5
    # 40 kbit/s each way and no loss: airtime is the bytes carried at 40,000 bit/s
    assert row["air"] == pytest.approx((row["up"] + row["down"]) * 8 / 40_000)
    # an active open and an active close (RFC 9293 §3.3.2): CLOSED > SYN_SENT > ESTABLISHED >
    # FIN_WAIT_1 > FIN_WAIT_2 > TIME_WAIT > CLOSED, six transitions
    assert row["syn"] == 6
    assert row["custom.steps"] == 23 and row["custom.now"] == row["virtual_time"]
    assert row["first_urc"] <= row["t_open"]


def test_worker_count_and_order_do_not_change_results():
    kwargs = {
        "grid": GRID,
        "seeds": "1-3",
        "metrics": {"connect": CONNECT, "rtx": "retransmissions"},
        "progress": False,
    }
    one = sweep(QUICKSTART, jobs=1, **kwargs)
    two = sweep(QUICKSTART, jobs=2, **kwargs)
    pd.testing.assert_frame_equal(one, two)
    # the same runs in reverse order in one process: identical digests (no state carries over)
    job = sweep_worker.Job(load_file(str(QUICKSTART)), parse_metrics({"rtx": "retransmissions"}))
    plan = points([{"network.link.loss": "5%"}], [1, 2, 3, 4], "fp")
    forward = [sweep_worker.run_point(job, p)["digest"] for p in plan]
    backward = [sweep_worker.run_point(job, p)["digest"] for p in reversed(plan)]
    assert forward == backward[::-1]
    assert len(set(forward)) == 4


def _program(sim, policy: str, bomb: int | None = None, log: list | None = None):
    """A host program with a parameter: connect, retrying after a policy-dependent pause."""
    if log is not None:
        log.append(sim.seed)
    if bomb is not None and sim.seed == bomb:
        raise KeyboardInterrupt
    dte = sim.dte
    sim.advance(2.0)
    dte.command('AT+CGDCONT=1,"IP","internet"')
    dte.command("AT+NETOPEN", timeout=30)
    dte.expect(r"\+NETOPEN: 0", timeout=30)
    return {"policy_len": len(policy), "opened_at": sim.now}


def test_resume_after_interruption(tmp_path):
    out = tmp_path / "runs.csv"
    log: list[int] = []
    base = {"grid": {"policy": ["fixed"]}, "seeds": "1-6", "jobs": 1, "progress": False, "out": out}
    with pytest.raises(SweepInterrupted) as info:
        sweep(
            QUICKSTART, program=lambda sim, policy: _program(sim, policy, bomb=4, log=log), **base
        )
    assert info.value.done == 3 and info.value.total == 6
    journal = Path(info.value.journal)
    assert [json.loads(line)["seed"] for line in journal.read_text().splitlines()] == [1, 2, 3]
    assert not out.exists()
    log.clear()
    resumed = sweep(QUICKSTART, program=lambda sim, policy: _program(sim, policy, log=log), **base)
    assert log == [4, 5, 6]  # only the runs that had not finished
    assert not journal.exists() and out.exists()
    fresh = sweep(
        QUICKSTART, program=lambda sim, policy: _program(sim, policy), **{**base, "out": None}
    )
    pd.testing.assert_frame_equal(resumed, fresh, check_dtype=False)
    # a finished sweep run again reads its output and runs nothing
    log.clear()
    again = sweep(QUICKSTART, program=lambda sim, policy: _program(sim, policy, log=log), **base)
    assert log == []
    pd.testing.assert_frame_equal(again, fresh, check_dtype=False)


def test_program_failures_are_rows_not_crashes():
    def program(sim, timeout):
        sim.dte.expect("NEVER", timeout=timeout)

    df = sweep(
        QUICKSTART, grid={"timeout": [1.0]}, seeds=[1], program=program, jobs=1, progress=False
    )
    assert not df["passed"].iloc[0]
    assert df["error"].iloc[0].startswith("ExpectTimeout")


def test_bad_input_fails_before_any_run():
    with pytest.raises(simnet.ScenarioError, match="network.link.loss"):
        sweep(QUICKSTART, grid={"network.link.loss": [0, 2]}, progress=False)
    with pytest.raises(ConfigError, match="no program"):
        sweep(QUICKSTART, grid={"policy": ["a"]}, progress=False)
    with pytest.raises(ConfigError, match="no step"):
        sweep(QUICKSTART, metrics={"x": "step_time(99)"}, progress=False)
    with pytest.raises(ConfigError, match="unknown metric"):
        sweep(QUICKSTART, metrics={"x": "mean(3)"}, progress=False)
    with pytest.raises(ConfigError, match="expected a file ending"):
        sweep(QUICKSTART, out="results.xlsx", progress=False)
    with pytest.raises(ConfigError, match="jobs"):
        sweep(QUICKSTART, jobs=0, progress=False)


def test_a_bad_swept_value_names_the_sweep_not_just_the_file(capsys):
    """`--set network.lnk.loss=0,1%` was reported as `quickstart.yaml:N: network.lnk: unknown
    key`, pointing into a file that has no such key."""
    with pytest.raises(simnet.ScenarioError) as typo:
        sweep(QUICKSTART, grid={"network.lnk.loss": [0, "1%"]}, progress=False)
    assert "network.lnk: unknown key" in str(typo.value)
    assert "(a value of the sweep: network.lnk.loss=0)" in str(typo.value)
    with pytest.raises(simnet.ScenarioError) as bad:
        sweep(QUICKSTART, grid={"network.link.loss": ["150%"]}, progress=False)
    assert "network.link.loss: got '150%'" in str(bad.value)
    assert "(a value of the sweep: network.link.loss='150%')" in str(bad.value)
    # the file's own mistakes are not blamed on the sweep
    import yaml

    data = yaml.safe_load(QUICKSTART.read_text())
    data["faults"] = [{"at": "1s", "action": "meteor"}]
    with pytest.raises(simnet.ScenarioError) as own:  # a mapping: checked with the swept values
        sweep(data, grid={"network.link.loss": [0]}, progress=False)
    assert "unknown action 'meteor'" in str(own.value) and "sweep" not in str(own.value)
    from simnet.experiments.cli import main as sweep_main

    assert sweep_main([str(QUICKSTART), "--set", "network.link.loss=0,150%"]) == 2
    assert "(a value of the sweep: network.link.loss='150%')" in capsys.readouterr().err


def test_dask_local_cluster_gives_the_local_result(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    kwargs = {
        "grid": {"network.link.loss": [0, "5%"]},
        "seeds": "1-3",
        "metrics": {"connect": CONNECT, "rtx": "retransmissions"},
        "progress": False,
    }
    local = sweep(QUICKSTART, jobs=1, **kwargs)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = sweep(QUICKSTART, client=client, **kwargs)
        assert len(client.scheduler_info()["workers"]) == 2
        # the command line reaches the same cluster by its address
        from simnet.experiments.cli import main as sweep_main

        out = tmp_path / "dask.csv"
        assert (
            sweep_main(
                [
                    str(QUICKSTART),
                    "--set",
                    "network.link.loss=0,5%",
                    "--seeds",
                    "1-3",
                    "--metric",
                    f"connect={CONNECT}",
                    "--metric",
                    "rtx=retransmissions",
                    "--dask",
                    cluster.scheduler_address,
                    "--no-progress",
                    "--out",
                    str(out),
                ],
                out=io.StringIO(),
                err=io.StringIO(),
            )
            == 0
        )
    pd.testing.assert_frame_equal(local, remote)
    assert list(pd.read_csv(out)["digest"]) == list(local["digest"])


def test_cli(tmp_path):
    from simnet.cli import main

    out, err = io.StringIO(), io.StringIO()
    from simnet.experiments.cli import main as sweep_main

    code = sweep_main(
        [
            str(QUICKSTART),
            "--set",
            "network.link.loss=0,5%",
            "--seeds",
            "1-2",
            "--metric",
            f"connect={CONNECT}",
            "--jobs",
            "1",
            "--no-progress",
            "--out",
            str(tmp_path / "r.parquet"),
        ],
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    text = out.getvalue()
    assert "connect p50" in text and "4 rows in" in text
    df = pd.read_parquet(tmp_path / "r.parquet")
    assert len(df) == 4 and set(df["network.link.loss"]) == {0.0, 0.05}
    err = io.StringIO()
    assert sweep_main([str(QUICKSTART), "--set", "network.link.los=0"], out=out, err=err) == 2
    assert f"{QUICKSTART}:" in err.getvalue() and "did you mean 'loss'" in err.getvalue()
    assert sweep_main([str(QUICKSTART), "--set", "nonsense"], out=out, err=io.StringIO()) == 2
    assert (
        sweep_main(
            [str(QUICKSTART), "--random", "network.link.loss=uniform(0,0.1)"],
            out=out,
            err=io.StringIO(),
        )
        == 2
    )  # --samples missing
    assert main(["sweep", "--help"]) == 0


def test_link_metrics_cover_every_device_of_a_fleet():
    fleet = ROOT / "scenarios" / "fleet" / "trackers-report.yaml"
    df = sweep(
        fleet, seeds=[2], metrics={"up": "bytes_up", "air": "airtime"}, jobs=1, progress=False
    )
    sim = simnet.Simulation.from_yaml(fleet, seed=2)
    sim.run_scenario()
    devices = list(sim.devices.values())
    assert len(devices) > 1
    up = sum(sim.network.link(f"{d.host_name}.uplink").bytes_delivered for d in devices)
    assert (
        df["up"].iloc[0] == up > sim.network.link(f"{devices[0].host_name}.uplink").bytes_delivered
    )


def test_progress_bar_with_rate_and_eta_on_request(capsys):
    pytest.importorskip("tqdm")
    sweep(QUICKSTART, seeds="1-3", jobs=1, progress=True)
    err = capsys.readouterr().err
    assert "sweep" in err and "3/3" in err and "run/s" in err


def test_random_design_from_the_command_line(tmp_path):
    from simnet.experiments.cli import main as sweep_main

    out = tmp_path / "r.jsonl"
    args = [
        str(QUICKSTART),
        "--random",
        "network.link.delay=uniform(100ms, 600ms)",
        "--samples",
        "3",
        "--design-seed",
        "5",
        "--no-progress",
        "--jobs",
        "1",
        "--out",
        str(out),
    ]
    assert sweep_main(args, out=io.StringIO(), err=io.StringIO()) == 0
    delays = list(pd.read_json(out, lines=True)["network.link.delay"])
    assert len(delays) == 3 and all(0.1 <= d <= 0.6 for d in delays)
    assert (
        sweep_main(
            [*args[:-1], str(tmp_path / "again.jsonl")], out=io.StringIO(), err=io.StringIO()
        )
        == 0
    )
    assert list(pd.read_json(tmp_path / "again.jsonl", lines=True)["network.link.delay"]) == delays
