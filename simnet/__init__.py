"""simnet: emulated cellular modules on a virtual-time GPRS/GSM network simulator.

``simnet.Simulation`` is the scenario-level simulation (``from_yaml``, ``from_dict``, ``.dte``,
``.host(name)``, ``.save_pcap``); its base class is ``simnet.kernel.Simulation``.
"""

from simnet.errors import ConfigError, ExpectTimeout, SimnetError
from simnet.scenario.api import ScenarioError, Simulation

__version__ = "0.1.0"
__all__ = [
    "ConfigError",
    "ExpectTimeout",
    "ScenarioError",
    "SimnetError",
    "Simulation",
    "__version__",
]
