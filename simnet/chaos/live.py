"""``simnet serve --chaos``: the same fault storms on the wall clock, for a real driver.

Storm *k* is the schedule ``simnet chaos`` draws for run *k* (same chaos seed, same faults), its
times taken from the start of the storm; storms follow one another every window end + grace
for as long as the server runs. Each fault is logged as it fires. At the end of every storm the
module-side invariants are checked - integrity (from the UART and the servers, as in a chaos
run; a link still open may yet deliver what is in flight, so only ended links must be
complete), no-errors and bounded (the responsive probe would talk over the driver, and
``completes`` is the driver's business).

When one breaks, or when the user marks the run failed (``kill -USR1 <pid>`` on the command
line, :meth:`LiveChaos.mark_failed` from Python), the session so far is written as a scenario:
the world, every fault that fired (at its virtual time), the seed, and ``steps:`` that replay
the driver's bytes at the instants they reached the line - ``simnet run`` replays what the module
saw, ``simnet serve`` it with your driver to face the same storm again. A module-side failure is
then shrunk in a background process (``simnet chaos FILE --shrink-faults``) against that replay;
a failure only your driver saw cannot be shrunk without your driver: the file keeps every fault
that fired before the mark.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from simnet.chaos.run import ChaosJob, validated, with_schedule
from simnet.chaos.schedule import Schedule, describe_fault, duration_text
from simnet.scenario.chaos_schema import DEFAULT_INVARIANTS
from simnet.scenario.model import ChaosSpec

LIVE_INVARIANTS = ("integrity", "no-errors", "bounded")  # what the module side can show alone


def prepare(scenario: Any) -> None:
    """Give a served scenario its chaos block (the defaults when it has none), keeping only the
    invariants a live run can check; call before the world is built."""
    if scenario.chaos is None:
        from simnet.scenario.chaos_schema import DEFAULT_INTENSITY

        scenario.chaos = ChaosSpec(
            intensity=dict(DEFAULT_INTENSITY), invariants=list(DEFAULT_INVARIANTS)
        )
    scenario.chaos.invariants = [i for i in scenario.chaos.invariants if i in LIVE_INVARIANTS] or [
        "integrity"
    ]


class LiveChaos:
    """Runs storm after storm in a served simulation; thread-safe ``mark_failed``."""

    def __init__(
        self,
        served: Any,
        loaded: Any,
        *,
        seed: int = 0,
        out_dir: str | os.PathLike[str] = "chaos-out",
        log: IO[str] | None = None,
        shrink: bool = True,
    ) -> None:
        self.served = served
        self.sim = served.sim
        self.world = self.sim.world
        self.loaded = loaded
        self.seed = seed
        self.out_dir = Path(out_dir)
        self.log = log if log is not None else sys.stderr
        self.shrink = shrink
        self.job = ChaosJob(loaded, [], None, chaos_seed=seed)
        spec = self.job.base.chaos
        self.period = spec.window[1] + spec.grace
        self.oracles = self.world.oracles
        if self.oracles is None:
            raise ValueError(
                "the served world has no invariants: call simnet.chaos.live.prepare(scenario) "
                "before building it"
            )
        self.host_writes: list[tuple[float, bytes]] = []
        served.bridge.host_taps.append(lambda t, data: self.host_writes.append((t, bytes(data))))
        self.fired: list[dict[str, Any]] = []  # faults as they fired, with their virtual time
        self.storm = -1
        self.reported: set[str] = set()
        self.written: list[Path] = []
        self.shrinkers: list[subprocess.Popen[bytes]] = []

    # -- storms ------------------------------------------------------------------------------
    def start(self) -> None:
        """Begin the first storm now (from any thread)."""
        self.served.bridge.call(lambda: self._storm(0, self.sim.now))

    def _say(self, text: str) -> None:
        print(f"simnet serve: [t={self.sim.now:9.3f}] {text}", file=self.log, flush=True)

    def _storm(self, k: int, base: float) -> None:
        self.storm = k
        schedule = self.job.schedule(k)
        self._say(
            f"chaos storm {k} (from t={base:.3f} to t={base + self.period:.3f}): "
            f"{schedule.describe()}"
        )
        if schedule.knobs:
            self._say(
                "  (the world variants of this schedule cannot change in a running world: "
                + ", ".join(f"{key}={v}" for key, v in schedule.knobs)
                + " not applied)"
            )
        data = with_schedule(self.loaded.data, Schedule(schedule.faults))
        specs = (
            validated(self.loaded, data).faults[-len(schedule.faults) :] if schedule.faults else []
        )
        for spec, fault in zip(specs, schedule.faults, strict=True):
            self.sim.call_at(base + float(spec.at or 0.0), self._fire, k, spec, fault)
        self.sim.call_at(base + self.period, self._end_storm, k)

    def _fire(self, k: int, spec: Any, fault: dict[str, Any]) -> None:
        self.world.faults.apply(spec, f"chaos storm {k}")
        fired = dict(fault)
        fired["at"] = duration_text(self.sim.now)
        self.fired.append(fired)
        self._say(f"storm {k}: {describe_fault(fired)}")

    def _end_storm(self, k: int) -> None:
        problems = [p for p in self.check() if p[1] not in self.reported]
        if not problems:
            self._say(f"storm {k} over: the module-side invariants hold")
        for invariant, detail in problems:
            self.reported.add(detail)
            self._say(f"storm {k} over: invariant {invariant} broken: {detail}")
        if problems:
            self.write(problems[0][0], problems[0][1], shrink=self.shrink)
        self._storm(k + 1, self.sim.now)

    def check(self) -> list[tuple[str, str]]:
        """Module-side invariant problems so far: (invariant, message)."""
        out: list[tuple[str, str]] = []
        invariants = self.oracles.spec.invariants
        if "integrity" in invariants:
            out += [("integrity", p) for p in self.oracles.integrity(live=True)]
        if "no-errors" in invariants:
            out += [("no-errors", p) for p in self.oracles.model_errors]
            out += [("no-errors", f"fault not applied: {e}") for e in self.world.fault_errors]
        if "bounded" in invariants:
            self.oracles.take_census()
            out += [
                ("bounded", f"{name}: {size} > {bound} at t={t:.3f} s")
                for name, (size, bound, t) in self.oracles.over_bound.items()
            ]
        return out

    # -- failures ----------------------------------------------------------------------------
    def mark_failed(self, reason: str = "marked failed by the user") -> Any:
        """Write the session so far as a scenario (thread-safe); a future of its path."""
        return self.served.bridge.call(lambda: self.write("marked", reason, shrink=False))

    def write(self, invariant: str, detail: str, *, shrink: bool) -> Path:
        """The session so far as a scenario that replays the driver's bytes under every fault
        that fired; with ``shrink`` a background process shrinks it (module-side invariants)."""
        from simnet.scenario.fieldlog import escape_bytes

        self.out_dir.mkdir(parents=True, exist_ok=True)
        n = len(self.written) + 1
        path = self.out_dir / f"serve-chaos-{n}.yaml"
        data = copy.deepcopy(dict(self.loaded.data))
        data.pop("program", None)
        name = str(data.get("name", "scenario"))
        data["name"] = (
            f"{name} - simnet serve --chaos, "
            f"{'marked failed' if invariant == 'marked' else invariant + ' broken'}"
        )
        data["description"] = (
            f"Written by simnet serve --chaos at virtual t={self.sim.now:.3f} s (chaos seed "
            f"{self.seed}, "
            f"storm {self.storm}): {detail}. The steps replay the driver's bytes at the instants "
            "they "
            f"reached the line; the faults are every fault that fired."
        )
        data["seed"] = self.sim.seed
        steps: list[dict[str, Any]] = []
        t = 0.0
        for when, chunk in self.host_writes:
            if when - t > 1e-6:
                steps.append(
                    {"wait": duration_text(when - t) if when - t >= 0.001 else f"{when - t:.6f}s"}
                )
            steps.append({"send_raw": escape_bytes(chunk)})
            t = when
        if self.sim.now - t > 0.001:
            steps.append({"wait": duration_text(self.sim.now - t)})
        data["steps"] = steps or [{"wait": duration_text(self.sim.now)}]
        data["faults"] = list(data.get("faults") or []) + [dict(f) for f in self.fired]
        chaos = dict(data.get("chaos") or {})
        chaos["invariants"] = [invariant] if invariant in LIVE_INVARIANTS else list(LIVE_INVARIANTS)
        data["chaos"] = chaos
        import yaml

        lines = [
            f"# simnet serve --chaos: {detail}"[:300],
            f"# replay: simnet run {path.name}   -   face the storm again: simnet serve "
            f"{path.name} --pty",
        ]
        lines += [f"#   {describe_fault(f)}" for f in self.fired]
        path.write_text(
            "\n".join(lines)
            + "\n"
            + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100),
            encoding="utf-8",
        )
        self.written.append(path)
        self._say(f"wrote {path}")
        if shrink and invariant in LIVE_INVARIANTS and self.fired:
            cmd = [
                sys.executable,
                "-m",
                "simnet",
                "chaos",
                str(path),
                "--shrink-faults",
                "--invariant",
                invariant,
                "--shrunk-dir",
                str(self.out_dir),
                "--no-progress",
            ]
            self.shrinkers.append(
                subprocess.Popen(
                    cmd,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    preexec_fn=lambda: os.nice(10),
                )
            )
            self._say(f"shrinking it in the background: {' '.join(cmd[1:])}")
        return path

    def close(self) -> None:
        """Wait for background shrinks (they write next to the scenario)."""
        for proc in self.shrinkers:
            try:
                proc.wait(timeout=600)
            except subprocess.TimeoutExpired:
                proc.kill()


def load_for_live(scenario: str | os.PathLike[str] | Mapping[str, Any]) -> Any:
    from simnet.scenario.loader import load_file, locate_data

    return (
        locate_data(scenario, "<dict>")
        if isinstance(scenario, Mapping)
        else load_file(os.fspath(scenario))
    )


def run_serve_chaos(args: Any, out: IO[str], err: IO[str]) -> int:
    """``simnet serve --chaos``: ``simnet serve`` with storms; SIGUSR1 marks the run failed."""
    import signal

    from simnet.bridge.serve import run_serve_command
    from simnet.library import scenario_argument

    live: list[LiveChaos] = []

    def on_served(served: Any) -> Any:
        loaded = load_for_live(scenario_argument(args.file, getattr(args, "example", None)))
        chaos = LiveChaos(served, loaded, seed=args.chaos_seed, out_dir=args.chaos_out, log=err)
        live.append(chaos)
        previous = signal.signal(signal.SIGUSR1, lambda _s, _f: chaos.mark_failed())
        print(
            f"simnet serve: chaos storms every {chaos.period:g} s (chaos seed {args.chaos_seed}); "
            "mark a run "
            f"failed with: kill -USR1 {os.getpid()}",
            file=err,
            flush=True,
        )
        chaos.start()

        def after() -> None:
            signal.signal(signal.SIGUSR1, previous)
            chaos.close()

        return after

    code = run_serve_command(args, out, err, prepare=prepare, on_served=on_served)
    if live and live[0].written:
        print(
            f"simnet serve: {len(live[0].written)} failed session(s) written: "
            + ", ".join(str(p) for p in live[0].written),
            file=err,
        )
    return code


@contextmanager
def serving_chaos(
    scenario: str | os.PathLike[str] | Mapping[str, Any],
    *,
    seed: int = 0,
    out_dir: str | os.PathLike[str] = "chaos-out",
    log: IO[str] | None = None,
    shrink: bool = True,
    **serve_kwargs: Any,
) -> Iterator[LiveChaos]:
    """``simnet serve --chaos`` from Python: serve ``scenario`` (``pty=True`` or ``tcp=...``, as
    :func:`simnet.bridge.serve.serving`) with storms running; yields the :class:`LiveChaos`
    (``.served.address``, ``.mark_failed()``, ``.check()``, ``.written``)."""
    from simnet.bridge.serve import serving

    with serving(scenario, prepare=prepare, **serve_kwargs) as served:
        live = LiveChaos(
            served, load_for_live(scenario), seed=seed, out_dir=out_dir, log=log, shrink=shrink
        )
        live.start()
        try:
            yield live
        finally:
            live.close()
