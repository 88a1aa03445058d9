"""The scenario library and the notebooks, found wherever simnet is: a checkout or a wheel.

In a checkout the library is the repository's own ``scenarios/`` and ``notebooks/`` folders
(the tests, ``make demo`` and the README use them there). A wheel carries copies of both as
package data under ``simnet/_library/`` (``setup.py`` copies them at build time, so nobody has
to move the folders). ``example("quickstart")`` gives the path of a library scenario either
way; ``simnet run --example quickstart`` uses it.

This module imports nothing from the layers: it only finds files.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from simnet.errors import ConfigError

_PACKAGE = Path(__file__).resolve().parent
PACKAGED = _PACKAGE / "_library"  # in an installed wheel
SCENARIO_SUFFIX = ".yaml"


def _checkout() -> Path | None:
    """The repository root when simnet is imported from a checkout (editable install)."""
    root = _PACKAGE.parent
    if (root / "pyproject.toml").is_file() and (root / "scenarios" / "quickstart.yaml").is_file():
        return root
    return None


def _base() -> Path:
    if (PACKAGED / "scenarios").is_dir():
        return PACKAGED
    root = _checkout()
    if root is None:
        raise ConfigError(
            "library",
            f"the scenario library is not installed (expected {PACKAGED / 'scenarios'} "
            "in a wheel, or a checkout with scenarios/ beside simnet/)",
        )
    return root


def scenarios_dir() -> Path:
    """The folder of library scenarios (``quickstart.yaml``, ``simcom/…``, ``fibocom/…``)."""
    return _base() / "scenarios"


def notebooks_dir() -> Path:
    """The folder of the example notebooks (``01-quickstart.ipynb`` …)."""
    return _base() / "notebooks"


def examples() -> list[str]:
    """Every library scenario by name: its path below the library without ``.yaml``
    (``quickstart``, ``simcom/sim7600-tcp-echo``), sorted."""
    base = scenarios_dir()
    return sorted(
        p.relative_to(base).with_suffix("").as_posix() for p in base.rglob(f"*{SCENARIO_SUFFIX}")
    )


def example(name: str) -> Path:
    """The path of a library scenario by name: ``quickstart``, ``simcom/sim7600-tcp-echo`` (with
    or without ``.yaml``), or a file name that is unique in the library (``sim7600-tcp-echo``).
    Raises ConfigError naming close matches."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(
            "example", f"expected the name of a library scenario such as 'quickstart', got {name!r}"
        )
    wanted = name.strip().removesuffix(SCENARIO_SUFFIX).replace("\\", "/").strip("/")
    names = examples()
    if wanted in names:
        return scenarios_dir() / f"{wanted}{SCENARIO_SUFFIX}"
    by_stem = [n for n in names if n.rsplit("/", 1)[-1] == wanted]
    if len(by_stem) == 1:
        return scenarios_dir() / f"{by_stem[0]}{SCENARIO_SUFFIX}"
    if len(by_stem) > 1:
        raise ConfigError(
            "example",
            f"{name!r} is in several folders: {', '.join(by_stem)} (expected one of them)",
        )
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else " (simnet examples lists them)"
    raise ConfigError("example", f"no library scenario named {name!r}{hint}")


def copy_to(target: str | Path) -> list[Path]:
    """Copy the library's ``scenarios/`` and ``notebooks/`` into ``target`` (which may exist;
    files already there are left alone). Returns the files written."""
    import shutil

    target = Path(target)
    written: list[Path] = []
    for folder in (scenarios_dir(), notebooks_dir()):
        if not folder.is_dir():
            continue
        for src in sorted(folder.rglob("*")):
            if not src.is_file() or "__pycache__" in src.parts or ".ipynb_checkpoints" in src.parts:
                continue
            dst = target / folder.name / src.relative_to(folder)
            if dst.exists():
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            written.append(dst)
    return written


def scenario_argument(file: str | None, example_name: str | None) -> str:
    """The scenario path of a command line that takes ``FILE.yaml`` or ``--example NAME``
    (exactly one of them); ConfigError says what is wrong."""
    if file is not None and example_name is not None:
        raise ConfigError(
            "--example",
            f"give a scenario file or --example, not both (got {file!r} and {example_name!r})",
        )
    if example_name is not None:
        return str(example(example_name))
    if file is None:
        raise ConfigError(
            "FILE.yaml", "expected a scenario file or --example NAME (simnet examples lists them)"
        )
    return file
