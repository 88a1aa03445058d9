"""The wheel stands alone: the library resolver, the build step that ships the library as
package data, ``--example`` on the command lines, ``python -m simnet`` and the one version.

The full proof (sdist and wheel built, the wheel installed in a fresh venv outside the checkout,
the example run there) is ``make wheel`` (.ci/wheel-check), which CI runs; these tests are its
fast guards inside ``make test``."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import simnet
from simnet import library
from simnet._build import COMPILED
from simnet.cli import main
from simnet.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
IN_CHECKOUT = sorted(p.relative_to(ROOT / "scenarios").with_suffix("").as_posix()
                     for p in (ROOT / "scenarios").rglob("*.yaml"))


def run_cli(*argv: str) -> tuple[int, str, str]:
    from simnet.scenario.cli import main as scenario_main

    out, err = io.StringIO(), io.StringIO()
    code = scenario_main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_checkout_library_is_the_scenarios_folder():
    assert library.scenarios_dir() == ROOT / "scenarios"
    assert library.notebooks_dir() == ROOT / "notebooks"
    assert library.examples() == IN_CHECKOUT


@pytest.mark.parametrize("name, relative", [
    ("quickstart", "quickstart.yaml"),
    ("quickstart.yaml", "quickstart.yaml"),
    ("simcom/edge-syn-timeout", "simcom/edge-syn-timeout.yaml"),
    ("edge-syn-timeout", "simcom/edge-syn-timeout.yaml"),  # unique file name
    ("fibocom/edge-dns-failure", "fibocom/edge-dns-failure.yaml"),
])
def test_example_resolves_names(name: str, relative: str):
    assert library.example(name) == ROOT / "scenarios" / relative


def test_example_names_what_is_wrong():
    with pytest.raises(
        ConfigError, match="several folders: fibocom/edge-dns-failure, simcom/edge-dns-failure"
    ):
        library.example("edge-dns-failure")
    with pytest.raises(ConfigError, match="did you mean quickstart"):
        library.example("quikstart")
    with pytest.raises(ConfigError, match="expected the name of a library scenario"):
        library.example("")


def test_run_example_and_file_give_the_same_digest(tmp_path: Path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert run_cli("run", "--example", "quickstart", "--quiet", "--report", str(a))[0] == 0
    assert (
        run_cli("run", str(ROOT / "scenarios" / "quickstart.yaml"), "--quiet", "--report", str(b))[
            0
        ]
        == 0
    )
    import json

    assert json.loads(a.read_text())["digest"] == json.loads(b.read_text())["digest"]


def test_run_without_a_scenario_or_with_both_is_a_usage_error():
    code, _, err = run_cli("run")
    assert code == 2 and "expected a scenario file or --example NAME" in err
    code, _, err = run_cli("run", "x.yaml", "--example", "quickstart")
    assert code == 2 and "not both" in err
    code, _, err = run_cli("run", "--example", "nope")
    assert code == 2 and "no library scenario named 'nope'" in err


def test_examples_lists_and_copies(tmp_path: Path):
    code, out, _ = run_cli("examples")
    assert code == 0 and out.split() == IN_CHECKOUT
    code, out, _ = run_cli("examples", "--copy", str(tmp_path))
    assert code == 0
    assert (tmp_path / "scenarios" / "quickstart.yaml").read_bytes() == (
        ROOT / "scenarios" / "quickstart.yaml"
    ).read_bytes()
    assert (tmp_path / "notebooks" / "01-quickstart.ipynb").is_file()
    (tmp_path / "scenarios" / "quickstart.yaml").write_text("mine")
    run_cli("examples", "--copy", str(tmp_path))
    assert (tmp_path / "scenarios" / "quickstart.yaml").read_text() == "mine"  # never overwritten


def test_validate_library():
    code, out, _ = run_cli("validate", "--library")
    assert code == 0 and out.count(": ok (") == len(IN_CHECKOUT)


def test_version_has_one_source():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in meta["project"] and "version" in meta["project"]["dynamic"]
    assert meta["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "simnet.__version__"}
    from importlib.metadata import version

    assert version("simnet") == simnet.__version__  # the installed metadata read it from there
    assert "## Unreleased" in (ROOT / "CHANGELOG.md").read_text()


def test_python_dash_m_simnet():
    done = subprocess.run(
        [sys.executable, "-m", "simnet", "--version"], capture_output=True, text=True, timeout=60
    )
    # the version and the build: whether the hot modules run compiled (make compiled)
    expected = f"simnet {simnet.__version__} ({simnet.build_info()['summary']})\n"
    assert done.returncode == 0 and done.stdout == expected
    out = io.StringIO()
    sys_stdout, sys.stdout = sys.stdout, out
    try:
        assert main(["--version"]) == 0
    finally:
        sys.stdout = sys_stdout
    assert out.getvalue() == expected


def test_the_default_build_is_pure_python_and_says_so():
    info = simnet.build_info()
    assert info["compiled"] == [] and simnet.compiled is False  # make test's .venv: editable
    assert info["summary"] == "pure Python"
    assert len(info["interpreted"]) == len(COMPILED) and "simnet.kernel.sim" in info["interpreted"]
    for path in COMPILED:  # each entry names a module that exists
        assert (ROOT / path).is_file(), path


def test_the_compiled_build_pins_mypy_as_the_dev_extra_does():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    dev = meta["project"]["optional-dependencies"]["dev"]
    dev_pin = next(d for d in dev if d.startswith("mypy"))
    makefile = (ROOT / "Makefile").read_text()
    assert f"MYPY_PIN := {dev_pin}\n" in makefile  # the compiled venv builds with the same mypyc


def test_the_build_step_ships_the_library(tmp_path: Path):
    """setup.py's build_py copies every library scenario and notebook into simnet/_library, and
    the resolver prefers that copy (as in an installed wheel)."""
    tree = tmp_path / "src"
    tree.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "CHANGELOG.md"):
        shutil.copy(ROOT / name, tree / name)
    for folder in ("simnet", "scenarios", "notebooks"):
        shutil.copytree(
            ROOT / folder, tree / folder, ignore=shutil.ignore_patterns("__pycache__", "_library")
        )
    build = tmp_path / "build"
    done = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(build)],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    shipped = build / "simnet" / "_library"
    assert (
        sorted(
            p.relative_to(shipped / "scenarios").with_suffix("").as_posix()
            for p in (shipped / "scenarios").rglob("*.yaml")
        )
        == IN_CHECKOUT
    )
    assert {p.name for p in (shipped / "notebooks").glob("*.ipynb")} == {
        p.name for p in (ROOT / "notebooks").glob("*.ipynb")
    }
    probe = subprocess.run(
        [sys.executable, "-c", "from simnet import library; print(library.example('quickstart'))"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(build), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    assert Path(probe.stdout.strip()) == shipped / "scenarios" / "quickstart.yaml"


def test_sweep_and_serve_take_an_example():
    from simnet.bridge.serve import main as serve_main
    from simnet.experiments.cli import main as sweep_main

    out, err = io.StringIO(), io.StringIO()
    assert (
        sweep_main(
            ["--example", "quickstart", "--seeds", "1-2", "-j", "1", "--no-progress"], out, err
        )
        == 0
    ), err.getvalue()
    assert "runs" in out.getvalue() and "2" in out.getvalue()
    err = io.StringIO()
    sys_stderr, sys.stderr = sys.stderr, err
    try:
        assert serve_main(["--example", "no-such-scenario"]) == 2
    finally:
        sys.stderr = sys_stderr
    assert "no library scenario named 'no-such-scenario'" in err.getvalue()
