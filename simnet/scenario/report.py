"""The run report: JSON for machines, a step-by-step summary for people.

Report fields (contract, issue 6): ``scenario``, ``seed``, ``passed``, ``virtual_time``,
``wall_time``, ``steps`` (index, kind, passed, t, …), ``checks``, ``digest``. Added here:
``file``, ``ratio`` (virtual/wall), ``records``, ``trace`` (what the trace kept in memory and
where it was streamed: every record is in the digest either way), ``failure`` (the first failing
step or check, in words), and — when the scenario was run more than once (``simnet run --repeat
N``) — ``repeat`` (the digests of every run) and ``digest_repeat_ok`` (true when all are equal;
null when the scenario ran once, so no claim is made).
"""

from __future__ import annotations

import json
from typing import IO, Any

from simnet.scenario.runner import CheckResult, RunResult, StepResult
from simnet.scenario.text import printable

REPORT_VERSION = 1


def describe_failure(result: RunResult) -> str | None:
    """One paragraph: which step or check failed, what was expected, what arrived, when."""
    f = result.failure
    if result.judged_by_invariants:
        if f is None:
            return None
        return f"invariant {f.name} broken: {f.detail}"
    if f is None:
        if result.fault_errors:
            return "a fault could not be applied: " + "; ".join(result.fault_errors)
        return None
    if isinstance(f, StepResult):
        device = next((d.name for d in result.devices if d.failure is f), None)
        where = f"step {f.index + 1} ({f.kind}: '{_escape(f.text)}', line {f.line})"
        if device is not None:
            where = f"device {device}: {where}"
        parts = [f"{where} failed at t={f.t:.3f} s: {f.detail}"]
        if f.expected is not None:
            parts.append(f"expected '{_escape(f.expected)}'")
        if f.received is not None:
            parts.append(f"received '{f.received}'" if f.received else "received nothing")
        return "; ".join(parts)
    assert isinstance(f, CheckResult)
    return f"check {f.index + 1} ({f.kind} on {f.host}, line {f.line}) failed: {f.detail}"


def build_report(results: list[RunResult]) -> dict[str, Any]:
    """The report of the first run, plus a determinism statement when there were repeats."""
    first = results[0]
    report: dict[str, Any] = {
        "version": REPORT_VERSION,
        "scenario": first.scenario,
        "file": first.file,
        "seed": first.seed,
        "passed": first.passed,
        "virtual_time": round(float(first.virtual_time), 6),
        "wall_time": round(first.wall_time, 6),
        "ratio": round(first.virtual_time / first.wall_time, 1) if first.wall_time > 0 else None,
        "records": first.records,
        "trace": first.trace,
        "steps": [s.to_json() for s in first.steps],
        "checks": [c.to_json() for c in first.checks],
        "digest": first.digest,
        "failure": describe_failure(first),
        "fault_errors": list(first.fault_errors),
        "digest_repeat_ok": None,
    }
    if first.radio is not None:
        report["radio"] = first.radio
    if first.judged_by_invariants:
        report["invariants"] = [invariant_json(i) for i in first.invariants]
    if first.devices:
        report["fleet"] = {
            "devices": len(first.devices),
            "passed": sum(1 for d in first.devices if d.passed),
            "failed": [d.name for d in first.devices if not d.passed],
        }
        report["devices"] = [d.to_json() for d in first.devices]
    if first.error:
        report["error"] = first.error
    if len(results) > 1:
        digests = [r.digest for r in results]
        report["repeat"] = {
            "runs": len(results),
            "digests": digests,
            "passed": [r.passed for r in results],
            "wall_times": [round(r.wall_time, 6) for r in results],
        }
        report["digest_repeat_ok"] = all(d == digests[0] for d in digests)
        report["passed"] = all(r.passed for r in results) and report["digest_repeat_ok"]
    return report


def write_report(report: dict[str, Any], path_or_fp: str | IO[str]) -> None:
    if isinstance(path_or_fp, str):
        with open(path_or_fp, "w", encoding="utf-8") as fp:
            write_report(report, fp)
        return
    json.dump(report, path_or_fp, indent=2, sort_keys=False)
    path_or_fp.write("\n")


def format_step(step: StepResult) -> str:
    """``[   12.345 s] PASS  3 expect '+NETOPEN: 0'  matched +NETOPEN: 0``."""
    mark = {True: "PASS", False: "FAIL", None: "----"}[step.passed]
    t = "       -   " if step.t is None else f"{step.t:10.3f} s"
    text = _escape(step.text)
    text = text if len(text) <= 48 else text[:45] + "..."
    line = f"[{t}] {mark} {step.index + 1:3d} {step.kind:<13} '{text}'"
    if step.detail:
        line += f"  {step.detail}"
    if step.passed is False:
        if step.expected is not None:
            line += f"\n{'':18}expected: '{_escape(step.expected)}'"
        if step.received is not None:
            line += (
                f"\n{'':18}received: '{step.received}'"
                if step.received
                else f"\n{'':18}received: nothing"
            )
    return line


def _escape(text: str) -> str:
    """Control characters and binary bytes as escapes (CR LF visible), the rest as written."""
    return printable(text)


def invariant_json(inv: Any) -> dict[str, Any]:
    return {
        "name": inv.name,
        "passed": inv.passed,
        "detail": inv.detail,
        "problems": list(inv.problems),
    }


def format_invariant(inv: Any) -> str:
    """``[ invariant  ] HOLD integrity  3 sessions, 0 claims``."""
    mark = "HOLD" if inv.passed else "BROKEN"
    return f"[ invariant  ] {mark:<6} {inv.name:<13} {inv.detail}"


def format_check(check: CheckResult) -> str:
    mark = "PASS" if check.passed else "FAIL"
    return (
        f"[   check    ] {mark} {check.index + 1:3d} {check.kind:<13} {check.host}  {check.detail}"
    )
