"""Designs of a sweep: which parameter values and seeds each run gets.

A *point* is one run: a set of parameter values and a seed. Parameters whose first dotted
segment is a top-level scenario key (``network.link.loss``) are written into the scenario data;
any other name (``policy``) is handed to the host program as a keyword argument.

Designs combine as a product: the grid's cartesian product × the zipped rows × the random
samples × the seeds. The order of points is fixed by the design alone, so a run id, a row's
place in the result and every random draw are the same whatever executes them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from simnet.errors import ConfigError
from simnet.kernel.rng import stream_seed
from simnet.kernel.units import ascii_digits, parse_duration, parse_probability, parse_rate
from simnet.scenario.schema import TOP_KEYS


@dataclass(frozen=True)
class Point:
    """One run of a sweep: ``index`` is its row in the design order."""

    index: int
    params: tuple[tuple[str, Any], ...]
    seed: int
    run_id: str

    @property
    def scenario_params(self) -> tuple[tuple[str, Any], ...]:
        return tuple((k, v) for k, v in self.params if is_scenario_key(k))

    @property
    def program_params(self) -> dict[str, Any]:
        return {k: v for k, v in self.params if not is_scenario_key(k)}


def is_scenario_key(key: str) -> bool:
    return re.split(r"[.\[]", key, maxsplit=1)[0] in TOP_KEYS


# -- command-line values -----------------------------------------------------------------------
def split_values(text: str) -> list[Any]:
    """``0,1%,5%`` -> [0, '1%', '5%']: comma-separated YAML scalars (brackets and quotes nest)."""
    items: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    out = []
    for item in items:
        item = item.strip()
        if not item:
            raise ConfigError(
                "--set", f"empty value in {text!r} (expected values separated by commas)"
            )
        try:
            out.append(yaml.safe_load(item))
        except yaml.YAMLError:
            out.append(item)
    return out


def parse_assignment(text: str, option: str) -> tuple[str, str]:
    key, sep, values = text.partition("=")
    if not sep or not key.strip() or not values.strip():
        raise ConfigError(
            option, f"expected KEY=VALUES such as network.link.loss=0,1%,5%, got {text!r}"
        )
    return key.strip(), values.strip()


def parse_seeds(spec: int | str | Iterable[int]) -> list[int]:
    """Seeds as ``"1-100"``, ``"1,5,9"``, ``"7"``, an iterable of ints, or an int N (seeds 1..N)."""
    if isinstance(spec, bool):
        raise ConfigError("seeds", f"expected seeds such as 1-100, got {spec!r}")
    if isinstance(spec, int):
        if spec < 1:
            raise ConfigError("seeds", f"expected a positive number of seeds, got {spec}")
        return list(range(1, spec + 1))
    if isinstance(spec, str):
        seeds: list[int] = []
        for part in spec.split(","):
            part = part.strip()
            m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", part)
            if m:
                lo, hi = int(m.group(1)), int(m.group(2))
                if hi < lo:
                    raise ConfigError("seeds", f"range {part!r} runs backwards (expected LOW-HIGH)")
                seeds.extend(range(lo, hi + 1))
            elif ascii_digits(part):
                seeds.append(int(part))
            else:
                raise ConfigError(
                    "seeds", f"{part!r} is not a seed or a range (expected e.g. 1-100 or 1,5,9)"
                )
        spec = seeds
    out = []
    for s in spec:
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise ConfigError("seeds", f"expected non-negative integer seeds, got {s!r}")
        out.append(s)
    if not out:
        raise ConfigError("seeds", "no seeds (expected e.g. 1-100)")
    if len(set(out)) != len(out):
        raise ConfigError("seeds", "a seed is listed twice (each run must be distinct)")
    return out


# -- random designs ----------------------------------------------------------------------------
_DIST = re.compile(r"^\s*(uniform|loguniform|randint|choice)\s*\((.*)\)\s*$", re.S)


def si_number(value: Any) -> float | None:
    """A number from a value as a scenario writes it: 0.3, '300ms', '1%', '40kbps'; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    for parse in (
        lambda v: parse_probability(v, "v") if v.endswith("%") else None,
        lambda v: parse_duration(v, "v"),
        lambda v: parse_rate(v, "v"),
    ):
        try:
            number = parse(text)
        except ConfigError:
            continue
        if number is not None:
            return float(number)
    return None


def sample_random(spec: Mapping[str, Any], samples: int, design_seed: int) -> list[dict[str, Any]]:
    """``samples`` rows drawn from each key's distribution: ``uniform(100ms, 600ms)``,
    ``loguniform(0.001, 0.2)``, ``randint(1, 8)``, ``choice(a, b, c)``.

    Each key draws from its own named stream of ``design_seed``, so adding a key does not change
    the values drawn for the others."""
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ConfigError(
            "samples", f"expected a positive number of random samples, got {samples!r}"
        )
    columns: dict[str, list[Any]] = {}
    for key, text in spec.items():
        m = _DIST.match(str(text))
        if not m:
            raise ConfigError(
                key,
                f"{text!r} is not a distribution (expected uniform(a, b), "
                "loguniform(a, b), randint(a, b) or choice(a, b, ...))",
            )
        kind, args = m.group(1), split_values(m.group(2))
        rng = random.Random(stream_seed(design_seed, f"sweep.design.{key}"))
        if kind == "choice":
            columns[key] = [rng.choice(args) for _ in range(samples)]
            continue
        if len(args) != 2:
            raise ConfigError(key, f"{kind} takes two bounds, got {len(args)}")
        lo, hi = (si_number(a) for a in args)
        if lo is None or hi is None or not lo <= hi:
            raise ConfigError(
                key, f"{text!r}: expected two numbers LOW <= HIGH (units allowed: 100ms, 1%)"
            )
        if kind == "uniform":
            columns[key] = [rng.uniform(lo, hi) for _ in range(samples)]
        elif kind == "loguniform":
            if lo <= 0:
                raise ConfigError(key, f"{text!r}: loguniform needs positive bounds")
            columns[key] = [
                math.exp(rng.uniform(math.log(lo), math.log(hi))) for _ in range(samples)
            ]
        else:
            if lo != int(lo) or hi != int(hi):
                raise ConfigError(key, f"{text!r}: randint needs integer bounds")
            columns[key] = [rng.randint(int(lo), int(hi)) for _ in range(samples)]
    return [{k: col[i] for k, col in columns.items()} for i in range(samples)]


# -- the design --------------------------------------------------------------------------------
def _values(key: str, values: Any) -> list[Any]:
    if isinstance(values, str):
        return split_values(values)
    if isinstance(values, Mapping) or not isinstance(values, Sequence | range):
        raise ConfigError(key, f"expected a list of values, got {values!r}")
    values = list(values)
    if not values:
        raise ConfigError(key, "no values to sweep")
    return values


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key:
        raise ConfigError("grid", f"expected a dotted key such as network.link.loss, got {key!r}")
    if key == "seed":
        raise ConfigError(key, "the seed is swept with seeds=... (--seeds), not as a parameter")


def expand(
    grid: Mapping[str, Any] | None = None,
    zipped: Mapping[str, Any] | None = None,
    random_spec: Mapping[str, Any] | None = None,
    samples: int = 0,
    design_seed: int = 0,
) -> list[dict[str, Any]]:
    """Every parameter combination, in design order (grid, then zip, then random samples)."""
    parts: list[list[dict[str, Any]]] = []
    seen: set[str] = set()
    for mapping in (grid or {}, zipped or {}, random_spec or {}):
        for key in mapping:
            _check_key(key)
            if key in seen:
                raise ConfigError(key, "set twice (in grid, zip or random)")
            seen.add(key)
    if grid:
        keys = list(grid)
        lists = [_values(k, grid[k]) for k in keys]
        parts.append([dict(zip(keys, combo, strict=True)) for combo in itertools.product(*lists)])
    if zipped:
        keys = list(zipped)
        lists = [_values(k, zipped[k]) for k in keys]
        if len({len(v) for v in lists}) != 1:
            sizes = ", ".join(f"{k}: {len(v)}" for k, v in zip(keys, lists, strict=True))
            raise ConfigError("zip", f"zipped keys need as many values each ({sizes})")
        parts.append([dict(zip(keys, row, strict=True)) for row in zip(*lists, strict=True)])
    if random_spec:
        parts.append(sample_random(random_spec, samples or 1, design_seed))
    combos: list[dict[str, Any]] = [{}]
    for part in parts:
        combos = [{**a, **b} for a in combos for b in part]
    return combos


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def run_id(fingerprint: str, params: Mapping[str, Any], seed: int) -> str:
    """Stable id of one run: the scenario's fingerprint, the parameter values and the seed."""
    text = canonical({"scenario": fingerprint, "params": dict(params), "seed": seed})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def points(combos: list[dict[str, Any]], seeds: list[int], fingerprint: str) -> list[Point]:
    out: list[Point] = []
    for combo in combos:
        for seed in seeds:
            out.append(
                Point(len(out), tuple(combo.items()), seed, run_id(fingerprint, combo, seed))
            )
    return out


# -- writing a dotted key into scenario data ---------------------------------------------------
def set_path(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` (``network.link.loss``, ``hosts.echo.example.net.services[0].port``,
    ``steps[12].within``) in ``data``; missing mappings are created.

    Host names contain dots, so at each mapping the longest run of segments naming an existing
    key wins."""
    tokens: list[str | int] = [
        int(t[1:-1]) if t.startswith("[") else (int(t) if ascii_digits(t) else t)
        for t in re.findall(r"\[\d+\]|[^.\[\]]+", key)
    ]
    node: Any = data
    i = 0
    path = ""
    while i < len(tokens):
        tok = tokens[i]
        last = i == len(tokens) - 1
        if isinstance(node, list):
            if not isinstance(tok, int) or not 0 <= tok < len(node):
                raise ConfigError(
                    key, f"{path or '(top level)'} has {len(node)} items; no index {tok!r}"
                )
            if last:
                node[tok] = value
                return
            path += f"[{tok}]"
            node = node[tok]
            i += 1
            continue
        if not isinstance(node, dict):
            raise ConfigError(key, f"{path} is {type(node).__name__}, not a mapping")
        # longest existing key made of tokens[i:j] joined by dots
        j, name = i + 1, str(tok)
        for k in range(len(tokens), i + 1, -1):
            if all(isinstance(t, str) for t in tokens[i:k]):
                candidate = ".".join(str(t) for t in tokens[i:k])
                if candidate in node:
                    j, name = k, candidate
                    break
        path = f"{path}.{name}" if path else name
        if j == len(tokens):
            node[name] = value
            return
        child = node.get(name)
        if child is None:
            child = [] if isinstance(tokens[j], int) else {}
            node[name] = child
        node = child
        i = j
