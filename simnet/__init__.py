"""simnet: emulated cellular modules on a virtual-time GPRS/GSM network simulator.

``simnet.Simulation`` is the scenario-level simulation (``from_yaml``, ``from_dict``, ``.dte``,
``.host(name)``, ``.save_pcap``); its base class is ``simnet.kernel.Simulation``.
"""

from simnet._build import build_info
from simnet.errors import ConfigError, ConnectError, DialError, ExpectTimeout, SimnetError
from simnet.scenario.api import ScenarioError, Simulation

__version__ = "0.1.0"
__all__ = [
    "ConfigError",
    "build_info",
    "compiled",
    "ConnectError",
    "DialError",
    "ExpectTimeout",
    "ScenarioError",
    "analysis",
    "chaos",
    "SimnetError",
    "Simulation",
    "__version__",
    "modules",
    "serve",
    "sweep",
]


def __getattr__(name: str):
    # The real-time bridge is imported on first use: `simnet run` never needs it.
    if name == "serve":
        from simnet.bridge import serve

        return serve
    if name == "analysis":  # trace questions as DataFrames (pandas on first use)
        from simnet.experiments import analysis

        return analysis
    if name == "sweep":  # pandas and the pool machinery load only for sweeps
        from simnet.experiments import sweep

        return sweep
    if name == "chaos":  # fault storms with invariants and shrinking; simnet.chaos(...) runs them
        import simnet.chaos as chaos

        return chaos
    if name == "compiled":  # True when the hot modules run compiled (make compiled)
        return not build_info()["interpreted"]
    if name == "modules":
        # Read-only mapping: module id -> ModuleProfile (identity, limits, timing, dialect).
        from simnet.modem.registry import MODULES

        return MODULES
    raise AttributeError(f"module 'simnet' has no attribute {name!r}")
