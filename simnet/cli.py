"""Command-line entry point ``simnet``.

``run``, ``validate``, ``modules`` and ``plot`` belong to the scenario layer; ``serve`` belongs
to the real-time bridge, which sits above it, so the dispatch between them lives here at the top.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "serve":
        from simnet.bridge.serve import main as serve_main

        return serve_main(args[1:])
    from simnet.scenario.cli import main as scenario_main

    code = scenario_main(args)
    if not args or args[0] in ("-h", "--help"):
        print("\nreal time:\n  serve               expose a scenario's module on a pty or loopback TCP "
              "port (simnet serve --help)", file=sys.stderr if not args else sys.stdout)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
