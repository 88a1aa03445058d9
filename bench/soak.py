"""Benchmark (not a test): a 30-day soak of a keepalive scenario in bounded memory.

The library story stories/nat-keepalive-fibocom.yaml (an L610 with TCP keepalive every 120 s
through a NAT with a 240 s idle timeout), with its 5-minute idle wait stretched to 30 days:
~21,600 keepalive exchanges. Run twice in fresh processes, in the same benchmark run:

- A: the default trace (everything in memory);
- B: streaming mode: every record streamed to a JSONL file, the newest 10,000 kept in memory.

Each process samples its resident set size once per simulated day (a timer that records
nothing, so the digest is the same as without it). Printed: RSS per day for both, the digests
(equal: streaming keeps the digest over every record), records, wall time.

    .venv/bin/python bench/soak.py [--days 30]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
STORY = ROOT / "scenarios" / "stories" / "nat-keepalive-fibocom.yaml"


def rss_mb() -> float:
    with open("/proc/self/statm") as fp:
        pages = int(fp.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def child(days: float, streaming: bool) -> dict[str, object]:
    import simnet
    from simnet.kernel.trace import TraceConfig

    data = yaml.safe_load(STORY.read_text())
    data["steps"] = [{"wait": f"{days * 86400:.0f}s"} if step == {"wait": "300s"} else step
                     for step in data["steps"]]
    samples: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        kwargs: dict[str, object] = {}
        if streaming:
            kwargs = {
                "trace_config": TraceConfig(ring=10_000),
                "trace_stream": str(Path(tmp) / "soak.jsonl"),
            }
        sim = simnet.Simulation.from_dict(data, **kwargs)

        def sample() -> None:
            samples.append(round(rss_mb(), 1))
            sim.call_later(86400.0, sample)

        sim.call_later(0.0, sample)
        wall0 = time.perf_counter()
        result = sim.run_scenario()
        wall = time.perf_counter() - wall0
        sim.trace.close()
        streamed = (Path(tmp) / "soak.jsonl").stat().st_size if streaming else 0
    return {
        "passed": result.passed,
        "records": result.records,
        "digest": result.digest[:16],
        "wall_s": round(wall, 2),
        "rss_by_day": samples,
        "in_memory": result.trace["in_memory"],
        "streamed_bytes": streamed,
        "virtual_days": round(result.virtual_time / 86400, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--child", choices=("memory", "streaming"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from simnet._build import banner

    print(banner())
    if args.child:
        print(json.dumps(child(args.days, args.child == "streaming")))
        return 0
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores shared)")
    rows = {}
    for mode in ("memory", "streaming"):
        out = subprocess.run(
            [sys.executable, __file__, "--days", str(args.days), "--child", mode],
            capture_output=True,
            text=True,
            check=True,
        )
        rows[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    for mode, row in rows.items():
        rss = row["rss_by_day"]
        print(
            f"{mode:9}: passed={row['passed']} {row['virtual_days']} days, {row['records']:,} "
            "records "
            f"({row['in_memory']:,} in memory, {row['streamed_bytes'] / 1e6:.1f} MB streamed), "
            f"wall {row['wall_s']} s, digest {row['digest']}"
        )
        print(
            f"{'':11}RSS MB day 1 {rss[1] if len(rss) > 1 else rss[0]}, day {len(rss) - 1} "
            f"{rss[-1]}, "
            f"growth after day 1 {rss[-1] - (rss[1] if len(rss) > 1 else rss[0]):+.1f} MB"
        )
        print(f"{'':11}by day: {rss}")
    same = rows["memory"]["digest"] == rows["streaming"]["digest"]
    print(f"digests {'identical' if same else 'DIFFER'}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
