"""``simnet serve`` and ``simnet.serve()``: an emulated module for real host programs.

The scenario supplies module, network, hosts and faults; its ``steps`` are not run (the real
program is the host). Faults fire at their virtual times, which here are wall-clock offsets
from the start of serving.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

import simpy.rt

from simnet.bridge.channels import ChannelEndpoint, parse_channels
from simnet.bridge.endpoints import PtyEndpoint, TcpEndpoint
from simnet.bridge.fleet import FleetEndpoint
from simnet.bridge.realtime import Bridge
from simnet.errors import ConfigError
from simnet.kernel.units import ascii_digits

# A server runs for as long as its user likes: by default it keeps only the newest records in
# memory (the digest covers all of them, and --trace streams every one to disk).
SERVE_TRACE_RING = 20_000


def build_realtime_simulation(
    scenario: str | os.PathLike[str] | Mapping[str, Any],
    seed: int | None = None,
    boot: str | None = None,
    *,
    trace_level: str | None = None,
    trace_ring: int | None = None,
    trace: str | None = None,
    prepare: Callable[[Any], None] | None = None,
) -> Any:
    """The scenario's world on a ``simpy.rt.RealtimeEnvironment`` (wall-clock paced).
    ``boot`` ("booted" / "cold") overrides the scenario's ``boot:``. The trace keeps
    ``trace_level`` kinds and the newest ``trace_ring`` records (default: the scenario's
    ``trace:``, else :data:`SERVE_TRACE_RING`); ``trace`` (a .jsonl or .parquet path) receives
    every record as it happens. ``prepare(scenario)`` may change the validated scenario before
    the world is built (simnet serve --chaos installs its invariants)."""
    from simnet.scenario.api import Simulation

    parsed = _parse(scenario, boot)
    if prepare is not None:
        prepare(parsed)
    env = simpy.rt.RealtimeEnvironment(factor=1.0, strict=False)
    sim = Simulation(
        seed=seed,
        scenario=parsed,
        env=env,
        trace_config=_serve_trace_config(parsed, trace_level, trace_ring),
    )
    if trace:
        sim.trace.stream_to(trace)
    return sim


def start_capture(sim: Any, path: str) -> Any:
    """Write the UART traffic of ``sim`` to ``path`` as a serial log from now on (a trace sink,
    so the digest does not change); returns the sink (``close()`` it at the end)."""
    from simnet.scenario.fieldlog import SerialCapture

    scenario = sim.scenario
    sink = SerialCapture(
        path,
        f"simnet serve capture: {scenario.name}, module {scenario.module}, seed {sim.seed}; "
        "> host, < module",
    )
    sim.trace.add_sink(sink, sink.SIDES)
    return sink


def _serve_trace_config(scenario: Any, level: str | None, ring: int | None) -> Any:
    from simnet.kernel.trace import TraceConfig

    base = getattr(scenario, "trace", None)
    if base is None:
        base = TraceConfig(ring=SERVE_TRACE_RING)
    return TraceConfig(
        level=level or base.level,
        kinds=base.kinds if level is None else None,
        ring=ring if ring is not None else base.ring,
        field_path="--trace",
    )


def _parse(scenario: str | os.PathLike[str] | Mapping[str, Any], boot: str | None) -> Any:
    """The validated scenario (raises ScenarioError), with ``boot`` applied."""
    from simnet.scenario.api import ScenarioError
    from simnet.scenario.loader import load_file, locate_data
    from simnet.scenario.schema import validate

    if boot is not None and boot not in ("booted", "cold"):
        raise ConfigError("--boot", f"expected booted or cold, got {boot!r}")
    if isinstance(scenario, Mapping):
        loaded = locate_data(scenario, "<dict>")
    else:
        loaded = load_file(os.fspath(scenario))
    parsed, problems = validate(loaded)
    if problems or parsed is None:
        raise ScenarioError(problems)
    if boot is not None:
        parsed.boot = boot
    return parsed


def parse_tcp_address(text: str) -> tuple[str, int]:
    host, sep, port_text = text.rpartition(":")
    if not sep or not host or not ascii_digits(port_text) or not 0 <= int(port_text) <= 65535:
        raise ConfigError(
            "--tcp", f"expected HOST:PORT such as 127.0.0.1:7000 (port 0..65535), got {text!r}"
        )
    return host.strip("[]"), int(port_text)


class Served:
    """A running bridge: ``.address`` is the pty path or the ``socket://`` URL."""

    def __init__(
        self,
        sim: Any,
        endpoint: PtyEndpoint | TcpEndpoint | ChannelEndpoint | FleetEndpoint,
        bridge: Bridge,
    ) -> None:
        self.sim = sim
        self.endpoint = endpoint
        self.bridge = bridge
        if isinstance(endpoint, ChannelEndpoint):
            self.address = "\n".join(endpoint.paths)  # one pty per DLCI, in the order given
        elif isinstance(endpoint, FleetEndpoint):
            self.address = "\n".join(endpoint.addresses)  # "NAME ADDRESS" per device
        elif isinstance(endpoint, PtyEndpoint):
            self.address = endpoint.path
        else:
            host, port = endpoint.address
            self.address = f"socket://{host}:{port}"
        self.wall_start = time.monotonic()
        self.capture: Any = None  # a serial log being written (start_capture)

    def call(self, fn: Any, *args: Any, timeout: float = 10.0, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` run inside the running simulation (on the bridge's thread, at
        the virtual instant of now), e.g. ``served.call(served.sim.host("phone").send_sms,
        "RESET")``; returns its result or raises its exception."""
        return self.bridge.call(lambda: fn(*args, **kwargs)).result(timeout)

    def report(self) -> dict[str, Any]:
        scenario = getattr(self.sim, "scenario", None)
        return {
            "scenario": getattr(scenario, "name", None),
            "seed": self.sim.seed,
            "mode": "serve",
            "endpoint": self.endpoint.description,
            "virtual_time": round(self.sim.now, 6),
            "wall_time": round(time.monotonic() - self.wall_start, 6),
            "worst_lag": round(self.bridge.worst_lag, 6),
            "lag_warnings": self.bridge.lag_warnings,
            "bytes_from_host": self.bridge.bytes_in,
            "bytes_to_host": self.bridge.bytes_out,
            "digest": self.sim.trace.digest(),
            "trace": self.sim.trace.summary(),
        }

    def write_outputs(self, *, report: str | None = None, pcap: str | None = None) -> None:
        self.sim.trace.close()  # the trace file was streamed as records came
        if self.capture is not None:
            self.capture.close()
        if pcap:
            self.sim.save_pcap(pcap)
        if report:
            with open(report, "w", encoding="utf-8") as fp:
                json.dump(self.report(), fp, indent=2)
                fp.write("\n")


def _open(
    sim: Any,
    *,
    pty: bool,
    tcp: str | None,
    link: str | None,
    allow_remote: bool,
    max_lag: float,
    log: IO[str] | None,
    cmux: str | None = None,
) -> Served:
    world = getattr(sim, "world", None)
    if world is not None and world.is_fleet:
        if cmux is not None:
            raise ConfigError("--cmux", "a fleet is served one port per device: leave out --cmux")
        fleet = FleetEndpoint(
            list(world.devices),
            tcp=parse_tcp_address(tcp) if tcp is not None else None,
            allow_remote=allow_remote,
        )
        try:
            bridge = Bridge(sim, fleet, max_lag=max_lag, log=log)
            fleet.start(sim)
        except Exception:
            fleet.close()
            raise
        return Served(sim, fleet, bridge)
    if cmux is not None:
        if tcp is not None:
            raise ConfigError("--cmux", "channels are served on ptys: leave out --tcp")
        channels = ChannelEndpoint(parse_channels(cmux), link)
        try:
            bridge = Bridge(sim, channels, max_lag=max_lag, log=log)
            channels.start(sim)
        except Exception:
            channels.close()
            raise
        return Served(sim, channels, bridge)
    if tcp is not None:
        host, port = parse_tcp_address(tcp)
        endpoint: PtyEndpoint | TcpEndpoint = TcpEndpoint(host, port, allow_remote=allow_remote)
    elif pty:
        endpoint = PtyEndpoint(link)
    else:
        raise ConfigError("serve", "choose --pty or --tcp HOST:PORT")
    return Served(sim, endpoint, Bridge(sim, endpoint, max_lag=max_lag, log=log))


@contextmanager
def serving(
    scenario: str | os.PathLike[str] | Mapping[str, Any],
    *,
    pty: bool = True,
    tcp: str | None = None,
    link: str | None = None,
    seed: int | None = None,
    allow_remote: bool = False,
    max_lag: float = 0.2,
    report: str | None = None,
    trace: str | None = None,
    pcap: str | None = None,
    log: IO[str] | None = None,
    boot: str | None = None,
    trace_level: str | None = None,
    trace_ring: int | None = None,
    cmux: str | None = None,
    capture: str | None = None,
    prepare: Callable[[Any], None] | None = None,
) -> Iterator[Served]:
    """``serve()`` yielding the running :class:`Served` (``.address``, ``.sim``, ``.report()``)
    for callers that inspect the simulation while a host program drives it (the pytest plugin);
    ``prepare(scenario)`` may change the validated scenario before the world is built."""
    sim = build_realtime_simulation(
        scenario,
        seed,
        boot,
        trace_level=trace_level,
        trace_ring=trace_ring,
        trace=trace,
        prepare=prepare,
    )
    served = _open(
        sim,
        pty=pty,
        tcp=tcp,
        link=link,
        allow_remote=allow_remote,
        max_lag=max_lag,
        log=log,
        cmux=cmux,
    )
    if capture:
        served.capture = start_capture(sim, capture)
    stop = threading.Event()
    thread = threading.Thread(
        target=served.bridge.run, args=(stop.is_set,), name="simnet-bridge", daemon=True
    )
    thread.start()
    try:
        yield served
    finally:
        stop.set()
        served.bridge.wake()
        thread.join(timeout=10)
        try:
            served.write_outputs(report=report, pcap=pcap)
        finally:
            served.endpoint.close()
            served.bridge.close()


@contextmanager
def serve(
    scenario: str | os.PathLike[str] | Mapping[str, Any],
    *,
    pty: bool = True,
    tcp: str | None = None,
    link: str | None = None,
    seed: int | None = None,
    allow_remote: bool = False,
    max_lag: float = 0.2,
    report: str | None = None,
    trace: str | None = None,
    pcap: str | None = None,
    log: IO[str] | None = None,
    boot: str | None = None,
    trace_level: str | None = None,
    trace_ring: int | None = None,
    cmux: str | None = None,
    capture: str | None = None,
) -> Iterator[str]:
    """Serve the scenario's module in a background thread; yields the device path or URL
    (with ``cmux="1,2"``: the channels' pty paths, one per line, see ``simnet.bridge.channels``;
    ``serving()`` yields the whole :class:`Served`). ``capture``: a path that receives the UART
    traffic as a serial log (``simnet import`` reads it).

    >>> with simnet.serve("scenarios/quickstart.yaml", pty=True) as port:   # doctest: +SKIP
    ...     serial.Serial(port, 115200).write(b"AT\\r")
    """
    with serving(
        scenario,
        pty=pty,
        tcp=tcp,
        link=link,
        seed=seed,
        allow_remote=allow_remote,
        max_lag=max_lag,
        report=report,
        trace=trace,
        pcap=pcap,
        log=log,
        boot=boot,
        trace_level=trace_level,
        trace_ring=trace_ring,
        cmux=cmux,
        capture=capture,
    ) as served:
        yield served.address


def run_serve_command(
    args: Any,
    out: IO[str],
    err: IO[str],
    *,
    prepare: Callable[[Any], None] | None = None,
    on_served: Callable[[Served], Callable[[], None] | None] | None = None,
) -> int:
    """Body of ``simnet serve`` (argparse namespace from the CLI). ``prepare(scenario)`` runs
    before the world is built; ``on_served(served)`` once it serves (before the loop starts),
    and may return a function called when serving has stopped (simnet serve --chaos)."""
    from simnet.library import scenario_argument

    try:
        args.file = scenario_argument(args.file, getattr(args, "example", None))
        sim = build_realtime_simulation(
            args.file,
            args.seed,
            getattr(args, "boot", None),
            trace_level=getattr(args, "trace_level", None),
            trace_ring=getattr(args, "trace_ring", None),
            trace=args.trace,
            prepare=prepare,
        )
        served = _open(
            sim,
            pty=args.pty or args.tcp is None,
            tcp=args.tcp,
            link=args.link,
            allow_remote=args.allow_remote,
            max_lag=args.max_lag,
            log=err,
            cmux=getattr(args, "cmux", None),
        )
        if getattr(args, "capture", None):
            served.capture = start_capture(sim, args.capture)
    except ConfigError as exc:
        print(f"simnet serve: {exc}", file=err)
        return 2
    except (OSError, ValueError) as exc:
        print(f"simnet serve: {exc}", file=err)
        return 2
    if getattr(sim.scenario, "steps", None):
        print(
            "simnet serve: the scenario's steps are ignored: the program on the "
            f"{'pty' if isinstance(served.endpoint, PtyEndpoint) else 'port'} is the host",
            file=err,
        )
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()
        served.bridge.wake()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    print(served.address, file=out, flush=True)
    after = on_served(served) if on_served is not None else None
    try:
        served.bridge.run(stop.is_set)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if after is not None:
            after()
        try:
            served.write_outputs(report=args.report, pcap=args.pcap)
        finally:
            served.endpoint.close()
            served.bridge.close()
    print(f"simnet serve: stopped at virtual t={sim.now:.3f} s", file=err)
    return 0


def add_serve_arguments(parser: Any) -> None:
    parser.add_argument("file", nargs="?", help="scenario YAML (module, network, hosts, faults)")
    parser.add_argument(
        "--example",
        metavar="NAME",
        help="a scenario of the shipped library instead of a file (simnet examples lists them)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--pty", action="store_true", help="serve on a pseudo-terminal (default)")
    mode.add_argument(
        "--tcp", metavar="HOST:PORT", help="serve raw bytes on a TCP port (pyserial socket://)"
    )
    parser.add_argument("--link", metavar="PATH", help="keep a symlink to the pty at PATH")
    parser.add_argument(
        "--cmux",
        metavar="DLCIS",
        help="run AT+CMUX and serve each channel (e.g. 1,2) on its own pty, one path per line",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow --tcp on a non-loopback address (prints a warning)",
    )
    parser.add_argument("--seed", type=int, default=None, help="override the scenario seed")
    parser.add_argument(
        "--boot",
        choices=("booted", "cold"),
        default=None,
        help="cold: switch the module on now (deaf while it boots, then its boot "
        "lines); booted (default unless the scenario says boot: cold): ready at once",
    )
    parser.add_argument(
        "--max-lag",
        type=float,
        default=0.2,
        metavar="SECONDS",
        help="seconds behind the wall clock before the bridge warns (default 0.2)",
    )
    parser.add_argument(
        "--report",
        metavar="OUT.json",
        help="when stopped, write a JSON report here (bytes each way, worst lag, trace digest)",
    )
    parser.add_argument(
        "--trace", metavar="OUT.jsonl|OUT.parquet", help="stream every trace record here"
    )
    parser.add_argument(
        "--trace-level",
        choices=("full", "no-packets", "events"),
        default=None,
        help="record kinds kept in memory (the digest and --trace get all)",
    )
    parser.add_argument(
        "--trace-ring",
        type=int,
        default=None,
        metavar="N",
        help=f"keep the newest N records in memory (default {SERVE_TRACE_RING:,})",
    )
    parser.add_argument(
        "--pcap", metavar="OUT.pcap", help="when stopped, write the module's IP packets here"
    )
    parser.add_argument(
        "--capture",
        metavar="OUT.log",
        help="write the UART traffic as a serial log ('[t] > host', '[t] < module'; simnet import "
             "reads it)",
    )
    parser.add_argument(
        "--chaos",
        action="store_true",
        help="fault storms on the wall clock, one after another (the schedules of simnet chaos), "
        "module-side invariants checked after each; kill -USR1 <pid> marks a run failed "
        "(docs/chaos.md)",
    )
    parser.add_argument(
        "--chaos-seed", type=int, default=0, help="with --chaos: the chaos seed (default 0)"
    )
    parser.add_argument(
        "--chaos-out",
        metavar="DIR",
        default="chaos-out",
        help="with --chaos: where failed sessions are written as scenarios (default chaos-out)",
    )


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - thin wrapper
    import argparse

    parser = argparse.ArgumentParser(prog="simnet serve")
    add_serve_arguments(parser)
    args = parser.parse_args(argv)
    if args.chaos:  # the storms come from simnet.chaos, which drives the bridge through its hooks
        from simnet.chaos.live import run_serve_chaos

        return run_serve_chaos(args, sys.stdout, sys.stderr)
    return run_serve_command(args, sys.stdout, sys.stderr)
