"""Command-line entry point ``simnet`` (subcommands are added by the scenario layer)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from simnet.scenario.cli import main as scenario_main

    return scenario_main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
