"""``program:`` - a Python host program as a scenario's host, instead of ``steps:``.

The program is ``function(sim, **args)``: it drives ``sim.dte`` on the virtual clock as any
host code does (``dte.command``, ``dte.expect``, ``sim.spawn``...), may state what it believes
it achieved in ``sim.claims`` (the integrity invariant checks that against the peers), and
returns True / a dict for success, False for failure. ``ExpectTimeout`` out of it is the host
giving up (a failed run); any other exception is a bug in the host program, reported as such.

A target ``file.py:function`` is loaded from the scenario's own directory (or below it), so a
scenario names the code it ships with; ``package.module:function`` is imported. Either way a
scenario with ``program:`` runs Python code: run such files only from sources you trust (the
same as a Makefile or a conftest.py).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import traceback
from collections.abc import Callable
from typing import Any

from simnet.errors import ConfigError, ExpectTimeout
from simnet.scenario.chaos_schema import resolve_program_file
from simnet.scenario.model import ProgramSpec


def load_program(spec: ProgramSpec, scenario_file: str) -> Callable[..., Any]:
    """The callable a ``program:`` names; ConfigError (field ``program``) if it cannot be had."""
    where, _, name = spec.target.rpartition(":")
    try:
        if where.endswith(".py"):
            path = resolve_program_file(scenario_file, where)
            if path is None:
                raise ConfigError("program", f"{where}: no such file beside the scenario")
            mod_name = "simnet_program_" + hashlib.sha256(str(path).encode()).hexdigest()[:16]
            module = sys.modules.get(mod_name)
            if module is None:
                loader_spec = importlib.util.spec_from_file_location(mod_name, path)
                if loader_spec is None or loader_spec.loader is None:
                    raise ConfigError("program", f"{where}: cannot be loaded as Python")
                module = importlib.util.module_from_spec(loader_spec)
                sys.modules[mod_name] = module
                try:
                    loader_spec.loader.exec_module(module)
                except BaseException:
                    del sys.modules[mod_name]
                    raise
        else:
            module = importlib.import_module(where)
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(
            "program", f"cannot load {spec.target}: {type(exc).__name__}: {exc}"
        ) from exc
    fn = getattr(module, name, None)
    if not callable(fn):
        raise ConfigError("program", f"{where} has no function {name!r}")
    return fn


def run_program(sim: Any) -> tuple[bool, str, str | None, Any]:
    """Run the scenario's program (loaded when the world was built): (passed, detail, bug,
    result). ``bug`` is the text of an exception that is a host-program bug (not the host
    giving up waiting)."""
    spec = sim.scenario.program
    fn = sim.world.program or load_program(spec, sim.scenario.file)
    try:
        out = fn(sim, **spec.args)
    except ExpectTimeout as exc:
        return False, f"gave up waiting: {exc}", None, None
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return False, f"raised {text}", text, None
    finally:
        sim.cancel_tasks()  # host tasks the program left waiting end with it
    if out is False:
        return False, "returned False", None, out
    return True, "returned " + _short(out), None, out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
