"""The dialect base's clock services: a bug in a background procedure (``spawn``) or in a
callback (``guarded``) is traced as ``internal_error`` with its traceback and never reaches the
kernel; a procedure's waits land at the instants it asked for."""

from __future__ import annotations

from typing import Any

from tests.modem.helpers import make


def internal_errors(sim: Any) -> list[Any]:
    return [r for r in sim.trace.records if r.kind == "internal_error"]


def test_a_spawned_procedure_waits_and_its_bug_is_traced_and_done_fires_false() -> None:
    sim, module, _dte = make()
    dialect = module.dialect
    done = sim.event()
    seen: list[Any] = []

    def job() -> Any:
        seen.append(("start", sim.now))
        yield 0.25  # seconds: a plain delay
        seen.append(("waited", sim.now))
        yield sim.timeout(0.5)
        seen.append(("timeout", sim.now))
        raise KeyError("procedure bug")

    t0 = sim.now
    dialect.spawn(job(), done)
    sim.advance(2)
    assert seen == [("start", t0), ("waited", t0 + 0.25), ("timeout", t0 + 0.25 + 0.5)]
    assert done.processed and done.value is False
    [err] = internal_errors(sim)
    assert "procedure bug" in err.fields["error"] and "in job" in err.fields["traceback"]
    assert err.t == t0 + 0.75


def test_a_guarded_callback_returns_its_value_or_none_after_tracing_its_bug() -> None:
    sim, module, _dte = make()
    dialect = module.dialect

    def callback(a: int, b: int) -> int:
        if b == 0:
            raise ZeroDivisionError("callback bug")
        return a // b

    safe = dialect.guarded(callback)
    assert safe(7, 2) == 3 and not internal_errors(sim)
    assert safe(7, 0) is None
    [err] = internal_errors(sim)
    assert "callback bug" in err.fields["error"] and "in callback" in err.fields["traceback"]
