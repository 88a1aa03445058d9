"""Designs: values from the command line, seeds, grid/zip/random expansion, dotted keys."""

from __future__ import annotations

import pytest

from simnet.errors import ConfigError
from simnet.experiments.design import (
    expand,
    parse_seeds,
    points,
    sample_random,
    set_path,
    si_number,
    split_values,
)


def test_split_values_are_yaml_scalars():
    assert split_values("0,1%,5%") == [0, "1%", "5%"]
    assert split_values("100ms, 600ms") == ["100ms", "600ms"]
    assert split_values("[1, 2],'a,b',true") == [[1, 2], "a,b", True]
    with pytest.raises(ConfigError):
        split_values("1,,2")


def test_seeds():
    assert parse_seeds("1-5") == [1, 2, 3, 4, 5]
    assert parse_seeds("1,5,9-10") == [1, 5, 9, 10]
    assert parse_seeds("7") == [7]
    assert parse_seeds(3) == [1, 2, 3]
    assert parse_seeds(range(10, 12)) == [10, 11]
    for bad in ("5-1", "x", "1,1", 0, [True]):
        with pytest.raises(ConfigError):
            parse_seeds(bad)


def test_grid_is_a_product_in_key_order_then_zip_then_random():
    combos = expand(grid={"a": [1, 2], "b": ["x", "y"]}, zipped={"c": [10, 20], "d": [0.1, 0.2]})
    assert combos == [
        {"a": 1, "b": "x", "c": 10, "d": 0.1}, {"a": 1, "b": "x", "c": 20, "d": 0.2},
        {"a": 1, "b": "y", "c": 10, "d": 0.1}, {"a": 1, "b": "y", "c": 20, "d": 0.2},
        {"a": 2, "b": "x", "c": 10, "d": 0.1}, {"a": 2, "b": "x", "c": 20, "d": 0.2},
        {"a": 2, "b": "y", "c": 10, "d": 0.1}, {"a": 2, "b": "y", "c": 20, "d": 0.2},
    ]
    with pytest.raises(ConfigError, match="as many values"):
        expand(zipped={"c": [1, 2], "d": [1]})
    with pytest.raises(ConfigError, match="seeds="):
        expand(grid={"seed": [1, 2]})
    with pytest.raises(ConfigError, match="set twice"):
        expand(grid={"a": [1]}, zipped={"a": [2]})


def test_random_design_is_seeded_and_each_key_has_its_own_stream():
    one = sample_random({"x": "uniform(100ms, 600ms)"}, 5, design_seed=3)
    two = sample_random({"x": "uniform(100ms, 600ms)", "y": "randint(1, 8)"}, 5, design_seed=3)
    assert [r["x"] for r in one] == [r["x"] for r in two]  # adding y did not move x's draws
    assert all(0.1 <= r["x"] <= 0.6 for r in one)
    assert all(isinstance(r["y"], int) and 1 <= r["y"] <= 8 for r in two)
    assert sample_random({"x": "uniform(0, 1)"}, 5, 4) != sample_random(
        {"x": "uniform(0, 1)"}, 5, 3
    )
    logs = sample_random({"p": "loguniform(0.001, 0.1)"}, 50, 1)
    assert all(0.001 <= r["p"] <= 0.1 for r in logs)
    picks = sample_random({"m": "choice(a, b)"}, 20, 1)
    assert {r["m"] for r in picks} <= {"a", "b"}
    for bad in ("normal(0, 1)", "uniform(2, 1)", "loguniform(0, 1)", "randint(0.5, 2)"):
        with pytest.raises(ConfigError):
            sample_random({"x": bad}, 3, 0)


def test_run_ids_depend_on_scenario_params_and_seed_only():
    a = points([{"k": 1}, {"k": 2}], [1, 2], "fp")
    b = points([{"k": 2}], [2, 1], "fp")
    assert [p.index for p in a] == [0, 1, 2, 3]
    assert {p.run_id for p in a if dict(p.params)["k"] == 2} == {p.run_id for p in b}
    assert len({p.run_id for p in a}) == 4
    assert points([{"k": 1}], [1], "other")[0].run_id != a[0].run_id


def test_set_path_with_dotted_host_names_and_indexes():
    data = {
        "network": {"link": {"delay": "300ms"}},
        "hosts": {
            "echo.example.net": {
                "ip": "203.0.113.10",
                "services": [{"type": "tcp-echo", "port": 7}],
            }
        },
        "steps": [{"send": "AT"}, {"expect": "OK"}],
    }
    set_path(data, "network.link.loss", "1%")
    set_path(data, "hosts.echo.example.net.services[0].port", 2007)
    set_path(data, "steps[1].within", "5s")
    set_path(data, "network.nat.tcp_idle_timeout", "240s")
    assert data["network"]["link"] == {"delay": "300ms", "loss": "1%"}
    assert data["hosts"]["echo.example.net"]["services"][0]["port"] == 2007
    assert data["steps"][1] == {"expect": "OK", "within": "5s"}
    assert data["network"]["nat"] == {"tcp_idle_timeout": "240s"}
    with pytest.raises(ConfigError, match="no index 5"):
        set_path(data, "steps[5].within", "1s")


def test_si_numbers():
    assert si_number("300ms") == pytest.approx(0.3)
    assert si_number("1%") == pytest.approx(0.01)
    assert si_number("40kbps") == 40_000.0
    assert si_number(2) == 2.0
    assert si_number("bernoulli") is None
    assert si_number(True) is None
