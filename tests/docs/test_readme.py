"""The README's Python example must run as written (docs that rot mislead users first)."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_python_driver_example_runs(tmp_path):
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    example = next(b for b in blocks if "Simulation.from_yaml" in b)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        namespace: dict = {}
        exec(
            compile(
                example.replace('"out.pcap"', repr(str(tmp_path / "out.pcap"))), "README.md", "exec"
            ),
            namespace,
        )
    finally:
        os.chdir(cwd)
    sim = namespace["sim"]
    assert sim.now > 2.5
    # The comments say what a user will see: the elapsed time printed...
    claimed = re.search(r"r\.elapsed\) +# OK \[\] (0\.\d+)\.\.\.", example)
    assert claimed is not None
    r = namespace["r"]
    assert (r.final, r.lines) == ("OK", [])
    assert f"{r.elapsed:.10f}".startswith(claimed.group(1))
    # ... which is "AT+NETOPEN" CR (11 bytes at 115200 baud, 10 bits each) and "CR LF OK CR LF"
    # after the echo, plus a network-class answer latency drawn from uniform(30 ms, 120 ms)
    uart = (11 + 11 + 6) * 10 / 115200
    assert 0.030 + 11 * 10 / 115200 <= r.elapsed <= 0.120 + uart
    # the full digest, whose first 16 hex digits `simnet run` prints
    assert re.fullmatch(r"[0-9a-f]{64}", sim.trace.digest())
    # and a pcap with the connection in it: SYN, SYN-ACK, ACK, HELLO and its echo
    assert "# 5 packets: SYN, SYN-ACK, ACK, HELLO, its echo" in example
    pcap = (tmp_path / "out.pcap").read_bytes()
    assert len(pcap) > 24  # more than the pcap file header
    assert sim.save_pcap(tmp_path / "again.pcap") == 5


def test_readme_quick_start_is_the_two_make_commands():
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make \w+", quick, re.M)
    assert commands == ["make demo", "make test"]


def test_experiments_guide_host_task_example_runs():
    text = (ROOT / "docs" / "experiments.md").read_text()
    example = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "sim.spawn" in b)
    namespace: dict = {}
    exec(compile("import simnet\n" + example, "docs/experiments.md", "exec"), namespace)
    sim = namespace["sim"]
    assert 60.0 <= sim.now < 61.0  # six polls, 10 s apart
    sim.cancel_tasks()


def test_readme_dialup_example_runs_as_a_gateway_would(capsys):
    """The dial-up block as a user pastes it: registration polled first, a blocking connect,
    the echo read back, hangup waiting for NO CARRIER so that AT answers OK."""
    text = (ROOT / "README.md").read_text()
    example = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "dial(" in b)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        namespace: dict = {}
        exec(compile("import simnet\n" + example, "README.md", "exec"), namespace)
    finally:
        os.chdir(cwd)
    printed = capsys.readouterr().out.splitlines()
    # the scenario's network: IPCP hands out the first context address and both DNS servers
    assert printed == ["10.64.0.2 ['10.64.0.53', '10.64.0.54']", "b'HELLO'", "OK"]
    host, sim = namespace["host"], namespace["sim"]
    assert host.ended is not None and host.ended.kind == "ok"
    assert sim.now > 2.0  # registration comes at 2 s: the dial waited for it


def test_readme_dial_errors_are_what_dial_raises():
    """Both DialError texts the README quotes, produced as it says: dialled before
    registration, and dialled with a wrong password after registration."""
    import simnet

    text = " ".join((ROOT / "README.md").read_text().split())
    quoted = re.findall(r"`DialError: (dial-up failed: [^`]+)`", text)
    assert len(quoted) == 2
    scenario = ROOT / "scenarios" / "dialup" / "gprs-tcp-echo.yaml"
    early = simnet.Simulation.from_yaml(scenario)
    late = simnet.Simulation.from_yaml(scenario)
    late.advance(3)  # registered at 2 s
    raised = []
    for sim, password in ((early, "s3cret"), (late, "wrong")):
        try:
            sim.dte.dial("*99#", apn="internet", username="gw", password=password)
        except simnet.DialError as exc:
            raised.append(str(exc))
    assert raised == quoted
    assert late.dte.command("AT").final == "OK"
