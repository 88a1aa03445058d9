"""Bad input never crashes the loader or the validator: any text, any data shape gives either a
scenario or a list of located problems."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simnet.scenario.loader import load_text, locate_data
from simnet.scenario.schema import (
    FAULT_ACTIONS,
    LINK_KEYS,
    NETWORK_KEYS,
    STEP_KINDS,
    TOP_KEYS,
    validate,
)

WORDS = sorted(set(TOP_KEYS + NETWORK_KEYS + LINK_KEYS + STEP_KINDS + tuple(FAULT_ACTIONS) + (
    "at", "on", "action", "host", "port", "service", "type", "ip", "services", "within", "file",
    "mailbox", "sha256", "size", "text", "count", "subject", "bytes_received", "duration", "syn",
    "bytes", "sent", "received", "model", "p", "r", "h", "k", "state", "pin", "baud", "after",
    "min", "max", "dist", "mean", "sd", "echo.example.net", "tcp-echo", "udp-echo", "ftp",
)))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 70000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "2s",
            "250ms",
            "5min",
            "40kbps",
            "1.2Mbps",
            "-1s",
            "abc",
            "",
            "0",
            "nan",
            "simcom-sim7600",
            "203.0.113.10",
            "gprs",
            "home",
            "none",
        ]
    ),
    st.text(max_size=8),
)
keys = st.one_of(st.sampled_from(WORDS), st.text(max_size=6))
data = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=25,
)


@pytest.mark.slow
@given(st.dictionaries(st.sampled_from(WORDS), data, max_size=8))
def test_validator_never_raises_on_any_shape(doc):
    scenario, problems = validate(locate_data(doc))
    assert (scenario is None) == bool(problems)
    for p in problems:
        assert str(p).startswith("<dict>:0: ") and p.message


@pytest.mark.slow
@given(st.text(max_size=300))
def test_loader_never_raises_on_any_text(text):
    loaded = load_text(text, "x.yaml")
    scenario, problems = validate(loaded)
    assert (scenario is None) == bool(problems)
    assert all(str(p).startswith("x.yaml:") for p in problems)
