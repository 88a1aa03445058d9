"""simnet import: serial captures in the formats firmware teams have (directed text with and
without timestamps, TinyGSM StreamDebugger, picocom, socat -x -v, hex dumps) become scenarios;
the replay names the log line where the emulator and the field module disagree.

The sample logs in data/fieldlogs/ are written the way those tools write; what each must parse
to is spelled out here by hand from the file, and what the module must answer comes from the
SIM7600 manual (AT+CPIN? READY, AT+CSQ from the configured signal)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from simnet.scenario.cli import main
from simnet.scenario.fieldlog import (
    HOST,
    MODULE,
    LogError,
    SerialCapture,
    command_name,
    escape_bytes,
    import_log,
    parse_log,
    replay,
)
from simnet.scenario.loader import load_text
from simnet.scenario.schema import decode_escapes, validate

DATA = Path(__file__).parent / "data" / "fieldlogs"
SIM7600 = "simcom-sim7600"


def read(name: str) -> str:
    return (DATA / name).read_bytes().decode("latin-1")


def sides(name: str) -> list[tuple[str, bytes]]:
    return [(c.side, c.data) for c in parse_log(read(name), name).chunks]


def test_directed_text_with_timestamps():
    log = parse_log(read("timestamped.log"), "timestamped.log")
    assert log.format == "directed text"
    first = log.chunks[:3]
    assert [(c.side, c.data, c.line) for c in first] == [
        (HOST, b"AT\r", 2), (MODULE, b"\r\nOK\r\n", 3), (HOST, b"ATE0\r", 4)]
    assert [c.t for c in first] == [0.0, 0.011, 0.2]  # seconds from the first stamp
    prompt, data = log.chunks[-4], log.chunks[-3]
    assert (prompt.side, prompt.data) == (MODULE, b">")
    assert (data.side, data.data) == (HOST, b"HELLO")  # data after a prompt has no CR added


def test_tinygsm_stream_debugger():
    assert sides("tinygsm.log")[:7] == [
        (HOST, b"AT\r"), (MODULE, b"AT\r"), (MODULE, b"\r\nOK\r\n"),  # written, echoed, answered
        (HOST, b"ATE0\r"), (MODULE, b"ATE0\r"), (MODULE, b"\r\nOK\r\n"),
        (HOST, b"AT+CMEE=2\r"),  # echo off from here
    ]
    log = parse_log(read("tinygsm.log"), "tinygsm.log")
    assert log.skipped == [1, 2]  # TinyGSM's own ### debug lines


def test_picocom_capture_skips_the_banner():
    got = sides("picocom.log")
    # picocom logs what the terminal received: the command appears once, as the module's echo,
    # and stands for the host's write.
    assert got[:3] == [
        (HOST, b"AT+CPIN?\r"),
        (MODULE, b"\r\n+CPIN: READY\r\n"),
        (MODULE, b"\r\nOK\r\n"),
    ]
    assert all(b"picocom" not in data and b"Terminal" not in data for _, data in got)


def test_socat_hex_blocks():
    log = parse_log(read("socat.log"), "socat.log")
    assert log.format == "socat -x -v hex dump"
    assert [(c.side, c.data) for c in log.chunks] == [
        (HOST, b"ATI\r"),
        (MODULE, b"ATI\r\r\nManufacturer: SIMCOM INCORPORATED\r\n"),
        (MODULE, b"\r\nOK\r\n"),
        (HOST, b"AT+CSQ\r\n"),  # this host sends CR LF
        (MODULE, b"AT+CSQ\r\r\n+CSQ: 20,0\r\n\r\nOK\r\n"),
    ]
    assert [c.t for c in log.chunks] == [0.0, 0.03, 0.031, 1.9, 1.92]


def test_hex_dump_with_tx_rx():
    assert sides("hexdump.log") == [
        (HOST, b"AT+CPIN?\r"),
        (MODULE, b"\r\n+CPIN: READY\r\n"),
        (MODULE, b"\r\nOK\r\n"),
        (HOST, b"AT+CSQ\r"),
        (MODULE, b"\r\n+CSQ: 15,0\r\n\r\nOK\r\n"),
    ]


def test_escaped_payloads_are_taken_exactly():
    log = parse_log(
        "[0.5] > AT+CSQ\\r\n[0.6] < \\r\\n+CSQ: 9,0\\r\\n\n[0.7] < <CR><LF>OK<CR><LF>\n"
    )
    assert [(c.side, c.data, c.t) for c in log.chunks] == [
        (HOST, b"AT+CSQ\r", 0.0),
        (MODULE, b"\r\n+CSQ: 9,0\r\n", 0.1),
        (MODULE, b"\r\nOK\r\n", 0.2),
    ]


def test_a_log_without_at_traffic_is_refused():
    with pytest.raises(LogError, match="x.log:1: no AT traffic found"):
        parse_log("picocom v3.1\n\nTerminal ready\n", "x.log")


@pytest.mark.parametrize(
    "text, name",
    [
        ("AT+CSQ", "+CSQ"),
        ("ATE0", "E"),
        ("AT&W", "&W"),
        ("at+cgsn", "+CGSN"),
        ("AT", None),
        ("AT^SYSINFO", "^SYSINFO"),
    ],
)
def test_command_names(text, name):
    assert command_name(text) == name


def test_escape_bytes_round_trips_through_the_scenario_escapes():
    data = bytes(range(256))
    assert decode_escapes(escape_bytes(data)) == data


def test_the_scenario_reads_the_world_from_the_log():
    imported = import_log(read("timestamped.log"), SIM7600, "timestamped.log")
    text = imported.to_yaml()
    scenario, problems = validate(load_text(text, "imported.yaml"))
    assert not problems, problems
    assert scenario.network.apn.name == "iot.example"  # AT+CGDCONT=1,"IP","iot.example"
    assert (scenario.network.rssi, scenario.network.ber) == (
        23,
        None,
    )  # +CSQ: 23,99 (BER 99: unknown)
    host = next(h for h in scenario.hosts if h.name == "collector.example.com")
    assert [(s.type, s.port) for s in host.services] == [("tcp-echo", 5000)]
    assert imported.unsupported == {"+QENG": [13]}
    assert (
        "# Not implemented by simcom-sim7600 (it will answer ERROR): AT+QENG (timestamped.log:13)"
        in text
    )
    assert "  - send: 'AT+CGSN'  # timestamped.log:7" in text
    # the IMEI belongs to the unit: expected by shape, the field value kept in a comment
    assert (
        "  - {expect_re: '\\r\\n\\d+\\r\\n'}  # timestamped.log:8 (field: 867584030012345)" in text
    )
    # the host waited 0.182 s after +NETOPEN: 0 (09.120) before AT+CIPOPEN (09.302)
    assert "  - wait: 0.182s  # timestamped.log:20 (the host's pause)" in text


def test_roaming_is_read_from_cgreg():
    scenario, _ = validate(
        load_text(import_log(read("picocom.log"), SIM7600, "p.log").to_yaml(), "p.yaml")
    )
    assert scenario.network.registration_state == "roaming"  # +CGREG: 0,5


@pytest.mark.parametrize(
    "name", ["timestamped.log", "tinygsm.log", "picocom.log", "socat.log", "hexdump.log"]
)
def test_every_sample_replays_on_the_sim7600(tmp_path: Path, name: str):
    out = tmp_path / "s.yaml"
    out.write_text(import_log(read(name), SIM7600, name).to_yaml())
    divergences, steps = replay(str(out), name)
    assert steps > 4 and divergences == []


def test_a_disagreeing_log_is_reported_at_its_line(tmp_path: Path):
    edited = read("timestamped.log").replace(
        "+NETOPEN: 0", "+NETOPEN: 1"
    )  # the field activation failed
    log = tmp_path / "field.log"
    log.write_text(edited)
    out = tmp_path / "field.yaml"
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(
        ["import", str(log), "--module", SIM7600, "-o", str(out), "--replay"],
        out=stdout,
        err=stderr,
    )
    assert code == 1
    lines = stdout.getvalue().splitlines()
    assert lines[0].startswith(
        f"{log}:19: the field module said '+NETOPEN: 1'; the emulator said '"
    )
    assert "+NETOPEN: 0" in lines[0]  # what the emulator said instead
    assert (
        lines[-1]
        == f"replay of {log} on {SIM7600}: 34 steps; the emulator diverges from the log at 1 line"
    )
    # The scenario alone fails at the same step under simnet run.
    stdout = io.StringIO()
    assert main(["run", str(out), "--quiet"], out=stdout, err=io.StringIO()) == 1
    step_line = next(
        n for n, t in enumerate(out.read_text().splitlines(), 1) if t.endswith("# " + f"{log}:19")
    )
    assert f"expect: '+NETOPEN: 1', line {step_line})" in stdout.getvalue()


def test_cli_answers_for_bad_input(tmp_path: Path):
    err = io.StringIO()
    assert (
        main(
            ["import", str(tmp_path / "missing.log"), "--module", SIM7600],
            out=io.StringIO(),
            err=err,
        )
        == 2
    )
    assert "cannot read" in err.getvalue()
    empty = tmp_path / "empty.log"
    empty.write_text("\n\n")
    err = io.StringIO()
    assert main(["import", str(empty), "--module", SIM7600], out=io.StringIO(), err=err) == 2
    assert "no AT traffic found" in err.getvalue()
    err = io.StringIO()
    assert (
        main(
            ["import", str(DATA / "hexdump.log"), "--module", "simcom-sim9999"],
            out=io.StringIO(),
            err=err,
        )
        == 2
    )
    assert "module" in err.getvalue()


def test_a_capture_leaves_the_digest_alone(tmp_path: Path):
    from simnet.library import example
    from simnet.scenario.api import Simulation

    plain = Simulation.from_yaml(example("quickstart")).run_scenario()
    sim = Simulation.from_yaml(example("quickstart"))
    sink = SerialCapture(str(tmp_path / "q.log"))
    sim.trace.add_sink(sink)
    captured = sim.run_scenario()
    sink.close()
    assert captured.digest == plain.digest
    log = parse_log((tmp_path / "q.log").read_text(), "q.log")
    assert (log.chunks[0].side, log.chunks[0].data) == (
        HOST,
        b"AT\r",
    )  # the quickstart's first step
