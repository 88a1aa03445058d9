"""What a sweep measures in each run: small expressions or Python callables.

Expressions (also what ``simnet sweep --metric NAME=EXPR`` takes):

==========================  =====================================================================
``step_time(S)``            virtual time (s) when step S finished; S is the step number that
                            ``simnet run`` prints (1-based) or text of the step
                            (``"+CIPOPEN: 0,0"``)
``step_start(S)``           virtual time step S started
``between(A, B)``           ``step_time(B) - step_time(A)``: e.g. the send of AT+CIPOPEN to its URC
``check(N)``                did check N (1-based) pass; ``check(N, key)`` its actual value ``key``
``count(KIND[, SOURCE])``   trace records of ``KIND`` (``a|b`` for either) from sources matching
                            the glob ``SOURCE``
``first(KIND[, SOURCE])``   virtual time of the first such record (``last`` for the last one)
``retransmissions``         TCP retransmissions (both ends): ``count(tcp_retransmit)``
``urcs``                    URCs the module raised: ``count(urc|urc_queued)``
``bytes_up`` / ``bytes_down``  IP bytes the radio links carried up / down (delivered; every
                            device of a fleet)
``airtime``                 seconds the radio links spent serializing (both directions)
``charge`` / ``energy``     the module's charge (mAh) and energy (J) over the run, from its radio
                            profile's current per radio state (PSM, idle, connected, TX, RX);
                            a fleet sums its devices
``radio``                   every radio figure at once, one column each (``radio.time_psm``,
                            ``radio.charge_mah``, ``radio.bytes_up`` ...)
``pkg.module:function``     a Python callable ``f(sim, result)`` (see below)
==========================  =====================================================================

A Python callable receives the finished :class:`simnet.Simulation` and the run's
:class:`~simnet.scenario.runner.RunResult` and returns a value, or a dict of values (one column
each, ``name.key``). A step that failed or did not run gives ``NaN`` times, not an error.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simnet.errors import ConfigError

NAN = math.nan
MetricFn = Callable[[Any, Any], Any]


@dataclass
class Metric:
    """One named measure; ``kind`` says how it is computed (``fn`` for callables)."""

    name: str
    kind: str
    args: tuple[Any, ...] = ()
    fn: MetricFn | None = None
    text: str = ""
    steps: tuple[int, ...] = field(default=())  # resolved 0-based step indexes

    @property
    def needs_trace(self) -> bool:
        return self.kind in ("count", "first", "last")


_NAMED = {
    "retransmissions": ("count", ("tcp_retransmit", "*")),
    "urcs": ("count", ("urc|urc_queued", "*")),  # written at once, or held and written later
    "bytes_up": ("link", ("up", "bytes")),
    "bytes_down": ("link", ("down", "bytes")),
    "airtime": ("link", ("both", "airtime")),
    "charge": ("radio", ("charge_mah",)),
    "energy": ("radio", ("energy_j",)),
    "radio": ("radio", ()),
}
_ARITY = {
    "step_time": (1, 1),
    "step_start": (1, 1),
    "between": (2, 2),
    "check": (1, 2),
    "count": (1, 2),
    "first": (1, 2),
    "last": (1, 2),
}


def parse_metric(name: str, spec: Any) -> Metric:
    """A metric from an expression string or a callable."""
    if (
        not isinstance(name, str)
        or not name.isidentifier()
        and not name.replace(".", "_").isidentifier()
    ):
        raise ConfigError(
            "metrics", f"metric name {name!r} should be an identifier such as connect_time"
        )
    if callable(spec):
        return Metric(name, "fn", fn=spec, text=getattr(spec, "__name__", "callable"))
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(f"metrics.{name}", f"expected an expression or a callable, got {spec!r}")
    text = spec.strip()
    if text in _NAMED:
        kind, args = _NAMED[text]
        return Metric(name, kind, args, text=text)
    if ":" in text and "(" not in text:
        mod, _, attr = text.partition(":")
        try:
            fn = getattr(importlib.import_module(mod), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"metrics.{name}", f"cannot import {text!r}: {exc}") from None
        return Metric(name, "fn", fn=fn, text=text)
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        node = None
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name) or node.keywords:
        raise ConfigError(
            f"metrics.{name}",
            f"{text!r} is not a metric (expected one of "
            f"{', '.join(sorted({*_ARITY, *_NAMED}))}, or pkg.module:function)",
        )
    func = node.func.id
    if func not in _ARITY:
        raise ConfigError(
            f"metrics.{name}",
            f"unknown metric function {func!r} (expected one of {', '.join(sorted(_ARITY))})",
        )
    call_args: list[Any] = []
    for a in node.args:
        if isinstance(a, ast.Constant) and isinstance(a.value, int | str):
            call_args.append(a.value)
        elif isinstance(a, ast.Name):  # count(tcp_retransmit): a bare word is text
            call_args.append(a.id)
        elif isinstance(a, ast.Attribute | ast.BinOp):  # count(urc, tcp.module), count(a|b)
            call_args.append(ast.unparse(a).replace(" ", ""))
        else:
            raise ConfigError(f"metrics.{name}", f"{text!r}: arguments are step numbers or text")
    lo, hi = _ARITY[func]
    if not lo <= len(call_args) <= hi:
        raise ConfigError(
            f"metrics.{name}",
            f"{func} takes {lo}{'' if lo == hi else f'-{hi}'} arguments, got {len(call_args)}",
        )
    if func in ("count", "first", "last") and len(call_args) == 1:
        call_args.append("*")
    return Metric(name, func, tuple(call_args), text=text)


def parse_metrics(metrics: Mapping[str, Any] | list[Any] | None) -> list[Metric]:
    if metrics is None:
        return []
    if isinstance(metrics, Mapping):
        items = list(metrics.items())
    else:
        items = []
        for m in metrics:  # a list of names of built-in metrics, or of callables
            items.append((m if isinstance(m, str) else getattr(m, "__name__", "metric"), m))
    out = [parse_metric(n, s) for n, s in items]
    names = [m.name for m in out]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ConfigError("metrics", f"metric names used twice: {', '.join(sorted(dup))}")
    return out


def resolve_steps(metrics: list[Metric], scenario: Any) -> None:
    """Turn step references into 0-based indexes against the scenario's steps (before running,
    so a typo fails the sweep at once, not every run)."""
    for m in metrics:
        if m.kind == "check":
            n = m.args[0]
            if not isinstance(n, int) or not 1 <= n <= len(scenario.checks):
                raise ConfigError(
                    f"metrics.{m.name}",
                    f"no check {n!r} (the scenario has "
                    f"{len(scenario.checks)} checks, numbered from 1)",
                )
        if m.kind not in ("step_time", "step_start", "between"):
            continue
        m.steps = tuple(_step_index(m, ref, scenario.steps) for ref in m.args)


def _step_index(m: Metric, ref: Any, steps: list[Any]) -> int:
    if isinstance(ref, int):
        if 1 <= ref <= len(steps):
            return ref - 1
        raise ConfigError(
            f"metrics.{m.name}",
            f"no step {ref} (the scenario has {len(steps)} "
            "steps, numbered from 1 as `simnet run` prints them)",
        )
    for exact in (True, False):
        for s in steps:
            if (s.text == ref) if exact else (ref in s.text):
                return s.index
    raise ConfigError(f"metrics.{m.name}", f"no step whose text contains {ref!r}")


class TraceCounter:
    """A trace sink counting the records that ``count``/``first``/``last`` metrics ask for, as
    they happen (so the counts do not depend on how much of the trace is kept in memory)."""

    def __init__(self, metrics: list[Metric]) -> None:
        self.wanted = [
            (m.name, frozenset(str(m.args[0]).split("|")), m.args[1])
            for m in metrics
            if m.needs_trace
        ]
        self.count = {name: 0 for name, _, _ in self.wanted}
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self._kinds = frozenset().union(*(kinds for _, kinds, _ in self.wanted))

    @property
    def kinds(self) -> frozenset[str]:
        """The record kinds this counter looks at (``Trace.add_sink(counter, counter.kinds)``)."""
        return self._kinds

    def __call__(self, rec: Any) -> None:
        if rec.kind not in self._kinds:
            return
        for name, kinds, source in self.wanted:
            if rec.kind in kinds and (source == "*" or fnmatch.fnmatchcase(rec.source, source)):
                self.count[name] += 1
                self.first.setdefault(name, rec.t)
                self.last[name] = rec.t


def evaluate(metrics: list[Metric], sim: Any, result: Any, counter: TraceCounter) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in metrics:
        try:
            value = _evaluate(m, sim, result, counter)
        except Exception as exc:  # a user callable's bug is that run's datum, not the sweep's end
            value = NAN
            out.setdefault("error", f"metric {m.name}: {type(exc).__name__}: {exc}")
        if isinstance(value, Mapping):
            for k, v in value.items():
                out[f"{m.name}.{k}"] = v
        else:
            out[m.name] = value
    return out


def _step_t(result: Any, index: int, attr: str) -> float:
    if result is None or index >= len(result.steps):
        return NAN
    step = result.steps[index]
    if step.passed is not True:
        return NAN
    value = getattr(step, attr)
    return NAN if value is None else float(value)


def _evaluate(m: Metric, sim: Any, result: Any, counter: TraceCounter) -> Any:
    kind = m.kind
    if kind == "fn":
        assert m.fn is not None
        return m.fn(sim, result)
    if kind == "step_time":
        return _step_t(result, m.steps[0], "t")
    if kind == "step_start":
        return _step_t(result, m.steps[0], "t_start")
    if kind == "between":
        return _step_t(result, m.steps[1], "t") - _step_t(result, m.steps[0], "t")
    if kind == "check":
        checks = result.checks if result is not None else []
        i = m.args[0] - 1
        if i >= len(checks):
            return NAN
        if len(m.args) == 1:
            return bool(checks[i].passed)
        actual = checks[i].actual or {}
        return actual.get(m.args[1], NAN)
    if kind == "count":
        return counter.count[m.name]
    if kind == "first":
        return counter.first.get(m.name, NAN)
    if kind == "last":
        return counter.last.get(m.name, NAN)
    if kind == "link":
        direction, what = m.args  # every device's radio link (a fleet has many)
        wanted = {"up": ("uplink",), "down": ("downlink",), "both": ("uplink", "downlink")}[
            direction
        ]
        links = [
            link
            for dev in sim.world.devices.values()
            for d in wanted
            for link in dev.radio_links(sim.network, d)
        ]
        if what == "bytes":
            return sum(link.bytes_delivered for link in links)
        return sum(link.airtime for link in links)
    if kind == "radio":
        return _radio_metric(sim, m.args[0] if m.args else None)
    raise AssertionError(kind)  # pragma: no cover - parse_metric admits only the kinds above


def _radio_metric(sim: Any, key: str | None) -> Any:
    """A radio figure of the module, summed over a fleet's devices (all figures when ``key``
    is None)."""
    from simnet.scenario.runner import radio_summary

    totals: dict[str, float] = {}
    for dev in getattr(sim.world, "devices", {}).values() or [sim.world]:
        for k, v in (radio_summary(getattr(dev, "bearer", None)) or {}).items():
            if k != "profile":
                totals[k] = totals.get(k, 0.0) + v
    if key is None:
        return totals
    return totals.get(key, NAN)
