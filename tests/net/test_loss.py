"""Loss models: long-run loss rates against stationary values computed here from the chains."""

import random

import pytest

from simnet import ConfigError
from simnet.net.loss import make_loss_model

N = 200_000


def run(spec, n=N, seed=11):
    model = make_loss_model(spec, random.Random(seed))
    return [model.lost() for _ in range(n)]


def within(rate, expected, n=N, sigmas=5.0, burst_factor=1.0):
    # binomial std error, inflated for correlated (bursty) chains
    se = (expected * (1 - expected) / n) ** 0.5 * burst_factor
    return abs(rate - expected) <= sigmas * se + 1e-4


def stationary(matrix, iterations=5000):
    """Stationary distribution of a row-stochastic matrix by power iteration."""
    k = len(matrix)
    pi = [1.0 / k] * k
    for _ in range(iterations):
        pi = [sum(pi[i] * matrix[i][j] for i in range(k)) for j in range(k)]
    return pi


def test_bernoulli_rate():
    out = run(0.03)
    assert within(sum(out) / N, 0.03)


def test_gilbert_elliott_rate_and_bursts():
    p, r, one_minus_h, one_minus_k = 0.02, 0.25, 0.6, 0.01
    out = run(
        {
            "model": "gilbert_elliott",
            "p": p,
            "r": r,
            "one_minus_h": one_minus_h,
            "one_minus_k": one_minus_k,
        }
    )
    pi_good, pi_bad = stationary([[1 - p, p], [r, 1 - r]])
    expected = pi_good * one_minus_k + pi_bad * one_minus_h
    assert abs(pi_bad - p / (p + r)) < 1e-9  # closed form
    assert within(sum(out) / N, expected, burst_factor=4.0)


def test_simple_gilbert_mean_burst_length_is_one_over_r():
    # 1-h = 1 and 1-k = 0: every packet that starts in the bad state is lost, so loss bursts
    # are the bad-state sojourns, geometric with mean 1/r.
    p, r = 0.01, 0.2
    out = run({"model": "gemodel", "p": p, "r": r})
    bursts, cur = [], 0
    for lost in out:
        if lost:
            cur += 1
        elif cur:
            bursts.append(cur)
            cur = 0
    mean = sum(bursts) / len(bursts)
    assert mean == pytest.approx(1 / r, rel=0.08)
    assert within(sum(out) / N, p / (p + r), burst_factor=5.0)


@pytest.mark.parametrize(
    "params",
    [
        {"p13": 0.01, "p31": 0.3, "p32": 0.2, "p23": 0.1, "p14": 0.005},
        {"p13": 0.05},  # netem defaults for the rest: p31 = 1 - p13, p32 = 0, p23 = 1, p14 = 0
    ],
)
def test_four_state_rate(params):
    p13 = params["p13"]
    p31 = params.get("p31", 1 - p13)
    p32 = params.get("p32", 0.0)
    p23 = params.get("p23", 1.0)
    p14 = params.get("p14", 0.0)
    # states 1..4 -> indexes 0..3; a packet is lost when the chain lands in 3 or 4
    matrix = [
        [1 - p13 - p14, 0.0, p13, p14],
        [0.0, 1 - p23, p23, 0.0],
        [p31, p32, 1 - p31 - p32, 0.0],
        [1.0, 0.0, 0.0, 0.0],
    ]
    pi = stationary(matrix)
    expected = pi[2] + pi[3]
    out = run({"model": "four_state", **params})
    assert within(sum(out) / N, expected, burst_factor=5.0)


def test_same_stream_same_losses():
    spec = {"model": "gilbert_elliott", "p": 0.1, "r": 0.3, "one_minus_h": 0.8}
    assert run(spec, 1000, seed=5) == run(spec, 1000, seed=5)
    assert run(spec, 1000, seed=5) != run(spec, 1000, seed=6)


@pytest.mark.parametrize(
    "spec,field",
    [
        (1.5, "loss"),
        ({"model": "bogus"}, "loss.model"),
        ({"model": "bernoulli"}, "loss.p"),
        ({"model": "gilbert_elliott", "p": 0.1, "r": -0.1}, "loss.r"),
        ({"model": "four_state", "p13": 0.7, "p14": 0.5}, "loss.p14"),
        ({"model": "bernoulli", "p": 0.1, "q": 0.2}, "loss.q"),
    ],
)
def test_bad_specs_name_the_field(spec, field):
    with pytest.raises(ConfigError) as e:
        make_loss_model(spec, random.Random(1))
    assert e.value.field == field
