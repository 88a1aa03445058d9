"""Build hook: the wheel carries the scenario library and the notebooks as package data.

They stay where they are in the checkout (``scenarios/``, ``notebooks/``: the tests, the README
and ``make demo`` use them there, and everyone adds scenarios there); building a wheel copies
them into ``simnet/_library/``, where ``simnet.library`` finds them in an installed wheel.
With ``SIMNET_COMPILE=1`` the hot modules listed in ``simnet/_build.py`` are compiled with
mypyc (``make compiled``: mypy must be importable, hence ``--no-build-isolation``); without it
the package is pure Python. Everything else about the package is in pyproject.toml.
"""

import os
import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# folder in the checkout -> file patterns shipped from it (sub-folders included)
SHIPPED = {"scenarios": ("*.yaml", "*.md", "*.json"), "notebooks": ("*.ipynb",)}
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints"}


class BuildPyWithLibrary(build_py):
    """``build_py`` that also copies the library folders into ``simnet/_library``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's own folders
        target = Path(self.build_lib) / "simnet" / "_library"
        for folder, patterns in SHIPPED.items():
            source = ROOT / folder
            if not source.is_dir():
                raise SystemExit(
                    f"setup.py: {source} is missing: the wheel would have no {folder}/"
                )
            for pattern in patterns:
                for src in sorted(source.rglob(pattern)):
                    if SKIPPED_PARTS.intersection(src.parts) or not src.is_file():
                        continue
                    dst = target / folder / src.relative_to(source)
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(src, dst)


def compiled_extensions() -> list:
    """mypyc extensions for ``simnet._build.COMPILED`` when ``SIMNET_COMPILE=1``, else none."""
    if os.environ.get("SIMNET_COMPILE", "") not in ("1", "true", "yes"):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        raise SystemExit(
            "setup.py: SIMNET_COMPILE=1 needs mypyc (pip install mypy==2.4.1 setuptools, then "
            "pip install --no-build-isolation .; `make compiled` does both)"
        ) from None
    modules = runpy.run_path(str(ROOT / "simnet" / "_build.py"))["COMPILED"]
    os.chdir(ROOT)  # mypycify takes paths relative to the project root
    # one shared library, simnet__mypyc.*.so, whatever the list (no stale hashed names)
    return mypycify(list(modules), opt_level="3", debug_level="0", group_name="simnet")


setup(cmdclass={"build_py": BuildPyWithLibrary}, ext_modules=compiled_extensions())
