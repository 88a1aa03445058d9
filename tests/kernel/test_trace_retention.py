"""Bounded trace memory: levels, kinds, a ring, streams to JSONL/Parquet — and the digest still
covers every record, whatever stays in memory."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

import simnet
from simnet.errors import ConfigError
from simnet.kernel.trace import Trace, TraceConfig, read_jsonl
from simnet.scenario.cli import main

QUICKSTART = str(Path(__file__).resolve().parents[2] / "scenarios" / "quickstart.yaml")


def run_quickstart(**kwargs):
    sim = simnet.Simulation.from_yaml(QUICKSTART, **kwargs)
    result = sim.run_scenario()
    assert result.passed
    return sim, result


@pytest.fixture(scope="module")
def full():
    return run_quickstart()


def test_digest_is_over_every_record_whatever_is_kept(full):
    sim_full, res_full = full
    all_records = list(sim_full.trace.records)
    kinds = {r.kind for r in all_records}
    assert {"dte>", "dte<", "pkt"} <= kinds  # the quickstart has UART bytes and packets
    for config in (TraceConfig(level="events"), TraceConfig(level="no-packets"),
                   TraceConfig(ring=10), TraceConfig(kinds=frozenset({"tcp_state"}))):
        sim, res = run_quickstart(trace_config=config)
        assert res.digest == res_full.digest, config
        assert res.records == res_full.records == len(all_records)
        kept = list(sim.trace.records)
        if config.ring:
            assert kept == all_records[-10:]
        elif config.kinds:
            assert kept == [r for r in all_records if r.kind == "tcp_state"] and kept
        else:
            dropped = {"pkt", "drop"} | ({"dte>", "dte<"} if config.level == "events" else set())
            assert kept == [r for r in all_records if r.kind not in dropped]
        assert res.trace["in_memory"] == len(kept)
        assert res.trace["not_kept"] == len(all_records) - len(kept)


def test_streamed_jsonl_is_the_whole_trace_and_hashes_to_the_digest(tmp_path, full):
    _, res_full = full
    path = tmp_path / "t.jsonl"
    sim, res = run_quickstart(trace_config=TraceConfig(ring=5), trace_stream=str(path))
    sim.trace.close()
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == res.digest == res_full.digest
    assert len(read_jsonl(str(path))) == res.records
    assert res.trace["streams"] == [str(path)] and res.trace["in_memory"] == 5


def test_parquet_stream_holds_every_record(tmp_path, full):
    pytest.importorskip("pyarrow")
    from simnet.kernel.trace import read_parquet

    sim_full, _ = full
    path = tmp_path / "t.parquet"
    sim, res = run_quickstart(trace_config=TraceConfig(level="events"), trace_stream=str(path))
    sim.trace.close()
    rows = list(read_parquet(str(path)))
    assert [(r.source, r.kind) for r in rows] == [
        (r.source, r.kind) for r in sim_full.trace.records
    ]
    first_uart = next(r for r in rows if r.kind == "dte>")
    assert bytes.fromhex(first_uart.fields["data"]) == b"AT\r"


def test_ring_keeps_memory_to_its_size():
    trace = Trace(config=TraceConfig(ring=1000))
    for i in range(50_000):
        trace.record(i * 0.1, "src", "k", {"i": i})
    assert len(trace.records) == 1000 and trace.records[0].fields["i"] == 49_000
    assert len(trace) == 50_000
    reference = Trace()
    for i in range(50_000):
        reference.record(i * 0.1, "src", "k", {"i": i})
    assert trace.digest() == reference.digest()


def test_bad_config_is_named():
    with pytest.raises(ConfigError, match="trace.level"):
        TraceConfig(level="verbose")
    with pytest.raises(ConfigError, match="trace.ring"):
        TraceConfig(ring=0)


def test_scenario_trace_key_and_cli_flags(tmp_path):
    text = Path(QUICKSTART).read_text() + "trace: {level: events, ring: 50}\n"
    path = tmp_path / "s.yaml"
    path.write_text(text)
    report = tmp_path / "r.json"
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", str(path), "--quiet", "--report", str(report)], out=out, err=err) == 0, (
        err.getvalue()
    )
    summary = json.loads(report.read_text())["trace"]
    assert summary["level"] == "events" and summary["ring"] == 50 and summary["in_memory"] <= 50
    # command-line flags override the scenario
    assert (
        main(
            [
                "run",
                str(path),
                "--quiet",
                "--report",
                str(report),
                "--trace-level",
                "full",
                "--trace-ring",
                "7",
            ],
            out=out,
            err=err,
        )
        == 0
    )
    summary = json.loads(report.read_text())["trace"]
    assert summary["level"] == "full" and summary["in_memory"] == 7
    path.write_text(Path(QUICKSTART).read_text() + "trace: {level: verbose}\n")
    err = io.StringIO()
    assert main(["validate", str(path)], out=io.StringIO(), err=err) == 2
    assert "trace.level: " in err.getvalue() and "verbose" in err.getvalue()
