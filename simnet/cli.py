"""Command-line entry point ``simnet``.

``run``, ``validate``, ``modules`` and ``plot`` belong to the scenario layer; ``serve`` belongs
to the real-time bridge and ``sweep`` to the experiments package, which sit above it, so the
dispatch between them lives here at the top.
"""

from __future__ import annotations

import os
import sys

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader left


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # `simnet examples | head`: the reader left; end quietly as cat does, not with a
        # traceback (stdout now goes nowhere, so the flush at exit cannot fail again)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE


def _main(argv: list[str] | None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from simnet.scenario.cli import _tolerant

    _tolerant(sys.stdout)  # a scenario or file name that cannot be encoded is escaped, not fatal
    _tolerant(sys.stderr)
    if args[:1] in (["--version"], ["-V"]):
        from simnet import __version__, build_info

        # the build says whether figures measured with it come from compiled code
        print(f"simnet {__version__} ({build_info()['summary']})")
        return 0
    if args and args[0] == "serve":
        from simnet.bridge.serve import main as serve_main

        return serve_main(args[1:])
    if args and args[0] == "sweep":  # experiments sit above the scenario layer, like the bridge
        from simnet.experiments.cli import main as sweep_main

        return sweep_main(args[1:])
    if (
        args and args[0] == "chaos"
    ):  # chaos runs sweep fault schedules: above the scenario layer too
        from simnet.chaos.cli import main as chaos_main

        return chaos_main(args[1:])
    if not args or args[0] in ("-h", "--help"):
        return _print_help(to_stdout=bool(args))
    from simnet.scenario.cli import main as scenario_main

    return scenario_main(args)


# Commands of the layers above the scenario layer, dispatched above: named in `simnet --help`.
UPPER_COMMANDS = (
    ("serve", "expose a scenario's module on a pty or loopback TCP port (real time)"),
    ("sweep", "run a scenario over parameter values and seeds on all cores"),
    ("chaos", "seeded fault storms against a scenario, invariants and shrinking"),
)


def _print_help(*, to_stdout: bool) -> int:
    """``simnet --help`` (exit 0, stdout) or bare ``simnet`` (exit 2, stderr): every command in
    one COMMAND list and every option under "options"."""
    from simnet.scenario.cli import _build_parser

    parser = _build_parser()
    for name, text in UPPER_COMMANDS:
        parser.mention(name, text)
    parser.print_help(sys.stdout if to_stdout else sys.stderr)
    return 0 if to_stdout else 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
