"""Shared helpers for the field-story tests: run a story scenario, read packets and UART bytes
out of the trace.

Timing arithmetic used by the stories (all from the scenario's own parameters):

- a radio link direction carries a packet in ``(IP+TCP header + payload) * 8 / rate`` seconds
  of serialization plus the configured one-way ``delay`` (no jitter, no loss configured);
- simnet.net puts internet hosts on a wired link of 10 ms one way, no rate limit
  (``simnet.net.network.DEFAULT_INTERNET_LINK``; the scenario format has no key for it);
- the UART sends 10 bits per byte (8N1) at the configured baud rate; a ``dte<`` trace record
  is stamped when the last byte of its chunk has reached the host.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simnet.scenario.api import Simulation
from simnet.scenario.report import describe_failure

ROOT = Path(__file__).resolve().parents[2]
STORIES = ROOT / "scenarios" / "stories"

IP_TCP_HEADER = 40  # 20-byte IPv4 header + 20-byte TCP header, no options (RFC 791, RFC 9293)
INTERNET_DELAY = 0.010  # see the module docstring
UART_BITS_PER_BYTE = 10  # start + 8 data + stop


def run_story(name: str, seed: int | None = None) -> tuple[Simulation, object]:
    """Build scenarios/stories/<name> and run its steps and checks; fail with the runner's own
    description when the scenario does not pass."""
    sim = Simulation.from_yaml(STORIES / name, seed=seed)
    result = sim.run_scenario()
    assert result.passed, describe_failure(result)
    return sim, result


@dataclass(frozen=True)
class Pkt:
    t: float
    source: str
    ev: str
    text: str


def packets(sim: Simulation, source: str, ev: str, *needles: str) -> list[Pkt]:
    """Packet records of ``source`` (a link name like ``module.uplink``) with event ``ev``
    (``tx`` when handed to the link, ``rx`` when delivered) whose summary holds every needle."""
    out = []
    for r in sim.trace.select(source=source, kind="pkt"):
        text = r.fields["pkt"]
        if r.fields["ev"] == ev and all(n in text for n in needles):
            out.append(Pkt(r.t, source, ev, text))
    return out


def uart_to_host(sim: Simulation) -> list[tuple[float, bytes]]:
    """(instant the chunk's last byte reached the host, bytes) for everything the module sent."""
    out = []
    for r in sim.trace.select(source="modem.uart", kind="dte<"):
        data = r.fields["data"]  # bytes in memory, hex text in a JSONL file
        out.append(
            (r.t, bytes(data) if isinstance(data, bytes | bytearray) else bytes.fromhex(data))
        )
    return out


def chunk_time(sim: Simulation, data: bytes, after: float = 0.0) -> float:
    """Instant the first module->host chunk equal to ``data`` (sent after ``after``) arrived."""
    for t, chunk in uart_to_host(sim):
        if t >= after and chunk == data:
            return t
    raise AssertionError(f"no UART chunk {data!r} after t={after}")


def serialization(payload: int, rate_bps: float) -> float:
    return (IP_TCP_HEADER + payload) * 8 / rate_bps


def uart_time(n_bytes: int, baud: int) -> float:
    return n_bytes * UART_BITS_PER_BYTE / baud
