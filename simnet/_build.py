"""The opt-in compiled build: which modules mypyc compiles, and whether this process runs them.

``SIMNET_COMPILE=1 pip install --no-build-isolation .`` (what ``make compiled`` does, with
mypy pinned as in the dev extra) compiles the modules of ``COMPILED`` with mypyc; the default
build ships every module as Python source. Both builds give the same trace digests
(``bench/digests.py --against``; CI checks it). To compile one more module, add its path here,
keep it mypyc-clean (docs/architecture.md, "The compiled build") and run ``make compiled`` and
the digest check.

This file is read by setup.py without importing simnet: standard library only.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from typing import Any

# Paths relative to the project root, as mypyc.build.mypycify takes them. The hot path of a
# packet (kernel clock and trace, links, network, NAT, TCP) and what it calls per packet.
COMPILED: tuple[str, ...] = (
    "simnet/kernel/sim.py",
    "simnet/kernel/trace.py",
    "simnet/kernel/procedure.py",  # dialects' background procedures (Dialect.spawn)
    "simnet/net/packet.py",
    "simnet/net/pcap.py",
    "simnet/net/loss.py",
    "simnet/net/link.py",
    "simnet/net/network.py",
    "simnet/net/nat.py",
    "simnet/net/host.py",
    "simnet/net/tcp.py",
    "simnet/net/tcp_engine.py",
    "simnet/net/tcp_options.py",
    # The module's side of every AT exchange and data byte: UART bursts, AT parser and result
    # formatter, modes (command/prompt/data), the module glue, the host's DTE and URC framing,
    # socket-data decoding, the socket ledger. Not the dialect kit or the vendor dialects:
    # their command tables are built by decorators and class introspection mypyc cannot compile.
    "simnet/modem/uart.py",
    "simnet/modem/at.py",
    "simnet/modem/modes.py",
    "simnet/modem/module.py",
    "simnet/modem/dte.py",
    "simnet/modem/urc.py",
    "simnet/modem/socketdata.py",
    "simnet/modem/buffers.py",
    "simnet/modem/ledger.py",
)


try:
    from mypy_extensions import mypyc_attr
except ImportError:  # the pure-Python build needs no mypy: the decorator then does nothing

    def mypyc_attr(*_args: str, **_kwargs: object) -> Any:  # type: ignore[no-redef,misc]
        return lambda cls: cls


def module_name(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def build_info() -> dict[str, Any]:
    """Which of the ``COMPILED`` modules this process loads as compiled extensions (found, not
    imported): ``{"compiled": [...], "interpreted": [...], "summary": "..."}``."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    compiled: list[str] = []
    interpreted: list[str] = []
    for path in COMPILED:
        name = module_name(path)
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None and spec.origin else ""
        (compiled if origin.endswith(suffixes) else interpreted).append(name)
    if not compiled:
        summary = "pure Python"
    elif not interpreted:
        summary = f"compiled (mypyc): all {len(compiled)} hot modules"
    else:
        summary = (
            f"PARTLY compiled (mypyc): {len(compiled)} of {len(COMPILED)} hot modules "
            f"(interpreted: {', '.join(interpreted)})"
        )
    return {"compiled": compiled, "interpreted": interpreted, "summary": summary}


def banner() -> str:
    """One line for benchmark output: version, build, and where simnet was imported from (so a
    figure is never attributed to the wrong build)."""
    import os

    import simnet

    where = os.path.dirname(simnet.__file__ or "")
    return f"simnet {simnet.__version__}: {build_info()['summary']} (from {where})"
