"""Durations and distributions parsed once per process: a cached value must answer exactly as
a fresh parse would, errors included."""

from __future__ import annotations

import pytest

from simnet.errors import ConfigError
from simnet.kernel.dist import Constant, Uniform, make_distribution
from simnet.kernel.units import parse_duration


def test_a_cached_duration_still_refuses_zero_where_zero_is_not_allowed():
    assert parse_duration("0s") == 0.0  # cached now
    with pytest.raises(ConfigError) as err:
        parse_duration("0s", "link.delay", allow_zero=False)
    # the same words as the first (uncached) refusal
    assert err.value.message == "'0s' is zero (expected a positive duration such as 250ms)"
    assert parse_duration("250ms") == parse_duration("250ms") == 0.25


def test_equal_but_differently_typed_values_are_not_confused():
    assert make_distribution({"min": 1, "max": 2}, "d") == Uniform(1.0, 2.0)
    with pytest.raises(ConfigError):  # True == 1, but a boolean is no duration
        make_distribution({"min": True, "max": 2}, "d")
    assert make_distribution(3, "d") == Constant(3.0)
    with pytest.raises(ConfigError):
        make_distribution(True, "d")


def test_errors_name_the_field_of_each_call_and_are_not_cached():
    for field in ("a.delay", "b.delay"):
        with pytest.raises(ConfigError, match=field):
            make_distribution({"min": 2, "max": 1}, field)
    # an unhashable mapping (empirical values) is built each time
    spec = {"dist": "empirical", "values": [0.1, 0.2]}
    assert make_distribution(spec, "d").sample(__import__("random").Random(1)) in (0.1, 0.2)
