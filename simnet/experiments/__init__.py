"""Experiments: sweeps of a scenario over parameters and seeds (``simnet.sweep``).

This package sits above ``simnet.scenario`` (it builds and runs scenarios) and beside
``simnet.bridge``; nothing below imports it.
"""

from simnet.experiments.design import Point, parse_seeds, split_values
from simnet.experiments.sweep import SweepInterrupted, default_jobs, sweep

__all__ = ["Point", "SweepInterrupted", "default_jobs", "parse_seeds", "split_values", "sweep"]
