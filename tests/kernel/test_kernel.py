import io
import json

import pytest

from simnet.errors import ConfigError
from simnet.kernel import (
    Simulation,
    make_distribution,
    parse_duration,
    parse_rate,
    read_jsonl,
    stream_seed,
)


def test_streams_independent_of_creation_order():
    a = Simulation(seed=3)
    a.rng("x").random()
    first = a.rng("link.uplink.loss").random()
    b = Simulation(seed=3)
    assert b.rng("link.uplink.loss").random() == first


def test_stream_seed_is_stable_value():
    # sha256("5\x00abc")[:8] — computed independently with hashlib in the test.
    import hashlib

    expected = int.from_bytes(hashlib.sha256(b"5\x00abc").digest()[:8], "big")
    assert stream_seed(5, "abc") == expected


def test_different_seeds_differ():
    assert Simulation(seed=1).rng("s").random() != Simulation(seed=2).rng("s").random()


def test_timer_fires_at_exact_time_and_cancel():
    sim = Simulation()
    fired = []
    sim.call_later(1.5, fired.append, "a")
    t = sim.call_later(2.0, fired.append, "b")
    sim.call_at(3.0, lambda: fired.append(sim.now))
    sim.advance(1.0)
    t.cancel()
    sim.advance(5.0)
    assert fired == ["a", 3.0]
    assert sim.now == 6.0


def test_run_until_stops_at_condition_instant():
    sim = Simulation()
    state = {"v": False}
    sim.call_later(2.25, state.__setitem__, "v", True)
    assert sim.run_until(lambda: state["v"], timeout=10)
    assert sim.now == 2.25
    assert not sim.run_until(lambda: False, timeout=1)
    assert sim.now == 3.25


def test_trace_digest_and_jsonl_roundtrip(tmp_path):
    def run(seed):
        sim = Simulation(seed=seed)
        for i in range(5):
            sim.call_later(
                i * 0.1,
                lambda i=i: sim.record("t", "tick", i=i, r=sim.rng("r").random(), b=b"\x01"),
            )
        sim.advance(1)
        return sim

    a, b, c = run(1), run(1), run(2)
    assert a.trace.digest() == b.trace.digest()
    assert a.trace.digest() != c.trace.digest()
    path = tmp_path / "t.jsonl"
    a.trace.to_jsonl(str(path))
    back = read_jsonl(str(path))
    assert [r.fields["i"] for r in back] == [0, 1, 2, 3, 4]
    assert back[0].fields["b"] == "01"
    buf = io.StringIO()
    sim = Simulation()
    sim.trace.stream_jsonl(buf)
    sim.record("uart", "rx", data=b"AT\r")
    assert json.loads(buf.getvalue()) == {"t": 0, "source": "uart", "kind": "rx", "data": "41540d"}


def test_trace_dataframe():
    pytest.importorskip("pandas")  # the data extra (make test has it; the compiled venv not)
    sim = Simulation()
    sim.record("a", "k", x=1)
    df = sim.trace.to_dataframe()
    assert list(df["kind"]) == ["k"] and list(df["x"]) == [1]


@pytest.mark.parametrize(
    "text,seconds",
    [
        ("250ms", 0.25),
        ("2s", 2.0),
        ("5min", 300.0),
        (3, 3.0),
        ("1.5", 1.5),
        ("100us", 1e-4),
        ("1h", 3600.0),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["5 parsecs", "-1s", "ms", None, True, [1]])
def test_parse_duration_rejects(bad):
    with pytest.raises(ConfigError) as exc:
        parse_duration(bad, "network.link.delay")
    assert "network.link.delay" in str(exc.value)


def test_parse_rate():
    assert parse_rate("40kbps") == 40_000
    assert parse_rate("1.2Mbps") == pytest.approx(1_200_000)
    with pytest.raises(ConfigError):
        parse_rate("0kbps")


def test_distributions_sample_and_validate():
    sim = Simulation(seed=1)
    rng = sim.rng("d")
    assert make_distribution("300ms", "d").sample(rng) == pytest.approx(0.3)
    u = make_distribution({"min": "1s", "max": "4s"}, "d")
    assert all(1 <= u.sample(rng) <= 4 for _ in range(100))
    n = make_distribution({"dist": "normal", "mean": "300ms", "sd": "50ms"}, "d")
    assert all(n.sample(rng) >= 0 for _ in range(100))
    e = make_distribution({"dist": "empirical", "values": [1, 2], "weights": [0, 1]}, "d")
    assert {e.sample(rng) for _ in range(20)} == {2.0}
    p = make_distribution({"dist": "pareto", "scale": "100ms", "shape": 2.5}, "d")
    assert min(p.sample(rng) for _ in range(100)) >= 0.1
    with pytest.raises(ConfigError, match="d.dist"):
        make_distribution({"dist": "weibull"}, "d")
    with pytest.raises(ConfigError, match="d.max"):
        make_distribution({"min": 3, "max": 1}, "d")


def test_advance_by_a_step_too_small_for_the_float_clock_is_a_no_op():
    sim = Simulation()
    sim.advance(1e6)
    assert sim.advance(1e-12) == 1e6  # 1e6 + 1e-12 == 1e6 in binary floating point


def test_public_module_registry():
    import simnet

    assert {
        "simcom-sim7600",
        "simcom-a7670",
        "fibocom-l610",
        "wavecom-wipsoft",
        "wavecom-edsoft",
    } <= set(simnet.modules)


def test_lazy_streams_draw_exactly_what_an_eagerly_seeded_random_draws():
    import random

    from simnet.kernel.rng import LazyRandom

    def draws(r: random.Random) -> list:
        out = [
            r.random(),
            r.uniform(1, 4),
            r.gauss(0, 1),
            r.expovariate(2.0),
            r.paretovariate(2.5),
            r.randrange(1000),
            r.choice("abcdef"),
            r.getrandbits(70),
            r.randbytes(5),
        ]
        items = list(range(10))
        r.shuffle(items)
        out.append(items)
        return out

    for first in ("random", "getrandbits", "randrange", "getstate", "randbytes", "gauss"):
        lazy = LazyRandom(9, "x")
        eager = random.Random(stream_seed(9, "x"))
        if first == "getstate":
            assert lazy.getstate() == eager.getstate()
        elif first == "gauss":
            assert lazy.gauss(0, 1) == eager.gauss(0, 1)
        else:
            assert getattr(lazy, first)(
                *((8,) if first in ("getrandbits", "randrange", "randbytes") else ())
            ) == getattr(eager, first)(
                *((8,) if first in ("getrandbits", "randrange", "randbytes") else ())
            )
        assert draws(lazy) == draws(eager)
    reseeded = LazyRandom(1, "y")
    reseeded.seed(42)
    assert reseeded.random() == random.Random(42).random()


@pytest.mark.parametrize("text,p", [("1%", 0.01), ("0.5 %", 0.005), ("100%", 1.0), (0.25, 0.25)])
def test_probability_accepts_percentages(text, p):
    from simnet.kernel import parse_probability

    assert parse_probability(text, "loss") == pytest.approx(p)


@pytest.mark.parametrize("bad", ["150%", "abc%", "1", -0.1, True])
def test_probability_rejects(bad):
    from simnet.kernel import parse_probability

    with pytest.raises(ConfigError, match="network.link.loss"):
        parse_probability(bad, "network.link.loss")
