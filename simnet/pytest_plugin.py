"""pytest plugin: emulated modules as fixtures, and failures that carry their evidence.

pytest loads it through the ``pytest11`` entry point once simnet is installed; nothing to
configure. A test names its scenario with a marker (or indirect parametrization, or by
overriding the ``simnet_scenario`` fixture for a whole folder)::

    @pytest.mark.simnet("scenarios/my-device.yaml")                  # relative to the test file
    @pytest.mark.simnet(example="quickstart")                         # the shipped library
    @pytest.mark.simnet(module="simcom-sim7600", network={"apn": "internet"}, seed=7)
    @pytest.mark.simnet("base.yaml", network={"link": {"loss": "5%"}})  # a file plus overrides

Fixtures:

``simnet_sim``
    a :class:`simnet.Simulation` of the scenario on virtual time (``.dte.command``, ``.advance``).
``simnet_port``
    the scenario's module served on a pseudo-terminal (``port="tcp"`` in the marker: a loopback
    TCP port) for a driver under test: a ``str`` (the device path or ``socket://`` URL) with
    ``.sim`` and ``.served``; the bridge is stopped and the port closed after the test.
``simnet_sweep``
    ``simnet_sweep(scenario=None, **options)`` runs :func:`simnet.sweep` (default: the test's
    scenario, ``jobs=1``, no progress bar) and returns its DataFrame.
``simnet_scenario``
    the scenario the others use (a path or a dict); override it in a conftest.py.

Each simulation is seeded from the test's node id (so every test draws its own random numbers,
the same ones every run) unless the marker says ``seed=N`` or pytest runs with
``--simnet-seed N``. When a test using them fails (an expected failure, ``xfail``, included),
its report carries a ``simnet`` section — the trace written as JSONL (its SHA-256 is the
digest), the digest, a sequence chart (SVG; needs matplotlib) and the commands that replay the
test — also as JUnit XML properties, and the terminal summary lists them.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

MARKER = "simnet"
# Marker keywords that steer the fixtures; every other keyword is a scenario key.
MARKER_OPTIONS = ("scenario", "example", "seed", "port")
PORT_KINDS = ("pty", "tcp")
SECTION = "simnet"
SEED_RANGE = 2**31 - 1
MAX_SWEEP_RUNS_SHOWN = 5


# -- options and marker --------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("simnet", "simnet emulated modules")
    group.addoption(
        "--simnet-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed every simnet fixture with N (default: a seed derived from each test's node id)",
    )
    group.addoption(
        "--simnet-artifacts",
        default=None,
        metavar="DIR",
        help="where a failing test's trace, chart and scenario go (default: pytest's temporary "
             "folder)",
    )
    group.addoption(
        "--simnet-no-chart",
        action="store_true",
        help="do not draw sequence charts for failing tests",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "simnet(scenario=None, *, example=None, seed=None, port='pty', **scenario_keys): the "
        "scenario "
        "of the simnet_sim / simnet_port / simnet_sweep fixtures: a YAML path (relative to the "
        "test "
        "file), a dict, a library example, or scenario keys (module=..., network=...)",
    )


def seed_for(nodeid: str) -> int:
    """The seed a test gets when none is given: stable across runs and machines, different
    between tests (SHA-256 of the node id as pytest prints it)."""
    return (
        int.from_bytes(hashlib.sha256(nodeid.encode("utf-8")).digest()[:8], "big") % SEED_RANGE + 1
    )


def _marker_kwargs(request: pytest.FixtureRequest) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The closest ``simnet`` marker's arguments (function, then class, then module)."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return (), {}
    if len(marker.args) > 1:
        pytest.fail(
            f"@pytest.mark.simnet takes at most one positional argument (the scenario), got "
            f"{len(marker.args)}",
            pytrace=False,
        )
    return marker.args, dict(marker.kwargs)


def _seed(request: pytest.FixtureRequest) -> int:
    _, kwargs = _marker_kwargs(request)
    if kwargs.get("seed") is not None:
        seed = kwargs["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int):
            pytest.fail(
                f"@pytest.mark.simnet(seed=...): expected an integer, got {seed!r}", pytrace=False
            )
        return seed
    option = request.config.getoption("--simnet-seed")
    return option if option is not None else seed_for(request.node.nodeid)


def _resolve_path(request: pytest.FixtureRequest, value: str | os.PathLike[str]) -> Path:
    """A scenario path as written in a marker: relative to the test file, else to the rootdir,
    else to the current folder."""
    path = Path(value)
    if path.is_absolute():
        return path
    for base in (Path(request.node.path).parent, request.config.rootpath, Path.cwd()):
        if (base / path).is_file():
            return base / path
    return path  # the loader says it cannot be read, with the name as written


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base``: mappings merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _scenario_from_marker(request: pytest.FixtureRequest) -> str | dict[str, Any] | None:
    args, kwargs = _marker_kwargs(request)
    source = args[0] if args else kwargs.get("scenario")
    example = kwargs.get("example")
    keys = {k: v for k, v in kwargs.items() if k not in MARKER_OPTIONS}
    if source is not None and example is not None:
        pytest.fail("@pytest.mark.simnet: give a scenario or example=, not both", pytrace=False)
    if example is not None:
        from simnet.library import example as library_example

        source = str(library_example(example))
    if source is None:
        if not keys:
            return None
        return {"name": request.node.nodeid, **copy.deepcopy(keys)}
    if isinstance(source, dict):
        return _merge(source, keys)
    if not isinstance(source, str | os.PathLike):
        pytest.fail(
            f"@pytest.mark.simnet: expected a scenario path, a dict or example=..., got {source!r}",
            pytrace=False,
        )
    path = str(_resolve_path(request, source))
    if not keys:
        return path
    from simnet.scenario.api import ScenarioError
    from simnet.scenario.loader import load_file

    loaded = load_file(path)
    if loaded.problems:
        raise ScenarioError(loaded.problems)
    return _merge(loaded.data, keys)


# -- what a test used, kept for its report ------------------------------------------------------
@dataclass
class _SimUse:
    fixture: str
    sim: Any
    scenario: str | dict[str, Any]
    seed: int


@dataclass
class _SweepUse:
    scenario: str | dict[str, Any]
    options: dict[str, Any]
    frame: Any


@dataclass
class _Used:
    artifacts: Any  # a callable giving the test's artifact folder (made on first use)
    sims: list[_SimUse] = field(default_factory=list)
    sweeps: list[_SweepUse] = field(default_factory=list)


USED = pytest.StashKey[_Used]()


def _used(request: pytest.FixtureRequest) -> _Used:
    node = request.node
    if USED not in node.stash:
        factory = request.getfixturevalue("tmp_path_factory")
        chosen = request.config.getoption("--simnet-artifacts")
        folder: list[Path] = []

        def artifacts() -> Path:
            if not folder:
                name = re.sub(r"[^\w.-]+", "_", node.name)[:60] or "test"
                if chosen:
                    path = Path(chosen) / re.sub(r"[^\w.-]+", "_", node.nodeid)[-120:]
                    path.mkdir(parents=True, exist_ok=True)
                else:
                    path = factory.mktemp(f"simnet-{name}", numbered=True)
                folder.append(path)
            return folder[0]

        node.stash[USED] = _Used(artifacts)
    return node.stash[USED]


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture
def simnet_scenario(request: pytest.FixtureRequest) -> str | dict[str, Any]:
    """The test's scenario: an indirect parameter, else the ``simnet`` marker. Override this
    fixture in a conftest.py to give a folder of tests one scenario."""
    if hasattr(request, "param"):
        return request.param
    scenario = _scenario_from_marker(request)
    if scenario is None:
        pytest.fail(
            "no simnet scenario for this test: mark it @pytest.mark.simnet('path.yaml' | "
            "example='quickstart' | module='simcom-sim7600', ...), parametrize the fixture "
            "indirectly, or override the simnet_scenario fixture",
            pytrace=False,
        )
    return scenario


def _test_scenario(request: pytest.FixtureRequest) -> str | dict[str, Any]:
    if hasattr(request, "param"):  # simnet_sim / simnet_port parametrized indirectly
        param = request.param
        return str(_resolve_path(request, param)) if isinstance(param, str | os.PathLike) else param
    value = request.getfixturevalue("simnet_scenario")
    return str(_resolve_path(request, value)) if isinstance(value, str | os.PathLike) else value


@pytest.fixture
def simnet_sim(request: pytest.FixtureRequest) -> Any:
    """A Simulation of the test's scenario, seeded from the node id unless given."""
    from simnet.scenario.api import Simulation

    scenario = _test_scenario(request)
    seed = _seed(request)
    if isinstance(scenario, dict):
        sim = Simulation.from_dict(scenario, seed=seed, name=request.node.nodeid)
    else:
        sim = Simulation.from_yaml(scenario, seed=seed)
    _used(request).sims.append(_SimUse("simnet_sim", sim, scenario, seed))
    try:
        yield sim
    finally:
        sim.cancel_tasks()
        sim.trace.close()


class ServedPort(str):
    """The address a driver opens (a pty path or ``socket://127.0.0.1:PORT``), with the
    simulation behind it (``.sim``) and the bridge (``.served``: ``report()``)."""

    sim: Any
    served: Any

    def __new__(cls, served: Any) -> ServedPort:
        port = super().__new__(cls, served.address)
        port.served = served
        port.sim = served.sim
        return port

    @property
    def address(self) -> str:
        return str(self)


@pytest.fixture
def simnet_port(request: pytest.FixtureRequest) -> Any:
    """The scenario's module served for a driver under test on a pty (marker ``port="tcp"``:
    a loopback TCP port), stopped and closed after the test."""
    from simnet.bridge.serve import serving

    _, kwargs = _marker_kwargs(request)
    kind = kwargs.get("port", "pty")
    if kind not in PORT_KINDS:
        pytest.fail(
            f"@pytest.mark.simnet(port=...): expected one of {', '.join(PORT_KINDS)}, got {kind!r}",
            pytrace=False,
        )
    scenario = _test_scenario(request)
    seed = _seed(request)
    with serving(
        scenario, pty=kind == "pty", tcp="127.0.0.1:0" if kind == "tcp" else None, seed=seed
    ) as served:
        _used(request).sims.append(_SimUse("simnet_port", served.sim, scenario, seed))
        yield ServedPort(served)


@pytest.fixture
def simnet_sweep(request: pytest.FixtureRequest) -> Any:
    """``simnet_sweep(scenario=None, **options)``: :func:`simnet.sweep` on the test's scenario
    (or the one given), in this process (``jobs=1``) without a progress bar unless told."""
    used = _used(request)

    def run(scenario: Any = None, **options: Any) -> Any:
        from simnet.experiments.sweep import sweep

        if scenario is None:
            scenario = _test_scenario(request)
        elif isinstance(scenario, str | os.PathLike):
            scenario = str(_resolve_path(request, scenario))
        options.setdefault("jobs", 1)
        options.setdefault("progress", False)
        frame = sweep(scenario, **options)
        used.sweeps.append(_SweepUse(scenario, options, frame))
        return frame

    return run


# -- the report of a failing test ---------------------------------------------------------------
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or USED not in item.stash:
        return
    failed = report.failed or (report.skipped and hasattr(report, "wasxfail"))
    if not failed:
        return
    used = item.stash[USED]
    try:
        lines, properties = _evidence(item, used)
    except Exception as exc:  # the evidence must never hide the test's own failure
        lines, properties = (
            [f"simnet: could not write the evidence: {type(exc).__name__}: {exc}"],
            [],
        )
    if lines:
        report.sections.append((SECTION, "\n".join(lines)))
        report.user_properties.extend(properties)
        item.user_properties.extend(properties)  # JUnit XML reads them from the teardown report


def _replay_test(item: pytest.Item, seed: int) -> str:
    return f"pytest {shlex.quote(item.nodeid)} --simnet-seed {seed}"


def _scenario_file(scenario: str | dict[str, Any], folder: Path, name: str) -> Path:
    """The scenario as a file ``simnet run`` can take: the path itself, or the dict as YAML."""
    if not isinstance(scenario, dict):
        return Path(scenario)
    import yaml

    path = folder / name
    path.write_text(yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _has_steps(scenario: str | dict[str, Any]) -> bool:
    if isinstance(scenario, dict):
        return bool(scenario.get("steps"))
    from simnet.scenario.loader import load_file

    data = load_file(str(scenario)).data
    return isinstance(data, dict) and bool(data.get("steps"))


def _evidence(item: pytest.Item, used: _Used) -> tuple[list[str], list[tuple[str, str]]]:
    lines: list[str] = []
    props: list[tuple[str, str]] = []
    chart_wanted = not item.config.getoption("--simnet-no-chart")
    for n, use in enumerate(used.sims):
        folder = used.artifacts()
        suffix = "" if len(used.sims) == 1 else f"-{n + 1}"
        trace_path = folder / f"trace{suffix}.jsonl"
        sim = use.sim
        sim.trace.to_jsonl(str(trace_path))
        digest = sim.trace.digest()
        summary = sim.trace.summary()
        kept = len(sim.trace)
        label = (
            use.scenario
            if isinstance(use.scenario, str)
            else f"{use.scenario.get('name', '<dict>')} (dict)"
        )
        lines.append(
            f"{use.fixture}: scenario {label}, seed {use.seed}, virtual time {sim.now:.3f} s"
        )
        bounded = (
            ""
            if summary.get("records", kept) == kept
            else f" of {summary.get('records')} (the trace was bounded)"
        )
        lines.append(f"  trace:  {trace_path} ({kept} records{bounded})")
        lines.append(f"  digest: {digest}")
        props += [
            (f"simnet_trace{suffix}", str(trace_path)),
            (f"simnet_digest{suffix}", digest),
            (f"simnet_seed{suffix}", str(use.seed)),
        ]
        if chart_wanted:
            chart = _chart(sim, folder / f"chart{suffix}.svg", item.nodeid)
            lines.append(f"  chart:  {chart}")
            if chart.endswith(".svg"):
                props.append((f"simnet_chart{suffix}", chart))
        replay = [_replay_test(item, use.seed)]
        if use.fixture == "simnet_sim" and _has_steps(use.scenario):
            scenario_file = _scenario_file(use.scenario, folder, f"scenario{suffix}.yaml")
            replay.append(
                f"simnet run {shlex.quote(str(scenario_file))} --seed {use.seed}  "
                "(the scenario's own steps)"
            )
        replay.append(f"simnet plot {shlex.quote(str(trace_path))} --out chart.svg")
        lines.append("  replay: " + replay[0])
        lines.extend(f"          {r}" for r in replay[1:])
        props.append((f"simnet_replay{suffix}", replay[0]))
    for n, sweep_use in enumerate(used.sweeps):
        lines.extend(_sweep_evidence(item, used, sweep_use, n))
    return lines, props


def _chart(sim: Any, path: Path, title: str) -> str:
    try:
        from simnet.scenario.plot import sequence_chart

        sequence_chart(sim.trace.records, str(path), max_events=400, title=title)
    except ImportError as exc:
        return f"not drawn: {exc.name or exc} is not installed (pip install simnet[data])"
    except Exception as exc:  # a chart is a convenience: say why there is none
        return f"not drawn: {type(exc).__name__}: {exc}"
    return str(path)


def _sweep_evidence(item: pytest.Item, used: _Used, use: _SweepUse, n: int) -> list[str]:
    from simnet.experiments.design import is_scenario_key, set_path

    folder = used.artifacts()
    frame = use.frame
    table = folder / f"sweep-{n + 1}.csv"
    frame.to_csv(table, index=False)
    failed = frame[~frame["passed"].astype(bool)]
    label = (
        use.scenario
        if isinstance(use.scenario, str)
        else f"{use.scenario.get('name', '<dict>')} (dict)"
    )
    lines = [
        f"simnet_sweep: scenario {label}: {len(frame)} runs, {len(frame) - len(failed)} passed; "
        f"rows in {table}"
    ]
    params = [
        k
        for design in ("grid", "zip", "random")
        for k in (use.options.get(design) or {})
        if is_scenario_key(k) and k in frame.columns
    ]
    if use.options.get("program") is not None or failed.empty:
        if not failed.empty:  # a host program runs only inside the test
            lines.append(f"  replay: pytest {shlex.quote(item.nodeid)}")
        return lines
    base = use.scenario
    if not isinstance(base, dict):
        from simnet.scenario.loader import load_file

        base = load_file(str(base)).data
    for _, row in failed.head(MAX_SWEEP_RUNS_SHOWN).iterrows():
        data = copy.deepcopy(base)
        chosen = {k: row[k] for k in params}
        for key in params:
            set_path(data, key, _plain(_original_value(use.options, key, row[key])))
        path = _scenario_file(data, folder, f"sweep-{n + 1}-{row['run_id']}.yaml")
        where = ", ".join(f"{k}={v}" for k, v in chosen.items()) or "no parameters"
        lines.append(f"  run {row['run_id']} ({where}, seed {row['seed']}): {row['failure']}")
        lines.append(f"    replay: simnet run {shlex.quote(str(path))} --seed {int(row['seed'])}")
    if len(failed) > MAX_SWEEP_RUNS_SHOWN:
        lines.append(f"  ... {len(failed) - MAX_SWEEP_RUNS_SHOWN} more failed runs in {table}")
    return lines


def _original_value(options: dict[str, Any], key: str, value: Any) -> Any:
    """The value as the test wrote it (``"5%"``), not the SI number of the results column."""
    from simnet.experiments.design import si_number

    for design in ("grid", "zip"):
        values = (options.get(design) or {}).get(key)
        if isinstance(values, list | tuple):
            for written in values:
                if written == value or si_number(written) == value:
                    return written
    return value


def _plain(value: Any) -> Any:
    """numpy scalars from a DataFrame row as the Python numbers YAML writes."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def pytest_terminal_summary(terminalreporter: Any) -> None:
    reports = [
        r
        for key in ("failed", "xfailed")
        for r in terminalreporter.stats.get(key, [])
        if any(name == SECTION for name, _ in getattr(r, "sections", ()))
    ]
    if not reports:
        return
    terminalreporter.section("simnet evidence of failing tests")
    for report in reports:
        kind = "XFAIL" if hasattr(report, "wasxfail") else "FAILED"
        terminalreporter.write_line(f"{kind} {report.nodeid}")
        for name, text in report.sections:
            if name == SECTION:
                for line in text.splitlines():
                    terminalreporter.write_line(f"  {line}")
