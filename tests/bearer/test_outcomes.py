"""The outcome vocabulary: values, normalisation, and its documentation."""

from __future__ import annotations

from pathlib import Path

from simnet.bearer import SM_CAUSES, Outcome, OutcomeKind

DOC = Path(__file__).resolve().parents[2] / "docs" / "outcomes.md"


def test_every_kind_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [k.value for k in OutcomeKind if f"`{k.value}`" not in text]
    assert missing == []


def test_outcome_normalises_kind_and_dns() -> None:
    o = Outcome("pdp_reject", cause=27, dns=["1.1.1.1"])
    assert o.kind is OutcomeKind.PDP_REJECT and o.kind == "pdp_reject" and not o.ok
    assert o.dns == ("1.1.1.1",)
    assert Outcome("ok").ok
    assert o.stamped(3.5).at == 3.5 and o.at is None
    assert o.to_fields() == {"outcome": "pdp_reject", "cause": 27, "dns": ["1.1.1.1"]}


def test_sm_cause_table_has_the_issue_examples() -> None:
    # TS 24.008 §10.5.6.6 values named in the issue
    for cause in (26, 27, 29, 31, 33):
        assert cause in SM_CAUSES
    assert 12 not in SM_CAUSES and 0 not in SM_CAUSES
