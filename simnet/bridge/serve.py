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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

import simpy.rt

from simnet.bridge.endpoints import PtyEndpoint, TcpEndpoint
from simnet.bridge.realtime import Bridge
from simnet.errors import ConfigError


def build_realtime_simulation(scenario: str | os.PathLike[str] | Mapping[str, Any], seed: int | None = None,
                              boot: str | None = None) -> Any:
    """The scenario's world on a ``simpy.rt.RealtimeEnvironment`` (wall-clock paced).
    ``boot`` ("booted" / "cold") overrides the scenario's ``boot:``."""
    from simnet.scenario.api import ScenarioError, Simulation
    from simnet.scenario.loader import load_file
    from simnet.scenario.schema import validate

    env = simpy.rt.RealtimeEnvironment(factor=1.0, strict=False)
    if isinstance(scenario, Mapping):
        data = dict(scenario) if boot is None else {**scenario, "boot": boot}
        return Simulation.from_dict(data, seed=seed, env=env)
    if boot is None:
        return Simulation.from_yaml(scenario, seed=seed, env=env)
    parsed, problems = validate(load_file(os.fspath(scenario)))
    if problems or parsed is None:
        raise ScenarioError(problems)
    if boot not in ("booted", "cold"):
        raise ConfigError("--boot", f"expected booted or cold, got {boot!r}")
    parsed.boot = boot
    return Simulation(seed=seed, scenario=parsed, env=env)


def parse_tcp_address(text: str) -> tuple[str, int]:
    host, sep, port_text = text.rpartition(":")
    if not sep or not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ConfigError("--tcp", f"expected HOST:PORT such as 127.0.0.1:7000 (port 0..65535), got {text!r}")
    return host.strip("[]"), int(port_text)


class Served:
    """A running bridge: ``.address`` is the pty path or the ``socket://`` URL."""

    def __init__(self, sim: Any, endpoint: PtyEndpoint | TcpEndpoint, bridge: Bridge) -> None:
        self.sim = sim
        self.endpoint = endpoint
        self.bridge = bridge
        if isinstance(endpoint, PtyEndpoint):
            self.address = endpoint.path
        else:
            host, port = endpoint.address
            self.address = f"socket://{host}:{port}"
        self.wall_start = time.monotonic()

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
        }

    def write_outputs(self, *, report: str | None = None, trace: str | None = None, pcap: str | None = None) -> None:
        if trace:
            self.sim.trace.to_jsonl(trace)
        if pcap:
            self.sim.save_pcap(pcap)
        if report:
            with open(report, "w", encoding="utf-8") as fp:
                json.dump(self.report(), fp, indent=2)
                fp.write("\n")


def _open(sim: Any, *, pty: bool, tcp: str | None, link: str | None, allow_remote: bool,
          max_lag: float, log: IO[str] | None) -> Served:
    if tcp is not None:
        host, port = parse_tcp_address(tcp)
        endpoint: PtyEndpoint | TcpEndpoint = TcpEndpoint(host, port, allow_remote=allow_remote)
    elif pty:
        endpoint = PtyEndpoint(link)
    else:
        raise ConfigError("serve", "choose --pty or --tcp HOST:PORT")
    return Served(sim, endpoint, Bridge(sim, endpoint, max_lag=max_lag, log=log))


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
) -> Iterator[str]:
    """Serve the scenario's module in a background thread; yields the device path or URL.

    >>> with simnet.serve("scenarios/quickstart.yaml", pty=True) as port:   # doctest: +SKIP
    ...     serial.Serial(port, 115200).write(b"AT\\r")
    """
    sim = build_realtime_simulation(scenario, seed, boot)
    served = _open(sim, pty=pty, tcp=tcp, link=link, allow_remote=allow_remote, max_lag=max_lag, log=log)
    stop = threading.Event()
    thread = threading.Thread(target=served.bridge.run, args=(stop.is_set,), name="simnet-bridge", daemon=True)
    thread.start()
    try:
        yield served.address
    finally:
        stop.set()
        served.bridge.wake()
        thread.join(timeout=10)
        try:
            served.write_outputs(report=report, trace=trace, pcap=pcap)
        finally:
            served.endpoint.close()
            served.bridge.close()


def run_serve_command(args: Any, out: IO[str], err: IO[str]) -> int:
    """Body of ``simnet serve`` (argparse namespace from the CLI)."""
    try:
        sim = build_realtime_simulation(args.file, args.seed, getattr(args, "boot", None))
        served = _open(sim, pty=args.pty or args.tcp is None, tcp=args.tcp, link=args.link,
                       allow_remote=args.allow_remote, max_lag=args.max_lag, log=err)
    except ConfigError as exc:
        print(f"simnet serve: {exc}", file=err)
        return 2
    except (OSError, ValueError) as exc:
        print(f"simnet serve: {exc}", file=err)
        return 2
    if getattr(sim.scenario, "steps", None):
        print("simnet serve: the scenario's steps are ignored: the program on the "
              f"{'pty' if isinstance(served.endpoint, PtyEndpoint) else 'port'} is the host", file=err)
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()
        served.bridge.wake()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    print(served.address, file=out, flush=True)
    try:
        served.bridge.run(stop.is_set)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        try:
            served.write_outputs(report=args.report, trace=args.trace, pcap=args.pcap)
        finally:
            served.endpoint.close()
            served.bridge.close()
    print(f"simnet serve: stopped at virtual t={sim.now:.3f} s", file=err)
    return 0


def add_serve_arguments(parser: Any) -> None:
    parser.add_argument("file", help="scenario YAML (module, network, hosts, faults)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--pty", action="store_true", help="serve on a pseudo-terminal (default)")
    mode.add_argument("--tcp", metavar="HOST:PORT", help="serve raw bytes on a TCP port (pyserial socket://)")
    parser.add_argument("--link", metavar="PATH", help="keep a symlink to the pty at PATH")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow --tcp on a non-loopback address (prints a warning)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--boot", choices=("booted", "cold"), default=None,
                        help="cold: switch the module on now (deaf while it boots, then its boot "
                        "lines); booted (default unless the scenario says boot: cold): ready at once")
    parser.add_argument("--max-lag", type=float, default=0.2,
                        help="seconds behind the wall clock before the bridge warns (default 0.2)")
    parser.add_argument("--report", metavar="OUT.json")
    parser.add_argument("--trace", metavar="OUT.jsonl")
    parser.add_argument("--pcap", metavar="OUT.pcap")


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - thin wrapper
    import argparse

    parser = argparse.ArgumentParser(prog="simnet serve")
    add_serve_arguments(parser)
    return run_serve_command(parser.parse_args(argv), sys.stdout, sys.stderr)
