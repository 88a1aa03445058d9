"""Writing a shrunk failure as a plain scenario: the original scenario, its faults plus the
shrunk schedule's, the failing run's seed, and a ``chaos:`` block judging it by the invariant it
broke - so ``simnet run FILE`` fails the same way (exit 1), and passes once the bug is fixed."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import yaml

from simnet.chaos.schedule import describe_fault
from simnet.chaos.shrink import Shrunk
from simnet.experiments.design import set_path
from simnet.scenario.chaos_schema import INVARIANTS


def shrunk_data(data: dict[str, Any], shrunk: Shrunk, *, source: str, chaos_seed: int,
                program: str | None = None) -> dict[str, Any]:
    out = copy.deepcopy(dict(data))
    name = str(out.get("name", "scenario"))
    out["name"] = f"{name} - chaos: {shrunk.invariant} broken ({len(shrunk.schedule)} faults)"
    out["description"] = (
        f"Shrunk by simnet chaos from {source} (chaos seed {chaos_seed}, run {shrunk.run_index}, "
        f"{len(shrunk.original)} faults shrunk to {len(shrunk.schedule)} in {shrunk.runs} runs). "
        f"Invariant {shrunk.invariant}: {shrunk.detail}")
    out["seed"] = shrunk.seed
    faults = list(out.get("faults") or []) + [dict(f) for f in shrunk.schedule.faults]
    if faults:
        out["faults"] = faults
    for key, value in shrunk.schedule.knobs:
        set_path(out, key, value)
    chaos = dict(out.get("chaos") or {})
    if shrunk.invariant in INVARIANTS:
        chaos["invariants"] = [shrunk.invariant]
    out["chaos"] = chaos
    if program is not None:
        out.pop("steps", None)
        out["program"] = program
    return _ordered(out)


def _ordered(data: dict[str, Any]) -> dict[str, Any]:
    first = ("name", "description", "seed", "module", "program", "chaos", "faults")
    out = {k: data[k] for k in first if k in data}
    out.update({k: v for k, v in data.items() if k not in out})
    return out


def write_shrunk(path: str | os.PathLike[str], data: dict[str, Any], shrunk: Shrunk) -> Path:
    from simnet.library import scenarios_dir
    from simnet.scenario.json_schema import LIBRARY_SCHEMA_FILE, modeline

    path = Path(path)
    header = [
        modeline(str(path), str(scenarios_dir() / LIBRARY_SCHEMA_FILE)),
        f"# simnet chaos: invariant {shrunk.invariant} broken - reproduce with: simnet run "
        f"{path.name}",
        "# the shrunk schedule (the faults listed last below):",
    ]
    header += [f"#   {describe_fault(f)}" for f in shrunk.schedule.faults]
    if shrunk.schedule.knobs:
        header += [f"#   with {k} = {v}" for k, v in shrunk.schedule.knobs]
    if shrunk.steps:
        header.append(
            f"# shrinking: {'; '.join(shrunk.steps[:12])}"
            + (" ..." if len(shrunk.steps) > 12 else "")
        )
    text = (
        "\n".join(header)
        + "\n"
        + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    )
    path.write_text(text, encoding="utf-8")
    return path


def file_stem(scenario_name: str, invariant: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", f"{scenario_name}-{invariant}").strip("-").lower()
    return stem[:80] or "chaos"
