"""simnet: emulated cellular modules on a virtual-time GPRS/GSM network simulator."""

from simnet.errors import ConfigError, ExpectTimeout, SimnetError
from simnet.kernel import Simulation

__version__ = "0.1.0"
__all__ = ["ConfigError", "ExpectTimeout", "SimnetError", "Simulation", "__version__"]
