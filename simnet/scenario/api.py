"""The public ``simnet.Simulation``: a kernel simulation built from a scenario.

::

    sim = simnet.Simulation.from_yaml("scenarios/quickstart.yaml", seed=7)
    r = sim.dte.command("AT+NETOPEN", timeout=30)
    m = sim.dte.expect(r"\\+NETOPEN: (\\d+)", timeout=30)
    sim.advance(2.0); sim.now
    sim.trace.to_dataframe(); sim.trace.digest(); sim.save_pcap("out.pcap")
    sim.host("ftp.example.net").ftp_files()

Building the world is deferred to ``simnet.scenario.world`` (imported on first use) so that
``import simnet`` stays cheap and free of import cycles with the layers below.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, Any

from simnet.errors import ConfigError
from simnet.kernel.sim import Simulation as KernelSimulation
from simnet.kernel.trace import Trace, TraceConfig


class ScenarioError(ConfigError):
    """A scenario file or dict that does not satisfy the contract; ``problems`` lists each one
    as ``FILE:LINE: key.path: what is wrong (expected …)``."""

    def __init__(self, problems: list[Any]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(first.path, first.message, location=f"{first.file}:{first.line}")
        self.args = ("\n".join(str(p) for p in problems),)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class Simulation(KernelSimulation):
    """A kernel ``Simulation`` plus the world a scenario describes (network, module, peers).

    Without a scenario it is a bare kernel simulation (the layers' own tests use it that way).
    """

    def __init__(self, seed: int | None = None, *, scenario: Any = None, trace: Trace | None = None,
                 env: Any = None, trace_stream: IO[str] | str | os.PathLike[str] | None = None,
                 trace_config: TraceConfig | None = None) -> None:
        """``trace_config`` (default: the scenario's ``trace:``) bounds what stays in memory;
        ``trace_stream`` (an open text file, or a path ending in .jsonl or .parquet) receives
        every record as it happens."""
        if seed is None:
            seed = scenario.seed if scenario is not None else 1
        if trace is None:
            config = trace_config if trace_config is not None else getattr(scenario, "trace", None)
            trace = Trace(config=config)
        super().__init__(seed, trace=trace, env=env)
        if isinstance(trace_stream, str | os.PathLike):
            self.trace.stream_to(os.fspath(trace_stream))
        elif trace_stream is not None:
            self.trace.stream_jsonl(trace_stream)
        self.scenario = scenario
        self.world: Any = None
        if scenario is not None:
            from simnet.kernel.sim import relaxed_gc
            from simnet.scenario.world import build_world

            with relaxed_gc():  # a world is thousands of long-lived objects: no young GC per 700
                self.world = build_world(self, scenario)

    # -- constructors ------------------------------------------------------------------------
    @classmethod
    def from_yaml(
        cls, path: str | os.PathLike[str], seed: int | None = None, **kwargs: Any
    ) -> Simulation:
        """Load, validate and build; raises ``ScenarioError`` (a ``ConfigError``) listing every
        problem with its file, line and key path."""
        from simnet.scenario.loader import load_file
        from simnet.scenario.schema import validate

        scenario, problems = validate(load_file(os.fspath(path)))
        if problems:
            raise ScenarioError(problems)
        return cls(seed=seed, scenario=scenario, **kwargs)

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        seed: int | None = None,
        *,
        name: str = "<dict>",
        **kwargs: Any,
    ) -> Simulation:
        """Same as ``from_yaml`` for a dict (problems name ``<dict>`` and the key path)."""
        from simnet.scenario.loader import locate_data
        from simnet.scenario.schema import validate

        scenario, problems = validate(locate_data(data, name))
        if problems:
            raise ScenarioError(problems)
        return cls(seed=seed, scenario=scenario, **kwargs)

    # -- the world ---------------------------------------------------------------------------
    def _need_world(self) -> Any:
        if self.world is None:
            raise ConfigError(
                "scenario",
                "this Simulation was not built from a scenario "
                "(expected Simulation.from_yaml(...) or from_dict(...))",
            )
        return self.world

    @property
    def dte(self) -> Any:
        """The host side of the module's UART: ``command``, ``expect``, ``write``."""
        world = self._need_world()
        if world.dte is None and world.is_fleet:
            raise ConfigError(
                "dte",
                f"this scenario is a fleet of {len(world.devices)} modules: "
                f"each has its own DTE (expected sim.device({next(iter(world.devices))!r}).dte)",
            )
        return world.dte

    @property
    def devices(self) -> dict[str, Any]:
        """Every module of the world by name (``.dte``, ``.module``, ``.bearer``, ``.host``):
        a fleet's devices, or the single module as ``"modem"``."""
        return dict(self._need_world().devices)

    def device(self, name: str) -> Any:
        """One device of a fleet by name (``tracker-007``); raises ConfigError naming some."""
        return self._need_world().device(name)

    @property
    def module(self) -> Any:
        return self._need_world().module

    @property
    def network(self) -> Any:
        return self._need_world().network

    @property
    def bearer(self) -> Any:
        return self._need_world().bearer

    @property
    def claims(self) -> Any:
        """What the host program believes it achieved (``sim.claims.stream(host, port, data)``,
        ``.file(host, path, data)``); a chaos run's integrity invariant checks it against the
        peers (simnet.scenario.invariants)."""
        return self._need_world().claims

    def host(self, name: str) -> Any:
        """Inspection of a peer host named in ``hosts:`` (``ftp_files()``, ``mailbox()``, …)."""
        return self._need_world().host_view(name)

    def save_pcap(self, path: str | os.PathLike[str], point: str = "module") -> int:
        """Write the packets seen so far at a capture point (``module``, ``core-inside``,
        ``core-outside`` or a host the scenario's ``capture:`` names) as pcap, stamped with the
        scenario's epoch plus virtual time; returns the count."""
        return self._need_world().save_capture(point, os.fspath(path))

    @property
    def epoch(self) -> float:
        """Unix seconds at virtual time 0: the clock of pcaps, servers and ``trace`` ``utc``."""
        return self._need_world().epoch

    def run_scenario(self, **kwargs: Any) -> Any:
        """Run the scenario's steps and checks now; returns a ``RunResult``."""
        from simnet.scenario.runner import Runner

        self._need_world()
        return Runner(self, **kwargs).run()


def _plain(value: Any) -> Any:
    """Kept for callers written before ``locate_data`` copied its input: that copy (bounded in
    depth and size, refusing self-reference) now happens there, so this passes data through."""
    return value
