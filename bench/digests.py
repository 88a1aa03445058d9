"""Check (not a benchmark): the trace digest of every library scenario and of bench/tcp_bulk's
workload, so that two builds - the pure-Python package and the mypyc-compiled one
(``make compiled``) - can be shown to produce the same traces.

    .venv/bin/python bench/digests.py                   # this interpreter's simnet: JSON
    .venv/bin/python bench/digests.py --against .venv-compiled/bin/python

``--against PYTHON`` runs the same list with another interpreter (its own installed simnet,
the checkout's scenarios) and exits 1 naming every scenario whose digest differs. Each side
says which build it ran (``simnet.build_info()``), so a pass cannot come from comparing a build
with itself unless the two interpreters really load the same build (that is reported too).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TCP_BULK = "bench/tcp_bulk.py (1,000,000 bytes, seed 1, full trace + capture)"


def digests(tcp_bytes: int) -> dict[str, object]:
    """Every library scenario's digest (seed from the scenario) and tcp_bulk's."""
    import simnet
    from simnet.scenario.runner import Runner

    out: dict[str, str] = {}
    for path in sorted((ROOT / "scenarios").rglob("*.yaml")):
        name = path.relative_to(ROOT / "scenarios").as_posix()
        try:
            sim = simnet.Simulation.from_yaml(str(path))
            out[name] = Runner(sim).run().digest
        except Exception as exc:  # a digest check reports, it does not stop at the first
            out[name] = f"error: {type(exc).__name__}: {exc}"[:200]
    sys.path.insert(0, str(ROOT / "bench"))
    import tcp_bulk

    bulk = tcp_bulk.run(tcp_bytes, 1, keep_trace=True, capture=True, digest=True)
    out[TCP_BULK.replace("1,000,000", f"{tcp_bytes:,}")] = str(bulk["digest"])
    return {"build": simnet.build_info(), "simnet": simnet.__file__, "digests": out}


def against(other: str, tcp_bytes: int) -> int:
    sides = {}
    for label, python in (("this", sys.executable), ("other", other)):
        t0 = time.perf_counter()
        proc = subprocess.run(
            [python, __file__, "--bytes", str(tcp_bytes)],
            capture_output=True, text=True, cwd=ROOT,
            # the interpreter's own simnet, never the checkout's sources through PYTHONPATH
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )
        if proc.returncode != 0:
            print(proc.stdout + proc.stderr)
            print(f"digests: {python} failed")
            return 1
        sides[label] = json.loads(proc.stdout)
        build = sides[label]["build"]
        print(
            f"{label:5}: {python}: {build['summary']} ({sides[label]['simnet']}), "
            f"{len(sides[label]['digests'])} digests in {time.perf_counter() - t0:.1f} s"
        )
    a, b = sides["this"]["digests"], sides["other"]["digests"]
    differ = sorted(n for n in a.keys() | b.keys() if a.get(n) != b.get(n))
    errors = sorted(n for n in a if str(a[n]).startswith("error"))
    for name in differ:
        print(f"DIFFERS {name}: {a.get(name)} vs {b.get(name)}")
    for name in errors:
        print(f"ERROR {name}: {a[name]}")
    if sides["this"]["build"]["summary"] == sides["other"]["build"]["summary"]:
        print("note: both interpreters load the same kind of build")
    print(f"{len(a) - len(differ)} of {len(a | b)} digests identical")
    return 1 if differ or errors else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--against", metavar="PYTHON", help="compare with another interpreter")
    ap.add_argument("--bytes", type=int, default=1_000_000, help="tcp_bulk's transfer size")
    args = ap.parse_args(argv)
    if args.against:
        return against(args.against, args.bytes)
    print(json.dumps(digests(args.bytes), indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
