"""Command-line entry point ``simnet``.

``run``, ``validate``, ``modules`` and ``plot`` belong to the scenario layer; ``serve`` belongs
to the real-time bridge and ``sweep`` to the experiments package, which sit above it, so the
dispatch between them lives here at the top.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
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
    from simnet.scenario.cli import main as scenario_main

    code = scenario_main(args)
    if not args or args[0] in ("-h", "--help"):
        print(
            "\nreal time:\n  serve               expose a scenario's module on a pty or loopback "
            "TCP "
            "port (simnet serve --help)\n"
            "experiments:\n  sweep               run a scenario over parameter values and seeds "
            "on all cores (simnet sweep --help)\n"
            "  chaos               seeded fault storms, invariants and shrinking "
            "(simnet chaos --help)\n"
            "\n  --version           print simnet's version",
            file=sys.stderr if not args else sys.stdout,
        )
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
