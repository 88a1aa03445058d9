"""Hypothesis strategies and oracles for the fuzzing suite (issue 21).

Three families of hostile input, each with an oracle that says what a correct answer is:

* scenario mutants: every scenario of the library, loaded as data, with one or more values
  replaced, removed, duplicated, wrapped or nested, dumped back to YAML and then damaged as
  text (tags, anchors and alias bombs, control characters, deep nesting, truncation). Oracle:
  ``load + validate`` never raises, every problem reads ``FILE:LINE: key.path: why``; a mutant
  that validates builds and runs to a report whose failed steps name what failed, never an
  internal error;
* AT lines for every built module: its own command names with every form and random
  parameters, interleaved with binary noise. Oracle: no layer traces a caught bug, and after
  the noise the module answers ``AT`` (it is still responsive);
* hostile API calls. Oracle: success, or a ``TypeError``/``ValueError``/``ExpectTimeout`` whose
  message is not empty.
"""

from __future__ import annotations

import math
import re
import traceback
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from simnet.errors import ConfigError, ExpectTimeout
from simnet.scenario.loader import load_text
from simnet.scenario.schema import INTERNAL_CHECK_ERROR, locate_config_error, validate

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted((ROOT / "scenarios").rglob("*.yaml"))
# The library by directory (scenarios/sms, scenarios/wavecom/wipsoft, ...): a mutant first
# draws a directory, so the few scenarios of a newer area (sms, chaos, fleet, realism) are
# seeds as often as the dozens of simcom/ or fibocom/ ones - their keys are where the
# validator is youngest.
LIBRARY_DIRS: dict[str, list[Path]] = {}
for _path in LIBRARY:
    LIBRARY_DIRS.setdefault(str(_path.parent.relative_to(ROOT)), []).append(_path)
_DATA: dict[Path, Any] = {}


def library_data(path: Path) -> Any:
    if path not in _DATA:
        _DATA[path] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return _DATA[path]


KEYWORDS = [
    "name", "module", "steps", "send", "expect", "expect_re", "within", "wait", "network", "link",
    "delay", "loss", "rate", "dist", "model", "hosts", "ip", "services", "type", "port", "faults",
    "at", "on", "action", "checks", "file", "directory", "source", "files", "apn", "pdp", "seed",
    "uart", "baud", "sim", "state", "trace", "level", "ring", "boot", "bare_lf", "mean", "shape",
    "weights", "values", "scale", "sd", "min", "max", "p", "r", "h", "k", "duration", "count",
]
HOSTILE_TEXT = [
    "", " ", "\ud800", "AT\udfff", "\x00", "\x1b[31m", "é", "\u2028", "💥", "a" * 101, "9" * 400,
    "0s", "-1s", "1e400s", "inf", ".nan", "nan", "1%", "200%", "nan%", "-0", "1e999kbps",
    "(a|aa)+$", "(a|a)*c", "(", "*", "../../etc/passwd", "/etc/", "/dev/zero", "/proc/self/mem",
    "simcom-sim7600", "fibocom-l610", "ftp", "smtp", "tcp-echo", "203.0.113.10", "10.64.0.1",
    "pareto", "exponential", "empirical", "gilbert-elliott", "AT+CSQ", "OK", "ERROR", "\r\n",
]
hostile_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 2**64, 10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-300, 1e300, math.inf, -math.inf, math.nan]),
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=12),
)
hostile_keys = st.one_of(
    st.sampled_from(KEYWORDS), st.text(max_size=6), st.sampled_from(HOSTILE_TEXT[:6])
)
hostile_values = st.recursive(
    hostile_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(hostile_keys, inner, max_size=4)
    ),
    max_leaves=10,
)


# -- scenario mutants ---------------------------------------------------------------------------
def _containers(
    value: Any, path: tuple = (), seen: set[int] | None = None
) -> list[tuple[tuple, Any]]:
    """Every dict and list inside ``value`` with its path (the places a mutation can act);
    each container once (a mutation may have made the data contain itself), 40 levels deep."""
    seen = set() if seen is None else seen
    if not isinstance(value, dict | list) or id(value) in seen or len(path) > 40:
        return []
    seen.add(id(value))
    out: list[tuple[tuple, Any]] = [(path, value)]
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for k, v in items:
        out.extend(_containers(v, (*path, k), seen))
    return out


@st.composite
def data_mutation(draw: Any, data: Any) -> Any:
    """Apply 1-4 structural mutations to a deep copy of scenario ``data``."""
    import copy

    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 4))):
        places = _containers(data)
        if not places:
            return draw(hostile_values)
        _path, target = draw(st.sampled_from(places))
        op = draw(
            st.sampled_from(
                ["replace", "replace", "delete", "insert", "wrap", "nest", "self", "dup"]
            )
        )
        if isinstance(target, dict):
            keys = list(target)
            key = draw(st.sampled_from(keys)) if keys and op != "insert" else draw(hostile_keys)
        else:
            if not target and op != "insert":
                op = "insert"
            key = draw(st.integers(0, max(0, len(target) - 1))) if target else 0
        if op == "replace":
            target[key] = draw(hostile_values) if isinstance(target, dict) or target else None
            if isinstance(target, list) and not target:
                target.append(draw(hostile_values))
        elif op == "delete" and (
            isinstance(target, dict) and key in target or isinstance(target, list) and target
        ):
            del target[key]
        elif op == "insert":
            if isinstance(target, dict):
                target[key] = draw(hostile_values)
            else:
                target.insert(key, draw(hostile_values))
        elif op == "wrap" and (
            isinstance(target, list) and target or isinstance(target, dict) and key in target
        ):
            target[key] = (
                [target[key]] if draw(st.booleans()) else {draw(hostile_keys): target[key]}
            )
        elif op == "nest" and (
            isinstance(target, list) and target or isinstance(target, dict) and key in target
        ):
            value = target[key]
            for _ in range(draw(st.integers(1, 80))):
                value = [value]
            target[key] = value
        elif op == "self" and (
            isinstance(target, list) and target or isinstance(target, dict) and key in target
        ):
            target[key] = target  # dumped as an anchor and an alias to itself
        elif op == "dup" and isinstance(target, list) and target:
            target.extend(target[: draw(st.integers(1, 3))])
    return data


TEXT_DAMAGE = [
    "!!float abc",
    "!!int abc",
    "!!binary aGk=",
    "!!python/object/apply:os.system [id]",
    "!custom x",
    "!!timestamp 2001-99-99",
    "!!set {a}",
    "&a [*a]",
    "*undefined",
    "<<: *nowhere",
    "? [a]\n: b",
    "{a: 1, a: 2}",
    "- - - - -",
    "'unterminated",
    '"\\ud800"',
    '"\\x00\\x01"',
    "\t\tindent",
]


def _alias_bomb(levels: int, width: int) -> str:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * width) + "]")
    return "bomb:\n" + "\n".join("  " + x for x in lines)


@st.composite
def text_damage(draw: Any, text: str) -> str:
    """Damage YAML text: insert a hostile line, a control character, deep nesting or an alias
    bomb, or cut it short."""
    lines = text.split("\n")
    op = draw(st.sampled_from(["line", "control", "nest", "bomb", "cut", "bytes", "none", "none"]))
    at = draw(st.integers(0, len(lines)))
    if op == "line":
        indent = draw(st.sampled_from(["", "  ", "    "]))
        key = draw(st.sampled_from(KEYWORDS))
        lines.insert(at, f"{indent}{key}: {draw(st.sampled_from(TEXT_DAMAGE))}")
    elif op == "control":
        ch = chr(
            draw(
                st.sampled_from([0, 1, 7, 8, 0x0B, 0x0C, 0x1B, 0x7F, 0x80, 0xFEFF, 0xFFFE, 0xD800])
            )
        )
        row = lines[at - 1] if at else ""
        col = draw(st.integers(0, len(row)))
        if at:
            lines[at - 1] = row[:col] + ch + row[col:]
        else:
            lines.insert(0, ch)
    elif op == "nest":
        depth = draw(st.integers(30, 700))
        lines.insert(at, f"{draw(st.sampled_from(KEYWORDS))}: " + "[" * depth + "]" * depth)
    elif op == "bomb":
        lines.append(_alias_bomb(draw(st.integers(3, 9)), draw(st.integers(2, 10))))
    elif op == "cut":
        return text[: draw(st.integers(0, len(text)))]
    elif op == "bytes":
        lines.insert(at, draw(st.text(max_size=40)))
    return "\n".join(lines)


@st.composite
def scenario_mutant(draw: Any, paths: list[Path] | None = None) -> tuple[str, str]:
    """``(source scenario, mutated YAML text)``."""
    if paths is None:
        paths = LIBRARY_DIRS[draw(st.sampled_from(sorted(LIBRARY_DIRS)))]
    path = draw(st.sampled_from(paths))
    data = draw(data_mutation(library_data(path)))
    try:
        text = yaml.safe_dump(
            data, allow_unicode=draw(st.booleans()), sort_keys=False, width=1 << 16
        )
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError):
        text = path.read_text(encoding="utf-8")
    return str(path.relative_to(ROOT)), draw(text_damage(text))


_PROBLEM = re.compile(r"^mutant\.yaml:\d+: \S.*: \S")


def check_scenario_text(text: str, *, run: bool = False, max_wall: float = 20.0) -> list[str]:
    """Oracle for one mutant: a list of what went wrong (empty when the answer is correct)."""
    try:
        loaded = load_text(text, "mutant.yaml")
        scenario, problems = validate(loaded)
    except BaseException as exc:  # noqa: BLE001 - this is what the oracle is looking for
        if isinstance(exc, KeyboardInterrupt):
            raise
        return ["validate raised:\n" + traceback.format_exc(limit=8)]
    bad = []
    for p in problems:
        line = str(p)
        if not _PROBLEM.match(line):
            bad.append(f"problem not in FILE:LINE: key.path: why form: {line[:300]!r}")
        if INTERNAL_CHECK_ERROR in p.message:
            bad.append(f"a checker raised: {line[:400]}")
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:
            bad.append(f"problem cannot be printed: {line[:200]!r}")
    if bad or scenario is None or not run:
        return bad
    return check_run(scenario, loaded, max_wall)


def check_run(scenario: Any, loaded: Any, max_wall: float) -> list[str]:
    from simnet.scenario.api import Simulation
    from simnet.scenario.runner import Runner

    try:
        try:
            sim = Simulation(scenario=scenario)
        except ConfigError as exc:  # located for the user exactly as `simnet run` does
            locate_config_error(loaded, exc)
            return []
        result = Runner(sim, max_wall=max_wall).run()
    except BaseException as exc:  # noqa: BLE001
        if isinstance(exc, KeyboardInterrupt):
            raise
        return ["run raised:\n" + traceback.format_exc(limit=8)]
    out = []
    for step in result.steps:
        if step.detail.startswith(("internal error", "model error")):
            out.append(f"step {step.index} ({step.kind}): {step.detail[:400]}")
        if "--max-wall" in step.detail:
            out.append(
                f"HANG? step {step.index} ({step.kind}) used the whole wall budget of {max_wall:g} "
                "s"
            )
    for check in result.checks:
        if check.detail.startswith("internal error"):
            out.append(f"check {check.index}: {check.detail[:400]}")
    return out


# -- AT lines -----------------------------------------------------------------------------------
# Commands left out of random input because they legitimately end the conversation a
# responsiveness check needs: power off, a new baud rate or framing, quiet mode, flow control.
UNFUZZED = ("+CPOF", "+CPWROFF", "+IPR", "+ICF", "+IFC", "Q", "&K", "+CFUN", "S")
AT_PARAM = st.one_of(
    st.integers(min_value=-5, max_value=70000).map(str),
    st.sampled_from(
        [
            '"203.0.113.10"',
            '"echo.example.net"',
            '"TCP"',
            '"UDP"',
            '"IP"',
            '"internet"',
            '""',
            "",
            "0",
            "1",
            "2",
            "7",
            "99",
            "255",
            "65536",
            "-1",
            '"' + "x" * 300 + '"',
            '"\\x00"',
            "1.5",
            "1e9",
            "?",
            "=",
            '"',
            ",,,",
            "9" * 40,
            "\xb9",  # latin-1 superscript one: str.isdigit() takes it, int() does not
            "1\xb2\xb3",
        ]
    ),
    st.text(alphabet='0123456789\xb2\xb3\xb9ABCDEFabcdef",.:;?=+-* ', max_size=16),
)


def at_line(names: list[str]) -> Any:
    usable = [n for n in names if n not in UNFUZZED]
    command = st.tuples(
        st.sampled_from(usable),
        st.sampled_from(["", "?", "=?", "="]),
        st.lists(AT_PARAM, max_size=6),
    ).map(lambda t: "AT" + t[0] + t[1] + (",".join(t[2]) if t[1] == "=" else ""))
    noise = st.binary(max_size=60).map(lambda b: b.decode("latin-1"))
    return st.one_of(
        command, command, command, noise, st.sampled_from(["AT", "A/", "+++", "\x1a", "\x1b"])
    )


# -- hostile API calls ----------------------------------------------------------------------
API_ERRORS = (TypeError, ValueError, ExpectTimeout)
hostile_seconds = st.one_of(
    st.floats(min_value=0, max_value=50),
    st.sampled_from([0, -1, -1e-9, math.inf, -math.inf, math.nan, 10**400]),
    st.sampled_from(["1", None, [1], b"1", True, {}]),
)
hostile_bytes = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=50),
    st.sampled_from([None, 12, [b"AT"], "AT€", "AT\ud800"]),
)
api_call = st.one_of(
    st.tuples(st.just("advance"), hostile_seconds),
    st.tuples(st.just("wait"), hostile_seconds),
    st.tuples(st.just("command"), st.one_of(st.text(max_size=40), hostile_bytes), hostile_seconds),
    st.tuples(
        st.just("expect"),
        st.one_of(st.sampled_from(["OK", "(", "(a|aa)+$", "[", "\\", "*"]), hostile_bytes),
        hostile_seconds,
    ),
    st.tuples(st.just("write"), hostile_bytes),
    st.tuples(st.just("baud"), st.one_of(st.integers(-10, 10**8), hostile_seconds)),
    st.tuples(st.just("from_dict"), hostile_values),
)


def apply_api_call(sim: Any, call: tuple) -> str | None:
    """Make one hostile call; None when the outcome is acceptable, else what went wrong."""
    import simnet

    name, *args = call
    try:
        if name == "advance":
            sim.advance(args[0])
        elif name == "wait":
            sim.dte.wait(args[0])
        elif name == "command":
            sim.dte.command(args[0], timeout=args[1])
        elif name == "expect":
            sim.dte.expect(args[0], timeout=args[1])
        elif name == "write":
            sim.dte.write(args[0])
        elif name == "baud":
            sim.dte.baud = args[0]
        elif name == "from_dict":
            simnet.Simulation.from_dict(args[0])
    except API_ERRORS as exc:
        if not str(exc):
            return f"{name}{tuple(args)!r:.200}: {type(exc).__name__} with an empty message"
        return None
    except BaseException as exc:  # noqa: BLE001
        if isinstance(exc, KeyboardInterrupt):
            raise
        return f"{name}{tuple(args)!r:.200} raised:\n" + traceback.format_exc(limit=8)
    return None


def built_modules() -> list[str]:
    from simnet.scenario.schema import known_module_ids, unbuilt_module_ids

    unbuilt = set(unbuilt_module_ids())
    return [m for m in known_module_ids() or [] if m not in unbuilt]


AT_WORLD_HOSTS = {
    "echo.example.net": {
        "ip": "203.0.113.10",
        "services": [{"type": "tcp-echo", "port": 7}, {"type": "udp-echo", "port": 7}],
    }
}
MODEL_ERRORS = ("handler_error", "callback_error", "process_error", "internal_error")


def at_world(module_id: str) -> tuple[Any, list[str]]:
    """A module with a network and an echo host; the list collects traced model errors."""
    from simnet.scenario.api import Simulation

    sim = Simulation.from_dict({"name": "at-fuzz", "module": module_id, "hosts": AT_WORLD_HOSTS})
    errors: list[str] = []
    sim.trace.add_sink(
        lambda rec: (
            errors.append(
                f"{rec.source} {rec.kind}: {rec.fields.get('command', '')} "
                f"{rec.fields.get('error', '')}"
            )
            if rec.kind in MODEL_ERRORS
            else None
        )
    )
    return sim, errors


def feed_at_lines(sim: Any, lines: list[str], gaps: list[float]) -> int:
    """Send each line as a host would: a command line waits for its final result code (up to
    30 virtual seconds: a data prompt, CONNECT or silence end the wait), noise is written and
    followed by its gap. Returns how many lines the module's AT engine was given to parse."""
    from simnet.modem.module import Mode

    module = sim.module
    parsed = 0
    for line, gap in zip(lines, gaps, strict=False):
        if module.mode is Mode.COMMAND:
            parsed += 1
        if line.upper().startswith("AT") and module.mode is Mode.COMMAND:
            try:
                sim.dte.command(line, timeout=30)
            except ExpectTimeout:
                pass
        else:
            sim.dte.write((line + "\r").encode("latin-1", "replace"))
        sim.advance(gap)
    return parsed


def recover_and_ping(sim: Any) -> str | None:
    """What a host driver does after noise: wait, leave data mode or a prompt, then ``AT``.
    None when the module answered, else what it did."""
    from simnet.modem.module import Mode

    dte, module = sim.dte, sim.module
    dte.wait(module.profile.line_idle_timeout + 5)
    for _ in range(3):
        if getattr(module, "mux", None) is not None:
            _close_multiplexer(sim)
        if module.mode is Mode.DATA:
            dte.wait(1.5)
            dte.write(b"+++")
            dte.wait(1.5)
            if module.mode is Mode.DATA:  # Wavecom eDsoft: an ETX ends its data sessions
                dte.write(b"\x03")
                dte.wait(1.5)
        if module.mode is Mode.PROMPT:
            dte.write(b"\x1b")
            dte.wait(1.0)
        dte.read_available()
        try:
            result = dte.command("ATE1V1", timeout=60)
        except ExpectTimeout as exc:
            last = str(exc)
            dte.wait(30)  # a reboot (AT+CRESET) or a long operation may still be under way
            continue
        if result.final in ("OK", "0"):
            return None
        last = f"ATE1V1 answered {result.final!r}"
    return f"module {module.profile.id} unresponsive after the noise: {last[:300]}"


def _close_multiplexer(sim: Any) -> None:
    """The noise contained AT+CMUX: the line now carries TS 27.010 frames and plain AT is
    ignored, as on a real module. Close it the way a host driver does: SABM on DLCI 0, then
    CLD (§5.4.6.3.3); the line is AT again."""
    from simnet.modem.cmux.engine import CmuxEngine, Transmit

    host = CmuxEngine(role="host")
    for step in (lambda: host.open(0), host.close):
        step()
        for event in host.take_events():
            if isinstance(event, Transmit):
                sim.dte.write(event.data)
        sim.dte.wait(1.0)
        host.feed(sim.dte.read_available())
