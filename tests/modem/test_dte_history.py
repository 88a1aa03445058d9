"""How much already-read history a DTE keeps (``keep_consumed``), and a fleet's share of it.

A DTE keeps every unread byte (up to ``max_buffer``) and, of the bytes it has read, at least
the newest ``keep_consumed // 2`` and at most ``keep_consumed``; a fleet's world gives each
device ``64 MiB / devices`` of history, between 64 KiB and the single module's 1 MiB."""

from __future__ import annotations

import pytest

import simnet
from simnet.kernel import Simulation
from simnet.modem.dte import DTE, KEEP_CONSUMED
from simnet.modem.uart import Uart, UartConfig
from simnet.scenario.world import fleet_history


def _line(keep: int | None) -> tuple[Simulation, Uart, DTE]:
    sim = Simulation(1)
    uart = Uart(sim, UartConfig(baud=921600))
    dte = DTE(sim, uart) if keep is None else DTE(sim, uart, keep_consumed=keep)
    return sim, uart, dte


def _send_and_read(sim: Simulation, uart: Uart, dte: DTE, total: int, piece: int = 1000) -> None:
    sent = 0
    while sent < total:
        uart.dce.write(bytes([65 + sent // piece % 26]) * piece)
        sent += piece
        sim.run_until(lambda want=sent: dte.bytes_received >= want, 1.0)
        dte.read_available()  # read: the cursor moves past everything


@pytest.mark.parametrize("keep", [4096, 64 << 10])
def test_read_history_stays_between_half_and_all_of_keep_consumed(keep: int) -> None:
    sim, uart, dte = _line(keep)
    _send_and_read(sim, uart, dte, 10 * keep)
    kept = len(dte.received)
    assert keep // 2 <= kept <= keep
    # what is kept is the newest history: it ends with the last 1,000-byte piece (a letter
    # per piece: piece k carries chr(65 + k % 26))
    last = -(-10 * keep // 1000) - 1
    assert dte.received.endswith(bytes([65 + last % 26]) * 1000)


def test_unread_bytes_are_kept_whatever_keep_consumed_says() -> None:
    sim, uart, dte = _line(1024)
    uart.dce.write(b"x" * 8000)  # not read (the module's transmit buffer holds 8,192)
    sim.run_until(lambda: dte.bytes_received >= 8000, 1.0)
    dte.wait(0.1)
    assert len(dte.received) == 8000 and dte.dropped == 0
    assert dte.peek() == b"x" * 8000


def test_a_single_dte_keeps_one_mebibyte_by_default() -> None:
    sim, uart, dte = _line(None)
    assert dte.keep_consumed == KEEP_CONSUMED == 1 << 20


@pytest.mark.parametrize("value", [0, 63, -1, True, 1.5, "1"])
def test_keep_consumed_is_checked(value: object) -> None:
    sim = Simulation(1)
    with pytest.raises(ValueError, match="keep_consumed"):
        DTE(sim, Uart(sim), keep_consumed=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("devices", "each"),
    [(1, 1 << 20), (64, 1 << 20), (65, (64 << 20) // 65), (200, (64 << 20) // 200),
     (1000, (64 << 20) // 1000), (2000, 64 << 10), (10_000, 64 << 10)],
)  # fmt: skip
def test_a_fleet_shares_64_mib_of_history(devices: int, each: int) -> None:
    assert fleet_history(devices) == each


def test_fleet_world_devices_get_their_share() -> None:
    sim = simnet.Simulation.from_dict({
        "name": "fleet history",
        "modules": [{"name": "dev", "module": "simcom-sim7600", "count": 100}],
        "network": {"registration": {"state": "home", "after": "0s"}},
    })  # fmt: skip
    dtes = [sim.device(f"dev-{i:02d}").dte for i in (0, 50, 99)]
    assert [d.keep_consumed for d in dtes] == [(64 << 20) // 100] * 3
    single = simnet.Simulation.from_dict({"name": "one", "module": "simcom-sim7600"})
    assert single.dte.keep_consumed == 1 << 20


def test_a_host_that_never_reads_keeps_the_newest_max_buffer_bytes() -> None:
    """Unread bursts beyond ``max_buffer``: the oldest bytes go (counted in ``dropped``), the
    newest ``max_buffer`` stay in order, whether they were already joined for a look or still
    listed as they arrived (cuts fall inside bursts and across them)."""
    sim = Simulation(1)
    uart = Uart(sim, UartConfig(baud=921600))
    dte = DTE(sim, uart, max_buffer=10_000)
    sent = bytearray()
    sizes = [(k * 7919) % 3001 + 1 for k in range(40)]  # 1..3,001 bytes, no pattern to the cuts
    for k, n in enumerate(sizes):
        burst = bytes((k * 31 + j) % 251 for j in range(n))
        uart.dce.write(burst)
        sent += burst
        dte.wait(0.05)  # nothing waits on the bytes: they arrive unread
        assert dte.bytes_received == len(sent)
        assert dte.dropped == max(0, len(sent) - 10_000)
        if k % 9 == 8:  # a look joins what is kept; several bursts arrive between looks
            assert dte.received == bytes(sent[-10_000:])
        if k == 25:  # read once midway: from here the kept bytes start joined
            assert dte.read_available() == bytes(sent[-10_000:])
            read_at = len(sent)
    assert dte.peek() == bytes(sent[read_at:])[-10_000:]
    assert dte.read_available() == bytes(sent[read_at:])[-10_000:]


def test_reading_as_bursts_arrive_returns_each_byte_once() -> None:
    """A host that reads every few bursts (as a download's reader does) gets every byte once
    and in order; ``peek`` shows what the next read returns; the read history stays within
    ``keep_consumed`` while it is cut through bursts that arrived unread."""
    sim, uart, dte = _line(1024)
    sent = bytearray()
    got = bytearray()
    for k in range(60):
        n = (k * 7919) % 2003 + 1
        burst = bytes((k * 17 + j) % 253 for j in range(n))
        uart.dce.write(burst)
        sent += burst
        dte.wait(0.05)
        if k % 4 == 3:
            ahead = dte.peek()
            assert ahead == bytes(sent[len(got) :])
            got += dte.read_available()
            assert dte.peek() == b""
            assert len(dte.received) <= 1024 and bytes(sent).endswith(dte.received)
    got += dte.read_available()
    assert bytes(got) == bytes(sent)


def test_a_read_after_a_match_starts_right_after_it() -> None:
    """``expect`` leaves the cursor inside what it searched; bursts that then arrive unread
    follow it: the next read is the rest of the matched burst, then those bursts, in order."""
    sim, uart, dte = _line(None)
    uart.dce.write(b"\r\n+NETOPEN: 0\r\nafter the match")
    dte.expect(r"\+NETOPEN: 0\r\n", 1.0)
    more = [bytes([48 + k]) * (100 + k) for k in range(5)]
    for burst in more:
        uart.dce.write(burst)
        dte.wait(0.05)
    assert dte.peek() == b"after the match" + b"".join(more)
    assert dte.read_available() == b"after the match" + b"".join(more)
    assert dte.read_available() == b""
