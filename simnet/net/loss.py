"""Packet loss models, one instance per link direction, each drawing from its own rng stream.

The models follow Linux netem (net/sched/sch_netem.c) so scenario values carry over from
``tc qdisc ... netem loss ...`` command lines:

- ``bernoulli``: each packet is lost independently with probability ``p``.
- ``gilbert_elliott`` (netem ``loss gemodel p [r [1-h [1-k]]]``): a good and a bad state;
  ``p`` = P(good -> bad), ``r`` = P(bad -> good), ``one_minus_h`` = loss probability in the
  bad state, ``one_minus_k`` = loss probability in the good state. As in netem, the loss draw
  of a packet uses the state the chain was in *before* that packet's transition draw.
- ``four_state`` (netem ``loss state p13 [p31 [p32 [p23 [p14]]]]``): 1 = transmitted in a gap,
  2 = transmitted in a burst, 3 = lost in a burst, 4 = isolated loss in a gap. Each packet moves
  the chain one step; the packet is lost when the chain lands in state 3 or 4.

Stationary loss rates (used by the tests, computed there independently): Bernoulli ``p``;
Gilbert–Elliott ``pi_B*(1-h) + pi_G*(1-k)`` with ``pi_B = p/(p+r)``; four-state = stationary
mass of states 3 and 4.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from simnet.errors import ConfigError
from simnet.kernel.units import Real, parse_probability


class LossModel(ABC):
    """Decides, packet by packet, whether the packet is lost. Never raises."""

    kind = "none"

    @abstractmethod
    def lost(self) -> bool:
        """Draw for one packet: True when it is lost."""

    def params(self) -> dict[str, Any]:
        return {"model": self.kind}


class NoLoss(LossModel):
    kind = "none"

    def lost(self) -> bool:
        return False


class BernoulliLoss(LossModel):
    kind = "bernoulli"

    def __init__(self, rng: random.Random, p: Real) -> None:
        self._rng = rng  # looked up per draw: a lazy stream binds its C method on first use
        self.p = p

    def lost(self) -> bool:
        return self.p > 0.0 and self._rng.random() < self.p

    def params(self) -> dict[str, Any]:
        return {"model": self.kind, "p": self.p}


class GilbertElliottLoss(LossModel):
    kind = "gilbert_elliott"

    def __init__(
        self, rng: random.Random, p: Real, r: Real, one_minus_h: Real, one_minus_k: Real
    ) -> None:
        self._rng = rng  # looked up per draw: a lazy stream binds its C method on first use
        self.p = p
        self.r = r
        self.one_minus_h = one_minus_h
        self.one_minus_k = one_minus_k
        self.bad = False  # netem starts in the good state

    def lost(self) -> bool:
        rnd = self._rng.random
        if not self.bad:
            if rnd() < self.p:
                self.bad = True
            return rnd() < self.one_minus_k
        if rnd() < self.r:
            self.bad = False
        return rnd() < self.one_minus_h

    def params(self) -> dict[str, Any]:
        return {
            "model": self.kind,
            "p": self.p,
            "r": self.r,
            "one_minus_h": self.one_minus_h,
            "one_minus_k": self.one_minus_k,
        }


class FourStateLoss(LossModel):
    kind = "four_state"

    def __init__(
        self, rng: random.Random, p13: Real, p31: Real, p32: Real, p23: Real, p14: Real
    ) -> None:
        self._rng = rng  # looked up per draw: a lazy stream binds its C method on first use
        self.p13, self.p31, self.p32, self.p23, self.p14 = p13, p31, p32, p23, p14
        self.state = 1

    def lost(self) -> bool:
        rnd = self._rng.random()
        state = self.state
        if state == 1:
            if rnd < self.p14:
                self.state = 4
                return True
            if rnd < self.p14 + self.p13:
                self.state = 3
                return True
            return False
        if state == 2:
            if rnd < self.p23:
                self.state = 3
                return True
            return False
        if state == 3:
            if rnd < self.p32:
                self.state = 2
                return False
            if rnd < self.p32 + self.p31:
                self.state = 1
                return False
            return True
        # state 4: an isolated loss is always followed by a transmitted packet in the gap
        self.state = 1
        return False

    def params(self) -> dict[str, Any]:
        return {
            "model": self.kind,
            "p13": self.p13,
            "p31": self.p31,
            "p32": self.p32,
            "p23": self.p23,
            "p14": self.p14,
        }


_MODEL_NAMES = ("none", "bernoulli", "gilbert_elliott", "four_state")
_ALIASES = {"random": "bernoulli", "gemodel": "gilbert_elliott", "ge": "gilbert_elliott",
            "state": "four_state", "4state": "four_state"}


def validate_loss_spec(spec: object, field: str) -> dict[str, Any]:
    """Normalise a loss specification to a dict with ``model`` and all parameters filled in.

    Accepted: ``None`` / ``0`` (no loss), a probability (Bernoulli), or a mapping with ``model``
    (one of none, bernoulli, gilbert_elliott, four_state) and that model's parameters.
    """
    if spec is None:
        return {"model": "none"}
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        p = parse_probability(spec, field)
        return {"model": "bernoulli", "p": p} if p > 0 else {"model": "none"}
    if isinstance(spec, LossSpec):
        return dict(spec.normalised)
    if not isinstance(spec, Mapping):
        raise ConfigError(field, f"expected a probability or a loss-model mapping, got {spec!r}")
    model = spec.get("model", "bernoulli")
    model = _ALIASES.get(model, model) if isinstance(model, str) else model
    if model not in _MODEL_NAMES:
        raise ConfigError(
            f"{field}.model",
            f"unknown loss model {model!r} (expected one of {', '.join(_MODEL_NAMES)})",
        )

    def prob(key: str, default: Real | None) -> Real:
        if key not in spec:
            if default is None:
                raise ConfigError(
                    f"{field}.{key}", f"required for model {model}: a probability between 0 and 1"
                )
            return default
        return parse_probability(spec[key], f"{field}.{key}")

    def check_keys(allowed: tuple[str, ...]) -> None:
        for key in spec:
            if key != "model" and key not in allowed:
                raise ConfigError(
                    f"{field}.{key}",
                    f"unknown parameter for model {model} (expected {', '.join(allowed)})",
                )

    if model == "none":
        check_keys(())
        return {"model": "none"}
    if model == "bernoulli":
        check_keys(("p",))
        return {"model": "bernoulli", "p": prob("p", None)}
    if model == "gilbert_elliott":
        check_keys(("p", "r", "one_minus_h", "one_minus_k"))
        p = prob("p", None)
        # netem defaults: r = 1 - p, 1-h = 1 (every packet lost in the bad state), 1-k = 0
        return {
            "model": model,
            "p": p,
            "r": prob("r", 1.0 - p),
            "one_minus_h": prob("one_minus_h", 1.0),
            "one_minus_k": prob("one_minus_k", 0.0),
        }
    check_keys(("p13", "p31", "p32", "p23", "p14"))
    p13 = prob("p13", None)
    out: dict[str, Any] = {
        "model": model,
        "p13": p13,
        # netem defaults: p31 = 1 - p13, p32 = 0, p23 = 1, p14 = 0
        "p31": prob("p31", 1.0 - p13),
        "p32": prob("p32", 0.0),
        "p23": prob("p23", 1.0),
        "p14": prob("p14", 0.0),
    }
    if out["p13"] + out["p14"] > 1.0:
        raise ConfigError(
            f"{field}.p14", "p13 + p14 must not exceed 1 (outgoing probabilities of state 1)"
        )
    if out["p31"] + out["p32"] > 1.0:
        raise ConfigError(
            f"{field}.p32", "p31 + p32 must not exceed 1 (outgoing probabilities of state 3)"
        )
    return out


class LossSpec:
    """A validated loss specification (hashable config value); ``build(rng)`` makes the model."""

    __slots__ = ("normalised",)

    def __init__(self, spec: object, field: str = "loss") -> None:
        self.normalised = validate_loss_spec(spec, field)

    def __repr__(self) -> str:
        return f"LossSpec({self.normalised!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LossSpec) and other.normalised == self.normalised

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.normalised.items())))

    def build(self, rng: random.Random) -> LossModel:
        return make_loss_model(self.normalised, rng)


def make_loss_model(spec: object, rng: random.Random, field: str = "loss") -> LossModel:
    """Build a loss model from a (possibly unvalidated) specification."""
    n = validate_loss_spec(spec, field)
    model = n["model"]
    if model == "none":
        return NoLoss()
    if model == "bernoulli":
        return BernoulliLoss(rng, n["p"])
    if model == "gilbert_elliott":
        return GilbertElliottLoss(rng, n["p"], n["r"], n["one_minus_h"], n["one_minus_k"])
    return FourStateLoss(rng, n["p13"], n["p31"], n["p32"], n["p23"], n["p14"])
