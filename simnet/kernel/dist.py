"""Random distributions for delays and durations, each drawing from a named stream.

A distribution is built once from configuration (validated, raising ``ConfigError``) and then
sampled with ``dist.sample(rng)``; sampling never raises and never returns a negative value.
"""

from __future__ import annotations

import bisect
import random
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from simnet.errors import ConfigError
from simnet.kernel.units import parse_duration


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
        return self.xm * rng.paretovariate(self.alpha)


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


def make_distribution(spec: object, field: str) -> Distribution:
    """Build a distribution from a scenario value.

    Accepted: a duration (constant); ``{min, max}`` (uniform); ``{dist: constant|uniform|normal|
    exponential|pareto|empirical, ...}`` with keys value / min,max / mean,sd / mean / scale,shape /
    values[,weights].
    """
    if isinstance(spec, int | float | str) and not isinstance(spec, bool):
        return Constant(parse_duration(spec, field))
    if not isinstance(spec, Mapping):
        raise ConfigError(field, f"expected a duration or a distribution mapping, got {spec!r}")
    kind = spec.get("dist")
    if kind is None and "min" in spec and "max" in spec:
        kind = "uniform"
    known = {"constant", "uniform", "normal", "exponential", "pareto", "empirical"}
    if kind not in known:
        raise ConfigError(f"{field}.dist", f"unknown distribution {kind!r} (expected one of {', '.join(sorted(known))})")

    def need(key: str) -> object:
        if key not in spec:
            raise ConfigError(f"{field}.{key}", f"required for dist: {kind}")
        return spec[key]

    if kind == "constant":
        return Constant(parse_duration(need("value"), f"{field}.value"))
    if kind == "uniform":
        low = parse_duration(need("min"), f"{field}.min")
        high = parse_duration(need("max"), f"{field}.max")
        if high < low:
            raise ConfigError(f"{field}.max", f"must be >= min ({low:g} s)")
        return Uniform(low, high)
    if kind == "normal":
        return Normal(parse_duration(need("mean"), f"{field}.mean"), parse_duration(need("sd"), f"{field}.sd"))
    if kind == "exponential":
        return Exponential(parse_duration(need("mean"), f"{field}.mean"))
    if kind == "pareto":
        shape = need("shape")
        if isinstance(shape, bool) or not isinstance(shape, int | float) or shape <= 0:
            raise ConfigError(f"{field}.shape", f"expected a positive number, got {shape!r}")
        return Pareto(parse_duration(need("scale"), f"{field}.scale"), float(shape))
    # empirical
    raw_values = need("values")
    if not isinstance(raw_values, Sequence) or isinstance(raw_values, str) or not raw_values:
        raise ConfigError(f"{field}.values", "expected a non-empty list of durations")
    values = [parse_duration(v, f"{field}.values[{i}]") for i, v in enumerate(raw_values)]
    raw_weights = spec.get("weights", [1.0] * len(values))
    if not isinstance(raw_weights, Sequence) or len(raw_weights) != len(values):
        raise ConfigError(f"{field}.weights", f"expected {len(values)} non-negative numbers")
    cumulative: list[float] = []
    total = 0.0
    for i, w in enumerate(raw_weights):
        if isinstance(w, bool) or not isinstance(w, int | float) or w < 0:
            raise ConfigError(f"{field}.weights[{i}]", f"expected a non-negative number, got {w!r}")
        total += float(w)
        cumulative.append(total)
    if total <= 0:
        raise ConfigError(f"{field}.weights", "at least one weight must be positive")
    return Empirical(tuple(values), tuple(cumulative))
