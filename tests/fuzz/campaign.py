"""The long fuzzing campaign (``make fuzz``): the strategies of ``tests/fuzz/strategies.py`` run
for a wall-clock budget in two worker processes, then the bridge is attacked over loopback.

    python -m tests.fuzz.campaign --minutes 10 --json fuzz-report.json

Worker "scenarios" mutates every library scenario (validate each mutant; run every
``--run-every``-th one that validates) and makes hostile API calls; worker "at" feeds AT lines
and noise to every built module and checks it still answers. Each example runs under a
120 s wall-clock alarm: one that exceeds it is a hang. Figures (counts, failures, hangs, peak
RSS of each process) are printed and written as JSON; the exit status is 1 when anything
failed or hung. ``--bridge`` adds 1,000 close-and-reconnect cycles and a 50 MB flood against
``simnet serve --tcp`` (peak RSS of the serving process). ``--chaos N`` then runs N seeded fault
schedules against each chaos scenario of the library (``scenarios/chaos/``, docs/chaos.md) on
both cores: every invariant must hold on every run, and the deliberately broken host program
must be caught and shrunk to at most 3 faults (the oracles' self-check).
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HANG_SECONDS = 120


class Hang(Exception):
    pass


def _on_alarm(_signum: int, _frame: Any) -> None:
    raise Hang(f"an example ran for more than {HANG_SECONDS} s of wall-clock time")


def _rss_kb() -> int:
    with open("/proc/self/status") as fp:
        for line in fp:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    return 0


class Tally:
    def __init__(self, name: str) -> None:
        self.name = name
        self.counts: dict[str, int] = {}
        self.failures: list[str] = []
        self.hangs = 0
        self.rss_start_kb = _rss_kb()
        self.rss_samples: list[int] = []
        self._seen: set[str] = set()

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def fail(self, what: str) -> None:
        """Once per distinct failure: hypothesis runs a failing example again to report it."""
        if what in self._seen:
            return
        self._seen.add(what)
        if len(self.failures) < 50:
            self.failures.append(what[:3000])
        self.add("failures")

    def result(self) -> dict[str, Any]:
        return {
            "worker": self.name,
            "counts": self.counts,
            "failures": self.failures,
            "hangs": self.hangs,
            "rss_start_kb": self.rss_start_kb,
            "rss_end_kb": _rss_kb(),
            "rss_peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "rss_samples_kb": self.rss_samples[:: max(1, len(self.rss_samples) // 30)],
        }


def _batches(tally: Tally, deadline: float, make_test: Any) -> None:
    """Run hypothesis-driven batches until ``deadline``; a failing example is recorded (no
    shrinking: the campaign wants volume) and the campaign goes on."""
    from hypothesis import HealthCheck, Phase, settings

    signal.signal(signal.SIGALRM, _on_alarm)
    while time.monotonic() < deadline:
        test = settings(
            max_examples=25,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )(make_test(deadline))
        try:
            test()
        except Hang as exc:
            tally.hangs += 1
            tally.fail(f"HANG: {exc}")
        except Exception as exc:  # noqa: BLE001 - a failing example: keep it and go on
            tally.fail(f"{type(exc).__name__}: {exc}")
        finally:
            signal.alarm(0)
        gc.collect()
        tally.rss_samples.append(_rss_kb())


def scenario_batches(tally: Tally, deadline: float, run_every: int) -> None:
    """Scenario mutants (every ``run_every``-th valid one also run) and, every fifth example,
    a few hostile API calls."""
    from hypothesis import given
    from hypothesis import strategies as st

    from tests.fuzz.strategies import api_call, apply_api_call, check_scenario_text, scenario_mutant

    def make_test(_deadline: float) -> Any:
        @given(scenario_mutant(), st.lists(api_call, min_size=1, max_size=4))
        def one(mutant: tuple[str, str], calls: list[tuple]) -> None:
            signal.alarm(HANG_SECONDS)
            source, text = mutant
            tally.add("scenario_mutants")
            run = tally.counts["scenario_mutants"] % run_every == 0
            bad = check_scenario_text(text, run=run, max_wall=60)
            if run:
                tally.add("mutants_run_attempted")
            if bad:
                tally.fail(f"{source}: {bad}\n--- mutant ---\n{text[:1500]}")
            if tally.counts["scenario_mutants"] % 5 == 0:
                import simnet

                sim = simnet.Simulation.from_dict({"name": "api", "module": "simcom-sim7600"})
                for call in calls:
                    tally.add("api_calls")
                    problem = apply_api_call(sim, call)
                    if problem:
                        tally.fail(problem)
            signal.alarm(0)

        return one

    _batches(tally, deadline, make_test)


def scenario_worker(seconds: float, run_every: int, out: Any) -> None:
    tally = Tally("scenarios")
    scenario_batches(tally, time.monotonic() + seconds, run_every)
    out.put(tally.result())


def at_worker(seconds: float, at_share: float, run_every: int, out: Any) -> None:
    """AT lines for ``at_share`` of the budget, then scenario mutants for the rest."""
    from hypothesis import given
    from hypothesis import strategies as st

    from tests.fuzz.strategies import (
        at_line,
        at_world,
        built_modules,
        feed_at_lines,
        recover_and_ping,
    )

    tally = Tally("at")
    end = time.monotonic() + seconds
    deadline = time.monotonic() + seconds * at_share
    modules = built_modules()
    names = {m: at_world(m)[0].module.command_names() for m in modules}

    def make_test(deadline: float) -> Any:
        @given(st.data())
        def one(data: Any) -> None:
            signal.alarm(HANG_SECONDS)
            module_id = data.draw(st.sampled_from(modules))
            sim, errors = at_world(module_id)
            for _ in range(4):  # four bursts per world, each followed by a responsiveness check
                lines = data.draw(st.lists(at_line(names[module_id]), min_size=20, max_size=60))
                gaps = data.draw(
                    st.lists(
                        st.sampled_from([0.0, 0.0, 0.02, 0.2, 2.0]),
                        min_size=len(lines),
                        max_size=len(lines),
                    )
                )
                parsed = feed_at_lines(sim, lines, gaps)
                tally.add("at_inputs", parsed)
                tally.add(f"at_inputs.{module_id}", parsed)
                tally.add("at_inputs_in_data_mode_or_prompt", len(lines) - parsed)
                stuck = recover_and_ping(sim)
                if stuck or errors:
                    tally.fail(
                        f"{module_id}: {stuck or ''} {errors[:3]}\n--- lines ---\n{lines!r:.3000}"
                    )
                    break
            signal.alarm(0)

        return one

    _batches(tally, deadline, make_test)
    scenario_batches(tally, end, run_every)
    out.put(tally.result())


# -- the bridge ---------------------------------------------------------------------------------
def _serve(scenario: str) -> tuple[subprocess.Popen, str, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "simnet.cli", "serve", scenario, "--tcp", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = proc.stdout.readline().strip()
    host, port = url.removeprefix("socket://").rsplit(":", 1)
    return proc, host, int(port)


def _peak_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fp:
        for line in fp:
            if line.startswith("VmHWM"):
                return int(line.split()[1])
    return 0


def reconnect_cycles(cycles: int) -> dict[str, Any]:
    """Connect, ``AT`` -> ``OK``, close, reconnect at once: every cycle must be served."""
    root = Path(__file__).resolve().parents[2]
    proc, host, port = _serve(str(root / "scenarios" / "bridge" / "sim7600-echo.yaml"))
    rejected = 0
    t0 = time.monotonic()
    try:
        for _ in range(cycles):
            with socket.create_connection((host, port), timeout=10) as s:
                s.sendall(b"AT\r")
                buf = b""
                try:
                    while b"OK\r\n" not in buf:
                        chunk = s.recv(256)
                        if not chunk:
                            rejected += 1
                            break
                        buf += chunk
                except OSError:
                    rejected += 1
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"cycles": cycles, "rejected": rejected, "seconds": round(time.monotonic() - t0, 1)}


def flood(megabytes: float, baud: int = 4_000_000) -> dict[str, Any]:
    """Send ``megabytes`` of AT commands and binary noise as fast as the bridge takes them
    (it paces the host at the line's baud rate) and read all replies; peak RSS of the server."""
    import fcntl
    import struct
    import tempfile
    import termios

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fp:
        fp.write(f"name: flood\nmodule: simcom-sim7600\nuart: {{baud: {baud}}}\n")
    proc, host, port = _serve(fp.name)
    start_kb = _peak_rss_kb(proc.pid)
    received = [0]
    t0 = time.monotonic()
    try:
        s = socket.create_connection((host, port), timeout=30)

        def reader() -> None:
            while True:
                try:
                    chunk = s.recv(1 << 16)
                except OSError:
                    return
                if not chunk:
                    return
                received[0] += len(chunk)

        threading.Thread(target=reader, daemon=True).start()
        rnd = random.Random(21)
        block = b"".join(
            rnd.choice(
                [
                    b"AT+CSQ\r",
                    b"ATI\r",
                    b"AT+CIPSEND=0,5\r",
                    rnd.randbytes(40),
                    b"AT" + b"X" * 300 + b"\r",
                ]
            )
            for _ in range(300)
        )
        total = int(megabytes * 1e6)
        sent = 0
        while sent < total:
            s.sendall(block)
            sent += len(block)
        while True:  # until the bridge has taken every byte
            unsent = struct.unpack("i", fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]
            if unsent == 0:
                break
            time.sleep(1)
        time.sleep(2)
        peak_kb = _peak_rss_kb(proc.pid)
        s.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        os.unlink(fp.name)
    return {
        "megabytes_sent": round(sent / 1e6, 1),
        "bytes_received": received[0],
        "baud": baud,
        "seconds": round(time.monotonic() - t0, 1),
        "rss_start_kb": start_kb,
        "rss_peak_kb": peak_kb,
    }


CHAOS_DIR = Path(__file__).resolve().parents[2] / "scenarios" / "chaos"
BROKEN_ON_PURPOSE = "careless-sender"


def chaos_campaign(runs: int, seed: int) -> dict[str, Any]:
    """``runs`` schedules against every library chaos scenario; the careless sender must fail."""
    import tempfile

    import simnet

    out: dict[str, Any] = {"runs": runs, "seed": seed, "scenarios": {}, "failures": []}
    shrunk_dir = tempfile.mkdtemp(prefix="simnet-chaos-")
    for path in sorted(CHAOS_DIR.glob("*.yaml")):
        careless = BROKEN_ON_PURPOSE in path.name
        t0 = time.monotonic()
        result = simnet.chaos(
            path,
            runs=50 if careless else runs,
            seed=seed,
            jobs=2,
            progress=False,
            shrunk_dir=shrunk_dir,
            max_shrink_runs=120,
        )
        wall = time.monotonic() - t0
        entry = {
            "runs": len(result.runs),
            "broken": result.failures,
            "wall_s": round(wall, 1),
            "runs_per_s": round(len(result.runs) / result.wall, 1) if result.wall else None,
            "shrunk": {s.invariant: len(s.schedule) for s in result.shrunk},
        }
        out["scenarios"][path.name] = entry
        print(f"chaos {path.name}: {json.dumps(entry, sort_keys=True)}", flush=True)
        if careless:
            sizes = [len(s.schedule) for s in result.shrunk if s.invariant == "integrity"]
            if not sizes or sizes[0] > 3:
                out["failures"].append(
                    f"{path.name}: the broken host program was not caught and shrunk "
                    f"to <= 3 faults ({result.summary()})"
                )
        elif not result.passed:
            out["failures"].append(f"{path.name}: {result.summary()}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fuzz.campaign", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--minutes", type=float, default=10.0, help="wall-clock budget of each worker"
    )
    parser.add_argument(
        "--run-every", type=int, default=25, help="run every Nth mutant that validates"
    )
    parser.add_argument(
        "--at-share", type=float, default=0.5, help="share of the second worker's time on AT lines"
    )
    parser.add_argument(
        "--bridge", action="store_true", help="also attack simnet serve (reconnects, flood)"
    )
    parser.add_argument("--reconnects", type=int, default=1000)
    parser.add_argument("--flood-mb", type=float, default=50.0)
    parser.add_argument(
        "--chaos",
        type=int,
        default=0,
        metavar="N",
        help="then N fault schedules against each scenario of scenarios/chaos/",
    )
    parser.add_argument("--chaos-seed", type=int, default=0)
    parser.add_argument("--json", metavar="OUT.json", help="write the figures here")
    args = parser.parse_args(argv)
    seconds = args.minutes * 60
    t0 = time.monotonic()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    workers = [
        ctx.Process(target=scenario_worker, args=(seconds, args.run_every, queue)),
        ctx.Process(target=at_worker, args=(seconds, args.at_share, args.run_every, queue)),
    ]
    for w in workers:
        w.start()
    bridge: dict[str, Any] = {}
    if args.bridge:  # alongside the workers: the bridge runs on the wall clock anyway
        bridge["reconnect"] = reconnect_cycles(args.reconnects)
        print(f"bridge reconnects: {bridge['reconnect']}", flush=True)
        bridge["flood"] = flood(args.flood_mb)
        print(f"bridge flood: {bridge['flood']}", flush=True)
    results = [queue.get(timeout=seconds + 1800) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    chaos = chaos_campaign(args.chaos, args.chaos_seed) if args.chaos else {}
    report = {
        "minutes": args.minutes,
        "wall_seconds": round(time.monotonic() - t0, 1),
        "python": sys.version.split()[0],
        "workers": results,
        "bridge": bridge,
        "chaos": chaos,
    }
    failures = sum(r["counts"].get("failures", 0) for r in results) + len(chaos.get("failures", []))
    hangs = sum(r["hangs"] for r in results)
    if bridge:
        failures += bridge["reconnect"]["rejected"] > 0
        failures += bridge["flood"]["rss_peak_kb"] >= 100 * 1024
    for r in results:
        print(
            f"{r['worker']}: {json.dumps(r['counts'], sort_keys=True)}; hangs {r['hangs']}; "
            f"RSS start {r['rss_start_kb'] / 1024:.0f} MB, end {r['rss_end_kb'] / 1024:.0f} MB, "
            f"peak {r['rss_peak_kb'] / 1024:.0f} MB"
        )
        for f in r["failures"][:5]:
            print("  FAILURE:", f[:1500])
    for f in chaos.get("failures", []):
        print("  CHAOS FAILURE:", f[:3000])
    examples = sum(
        r["counts"].get(k, 0)
        for r in results
        for k in ("scenario_mutants", "at_inputs", "api_calls")
    )
    print(f"fuzz: {hangs} hangs in {report['wall_seconds']:.0f} s")
    print(f"fuzz: {examples} passed, {failures + hangs} failed")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 1 if failures or hangs else 0


if __name__ == "__main__":
    sys.exit(main())
