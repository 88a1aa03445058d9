"""Regression tests for every crash, hang and wrong answer an outside fuzzing campaign found in
the scenario path (issue 21). Each scenario is the campaign's three-line base plus one hostile
line; every one must end in ``FILE:LINE: key.path: why`` and exit 2 (or, at run time, a failed
step that says what happened), never a traceback, a hang or unbounded memory."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time

import pytest

import simnet
from simnet.scenario.cli import main
from simnet.scenario.loader import MAX_DEPTH, load_text
from simnet.scenario.runner import Runner
from simnet.scenario.schema import validate

BASE = "name: r\nmodule: simcom-sim7600\nsteps: [{send: AT}, {expect: OK}]\n"
HUGE = "9" * 400  # a 400-digit integer: float() of it raises OverflowError


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def validate_file(tmp_path, text: str) -> tuple[int, list[str]]:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    code, _, err = cli("validate", str(path))
    return code, err.splitlines()


def assert_located(lines: list[str], line: int, path: str, why: str) -> None:
    """Some problem reads ``s.yaml:LINE: PATH: ...WHY...``."""
    pattern = re.compile(rf".*s\.yaml:{line}: {re.escape(path)}: .*{why}")
    assert any(pattern.match(x) for x in lines), lines


# -- the eight crash classes (each was exit 1 with a traceback) ------------------------------
@pytest.mark.parametrize("extra, path, why", [
    ("description: !!float abc", "description", "cannot read 'abc' as float"),
    ("seed: !!int abc", "seed", "cannot read 'abc' as int"),
    ("description: !!binary aGVsbG8=", "description", "tag .* is not allowed"),
    ("description: !!python/name:os.system x", "description", "tag .* is not allowed"),
])
def test_bad_scalar_tags_are_located_problems(tmp_path, extra, path, why):
    code, lines = validate_file(tmp_path, BASE + extra + "\n")
    assert code == 2
    assert_located(lines, 4, path, why)
    assert len([x for x in lines if f": {path}: " in x]) == 1  # said once, not twice


def test_494_levels_of_nesting_is_a_problem_not_a_recursion_error(tmp_path):
    code, lines = validate_file(tmp_path, BASE + "description: " + "[" * 494 + "]" * 494 + "\n")
    assert code == 2
    assert_located(lines, 4, "(top level)", f"nested deeper than {MAX_DEPTH} levels")


def test_depth_limit_is_exact():
    """MAX_DEPTH levels load; one more does not (the bound is the one documented)."""
    def nested(levels: int) -> str:  # ``description`` itself is inside the top mapping
        return BASE + "description: " + "[" * levels + "]" * levels + "\n"

    assert not any("deeper" in p.message for p in load_text(nested(MAX_DEPTH - 1)).problems)
    assert any("deeper" in p.message for p in load_text(nested(MAX_DEPTH)).problems)


def test_self_referencing_alias(tmp_path):
    code, lines = validate_file(tmp_path, BASE + "description: &r [*r]\n")
    assert code == 2
    assert_located(lines, 4, "description[0]", "alias refers to a value that contains it")


def test_self_referencing_merge_key(tmp_path):
    """``<<: *n`` inside ``&n`` itself: merged into its own keys (reported as duplicates),
    never an endless merge."""
    code, lines = validate_file(tmp_path, BASE + "network: &n {bearer: gprs, <<: *n}\n")
    assert code == 2
    assert_located(lines, 4, "network.bearer", "duplicate key")


@pytest.mark.parametrize(
    "extra, path, why",
    [
        ("faults: [{at: 1s, action: {a: 1}}]", "faults[0].action", "unknown action"),
        (
            "network: {link: {delay: {dist: [normal]}}}",
            "network.link.delay.dist",
            "unknown distribution",
        ),
        ("network: {link: {loss: {model: [x]}}}", "network.link.loss.model", "unknown loss model"),
    ],
)
def test_unhashable_values_where_a_name_is_expected(tmp_path, extra, path, why):
    code, lines = validate_file(tmp_path, BASE + extra + "\n")
    assert code == 2
    assert_located(lines, 4, path, why)


@pytest.mark.parametrize(
    "extra, path",
    [
        (f"network: {{link: {{delay: {HUGE}}}}}", "network.link.delay"),
        (f"network: {{link: {{rate: {HUGE}}}}}", "network.link.rate"),
        (f"network: {{link: {{loss: {HUGE}}}}}", "network.link.loss"),
        (f"network: {{link: {{duplicate: {HUGE}}}}}", "network.link.duplicate"),
        (f"faults: [{{at: {HUGE}, action: nat-expire}}]", "faults[0].at"),
        (f"steps: [{{wait: {HUGE}}}]", "steps[0].wait"),
        (f"epoch: {HUGE}", "epoch"),  # was an OverflowError out of validate() (stabilise)
        ("epoch: .nan", "epoch"),
        ("epoch: -1e300", "epoch"),
        (
            f"network: {{link: {{delay: {{dist: empirical, values: [1s], weights: [{HUGE}]}}}}}}",
            "network.link.delay.weights[0]",
        ),
        (
            f"network: {{link: {{loss: {{model: gilbert-elliott, p: {HUGE}}}}}}}",
            "network.link.loss.p",
        ),
    ],
)
def test_400_digit_numbers_are_range_checked_before_arithmetic(tmp_path, extra, path):
    text = BASE.replace("steps: [{send: AT}, {expect: OK}]\n", "") + extra + "\n"
    if "steps" not in extra:
        text += "steps: [{send: AT}]\n"
    code, lines = validate_file(tmp_path, text)
    assert code == 2
    assert any(f": {path}: " in x for x in lines), lines


@pytest.mark.parametrize(
    "text, path",
    [
        ('name: "\\ud800"\nmodule: simcom-sim7600\nsteps: [{send: AT}, {expect: OK}]\n', "name"),
        (
            'name: r\nmodule: simcom-sim7600\nsteps: [{send: "AT\\ud800"}, {expect: OK}]\n',
            "steps[0].send",
        ),
        ('name: r\nmodule: simcom-sim7600\n"k\\udfff": 1\nsteps: [{send: AT}]\n', "(top level)"),
    ],
)
def test_lone_surrogates_are_refused_at_validation(tmp_path, text, path):
    code, lines = validate_file(tmp_path, text)
    assert code == 2
    assert any(f": {path}: " in x and "lone surrogate" in x for x in lines), lines


def test_cli_prints_a_file_name_that_is_not_utf8(tmp_path):
    """A file name with undecodable bytes reaches Python as surrogates: printing it must not
    raise (it did: UnicodeEncodeError, exit 1)."""
    name = os.fsencode(str(tmp_path)) + b"/\xff.yaml"
    with open(name, "w", encoding="utf-8") as fp:
        fp.write(BASE)
    proc = subprocess.run(
        [sys.executable, "-m", "simnet.cli", "validate", os.fsdecode(name)],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert b"\\udcff.yaml: ok" in proc.stdout


# -- hangs and memory ---------------------------------------------------------------------------
def test_billion_laughs_stops_at_the_value_budget(tmp_path):
    """484 bytes that expand to 10**9 values: refused after the budget, in well under a second
    of work (it grew to 2.4 GB in 20 s)."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    text = (
        "name: r\nmodule: simcom-sim7600\nsteps: [{send: AT}]\ndescription:\n"
        + "\n".join("  " + x for x in lines)
        + "\n"
    )
    loaded = load_text(text, "s.yaml")
    assert any("expands to more than" in p.message for p in loaded.problems)
    _, problems = validate(loaded)
    assert problems


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_never_opened_for_a_blocking_read(tmp_path):
    """``validate`` on a FIFO (named or found in a directory as *.yaml) and on /dev/zero: each a
    located problem, immediately (they hung / ran out of memory)."""
    fifo = tmp_path / "dir" / "pipe.yaml"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    (tmp_path / "dir" / "good.yaml").write_text(BASE, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "simnet.cli", "validate", str(fifo.parent), str(fifo), "/dev/zero"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert f"{fifo}:1: (top level): not a regular file (a FIFO)" in proc.stderr
    assert "/dev/zero:1: (top level): not a regular file (a character device)" in proc.stderr
    assert "good.yaml: ok" in proc.stdout


def test_oversized_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(BASE.encode() + b"# " + b"x" * (1 << 20) + b"\n")
    code, _, err = cli("validate", str(path))
    assert code == 2 and "bytes (expected a scenario of at most 1048576 bytes)" in err


def test_catastrophic_expect_re_fails_the_step_instead_of_hanging(tmp_path):
    """``(a|aa)+$`` against forty 'a' backtracks exponentially in ``re``; the step must fail
    with a message about the pattern, the run must end."""
    text = (
        "name: r\nmodule: simcom-sim7600\nsteps:\n  - send: AT\n  - expect: OK\n"
        f'  - send_raw: "{"a" * 40}\\r"\n  - expect_re: "(a|aa)+$"\n    within: 5s\n'
    )
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, _ = cli("run", str(path))
    assert code == 1
    assert "expect_re" in out and "gave up after 1 s of wall-clock time" in out


def test_a_classic_backtracking_pattern_simply_works(tmp_path):
    """``(a|a)*c`` (the campaign's hang) is matched by the safe engine without backtracking."""
    text = (
        "name: r\nmodule: simcom-sim7600\nsteps:\n  - send: AT\n  - expect: OK\n"
        f'  - send_raw: "{"a" * 60}\\r"\n  - expect_re: "(a|a)*c"\n    within: 1s\n'
    )
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, _ = cli("run", str(path))
    assert code == 1 and "not seen within 1 s" in out


# -- wrong answers ----------------------------------------------------------------------------
def test_within_zero_is_refused_at_validation(tmp_path):
    code, lines = validate_file(tmp_path, BASE.replace("{expect: OK}", "{expect: OK, within: 0s}"))
    assert code == 2
    assert_located(lines, 3, "steps[1].within", "positive duration")


@pytest.mark.parametrize(
    "dist, path",
    [
        ("{dist: pareto, scale: 1s, shape: 0.0001}", "shape"),
        ("{dist: pareto, scale: 1s, shape: 1.0e-300}", "shape"),
        ("{dist: exponential, mean: .inf}", "mean"),
        ("{dist: normal, mean: 1s, sd: .nan}", "sd"),
        ("{dist: empirical, values: [1s], weights: [.inf]}", "weights[0]"),
        ("{dist: empirical, values: [1s], weights: [.nan]}", "weights[0]"),
        ("{dist: uniform, min: 0s, max: 1e300}", "max"),
    ],
)
def test_distributions_that_cannot_be_sampled_are_refused(tmp_path, dist, path):
    text = BASE + f"network: {{pdp: {{activation_delay: {dist}}}}}\n"
    code, lines = validate_file(tmp_path, text)
    assert code == 2
    assert any(f": network.pdp.activation_delay.{path}: " in x for x in lines), lines


def test_apn_longer_than_100_characters_is_a_located_problem(tmp_path):
    """TS 23.003 §9.1: an APN is at most 100 octets. It validated, then run exited 2 with no
    line."""
    code, lines = validate_file(tmp_path, BASE + f"network: {{apn: {'a' * 101}}}\n")
    assert code == 2
    assert_located(lines, 4, "network.apn", "at most 100")
    code, lines = validate_file(
        tmp_path, BASE + f"network: {{apn: {{name: x, user: {'u' * 256}}}}}\n"
    )
    assert code == 2
    assert_located(lines, 4, "network.apn.user", "at most 255")


def test_control_characters_are_reported_at_their_own_line(tmp_path):
    text = BASE + '\n\ndescription: "a\x01b"\n'
    code, lines = validate_file(tmp_path, text)
    assert code == 2
    assert_located(lines, 6, r"(top level)", "U\\+0001 is not allowed")


def test_model_error_fails_the_step_that_saw_it():
    """A bug a layer catches and traces (process_error etc.) fails the running step and names
    the error, instead of surfacing as a timeout that looks like the network."""
    sim = simnet.Simulation.from_dict(
        {
            "name": "r",
            "module": "simcom-sim7600",
            "steps": [{"send": "AT"}, {"expect": "NEVER", "within": "5s"}],
        }
    )
    sim.call_later(
        0.5, lambda: sim.record("modem", "process_error", error="ZeroDivisionError('x')")
    )
    result = sim.run_scenario()
    step = result.steps[1]
    assert step.passed is False
    assert step.detail.startswith("model error: modem process_error: ZeroDivisionError('x')")


def test_max_wall_stops_a_step_that_never_returns(monkeypatch):
    sim = simnet.Simulation.from_dict(
        {"name": "r", "module": "simcom-sim7600", "steps": [{"send": "AT"}, {"expect": "OK"}]}
    )

    def forever(_spec):
        while True:
            time.sleep(0.01)

    runner = Runner(sim, max_wall=0.3)
    monkeypatch.setattr(runner, "run_step", forever)
    t0 = time.monotonic()
    result = runner.run()
    assert time.monotonic() - t0 < 10
    assert result.passed is False
    assert "wall-clock budget of 0.3 s (--max-wall) ran out" in result.steps[0].detail
    assert result.steps[1].passed is None


def test_max_wall_cli(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert cli("run", "--max-wall", "0", str(path))[0] == 2
    assert cli("run", "--max-wall", "nan", str(path))[0] == 2
    assert cli("run", "--max-wall", "60", str(path))[0] == 0


def test_a_problem_is_always_one_printable_line():
    """Found by the fuzz suite: a key holding control characters broke the one-line
    ``FILE:LINE: key.path: why`` contract (a newline inside the path)."""
    text = BASE + 'network: {apn: {"\\0\\x10\\n\\u2028G": 1}}\n'
    _, problems = validate(load_text(text, "s.yaml"))
    assert problems
    for p in problems:
        line = str(p)
        assert "\n" not in line and "\x00" not in line and "\u2028" not in line
    assert any("network.apn['\\x00\\x10\\n\\u2028G']: unknown key" in str(p) for p in problems)


@pytest.mark.parametrize("key, shown", [(" ", "[' ']"), ("", "['']"), ("a[0]", "['a[0]']")])
def test_odd_keys_are_quoted_in_the_key_path(key, shown):
    """Found by ``make fuzz``: a key of one space printed as ``FILE:LINE:  : ...``."""
    _, problems = validate(load_text(BASE + f'"{key}": 1\n', "s.yaml"))
    assert any(
        str(p)
        == f"s.yaml:4: {shown}: unknown key (expected one of "
        + str(p).split("(expected one of ", 1)[1]
        for p in problems
    ), [str(p) for p in problems]


@pytest.mark.parametrize(
    "extra, why",
    [
        ("description: !!float abc", "cannot read 'abc' as float"),
        ("description: " + "[" * 494 + "]" * 494, "nested deeper than 64 levels"),
        ("description: &r [*r]", "alias refers to a value that contains it"),
    ],
)
def test_simnet_serve_refuses_the_same_files_with_exit_2(tmp_path, extra, why):
    """``simnet serve`` crashed on the same eight classes; it shares the loader now."""
    path = tmp_path / "s.yaml"
    path.write_text(BASE + extra + "\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "simnet.cli", "serve", str(path), "--tcp", "127.0.0.1:0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert f"simnet serve: {path}:4: " in proc.stderr and why in proc.stderr
    assert "Traceback" not in proc.stderr


# -- unknown keys and nulls under the newer sections (network.sms/ussd; stabilise) -------------
# Each was `network: this section could not be checked: TypeError ...` (the checker passed an
# undeclared key on to SmsConfig(**mapping), or dict(None)).
@pytest.mark.parametrize("network, path, why", [
    ("sms: {name: null}", "network.sms.name", r"unknown key \(expected one of smsc, "),
    ("sms: {x: 1, submit_delay: 1s}", "network.sms.x", "unknown key"),
    ("ussd: null", "network.ussd", r"got null \(expected a mapping of service codes"),
    ("ussd: [1]", "network.ussd", r"got a list \(expected a mapping of service codes"),
])
def test_unknown_keys_and_nulls_under_network_sms_are_located(tmp_path, network, path, why):
    code, lines = validate_file(tmp_path, BASE + "network:\n  " + network + "\n")
    assert code == 2
    assert_located(lines, 5, path, why)
    assert not [x for x in lines if "could not be checked" in x], lines


def _mappings(value, path=()):
    """(path, mapping) of every mapping inside ``value``; of a list, one item per shape (its
    keys), so forty `send:` steps count once."""
    if isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from _mappings(item, (*path, key))
    elif isinstance(value, list):
        shapes = set()
        for i, item in enumerate(value):
            shape = tuple(sorted(map(str, item))) if isinstance(item, dict) else type(item)
            if shape not in shapes:
                shapes.add(shape)
                yield from _mappings(item, (*path, i))


def _one_scenario_per_library_directory():
    from tests.fuzz.strategies import LIBRARY_DIRS

    # the scenario of each directory with the most distinct mappings: the most keys to break
    return [
        max(paths, key=lambda p: len(list(_mappings(_library(p)))))
        for _, paths in sorted(LIBRARY_DIRS.items())
    ]


def _library(path):
    from tests.fuzz.strategies import library_data

    return library_data(path)


@pytest.mark.slow
@pytest.mark.parametrize(
    "scenario", _one_scenario_per_library_directory(), ids=lambda p: p.parent.name + "/" + p.stem
)
def test_an_unknown_key_or_a_null_in_any_mapping_is_a_located_problem(scenario):
    """Every mapping of a library scenario (one per directory: sms, chaos, fleet, realism,
    wavecom/wipsoft...) given an undeclared key, and each of its values made null: the
    validator answers with located problems, never a checker's exception."""
    import copy

    import yaml

    from tests.fuzz.strategies import check_scenario_text

    data = _library(scenario)
    failures = []
    for path, mapping in list(_mappings(data)):
        # an undeclared key; then each value null (the top level's own keys are left alone)
        for key, value in [("undeclared", None), *[(k, None) for k in mapping if path]]:
            mutant = copy.deepcopy(data)
            target = mutant
            for step in path:
                target = target[step]
            target[key] = value
            bad = check_scenario_text(yaml.safe_dump(mutant, sort_keys=False, width=1 << 16))
            failures += [(path, key, b[:300]) for b in bad]
    assert failures == []
