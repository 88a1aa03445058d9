"""The SIMCom close's FIN watch: it fires at the instant a poll of the socket's state on the
backing-off grid (at the close, then +10 ms, +10 ms, +20 ms, +40 ms ... doubling to 1 s steps)
would first find the close over, with the state that poll would read - without polling.

The reference is that poll, written here: a timer per grid instant that reads the state. Both
watch a stand-in socket whose state changes at chosen instants (scheduled before the watch
starts, so at an exact grid instant the change comes first in the queue and the poll sees it)."""

from __future__ import annotations

from typing import Any

import pytest

from simnet.kernel.sim import Simulation
from simnet.modem.vendors.simcom.dialect import _FinAckWatch

WAITING = {"ESTABLISHED", "FIN_WAIT_1", "CLOSE_WAIT", "LAST_ACK", "CLOSING", "SYN_SENT",
           "SYN_RCVD"}


class StandInSocket:
    """The two things the watch uses: ``state`` and the ``on_state_change`` hook."""

    def __init__(self, state: str) -> None:
        self.state = state
        self.on_state_change: Any = None

    def change(self, new: str) -> None:
        old, self.state = self.state, new
        if self.on_state_change is not None:
            self.on_state_change(self, old, new)


class PollingWatch:
    """The reference: look at the state now, then after each grid step (10 ms, 10 ms, 20 ms
    ... each step the time waited so far, between 10 ms and 1 s)."""

    def __init__(self, sim: Simulation, sock: StandInSocket) -> None:
        self.sim, self.sock = sim, sock
        self.event = sim.event()
        self.look(0.0)

    def look(self, waited: float) -> None:
        if self.sock.state not in WAITING:
            self.event.succeed(self.sock.state)
            return
        step = min(1.0, max(0.01, waited))
        self.sim.call_later(step, self.look, waited + step)


def grid(t0: float, n: int) -> list[float]:
    """The first ``n`` grid instants after ``t0``, as float sums (what call_later makes)."""
    out, t, waited = [], t0, 0.0
    for _ in range(n):
        step = min(1.0, max(0.01, waited))
        t, waited = t + step, waited + step
        out.append(t)
    return out


def fire(watch_class: type, t0: float, start: str, changes: list[tuple[float, str]]) -> Any:
    """(instant, value) at which a watch started at ``t0`` fires; None if it never does."""
    sim = Simulation(seed=1)
    sock = StandInSocket(start)
    for at, state in changes:
        if at != t0:
            sim.call_at(at, sock.change, state)
    fired: list[Any] = []

    def start_watch() -> None:
        watch = watch_class(sim, sock)
        watch.event.callbacks.append(lambda ev: fired.append((sim.now, ev.value)))

    sim.call_at(t0, start_watch)
    for at, state in changes:
        if at == t0:  # the same instant as the close, after it
            sim.call_at(at, sock.change, state)
    sim.advance(t0 + 120)
    return fired[0] if fired else None


T0 = 12.345  # a clock value whose float sums with the steps are not round
G = grid(T0, 20)


@pytest.mark.parametrize(
    "changes",
    [
        [(T0, "FIN_WAIT_2")],  # the same instant, after the look at the close
        [(T0 + 0.004, "FIN_WAIT_2")],  # before the first step's look
        [(G[0], "FIN_WAIT_2")],  # exactly at a grid instant: that look sees it
        [(G[6], "TIME_WAIT")],
        [(G[6] + 1e-9, "CLOSED")],  # just after one: the next look, 0.64 s on
        [(T0 + 0.61, "FIN_WAIT_2"), (T0 + 0.62, "TIME_WAIT")],  # the look reads the latest
        [(T0 + 0.61, "FIN_WAIT_2"), (G[7], "CLOSED")],
        [(T0 + 5.3, "CLOSED")],  # in the 1 s steps
        [(G[14], "CLOSED")],
        [(T0 + 0.2, "FIN_WAIT_2"), (T0 + 0.25, "FIN_WAIT_1"), (T0 + 3.5, "CLOSED")],  # back
        [(T0 + 0.2, "FIN_WAIT_2"), (G[5], "FIN_WAIT_1"), (G[5], "CLOSED")],
        [(T0 + 0.3, "CLOSE_WAIT"), (T0 + 0.4, "LAST_ACK"), (T0 + 0.9, "CLOSED")],  # waiting
    ],
)
def test_the_watch_fires_where_the_poll_finds_the_close_over(
    changes: list[tuple[float, str]],
) -> None:
    expected = fire(PollingWatch, T0, "FIN_WAIT_1", changes)
    got = fire(_FinAckWatch, T0, "FIN_WAIT_1", changes)
    assert got == expected
    if changes:
        # it fires on the grid, not at the change (the test would not tell otherwise)
        first_over = next(at for at, state in changes if state not in WAITING)
        assert expected is not None and expected[0] in G and expected[0] >= first_over


def test_a_close_that_never_ends_never_fires() -> None:
    assert fire(_FinAckWatch, T0, "FIN_WAIT_1", []) is None
    assert fire(PollingWatch, T0, "FIN_WAIT_1", []) is None


def test_a_socket_already_closed_fires_at_once_with_its_state() -> None:
    assert fire(_FinAckWatch, T0, "CLOSED", []) == fire(PollingWatch, T0, "CLOSED", []) == (
        T0, "CLOSED")


def test_the_watch_lets_go_of_the_socket_hook_while_its_look_waits() -> None:
    sim = Simulation(seed=1)
    sock = StandInSocket("FIN_WAIT_1")
    watch = _FinAckWatch(sim, sock)
    assert sock.on_state_change is not None
    sim.advance(0.3)
    sock.change("FIN_WAIT_2")
    assert sock.on_state_change is None  # no socket -> watch -> socket cycle from here on
    sim.advance(1)
    assert watch.event.processed and watch.event.value == "FIN_WAIT_2"


@pytest.mark.parametrize("stop_at", [0.3, 0.6])  # before the change; after (look at 0.64)
def test_a_stopped_watch_never_fires_and_lets_go_of_the_hook(stop_at: float) -> None:
    sim = Simulation(seed=1)
    sock = StandInSocket("FIN_WAIT_1")
    watch = _FinAckWatch(sim, sock)
    sim.call_at(0.5, sock.change, "FIN_WAIT_2")
    sim.call_at(stop_at, watch.stop)
    sim.advance(30)
    assert not watch.event.triggered and sock.on_state_change is None
