"""simnet new: every story it offers, on every module it offers it for, validates and passes as
scaffolded; the sweep story's own command lines run; what does not exist is refused clearly."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import pytest

from simnet import library
from simnet.experiments.cli import main as sweep_main
from simnet.scenario.api import Simulation
from simnet.scenario.cli import main
from simnet.scenario.loader import load_text
from simnet.scenario.report import describe_failure
from simnet.scenario.scaffold import STORIES, scaffold
from simnet.scenario.schema import validate

ROOT = Path(__file__).resolve().parents[2]  # the checkout: its library is scenarios/

PAIRS = [(story, module) for story, entry in STORIES.items() for module in entry.by_module]


def test_the_issue_stories_are_all_there():
    assert set(STORIES) == {"echo", "ftp", "mail", "nat-idle", "ppp-dialup", "sweep"}


@pytest.mark.parametrize("story, module", PAIRS, ids=[f"{s}-{m}" for s, m in PAIRS])
def test_the_scaffold_passes_as_it_is(story: str, module: str):
    text = scaffold(story, module, name=f"my {story}", out=str(ROOT / "mine.yaml"))
    first, second = text.splitlines()[:2]
    assert first == "# yaml-language-server: $schema=scenarios/scenario.schema.json"
    assert second.startswith(
        f"# Scaffolded by `simnet new {story} --module {module}` from the library scenario "
    )
    scenario, problems = validate(load_text(text, "new.yaml"))
    assert not problems, problems
    assert scenario.module == module and scenario.name == f"my {story}"
    result = Simulation(scenario=scenario).run_scenario()
    assert result.passed, describe_failure(result)


@pytest.mark.parametrize("module", list(STORIES["sweep"].by_module))
def test_the_sweep_storys_command_runs(tmp_path: Path, module: str):
    path = tmp_path / "new.yaml"
    out = io.StringIO()
    assert (
        main(["new", "sweep", "--module", module, "-o", str(path)], out=out, err=io.StringIO()) == 0
    )
    command = next(
        line for line in path.read_text().splitlines() if line.startswith("#   simnet sweep ")
    )
    argv = shlex.split(command.removeprefix("#   simnet sweep ").replace("FILE", str(path)))
    argv = [a if a != "1-30" else "1-2" for a in argv]  # fewer seeds here
    argv[argv.index("--out") + 1] = str(tmp_path / "runs.csv")
    sweep_out = io.StringIO()
    assert sweep_main([*argv, "-j", "1", "--no-progress"], sweep_out, io.StringIO()) == 0
    rows = (tmp_path / "runs.csv").read_text().splitlines()
    assert len(rows) == 1 + 4 * 2  # header, four loss values x two seeds
    assert "connect" in rows[0]
    # and the sweep measures something: the L610 story used to assert 30 % loss itself
    # (expect_absent of the lossless handshake), so every run below it failed, connect NaN
    import csv

    table = list(csv.DictReader((tmp_path / "runs.csv").open()))
    lossless = [r for r in table if float(r["network.link.loss"]) == 0.0]
    assert [r["passed"] for r in lossless] == ["True", "True"]
    assert all(0.0 < float(r["connect"]) < 5.0 for r in lossless)


def test_refusals_and_overwrites(tmp_path: Path):
    err = io.StringIO()
    assert main(["new", "ftp", "--module", "fibocom-l610"], out=io.StringIO(), err=err) == 2
    assert (
        "the library has the ftp story for simcom-sim7600, not for 'fibocom-l610'" in err.getvalue()
    )
    err = io.StringIO()
    assert main(["new", "telnet", "--module", "simcom-sim7600"], out=io.StringIO(), err=err) == 2
    assert "no story 'telnet'" in err.getvalue()
    target = tmp_path / "mine.yaml"
    target.write_text("keep me")
    err = io.StringIO()
    assert (
        main(
            ["new", "echo", "--module", "simcom-sim7600", "-o", str(target)],
            out=io.StringIO(),
            err=err,
        )
        == 2
    )
    assert target.read_text() == "keep me" and "exists" in err.getvalue()
    assert (
        main(
            ["new", "echo", "--module", "simcom-sim7600", "-o", str(target), "--force"],
            out=io.StringIO(),
            err=io.StringIO(),
        )
        == 0
    )
    assert re.search(r"^module: simcom-sim7600$", target.read_text(), re.M)
    out = io.StringIO()
    assert main(["new", "--list"], out=out, err=io.StringIO()) == 0
    assert out.getvalue().splitlines()[0].startswith("echo ")


def test_a_missing_story_or_module_says_which_would_do():
    """`simnet new echo` said only 'expected a module id', and bare `simnet new` listed the
    stories with exit 2 and no word of what was wrong."""
    err = io.StringIO()
    assert main(["new", "echo"], out=io.StringIO(), err=err) == 2
    assert err.getvalue() == (
        "simnet new: --module: expected one of simcom-sim7600, simcom-a7670, fibocom-l610 "
        "(the modules the echo story exists for)\n"
    )
    err = io.StringIO()
    assert main(["new", "telnet"], out=io.StringIO(), err=err) == 2
    assert "no story 'telnet'" in err.getvalue()
    out, err = io.StringIO(), io.StringIO()
    assert main(["new"], out=out, err=err) == 2
    assert err.getvalue().startswith("simnet new: STORY: expected one of these")
    assert out.getvalue().splitlines()[0].startswith("echo ")


# -- the schema modeline of a new file: relative to where it is written ------------------------
MODELINE = "# yaml-language-server: $schema="


def _no_schema_above(path: Path) -> None:
    if any((p / "scenario.schema.json").is_file() for p in path.parents):
        pytest.skip("a scenario.schema.json above the temporary folder (shared machine)")


@pytest.mark.parametrize(
    ("where", "schema"),
    [
        ("mine.yaml", "scenarios/scenario.schema.json"),
        ("scenarios/mine/echo.yaml", "../scenario.schema.json"),
        ("scenarios/echo.yaml", "scenario.schema.json"),
    ],
)
def test_in_the_checkout_the_modeline_is_relative_like_the_librarys(where: str, schema: str):
    text = scaffold("echo", "simcom-sim7600", out=str(ROOT / where))
    assert text.splitlines()[0] == MODELINE + schema
    assert str(ROOT) not in text


def test_outside_any_tree_the_file_names_a_schema_beside_it_and_says_how_to_write_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    _no_schema_above(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert main(["new", "echo", "--module", "simcom-sim7600", "-o", "mine.yaml"], out=out) == 0
    lines = (tmp_path / "mine.yaml").read_text().splitlines()
    assert lines[0] == MODELINE + "scenario.schema.json"
    hint = [ln for ln in lines if "simnet schema -o scenario.schema.json" in ln]
    assert len(hint) == 1 and hint[0].startswith("# ")
    # the hint's command makes the line true: an editor finds the schema beside the file
    assert main(["schema", "-o", str(tmp_path / "scenario.schema.json")], out=io.StringIO()) == 0
    assert main(["new", "echo", "--module", "simcom-sim7600", "-o", "again.yaml"], out=out) == 0
    again = (tmp_path / "again.yaml").read_text()
    assert again.splitlines()[0] == MODELINE + "scenario.schema.json"
    assert "simnet schema -o" not in again  # the schema is there: no hint


def test_a_schema_in_a_parent_folder_is_found(tmp_path: Path):
    (tmp_path / "scenario.schema.json").write_text("{}")
    text = scaffold("echo", "simcom-sim7600", out=str(tmp_path / "device" / "a" / "echo.yaml"))
    assert text.splitlines()[0] == MODELINE + "../../scenario.schema.json"


def test_a_wheel_install_never_writes_a_path_into_site_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    _no_schema_above(tmp_path)
    shipped = tmp_path / "venv" / "site-packages" / "simnet" / "scenarios"
    shipped.mkdir(parents=True)
    (shipped / "scenario.schema.json").write_text("{}")
    (shipped / "quickstart.yaml").write_text((ROOT / "scenarios" / "quickstart.yaml").read_text())
    monkeypatch.setattr(library, "scenarios_dir", lambda: shipped)
    text = scaffold("echo", "simcom-sim7600", out=str(tmp_path / "project" / "echo.yaml"))
    assert text.splitlines()[0] == MODELINE + "scenario.schema.json"
    assert "site-packages" not in text


def test_an_imported_log_gets_the_same_relative_modeline(tmp_path: Path):
    log = ROOT / "tests" / "scenario" / "data" / "fieldlogs" / "timestamped.log"
    out = ROOT / "scenarios" / "imported" / "field.yaml"  # not written: to_yaml only renders
    from simnet.scenario.fieldlog import import_log

    imported = import_log(log.read_text(), "simcom-sim7600", str(log))
    assert imported.to_yaml(out=str(out)).splitlines()[0] == MODELINE + "../scenario.schema.json"
