"""Benchmark (not a test): a fleet of devices reporting through one carrier NAT to one server.

Each device is a SIMCom SIM7600 with its own SIM, radio link (40 kbit/s, 300 ms), UART and
host program: it opens the network once, then every 5 minutes connects to the collector, sends
a 1 KB report (AT+CIPSEND prompt), waits for the module's +CIPSEND acknowledgement and closes.
Devices start at random instants within the first period. All share one operator, one carrier
NAT and one tcp-sink server. The trace keeps the newest 100,000 records in memory (its digest
still covers every record).

Reported for each fleet size: wall seconds, peak RSS of a fresh process, reports delivered,
trace records, and how both grow with the number of devices.

    .venv/bin/python bench/fleet.py [--devices 10,100,1000] [--hours 24] [--period 300]
    .venv/bin/python bench/fleet.py --profile 50 --hours 6     (where the CPU goes, by layer)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

REPORT = bytes(range(256)) * 4  # 1 KiB
COLLECTOR = "203.0.113.50"


def scenario(devices: int) -> dict[str, Any]:
    return {
        "name": f"fleet of {devices}",
        "seed": 11,
        "modules": [{"name": "dev", "module": "simcom-sim7600", "count": devices}],
        "network": {"registration": {"state": "home", "after": "0s"},
                    "link": {"delay": "300ms", "rate": "40kbps"},
                    "nat": {"tcp_idle_timeout": "300s"}},
        "hosts": {"collector.example.net": {"ip": COLLECTOR, "services": [
            {"type": "tcp-sink", "port": 9000, "backlog": 128}]}},
        "trace": {"ring": 100_000},
    }


def device(sim: Any, dev: Any, period: float, until: float, counts: dict[str, int]) -> Any:
    """The host program of one device, as a SimPy process on the shared clock."""
    dte = dev.dte
    rng = sim.rng(f"bench.{dev.name}.start")
    yield sim.timeout(rng.uniform(0, period))

    def ask(cmd: str, pattern: str, within: float = 60.0) -> Any:
        dte.write(cmd + "\r")
        return dte.expect_event(pattern, within)

    if (yield ask("ATE0", r"OK\r\n")) is None or (
        yield ask("AT+NETOPEN", r"\+NETOPEN: 0", 60)
    ) is None:
        counts["failed"] += 1
        return
    while sim.now + period <= until:
        started = sim.now
        if (
            yield ask(f'AT+CIPOPEN=0,"TCP","{COLLECTOR}",9000', r"\+CIPOPEN: 0,(\d+)")
        ) is not None and (yield ask("AT+CIPSEND=0,1024", r">")) is not None:
            dte.write(REPORT)
            if (yield dte.expect_event(r"\+CIPSEND: 0,1024,1024", 60)) is not None:
                counts["reports"] += 1
            yield ask("AT+CIPCLOSE=0", r"\+CIPCLOSE: 0,\d+|ERROR")
        else:
            counts["failed"] += 1
        dte.read_available()  # a driver reads everything: nothing piles up
        yield sim.timeout(max(0.0, started + period - sim.now))


def run(devices: int, hours: float, period: float) -> dict[str, Any]:
    import simnet

    simnet.Simulation.from_dict(scenario(1))  # first imports are not the fleet's cost
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    sim = simnet.Simulation.from_dict(scenario(devices))
    build = time.perf_counter() - wall0
    until = hours * 3600.0
    counts = {"reports": 0, "failed": 0}
    for dev in sim.devices.values():
        sim.process(device(sim, dev, period, until, counts))
    sim.advance(until)
    wall = time.perf_counter() - wall0
    sink = sim.host("collector.example.net").bytes_received(service="tcp-sink")
    return {
        "devices": devices,
        "hours": hours,
        "wall_s": round(wall, 2),
        "build_s": round(build, 3),
        "cpu_s": round(time.process_time() - cpu0, 2),
        "reports": counts["reports"],
        "failed": counts["failed"],
        "collector_bytes": sink,
        "records": len(sim.trace),
        "digest": sim.trace.digest()[:16],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


# Where a profile's own time goes, by the layer a function lives in (first match wins).
LAYERS = (
    ("trace (records, digest)", ("simnet/kernel/trace.py", "simnet/kernel/tidy.py")),
    ("kernel (clock, timers)", ("simnet/kernel/",)),
    ("SimPy (processes, events)", ("simpy/",)),
    ("net (links, routing, NAT, TCP)", ("simnet/net/",)),
    ("modem: UART, AT engine, modes", ("simnet/modem/uart.py", "simnet/modem/at.py",
                                       "simnet/modem/modes.py", "simnet/modem/module.py",
                                       "simnet/modem/dialect.py", "simnet/modem/params.py")),
    ("modem: host side (DTE, URC framing)", ("simnet/modem/dte.py", "simnet/modem/urc.py",
                                             "simnet/modem/socketdata.py")),
    ("modem: dialect (SIM7600)", ("simnet/modem/",)),
    ("servers, bearer", ("simnet/servers/", "simnet/bearer/")),
    ("bench host program", ("bench/fleet.py",)),
)


def profile(devices: int, hours: float, period: float) -> int:
    """cProfile one run in this process; print each layer's share of the profiled time."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    row = run(devices, hours, period)
    prof.disable()
    def layer_of(path: str) -> str:
        where = path.replace("\\", "/")
        return next((name for name, parts in LAYERS if any(p in where for p in parts)),
                    "the rest (imports, stdlib)")

    shares: dict[str, float] = {}
    stats: Any = pstats.Stats(prof).stats
    for (path, _line, _fn), (_cc, _nc, own, _cum, callers) in stats.items():
        if path == "~" and callers:  # a builtin (len, str.format, heappush): its callers' layer
            for caller, (_c, _n, spent, _ct) in callers.items():
                shares[layer_of(caller[0])] = shares.get(layer_of(caller[0]), 0.0) + spent
            continue
        shares[layer_of(path)] = shares.get(layer_of(path), 0.0) + own
    total = sum(shares.values())
    print(f"{devices} devices x {hours:g} h: {row['reports']:,} reports, {row['records']:,} "
          f"records; profiled {total:.1f} s ({total / max(1, row['reports']) * 1e3:.2f} ms "
          "per report under cProfile)")
    for name, own in sorted(shares.items(), key=lambda kv: -kv[1]):
        print(f"  {name:38} {own:7.2f} s {100 * own / total:5.1f} %")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", default="10,100,1000")
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--period", type=float, default=300.0)
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # child process
    parser.add_argument("--profile", type=int, default=None, metavar="N",
                        help="profile one run of N devices; print the CPU share of each layer")
    args = parser.parse_args(argv)
    from simnet._build import banner

    print(banner())
    if args.profile is not None:
        return profile(args.profile, args.hours, args.period)
    if args.one is not None:
        print(json.dumps(run(args.one, args.hours, args.period)))
        return 0
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores shared)")
    print(
        f"{'devices':>8} {'virtual h':>9} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} {'reports':>9} "
        f"{'failed':>7} "
        f"{'records':>11} {'CPU ms/report':>13}"
    )
    rows = []
    for n in (int(x) for x in args.devices.split(",")):
        # A fresh process per size: peak RSS belongs to that fleet alone.
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(n),
                "--hours",
                str(args.hours),
                "--period",
                str(args.period),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        per_report = row["cpu_s"] / max(1, row["reports"]) * 1e3
        print(
            f"{n:>8} {args.hours:>9g} {row['wall_s']:>8.2f} {row['cpu_s']:>8.2f} "
            f"{row['peak_rss_mb']:>8.1f} "
            f"{row['reports']:>9,} {row['failed']:>7} {row['records']:>11,} {per_report:>13.2f}",
            flush=True,
        )
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        k = b["devices"] / a["devices"]
        print(
            f"\n{a['devices']} -> {b['devices']} devices (x{k:g}): wall "
            f"x{b['wall_s'] / a['wall_s']:.1f}, "
            f"CPU x{b['cpu_s'] / a['cpu_s']:.1f}, peak RSS "
            f"x{b['peak_rss_mb'] / a['peak_rss_mb']:.1f}"
        )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
