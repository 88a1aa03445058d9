"""Scenarios: the YAML contract, its validator, the world builder, runner, CLI, report and plot.

Public entry points: ``simnet.Simulation`` (``simnet.scenario.api``), ``load_file`` /
``validate`` (``loader`` / ``schema``), ``Runner`` (``runner``), ``sequence_chart`` (``plot``),
and the CLI ``simnet`` (``cli``). Submodules are imported on use so ``import simnet`` stays light.
"""
