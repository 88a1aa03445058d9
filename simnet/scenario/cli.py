"""``simnet`` command line: run, validate, modules, plot.

Exit status (contract): 0 every step and check passed; 1 a step or check failed (or a repeat
gave a different digest); 2 invalid scenario file or usage. Heavy libraries (scapy, pandas,
matplotlib) are imported only by the subcommands that need them, so ``simnet run`` reaches the
first AT answer quickly.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import IO, Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep that, but print to our stream.

    ``commands`` maps each subcommand to its parser, so that a word left over after a
    subcommand's arguments is reported with that subcommand's usage (``simnet run a.yaml
    b.yaml``), not the top-level one; ``mention`` adds a command dispatched above this layer
    (serve, sweep, chaos) to the COMMAND list of ``--help``."""

    commands: dict[str, argparse.ArgumentParser]
    command_action: Any

    def mention(self, name: str, help_text: str) -> None:
        self.command_action.add_parser(name, help=help_text, add_help=False)


def _build_parser() -> _Parser:
    p = _Parser(
        prog="simnet", description="Emulated cellular modules on a virtual-time GPRS/GSM network."
    )
    # handled by simnet.cli before this parser runs; listed here so that --help shows it
    p.add_argument("-V", "--version", action="store_true", help="print simnet's version and build")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run a scenario file and report step by step")
    run.add_argument("file", metavar="FILE.yaml", nargs="?")
    run.add_argument(
        "--example",
        metavar="NAME",
        help="a scenario of the library shipped with simnet "
        "(quickstart, simcom/sim7600-tcp-echo, ...: simnet examples lists them)",
    )
    run.add_argument("--seed", type=int, default=None, help="override the scenario seed")
    run.add_argument("--report", metavar="OUT.json", help="write the JSON report here")
    run.add_argument(
        "--trace",
        metavar="OUT.jsonl|OUT.parquet",
        help="stream the trace here as it happens (JSON lines, or Parquet by the name)",
    )
    run.add_argument(
        "--trace-level",
        choices=("full", "no-packets", "events"),
        default=None,
        help="record kinds kept in memory (the digest and --trace still get all)",
    )
    run.add_argument(
        "--trace-ring",
        type=int,
        default=None,
        metavar="N",
        help="keep only the newest N records in memory",
    )
    run.add_argument(
        "--pcap",
        metavar="[POINT=]OUT.pcap",
        action="append",
        default=[],
        help="write the packets seen at a capture point (pcap): module (the default), "
        "core-inside, core-outside or a host name; repeat for several points",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="print only the verdict")
    run.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run N times and check every run gives the same trace digest",
    )
    run.add_argument(
        "--max-wall",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop a run that takes more than SECONDS of wall-clock time (a failed step)",
    )

    val = sub.add_parser(
        "validate", help="check scenario files (or directories of them) without running them"
    )
    val.add_argument("files", nargs="*", metavar="FILE.yaml|DIR")
    val.add_argument(
        "--library", action="store_true", help="also check every scenario of the shipped library"
    )

    ex = sub.add_parser(
        "examples", help="list the scenario library shipped with simnet (simnet run --example NAME)"
    )
    ex.add_argument("--path", action="store_true", help="print the folder of the library instead")
    ex.add_argument(
        "--copy", metavar="DIR", help="copy the library's scenarios/ and notebooks/ into DIR"
    )

    sub.add_parser("modules", help="list the emulated module ids")

    new = sub.add_parser(
        "new", help="scaffold a commented scenario for a module and a story, from the library"
    )
    new.add_argument(
        "story", nargs="?", metavar="STORY", help="echo, ftp, mail, nat-idle, ppp-dialup or sweep"
    )
    new.add_argument("--module", metavar="ID", help="the module (simnet modules)")
    new.add_argument("-o", "--out", metavar="FILE.yaml", help="write it here (default: print it)")
    new.add_argument("--name", help="the scenario's name")
    new.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    new.add_argument(
        "--list", action="store_true", help="list the stories and the modules each exists for"
    )

    sch = sub.add_parser("schema", help="print the JSON Schema of scenario files (for editors)")
    sch.add_argument("-o", "--out", metavar="FILE.json", help="write it here (default: print it)")

    imp = sub.add_parser(
        "import",
        help="turn a serial log of AT traffic into a scenario (and replay it)",
        description="Read a serial capture ('>'/'<' lines with or without timestamps, "
        "a serial monitor or TinyGSM StreamDebugger log, minicom/picocom captures, hex "
        "dumps, socat -x -v) and write a scenario that replays the host and expects what "
        "the module said.",
    )
    imp.add_argument("log", metavar="LOG")
    imp.add_argument(
        "--module",
        required=True,
        metavar="ID",
        help="the emulated module to replay on (simnet modules)",
    )
    imp.add_argument(
        "-o", "--out", metavar="OUT.yaml", help="write the scenario here (default: print it)"
    )
    imp.add_argument("--name", help="the scenario's name")
    imp.add_argument(
        "--replay",
        action="store_true",
        help="run the scenario and list every line where the emulator and the field module "
             "disagree "
        "(exit 1 if any)",
    )

    plot = sub.add_parser(
        "plot", help="draw a sequence chart from a trace (or a scenario, run first)"
    )
    plot.add_argument("trace", metavar="TRACE.jsonl|SCENARIO.yaml")
    plot.add_argument(
        "--out", required=True, metavar="CHART.png|svg", help="the chart file (format by the name)"
    )
    plot.add_argument("--start", type=float, default=None, help="first virtual second to draw")
    plot.add_argument("--end", type=float, default=None, help="last virtual second to draw")
    plot.add_argument("--max-events", type=int, default=400, help="at most this many arrows")
    p.commands = dict(sub.choices)
    p.command_action = sub
    return p


def _parse(parser: _Parser, argv: list[str] | None) -> argparse.Namespace:
    """``parse_args``, but words nobody takes are reported by the subcommand they follow."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        owner = parser.commands.get(args.command or "", parser)
        owner.error(f"unrecognized arguments: {' '.join(extra)}")  # exits 2, with its usage
    return args


def main(
    argv: list[str] | None = None, *, out: IO[str] | None = None, err: IO[str] | None = None
) -> int:
    out = out or _tolerant(sys.stdout)
    err = err or _tolerant(sys.stderr)
    parser = _build_parser()
    try:
        args = _parse(parser, argv)
    except SystemExit as exc:  # argparse: usage errors are exit 2, --help is 0
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(err)
        return EXIT_USAGE
    if args.command in ("run", "validate"):
        from simnet.errors import ConfigError
        from simnet.library import scenario_argument, scenarios_dir

        try:
            if args.command == "run":
                args.file = scenario_argument(args.file, args.example)
            elif args.library:
                args.files.append(str(scenarios_dir()))
            elif not args.files:
                raise ConfigError("FILE.yaml", "expected scenario files or folders (or --library)")
        except ConfigError as exc:
            print(f"simnet {args.command}: {exc}", file=err)
            return EXIT_USAGE
    if args.command == "run":
        return cmd_run(args, out, err)
    if args.command == "validate":
        return cmd_validate(args.files, out, err)
    if args.command == "examples":
        return cmd_examples(args, out, err)
    if args.command == "modules":
        return cmd_modules(out, err)
    if args.command == "import":
        return cmd_import(args, out, err)
    if args.command == "new":
        return cmd_new(args, out, err)
    if args.command == "schema":
        return cmd_schema(args, out, err)
    if args.command == "plot":
        return cmd_plot(args, out, err)
    return EXIT_USAGE  # pragma: no cover


def _tolerant(stream: IO[str]) -> IO[str]:
    """The stream, set to escape what its encoding cannot show (a file name with undecodable
    bytes arrives as lone surrogates; a C locale cannot print 'é') instead of raising."""
    reconfigure = getattr(stream, "reconfigure", None)
    if callable(reconfigure):
        try:
            reconfigure(errors="backslashreplace")
        except (ValueError, OSError):  # already written to, or not a text wrapper
            pass
    return stream


def cmd_validate(files: list[str], out: IO[str], err: IO[str]) -> int:
    from pathlib import Path

    from simnet.scenario.loader import load_file
    from simnet.scenario.schema import validate

    status = EXIT_OK
    expanded: list[str] = []
    for name in files:  # a directory means every scenario below it
        p = Path(name)
        expanded.extend(sorted(str(f) for f in p.rglob("*.yaml")) if p.is_dir() else [name])
    for path in expanded:
        scenario, problems = validate(load_file(path))
        if problems:
            status = EXIT_USAGE
            for problem in problems:
                print(problem, file=err)
        else:
            assert scenario is not None
            print(
                f"{path}: ok ({scenario.name}; {len(scenario.steps)} steps, "
                f"{len(scenario.faults)} faults, {len(scenario.checks)} checks)",
                file=out,
            )
    return status


def cmd_examples(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from simnet import library
    from simnet.errors import ConfigError

    try:
        if args.path:
            print(library.scenarios_dir(), file=out)
            return EXIT_OK
        if args.copy:
            written = library.copy_to(args.copy)
            print(
                f"copied {len(written)} files into {args.copy} (scenarios/, notebooks/; files "
                "already "
                "there were kept)",
                file=out,
            )
            return EXIT_OK
        names = library.examples()
    except (ConfigError, OSError) as exc:
        print(f"simnet examples: {exc}", file=err)
        return EXIT_USAGE
    for name in names:
        print(name, file=out)
    print(
        f"{len(names)} scenarios in {library.scenarios_dir()}; run one with simnet run --example "
        "NAME",
        file=err,
    )
    return EXIT_OK


def cmd_schema(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from simnet.scenario.json_schema import schema_text

    text = schema_text()
    if not args.out:
        out.write(text)
        return EXIT_OK
    try:
        with open(args.out, "w", encoding="utf-8") as fp:
            fp.write(text)
    except OSError as exc:
        print(f"simnet schema: cannot write {args.out}: {exc.strerror or exc}", file=err)
        return EXIT_USAGE
    print(f"wrote {args.out}", file=out)
    return EXIT_OK


def cmd_new(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import os

    from simnet.errors import ConfigError
    from simnet.scenario.scaffold import scaffold, stories

    if args.list or args.story is None:
        if not args.list:
            print(
                "simnet new: STORY: expected one of these (simnet new STORY --module ID "
                "-o FILE.yaml):",
                file=err,
            )
        for story, entry in stories().items():
            print(f"{story:<11} {entry.summary} ({', '.join(entry.by_module)})", file=out)
        return EXIT_OK if args.list else EXIT_USAGE
    known = stories().get(args.story)
    if args.module is None and known is not None:
        print(
            f"simnet new: --module: expected one of {', '.join(known.by_module)} (the modules "
            f"the {args.story} story exists for)",
            file=err,
        )
        return EXIT_USAGE
    try:
        text = scaffold(args.story, args.module, name=args.name, out=args.out)
    except ConfigError as exc:
        print(f"simnet new: {exc}", file=err)
        return EXIT_USAGE
    if not args.out:
        out.write(text)
        return EXIT_OK
    if os.path.exists(args.out) and not args.force:
        print(f"simnet new: {args.out} exists (expected a new file, or --force)", file=err)
        return EXIT_USAGE
    try:
        with open(args.out, "w", encoding="utf-8") as fp:
            fp.write(text)
    except OSError as exc:
        print(f"simnet new: cannot write {args.out}: {exc.strerror or exc}", file=err)
        return EXIT_USAGE
    print(
        f"wrote {args.out}: the {args.story} story on {args.module}; run it with simnet run "
        f"{args.out}",
        file=out,
    )
    return EXIT_OK


def cmd_import(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import os
    import tempfile

    from simnet.scenario.fieldlog import LogError, import_log, replay
    from simnet.scenario.loader import load_text
    from simnet.scenario.schema import validate

    try:
        with open(args.log, encoding="utf-8", errors="surrogateescape") as fp:
            text = fp.read(4 << 20)
    except OSError as exc:
        print(f"simnet import: cannot read {args.log}: {exc.strerror or exc}", file=err)
        return EXIT_USAGE
    try:
        imported = import_log(
            text.encode("utf-8", "surrogateescape").decode("latin-1"), args.module, args.log
        )
    except LogError as exc:
        print(f"simnet import: {exc}", file=err)
        return EXIT_USAGE
    yaml_text = imported.to_yaml(args.name, args.out)
    target = args.out or "<imported>"
    _, problems = validate(load_text(yaml_text, target))
    if problems:
        for p in problems:
            print(p, file=err)
        return EXIT_USAGE
    unsupported = ", ".join(f"AT{n}" for n in sorted(imported.unsupported)) or "none"
    print(
        f"simnet import: {args.log}: {imported.log.format}; {imported.commands} host commands, "
        f"{imported.module_lines} module lines; not implemented by {args.module}: {unsupported}",
        file=err,
    )
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as fp:
                fp.write(yaml_text)
        except OSError as exc:
            print(f"simnet import: cannot write {args.out}: {exc.strerror or exc}", file=err)
            return EXIT_USAGE
    elif not args.replay:
        out.write(yaml_text)
    if not args.replay:
        return EXIT_OK
    path = args.out
    if path is None:
        fd, path = tempfile.mkstemp(suffix=".yaml", prefix="simnet-import-")
        with os.fdopen(fd, "w", encoding="utf-8") as fp:
            fp.write(yaml_text)
    try:
        divergences, count = replay(path, args.log)
    finally:
        if args.out is None:
            os.unlink(path)
    shown = args.out or "(scenario)"
    for d in divergences:
        print(d.describe(args.log, shown), file=out)
    verdict = (
        "agrees with the log"
        if not divergences
        else f"diverges from the log at {len(divergences)} "
             f"line{'s' if len(divergences) > 1 else ''}"
    )
    print(f"replay of {args.log} on {args.module}: {count} steps; the emulator {verdict}", file=out)
    return EXIT_OK if not divergences else EXIT_FAILED


def cmd_modules(out: IO[str], err: IO[str]) -> int:
    try:
        from simnet.modem import registry

        summaries = module_summaries(registry)
    except Exception as exc:  # the registry is another layer's: report, do not trace back
        print(
            f"simnet modules: the module registry is not available: {type(exc).__name__}: {exc}",
            file=err,
        )
        return EXIT_FAILED
    for mod_id, summary in summaries:
        print(f"{mod_id:<18} {summary}", file=out)
    return EXIT_OK


def module_summaries(registry: object) -> list[tuple[str, str]]:
    """(id, one-line description) for every profile the registry knows."""
    lister = getattr(registry, "list_modules", None)
    items = lister() if callable(lister) else list(getattr(registry, "MODULES", {}).values())
    out: list[tuple[str, str]] = []
    for item in items:
        profile = item
        if isinstance(item, str):
            profile = registry.get_profile(item)  # type: ignore[attr-defined]
        mod_id = getattr(profile, "id", str(item))
        summary = getattr(profile, "summary", None) or getattr(profile, "description", None) or ""
        if not summary:
            summary = " ".join(
                str(getattr(profile, a, ""))
                for a in ("manufacturer", "model")
                if getattr(profile, a, "")
            )
        loader = getattr(registry, "load_dialect_class", None)
        if callable(loader):
            try:
                loader(profile)
            except Exception:  # the registry says which dialects cannot be loaded yet
                summary += " (dialect not built yet)"
        out.append((mod_id, summary))
    return out


def _modules_of(scenario: Any) -> str:
    """What runs: ``module simcom-sim7600``, or for a fleet how many devices of which modules
    (a mixed fleet's first module alone would misname the others)."""
    if not scenario.devices:
        return f"module {scenario.module}"
    counts: dict[str, int] = {}
    for device in scenario.devices:
        counts[device.module] = counts.get(device.module, 0) + 1
    kinds = ", ".join(f"{n} {module}" for module, n in counts.items())
    return f"fleet of {len(scenario.devices)} devices ({kinds})"


def cmd_run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from simnet.scenario.loader import load_file
    from simnet.scenario.schema import locate_config_error, validate

    if args.repeat < 1:
        print("simnet run: --repeat must be at least 1", file=err)
        return EXIT_USAGE
    if args.max_wall is not None and not 0 < args.max_wall < 1e7:
        print("simnet run: --max-wall must be a positive number of seconds", file=err)
        return EXIT_USAGE
    loaded = load_file(args.file)
    scenario, problems = validate(loaded)
    if problems:
        for p in problems:
            print(p, file=err)
        return EXIT_USAGE
    assert scenario is not None
    if (
        not scenario.steps
        and scenario.program is None
        and not any(d.steps for d in scenario.devices)
    ):
        # A scenario without steps is a world for a Python host or `simnet serve`: run has
        # nothing to do.
        print(
            f"{args.file}:1: steps: nothing to run (expected a list of steps such as "
            "[{send: AT}, {expect: OK}]; without steps, use the Python API or simnet serve)",
            file=err,
        )
        return EXIT_USAGE

    from simnet.errors import ConfigError
    from simnet.scenario.api import Simulation
    from simnet.scenario.report import (
        build_report,
        describe_failure,
        format_check,
        format_invariant,
        format_step,
        write_report,
    )
    from simnet.scenario.runner import Runner

    try:
        from simnet.scenario.world import preload

        preload(scenario)  # first imports are not simulation time
    except ImportError as exc:
        print(f"{args.file}: cannot load a layer: {exc}", file=err)
        return EXIT_FAILED
    pcaps = _pcap_requests(args.pcap, scenario, err)
    if pcaps is None:
        return EXIT_USAGE
    for point, _path in pcaps:
        if point not in scenario.capture and point != "module":
            scenario.capture.append(point)  # asked for on the command line: capture it too
    seed = scenario.seed if args.seed is None else args.seed
    quiet = args.quiet
    if not quiet:
        what = _modules_of(scenario)
        print(f"simnet: {scenario.name} ({args.file}), {what}, seed {seed}", file=out)
    results = []
    trace_config = scenario.trace
    if args.trace_level is not None or args.trace_ring is not None:
        from simnet.kernel.trace import TraceConfig

        base = trace_config or TraceConfig()
        try:
            trace_config = TraceConfig(
                level=args.trace_level or base.level,
                kinds=base.kinds if args.trace_level is None else None,
                ring=args.trace_ring if args.trace_ring is not None else base.ring,
                field_path="--trace",
            )
        except ConfigError as exc:
            print(f"simnet run: {exc}", file=err)
            return EXIT_USAGE
    for run_no in range(args.repeat):
        first = run_no == 0
        sim = None
        try:
            wall_start = time.perf_counter()  # the wall time includes building the world
            try:
                sim = Simulation(
                    seed=seed,
                    scenario=scenario,
                    trace_config=trace_config,
                    trace_stream=args.trace if first else None,
                )
            except OSError as exc:
                print(f"simnet run: cannot write the trace: {exc}", file=err)
                return EXIT_USAGE
            except ConfigError as exc:  # a layer below refused a value the schema let through
                print(locate_config_error(loaded, exc), file=err)
                return EXIT_USAGE
            except Exception as exc:  # a layer below failed to build: say what, no traceback
                print(
                    f"{args.file}: cannot build the simulated world: {type(exc).__name__}: {exc}",
                    file=err,
                )
                return EXIT_FAILED
            progress = _Progress(sim, err) if (first and not quiet) else None
            runner = Runner(
                sim,
                on_step=(lambda s: print(format_step(s), file=out, flush=True))
                if (first and not quiet)
                else None,
                max_wall=args.max_wall,
            )
            result = runner.run()
            result.wall_time = time.perf_counter() - wall_start
            if progress is not None:
                progress.stop()
            if first and not quiet:
                if result.devices:
                    ok = sum(1 for d in result.devices if d.passed)
                    print(f"[   fleet    ] {ok} of {len(result.devices)} devices passed", file=out)
                    for d in [d for d in result.devices if not d.passed][:10]:
                        f = d.failure
                        where = (
                            f"step {f.index + 1} ({f.kind} '{f.text}')" if f is not None else "?"
                        )
                        print(
                            f"[   fleet    ] FAIL {d.name} ({d.module}): {where}: "
                            f"{f.detail if f else ''}",
                            file=out,
                        )
                for c in result.checks:
                    print(format_check(c), file=out)
                for inv in result.invariants:
                    print(format_invariant(inv), file=out)
                for s in result.steps:
                    if s.passed is None:
                        print(format_step(s), file=out)
            if first and pcaps:
                try:
                    for point, path in pcaps:
                        count = sim.world.save_capture(point, path)
                        if point == "module" and not quiet and len(sim.world.pcap_files) > 1:
                            print(
                                f"  pcap: IP packets in {path}, PPP frames in "
                                f"{sim.world.pcap_files[1]}",
                                file=out,
                            )
                        elif not quiet and len(pcaps) > 1:
                            print(f"  pcap: {point}: {count} packets in {path}", file=out)
                except (OSError, ConfigError) as exc:
                    print(f"simnet run: cannot write the pcap: {exc}", file=err)
                    return EXIT_USAGE
        finally:
            if sim is not None:
                sim.trace.close()
        results.append(result)
        if not quiet and not first:
            same = result.digest == results[0].digest
            print(
                f"repeat {run_no + 1}: digest {result.digest[:16]}… "
                f"{'identical' if same else 'DIFFERENT'}",
                file=out,
            )
    report = build_report(results)
    if args.report:
        try:
            write_report(report, args.report)
        except OSError as exc:
            print(f"simnet run: cannot write the report: {exc}", file=err)
            return EXIT_USAGE
    first_result = results[0]
    failure = describe_failure(first_result)
    verdict = "PASSED" if report["passed"] else "FAILED"
    ratio = report["ratio"]
    ratio_text = (
        (f", {ratio:,.0f}x real time" if ratio >= 10 else f", {ratio:.2g}x real time")
        if ratio
        else ""
    )
    print(
        f"{verdict}: {scenario.name} — virtual {first_result.virtual_time:.3f} s, wall "
        f"{first_result.wall_time:.3f} s{ratio_text}, digest {first_result.digest[:16]}",
        file=out,
    )
    if failure:
        print(f"  {failure}", file=out)
    if report["digest_repeat_ok"] is not None:
        print(
            f"  determinism: {len(results)} runs with seed {seed}: "
            f"{'identical digests' if report['digest_repeat_ok'] else 'DIGESTS DIFFER'}",
            file=out,
        )
    return EXIT_OK if report["passed"] else EXIT_FAILED


class _Progress:
    """Prints the virtual time reached every couple of wall seconds on long runs.

    A timer on the virtual clock that only reads the wall clock and prints: it records nothing
    and changes no model state, so the trace digest is the same with and without it."""

    INTERVAL_VIRTUAL = 5.0
    INTERVAL_WALL = 2.0

    def __init__(self, sim, err: IO[str]) -> None:
        self.sim = sim
        self.err = err
        self.active = True
        self.last_wall = self.last_tick_wall = time.perf_counter()
        self.interval = self.INTERVAL_VIRTUAL
        self.timer = sim.call_later(self.interval, self._tick)

    def _tick(self) -> None:
        if not self.active:
            return
        # Display only: the wall clock decides when to print, never what the model does.
        wall_now = time.perf_counter()
        if wall_now - self.last_wall >= self.INTERVAL_WALL:
            self.last_wall = wall_now
            print(f"  … virtual time {self.sim.now:.1f} s", file=self.err, flush=True)
        elif wall_now - self.last_tick_wall < self.INTERVAL_WALL / 20:
            # Virtual time is flying (an idle wait): tick less often, so a `wait: 30d` does not
            # cost millions of ticks.
            self.interval = min(self.interval * 2, 1e6)
        self.last_tick_wall = wall_now
        self.timer = self.sim.call_later(self.interval, self._tick)

    def stop(self) -> None:
        self.active = False
        self.timer.cancel()


def _pcap_requests(
    values: list[str], scenario: object, err: IO[str]
) -> list[tuple[str, str]] | None:
    """``--pcap OUT.pcap`` (the module) and ``--pcap POINT=OUT.pcap`` as (point, path) pairs;
    None after printing the reason when a point is unknown or the scenario is a fleet."""
    from simnet.scenario.schema import CAPTURE_POINTS

    known = [*CAPTURE_POINTS, *(h.name for h in getattr(scenario, "hosts", []))]
    out: list[tuple[str, str]] = []
    for value in values:
        point, sep, path = value.partition("=")
        if not sep:
            point, path = "module", value
        elif point not in known:
            if "/" in point or "\\" in point:
                point, path = "module", value  # a path with '=' in it
            else:
                print(
                    f"simnet run: --pcap {value}: unknown capture point {point!r} (expected one of "
                    f"{', '.join(known)})",
                    file=err,
                )
                return None
        if getattr(scenario, "devices", None):
            print("simnet run: --pcap: a fleet keeps no pcap capture", file=err)
            return None
        out.append((point, path))
    return out


def cmd_plot(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from simnet.kernel.trace import read_jsonl

    if args.trace.lower().endswith((".yaml", ".yml")):
        return _plot_scenario(args, out, err)
    try:
        records = read_jsonl(args.trace)
    except (OSError, ValueError, KeyError) as exc:
        print(f"simnet plot: cannot read {args.trace}: {exc}", file=err)
        return EXIT_USAGE
    if not args.out.lower().endswith((".png", ".svg", ".pdf")):
        print("simnet plot: --out must end in .png, .svg or .pdf", file=err)
        return EXIT_USAGE
    from simnet.scenario.plot import sequence_chart

    sequence_chart(records, args.out, start=args.start, end=args.end, max_events=args.max_events)
    print(f"wrote {args.out}", file=out)
    return EXIT_OK


def _plot_scenario(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """``simnet plot FILE.yaml``: run the scenario (its own seed) and chart its trace."""
    import os
    import tempfile

    from simnet.errors import ConfigError
    from simnet.kernel.trace import read_jsonl
    from simnet.scenario.api import Simulation
    from simnet.scenario.loader import load_file
    from simnet.scenario.plot import sequence_chart
    from simnet.scenario.runner import Runner
    from simnet.scenario.schema import locate_config_error, validate

    if not args.out.lower().endswith((".png", ".svg", ".pdf")):
        print("simnet plot: --out must end in .png, .svg or .pdf", file=err)
        return EXIT_USAGE
    loaded = load_file(args.trace)
    scenario, problems = validate(loaded)
    if problems:
        for p in problems:
            print(p, file=err)
        return EXIT_USAGE
    fd, tmp = tempfile.mkstemp(suffix=".jsonl")
    os.close(fd)
    try:
        try:
            sim = Simulation(scenario=scenario, trace_stream=tmp)
        except ConfigError as exc:
            print(locate_config_error(loaded, exc), file=err)
            return EXIT_USAGE
        Runner(sim).run()
        sim.trace.close()
        records = read_jsonl(tmp)
    finally:
        os.unlink(tmp)
    sequence_chart(records, args.out, start=args.start, end=args.end, max_events=args.max_events)
    print(f"wrote {args.out}", file=out)
    return EXIT_OK
