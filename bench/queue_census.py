"""Diagnostic (not a benchmark): which kernel queue entries a fleet report costs.

Runs ``bench/fleet.py``'s fleet in the pure-Python build with the kernel's ``heappop``
wrapped, and prints how many distinct queue entries of each kind were taken from the queue,
per report: the entry's class and what it calls (a Timer's function, a Wake's or an event's
callbacks). An entry taken out and put back (the kernel parks far entries) counts once.

    .venv/bin/python bench/queue_census.py [--devices 20] [--hours 6]
"""

from __future__ import annotations

import argparse
import collections
import heapq
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _name(fn: Any) -> str:
    fn = getattr(fn, "__func__", fn)
    return getattr(fn, "__qualname__", type(fn).__name__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--hours", type=float, default=6.0)
    args = parser.parse_args(argv)
    import simnet.kernel.sim as kernel_sim

    if not kernel_sim.__file__.endswith(".py"):
        print("needs the pure-Python build (the compiled kernel's heappop cannot be wrapped)")
        return 2
    import fleet

    kinds: collections.Counter[str] = collections.Counter()
    seen: set[int] = set()
    pop = heapq.heappop

    def counting_pop(queue: list[Any]) -> Any:
        entry = pop(queue)
        if isinstance(entry, tuple) and len(entry) == 4 and entry[2] not in seen:
            seen.add(entry[2])
            item = entry[3]
            kind = type(item).__name__
            if kind == "Timer":
                kinds[f"Timer: {_name(item._fn)}"] += 1
            else:
                calls = ", ".join(_name(cb) for cb in (item.callbacks or ()))
                kinds[f"{kind}: {calls}"] += 1
        return entry

    kernel_sim.heappop = counting_pop  # type: ignore[attr-defined]
    row = fleet.run(args.devices, args.hours, 300.0)
    reports = max(1, row["reports"])
    print(f"{args.devices} devices x {args.hours:g} h: {row['reports']:,} reports, "
          f"{sum(kinds.values()) / reports:.1f} queue entries a report")
    for kind, n in kinds.most_common():
        if n / reports >= 0.005:
            print(f"{n / reports:7.2f}  {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
