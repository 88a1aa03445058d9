"""Real-time bridge: an emulated module on a pseudo-terminal or a loopback TCP port."""

from simnet.bridge.serve import serve

__all__ = ["serve"]
