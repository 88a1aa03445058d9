"""The floor of bench/module_path.py (--floor) does what one real AT-command upload exchange
requires, no less: the same UART bursts (bytes and direction) and the same modem records, in the
same order, as the module writes for the same bytes (a benchmark's floor that skipped work would
claim a bound it does not measure)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

_PATH = Path(__file__).resolve().parents[2] / "bench" / "module_path.py"


@pytest.fixture(scope="module")
def bench() -> Any:
    spec = importlib.util.spec_from_file_location("module_path_bench", _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _exchange_records(records: list[Any], first_kind: str) -> list[tuple[str, Any]]:
    """(kind, bytes or fields) of the modem and UART records from the first ``first_kind``."""
    out = []
    for r in records:
        if r.source in ("modem", "modem.uart"):
            fields = dict(r.fields)
            out.append((r.kind, bytes(fields["data"]) if "data" in fields else fields))
    start = next(i for i, (kind, _) in enumerate(out) if kind == first_kind)
    return out[start:]


@pytest.mark.parametrize("case", ["sim7600-push", "l610-command"])
def test_the_floor_writes_what_the_module_writes(bench: Any, case: str) -> None:
    payload = bench.FLOOR[case][0]
    size = 2 * payload  # two exchanges
    module, fn = bench.CASES[case]
    sim = bench.world(module, "up", size)
    fn(sim, "up", size)
    real = [r for r in sim.trace if r.kind != "pkt"]
    first = "dte>"
    # the module's records from the first exchange's command line on (as many as the floor's)
    start = next(
        i for i, r in enumerate(real) if r.kind == first and bytes(r.fields["data"]).startswith(
            b"AT+CIPSEND=" if case.startswith("sim7600") else b"AT+MIPSEND="
        )
    )
    floor_sim: list[Any] = []
    original = bench.Simulation

    class Keep(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            floor_sim.append(self)

    bench.Simulation = Keep
    try:
        _t, exchanges, records = bench.run_floor(case, size, host_waits=True)
    finally:
        bench.Simulation = original
    assert exchanges == 2 and records == 20  # 10 records an exchange
    floor = _exchange_records(list(floor_sim[0].trace), first)
    module_side = _exchange_records(real[start:], first)
    assert floor[:10] == module_side[:10]  # the first exchange, byte for byte
    # later ones: the same records and burst sizes (the L610's answers count what was sent, so
    # their digits may grow by a few bytes over a long run; not in two exchanges)
    assert [(k, len(v)) for k, v in floor] == [(k, len(v)) for k, v in module_side[: len(floor)]]


def _pushed_records(records: Any, first: Any) -> list[tuple[str, Any]]:
    """(kind, bytes or text) of the UART bursts towards the host and the modem's ``urc``
    records, from the first one ``first`` picks."""
    out: list[tuple[str, Any]] = []
    for r in records:
        if r.kind == "dte<":
            out.append((r.kind, bytes(r.fields["data"])))
        elif r.source == "modem" and r.kind == "urc":
            out.append((r.kind, r.fields["text"]))
    start = next(i for i, item in enumerate(out) if first(item))
    return out[start:]


@pytest.mark.parametrize("case", ["sim7600-push", "l610-command"])
def test_the_download_floor_writes_what_the_module_writes(bench: Any, case: str) -> None:
    """Every burst towards the host (so every push's size and header: they are in the bytes)
    and every ``urc`` record, from the first push to the end of the download, equal."""
    size = 250_000  # ~170 radio packets: pushes limited by UART room, waits, the last piece
    module, fn = bench.CASES[case]
    sim = bench.world(module, "down", size, close=False)
    fn(sim, "down", size)
    _t, packets, _records, floor_sim = bench.run_push_floor(case, size)

    def first(item: tuple[str, Any]) -> bool:
        kind, data = item
        if case == "sim7600-push":
            return kind == "dte<" and b"\r\n+IPD" in data
        return kind == "urc" and data.startswith("+MIPRTCP: 1,")

    module_side = _pushed_records(sim.trace, first)
    floor = _pushed_records(floor_sim.trace, first)
    payload = sum(
        len(data) for kind, data in floor if kind == "dte<"
    )  # headers included: more than the payload
    assert payload > size and packets > 150
    assert len(floor) == len(module_side) and floor == module_side
