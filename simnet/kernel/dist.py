"""Random distributions for delays and durations, each drawing from a named stream.

A distribution is built once from configuration (validated, raising ``ConfigError``) and then
sampled with ``dist.sample(rng)``; sampling never raises and never returns a negative value.
"""

from __future__ import annotations

import bisect
import math
import random
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simnet.errors import ConfigError
from simnet.kernel.units import MAX_SECONDS, parse_duration


class Distribution(ABC):
    """A non-negative random quantity (seconds, usually)."""

    mean: float

    @abstractmethod
    def sample(self, rng: random.Random) -> float:
        """One draw from ``rng``; never negative, never raises."""


@dataclass(frozen=True)
class Constant(Distribution):
    value: float

    @property
    def mean(self) -> float:  # type: ignore[override]
        return self.value

    def sample(self, rng: random.Random) -> float:
        return self.value


@dataclass(frozen=True)
class Uniform(Distribution):
    low: float
    high: float

    @property
    def mean(self) -> float:  # type: ignore[override]
        return (self.low + self.high) / 2

    def sample(self, rng: random.Random) -> float:
        return rng.uniform(self.low, self.high)


@dataclass(frozen=True)
class Normal(Distribution):
    mu: float
    sd: float

    @property
    def mean(self) -> float:  # type: ignore[override]
        return self.mu

    def sample(self, rng: random.Random) -> float:
        return max(0.0, rng.gauss(self.mu, self.sd))


@dataclass(frozen=True)
class Exponential(Distribution):
    mu: float

    @property
    def mean(self) -> float:  # type: ignore[override]
        return self.mu

    def sample(self, rng: random.Random) -> float:
        return rng.expovariate(1.0 / self.mu) if self.mu > 0 else 0.0


@dataclass(frozen=True)
class Pareto(Distribution):
    """Pareto with scale ``xm`` (the minimum) and shape ``alpha``."""

    xm: float
    alpha: float

    @property
    def mean(self) -> float:  # type: ignore[override]
        return self.alpha * self.xm / (self.alpha - 1) if self.alpha > 1 else float("inf")

    def sample(self, rng: random.Random) -> float:
        try:
            value = self.xm * rng.paretovariate(self.alpha)
        except (OverflowError, ZeroDivisionError):  # a draw far out in a heavy tail
            return MAX_SECONDS
        return min(value, MAX_SECONDS)


@dataclass(frozen=True)
class Empirical(Distribution):
    """Samples from a table of values, optionally weighted (inverse-CDF on cumulative weights)."""

    values: tuple[float, ...]
    cumulative: tuple[float, ...]

    @property
    def mean(self) -> float:  # type: ignore[override]
        total = self.cumulative[-1]
        prev = 0.0
        acc = 0.0
        for v, c in zip(self.values, self.cumulative, strict=True):
            acc += v * (c - prev)
            prev = c
        return acc / total

    def sample(self, rng: random.Random) -> float:
        x = rng.random() * self.cumulative[-1]
        return self.values[bisect.bisect_right(self.cumulative, x)]


_PARETO_MAX_EXPONENT = 1000.0  # 1/shape beyond this overflows 2**(1/shape)
_MAX_WEIGHT = 1e100  # finite, and a sum of many stays finite


def _bounded(value: object, field: str) -> float:
    """A duration parameter: finite, non-negative, at most ``MAX_SECONDS``."""
    seconds = parse_duration(value, field)
    if seconds > MAX_SECONDS:
        raise ConfigError(
            field, f"{value!r} is too long (expected at most {MAX_SECONDS:g} s, about 3 years)"
        )
    return seconds


# (type, value) -> its Constant: a world builds the same few constants for every run.
_CONSTANTS: dict[tuple[Any, ...], Distribution] = {}


def make_distribution(spec: object, field: str) -> Distribution:
    """Build a distribution from a scenario value.

    Accepted: a duration (constant); ``{min, max}`` (uniform); ``{dist: constant|uniform|normal|
    exponential|pareto|empirical, ...}`` with keys value / min,max / mean,sd / mean / scale,shape /
    values[,weights].
    """
    cls = type(spec)
    if cls is str or cls is int or cls is float:  # frozen: one object per value will do
        key = (cls, spec)
        dist = _CONSTANTS.get(key)
        if dist is None:
            dist = Constant(parse_duration(spec, field))
            if len(_CONSTANTS) >= 4096:
                _CONSTANTS.clear()
            _CONSTANTS[key] = dist
        return dist
    if isinstance(spec, int | float | str) and not isinstance(spec, bool):
        return Constant(parse_duration(spec, field))
    if type(spec) is dict:  # a mapping of plain values: built once, as for constants
        # the value's type is part of the key: 1, 1.0 and True are equal keys but not equal
        # durations (True is refused)
        dkey: tuple[Any, ...] = (dict, *[(k, type(v), v) for k, v in spec.items()])
        try:
            dist = _CONSTANTS.get(dkey)
        except TypeError:  # a list of values (empirical): not hashable, built each time
            return _make_distribution(spec, field)
        if dist is None:
            dist = _make_distribution(spec, field)
            if len(_CONSTANTS) >= 4096:
                _CONSTANTS.clear()
            _CONSTANTS[dkey] = dist
        return dist
    return _make_distribution(spec, field)


def _make_distribution(spec: object, field: str) -> Distribution:
    if not isinstance(spec, Mapping):
        raise ConfigError(field, f"expected a duration or a distribution mapping, got {spec!r}")
    kind = spec.get("dist")
    if kind is None and "min" in spec and "max" in spec:
        kind = "uniform"
    known = {"constant", "uniform", "normal", "exponential", "pareto", "empirical"}
    if not isinstance(kind, str) or kind not in known:
        raise ConfigError(
            f"{field}.dist",
            f"unknown distribution {kind!r} (expected one of {', '.join(sorted(known))})",
        )

    def need(key: str) -> object:
        if key not in spec:
            raise ConfigError(f"{field}.{key}", f"required for dist: {kind}")
        return spec[key]

    def seconds(key: str) -> float:
        return _bounded(need(key), f"{field}.{key}")

    if kind == "constant":
        return Constant(seconds("value"))
    if kind == "uniform":
        low = seconds("min")
        high = seconds("max")
        if high < low:
            raise ConfigError(f"{field}.max", f"must be >= min ({low:g} s)")
        return Uniform(low, high)
    if kind == "normal":
        return Normal(seconds("mean"), seconds("sd"))
    if kind == "exponential":
        return Exponential(seconds("mean"))
    if kind == "pareto":
        shape = need("shape")
        if (
            isinstance(shape, bool)
            or not isinstance(shape, int | float)
            or not 0 < shape < math.inf
        ):
            raise ConfigError(f"{field}.shape", f"expected a positive number, got {shape!r}")
        scale = seconds("scale")
        # The median of a Pareto is scale * 2**(1/shape): a tiny shape puts even the typical
        # draw beyond any simulated time (and overflows a float), so it cannot be sampled.
        if 1.0 / shape > _PARETO_MAX_EXPONENT or scale * 2.0 ** (1.0 / shape) > MAX_SECONDS:
            raise ConfigError(
                f"{field}.shape",
                f"shape {shape!r} with scale {scale:g} s puts the median "
                f"delay beyond {MAX_SECONDS:g} s (expected a larger shape, such as 1.5)",
            )
        return Pareto(scale, float(shape))
    # empirical
    raw_values = need("values")
    if not isinstance(raw_values, Sequence) or isinstance(raw_values, str) or not raw_values:
        raise ConfigError(f"{field}.values", "expected a non-empty list of durations")
    values = [_bounded(v, f"{field}.values[{i}]") for i, v in enumerate(raw_values)]
    raw_weights = spec.get("weights", [1.0] * len(values))
    if not isinstance(raw_weights, Sequence) or len(raw_weights) != len(values):
        raise ConfigError(f"{field}.weights", f"expected {len(values)} non-negative numbers")
    cumulative: list[float] = []
    total = 0.0
    for i, w in enumerate(raw_weights):
        if isinstance(w, bool) or not isinstance(w, int | float) or not 0 <= w <= _MAX_WEIGHT:
            raise ConfigError(
                f"{field}.weights[{i}]",
                f"expected a non-negative number up to {_MAX_WEIGHT:g}, got {str(w)[:40]}",
            )
        total += float(w)
        cumulative.append(total)
    if total <= 0:
        raise ConfigError(f"{field}.weights", "at least one weight must be positive")
    return Empirical(tuple(values), tuple(cumulative))
