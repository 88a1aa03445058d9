"""The pytest plugin seen from outside: pytester runs test files as a user's suite would and
the reports are read back. The evidence of a failing test must be true, not merely present:
the trace file hashes to the reported digest, the chart is an SVG, and the replay command gives
the same digest again."""

from __future__ import annotations

import hashlib
import re
import shutil
import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from simnet.pytest_plugin import SECTION, seed_for

pytest_plugins = ["pytester"]
# pytester's in-process runs forget the modules they imported; numpy (under pandas, matplotlib)
# cannot be imported twice in one process, so they are imported here, before any run.
pytest.importorskip("pandas")
pytest.importorskip("matplotlib.pyplot")
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "pytest"


def evidence(reprec: pytest.HookRecorder, name: str) -> tuple[pytest.TestReport, str]:
    call = [
        r
        for r in reprec.getreports("pytest_runtest_logreport")
        if r.when == "call" and r.nodeid.endswith(name)
    ]
    assert len(call) == 1, [r.nodeid for r in reprec.getreports("pytest_runtest_logreport")]
    sections = [text for title, text in call[0].sections if title == SECTION]
    assert len(sections) == 1, call[0].sections
    return call[0], sections[0]


def field(text: str, name: str) -> str:
    m = re.search(rf"^\s*{name}:\s+(\S+)", text, re.M)
    assert m, f"no {name}: in\n{text}"
    return m.group(1)


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A copy of examples/pytest as the user's own project (the real folder's modules, which
    this process may have imported when it ran examples/pytest itself, are set aside)."""
    for name in ("tracker", *(p.stem for p in EXAMPLES.glob("test_*.py"))):
        monkeypatch.delitem(sys.modules, name, raising=False)
    for item in EXAMPLES.iterdir():
        if item.name in ("__pycache__", ".pytest_cache"):
            continue
        target = pytester.path / item.name
        if item.is_dir():
            shutil.copytree(item, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(item, target)
    return pytester


def test_the_deliberate_failure_carries_trace_digest_chart_and_replay(
    suite: pytest.Pytester, tmp_path: Path
):
    junit = tmp_path / "junit.xml"
    reprec = suite.inline_run(
        "test_failure_evidence.py",
        "--simnet-artifacts",
        str(tmp_path / "a"),
        f"--junitxml={junit}",
        "-p",
        "no:cacheprovider",
    )
    reprec.assertoutcome(passed=0, failed=0, skipped=1)  # xfailed counts as skipped
    report, text = evidence(reprec, "test_a_tracker_without_reconnect_loses_its_report")
    assert hasattr(report, "wasxfail")
    trace, digest = Path(field(text, "trace")), field(text, "digest")
    assert trace.is_file() and trace.is_relative_to(tmp_path / "a")
    # The digest is SHA-256 of the trace's JSON lines: the file is the whole run.
    assert hashlib.sha256(trace.read_bytes()).hexdigest() == digest
    assert (
        '"text":"+IPCLOSE: 0,1"' in trace.read_text()
    )  # the server's RST closed the link (A76 4.2)
    chart = Path(field(text, "chart"))
    assert chart.suffix == ".svg" and b"<svg" in chart.read_bytes()[:2000]
    seed = seed_for("test_failure_evidence.py::test_a_tracker_without_reconnect_loses_its_report")
    assert re.search(
        r"^\s*replay: pytest "
        r"test_failure_evidence.py::test_a_tracker_without_reconnect_loses_its_report "
        rf"--simnet-seed {seed}$",
        text,
        re.M,
    ), text
    # The same properties land in JUnit XML for CI dashboards.
    props = {p.get("name"): p.get("value") for p in ET.parse(junit).iter("property")}
    assert props["simnet_digest"] == digest and props["simnet_trace"] == str(trace)
    assert props["simnet_seed"] == str(seed) and props["simnet_chart"] == str(chart)
    # Replaying gives the same run: same digest.
    again = suite.inline_run(
        "test_failure_evidence.py::test_a_tracker_without_reconnect_loses_its_report",
        "--simnet-seed",
        str(seed),
        "--simnet-artifacts",
        str(tmp_path / "b"),
        "--simnet-no-chart",
        "-p",
        "no:cacheprovider",
    )
    _, text_again = evidence(again, "test_a_tracker_without_reconnect_loses_its_report")
    assert field(text_again, "digest") == digest
    assert "chart:" not in text_again


def test_the_terminal_summary_lists_the_evidence(suite: pytest.Pytester, tmp_path: Path):
    result = suite.runpytest(
        "test_failure_evidence.py", "--simnet-no-chart", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*simnet evidence of failing tests*",
            "XFAIL test_failure_evidence.py::test_a_tracker_without_reconnect_loses_its_report",
            "*trace:*trace.jsonl (* records)",
            "*digest: ????????????????????????????????????????????????????????????????",
            "*replay: pytest "
            "test_failure_evidence.py::test_a_tracker_without_reconnect_loses_its_report "
            "--simnet-seed *",
        ]
    )


def test_a_failing_scenario_run_also_gets_a_simnet_run_replay(
    pytester: pytest.Pytester, tmp_path: Path
):
    pytester.makepyfile(
        test_steps="""
        import pytest

        @pytest.mark.simnet(module="simcom-sim7600",
                            steps=[{"send": "AT+CSQ"}, {"expect": "+CSQ: 31,0"}])
        def test_signal(simnet_sim):
            assert simnet_sim.run_scenario().passed
    """
    )
    reprec = pytester.inline_run(
        "--simnet-artifacts", str(tmp_path), "--simnet-no-chart", "-p", "no:cacheprovider"
    )
    reprec.assertoutcome(failed=1)
    _, text = evidence(reprec, "test_signal")
    m = re.search(r"simnet run (\S+) --seed (\d+)", text)
    assert m, text
    scenario, seed = m.groups()
    done = subprocess.run(
        [sys.executable, "-m", "simnet", "run", scenario, "--seed", seed],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # the same failure, outside pytest
    assert f"digest {field(text, 'digest')[:16]}" in done.stdout


def test_seeds_come_from_the_node_id_unless_given(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_seeds="""
        import pytest
        from simnet.pytest_plugin import seed_for

        SCENARIO = {"name": "s", "module": "simcom-sim7600"}

        @pytest.mark.simnet(SCENARIO)
        def test_node_id(simnet_sim, request):
            assert simnet_sim.seed == seed_for(request.node.nodeid)

        @pytest.mark.simnet(SCENARIO)
        def test_another_node_id(simnet_sim, request):
            assert simnet_sim.seed == seed_for(request.node.nodeid)
            assert seed_for(request.node.nodeid) != seed_for("test_seeds.py::test_node_id")

        @pytest.mark.simnet(SCENARIO, seed=5)
        def test_marker(simnet_sim):
            assert simnet_sim.seed == 5
    """
    )
    pytester.inline_run("-p", "no:cacheprovider").assertoutcome(passed=3)
    result = pytester.runpytest("-p", "no:cacheprovider", "--simnet-seed", "42", "-k", "node_id")
    result.assert_outcomes(failed=2)  # the option wins over the node id ...
    pytester.makepyfile(
        test_option="""
        import pytest

        @pytest.mark.simnet({"name": "s", "module": "simcom-sim7600"})
        def test_option(simnet_sim):
            assert simnet_sim.seed == 42
    """
    )
    pytester.runpytest(
        "-p", "no:cacheprovider", "--simnet-seed", "42", "test_option.py"
    ).assert_outcomes(passed=1)


def test_the_port_is_closed_and_the_bridge_stopped_after_the_test(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_port="""
        import pytest
        from pathlib import Path

        @pytest.mark.simnet({"name": "p", "module": "simcom-sim7600"}, port="tcp")
        def test_serve(simnet_port):
            assert simnet_port.sim.now >= 0
            Path("address.txt").write_text(simnet_port)
    """
    )
    reprec = pytester.inline_run("-p", "no:cacheprovider")
    reprec.assertoutcome(passed=1)
    address = (pytester.path / "address.txt").read_text()
    host, port = address.removeprefix("socket://").split(":")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, int(port)), timeout=2)
    assert not [t for t in threading.enumerate() if t.name == "simnet-bridge"]


def test_a_failing_sweep_names_each_failed_run_with_a_replay(
    pytester: pytest.Pytester, tmp_path: Path
):
    pytester.makepyfile(
        test_sweep_fails="""
        import pytest

        SCENARIO = {
            "name": "reject", "module": "simcom-sim7600",
            "network": {"apn": "internet", "pdp": {"reject_cause": 33}},
            "steps": [{"send": 'AT+CGDCONT=1,"IP","internet"'}, {"expect": "OK"},
                      {"send": "AT+NETOPEN"}, {"expect": "+NETOPEN: 0", "within": "60s"}],
        }

        @pytest.mark.simnet(SCENARIO)
        def test_sweep(simnet_sweep):
            df = simnet_sweep(grid={"network.pdp.activation_delay": ["1s", "2s"]}, seeds=[3])
            assert df["passed"].all()
    """
    )
    reprec = pytester.inline_run("--simnet-artifacts", str(tmp_path), "-p", "no:cacheprovider")
    reprec.assertoutcome(failed=1)
    _, text = evidence(reprec, "test_sweep")
    assert "2 runs, 0 passed" in text
    replays = re.findall(r"replay: simnet run (\S+) --seed 3", text)
    assert len(replays) == 2
    for path, delay in zip(replays, ("1s", "2s"), strict=True):
        assert f"activation_delay: {delay}" in Path(path).read_text()  # the value as written
        done = subprocess.run(
            [sys.executable, "-m", "simnet", "run", path, "--seed", "3", "--quiet"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1 and "FAILED" in done.stdout


@pytest.mark.parametrize(
    "marker, message",
    [
        ("", "no simnet scenario for this test"),
        (
            "@pytest.mark.simnet({'name': 'x', 'module': 'simcom-sim7600'}, seed='7')",
            "expected an integer",
        ),
        ("@pytest.mark.simnet(example='no-such')", "no library scenario named 'no-such'"),
        ("@pytest.mark.simnet('nope.yaml')", "nope.yaml:1: (top level): cannot read the file"),
        (
            "@pytest.mark.simnet(module='simcom-sim7600', network={'link': {'loss': 2}})",
            "network.link.loss",
        ),
    ],
)
def test_bad_markers_get_clear_answers(pytester: pytest.Pytester, marker: str, message: str):
    pytester.makepyfile(
        test_bad=f"""
        import pytest

        {marker}
        def test_it(simnet_sim):
            pass
    """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    assert message in result.stdout.str()
