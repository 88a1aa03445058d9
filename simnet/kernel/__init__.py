"""Simulation kernel: virtual clock, named random streams, trace, units and distributions."""

from simnet.kernel.dist import Distribution, make_distribution
from simnet.kernel.rng import RandomStreams, stream_seed
from simnet.kernel.sim import Simulation, Timer
from simnet.kernel.trace import Trace, TraceRecord, read_jsonl
from simnet.kernel.units import parse_duration, parse_probability, parse_rate

__all__ = [
    "Distribution",
    "RandomStreams",
    "Simulation",
    "Timer",
    "Trace",
    "TraceRecord",
    "make_distribution",
    "parse_duration",
    "parse_probability",
    "parse_rate",
    "read_jsonl",
    "stream_seed",
]
